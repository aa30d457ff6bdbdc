//! Document use cases that read and change metadata: get, list, correct, delete; and the
//! error they share with upload and download. Knows nothing of HTTP.

use sea_orm::ActiveValue::Set;
use uuid::Uuid;

use super::Documents;
use super::model::{Corrections, DocumentList, DocumentView, Source};
use super::store::{self, ListFilter};
use super::view::view;
use crate::crypto::{DataKey, IntegrityError, seal_field};
use crate::owners::OwnerId;
use crate::storage::StoreError;
use crate::storage::blobs::BlobError;
use crate::storage::entities::documents;

/// Why a document operation failed.
#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("not found")]
    NotFound,
    #[error("the document is larger than the limit of {limit} bytes")]
    TooLarge { limit: u64 },
    #[error("the document is empty")]
    Empty,
    #[error("the content is not an accepted format")]
    Unsupported,
    #[error("issued documents cannot be deleted: they stay stored for look-up")]
    NotDeletable,
    #[error("the metadata of issued documents is the issuer's to change")]
    NotEditable,
    #[error("the upload was interrupted: {0}")]
    Body(String),
    #[error("the content does not match the signed SHA-256")]
    HashMismatch,
    #[error("a document with this result code is already stored")]
    DuplicateResult,
    #[error(
        "the owner's store was created or forgotten while this document was being read: send it again"
    )]
    OwnerCreatedMeanwhile,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<IntegrityError> for DocumentError {
    fn from(e: IntegrityError) -> Self {
        Self::Store(e.into())
    }
}

impl From<sea_orm::DbErr> for DocumentError {
    fn from(e: sea_orm::DbErr) -> Self {
        Self::Store(e.into())
    }
}

impl From<BlobError> for DocumentError {
    fn from(e: BlobError) -> Self {
        Self::Store(e.into())
    }
}

impl Documents {
    pub(super) async fn owner_key(&self, owner: OwnerId) -> Result<DataKey, DocumentError> {
        self.owners
            .data_key(owner)
            .await?
            .ok_or(DocumentError::NotFound)
    }

    /// The owner's row of document `id`; another owner's is as absent as a missing one.
    pub(super) async fn owned_row(
        &self,
        owner: OwnerId,
        id: Uuid,
    ) -> Result<documents::Model, DocumentError> {
        store::get(&self.db, owner, id)
            .await?
            .ok_or(DocumentError::NotFound)
    }

    /// One document's metadata.
    pub async fn get(&self, owner: OwnerId, id: Uuid) -> Result<DocumentView, DocumentError> {
        let row = self.owned_row(owner, id).await?;
        view(&self.owner_key(owner).await?, &row, self.clock.now())
    }

    /// A page of the owner's documents.
    pub async fn list(
        &self,
        owner: OwnerId,
        filter: ListFilter,
    ) -> Result<DocumentList, DocumentError> {
        let mut rows = store::list(&self.db, owner, &filter).await?;
        let more = rows.len() as u64 > filter.limit;
        rows.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
        let items = self.views_of(owner, &rows).await?;
        let next_cursor = if more {
            items.last().map(|d| d.id)
        } else {
            None
        };
        Ok(DocumentList { items, next_cursor })
    }

