//! The seal token: a compact JWS (ES256) signed by the store, small enough for a QR code, that
//! anyone can check with nothing but the store's published keys. The format is documented in
//! `docs/seal-format.md`; this is its one implementation.

use chrono::NaiveDate;
use jsonwebtoken::jwk::JwkSet;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::crypto::{StoreSignatureError, verify_by_store};

/// The JWS `typ` of a seal.
pub const SEAL_TYPE: &str = "kho-seal+jwt";

/// The longest token accepted: a seal is a few hundred characters.
const MAX_TOKEN_LEN: usize = 2048;

/// What a seal vouches for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SealKind {
    /// An issued result, pushed and signed by its issuer.
    Issued,
    /// A document the owner uploaded, which an official checked against its original.
    VerifiedCopy,
}

/// The claims of a seal. Nothing personal: no name, no identifier, no title.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SealClaims {
    /// The store that made the seal (its public URL; its keys are at `/oauth/jwks` there).
    pub iss: String,
    /// The seal id: how the store is asked for the current status.
    pub jti: Uuid,
    /// When the seal was made (seconds since the epoch).
    pub iat: i64,
    pub kind: SealKind,
    /// The result code (`<dossier code>-KQ<n>`) of an issued result.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_code: Option<String>,
    /// Lower-case hex SHA-256 of the document's content.
    pub sha256: String,
    /// The QCVN 102 code of the issuing agency.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issue_date: Option<NaiveDate>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// For a verified copy: the day an official checked it against the original.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub verified_on: Option<NaiveDate>,
}

/// Why a seal does not check out.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    #[error("this is not a Kho seal: {0}")]
    Malformed(&'static str),
    #[error("the seal's signature does not check out: {0}")]
    Signature(StoreSignatureError),
}

/// Checks `token` offline against the store's published `keys`: the signature, then the
/// claims' shape. Returns the claims and the id of the key that signed them.
pub fn check_offline(token: &str, keys: &JwkSet) -> Result<(SealClaims, String), SealError> {
    let token = normalise(token)?;
    let (claims, kid): (SealClaims, String) =
        verify_by_store(&token, SEAL_TYPE, keys).map_err(|e| match e {
            StoreSignatureError::NotAJws | StoreSignatureError::WrongType => {
                SealError::Malformed("not a signed seal token")
            }
            other => SealError::Signature(other),
        })?;
    let hex_sha256 = claims.sha256.len() == 64
        && claims
            .sha256
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    if !hex_sha256 {
        return Err(SealError::Malformed(
            "its sha256 is not 64 lower-case hex digits",
        ));
    }
    if (claims.kind == SealKind::Issued) != claims.result_code.is_some() {
        return Err(SealError::Malformed(
            "a result code belongs to, and only to, an issued result",
        ));
    }
    Ok((claims, kid))
}

/// The store a token says made it (`iss`), read without checking anything: only to tell a
/// seal of another store from a forged one before checking it against this store's keys.
pub fn claimed_store(token: &str) -> Option<String> {
    use base64::Engine;
    let token = normalise(token).ok()?;
    let payload = token.split('.').nth(1)?;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .ok()?;
    let claims: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    claims.get("iss")?.as_str().map(str::to_owned)
}

/// The token as pasted or scanned: surrounding and embedded whitespace (line breaks of a
/// copied text) removed; refused when too long or not JWS characters.
pub fn normalise(token: &str) -> Result<String, SealError> {
    let token: String = token.chars().filter(|c| !c.is_whitespace()).collect();
    if token.is_empty() {
        return Err(SealError::Malformed("the seal is empty"));
    }
    if token.len() > MAX_TOKEN_LEN {
        return Err(SealError::Malformed("the seal is far too long"));
    }
    let jws_chars = token
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if !jws_chars || token.split('.').count() != 3 {
        return Err(SealError::Malformed("not a compact JWS"));
    }
    Ok(token)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::SigningKey;

    fn claims() -> SealClaims {
        SealClaims {
            iss: "https://kho.example".into(),
            jti: Uuid::now_v7(),
            iat: 1_790_000_000,
            kind: SealKind::Issued,
            result_code: Some("000.00.00.H49-261120-0007-KQ1".into()),
            sha256: "ab".repeat(32),
            issuer: Some("000.00.00.H49".into()),
            issue_date: NaiveDate::from_ymd_opt(2026, 11, 20),
            valid_until: None,
            verified_on: None,
        }
    }

    fn keys() -> (SigningKey, JwkSet) {
        let key = SigningKey::generate_for_tests("sig-test");
        let set = JwkSet {
            keys: vec![key.public_jwk().clone()],
        };
        (key, set)
    }

    #[test]
    fn a_seal_checks_offline_with_the_published_keys() {
        let (key, set) = keys();
        let token = key.sign(SEAL_TYPE, &claims()).unwrap();
        let (checked, kid) = check_offline(&token, &set).unwrap();
        assert_eq!(checked, claims_with(&checked));
        assert_eq!(kid, "sig-test");
    }

    fn claims_with(checked: &SealClaims) -> SealClaims {
        SealClaims {
            jti: checked.jti,
            ..claims()
        }
    }

    #[test]
    fn a_seal_with_any_one_character_altered_is_refused() {
        let (key, set) = keys();
        let token = key.sign(SEAL_TYPE, &claims()).unwrap();
        for i in 0..token.len() {
            let mut altered = token.clone().into_bytes();
            if altered[i] == b'.' {
                continue;
            }
            altered[i] = if altered[i] == b'A' { b'B' } else { b'A' };
            let altered = String::from_utf8(altered).unwrap();
            if altered == token {
                continue;
            }
            assert!(
                check_offline(&altered, &set).is_err(),
                "altered at {i} still checks"
            );
        }
    }

    #[test]
    fn a_seal_by_an_unpublished_key_or_of_another_type_is_refused() {
        let (_, set) = keys();
        let stranger = SigningKey::generate_for_tests("sig-test");
        let forged = stranger.sign(SEAL_TYPE, &claims()).unwrap();
        assert_eq!(
            check_offline(&forged, &set),
            Err(SealError::Signature(StoreSignatureError::BadSignature))
        );
        let (key, set) = keys();
        let receipt = key.sign("kho-verification+jwt", &claims()).unwrap();
        assert!(matches!(
            check_offline(&receipt, &set),
            Err(SealError::Malformed(_))
        ));
    }

    #[test]
    fn pasted_line_breaks_are_ignored_and_garbage_is_refused() {
        let (key, set) = keys();
        let token = key.sign(SEAL_TYPE, &claims()).unwrap();
        let wrapped = format!("  {}\n{}  ", &token[..40], &token[40..]);
        assert!(check_offline(&wrapped, &set).is_ok());
        for garbage in ["", "hello", "a.b", "<script>.x.y", &"a.".repeat(2000)] {
            assert!(check_offline(garbage, &set).is_err(), "{garbage}");
        }
    }
}
