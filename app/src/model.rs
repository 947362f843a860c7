//! Domain types shared by the browser and the server: room ids, messages, lifetimes and limits.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Longest username, in characters.
pub const USERNAME_MAX_CHARS: usize = 100;
/// Longest message, in characters, after trimming.
pub const MESSAGE_MAX_CHARS: usize = 1000;
/// Largest WebSocket frame a client may send, in bytes.
pub const FRAME_MAX_BYTES: usize = 16 * 1024;
/// Longest client-chosen message id.
pub const CLIENT_ID_MAX_CHARS: usize = 64;
/// Fewest and most seats a room may be created with.
pub const CAPACITY_RANGE: (u8, u8) = (2, 10);
/// Characters in a room id.
pub const ROOM_ID_LEN: usize = 16;
/// Characters in a seat id (chosen at random by the joining browser, so it can seal its name
/// for its seat before it has one).
pub const SEAT_ID_LEN: usize = 12;

/// Whether `id` has a seat id's shape: [`SEAT_ID_LEN`] URL-safe characters.
pub fn is_seat_id(id: &str) -> bool {
    id.len() == SEAT_ID_LEN && id.bytes().all(|b| crate::base64url::ALPHABET.contains(&b))
}

/// A room's public identifier: 16 characters of the URL-safe nanoid alphabet.
///
/// Parsing is the only way to build one from outside, so every id that reaches a store or a
/// key name has been checked.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RoomId(String);

impl RoomId {
    /// A new random id (about 95 bits of entropy: the link is the invitation). Made on the
    /// server only.
    #[cfg(feature = "ssr")]
    pub fn generate() -> Self {
        RoomId(nanoid::nanoid!(ROOM_ID_LEN))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The first eight characters, for display.
    pub fn short(&self) -> &str {
        &self.0[..8]
    }
}

/// Why a string is not a room id.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a room id is {ROOM_ID_LEN} characters of A-Z, a-z, 0-9, '_' or '-'")]
pub struct BadRoomId;

impl TryFrom<String> for RoomId {
    type Error = BadRoomId;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        let ok = value.len() == ROOM_ID_LEN
            && value.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if ok { Ok(RoomId(value)) } else { Err(BadRoomId) }
    }
}

impl std::str::FromStr for RoomId {
    type Err = BadRoomId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RoomId::try_from(s.to_owned())
    }
}

impl From<RoomId> for String {
    fn from(id: RoomId) -> Self {
        id.0
    }
}

impl fmt::Display for RoomId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A seat in a room, as everyone in it sees it: an opaque id and the holder's name, sealed
/// with the room key (the server never reads it).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Seat {
    /// Public, random id of the seat (not its token): who is who.
    pub id: String,
    /// The holder's display name, sealed ([`crate::envelope`]).
    pub name: String,
}

/// One stored chat message, as every participant sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Position in the room, from 1, without gaps.
    pub seq: u64,
    /// Server-assigned id.
    pub id: String,
    /// The id the sender's browser chose, so it can match the message to its pending copy.
    pub client_id: String,
    /// The sender's seat, taken from the seat that sent it.
    pub sender: Seat,
    /// The message text, sealed ([`crate::envelope`]).
    pub body: String,
    /// When the server stored it, Unix milliseconds.
    pub ts: u64,
}

/// Messages of a room after some sequence number.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct History {
    pub messages: Vec<ChatMessage>,
    /// The room's latest sequence number (0 when nothing was said yet).
    pub seq: u64,
    /// True when older messages were dropped by the history cap.
    pub truncated: bool,
    /// True when the server keeps older messages than these that this page leaves out: ask
    /// for them with `before` set to the first one's `seq`.
    #[serde(default)]
    pub more: bool,
}

/// Messages a page of history holds at most (the room page, a socket's catch-up, "Load older
/// messages").
pub const HISTORY_PAGE: u32 = 50;

/// Whether a message stored at `ts` is past its room's disappearing-message timer at `now`
/// (never, without one).
pub fn message_expired(ts: u64, timer_ms: Option<u64>, now: u64) -> bool {
    timer_ms.is_some_and(|timer| ts.saturating_add(timer) <= now)
}

