//! Connecting to the metadata database and applying the migrations.

use std::time::Duration;

use kho_migrations::{Migrator, MigratorTrait};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend, DbErr};

/// Connects to `url` (SQLite or PostgreSQL). For a SQLite file, creates its directory and turns
/// on foreign keys and WAL so that readers do not block the writer.
pub async fn connect(url: &str) -> Result<DatabaseConnection, DbErr> {
    if let Some(dir) = sqlite_file(url)
        .and_then(|path| std::path::Path::new(path).parent())
        .filter(|d| !d.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir)
            .map_err(|e| DbErr::Custom(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut options = ConnectOptions::new(url.to_owned());
    options
        .max_connections(if url.starts_with("sqlite:") { 8 } else { 32 })
        .min_connections(1)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        // Per connection, so every pooled connection enforces foreign keys and waits for locks.
        .map_sqlx_sqlite_opts(|o| {
            o.foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                .pragma("journal_mode", "WAL")
                // Every commit flushed: a portal's read is answered only after its access-log
                // row is committed, and that row must survive a power loss ("no log row, no
                // data"); NORMAL in WAL mode may lose the last commits.
                .pragma("synchronous", "FULL")
                // Deleted rows are overwritten with zeros, not left in free pages: erasing an
                // owner must not leave their wrapped key readable in the file.
                .pragma("secure_delete", "ON")
        });
    Database::connect(options).await
}

/// Applies every pending migration.
pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Removes what deleted rows leave behind in the database's files, after an erasure. SQLite
/// (with `secure_delete`) has zeroed the rows in its pages; checkpointing with TRUNCATE moves
/// them into the main file and empties the write-ahead log. PostgreSQL: VACUUM prunes the dead
/// row versions of the tables that held the owner's key and identifier index.
pub async fn scrub_deleted(db: &DatabaseConnection) -> Result<(), DbErr> {
    match db.get_database_backend() {
        DbBackend::Sqlite => db
            .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
            .await
            .map(|_| ()),
        DbBackend::Postgres => db
            .execute_unprepared("VACUUM owner_keys, owners")
            .await
            .map(|_| ()),
        _ => Ok(()),
    }
}

/// How many migrations have not been applied yet (read-only: creates nothing).
pub async fn pending_migrations(db: &DatabaseConnection) -> Result<usize, DbErr> {
    Ok(Migrator::get_pending_migrations_read_only(db).await?.len())
}

/// Whether the database answers, for the readiness probe.
pub async fn ping(db: &DatabaseConnection) -> bool {
    db.ping().await.is_ok()
}

/// The file path of a `sqlite://path?…` URL, if it names a file.
fn sqlite_file(url: &str) -> Option<&str> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next()?;
    (!path.is_empty() && path != ":memory:").then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_file_paths_are_found() {
        assert_eq!(
            sqlite_file("sqlite://data/kho.db?mode=rwc"),
            Some("data/kho.db")
        );
        assert_eq!(sqlite_file("sqlite::memory:"), None);
        assert_eq!(sqlite_file("postgres://x@y/z"), None);
    }
}
