//! The one encoding of what Burner keeps in Redis and sends between instances: seat records,
//! history entries and pub/sub payloads. Rust alone encodes and decodes them; the Lua scripts
//! never parse or build JSON. They store and publish the bytes Rust gave them, adding only what
//! they alone know — a sequence number, the seat record a token holds, who is online — with the
//! framing below (as centrifuge's history scripts prefix an offset to an opaque publication).
//!
//! ```text
//! seat record  = JSON {"id","name"}                 (never holds a raw newline)
//! payload      = "message:" seq ":" seat "\n" content   post.lua: a stored message (also the
//!                                                       history entry, as stored)
//!              | "online:" [seat *("\n" seat)]          presence.lua: everyone online now
//!              | "left:" seat                           leave.lua: a seat given back
//!              | "typing:" seat                         Rust: someone is typing
//!              | "ended:" ("destroyed" | "expired")     destroy.lua passes on Rust's payload
//! content      = JSON {"id","client_id","body","ts"}    the message as its sender's instance
//!                                                       made it
//! ```

use super::RoomEvent;
use app::model::{ChatMessage, EndReason, Seat};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Why bytes read from Redis are not a Burner payload.
#[derive(Debug, thiserror::Error)]
pub enum WireError {
    #[error("not a Burner payload: {0}")]
    Malformed(&'static str),
    #[error("a Burner payload holds unreadable JSON")]
    Json(#[from] serde_json::Error),
}

/// The part of a message its sender's instance makes; the script adds the sequence number and
/// the sender's seat record.
#[derive(Serialize, Deserialize)]
struct Content<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    client_id: Cow<'a, str>,
    #[serde(borrow)]
    body: Cow<'a, str>,
    ts: u64,
}

/// A seat as the seats hash holds it (and as scripts copy it into payloads).
pub fn seat(seat: &Seat) -> Result<String, WireError> {
    Ok(serde_json::to_string(seat)?)
}

pub fn read_seat(record: &str) -> Result<Seat, WireError> {
    Ok(serde_json::from_str(record)?)
}

/// A new message's content, for post.lua to frame with its sequence number and sender.
pub fn content(id: &str, client_id: &str, body: &str, ts: u64) -> Result<String, WireError> {
    let content = Content { id: id.into(), client_id: client_id.into(), body: body.into(), ts };
    Ok(serde_json::to_string(&content)?)
}

/// The payload of `event`, exactly as the scripts frame the events they publish.
pub fn encode(event: &RoomEvent) -> Result<String, WireError> {
    Ok(match event {
        RoomEvent::Message(m) => message_payload(m)?,
        RoomEvent::Presence(online) => {
            let records = online.iter().map(seat).collect::<Result<Vec<_>, _>>()?;
            format!("online:{}", records.join("\n"))
        }
        RoomEvent::SeatLeft(left) => format!("left:{}", seat(left)?),
        RoomEvent::Typing(sender) => format!("typing:{}", seat(sender)?),
        RoomEvent::Ended(EndReason::Destroyed) => "ended:destroyed".to_owned(),
        RoomEvent::Ended(EndReason::Expired) => "ended:expired".to_owned(),
    })
}

/// The history entry of `m`, as post.lua stores it.
fn message_payload(m: &ChatMessage) -> Result<String, WireError> {
    let content = content(&m.id, &m.client_id, &m.body, m.ts)?;
    Ok(format!("message:{}:{}\n{content}", m.seq, seat(&m.sender)?))
}

/// The bytes `m` takes in a room's history as stored: what the history budget counts, in Redis
/// and (so that both backends keep the same messages) in the embedded store.
pub fn stored_len(m: &ChatMessage) -> u64 {
    message_payload(m).map_or(0, |payload| payload.len() as u64)
}

/// The event a payload (or a history entry) carries.
pub fn decode(payload: &str) -> Result<RoomEvent, WireError> {
    let (kind, rest) = payload.split_once(':').ok_or(WireError::Malformed("no kind"))?;
    Ok(match kind {
        "message" => RoomEvent::Message(message(rest)?),
        "online" if rest.is_empty() => RoomEvent::Presence(Vec::new()),
        "online" => RoomEvent::Presence(rest.split('\n').map(read_seat).collect::<Result<_, _>>()?),
        "left" => RoomEvent::SeatLeft(read_seat(rest)?),
        "typing" => RoomEvent::Typing(read_seat(rest)?),
        "ended" => RoomEvent::Ended(match rest {
            "destroyed" => EndReason::Destroyed,
            "expired" => EndReason::Expired,
            _ => return Err(WireError::Malformed("unknown end")),
        }),
        _ => return Err(WireError::Malformed("unknown kind")),
    })
}

/// The message a history entry holds.
pub fn decode_message(entry: &str) -> Result<ChatMessage, WireError> {
    match decode(entry)? {
        RoomEvent::Message(message) => Ok(message),
        _ => Err(WireError::Malformed("not a message")),
    }
}

/// `seq ":" seat "\n" content`.
fn message(framed: &str) -> Result<ChatMessage, WireError> {
    let (seq, rest) = framed.split_once(':').ok_or(WireError::Malformed("no sequence number"))?;
    let seq = seq.parse().map_err(|_| WireError::Malformed("bad sequence number"))?;
    let (sender, content) = rest.split_once('\n').ok_or(WireError::Malformed("no sender"))?;
    let content: Content = serde_json::from_str(content)?;
    Ok(ChatMessage {
        seq,
        id: content.id.into_owned(),
        client_id: content.client_id.into_owned(),
        sender: read_seat(sender)?,
        body: content.body.into_owned(),
        ts: content.ts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seat_of(id: &str) -> Seat {
        // A sealed name may hold anything JSON escapes: quotes, colons, newlines.
        Seat { id: id.into(), name: format!("sealed \"{id}\":\n{{}}") }
    }

    fn message(seq: u64) -> ChatMessage {
        ChatMessage {
            seq,
            id: format!("m{seq}"),
            client_id: "c:1\n".into(),
            sender: seat_of("s1"),
            body: "sealed body".into(),
            ts: 1_700_000_000_000,
        }
    }

    #[test]
    fn every_event_reads_back_as_it_was_written() {
        let events = [
            RoomEvent::Message(message(7)),
            RoomEvent::Presence(vec![seat_of("a"), seat_of("b")]),
            RoomEvent::Presence(Vec::new()),
            RoomEvent::SeatLeft(seat_of("a")),
            RoomEvent::Typing(seat_of("b")),
            RoomEvent::Ended(EndReason::Destroyed),
            RoomEvent::Ended(EndReason::Expired),
        ];
        for event in events {
            let payload = encode(&event).expect("encodable");
            assert_eq!(decode(&payload).ok(), Some(event), "{payload}");
        }
    }

    #[test]
    fn a_message_is_framed_as_post_lua_frames_it() {
        // What post.lua does: 'message:' .. seq .. ':' .. seat .. '\n' .. content.
        let m = message(42);
        let record = seat(&m.sender).expect("seat");
        let by_script = format!(
            "message:42:{record}\n{}",
            content(&m.id, &m.client_id, &m.body, m.ts).expect("content")
        );
        assert_eq!(encode(&RoomEvent::Message(m.clone())).ok().as_deref(), Some(&*by_script));
        assert_eq!(decode_message(&by_script).ok(), Some(m));
        assert!(!record.contains('\n'), "a seat record is one line: {record}");
    }

    #[test]
    fn what_is_not_a_burner_payload_is_refused_not_guessed() {
        for bad in [
            "",
            "no kind",
            "message:x:{}\n{}",
            "message:1:{\"id\":\"s\",\"name\":\"n\"}",
            "message:1:{}\n{}",
            "online:not json",
            "ended:later",
            "shouted:{}",
            r#"{"type":"message","seq":1}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        assert!(decode_message("ended:expired").is_err(), "history holds only messages");
    }
}
