//! `kho owner erase IDENTIFIER`.

use clap::Subcommand;

use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::ids::OwnerIdentifier;
use crate::owners;
use crate::storage::blobs::Blobs;
use crate::storage::db;

#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Erase an owner's store: destroy its data key, then its content and rows.
    Erase {
        /// The owner's personal ID or tax code.
        identifier: String,
    },
}

pub async fn run(
    command: OwnerCommand,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let OwnerCommand::Erase { identifier } = command;
    let who = OwnerIdentifier::parse(&identifier)?;
    let ring = KeyRing::load(&settings.keys_dir, settings.is_production())?;
    let db = db::connect(settings.database_url()).await?;
    let blobs = Blobs::open(&settings.blob_url)?;
    let Some(owner) = owners::find(&db, &ring, &who).await? else {
        return Err("no store for that identifier".into());
    };
    let report = owners::erase(&db, &blobs, owner.id).await?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
