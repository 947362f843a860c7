//! Health for load balancers: `GET /healthz` says the process serves; `GET /readyz` says its
//! backend can serve now — the store answers and the pub/sub connection is subscribed and
//! alive — or, with `503`, why not, in one line of JSON. Both are cheap enough to call every
//! second.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use serde_json::json;
use std::sync::Arc;

/// Whether a backend can serve now.
pub trait Readiness: Send + Sync + 'static {
    /// `Err` says what is not ready, in words for an operator.
    fn check(&self) -> BoxFuture<'static, Result<(), String>>;
}

/// The embedded backend is ready whenever the process is.
pub struct AlwaysReady;

impl Readiness for AlwaysReady {
    fn check(&self) -> BoxFuture<'static, Result<(), String>> {
        Box::pin(std::future::ready(Ok(())))
    }
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

pub async fn readyz(State(readiness): State<Arc<dyn Readiness>>) -> Response {
    match readiness.check().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => {
            let body = Json(json!({ "status": "unready", "reason": reason }));
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}
