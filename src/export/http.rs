//! `GET /v1/me/export`: the owner's whole store as a ZIP, streamed as it is written.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use tokio_util::io::ReaderStream;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{Export, Parts};
use crate::access::{AccessPolicy, Action, Subject};
use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::identity::OwnerSession;
use crate::mandates::Scope;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(export))
}

/// Download everything in the store as a ZIP: the documents decrypted, `documents.json`, the
/// consents with their signed receipts, and the access-log bundle.
#[utoipa::path(get, path = "/v1/me/export", tag = "me",
    responses((status = 200, content_type = "application/zip", description = "the archive"),
        (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn export(
    State(access): State<AccessPolicy>,
    State(export): State<Export>,
    session: OwnerSession,
) -> Result<Response, ApiError> {
    archive(&access, &export, &session).await
}

/// Streams the archive of the session's owner. The archive is written by a task into a pipe
/// of 64 KiB; should it fail half-way, the response ends with an error (the client sees a
/// broken transfer, never a truncated archive that looks whole).
pub(crate) async fn archive(
    access: &AccessPolicy,
    export: &Export,
    session: &OwnerSession,
) -> Result<Response, ApiError> {
    session
        .may(access, Action::ExportData, Subject::default())
        .await?;
    let parts = Parts {
        consents: session.principal().require(Scope::Consent).is_ok(),
    };
    let (writer, reader) = tokio::io::duplex(64 * 1024);
    let export = export.clone();
    let owner = session.owner;
    let task = tokio::spawn(async move { export.write(owner, parts, writer).await });
    let ending = futures_util::stream::once(async move {
        match task.await {
            Ok(Ok(())) => None,
            Ok(Err(e)) => {
                tracing::error!(error = %e, "export failed");
                Some(Err(std::io::Error::other("the export failed")))
            }
            Err(e) => {
                tracing::error!(error = %e, "export task failed");
                Some(Err(std::io::Error::other("the export failed")))
            }
        }
    })
    .filter_map(std::future::ready);
    let body = Body::from_stream(ReaderStream::new(reader).chain(ending));
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/zip"),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"kho-export.zip\""),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
    ];
    Ok((headers, body).into_response())
}
