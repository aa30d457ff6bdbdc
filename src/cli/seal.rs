//! `kho seal verify`: checks a QR seal offline — its text, or an image of its QR code —
//! against the store's published keys, with no network and no database.

use std::path::PathBuf;

use clap::Subcommand;
use serde_json::json;

use super::audit::published_keys;
use crate::config::Settings;
use crate::seals::{check_offline, read};

#[derive(Debug, Subcommand)]
pub enum SealCommand {
    /// Verify a seal offline and print what it vouches for. Exits non-zero when it does not
    /// check out.
    Verify {
        /// The seal's text (the compact JWS its QR code holds).
        #[arg(required_unless_present = "image", conflicts_with = "image")]
        token: Option<String>,
        /// A PNG or JPEG image of the seal's QR code, instead of its text.
        #[arg(long)]
        image: Option<PathBuf>,
        /// The store's published keys (a JWK Set, as served at the jwks_uri). Without it, the
        /// public keys of the key ring in KHO_KEYS_DIR are used.
        #[arg(long)]
        jwks: Option<PathBuf>,
    },
}

pub fn run(command: SealCommand, settings: &Settings) -> Result<(), Box<dyn std::error::Error>> {
    let SealCommand::Verify { token, image, jwks } = command;
    let token = match (token, image) {
        (Some(token), _) => token,
        (None, Some(path)) => {
            let bytes =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            read(&bytes)?
        }
        (None, None) => return Err("give the seal's text, or --image".into()),
    };
    let keys = published_keys(jwks.as_deref(), settings)?;
    let (seal, signed_by) = check_offline(&token, &keys)?;
    println!(
        "{}",
        json!({ "verified": true, "signed_by": signed_by, "seal": seal })
    );
    Ok(())
}
