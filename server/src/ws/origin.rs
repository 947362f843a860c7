//! The Origin check on the WebSocket upgrade: only the site's own pages (and origins the
//! operator lists) may open a socket, so another site cannot ride a visitor's seat cookie.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Whether the upgrade request comes from an allowed page.
pub fn allowed(headers: &HeaderMap, extra: &[String]) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    if extra.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(host) = headers.get(HOST).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    origin
        .strip_prefix("http://")
        .or_else(|| origin.strip_prefix("https://"))
        .is_some_and(|rest| rest.eq_ignore_ascii_case(host))
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(origin: Option<&'static str>, host: &'static str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, HeaderValue::from_static(host));
        if let Some(origin) = origin {
            headers.insert(ORIGIN, HeaderValue::from_static(origin));
        }
        headers
    }

    #[test]
    fn the_sites_own_pages_may_connect() {
        assert!(allowed(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), &[]));
        assert!(allowed(&headers(Some("https://chat.example"), "chat.example"), &[]));
    }

    #[test]
    fn other_sites_and_originless_requests_may_not() {
        assert!(!allowed(&headers(Some("http://evil.example"), "127.0.0.1:3000"), &[]));
        assert!(!allowed(
            &headers(Some("http://127.0.0.1:3000.evil.example"), "127.0.0.1:3000"),
            &[]
        ));
        assert!(!allowed(&headers(None, "127.0.0.1:3000"), &[]));
        assert!(!allowed(&headers(Some("null"), "127.0.0.1:3000"), &[]));
    }

    #[test]
    fn listed_origins_may_connect() {
        let extra = vec!["https://app.example".to_string()];
        assert!(allowed(&headers(Some("https://app.example"), "api.example"), &extra));
    }
}
