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
            let tables = app
                .state
                .db
                .query_all_raw(Statement::from_string(
                    app.state.db.get_database_backend(),
                    "SELECT table_name::text AS name FROM information_schema.tables \
                     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
                ))
                .await
                .unwrap()
                .into_iter()
                .map(|row| row.try_get::<String>("", "name").unwrap())
                .collect::<Vec<_>>();
            assert!(tables.len() > 10, "{tables:?}");
            for table in tables {
                let sql = format!("SELECT row_to_json(t)::text AS row FROM \"{table}\" t");
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
            for key in app.blob_keys().await {
                all.extend(app.read_blob(&key).await);
            }
        }
    }
    all
}

/// A guardianship of `CHILD`, born on 17 May 2012: it ends at 00:00 on 17 May 2030 in Vietnam
/// (`2030-05-16T17:00:00Z`).
const CHILD: &str = "001212000042";

fn add_guardianship(app: &TestApp) {
    let out = app.kho(&[
        "mandate",
        "add",
        "--owner",
        CHILD,
        "--representative",
        "035199000123",
        "--kind",
        "guardian",
        "--scope",
        "read",
        "--basis",
        "birth-certificate",
        "--child-born",
        "2012-05-17",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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

/// Finding 9 of the review: what officials, issuers and portals say of a person is personal too —
/// how an official checked a document and for which case, why an issuer revoked a result, why a
/// portal asks, the end of a guardianship (the child's 18th birthday) — and so is the SHA-256 of
/// a short uploaded document (a guess of its content could be confirmed with it).
async fn what_others_say_of_a_person_is_not_stored_in_plaintext(app: TestApp) {
    use crate::issued::{AGENCY, RESULT, change_status, metadata, push, register_issuer, sign};
    use serde_json::json;
    const METHOD: &str = "Đối chiếu bản gốc BM-PHUONG-THUC";
    const CASE: &str = "HS-BM-2026-0042";
    const REASON: &str = "Cấp nhầm người BM-LY-DO";
    const PURPOSE: &str = "Xét tuyển BM-MUC-DICH";
    let owner = app.sign_in("035199000123").await;
    let note = br#"{"ho_ten":"L\u00ea V\u0103n T\u00e1m","ket_qua":"dat"}"#.to_vec();
    let note_sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&note));
    let uploaded = owner.upload_ok("other", "Ghi chú", note).await;

    // An official checks the upload at the counter, for a case.
    let browser = crate::support::browser::browser();
    crate::support::browser::login(&app, &browser, "official").await;
    let official = crate::support::OwnerClient::from_session(&app, browser).await;
    let marked = official
        .client
        .post(official.url("/v1/official/documents/verified"))
        .header("x-csrf-token", &official.csrf)
        .json(
            &json!({"owner": "035199000123", "document": uploaded, "method": METHOD,
            "case_ref": CASE}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), reqwest::StatusCode::OK);

    // An issuer pushes a result, then revokes it with a reason.
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = crate::support::pdf_of_len(1500);
    let signed = sign(
        &app,
        &issuer,
        &issuer.client_id,
        &metadata(RESULT),
        &content,
    );
    assert_eq!(
        push(&app, &signed, content).await.0,
        reqwest::StatusCode::CREATED
    );
    let revoke = json!({"kind": "revoke", "reason": REASON});
    let revoked = change_status(
        &app,
        &issuer,
        RESULT,
        revoke,
        chrono::Utc::now().timestamp(),
    )
    .await;
    assert_eq!(revoked.status(), reqwest::StatusCode::OK);

    // A portal pushes a request with its purpose.
    let portal = crate::support::portal::Portal::register(&app);
    let details = crate::support::portal::details(&["id-card"], "once", 600)
        .replace("Đăng ký khai sinh cho con", PURPOSE);
    let (_, challenge) = crate::support::portal::pkce();
    assert_eq!(
        portal.par(&details, &challenge).await.status(),
        reqwest::StatusCode::CREATED
    );

    // A guardianship of a child born on 17 May 2012 ends at 00:00 on 17 May 2030 in Vietnam.
    add_guardianship(&app);

    let at_rest = everything_at_rest(&app).await;
    for secret in [METHOD, CASE, REASON, PURPOSE, "2030-05-16", &note_sha256] {
        assert!(
            !contains(&at_rest, secret.as_bytes()),
            "{secret:?} is stored in plaintext"
        );
    }
    // What the owner is shown is unchanged.
    let mine: serde_json::Value = owner
        .get(&format!("/v1/me/documents/{uploaded}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["sha256"], note_sha256.as_str());
    assert_eq!(mine["provenance"]["method"], METHOD);
    let log: serde_json::Value = owner.get("/v1/me/access-log").await.json().await.unwrap();
    assert_eq!(log["entries"][0]["case"], CASE);
    let listed: serde_json::Value =
        serde_json::from_slice(&app.kho(&["mandate", "list", "--owner", CHILD]).stdout).unwrap();
    assert_eq!(listed[0]["valid_until"], "2030-05-16T17:00:00Z");
}

/// Rows written before those fields were sealed are sealed by the upkeep, and read the same.
async fn older_rows_plain_fields_are_sealed_by_the_upkeep(app: TestApp) {
    use kho::storage::entities::documents;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    const METHOD: &str = "Đối chiếu bản gốc BM-CU";
    let owner = app.sign_in(CITIZEN).await;
    let note = br#"{"ghi_chu":"BM-CU"}"#.to_vec();
    let sha256 = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&note));
    let id = owner.upload_ok("other", "Ghi chú", note).await;
    // As an older version wrote it: the method and the SHA-256 in plain.
    documents::Entity::update(documents::ActiveModel {
        id: Set(id.parse().unwrap()),
        sha256: Set(sha256.clone()),
        verification: Set("verified".into()),
        verified_at: Set(Some(chrono::Utc::now())),
        verification_method: Set(Some(METHOD.into())),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await
    .unwrap();
    let before: serde_json::Value = owner
        .get(&format!("/v1/me/documents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(app.state.documents.seal_plain_fields().await.unwrap(), 1);
    assert_eq!(app.state.documents.seal_plain_fields().await.unwrap(), 0);
    let at_rest = everything_at_rest(&app).await;
    for secret in [METHOD, &sha256] {
        assert!(
            !contains(&at_rest, secret.as_bytes()),
            "{secret:?} is still plain"
        );
    }
    let after: serde_json::Value = owner
        .get(&format!("/v1/me/documents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(before, after);
    assert_eq!(after["provenance"]["method"], METHOD);
    assert_eq!(after["sha256"], sha256.as_str());
}

/// What SQLite acknowledged is on disk: every commit is flushed (`synchronous=FULL`), so an
/// access-log row committed before a read was answered survives a power loss.
async fn every_sqlite_commit_is_flushed_to_disk(app: TestApp) {
    if app.backend != Backend::Sqlite {
        return;
    }
    for _ in 0..3 {
        let row = app
            .state
            .db
            .query_one_raw(Statement::from_string(
                app.state.db.get_database_backend(),
                "PRAGMA synchronous",
            ))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(row.try_get_by_index::<i32>(0).unwrap(), 2, "2 is FULL");
    }
}

/// A guardianship recorded before its end was sealed gets it sealed by the upkeep.
async fn an_older_guardianships_end_is_sealed_by_the_upkeep(app: TestApp) {
    use kho::storage::entities::mandates;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    add_guardianship(&app);
    let row = mandates::Entity::find()
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let end: chrono::DateTime<chrono::Utc> = "2030-05-16T17:00:00Z".parse().unwrap();
    // As an older version wrote it: the exact end in plain, nothing sealed.
    mandates::Entity::update(mandates::ActiveModel {
        id: Set(row.id),
        valid_until: Set(Some(end)),
        valid_until_sealed: Set(None),
        ..Default::default()
    })
    .exec(&app.state.db)
    .await
    .unwrap();
    assert!(
        contains(&everything_at_rest(&app).await, b"2030-05-16"),
        "the scan sees it"
    );
    assert_eq!(app.state.mandates.seal_plain_ends().await.unwrap(), 1);
    assert_eq!(app.state.mandates.seal_plain_ends().await.unwrap(), 0);
    assert!(!contains(&everything_at_rest(&app).await, b"2030-05-16"));
    let listed: serde_json::Value =
        serde_json::from_slice(&app.kho(&["mandate", "list", "--owner", CHILD]).stdout).unwrap();
    assert_eq!(listed[0]["valid_until"], "2030-05-16T17:00:00Z");
}

on_both_backends!(spawn = spawn_app_with_provider; what_others_say_of_a_person_is_not_stored_in_plaintext);

on_both_backends!(
    nothing_is_stored_in_plaintext,
    an_issued_result_and_its_owners_name_are_not_stored_in_plaintext,
    older_rows_plain_fields_are_sealed_by_the_upkeep,
    every_sqlite_commit_is_flushed_to_disk,
    an_older_guardianships_end_is_sealed_by_the_upkeep
);
