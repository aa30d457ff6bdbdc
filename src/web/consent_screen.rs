//! `/authorize`: the consent screen of the redirect flow. `GET` takes only `client_id` and a
//! `request_uri` from PAR, makes the owner sign in (and brings them back), and shows who asks,
//! for which procedure and purpose, the dossier, until when, how to withdraw, and exactly which
//! of the owner's documents match — a choice per document, none ticked. `POST` (CSRF-checked)
//! records the decision and sends the browser back to the portal with `code` (60 s, single
//! use) or `access_denied`, always with `state` and `iss` (RFC 9207). A mistake — nothing
//! ticked, an ended session, a stale form, an expired request — is a page in the person's
//! language, never problem+json.

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use chrono::Duration;
use serde::Deserialize;
use url::Url;
use uuid::Uuid;

use super::consents::{ConsentShown, Missing, missing};
use super::documents::Shown;
use super::failure::PageError;
use super::form::FormErrors;
use super::frame::Frame;
use super::render;
use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::consents::{Consent, Status};
use crate::error::ApiError;
use crate::identity::oidc::http::{redirect_with_cookies, return_cookie};
use crate::identity::{OwnerSession, SignedIn, check_same_origin};
use crate::oauth::requests::ConsentDecision;
use crate::oauth::server::{AuthorizeError, PendingRequest};

#[derive(Debug, Deserialize)]
pub struct AuthorizeQuery {
    client_id: Option<String>,
    request_uri: Option<String>,
}

#[derive(Template)]
#[template(path = "web/consent_screen.html")]
struct ScreenPage {
    f: Frame,
    c: ConsentShown,
    client_id: String,
    request_uri: String,
    documents: Vec<Shown>,
    chosen: Vec<String>,
    missing: Vec<Missing>,
    errors: FormErrors,
    for_owner: bool,
}

impl From<AuthorizeError> for PageError {
    fn from(e: AuthorizeError) -> Self {
        match e {
            AuthorizeError::Unusable(why) | AuthorizeError::Invalid(why) => {
                PageError::said(ApiError::BadRequest(why.into()), "error-request-unusable")
            }
            AuthorizeError::NotFound => {
                PageError::said(ApiError::NotFound, "error-request-unusable")
            }
            AuthorizeError::Consent(e) => e.into(),
            AuthorizeError::Documents(e) => e.into(),
            AuthorizeError::Store(e) => e.into(),
        }
    }
}

/// `GET /authorize?client_id&request_uri`.
pub async fn show(
    State(state): State<AppState>,
    f: Frame,
    signed_in: Result<SignedIn, ApiError>,
    Query(query): Query<AuthorizeQuery>,
    uri: Uri,
) -> Result<Response, PageError> {
    let (client_id, request_uri) = (query.client_id.as_deref(), query.request_uri.as_deref());
    let pending = state.auth_server.pending(client_id, request_uri).await?;
    let Ok(signed_in) = signed_in else {
        let here = uri.path_and_query().map_or("/authorize", |p| p.as_str());
        return Ok(sign_in_first(&state, here));
    };
    let session = OwnerSession::resolve(&state, signed_in).await?;
    let request_uri = query.request_uri.unwrap_or_default();
    let page = screen(
        &state,
        f,
        session,
        &pending,
        &request_uri,
        FormErrors::default(),
    )
    .await?;
    with_portal_as_form_target(render::ok(&page), &pending.request.redirect_uri)
}

/// Sends the browser to sign in (straight to the identity provider when there is one), and
/// back to `here` afterwards.
fn sign_in_first(state: &AppState, here: &str) -> Response {
    let login = if state.oidc.is_some() {
        "/auth/login"
    } else {
        "/"
    };
    redirect_with_cookies(login, &[return_cookie(state, here)])
}

