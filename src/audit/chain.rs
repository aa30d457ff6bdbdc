//! Appending to an owner's chain, reading it, and checking it link by link.

use chrono::{DateTime, SecondsFormat, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, DatabaseTransaction, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect, TransactionTrait,
};

use uuid::Uuid;

use super::canonical::canonical_hash;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::access_log::{self, Model};
use crate::storage::entities::owners;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
/// The version of the encoding new entries are written with.
const VERSION: i16 = 2;

/// Who read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A person acting for the owner under a mandate.
    Representative { person: OwnerId, mandate: Uuid },
    /// A portal (OAuth client) of an agency, under a consent.
    Portal { client: String, agency: String },
    /// An official (signed in with the official role), under a case.
    Official { person: OwnerId },
    /// An operator at the command line (`kho export`).
    Operator,
}

/// Under what the access happened: the consent with its procedure and dossier, or an
/// official's case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Context {
    pub consent: Option<Uuid>,
    pub procedure: Option<String>,
    pub dossier: Option<String>,
    pub case_ref: Option<String>,
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
    pub context: Context,
}

/// Appends `access` to its owner's chain in a transaction of its own; returns only once the
/// row is stored.
pub async fn append(
    db: &DatabaseConnection,
    access: Access,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    append_in(&txn, access, now).await?;
    txn.commit().await?;
    Ok(())
}

/// Takes the owner's log lock for the rest of `txn`: appends to one owner's chain happen one
/// at a time, on every process (a row lock on PostgreSQL, the write lock on SQLite). Call it
/// first in a transaction that reads and then logs, so that SQLite never has to upgrade a
/// read snapshot into a write. `false` if the owner no longer exists (erased).
pub async fn lock_owner(txn: &DatabaseTransaction, owner: OwnerId) -> Result<bool, StoreError> {
    let touched = owners::Entity::update_many()
        .col_expr(owners::Column::Id, Expr::col(owners::Column::Id))
        .filter(owners::Column::Id.eq(owner.0))
        .exec(txn)
        .await?;
    Ok(touched.rows_affected == 1)
}

/// Appends `access` within `txn`: the row commits with whatever else `txn` does, or not at all
/// — which is how a read and its log row become one.
pub async fn append_in(
    txn: &DatabaseTransaction,
    access: Access,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if !lock_owner(txn, access.owner).await? {
        return Err(StoreError::Db(sea_orm::DbErr::RecordNotFound(
            "the owner of this access log no longer exists".into(),
        )));
    }
    append_locked(txn, access, now).await
}

/// [`append_in`] for a transaction that already holds the owner's lock ([`lock_owner`]).
pub async fn append_locked(
    txn: &DatabaseTransaction,
    access: Access,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let last = tail(txn, access.owner).await?;
    let (seq, prev_hash) = last.map_or((1, GENESIS.to_owned()), |l| (l.seq + 1, l.hash));
    let (kind, person, mandate, client, agency) = match access.actor {
        Actor::Representative { person, mandate } => {
            ("representative", Some(person.0), Some(mandate), None, None)
        }
        Actor::Portal { client, agency } => ("portal", None, None, Some(client), Some(agency)),
        Actor::Official { person } => ("official", Some(person.0), None, None, None),
        Actor::Operator => ("operator", None, None, None, None),
    };
    let mut row = Model {
        owner_id: access.owner.0,
        seq,
        at: now.to_rfc3339_opts(SecondsFormat::Micros, true),
        actor_kind: kind.into(),
        actor_person: person,
        actor_mandate: mandate,
        actor_client: client,
        action: access.action.into(),
        document_id: access.document,
        outcome: access.outcome.as_str().into(),
        detail: access.detail.map(str::to_owned),
        prev_hash,
        hash: String::new(),
        version: VERSION,
        actor_agency: agency,
        consent_id: access.context.consent,
        procedure: access.context.procedure,
        dossier: access.context.dossier,
        case_ref: access.context.case_ref,
    };
    row.hash = canonical_hash(&row);
    let official_saw = row.actor_kind == "official" && row.outcome == Outcome::Allowed.as_str();
    let (owner, document) = (access.owner, row.document_id);
    let event = row.seq.to_string();
    let active: access_log::ActiveModel = row.into();
    access_log::Entity::insert(active)
        .exec_without_returning(txn)
        .await?;
    if official_saw {
        // The owner is told of an official's look-up with the entry that records it.
        let kind = crate::notices::Kind::OfficialLookup;
        crate::notices::record(txn, owner, kind, document, &event, now).await?;
    }
    Ok(())
}

