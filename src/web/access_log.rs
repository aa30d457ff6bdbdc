//! `GET /access-log`: every access by anyone but the owner, in sentences, newest first, with
//! filters by who and by outcome, and a banner saying whether the chain was checked intact —
//! by the same code as `kho audit verify` — up to the store's signed checkpoint.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;
use uuid::Uuid;

use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::audit::entries;
use crate::audit::http::People;
use crate::ids::{ProcedureCode, procedure};
use crate::storage::entities::access_log;
use crate::web::consents::portal_name;
use crate::web::failure::PageError;
use crate::web::frame::{Citizen, Frame};
use crate::web::i18n::Tr;
use crate::web::render;

const PAGE: u64 = 50;

#[derive(Deserialize)]
pub struct LogQuery {
    #[serde(default)]
    who: String,
    #[serde(default)]
    outcome: String,
    before: Option<i64>,
}

/// One entry, in words.
pub struct Line {
    pub when: String,
    pub sentence: String,
    pub denied: bool,
    pub reason: Option<String>,
}

/// What checking the chain found.
pub struct Check {
    pub intact: bool,
    pub text: String,
}

#[derive(Template)]
#[template(path = "web/access_log.html")]
struct LogPage {
    f: Frame,
    lines: Vec<Line>,
    check: Check,
    who: String,
    outcome: String,
    next: Option<i64>,
}

pub async fn page(
    State(state): State<AppState>,
    citizen: Citizen,
    Query(query): Query<LogQuery>,
) -> Result<Response, PageError> {
    let owner = citizen.session.owner;
    citizen
        .session
        .may(&state.access, Action::ReadAccessLog, Subject::default())
        .await?;
    let tr = citizen.tr();
    let check = check(&state, &citizen).await?;
    let rows = entries(&state.db, owner, PAGE, query.before).await?;
    let next = (rows.len() as u64 == PAGE)
        .then(|| rows.last().map(|r| r.seq))
        .flatten();
    let titles = document_titles(&state, &citizen, &rows).await?;
    let key = state.owners.data_key(owner).await?;
    let mut people = People::default();
    let mut lines = Vec::new();
    for row in rows.into_iter().filter(|r| keep(r, &query)) {
        let row = crate::audit::opened(row, key.as_ref());
        let person = people.of(&state, owner, &row).await?;
        let actor = actor_words(&state, tr, &row, person).await?;
        lines.push(line(tr, &row, actor, &titles));
    }
    Ok(render::ok(&LogPage {
        f: citizen.frame,
        lines,
        check,
        who: query.who,
        outcome: query.outcome,
        next,
    }))
}

fn keep(row: &access_log::Model, query: &LogQuery) -> bool {
    (query.who.is_empty() || row.actor_kind == query.who)
        && (query.outcome.is_empty() || row.outcome == query.outcome)
}

/// The whole chain checked — a page at a time — and its head signed, as the upkeep does.
async fn check(state: &AppState, citizen: &Citizen) -> Result<Check, PageError> {
    let tr = citizen.tr();
    let owner = citizen.session.owner;
    Ok(match state.access_log.checkpoint(owner).await {
        Ok(None) => Check {
            intact: true,
            text: tr.t("log-check-empty"),
        },
        Ok(Some(_)) => {
            let count = crate::audit::tail(&state.db, owner)
                .await?
                .map_or(0, |head| head.seq);
            Check {
                intact: true,
                text: tr.t_with(
                    "log-check-signed",
                    &[("count", &count.to_string()), ("seq", &count.to_string())],
                ),
            }
        }
        Err(crate::audit::CheckpointError::Broken(broken)) => {
            tracing::error!(
                seq = broken.seq,
                reason = broken.reason,
                "an owner's access log did not verify"
            );
            Check {
                intact: false,
                text: tr.t("log-check-broken"),
            }
        }
        Err(crate::audit::CheckpointError::Store(e)) => {
            return Err(crate::error::ApiError::from(e).into());
        }
    })
}

