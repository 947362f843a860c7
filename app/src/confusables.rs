//! Unicode's confusables (UTS #39): the *skeleton* two strings share when they are drawn alike
//! (`bօb` and `bob`, `𝐚𝐥𝐢𝐜𝐞` and `alice`, an `é` typed as one character or as two).
//!
//! The table (some 10,900 characters, each with the characters it is drawn like) is not built
//! into the WebAssembly, where it would weigh on every first visit: the server makes it from the
//! `unicode-security` crate ([`table_text`]) and serves it at [`PATH`], and a room's page fetches
//! it once two names need comparing. The path names the Unicode version of the data, so it is
//! cached for good. The browser decomposes (NFD) with its own `String.normalize`.
//!
//! [`Confusables::skeleton`] is the crate's `skeleton` with the table as data: decompose, map
//! each character to its prototype, decompose again (the tests hold the two to each other).

use std::collections::HashMap;

/// Where the table is served: the Unicode version of its data is in the name (a test holds it
/// to the crate's), so a browser may keep it for good.
pub const PATH: &str = "/confusables-18.0.0.txt";

/// Each character drawn like something else, with what it is drawn like (its prototype,
/// decomposed: empty for a character drawn as nothing).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Confusables(HashMap<char, Box<str>>);

impl Confusables {
    /// Reads the table as served: one line a character, the character then its prototype.
    pub fn parse(text: &str) -> Self {
        let table = text
            .split('\n')
            .filter_map(|line| {
                let mut chars = line.chars();
                let source = chars.next()?;
                Some((source, chars.as_str().into()))
            })
            .collect();
        Confusables(table)
    }

    /// How many characters the table maps.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the table maps nothing.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// UTS #39's skeleton of `text`: the same for two strings drawn alike.
    pub fn skeleton(&self, text: &str) -> String {
        let mapped: String = nfd(text)
            .chars()
            .map(|c| self.0.get(&c).map_or_else(|| c.to_string(), |to| to.to_string()))
            .collect();
        nfd(&mapped)
    }
}

/// `text` decomposed (Unicode's NFD): by the browser in the browser, by the
/// `unicode-normalization` crate on the server and in tests.
pub fn nfd(text: &str) -> String {
    #[cfg(feature = "ssr")]
    let decomposed = {
        use unicode_normalization::UnicodeNormalization;
        text.nfd().collect()
    };
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    let decomposed = String::from(js_sys::JsString::from(text).normalize("NFD"));
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    let decomposed = text.to_owned();
    decomposed
}

/// The table as served at [`PATH`]: every character that is its own decomposition and whose
/// skeleton (by the `unicode-security` crate) is not itself, one line each, the character then
/// its skeleton. A character that decomposes is never looked up: the page decomposes first.
#[cfg(feature = "ssr")]
pub fn table_text() -> String {
    use unicode_normalization::UnicodeNormalization;
    let mut text = String::new();
    for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
        // A line ends at a line feed; no prototype holds one.
        if c == '\n' || !c.to_string().nfd().eq(std::iter::once(c)) {
            continue;
        }
        let single = c.to_string();
        let skeleton: String = unicode_security::skeleton(&single).collect();
        if skeleton != single && !skeleton.contains('\n') {
            text.push(c);
            text.push_str(&skeleton);
            text.push('\n');
        }
    }
    text
}

#[cfg(all(test, feature = "ssr"))]
pub(crate) mod tests {
    use super::*;

    /// The table as the server serves it, read once for every test.
    pub(crate) static TABLE: std::sync::LazyLock<Confusables> =
        std::sync::LazyLock::new(|| Confusables::parse(&table_text()));

    fn crate_skeleton(text: &str) -> String {
        unicode_security::skeleton(text).collect()
    }

    #[test]
    fn the_path_names_the_unicode_version_of_the_data() {
        let (major, minor, patch) = unicode_security::UNICODE_VERSION;
        assert_eq!(PATH, format!("/confusables-{major}.{minor}.{patch}.txt"));
    }

    #[test]
    fn the_table_maps_thousands_of_characters() {
        assert!(TABLE.len() > 10_000, "{}", TABLE.len());
        assert_eq!(TABLE.0.get(&'\u{0585}').map(|p| &**p), Some("o"), "Armenian օ");
        assert_eq!(TABLE.0.get(&'\u{1D41A}').map(|p| &**p), Some("a"), "bold 𝐚");
    }

    #[test]
    fn every_character_alone_has_the_crates_skeleton() {
        for c in (0..=u32::from(char::MAX)).step_by(7).filter_map(char::from_u32) {
            if c == '\n' {
                continue;
            }
            let single = c.to_string();
            assert_eq!(TABLE.skeleton(&single), crate_skeleton(&single), "U+{:04X}", u32::from(c));
        }
    }

    #[test]
    fn names_have_the_crates_skeleton() {
        for name in [
            "bob",
            "b\u{0585}b",
            "\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}",
            "Jos\u{00E9}",
            "Jose\u{0301}",
            "rnodern",
            "\u{0410}\u{041B}\u{0418}\u{0421}\u{0415}",
            "ǅungla",
            "a\u{0328}\u{0301}\u{0323}b",
            "한국어",
            "ﬁsh",
            "",
        ] {
            assert_eq!(TABLE.skeleton(name), crate_skeleton(name), "{name}");
        }
    }

    #[test]
    fn names_drawn_alike_share_a_skeleton() {
        assert_eq!(TABLE.skeleton("b\u{0585}b"), TABLE.skeleton("bob"));
        assert_eq!(TABLE.skeleton("Jos\u{00E9}"), TABLE.skeleton("Jose\u{0301}"));
        assert_eq!(
            TABLE.skeleton("\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}"),
            TABLE.skeleton("alice")
        );
        assert_ne!(TABLE.skeleton("bob"), TABLE.skeleton("rob"));
    }

    #[test]
    fn a_table_read_back_is_the_table() {
        let text = table_text();
        let lines = text.lines().count();
        assert_eq!(TABLE.len(), lines);
        assert!(Confusables::parse("").is_empty());
    }
}
