//! How a client address is named where it outlives a request: in Redis's per-address sets and
//! in the embedded store's count of rooms per address. Never the address itself, nor a plain
//! hash of it (there are few addresses: a plain hash is reversed by trying them all), but a
//! keyed hash (HMAC-SHA-256) under a secret that every instance sharing Redis is given
//! (`backend.address-secret`); the embedded backend makes one for its process.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::sync::Arc;

/// The secret key that names client addresses.
#[derive(Clone)]
pub struct AddressSecret(Arc<[u8]>);

impl AddressSecret {
    /// The operator's secret, as the setting holds it.
    pub fn new(secret: &str) -> Self {
        AddressSecret(secret.as_bytes().into())
    }

    /// A secret of this process alone (the embedded backend's): 256 random bits.
    pub fn random() -> Self {
        AddressSecret::new(&nanoid::nanoid!(43))
    }

    /// The name of `address` under this secret: 24 hex characters (96 bits).
    pub fn name(&self, address: &str) -> String {
        // HMAC takes a key of any length: this cannot fail.
        let mut mac = match Hmac::<Sha256>::new_from_slice(&self.0) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC accepts keys of every length"),
        };
        mac.update(address.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..12])
    }
}

impl std::fmt::Debug for AddressSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AddressSecret(hidden)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_address_is_named_by_its_secret_and_never_appears_in_its_name() {
        let (one, other) = (AddressSecret::new("first secret"), AddressSecret::new("second"));
        let name = one.name("127.0.0.4");
        assert_eq!(name, one.name("127.0.0.4"), "the same address, the same name");
        assert_ne!(name, one.name("127.0.0.5"));
        assert_ne!(name, other.name("127.0.0.4"), "another secret, another name");
        assert!(!name.contains("127"));
        assert_eq!(name.len(), 24);
        // Not the plain SHA-256 that anyone could compute from the address alone.
        use sha2::Digest;
        assert!(!hex::encode(Sha256::digest(b"127.0.0.4")).starts_with(&name));
        assert!(!format!("{one:?}").contains("first"));
    }
}