/// The titles of the documents named on this page that still exist.
async fn document_titles(
    state: &AppState,
    citizen: &Citizen,
    rows: &[access_log::Model],
) -> Result<HashMap<Uuid, String>, PageError> {
    let mut ids: Vec<Uuid> = rows.iter().filter_map(|r| r.document_id).collect();
    ids.sort();
    ids.dedup();
    let owner = citizen.session.owner;
    let rows = crate::documents::rows_by_ids(&state.db, owner, &ids).await?;
    let views = state.documents.views_of(owner, &rows).await?;
    Ok(views.into_iter().map(|v| (v.id, v.title)).collect())
}

async fn actor_words(
    state: &AppState,
    tr: Tr,
    row: &access_log::Model,
    person: Option<String>,
) -> Result<String, PageError> {
    let someone = || tr.t("log-someone");
    Ok(match row.actor_kind.as_str() {
        "portal" => {
            let client = row.actor_client.clone().unwrap_or_default();
            let name = portal_name(&state.db, &client).await?;
            let agency = row.actor_agency.clone().unwrap_or_default();
            tr.t_with("log-actor-portal", &[("name", &name), ("agency", &agency)])
        }
        "official" => tr.t_with(
            "log-actor-official",
            &[("person", &person.unwrap_or_else(someone))],
        ),
        "representative" => tr.t_with(
            "log-actor-representative",
            &[("person", &person.unwrap_or_else(someone))],
        ),
        "operator" => tr.t("log-actor-operator"),
        _ => someone(),
    })
}

fn line(tr: Tr, row: &access_log::Model, actor: String, titles: &HashMap<Uuid, String>) -> Line {
    let action_key = format!("log-action-{}", row.action);
    let action = if tr.has(&action_key) {
        tr.t(&action_key)
    } else {
        tr.t_with("log-action-other", &[("action", &row.action)])
    };
    let object = row.document_id.map(|id| match titles.get(&id) {
        Some(title) => tr.t_with("log-object", &[("title", title)]),
        None => tr.t("log-object-gone"),
    });
    let mut sentence = tr.t_with(
        "log-sentence",
        &[
            ("actor", &actor),
            ("action", &action),
            ("object", object.as_deref().unwrap_or_default()),
        ],
    );
    if let Some(code) = &row.procedure {
        let name = ProcedureCode::parse(code)
            .ok()
            .as_ref()
            .and_then(procedure)
            .map_or_else(
                || code.clone(),
                |p| tr.pick(p.name_vi, p.name_en).to_owned(),
            );
        sentence.push_str(&tr.t_with("log-for-procedure", &[("procedure", &name)]));
    }
    if let Some(dossier) = &row.dossier {
        sentence.push_str(&tr.t_with("log-dossier", &[("dossier", dossier)]));
    }
    if let Some(case) = &row.case_ref {
        sentence.push_str(&tr.t_with("log-case", &[("case", case)]));
    }
    let denied = row.outcome == "denied";
    let reason = denied.then(|| reason(tr, row.detail.as_deref()));
    Line {
        when: tr.logged_at(&row.at),
        sentence,
        denied,
        reason,
    }
}

/// Why an access was refused, in the page's language (the log keeps the code's words).
fn reason(tr: Tr, detail: Option<&str>) -> String {
    const KNOWN: [(&str, &str); 12] = [
        ("the owner withdrew the consent", "log-reason-withdrawn"),
        ("the consent has expired", "log-reason-expired"),
        ("the one-time consent was used", "log-reason-used"),
        ("the consent is not active", "log-reason-not-active"),
        ("the DPoP proof was refused", "log-reason-proof"),
        ("the token was revoked", "log-reason-token-revoked"),
        ("the token has expired", "log-reason-token-expired"),
        ("the portal was disabled", "log-reason-portal-disabled"),
        (
            "the document is not covered by the consent",
            "log-reason-not-covered",
        ),
        ("the issuer revoked the document", "log-reason-revoked"),
        (
            "the mandate has ended or was revoked",
            "log-reason-mandate-ended",
        ),
        (
            "your mandate for this owner does not allow this",
            "log-reason-mandate-scope",
        ),
    ];
    let key = detail
        .and_then(|d| KNOWN.iter().find(|(text, _)| *text == d))
        .map_or("log-reason-other", |(_, key)| key);
    tr.t(key)
}
