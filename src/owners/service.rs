//! The owners' service: what the rest of Kho asks of owners' stores, over exactly what it needs
//! (the database, the key ring, the blob store for erasure, and the clock).

use std::sync::Arc;

use sea_orm::DatabaseConnection;

use super::{ErasureReport, NewOwner, Owner, OwnerId};
use crate::clock::Clock;
use crate::crypto::{DataKey, KeyRing};
use crate::ids::{OwnerIdentifier, Text};
use crate::storage::StoreError;
use crate::storage::blobs::Blobs;

/// Owners' stores: find, create, open their data keys, erase.
#[derive(Clone, Debug)]
pub struct Owners {
    db: DatabaseConnection,
    keys: Arc<KeyRing>,
    blobs: Blobs,
    clock: Clock,
}

impl Owners {
    pub fn new(db: DatabaseConnection, keys: Arc<KeyRing>, blobs: Blobs, clock: Clock) -> Self {
        Self {
            db,
            keys,
            blobs,
            clock,
        }
    }

    /// The owner with this identifier, if their store exists.
    pub async fn find(&self, who: &OwnerIdentifier) -> Result<Option<Owner>, StoreError> {
        super::find(&self.db, &self.keys, who).await
    }

    /// Forgets the stores that a day after their making still hold nothing (see
    /// [`super::unused`]); returns how many.
    pub async fn forget_unused(&self) -> Result<u64, StoreError> {
        super::unused::forget_unused(&self.db, self.clock.now()).await
    }

    /// The owner with this identifier, creating an empty store the first time.
    pub async fn find_or_create(&self, who: &OwnerIdentifier) -> Result<Owner, StoreError> {
        super::find_or_create(&self.db, &self.keys, &self.blobs, who, self.clock.now()).await
    }

    /// A new store for `who`, made in memory, to be written with its first document.
    pub fn prepare(&self, who: &OwnerIdentifier) -> Result<NewOwner, StoreError> {
        super::prepare(&self.keys, who, self.clock.now())
    }

    /// The owner's data key; `None` once erased.
    pub async fn data_key(&self, owner: OwnerId) -> Result<Option<DataKey>, StoreError> {
        super::data_key(&self.db, &self.keys, owner).await
    }

    /// The owner's identifier; `None` once erased.
    pub async fn identifier(&self, owner: OwnerId) -> Result<Option<OwnerIdentifier>, StoreError> {
        super::identifier(&self.db, &self.keys, owner).await
    }

    /// The owner's name, if one was ever learnt.
    pub async fn name(&self, owner: OwnerId) -> Result<Option<String>, StoreError> {
        super::name(&self.db, &self.keys, owner).await
    }

    /// Records the owner's name (see [`super::remember_name`]).
    pub async fn remember_name(
        &self,
        owner: OwnerId,
        name: &Text,
        only_if_unknown: bool,
    ) -> Result<(), StoreError> {
        super::remember_name(&self.db, &self.keys, owner, name, only_if_unknown).await
    }

    /// Erases the owner's store (crypto-shredding first).
    pub async fn erase(&self, owner: OwnerId) -> Result<ErasureReport, StoreError> {
        super::erase(&self.db, &self.blobs, owner).await
    }
}
