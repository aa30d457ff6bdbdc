//! The online check of a seal: first offline (the signature against the store's published
//! keys), then the document's current status — as a receipt signed by the store. Nothing
//! personal is answered.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;

use super::Seals;
use super::token::{SealClaims, SealError, check_offline, claimed_store};
use crate::documents::{Status, effective_status};
use crate::storage::StoreError;
use crate::verify::{Verdict, receipt};

/// What the store says of a seal now.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SealVerification {
    /// `genuine`: the store still holds the sealed document, with this very content;
    /// `unknown`: it no longer does (deleted, or its owner's store erased); `mismatch`: it holds
    /// the document with other content (which the store never lets happen).
    pub verdict: Verdict,
    /// What the seal says, as checked offline.
    pub seal: SealClaims,
    /// The store's key that signed the seal.
    pub signed_by: String,
    /// The document's validity now, and since when.
    pub status: Option<Status>,
    pub status_changed_at: Option<DateTime<Utc>>,
    /// The valid-until date now (the issuer may have changed it since the seal was made).
    pub valid_until: Option<NaiveDate>,
    pub checked_at: DateTime<Utc>,
    /// The same, signed by the store (`typ` `kho-verification+jwt`).
    pub receipt: String,
}

/// Why a seal could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckError {
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The seal says another store made it: ask that one. Its claim is unchecked, so it is named
    /// only when it is a plain `https` origin (finding 14 of the review: never echo other text).
    #[error("this seal was not made by this store{}: check it where it was issued", named(.0))]
    OtherStore(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `, but by <origin>` when the claimed issuer is a plain `https` origin, else nothing.
fn named(claimed: &str) -> String {
    let Ok(url) = url::Url::parse(claimed) else {
        return String::new();
    };
    let plain = url.scheme() == "https"
        && url.username().is_empty()
        && url.password().is_none()
        && url.query().is_none()
        && url.fragment().is_none()
        && claimed.len() <= 200;
    match url.host_str() {
        Some(host) if plain => format!(", but by https://{host}"),
        _ => String::new(),
    }
}

impl Seals {
    /// The store a token claims to come from, when it is not this one.
    fn other_store(&self, token: &str) -> Option<String> {
        claimed_store(token).filter(|iss| *iss != self.signer.issuer())
    }

    /// Checks `token` offline with this store's published keys, then online.
    pub async fn check(&self, token: &str) -> Result<SealVerification, CheckError> {
        // Another store's seal is checked against that store's keys, not ours.
        if let Some(other) = self.other_store(token) {
            return Err(CheckError::OtherStore(other));
        }
        let keys = self.signer.public_keys().map_err(StoreError::from)?;
        let (seal, signed_by) = check_offline(token, &keys)?;
        if seal.iss != self.signer.issuer() {
            return Err(CheckError::OtherStore(seal.iss));
        }
        let now = self.clock.now();
        let mut answer = SealVerification {
            verdict: Verdict::Unknown,
            seal,
            signed_by,
            status: None,
            status_changed_at: None,
            valid_until: None,
            checked_at: now,
            receipt: String::new(),
        };
        if let Some(row) = self.sealed_document(answer.seal.jti).await? {
            if self.content_sha256(&row).await? == answer.seal.sha256 {
                let (status, since) = effective_status(&row, now).map_err(StoreError::from)?;
                answer.verdict = Verdict::Genuine;
                answer.status = Some(status);
                answer.status_changed_at = Some(since);
                answer.valid_until = row.valid_until;
            } else {
                answer.verdict = Verdict::Mismatch;
            }
        }
        answer.receipt = receipt(&self.signer, &answer, now)?;
        Ok(answer)
    }
}
