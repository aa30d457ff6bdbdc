//! `/authorize`: the owner's side of the redirect flow. `GET` takes only `client_id` and a
//! `request_uri` from PAR, makes the owner sign in, and shows the consent screen — who asks,
//! the procedure, the purpose, the dossier, until when, and exactly which of the owner's
//! documents match, with a choice per document. `POST` (CSRF-checked) records the decision and
//! sends the browser back to the portal with `code` (60 s, single use) or `access_denied`,
//! always with `state` and `iss` (RFC 9207).

use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, FixedOffset};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, TransactionTrait};
use serde::Deserialize;
use url::Url;
use uuid::Uuid;

use super::par::REQUEST_URI_PREFIX;
use crate::app::AppState;
use crate::audit::http::{authorize_consent, authorize_read};
use crate::clients::find_enabled;
use crate::consents::NewConsent;
use crate::error::ApiError;
use crate::identity::oidc::http::{redirect_with_cookies, return_cookie};
use crate::identity::{OwnerSession, SignedIn, check_csrf, check_same_origin};
use crate::ids::{ProcedureCode, document_types, procedure};
use crate::oauth::details::{Access, DocumentAccess};
use crate::oauth::handles;
use crate::storage::entities::par_requests;

/// How long an authorization code lives.
const CODE_LIFETIME_SECS: i64 = 60;

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

/// The pushed request behind `request_uri`, if it is this client's, unused and unexpired.
async fn pushed(
    state: &AppState,
    client_id: Option<&str>,
    request_uri: Option<&str>,
) -> Result<Result<(par_requests::Model, DocumentAccess), &'static str>, ApiError> {
    let (Some(client_id), Some(request_uri)) = (client_id, request_uri) else {
        return Ok(Err(
            "client_id and request_uri are required: start with a pushed authorization request",
        ));
    };
    let Some(handle) = request_uri.strip_prefix(REQUEST_URI_PREFIX) else {
        return Ok(Err("request_uri is not one this server issued"));
    };
    let row = par_requests::Entity::find_by_id(handles::hash(handle))
        .one(&state.db)
        .await?;
    let Some(row) = row.filter(|r| r.client_id == client_id) else {
        return Ok(Err("the request is unknown"));
    };
    if row.used_at.is_some() {
        return Ok(Err("the request was already answered"));
    }
    if row.expires_at <= state.clock.now() {
        return Ok(Err("the request has expired"));
    }
    let asked: DocumentAccess = serde_json::from_str(&row.details).map_err(ApiError::internal)?;
    Ok(Ok((row, asked)))
}

