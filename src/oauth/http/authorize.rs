//! `/authorize`: the owner's side of the redirect flow. `GET` takes only `client_id` and a
//! `request_uri` from PAR, makes the owner sign in, and shows the consent screen — who asks,
//! the procedure, the purpose, the dossier, until when, and exactly which of the owner's
//! documents match, with a choice per document. `POST` (CSRF-checked) records the decision and
//! sends the browser back to the portal with `code` (60 s, single use) or `access_denied`,
//! always with `state` and `iss` (RFC 9207).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, FixedOffset};
use serde::Deserialize;
use url::Url;
use uuid::Uuid;

use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::documents::DocumentView;
use crate::error::ApiError;
use crate::identity::oidc::http::{redirect_with_cookies, return_cookie};
use crate::identity::{OwnerSession, SignedIn, check_csrf, check_same_origin};
use crate::ids::{ProcedureCode, document_types, procedure};
use crate::oauth::details::Access;
use crate::oauth::requests::ConsentDecision;
use crate::oauth::server::{AuthorizeError, PendingRequest};
use crate::storage::entities::clients as client_rows;

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    request_uri: Option<String>,
}

#[derive(Template)]
#[template(path = "authorize_error.html")]
struct ErrorPage<'a> {
    reason: &'a str,
}

fn error_page(reason: &str) -> Response {
    let page = ErrorPage { reason }.render().unwrap_or_default();
    (StatusCode::BAD_REQUEST, Html(page)).into_response()
}

struct Candidate {
    id: Uuid,
    title: String,
    type_name: &'static str,
    number: Option<String>,
}

#[derive(Template)]
#[template(path = "consent.html")]
struct ConsentPage {
    client_name: String,
    agency_code: String,
    client_id: String,
    request_uri: String,
    procedure_code: String,
    procedure_name: String,
    purpose: String,
    dossier: Option<String>,
    until: String,
    once: bool,
    csrf_token: String,
    documents: Vec<Candidate>,
    missing_types: Vec<String>,
}

impl From<AuthorizeError> for ApiError {
    fn from(e: AuthorizeError) -> Self {
        match e {
            AuthorizeError::Unusable(why) | AuthorizeError::Invalid(why) => {
                ApiError::BadRequest(why.into())
            }
            AuthorizeError::NotFound => ApiError::NotFound,
            AuthorizeError::Consent(e) => e.into(),
            AuthorizeError::Documents(e) => e.into(),
            AuthorizeError::Store(e) => e.into(),
        }
    }
}

/// An error as the person sees it: a request that cannot be answered is a page that says why;
/// anything else is the API's problem document.
pub enum Refused {
    Page(&'static str),
    Api(ApiError),
}

impl From<AuthorizeError> for Refused {
    fn from(e: AuthorizeError) -> Self {
        match e {
            AuthorizeError::Unusable(why) => Self::Page(why),
            other => Self::Api(other.into()),
        }
    }
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Self {
        Self::Api(e)
    }
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        match self {
            Self::Page(why) => error_page(why),
            Self::Api(e) => e.into_response(),
        }
    }
}

/// `GET /authorize?client_id&request_uri`.
pub async fn show(
    State(state): State<AppState>,
    session: Result<OwnerSession, ApiError>,
    Query(query): Query<AuthorizeQuery>,
    uri: Uri,
) -> Result<Response, Refused> {
    let (client_id, request_uri) = (query.client_id.as_deref(), query.request_uri.as_deref());
    let pending = state.auth_server.pending(client_id, request_uri).await?;
    let session = match session {
        Ok(session) => session,
        Err(ApiError::Unauthenticated) => return Ok(sign_in_first(&state, &uri)),
        Err(e) => return Err(e.into()),
    };
    let request_uri = query.request_uri.unwrap_or_default();
    let page = screen(&state, session, &pending, request_uri).await?;
    let html = page.render().map_err(ApiError::internal)?;
    Ok(with_portal_as_form_target(
        Html(html).into_response(),
        &pending.request.redirect_uri,
    )?)
}

/// The consent screen for `pending`, as `session` sees it: opening it and previewing the
/// owner's matching documents are logged for anyone but the owner.
async fn screen(
    state: &AppState,
    session: OwnerSession,
    pending: &PendingRequest,
    request_uri: String,
) -> Result<ConsentPage, ApiError> {
    session
        .may(
            &state.access,
            Action::OpenConsentRequest,
            Subject::default(),
        )
        .await?;
    session
        .may(&state.access, Action::PreviewConsent, Subject::default())
        .await?;
    let client = state.auth_server.portal_of(pending).await?;
    let matching = state
        .documents
        .usable_of_types(session.owner, &pending.asked.document_types)
        .await?;
    let until = state.clock.now() + Duration::seconds(pending.asked.expires_in);
    let form = (session.csrf_token, request_uri);
    consent_page(pending, client, matching, until, form)
}

