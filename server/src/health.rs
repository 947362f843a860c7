//! Health for load balancers: `GET /healthz` says the process serves; `GET /readyz` says its
//! backend can serve now — the store answers and the pub/sub connection is subscribed and
//! alive. The public port answers only ready or not (`503`); the metrics address (never
//! public) also says why not, in one line of JSON. Either may be called as often as anyone
//! likes: the backend is asked at most once a second, and callers in between get that answer.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::future::BoxFuture;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// How long one answer of the backend stands for every caller.
const ANSWER_STANDS: Duration = Duration::from_secs(1);

/// A backend's readiness, asked at most once per [`ANSWER_STANDS`].
pub struct Ready {
    backend: Arc<dyn Readiness>,
    last: tokio::sync::Mutex<Option<(Instant, Result<(), String>)>>,
}

impl Ready {
    pub fn new(backend: Arc<dyn Readiness>) -> Arc<Self> {
        Arc::new(Ready { backend, last: tokio::sync::Mutex::new(None) })
    }

    /// The backend's last answer if it is recent, else a new one (callers meanwhile wait for
    /// it rather than ask again).
    pub async fn now(&self) -> Result<(), String> {
        let mut last = self.last.lock().await;
        match &*last {
            Some((at, answer)) if at.elapsed() < ANSWER_STANDS => answer.clone(),
            _ => {
                let answer = self.backend.check().await;
                *last = Some((Instant::now(), answer.clone()));
                answer
            }
        }
    }
}

pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `/readyz` on the public port: ready or not, never why (backend errors stay inside).
pub async fn readyz(State(ready): State<Arc<Ready>>) -> Response {
    match ready.now().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(_) => {
            (StatusCode::SERVICE_UNAVAILABLE, Json(json!({ "status": "unready" }))).into_response()
        }
    }
}

/// `/readyz` on the metrics address: with the reason when not ready, for the operator.
pub async fn readyz_with_reason(State(ready): State<Arc<Ready>>) -> Response {
    match ready.now().await {
        Ok(()) => Json(json!({ "status": "ready" })).into_response(),
        Err(reason) => {
            let body = Json(json!({ "status": "unready", "reason": reason }));
            (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
        }
    }
}
