//! Issued results stored before their issuer's statement was sealed: the statement (which names
//! the owner) is sealed with the owner's key, and the time of the last status statement is set
//! to now, so that no statement signed before the upgrade can be replayed over the record.
//! Runs at `kho serve` start-up and with its upkeep; safe in several processes at once.

use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::IssuedResults;
use crate::documents::{is_legacy_plain, seal_issuer_signature};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::documents as document_rows;

const BATCH: u64 = 500;

impl IssuedResults {
    /// Seals every legacy statement; returns how many it sealed.
    pub async fn seal_legacy_statements(&self) -> Result<u64, StoreError> {
        let now = self.clock.now();
        let mut sealed = 0;
        loop {
            let rows = document_rows::Entity::find()
                .filter(document_rows::Column::IssuerSignature.like("%.%"))
                .limit(BATCH)
                .all(&self.db)
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
                let Some(key) = self.owners.data_key(OwnerId(row.owner_id)).await? else {
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
                        Expr::value(row.status_signed_at.unwrap_or(now)),
                    )
                    .filter(document_rows::Column::Id.eq(row.id))
                    .filter(document_rows::Column::IssuerSignature.eq(plain))
                    .exec(&self.db)
                    .await?;
                sealed += done.rows_affected;
                progress = true;
            }
            if !progress {
                return Ok(sealed);
            }
        }
    }
}
