//! Headers on every response: how long it may be cached, and what the browser must not do with
//! it.

use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// How a response may be cached, by what it is.
fn cache_control(path: &str) -> &'static str {
    if path.starts_with("/pkg/") {
        // The built wasm, JavaScript and CSS.
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

/// Pages hold private messages: never cached, never leaking the room link as a referrer,
/// never framed.
pub async fn response_headers(request: Request, next: Next) -> Response {
    let cache = cache_control(request.uri().path());
    let mut response = next.run(request).await;
    // An error (a missing asset, say) is not worth keeping.
    let cache = if response.status().is_success() { cache } else { "no-store" };
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_never_cached_and_assets_are() {
        assert_eq!(cache_control("/"), "no-store");
        assert_eq!(cache_control("/room/abcdefghijklmnop"), "no-store");
        assert_eq!(cache_control("/api/room_view"), "no-store");
        assert_eq!(cache_control("/favicon.svg"), "public, max-age=86400");
        assert_eq!(cache_control("/robots.txt"), "public, max-age=86400");
        assert_eq!(cache_control("/pkg/burner.wasm"), "public, max-age=3600");
    }
}
