//! Finding and creating owners. The identifier is stored only as a blind index and sealed with
//! the owner's own key.

use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    SqlErr, TransactionTrait,
};
use uuid::Uuid;

use super::{OwnerId, keys};
use crate::crypto::{DataKey, KeyRing, open_field, seal_field};
use crate::ids::{OwnerIdentifier, OwnerKind};
use crate::storage::StoreError;
use crate::storage::blobs::Blobs;
use crate::storage::entities::{owner_keys, owners};

const INDEX_DOMAIN: &str = "owner";
const IDENTIFIER_FIELD: &str = "identifier";
const NAME_FIELD: &str = "name";

/// An owner as the rest of the service sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owner {
    pub id: OwnerId,
    pub kind: OwnerKind,
}

fn from_row(row: &owners::Model) -> Owner {
    let kind = if row.kind == OwnerKind::Organisation.as_str() {
        OwnerKind::Organisation
    } else {
        OwnerKind::Citizen
    };
    Owner {
        id: OwnerId(row.id),
        kind,
    }
}

/// The keyed blind index of an identifier: how owners (and their representatives) are found.
pub fn identifier_index(ring: &KeyRing, who: &OwnerIdentifier) -> String {
    ring.blind_index().index(INDEX_DOMAIN, &who.canonical())
}

/// The owner with this identifier, if their store exists.
pub async fn find(
    db: &DatabaseConnection,
    ring: &KeyRing,
    who: &OwnerIdentifier,
) -> Result<Option<Owner>, StoreError> {
    let index = identifier_index(ring, who);
    let row = owners::Entity::find()
        .filter(owners::Column::IdentifierIndex.eq(index))
        .one(db)
        .await?;
    Ok(row.as_ref().map(from_row))
}

/// The owner with this identifier, creating an empty store (and its data key) the first time.
pub async fn find_or_create(
    db: &DatabaseConnection,
    ring: &KeyRing,
    blobs: &Blobs,
    who: &OwnerIdentifier,
    now: DateTime<Utc>,
) -> Result<Owner, StoreError> {
    if let Some(owner) = find(db, ring, who).await? {
        if owner_keys::Entity::find_by_id(owner.id.0)
            .one(db)
            .await?
            .is_some()
        {
            return Ok(owner);
        }
        // An erasure stopped after destroying the key: what is left can never be read again.
        // Finish it — blobs, log, consents and rows, as erasure does — so that the person gets a
        // fresh store instead of a locked one, and nothing of the old one stays behind.
        tracing::warn!(owner = %owner.id.0, "finishing an interrupted erasure");
        super::erase(db, blobs, owner.id).await?;
    }
    let new = prepare(ring, who, now)?;
    let txn = db.begin().await?;
    if insert_new(&txn, &new).await? {
        txn.commit().await?;
        return Ok(new.owner());
    }
    // Two first sign-ins raced: the other one created the store.
    txn.rollback().await?;
    find(db, ring, who)
        .await?
        .ok_or(StoreError::Integrity(crate::crypto::IntegrityError))
}

/// A new owner's store, made in memory and written by [`insert_new`]: alone, or in the same
/// transaction as its first document, so that a refused push leaves no empty store behind.
#[derive(Debug)]
pub struct NewOwner {
    pub id: OwnerId,
    pub kind: OwnerKind,
    /// The new store's data key (its `Debug` shows nothing).
    pub key: DataKey,
    owner: owners::ActiveModel,
    owner_key: owner_keys::ActiveModel,
}

impl NewOwner {
    pub fn owner(&self) -> Owner {
        Owner {
            id: self.id,
            kind: self.kind,
        }
    }
}

/// Makes `who`'s store and data key, not yet written.
pub fn prepare(
    ring: &KeyRing,
    who: &OwnerIdentifier,
    now: DateTime<Utc>,
) -> Result<NewOwner, StoreError> {
    let id = Uuid::now_v7();
    let key = DataKey::generate()?;
    let (kek_id, wrapped) = keys::wrap_new(ring, id, &key)?;
    let owner = owners::ActiveModel {
        id: Set(id),
        kind: Set(who.kind().as_str().to_owned()),
        identifier_index: Set(identifier_index(ring, who)),
        identifier_sealed: Set(seal_field(
            &key,
            id,
            id,
            IDENTIFIER_FIELD,
            &who.to_string(),
        )?),
        created_at: Set(now),
        name_sealed: Set(None),
    };
    let owner_key = owner_keys::ActiveModel {
        owner_id: Set(id),
        kek_id: Set(kek_id),
        wrapped: Set(wrapped),
        created_at: Set(now),
        rewrapped_at: Set(None),
    };
    Ok(NewOwner {
        id: OwnerId(id),
        kind: who.kind(),
        key,
        owner,
        owner_key,
    })
}

/// Writes the prepared store on `conn` (a transaction); `false`, writing nothing, when a store
/// for the same identifier was created meanwhile.
pub async fn insert_new(conn: &impl ConnectionTrait, new: &NewOwner) -> Result<bool, StoreError> {
    match owners::Entity::insert(new.owner.clone())
        .exec_without_returning(conn)
        .await
    {
        Ok(_) => {
            owner_keys::Entity::insert(new.owner_key.clone())
                .exec_without_returning(conn)
                .await?;
            Ok(true)
        }
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// The owner's identifier, opened with their data key; `None` once the store is erased.
pub async fn identifier(
    db: &DatabaseConnection,
    ring: &KeyRing,
    owner: OwnerId,
) -> Result<Option<OwnerIdentifier>, StoreError> {
    let Some(row) = owners::Entity::find_by_id(owner.0).one(db).await? else {
        return Ok(None);
    };
    let Some(key) = keys::data_key(db, ring, owner).await? else {
        return Ok(None);
    };
    let text = open_field(
        &key,
        owner.0,
        owner.0,
        IDENTIFIER_FIELD,
        &row.identifier_sealed,
    )?;
    Ok(OwnerIdentifier::parse(&text).ok())
}

/// Records the owner's name, sealed with their key: always when the identity provider says it
/// (`only_if_unknown` false), or only when none is known yet (an issuer's push).
pub async fn remember_name(
    db: &DatabaseConnection,
    ring: &KeyRing,
    owner: OwnerId,
    name: &crate::ids::Text,
    only_if_unknown: bool,
) -> Result<(), StoreError> {
    let Some(key) = keys::data_key(db, ring, owner).await? else {
        return Ok(());
    };
    let sealed = seal_field(&key, owner.0, owner.0, NAME_FIELD, name.as_str())?;
    let mut update = owners::Entity::update_many()
        .col_expr(
            owners::Column::NameSealed,
            sea_orm::sea_query::Expr::value(sealed),
        )
        .filter(owners::Column::Id.eq(owner.0));
    if only_if_unknown {
        update = update.filter(owners::Column::NameSealed.is_null());
    }
    update.exec(db).await?;
    Ok(())
}

/// The owner's name, if one was ever learnt; `None` also once the store is erased.
pub async fn name(
    db: &DatabaseConnection,
    ring: &KeyRing,
    owner: OwnerId,
) -> Result<Option<String>, StoreError> {
    let Some(row) = owners::Entity::find_by_id(owner.0).one(db).await? else {
        return Ok(None);
    };
    let (Some(sealed), Some(key)) = (row.name_sealed, keys::data_key(db, ring, owner).await?)
    else {
        return Ok(None);
    };
    Ok(Some(open_field(
        &key, owner.0, owner.0, NAME_FIELD, &sealed,
    )?))
}
