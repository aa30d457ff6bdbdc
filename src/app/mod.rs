//! Builds the application: shared state, the router with its layers, and the server launch
//! that `kho serve` and the tests share.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::{self, ApiError};
use crate::storage::db;
use crate::{
    audit, consents, documents, export, identity, issued, mandates, oauth, owners, portal_api,
    seals, verify, web,
};

mod limits;
mod listener;
pub mod multipart;
mod openapi;
mod parse_refusals;
pub use listener::Peer;
mod repeated_headers;
mod state;

pub use limits::Limits;
pub use state::{AppState, StartError};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Kho",
        description = "The citizen e-data store: documents provided once, encrypted per owner, shared with consent."
    ),
    components(schemas(error::Problem))
)]
struct ApiDoc;

/// The `/v1` API and its OpenAPI description, generated from the handlers.
fn api(state: &AppState) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(owners::http::router())
        .merge(mandates::http::router())
        .merge(audit::http::router())
        .merge(documents::http::router(state.settings.max_upload_bytes))
        .merge(consents::http::router())
        .merge(issued::http::router(state.settings.max_upload_bytes))
        .merge(verify::http::router(state.settings.max_upload_bytes))
        .merge(seals::http::router())
        .merge(export::http::router())
        .merge(portal_api::http::router())
        .split_for_parts()
}

/// The whole router with its layers.
pub fn router(state: AppState) -> Router {
    let (api, mut openapi) = api(&state);
    openapi::complete(&mut openapi);
    let openapi = Arc::new(openapi);
    let mut router = Router::new()
        .merge(api)
        .merge(protocol_routes())
        .merge(web::routes(&state))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/openapi.json",
            get(move || async move { axum::Json(openapi.as_ref().clone()) }),
        )
        .fallback(|| async { ApiError::NotFound });
    if state.settings.dev_sign_in_enabled() {
        router = router.route(
            "/dev/sign-in",
            get(web::dev_sign_in_page).post(web::dev_sign_in),
        );
    }
    let request_id = HeaderName::from_static("x-request-id");
    router
        .with_state(state.clone())
        .layer(axum::middleware::from_fn_with_state(
            state.limits.clone(),
            limits::limit_requests,
        ))
        .layer(axum::middleware::from_fn(
            repeated_headers::refuse_repeated_headers,
        ))
        .layer(axum::middleware::from_fn(error::problem_for_bare_errors))
        .layer(axum::middleware::from_fn_with_state(
            state,
            web::security_headers,
        ))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(request_span),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

/// The authorization server's endpoints and the OpenID Connect sign-in.
fn protocol_routes() -> Router<AppState> {
    use oauth::http::{ciba, introspect, metadata, par, token};
    Router::new()
        .route(
            "/.well-known/oauth-authorization-server",
            get(metadata::metadata),
        )
        .route("/oauth/jwks", get(metadata::jwks))
        .route("/oauth/par", post(par::push))
        .route("/oauth/token", post(token::token))
        .route("/oauth/bc-authorize", post(ciba::backchannel))
        .route("/oauth/introspect", post(introspect::introspect))
        .route("/oauth/revoke", post(introspect::revoke))
        .route("/auth/login", get(identity::oidc::http::login))
        .route("/auth/callback", get(identity::oidc::http::callback))
        .route("/auth/logout", post(identity::oidc::http::logout))
}

/// Each request's span, labelled by its route template (low cardinality). `owner`, `person` and
/// `mandate` are filled in once the session is known, so every line logged for a request says
/// who acted for whom (opaque ids only).
fn request_span(request: &Request) -> tracing::Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", |p| p.as_str());
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        route,
        request_id = id,
        owner = tracing::field::Empty,
        person = tracing::field::Empty,
        mandate = tracing::field::Empty,
    )
}

/// Ready when both stores answer: the database and the blob store.
async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    let (db, blobs) = tokio::join!(db::ping(&state.db), state.blobs.ping());
    if db && blobs {
        (StatusCode::OK, "ready").into_response()
    } else {
        ApiError::Unavailable.into_response()
    }
}

/// Serves `state` on `listener` until `shutdown` resolves, then finishes open requests.
pub async fn launch(
    state: AppState,
    listener: TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let compose = web::notice_mail(&state.settings.public_url);
    let sender = crate::notices::outbox::Outbox::new(state.notices.clone(), compose)
        .map(|outbox| tokio::spawn(outbox.run()));
    let app = router(state);
    let served = axum::serve(
        listener::KhoListener::new(listener),
        app.into_make_service_with_connect_info::<Peer>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    if let Some(sender) = sender {
        sender.abort();
    }
    served?;
    Ok(())
}
