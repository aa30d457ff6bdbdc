//! Each owner's data key: wrapped under the active master key, unwrapped per request, re-wrapped
//! in batches when the master key rotates.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, Func};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, FromQueryResult, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::OwnerId;
use crate::crypto::{DataKey, KeyRing, unwrap_data_key, wrap_data_key};
use crate::storage::StoreError;
use crate::storage::entities::owner_keys;

/// Wraps a new owner's key under the active master key; returns the master key's id and the
/// wrapped bytes.
pub(super) fn wrap_new(
    ring: &KeyRing,
    owner: Uuid,
    key: &DataKey,
) -> Result<(String, Vec<u8>), StoreError> {
    let (kek_id, kek) = ring.active_master()?;
    let wrapped = wrap_data_key(&kek, &kek_id, owner, key)?;
    Ok((kek_id, wrapped))
}

/// The owner's data key; `None` when the owner has no key (erased, or never existed).
pub async fn data_key(
    db: &DatabaseConnection,
    ring: &KeyRing,
    owner: OwnerId,
) -> Result<Option<DataKey>, StoreError> {
    let Some(row) = owner_keys::Entity::find_by_id(owner.0).one(db).await? else {
        return Ok(None);
    };
    let kek = ring.master(&row.kek_id)?;
    Ok(Some(unwrap_data_key(
        &kek,
        &row.kek_id,
        owner.0,
        &row.wrapped,
    )?))
}

/// Re-wraps up to `batch` owner keys that are not under the active master key. Returns how many
/// it re-wrapped; 0 means rotation is complete. Safe to run from several processes at once and
/// to interrupt: each key is updated only if it is still under the master key it was read with.
pub async fn rewrap_batch(
    db: &DatabaseConnection,
    ring: &KeyRing,
    batch: u64,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let (active_id, active) = ring.active_master()?;
    let rows = owner_keys::Entity::find()
        .filter(owner_keys::Column::KekId.ne(active_id.as_str()))
        .order_by_asc(owner_keys::Column::OwnerId)
        .limit(batch)
        .all(db)
        .await?;
    let mut done = 0;
    for row in rows {
        let old = ring.master(&row.kek_id)?;
        let key = unwrap_data_key(&old, &row.kek_id, row.owner_id, &row.wrapped)?;
        let wrapped = wrap_data_key(&active, &active_id, row.owner_id, &key)?;
        let updated = owner_keys::Entity::update_many()
            .set(owner_keys::ActiveModel {
                kek_id: Set(active_id.clone()),
                wrapped: Set(wrapped),
                rewrapped_at: Set(Some(now)),
                ..Default::default()
            })
            .filter(owner_keys::Column::OwnerId.eq(row.owner_id))
            .filter(owner_keys::Column::KekId.eq(row.kek_id.as_str()))
            .exec(db)
            .await?;
        done += updated.rows_affected;
    }
    Ok(done)
}

/// How many owner keys each master key wraps.
#[derive(Debug, Clone, serde::Serialize, FromQueryResult)]
pub struct KekUsage {
    pub kek_id: String,
    pub owners: i64,
}

pub async fn kek_usage(db: &DatabaseConnection) -> Result<Vec<KekUsage>, StoreError> {
    Ok(owner_keys::Entity::find()
        .select_only()
        .column(owner_keys::Column::KekId)
        .column_as(
            Expr::expr(Func::count(Expr::col(owner_keys::Column::OwnerId))),
            "owners",
        )
        .group_by(owner_keys::Column::KekId)
        .order_by_asc(owner_keys::Column::KekId)
        .into_model::<KekUsage>()
        .all(db)
        .await?)
}