/// Who may destroy a room, chosen at its creation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Destroyers {
    /// Anyone seated in the room (and anyone holding its whole link).
    #[default]
    Anyone,
    /// Only whoever created it: the room's first seat.
    Creator,
}

/// How a room ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EndReason {
    Destroyed,
    Expired,
}

impl EndReason {
    /// The query string the home page shows a banner for.
    pub fn home_query(self) -> &'static str {
        match self {
            EndReason::Destroyed => "/?destroyed=1",
            EndReason::Expired => "/?expired=1",
        }
    }
}

/// The text without surrounding white space, and its length in characters (not bytes).
fn trimmed(text: &str) -> (&str, usize) {
    let trimmed = text.trim();
    (trimmed, trimmed.chars().count())
}

/// Trims a message and checks its length; the error says what is wrong in words.
pub fn clean_message(text: &str) -> Result<&str, String> {
    let (trimmed, chars) = trimmed(text);
    if chars == 0 {
        Err("A message cannot be empty.".into())
    } else if chars > MESSAGE_MAX_CHARS {
        Err(format!("A message is at most {MESSAGE_MAX_CHARS} characters (this one has {chars})."))
    } else {
        Ok(trimmed)
    }
}

/// Trims a username and checks it: 1 to 100 characters, none of which can hide or disguise
/// text (control characters, zero-width characters, bidirectional overrides).
pub fn clean_username(name: &str) -> Result<&str, String> {
    let (trimmed, chars) = trimmed(name);
    if chars == 0 {
        Err("Choose a name of at least one character.".into())
    } else if chars > USERNAME_MAX_CHARS {
        Err(format!("A name is at most {USERNAME_MAX_CHARS} characters."))
    } else if let Some(c) = trimmed.chars().find(|c| disguises(*c)) {
        Err(format!(
            "A name cannot contain invisible or direction-changing characters (U+{:04X}).",
            u32::from(c)
        ))
    } else {
        Ok(trimmed)
    }
}

/// Characters a room's passphrase has at least, and at most.
pub const PASSPHRASE_CHARS: (usize, usize) = (8, 200);

/// Trims a room's passphrase (spaces copied around it are not part of it) and checks its length.
/// It never leaves the browser: this is the page's rule, the server never sees one.
pub fn clean_passphrase(passphrase: &str) -> Result<&str, String> {
    let (trimmed, chars) = trimmed(passphrase);
    let (min, max) = PASSPHRASE_CHARS;
    if chars < min {
        Err(format!("A passphrase has at least {min} characters: a few words are best."))
    } else if chars > max {
        Err(format!("A passphrase is at most {max} characters."))
    } else {
        Ok(trimmed)
    }
}

/// How a name looks, for telling look-alikes apart. Two names with one look may be taken for
/// each other, so the page tags both (docs/DECISIONS.md).
///
/// With Unicode's confusables (`table`, fetched once a room has names to compare): UTS #39's
/// skeleton, lowercased, and the skeleton of that, with `i` read as `l` (so capitals and small
/// letters count as one: the skeleton draws a capital `I` like `l`).
/// Until the table is there (or if it cannot be fetched): a short table of the usual suspects,
/// letters drawn like Latin ones (Cyrillic, Greek, Armenian, fullwidth forms, `0` for `o`, `1`,
/// `I` and `i` for `l`) become those, everything is lowercased, and `rn` reads as `m`.
pub fn look(name: &str, table: Option<&crate::confusables::Confusables>) -> String {
    match table {
        Some(table) => table.skeleton(&table.skeleton(name).to_lowercase()).replace('i', "l"),
        None => {
            let latin: String = name.chars().map(latin_look).collect();
            latin.to_lowercase().replace("rn", "m").replace("vv", "w")
        }
    }
}

