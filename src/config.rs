//! Typed settings: built-in defaults < an optional TOML file < `KHO_*` environment variables,
//! with `KHO_<NAME>_FILE` for every secret. Read once at start-up and passed down; never global.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use url::Url;

/// Settings that hold secrets; each may instead be read from the file named by `KHO_<NAME>_FILE`.
const SECRET_FIELDS: [&str; 4] = [
    "database_url",
    "oidc_client_secret",
    "smtp_url",
    "s3_secret_access_key",
];

/// Variables that are not settings but are still Kho's own (no warning for them).
const OTHER_VARIABLES: [&str; 3] = ["KHO_CONFIG", "KHO_LOG", "KHO_LOG_FORMAT"];

/// Which rules apply: `dev` allows the dev keys and the dev sign-in; `production` refuses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    Dev,
    Production,
}

/// Every setting of a Kho process.
#[derive(Debug, Clone, Deserialize)]
pub struct Settings {
    /// `KHO_PROFILE`: `dev` (default) or `production`.
    pub profile: Profile,
    /// `KHO_LISTEN`: the address the HTTP server binds.
    pub listen: SocketAddr,
    /// `KHO_PUBLIC_URL`: the URL clients reach this service at (https in production).
    pub public_url: Url,
    /// `KHO_DATABASE_URL`: `sqlite://path?mode=rwc` or `postgres://user:password@host/db`.
    pub database_url: SecretString,
    /// `KHO_BLOB_URL`: a local directory (path or `file://`) or `s3://bucket[/prefix]`; S3 takes
    /// the `KHO_S3_*` settings below, and otherwise the usual `AWS_*` variables.
    pub blob_url: String,
    /// `KHO_S3_ENDPOINT`: the S3-compatible service (`https://…`; `http://` only in dev).
    pub s3_endpoint: Option<String>,
    /// `KHO_S3_REGION`: the region the service expects in signatures (Garage: its `s3_region`).
    pub s3_region: Option<String>,
    /// `KHO_S3_ACCESS_KEY_ID`: the access key's id.
    pub s3_access_key_id: Option<String>,
    /// `KHO_S3_SECRET_ACCESS_KEY` (or `_FILE`): the access key's secret.
    pub s3_secret_access_key: Option<SecretString>,
    /// `KHO_KEYS_DIR`: the key ring directory (see `keys-dev/README.md`).
    pub keys_dir: PathBuf,
    /// `KHO_MAX_UPLOAD_BYTES`: the largest document an owner may upload.
    pub max_upload_bytes: u64,
    /// `KHO_DEV_SIGN_IN`: the sign-in page without a password; defaults to on in dev only and is
    /// refused in production.
    pub dev_sign_in: Option<bool>,
    /// `KHO_OIDC_ISSUER`: the OpenID Provider citizens and officials log in with.
    pub oidc_issuer: Option<Url>,
    /// `KHO_OIDC_CLIENT_ID`: Kho's client id at the provider.
    pub oidc_client_id: Option<String>,
    /// `KHO_OIDC_CLIENT_SECRET` (or `_FILE`): Kho's client secret at the provider.
    pub oidc_client_secret: Option<SecretString>,
    /// `KHO_OIDC_IDENTIFIER_CLAIM`: the ID-token claim that carries the owner's identifier.
    pub oidc_identifier_claim: String,
    /// `KHO_OIDC_SCOPES`: the scopes asked for at login, space-separated (`openid` is implied).
    pub oidc_scopes: String,
    /// `KHO_OIDC_OFFICIAL_CLAIM`: the ID-token claim that lists a person's roles.
    pub oidc_official_claim: String,
    /// `KHO_OIDC_OFFICIAL_VALUE`: the value of that claim that makes a person an official.
    pub oidc_official_value: String,
    /// `KHO_CLIENTS_REQUIRE_PRIVATE_KEY_JWT`: refuse client secrets; portals and issuers must
    /// authenticate with `private_key_jwt`.
    pub clients_require_private_key_jwt: bool,
    /// `KHO_DPOP_REQUIRE_NONCE`: every DPoP proof must carry a nonce Kho issued (RFC 9449 §8),
    /// which bounds how long a proof made in advance stays usable.
    pub dpop_require_nonce: bool,
    /// `KHO_VERIFY_PER_MINUTE`: public verifications and seal checks one client may ask for a
    /// minute (per Kho process).
    pub verify_per_minute: u32,
    /// `KHO_OAUTH_PER_MINUTE`: requests one client may make to `/oauth/*` a minute (per process).
    pub oauth_per_minute: u32,
    /// `KHO_SIGN_IN_PER_MINUTE`: requests one client may make to `/auth/*` and `/dev/sign-in` a
    /// minute (per process).
    pub sign_in_per_minute: u32,
    /// `KHO_TRUSTED_PROXIES`: comma-separated addresses or ranges (`10.0.0.0/8, 127.0.0.1`) whose
    /// `X-Forwarded-For` / `Forwarded` name the client; empty, the TCP peer is the client.
    pub trusted_proxies: String,
    /// `KHO_SESSION_IDLE_MINUTES`: a session ends after this long without a request.
    pub session_idle_minutes: u32,
    /// `KHO_SESSION_ABSOLUTE_HOURS`: a session ends this long after sign-in, whatever happens.
    pub session_absolute_hours: u32,
    /// `KHO_SMTP_URL` (or `_FILE`): where notices are mailed, `smtps://user:password@host:465`
    /// or `smtp://host:587?tls=required`; unset, Kho sends no e-mail and offers none.
    pub smtp_url: Option<SecretString>,
    /// `KHO_SMTP_FROM`: the sender of notices, such as `Kho <no-reply@kho.example>`.
    pub smtp_from: Option<String>,
}

