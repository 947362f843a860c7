//! What the client sends: frames parsed and checked (size, envelope, rate), sends queued to be
//! stored, typing hints relayed, refusals counted.

use super::Exchange;
use crate::ws::socket::jobs::Job;
use crate::ws::socket::{Exit, Out, WsOut};
use app::envelope::{self, MESSAGE_SEALED_MAX};
use app::model::{CLIENT_ID_MAX_CHARS, FRAME_MAX_BYTES};
use app::protocol::{ClientFrame, CloseCode, ErrorCode, ServerFrame};
use futures::Sink;
use std::time::Instant;

/// Refused frames in a row (bad frames, invalid or rate-limited sends) before the socket is
/// closed with 4429.
const STRIKES_BEFORE_CLOSE: u32 = 10;

impl Exchange<'_> {
    /// Handles one text frame from the client.
    pub(super) async fn receive<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        text: &str,
    ) -> Result<(), Exit> {
        // The transport enforces this too; a socket over another transport must not rely on it.
        if text.len() > FRAME_MAX_BYTES {
            return Err(Exit::Closed(CloseCode::TooBig));
        }
        match ClientFrame::decode(text) {
            Ok(ClientFrame::Send { client_id, body }) => self.post(out, client_id, body).await,
            Ok(ClientFrame::Typing {}) => {
                self.typing();
                Ok(())
            }
            Err(_) => {
                let problem = "Not a Burner frame: expected JSON with a known \"type\".";
                self.refuse(out, bad_frame(problem)).await
            }
        }
    }

    /// Checks a send and queues it to be stored.
    async fn post<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        client_id: String,
        body: String,
    ) -> Result<(), Exit> {
        let id_len = client_id.chars().count();
        if id_len == 0 || id_len > CLIENT_ID_MAX_CHARS {
            let problem = format!("client_id must be 1 to {CLIENT_ID_MAX_CHARS} characters.");
            return self.refuse(out, bad_frame(&problem)).await;
        }
        if let Err(problem) = envelope::check(&body, MESSAGE_SEALED_MAX) {
            // The text was checked (1 to 1000 characters) before it was sealed; here only the
            // envelope's shape and size can be.
            let problem = format!("A sealed message body {problem}.");
            return self.refuse(out, error(ErrorCode::InvalidMessage, problem)).await;
        }
        if let Err(wait) = self.socket.services.rate_limits.messages.check(&self.limit_key) {
            let message = format!("Slow down: you can send again in {:.1} s.", wait.as_secs_f64());
            return self.refuse(out, error(ErrorCode::RateLimited, message)).await;
        }
        self.strikes = 0;
        // A message ends a typing burst; the next keystroke may be announced at once.
        self.last_typing = None;
        self.work.push(self.socket, Job::Post { client_id, body });
        Ok(())
    }

    /// Tells the client a frame was refused; too many refusals in a row close the socket.
    pub(super) async fn refuse<S: Sink<WsOut> + Unpin>(
        &mut self,
        out: &mut Out<S>,
        refusal: ServerFrame,
    ) -> Result<(), Exit> {
        self.strikes += 1;
        if self.strikes >= STRIKES_BEFORE_CLOSE {
            return Err(Exit::Closed(CloseCode::RateLimited));
        }
        out.send(refusal).await
    }

    /// Relays a typing hint to the others, at most once per `typing_every`, and only when no
    /// other job waits (a hint is worth nothing late).
    fn typing(&mut self) {
        let every = self.socket.services.timing.typing_every;
        if self.last_typing.is_some_and(|t| t.elapsed() < every) || self.work.pending() > 0 {
            return;
        }
        self.last_typing = Some(Instant::now());
        self.work.push(self.socket, Job::Typing);
    }
}

pub(super) fn error(code: ErrorCode, message: impl Into<String>) -> ServerFrame {
    ServerFrame::Error { code, message: message.into() }
}

pub(super) fn bad_frame(message: &str) -> ServerFrame {
    error(ErrorCode::BadFrame, message)
}
