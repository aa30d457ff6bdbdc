//! `GET /consents`: requests waiting for an answer, consents in force, and past ones.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use sea_orm::DatabaseConnection;

use super::{ConsentShown, portal_name};
use crate::access::{AccessPolicy, Action, Subject};
use crate::consents::{Consents, Status};
use crate::web::failure::PageError;
use crate::web::frame::{Citizen, Frame};
use crate::web::render;

const SHOWN: u64 = 200;

#[derive(Template)]
#[template(path = "web/consents/list.html")]
struct ConsentsPage {
    f: Frame,
    pending: Vec<ConsentShown>,
    active: Vec<ConsentShown>,
    past: Vec<ConsentShown>,
}

pub async fn page(
    State(access): State<AccessPolicy>,
    State(consents): State<Consents>,
    State(db): State<DatabaseConnection>,
    citizen: Citizen,
) -> Result<Response, PageError> {
    citizen
        .session
        .may(&access, Action::ListConsents, Subject::default())
        .await?;
    let tr = citizen.tr();
    let mut page = ConsentsPage {
        f: citizen.frame,
        pending: Vec::new(),
        active: Vec::new(),
        past: Vec::new(),
    };
    for consent in consents.list(citizen.session.owner, None, SHOWN).await? {
        let portal = portal_name(&db, &consent.client_id).await?;
        let shown = ConsentShown::new(tr, consent, portal);
        match shown.consent.status {
            Status::Pending => page.pending.push(shown),
            Status::Active => page.active.push(shown),
            _ => page.past.push(shown),
        }
    }
    Ok(render::ok(&page))
}
