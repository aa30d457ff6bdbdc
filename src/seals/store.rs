//! Making a document's seal once and finding it again: by the owner (their document), and by
//! anyone holding the seal (its id).

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, SqlErr};
use uuid::Uuid;

use super::Seals;
use super::token::{SEAL_TYPE, SealClaims, SealKind};
use crate::documents::{DocumentError, Source, Verification, rows_by_ids};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::entities::{documents, seals};

/// Why a document has no seal.
#[derive(Debug, thiserror::Error)]
pub enum SealingError {
    /// 409: only issued results, and uploaded documents an official verified, are sealed.
    #[error(
        "only issued results, and uploaded documents an official checked against the original, have a seal"
    )]
    NotSealable,
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sea_orm::DbErr> for SealingError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

/// A document's seal.
#[derive(Debug, Clone)]
pub struct Seal {
    pub kind: SealKind,
    pub row: seals::Model,
}

impl Seals {
    /// The seal of the owner's document `id`, made the first time it is asked for and the same
    /// afterwards — unless the key that signed it is no longer published, when a new one is made.
    pub async fn seal_of(&self, owner: OwnerId, id: Uuid) -> Result<Seal, SealingError> {
        let row = rows_by_ids(&self.db, owner, &[id])
            .await?
            .into_iter()
            .next()
            .ok_or(DocumentError::NotFound)?;
        let kind = kind_of(&row).ok_or(SealingError::NotSealable)?;
        if let Some(seal) = self.stored_seal(owner, id).await? {
            if self.signer.is_signing_key(&seal.kid) {
                return Ok(Seal { kind, row: seal });
            }
            seals::Entity::delete_by_id(seal.id).exec(&self.db).await?;
        }
        let signer = self.signer.key().map_err(StoreError::from)?;
        let now = self.clock.now();
        let sha256 = self.content_sha256(&row).await?;
        let claims = claims_of(&row, sha256, kind, self.signer.issuer(), now);
        let seal = seals::Model {
            id: claims.jti,
            document_id: id,
            owner_id: owner.0,
            kid: signer.id().to_owned(),
            token: signer.sign(SEAL_TYPE, &claims).map_err(StoreError::from)?,
            created_at: now,
        };
        let inserted = seals::Entity::insert(seals::ActiveModel {
            id: Set(seal.id),
            document_id: Set(seal.document_id),
            owner_id: Set(seal.owner_id),
            kid: Set(seal.kid.clone()),
            token: Set(seal.token.clone()),
            created_at: Set(seal.created_at),
        })
        .exec_without_returning(&self.db)
        .await;
        match inserted {
            Ok(_) => Ok(Seal { kind, row: seal }),
            // Two first requests raced: the other one's seal is the seal.
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => self
                .stored_seal(owner, id)
                .await?
                .map(|seal| Seal { kind, row: seal })
                .ok_or_else(|| SealingError::Store(e.into())),
            Err(e) => Err(e.into()),
        }
    }

    /// The seal stored for the owner's document `id`.
    async fn stored_seal(
        &self,
        owner: OwnerId,
        id: Uuid,
    ) -> Result<Option<seals::Model>, sea_orm::DbErr> {
        seals::Entity::find()
            .filter(seals::Column::DocumentId.eq(id))
            .filter(seals::Column::OwnerId.eq(owner.0))
            .one(&self.db)
            .await
    }

    /// The document a seal id names, if it is still stored.
    pub async fn sealed_document(
        &self,
        seal: Uuid,
    ) -> Result<Option<documents::Model>, StoreError> {
        let Some(seal) = seals::Entity::find_by_id(seal).one(&self.db).await? else {
            return Ok(None);
        };
        let rows = rows_by_ids(&self.db, OwnerId(seal.owner_id), &[seal.document_id])
            .await
            .map_err(|e| match e {
                DocumentError::Store(e) => e,
                _ => StoreError::Integrity(crate::crypto::IntegrityError),
            })?;
        Ok(rows.into_iter().next())
    }
}

/// What the seal of `row` states. Only an issuer's own metadata is sealed: an uploaded copy's
/// agency and dates are what its owner typed, and the official checked the content, not them.
fn claims_of(
    row: &documents::Model,
    sha256: String,
    kind: SealKind,
    issuer: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> SealClaims {
    let is_issued = kind == SealKind::Issued;
    SealClaims {
        iss: issuer.to_owned(),
        jti: Uuid::now_v7(),
        iat: now.timestamp(),
        kind,
        result_code: row.result_code.clone().filter(|_| is_issued),
        sha256,
        issuer: row.issuing_agency.clone().filter(|_| is_issued),
        issue_date: row.issue_date.filter(|_| is_issued),
        valid_until: row.valid_until.filter(|_| is_issued),
        verified_on: match kind {
            SealKind::VerifiedCopy => row.verified_at.map(|at| at.date_naive()),
            SealKind::Issued => None,
        },
    }
}

/// What a document's seal would vouch for, if it has one.
fn kind_of(row: &documents::Model) -> Option<SealKind> {
    match Source::from_stored(&row.source)? {
        Source::Issued => Some(SealKind::Issued),
        Source::Uploaded if row.verification == Verification::Verified.as_str() => {
            Some(SealKind::VerifiedCopy)
        }
        Source::Uploaded => None,
    }
}

/// How many seals the store's key `kid` signed.
pub async fn signed_by(db: &sea_orm::DatabaseConnection, kid: &str) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(seals::Entity::find()
        .filter(seals::Column::Kid.eq(kid))
        .count(db)
        .await?)
}