/// Sends the browser to sign in, and back here afterwards.
fn sign_in_first(state: &AppState, uri: &Uri) -> Response {
    let here = uri.path_and_query().map_or("/authorize", |p| p.as_str());
    let login = if state.oidc.is_some() {
        "/auth/login"
    } else {
        "/dev/sign-in"
    };
    redirect_with_cookies(login, &[return_cookie(state, here)])
}

/// The consent screen for `pending`, offering `matching` documents; its form carries the
/// session's CSRF token and the `request_uri`.
fn consent_page(
    pending: &PendingRequest,
    client: client_rows::Model,
    matching: Vec<DocumentView>,
    until: chrono::DateTime<chrono::Utc>,
    (csrf_token, request_uri): (String, String),
) -> Result<ConsentPage, ApiError> {
    let asked = &pending.asked;
    let type_name = |code: &str| {
        document_types()
            .iter()
            .find(|t| t.code == code)
            .map_or("", |t| t.name_vi)
    };
    let missing_types = asked
        .document_types
        .iter()
        .filter(|t| !matching.iter().any(|d| &d.type_code == *t))
        .map(|t| type_name(t).to_owned())
        .collect();
    let vietnam = FixedOffset::east_opt(7 * 3600).ok_or(ApiError::Unavailable)?;
    Ok(ConsentPage {
        client_name: client.name,
        agency_code: client.agency_code,
        request_uri,
        client_id: client.client_id,
        procedure_name: ProcedureCode::parse(&asked.procedure)
            .ok()
            .as_ref()
            .and_then(procedure)
            .map_or_else(String::new, |p| p.name_vi.to_owned()),
        procedure_code: asked.procedure.clone(),
        purpose: asked.purpose.clone(),
        dossier: asked.dossier.clone(),
        until: until
            .with_timezone(&vietnam)
            .format("%d/%m/%Y %H:%M")
            .to_string(),
        once: asked.access == Access::Once,
        csrf_token,
        documents: matching
            .into_iter()
            .map(|d| Candidate {
                id: d.id,
                type_name: type_name(&d.type_code),
                title: d.title,
                number: d.number,
            })
            .collect(),
        missing_types,
    })
}

/// The consent screen's form posts to `/authorize`, which redirects to the portal: the CSP's
/// `form-action` must allow the portal's origin too. Never cached.
fn with_portal_as_form_target(
    mut response: Response,
    redirect_uri: &str,
) -> Result<Response, ApiError> {
    let portal = Url::parse(redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .map_err(ApiError::internal)?;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&crate::web::csp_with_form_target(&portal)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// The fields of the consent screen's form.
struct DecisionForm(Vec<(String, String)>);

impl DecisionForm {
    fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn decision(&self) -> Result<ConsentDecision, ApiError> {
        let documents = self
            .0
            .iter()
            .filter(|(k, _)| k == "document")
            .map(|(_, v)| v.as_str());
        ConsentDecision::from_fields(self.field("decision"), documents)
            .map_err(|why| ApiError::BadRequest(why.into()))
    }
}

/// `POST /authorize`: the owner's decision, as a form (`csrf_token`, `client_id`,
/// `request_uri`, `decision` = `approve` | `deny`, and one `document` per chosen document).
pub async fn decide(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Refused> {
    check_same_origin(&headers, &state.settings)?;
    let form = DecisionForm(url::form_urlencoded::parse(&body).into_owned().collect());
    let csrf = form.field("csrf_token").unwrap_or_default();
    check_csrf(&signed_in.session, csrf.as_bytes())?;
    let session = OwnerSession::resolve(&state, signed_in).await?;
    let server = &state.auth_server;
    let (client_id, request_uri) = (form.field("client_id"), form.field("request_uri"));
    let pending = server.pending(client_id, request_uri).await?;
    let decision = form.decision()?;
    server
        .check_choice(session.owner, &pending, &decision)
        .await?;
    let action = match decision {
        ConsentDecision::Approve(_) => Action::ApproveConsent,
        ConsentDecision::Deny => Action::DenyConsent,
    };
    session
        .may(&state.access, action, Subject::default())
        .await?;
    let target = server
        .decide(session.owner, session.person, &pending, decision)
        .await?;
    Ok(redirect_with_cookies(target.as_str(), &[]))
}
