//! The mandates service: recording, ending and checking mandates over exactly what they need
//! (the database, the key ring that seals representatives, and the clock).

use std::sync::Arc;

use sea_orm::DatabaseConnection;
use uuid::Uuid;

use super::{MandateError, MandateView, NewMandate};
use crate::clock::Clock;
use crate::crypto::KeyRing;
use crate::ids::OwnerIdentifier;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::blobs::Blobs;
use crate::storage::entities::mandates;

/// Mandates: who may act for whom, with which scopes, until when.
#[derive(Clone, Debug)]
pub struct Mandates {
    db: DatabaseConnection,
    keys: Arc<KeyRing>,
    /// To finish an interrupted erasure of the owner a mandate is added for.
    blobs: Blobs,
    clock: Clock,
}

impl Mandates {
    pub fn new(db: DatabaseConnection, keys: Arc<KeyRing>, blobs: Blobs, clock: Clock) -> Self {
        Self {
            db,
            keys,
            blobs,
            clock,
        }
    }

    /// Seals the ends of guardianships recorded before their end was sealed (see
    /// [`super::seal_plain_guardianship_ends`]).
    pub async fn seal_plain_ends(&self) -> Result<u64, StoreError> {
        super::seal_plain_guardianship_ends(&self.db, &self.keys).await
    }

    /// Records a mandate (see [`super::add`]).
    pub async fn add(&self, mandate: NewMandate) -> Result<Uuid, MandateError> {
        super::add(&self.db, &self.keys, &self.blobs, mandate, self.clock.now()).await
    }

    /// Every mandate of an owner, newest first.
    pub async fn list_for_owner(
        &self,
        owner: &OwnerIdentifier,
    ) -> Result<Vec<MandateView>, StoreError> {
        super::list_for_owner(&self.db, &self.keys, owner, self.clock.now()).await
    }

    /// Ends a mandate now.
    pub async fn revoke(&self, id: Uuid) -> Result<bool, StoreError> {
        super::revoke(&self.db, id, self.clock.now()).await
    }

    /// The mandate `id` if it acts now.
    pub async fn active(&self, id: Uuid) -> Result<Option<mandates::Model>, StoreError> {
        super::active(&self.db, &self.keys, id, self.clock.now()).await
    }

    /// The mandates under which `person` may act now.
    pub async fn active_for_person(&self, person: OwnerId) -> Result<Vec<MandateView>, StoreError> {
        super::active_for_person(&self.db, &self.keys, person, self.clock.now()).await
    }

    /// The owner `who` and the mandate under which `person` may act for them now, if any.
    pub async fn acting_for(
        &self,
        person: OwnerId,
        who: &OwnerIdentifier,
    ) -> Result<Option<(OwnerId, Uuid)>, StoreError> {
        let Some(target) = crate::owners::find(&self.db, &self.keys, who).await? else {
            return Ok(None);
        };
        let mandates = self.active_for_person(person).await?;
        let wanted = who.to_string();
        Ok(mandates
            .iter()
            .find(|m| m.owner == wanted)
            .map(|m| (target.id, m.id)))
    }

    /// The representative of a mandate of `owner`, as the owner's record has them.
    pub async fn representative_of(
        &self,
        owner: OwnerId,
        mandate: Uuid,
    ) -> Result<Option<String>, StoreError> {
        super::representative_of(&self.db, &self.keys, owner, mandate).await
    }
}