    /// The owner's view of rows read by [`rows_by_ids`].
    pub async fn views_of(
        &self,
        owner: OwnerId,
        rows: &[documents::Model],
    ) -> Result<Vec<DocumentView>, DocumentError> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.owner_key(owner).await?;
        let now = self.clock.now();
        rows.iter().map(|row| view(&key, row, now)).collect()
    }

    /// The owner's documents of the given types that are valid today: what a consent request
    /// could be answered with (at most 200, newest first).
    pub async fn usable_of_types(
        &self,
        owner: OwnerId,
        types: &[String],
    ) -> Result<Vec<DocumentView>, DocumentError> {
        let rows = store::of_types(&self.db, owner, types, 200).await?;
        let views = self.views_of(owner, &rows).await?;
        Ok(views
            .into_iter()
            .filter(|v| v.status == super::Status::Valid)
            .collect())
    }

    /// Which of `picked` are the owner's, of one of `types` and valid now — read on `conn`, the
    /// caller's transaction, so a decision never waits for a second connection.
    pub async fn usable_among(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
        owner: OwnerId,
        types: &[String],
        picked: &[Uuid],
    ) -> Result<Vec<Uuid>, DocumentError> {
        let now = self.clock.now();
        let rows = store::of_types(conn, owner, types, 200).await?;
        let mut usable = Vec::new();
        for row in rows.iter().filter(|r| picked.contains(&r.id)) {
            if super::effective_status(row, now)?.0 == super::Status::Valid {
                usable.push(row.id);
            }
        }
        Ok(usable)
    }

    /// Corrects the title or number of a document the owner uploaded (issued metadata is the
    /// issuer's to change).
    pub async fn correct(
        &self,
        owner: OwnerId,
        id: Uuid,
        changes: Corrections,
    ) -> Result<DocumentView, DocumentError> {
        let row = self.owned_row(owner, id).await?;
        if Source::from_stored(&row.source) != Some(Source::Uploaded) {
            return Err(DocumentError::NotEditable);
        }
        let key = self.owner_key(owner).await?;
        let mut update = documents::ActiveModel::default();
        if let Some(title) = &changes.title {
            update.title_sealed = Set(seal_field(&key, owner.0, id, "title", title.as_str())?);
        }
        if let Some(number) = &changes.number {
            update.number_sealed = Set(number
                .as_ref()
                .map(|n| seal_field(&key, owner.0, id, "number", n.as_str()))
                .transpose()?);
        }
        if (changes.title.is_some() || changes.number.is_some())
            && !store::update(&self.db, owner, id, update).await?
        {
            return Err(DocumentError::NotFound);
        }
        self.get(owner, id).await
    }

    /// Deletes an uploaded document (issued ones stay, NĐ 45/2020 Điều 15).
    pub async fn delete(&self, owner: OwnerId, id: Uuid) -> Result<(), DocumentError> {
        let row = self.owned_row(owner, id).await?;
        if Source::from_stored(&row.source) != Some(Source::Uploaded) {
            return Err(DocumentError::NotDeletable);
        }
        if !store::delete(&self.db, owner, id).await? {
            return Err(DocumentError::NotFound);
        }
        if let Err(e) = self.blobs.delete(&row.blob_key).await {
            tracing::warn!(error = %e, document = %id, "row deleted but its sealed blob was not: it stays until the owner is erased or an operator removes it");
        }
        Ok(())
    }

    /// Records that an official checked the owner's uploaded document `id` against its original:
    /// when, and how. Who is in the owner's access log, and only there.
    pub async fn mark_verified(
        &self,
        owner: OwnerId,
        id: Uuid,
        method: &str,
    ) -> Result<DocumentView, DocumentError> {
        use sea_orm::ActiveModelTrait;
        let row = self.owned_row(owner, id).await?;
        if row.source != Source::Uploaded.as_str() {
            return Err(DocumentError::NotEditable);
        }
        let key = self.owner_key(owner).await?;
        let mut change: documents::ActiveModel = row.into();
        change.verification = Set(super::Verification::Verified.as_str().to_owned());
        change.verified_by_sealed = Set(None);
        change.verified_at = Set(Some(self.clock.now()));
        change.verification_method = Set(None);
        change.verification_method_sealed = Set(Some(seal_field(
            &key,
            owner.0,
            id,
            super::view::VERIFICATION_METHOD_FIELD,
            method,
        )?));
        let updated = change.update(&self.db).await?;
        view(&key, &updated, self.clock.now())
    }
}

/// The owner's documents among `ids`, read on `conn` (a portal's read runs in the transaction
/// that logs it).
pub async fn rows_by_ids(
    conn: &impl sea_orm::ConnectionTrait,
    owner: OwnerId,
    ids: &[Uuid],
) -> Result<Vec<documents::Model>, DocumentError> {
    Ok(store::by_ids(conn, owner, ids).await?)
}
