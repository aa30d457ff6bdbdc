//! Download: blob → open segment by segment → stream plaintext that has authenticated.

use bytes::Bytes;
use futures_util::stream::{self, BoxStream, StreamExt};
use uuid::Uuid;

use super::Documents;
use super::model::DocumentView;
use super::service::DocumentError;
use super::view::view;
use crate::crypto::{Binding, IntegrityError, SegmentDecryptor};
use crate::owners::OwnerId;
use crate::storage::blobs::BlobError;

/// A document's content, decrypted as it streams.
pub struct Download {
    pub view: DocumentView,
    pub body: BoxStream<'static, Result<Bytes, DocumentError>>,
}

impl Documents {
    /// Opens a document for download. The first segment is authenticated before this returns, so a
    /// swapped, truncated-to-nothing or tampered-at-the-start blob is a clean error; later damage
    /// ends the stream with an error, never with wrong bytes.
    pub async fn download(&self, owner: OwnerId, id: Uuid) -> Result<Download, DocumentError> {
        let row = self.owned_row(owner, id).await?;
        let key = self.owner_key(owner).await?;
        let view = view(&key, &row, self.clock.now())?;
        let blob = match self.blobs.read(&row.blob_key).await {
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
