//! `spawn_app` and the clients the tests drive it with.

#![allow(dead_code)]

pub mod browser;
pub mod chromium;
pub mod garage;
pub mod library_portal;
mod owner_client;
pub mod portal;
mod postgres;
pub mod provider;
pub mod smtp;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kho::app::{AppState, launch};
use kho::config::{Profile, Settings};
use secrecy::SecretString;
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use owner_client::OwnerClient;
pub use provider::{OpenIdProvider, ProviderOptions};

/// The metadata database a test runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// For each scenario — a plain `async fn name(app: TestApp)`, written once in its file — one
/// test per backend: `name::sqlite` and `name::postgres`. `spawn = spawn_app_…;` first starts
/// the app another way (with the OpenID Provider, a low limit, …).
#[macro_export]
macro_rules! on_both_backends {
    (spawn = $spawn:ident; $($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let backend = $crate::support::Backend::Sqlite;
                if let Some(app) = $crate::support::$spawn(backend).await {
                    super::$name(app).await
                }
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let backend = $crate::support::Backend::Postgres;
                if let Some(app) = $crate::support::$spawn(backend).await {
                    super::$name(app).await
                }
            }
        }
    )+};
    ($($name:ident),+ $(,)?) => {
        $crate::on_both_backends!(spawn = spawn_app; $($name),+);
    };
}

/// A running Kho with its own database, blob store and copy of the dev keys. Apps on SQLite keep
/// their blobs in a local directory, apps on PostgreSQL in Garage (the production shape), so
/// that every scenario runs against both blob stores.
pub struct TestApp {
    pub base: String,
    pub dir: TempDir,
    pub state: AppState,
    pub backend: Backend,
    pub database_url: String,
    /// The OpenID Provider, for apps started with [`spawn_app_with_provider`].
    pub provider: Option<OpenIdProvider>,
    /// The SMTP server notices are mailed to, for apps started with [`spawn_app_with_mail`].
    pub smtp: Option<smtp::SmtpSink>,
    /// The S3 server the blobs are in; `None` for a local directory.
    pub garage: Option<&'static garage::Garage>,
    pg: Option<postgres::TestDatabase>,
    shutdown: Option<oneshot::Sender<()>>,
}

/// Starts the app, or returns `None` (loudly) when PostgreSQL is wanted but not reachable and
/// `KHO_TEST_REQUIRE_ALL` is not set. With `KHO_TEST_REQUIRE_ALL=1` a missing server fails.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn(backend, false).await
}

/// Starts the app with a real OpenID Provider for login (the dev sign-in stays on too).
pub async fn spawn_app_with_provider(backend: Backend) -> Option<TestApp> {
    spawn(backend, true).await
}

/// Starts the app configured as the production profile would for clients: secrets refused.
pub async fn spawn_app_requiring_private_key_jwt(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, false, |s| s.clients_require_private_key_jwt = true).await
}

/// Starts the app allowing three public verifications a minute per address.
pub async fn spawn_app_with_low_verify_limit(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, false, |s| s.verify_per_minute = 3).await
}

/// Starts the app behind a trusted proxy (the tests' own address, 127.0.0.1), with low limits:
/// three verifications, three OAuth requests and three sign-in requests a minute per client.
pub async fn spawn_app_behind_a_proxy_with_low_limits(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, false, |s| {
        s.trusted_proxies = "127.0.0.1, ::1".into();
        s.verify_per_minute = 3;
        s.oauth_per_minute = 3;
        s.sign_in_per_minute = 3;
    })
    .await
}

/// Starts the app requiring a Kho-issued nonce in every DPoP proof (RFC 9449 §8).
pub async fn spawn_app_requiring_dpop_nonce(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, false, |s| s.dpop_require_nonce = true).await
}

/// Starts the app with an https public URL, as production has (the test talks plain HTTP to it).
pub async fn spawn_app_behind_https(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, false, |s| {
        s.public_url = "https://kho.example".parse().expect("url")
    })
    .await
}

/// Starts the app mailing notices to a real SMTP server (aiosmtpd), with the OpenID Provider.
pub async fn spawn_app_with_mail(backend: Backend) -> Option<TestApp> {
    let sink = smtp::SmtpSink::start()?;
    let url = sink.url();
    let mut app = spawn_configured(backend, true, move |s| {
        s.smtp_url = Some(SecretString::from(url));
        s.smtp_from = Some("Kho <no-reply@kho.test>".into());
    })
    .await?;
    app.smtp = Some(sink);
    Some(app)
}

async fn spawn(backend: Backend, with_provider: bool) -> Option<TestApp> {
    spawn_with(backend, with_provider, |_| {}).await
}

async fn spawn_with(
    backend: Backend,
    with_provider: bool,
    configure: fn(&mut Settings),
) -> Option<TestApp> {
    spawn_configured(backend, with_provider, configure).await
}

