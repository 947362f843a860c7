//! Burner's pages, components, server functions, shared types and wire protocol.
//!
//! Compiled twice: with `ssr` into the server binary, with `hydrate` into the browser's WASM.

#![recursion_limit = "256"]

pub mod base64url;
pub mod confusables;
#[cfg(feature = "hydrate")]
pub mod crypto;
pub mod envelope;
pub mod error;
pub mod home;
pub mod membership;
pub mod model;
pub mod names;
pub mod protocol;
pub mod random;
pub mod remembered_name;
pub mod rights;
pub mod room;
pub mod secret_input;

#[cfg(feature = "ssr")]
pub mod proxy;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod seat;
#[cfg(feature = "ssr")]
pub mod server_context;
#[cfg(feature = "ssr")]
pub mod store;

use home::HomePage;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, Link, Meta, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{ParamSegment, SsrMode, StaticSegment};
use room::RoomPage;

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta
                    name="viewport"
                    content="width=device-width, initial-scale=1, viewport-fit=cover, interactive-widget=resizes-content"
                />
                <AutoReload options=options.clone() />
                // The built CSS, by its hashed name when the build hashes names.
                <HashedStylesheet options=options.clone() id="leptos" />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body class="bg-canvas text-ink font-mono antialiased">
                <App />
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Link rel="icon" href="/favicon.svg" type_="image/svg+xml" />
        <Link rel="manifest" href="/site.webmanifest" />
        <Meta name="theme-color" content="#09090b" />
        <Meta name="color-scheme" content="dark light" />
        <Meta name="referrer" content="no-referrer" />
        <Meta name="description" content="Private, self-destructing chat rooms. No accounts, no logs." />
        <Title text="Burner · private, self-destructing chat" />
        <Router>
            <Routes fallback=NotFound>
                <Route path=StaticSegment("") view=HomePage />
                <Route
                    path=(StaticSegment("room"), ParamSegment("id"))
                    view=RoomPage
                    ssr=SsrMode::Async
                />
            </Routes>
        </Router>
    }
}

#[component]
fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <main class="min-h-dvh flex flex-col items-center justify-center gap-4 p-6 text-center">
            <h1 class="text-xl font-bold text-accent">">page_not_found"</h1>
            <p class="text-muted">"Nothing lives at this address."</p>
            <a href="/" class="underline text-ink">"Go to the home page"</a>
        </main>
    }
}
