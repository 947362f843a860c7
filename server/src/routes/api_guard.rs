//! The API's guard: a call takes its turn at its door's rate limit first, before anything of it
//! is read; then `/api` takes JSON bodies only (a `text/plain` form post from another site
//! cannot reach it), and a browser request from another site (`Origin`, `Sec-Fetch-Site`) is
//! refused before any server function runs.

use crate::origin;
use crate::state::AppState;
use app::error::ApiError;
use app::rate_limit::ClientKey;
use app::server_context::{API_PREFIX, Reach};
use axum::Json;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;

pub async fn api_guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(endpoint) = request.uri().path().strip_prefix(API_PREFIX) else {
        return next.run(request).await;
    };
    // Read from the headers alone; a call from another site spends nobody's allowance.
    let limits = (state.reach(), state.body_max_bytes);
    if let Some(err) = refusal(limits, request.method(), request.headers(), request.uri()) {
        return (err.status(), Json(err)).into_response();
    }
    if let Some(door) = state.server.rate_limits.of_endpoint(endpoint) {
        let peer = request.extensions().get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        // No address at all only happens in-process (tests without a socket): one shared key.
        let ip = state.reach().proxy.client_ip(request.headers(), peer);
        let ip = ip.unwrap_or([0, 0, 0, 0].into());
        if let Err(wait) = door.check(&ClientKey::from(ip)) {
            let err = ApiError::rate_limited(wait);
            let retry = [(header::RETRY_AFTER, wait.as_secs().max(1).to_string())];
            return (err.status(), retry, Json(err)).into_response();
        }
    }
    next.run(request).await
}

/// Why a request to the API is refused, if it is.
fn refusal(
    (reach, body_max_bytes): (&Reach, usize),
    method: &Method,
    headers: &HeaderMap,
    uri: &axum::http::Uri,
) -> Option<ApiError> {
    let announced = headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse().ok());
    if announced.is_some_and(|len: usize| len > body_max_bytes) {
        return Some(ApiError::TooLarge { max_bytes: body_max_bytes as u64 });
    }
    let fetched_cross_site =
        headers.get("sec-fetch-site").is_some_and(|site| site.as_bytes() == b"cross-site");
    let foreign_origin = headers.get(header::ORIGIN).is_some_and(|origin| {
        let origin = origin.to_str().unwrap_or("null");
        let https = reach.https_for(headers);
        !origin::same_site(origin, origin::host(headers, Some(uri)), &reach.allowed_origins, https)
    });
    if fetched_cross_site || foreign_origin {
        return Some(ApiError::CrossSite);
    }
    let json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|kind| kind.trim().eq_ignore_ascii_case("application/json"));
    (*method != Method::GET && !json).then_some(ApiError::NotJson)
}

#[cfg(test)]
mod tests {
    use super::*;
    use app::proxy::ProxyTrust;
    use axum::http::HeaderValue;

    fn reach(https: bool) -> Reach {
        Reach { https, proxy: ProxyTrust::NONE, allowed_origins: Vec::new() }
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("chat.example"));
        for (name, value) in pairs {
            headers.insert(*name, HeaderValue::from_static(value));
        }
        headers
    }

    fn check(pairs: &[(&'static str, &'static str)]) -> Option<ApiError> {
        let uri = axum::http::Uri::from_static("/api/destroy_room");
        refusal((&reach(false), 64 * 1024), &Method::POST, &headers(pairs), &uri)
    }

    #[test]
    fn the_sites_own_json_calls_pass() {
        let json = ("content-type", "application/json");
        assert_eq!(check(&[json, ("origin", "http://chat.example")]), None);
        assert_eq!(check(&[json, ("sec-fetch-site", "same-origin")]), None);
        assert_eq!(check(&[("content-type", "application/json; charset=utf-8")]), None);
        assert_eq!(check(&[json]), None, "a non-browser client sends no Origin");
    }

    #[test]
    fn forms_and_other_sites_are_refused() {
        assert_eq!(check(&[("content-type", "text/plain")]), Some(ApiError::NotJson));
        assert_eq!(check(&[]), Some(ApiError::NotJson));
        let json = ("content-type", "application/json");
        assert_eq!(check(&[json, ("origin", "https://evil.example")]), Some(ApiError::CrossSite));
        assert_eq!(check(&[json, ("origin", "null")]), Some(ApiError::CrossSite));
        assert_eq!(check(&[json, ("sec-fetch-site", "cross-site")]), Some(ApiError::CrossSite));
    }

    #[test]
    fn the_same_host_over_another_scheme_is_another_site() {
        let json = ("content-type", "application/json");
        let plain = check(&[json, ("origin", "https://chat.example")]);
        assert_eq!(
            plain,
            Some(ApiError::CrossSite),
            "an https page calling a site served over http"
        );
        let secure = (&reach(true), 64 * 1024);
        let uri = axum::http::Uri::from_static("/api/destroy_room");
        let from_http = headers(&[json, ("origin", "http://chat.example")]);
        assert_eq!(refusal(secure, &Method::POST, &from_http, &uri), Some(ApiError::CrossSite));
        let from_https = headers(&[json, ("origin", "https://chat.example")]);
        assert_eq!(refusal(secure, &Method::POST, &from_https, &uri), None);
    }
}
