//! `/v1/me/documents`: the owner's document API. Handlers parse, call the service, map results.

use axum::Json;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::Multipart;
use axum_extra::extract::multipart::MultipartError;
use headers::{ETag, HeaderMapExt, IfNoneMatch};

use futures_util::TryStreamExt;
use serde::Deserialize;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    ContentType, Corrections, DocumentError, DocumentList, DocumentView, ListFilter, NewDocument,
};
use crate::access::AccessPolicy;
use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::app::multipart::{drain, last_file, small_text};
use crate::documents::Documents;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiJson, ApiPath, ApiQuery, page_limit};
use crate::identity::OwnerSession;
use crate::ids::parse_date;
use crate::ids::{AgencyCode, DocumentTypeCode, ParseError, Text};

/// Room for the metadata fields and multipart framing on top of the document itself.
const MULTIPART_SLACK: u64 = 64 * 1024;

pub fn router(max_upload_bytes: u64) -> OpenApiRouter<AppState> {
    let body_limit =
        usize::try_from(max_upload_bytes.saturating_add(MULTIPART_SLACK)).unwrap_or(usize::MAX);
    let upload = OpenApiRouter::new()
        .routes(routes!(list_documents, upload_document))
        .layer(DefaultBodyLimit::max(body_limit));
    OpenApiRouter::new()
        .merge(upload)
        .routes(routes!(get_document, correct_document, delete_document))
        .routes(routes!(download_content))
}

impl From<DocumentError> for ApiError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::NotFound => Self::NotFound,
            DocumentError::TooLarge { limit } => Self::TooLarge { limit },
            DocumentError::Empty => Self::BadRequest("the document is empty".into()),
            DocumentError::Unsupported => Self::UnsupportedContent,
            DocumentError::NotDeletable => Self::Conflict(
                "issued documents cannot be deleted: they stay stored for look-up".into(),
            ),
            DocumentError::NotEditable => {
                Self::Conflict("the metadata of issued documents is the issuer's to change".into())
            }
            DocumentError::Body(why) => Self::BadRequest(why),
            e @ DocumentError::HashMismatch => Self::BadRequest(e.to_string()),
            e @ DocumentError::DuplicateResult => Self::Conflict(e.to_string()),
            e @ DocumentError::OwnerCreatedMeanwhile => Self::RetryLater(e.to_string()),
            DocumentError::Store(e) => e.into(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct ListParams {
    /// Only documents of this catalogue type.
    #[serde(rename = "type")]
    type_code: Option<String>,
    /// The `next_cursor` of the previous page.
    cursor: Option<Uuid>,
    /// Page size, 1 to 200 (default 50).
    #[param(value_type = Option<u64>)]
    limit: Option<String>,
}

/// List the signed-in owner's documents, newest first.
#[utoipa::path(get, path = "/v1/me/documents", tag = "documents", params(ListParams),
    responses((status = 200, body = DocumentList), (status = 400, body = Problem), (status = 401, body = Problem)))]
async fn list_documents(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    session: OwnerSession,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<DocumentList>, ApiError> {
    let limit = page_limit(params.limit.as_deref(), 50, 200)?;
    let type_code = params
        .type_code
        .as_deref()
        .map(DocumentTypeCode::parse)
        .transpose()?;
    session
        .may(&access, Action::ListDocuments, Subject::default())
        .await?;
    let filter = ListFilter {
        type_code,
        cursor: params.cursor,
        limit,
    };
    Ok(Json(documents.list(session.owner, filter).await?))
}

/// The multipart form of an upload, as documented in OpenAPI. The metadata fields must come
/// before `file`, so they are checked before any content is stored.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct UploadForm {
    /// Catalogue code of the document type.
    #[schema(rename = "type")]
    type_code: String,
    title: String,
    number: Option<String>,
    issuing_agency: Option<String>,
    /// `YYYY-MM-DD`.
    issue_date: Option<String>,
    /// `YYYY-MM-DD`.
    valid_until: Option<String>,
    /// The content: PDF, JPEG, PNG, XML or JSON, decided by its first bytes.
    #[schema(format = Binary, value_type = String)]
    file: Vec<u8>,
}

