//! Blobs no document row refers to: a row deleted whose blob could not be, a push whose owner's
//! store was made meanwhile, an upload stopped by a crash after its blob was complete or while
//! it was half-written. A periodic sweep removes them once they are older than any upload can
//! take ([`ORPHAN_GRACE`]), and logs what it removed. Safe on several processes at once:
//! removing what another process removed is not an error.

use chrono::Duration;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use super::Documents;
use crate::storage::StoreError;
use crate::storage::entities::documents;

/// Older than any upload can take: a blob this old without its row will never get one.
pub const ORPHAN_GRACE: Duration = Duration::days(1);
/// Keys checked against the database at a time.
const BATCH: usize = 500;

impl Documents {
    /// Removes the blobs and half-written uploads no document refers to, last written more than
    /// `grace` ago ([`ORPHAN_GRACE`] while uploads may run); returns how many it removed.
    pub async fn sweep_orphans(&self, grace: Duration) -> Result<usize, StoreError> {
        let before = self.clock.now() - grace;
        let mut removed = 0;
        let listed = self.blobs.written_before("owners", before).await?;
        for keys in listed.chunks(BATCH) {
            let referenced: Vec<String> = documents::Entity::find()
                .select_only()
                .column(documents::Column::BlobKey)
                .filter(documents::Column::BlobKey.is_in(keys.iter().cloned()))
                .into_tuple()
                .all(&self.db)
                .await?;
            for key in keys.iter().filter(|k| !referenced.contains(k)) {
                self.blobs.delete(key).await?;
                tracing::info!(blob = %key, "removed a blob no document refers to");
                removed += 1;
            }
        }
        for key in self.blobs.remove_unfinished("owners", before).await? {
            tracing::info!(blob = %key, "removed what an interrupted upload left half-written");
            removed += 1;
        }
        Ok(removed)
    }
}