async fn spawn_configured(
    backend: Backend,
    with_provider: bool,
    configure: impl FnOnce(&mut Settings),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("keys-dev"),
        &dir.path().join("keys"),
    );
    let (database_url, pg) = match backend {
        Backend::Sqlite => (
            format!("sqlite://{}?mode=rwc", dir.path().join("kho.db").display()),
            None,
        ),
        Backend::Postgres => {
            let db = postgres::TestDatabase::create().await?;
            (db.url.clone(), Some(db))
        }
    };
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    let mut settings = settings(dir.path(), &database_url, &base);
    let garage = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => tokio::task::block_in_place(garage::Garage::shared),
    };
    if let Some(garage) = garage {
        garage.configure(&mut settings);
    }
    configure(&mut settings);
    // A test may have asked for a local directory after all.
    let garage = garage.filter(|_| settings.blob_url.starts_with("s3://"));
    let provider = if with_provider {
        let provider = OpenIdProvider::start(&base, ProviderOptions::default())?;
        settings.oidc_issuer = Some(provider.issuer.parse().expect("issuer URL"));
        settings.oidc_client_id = Some(provider::CLIENT_ID.into());
        settings.oidc_client_secret = Some(SecretString::from(provider::CLIENT_SECRET));
        Some(provider)
    } else {
        None
    };
    let state = AppState::open_with_clock(settings, kho::clock::Clock::adjustable())
        .await
        .expect("app state");
    let shutdown = serve(state.clone(), listener);
    Some(TestApp {
        base,
        dir,
        state,
        backend,
        database_url,
        provider,
        smtp: None,
        garage,
        pg,
        shutdown: Some(shutdown),
    })
}

