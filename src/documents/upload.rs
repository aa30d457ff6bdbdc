//! Upload: stream → sniff the format → seal segment by segment → blob → row. Nothing is stored
//! unless all of it is accepted.

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures_util::stream::{Stream, StreamExt};
use sea_orm::ActiveValue::Set;
use sea_orm::TransactionTrait;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::Documents;
use super::content_type::{SNIFF_LEN, sniff};
use super::model::{DocumentView, IssuedBy, NewDocument, Source, Status, Verification};
use super::service::DocumentError;
use super::store;
use super::view::view;
use crate::crypto::{Binding, DataKey, SEGMENT_SIZE, SegmentEncryptor, seal_field};
use crate::notices::{self, Kind};
use crate::owners::OwnerId;
use crate::storage::blobs::{BlobWriter, Blobs};
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

impl Documents {
    /// Stores a document the owner uploads. Nothing is stored unless all of it is accepted: the blob
    /// is aborted on any failure, and the row is written only after the blob is complete.
    pub async fn upload<S>(
        &self,
        owner: OwnerId,
        meta: NewDocument,
        body: S,
    ) -> Result<DocumentView, DocumentError>
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
    {
        self.store_document(Destination::Existing(owner), meta, None, body)
            .await
    }

    /// Stores a document in the owner's store: uploaded, or (with `issued`) an issued result whose
    /// content must match the issuer's signed SHA-256. All or nothing, as [`upload`].
    pub async fn store_document<S>(
        &self,
        destination: Destination,
        meta: NewDocument,
        issued: Option<IssuedBy>,
        mut body: S,
    ) -> Result<DocumentView, DocumentError>
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
    {
        let existing_key;
        let (owner, key, new_owner) = match &destination {
            Destination::Existing(owner) => {
                existing_key = self.owner_key(*owner).await?;
                (*owner, &existing_key, None)
            }
            Destination::New(new) => (new.id, &new.key, Some(new.as_ref())),
        };
        let id = Uuid::now_v7();
        let binding = Binding {
            owner: owner.0,
            document: id,
            version: 1,
        };
        let blob_key = Blobs::document_key(owner.0, id, 1);
        let expected = issued.as_ref().map(|i| i.sha256.as_str());
        let sealed = self
            .seal_blob(&blob_key, key, &binding, &mut body, expected)
            .await?;
        let size = i64::try_from(sealed.size).map_err(|_| DocumentError::TooLarge {
            limit: self.max_upload_bytes,
        })?;
        let stored = Stored {
            blob_key: blob_key.clone(),
            size,
            sealed,
            at: self.clock.now(),
        };
        let row = new_row(key, &binding, meta, issued.as_ref(), stored)?;
        let supersedes = issued.as_ref().and_then(|i| i.supersedes);
        if let Err(e) = self.insert_row(new_owner, row, supersedes).await {
            if let Err(cleanup) = self.blobs.delete(&blob_key).await {
                tracing::warn!(error = %cleanup, "could not delete the blob of a failed upload");
            }
            return Err(e);
        }
        view(key, &self.owned_row(owner, id).await?, self.clock.now())
    }