/// The newest entry of the owner's chain.
pub async fn tail(db: &impl ConnectionTrait, owner: OwnerId) -> Result<Option<Model>, StoreError> {
    Ok(access_log::Entity::find()
        .filter(access_log::Column::OwnerId.eq(owner.0))
        .order_by_desc(access_log::Column::Seq)
        .one(db)
        .await?)
}

/// An official's own look-ups across owners, newest first, `limit` at most.
pub async fn by_official(
    db: &DatabaseConnection,
    official: OwnerId,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(access_log::Entity::find()
        .filter(access_log::Column::ActorKind.eq("official"))
        .filter(access_log::Column::ActorPerson.eq(official.0))
        .order_by_desc(access_log::Column::At)
        .limit(limit)
        .all(db)
        .await?)
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
    let mut check = ChainCheck::default();
    rows.iter().try_for_each(|row| check.next(row))
}

/// A chain checked an entry at a time, oldest first, so that a long log is checked a page at a
/// time and never held whole.
#[derive(Debug)]
pub struct ChainCheck {
    prev: String,
    seen_v2: bool,
    next_seq: i64,
}

impl Default for ChainCheck {
    fn default() -> Self {
        Self {
            prev: GENESIS.to_owned(),
            seen_v2: false,
            next_seq: 1,
        }
    }
}

impl ChainCheck {
    /// Checks the next entry: it must follow the one before it.
    pub fn next(&mut self, row: &Model) -> Result<(), BrokenLink> {
        // Version 1 hashes fewer fields: a version 1 entry may not carry the others (they would
        // be unprotected), nor come after version 2 (a downgrade).
        let plausible = match row.version {
            1 => !self.seen_v2 && !has_version_2_fields(row),
            2 => {
                self.seen_v2 = true;
                true
            }
            _ => false,
        };
        if !plausible {
            return Err(BrokenLink {
                seq: row.seq,
                reason: "its content was changed",
            });
        }
        if row.seq != self.next_seq {
            return Err(BrokenLink {
                seq: self.next_seq,
                reason: "an entry is missing or out of order",
            });
        }
        if row.prev_hash != self.prev {
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
        self.prev.clone_from(&row.hash);
        self.next_seq += 1;
        Ok(())
    }
}

/// Up to `limit` entries of the owner's chain after `seq`, oldest first.
pub async fn page_after(
    db: &impl ConnectionTrait,
    owner: OwnerId,
    seq: i64,
    limit: u64,
) -> Result<Vec<Model>, StoreError> {
    Ok(access_log::Entity::find()
        .filter(access_log::Column::OwnerId.eq(owner.0))
        .filter(access_log::Column::Seq.gt(seq))
        .order_by_asc(access_log::Column::Seq)
        .limit(limit)
        .all(db)
        .await?)
}

fn has_version_2_fields(row: &Model) -> bool {
    row.actor_agency.is_some()
        || row.consent_id.is_some()
        || row.procedure.is_some()
        || row.dossier.is_some()
        || row.case_ref.is_some()
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
                    version: if seq <= 2 { 1 } else { 2 },
                    actor_agency: None,
                    consent_id: None,
                    procedure: None,
                    dossier: None,
                    case_ref: None,
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
    fn a_version_2_entry_hashes_its_consent_and_case() {
        let mut rows = chain(3);
        rows[2].procedure = Some("1.000001".into());
        assert_eq!(verify_chain(&rows).unwrap_err().seq, 3);
        let mut rows = chain(3);
        rows[2].case_ref = Some("case".into());
        assert_eq!(verify_chain(&rows).unwrap_err().seq, 3);
    }

    #[test]
    fn a_version_1_entry_cannot_smuggle_unhashed_fields_or_follow_version_2() {
        let mut rows = chain(4);
        rows[1].consent_id = Some(Uuid::from_u128(9));
        assert_eq!(verify_chain(&rows).unwrap_err().seq, 2);
        let mut rows = chain(4);
        rows[3].version = 1;
        rows[3].hash = canonical_hash(&rows[3]);
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
