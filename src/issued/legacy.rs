//! Issued results stored before their issuer's statement was sealed: the statement (which names
//! the owner) is sealed with the owner's key, and the time of the last status statement is set
//! to now, so that no statement signed before the upgrade can be replayed over the record.
//! Runs at `kho serve` start-up and with its upkeep; safe in several processes at once.

use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::app::AppState;
use crate::documents::{is_legacy_plain, seal_issuer_signature};
use crate::owners::{self, OwnerId};
use crate::storage::StoreError;
use crate::storage::entities::documents as document_rows;

const BATCH: u64 = 500;

/// Seals every legacy statement; returns how many it sealed.
pub async fn seal_legacy_statements(state: &AppState) -> Result<u64, StoreError> {
    let mut sealed = 0;
    loop {
        let rows = document_rows::Entity::find()
            .filter(document_rows::Column::IssuerSignature.like("%.%"))
            .limit(BATCH)
            .all(&state.db)
            .await?;
        if rows.is_empty() {
            return Ok(sealed);
        }
        let mut progress = false;
        for row in rows {
            let Some(plain) = row
                .issuer_signature
                .as_deref()
                .filter(|s| is_legacy_plain(s))
            else {
                continue;
            };
            let Some(key) = owners::data_key(&state.db, &state.keys, OwnerId(row.owner_id)).await?
            else {
                // An erased owner's row: nothing can read it; erasure removes it.
                continue;
            };
            let sealed_text = seal_issuer_signature(&key, row.owner_id, row.id, plain)?;
            let done = document_rows::Entity::update_many()
                .col_expr(
                    document_rows::Column::IssuerSignature,
                    Expr::value(sealed_text),
                )
                .col_expr(
                    document_rows::Column::StatusSignedAt,
                    Expr::value(row.status_signed_at.unwrap_or_else(Utc::now)),
                )
                .filter(document_rows::Column::Id.eq(row.id))
                .filter(document_rows::Column::IssuerSignature.eq(plain))
                .exec(&state.db)
                .await?;
            sealed += done.rows_affected;
            progress = true;
        }
        if !progress {
            return Ok(sealed);
        }
    }
}
