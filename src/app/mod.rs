//! Builds the application: shared state, the router with its layers, and the server launch
//! that `kho serve` and the tests share.

use std::future::Future;
use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, MatchedPath, Request, State};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use sea_orm::DatabaseConnection;
use tokio::net::TcpListener;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::access::AccessPolicy;
use crate::audit::AccessLog;
use crate::clients::ClientAuth;
use crate::clock::Clock;
use crate::config::Settings;
use crate::consents::Consents;
use crate::crypto::{KeyRing, Signer};
use crate::documents::Documents;
use crate::error::{self, ApiError};
use crate::identity::Sessions;
use crate::identity::oidc::OidcClient;
use crate::issued::IssuedResults;
use crate::mandates::Mandates;
use crate::oauth::AuthServer;
use crate::oauth::dpop::Dpop;
use crate::owners::Owners;
use crate::portal_api::Admission;
use crate::seals::Seals;
use crate::storage::blobs::Blobs;
use crate::storage::db;
use crate::verify::Verifier;
use crate::{
    audit, clients, consents, documents, identity, issued, mandates, oauth, owners, portal_api,
    seals, verify, web,
};

/// The services, built once at start-up; a handler takes the one it needs (`FromRef`), and no
/// domain module sees this type.
#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub settings: Arc<Settings>,
    /// For readiness, the authorization server's endpoints and the tests.
    pub db: DatabaseConnection,
    /// For the tests, which open stores and blobs directly.
    pub keys: Arc<KeyRing>,
    pub blobs: Blobs,
    pub clock: Clock,
    pub signer: Signer,
    pub owners: Owners,
    pub documents: Documents,
    pub consents: Consents,
    pub access_log: AccessLog,
    pub sessions: Sessions,
    pub mandates: Mandates,
    pub seals: Seals,
    pub issued: IssuedResults,
    pub verifier: Verifier,
    pub client_auth: ClientAuth,
    pub dpop: Dpop,
    pub admission: Admission,
    pub access: AccessPolicy,
    pub auth_server: AuthServer,
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
        Self::open_with_clock(settings, Clock::system()).await
    }

    /// [`AppState::open`] with a given clock (tests move an adjustable one).
    pub async fn open_with_clock(settings: Settings, clock: Clock) -> Result<Self, StartError> {
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
        let signer = Signer::new(keys.clone(), &settings.public_url);
        let owners = Owners::new(db.clone(), keys.clone(), blobs.clone(), clock.clone());
        let documents = Documents::new(
            db.clone(),
            blobs.clone(),
            owners.clone(),
            settings.max_upload_bytes,
            clock.clone(),
        );
        let access_log = AccessLog::new(db.clone(), signer.clone(), clock.clone());
        let dpop = Dpop::new(
            db.clone(),
            keys.clone(),
            settings.dpop_require_nonce,
            clock.clone(),
        );
        let consents = Consents::new(
            db.clone(),
            owners.clone(),
            documents.clone(),
            signer.clone(),
            clock.clone(),
        );
        Ok(Self {
            auth_server: AuthServer::new(
                db.clone(),
                owners.clone(),
                documents.clone(),
                consents.clone(),
                dpop.clone(),
                signer.clone(),
                clock.clone(),
            ),
            consents,
            sessions: Sessions::new(db.clone(), &settings, clock.clone()),
            mandates: Mandates::new(db.clone(), keys.clone(), clock.clone()),
            seals: Seals::new(db.clone(), signer.clone(), clock.clone()),
            issued: IssuedResults::new(
                db.clone(),
                owners.clone(),
                documents.clone(),
                signer.clone(),
                clock.clone(),
            ),
            verifier: Verifier::new(
                owners.clone(),
                documents.clone(),
                access_log.clone(),
                signer.clone(),
                clock.clone(),
            ),
            client_auth: ClientAuth::new(
                db.clone(),
                signer.clone(),
                settings.clients_require_private_key_jwt,
                clock.clone(),
            ),
            admission: Admission::new(
                db.clone(),
                dpop.clone(),
                documents.clone(),
                signer.clone(),
                clock.clone(),
            ),
            dpop,
            access: AccessPolicy::new(access_log.clone()),
            access_log,
            documents,
            owners,
            signer,
            settings: Arc::new(settings),
            db,
            keys,
            blobs,
            clock,
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
        .merge(portal_api::http::router())
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
            get(oauth::http::metadata::metadata),
        )
        .route("/oauth/jwks", get(oauth::http::metadata::jwks))
        .route(
            "/verify",
            get(seals::page::show).post(seals::page::submit).layer(
                axum::extract::DefaultBodyLimit::max(seals::page::MAX_IMAGE_BYTES + 64 * 1024),
            ),
        )
        .route("/oauth/par", post(oauth::http::par::push))
        .route(
            "/authorize",
            get(oauth::http::authorize::show).post(oauth::http::authorize::decide),
        )
        .route("/oauth/token", post(oauth::http::token::token))
        .route("/oauth/bc-authorize", post(oauth::http::ciba::backchannel))
        .route(
            "/oauth/introspect",
            post(oauth::http::introspect::introspect),
        )
        .route("/oauth/revoke", post(oauth::http::introspect::revoke))
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
            get(identity::http::dev_sign_in::page).post(identity::http::dev_sign_in::sign_in),
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
