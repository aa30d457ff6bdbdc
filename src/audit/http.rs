//! `GET /v1/me/access-log`, its checkpoint and its bundle.

use std::collections::HashMap;

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{CheckpointError, entries};
use crate::access::AccessPolicy;
use crate::access::{Action, Subject};
use crate::app::AppState;
use crate::audit::AccessLog;
use crate::error::{ApiError, Problem};
use crate::extract::{ApiQuery, page_limit};
use crate::identity::OwnerSession;
use crate::owners::OwnerId;
use crate::storage::entities::access_log;

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(access_log))
        .routes(routes!(bundle))
        .routes(routes!(new_checkpoint))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
struct Params {
    /// Page size, 1 to 500 (default 100).
    #[param(value_type = Option<u64>)]
    limit: Option<String>,
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
    /// The portal (OAuth client id) and its agency.
    client: Option<String>,
    agency: Option<String>,
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
    /// The consent a portal read under, with its procedure and dossier.
    consent: Option<Uuid>,
    procedure: Option<String>,
    dossier: Option<String>,
    /// An official's case reference.
    case: Option<String>,
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
    let limit = page_limit(params.limit.as_deref(), 100, 500)?;
    session
        .may(&state.access, Action::ReadAccessLog, Subject::default())
        .await?;
    let rows = entries(&state.db, session.owner, limit, params.before).await?;
    let key = state.owners.data_key(session.owner).await?;
    let mut people = People::default();
    let mut views = Vec::with_capacity(rows.len());
    for row in rows {
        let person = people.of(&state, session.owner, &row).await?;
        views.push(entry_view(super::opened(row, key.as_ref()), person));
    }
    let next_before = (views.len() as u64 == limit)
        .then(|| views.last().map(|e| e.seq))
        .flatten();
    Ok(Json(AccessLogPage {
        entries: views,
        next_before,
    }))
}

/// The people named in a page of the log, each looked up once (the access-log page uses it too).
#[derive(Default)]
pub(crate) struct People(HashMap<Uuid, Option<String>>);

impl People {
    /// Who acted in `row`: a representative as the owner's own mandate records them (sealed
    /// with the owner's key, so the log stays readable whatever became of the representative's
    /// store); an official by their own store's identifier (gone if they erased it).
    pub(crate) async fn of(
        &mut self,
        state: &AppState,
        owner: OwnerId,
        row: &access_log::Model,
    ) -> Result<Option<String>, ApiError> {
        if let Some(id) = row.actor_mandate {
            if let Some(known) = self.0.get(&id) {
                return Ok(known.clone());
            }
            let found = state.mandates.representative_of(owner, id).await?;
            self.0.insert(id, found.clone());
            return Ok(found);
        }
        match row.actor_person {
            Some(official) if row.actor_kind == "official" => Ok(state
                .owners
                .identifier(OwnerId(official))
                .await?
                .map(|who| who.to_string())),
            _ => Ok(None),
        }
    }
}

fn entry_view(row: access_log::Model, person: Option<String>) -> EntryView {
    EntryView {
        seq: row.seq,
        at: row.at,
        actor: ActorView {
            kind: row.actor_kind,
            person,
            mandate: row.actor_mandate,
            client: row.actor_client,
            agency: row.actor_agency,
        },
        action: row.action,
        document: row.document_id,
        outcome: row.outcome,
        detail: row.detail,
        consent: row.consent_id,
        procedure: row.procedure,
        dossier: row.dossier,
        case: row.case_ref,
        prev_hash: row.prev_hash,
        hash: row.hash,
    }
}

impl From<CheckpointError> for ApiError {
    fn from(e: CheckpointError) -> Self {
        match e {
            CheckpointError::Broken(broken) => {
                tracing::error!(
                    seq = broken.seq,
                    reason = broken.reason,
                    "an access log is broken"
                );
                ApiError::Integrity
            }
            CheckpointError::Store(e) => e.into(),
        }
    }
}

/// A checkpoint: the store's signature over the log's head.
#[derive(Debug, Serialize, utoipa::ToSchema)]
struct CheckpointView {
    /// Compact JWS (`typ` `kho-log-checkpoint+jwt`) over `{iss, owner, seq, hash, iat}`;
    /// absent while the log is empty.
    checkpoint: Option<String>,
}

/// Has the store check the log and sign its head now.
#[utoipa::path(post, path = "/v1/me/access-log/checkpoint", tag = "me",
    responses((status = 200, body = CheckpointView), (status = 401, body = Problem), (status = 500, body = Problem)))]
async fn new_checkpoint(
    State(access): State<AccessPolicy>,
    State(access_log): State<AccessLog>,
    session: OwnerSession,
) -> Result<Json<CheckpointView>, ApiError> {
    session
        .may(&access, Action::CheckpointAccessLog, Subject::default())
        .await?;
    let jws = access_log.checkpoint(session.owner).await?;
    Ok(Json(CheckpointView { checkpoint: jws }))
}

/// The whole log with the latest signed checkpoint, to keep and to verify offline with
/// `kho audit verify`.
#[utoipa::path(get, path = "/v1/me/access-log/bundle", tag = "me",
    responses((status = 200, content_type = "application/json", body = Object), (status = 401, body = Problem), (status = 500, body = Problem)))]
async fn bundle(
    State(access): State<AccessPolicy>,
    State(access_log): State<AccessLog>,
    session: OwnerSession,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    session
        .may(&access, Action::DownloadAccessLog, Subject::default())
        .await?;
    let bundle = access_log.bundle_json(session.owner).await?;
    let mut response = axum::body::Body::from_stream(bundle).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"kho-access-log.json\""),
    );
    Ok(response)
}
