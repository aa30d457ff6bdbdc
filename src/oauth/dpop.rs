//! DPoP proofs (RFC 9449): a JWT signed by the portal's own key, sent with every token request
//! and every resource request, so that a token is worthless to anyone without that key.
//!
//! Checked here: one `DPoP` header; `typ` `dpop+jwt`; an asymmetric `alg`; a public `jwk` in the
//! header (no private parts); the signature by that key; `htm` and `htu` equal to this request's
//! method and URL (without query and fragment); `iat` within the window; `ath` = the hash of the
//! access token when one is presented; the nonce, when one is required or sent; and `jti` never
//! seen before — recorded in the database, so a replay is refused by every Kho process.

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::jwk::{Jwk, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use sea_orm::{ActiveValue::Set, DatabaseConnection, EntityTrait, SqlErr};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::clock::Clock;
use crate::crypto::{BlindIndexKey, KeyRing};
use crate::storage::StoreError;
use crate::storage::entities::dpop_proofs;

/// How old a proof's `iat` may be.
const MAX_AGE: i64 = 60;
/// How far ahead of our clock a proof's `iat` may be.
const MAX_SKEW: i64 = 10;
/// A nonce is valid for the window it was issued in and the one after.
const NONCE_WINDOW_SECS: i64 = 300;
/// The algorithms a proof may use (asymmetric only; `none` and HMAC never).
pub const ALGORITHMS: [&str; 5] = ["ES256", "ES384", "EdDSA", "PS256", "RS256"];

/// Why a proof was refused.
#[derive(Debug, thiserror::Error)]
pub enum DpopError {
    #[error("a DPoP proof is required")]
    Missing,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("this DPoP proof was already used")]
    Replayed,
    /// Answer `use_dpop_nonce` with a fresh nonce.
    #[error("a fresh DPoP nonce is required")]
    UseNonce,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for DpopError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// A proof that held: the JWK SHA-256 thumbprint of its key (RFC 7638), which tokens are
/// bound to as `cnf.jkt`.
#[derive(Debug, Clone)]
pub struct Proof {
    pub jkt: String,
}

#[derive(Deserialize)]
struct Claims {
    jti: String,
    htm: String,
    htu: String,
    /// A NumericDate: a JSON number, which may have a fraction (RFC 7519 §2).
    iat: f64,
    ath: Option<String>,
    nonce: Option<String>,
}

/// DPoP proofs (RFC 9449), holding what they need: the database (used proof ids), the key ring
/// (the key that makes nonces), whether a nonce is required, and the clock.
#[derive(Clone, Debug)]
pub struct Dpop {
    db: DatabaseConnection,
    keys: Arc<KeyRing>,
    require_nonce: bool,
    clock: Clock,
}

impl Dpop {
    pub fn new(
        db: DatabaseConnection,
        keys: Arc<KeyRing>,
        require_nonce: bool,
        clock: Clock,
    ) -> Self {
        Self {
            db,
            keys,
            require_nonce,
            clock,
        }
    }

    /// Checks the request's DPoP proof for `method` on `url` (Kho's public URL of the endpoint),
    /// bound to `access_token` when one is presented.
    /// `proofs` are the values of every `DPoP` header the request carried.
    pub async fn verify(
        &self,
        proofs: &[&[u8]],
        method: &str,
        url: &str,
        access_token: Option<&str>,
    ) -> Result<Proof, DpopError> {
        let proof = match proofs {
            [] => return Err(DpopError::Missing),
            [one] => *one,
            _ => return Err(DpopError::Invalid("send exactly one DPoP header")),
        };
        let proof = std::str::from_utf8(proof)
            .ok()
            .filter(|p| p.bytes().all(|b| b == b'\t' || (32..127).contains(&b)))
            .ok_or(DpopError::Invalid("the DPoP header is not a JWT"))?;
        let (jkt, claims) = check_signature(proof)?;
        if claims.htm != method {
            return Err(DpopError::Invalid("htm does not match the request method"));
        }
        if normalise(&claims.htu).as_deref() != normalise(url).as_deref() {
            return Err(DpopError::Invalid("htu does not match the request URL"));
        }
        let now = self.clock.now();
        let iat = Some(claims.iat)
            .filter(|t| t.is_finite())
            .and_then(|t| DateTime::from_timestamp(t.floor() as i64, 0))
            .ok_or(DpopError::Invalid("iat is not a time"))?;
        if iat < now - Duration::seconds(MAX_AGE) || iat > now + Duration::seconds(MAX_SKEW) {
            return Err(DpopError::Invalid("iat is outside the accepted window"));
        }
        match (access_token, claims.ath.as_deref()) {
            (Some(token), Some(ath)) if ath == token_hash(token) => {}
            (Some(_), _) => return Err(DpopError::Invalid("ath does not match the access token")),
            (None, _) => {}
        }
        let key = self.keys.blind_index();
        match claims.nonce.as_deref() {
            Some(nonce) if !nonce_is_current(&key, nonce, now) => return Err(DpopError::UseNonce),
            None if self.require_nonce => return Err(DpopError::UseNonce),
            _ => {}
        }
        remember(&self.db, &jkt, &claims.jti, iat).await?;
        Ok(Proof { jkt })
    }

    /// The nonce a proof made now should carry (RFC 9449 §8).
    pub fn nonce(&self) -> String {
        nonce(&self.keys.blind_index(), self.clock.now())
    }
}

/// Header and signature checks; returns the key's thumbprint and the claims.
fn check_signature(proof: &str) -> Result<(String, Claims), DpopError> {
    let header = jsonwebtoken::decode_header(proof)
        .map_err(|_| DpopError::Invalid("the DPoP proof is not a JWT"))?;
    if header.typ.as_deref() != Some("dpop+jwt") {
        return Err(DpopError::Invalid("the DPoP proof's typ must be dpop+jwt"));
    }
    let alg = header.alg;
    if !matches!(
        alg,
        Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
            | Algorithm::PS256
            | Algorithm::RS256
    ) {
        return Err(DpopError::Invalid("the DPoP proof's alg is not accepted"));
    }
    if has_private_parts(proof) {
        return Err(DpopError::Invalid(
            "the DPoP proof's jwk must be a public key",
        ));
    }
    let jwk: Jwk = header
        .jwk
        .ok_or(DpopError::Invalid("the DPoP proof has no jwk"))?;
    let key = DecodingKey::from_jwk(&jwk)
        .map_err(|_| DpopError::Invalid("the DPoP proof's jwk is not a usable key"))?;
    let mut validation = Validation::new(alg);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    validation.validate_aud = false;
    let claims = jsonwebtoken::decode::<Claims>(proof, &key, &validation)
        .map_err(|_| DpopError::Invalid("the DPoP proof's signature or claims are invalid"))?
        .claims;
    if claims.jti.is_empty() || claims.jti.len() > 256 {
        return Err(DpopError::Invalid(
            "the DPoP proof's jti is missing or too long",
        ));
    }
    let jkt = jwk
        .thumbprint(ThumbprintHash::SHA256)
        .map_err(|_| DpopError::Invalid("the DPoP proof's jwk is not a usable key"))?;
    Ok((jkt, claims))
}

/// Whether the header's `jwk` carries any private-key member.
fn has_private_parts(proof: &str) -> bool {
    let header = proof
        .split('.')
        .next()
        .and_then(|h| URL_SAFE_NO_PAD.decode(h).ok())
        .and_then(|h| serde_json::from_slice::<serde_json::Value>(&h).ok());
    let Some(jwk) = header.as_ref().and_then(|h| h.get("jwk")) else {
        return false;
    };
    ["d", "p", "q", "dp", "dq", "qi", "k"]
        .iter()
        .any(|m| jwk.get(m).is_some())
}

/// Records the proof; a second use of the same key and `jti` is a replay.
async fn remember(
    db: &DatabaseConnection,
    jkt: &str,
    jti: &str,
    iat: DateTime<Utc>,
) -> Result<(), DpopError> {
    let hash = hex::encode(Sha256::digest(format!("{jkt}\n{jti}")));
    let row = dpop_proofs::ActiveModel {
        proof_hash: Set(hash),
        expires_at: Set(iat + Duration::seconds(MAX_AGE + MAX_SKEW)),
    };
    match dpop_proofs::Entity::insert(row)
        .exec_without_returning(db)
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            Err(DpopError::Replayed)
        }
        Err(e) => Err(e.into()),
    }
}

