//! Mandates in the database. The representative is stored as a blind index (to find the
//! mandates of a signed-in person) and sealed with the owner's key (so the owner can see who).

use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};
use serde::Serialize;
use uuid::Uuid;

use super::ends::{acts, exact_end, plain_bound, seal_end};
use super::{Basis, Kind, Scopes, is_active, majority};
use crate::crypto::{KeyRing, open_field, seal_field};
use crate::ids::{OwnerIdentifier, PersonalId};
use crate::owners::{self, OwnerId};
use crate::storage::StoreError;
use crate::storage::blobs::Blobs;
use crate::storage::entities::{mandates, owners as owner_rows};

/// A mandate to record, parsed at the edge.
#[derive(Debug, Clone)]
pub struct NewMandate {
    pub owner: OwnerIdentifier,
    pub representative: PersonalId,
    pub kind: Kind,
    pub scopes: Scopes,
    pub basis: Basis,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    /// For a guardianship: the child's date of birth, from the birth certificate.
    pub child_born: Option<NaiveDate>,
}

#[derive(Debug, thiserror::Error)]
pub enum MandateError {
    #[error("a guardianship is for a citizen: the owner must be a personal ID")]
    GuardianOfOrganisation,
    #[error(
        "a guardianship needs the child's date of birth (--child-born), from the birth certificate"
    )]
    NoBirthDate,
    #[error("the date of birth does not match the birth year in the child's personal ID")]
    BirthDateMismatch,
    #[error("the child is already of age: a guardianship cannot start")]
    AlreadyOfAge,
    #[error("a representative mandate is for an organisation: the owner must be a tax code")]
    RepresentativeOfCitizen,
    #[error("a mandate needs at least one scope")]
    NoScopes,
    #[error("the mandate ends before it starts")]
    EndsBeforeStart,
    #[error("no one can hold a mandate for themself")]
    OwnMandate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for MandateError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// Records a mandate; creates the owner's store if it does not exist yet. A guardianship's end
/// is capped at the child's majority.
pub async fn add(
    db: &DatabaseConnection,
    ring: &KeyRing,
    blobs: &Blobs,
    mandate: NewMandate,
    now: DateTime<Utc>,
) -> Result<Uuid, MandateError> {
    let until = checked_end(&mandate, now)?;
    let representative = OwnerIdentifier::Citizen(mandate.representative.clone());
    let owner = owners::find_or_create(db, ring, blobs, &mandate.owner, now).await?;
    let key = owners::data_key(db, ring, owner.id)
        .await?
        .ok_or(StoreError::Integrity(crate::crypto::IntegrityError))?;
    let id = Uuid::now_v7();
    mandates::Entity::insert(mandates::ActiveModel {
        id: Set(id),
        owner_id: Set(owner.id.0),
        representative_index: Set(owners::identifier_index(ring, &representative)),
        representative_sealed: Set(seal_field(
            &key,
            owner.id.0,
            id,
            "representative",
            mandate.representative.as_str(),
        )
        .map_err(StoreError::from)?),
        kind: Set(mandate.kind.as_str().to_owned()),
        scopes: Set(mandate.scopes.to_stored()),
        basis: Set(mandate.basis.as_str().to_owned()),
        valid_from: Set(mandate.valid_from),
        valid_until: Set(until.map(|u| plain_bound(&mandate.kind, u))),
        created_at: Set(now),
        revoked_at: Set(None),
        valid_until_sealed: Set(match (&mandate.kind, until) {
            (Kind::Guardian, Some(u)) => Some(seal_end(&key, owner.id.0, id, u)?),
            _ => None,
        }),
    })
    .exec_without_returning(db)
    .await?;
    tracing::info!(mandate = %id, owner = %owner.id.0, kind = %mandate.kind, "mandate recorded");
    Ok(id)
}

