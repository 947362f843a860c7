//! Headers on every response: how long it may be cached, the Content-Security-Policy of pages
//! (built on a nonce made for this response, which Leptos puts on its scripts) and their
//! Cross-Origin-Opener-Policy, HSTS when the site is served over HTTPS, and what the browser
//! must not do with the page.

use crate::state::AppState;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use std::sync::Arc;

/// The nonce of this response's scripts, handed to the page render through the request.
#[derive(Clone, Debug)]
pub struct CspNonce(pub Arc<str>);

/// HSTS for a year once the site is reached over HTTPS.
const HSTS: &str = "max-age=31536000";

pub async fn response_headers(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path();
    let cache = cache_control(path, state.hashed_assets);
    let https = state.reach().https_for(request.headers());
    let host = crate::origin::host(request.headers(), Some(request.uri())).map(str::to_owned);
    let nonce = CspNonce(nanoid::nanoid!(22).into());
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    // An error (a missing asset, say) is not worth keeping.
    let cache = if response.status().is_success() { cache } else { "no-store" };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if https {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
    if is_html(headers) {
        // A page opened from another site (or opening one) shares no window with it.
        headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
        if let Ok(policy) =
            HeaderValue::from_str(&content_security_policy(&nonce, host.as_deref(), https))
        {
            headers.insert(header::CONTENT_SECURITY_POLICY, policy);
        }
    }
    response
}

/// What a page may load and do: its own scripts (by nonce), its own wasm, its own styles and
/// connections (the WebSocket included: only `wss:` once the site is served over HTTPS), nothing
/// framed, no plugins, no `<base>`.
fn content_security_policy(nonce: &CspNonce, host: Option<&str>, https: bool) -> String {
    let sockets = match host {
        Some(h) if https => format!(" wss://{h}"),
        Some(h) => format!(" ws://{h} wss://{h}"),
        None => String::new(),
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{sockets}; \
         manifest-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
         frame-ancestors 'none'",
        nonce.0
    )
}

fn is_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|kind| kind.starts_with("text/html"))
}

/// How a response may be cached, by what it is.
fn cache_control(path: &str, hashed_assets: bool) -> &'static str {
    if path.starts_with("/pkg/") && hashed_assets {
        // The built wasm, JavaScript and CSS, named by their content: a new build has new names.
        "public, max-age=31536000, immutable"
    } else if path == app::confusables::PATH {
        // Named by the Unicode version of its data.
        "public, max-age=31536000, immutable"
    } else if path.starts_with("/pkg/") {
        "public, max-age=3600"
    } else if is_public_file(path) {
        // public/: the icon, the manifest, robots.txt.
        "public, max-age=86400"
    } else {
        // Pages and API answers hold private messages and seats.
        "no-store"
    }
}

/// A file of `public/`, served from the site's root: a name with an extension, no folder.
fn is_public_file(path: &str) -> bool {
    path.strip_prefix('/').is_some_and(|name| !name.contains('/') && name.contains('.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_never_cached_and_assets_are() {
        for hashed in [true, false] {
            assert_eq!(cache_control("/", hashed), "no-store");
            assert_eq!(cache_control("/room/abcdefghijklmnop", hashed), "no-store");
            assert_eq!(cache_control("/api/room_view", hashed), "no-store");
            assert_eq!(cache_control("/favicon.svg", hashed), "public, max-age=86400");
            assert_eq!(cache_control("/robots.txt", hashed), "public, max-age=86400");
        }
        let hashed = cache_control("/pkg/burner.1a2b3c.wasm", true);
        assert_eq!(hashed, "public, max-age=31536000, immutable");
        assert_eq!(cache_control("/pkg/burner.wasm", false), "public, max-age=3600");
        assert_eq!(cache_control(app::confusables::PATH, false), hashed);
    }

    #[test]
    fn the_policy_allows_only_this_sites_nonced_scripts_and_sockets() {
        let policy = content_security_policy(&CspNonce("abc".into()), Some("chat.example"), false);
        assert!(policy.contains("script-src 'self' 'nonce-abc' 'wasm-unsafe-eval';"));
        assert!(policy.contains("connect-src 'self' ws://chat.example wss://chat.example;"));
        let https = content_security_policy(&CspNonce("abc".into()), Some("chat.example"), true);
        assert!(https.contains("connect-src 'self' wss://chat.example;"), "{https}");
        assert!(!policy.contains("unsafe-inline"));
        for directive in ["frame-ancestors 'none'", "base-uri 'none'", "form-action 'self'"] {
            assert!(policy.contains(directive), "{directive}");
        }
    }
}
