//! `GET /v1/me/access-log`, and `authorize_read` / `authorize_write`, which every read and
//! change of an owner's data goes through: for anyone but the owner, the access is logged —
//! allowed or denied — before any data is returned or changed.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{Access, Actor, Context, Outcome, append, entries};
use crate::app::AppState;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, page_limit};
use crate::identity::OwnerSession;
use crate::mandates::{self, Scope};

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(access_log))
}

/// Lets a read happen only once it is logged (for anyone but the owner), and only if the
/// session's scopes include reading. A refusal is logged too.
pub async fn authorize_read(
    state: &AppState,
    session: &OwnerSession,
    action: &'static str,
    document: Option<Uuid>,
) -> Result<(), ApiError> {
    authorize(
        state,
        session,
        Scope::Read,
        "the mandate does not allow reading",
        action,
        document,
    )
    .await
}

/// Lets a change by anyone but the owner happen only once it is logged, and only under a
/// mandate that allows managing documents; a refusal is logged too.
pub async fn authorize_write(
    state: &AppState,
    session: &OwnerSession,
    action: &'static str,
    document: Option<Uuid>,
) -> Result<(), ApiError> {
    authorize(
        state,
        session,
        Scope::Manage,
        "the mandate does not allow managing documents",
        action,
        document,
    )
    .await
}

/// Logs the access when someone acts under a mandate (allowed or, with `refusal`, denied), then
/// requires `scope`.
async fn authorize(
    state: &AppState,
    session: &OwnerSession,
    scope: Scope,
    refusal: &'static str,
    action: &'static str,
    document: Option<Uuid>,
) -> Result<(), ApiError> {
    if let Some(mandate) = session.mandate {
        let allowed = session.scopes.allows(scope);
        let access = Access {
            owner: session.owner,
            actor: Actor::Representative {
                person: session.person,
                mandate,
            },
            action,
            document,
            outcome: if allowed {
                Outcome::Allowed
            } else {
                Outcome::Denied
            },
            detail: (!allowed).then_some(refusal),
            context: Context::default(),
        };
        append(&state.db, access).await?;
    }
    session.require(scope)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct Params {
    /// Page size, 1 to 500 (default 100).
    limit: Option<u64>,
    /// The `next_before` of the previous page.
    before: Option<i64>,
}

/// Who accessed: a representative (by personal ID, and the mandate), later portals and officials.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct ActorView {
    kind: String,
    /// The representative's personal ID.
    person: Option<String>,
    mandate: Option<Uuid>,
    client: Option<String>,
}

/// One entry, with the hashes that chain it to the one before.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct EntryView {
    seq: i64,
    at: String,
    actor: ActorView,
    action: String,
    document: Option<Uuid>,
    outcome: String,
    detail: Option<String>,
    prev_hash: String,
    hash: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
struct AccessLogPage {
    /// Newest first.
    entries: Vec<EntryView>,
    /// Pass as `before` for the next page; absent on the last.
    next_before: Option<i64>,
}

/// Every read of this owner's data by anyone but the owner, newest first.
#[utoipa::path(get, path = "/v1/me/access-log", tag = "me", params(Params),
    responses((status = 200, body = AccessLogPage), (status = 401, body = Problem), (status = 403, body = Problem)))]
async fn access_log(
    State(state): State<AppState>,
    session: OwnerSession,
    ApiQuery(params): ApiQuery<Params>,
) -> Result<Json<AccessLogPage>, ApiError> {
    let limit = page_limit(params.limit, 100, 500)?;
    authorize_read(&state, &session, "read_access_log", None).await?;
    let rows = entries(&state.db, session.owner, limit, params.before).await?;
    let mut people: HashMap<Uuid, Option<String>> = HashMap::new();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        // The representative as the owner's own mandate records them (sealed with the owner's
        // key), so the log stays readable whatever became of the representative's store.
        let person = match row.actor_mandate {
            Some(id) => match people.get(&id) {
                Some(known) => known.clone(),
                None => {
                    let found =
                        mandates::representative_of(&state.db, &state.keys, session.owner, id)
                            .await?;
                    people.insert(id, found.clone());
                    found
                }
            },
            None => None,
        };
        views.push(EntryView {
            seq: row.seq,
            at: row.at,
            actor: ActorView {
                kind: row.actor_kind,
                person,
                mandate: row.actor_mandate,
                client: row.actor_client,
            },
            action: row.action,
            document: row.document_id,
            outcome: row.outcome,
            detail: row.detail,
            prev_hash: row.prev_hash,
            hash: row.hash,
        });
    }
    let next_before = if views.len() as u64 == limit {
        views.last().map(|e| e.seq)
    } else {
        None
    };
    Ok(Json(AccessLogPage {
        entries: views,
        next_before,
    }))
}
