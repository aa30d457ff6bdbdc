//! A fresh PostgreSQL database per test, dropped afterwards.

use sea_orm::{ConnectionTrait, Database};

/// Where the tests find PostgreSQL (a role that may create databases).
fn admin_url() -> String {
    std::env::var("KHO_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

fn required() -> bool {
    std::env::var("KHO_TEST_REQUIRE_ALL").is_ok_and(|v| v == "1" || v == "true")
}

pub struct TestDatabase {
    pub url: String,
    name: String,
}

impl TestDatabase {
    pub async fn create() -> Option<Self> {
        let admin = admin_url();
        let connected =
            tokio::time::timeout(std::time::Duration::from_secs(5), Database::connect(&admin))
                .await;
        let conn = match connected {
            Ok(Ok(conn)) => conn,
            Ok(Err(e)) => return unavailable(&format!("{e}")),
            Err(_) => return unavailable("timed out"),
        };
        let name = format!("kho_test_{}", uuid::Uuid::new_v4().simple());
        conn.execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .expect("create test database");
        let _ = conn.close().await;
        let base = admin
            .rsplit_once('/')
            .map_or(admin.as_str(), |(base, _)| base)
            .to_owned();
        Some(Self {
            url: format!("{base}/{name}"),
            name,
        })
    }
}

fn unavailable<T>(why: &str) -> Option<T> {
    if required() {
        panic!(
            "PostgreSQL is required (KHO_TEST_REQUIRE_ALL=1) but not reachable at {}: {why}",
            admin_url()
        );
    }
    eprintln!(
        "\n!!!!! SKIPPED: PostgreSQL is not reachable at {} ({why}); set KHO_TEST_POSTGRES_URL or start it. CI sets KHO_TEST_REQUIRE_ALL=1 and fails instead. !!!!!\n",
        admin_url()
    );
    None
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Dropping happens inside the test's runtime; use a thread with its own.
        let _ = std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                if let Ok(conn) = Database::connect(&admin_url()).await {
                    let _ = conn
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = conn.close().await;
                }
            });
        })
        .join();
    }
}
