//! Document bytes (already sealed) in an object store: a local directory by default, any
//! S3-compatible service with `s3://bucket`. Writes stream in bounded memory.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::stream::{BoxStream, StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use secrecy::ExposeSecret;

use crate::config::Settings;
use object_store::{GetResultPayload, ObjectStore, ObjectStoreExt, WriteMultipart};
use tokio_util::io::ReaderStream;

pub use object_store::Error as BlobError;

/// Part size for local files: small, so an upload holds little in memory.
const LOCAL_PART: usize = 1024 * 1024;
/// Read size for local files.
const LOCAL_READ: usize = 256 * 1024;
/// Part size for S3: the smallest the S3 API allows for all but the last part.
const S3_PART: usize = 5 * 1024 * 1024;

/// The blob store of this process.
#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    part_size: usize,
    /// The directory of a local store (where unfinished blobs are files of their own).
    local_dir: Option<std::path::PathBuf>,
}

impl Blobs {
    /// Opens the store `KHO_BLOB_URL` names, with the `KHO_S3_*` settings for S3.
    pub fn from_settings(settings: &Settings) -> Result<Self, BlobError> {
        let s3: Vec<(AmazonS3ConfigKey, String)> = [
            (AmazonS3ConfigKey::Endpoint, settings.s3_endpoint.clone()),
            (AmazonS3ConfigKey::Region, settings.s3_region.clone()),
            (
                AmazonS3ConfigKey::AccessKeyId,
                settings.s3_access_key_id.clone(),
            ),
            (
                AmazonS3ConfigKey::SecretAccessKey,
                (settings.s3_secret_access_key.as_ref()).map(|s| s.expose_secret().to_owned()),
            ),
        ]
        .into_iter()
        .filter_map(|(key, value)| Some((key, value?)))
        .collect();
        Self::open(&settings.blob_url, s3)
    }

    /// Opens `url`: `s3://bucket[/prefix]` (configured by `s3`, then by the `AWS_*`
    /// variables), `file:///dir`, or a plain directory path, created if missing.
    pub fn open(url: &str, s3: Vec<(AmazonS3ConfigKey, String)>) -> Result<Self, BlobError> {
        if let Some(location) = url.strip_prefix("s3://") {
            let (bucket, prefix) = location.split_once('/').unwrap_or((location, ""));
            let plain_http = s3.iter().any(|(key, value)| {
                matches!(key, AmazonS3ConfigKey::Endpoint) && value.starts_with("http://")
            });
            // A store that does not answer is an outage to report (503) within seconds: a few
            // retries, connections that must open within 5 s. A download to a slow portal may
            // take minutes: no limit on a whole request, only on a read that stalls (object_store
            // resumes an interrupted read with a range request within `retry_timeout`).
            let retry = object_store::RetryConfig {
                backoff: object_store::BackoffConfig::default(),
                max_retries: 3,
                retry_timeout: std::time::Duration::from_secs(180),
            };
            let client = object_store::ClientOptions::new()
                .with_connect_timeout(std::time::Duration::from_secs(5))
                .with_timeout_disabled()
                .with_read_timeout(std::time::Duration::from_secs(60));
            let mut builder = AmazonS3Builder::from_env()
                .with_bucket_name(bucket)
                .with_retry(retry)
                .with_client_options(client);
            for (key, value) in s3 {
                builder = builder.with_config(key, value);
            }
            if plain_http {
                builder = builder.with_allow_http(true);
            }
            let store = builder.build()?;
            let store: Arc<dyn ObjectStore> = match prefix.trim_matches('/') {
                "" => Arc::new(store),
                prefix => Arc::new(PrefixStore::new(store, prefix)),
            };
            return Ok(Self {
                store,
                part_size: S3_PART,
                local_dir: None,
            });
        }
        let dir = url.strip_prefix("file://").unwrap_or(url);
        std::fs::create_dir_all(dir).map_err(|source| BlobError::Generic {
            store: "local",
            source: Box::new(source),
        })?;
        let store = LocalFileSystem::new_with_prefix(dir)?;
        Ok(Self {
            store: Arc::new(store),
            part_size: LOCAL_PART,
            local_dir: Some(std::path::PathBuf::from(dir)),
        })
    }

    /// Whether the store answers within a few seconds: a listing of its top level (a missing
    /// bucket fails it; a look-up by key could not tell it from a missing key).
    pub async fn ping(&self) -> bool {
        let list = self.store.list_with_delimiter(None);
        match tokio::time::timeout(std::time::Duration::from_secs(3), list).await {
            Ok(Ok(_)) => true,
            Ok(Err(e)) => {
                tracing::warn!(error = %e, "the blob store does not answer");
                false
            }
            Err(_) => {
                tracing::warn!("the blob store does not answer within 3 s");
                false
            }
        }
    }

    /// The key of a document version's sealed content. Only opaque ids: no personal data.
    pub fn document_key(owner: uuid::Uuid, document: uuid::Uuid, version: u32) -> String {
        format!("owners/{owner}/{document}/v{version}")
    }

