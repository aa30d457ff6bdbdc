//! Erasing an owner (crypto-shredding): the data key goes first, so that from that moment
//! nothing of the owner can be decrypted; then the blobs; then the rows.

use sea_orm::{DatabaseConnection, EntityTrait};

use super::OwnerId;
use crate::storage::StoreError;
use crate::storage::blobs::Blobs;
use crate::storage::db;
use crate::storage::entities::{owner_keys, owners};

/// What an erasure removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ErasureReport {
    pub key_destroyed: bool,
    pub blobs_deleted: usize,
}

/// Erases the owner's store. Idempotent: erasing twice, or after a crash half-way, finishes
/// the job.
pub async fn erase(
    db: &DatabaseConnection,
    blobs: &Blobs,
    owner: OwnerId,
) -> Result<ErasureReport, StoreError> {
    // 1. The key: committed on its own, before anything else, so a failure later still leaves
    //    nothing readable behind.
    let key_destroyed = owner_keys::Entity::delete_by_id(owner.0)
        .exec(db)
        .await?
        .rows_affected
        > 0;
    tracing::info!(owner = %owner.0, key_destroyed, "owner data key destroyed");
    // 2. The sealed blobs, now unreadable anyway.
    let blobs_deleted = blobs.delete_prefix(&format!("owners/{}", owner.0)).await?;
    // 3. The rows: documents, mandates and sessions go with the owner (foreign keys cascade),
    //    and so does every session in which this person acts for someone else.
    crate::identity::sessions::forget_person(db, owner).await?;
    owners::Entity::delete_by_id(owner.0).exec(db).await?;
    // The access log has no foreign key (it is append-only); it goes with the store it describes,
    // with its checkpoints.
    crate::audit::forget(db, owner).await?;
    // Consents, and the grants and tokens issued under them: nothing is served any more.
    crate::consents::forget(db, owner).await?;
    // 4. What deleted rows leave in the database files (see `scrub_deleted`).
    db::scrub_deleted(db).await?;
    tracing::info!(owner = %owner.0, blobs_deleted, "owner erased");
    Ok(ErasureReport {
        key_destroyed,
        blobs_deleted,
    })
}
