//! Public verification and its signed receipt.
//!
//! Receipt: a compact JWS (ES256, `kid` a key at `/oauth/jwks`, `typ` `kho-verification+jwt`)
//! over the answer itself: `iss`, `iat`, `jti`, `verdict`, `result_code`, `sha256` (as asked),
//! and for a known result its `status`, `status_changed_at`, `issuing_agency`, `issue_date`,
//! `valid_until`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::Verifier;
use crate::crypto::Signer;
use crate::documents::{Status, effective_status};
use crate::ids::ResultCode;
use crate::storage::StoreError;

pub const RECEIPT_TYPE: &str = "kho-verification+jwt";

/// What the store can say of a result code and a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The store holds this result, and the content is exactly it.
    Genuine,
    /// The store holds this result, but the content is not it.
    Mismatch,
    /// The store holds no issued result under this code.
    Unknown,
}

/// The answer, and its signed receipt.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = PublicVerification)]
pub struct Verification {
    pub verdict: Verdict,
    pub result_code: String,
    /// The SHA-256 that was checked (hex).
    pub sha256: String,
    /// For a genuine result: its validity now, and since when.
    pub status: Option<Status>,
    pub status_changed_at: Option<DateTime<Utc>>,
    /// The QCVN 102 code of the agency that issued it.
    pub issuing_agency: Option<String>,
    pub issue_date: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub checked_at: DateTime<Utc>,
    /// The same, signed by the store: show it to a third party, who checks it against
    /// `/oauth/jwks`.
    pub receipt: String,
}

impl Verifier {
    /// Checks `sha256` (lower-case hex) against the issued result `code`.
    pub async fn verify(
        &self,
        code: &ResultCode,
        sha256: &str,
    ) -> Result<Verification, StoreError> {
        let row = self.documents.issued_by_result_code(code).await?;
        let now = self.clock.now();
        let mut answer = Verification {
            verdict: Verdict::Unknown,
            result_code: code.to_string(),
            sha256: sha256.to_owned(),
            status: None,
            status_changed_at: None,
            issuing_agency: None,
            issue_date: None,
            valid_until: None,
            checked_at: now,
            receipt: String::new(),
        };
        if let Some(row) = row {
            if row.sha256 == sha256 {
                let (status, since) = effective_status(&row, now)?;
                answer.verdict = Verdict::Genuine;
                answer.status = Some(status);
                answer.status_changed_at = Some(since);
                answer.issuing_agency = row.issuing_agency;
                answer.issue_date = row.issue_date;
                answer.valid_until = row.valid_until;
            } else {
                answer.verdict = Verdict::Mismatch;
            }
        }
        answer.receipt = receipt(&self.signer, &answer, now)?;
        Ok(answer)
    }
}

/// The store's signed receipt of a verification `answer`: the answer itself (without its
/// `receipt` and `checked_at`), with `iss`, `iat` and a `jti`.
pub fn receipt(
    signer: &Signer,
    answer: &impl Serialize,
    now: DateTime<Utc>,
) -> Result<String, StoreError> {
    let mut claims = serde_json::to_value(answer).map_err(|_| crate::crypto::IntegrityError)?;
    if let Some(object) = claims.as_object_mut() {
        object.remove("receipt");
        object.remove("checked_at");
        object.insert("iss".into(), signer.issuer().into());
        object.insert("iat".into(), now.timestamp().into());
        object.insert("jti".into(), Uuid::now_v7().to_string().into());
    }
    Ok(signer.key()?.sign(RECEIPT_TYPE, &claims)?)
}