/// Checks `mandate` at `now`; returns when it ends: its own end, and for a guardianship no later
/// than the child's majority.
pub fn checked_end(
    mandate: &NewMandate,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>, MandateError> {
    let mut until = mandate.valid_until;
    match (&mandate.kind, &mandate.owner) {
        (Kind::Guardian, OwnerIdentifier::Citizen(child)) => {
            let born = mandate.child_born.ok_or(MandateError::NoBirthDate)?;
            if chrono::Datelike::year(&born) != child.birth_year() {
                return Err(MandateError::BirthDateMismatch);
            }
            let of_age = majority(born).ok_or(MandateError::BirthDateMismatch)?;
            if of_age <= now {
                return Err(MandateError::AlreadyOfAge);
            }
            until = Some(until.map_or(of_age, |u| u.min(of_age)));
        }
        (Kind::Guardian, OwnerIdentifier::Organisation(_)) => {
            return Err(MandateError::GuardianOfOrganisation);
        }
        (Kind::Representative, OwnerIdentifier::Citizen(_)) => {
            return Err(MandateError::RepresentativeOfCitizen);
        }
        _ => {}
    }
    if mandate.scopes.to_stored().is_empty() {
        return Err(MandateError::NoScopes);
    }
    if until.is_some_and(|u| u <= mandate.valid_from) {
        return Err(MandateError::EndsBeforeStart);
    }
    if OwnerIdentifier::Citizen(mandate.representative.clone()) == mandate.owner {
        return Err(MandateError::OwnMandate);
    }
    Ok(until)
}

/// A mandate as the operator (and, later, the owner) sees it.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MandateView {
    pub id: Uuid,
    /// The owner acted for.
    pub owner: String,
    /// The representative's personal ID.
    pub representative: String,
    pub kind: String,
    pub scopes: String,
    pub basis: String,
    pub valid_from: DateTime<Utc>,
    pub valid_until: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub active: bool,
}

async fn view(
    db: &DatabaseConnection,
    ring: &KeyRing,
    row: mandates::Model,
    now: DateTime<Utc>,
) -> Result<MandateView, StoreError> {
    let owner = OwnerId(row.owner_id);
    let key = owners::data_key(db, ring, owner)
        .await?
        .ok_or(StoreError::Integrity(crate::crypto::IntegrityError))?;
    let identifier = owners::identifier(db, ring, owner)
        .await?
        .map(|i| i.to_string())
        .unwrap_or_default();
    let valid_until = exact_end(&key, &row)?;
    Ok(MandateView {
        representative: open_field(
            &key,
            row.owner_id,
            row.id,
            "representative",
            &row.representative_sealed,
        )?,
        owner: identifier,
        active: is_active(now, row.valid_from, valid_until, row.revoked_at),
        id: row.id,
        kind: row.kind,
        scopes: row.scopes,
        basis: row.basis,
        valid_from: row.valid_from,
        valid_until,
        revoked_at: row.revoked_at,
    })
}

/// Every mandate of an owner, newest first.
pub async fn list_for_owner(
    db: &DatabaseConnection,
    ring: &KeyRing,
    owner: &OwnerIdentifier,
    now: DateTime<Utc>,
) -> Result<Vec<MandateView>, StoreError> {
    let Some(found) = owners::find(db, ring, owner).await? else {
        return Ok(Vec::new());
    };
    let rows = mandates::Entity::find()
        .filter(mandates::Column::OwnerId.eq(found.id.0))
        .order_by_desc(mandates::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        views.push(view(db, ring, row, now).await?);
    }
    Ok(views)
}

/// Ends a mandate now; every session acting under it stops at its next request.
pub async fn revoke(
    db: &DatabaseConnection,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = mandates::Entity::update_many()
        .set(mandates::ActiveModel {
            revoked_at: Set(Some(now)),
            ..Default::default()
        })
        .filter(mandates::Column::Id.eq(id))
        .filter(mandates::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected > 0)
}

/// The mandate `id` if it acts now.
pub async fn active(
    db: &DatabaseConnection,
    ring: &KeyRing,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Option<mandates::Model>, StoreError> {
    let Some(row) = mandates::Entity::find_by_id(id).one(db).await? else {
        return Ok(None);
    };
    Ok(acts(db, ring, &row, now).await?.then_some(row))
}

/// The active mandates held by the person whose own store is `person`.
pub async fn active_for_person(
    db: &DatabaseConnection,
    ring: &KeyRing,
    person: OwnerId,
    now: DateTime<Utc>,
) -> Result<Vec<MandateView>, StoreError> {
    let Some(me) = owner_rows::Entity::find_by_id(person.0).one(db).await? else {
        return Ok(Vec::new());
    };
    // Oldest first, so that with several mandates for one owner the choice is always the same.
    let rows = mandates::Entity::find()
        .filter(mandates::Column::RepresentativeIndex.eq(me.identifier_index))
        .order_by_asc(mandates::Column::Id)
        .all(db)
        .await?;
    let mut views = Vec::new();
    for row in rows
        .into_iter()
        .filter(|m| is_active(now, m.valid_from, m.valid_until, m.revoked_at))
    {
        // A mandate whose owner can no longer be read (an erasure under way) is skipped, not fatal.
        match view(db, ring, row, now).await {
            Ok(found) if found.active => views.push(found),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "skipping a mandate whose owner cannot be read"),
        }
    }
    Ok(views)
}

