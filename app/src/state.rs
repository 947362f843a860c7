//! What server functions need at run time, provided by the server binary through Leptos
//! context (`leptos_routes_with_context`), plus the helpers every server function shares.

use crate::error::ApiError;
use crate::model::RoomId;
use crate::rate_limit::RateLimiter;
use crate::seat::SeatCookie;
use crate::store::{RoomStore, StoreError};
use axum::http::request::Parts;
use leptos::prelude::{provide_context, use_context};
use std::sync::Arc;

/// Room rules the operator can configure.
#[derive(Clone, Debug, PartialEq)]
pub struct RoomRules {
    /// Lifetimes a room may be created with, in seconds.
    pub lifetimes_secs: Vec<u64>,
    pub default_lifetime_secs: u64,
    pub default_capacity: u8,
    /// Mark seat cookies `Secure` (the site is served over HTTPS).
    pub secure_cookies: bool,
    /// Take the client address from `X-Forwarded-For` (only behind a trusted proxy).
    pub trust_proxy: bool,
}

/// Shared state of one server instance, as server functions see it.
#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<dyn RoomStore>,
    pub rules: Arc<RoomRules>,
    /// Rooms created per client address.
    pub create_limiter: Arc<RateLimiter>,
}

impl ServerState {
    /// Makes this state available to the server functions and pages of the current request.
    pub fn provide(&self) {
        provide_context(self.clone());
    }
}

/// The state of this instance; missing only when the server was wired wrongly.
pub fn server_state() -> Result<ServerState, ApiError> {
    use_context::<ServerState>().ok_or_else(|| {
        tracing::error!("ServerState missing from context");
        ApiError::Unavailable
    })
}

/// The request's headers and other parts.
pub fn request_parts() -> Result<Parts, ApiError> {
    use_context::<Parts>().ok_or(ApiError::Unavailable)
}

/// The seat cookie of `room` sent with this request, if any.
pub fn seat_cookie(room: &RoomId) -> Option<SeatCookie> {
    let parts = use_context::<Parts>()?;
    SeatCookie::read(&axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers), room)
}

/// Adds a `Set-Cookie` header to this server function's response.
pub fn set_cookie(cookie: &axum_extra::extract::cookie::Cookie<'_>) -> Result<(), ApiError> {
    let value = axum::http::HeaderValue::from_str(&cookie.to_string()).map_err(|err| {
        tracing::error!(%err, "a seat cookie is not a valid header value");
        ApiError::Unavailable
    })?;
    let response = use_context::<leptos_axum::ResponseOptions>().ok_or(ApiError::Unavailable)?;
    response.append_header(axum::http::header::SET_COOKIE, value);
    Ok(())
}

/// Maps a store failure to what the browser may know; backend details stay in the log.
pub fn store_error(err: StoreError) -> ApiError {
    match err {
        StoreError::Gone => ApiError::NotFound,
        StoreError::Full => ApiError::Full,
        StoreError::NotSeated => ApiError::NotSeated,
        StoreError::Backend(detail) => {
            tracing::error!(%detail, "room store failed");
            ApiError::Unavailable
        }
    }
}

/// The error for a room that is gone, worded for what this visitor knows: someone holding
/// its seat cookie learns whether it was destroyed or expired.
pub fn gone_error(cookie: Option<&SeatCookie>) -> ApiError {
    use crate::model::EndReason;
    match cookie {
        Some(cookie) if cookie.past_deadline() => ApiError::Ended { reason: EndReason::Expired },
        Some(_) => ApiError::Ended { reason: EndReason::Destroyed },
        None => ApiError::NotFound,
    }
}

/// Parses a room id from a request, as an input error naming the field.
pub fn parse_room_id(raw: &str) -> Result<RoomId, ApiError> {
    raw.parse().map_err(|e: crate::model::BadRoomId| ApiError::invalid("room_id", e.to_string()))
}

/// Whether this request reached the site over HTTPS, so seat cookies must be `Secure`: the
/// operator says so, or a trusted proxy says the visitor used HTTPS.
pub fn served_securely(rules: &RoomRules) -> bool {
    rules.secure_cookies
        || (rules.trust_proxy
            && use_context::<Parts>().is_some_and(|parts| {
                parts
                    .headers
                    .get("x-forwarded-proto")
                    .is_some_and(|proto| proto.as_bytes().eq_ignore_ascii_case(b"https"))
            }))
}

/// The first failure of a garde report, as an input error naming its field.
pub fn invalid_input(report: garde::Report) -> ApiError {
    match report.iter().next() {
        Some((path, error)) => ApiError::invalid(&path.to_string(), error.message()),
        None => ApiError::invalid("request", "is invalid"),
    }
}

/// The client's address, for rate limits: the peer address, or the first `X-Forwarded-For`
/// entry when the operator says a trusted proxy sits in front.
pub fn client_address(rules: &RoomRules) -> String {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let Some(parts) = use_context::<Parts>() else {
        return "unknown".into();
    };
    let forwarded = rules
        .trust_proxy
        .then(|| parts.headers.get("x-forwarded-for"))
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.trim().to_owned());
    forwarded
        .or_else(|| {
            parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}
