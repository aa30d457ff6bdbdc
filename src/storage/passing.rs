//! Which failures of the stores pass by themselves — the database or the blob store not
//! answering, busy, or full — and which are faults to investigate. The first are answered
//! `503 retry-later`; the rest stay 500 and are logged as errors.

use sea_orm::{DbErr, RuntimeErr};

use super::blobs::BlobError;

/// The database did not answer, or refused for now: stopped or restarting (a broken connection,
/// SQLSTATE class 08, 57P01–57P03), too many connections (53300), a serialization failure or
/// deadlock (40001, 40P01), SQLite busy or locked, every pooled connection taken. Not a
/// refused password, a missing database or a bad query: those are faults.
pub fn database(e: &DbErr) -> bool {
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(e))
        | DbErr::Exec(RuntimeErr::SqlxError(e))
        | DbErr::Query(RuntimeErr::SqlxError(e)) => sqlx(e),
        _ => false,
    }
}

fn sqlx(e: &sea_orm::sqlx::Error) -> bool {
    use sea_orm::sqlx::Error;
    match e {
        Error::Io(_) | Error::PoolTimedOut | Error::PoolClosed | Error::WorkerCrashed => true,
        Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08")
                || matches!(
                    code.as_ref(),
                    // PostgreSQL: shutting down, crashed, cannot connect now; too many
                    // connections; serialization failure; deadlock.
                    "57P01" | "57P02" | "57P03" | "53300" | "40001" | "40P01"
                    // SQLite: busy (and its extended codes), locked.
                    | "5" | "261" | "517" | "6" | "262"
                )
        }),
        _ => false,
    }
}

/// The blob store did not answer (an S3 request that failed after its retries) or is full. Not a
/// refused key or permission, a bad path, or a local read error: those are faults.
pub fn blobs(e: &BlobError) -> bool {
    match e {
        BlobError::Generic { store, .. } if *store == "S3" => true,
        BlobError::Generic { .. } => disk_full(e),
        _ => false,
    }
}

/// An `io::Error` saying the disk or a quota is full, anywhere in `e`'s chain.
fn disk_full(e: &(dyn std::error::Error + 'static)) -> bool {
    let mut cause = Some(e);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded
            )
        {
            return true;
        }
        cause = e.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use sea_orm::sqlx;

    use super::*;

    fn exec(e: sqlx::Error) -> DbErr {
        DbErr::Exec(RuntimeErr::SqlxError(Arc::new(e)))
    }

    #[test]
    fn a_database_that_does_not_answer_passes() {
        let broken = std::io::Error::from(std::io::ErrorKind::UnexpectedEof);
        for e in [
            DbErr::ConnectionAcquire(sea_orm::error::ConnAcquireErr::Timeout),
            exec(sqlx::Error::Io(broken)),
            exec(sqlx::Error::PoolTimedOut),
            DbErr::Query(RuntimeErr::SqlxError(Arc::new(sqlx::Error::PoolClosed))),
        ] {
            assert!(database(&e), "{e}");
        }
    }

    #[test]
    fn a_bad_query_or_a_bug_is_a_fault() {
        for e in [
            exec(sqlx::Error::Protocol("unexpected message".into())),
            exec(sqlx::Error::RowNotFound),
            DbErr::Custom("a bug".into()),
            DbErr::Conn(RuntimeErr::Internal(
                "password authentication failed".into(),
            )),
        ] {
            assert!(!database(&e), "{e}");
        }
    }

    #[test]
    fn a_full_disk_or_an_s3_outage_passes_and_a_refusal_does_not() {
        let full = BlobError::Generic {
            store: "LocalFileSystem",
            source: Box::new(std::io::Error::from(std::io::ErrorKind::StorageFull)),
        };
        let outage = BlobError::Generic {
            store: "S3",
            source: "connection refused".into(),
        };
        let unreadable = BlobError::Generic {
            store: "LocalFileSystem",
            source: Box::new(std::io::Error::from(std::io::ErrorKind::PermissionDenied)),
        };
        let refused = BlobError::PermissionDenied {
            path: "owners/x".into(),
            source: "403".into(),
        };
        assert!(blobs(&full) && blobs(&outage));
        assert!(!blobs(&unreadable) && !blobs(&refused));
    }
}
