//! `kho client add|list|disable`: the register of portals and issuers.

use std::path::PathBuf;

use clap::Subcommand;
use url::Url;

use crate::clients::{self, KeySource, NewClient, Role};
use crate::config::Settings;
use crate::ids::{AgencyCode, Text};
use crate::storage::db;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; prints its client_id (and its secret, this once, with --secret).
    Add {
        /// Name shown to owners, e.g. "Cổng dịch vụ công quốc gia".
        #[arg(long)]
        name: String,
        /// QCVN 102 code of the agency behind the client, e.g. 000.00.00.H49.
        #[arg(long)]
        agency_code: String,
        #[arg(long, value_enum)]
        role: Role,
        /// Where the owner's browser is sent back (portals); may be given several times.
        #[arg(long = "redirect-uri")]
        redirect_uris: Vec<Url>,
        /// private_key_jwt with the public keys in this JWKS file (preferred).
        #[arg(long, group = "auth")]
        jwks: Option<PathBuf>,
        /// private_key_jwt with the keys published at this URL.
        #[arg(long, group = "auth")]
        jwks_uri: Option<Url>,
        /// A client secret instead (stored only as an Argon2id hash).
        #[arg(long, group = "auth")]
        secret: bool,
    },
    /// List registered clients (never their secrets).
    List,
    /// Disable a client: its next authentication fails.
    Disable { client_id: String },
}

pub async fn run(
    command: ClientCommand,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let db = db::connect(settings.database_url()).await?;
    match command {
        ClientCommand::Add {
            name,
            agency_code,
            role,
            redirect_uris,
            jwks,
            jwks_uri,
            secret,
        } => {
            let keys = match (jwks, jwks_uri, secret) {
                (Some(file), None, false) => KeySource::Jwks(
                    std::fs::read_to_string(&file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?,
                ),
                (None, Some(url), false) => KeySource::JwksUri(url),
                (None, None, true) => KeySource::Secret,
                _ => {
                    return Err(
                        "give exactly one of --jwks FILE, --jwks-uri URL or --secret".into(),
                    );
                }
            };
            let client = NewClient {
                name: Text::parse(&name, "name", 200)?,
                agency: AgencyCode::parse(&agency_code)?,
                role,
                redirect_uris,
                keys,
            };
            println!(
                "{}",
                serde_json::to_string(
                    &clients::add(&db, client, crate::clock::Clock::system().now()).await?
                )?
            );
        }
        ClientCommand::List => println!("{}", serde_json::to_string(&clients::list(&db).await?)?),
        ClientCommand::Disable { client_id } => {
            let now = crate::clock::Clock::system().now();
            crate::oauth::handles::revoke_client_tokens(&db, &client_id, now).await?;
            if !clients::disable(&db, &client_id).await? {
                return Err(format!("no client {client_id}").into());
            }
            println!("{}", serde_json::json!({ "disabled": client_id }));
        }
    }
    Ok(())
}