    /// Seals `body` into the blob `blob_key`, complete or not at all: a refused upload is
    /// aborted (and its body drained, so the client reads the answer), and an issued result
    /// whose content is not the signed `expected` SHA-256 is refused.
    async fn seal_blob<S>(
        &self,
        blob_key: &str,
        key: &DataKey,
        binding: &Binding,
        body: &mut S,
        expected: Option<&str>,
    ) -> Result<Sealed, DocumentError>
    where
        S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
    {
        let mut writer = self.blobs.writer(blob_key).await?;
        let sealed = match seal_into(&mut writer, key, binding, body, self.max_upload_bytes).await {
            Ok(sealed) => sealed,
            Err(e) => {
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, "could not abort a refused upload");
                }
                if matches!(
                    e,
                    DocumentError::TooLarge { .. } | DocumentError::Unsupported
                ) {
                    drain(body).await;
                }
                return Err(e);
            }
        };
        if expected.is_some_and(|sha256| sha256 != sealed.sha256) {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "could not abort a refused push");
            }
            return Err(DocumentError::HashMismatch);
        }
        writer.finish().await?;
        Ok(sealed)
    }

    /// Writes the row, with its new owner's store in the same transaction.
    async fn insert_row(
        &self,
        new_owner: Option<&crate::owners::NewOwner>,
        row: documents::ActiveModel,
        supersedes: Option<Uuid>,
    ) -> Result<(), DocumentError> {
        let txn = self.db.begin().await?;
        let owner = OwnerId(*row.owner_id.as_ref());
        let store_there = match new_owner {
            Some(new) => crate::owners::insert_new(&txn, new).await?,
            // Under the owner's lock: a store forgotten meanwhile (see `owners::unused`) is
            // told apart from a failure, and the sender asked to send again.
            None => crate::audit::lock_owner(&txn, owner).await?,
        };
        if !store_there {
            txn.rollback().await?;
            return Err(DocumentError::OwnerCreatedMeanwhile);
        }
        let now = *row.created_at.as_ref();
        let issued = row.issuer_client.as_ref().is_some();
        let id = *row.id.as_ref();
        match store::insert(&txn, row).await {
            Ok(()) => {
                if let Some(earlier) = supersedes {
                    store::supersede(&txn, owner, earlier, now).await?;
                }
                if issued {
                    let event = id.to_string();
                    notices::record(&txn, owner, Kind::ResultIssued, Some(id), &event, now).await?;
                }
                Ok(txn.commit().await?)
            }
            Err(e) => {
                txn.rollback().await?;
                if matches!(
                    e.sql_err(),
                    Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
                ) {
                    return Err(DocumentError::DuplicateResult);
                }
                Err(e.into())
            }
        }
    }
}

/// Whose store a document goes into.
#[derive(Debug)]
pub enum Destination {
    Existing(OwnerId),
    /// A store not yet written: it is created in the same transaction as the document, so a
    /// refused document leaves no empty store behind.
    New(Box<crate::owners::NewOwner>),
}

/// Where and what the sealed content is.
struct Stored {
    blob_key: String,
    size: i64,
    sealed: Sealed,
    at: DateTime<Utc>,
}

/// The new document's row: its metadata sealed with the owner's `key`, valid and unverified.
fn new_row(
    key: &DataKey,
    binding: &Binding,
    meta: NewDocument,
    issued: Option<&IssuedBy>,
    stored: Stored,
) -> Result<documents::ActiveModel, DocumentError> {
    let (owner, id) = (binding.owner, binding.document);
    let seal = |field: &str, value: &str| seal_field(key, owner, id, field, value);
    let source = if issued.is_some() {
        Source::Issued
    } else {
        Source::Uploaded
    };
    Ok(documents::ActiveModel {
        id: Set(id),
        owner_id: Set(owner),
        version: Set(1),
        type_code: Set(meta.type_code.as_str().to_owned()),
        title_sealed: Set(seal("title", meta.title.as_str())?),
        number_sealed: Set(meta
            .number
            .as_ref()
            .map(|n| seal("number", n.as_str()))
            .transpose()?),
        issuing_agency: Set(meta.issuing_agency.map(|a| a.as_str().to_owned())),
        issue_date: Set(meta.issue_date),
        valid_until: Set(meta.valid_until),
        result_code: Set(issued.map(|i| i.result_code.to_string())),
        source: Set(source.as_str().to_owned()),
        verification: Set(Verification::Unverified.as_str().to_owned()),
        status: Set(Status::Valid.as_str().to_owned()),
        status_changed_at: Set(stored.at),
        content_type: Set(stored.sealed.content_type.to_owned()),
        size: Set(stored.size),
        sha256: Set(super::view::stored_sha256(
            key,
            owner,
            id,
            source,
            stored.sealed.sha256,
        )?),
        blob_key: Set(stored.blob_key),
        created_at: Set(stored.at),
        issuer_client: Set(issued.map(|i| i.client_id.clone())),
        issuer_signature: Set(issued
            .map(|i| super::view::seal_issuer_signature(key, owner, id, &i.signature))
            .transpose()?),
        status_reason: Set(None),
        verified_by_sealed: Set(None),
        verified_at: Set(None),
        verification_method: Set(None),
        verification_method_sealed: Set(None),
        status_reason_sealed: Set(None),
        status_signed_at: Set(None),
    })
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
