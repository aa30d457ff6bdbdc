//! `GET /v1/shared/documents`, `GET /v1/shared/documents/{id}`,
//! `GET /v1/shared/documents/{id}/content` — for portals, with a DPoP-bound consent token.

use axum::Extension;
use axum::Json;
use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::{HeaderMap, HeaderValue, Method, Uri, Version, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Action, Admission, Caller, Content, Refusal};
use crate::app::{AppState, Peer};
use crate::documents::{self, DocumentView};
use crate::error::{ApiError, Problem};
use crate::extract::ApiPath;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(content))
}

/// A refusal is answered by the one HTTP error type.
impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        let refused = |slug, error, why: &str| ApiError::DpopRefused {
            slug,
            error,
            why: why.to_owned(),
            nonce: None,
        };
        match refusal {
            Refusal::NoToken => refused(
                "unauthenticated",
                None,
                "send the consent token as Authorization: DPoP <token>, with a DPoP proof",
            ),
            Refusal::InvalidToken { slug, why } => refused(slug, Some("invalid_token"), why),
            Refusal::Proof(why) => refused("invalid-dpop-proof", Some("invalid_dpop_proof"), &why),
            Refusal::UseNonce(nonce) => ApiError::DpopRefused {
                slug: "use-dpop-nonce",
                error: Some("use_dpop_nonce"),
                why: "a fresh DPoP nonce is required".to_owned(),
                nonce: Some(nonce),
            },
            Refusal::NotFound => ApiError::NotFound,
            Refusal::Revoked(detail) => ApiError::Revoked(detail),
            Refusal::MethodNotAllowed => ApiError::MethodNotAllowed("use GET"),
            Refusal::AlreadyFetched => ApiError::AlreadyFetched,
            Refusal::Internal(e) => ApiError::internal(e),
            Refusal::Document(e) => ApiError::internal(e),
            Refusal::Consent(e) => ApiError::internal(e),
        }
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        ApiError::from(self).into_response()
    }
}

/// The token and proof of a request for `path`, checked.
async fn caller(
    portal: &Admission,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
) -> Result<Caller, Refusal> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let proofs: Vec<&[u8]> = headers
        .get_all("dpop")
        .iter()
        .map(HeaderValue::as_bytes)
        .collect();
    portal
        .caller(authorization, &proofs, method.as_str(), path)
        .await
}

/// An owner's data for a portal: never stored by caches on the way.
fn private(body: impl IntoResponse) -> Response {
    let mut response = body.into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
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
    State(portal): State<Admission>,
    method: Method,
    headers: HeaderMap,
) -> Result<Response, Refusal> {
    let caller = caller(&portal, &headers, &method, "/v1/shared/documents").await?;
    let admitted = portal.admit(&caller, Action::List).await?;
    let rows = documents::rows_by_ids(&admitted.txn, caller.owner, &admitted.documents).await?;
    admitted.txn.commit().await?;
    let items = portal.documents().views_of(caller.owner, &rows).await?;
    Ok(private(Json(SharedList {
        consent_id: caller.consent.id,
        items,
    })))
}

/// One consented document's metadata.
#[utoipa::path(get, path = "/v1/shared/documents/{id}", tag = "shared",
    responses((status = 200, body = DocumentView), (status = 401, body = Problem), (status = 404, body = Problem)))]
async fn one(
    State(portal): State<Admission>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Refusal> {
    // The path as the portal sent it: the proof's `htu` names exactly that.
    let caller = caller(&portal, &headers, &method, uri.path()).await?;
    let admitted = portal.admit(&caller, Action::Read(id)).await?;
    let rows = documents::rows_by_ids(&admitted.txn, caller.owner, &[id]).await?;
    admitted.txn.commit().await?;
    portal
        .documents()
        .views_of(caller.owner, &rows)
        .await?
        .into_iter()
        .next()
        .map(|view| private(Json(view)))
        .ok_or(Refusal::NotFound)
}

/// One consented document's content, decrypted as it streams. Under a `once` consent, each
/// document can be fetched completely once.
#[utoipa::path(get, path = "/v1/shared/documents/{id}/content", tag = "shared",
    responses((status = 200, description = "the document's bytes, with the type decided from them", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"),
            (Vec<u8> = "application/xml"), (Vec<u8> = "application/json"))),
        (status = 401, body = Problem), (status = 403, body = Problem), (status = 404, body = Problem)))]
async fn content(
    State(portal): State<Admission>,
    method: Method,
    uri: Uri,
    version: Version,
    connection: Option<Extension<ConnectInfo<Peer>>>,
    headers: HeaderMap,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, Refusal> {
    // The path as the portal sent it: the proof's `htu` names exactly that.
    let caller = caller(&portal, &headers, &method, uri.path()).await?;
    let admitted = portal.admit(&caller, Action::Download(id)).await?;
    let once = admitted.once_claim;
    admitted.txn.commit().await?;
    // On HTTP/1 the connection carries this response alone: its acknowledgements are this
    // response's. HTTP/2 interleaves streams and buffers for flow control: not watched.
    let delivery = connection
        .filter(|_| version <= Version::HTTP_11)
        .map(|Extension(ConnectInfo(Peer(_, delivery)))| delivery);
    let content = portal.content(&caller, id, once, delivery).await?;
    Ok(attachment(content))
}

/// A document's content as a download: its type and length, never cached.
fn attachment(content: Content) -> Response {
    let Content { view, body } = content;
    let mut response = Body::from_stream(body).into_response();
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
    response
}
