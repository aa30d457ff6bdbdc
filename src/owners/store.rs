//! Finding and creating owners. The identifier is stored only as a blind index and sealed with
//! the owner's own key.

use chrono::Utc;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, SqlErr,
    TransactionTrait,
};
use uuid::Uuid;

use super::{OwnerId, keys};
use crate::crypto::{DataKey, KeyRing, open_field, seal_field};
use crate::ids::{OwnerIdentifier, OwnerKind};
use crate::storage::StoreError;
use crate::storage::entities::{owner_keys, owners};

const INDEX_DOMAIN: &str = "owner";
const IDENTIFIER_FIELD: &str = "identifier";

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
    who: &OwnerIdentifier,
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
        // Finish it, so that the person gets a fresh store instead of a locked one.
        tracing::warn!(owner = %owner.id.0, "finishing an interrupted erasure at sign-in");
        owners::Entity::delete_by_id(owner.id.0).exec(db).await?;
    }
    let id = Uuid::now_v7();
    let key = DataKey::generate()?;
    let (kek_id, wrapped) = keys::wrap_new(ring, id, &key)?;
    let now = Utc::now();
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
    };
    let owner_key = owner_keys::ActiveModel {
        owner_id: Set(id),
        kek_id: Set(kek_id),
        wrapped: Set(wrapped),
        created_at: Set(now),
        rewrapped_at: Set(None),
    };
    let txn = db.begin().await?;
    let inserted = owners::Entity::insert(owner)
        .exec_without_returning(&txn)
        .await;
    match inserted {
        Ok(_) => {
            owner_keys::Entity::insert(owner_key)
                .exec_without_returning(&txn)
                .await?;
            txn.commit().await?;
            Ok(Owner {
                id: OwnerId(id),
                kind: who.kind(),
            })
        }
        // Two first sign-ins raced: the other one created the store.
        Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
            txn.rollback().await?;
            find(db, ring, who).await?.ok_or(StoreError::Db(e))
        }
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
