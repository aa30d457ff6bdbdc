//! Status changes of issued results (NĐ 45/2020 Điều 15): the issuer revokes a result (with a
//! reason and the time it takes effect) or changes its valid-until date, by a statement signed
//! like a push. Revoked results stay stored and visible with their status; expiry by date is
//! computed on every read. Idempotent: the same change again changes nothing. Statements apply
//! in the order the issuer signed them (`iat`): one not newer than the last applied is refused.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use serde::{Deserialize, Serialize};

use super::IssuedResults;
use super::push::PushError;
use crate::documents::{Status, effective_status};
use crate::ids::{ResultCode, Text};
use crate::storage::entities::documents as document_rows;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    #[allow(dead_code)]
    iss: String,
    #[allow(dead_code)]
    aud: serde_json::Value,
    /// When the issuer signed the statement (seconds since the epoch): statements apply in
    /// this order, so an older one cannot be replayed over a newer one.
    iat: f64,
    result_code: String,
    change: Change,
}

#[derive(Debug, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
enum Change {
    /// Revoke, effective at `effective_at` (RFC 3339; now if absent).
    Revoke {
        reason: String,
        effective_at: Option<DateTime<Utc>>,
    },
    /// A new valid-until date (`YYYY-MM-DD`), or none.
    ValidUntil { valid_until: Option<String> },
}

/// How far in the future a statement's `iat` may be (clock skew).
const MAX_SKEW_SECONDS: i64 = 300;

/// A result's status as the issuer gets it back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub result_code: String,
    pub status: Status,
    pub status_changed_at: DateTime<Utc>,
    pub valid_until: Option<chrono::NaiveDate>,
}

impl IssuedResults {
    /// Applies the signed status change `jws`.
    pub async fn change_status(&self, jws: &str) -> Result<StatusView, PushError> {
        let (client, claims): (_, Claims) = self.verified_issuer(jws).await?;
        let now = self.clock.now();
        let code = ResultCode::parse(&claims.result_code)?;
        let signed_at = signed_at(claims.iat, now)?;
        let row = self
            .documents
            .by_result_code(&code)
            .await?
            // Another issuer's result is as unknown as a missing one.
            .filter(|r| r.issuer_client.as_deref() == Some(client.client_id.as_str()))
            .ok_or(PushError::NotFound)?;
        // The reason is sealed with the owner's key; an erased owner's result is gone.
        let key = self
            .owners
            .data_key(crate::owners::OwnerId(row.owner_id))
            .await?
            .ok_or(PushError::NotFound)?;
        let Some(change) = changed(&key, &row, claims.change, now)? else {
            // Nothing to change (the same statement again, or a revocation that would not bring
            // the one in place forward).
            return view(&code, &row, now);
        };
        if row.status_signed_at.is_some_and(|last| signed_at <= last) {
            return Err(PushError::Stale);
        }
        // Of two statements racing, one applies.
        let updated = self
            .documents
            .apply_status_statement(&row, change, signed_at)
            .await?
            .ok_or(PushError::Stale)?;
        view(&code, &updated, now)
    }
}

/// The statement's `iat`, refused when it is not a time or lies in the future.
fn signed_at(iat: f64, now: DateTime<Utc>) -> Result<DateTime<Utc>, PushError> {
    let at = (iat.is_finite() && iat >= 0.0)
        .then(|| DateTime::from_timestamp_millis((iat * 1000.0) as i64))
        .flatten()
        .ok_or_else(|| PushError::Invalid("iat must be a time in seconds".into()))?;
    if at > now + chrono::Duration::seconds(MAX_SKEW_SECONDS) {
        return Err(PushError::Invalid("iat is in the future".into()));
    }
    Ok(at)
}

/// The columns `change` sets on `row`; `None` when it would change nothing.
fn changed(
    key: &crate::crypto::DataKey,
    row: &document_rows::Model,
    change: Change,
    now: DateTime<Utc>,
) -> Result<Option<document_rows::ActiveModel>, PushError> {
    let mut update = document_rows::ActiveModel::default();
    match change {
        Change::Revoke {
            reason,
            effective_at,
        } => {
            let reason = Text::parse(&reason, "reason", 500)?;
            let effective_at = effective_at.unwrap_or(now);
            if row.status == Status::Revoked.as_str() {
                // A revocation in effect stands; a scheduled one may only be brought forward.
                let scheduled = row.status_changed_at > now;
                if !scheduled || effective_at >= row.status_changed_at {
                    return Ok(None);
                }
            } else if row.status != Status::Valid.as_str() && effective_at > now {
                // A superseded result is no longer current: scheduling its revocation would make
                // it look valid until then.
                return Err(PushError::Invalid(
                    "this result is superseded: revoke it now, or not at all".into(),
                ));
            }
            update.status = Set(Status::Revoked.as_str().to_owned());
            update.status_changed_at = Set(effective_at);
            update.status_reason = Set(None);
            update.status_reason_sealed = Set(Some(
                crate::crypto::seal_field(
                    key,
                    row.owner_id,
                    row.id,
                    crate::documents::STATUS_REASON_FIELD,
                    reason.as_str(),
                )
                .map_err(crate::storage::StoreError::from)?,
            ));
        }
        Change::ValidUntil { valid_until } => {
            let until = valid_until
                .as_deref()
                .map(|d| crate::ids::parse_date(d, "valid until"))
                .transpose()?;
            if until.is_some_and(|u| row.issue_date.is_some_and(|issued| u < issued)) {
                return Err(PushError::Invalid(
                    "valid_until is before issue_date".into(),
                ));
            }
            if until == row.valid_until {
                return Ok(None);
            }
            update.valid_until = Set(until);
        }
    }
    Ok(Some(update))
}

fn view(
    code: &ResultCode,
    row: &document_rows::Model,
    now: DateTime<Utc>,
) -> Result<StatusView, PushError> {
    let (status, status_changed_at) =
        effective_status(row, now).map_err(|e| PushError::Store(e.into()))?;
    Ok(StatusView {
        result_code: code.to_string(),
        status,
        status_changed_at,
        valid_until: row.valid_until,
    })
}