/// Upload a document (multipart/form-data; metadata fields first, then `file`). Requires
/// `X-CSRF-Token`.
#[utoipa::path(post, path = "/v1/me/documents", tag = "documents",
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses((status = 201, body = DocumentView), (status = 400, body = Problem), (status = 403, body = Problem),
        (status = 413, body = Problem), (status = 415, body = Problem)))]
async fn upload_document(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    session: OwnerSession,
    headers: HeaderMap,
    multipart: Multipart,
) -> Result<(StatusCode, Json<DocumentView>), ApiError> {
    session
        .may(&access, Action::UploadDocument, Subject::default())
        .await?;
    let limit = documents.max_upload_bytes();
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit.saturating_add(MULTIPART_SLACK)) {
        return Err(ApiError::TooLarge { limit });
    }
    let view = store_upload(&documents, session.owner, multipart).await?;
    Ok((StatusCode::CREATED, Json(view)))
}

/// Reads the metadata fields, then streams the `file` field into the owner's store.
async fn store_upload(
    documents: &super::Documents,
    owner: crate::owners::OwnerId,
    mut multipart: Multipart,
) -> Result<DocumentView, ApiError> {
    let limit = documents.max_upload_bytes();
    let too_large = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge { limit }
        } else {
            e.into()
        }
    };
    let mut fields = UploadFields::default();
    while let Some(field) = multipart.next_field().await.map_err(too_large)? {
        let name = field.name().unwrap_or_default().to_owned();
        if name != "file" {
            fields.set(&name, small_text(field).await?)?;
            continue;
        }
        let meta = match fields.parse() {
            Ok(meta) => meta,
            Err(refused) => {
                drain(field, multipart).await;
                return Err(refused);
            }
        };
        return Ok(documents
            .upload(owner, meta, last_file(field, multipart))
            .await?);
    }
    Err(ApiError::BadRequest("the form has no `file` field".into()))
}

#[derive(Default)]
struct UploadFields {
    type_code: Option<String>,
    title: Option<String>,
    number: Option<String>,
    issuing_agency: Option<String>,
    issue_date: Option<String>,
    valid_until: Option<String>,
}

impl UploadFields {
    fn set(&mut self, name: &str, value: String) -> Result<(), ApiError> {
        let slot = match name {
            "type" => &mut self.type_code,
            "title" => &mut self.title,
            "number" => &mut self.number,
            "issuing_agency" => &mut self.issuing_agency,
            "issue_date" => &mut self.issue_date,
            "valid_until" => &mut self.valid_until,
            other => {
                return Err(ApiError::BadRequest(format!(
                    "unknown form field `{other}`"
                )));
            }
        };
        if slot.replace(value).is_some() {
            return Err(ApiError::BadRequest(format!(
                "the form field `{name}` is given twice"
            )));
        }
        Ok(())
    }

    fn parse(self) -> Result<NewDocument, ApiError> {
        let required = |v: Option<String>, name: &str| {
            v.ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "the form field `{name}` is required and must come before `file`"
                ))
            })
        };
        let optional = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
        let meta = NewDocument {
            type_code: DocumentTypeCode::parse(&required(self.type_code, "type")?)?,
            title: Text::parse(&required(self.title, "title")?, "title", 500)?,
            number: optional(self.number)
                .map(|n| Text::parse(&n, "number", 100))
                .transpose()?,
            issuing_agency: optional(self.issuing_agency)
                .map(|a| AgencyCode::parse(&a))
                .transpose()?,
            issue_date: optional(self.issue_date)
                .map(|d| parse_date(&d, "issue date"))
                .transpose()?,
            valid_until: optional(self.valid_until)
                .map(|d| parse_date(&d, "valid until"))
                .transpose()?,
        };
        if let (Some(issued), Some(until)) = (meta.issue_date, meta.valid_until)
            && until < issued
        {
            return Err(ApiError::BadRequest(
                "valid_until is before issue_date".into(),
            ));
        }
        Ok(meta)
    }
}

/// One document's metadata.
#[utoipa::path(get, path = "/v1/me/documents/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, body = DocumentView), (status = 404, body = Problem)))]
async fn get_document(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<Json<DocumentView>, ApiError> {
    session
        .may(&access, Action::ReadDocument, Subject::document(id))
        .await?;
    Ok(Json(documents.get(session.owner, id).await?))
}

/// Corrections to an uploaded document's metadata; absent fields stay as they are.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct CorrectionsBody {
    title: Option<String>,
    /// A number/symbol; an empty string clears it.
    number: Option<String>,
}