#[derive(Serialize)]
struct Defaults {
    profile: Profile,
    listen: &'static str,
    public_url: &'static str,
    database_url: &'static str,
    blob_url: &'static str,
    keys_dir: &'static str,
    max_upload_bytes: u64,
    oidc_identifier_claim: &'static str,
    oidc_scopes: &'static str,
    oidc_official_claim: &'static str,
    oidc_official_value: &'static str,
    clients_require_private_key_jwt: bool,
    dpop_require_nonce: bool,
    verify_per_minute: u32,
    oauth_per_minute: u32,
    sign_in_per_minute: u32,
    trusted_proxies: &'static str,
    session_idle_minutes: u32,
    session_absolute_hours: u32,
}

const DEFAULTS: Defaults = Defaults {
    profile: Profile::Dev,
    listen: "127.0.0.1:8080",
    public_url: "http://127.0.0.1:8080",
    database_url: "sqlite://data/kho.db?mode=rwc",
    blob_url: "data/blobs",
    keys_dir: "keys-dev",
    max_upload_bytes: 20 * 1024 * 1024,
    oidc_identifier_claim: "personal_id",
    oidc_scopes: "profile",
    oidc_official_claim: "roles",
    oidc_official_value: "official",
    clients_require_private_key_jwt: false,
    dpop_require_nonce: false,
    verify_per_minute: 30,
    oauth_per_minute: 300,
    sign_in_per_minute: 20,
    trusted_proxies: "",
    session_idle_minutes: 30,
    session_absolute_hours: 12,
};

/// The settings cannot be used; the message says what to change.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("invalid configuration: {0}")]
    Invalid(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("both KHO_{name} and KHO_{name}_FILE are set; keep one")]
    Ambiguous { name: String },
    #[error("the production profile {0}")]
    Production(&'static str),
}

