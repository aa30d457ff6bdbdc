//! Document use cases: upload (stream → sniff → seal → blob → row), read, download (blob →
//! open segment by segment → stream), delete. Knows nothing of HTTP.

use bytes::Bytes;
use chrono::{Days, FixedOffset, NaiveDate, Offset, TimeZone, Utc};
use futures_util::stream::{self, BoxStream, Stream, StreamExt};
use sea_orm::ActiveValue::Set;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::content_type::{SNIFF_LEN, sniff};
use super::model::{
    Corrections, DocumentList, DocumentView, NewDocument, Source, Status, Verification,
};
use super::store::{self, ListFilter};
use crate::app::AppState;
use crate::crypto::{
    Binding, DataKey, IntegrityError, SEGMENT_SIZE, SegmentDecryptor, SegmentEncryptor, open_field,
    seal_field,
};
use crate::owners::{self, OwnerId};
use crate::storage::StoreError;
use crate::storage::blobs::{BlobError, BlobWriter, Blobs};
use crate::storage::entities::documents;

/// How much of a refused upload is read and discarded so the client gets the answer instead of
/// a reset connection; beyond this the connection is simply closed.
const DRAIN_LIMIT: u64 = 64 * 1024 * 1024;

/// Why reading an upload's body stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyError {
    /// The transport's own size limit tripped.
    TooLarge,
    /// The body broke off or was malformed; the text says how.
    Interrupted(String),
}

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

async fn owner_key(state: &AppState, owner: OwnerId) -> Result<DataKey, DocumentError> {
    owners::data_key(&state.db, &state.keys, owner)
        .await?
        .ok_or(DocumentError::NotFound)
}

/// Stores a document the owner uploads. Nothing is stored unless all of it is accepted: the blob
/// is aborted on any failure, and the row is written only after the blob is complete.
pub async fn upload<S>(
    state: &AppState,
    owner: OwnerId,
    meta: NewDocument,
    mut body: S,
) -> Result<DocumentView, DocumentError>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    let key = owner_key(state, owner).await?;
    let id = Uuid::now_v7();
    let binding = Binding {
        owner: owner.0,
        document: id,
        version: 1,
    };
    let blob_key = Blobs::document_key(owner.0, id, 1);
    let mut writer = state.blobs.writer(&blob_key).await?;
    let sealed = match seal_into(
        &mut writer,
        &key,
        &binding,
        &mut body,
        state.settings.max_upload_bytes,
    )
    .await
    {
        Ok(sealed) => sealed,
        Err(e) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "could not abort a refused upload");
            }
            if matches!(
                e,
                DocumentError::TooLarge { .. } | DocumentError::Unsupported
            ) {
                drain(&mut body).await;
            }
            return Err(e);
        }
    };
    writer.finish().await?;
    let now = Utc::now();
    let row = documents::ActiveModel {
        id: Set(id),
        owner_id: Set(owner.0),
        version: Set(1),
        type_code: Set(meta.type_code.as_str().to_owned()),
        title_sealed: Set(seal_field(&key, owner.0, id, "title", meta.title.as_str())?),
        number_sealed: Set(meta
            .number
            .as_ref()
            .map(|n| seal_field(&key, owner.0, id, "number", n.as_str()))
            .transpose()?),
        issuing_agency: Set(meta.issuing_agency.map(|a| a.as_str().to_owned())),
        issue_date: Set(meta.issue_date),
        valid_until: Set(meta.valid_until),
        result_code: Set(None),
        source: Set(Source::Uploaded.as_str().to_owned()),
        verification: Set(Verification::Unverified.as_str().to_owned()),
        status: Set(Status::Valid.as_str().to_owned()),
        status_changed_at: Set(now),
        content_type: Set(sealed.content_type.to_owned()),
        size: Set(
            i64::try_from(sealed.size).map_err(|_| DocumentError::TooLarge {
                limit: state.settings.max_upload_bytes,
            })?,
        ),
        sha256: Set(sealed.sha256),
        blob_key: Set(blob_key.clone()),
        created_at: Set(now),
    };
    if let Err(e) = store::insert(&state.db, row.clone()).await {
        if let Err(cleanup) = state.blobs.delete(&blob_key).await {
            tracing::warn!(error = %cleanup, "could not delete the blob of a failed upload");
        }
        return Err(e.into());
    }
    let row = store::get(&state.db, owner, id)
        .await?
        .ok_or(DocumentError::NotFound)?;
    view(&key, &row)
}

/// What sealing the content learnt about it.
struct Sealed {
    content_type: &'static str,
    size: u64,
    sha256: String,
}

