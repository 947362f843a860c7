//! The Origin check: only the site's own pages (and origins the operator lists) may open a
//! WebSocket or call the API from a browser, so another site cannot ride a visitor's seat
//! cookie.

use axum::http::HeaderMap;
use axum::http::header::{HOST, ORIGIN};

/// Whether the request comes from an allowed page (a request without `Origin` does not).
pub fn allowed(headers: &HeaderMap, extra: &[String], https: bool) -> bool {
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    same_site(origin, host(headers, None), extra, https)
}

/// The host the request was made to: its `Host` header, or (HTTP/2) the URI's authority.
pub fn host<'a>(headers: &'a HeaderMap, uri: Option<&'a axum::http::Uri>) -> Option<&'a str> {
    let header = headers.get(HOST).and_then(|v| v.to_str().ok());
    header.or_else(|| uri.and_then(|uri| uri.authority()).map(|a| a.as_str()))
}

/// Whether `origin` is the site's own (the host it was asked under, with the scheme it is served
/// over: `https` when served securely) or one listed.
pub fn same_site(origin: &str, host: Option<&str>, extra: &[String], https: bool) -> bool {
    if extra.iter().any(|o| o.eq_ignore_ascii_case(origin)) {
        return true;
    }
    let Some(host) = host else {
        return false;
    };
    let scheme = if https { "https://" } else { "http://" };
    origin.strip_prefix(scheme).is_some_and(|rest| rest.eq_ignore_ascii_case(host))
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
        assert!(allowed(&headers(Some("http://127.0.0.1:3000"), "127.0.0.1:3000"), &[], false));
        assert!(allowed(&headers(Some("https://chat.example"), "chat.example"), &[], true));
    }

    #[test]
    fn a_page_of_the_same_host_over_another_scheme_may_not() {
        assert!(!allowed(&headers(Some("http://chat.example"), "chat.example"), &[], true));
        assert!(!allowed(&headers(Some("https://chat.example"), "chat.example"), &[], false));
    }

    #[test]
    fn other_sites_and_originless_requests_may_not() {
        assert!(!allowed(&headers(Some("http://evil.example"), "127.0.0.1:3000"), &[], false));
        assert!(!allowed(
            &headers(Some("http://127.0.0.1:3000.evil.example"), "127.0.0.1:3000"),
            &[],
            false
        ));
        assert!(!allowed(&headers(None, "127.0.0.1:3000"), &[], false));
        assert!(!allowed(&headers(Some("null"), "127.0.0.1:3000"), &[], false));
    }

    #[test]
    fn listed_origins_may_connect() {
        let extra = vec!["https://app.example".to_string()];
        assert!(allowed(&headers(Some("https://app.example"), "api.example"), &extra, false));
    }
}
