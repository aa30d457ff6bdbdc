//! The owner's access log, downloaded as a bundle with the store's signed checkpoint, verifies
//! offline with `kho audit verify` — and a row edited, deleted or reordered in the database is
//! named there.

use kho::storage::entities::access_log;
use reqwest::StatusCode;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::portal::{Portal, consent_by_redirect};
use crate::support::{OwnerClient, TestApp, pdf_of_len};

async fn bundle(app: &TestApp, owner: &OwnerClient, name: &str) -> (std::path::PathBuf, Value) {
    let response = owner.get("/v1/me/access-log/bundle").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body = response.text().await.unwrap();
    let path = app.dir.path().join(name);
    std::fs::write(&path, &body).unwrap();
    (path, serde_json::from_str(&body).unwrap())
}

fn verify(app: &TestApp, path: &std::path::Path) -> Result<Value, String> {
    let out = app.kho(&["audit", "verify", path.to_str().unwrap()]);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

async fn kho_audit_verify_names_the_first_broken_link(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let id_card = owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(1000))
        .await;
    let diploma = owner.upload_ok("diploma", "Bằng", pdf_of_len(1000)).await;
    let portal = Portal::register(&app);
    let granted = consent_by_redirect(
        &app,
        &portal,
        &owner,
        &["id-card"],
        "until_expiry",
        &[&id_card],
    )
    .await;
    let token = granted["access_token"].as_str().unwrap();
    for path in [
        "/v1/shared/documents".to_owned(),
        format!("/v1/shared/documents/{id_card}"),
        format!("/v1/shared/documents/{diploma}"),
        format!("/v1/shared/documents/{id_card}/content"),
    ] {
        portal.fetch(&path, token).await;
    }
    // The periodic signing: once for a log that grew, not again until it grows.
    assert_eq!(app.state.access_log.checkpoint_all().await.unwrap(), 1);
    assert_eq!(app.state.access_log.checkpoint_all().await.unwrap(), 0);
    let (good, body) = bundle(&app, &owner, "good.json").await;
    let entries = body["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 4);
    assert_eq!(entries[2]["outcome"], "denied");
    let verified = verify(&app, &good).expect("an untouched log verifies");
    assert_eq!(verified["summary"]["signed_up_to"], 4);

    let signed_earlier = app.dir.path().join("earlier.jws");
    std::fs::write(&signed_earlier, body["checkpoint"].as_str().unwrap()).unwrap();
    let mut unsigned = body.clone();
    unsigned["checkpoint"] = Value::Null;
    let path = app.dir.path().join("unsigned.json");
    std::fs::write(&path, unsigned.to_string()).unwrap();
    assert!(
        verify(&app, &path)
            .unwrap_err()
            .contains("no signed checkpoint")
    );

    // Reordered in the file.
    let mut reordered = body.clone();
    reordered["entries"].as_array_mut().unwrap().swap(1, 2);
    let path = app.dir.path().join("reordered.json");
    std::fs::write(&path, reordered.to_string()).unwrap();
    assert!(verify(&app, &path).unwrap_err().contains("entry 2"));

    let owner_id: uuid::Uuid = body["owner"].as_str().unwrap().parse().unwrap();
    let db = &app.state.db;
    let set_outcome = |seq: i64, outcome: &'static str| async move {
        access_log::Entity::update_many()
            .col_expr(access_log::Column::Outcome, Expr::value(outcome))
            .filter(access_log::Column::OwnerId.eq(owner_id))
            .filter(access_log::Column::Seq.eq(seq))
            .exec(db)
            .await
            .unwrap();
    };
    // Edited in the database: the denial made to look allowed.
    set_outcome(3, "allowed").await;
    let (edited, _) = bundle(&app, &owner, "edited.json").await;
    let why = verify(&app, &edited).unwrap_err();
    assert!(why.contains("entry 3") && why.contains("changed"), "{why}");
    set_outcome(3, "denied").await;
    verify(&app, &bundle(&app, &owner, "restored.json").await.0).expect("restored");

    // Deleted in the database: the last entry, which only the signed checkpoint vouches for.
    access_log::Entity::delete_many()
        .filter(access_log::Column::OwnerId.eq(owner_id))
        .filter(access_log::Column::Seq.eq(4))
        .exec(db)
        .await
        .unwrap();
    let (truncated, _) = bundle(&app, &owner, "truncated.json").await;
    let why = verify(&app, &truncated).unwrap_err();
    assert!(why.contains("missing"), "{why}");

    // Someone with the database also deletes the checkpoints: the store then signs the shorter
    // chain — but a checkpoint the owner kept from an earlier download still catches it.
    kho::storage::entities::audit_checkpoints::Entity::delete_many()
        .filter(kho::storage::entities::audit_checkpoints::Column::OwnerId.eq(owner_id))
        .exec(db)
        .await
        .unwrap();
    let (rewritten, _) = bundle(&app, &owner, "rewritten.json").await;
    verify(&app, &rewritten).expect("on its own, a consistent shorter chain verifies");
    let out = app.kho(&[
        "audit",
        "verify",
        rewritten.to_str().unwrap(),
        "--checkpoint",
        signed_earlier.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing"));
}

/// Finding 6 of the review, second half: a long log is checked, signed and downloaded a page at
/// a time (1,000 entries to a check, 500 to a bundle's page): 2,600 entries verify across the
/// pages, and an entry edited on the third page is named.
async fn a_long_log_is_checked_and_downloaded_page_by_page(app: TestApp) {
    use kho::audit::{Access, Actor, Context, Outcome};
    let owner = app.sign_in("035199000123").await;
    let found = app
        .state
        .owners
        .find(&kho::ids::OwnerIdentifier::parse("035199000123").unwrap())
        .await
        .unwrap()
        .unwrap();
    for _ in 0..2600 {
        let access = Access {
            owner: found.id,
            actor: Actor::Portal {
                client: "portal-x".into(),
                agency: "000.00.00.H49".into(),
            },
            action: "list_documents",
            document: None,
            outcome: Outcome::Allowed,
            detail: None,
            context: Context::default(),
        };
        kho::audit::append(&app.state.db, access, chrono::Utc::now())
            .await
            .unwrap();
    }
    assert_eq!(app.state.access_log.checkpoint_all().await.unwrap(), 1);
    let (good, body) = bundle(&app, &owner, "long.json").await;
    assert_eq!(body["entries"].as_array().unwrap().len(), 2600);
    let verified = verify(&app, &good).expect("a long log verifies");
    assert_eq!(verified["summary"]["signed_up_to"], 2600);
    // An entry on the third page of the check, edited in the database.
    access_log::Entity::update_many()
        .col_expr(access_log::Column::Outcome, Expr::value("denied"))
        .filter(access_log::Column::OwnerId.eq(found.id.0))
        .filter(access_log::Column::Seq.eq(2345))
        .exec(&app.state.db)
        .await
        .unwrap();
    match app.state.access_log.checkpoint(found.id).await {
        Err(kho::audit::CheckpointError::Broken(broken)) => assert_eq!(broken.seq, 2345),
        other => panic!("the edit went unnoticed: {other:?}"),
    }
    let (edited, _) = bundle(&app, &owner, "long-edited.json").await;
    let why = verify(&app, &edited).unwrap_err();
    assert!(why.contains("entry 2345"), "{why}");
    // With its first entry deleted, the log still downloads as a bundle (valid JSON) that
    // names the break.
    access_log::Entity::delete_many()
        .filter(access_log::Column::OwnerId.eq(found.id.0))
        .filter(access_log::Column::Seq.eq(1))
        .exec(&app.state.db)
        .await
        .unwrap();
    let (headless, body) = bundle(&app, &owner, "long-headless.json").await;
    assert_eq!(body["entries"].as_array().unwrap().len(), 2599);
    let why = verify(&app, &headless).unwrap_err();
    assert!(why.contains("entry 1"), "{why}");
}

on_both_backends!(
    kho_audit_verify_names_the_first_broken_link,
    a_long_log_is_checked_and_downloaded_page_by_page
);
