//! base64url without padding (RFC 4648 §5), strict: the encoding of sealed values and of the
//! room key in a link. Written out here rather than taken from the `base64` crate, whose general
//! engine was 9 KB of the wasm for these few calls; a property test holds it to that crate's
//! behaviour (`URL_SAFE_NO_PAD`: no padding, no stray characters, no stray trailing bits).

pub(crate) const ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// `bytes` as base64url, no padding.
pub fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let byte = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let bits = (byte(0) << 16) | (byte(1) << 8) | byte(2);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((bits >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out
}

/// Each byte's place in [`ALPHABET`], or 0xFF for a byte that is not in it.
const VALUES: [u8; 256] = {
    let mut table = [0xFF; 256];
    let mut i = 0;
    while i < ALPHABET.len() {
        table[ALPHABET[i] as usize] = i as u8;
        i += 1;
    }
    table
};

fn value(c: u8) -> Option<u32> {
    let v = VALUES[usize::from(c)];
    (v < 64).then_some(u32::from(v))
}

/// How many bytes `chars` characters of base64url hold, if that is a possible length.
pub fn decoded_len(chars: usize) -> Option<usize> {
    let tail = match chars % 4 {
        0 => 0,
        2 => 1,
        3 => 2,
        _ => return None,
    };
    Some(chars / 4 * 3 + tail)
}

/// Decodes `text` into the start of `out` and returns how many bytes it wrote; `None` when
/// `text` is not canonical base64url without padding, or does not fit.
pub fn decode_into(text: &str, out: &mut [u8]) -> Option<usize> {
    let input = text.as_bytes();
    let len = decoded_len(input.len())?;
    let out = out.get_mut(..len)?;
    for (chunk, bytes) in input.chunks(4).zip(out.chunks_mut(3)) {
        let mut bits = 0;
        for (i, &c) in chunk.iter().enumerate() {
            bits |= value(c)? << (18 - 6 * i);
        }
        // A short last group must leave the bits after its last byte zero.
        if bytes.len() < 3 && bits & (0xFF_FFFF >> (8 * bytes.len())) != 0 {
            return None;
        }
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = (bits >> (16 - 8 * i)) as u8;
        }
    }
    Some(len)
}

/// What `text` decodes to, without decoding it: how many bytes, and the first of them; `None`
/// when it is not canonical base64url without padding (exactly when [`decode`] says so). The
/// server's check of every sealed message, which it cannot open.
pub fn peek(text: &str) -> Option<(usize, Option<u8>)> {
    let input = text.as_bytes();
    let len = decoded_len(input.len())?;
    // One pass with no branch per character: any byte outside the alphabet sets a high bit.
    if input.iter().fold(0, |seen, &c| seen | VALUES[usize::from(c)]) >= 64 {
        return None;
    }
    // A short last group must leave the bits after its last byte zero: of its last
    // character, the low 4 bits after one byte, the low 2 after two.
    let unused = match input.len() % 4 {
        2 => 0x0F,
        3 => 0x03,
        _ => 0,
    };
    if input.last().and_then(|&c| value(c)).is_some_and(|last| last & unused != 0) {
        return None;
    }
    let first = match input {
        [a, b, ..] => Some(((value(*a)? << 2) | (value(*b)? >> 4)) as u8),
        _ => None,
    };
    Some((len, first))
}

/// `text` decoded, or `None` when it is not canonical base64url without padding.
pub fn decode(text: &str) -> Option<Vec<u8>> {
    let mut out = vec![0; decoded_len(text.len())?];
    decode_into(text, &mut out)?;
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn encoding_matches_the_base64_crate(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(encode(&bytes), URL_SAFE_NO_PAD.encode(&bytes));
            prop_assert_eq!(decode(&encode(&bytes)), Some(bytes));
        }

        #[test]
        fn peeking_agrees_with_decoding(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            let decoded = decode(&text).map(|bytes| (bytes.len(), bytes.first().copied()));
            prop_assert_eq!(peek(&text), decoded);
        }

        #[test]
        fn peeking_at_an_encoding_finds_its_length_and_first_byte(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            prop_assert_eq!(peek(&encode(&bytes)), Some((bytes.len(), bytes.first().copied())));
        }

        #[test]
        fn decoding_accepts_and_refuses_what_the_base64_crate_does(text in "[A-Za-z0-9_=+/ -]{0,40}") {
            prop_assert_eq!(decode(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }

        #[test]
        fn a_changed_character_is_decoded_as_the_crate_does(
            bytes in proptest::collection::vec(any::<u8>(), 1..60),
            at in any::<prop::sample::Index>(),
            to in "[A-Za-z0-9_-]",
        ) {
            let mut text = encode(&bytes);
            let i = at.index(text.len());
            text.replace_range(i..=i, &to);
            prop_assert_eq!(decode(&text), URL_SAFE_NO_PAD.decode(&text).ok());
        }
    }

    #[test]
    fn what_does_not_fit_is_refused() {
        let mut small = [0u8; 2];
        assert_eq!(decode_into("AAAA", &mut small), None);
        assert_eq!(decode_into("AAA", &mut small), Some(2));
        assert_eq!(decoded_len(5), None);
    }
}
