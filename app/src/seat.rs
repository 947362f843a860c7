//! Seat tokens and the per-room seat cookie.
//!
//! A seat token is a random nanoid handed to the browser in an HttpOnly cookie named after its
//! room; stores only ever see its SHA-256 ([`TokenHash`]). The cookie also carries the room's
//! deadline, so a visitor whose room is gone can be told whether it was destroyed or expired.

use crate::model::{RoomId, now_ms};
use axum::http::{HeaderMap, HeaderValue, header};
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

/// The cookie name for a room's seat.
pub fn cookie_name(room: &RoomId) -> String {
    format!("{COOKIE_PREFIX}{room}")
}

/// Reads the seat cookie of `room` from request headers; a malformed one counts as absent.
pub fn read_seat_cookie(headers: &HeaderMap, room: &RoomId) -> Option<SeatCookie> {
    let wanted = cookie_name(room);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == wanted)
        .and_then(|(_, value)| parse_value(value))
}

fn parse_value(value: &str) -> Option<SeatCookie> {
    let (token, expires_at) = value.split_once('.')?;
    let token_ok = token.len() == TOKEN_LEN
        && token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    let expires_at = expires_at.parse().ok()?;
    token_ok.then(|| SeatCookie { token: SeatToken(token.to_owned()), expires_at })
}

/// A `Set-Cookie` value giving the seat: HttpOnly, SameSite=Strict, Path=/, kept until the
/// room's deadline, Secure when the site is served over HTTPS.
pub fn set_seat_cookie(
    room: &RoomId,
    token: &SeatToken,
    expires_at: u64,
    secure: bool,
) -> HeaderValue {
    let max_age = expires_at.saturating_sub(now_ms()).div_ceil(1000);
    let secure = if secure { "; Secure" } else { "" };
    let value = format!(
        "{}={}.{expires_at}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(room),
        token.as_str(),
    );
    // Built only from a checked room id, a nanoid and digits: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` value that removes the seat cookie.
pub fn clear_seat_cookie(room: &RoomId, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let value =
        format!("{}=; Max-Age=0; Path=/; HttpOnly; SameSite=Strict{secure}", cookie_name(room));
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static(""))
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

    #[test]
    fn the_cookie_set_is_the_cookie_read_back() {
        let token = SeatToken::generate();
        let deadline = now_ms() + 60_000;
        let set = set_seat_cookie(&room(), &token, deadline, false);
        let set = set.to_str().unwrap_or_default();
        assert!(set.contains("HttpOnly") && set.contains("SameSite=Strict"));
        assert!(set.contains("Max-Age=60") && !set.contains("Secure"));
        let pair = set.split(';').next().unwrap_or_default();
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("a=b; {pair}; c=d"))
                .unwrap_or_else(|_| HeaderValue::from_static("")),
        );
        let read = read_seat_cookie(&headers, &room());
        assert_eq!(read.as_ref().map(|c| c.token.clone()), Some(token));
        assert_eq!(read.map(|c| c.expires_at), Some(deadline));
    }

    #[test]
    fn another_rooms_cookie_or_a_forged_one_is_no_seat() {
        let other: RoomId = "ponmlkjihgfedcba".parse().unwrap_or_else(|_| RoomId::generate());
        let token = SeatToken::generate();
        let cookie = format!("{}={}.1", cookie_name(&other), token.as_str());
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("")),
        );
        assert!(read_seat_cookie(&headers, &room()).is_none());
        for forged in ["short.1", "x", "", &format!("{}.notanumber", token.as_str())] {
            let cookie = format!("{}={forged}", cookie_name(&room()));
            headers.insert(
                header::COOKIE,
                HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("")),
            );
            assert!(read_seat_cookie(&headers, &room()).is_none(), "{forged}");
        }
    }
}
