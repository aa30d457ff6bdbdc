//! "Download all my data": one ZIP with every document decrypted under a readable name,
//! `documents.json` with their metadata, the consents with their signed receipts, and the
//! access-log bundle. Written as it streams — one document at a time, in 64 KiB pieces — so
//! memory stays bounded whatever the size of the store.

pub mod http;

use async_zip::tokio::write::ZipFileWriter;
use async_zip::{Compression, ZipEntryBuilder};
use futures_lite::AsyncWriteExt;
use futures_util::StreamExt;
use serde::Serialize;
use tokio::io::AsyncWrite;
use uuid::Uuid;

use crate::audit::AccessLog;
use crate::consents::{ConsentError, Consents};
use crate::documents::{DocumentError, DocumentView, Documents, ListFilter, sniff};
use crate::owners::OwnerId;
use crate::storage::StoreError;

/// Everything an owner's store holds, ready to write out.
#[derive(Clone, Debug)]
pub struct Export {
    documents: Documents,
    consents: Consents,
    access_log: AccessLog,
}

/// Why an export stopped.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Consent(#[from] ConsentError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("writing the archive: {0}")]
    Zip(#[from] async_zip::error::ZipError),
    #[error("writing the archive: {0}")]
    Io(#[from] std::io::Error),
    #[error("encoding the metadata: {0}")]
    Json(#[from] serde_json::Error),
}

/// One document's line in `documents.json`: its metadata and its file in the archive.
#[derive(Serialize)]
struct Listed {
    file: String,
    #[serde(flatten)]
    view: DocumentView,
}

/// What the archive includes besides the documents.
#[derive(Debug, Clone, Copy)]
pub struct Parts {
    /// The consents and their receipts (a representative without the consent scope gets none).
    pub consents: bool,
}

const PAGE: u64 = 200;
const MAX_CONSENTS: u64 = 100_000;

impl Export {
    pub fn new(documents: Documents, consents: Consents, access_log: AccessLog) -> Self {
        Self {
            documents,
            consents,
            access_log,
        }
    }

    /// Writes the owner's archive to `out`.
    pub async fn write<W: AsyncWrite + Unpin>(
        &self,
        owner: OwnerId,
        parts: Parts,
        out: W,
    ) -> Result<(), ExportError> {
        let mut zip = ZipFileWriter::with_tokio(out);
        let listed = self.write_documents(owner, &mut zip).await?;
        whole(
            &mut zip,
            "documents.json",
            &serde_json::to_vec_pretty(&listed)?,
        )
        .await?;
        if parts.consents {
            self.write_consents(owner, &mut zip).await?;
        }
        let mut bundle = self.access_log.bundle_json(owner).await?;
        let entry = ZipEntryBuilder::new("access-log.json".to_owned().into(), Compression::Stored);
        let mut writer = zip.write_entry_stream(entry).await?;
        while let Some(chunk) = bundle.next().await {
            writer.write_all(&chunk?).await?;
        }
        writer.close().await?;
        whole(&mut zip, "README.txt", README.as_bytes()).await?;
        let mut out = zip.close().await?;
        tokio::io::AsyncWriteExt::shutdown(out.get_mut()).await?;
        Ok(())
    }

    async fn write_documents<W: AsyncWrite + Unpin>(
        &self,
        owner: OwnerId,
        zip: &mut ZipFileWriter<W>,
    ) -> Result<Vec<Listed>, ExportError> {
        let mut listed = Vec::new();
        let mut cursor: Option<Uuid> = None;
        loop {
            let filter = ListFilter {
                type_code: None,
                cursor,
                limit: PAGE,
            };
            let page = self.documents.list(owner, filter).await?;
            for view in page.items {
                let file = file_name(listed.len() + 1, &view);
                self.write_content(owner, view.id, &file, zip).await?;
                listed.push(Listed { file, view });
            }
            match page.next_cursor {
                Some(next) => cursor = Some(next),
                None => return Ok(listed),
            }
        }
    }

    async fn write_content<W: AsyncWrite + Unpin>(
        &self,
        owner: OwnerId,
        id: Uuid,
        file: &str,
        zip: &mut ZipFileWriter<W>,
    ) -> Result<(), ExportError> {
        let mut download = self.documents.download(owner, id).await?;
        let entry = ZipEntryBuilder::new(file.to_owned().into(), Compression::Stored);
        let mut writer = zip.write_entry_stream(entry).await?;
        while let Some(chunk) = download.body.next().await {
            writer.write_all(&chunk?).await?;
        }
        writer.close().await?;
        Ok(())
    }

    async fn write_consents<W: AsyncWrite + Unpin>(
        &self,
        owner: OwnerId,
        zip: &mut ZipFileWriter<W>,
    ) -> Result<(), ExportError> {
        let consents = self.consents.list(owner, None, MAX_CONSENTS).await?;
        whole(zip, "consents.json", &serde_json::to_vec_pretty(&consents)?).await?;
        for consent in consents
            .iter()
            .filter(|c| c.status != crate::consents::Status::Pending)
        {
            let jws = self.consents.receipt(owner, consent.id).await?;
            let name = format!("consents/{}.jws", consent.id);
            whole(zip, &name, jws.as_bytes()).await?;
        }
        Ok(())
    }
}

async fn whole<W: AsyncWrite + Unpin>(
    zip: &mut ZipFileWriter<W>,
    name: &str,
    data: &[u8],
) -> Result<(), ExportError> {
    let entry = ZipEntryBuilder::new(name.to_owned().into(), Compression::Stored);
    zip.write_entry_whole(entry, data).await?;
    Ok(())
}

/// `documents/007 Giấy khai sinh.pdf`: numbered (titles repeat), the title kept readable, and
/// nothing a file system or an unzip tool would take as a path.
pub fn file_name(n: usize, view: &DocumentView) -> String {
    let title: String = view
        .title
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .take(80)
        .collect();
    let title = title.trim().trim_start_matches('.');
    let extension = crate::documents::ContentType::from_mime(&view.content_type)
        .or_else(|| sniff(&[]))
        .map_or("bin", |t| t.extension());
    format!("documents/{n:03} {title}.{extension}")
}

const README: &str = "Kho: all the data of one store.\n\
\n\
documents/         every document, decrypted, as it was stored\n\
documents.json     the metadata of each document, with its file name here and its SHA-256\n\
consents.json      the consents and consent requests (when included)\n\
consents/*.jws     each consent's receipt, signed by the store (check it against /oauth/jwks)\n\
access-log.json    every access by anyone but the owner, hash-chained, with the latest signed\n\
                   checkpoint: check it with `kho audit verify access-log.json`\n";

#[cfg(test)]
mod tests;
