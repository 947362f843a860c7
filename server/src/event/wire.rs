//! The one encoding of what Burner keeps in Redis and sends between instances: seat records,
//! history entries and pub/sub payloads. Rust alone writes and reads them: every prefix and
//! separator below is written here and nowhere else. The Lua scripts store and publish the bytes
//! Rust gave them, adding only what they alone know: post.lua the sequence number (between the
//! two halves Rust made, [`message_halves`]), presence.lua the seat records online (joined with
//! the prefix and separator Rust passes, [`ONLINE`], [`SEPARATOR`]). As centrifuge's history
//! scripts prefix an offset to an opaque publication, none of them parses a payload.
//!
//! ```text
//! seat record  = JSON {"id","name"}                 (never holds a raw newline)
//! payload      = "message:" seq ":" seat "\n" content   a stored message (also the history
//!                                                       entry, as stored)
//!              | "online:" [seat *("\n" seat)]          everyone online now
//!              | "joined:" seat                         a seat taken
//!              | "left:" seat                           a seat given back
//!              | "removed:" seat                        a seat the creator removed
//!              | "locked:" ("1" | "0")                  the creator locked or unlocked the room
//!              | "typing:" seat                         someone is typing
//!              | "ended:" ("destroyed" | "expired")     the room is over
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

/// What a message holds besides its sequence number and sender.
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

/// What comes before a presence payload's seat records (presence.lua joins them to it).
pub const ONLINE: &str = "online:";
/// What stands between two seat records in a presence payload.
pub const SEPARATOR: &str = "\n";
const MESSAGE: &str = "message:";
const LEFT: &str = "left:";
const JOINED: &str = "joined:";
const TYPING: &str = "typing:";
const REMOVED: &str = "removed:";
const LOCKED: &str = "locked:";
const ENDED: &str = "ended:";

fn content(id: &str, client_id: &str, body: &str, ts: u64) -> Result<String, WireError> {
    let content = Content { id: id.into(), client_id: client_id.into(), body: body.into(), ts };
    Ok(serde_json::to_string(&content)?)
}

/// A new message's payload but for its sequence number, which goes between the two halves
/// (post.lua puts it there: only the store knows it).
pub fn message_halves(
    sender: &Seat,
    id: &str,
    client_id: &str,
    body: &str,
    ts: u64,
) -> Result<[String; 2], WireError> {
    let content = content(id, client_id, body, ts)?;
    Ok([MESSAGE.to_owned(), format!(":{}\n{content}", seat(sender)?)])
}

/// The payload of `event`, exactly as the scripts frame the events they publish.
pub fn encode(event: &RoomEvent) -> Result<String, WireError> {
    Ok(match event {
        RoomEvent::Message(m) => message_payload(m)?,
        RoomEvent::Presence(online) => {
            let records = online.iter().map(seat).collect::<Result<Vec<_>, _>>()?;
            format!("{ONLINE}{}", records.join(SEPARATOR))
        }
        RoomEvent::SeatLeft(left) => format!("{LEFT}{}", seat(left)?),
        RoomEvent::SeatJoined(joined) => format!("{JOINED}{}", seat(joined)?),
        RoomEvent::Typing(sender) => format!("{TYPING}{}", seat(sender)?),
        RoomEvent::SeatRemoved(removed) => format!("{REMOVED}{}", seat(removed)?),
        RoomEvent::Locked(locked) => format!("{LOCKED}{}", u8::from(*locked)),
        RoomEvent::Ended(EndReason::Destroyed) => format!("{ENDED}destroyed"),
        RoomEvent::Ended(EndReason::Expired) => format!("{ENDED}expired"),
    })
}

/// The history entry of `m`, as stored.
fn message_payload(m: &ChatMessage) -> Result<String, WireError> {
    let [head, tail] = message_halves(&m.sender, &m.id, &m.client_id, &m.body, m.ts)?;
    Ok(format!("{head}{}{tail}", m.seq))
}

/// The bytes `m` takes in a room's history as stored: what the history budget counts, in Redis
/// and (so that both backends keep the same messages) in the embedded store.
pub fn stored_len(m: &ChatMessage) -> u64 {
    message_payload(m).map_or(0, |payload| payload.len() as u64)
}

/// The event a payload (or a history entry) carries.
pub fn decode(payload: &str) -> Result<RoomEvent, WireError> {
    let after = |prefix: &str| payload.strip_prefix(prefix);
    Ok(if let Some(framed) = after(MESSAGE) {
        RoomEvent::Message(message(framed)?)
    } else if let Some(records) = after(ONLINE) {
        let seats = records.split(SEPARATOR).filter(|record| !record.is_empty());
        RoomEvent::Presence(seats.map(read_seat).collect::<Result<_, _>>()?)
    } else if let Some(record) = after(LEFT) {
        RoomEvent::SeatLeft(read_seat(record)?)
    } else if let Some(record) = after(JOINED) {
        RoomEvent::SeatJoined(read_seat(record)?)
    } else if let Some(record) = after(TYPING) {
        RoomEvent::Typing(read_seat(record)?)
    } else if let Some(record) = after(REMOVED) {
        RoomEvent::SeatRemoved(read_seat(record)?)
    } else if let Some(locked) = after(LOCKED) {
        RoomEvent::Locked(match locked {
            "1" => true,
            "0" => false,
            _ => return Err(WireError::Malformed("unknown lock")),
        })
    } else if let Some(reason) = after(ENDED) {
        RoomEvent::Ended(match reason {
            "destroyed" => EndReason::Destroyed,
            "expired" => EndReason::Expired,
            _ => return Err(WireError::Malformed("unknown end")),
        })
    } else {
        return Err(WireError::Malformed("unknown kind"));
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
            RoomEvent::SeatJoined(seat_of("c")),
            RoomEvent::SeatRemoved(seat_of("d")),
            RoomEvent::Locked(true),
            RoomEvent::Locked(false),
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
    fn a_seat_record_is_one_line() {
        // Presence payloads and messages rely on it (tests/api/wire.rs runs the real scripts).
        let record = seat(&seat_of("s1")).expect("seat");
        assert!(!record.contains(SEPARATOR), "{record}");
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
            "locked:yes",
            "removed:",
            "shouted:{}",
            r#"{"type":"message","seq":1}"#,
        ] {
            assert!(decode(bad).is_err(), "{bad:?}");
        }
        assert!(decode_message("ended:expired").is_err(), "history holds only messages");
    }
}
