//! `GET /consents/{id}`: one request or consent. While it waits: what will be shared, with
//! whom, for what, until when, a checkbox per matching document (none ticked), a link to upload
//! each asked-for type the owner lacks, approve or deny. Once given: withdraw behind a confirm page.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum_extra::extract::Form;
use sea_orm::DatabaseConnection;
use serde::Deserialize;
use uuid::Uuid;

use super::{ConsentShown, Missing, consent_id, missing, portal_name};
use crate::access::{AccessPolicy, Action, Subject};
use crate::consents::{ConsentError, Consents};
use crate::documents::Documents;
use crate::web::documents::Shown;
use crate::web::failure::PageError;
use crate::web::form::FormErrors;
use crate::web::frame::{Citizen, Frame};
use crate::web::render;

#[derive(Template)]
#[template(path = "web/consents/show.html")]
struct ConsentPage {
    f: Frame,
    c: ConsentShown,
    documents: Vec<Shown>,
    chosen: Vec<String>,
    missing: Vec<Missing>,
    errors: FormErrors,
    notice: Option<String>,
    /// Said when a representative answers for the owner.
    for_owner: bool,
}

#[derive(Deserialize)]
pub struct ShowQuery {
    done: Option<String>,
}

struct Loaded {
    c: ConsentShown,
    documents: Vec<Shown>,
    missing: Vec<Missing>,
}

async fn load(
    access: &AccessPolicy,
    consents: &Consents,
    documents: &Documents,
    db: &DatabaseConnection,
    citizen: &Citizen,
    id: Uuid,
) -> Result<Loaded, PageError> {
    let session = &citizen.session;
    session
        .may(access, Action::ReadConsent, Subject::consent(id))
        .await?;
    let consent = consents.get(session.owner, id).await?;
    let portal = portal_name(db, &consent.client_id).await?;
    let c = ConsentShown::new(citizen.tr(), consent, portal);
    if !c.pending {
        return Ok(Loaded {
            c,
            documents: Vec::new(),
            missing: Vec::new(),
        });
    }
    session
        .may(access, Action::PreviewConsent, Subject::default())
        .await?;
    let usable = documents
        .usable_of_types(session.owner, &c.consent.document_types)
        .await?;
    let back = format!("/consents/{}", c.consent.id);
    let missing = missing(citizen.tr(), &c.consent.document_types, &usable, &back);
    let documents = usable
        .into_iter()
        .map(|v| Shown::new(citizen.tr(), v))
        .collect();
    Ok(Loaded {
        c,
        documents,
        missing,
    })
}

fn page_of(citizen: Citizen, loaded: Loaded) -> ConsentPage {
    ConsentPage {
        for_owner: citizen.session.mandate.is_some(),
        f: citizen.frame,
        c: loaded.c,
        documents: loaded.documents,
        chosen: Vec::new(),
        missing: loaded.missing,
        errors: FormErrors::default(),
        notice: None,
    }
}

pub async fn page(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(documents): State<Documents>,
    State(db): State<DatabaseConnection>,
    citizen: Citizen,
    Path(id): Path<String>,
    Query(query): Query<ShowQuery>,
) -> Result<Response, PageError> {
    let id = consent_id(&id)?;
    let loaded = load(&access, &consents, &documents, &db, &citizen, id).await?;
    let tr = citizen.tr();
    let mut page = page_of(citizen, loaded);
    page.notice = match query.done.as_deref() {
        Some("approved") => Some(tr.t("notice-approved")),
        Some("denied") => Some(tr.t("notice-denied")),
        Some("withdrawn") => Some(tr.t("notice-withdrawn")),
        _ => None,
    };
    Ok(render::ok(&page))
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf_token: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    document: Vec<String>,
}

/// `POST /consents/{id}`: approve with the ticked documents, or deny.
pub async fn decide(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(documents): State<Documents>,
    State(db): State<DatabaseConnection>,
    citizen: Citizen,
    Path(id): Path<String>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, PageError> {
    let id = consent_id(&id)?;
    citizen.check_form(&form.csrf_token)?;
    let (owner, person) = (citizen.session.owner, citizen.session.person);
    if form.decision == "deny" {
        citizen
            .session
            .may(&access, Action::DenyConsent, Subject::consent(id))
            .await?;
        consents.deny(&db, owner, id, person).await?;
        return Ok(render::see_other(&format!("/consents/{id}?done=denied")));
    }
    citizen
        .session
        .may(&access, Action::ApproveConsent, Subject::consent(id))
        .await?;
    let chosen: Vec<Uuid> = form
        .document
        .iter()
        .filter_map(|d| Uuid::parse_str(d).ok())
        .collect();
    let refused = if chosen.is_empty() {
        "error-choose-document"
    } else {
        match consents.approve(owner, id, &chosen, person).await {
            Ok(_) => return Ok(render::see_other(&format!("/consents/{id}?done=approved"))),
            Err(ConsentError::Invalid(_)) => "error-choose-document",
            Err(ConsentError::WrongState(..)) => "error-consent-lapsed",
            Err(e) => return Err(e.into()),
        }
    };
    let loaded = load(&access, &consents, &documents, &db, &citizen, id).await?;
    let tr = citizen.tr();
    let mut page = page_of(citizen, loaded);
    page.errors.add_key(tr, "documents", refused);
    page.chosen = form.document;
    Ok(render::page(StatusCode::BAD_REQUEST, &page))
}

#[derive(Template)]
#[template(path = "web/consents/withdraw.html")]
struct WithdrawPage {
    f: Frame,
    c: ConsentShown,
}

/// `GET /consents/{id}/withdraw`: what withdrawing means, and the button.
pub async fn withdraw_confirm(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(documents): State<Documents>,
    State(db): State<DatabaseConnection>,
    citizen: Citizen,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = consent_id(&id)?;
    let loaded = load(&access, &consents, &documents, &db, &citizen, id).await?;
    Ok(render::ok(&WithdrawPage {
        c: loaded.c,
        f: citizen.frame,
    }))
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /consents/{id}/withdraw`: the very next fetch under it fails.
pub async fn withdraw(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    citizen: Citizen,
    Path(id): Path<String>,
    Form(form): Form<WithdrawForm>,
) -> Result<Response, PageError> {
    let id = consent_id(&id)?;
    citizen.check_form(&form.csrf_token)?;
    citizen
        .session
        .may(&access, Action::WithdrawConsent, Subject::consent(id))
        .await?;
    consents.withdraw(citizen.session.owner, id).await?;
    Ok(render::see_other(&format!("/consents/{id}?done=withdrawn")))
}
