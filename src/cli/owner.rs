//! `kho owner erase IDENTIFIER`.

use clap::Subcommand;

use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::ids::OwnerIdentifier;
use crate::owners::{self, OwnerId};
use crate::storage::blobs::Blobs;
use crate::storage::db;

#[derive(Debug, Subcommand)]
pub enum OwnerCommand {
    /// Erase an owner's store: destroy its data key, then its content and rows.
    Erase {
        /// The owner's personal ID or tax code, or the owner id that Kho's logs show (to replay
        /// erasures after restoring a backup).
        identifier: String,
    },
}

pub async fn run(
    command: OwnerCommand,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let OwnerCommand::Erase { identifier } = command;
    let ring = KeyRing::load(&settings.keys_dir, settings.is_production())?;
    let db = db::connect(settings.database_url()).await?;
    let blobs = Blobs::from_settings(&settings)?;
    let owner = match uuid::Uuid::parse_str(&identifier) {
        Ok(id) => OwnerId(id),
        Err(_) => {
            let who = OwnerIdentifier::parse(&identifier)?;
            owners::find(&db, &ring, &who)
                .await?
                .ok_or("no store for that identifier")?
                .id
        }
    };
    let report = owners::erase(&db, &blobs, owner).await?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(())
}
