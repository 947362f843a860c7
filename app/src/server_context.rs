//! What server functions need at run time, provided by the server binary through Leptos
//! context (`leptos_routes_with_context`), plus the helpers every server function shares.

use crate::error::ApiError;
use crate::model::RoomId;
use crate::proxy::ProxyTrust;
use crate::rate_limit::{ClientKey, Limiter, RateLimits};
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
    /// Seat counts a room may be created with.
    pub capacities: Vec<u8>,
    /// Timers a room's messages may disappear after, in seconds.
    pub message_timers_secs: Vec<u64>,
    pub default_capacity: u8,
    /// Rooms one client address may hold alive at once.
    pub rooms_alive_per_address: u32,
}

/// How visitors reach this instance, set once at start-up: the edge, the WebSocket upgrade
/// and the server functions all read this one.
#[derive(Clone, Debug)]
pub struct Reach {
    /// Known to be served over HTTPS: by this process (TLS), or by a proxy in front that the
    /// operator vouches for (`security.secure-cookies`). Seat cookies are then `Secure` and
    /// `__Host-` prefixed, HSTS is sent, and Origins are `https`.
    pub https: bool,
    /// What a reverse proxy in front may tell us.
    pub proxy: ProxyTrust,
    /// Origins besides the site's own that may call it from a browser.
    pub allowed_origins: Vec<String>,
}

impl Reach {
    /// Whether a request with `headers` reached the site over HTTPS: it is served so, or a
    /// trusted proxy says the visitor used HTTPS.
    pub fn https_for(&self, headers: &axum::http::HeaderMap) -> bool {
        self.https || self.proxy.forwarded_https(headers)
    }
}

/// Shared state of one server instance, as server functions see it.
#[derive(Clone)]
pub struct ServerState {
    pub store: Arc<dyn RoomStore>,
    pub rules: Arc<RoomRules>,
    /// This instance's rate limits.
    pub rate_limits: Arc<RateLimits>,
    pub reach: Arc<Reach>,
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
pub fn seat_cookie(room: &RoomId, reach: &Reach) -> Option<SeatCookie> {
    let parts = use_context::<Parts>()?;
    let jar = axum_extra::extract::cookie::CookieJar::from_headers(&parts.headers);
    SeatCookie::read(&jar, room, reach.https_for(&parts.headers))
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
        StoreError::Locked => ApiError::Locked,
        StoreError::Removed => ApiError::Removed,
        StoreError::SeatIdTaken => {
            ApiError::invalid("seat_id", "is already used in this room; choose another")
        }
        StoreError::TooManyRooms { max_alive } => ApiError::TooManyRooms { max_alive },
        StoreError::AtCapacity => ApiError::Busy,
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

/// Whether this request reached the site over HTTPS, so seat cookies must be `Secure`.
pub fn served_securely(reach: &Reach) -> bool {
    use_context::<Parts>().map_or(reach.https, |parts| reach.https_for(&parts.headers))
}

/// The first failure of a garde report, as an input error naming its field.
pub fn invalid_input(report: garde::Report) -> ApiError {
    match report.iter().next() {
        Some((path, error)) => ApiError::invalid(&path.to_string(), error.message()),
        None => ApiError::invalid("request", "is invalid"),
    }
}

/// Takes a turn at `door` for this request's client, or says how long to wait. A call that
/// came to `/api/` took its turn at the edge, before its body was read; this takes the turn of
/// a page whose render calls the server function in the process.
pub fn pass(door: &Limiter<ClientKey>, reach: &Reach) -> Result<(), ApiError> {
    if request_parts()?.uri.path().starts_with(API_PREFIX) {
        return Ok(());
    }
    door.check(&client_key(reach)?).map_err(ApiError::rate_limited)
}

/// Where the server functions are served.
pub const API_PREFIX: &str = "/api/";

/// This request's client, as limits count it (its address; an IPv6 /64).
pub fn client_key(reach: &Reach) -> Result<ClientKey, ApiError> {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let parts = request_parts()?;
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
    // No address at all only happens in-process (tests without a socket): one shared key.
    let ip = reach.proxy.client_ip(&parts.headers, peer).unwrap_or([0, 0, 0, 0].into());
    Ok(ClientKey::from(ip))
}

/// Answers the page being rendered with this status (a page that explains an error).
pub fn page_status(status: axum::http::StatusCode) {
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(status);
    }
}

/// Sends the page being rendered elsewhere with a real `302`, which any HTTP client follows
/// (Leptos's own redirect answers `200` unless the request says it accepts HTML). The address
/// ends with an empty fragment: a browser keeps the fragment of the address it was sent from
/// unless the new one has its own (RFC 9110 §10.2.2), and a room link's is its key, which must
/// not follow a visitor home, with JavaScript off too.
pub fn redirect_page(to: &'static str) {
    use axum::http::{HeaderValue, StatusCode, header};
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        let location = HeaderValue::from_str(&format!("{to}#"));
        response.set_status(StatusCode::FOUND);
        response.insert_header(header::LOCATION, location.unwrap_or(HeaderValue::from_static(to)));
    }
}