async fn seal_into<S>(
    writer: &mut BlobWriter,
    key: &DataKey,
    binding: &Binding,
    body: &mut S,
    limit: u64,
) -> Result<Sealed, DocumentError>
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    let mut out = Vec::with_capacity(2 * SEGMENT_SIZE);
    let mut encryptor = SegmentEncryptor::new(key, binding, &mut out)?;
    let mut head = Vec::with_capacity(SNIFF_LEN);
    let mut hasher = Sha256::new();
    let mut size = 0u64;
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| match e {
            BodyError::TooLarge => DocumentError::TooLarge { limit },
            BodyError::Interrupted(why) => DocumentError::Body(why),
        })?;
        size += chunk.len() as u64;
        if size > limit {
            return Err(DocumentError::TooLarge { limit });
        }
        if head.len() < SNIFF_LEN {
            let take = (SNIFF_LEN - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..take]);
            if head.len() == SNIFF_LEN && sniff(&head).is_none() {
                return Err(DocumentError::Unsupported);
            }
        }
        hasher.update(&chunk);
        encryptor.push(&chunk, &mut out)?;
        if out.len() >= SEGMENT_SIZE {
            writer.write(&out).await?;
            out.clear();
        }
    }
    let content_type = match sniff(&head) {
        Some(t) => t.mime(),
        None if size == 0 => return Err(DocumentError::Empty),
        None => return Err(DocumentError::Unsupported),
    };
    encryptor.finish(&mut out)?;
    writer.write(&out).await?;
    Ok(Sealed {
        content_type,
        size,
        sha256: hex::encode(hasher.finalize()),
    })
}

/// Reads and discards what is left of a refused body, up to [`DRAIN_LIMIT`].
async fn drain<S>(body: &mut S)
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    let mut drained = 0u64;
    while let Some(Ok(chunk)) = body.next().await {
        drained += chunk.len() as u64;
        if drained > DRAIN_LIMIT {
            break;
        }
    }
}

/// One document's metadata.
pub async fn get(
    state: &AppState,
    owner: OwnerId,
    id: Uuid,
) -> Result<DocumentView, DocumentError> {
    let row = store::get(&state.db, owner, id)
        .await?
        .ok_or(DocumentError::NotFound)?;
    view(&owner_key(state, owner).await?, &row)
}

/// A page of the owner's documents.
pub async fn list(
    state: &AppState,
    owner: OwnerId,
    filter: ListFilter,
) -> Result<DocumentList, DocumentError> {
    let mut rows = store::list(&state.db, owner, &filter).await?;
    let more = rows.len() as u64 > filter.limit;
    rows.truncate(usize::try_from(filter.limit).unwrap_or(usize::MAX));
    let key = owner_key(state, owner).await?;
    let items = rows
        .iter()
        .map(|row| view(&key, row))
        .collect::<Result<Vec<_>, _>>()?;
    let next_cursor = if more {
        items.last().map(|d| d.id)
    } else {
        None
    };
    Ok(DocumentList { items, next_cursor })
}

/// A document's content, decrypted as it streams.
pub struct Download {
    pub view: DocumentView,
    pub body: BoxStream<'static, Result<Bytes, DocumentError>>,
}

/// Opens a document for download. The first segment is authenticated before this returns, so a
/// swapped, truncated-to-nothing or tampered-at-the-start blob is a clean error; later damage
/// ends the stream with an error, never with wrong bytes.
pub async fn download(
    state: &AppState,
    owner: OwnerId,
    id: Uuid,
) -> Result<Download, DocumentError> {
    let row = store::get(&state.db, owner, id)
        .await?
        .ok_or(DocumentError::NotFound)?;
    let key = owner_key(state, owner).await?;
    let view = view(&key, &row)?;
    let blob = match state.blobs.read(&row.blob_key).await {
        Ok(blob) => blob,
        Err(BlobError::NotFound { .. }) => return Err(IntegrityError.into()),
        Err(e) => return Err(e.into()),
    };
    let version = u32::try_from(row.version).map_err(|_| IntegrityError)?;
    let decryptor = SegmentDecryptor::new(
        &key,
        Binding {
            owner: owner.0,
            document: id,
            version,
        },
    )?;
    let mut reader = SealedReader {
        blob,
        decryptor: Some(decryptor),
        expected: view.size,
        seen: 0,
    };
    let first = reader.next_chunk().await?;
    let rest = stream::try_unfold(reader, |mut reader| async move {
        Ok(reader.next_chunk().await?.map(|chunk| (chunk, reader)))
    });
    let body = stream::iter(first.map(Ok)).chain(rest).boxed();
    Ok(Download { view, body })
}

