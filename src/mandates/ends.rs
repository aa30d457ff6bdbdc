//! When a mandate ends. A guardianship ends at the child's 18th birthday, which gives away the
//! date of birth: its end is sealed with the owner's key, and the plain column, which queries
//! use, holds only the start of the next year (no earlier than the end; the birth year is in the
//! child's personal ID anyway). Other mandates end when their record says, in plain.

use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};
use uuid::Uuid;

use super::{Kind, is_active};
use crate::crypto::{DataKey, IntegrityError, KeyRing, open_field, seal_field};
use crate::owners::{self, OwnerId};
use crate::storage::StoreError;
use crate::storage::entities::mandates;

const VALID_UNTIL_FIELD: &str = "valid_until";

pub(super) fn plain_bound(kind: &Kind, end: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::{Datelike, TimeZone};
    match kind {
        Kind::Guardian => Utc
            .with_ymd_and_hms(end.year() + 1, 1, 1, 0, 0, 0)
            .single()
            .unwrap_or(end),
        _ => end,
    }
}

pub(super) fn seal_end(
    key: &DataKey,
    owner: Uuid,
    id: Uuid,
    end: DateTime<Utc>,
) -> Result<Vec<u8>, StoreError> {
    Ok(seal_field(
        key,
        owner,
        id,
        VALID_UNTIL_FIELD,
        &end.to_rfc3339(),
    )?)
}

/// When `row` ends: its sealed end, or the plain one.
pub(super) fn exact_end(
    key: &DataKey,
    row: &mandates::Model,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(sealed) = &row.valid_until_sealed else {
        return Ok(row.valid_until);
    };
    let text = open_field(key, row.owner_id, row.id, VALID_UNTIL_FIELD, sealed)?;
    let end = DateTime::parse_from_rfc3339(&text).map_err(|_| IntegrityError)?;
    Ok(Some(end.with_timezone(&Utc)))
}

/// Whether `row` acts at `now`, to its exact end (opened with its owner's key when sealed).
pub(super) async fn acts(
    db: &DatabaseConnection,
    ring: &KeyRing,
    row: &mandates::Model,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    // The plain end is never earlier than the exact one: what it excludes is over.
    if !is_active(now, row.valid_from, row.valid_until, row.revoked_at) {
        return Ok(false);
    }
    if row.valid_until_sealed.is_none() {
        return Ok(true);
    }
    let key = owners::data_key(db, ring, OwnerId(row.owner_id))
        .await?
        .ok_or(StoreError::Integrity(IntegrityError))?;
    let end = exact_end(&key, row)?;
    Ok(is_active(now, row.valid_from, end, row.revoked_at))
}

/// When `row` ends, its sealed end opened with its owner's key; `None` when it never ends or
/// its owner is erased.
pub async fn exact_end_of(
    db: &DatabaseConnection,
    ring: &KeyRing,
    row: &mandates::Model,
) -> Result<Option<DateTime<Utc>>, StoreError> {
    let Some(key) = owners::data_key(db, ring, OwnerId(row.owner_id)).await? else {
        return Ok(None);
    };
    exact_end(&key, row)
}

/// Seals the ends of guardianships recorded before their end was sealed; returns how many.
pub async fn seal_plain_guardianship_ends(
    db: &DatabaseConnection,
    ring: &KeyRing,
) -> Result<u64, StoreError> {
    let rows = mandates::Entity::find()
        .filter(mandates::Column::Kind.eq(Kind::Guardian.as_str()))
        .filter(mandates::Column::ValidUntilSealed.is_null())
        .filter(mandates::Column::ValidUntil.is_not_null())
        .all(db)
        .await?;
    let mut sealed = 0;
    for row in rows {
        let (Some(end), Some(key)) = (
            row.valid_until,
            owners::data_key(db, ring, OwnerId(row.owner_id)).await?,
        ) else {
            continue;
        };
        let done = mandates::Entity::update_many()
            .set(mandates::ActiveModel {
                valid_until: Set(Some(plain_bound(&Kind::Guardian, end))),
                valid_until_sealed: Set(Some(seal_end(&key, row.owner_id, row.id, end)?)),
                ..Default::default()
            })
            .filter(mandates::Column::Id.eq(row.id))
            .filter(mandates::Column::ValidUntil.eq(end))
            .filter(mandates::Column::ValidUntilSealed.is_null())
            .exec(db)
            .await?;
        sealed += done.rows_affected;
    }
    Ok(sealed)
}
