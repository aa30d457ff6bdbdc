//! `kho serve`: bind, serve, and stop gracefully on Ctrl-C or SIGTERM.

use tokio::net::TcpListener;

use crate::app::{AppState, launch};
use crate::config::Settings;

pub async fn run(settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let listen = settings.listen;
    let state = AppState::open(settings).await?;
    let listener = TcpListener::bind(listen).await?;
    tracing::info!(address = %listener.local_addr()?, profile = ?state.settings.profile, "kho is listening");
    tokio::spawn(upkeep(state.clone()));
    launch(state, listener, shutdown_signal()).await?;
    tracing::info!("kho stopped");
    Ok(())
}

/// At start and every ten minutes: deletes sessions that have ended and OAuth handles and DPoP
/// proofs that can never be used again, tells owners of consents and mandates ending soon, seals issuers' statements that older versions kept in
/// plain, and signs a checkpoint of every access log that grew (any process may do it; it is
/// idempotent).
async fn upkeep(state: AppState) {
    let mut every = tokio::time::interval(std::time::Duration::from_secs(600));
    // Blobs no document refers to are looked for at start and then daily (it lists them all).
    const SWEEP_EVERY_TICKS: u32 = 144;
    let mut ticks: u32 = 0;
    loop {
        every.tick().await;
        if ticks.is_multiple_of(SWEEP_EVERY_TICKS) {
            match state
                .documents
                .sweep_orphans(crate::documents::ORPHAN_GRACE)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(blobs = n, "removed blobs no document refers to"),
                Err(e) => tracing::warn!(error = %e, "could not sweep orphan blobs"),
            }
        }
        ticks = ticks.wrapping_add(1);
        match state.sessions.purge_expired().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(sessions = n, "purged ended sessions"),
            Err(e) => tracing::warn!(error = %e, "could not purge ended sessions"),
        }
        match state.access_log.checkpoint_all().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(owners = n, "signed access-log checkpoints"),
            Err(e) => tracing::warn!(error = %e, "could not sign access-log checkpoints"),
        }
        match state.owners.forget_unused().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(stores = n, "forgot stores made for requests and never used"),
            Err(e) => tracing::warn!(error = %e, "could not forget unused stores"),
        }
        match state.notices.scan_endings().await {
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not look for consents and mandates ending"),
        }
        match state.issued.seal_legacy_statements().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(results = n, "sealed issuers' statements stored in plain"),
            Err(e) => tracing::warn!(error = %e, "could not seal issuers' legacy statements"),
        }
        match state.documents.seal_plain_fields().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(documents = n, "sealed plain personal fields of older rows"),
            Err(e) => tracing::warn!(error = %e, "could not seal older rows' plain fields"),
        }
        match state.mandates.seal_plain_ends().await {
            Ok(0) => {}
            Ok(n) => tracing::info!(mandates = n, "sealed the ends of older guardianships"),
            Err(e) => tracing::warn!(error = %e, "could not seal older guardianships' ends"),
        }
        match crate::oauth::handles::purge_expired(&state.db, state.clock.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                rows = n,
                "purged lapsed OAuth requests, grants, tokens and proofs"
            ),
            Err(e) => tracing::warn!(error = %e, "could not purge lapsed OAuth rows"),
        }
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing open requests");
}