impl Settings {
    /// Loads from the process environment and, if given, a TOML file. Returns warnings (unknown
    /// `KHO_*` variables) for the caller to log once logging is set up.
    pub fn load(file: Option<&Path>) -> Result<(Self, Vec<String>), ConfigError> {
        let vars: Vec<(String, String)> = std::env::vars()
            .filter(|(k, _)| k.starts_with("KHO_"))
            .collect();
        let mut figment = Figment::from(Serialized::defaults(DEFAULTS));
        if let Some(file) = file {
            if !file.exists() {
                return Err(ConfigError::Read {
                    path: file.to_owned(),
                    source: std::io::ErrorKind::NotFound.into(),
                });
            }
            figment = figment.merge(Toml::file(file));
        }
        figment = figment.merge(Env::prefixed("KHO_").filter(|k| !k.as_str().ends_with("_file")));
        for name in SECRET_FIELDS {
            let upper = name.to_uppercase();
            if let Some((_, path)) = vars.iter().find(|(k, _)| *k == format!("KHO_{upper}_FILE")) {
                if vars.iter().any(|(k, _)| *k == format!("KHO_{upper}")) {
                    return Err(ConfigError::Ambiguous { name: upper });
                }
                let secret = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.into(),
                    source,
                })?;
                figment = figment.merge(Serialized::default(
                    name,
                    secret.trim_end_matches(['\r', '\n']),
                ));
            }
        }
        let settings: Settings = figment
            .extract()
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.check_profile()?;
        Ok((
            settings,
            unknown_variables(vars.iter().map(|(k, _)| k.as_str())),
        ))
    }

    /// Whether the password-less sign-in page is served.
    pub fn dev_sign_in_enabled(&self) -> bool {
        self.dev_sign_in.unwrap_or(self.profile == Profile::Dev)
    }

    pub fn is_production(&self) -> bool {
        self.profile == Profile::Production
    }

    /// The database URL, for the one place that connects.
    pub fn database_url(&self) -> &str {
        self.database_url.expose_secret()
    }

    /// The parsed `KHO_TRUSTED_PROXIES` (checked at load: a bad entry refuses to start).
    pub fn trusted_proxies(&self) -> Vec<ipnet::IpNet> {
        parse_proxies(&self.trusted_proxies).unwrap_or_default()
    }

    fn check_profile(&self) -> Result<(), ConfigError> {
        parse_proxies(&self.trusted_proxies)?;
        for (name, value) in [
            ("KHO_VERIFY_PER_MINUTE", self.verify_per_minute),
            ("KHO_OAUTH_PER_MINUTE", self.oauth_per_minute),
            ("KHO_SIGN_IN_PER_MINUTE", self.sign_in_per_minute),
        ] {
            if value == 0 {
                return Err(ConfigError::Invalid(format!("{name} must be at least 1")));
            }
        }
        if self.max_upload_bytes == 0 {
            return Err(ConfigError::Invalid(
                "KHO_MAX_UPLOAD_BYTES must be at least 1".into(),
            ));
        }
        if !self.is_production() {
            return Ok(());
        }
        if self.dev_sign_in == Some(true) {
            return Err(ConfigError::Production(
                "refuses the dev sign-in: unset KHO_DEV_SIGN_IN and configure KHO_OIDC_ISSUER",
            ));
        }
        if self.public_url.scheme() != "https" {
            return Err(ConfigError::Production(
                "refuses a plain-HTTP public URL: set KHO_PUBLIC_URL to the https:// address clients use",
            ));
        }
        // The endpoint S3 will use: this setting, else the variable object_store reads.
        let s3_endpoint = self.s3_endpoint.clone().or_else(|| {
            ["AWS_ENDPOINT", "AWS_ENDPOINT_URL"]
                .iter()
                .find_map(|name| std::env::var(name).ok())
        });
        if self.blob_url.starts_with("s3://")
            && s3_endpoint.is_some_and(|endpoint| !endpoint.starts_with("https://"))
        {
            return Err(ConfigError::Production(
                "refuses a plain-HTTP S3 endpoint: set KHO_S3_ENDPOINT to its https:// address",
            ));
        }
        if self
            .oidc_issuer
            .as_ref()
            .is_some_and(|issuer| issuer.scheme() != "https")
        {
            return Err(ConfigError::Production(
                "refuses a plain-HTTP OpenID Provider: set KHO_OIDC_ISSUER to its https:// issuer URL",
            ));
        }
        if self.smtp_url.as_ref().is_some_and(|url| {
            let url = url.expose_secret();
            !(url.starts_with("smtps://") || url.contains("tls=required"))
        }) {
            return Err(ConfigError::Production(
                "refuses mail without TLS: use smtps:// or smtp://…?tls=required in KHO_SMTP_URL",
            ));
        }
        Ok(())
    }

    /// Whether notices can be mailed.
    pub fn mail_enabled(&self) -> bool {
        self.smtp_url.is_some()
    }
}

/// `10.0.0.0/8, 127.0.0.1, ::1`: ranges, or single addresses.
fn parse_proxies(list: &str) -> Result<Vec<ipnet::IpNet>, ConfigError> {
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| {
                    ConfigError::Invalid(format!(
                        "KHO_TRUSTED_PROXIES: `{entry}` is not an address or a range"
                    ))
                })
        })
        .collect()
}

