//! `kho export IDENTIFIER --out FILE`: an owner's whole store as the ZIP the owner downloads
//! from "my data", for an operator answering a request; the export is in the owner's access log.

use std::path::PathBuf;

use crate::access::Action;
use crate::app::AppState;
use crate::audit::Access;
use crate::config::Settings;
use crate::export::Parts;
use crate::ids::OwnerIdentifier;

pub async fn run(
    identifier: String,
    out: PathBuf,
    settings: Settings,
) -> Result<(), Box<dyn std::error::Error>> {
    let who = OwnerIdentifier::parse(&identifier)?;
    let state = AppState::open(settings).await?;
    let owner = state
        .owners
        .find(&who)
        .await?
        .ok_or("no store for that identifier")?
        .id;
    // Logged before anything is read, like every access by anyone but the owner.
    state
        .access_log
        .append(Access::by_operator(owner, Action::ExportData))
        .await?;
    let file = tokio::fs::File::create(&out)
        .await
        .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    state
        .export
        .write(owner, Parts { consents: true }, file)
        .await?;
    let size = tokio::fs::metadata(&out).await?.len();
    println!(
        "{}",
        serde_json::json!({ "exported": out.display().to_string(), "bytes": size })
    );
    Ok(())
}
