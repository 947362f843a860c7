//! The one error type of Burner's server functions: typed, serialisable, shown in words.

use crate::model::EndReason;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// Everything a server function can answer instead of a result.
///
/// Internal details (Redis errors and the like) are logged on the server and reach the browser
/// only as [`ApiError::Unavailable`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "error", rename_all = "snake_case")]
pub enum ApiError {
    #[error("This room does not exist. Check the link, or create a new room.")]
    NotFound,
    #[error("This room is full. Ask for a new link, or create your own room.")]
    Full,
    #[error("{}", ended_text(*reason))]
    Ended { reason: EndReason },
    #[error("You have no seat in this room.")]
    NotSeated,
    /// The call did not prove it holds the room's whole link (its membership proof is wrong).
    #[error(
        "This link's key does not open this room. Ask for the whole link, with everything after #."
    )]
    WrongKey,
    /// A locked room, asked for a new seat.
    #[error("This room is locked: its creator lets nobody new in.")]
    Locked,
    /// The room's creator removed the caller's seat.
    #[error("You were removed from this room by its creator.")]
    Removed,
    /// A right only the room's creator has (lock, remove), asked without the creator's key.
    #[error("Only the person who created this room can do that.")]
    NotTheCreator,
    /// A room only its creator may destroy, asked by someone else.
    #[error("Only the person who created this room can destroy it.")]
    OnlyCreator,
    /// A room made before rooms were bound to their link's key: it cannot be joined safely.
    #[error(
        "This room was made by an earlier version of Burner and can no longer be opened. Create a new room."
    )]
    Outdated,
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("Too many requests. Wait {retry_after_secs} s and try again.")]
    RateLimited { retry_after_secs: u64 },
    /// The address holds as many rooms alive as it may.
    #[error(
        "You have {max_alive} rooms open already. Destroy one you no longer need, or wait for one \
         to end."
    )]
    TooManyRooms { max_alive: u32 },
    #[error("Burner is briefly unavailable. Try again in a moment.")]
    Unavailable,
    /// The server holds as many rooms as it can.
    #[error("Burner is holding as many rooms as it can right now. Try again in a little while.")]
    Busy,
    /// A browser request from another site (CSRF), refused.
    #[error("This request came from another site and was refused.")]
    CrossSite,
    /// A body larger than any call needs.
    #[error("This request is larger than Burner takes ({max_bytes} bytes at most).")]
    TooLarge { max_bytes: u64 },
    /// A body that is not JSON.
    #[error("Burner's API takes JSON bodies (Content-Type: application/json).")]
    NotJson,
    /// The request never reached the server, or its answer could not be read.
    #[error("Could not reach Burner ({detail}). Check your connection and try again.")]
    Network { detail: String },
}

fn ended_text(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Destroyed => "This room was destroyed. Its messages are gone for good.",
        EndReason::Expired => "This room expired. Its messages are gone for good.",
    }
}

impl ApiError {
    /// A rate limit's refusal: wait this long (a second at least).
    pub fn rate_limited(wait: std::time::Duration) -> Self {
        ApiError::RateLimited { retry_after_secs: wait.as_secs().max(1) }
    }

    /// An invalid field, with the limit in words.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        ApiError::Invalid { field: field.into(), message: message.into() }
    }

    /// Where the home page should land a visitor turned away with this error.
    pub fn home_query(&self) -> &'static str {
        match self {
            ApiError::Full => "/?error=room-full",
            ApiError::Locked => "/?error=room-locked",
            ApiError::Removed => "/?removed=1",
            ApiError::Ended { reason } => reason.home_query(),
            ApiError::Outdated => "/?error=room-outdated",
            _ => "/?error=room-not-found",
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // On the server these mean the request's arguments could not be read: bad input.
            ServerFnErrorErr::Args(detail)
            | ServerFnErrorErr::MissingArg(detail)
            | ServerFnErrorErr::Deserialization(detail)
                if cfg!(feature = "ssr") =>
            {
                ApiError::invalid("request", detail)
            }
            // In the browser they mean the call or its answer was lost on the way.
            ServerFnErrorErr::Request(detail)
            | ServerFnErrorErr::Deserialization(detail)
            | ServerFnErrorErr::Serialization(detail) => ApiError::Network { detail },
            _ => ApiError::Unavailable,
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::ApiError;
    use axum::http::StatusCode;

    impl ApiError {
        /// The HTTP status of this error: the one place errors map to statuses.
        pub fn status(&self) -> StatusCode {
            match self {
                ApiError::NotFound => StatusCode::NOT_FOUND,
                ApiError::Full | ApiError::Locked => StatusCode::CONFLICT,
                ApiError::Ended { .. } => StatusCode::GONE,
                ApiError::NotSeated
                | ApiError::WrongKey
                | ApiError::OnlyCreator
                | ApiError::NotTheCreator
                | ApiError::Removed => StatusCode::FORBIDDEN,
                ApiError::Outdated => StatusCode::GONE,
                ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                ApiError::RateLimited { .. } | ApiError::TooManyRooms { .. } => {
                    StatusCode::TOO_MANY_REQUESTS
                }
                ApiError::CrossSite => StatusCode::FORBIDDEN,
                ApiError::NotJson => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                ApiError::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
                ApiError::Unavailable | ApiError::Busy | ApiError::Network { .. } => {
                    StatusCode::SERVICE_UNAVAILABLE
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_travel_as_tagged_json_and_read_as_sentences() {
        let err = ApiError::Ended { reason: EndReason::Destroyed };
        let json = serde_json::to_string(&err).unwrap_or_default();
        assert_eq!(json, r#"{"error":"ended","reason":"destroyed"}"#);
        assert_eq!(serde_json::from_str::<ApiError>(&json).ok(), Some(err.clone()));
        assert!(err.to_string().contains("destroyed"));
        let invalid = ApiError::invalid("username", "at most 100 characters");
        assert_eq!(invalid.to_string(), "username: at most 100 characters");
    }

    #[test]
    fn turned_away_visitors_land_on_the_matching_banner() {
        assert_eq!(ApiError::Full.home_query(), "/?error=room-full");
        assert_eq!(ApiError::NotFound.home_query(), "/?error=room-not-found");
        let expired = ApiError::Ended { reason: EndReason::Expired };
        assert_eq!(expired.home_query(), "/?expired=1");
        assert_eq!(ApiError::Locked.home_query(), "/?error=room-locked");
        assert_eq!(ApiError::Removed.home_query(), "/?removed=1");
    }
}
