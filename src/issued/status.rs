//! Status changes of issued results (NĐ 45/2020 Điều 15): the issuer revokes a result (with a
//! reason and the time it takes effect) or changes its valid-until date, by a statement signed
//! like a push. Revoked results stay stored and visible with their status; expiry by date is
//! computed on every read. Idempotent: the same change again changes nothing.

use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};

use super::push::{PushError, verified_issuer};
use crate::app::AppState;
use crate::documents::{Status, effective_status};
use crate::ids::{ResultCode, Text};
use crate::storage::StoreError;
use crate::storage::entities::documents as document_rows;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Claims {
    #[allow(dead_code)]
    iss: String,
    #[allow(dead_code)]
    aud: serde_json::Value,
    #[allow(dead_code)]
    iat: Option<f64>,
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

/// A result's status as the issuer gets it back.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusView {
    pub result_code: String,
    pub status: Status,
    pub status_changed_at: DateTime<Utc>,
    pub valid_until: Option<chrono::NaiveDate>,
}

/// Applies the signed status change `jws`.
pub async fn change_status(state: &AppState, jws: &str) -> Result<StatusView, PushError> {
    let (client, claims): (_, Claims) = verified_issuer(state, jws).await?;
    let code = ResultCode::parse(&claims.result_code)?;
    let row = document_rows::Entity::find()
        .filter(document_rows::Column::ResultCode.eq(code.to_string()))
        .one(&state.db)
        .await
        .map_err(StoreError::from)?
        // Another issuer's result is as unknown as a missing one.
        .filter(|r| r.issuer_client.as_deref() == Some(client.client_id.as_str()))
        .ok_or(PushError::NotFound)?;
    let mut change: document_rows::ActiveModel = row.clone().into();
    match claims.change {
        Change::Revoke {
            reason,
            effective_at,
        } => {
            let reason = Text::parse(&reason, "reason", 500)?;
            if row.status == Status::Revoked.as_str() {
                // Already revoked: the first revocation stands.
                return view(&code, &row);
            }
            change.status = Set(Status::Revoked.as_str().to_owned());
            change.status_changed_at = Set(effective_at.unwrap_or_else(Utc::now));
            change.status_reason = Set(Some(reason.as_str().to_owned()));
        }
        Change::ValidUntil { valid_until } => {
            let until = valid_until
                .as_deref()
                .map(|d| crate::documents::http::parse_date(d, "valid until"))
                .transpose()?;
            if until.is_some_and(|u| row.issue_date.is_some_and(|issued| u < issued)) {
                return Err(PushError::Invalid(
                    "valid_until is before issue_date".into(),
                ));
            }
            change.valid_until = Set(until);
        }
    }
    let updated = change.update(&state.db).await.map_err(StoreError::from)?;
    view(&code, &updated)
}

fn view(code: &ResultCode, row: &document_rows::Model) -> Result<StatusView, PushError> {
    let (status, status_changed_at) =
        effective_status(row).map_err(|e| PushError::Store(e.into()))?;
    Ok(StatusView {
        result_code: code.to_string(),
        status,
        status_changed_at,
        valid_until: row.valid_until,
    })
}
