//! The owner's side of consent under `/v1/me/consents`: the inbox of requests (with a preview of
//! exactly which documents match), approve with a choice per document, deny, withdraw, and the
//! signed receipt.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::Consent;
use super::Status;
use super::store::ConsentError;
use crate::access::AccessPolicy;
use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::consents::Consents;
use crate::documents::DocumentView;
use crate::documents::Documents;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, page_limit};
use crate::identity::OwnerSession;
use sea_orm::DatabaseConnection;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(one))
        .routes(routes!(approve))
        .routes(routes!(deny))
        .routes(routes!(withdraw))
        .routes(routes!(receipt_of))
}

impl From<ConsentError> for ApiError {
    fn from(e: ConsentError) -> Self {
        match e {
            ConsentError::NotFound => Self::NotFound,
            ConsentError::Invalid(why) => Self::BadRequest(why.into()),
            e @ ConsentError::WrongState(..) => Self::Conflict(e.to_string()),
            ConsentError::Document(e) => e.into(),
            ConsentError::Store(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ListParams {
    /// Only consents in this state (`pending` is the inbox).
    status: Option<Status>,
    /// 1 to 200 (default 50).
    #[param(value_type = Option<u64>)]
    limit: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ConsentList {
    /// Newest first.
    items: Vec<Consent>,
}

/// The owner's consents and consent requests, newest first.
#[utoipa::path(get, path = "/v1/me/consents", tag = "consents", params(ListParams),
    responses((status = 200, body = ConsentList), (status = 401, body = Problem)))]
async fn list(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    session: OwnerSession,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ConsentList>, ApiError> {
    let limit = page_limit(params.limit.as_deref(), 50, 200)?;
    session
        .may(&access, Action::ListConsents, Subject::default())
        .await?;
    let items = consents.list(session.owner, params.status, limit).await?;
    Ok(Json(ConsentList { items }))
}

/// A consent, and while it is pending, the preview: every document of the owner that could
/// answer it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ConsentDetail {
    consent: Consent,
    /// The owner's valid documents of the asked-for types (only while pending).
    matching_documents: Vec<DocumentView>,
}

/// One consent, with the preview of matching documents while it waits for an answer.
#[utoipa::path(get, path = "/v1/me/consents/{id}", tag = "consents",
    responses((status = 200, body = ConsentDetail), (status = 404, body = Problem)))]
async fn one(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(documents): State<Documents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<ConsentDetail>, ApiError> {
    session
        .may(&access, Action::ReadConsent, Subject::consent(id))
        .await?;
    let consent = consents.get(session.owner, id).await?;
    let matching_documents = if consent.status == Status::Pending {
        session
            .may(&access, Action::PreviewConsent, Subject::default())
            .await?;
        documents
            .usable_of_types(session.owner, &consent.document_types)
            .await?
    } else {
        Vec::new()
    };
    Ok(Json(ConsentDetail {
        consent,
        matching_documents,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct Approval {
    /// The documents to share: at least one, each of an asked-for type.
    documents: Vec<Uuid>,
}

/// Approves a pending request with the documents the owner chose.
#[utoipa::path(post, path = "/v1/me/consents/{id}/approve", tag = "consents", request_body = Approval,
    responses((status = 200, body = Consent), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn approve(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(approval): ApiJson<Approval>,
) -> Result<Json<Consent>, ApiError> {
    session
        .may(&access, Action::ApproveConsent, Subject::consent(id))
        .await?;
    consents
        .approve(session.owner, id, &approval.documents, session.person)
        .await?;
    Ok(Json(consents.get(session.owner, id).await?))
}

/// Denies a pending request.
#[utoipa::path(post, path = "/v1/me/consents/{id}/deny", tag = "consents",
    responses((status = 200, body = Consent), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn deny(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(db): State<DatabaseConnection>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Consent>, ApiError> {
    session
        .may(&access, Action::DenyConsent, Subject::consent(id))
        .await?;
    consents
        .deny(&db, session.owner, id, session.person)
        .await?;
    Ok(Json(consents.get(session.owner, id).await?))
}

/// Withdraws a consent: the very next fetch under it fails, and its tokens are revoked.
#[utoipa::path(post, path = "/v1/me/consents/{id}/withdraw", tag = "consents",
    responses((status = 200, body = Consent), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn withdraw(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<Consent>, ApiError> {
    session
        .may(&access, Action::WithdrawConsent, Subject::consent(id))
        .await?;
    consents.withdraw(session.owner, id).await?;
    Ok(Json(consents.get(session.owner, id).await?))
}

/// The consent receipt: a compact JWS (`application/jose`) signed by the store, checkable by
/// anyone against the keys at the `jwks_uri`.
#[utoipa::path(get, path = "/v1/me/consents/{id}/receipt", tag = "consents",
    responses((status = 200, content_type = "application/jose", body = String), (status = 404, body = Problem)))]
async fn receipt_of(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Response, ApiError> {
    session
        .may(&access, Action::ReadConsentReceipt, Subject::consent(id))
        .await?;
    let jws = consents.receipt(session.owner, id).await?;
    let mut response = jws.into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/jose"),
    );
    response.headers_mut().insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"consent-receipt.jws\""),
    );
    Ok(response)
}