/// `ath`: base64url of the SHA-256 of the access token.
pub fn token_hash(token: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()))
}

/// The URL without query and fragment, scheme and host lower-cased, default port dropped.
fn normalise(url: &str) -> Option<String> {
    let mut parsed = url::Url::parse(url).ok()?;
    parsed.set_query(None);
    parsed.set_fragment(None);
    Some(parsed.to_string())
}

/// A nonce for now: `<window>.<MAC>`; the same on every Kho process (keyed by the key ring).
pub fn nonce(key: &BlindIndexKey, now: DateTime<Utc>) -> String {
    let window = now.timestamp().div_euclid(NONCE_WINDOW_SECS);
    nonce_for(key, window)
}

fn nonce_for(key: &BlindIndexKey, window: i64) -> String {
    let mac = key.index("dpop-nonce", &window.to_string());
    format!("{window}.{}", mac.get(..22).unwrap_or(&mac))
}

fn nonce_is_current(key: &BlindIndexKey, nonce: &str, now: DateTime<Utc>) -> bool {
    let window = now.timestamp().div_euclid(NONCE_WINDOW_SECS);
    [window, window - 1]
        .iter()
        .any(|w| bool::from(nonce_for(key, *w).as_bytes().ct_eq(nonce.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn htu_ignores_query_and_fragment_but_not_the_path() {
        assert_eq!(
            normalise("https://kho.example/oauth/token?x=1#f"),
            normalise("https://KHO.example:443/oauth/token")
        );
        assert_ne!(
            normalise("https://kho.example/oauth/token"),
            normalise("https://kho.example/oauth/par")
        );
    }

    #[test]
    fn a_nonce_lasts_its_window_and_the_next_only() {
        let key = BlindIndexKey::new(zeroize::Zeroizing::new([7u8; 32]));
        let t = Clock::system().now();
        let n = nonce(&key, t);
        assert!(nonce_is_current(&key, &n, t));
        assert!(nonce_is_current(
            &key,
            &n,
            t + Duration::seconds(NONCE_WINDOW_SECS)
        ));
        assert!(!nonce_is_current(
            &key,
            &n,
            t + Duration::seconds(3 * NONCE_WINDOW_SECS)
        ));
        assert!(!nonce_is_current(&key, "0.forged", t));
    }

    #[test]
    fn a_jwk_with_a_private_part_is_noticed() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"dpop+jwt","jwk":{"kty":"EC","d":"x"}}"#);
        assert!(has_private_parts(&format!("{header}.e30.sig")));
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"dpop+jwt","jwk":{"kty":"EC"}}"#);
        assert!(!has_private_parts(&format!("{header}.e30.sig")));
    }
}

#[cfg(test)]
mod properties {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// A DPoP proof is outside input: whatever it holds, it is answered, never a panic.
        #[test]
        fn any_proof_is_answered(proof in prop_oneof![
            any::<String>(),
            "eyJ[A-Za-z0-9_\\-]{0,120}\\.eyJ[A-Za-z0-9_\\-]{0,120}\\.[A-Za-z0-9_\\-]{0,90}",
        ]) {
            let _ = super::check_signature(&proof);
        }
    }
}
