//! The `kho` command line: one file per command group.

mod audit;
mod client;
mod export;
mod import;
mod keys;
mod mandate;
mod owner;
mod seal;
mod serve;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::config::Settings;

/// Kho — the citizen e-data store behind "provide information once".
///
/// Settings come from built-in defaults, then the TOML file given with --config (or
/// KHO_CONFIG), then KHO_* environment variables; see the README for every name.
#[derive(Debug, Parser)]
#[command(name = "kho", version, about, long_about)]
pub struct Cli {
    /// A TOML settings file.
    #[arg(long, global = true, env = "KHO_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service (migrates the database first in the dev profile).
    Serve,
    /// Apply pending database migrations.
    Migrate,
    /// Register, list and disable OAuth clients (portals and issuers).
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Inspect and rotate the key ring.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Record, list and revoke mandates (acting for someone else).
    #[command(subcommand)]
    Mandate(mandate::MandateCommand),
    /// Act on one owner's store.
    #[command(subcommand)]
    Owner(owner::OwnerCommand),
    /// Import issued documents in bulk: a JSON-lines index of signed pushes and their files
    /// (resumable; ends with a summary of rejected lines).
    Import {
        /// The index file, or a directory holding `index.jsonl`.
        path: PathBuf,
    },
    /// Write an owner's whole store to a ZIP (documents decrypted, metadata, consents with
    /// their receipts, the access-log bundle); the export is recorded in the owner's access log.
    Export {
        /// The owner's personal ID or tax code.
        identifier: String,
        /// The ZIP file to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Check access-log bundles offline.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Check QR seals offline.
    #[command(subcommand)]
    Seal(seal::SealCommand),
    /// Remove the blobs and half-written uploads no document refers to, last written longer ago
    /// than the grace (what `kho serve` does daily with 24 hours). An upload's blob is complete a
    /// moment before its row is: a grace shorter than 24 hours needs --servers-stopped.
    SweepOrphans {
        /// Only what was last written this many hours ago or more.
        #[arg(long, default_value_t = 24)]
        older_than_hours: u32,
        /// No `kho serve` or `kho import` runs on this store now.
        #[arg(long)]
        servers_stopped: bool,
    },
}

/// Runs a parsed command with loaded settings.
pub async fn run(command: Command, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    match command {
        Command::Serve => serve::run(settings).await,
        Command::Migrate => {
            let db = crate::storage::db::connect(settings.database_url()).await?;
            crate::storage::db::migrate(&db).await?;
            println!("{{\"migrated\":true}}");
            Ok(())
        }
        Command::Client(command) => client::run(command, settings).await,
        Command::Keys(command) => keys::run(command, settings).await,
        Command::Mandate(command) => mandate::run(command, settings).await,
        Command::Owner(command) => owner::run(command, settings).await,
        Command::Audit(command) => audit::run(command, settings).await,
        Command::Seal(command) => seal::run(command, &settings),
        Command::Import { path } => import::run(path, settings).await,
        Command::Export { identifier, out } => export::run(identifier, out, settings).await,
        Command::SweepOrphans {
            older_than_hours,
            servers_stopped,
        } => {
            let grace = chrono::Duration::hours(i64::from(older_than_hours));
            if grace < crate::documents::ORPHAN_GRACE && !servers_stopped {
                return Err("a grace under 24 hours could remove an upload still being \
                    committed: stop every server and pass --servers-stopped"
                    .into());
            }
            let state = crate::app::AppState::open(settings).await?;
            let removed = state.documents.sweep_orphans(grace).await?;
            println!("{}", serde_json::json!({ "removed": removed }));
            Ok(())
        }
    }
}