/// Serves `state` on `listener` until the returned sender is dropped or used.
fn serve(state: AppState, listener: TcpListener) -> oneshot::Sender<()> {
    let (tx, rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        launch(state, listener, async move {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    tx
}

/// Another `kho serve` process on the same database, blobs and keys.
pub struct SecondProcess {
    pub base: String,
    _shutdown: oneshot::Sender<()>,
}

impl SecondProcess {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

/// The settings of a test app: dev profile, everything under `dir`.
pub fn settings(dir: &Path, database_url: &str, base: &str) -> Settings {
    Settings {
        profile: Profile::Dev,
        listen: "127.0.0.1:0".parse().expect("addr"),
        public_url: base.parse().expect("url"),
        database_url: SecretString::from(database_url.to_owned()),
        blob_url: dir.join("blobs").display().to_string(),
        keys_dir: dir.join("keys"),
        max_upload_bytes: 20 * 1024 * 1024,
        dev_sign_in: Some(true),
        oidc_issuer: None,
        oidc_client_id: None,
        oidc_client_secret: None,
        oidc_identifier_claim: "personal_id".into(),
        oidc_scopes: "profile".into(),
        oidc_official_claim: "roles".into(),
        oidc_official_value: "official".into(),
        clients_require_private_key_jwt: false,
        dpop_require_nonce: false,
        verify_per_minute: 30,
        oauth_per_minute: 300,
        sign_in_per_minute: 1000,
        trusted_proxies: String::new(),
        session_idle_minutes: 30,
        session_absolute_hours: 12,
        smtp_url: None,
        smtp_from: None,
        s3_endpoint: None,
        s3_region: None,
        s3_access_key_id: None,
        s3_secret_access_key: None,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn blob_dir(&self) -> PathBuf {
        self.dir.path().join("blobs")
    }

    pub fn keys_dir(&self) -> PathBuf {
        self.dir.path().join("keys")
    }

    /// Signs in through the dev sign-in, like a browser would, and returns that owner's client.
    pub async fn sign_in(&self, identifier: &str) -> OwnerClient {
        OwnerClient::sign_in(self, identifier).await
    }

    /// A client without a session.
    pub fn anonymous(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client")
    }

    /// A second, independent app state on the same database, blobs, keys and provider (what a
    /// fresh process would load).
    pub async fn fresh_state(&self) -> AppState {
        AppState::open(self.state.settings.as_ref().clone())
            .await
            .expect("fresh state")
    }

    /// A second server process sharing this one's database, blobs, keys and provider.
    pub async fn second_process(&self) -> SecondProcess {
        self.process_with(self.state.settings.as_ref().clone())
            .await
    }

    /// This app's settings, but with blobs in an S3 service nobody answers for.
    pub fn settings_with_unreachable_s3(&self) -> Settings {
        let mut settings = self.state.settings.as_ref().clone();
        let nobody = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port");
        settings.blob_url = "s3://kho/unreachable".into();
        settings.s3_endpoint = Some(format!("http://{nobody}"));
        settings.s3_region = Some(garage::REGION.into());
        settings.s3_access_key_id = Some("GK0123456789abcdef01234567".into());
        settings.s3_secret_access_key = Some(SecretString::from("not-a-real-secret"));
        settings
    }

    /// Another server process, with `settings`.
    pub async fn process_with(&self, settings: Settings) -> SecondProcess {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("local addr"));
        let state = AppState::open(settings).await.expect("app state");
        SecondProcess {
            base,
            _shutdown: serve(state, listener),
        }
    }

    /// Restarts the OpenID Provider at the same issuer with new keys and `options`.
    pub fn restart_provider(&mut self, options: ProviderOptions) {
        self.provider
            .as_mut()
            .expect("an app with a provider")
            .restart(options);
    }

    /// The key of the sealed blob of a document (its first version).
    pub async fn blob_of(&self, document: &str) -> String {
        self.blob_keys()
            .await
            .into_iter()
            .find(|key| key.ends_with(&format!("/{document}/v1")))
            .unwrap_or_else(|| panic!("no blob for document {document}"))
    }

    /// Every blob in the store.
    pub async fn blob_keys(&self) -> Vec<String> {
        let later = self.state.clock.now() + chrono::Duration::days(3650);
        self.state
            .blobs
            .written_before("", later)
            .await
            .expect("list blobs")
    }

    /// What the store holds, half-written uploads included: in a local directory every file
    /// (an unfinished upload is a file of its own), in S3 every blob (an unfinished multipart
    /// upload is not an object).
    pub async fn everything_stored(&self) -> Vec<String> {
        match self.garage {
            Some(_) => self.blob_keys().await,
            None => files_below(&self.blob_dir())
                .into_iter()
                .map(|f| f.display().to_string())
                .collect(),
        }
    }

    /// A blob's bytes as stored (sealed).
    pub async fn read_blob(&self, key: &str) -> Vec<u8> {
        use futures_util::TryStreamExt;
        let chunks: Vec<bytes::Bytes> = self
            .state
            .blobs
            .read(key)
            .await
            .expect("read blob")
            .try_collect()
            .await
            .expect("read blob");
        chunks.concat()
    }

    /// Replaces a blob's bytes behind Kho's back.
    pub async fn write_blob(&self, key: &str, bytes: &[u8]) {
        let mut writer = self.state.blobs.writer(key).await.expect("write blob");
        writer.write(bytes).await.expect("write blob");
        writer.finish().await.expect("write blob");
    }

    /// Removes a blob behind Kho's back.
    pub async fn remove_blob(&self, key: &str) {
        self.state.blobs.delete(key).await.expect("remove blob");
    }

    /// Runs the `kho` binary against this app's database, blobs and keys.
    pub fn kho(&self, args: &[&str]) -> std::process::Output {
        self.kho_command(args).output().expect("run kho")
    }

    /// The `kho` command against this app's database, blobs and keys, not yet started.
    pub fn kho_command(&self, args: &[&str]) -> std::process::Command {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kho"));
        command
            .args(args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("KHO_DATABASE_URL", &self.database_url)
            .envs(self.blob_variables())
            .env("KHO_KEYS_DIR", self.keys_dir())
            .env("KHO_PUBLIC_URL", &self.base)
            .env("KHO_LOG", "warn");
        command
    }

    /// `KHO_BLOB_URL` and, for S3, the `KHO_S3_*` variables of this app's blob store.
    pub fn blob_variables(&self) -> Vec<(&'static str, String)> {
        let url = self.state.settings.blob_url.clone();
        match self.garage {
            Some(garage) => garage.variables(&url),
            None => vec![("KHO_BLOB_URL", url)],
        }
    }

    pub fn shared(&self) -> Arc<Settings> {
        self.state.settings.clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy");
    }
}

/// Every file below `dir`, recursively.
pub fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            out.extend(files_below(&path))
        } else {
            out.push(path)
        }
    }
    out
}

/// A PDF-looking document of exactly `len` bytes (at least 9) with a recognisable pattern.
pub fn pdf_of_len(len: usize) -> Vec<u8> {
    let mut doc = b"%PDF-1.7\n".to_vec();
    doc.extend((0..len.saturating_sub(doc.len())).map(|i| (i % 251) as u8));
    doc.truncate(len);
    doc
}

/// The entries of a ZIP archive, name and content, in order (async_zip 0.0.19 marks its readers
/// deprecated in favour of a module it has not published yet).
#[allow(deprecated)]
pub async fn unzip(bytes: Vec<u8>) -> Vec<(String, Vec<u8>)> {
    let reader = async_zip::base::read::mem::ZipFileReader::new(bytes)
        .await
        .expect("a ZIP archive");
    let mut entries = Vec::new();
    for i in 0..reader.file().entries().len() {
        let name = reader.file().entries()[i]
            .filename()
            .as_str()
            .expect("a UTF-8 name")
            .to_owned();
        let mut data = Vec::new();
        let mut entry = reader.reader_with_entry(i).await.expect("an entry");
        entry
            .read_to_end_checked(&mut data)
            .await
            .expect("an intact entry");
        entries.push((name, data));
    }
    entries
}

/// The content of `name` in unzipped `entries`.
pub fn entry(entries: &[(String, Vec<u8>)], name: &str) -> Vec<u8> {
    entries
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, d)| d.clone())
        .unwrap_or_else(|| {
            let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
            panic!("no {name} in {names:?}")
        })
}
