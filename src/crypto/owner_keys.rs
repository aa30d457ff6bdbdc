//! One data key per owner, wrapped by a master key; sub-keys for content and metadata are
//! derived from it, so destroying the wrapped data key shreds everything the owner stored.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;
use uuid::Uuid;
use zeroize::Zeroizing;

use super::{IntegrityError, random_bytes};

const WRAP_CONTEXT: &[u8] = b"kho/owner-key/v1\0";
const NONCE_LEN: usize = 12;

/// An owner's 256-bit data key, in memory only while in use.
pub struct DataKey(Zeroizing<[u8; 32]>);

impl DataKey {
    pub fn generate() -> Result<Self, IntegrityError> {
        Ok(Self(Zeroizing::new(random_bytes()?)))
    }

    /// A key derived from a secret of at least 256 bits that only its holder presents (a
    /// `request_uri`'s handle, stored only as its hash), for `purpose`: what it seals opens only
    /// for whoever presents the secret again.
    pub fn from_secret(secret: &str, purpose: &[u8]) -> Result<Self, IntegrityError> {
        let hk = Hkdf::<Sha256>::new(Some(purpose), secret.as_bytes());
        let mut okm = Zeroizing::new([0u8; 32]);
        hk.expand(b"kho/secret-key/v1", okm.as_mut_slice())
            .map_err(|_| IntegrityError)?;
        Ok(Self(okm))
    }

    /// A sub-key for one purpose (`info` names the purpose and binds the object it protects).
    pub(crate) fn derive(&self, info: &[&[u8]]) -> Result<Zeroizing<[u8; 32]>, IntegrityError> {
        let hk = Hkdf::<Sha256>::new(None, self.0.as_slice());
        let info: Vec<u8> = info.concat();
        let mut okm = Zeroizing::new([0u8; 32]);
        hk.expand(&info, okm.as_mut_slice())
            .map_err(|_| IntegrityError)?;
        Ok(okm)
    }
}

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(..)")
    }
}

fn wrap_aad(owner: Uuid, kek_id: &str) -> Vec<u8> {
    [WRAP_CONTEXT, owner.as_bytes(), kek_id.as_bytes()].concat()
}

/// Wraps `key` for `owner` under the master key `kek` (named `kek_id`): `nonce ‖ ciphertext`.
pub fn wrap_data_key(
    kek: &[u8; 32],
    kek_id: &str,
    owner: Uuid,
    key: &DataKey,
) -> Result<Vec<u8>, IntegrityError> {
    let cipher = Aes256Gcm::new_from_slice(kek).map_err(|_| IntegrityError)?;
    let nonce: [u8; NONCE_LEN] = random_bytes()?;
    let aad = wrap_aad(owner, kek_id);
    let ct = cipher
        .encrypt(
            &Nonce::from(nonce),
            Payload {
                msg: key.0.as_slice(),
                aad: &aad,
            },
        )
        .map_err(|_| IntegrityError)?;
    Ok([nonce.as_slice(), &ct].concat())
}

/// Unwraps a data key; fails if it was wrapped for another owner or under another master key.
pub fn unwrap_data_key(
    kek: &[u8; 32],
    kek_id: &str,
    owner: Uuid,
    wrapped: &[u8],
) -> Result<DataKey, IntegrityError> {
    let (nonce, ct) = wrapped.split_at_checked(NONCE_LEN).ok_or(IntegrityError)?;
    let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| IntegrityError)?;
    let cipher = Aes256Gcm::new_from_slice(kek).map_err(|_| IntegrityError)?;
    let aad = wrap_aad(owner, kek_id);
    let plain = Zeroizing::new(
        cipher
            .decrypt(&Nonce::from(nonce), Payload { msg: ct, aad: &aad })
            .map_err(|_| IntegrityError)?,
    );
    let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| IntegrityError)?;
    Ok(DataKey(Zeroizing::new(bytes)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wrapped_key_opens_only_for_its_owner_and_master_key() {
        let kek = [1u8; 32];
        let owner = Uuid::now_v7();
        let key = DataKey::generate().unwrap();
        let wrapped = wrap_data_key(&kek, "m1", owner, &key).unwrap();
        let back = unwrap_data_key(&kek, "m1", owner, &wrapped).unwrap();
        assert_eq!(back.0.as_slice(), key.0.as_slice());
        assert!(unwrap_data_key(&kek, "m1", Uuid::now_v7(), &wrapped).is_err());
        assert!(unwrap_data_key(&kek, "m2", owner, &wrapped).is_err());
        assert!(unwrap_data_key(&[2u8; 32], "m1", owner, &wrapped).is_err());
        assert!(unwrap_data_key(&kek, "m1", owner, &wrapped[..20]).is_err());
    }

    #[test]
    fn derived_keys_differ_by_purpose() {
        let key = DataKey::generate().unwrap();
        assert_ne!(*key.derive(&[b"a"]).unwrap(), *key.derive(&[b"b"]).unwrap());
        assert_eq!(*key.derive(&[b"a"]).unwrap(), *key.derive(&[b"a"]).unwrap());
    }
}
