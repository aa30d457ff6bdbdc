//! Signed checkpoints of an owner's chain, and the bundle an owner downloads to verify their
//! log offline with `kho audit verify`.
//!
//! The store signs a checkpoint only after checking the chain up to it, including that the
//! previous checkpoint still matches its entry — so rows edited, deleted or reordered in the
//! database are never signed over, and a later bundle built from them fails verification.

use chrono::{DateTime, Utc};
use jsonwebtoken::jwk::JwkSet;
use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::chain::{BrokenLink, ChainCheck, page_after, verify_chain};
use crate::crypto::Signer;
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::access_log::{self, Model};
use crate::storage::entities::audit_checkpoints;

pub const CHECKPOINT_TYPE: &str = "kho-log-checkpoint+jwt";
pub const BUNDLE_FORMAT: &str = "kho-access-log-bundle/1";

/// What a checkpoint states.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Statement {
    pub iss: String,
    pub owner: Uuid,
    pub seq: i64,
    pub hash: String,
    pub iat: i64,
}

/// Why the store would not sign.
#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error(transparent)]
    Broken(#[from] BrokenLink),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for CheckpointError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

async fn latest(
    db: &DatabaseConnection,
    owner: OwnerId,
) -> Result<Option<audit_checkpoints::Model>, StoreError> {
    Ok(audit_checkpoints::Entity::find()
        .filter(audit_checkpoints::Column::OwnerId.eq(owner.0))
        .order_by_desc(audit_checkpoints::Column::Seq)
        .one(db)
        .await?)
}

/// The latest signed checkpoint of the owner's log, as a JWS.
pub async fn latest_checkpoint(
    db: &DatabaseConnection,
    owner: OwnerId,
) -> Result<Option<String>, StoreError> {
    Ok(latest(db, owner).await?.map(|cp| cp.jws))
}

/// Entries read at a time when a chain is checked.
const PAGE: u64 = 1000;

/// Checks the chain — a page at a time, never whole in memory — and signs its head (unless the
/// latest checkpoint already covers it). Returns the latest checkpoint's JWS, or `None` for an
/// empty log.
pub async fn checkpoint(
    db: &DatabaseConnection,
    store: &Signer,
    owner: OwnerId,
    now: DateTime<Utc>,
) -> Result<Option<String>, CheckpointError> {
    // The checkpoint first: a newer one signed meanwhile by another process then only covers
    // fewer entries than read below, never more.
    let previous = latest(db, owner).await?;
    let signed = previous
        .as_ref()
        .map(|cp| previous_statement(store, owner, cp))
        .transpose()?;
    let mut check = ChainCheck::default();
    let mut head: Option<Model> = None;
    let mut at_signed: Option<String> = None;
    loop {
        let after = head.as_ref().map_or(0, |h| h.seq);
        let page = page_after(db, owner, after, PAGE).await?;
        for row in &page {
            check.next(row)?;
            if signed.as_ref().is_some_and(|s| s.seq == row.seq) {
                at_signed = Some(row.hash.clone());
            }
        }
        match page.into_iter().last() {
            Some(last) => head = Some(last),
            None => break,
        }
    }
    // The latest stored checkpoint must still hold over the chain.
    if let Some(statement) = &signed {
        match at_signed {
            None => {
                return Err(BrokenLink {
                    seq: head.as_ref().map_or(0, |h| h.seq) + 1,
                    reason: "entries the signed checkpoint covers are missing",
                }
                .into());
            }
            Some(hash) if hash != statement.hash => {
                return Err(BrokenLink {
                    seq: statement.seq,
                    reason: "it does not match the signed checkpoint",
                }
                .into());
            }
            Some(_) => {}
        }
    }
    let signer = store.key().map_err(StoreError::from)?;
    let Some(head) = head else {
        return Ok(None);
    };
    // Signed over this very head by the key that signs now: nothing to do. (After a signing
    // key rotation, heads are signed again, so the old key can be retired.)
    if let Some(cp) = previous.filter(|cp| {
        cp.seq == head.seq
            && cp.hash == head.hash
            && kid_of(&cp.jws).as_deref() == Some(signer.id())
    }) {
        return Ok(Some(cp.jws));
    }
    let statement = Statement {
        iss: store.issuer().to_owned(),
        owner: owner.0,
        seq: head.seq,
        hash: head.hash.clone(),
        iat: now.timestamp(),
    };
    let jws = signer
        .sign(CHECKPOINT_TYPE, &statement)
        .map_err(StoreError::from)?;
    save(db, &head, jws.clone(), now).await?;
    Ok(Some(jws))
}

/// What the latest stored checkpoint `cp` states, checked by what the store signed, not by the
/// row's columns (which anyone with the database can edit).
fn previous_statement(
    store: &Signer,
    owner: OwnerId,
    cp: &audit_checkpoints::Model,
) -> Result<Statement, CheckpointError> {
    let published = store.public_keys().map_err(StoreError::from)?;
    let (statement, _) = verify_statement(&cp.jws, &published).map_err(|_| BrokenLink {
        seq: cp.seq,
        reason: "the stored checkpoint's signature does not verify",
    })?;
    if statement.owner != owner.0 || statement.seq != cp.seq {
        return Err(BrokenLink {
            seq: cp.seq,
            reason: "the stored checkpoint is not this log's",
        }
        .into());
    }
    Ok(statement)
}

/// Stores `jws`, the checkpoint of `head`.
async fn save(
    db: &DatabaseConnection,
    head: &Model,
    jws: String,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let row = audit_checkpoints::ActiveModel {
        owner_id: Set(head.owner_id),
        seq: Set(head.seq),
        hash: Set(head.hash.clone()),
        created_at: Set(now),
        jws: Set(jws),
    };
    // Two processes may sign the same head at once: either statement is as good. Signing a head
    // again (with a new key) replaces the earlier statement.
    audit_checkpoints::Entity::insert(row)
        .on_conflict(
            sea_orm::sea_query::OnConflict::columns([
                audit_checkpoints::Column::OwnerId,
                audit_checkpoints::Column::Seq,
            ])
            .update_columns([
                audit_checkpoints::Column::Jws,
                audit_checkpoints::Column::CreatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(db)
        .await?;
    Ok(())
}

/// Signs a checkpoint for every owner whose log grew since the last one; returns how many.
/// A broken chain is logged loudly and left unsigned.
pub async fn checkpoint_all(
    db: &DatabaseConnection,
    store: &Signer,
    now: DateTime<Utc>,
) -> Result<usize, StoreError> {
    let heads: Vec<(Uuid, i64)> = access_log::Entity::find()
        .select_only()
        .column(access_log::Column::OwnerId)
        .column_as(access_log::Column::Seq.max(), "seq")
        .group_by(access_log::Column::OwnerId)
        .into_tuple()
        .all(db)
        .await?;
    let mut signed = 0;
    for (owner, seq) in heads {
        let active = store.key().map_err(StoreError::from)?;
        let current = latest(db, OwnerId(owner))
            .await?
            .is_some_and(|cp| cp.seq >= seq && kid_of(&cp.jws).as_deref() == Some(active.id()));
        if current {
            continue;
        }
        match checkpoint(db, store, OwnerId(owner), now).await {
            Ok(_) => signed += 1,
            Err(CheckpointError::Broken(broken)) => {
                tracing::error!(%owner, seq = broken.seq, reason = broken.reason, "an access log is broken: not signing it");
            }
            Err(CheckpointError::Store(e)) => return Err(e),
        }
    }
    Ok(signed)
}

/// The key id a JWS names.
fn kid_of(jws: &str) -> Option<String> {
    jsonwebtoken::decode_header(jws).ok().and_then(|h| h.kid)
}

/// How many owners' latest checkpoints are signed by key `kid` (a key still needed to check
/// them must not be retired).
pub async fn latest_signed_by(db: &DatabaseConnection, kid: &str) -> Result<usize, StoreError> {
    let all = audit_checkpoints::Entity::find()
        .order_by_asc(audit_checkpoints::Column::OwnerId)
        .order_by_desc(audit_checkpoints::Column::Seq)
        .all(db)
        .await?;
    let mut seen = std::collections::HashSet::new();
    Ok(all
        .into_iter()
        .filter(|cp| seen.insert(cp.owner_id))
        .filter(|cp| kid_of(&cp.jws).as_deref() == Some(kid))
        .count())
}

fn check_against(rows: &[Model], seq: i64, hash: &str) -> Result<(), BrokenLink> {
    let index = usize::try_from(seq - 1).unwrap_or(usize::MAX);
    match rows.get(index) {
        None => Err(BrokenLink {
            seq: i64::try_from(rows.len()).unwrap_or(i64::MAX) + 1,
            reason: "entries the signed checkpoint covers are missing",
        }),
        Some(row) if row.hash != hash => Err(BrokenLink {
            seq,
            reason: "it does not match the signed checkpoint",
        }),
        Some(_) => Ok(()),
    }
}

/// What an owner downloads: every entry, oldest first, and the latest signed checkpoint.
#[derive(Debug, Serialize, Deserialize)]
pub struct Bundle {
    pub format: String,
    pub owner: Uuid,
    /// Where the store's public keys are published.
    pub jwks_uri: String,
    pub entries: Vec<Model>,
    pub checkpoint: Option<String>,
}

/// Why a bundle does not verify.
#[derive(Debug, thiserror::Error)]
pub enum BundleError {
    #[error("not a Kho access-log bundle: {0}")]
    Format(String),
    #[error("the checkpoint's signature does not verify: {0}")]
    Signature(&'static str),
    #[error("the bundle carries no signed checkpoint: its entries cannot be vouched for")]
    Unsigned,
    #[error(transparent)]
    Broken(#[from] BrokenLink),
}

/// What a bundle that verifies proves.
#[derive(Debug, Serialize)]
pub struct Verified {
    pub owner: Uuid,
    pub entries: usize,
    /// The last entry the store's signature covers.
    pub signed_up_to: Option<i64>,
    pub signed_by: Option<String>,
}

/// Checks a checkpoint's signature against `keys`; returns what it states and the key id.
pub fn verify_statement(jws: &str, keys: &JwkSet) -> Result<(Statement, String), BundleError> {
    use crate::crypto::StoreSignatureError as E;
    crate::crypto::verify_by_store(jws, CHECKPOINT_TYPE, keys).map_err(|e| {
        BundleError::Signature(match e {
            E::NotAJws => "not a JWS",
            E::WrongType => "not a checkpoint",
            E::NoKeyId => "no key id",
            E::UnpublishedKey => "signed by a key that is not published",
            E::UnusableKey => "unusable key",
            E::BadSignature => "the signature is invalid",
        })
    })
}

/// Checks a bundle offline against the store's public keys: the chain link by link, then the
/// checkpoint's signature and that it matches its entry — and each `earlier` checkpoint (kept
/// from earlier downloads) too, so a log rewritten since then is caught. Names the first
/// broken link.
pub fn verify_bundle(
    bundle: &Bundle,
    keys: &JwkSet,
    earlier: &[String],
) -> Result<Verified, BundleError> {
    if bundle.format != BUNDLE_FORMAT {
        return Err(BundleError::Format(format!(
            "format must be {BUNDLE_FORMAT}"
        )));
    }
    if let Some(stranger) = bundle.entries.iter().find(|e| e.owner_id != bundle.owner) {
        return Err(BrokenLink {
            seq: stranger.seq,
            reason: "it belongs to another owner",
        }
        .into());
    }
    verify_chain(&bundle.entries)?;
    for jws in earlier {
        let (statement, _) = verify_statement(jws, keys)?;
        if statement.owner != bundle.owner {
            return Err(BundleError::Signature(
                "an earlier checkpoint is another owner's",
            ));
        }
        check_against(&bundle.entries, statement.seq, &statement.hash)?;
    }
    let Some(jws) = &bundle.checkpoint else {
        if bundle.entries.is_empty() {
            return Ok(Verified {
                owner: bundle.owner,
                entries: 0,
                signed_up_to: None,
                signed_by: None,
            });
        }
        return Err(BundleError::Unsigned);
    };
    let (statement, kid) = verify_statement(jws, keys)?;
    if statement.owner != bundle.owner {
        return Err(BundleError::Signature("the checkpoint is another owner's"));
    }
    check_against(&bundle.entries, statement.seq, &statement.hash)?;
    Ok(Verified {
        owner: bundle.owner,
        entries: bundle.entries.len(),
        signed_up_to: Some(statement.seq),
        signed_by: Some(kid),
    })
}

/// Deletes `owner`'s whole log and its checkpoints (the owner's store is being erased).
pub async fn forget(db: &DatabaseConnection, owner: OwnerId) -> Result<(), StoreError> {
    access_log::Entity::delete_many()
        .filter(access_log::Column::OwnerId.eq(owner.0))
        .exec(db)
        .await?;
    audit_checkpoints::Entity::delete_many()
        .filter(audit_checkpoints::Column::OwnerId.eq(owner.0))
        .exec(db)
        .await?;
    Ok(())
}