/// The representative of a mandate of `owner`, as recorded (opened with the owner's key); `None`
/// if there is no such mandate of that owner.
pub async fn representative_of(
    db: &DatabaseConnection,
    ring: &KeyRing,
    owner: OwnerId,
    mandate: Uuid,
) -> Result<Option<String>, StoreError> {
    let Some(row) = mandates::Entity::find_by_id(mandate)
        .one(db)
        .await?
        .filter(|m| m.owner_id == owner.0)
    else {
        return Ok(None);
    };
    let Some(key) = owners::data_key(db, ring, owner).await? else {
        return Ok(None);
    };
    Ok(Some(open_field(
        &key,
        row.owner_id,
        row.id,
        "representative",
        &row.representative_sealed,
    )?))
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::mandates::{Basis, Scope, Scopes};

    fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
    }

    fn guardianship(child: &str, born: NaiveDate) -> NewMandate {
        NewMandate {
            owner: OwnerIdentifier::parse(child).unwrap(),
            representative: PersonalId::parse("035199000123").unwrap(),
            kind: Kind::Guardian,
            scopes: Scopes::new(vec![Scope::Read]),
            basis: Basis::BirthCertificate,
            valid_from: at(2024, 1, 1),
            valid_until: Some(at(2099, 1, 1)),
            child_born: Some(born),
        }
    }

    #[test]
    fn a_guardianship_ends_at_majority_whatever_its_own_end() {
        let born = NaiveDate::from_ymd_opt(2015, 3, 2).unwrap();
        let until = checked_end(&guardianship("001215000042", born), at(2026, 1, 1)).unwrap();
        assert_eq!(until, majority(born));
    }

    #[test]
    fn a_guardianship_needs_the_birth_year_of_the_id_and_a_minor() {
        let wrong_year = NaiveDate::from_ymd_opt(2014, 3, 2).unwrap();
        assert!(matches!(
            checked_end(&guardianship("001215000042", wrong_year), at(2026, 1, 1)),
            Err(MandateError::BirthDateMismatch)
        ));
        let born = NaiveDate::from_ymd_opt(2015, 3, 2).unwrap();
        assert!(matches!(
            checked_end(&guardianship("001215000042", born), at(2034, 1, 1)),
            Err(MandateError::AlreadyOfAge)
        ));
    }

    #[test]
    fn a_mandate_needs_a_scope_an_end_after_its_start_and_someone_else() {
        let born = NaiveDate::from_ymd_opt(2015, 3, 2).unwrap();
        let mut m = guardianship("001215000042", born);
        m.scopes = Scopes::new(vec![]);
        assert!(matches!(
            checked_end(&m, at(2026, 1, 1)),
            Err(MandateError::NoScopes)
        ));
        let mut m = guardianship("001215000042", born);
        m.valid_until = Some(at(2023, 1, 1));
        assert!(matches!(
            checked_end(&m, at(2026, 1, 1)),
            Err(MandateError::EndsBeforeStart)
        ));
        let mut m = guardianship("001215000042", born);
        m.kind = Kind::Authorised;
        m.child_born = None;
        m.owner = OwnerIdentifier::parse("035199000123").unwrap();
        assert!(matches!(
            checked_end(&m, at(2026, 1, 1)),
            Err(MandateError::OwnMandate)
        ));
        let mut m = guardianship("0100233488", born);
        m.kind = Kind::Guardian;
        assert!(matches!(
            checked_end(&m, at(2026, 1, 1)),
            Err(MandateError::GuardianOfOrganisation)
        ));
    }
}
