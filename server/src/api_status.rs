//! The one place server-function errors get their HTTP status: whatever produced the error
//! (a server function, or the framework refusing its arguments), the status follows from the
//! `ApiError` in the body (with `Retry-After` when it is a rate limit).

use app::error::ApiError;
use axum::body::{Body, to_bytes};
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Error bodies are small JSON; anything larger is not one of ours.
const ERROR_BODY_LIMIT: usize = 64 * 1024;

pub async fn status_from_error(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    if !response.headers().contains_key("serverfnerror") {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = match to_bytes(body, ERROR_BODY_LIMIT).await {
        Ok(bytes) => bytes,
        Err(err) => {
            tracing::error!(%err, "a server function's error body could not be read");
            parts.status = axum::http::StatusCode::INTERNAL_SERVER_ERROR;
            return Response::from_parts(parts, Body::empty());
        }
    };
    if let Ok(err) = serde_json::from_slice::<ApiError>(&bytes) {
        parts.status = err.status();
        if let ApiError::RateLimited { retry_after_secs } = err {
            parts.headers.insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}
