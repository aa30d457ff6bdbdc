//! `kho audit verify BUNDLE`: checks a downloaded access-log bundle offline and names the first
//! broken link.

use std::path::PathBuf;

use clap::Subcommand;
use jsonwebtoken::jwk::JwkSet;
use serde_json::json;

use crate::audit::{Bundle, verify_bundle};
use crate::config::Settings;
use crate::crypto::KeyRing;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Verify an access-log bundle (from GET /v1/me/access-log/bundle) without the network:
    /// the hash chain link by link, and the store's signed checkpoint.
    Verify {
        /// The bundle file.
        bundle: PathBuf,
        /// A checkpoint (JWS) kept from an earlier download; the bundle must extend it. Repeat
        /// for several.
        #[arg(long = "checkpoint")]
        earlier: Vec<PathBuf>,
        /// The store's published keys (a JWK Set, as served at the jwks_uri). Without it, the
        /// public keys of the key ring in KHO_KEYS_DIR are used.
        #[arg(long)]
        jwks: Option<PathBuf>,
    },
}

pub async fn run(
    command: AuditCommand,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let AuditCommand::Verify {
        bundle,
        jwks,
        earlier,
    } = command;
    let text = std::fs::read_to_string(&bundle)
        .map_err(|e| format!("cannot read {}: {e}", bundle.display()))?;
    let bundle: Bundle = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not an access-log bundle: {e}", bundle.display()))?;
    let keys = published_keys(jwks.as_deref(), &settings)?;
    let earlier = earlier
        .iter()
        .map(|p| {
            std::fs::read_to_string(p)
                .map(|t| t.trim().to_owned())
                .map_err(|e| format!("cannot read {}: {e}", p.display()))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let verified = verify_bundle(&bundle, &keys, &earlier)?;
    println!("{}", json!({ "verified": true, "summary": verified }));
    Ok(())
}

/// The store's published keys: from a JWK Set file (as served at the jwks_uri), or else the
/// public keys of the key ring in KHO_KEYS_DIR.
pub(super) fn published_keys(
    jwks: Option<&std::path::Path>,
    settings: &Settings,
) -> Result<JwkSet, Box<dyn std::error::Error>> {
    Ok(match jwks {
        Some(path) => serde_json::from_str(
            &std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?,
        )
        .map_err(|e| format!("{} is not a JWK Set: {e}", path.display()))?,
        None => KeyRing::load(&settings.keys_dir, settings.is_production())?.public_keys()?,
    })
}
