//! Builds the application: shared state, the router with its layers, and the server launch
//! that `kho serve` and the tests share.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::error::{self, ApiError};
use crate::identity::oidc::OidcClient;
use crate::storage::blobs::Blobs;
use crate::storage::db;
use crate::{
    audit, clients, consents, documents, identity, issued, mandates, oauth, owners, seals, shared,
    verify, web,
};

/// What every handler can reach.
#[derive(Clone, Debug)]
pub struct AppState {
    pub settings: Arc<Settings>,
    pub db: DatabaseConnection,
    pub blobs: Blobs,
    pub keys: Arc<KeyRing>,
    /// The OpenID Provider login, when one is configured.
    pub oidc: Option<Arc<OidcClient>>,
    /// The per-address limit of public verification.
    pub verify_limit: Arc<crate::verify::RateLimit>,
}

/// Failure to start: the message says which part and why.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("database: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("blob store: {0}")]
    Blobs(#[from] object_store::Error),
    #[error("keys: {0}")]
    Keys(#[from] crate::crypto::KeyRingError),
    #[error("server: {0}")]
    Io(#[from] std::io::Error),
    #[error("login: {0}")]
    Oidc(#[from] crate::identity::oidc::OidcError),
    #[error(
        "the database schema is {0} migration(s) behind: run `kho migrate` first (production never migrates at start-up)"
    )]
    PendingMigrations(usize),
}

impl AppState {
    /// Connects to the database and the blob store and loads the key ring. Migrates in dev; in
    /// production the schema is changed only by `kho migrate`.
    pub async fn open(settings: Settings) -> Result<Self, StartError> {
        let keys = Arc::new(KeyRing::load(&settings.keys_dir, settings.is_production())?);
        let db = db::connect(settings.database_url()).await?;
        if !settings.is_production() {
            db::migrate(&db).await?;
        } else {
            let pending = db::pending_migrations(&db).await?;
            if pending > 0 {
                return Err(StartError::PendingMigrations(pending));
            }
        }
        let blobs = Blobs::open(&settings.blob_url)?;
        let oidc = OidcClient::from_settings(&settings)?.map(Arc::new);
        clients::prepare().await;
        Ok(Self {
            settings: Arc::new(settings),
            db,
            blobs,
            keys,
            oidc,
            verify_limit: Arc::default(),
        })
    }
}

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
        .merge(shared::http::router())
        .split_for_parts()
}

/// The whole router with its layers.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api(&state);
    let openapi = Arc::new(openapi);
    let mut router = Router::new()
        .merge(api)
        .route("/", get(web::index))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(ready))
        .route(
            "/.well-known/oauth-authorization-server",
            get(oauth::metadata::metadata),
        )
        .route("/oauth/jwks", get(oauth::metadata::jwks))
        .route(
            "/verify",
            get(seals::page::show).post(seals::page::submit).layer(
                axum::extract::DefaultBodyLimit::max(seals::page::MAX_IMAGE_BYTES + 64 * 1024),
            ),
        )
        .route("/oauth/par", post(oauth::par::push))
        .route(
            "/authorize",
            get(oauth::authorize::show).post(oauth::authorize::decide),
        )
        .route("/oauth/token", post(oauth::token::token))
        .route("/oauth/bc-authorize", post(oauth::ciba::backchannel))
        .route("/oauth/introspect", post(oauth::introspect::introspect))
        .route("/oauth/revoke", post(oauth::introspect::revoke))
        .route("/auth/login", get(identity::oidc::http::login))
        .route("/auth/callback", get(identity::oidc::http::callback))
        .route(
            "/auth/logout",
            axum::routing::post(identity::oidc::http::logout),
        )
        .route(
            "/openapi.json",
            get(move || async move { axum::Json(openapi.as_ref().clone()) }),
        )
        .fallback(|| async { ApiError::NotFound });
    if state.settings.dev_sign_in_enabled() {
        router = router.route(
            "/dev/sign-in",
            get(identity::dev_sign_in::page).post(identity::dev_sign_in::sign_in),
        );
    }
    let request_id = HeaderName::from_static("x-request-id");
    router
        .with_state(state)
        .layer(axum::middleware::from_fn(error::problem_for_bare_errors))
        .layer(axum::middleware::from_fn(web::security_headers))
        .layer(
            TraceLayer::new_for_http()
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO))
                .make_span_with(|request: &Request| {
                    let route = request
                        .extensions()
                        .get::<MatchedPath>()
                        .map_or("unmatched", |p| p.as_str());
                    let id = request
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    // `owner`, `person` and `mandate` are filled in once the session is known, so every
                    // line logged for a request says who acted for whom (opaque ids only).
                    tracing::info_span!(
                        "request",
                        method = %request.method(),
                        route,
                        request_id = id,
                        owner = tracing::field::Empty,
                        person = tracing::field::Empty,
                        mandate = tracing::field::Empty,
                    )
                }),
        )
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}

async fn ready(State(state): State<AppState>) -> impl IntoResponse {
    if db::ping(&state.db).await {
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
    let app = router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}
