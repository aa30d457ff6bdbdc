//! Rows written before how an official checked a document, why its issuer revoked it and an
//! uploaded document's SHA-256 were sealed keep them in plain; `kho serve`'s upkeep seals them
//! with the owner's key.

use sea_orm::{ActiveValue::Set, ColumnTrait, Condition, EntityTrait, QueryFilter, QuerySelect};

use super::Documents;
use super::Source;
use super::view::{
    STATUS_REASON_FIELD, VERIFICATION_METHOD_FIELD, plain_upload_sha256, stored_sha256,
};
use crate::crypto::seal_field;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::documents;

/// Rows sealed in one pass.
const BATCH: u64 = 200;

impl Documents {
    /// Seals the plain personal fields of older rows; returns how many rows it sealed.
    pub async fn seal_plain_fields(&self) -> Result<u64, StoreError> {
        let plain = || {
            Condition::any()
                .add(documents::Column::VerificationMethod.is_not_null())
                .add(documents::Column::StatusReason.is_not_null())
                .add(
                    Condition::all()
                        .add(documents::Column::Source.eq(Source::Uploaded.as_str()))
                        .add(documents::Column::Sha256.not_like("sealed:%")),
                )
        };
        let rows = documents::Entity::find()
            .filter(plain())
            .limit(BATCH)
            .all(&self.db)
            .await?;
        let mut sealed = 0;
        for row in rows {
            let Some(key) = self.owners.data_key(OwnerId(row.owner_id)).await? else {
                // An erased owner's row: nothing can read it; erasure removes it.
                continue;
            };
            let seal =
                |field: &str, value: &str| seal_field(&key, row.owner_id, row.id, field, value);
            let mut update = documents::ActiveModel::default();
            if let Some(method) = &row.verification_method {
                update.verification_method_sealed =
                    Set(Some(seal(VERIFICATION_METHOD_FIELD, method)?));
                update.verification_method = Set(None);
            }
            if plain_upload_sha256(&row) {
                let hex = row.sha256.clone();
                update.sha256 = Set(stored_sha256(
                    &key,
                    row.owner_id,
                    row.id,
                    Source::Uploaded,
                    hex,
                )?);
            }
            if let Some(reason) = &row.status_reason {
                update.status_reason_sealed = Set(Some(seal(STATUS_REASON_FIELD, reason)?));
                update.status_reason = Set(None);
            }
            // Only if the plain values are still the ones sealed (another process may be at it).
            let done = documents::Entity::update_many()
                .set(update)
                .filter(documents::Column::Id.eq(row.id))
                .filter(match &row.verification_method {
                    Some(m) => documents::Column::VerificationMethod.eq(m.as_str()),
                    None => documents::Column::VerificationMethod.is_null(),
                })
                .filter(documents::Column::Sha256.eq(row.sha256.as_str()))
                .filter(match &row.status_reason {
                    Some(r) => documents::Column::StatusReason.eq(r.as_str()),
                    None => documents::Column::StatusReason.is_null(),
                })
                .exec(&self.db)
                .await?;
            sealed += done.rows_affected;
        }
        Ok(sealed)
    }
}
