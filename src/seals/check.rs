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
    /// The seal is genuine, but made by another store: ask that one.
    #[error("this seal was made by another store, {0}: check it there")]
    OtherStore(String),
    #[error(transparent)]
    Store(#[from] StoreError),
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
            if row.sha256 == answer.seal.sha256 {
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
