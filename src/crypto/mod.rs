//! Envelope encryption: master keys wrap one data key per owner; the data key encrypts the
//! owner's documents (in authenticated segments) and personal metadata.

mod blind_index;
mod fields;
mod key_files;
mod keyring;
mod owner_keys;
mod segments;
mod signer;
mod signing;

pub use blind_index::BlindIndexKey;
pub use fields::{open_field, seal_field};
pub use keyring::{KeyRing, KeyRingError, KeyStatus};
pub use owner_keys::{DataKey, unwrap_data_key, wrap_data_key};
pub use segments::{
    Binding, HEADER_LEN, SEGMENT_SIZE, SegmentDecryptor, SegmentEncryptor, sealed_len,
};
pub use signer::Signer;
pub use signing::{SigningKey, StoreSignatureError, verify_by_store};

/// A cryptographic operation failed. Deliberately carries no detail: the cause is either
/// tampering, a wrong key, or a bug, and none of those should be described to a client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("cryptographic integrity check failed")]
pub struct IntegrityError;

/// Fills a fresh buffer from the operating system's random source.
pub(crate) fn random_bytes<const N: usize>() -> Result<[u8; N], IntegrityError> {
    let mut out = [0u8; N];
    getrandom::fill(&mut out).map_err(|_| IntegrityError)?;
    Ok(out)
}

/// A fresh random token for cookies and CSRF: URL-safe base64 of 32 bytes.
pub fn random_token() -> Result<String, IntegrityError> {
    use base64::Engine;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?))
}