impl CorrectionsBody {
    fn parse(self) -> Result<Corrections, ParseError> {
        let number = |n: &str| {
            if n.trim().is_empty() {
                Ok(None)
            } else {
                Text::parse(n, "number", 100).map(Some)
            }
        };
        Ok(Corrections {
            title: self
                .title
                .as_deref()
                .map(|t| Text::parse(t, "title", 500))
                .transpose()?,
            number: self.number.as_deref().map(number).transpose()?,
        })
    }
}

/// Correct the title or number of a document you uploaded. Requires `X-CSRF-Token`.
#[utoipa::path(patch, path = "/v1/me/documents/{id}", tag = "documents", params(("id" = Uuid, Path)), request_body = CorrectionsBody,
    responses((status = 200, body = DocumentView), (status = 400, body = Problem), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn correct_document(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
    ApiJson(body): ApiJson<CorrectionsBody>,
) -> Result<Json<DocumentView>, ApiError> {
    session
        .may(&access, Action::CorrectDocument, Subject::document(id))
        .await?;
    let changes = body.parse()?;
    Ok(Json(documents.correct(session.owner, id, changes).await?))
}

/// Delete an uploaded document (issued documents stay). Requires `X-CSRF-Token`.
#[utoipa::path(delete, path = "/v1/me/documents/{id}", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem)))]
async fn delete_document(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
) -> Result<StatusCode, ApiError> {
    session
        .may(&access, Action::DeleteDocument, Subject::document(id))
        .await?;
    documents.delete(session.owner, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Download the content, decrypted as it streams. `ETag` is the content's SHA-256.
#[utoipa::path(get, path = "/v1/me/documents/{id}/content", tag = "documents", params(("id" = Uuid, Path)),
    responses((status = 200, description = "the document's bytes, with the type decided from them", content(
            (Vec<u8> = "application/pdf"), (Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"),
            (Vec<u8> = "application/xml"), (Vec<u8> = "application/json"))),
        (status = 304), (status = 404, body = Problem), (status = 500, body = Problem)))]
async fn download_content(
    State(access): State<AccessPolicy>,
    State(documents): State<Documents>,
    session: OwnerSession,
    ApiPath(id): ApiPath<Uuid>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    send_content(&access, &documents, &session, id, &headers).await
}

/// The owner's document `id` as a download, or `304` when the client has it (`If-None-Match`).
/// Shared with the document page's download link.
pub(crate) async fn send_content(
    access: &AccessPolicy,
    documents: &Documents,
    session: &OwnerSession,
    id: Uuid,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    session
        .may(access, Action::DownloadDocument, Subject::document(id))
        .await?;
    let view = documents.get(session.owner, id).await?;
    let tag = format!("\"{}\"", view.sha256);
    let held = tag.parse::<ETag>().map_err(ApiError::internal)?;
    // A list of tags, weak ones and `*` too (RFC 9110 §13.1.2).
    let matches = headers
        .typed_get::<IfNoneMatch>()
        .is_some_and(|tags| !tags.precondition_passes(&held));
    let etag = HeaderValue::from_str(&tag).map_err(ApiError::internal)?;
    if matches {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response());
    }
    let download = documents.download(session.owner, id).await?;
    content_response(id, download, etag)
}

/// The decrypted content as a download named `<id>.<ext>`, revalidated by its `etag`.
fn content_response(
    id: Uuid,
    download: super::Download,
    etag: HeaderValue,
) -> Result<Response, ApiError> {
    let content_type =
        ContentType::from_mime(&download.view.content_type).ok_or(ApiError::Integrity)?;
    let disposition = format!("attachment; filename=\"{id}.{}\"", content_type.extension());
    let body = Body::from_stream(
        download
            .body
            .inspect_err(move |e| tracing::error!(document = %id, error = %e, "download stopped")),
    );
    let headers = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(content_type.mime()),
        ),
        (
            header::CONTENT_LENGTH,
            HeaderValue::from(download.view.size),
        ),
        (header::ETAG, etag),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition).map_err(ApiError::internal)?,
        ),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-cache"),
        ),
    ];
    Ok((headers, body).into_response())
}
