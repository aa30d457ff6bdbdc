//! `kho keys init|status|rotate|retire`.

use clap::Subcommand;
use serde_json::json;

use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::owners;
use crate::storage::db;

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a new key ring (a master key, a blind-index key and a signing key) in KHO_KEYS_DIR.
    Init,
    /// Show the keys and how many owner keys each master key wraps.
    Status,
    /// Add a master key, make it active, and re-wrap every owner key under it (online; run
    /// again with --resume to finish an interrupted rotation).
    Rotate {
        /// Do not add a key: only finish re-wrapping under the active one.
        #[arg(long, conflicts_with = "signing")]
        resume: bool,
        /// Rotate the store's signing key instead: the new key signs from now on, the old one
        /// stays published at the jwks_uri until it is retired.
        #[arg(long)]
        signing: bool,
        /// Owner keys re-wrapped per batch.
        #[arg(long, default_value_t = 500)]
        batch: u64,
    },
    /// Delete a master key that no owner key is wrapped under any more, or stop publishing an
    /// earlier signing key.
    Retire {
        /// The key id, as `kho keys status` shows it.
        id: String,
    },
}

pub async fn run(
    command: KeysCommand,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    if let KeysCommand::Init = command {
        KeyRing::init(&settings.keys_dir)?;
        println!("{}", json!({ "initialised": settings.keys_dir }));
        return Ok(());
    }
    let ring = KeyRing::load(&settings.keys_dir, settings.is_production())?;
    let db = db::connect(settings.database_url()).await?;
    match command {
        KeysCommand::Init => Ok(()),
        KeysCommand::Status => {
            println!(
                "{}",
                json!({ "keys": ring.status(), "owner_keys_by_master": owners::kek_usage(&db).await? })
            );
            Ok(())
        }
        KeysCommand::Rotate { signing: true, .. } => {
            let added = ring.add_signing()?;
            println!("{}", json!({ "added": added, "active_signing": added }));
            Ok(())
        }
        KeysCommand::Rotate { resume, batch, .. } => {
            let added = if resume {
                None
            } else {
                Some(ring.add_master()?)
            };
            let rewrapped = rewrap_all(&db, &ring, batch.max(1)).await?;
            println!(
                "{}",
                json!({ "added": added, "active": ring.active_master()?.0, "rewrapped": rewrapped })
            );
            Ok(())
        }
        KeysCommand::Retire { id } => {
            retire(&db, &ring, &id).await?;
            println!("{}", json!({ "retired": id }));
            Ok(())
        }
    }
}

/// Re-wraps batch after batch until every owner key is under the active master key.
pub async fn rewrap_all(
    db: &sea_orm::DatabaseConnection,
    ring: &KeyRing,
    batch: u64,
) -> Result<u64, Box<dyn std::error::Error>> {
    let mut total = 0;
    loop {
        let done =
            owners::rewrap_batch(db, ring, batch, crate::clock::Clock::system().now()).await?;
        if done == 0 {
            return Ok(total);
        }
        total += done;
        eprintln!("re-wrapped {total} owner keys");
    }
}

/// Refuses while any owner key is still wrapped under `id`.
pub async fn retire(
    db: &sea_orm::DatabaseConnection,
    ring: &KeyRing,
    id: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    if ring.is_signing_key(id) {
        let still = crate::audit::latest_signed_by(db, id).await?;
        if still > 0 {
            return Err(format!(
                "{still} owners' latest access-log checkpoints are signed by {id}: running servers sign them again with the active key within ten minutes; retire it after that"
            )
            .into());
        }
        let seals = crate::seals::signed_by(db, id).await?;
        if seals > 0 {
            return Err(format!(
                "{seals} QR seals are signed by {id}, and printed seals are checked offline against the published keys: keep it published"
            )
            .into());
        }
        ring.remove_signing(id)?;
        return Ok(());
    }
    let usage = owners::kek_usage(db).await?;
    if let Some(still) = usage.iter().find(|u| u.kek_id == id && u.owners > 0) {
        return Err(format!(
            "{} owner keys are still wrapped under {id}: run `kho keys rotate --resume` first",
            still.owners
        )
        .into());
    }
    ring.remove_master(id)?;
    Ok(())
}
