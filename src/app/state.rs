//! The application's state: every service, built once at start-up over the database, the blob
//! store, the key ring and the clock. A handler takes the service it needs (`FromRef`); no domain
//! module sees this type.

use std::sync::Arc;

use axum::extract::FromRef;
use sea_orm::DatabaseConnection;

use crate::access::AccessPolicy;
use crate::audit::AccessLog;
use crate::clients::{self, ClientAuth};
use crate::clock::Clock;
use crate::config::Settings;
use crate::consents::Consents;
use crate::crypto::{KeyRing, Signer};
use crate::documents::Documents;
use crate::identity::Sessions;
use crate::identity::oidc::OidcClient;
use crate::issued::IssuedResults;
use crate::mandates::Mandates;
use crate::notices::Notices;
use crate::notices::mail::{MailError, Mailer};
use crate::oauth::AuthServer;
use crate::oauth::dpop::Dpop;
use crate::owners::Owners;
use crate::portal_api::Admission;
use crate::seals::Seals;
use crate::storage::blobs::Blobs;
use crate::storage::db;
use crate::verify::Verifier;

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
    pub notices: Notices,
    pub seals: Seals,
    pub export: crate::export::Export,
    pub issued: IssuedResults,
    pub verifier: Verifier,
    pub client_auth: ClientAuth,
    pub dpop: Dpop,
    pub admission: Admission,
    pub access: AccessPolicy,
    pub auth_server: AuthServer,
    /// The OpenID Provider login, when one is configured.
    pub oidc: Option<Arc<OidcClient>>,
    /// The per-client rate limits of this process.
    pub limits: Arc<super::limits::Limits>,
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
    #[error("mail: {0}")]
    Mail(#[from] MailError),
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
        let blobs = Blobs::from_settings(&settings)?;
        let oidc = OidcClient::from_settings(&settings)?.map(Arc::new);
        let mailer = Mailer::from_settings(&settings)?;
        clients::prepare().await;
        let base = Base::new(&settings, db, keys, blobs, clock);
        Ok(Self::assemble(base, settings, oidc, mailer))
    }

    /// The services over `base`.
    fn assemble(
        base: Base,
        settings: Settings,
        oidc: Option<Arc<OidcClient>>,
        mailer: Option<Mailer>,
    ) -> Self {
        let (db, clock) = (&base.db, &base.clock);
        let require_pkjwt = settings.clients_require_private_key_jwt;
        let limits = Arc::new(super::limits::Limits::new(&settings));
        Self {
            auth_server: base.auth_server(),
            issued: base.issued_results(),
            verifier: base.verifier(),
            admission: base.admission(),
            client_auth: ClientAuth::new(
                db.clone(),
                base.signer.clone(),
                require_pkjwt,
                clock.clone(),
            ),
            sessions: Sessions::new(db.clone(), &settings, clock.clone()),
            mandates: Mandates::new(
                db.clone(),
                base.keys.clone(),
                base.blobs.clone(),
                clock.clone(),
            ),
            notices: Notices::new(db.clone(), base.keys.clone(), clock.clone(), mailer),
            seals: Seals::new(
                db.clone(),
                base.owners.clone(),
                base.signer.clone(),
                clock.clone(),
            ),
            access: AccessPolicy::new(base.access_log.clone()),
            export: crate::export::Export::new(
                base.documents.clone(),
                base.consents.clone(),
                base.access_log.clone(),
            ),
            consents: base.consents,
            dpop: base.dpop,
            access_log: base.access_log,
            documents: base.documents,
            owners: base.owners,
            signer: base.signer,
            settings: Arc::new(settings),
            db: base.db,
            keys: base.keys,
            blobs: base.blobs,
            clock: base.clock,
            oidc,
            limits,
        }
    }
}

/// The services the others are built on.
struct Base {
    db: DatabaseConnection,
    keys: Arc<KeyRing>,
    blobs: Blobs,
    clock: Clock,
    signer: Signer,
    owners: Owners,
    documents: Documents,
    access_log: AccessLog,
    dpop: Dpop,
    consents: Consents,
}

impl Base {
    fn new(
        settings: &Settings,
        db: DatabaseConnection,
        keys: Arc<KeyRing>,
        blobs: Blobs,
        clock: Clock,
    ) -> Self {
        let signer = Signer::new(keys.clone(), &settings.public_url);
        let owners = Owners::new(db.clone(), keys.clone(), blobs.clone(), clock.clone());
        let max_upload = settings.max_upload_bytes;
        let documents = Documents::new(
            db.clone(),
            blobs.clone(),
            owners.clone(),
            max_upload,
            clock.clone(),
        );
        let access_log = AccessLog::new(db.clone(), signer.clone(), clock.clone());
        let nonce = settings.dpop_require_nonce;
        let dpop = Dpop::new(db.clone(), keys.clone(), nonce, clock.clone());
        let consents = Consents::new(
            db.clone(),
            owners.clone(),
            documents.clone(),
            signer.clone(),
            clock.clone(),
        );
        Self {
            db,
            keys,
            blobs,
            clock,
            signer,
            owners,
            documents,
            access_log,
            dpop,
            consents,
        }
    }

    fn auth_server(&self) -> AuthServer {
        AuthServer::new(
            self.db.clone(),
            self.owners.clone(),
            self.documents.clone(),
            self.consents.clone(),
            self.dpop.clone(),
            self.signer.clone(),
            self.clock.clone(),
        )
    }

    fn issued_results(&self) -> IssuedResults {
        IssuedResults::new(
            self.db.clone(),
            self.owners.clone(),
            self.documents.clone(),
            self.signer.clone(),
            self.clock.clone(),
        )
    }

    fn verifier(&self) -> Verifier {
        Verifier::new(
            self.owners.clone(),
            self.documents.clone(),
            self.access_log.clone(),
            self.signer.clone(),
            self.clock.clone(),
        )
    }

    fn admission(&self) -> Admission {
        Admission::new(
            self.db.clone(),
            self.dpop.clone(),
            self.documents.clone(),
            self.signer.clone(),
            self.clock.clone(),
        )
    }
}
