//! `GET /v1/shared/documents`, `GET /v1/shared/documents/{id}`,
//! `GET /v1/shared/documents/{id}/content` — for portals, with a DPoP-bound consent token.

use axum::Json;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, Uri, header};
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::admit::{Action, Refusal, admit, caller};
use super::stream::OnceFetch;
use crate::app::AppState;
use crate::documents::{self, DocumentError, DocumentView};
use crate::error::Problem;
use crate::extract::ApiPath;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(content))
}

/// An owner's data for a portal: never stored by caches on the way.
fn private(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

impl From<DocumentError> for Refusal {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::NotFound => Self::NotFound,
            DocumentError::Store(e) => Self::Internal(e),
            other => Self::Internal(crate::storage::StoreError::Db(sea_orm::DbErr::Custom(
                other.to_string(),
            ))),
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct SharedList {
    consent_id: Uuid,
    items: Vec<DocumentView>,
}

/// The documents the consent covers.
#[utoipa::path(get, path = "/v1/shared/documents", tag = "shared",
    responses((status = 200, body = SharedList), (status = 401, body = Problem)))]
async fn list(
    State(state): State<AppState>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let caller = caller(&state, &headers, method.as_str(), "/v1/shared/documents").await?;
    let admitted = admit(&state, &caller, Action::List).await?;
    let rows = documents::rows_by_ids(&admitted.txn, caller.owner, &admitted.documents).await?;
    admitted.txn.commit().await?;
    let items = documents::views_of(&state, caller.owner, &rows).await?;
    Ok(private(Json(SharedList {
        consent_id: caller.consent.id,
        items,
    })))
}

/// One consented document's metadata.
#[utoipa::path(get, path = "/v1/shared/documents/{id}", tag = "shared",
    responses((status = 200, body = DocumentView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Refusal> {
    // The path as the portal sent it: the proof's `htu` names exactly that.
    let caller = caller(&state, &headers, method.as_str(), uri.path()).await?;
    let admitted = admit(&state, &caller, Action::Read(id)).await?;
    let rows = documents::rows_by_ids(&admitted.txn, caller.owner, &[id]).await?;
    admitted.txn.commit().await?;
    documents::views_of(&state, caller.owner, &rows)
        .await?
        .into_iter()
        .next()
        .map(|view| private(Json(view)))
        .ok_or(Refusal::NotFound)
}

/// One consented document's content, decrypted as it streams. Under a `once` consent, each
/// document can be fetched completely once.
#[utoipa::path(get, path = "/v1/shared/documents/{id}/content", tag = "shared",
    responses((status = 200, content_type = "application/octet-stream", body = Vec<u8>),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn content(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Refusal> {
    // The path as the portal sent it: the proof's `htu` names exactly that.
    let caller = caller(&state, &headers, method.as_str(), uri.path()).await?;
    let admitted = admit(&state, &caller, Action::Download(id)).await?;
    let once = admitted.once_claim;
    admitted.txn.commit().await?;
    let download = match documents::download(&state, caller.owner, id).await {
        Ok(download) => download,
        Err(e) => {
            if let Some(claim) = once {
                crate::consents::release_fetch(&state.db, caller.consent.id, id, claim).await?;
            }
            return Err(e.into());
        }
    };
    let view = download.view;
    let body = download
        .body
        .inspect(move |r| {
            if let Err(e) = r {
                tracing::error!(document = %id, error = %e, "portal download stopped");
            }
        })
        .boxed();
    let body = if let Some(claim) = once {
        Body::from_stream(OnceFetch::new(
            body,
            state.db.clone(),
            (caller.consent.id, id, claim),
            view.size,
        ))
    } else {
        Body::from_stream(body)
    };
    let mut response = body.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(&view.content_type) {
        headers.insert(header::CONTENT_TYPE, value);
    }
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(view.size));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment"),
    );
    Ok(response)
}