    /// Starts writing a blob; nothing is visible under `key` until [`BlobWriter::finish`].
    pub async fn writer(&self, key: &str) -> Result<BlobWriter, BlobError> {
        let upload = self.store.put_multipart(&Path::from(key)).await?;
        Ok(BlobWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, self.part_size),
        })
    }

    /// Streams a blob's bytes. Local files are read [`LOCAL_READ`] bytes at a time: object_store's
    /// own file stream reads 8 KiB per blocking call, which costs a third of download throughput.
    pub async fn read(
        &self,
        key: &str,
    ) -> Result<BoxStream<'static, Result<Bytes, BlobError>>, BlobError> {
        let result = self.store.get(&Path::from(key)).await?;
        Ok(match result.payload {
            GetResultPayload::File(file, _) => {
                ReaderStream::with_capacity(tokio::fs::File::from_std(file), LOCAL_READ)
                    .map_err(|source| BlobError::Generic {
                        store: "local",
                        source: Box::new(source),
                    })
                    .boxed()
            }
            GetResultPayload::Stream(stream) => stream,
        })
    }

    /// Deletes one blob; a missing blob is not an error.
    pub async fn delete(&self, key: &str) -> Result<(), BlobError> {
        match self.store.delete(&Path::from(key)).await {
            Err(BlobError::NotFound { .. }) => Ok(()),
            other => other,
        }
    }

    /// Deletes every blob under `prefix` (an owner's whole store), and in a local store also
    /// what an upload stopped by a crash left half-written there (`<key>#<n>` files, which
    /// listing does not show). Returns how many files or blobs it removed. (In S3, an unfinished
    /// multipart upload is invisible and is removed by the bucket's lifecycle rule; see the
    /// README.)
    pub async fn delete_prefix(&self, prefix: &str) -> Result<usize, BlobError> {
        let keys: Vec<Path> = self
            .store
            .list(Some(&Path::from(prefix)))
            .map_ok(|meta| meta.location)
            .try_collect()
            .await?;
        for key in &keys {
            self.delete(key.as_ref()).await?;
        }
        let Some(dir) = &self.local_dir else {
            return Ok(keys.len());
        };
        let below = dir.join(prefix);
        let leftovers = tokio::task::spawn_blocking(move || remove_tree(&below))
            .await
            .map_err(|e| local_error(std::io::Error::other(e)))?
            .map_err(local_error)?;
        Ok(keys.len() + leftovers)
    }
}

impl Blobs {
    /// The blobs under `prefix` last written before `before`.
    pub async fn written_before(
        &self,
        prefix: &str,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, BlobError> {
        self.store
            .list(Some(&Path::from(prefix)))
            .try_filter(|meta| std::future::ready(meta.last_modified < before))
            .map_ok(|meta| meta.location.to_string())
            .try_collect()
            .await
    }

    /// In a local store, removes the half-written files of uploads stopped by a crash under
    /// `prefix` (`<key>#<n>`, which listing does not show) last written before `before`;
    /// returns their keys. An S3 bucket's lifecycle rule does this there.
    pub async fn remove_unfinished(
        &self,
        prefix: &str,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<String>, BlobError> {
        let Some(dir) = self.local_dir.clone() else {
            return Ok(Vec::new());
        };
        let root = dir.join(prefix);
        let before = std::time::SystemTime::from(before);
        tokio::task::spawn_blocking(move || {
            let mut removed = Vec::new();
            remove_unfinished_below(&dir, &root, before, &mut removed)?;
            Ok(removed)
        })
        .await
        .map_err(|e| local_error(std::io::Error::other(e)))?
        .map_err(local_error)
    }
}

fn remove_unfinished_below(
    base: &std::path::Path,
    dir: &std::path::Path,
    before: std::time::SystemTime,
    removed: &mut Vec<String>,
) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        other => other?,
    };
    for entry in entries {
        let entry = entry?;
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            remove_unfinished_below(base, &path, before, removed)?;
            continue;
        }
        if !entry.file_name().to_string_lossy().contains('#') {
            continue;
        }
        // Another process sweeping at the same time may have removed it already.
        let gone = |e: &std::io::Error| e.kind() == std::io::ErrorKind::NotFound;
        let old = match entry.metadata().and_then(|m| m.modified()) {
            Ok(modified) => modified < before,
            Err(e) if gone(&e) => continue,
            Err(e) => return Err(e),
        };
        if !old {
            continue;
        }
        match std::fs::remove_file(&path) {
            Ok(()) => {
                let key = path.strip_prefix(base).unwrap_or(&path);
                removed.push(key.to_string_lossy().into_owned());
            }
            Err(e) if gone(&e) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Removes `dir` and everything below it; returns how many files there were (none if `dir` is
/// already gone).
fn remove_tree(dir: &std::path::Path) -> std::io::Result<usize> {
    fn count(dir: &std::path::Path) -> std::io::Result<usize> {
        let mut files = 0;
        for entry in std::fs::read_dir(dir)? {
            let entry = entry?;
            files += if entry.file_type()?.is_dir() {
                count(&entry.path())?
            } else {
                1
            };
        }
        Ok(files)
    }
    match count(dir) {
        Ok(files) => std::fs::remove_dir_all(dir).map(|()| files),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(e),
    }
}

fn local_error(source: std::io::Error) -> BlobError {
    BlobError::Generic {
        store: "local",
        source: Box::new(source),
    }
}

/// A blob being written, at most a few parts in memory at a time.
pub struct BlobWriter {
    inner: WriteMultipart,
}

impl BlobWriter {
    /// Buffers `bytes`, waiting for earlier parts to be stored when the buffer is full.
    pub async fn write(&mut self, bytes: &[u8]) -> Result<(), BlobError> {
        self.inner.wait_for_capacity(1).await?;
        self.inner.write(bytes);
        Ok(())
    }

    /// Completes the blob, making it visible.
    pub async fn finish(self) -> Result<(), BlobError> {
        self.inner.finish().await.map(|_| ())
    }

    /// Gives up: nothing of the blob stays behind.
    pub async fn abort(self) -> Result<(), BlobError> {
        self.inner.abort().await
    }
}

impl std::fmt::Debug for BlobWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobWriter")
    }
}
