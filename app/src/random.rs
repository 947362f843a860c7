//! Random values for both sides, from the platform's cryptographic generator (the browser's
//! `crypto.getRandomValues`, the kernel on the server) without a userspace RNG in the wasm.

/// URL-safe characters: 64 of them, so a random byte's low six bits pick one without bias.
use crate::base64url::ALPHABET as URL_SAFE;

/// `N` random bytes; `None` only on a platform without a generator (browsers and Linux have
/// one), never predictable bytes.
pub fn bytes<const N: usize>() -> Option<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes)
}

/// `len` random URL-safe characters (6 bits each).
pub fn url_safe_id(len: usize) -> Option<String> {
    let mut random = vec![0u8; len];
    getrandom::fill(&mut random).ok()?;
    Some(random.into_iter().map(|byte| char::from(URL_SAFE[usize::from(byte & 63)])).collect())
}

/// A random element of `items` (a byte's bias for lists that do not divide 256 is irrelevant
/// where this is used: display names).
pub fn pick<T: Copy>(items: &[T]) -> Option<T> {
    let [byte] = bytes::<1>()?;
    items.get(usize::from(byte) % items.len().max(1)).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_url_safe_and_as_long_as_asked() {
        for len in [0, 1, 16, 32, 33, 70] {
            let id = url_safe_id(len).expect("a generator");
            assert_eq!(id.len(), len);
            assert!(id.bytes().all(|b| URL_SAFE.contains(&b)), "{id}");
        }
        assert_ne!(url_safe_id(16), url_safe_id(16));
    }

    #[test]
    fn picks_come_from_the_list() {
        let items = ['a', 'b', 'c'];
        for _ in 0..20 {
            assert!(pick(&items).is_some_and(|c| items.contains(&c)));
        }
        assert_eq!(pick::<char>(&[]), None);
    }
}
