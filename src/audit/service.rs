//! The access-log service: appends and checkpoints over exactly what they need (the database,
//! the store's signer and the clock).

use sea_orm::DatabaseConnection;

use super::{
    Access, BUNDLE_FORMAT, Bundle, CheckpointError, checkpoint, checkpoint_all, latest_checkpoint,
    whole_chain,
};
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

    /// The owner's whole log with its latest checkpoint, to keep and verify offline. A broken
    /// chain is not signed over, but the owner still gets it, with the last good checkpoint, so
    /// that `kho audit verify` shows where it breaks.
    pub async fn bundle(&self, owner: OwnerId) -> Result<Bundle, StoreError> {
        let checkpoint = match self.checkpoint(owner).await {
            Ok(jws) => jws,
            Err(CheckpointError::Broken(broken)) => {
                tracing::error!(
                    seq = broken.seq,
                    reason = broken.reason,
                    "an access log is broken"
                );
                latest_checkpoint(&self.db, owner).await?
            }
            Err(CheckpointError::Store(e)) => return Err(e),
        };
        Ok(Bundle {
            format: BUNDLE_FORMAT.to_owned(),
            owner: owner.0,
            jwks_uri: self.signer.endpoint("/oauth/jwks"),
            entries: whole_chain(&self.db, owner).await?,
            checkpoint,
        })
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