/// The Latin letter `c` is drawn like, if any (a short table of the usual suspects, not all of
/// Unicode's confusables).
fn latin_look(c: char) -> char {
    match c {
        // Fullwidth ASCII.
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(u32::from(c) - 0xFEE0).unwrap_or(c),
        'А' | 'Α' => 'A',
        'В' | 'Β' => 'B',
        'С' | 'Ϲ' => 'C',
        'Е' | 'Ε' => 'E',
        'Н' | 'Η' => 'H',
        // Capital I, small l, one and bar are drawn alike in many fonts; small i joins them
        // so that a name and its capitals look alike too (a tag too many is harmless).
        'І' | 'Ι' | 'Ӏ' | 'I' | 'i' | '1' | '|' => 'l',
        'Ј' => 'J',
        'К' | 'Κ' => 'K',
        'М' | 'Μ' => 'M',
        'Ν' => 'N',
        'О' | 'Ο' | '0' => 'O',
        'Р' | 'Ρ' => 'P',
        'Ѕ' => 'S',
        'Т' | 'Τ' => 'T',
        'У' | 'Υ' => 'Y',
        'Х' | 'Χ' => 'X',
        'Ζ' => 'Z',
        'а' | 'α' => 'a',
        'ԁ' => 'd',
        // Armenian.
        'օ' => 'o',
        'ս' => 'u',
        'հ' => 'h',
        'ո' => 'n',
        'е' => 'e',
        'һ' => 'h',
        'і' | 'ι' | 'ӏ' => 'l',
        'ј' => 'j',
        'о' | 'ο' => 'o',
        'р' | 'ρ' => 'p',
        'ԛ' => 'q',
        'с' | 'ϲ' => 'c',
        'ѕ' => 's',
        'у' => 'y',
        'ν' => 'v',
        'ԝ' => 'w',
        'х' | 'χ' => 'x',
        other => other,
    }
}

/// Characters that can make a name look like another: controls, zero-width and formatting
/// characters, and bidirectional embeddings, overrides and isolates.
fn disguises(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{00AD}'
                | '\u{034F}'
                | '\u{061C}'
                | '\u{115F}'
                | '\u{1160}'
                | '\u{17B4}'
                | '\u{17B5}'
                | '\u{180B}'..='\u{180F}'
                | '\u{200B}'..='\u{200F}'
                | '\u{202A}'..='\u{202E}'
                | '\u{2060}'..='\u{206F}'
                | '\u{3164}'
                | '\u{FE00}'..='\u{FE0F}'
                | '\u{FEFF}'
                | '\u{FFA0}'
                | '\u{FFF9}'..='\u{FFFB}'
        )
}

/// Unix time in milliseconds (the browser's clock in the browser: no date library in the wasm).
pub fn now_ms() -> u64 {
    #[cfg(feature = "ssr")]
    let now = u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap_or(0);
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let now = js_sys::Date::now() as u64;
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX));
    now
}

