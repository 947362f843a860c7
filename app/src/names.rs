//! Anonymous names: `anonymous-<animal>-<5 chars>`.

use crate::random;

const ANIMALS: [&str; 24] = [
    "wolf", "fox", "owl", "otter", "lynx", "raven", "badger", "heron", "marten", "falcon", "hare",
    "seal", "moth", "newt", "crane", "viper", "bison", "gecko", "koala", "panda", "shark", "tiger",
    "yak", "zebra",
];

const SUFFIX_ALPHABET: [char; 36] = [
    'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o', 'p', 'q', 'r', 's',
    't', 'u', 'v', 'w', 'x', 'y', 'z', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9',
];

/// A fresh anonymous name.
pub fn anonymous_name() -> String {
    let animal = random::pick(&ANIMALS).unwrap_or("wolf");
    let suffix: String = (0..5).filter_map(|_| random::pick(&SUFFIX_ALPHABET)).collect();
    format!("anonymous-{animal}-{suffix}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn anonymous_names_have_an_animal_and_five_characters() {
        for _ in 0..50 {
            let name = anonymous_name();
            let parts: Vec<&str> = name.split('-').collect();
            assert_eq!(parts.len(), 3, "{name}");
            assert_eq!(parts[0], "anonymous");
            assert!(ANIMALS.contains(&parts[1]), "{name}");
            assert_eq!(parts[2].chars().count(), 5);
            assert!(parts[2].chars().all(|c| SUFFIX_ALPHABET.contains(&c)));
        }
    }

    #[test]
    fn anonymous_names_differ() {
        assert_ne!(anonymous_name(), anonymous_name());
    }
}
