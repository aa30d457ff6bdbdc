//! The schema of Kho: one migration per change, never edited once landed.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_owners;
mod m20261123_000002_documents;
mod m20261123_000003_sessions;
mod m20261123_000004_login;
mod m20261123_000005_session_upkeep;
mod m20261123_000006_clients;
mod m20261123_000007_mandates;
mod m20261123_000008_access_log;
mod m20261123_000009_login_flow_expiry;
mod m20261123_000010_consent;
mod m20261123_000011_access_log_v2;
mod m20261123_000012_issued_documents;
mod m20261123_000013_seals_and_statements;
mod m20261202_000014_notices;
mod m20261202_000015_forget_checking_officials;
mod m20261202_000016_sealed_at_rest;
mod m20261202_000017_fetch_retries;

/// Runs every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_owners::Migration),
            Box::new(m20261123_000002_documents::Migration),
            Box::new(m20261123_000003_sessions::Migration),
            Box::new(m20261123_000004_login::Migration),
            Box::new(m20261123_000005_session_upkeep::Migration),
            Box::new(m20261123_000006_clients::Migration),
            Box::new(m20261123_000007_mandates::Migration),
            Box::new(m20261123_000008_access_log::Migration),
            Box::new(m20261123_000009_login_flow_expiry::Migration),
            Box::new(m20261123_000010_consent::Migration),
            Box::new(m20261123_000011_access_log_v2::Migration),
            Box::new(m20261123_000012_issued_documents::Migration),
            Box::new(m20261123_000013_seals_and_statements::Migration),
            Box::new(m20261202_000014_notices::Migration),
            Box::new(m20261202_000015_forget_checking_officials::Migration),
            Box::new(m20261202_000016_sealed_at_rest::Migration),
            Box::new(m20261202_000017_fetch_retries::Migration),
        ]
    }
}