/// `ts` (Unix ms) as ISO 8601 in UTC with milliseconds, `2026-11-28T07:05:00.000Z`: the same
/// text on both sides (chrono on the server, the browser's `Date` in it).
pub fn iso_time(ts: u64) -> String {
    #[cfg(feature = "ssr")]
    let iso = i64::try_from(ts)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default();
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let iso = String::from(
        js_sys::Date::new(&wasm_bindgen::JsValue::from_f64(ts as f64)).to_iso_string(),
    );
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let iso = format!("{ts}");
    iso
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_drawn_alike_look_alike_and_others_do_not() {
        #[cfg(feature = "ssr")]
        let full = Some(&*crate::confusables::tests::TABLE);
        #[cfg(not(feature = "ssr"))]
        let full = None;
        // The short table while Unicode's is not there, and Unicode's.
        for table in [None, full] {
            let look = |name: &str| look(name, table);
            // Latin "bob" and "bоb" with a Cyrillic о; "ALICE" in Greek capitals; fullwidth; l/I/1.
            assert_eq!(look("bob"), look("b\u{043E}b"));
            assert_eq!(look("alice"), look("\u{0391}LICE"));
            assert_eq!(look("alice"), look("ALICE"));
            assert_eq!(look("owl"), look("\u{FF4F}\u{FF57}\u{FF4C}"));
            assert_eq!(look("bill"), look("biII"));
            assert_eq!(look("bill"), look("bi11"));
            assert_eq!(look("modern"), look("rnodem"));
            // The audit's: an Armenian օ (U+0585).
            assert_eq!(look("bob"), look("b\u{0585}b"));
            assert_ne!(look("bob"), look("rob"));
            assert_ne!(look("anonymous-panda-a61hm"), look("anonymous-panda-a61hn"));
        }
        // What only Unicode's table tells apart: mathematical letters, Cherokee, and an é
        // typed as one character or as e and an accent.
        if let Some(table) = full {
            let look = |name: &str| look(name, Some(table));
            assert_eq!(look("alice"), look("\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}"));
            assert_eq!(look("Jos\u{00E9}"), look("Jose\u{0301}"));
            assert_eq!(look("SHE"), look("\u{13DA}\u{13BB}\u{13AC}"));
        }
    }

    #[test]
    fn a_passphrase_is_trimmed_and_has_8_to_200_characters() {
        assert_eq!(clean_passphrase("  correct horse battery  "), Ok("correct horse battery"));
        assert_eq!(clean_passphrase("ünïcödé"), Err(clean_passphrase("short").unwrap_err()));
        assert_eq!(clean_passphrase("ünïcödé!"), Ok("ünïcödé!"), "characters, not bytes");
        assert!(clean_passphrase("        seven  ").unwrap_err().contains("at least 8"));
        assert!(clean_passphrase(&"x".repeat(201)).unwrap_err().contains("at most 200"));
        assert!(clean_passphrase(&"x".repeat(200)).is_ok());
    }

    #[test]
    #[cfg(feature = "ssr")]
    fn a_generated_room_id_parses_back() {
        let id = RoomId::generate();
        assert_eq!(id.as_str().parse::<RoomId>(), Ok(id.clone()));
        assert_eq!(id.short().len(), 8);
    }

    #[test]
    #[cfg(feature = "ssr")]
    fn times_are_iso_8601_in_utc_with_milliseconds() {
        // What the browser's Date.toISOString() gives for the same instant.
        assert_eq!(iso_time(1_795_849_500_123), "2026-11-28T07:05:00.123Z");
        assert_eq!(iso_time(0), "1970-01-01T00:00:00.000Z");
    }

    #[test]
    fn room_ids_of_the_wrong_shape_are_refused() {
        for bad in ["", "short", "abcdefghijklmnop!", "abcdefghijklmno/", "ünicodeünicodeün"] {
            assert_eq!(bad.parse::<RoomId>(), Err(BadRoomId), "{bad:?}");
        }
        assert!(serde_json::from_str::<RoomId>("\"../../etc/passwd\"").is_err());
    }

    #[test]
    fn messages_are_trimmed_and_limited_in_characters_not_bytes() {
        assert_eq!(clean_message("  hi \n"), Ok("hi"));
        assert!(clean_message(" \n\t").is_err());
        let thousand_hearts = "♥".repeat(MESSAGE_MAX_CHARS);
        assert!(clean_message(&thousand_hearts).is_ok());
        let err = clean_message(&format!("{thousand_hearts}x")).unwrap_err();
        assert!(err.contains("1001"), "{err}");
    }

    #[test]
    fn usernames_are_one_to_a_hundred_characters() {
        assert!(clean_username("").is_err());
        assert!(clean_username(&"a".repeat(100)).is_ok());
        assert!(clean_username(&"a".repeat(101)).is_err());
        assert_eq!(clean_username("  Zoë 🔥 "), Ok("Zoë 🔥"));
    }

    #[test]
    fn names_that_hide_or_reverse_text_are_refused() {
        for bad in
            ["al\u{202E}ecila", "bob\u{200B}", "a\u{0007}b", "x\u{2066}y", "\u{FEFF}eve", "a\nb"]
        {
            let err = clean_username(bad).err().unwrap_or_default();
            assert!(err.contains("invisible or direction-changing"), "{bad:?}: {err}");
        }
    }
}
