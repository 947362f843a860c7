//! Seat tokens and the per-room seat cookie.
//!
//! A seat token is a random nanoid handed to the browser in an HttpOnly cookie named after its
//! room; stores only ever see its SHA-256 ([`TokenHash`]). The cookie also carries the room's
//! deadline, so a visitor whose room is gone can be told whether it was destroyed or expired.

use crate::model::{RoomId, now_ms};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use cookie::time::Duration;
use sha2::{Digest, Sha256};

const COOKIE_PREFIX: &str = "burner_seat_";
const TOKEN_LEN: usize = 32;

/// The secret a browser presents to prove it holds a seat.
#[derive(Clone, PartialEq, Eq)]
pub struct SeatToken(String);

/// SHA-256 of a seat token, hex-encoded: the only form a store keeps.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TokenHash(String);

impl SeatToken {
    pub fn generate() -> Self {
        SeatToken(nanoid::nanoid!(TOKEN_LEN))
    }

    pub fn hash(&self) -> TokenHash {
        TokenHash(hex::encode(Sha256::digest(self.0.as_bytes())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SeatToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SeatToken(..)")
    }
}

impl TokenHash {
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A hash as a store holds it (read back from the store, never from a visitor).
    pub fn from_stored(hash: String) -> Self {
        TokenHash(hash)
    }
}

/// A seat cookie as the browser sent it.
#[derive(Clone, Debug)]
pub struct SeatCookie {
    pub token: SeatToken,
    /// The room's deadline as it was when the seat was given, Unix ms.
    pub expires_at: u64,
}

impl SeatCookie {
    /// Whether the room this cookie was issued for has reached its deadline.
    pub fn past_deadline(&self) -> bool {
        now_ms() >= self.expires_at
    }
}

/// The cookie name for a room's seat. Served securely it carries the `__Host-` prefix, so the
/// browser keeps it only if it is `Secure`, for this host alone, on every path.
pub fn cookie_name(room: &RoomId, secure: bool) -> String {
    let host = if secure { "__Host-" } else { "" };
    format!("{host}{COOKIE_PREFIX}{room}")
}

impl SeatCookie {
    /// The seat cookie of `room` among the request's cookies; a malformed one counts as absent.
    /// Served `secure`ly only the `__Host-` cookie counts: a plain one may have been planted by
    /// anyone who could answer for the host over HTTP, or for a sibling domain.
    pub fn read(jar: &CookieJar, room: &RoomId, secure: bool) -> Option<SeatCookie> {
        let cookie = jar.get(&cookie_name(room, secure))?;
        parse_value(cookie.value())
    }

    /// The cookie giving the seat: HttpOnly, SameSite=Strict, Path=/, kept until the room's
    /// deadline; `Secure` and `__Host-` when the site is served over HTTPS.
    pub fn issue(
        room: &RoomId,
        token: &SeatToken,
        expires_at: u64,
        secure: bool,
    ) -> Cookie<'static> {
        let seconds_left = expires_at.saturating_sub(now_ms()).div_ceil(1000);
        let max_age = Duration::seconds(i64::try_from(seconds_left).unwrap_or(i64::MAX));
        seat_cookie(room, format!("{}.{expires_at}", token.as_str()), max_age, secure)
    }

    /// The cookie that removes the seat cookie.
    pub fn removal(room: &RoomId, secure: bool) -> Cookie<'static> {
        seat_cookie(room, String::new(), Duration::ZERO, secure)
    }
}

fn seat_cookie(room: &RoomId, value: String, max_age: Duration, secure: bool) -> Cookie<'static> {
    Cookie::build((cookie_name(room, secure), value))
        .max_age(max_age)
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(secure)
        .build()
}

fn parse_value(value: &str) -> Option<SeatCookie> {
    let (token, expires_at) = value.split_once('.')?;
    let token_ok = token.len() == TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let expires_at = expires_at.parse().ok()?;
    token_ok.then(|| SeatCookie { token: SeatToken(token.to_owned()), expires_at })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room() -> RoomId {
        "abcdefghijklmnop".parse().unwrap_or_else(|_| RoomId::generate())
    }

    #[test]
    fn a_token_hash_is_sha256_hex_and_not_the_token() {
        let token = SeatToken::generate();
        let hash = token.hash();
        assert_eq!(hash.as_str().len(), 64);
        assert!(!hash.as_str().contains(token.as_str()));
        assert_eq!(hash, token.hash());
        assert_eq!(format!("{token:?}"), "SeatToken(..)");
    }

    fn jar(pairs: &str) -> CookieJar {
        let mut headers = axum::http::HeaderMap::new();
        if let Ok(value) = axum::http::HeaderValue::from_str(pairs) {
            headers.insert(axum::http::header::COOKIE, value);
        }
        CookieJar::from_headers(&headers)
    }

    #[test]
    fn the_cookie_set_is_the_cookie_read_back() {
        let token = SeatToken::generate();
        let deadline = now_ms() + 60_000;
        let set = SeatCookie::issue(&room(), &token, deadline, false).to_string();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"), "{set}");
        assert!(set.contains("Max-Age=60") && !set.contains("Secure"), "{set}");
        let pair = set.split(';').next().unwrap_or_default();
        let read = SeatCookie::read(&jar(&format!("a=b; {pair}; c=d")), &room(), false);
        assert_eq!(read.as_ref().map(|c| c.token.clone()), Some(token.clone()));
        assert_eq!(read.map(|c| c.expires_at), Some(deadline));
        let removal = SeatCookie::removal(&room(), true).to_string();
        assert!(removal.contains("Max-Age=0") && removal.contains("Secure"), "{removal}");
        assert!(removal.starts_with("__Host-burner_seat_"), "{removal}");
        let secure = SeatCookie::issue(&room(), &token, deadline, true).to_string();
        let pair = secure.split(';').next().unwrap_or_default();
        let read = SeatCookie::read(&jar(pair), &room(), true);
        assert_eq!(read.map(|c| c.expires_at), Some(deadline), "the __Host- cookie is read back");
    }

    #[test]
    fn served_securely_a_plain_cookie_is_no_seat() {
        let token = SeatToken::generate();
        let plain = SeatCookie::issue(&room(), &token, now_ms() + 60_000, false).to_string();
        let pair = plain.split(';').next().unwrap_or_default();
        assert!(SeatCookie::read(&jar(pair), &room(), true).is_none(), "only __Host- counts");
        let secure = SeatCookie::issue(&room(), &token, now_ms() + 60_000, true).to_string();
        let pair = secure.split(';').next().unwrap_or_default();
        assert!(SeatCookie::read(&jar(pair), &room(), false).is_none(), "and over HTTP, the plain");
    }

    #[test]
    fn another_rooms_cookie_or_a_forged_one_is_no_seat() {
        let other: RoomId = "ponmlkjihgfedcba".parse().unwrap_or_else(|_| RoomId::generate());
        let token = SeatToken::generate();
        let cookie = format!("{}={}.1", cookie_name(&other, false), token.as_str());
        assert!(SeatCookie::read(&jar(&cookie), &room(), false).is_none());
        for forged in ["short.1", "x", "", &format!("{}.notanumber", token.as_str())] {
            let cookie = format!("{}={forged}", cookie_name(&room(), false));
            assert!(SeatCookie::read(&jar(&cookie), &room(), false).is_none(), "{forged}");
        }
    }
}
