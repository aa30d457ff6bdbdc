//! Appending to an owner's chain, reading it, and checking it link by link.

use chrono::{SecondsFormat, Utc};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, SqlErr,
};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::access_log::{self, Model};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// Appends racing for the same `seq` retry this many times.
const ATTEMPTS: usize = 8;

/// Who read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// A person acting for the owner under a mandate.
    Representative { person: OwnerId, mandate: Uuid },
}

/// Whether the read was allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Allowed,
    Denied,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Allowed => "allowed",
            Self::Denied => "denied",
        }
    }
}

/// One access to record.
#[derive(Debug, Clone)]
pub struct Access {
    pub owner: OwnerId,
    pub actor: Actor,
    /// What was read: `list_documents`, `read_document`, `download_document`, `read_access_log`…
    pub action: &'static str,
    pub document: Option<Uuid>,
    pub outcome: Outcome,
    pub detail: Option<&'static str>,
}

#[derive(Serialize)]
struct Canonical<'a> {
    v: u8,
    owner: Uuid,
    seq: i64,
    at: &'a str,
    actor_kind: &'a str,
    actor_person: Option<Uuid>,
    actor_mandate: Option<Uuid>,
    actor_client: Option<&'a str>,
    action: &'a str,
    document: Option<Uuid>,
    outcome: &'a str,
    detail: Option<&'a str>,
    prev: &'a str,
}

fn canonical_hash(row: &Model) -> String {
    let canonical = Canonical {
        v: 1,
        owner: row.owner_id,
        seq: row.seq,
        at: &row.at,
        actor_kind: &row.actor_kind,
        actor_person: row.actor_person,
        actor_mandate: row.actor_mandate,
        actor_client: row.actor_client.as_deref(),
        action: &row.action,
        document: row.document_id,
        outcome: &row.outcome,
        detail: row.detail.as_deref(),
        prev: &row.prev_hash,
    };
    // Serialising a struct of strings, numbers and UUIDs cannot fail.
    hex::encode(Sha256::digest(
        serde_json::to_vec(&canonical).unwrap_or_default(),
    ))
}

/// Appends `access` to its owner's chain; returns only once the row is stored.
pub async fn append(db: &DatabaseConnection, access: Access) -> Result<(), StoreError> {
    let Actor::Representative { person, mandate } = access.actor;
    for _ in 0..ATTEMPTS {
        let last = access_log::Entity::find()
            .filter(access_log::Column::OwnerId.eq(access.owner.0))
            .order_by_desc(access_log::Column::Seq)
            .one(db)
            .await?;
        let (seq, prev_hash) = last.map_or((1, GENESIS.to_owned()), |l| (l.seq + 1, l.hash));
        let mut row = Model {
            owner_id: access.owner.0,
            seq,
            at: Utc::now().to_rfc3339_opts(SecondsFormat::Micros, true),
            actor_kind: "representative".into(),
            actor_person: Some(person.0),
            actor_mandate: Some(mandate),
            actor_client: None,
            action: access.action.into(),
            document_id: access.document,
            outcome: access.outcome.as_str().into(),
            detail: access.detail.map(str::to_owned),
            prev_hash,
            hash: String::new(),
        };
        row.hash = canonical_hash(&row);
        let active: access_log::ActiveModel = row.into();
        match access_log::Entity::insert(active)
            .exec_without_returning(db)
            .await
        {
            Ok(_) => return Ok(()),
            // Another append took this seq first: read the new tail and try again.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(StoreError::Db(sea_orm::DbErr::Custom(
        "the access log is too busy to append to".into(),
    )))
}

/// The owner's entries, newest first, `limit` at most, before `before_seq` if given.
pub async fn entries(
    db: &DatabaseConnection,
    owner: OwnerId,
    limit: u64,
    before_seq: Option<i64>,
) -> Result<Vec<Model>, StoreError> {
    let mut query = access_log::Entity::find().filter(access_log::Column::OwnerId.eq(owner.0));
    if let Some(before) = before_seq {
        query = query.filter(access_log::Column::Seq.lt(before));
    }
    Ok(query
        .order_by_desc(access_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

/// The first link of a chain that does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the access log breaks at entry {seq}: {reason}")]
pub struct BrokenLink {
    pub seq: i64,
    pub reason: &'static str,
}

/// Checks a whole chain, oldest first: consecutive `seq` from 1, each `prev` the previous
/// `hash`, each `hash` the hash of its entry.
pub fn verify_chain(rows: &[Model]) -> Result<(), BrokenLink> {
    let mut prev = GENESIS.to_owned();
    for (i, row) in rows.iter().enumerate() {
        let expected_seq = i64::try_from(i).unwrap_or(i64::MAX) + 1;
        if row.seq != expected_seq {
            return Err(BrokenLink {
                seq: expected_seq,
                reason: "an entry is missing or out of order",
            });
        }
        if row.prev_hash != prev {
            return Err(BrokenLink {
                seq: row.seq,
                reason: "it does not follow the entry before it",
            });
        }
        if canonical_hash(row) != row.hash {
            return Err(BrokenLink {
                seq: row.seq,
                reason: "its content was changed",
            });
        }
        prev = row.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<Model> {
        let mut prev = GENESIS.to_owned();
        (1..=n)
            .map(|seq| {
                let mut row = Model {
                    owner_id: Uuid::from_u128(1),
                    seq,
                    at: format!("2026-11-23T10:00:{seq:02}.000000Z"),
                    actor_kind: "representative".into(),
                    actor_person: Some(Uuid::from_u128(2)),
                    actor_mandate: Some(Uuid::from_u128(3)),
                    actor_client: None,
                    action: "read_document".into(),
                    document_id: Some(Uuid::from_u128(4)),
                    outcome: "allowed".into(),
                    detail: None,
                    prev_hash: prev.clone(),
                    hash: String::new(),
                };
                row.hash = canonical_hash(&row);
                prev = row.hash.clone();
                row
            })
            .collect()
    }

    #[test]
    fn an_intact_chain_verifies() {
        assert_eq!(verify_chain(&chain(5)), Ok(()));
    }

    #[test]
    fn an_edited_row_is_named() {
        let mut rows = chain(5);
        rows[2].outcome = "denied".into();
        assert_eq!(verify_chain(&rows).unwrap_err().seq, 3);
    }

    #[test]
    fn a_deleted_or_reordered_row_is_named() {
        let mut rows = chain(5);
        rows.remove(1);
        assert_eq!(verify_chain(&rows).unwrap_err().seq, 2);
        let mut rows = chain(5);
        rows.swap(3, 4);
        assert_eq!(verify_chain(&rows).unwrap_err().seq, 4);
    }

    #[test]
    fn a_rehashed_edit_still_breaks_the_next_link() {
        let mut rows = chain(5);
        rows[1].detail = Some("forged".into());
        rows[1].hash = canonical_hash(&rows[1]);
        assert_eq!(
            verify_chain(&rows).unwrap_err(),
            BrokenLink {
                seq: 3,
                reason: "it does not follow the entry before it"
            }
        );
    }
}
