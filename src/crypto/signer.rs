//! The store's own signature: its signing keys and its name (the issuer URL that every receipt,
//! checkpoint and seal carries as `iss`).

use std::sync::Arc;

use jsonwebtoken::jwk::JwkSet;

use super::{KeyRing, KeyRingError, SigningKey};

/// Signs as Kho, and says who Kho is.
#[derive(Clone, Debug)]
pub struct Signer {
    keys: Arc<KeyRing>,
    issuer: Arc<str>,
}

impl Signer {
    /// `public_url` is the URL clients reach Kho at; the issuer is that URL without a trailing
    /// slash.
    pub fn new(keys: Arc<KeyRing>, public_url: &url::Url) -> Self {
        Self {
            keys,
            issuer: public_url.as_str().trim_end_matches('/').into(),
        }
    }

    /// Kho's issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The public URL of `path`.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// The key that signs now (a rotation by another process is picked up).
    pub fn key(&self) -> Result<Arc<SigningKey>, KeyRingError> {
        self.keys.signer()
    }

    /// Every published public key: what `jwks_uri` serves.
    pub fn public_keys(&self) -> Result<JwkSet, KeyRingError> {
        self.keys.public_keys()
    }

    /// Whether `kid` is still one of the store's signing keys.
    pub fn is_signing_key(&self, kid: &str) -> bool {
        self.keys.is_signing_key(kid)
    }
}