/// `KHO_*` variables that name no setting: most likely a typo, which would otherwise silently
/// leave a default in place.
fn unknown_variables<'a>(names: impl Iterator<Item = &'a str>) -> Vec<String> {
    const FIELDS: [&str; 29] = [
        "profile",
        "listen",
        "public_url",
        "database_url",
        "blob_url",
        "s3_endpoint",
        "s3_region",
        "s3_access_key_id",
        "s3_secret_access_key",
        "keys_dir",
        "max_upload_bytes",
        "dev_sign_in",
        "oidc_issuer",
        "oidc_client_id",
        "oidc_client_secret",
        "oidc_identifier_claim",
        "oidc_scopes",
        "oidc_official_claim",
        "oidc_official_value",
        "clients_require_private_key_jwt",
        "dpop_require_nonce",
        "verify_per_minute",
        "oauth_per_minute",
        "sign_in_per_minute",
        "trusted_proxies",
        "session_idle_minutes",
        "session_absolute_hours",
        "smtp_url",
        "smtp_from",
    ];
    names
        .filter(|name| {
            let field = name.trim_start_matches("KHO_").to_lowercase();
            let secret_file = field
                .strip_suffix("_file")
                .is_some_and(|f| SECRET_FIELDS.contains(&f));
            !(FIELDS.contains(&field.as_str())
                || secret_file
                || OTHER_VARIABLES.contains(name)
                || name.starts_with("KHO_TEST_"))
        })
        .map(|name| format!("unknown configuration variable {name} is ignored (a typo?)"))
        .collect()
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;
    use figment::Jail;

    fn load_in(jail: &Jail) -> Result<(Settings, Vec<String>), ConfigError> {
        let _ = jail;
        Settings::load(None)
    }

    #[test]
    fn defaults_run_dev_on_sqlite_with_the_dev_keys() {
        Jail::expect_with(|jail| {
            let (s, warnings) = load_in(jail).unwrap();
            assert_eq!(s.profile, Profile::Dev);
            assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
            assert!(s.database_url().starts_with("sqlite://"));
            assert!(s.dev_sign_in_enabled());
            assert_eq!(s.max_upload_bytes, 20 * 1024 * 1024);
            assert!(warnings.is_empty());
            Ok(())
        });
    }

    #[test]
    fn environment_beats_file_beats_defaults() {
        Jail::expect_with(|jail| {
            jail.create_file(
                "kho.toml",
                "listen = \"127.0.0.1:9000\"\nmax_upload_bytes = 1000\n",
            )?;
            jail.set_env("KHO_MAX_UPLOAD_BYTES", "2000");
            let (s, _) = Settings::load(Some(Path::new("kho.toml"))).unwrap();
            assert_eq!(s.listen.port(), 9000);
            assert_eq!(s.max_upload_bytes, 2000);
            Ok(())
        });
    }

    #[test]
    fn secrets_come_from_files_and_never_show_in_debug() {
        Jail::expect_with(|jail| {
            jail.create_file("db-url", "postgres://kho:hunter2@db/kho\n")?;
            jail.set_env("KHO_DATABASE_URL_FILE", "db-url");
            let (s, warnings) = load_in(jail).unwrap();
            assert_eq!(s.database_url(), "postgres://kho:hunter2@db/kho");
            assert!(!format!("{s:?}").contains("hunter2"));
            assert!(warnings.is_empty());
            jail.set_env("KHO_DATABASE_URL", "sqlite://x");
            assert!(matches!(
                load_in(jail).unwrap_err(),
                ConfigError::Ambiguous { .. }
            ));
            Ok(())
        });
    }

    #[test]
    fn trusted_proxies_are_ranges_or_addresses_and_anything_else_refuses_to_start() {
        Jail::expect_with(|jail| {
            jail.set_env("KHO_TRUSTED_PROXIES", "10.0.0.0/8, 127.0.0.1 ,::1");
            let (s, _) = load_in(jail).unwrap();
            assert_eq!(s.trusted_proxies().len(), 3);
            jail.set_env("KHO_TRUSTED_PROXIES", "10.0.0.0/8, proxy.example");
            assert!(
                matches!(load_in(jail).unwrap_err(), ConfigError::Invalid(m) if m.contains("proxy.example"))
            );
            Ok(())
        });
    }

    #[test]
    fn mistyped_variables_are_warned_about() {
        Jail::expect_with(|jail| {
            jail.set_env("KHO_LISTN", "127.0.0.1:1");
            let (_, warnings) = load_in(jail).unwrap();
            assert_eq!(warnings.len(), 1);
            assert!(warnings[0].contains("KHO_LISTN"));
            Ok(())
        });
    }

    #[test]
    fn production_refuses_plain_http_and_the_dev_sign_in() {
        Jail::expect_with(|jail| {
            jail.set_env("KHO_PROFILE", "production");
            assert!(
                matches!(load_in(jail).unwrap_err(), ConfigError::Production(m) if m.contains("plain-HTTP"))
            );
            jail.set_env("KHO_PUBLIC_URL", "https://kho.example");
            let (s, _) = load_in(jail).unwrap();
            assert!(!s.dev_sign_in_enabled());
            jail.set_env("KHO_DEV_SIGN_IN", "true");
            assert!(
                matches!(load_in(jail).unwrap_err(), ConfigError::Production(m) if m.contains("dev sign-in"))
            );
            jail.set_env("KHO_DEV_SIGN_IN", "false");
            jail.set_env("KHO_OIDC_ISSUER", "http://login.example");
            assert!(
                matches!(load_in(jail).unwrap_err(), ConfigError::Production(m) if m.contains("OpenID Provider"))
            );
            jail.set_env("KHO_OIDC_ISSUER", "https://login.example");
            jail.set_env("KHO_BLOB_URL", "s3://kho");
            jail.set_env("KHO_S3_ENDPOINT", "http://s3.example");
            assert!(
                matches!(load_in(jail).unwrap_err(), ConfigError::Production(m) if m.contains("S3 endpoint"))
            );
            jail.set_env("KHO_S3_ENDPOINT", "https://s3.example");
            jail.set_env("KHO_S3_SECRET_ACCESS_KEY", "s3-secret-value");
            let (s, _) = load_in(jail).unwrap();
            assert!(!format!("{s:?}").contains("s3-secret-value"));
            Ok(())
        });
    }
}
