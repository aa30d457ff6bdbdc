//! Keyed blind indexes: look up an owner by identifier without storing the identifier.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use zeroize::Zeroizing;

/// The HMAC key of the blind indexes. Without it, an index value reveals nothing and cannot be
/// brute-forced over the (small) space of personal IDs.
pub struct BlindIndexKey(Zeroizing<[u8; 32]>);

impl BlindIndexKey {
    pub(crate) fn new(bytes: Zeroizing<[u8; 32]>) -> Self {
        Self(bytes)
    }

    /// `HMAC-SHA256(key, domain ‖ 0x00 ‖ value)` as lower-case hex. The domain separates uses,
    /// so that an index of one kind can never be matched against another.
    pub fn index(&self, domain: &str, value: &str) -> String {
        // HMAC accepts keys of any length; a 32-byte key cannot fail.
        let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(self.0.as_slice()) else {
            return String::new();
        };
        mac.update(domain.as_bytes());
        mac.update(&[0]);
        mac.update(value.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

impl std::fmt::Debug for BlindIndexKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlindIndexKey(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_value_gives_the_same_index_and_domains_are_separated() {
        let key = BlindIndexKey::new(Zeroizing::new([7; 32]));
        let other = BlindIndexKey::new(Zeroizing::new([8; 32]));
        assert_eq!(
            key.index("owner", "citizen:035199000123"),
            key.index("owner", "citizen:035199000123")
        );
        assert_ne!(
            key.index("owner", "citizen:035199000123"),
            key.index("alias", "citizen:035199000123")
        );
        assert_ne!(
            key.index("owner", "citizen:035199000123"),
            other.index("owner", "citizen:035199000123")
        );
        assert!(
            !key.index("owner", "citizen:035199000123")
                .contains("035199000123")
        );
    }
}
