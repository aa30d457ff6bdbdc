//! `GET /acting`: the owners the signed-in person may act for — an organisation, a child, a
//! principal — with each mandate's kind, scopes and dates; `POST /acting` switches, or goes
//! back to acting for oneself. While acting for someone, every page shows a banner.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;

use super::failure::PageError;
use super::frame::Frame;
use super::i18n::Tr;
use super::render;
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::{SignedIn, check_same_origin};
use crate::mandates::MandateView;

/// A mandate as the switcher shows it.
pub struct Offered {
    pub owner: String,
    pub kind: String,
    pub scopes: String,
    pub from: String,
    pub until: Option<String>,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "web/acting.html")]
struct ActingPage {
    f: Frame,
    mandates: Vec<Offered>,
    acting_for_someone: bool,
}

fn offered(tr: Tr, m: MandateView, current: bool) -> Offered {
    let scopes = m
        .scopes
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| tr.t(&format!("mandate-scope-{s}")))
        .collect::<Vec<_>>()
        .join(", ");
    Offered {
        kind: tr.t(&format!("mandate-kind-{}", m.kind)),
        scopes,
        from: tr.day(m.valid_from),
        until: m.valid_until.map(|u| tr.day(u)),
        owner: m.owner,
        current,
    }
}

pub async fn page(
    State(state): State<AppState>,
    f: Frame,
    signed_in: Result<SignedIn, ApiError>,
) -> Result<Response, PageError> {
    let signed_in = signed_in?;
    let session = &signed_in.session;
    let acting_owner = match session.mandate {
        Some(_) => state
            .owners
            .identifier(session.owner)
            .await?
            .map(|i| i.to_string()),
        None => None,
    };
    let mandates = state
        .mandates
        .active_for_person(session.person)
        .await?
        .into_iter()
        .map(|m| {
            let current = acting_owner.as_deref() == Some(m.owner.as_str());
            offered(f.tr, m, current)
        })
        .collect();
    Ok(render::ok(&ActingPage {
        mandates,
        acting_for_someone: session.mandate.is_some(),
        f,
    }))
}

#[derive(Deserialize)]
pub struct SwitchForm {
    #[serde(default)]
    csrf_token: String,
    /// The owner's identifier; empty to act as oneself.
    #[serde(default)]
    owner: String,
}

/// `POST /acting`: act for `owner` under an active mandate, or as oneself again.
pub async fn switch(
    State(state): State<AppState>,
    signed_in: Result<SignedIn, ApiError>,
    headers: axum::http::HeaderMap,
    Form(form): Form<SwitchForm>,
) -> Result<Response, PageError> {
    let signed_in = signed_in?;
    check_same_origin(&headers, &state.settings)?;
    crate::identity::check_csrf(&signed_in.session, form.csrf_token.as_bytes())?;
    let person = signed_in.session.person;
    let (owner, mandate) = if form.owner.is_empty() {
        (person, None)
    } else {
        crate::mandates::http::acting_for(&state, person, &form.owner)
            .await
            .map_err(|e| match e {
                ApiError::Forbidden(_) => PageError::said(e, "error-no-mandate"),
                other => other.into(),
            })?
    };
    state
        .sessions
        .act_as(&signed_in.token, &signed_in.session, owner, mandate)
        .await?;
    Ok(render::see_other("/documents"))
}
