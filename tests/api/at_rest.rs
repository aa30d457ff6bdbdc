//! Nothing personal is stored in plaintext: not the content, not the title, not the ID.

use sea_orm::{ConnectionTrait, Statement};

use crate::on_both_backends;
use crate::support::{Backend, TestApp, files_below};

const MARKER: &str = "KHO-PLAINTEXT-MARKER-7f3a9c";
const TITLE: &str = "Giấy chứng nhận quyền sử dụng đất Trần Thị Bích";
const CITIZEN: &str = "079305004321";

/// Everything the store keeps at rest, as bytes: the database and every blob.
async fn everything_at_rest(app: &TestApp) -> Vec<u8> {
    let mut all = Vec::new();
    match app.backend {
        Backend::Sqlite => {
            // Make sure the write-ahead log is in the main file as well as in the -wal file.
            let _ = app
                .state
                .db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await;
            for file in files_below(app.dir.path())
                .into_iter()
                .filter(|f| !f.starts_with(app.keys_dir()))
            {
                all.extend(std::fs::read(file).unwrap());
            }
        }
        Backend::Postgres => {
            for table in ["owners", "owner_keys", "documents", "sessions", "seals"] {
                let sql = format!("SELECT row_to_json(t)::text AS row FROM {table} t");
                let rows = app
                    .state
                    .db
                    .query_all_raw(Statement::from_string(
                        app.state.db.get_database_backend(),
                        sql,
                    ))
                    .await
                    .unwrap();
                for row in rows {
                    all.extend(row.try_get::<String>("", "row").unwrap().into_bytes());
                }
            }
            for file in files_below(&app.blob_dir()) {
                all.extend(std::fs::read(file).unwrap());
            }
        }
    }
    all
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn nothing_is_stored_in_plaintext(app: TestApp) {
    let owner = app.sign_in(CITIZEN).await;
    let mut doc = b"%PDF-1.7\n".to_vec();
    for _ in 0..3000 {
        doc.extend_from_slice(MARKER.as_bytes());
    }
    let id = owner.upload_ok("land-use-right", TITLE, doc).await;
    assert_eq!(
        owner.download(&id).await.unwrap().len(),
        9 + 3000 * MARKER.len()
    );
    let at_rest = everything_at_rest(&app).await;
    assert!(
        at_rest.len() > 10_000,
        "the scan must actually see the stored data"
    );
    for secret in [MARKER, TITLE, "Trần Thị Bích", CITIZEN] {
        assert!(
            !contains(&at_rest, secret.as_bytes()),
            "{secret:?} is stored in plaintext"
        );
        assert!(
            !contains(&at_rest, hex::encode(secret).as_bytes()),
            "{secret:?} is stored as hex"
        );
    }
}

async fn an_issued_result_and_its_owners_name_are_not_stored_in_plaintext(app: TestApp) {
    use crate::issued::{AGENCY, RESULT, metadata, push, register_issuer, sign};
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let mut meta = metadata(RESULT);
    meta["owner"] = serde_json::json!(CITIZEN);
    meta["title"] = serde_json::json!(TITLE);
    meta["owner_name"] = serde_json::json!("Phạm Minh Khôi");
    let mut doc = b"%PDF-1.7\n".to_vec();
    doc.extend_from_slice(MARKER.repeat(100).as_bytes());
    let signed = sign(&app, &issuer, &issuer.client_id, &meta, &doc);
    let (status, _) = push(&app, &signed, doc).await;
    assert_eq!(status, reqwest::StatusCode::CREATED);
    let at_rest = everything_at_rest(&app).await;
    for secret in [MARKER, TITLE, "Phạm Minh Khôi", CITIZEN] {
        assert!(
            !contains(&at_rest, secret.as_bytes()),
            "{secret:?} is stored in plaintext"
        );
        assert!(
            !contains(&at_rest, hex::encode(secret).as_bytes()),
            "{secret:?} is stored as hex"
        );
    }
    let payload = signed.split('.').nth(1).unwrap();
    assert!(
        !contains(&at_rest, payload.as_bytes()),
        "the issuer's statement (which names the owner) is stored readable"
    );
}

on_both_backends!(
    nothing_is_stored_in_plaintext,
    an_issued_result_and_its_owners_name_are_not_stored_in_plaintext
);
