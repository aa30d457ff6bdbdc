//! The store's signing keys: ES256 (P-256) keys whose public halves are published at the
//! `jwks_uri`, used for consent receipts, access-log checkpoints and (later) verification
//! receipts and QR seals. A key file holds the 32-byte private scalar, base64, like every other
//! key of the ring; the active one signs, earlier ones stay published so that what they signed
//! can still be checked.

use jsonwebtoken::jwk::{
    AlgorithmParameters, CommonParameters, EllipticCurve, EllipticCurveKeyParameters,
    EllipticCurveKeyType, Jwk, JwkSet, KeyAlgorithm, PublicKeyUse,
};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::pkcs8::EncodePrivateKey;
use serde::Serialize;
use zeroize::Zeroizing;

use super::IntegrityError;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// One signing key: its id (the JWS `kid`), the private key and the public JWK.
pub struct SigningKey {
    id: String,
    encoding: EncodingKey,
    public: Jwk,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    /// Builds the key from its 32-byte scalar; `None` if the bytes are not a valid P-256 scalar.
    pub(super) fn from_scalar(id: &str, scalar: &Zeroizing<[u8; 32]>) -> Option<Self> {
        let secret = p256::SecretKey::from_slice(scalar.as_slice()).ok()?;
        let der = secret.to_pkcs8_der().ok()?;
        let point = secret.public_key().to_sec1_point(false);
        let (x, y) = (point.x()?, point.y()?);
        let public = Jwk {
            common: CommonParameters {
                public_key_use: Some(PublicKeyUse::Signature),
                key_id: Some(id.to_owned()),
                key_algorithm: Some(KeyAlgorithm::ES256),
                ..CommonParameters::default()
            },
            algorithm: AlgorithmParameters::EllipticCurve(EllipticCurveKeyParameters {
                key_type: EllipticCurveKeyType::EC,
                curve: EllipticCurve::P256,
                x: URL_SAFE_NO_PAD.encode(x),
                y: URL_SAFE_NO_PAD.encode(y),
            }),
        };
        Some(Self {
            id: id.to_owned(),
            encoding: EncodingKey::from_ec_der(der.as_bytes()),
            public,
        })
    }

    /// A fresh key, for unit tests elsewhere in the crate.
    #[cfg(test)]
    pub(crate) fn generate_for_tests(id: &str) -> Self {
        Self::from_scalar(id, &new_scalar().unwrap()).unwrap()
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    pub fn public_jwk(&self) -> &Jwk {
        &self.public
    }

    /// A compact JWS (ES256, this key's `kid`, the given `typ`) over `claims`.
    pub fn sign(&self, typ: &str, claims: &impl Serialize) -> Result<String, IntegrityError> {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.id.clone());
        header.typ = Some(typ.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|_| IntegrityError)
    }
}

/// The public keys of `keys` as a JWK Set.
pub fn jwk_set<'a>(keys: impl IntoIterator<Item = &'a SigningKey>) -> JwkSet {
    JwkSet {
        keys: keys.into_iter().map(|k| k.public.clone()).collect(),
    }
}

/// Why a statement the store is said to have signed does not check out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StoreSignatureError {
    #[error("not a compact JWS")]
    NotAJws,
    #[error("not of the expected type")]
    WrongType,
    #[error("it names no signing key")]
    NoKeyId,
    #[error("signed by a key that is not published")]
    UnpublishedKey,
    #[error("the published key is unusable")]
    UnusableKey,
    #[error("the signature is invalid")]
    BadSignature,
}

/// Checks a JWS the store signed, with nothing but its published keys (offline): `typ`, ES256,
/// a `kid` among `keys`, the signature. Returns the claims and the key id.
pub fn verify_by_store<T: serde::de::DeserializeOwned>(
    jws: &str,
    typ: &str,
    keys: &JwkSet,
) -> Result<(T, String), StoreSignatureError> {
    use jsonwebtoken::{DecodingKey, Validation};
    let header = jsonwebtoken::decode_header(jws).map_err(|_| StoreSignatureError::NotAJws)?;
    if header.typ.as_deref() != Some(typ) || header.alg != Algorithm::ES256 {
        return Err(StoreSignatureError::WrongType);
    }
    let kid = header.kid.ok_or(StoreSignatureError::NoKeyId)?;
    let jwk = keys.find(&kid).ok_or(StoreSignatureError::UnpublishedKey)?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| StoreSignatureError::UnusableKey)?;
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<T>(jws, &key, &validation)
        .map_err(|_| StoreSignatureError::BadSignature)?
        .claims;
    Ok((claims, kid))
}

/// A new random scalar that is a valid P-256 private key.
pub(super) fn new_scalar() -> Result<Zeroizing<[u8; 32]>, IntegrityError> {
    loop {
        let candidate = Zeroizing::new(super::random_bytes::<32>()?);
        if p256::SecretKey::from_slice(candidate.as_slice()).is_ok() {
            return Ok(candidate);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn a_signature_verifies_with_the_published_key_only() {
        let key = SigningKey::from_scalar("sig-a", &new_scalar().unwrap()).unwrap();
        let other = SigningKey::from_scalar("sig-b", &new_scalar().unwrap()).unwrap();
        let jws = key
            .sign("test+jwt", &serde_json::json!({"hello": "world"}))
            .unwrap();
        let header = jsonwebtoken::decode_header(&jws).unwrap();
        assert_eq!(header.kid.as_deref(), Some("sig-a"));
        assert_eq!(header.typ.as_deref(), Some("test+jwt"));
        let mut validation = Validation::new(Algorithm::ES256);
        validation.required_spec_claims.clear();
        validation.validate_exp = false;
        let good = DecodingKey::from_jwk(key.public_jwk()).unwrap();
        let claims: serde_json::Value = jsonwebtoken::decode(&jws, &good, &validation)
            .unwrap()
            .claims;
        assert_eq!(claims["hello"], "world");
        let bad = DecodingKey::from_jwk(other.public_jwk()).unwrap();
        assert!(jsonwebtoken::decode::<serde_json::Value>(&jws, &bad, &validation).is_err());
    }

    #[test]
    fn published_keys_hold_no_private_part() {
        let key = SigningKey::from_scalar("sig-a", &new_scalar().unwrap()).unwrap();
        let json = serde_json::to_value(jwk_set([&key])).unwrap();
        let jwk = &json["keys"][0];
        assert_eq!(jwk["kty"], "EC");
        assert_eq!(jwk["crv"], "P-256");
        assert_eq!(jwk["kid"], "sig-a");
        assert!(jwk.get("d").is_none());
    }
}
