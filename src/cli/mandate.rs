//! `kho mandate add|list|revoke`: who may act for whom, recorded by the operator from the
//! documents that establish it.

use chrono::{DateTime, NaiveDate, Utc};
use clap::Subcommand;
use uuid::Uuid;

use crate::config::Settings;
use crate::crypto::KeyRing;
use crate::ids::{OwnerIdentifier, PersonalId};
use crate::mandates::{self, Basis, Kind, NewMandate, Scope, Scopes};
use crate::storage::db;

#[derive(Debug, Subcommand)]
pub enum MandateCommand {
    /// Record that a person may act for an owner; prints the mandate id.
    Add {
        /// The owner acted for: a tax code (organisation) or personal ID (child, principal).
        #[arg(long)]
        owner: String,
        /// The representative's personal ID.
        #[arg(long)]
        representative: String,
        #[arg(long, value_enum)]
        kind: Kind,
        /// What the representative may do; repeat or separate with commas.
        #[arg(long = "scope", value_enum, value_delimiter = ',', required = true)]
        scopes: Vec<Scope>,
        #[arg(long, value_enum)]
        basis: Basis,
        /// First day of the mandate (YYYY-MM-DD, UTC); today if absent.
        #[arg(long)]
        from: Option<NaiveDate>,
        /// Day the mandate ends (YYYY-MM-DD, UTC, exclusive); open-ended if absent.
        #[arg(long)]
        until: Option<NaiveDate>,
        /// For a guardianship: the child's date of birth; the mandate ends at majority.
        #[arg(long)]
        child_born: Option<NaiveDate>,
    },
    /// List an owner's mandates (active and ended).
    List {
        #[arg(long)]
        owner: String,
    },
    /// Revoke a mandate now.
    Revoke { mandate_id: Uuid },
}

fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

pub async fn run(
    command: MandateCommand,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let ring = KeyRing::load(&settings.keys_dir, settings.is_production())?;
    let db = db::connect(settings.database_url()).await?;
    match command {
        MandateCommand::Add {
            owner,
            representative,
            kind,
            scopes,
            basis,
            from,
            until,
            child_born,
        } => {
            let mandate = NewMandate {
                owner: OwnerIdentifier::parse(&owner)?,
                representative: PersonalId::parse(&representative)?,
                kind,
                scopes: Scopes::new(scopes),
                basis,
                valid_from: from.map_or_else(|| crate::clock::Clock::system().now(), start_of),
                valid_until: until.map(start_of),
                child_born,
            };
            let blobs = crate::storage::blobs::Blobs::from_settings(&settings)?;
            let now = crate::clock::Clock::system().now();
            let id = mandates::add(&db, &ring, &blobs, mandate, now).await?;
            println!("{}", serde_json::json!({ "mandate_id": id }));
        }
        MandateCommand::List { owner } => {
            println!(
                "{}",
                serde_json::to_string(
                    &mandates::list_for_owner(
                        &db,
                        &ring,
                        &OwnerIdentifier::parse(&owner)?,
                        crate::clock::Clock::system().now(),
                    )
                    .await?
                )?
            );
        }
        MandateCommand::Revoke { mandate_id } => {
            if !mandates::revoke(&db, mandate_id, crate::clock::Clock::system().now()).await? {
                return Err(format!("no active mandate {mandate_id}").into());
            }
            println!("{}", serde_json::json!({ "revoked": mandate_id }));
        }
    }
    Ok(())
}
