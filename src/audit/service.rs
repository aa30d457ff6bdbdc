//! The access-log service: appends and checkpoints over exactly what they need (the database,
//! the store's signer and the clock).

use sea_orm::DatabaseConnection;

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};

use super::chain::page_after;
use super::{
    Access, BUNDLE_FORMAT, CheckpointError, checkpoint, checkpoint_all, latest_checkpoint,
};

/// Entries written at a time into a bundle.
const BUNDLE_PAGE: u64 = 500;
use crate::clock::Clock;
use crate::crypto::Signer;
use crate::owners::OwnerId;
use crate::storage::StoreError;

/// Owners' access logs.
#[derive(Clone, Debug)]
pub struct AccessLog {
    db: DatabaseConnection,
    signer: Signer,
    clock: Clock,
}

impl AccessLog {
    pub fn new(db: DatabaseConnection, signer: Signer, clock: Clock) -> Self {
        Self { db, signer, clock }
    }

    /// Appends `access` in a transaction of its own, stamped now.
    pub async fn append(&self, access: Access) -> Result<(), StoreError> {
        super::append(&self.db, access, self.clock.now()).await
    }

    /// Checks the owner's chain and signs its head; `None` for an empty log.
    pub async fn checkpoint(&self, owner: OwnerId) -> Result<Option<String>, CheckpointError> {
        checkpoint(&self.db, &self.signer, owner, self.clock.now()).await
    }

    /// Signs a checkpoint for every log that grew; returns how many.
    pub async fn checkpoint_all(&self) -> Result<usize, StoreError> {
        checkpoint_all(&self.db, &self.signer, self.clock.now()).await
    }

    /// The latest checkpoint after checking (and signing) the chain. A broken chain is not
    /// signed over, but its owner still gets the last good checkpoint, so that `kho audit verify`
    /// shows where it breaks.
    async fn checkpoint_for_bundle(&self, owner: OwnerId) -> Result<Option<String>, StoreError> {
        match self.checkpoint(owner).await {
            Ok(jws) => Ok(jws),
            Err(CheckpointError::Broken(broken)) => {
                tracing::error!(
                    seq = broken.seq,
                    reason = broken.reason,
                    "an access log is broken"
                );
                latest_checkpoint(&self.db, owner).await
            }
            Err(CheckpointError::Store(e)) => Err(e),
        }
    }

    /// The owner's whole log with its latest checkpoint, to keep and verify offline: a
    /// [`super::Bundle`] as JSON, written a page of entries at a time (a long log is never whole
    /// in memory). Entries appended while it is written may be included; the checkpoint covers
    /// a prefix of them.
    pub async fn bundle_json(
        &self,
        owner: OwnerId,
    ) -> Result<BoxStream<'static, Result<Bytes, StoreError>>, StoreError> {
        let checkpoint = self.checkpoint_for_bundle(owner).await?;
        let header = serde_json::json!({
            "format": BUNDLE_FORMAT,
            "owner": owner.0,
            "jwks_uri": self.signer.endpoint("/oauth/jwks"),
            "checkpoint": checkpoint,
        });
        // `{…header…,"entries":[`, then the entries, then `]}`.
        let mut opening = header.to_string();
        opening.pop();
        opening.push_str(",\"entries\":[");
        let db = self.db.clone();
        // The state: the last entry written (`None` once the closing bracket is out), and whether
        // an entry was written yet (a broken chain may not start at 1).
        let pages = stream::try_unfold(Some((0_i64, true)), move |state| {
            let db = db.clone();
            async move {
                let Some((after, first)) = state else {
                    return Ok(None);
                };
                let page = page_after(&db, owner, after, BUNDLE_PAGE).await?;
                let Some(last) = page.last().map(|row| row.seq) else {
                    return Ok(Some((Bytes::from_static(b"]}"), None)));
                };
                let mut bytes = Vec::new();
                for (i, row) in page.iter().enumerate() {
                    if !(first && i == 0) {
                        bytes.push(b',');
                    }
                    // An entry is strings, numbers and ids: it always serialises.
                    serde_json::to_writer(&mut bytes, row)
                        .map_err(|_| crate::crypto::IntegrityError)?;
                }
                Ok(Some((Bytes::from(bytes), Some((last, false)))))
            }
        });
        Ok(stream::once(async move { Ok(Bytes::from(opening)) })
            .chain(pages)
            .boxed())
    }

    /// The database the log lives in, for reads that page through it.
    pub fn db(&self) -> &DatabaseConnection {
        &self.db
    }

    /// The store's signer: where the log's checkpoints are checked against.
    pub fn signer(&self) -> &Signer {
        &self.signer
    }
}
