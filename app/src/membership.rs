//! Proving membership of a room. The link's secret yields, by HKDF, a membership secret
//! ([`crate::envelope::MEMBER_INFO`]) separate from the sealing key. The creator registers its
//! verifier, SHA-256 of the secret, with the new room; the server keeps only the verifier (it
//! cannot turn it back into the secret). Every call that acts on a room without a seat — joining,
//! or destroying without one — sends the secret as its proof, and the server compares its
//! SHA-256 with the verifier in constant time. Someone with only the room id has no proof.

use crate::base64url;

/// Bytes of the membership secret, and of its verifier.
pub const SECRET_LEN: usize = 32;
/// Characters of either, in base64url without padding.
pub const ENCODED_LEN: usize = 43;

/// Whether `encoded` is 32 bytes in base64url: the shape of a proof and of a verifier.
pub fn well_formed(encoded: &str) -> bool {
    encoded.len() == ENCODED_LEN
        && base64url::decode(encoded).is_some_and(|b| b.len() == SECRET_LEN)
}

#[cfg(feature = "ssr")]
pub use ssr::{proves, verifier_of};

#[cfg(feature = "ssr")]
mod ssr {
    use crate::base64url;
    use sha2::{Digest, Sha256};
    use subtle::ConstantTimeEq;

    /// Whether `proof` is the secret whose verifier is `verifier` (constant time in the
    /// proof's and verifier's bytes).
    pub fn proves(proof: &str, verifier: &str) -> bool {
        let (Some(proof), Some(verifier)) = (base64url::decode(proof), base64url::decode(verifier))
        else {
            return false;
        };
        Sha256::digest(&proof).as_slice().ct_eq(&verifier).into()
    }

    /// The verifier of an encoded membership secret (what a creator registers).
    pub fn verifier_of(proof: &str) -> Option<String> {
        let secret = base64url::decode(proof)?;
        Some(base64url::encode(&Sha256::digest(&secret)))
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_proves_membership() {
        let secret = base64url::encode(&[7u8; SECRET_LEN]);
        let verifier = verifier_of(&secret).unwrap_or_default();
        assert!(well_formed(&secret) && well_formed(&verifier));
        assert!(proves(&secret, &verifier));
        assert!(!proves(&verifier, &verifier), "the verifier is no proof");
        assert!(!proves(&base64url::encode(&[8u8; SECRET_LEN]), &verifier));
        assert!(!proves("", &verifier));
        assert!(!proves("not base64!", &verifier));
        assert!(!well_formed(&secret[1..]));
    }
}