/// The screen for `pending` as `session` sees it: opening it and previewing the owner's
/// matching documents are logged for anyone but the owner.
async fn screen(
    state: &AppState,
    mut f: Frame,
    session: OwnerSession,
    pending: &PendingRequest,
    request_uri: &str,
    errors: FormErrors,
) -> Result<ScreenPage, PageError> {
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
    let asked = &pending.asked;
    let matching = state
        .documents
        .usable_of_types(session.owner, &asked.document_types)
        .await?;
    let tr = f.tr;
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", &client.client_id)
        .append_pair("request_uri", request_uri)
        .finish();
    let missing = missing(
        tr,
        &asked.document_types,
        &matching,
        &format!("/authorize?{query}"),
    );
    let now = state.clock.now();
    let consent = Consent {
        id: Uuid::nil(),
        status: Status::Pending,
        client_id: client.client_id.clone(),
        agency_code: client.agency_code.clone(),
        flow: "redirect".into(),
        procedure: asked.procedure.clone(),
        dossier: asked.dossier.clone(),
        purpose: asked.purpose.clone(),
        binding_message: None,
        document_types: asked.document_types.clone(),
        access: asked.access,
        expires_in: asked.expires_in,
        expires_at: now + Duration::seconds(asked.expires_in),
        created_at: now,
        decided_at: None,
        withdrawn_at: None,
        used_at: None,
        documents: Vec::new(),
    };
    f.csrf = session.csrf_token.clone();
    Ok(ScreenPage {
        c: ConsentShown::new(tr, consent, client.name),
        client_id: client.client_id,
        request_uri: request_uri.to_owned(),
        documents: matching.into_iter().map(|d| Shown::new(tr, d)).collect(),
        chosen: Vec::new(),
        missing,
        errors,
        for_owner: session.mandate.is_some(),
        f,
    })
}

/// The screen's form posts to `/authorize`, which redirects to the portal: the CSP's
/// `form-action` must allow the portal's origin too.
fn with_portal_as_form_target(
    mut response: Response,
    redirect_uri: &str,
) -> Result<Response, PageError> {
    let portal = Url::parse(redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .map_err(ApiError::internal)?;
    if let Ok(csp) = HeaderValue::from_str(&super::csp_with_form_target(&portal)) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    Ok(response)
}

/// The fields of the screen's form.
struct DecisionForm(Vec<(String, String)>);

impl DecisionForm {
    fn field(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn documents(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .filter(|(k, _)| k == "document")
            .map(|(_, v)| v.as_str())
    }

    /// Where the screen of this form is, to come back to after signing in again.
    fn screen_url(&self) -> String {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("client_id", self.field("client_id").unwrap_or_default());
        url.append_pair("request_uri", self.field("request_uri").unwrap_or_default());
        format!("/authorize?{}", url.finish())
    }
}

/// `POST /authorize`: the owner's decision, as a form (`csrf_token`, `client_id`,
/// `request_uri`, `decision` = `approve` | `deny`, and one `document` per chosen document).
pub async fn decide(
    State(state): State<AppState>,
    f: Frame,
    signed_in: Result<SignedIn, ApiError>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, PageError> {
    check_same_origin(&headers, &state.settings)?;
    let form = DecisionForm(url::form_urlencoded::parse(&body).into_owned().collect());
    let server = &state.auth_server;
    let (client_id, request_uri) = (form.field("client_id"), form.field("request_uri"));
    let pending = server.pending(client_id, request_uri).await?;
    let Ok(signed_in) = signed_in else {
        // The session ended while the screen was open: sign in again, then the same screen.
        return Ok(sign_in_first(&state, &form.screen_url()));
    };
    let stale = form.field("csrf_token") != Some(signed_in.session.csrf_token.as_str());
    let session = OwnerSession::resolve(&state, signed_in).await?;
    let tr = f.tr;
    let again = |key: &str| {
        let mut errors = FormErrors::default();
        errors.add_key(tr, "documents", key);
        errors
    };
    if stale {
        let request_uri = request_uri.unwrap_or_default();
        let errors = again("error-csrf-again");
        let page = screen(&state, f, session, &pending, request_uri, errors).await?;
        let response = render::page(StatusCode::FORBIDDEN, &page);
        return with_portal_as_form_target(response, &pending.request.redirect_uri);
    }
    let decision = match ConsentDecision::from_fields(form.field("decision"), form.documents()) {
        Ok(decision) => decision,
        Err(_) => {
            return refuse(
                &state,
                f,
                session,
                &pending,
                &form,
                again("error-choose-document"),
            )
            .await;
        }
    };
    if server
        .check_choice(session.owner, &pending, &decision)
        .await
        .is_err()
    {
        return refuse(
            &state,
            f,
            session,
            &pending,
            &form,
            again("error-choose-document"),
        )
        .await;
    }
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

/// The screen again, with what was ticked kept and `errors` at the top.
async fn refuse(
    state: &AppState,
    f: Frame,
    session: OwnerSession,
    pending: &PendingRequest,
    form: &DecisionForm,
    errors: FormErrors,
) -> Result<Response, PageError> {
    let request_uri = form.field("request_uri").unwrap_or_default();
    let mut page = screen(state, f, session, pending, request_uri, errors).await?;
    page.chosen = form.documents().map(str::to_owned).collect();
    let response = render::page(StatusCode::BAD_REQUEST, &page);
    with_portal_as_form_target(response, &pending.request.redirect_uri)
}