/// `GET /authorize?client_id&request_uri`.
pub async fn show(
    State(state): State<AppState>,
    session: Result<OwnerSession, ApiError>,
    Query(query): Query<AuthorizeQuery>,
    uri: axum::http::Uri,
) -> Result<Response, ApiError> {
    let (request, asked) = match pushed(
        &state,
        query.client_id.as_deref(),
        query.request_uri.as_deref(),
    )
    .await?
    {
        Ok(found) => found,
        Err(why) => return Ok(error_page(why)),
    };
    let session = match session {
        Ok(session) => session,
        Err(ApiError::Unauthenticated) => {
            let here = uri.path_and_query().map_or("/authorize", |p| p.as_str());
            let login = if state.oidc.is_some() {
                "/auth/login"
            } else {
                "/dev/sign-in"
            };
            return Ok(redirect_with_cookies(login, &[return_cookie(&state, here)]));
        }
        Err(e) => return Err(e),
    };
    authorize_consent(&state.access_log, &session, "open_consent_request", None).await?;
    authorize_read(&state.access_log, &session, "preview_consent", None).await?;
    let client_id = query.client_id.unwrap_or_default();
    let client = find_enabled(&state.db, &client_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    let matching = state
        .documents
        .usable_of_types(session.owner, &asked.document_types)
        .await?;
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
    let until = (state.clock.now() + Duration::seconds(asked.expires_in)).with_timezone(&vietnam);
    let page = ConsentPage {
        client_name: client.name,
        agency_code: client.agency_code,
        client_id,
        request_uri: query.request_uri.unwrap_or_default(),
        procedure_name: ProcedureCode::parse(&asked.procedure)
            .ok()
            .as_ref()
            .and_then(procedure)
            .map_or_else(String::new, |p| p.name_vi.to_owned()),
        procedure_code: asked.procedure,
        purpose: asked.purpose,
        dossier: asked.dossier,
        until: until.format("%d/%m/%Y %H:%M").to_string(),
        once: asked.access == Access::Once,
        csrf_token: session.csrf_token,
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
    };
    let mut response = Html(page.render().map_err(ApiError::internal)?).into_response();
    let portal = Url::parse(&request.redirect_uri)
        .map(|u| u.origin().ascii_serialization())
        .map_err(ApiError::internal)?;
    let headers = response.headers_mut();
    if let Ok(csp) = HeaderValue::from_str(&crate::web::csp_with_form_target(&portal)) {
        headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /authorize`: the owner's decision, as a form (`csrf_token`, `client_id`,
/// `request_uri`, `decision` = `approve` | `deny`, and one `document` per chosen document).
pub async fn decide(
    State(state): State<AppState>,
    signed_in: SignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    check_same_origin(&headers, &state.settings)?;
    let form: Vec<(String, String)> = url::form_urlencoded::parse(&body).into_owned().collect();
    let field = |name: &str| {
        form.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    check_csrf(
        &signed_in.session,
        field("csrf_token").unwrap_or_default().as_bytes(),
    )?;
    let session = OwnerSession::resolve(&state, signed_in).await?;
    let (request, asked) = match pushed(&state, field("client_id"), field("request_uri")).await? {
        Ok(found) => found,
        Err(why) => return Ok(error_page(why)),
    };
    let approve = match field("decision") {
        Some("approve") => true,
        Some("deny") => false,
        _ => {
            return Err(ApiError::BadRequest(
                "decision must be approve or deny".into(),
            ));
        }
    };
    let picked = form
        .iter()
        .filter(|(k, _)| k == "document")
        .map(|(_, v)| Uuid::parse_str(v))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|_| ApiError::BadRequest("a chosen document is not a document id".into()))?;
    if approve {
        let usable = state
            .documents
            .usable_of_types(session.owner, &asked.document_types)
            .await?;
        if picked.is_empty() || !picked.iter().all(|p| usable.iter().any(|d| d.id == *p)) {
            return Err(ApiError::BadRequest(
                "choose at least one of the documents shown, or deny the request".into(),
            ));
        }
    }
    authorize_consent(
        &state.access_log,
        &session,
        if approve {
            "approve_consent"
        } else {
            "deny_consent"
        },
        None,
    )
    .await?;
    let client = find_enabled(&state.db, &request.client_id)
        .await?
        .ok_or(ApiError::NotFound)?;
    // All or nothing: the request answered, the consent recorded and decided, the code issued.
    // Single use: whoever marks the request answered first decides.
    let txn = state.db.begin().await?;
    let claimed = par_requests::Entity::update_many()
        .col_expr(par_requests::Column::UsedAt, Expr::value(state.clock.now()))
        .filter(par_requests::Column::HandleHash.eq(&request.handle_hash))
        .filter(par_requests::Column::UsedAt.is_null())
        .exec(&txn)
        .await?;
    if claimed.rows_affected != 1 {
        return Ok(error_page("the request was already answered"));
    }
    let consent = state
        .consents
        .create_in(
            &txn,
            NewConsent {
                owner: session.owner,
                client_id: &client.client_id,
                agency_code: &client.agency_code,
                flow: "redirect",
                asked: &asked,
                binding_message: None,
                pending_until: state.clock.now() + Duration::seconds(CODE_LIFETIME_SECS),
            },
        )
        .await?;
    let mut target = Url::parse(&request.redirect_uri).map_err(ApiError::internal)?;
    if approve {
        state
            .consents
            .approve_in(&txn, session.owner, consent, &picked, session.person)
            .await?;
        let code = handles::new_grant(
            &txn,
            handles::NewGrant {
                consent,
                client_id: &client.client_id,
                kind: "code",
                redirect_uri: Some(&request.redirect_uri),
                code_challenge: Some(&request.code_challenge),
                dpop_jkt: request.dpop_jkt.as_deref(),
                lifetime: Duration::seconds(CODE_LIFETIME_SECS),
                interval: None,
            },
            state.clock.now(),
        )
        .await?;
        target.query_pairs_mut().append_pair("code", &code);
    } else {
        state
            .consents
            .deny(&txn, session.owner, consent, session.person)
            .await?;
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_description", "the owner denied the request");
    }
    txn.commit().await?;
    {
        let mut pairs = target.query_pairs_mut();
        if let Some(s) = &request.state {
            pairs.append_pair("state", s);
        }
        pairs.append_pair("iss", state.signer.issuer());
    }
    Ok(redirect_with_cookies(target.as_str(), &[]))
}