/// Pulls sealed bytes from the blob and hands out plaintext that has authenticated.
struct SealedReader {
    blob: BoxStream<'static, Result<Bytes, BlobError>>,
    decryptor: Option<SegmentDecryptor>,
    expected: u64,
    seen: u64,
}

impl SealedReader {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, DocumentError> {
        let mut out = Vec::new();
        while out.is_empty() {
            let Some(decryptor) = self.decryptor.as_mut() else {
                return Ok(None);
            };
            match self.blob.next().await {
                Some(chunk) => decryptor.push(&chunk?, &mut out)?,
                None => {
                    self.decryptor
                        .take()
                        .ok_or(IntegrityError)?
                        .finish(&mut out)?;
                    if self.seen + out.len() as u64 != self.expected {
                        return Err(IntegrityError.into());
                    }
                    if out.is_empty() {
                        return Ok(None);
                    }
                }
            }
        }
        self.seen += out.len() as u64;
        Ok(Some(Bytes::from(out)))
    }
}

/// Corrects the title or number of a document the owner uploaded (issued metadata is the
/// issuer's to change).
pub async fn correct(
    state: &AppState,
    owner: OwnerId,
    id: Uuid,
    changes: Corrections,
) -> Result<DocumentView, DocumentError> {
    let row = store::get(&state.db, owner, id)
        .await?
        .ok_or(DocumentError::NotFound)?;
    if Source::from_stored(&row.source) != Some(Source::Uploaded) {
        return Err(DocumentError::NotEditable);
    }
    let key = owner_key(state, owner).await?;
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
        && !store::update(&state.db, owner, id, update).await?
    {
        return Err(DocumentError::NotFound);
    }
    get(state, owner, id).await
}

/// Deletes an uploaded document (issued ones stay, NĐ 45/2020 Điều 15).
pub async fn delete(state: &AppState, owner: OwnerId, id: Uuid) -> Result<(), DocumentError> {
    let row = store::get(&state.db, owner, id)
        .await?
        .ok_or(DocumentError::NotFound)?;
    if Source::from_stored(&row.source) != Some(Source::Uploaded) {
        return Err(DocumentError::NotDeletable);
    }
    if !store::delete(&state.db, owner, id).await? {
        return Err(DocumentError::NotFound);
    }
    if let Err(e) = state.blobs.delete(&row.blob_key).await {
        tracing::warn!(error = %e, document = %id, "row deleted but its sealed blob was not; it is unreadable without the row");
    }
    Ok(())
}

/// The owner's view of a row: sealed fields opened, validity computed for today.
fn view(key: &DataKey, row: &documents::Model) -> Result<DocumentView, DocumentError> {
    let open = |field: &str, sealed: &[u8]| open_field(key, row.owner_id, row.id, field, sealed);
    let stored = Status::from_stored(&row.status).ok_or(IntegrityError)?;
    let (status, status_changed_at) = match (stored, row.valid_until) {
        (Status::Valid, Some(until)) if until < today_in_vietnam() => {
            (Status::Expired, end_of_day_in_vietnam(until))
        }
        _ => (stored, row.status_changed_at),
    };
    Ok(DocumentView {
        id: row.id,
        version: u32::try_from(row.version).map_err(|_| IntegrityError)?,
        type_code: row.type_code.clone(),
        title: open("title", &row.title_sealed)?,
        number: row
            .number_sealed
            .as_deref()
            .map(|n| open("number", n))
            .transpose()?,
        issuing_agency: row.issuing_agency.clone(),
        issue_date: row.issue_date,
        valid_until: row.valid_until,
        result_code: row.result_code.clone(),
        source: Source::from_stored(&row.source).ok_or(IntegrityError)?,
        verification: Verification::from_stored(&row.verification).ok_or(IntegrityError)?,
        status,
        status_changed_at,
        content_type: row.content_type.clone(),
        size: u64::try_from(row.size).map_err(|_| IntegrityError)?,
        sha256: row.sha256.clone(),
        created_at: row.created_at,
    })
}

fn vietnam() -> FixedOffset {
    // UTC+7 has no daylight saving; a fixed offset is exact for Asia/Ho_Chi_Minh.
    FixedOffset::east_opt(7 * 3600).unwrap_or(Utc.fix())
}

fn today_in_vietnam() -> NaiveDate {
    Utc::now().with_timezone(&vietnam()).date_naive()
}

/// The moment a document valid until `day` (inclusive) stops being valid.
fn end_of_day_in_vietnam(day: NaiveDate) -> chrono::DateTime<Utc> {
    day.checked_add_days(Days::new(1))
        .and_then(|next| next.and_hms_opt(0, 0, 0))
        .and_then(|midnight| vietnam().from_local_datetime(&midnight).single())
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(Utc::now)
}
