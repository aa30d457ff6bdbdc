//! Issuers' statements apply in the order they were signed, and a push is the same push only
//! when it states the same thing: replays and look-alikes change nothing.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::issued::{
    AGENCY, OWNER, RESULT, change_status, metadata, owner_stores, push, register_issuer, sign,
    stored_under,
};
use crate::on_both_backends;
use crate::support::pdf_of_len;

async fn an_older_status_statement_cannot_be_replayed_over_a_newer_one(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(2000);
    push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content,
    )
    .await;
    let now = chrono::Utc::now().timestamp();
    let until = |date: &str| json!({"kind": "valid_until", "valid_until": date});

    let first = change_status(&app, &issuer, RESULT, until("2030-01-01"), now - 60).await;
    assert_eq!(first.status(), StatusCode::OK);
    let second = change_status(&app, &issuer, RESULT, until("2031-01-01"), now).await;
    assert_eq!(second.status(), StatusCode::OK);
    // The first statement, posted again, is older than the one in force.
    let replay = change_status(&app, &issuer, RESULT, until("2030-01-01"), now - 60).await;
    assert_eq!(replay.status(), StatusCode::CONFLICT);
    assert_eq!(replay.headers()["content-type"], "application/problem+json");
    // The statement in force, posted again, is the same change: nothing to do.
    let repeat: Value = change_status(&app, &issuer, RESULT, until("2031-01-01"), now)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(repeat["valid_until"], "2031-01-01");
    // A statement signed in the future is refused.
    let future = change_status(&app, &issuer, RESULT, until("2032-01-01"), now + 3600).await;
    assert_eq!(future.status(), StatusCode::BAD_REQUEST);

    let owner = app.sign_in(OWNER).await;
    let doc = &owner.list("").await["items"][0];
    assert_eq!(
        doc["valid_until"], "2031-01-01",
        "the newest statement stands"
    );
}

async fn a_scheduled_revocation_can_be_brought_forward_but_not_postponed(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(2000);
    push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content,
    )
    .await;
    let now = chrono::Utc::now();
    let revoke_at = |at: chrono::DateTime<chrono::Utc>| json!({"kind": "revoke", "reason": "Hết hiệu lực theo quyết định", "effective_at": at});
    let in_a_week = now + chrono::Duration::days(7);
    let scheduled: Value = change_status(
        &app,
        &issuer,
        RESULT,
        revoke_at(in_a_week),
        now.timestamp() - 30,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        scheduled["status"], "valid",
        "valid until the revocation takes effect"
    );
    let later: Value = change_status(
        &app,
        &issuer,
        RESULT,
        revoke_at(in_a_week + chrono::Duration::days(1)),
        now.timestamp() - 20,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(later["status"], "valid");
    let forward: Value = change_status(
        &app,
        &issuer,
        RESULT,
        revoke_at(now - chrono::Duration::hours(1)),
        now.timestamp() - 10,
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(
        forward["status"], "revoked",
        "brought forward to the past: revoked now"
    );
    let owner = app.sign_in(OWNER).await;
    assert_eq!(owner.list("").await["items"][0]["status"], "revoked");
    assert_eq!(
        crate::notices::told(&app, OWNER).await,
        ["result_revoked", "result_revoked", "result_issued"],
        "the owner is told of the result, of its scheduled revocation and of the one brought forward"
    );
}

async fn a_new_version_supersedes_a_result_whose_revocation_is_only_scheduled(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let first = pdf_of_len(1500);
    let (_, old) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &metadata(RESULT), &first),
        first,
    )
    .await;
    let in_a_week = chrono::Utc::now() + chrono::Duration::days(7);
    let revoke = json!({"kind": "revoke", "reason": "Sẽ thay thế", "effective_at": in_a_week});
    change_status(
        &app,
        &issuer,
        RESULT,
        revoke,
        chrono::Utc::now().timestamp(),
    )
    .await;
    let second = pdf_of_len(1600);
    let mut meta = metadata("000.00.00.H49-261120-0007-KQ2");
    meta["supersedes"] = json!(RESULT);
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &meta, &second),
        second,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    let owner = app.sign_in(OWNER).await;
    let old_view: Value = owner
        .get(&format!("/v1/me/documents/{}", old["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old_view["status"], "superseded");
    // Scheduling a revocation of the superseded result would show it valid until then.
    let later = json!({"kind": "revoke", "reason": "Sau", "effective_at": in_a_week + chrono::Duration::days(1)});
    let refused = change_status(
        &app,
        &issuer,
        RESULT,
        later,
        chrono::Utc::now().timestamp() + 1,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let still: Value = owner
        .get(&format!("/v1/me/documents/{}", old["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["status"], "superseded");
}

async fn a_result_stored_before_statements_were_sealed_is_sealed_at_start_up(app: TestApp) {
    use kho::storage::entities::documents;
    use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(2000);
    let signed = sign(
        &app,
        &issuer,
        &issuer.client_id,
        &metadata(RESULT),
        &content,
    );
    push(&app, &signed, content.clone()).await;
    // As an earlier version stored it: the issuer's statement in plain, no statement time.
    let row = documents::Entity::find()
        .filter(documents::Column::ResultCode.eq(RESULT))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    let mut legacy: documents::ActiveModel = row.into();
    legacy.issuer_signature = Set(Some(signed.clone()));
    legacy.status_signed_at = Set(None);
    legacy.update(&app.state.db).await.unwrap();
    let (again, _) = push(&app, &signed, content.clone()).await;
    assert_eq!(
        again,
        StatusCode::OK,
        "a repeat push of a legacy row is still the same push"
    );

    assert_eq!(app.state.issued.seal_legacy_statements().await.unwrap(), 1);
    assert_eq!(app.state.issued.seal_legacy_statements().await.unwrap(), 0);
    let row = documents::Entity::find()
        .filter(documents::Column::ResultCode.eq(RESULT))
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert!(
        !row.issuer_signature.unwrap().contains(&signed[..40]),
        "sealed now"
    );
    assert!(
        row.status_signed_at.is_some(),
        "no statement signed before the upgrade can be replayed"
    );
    let (again, _) = push(&app, &signed, content).await;
    assert_eq!(again, StatusCode::OK);
    let old_statement = json!({"kind": "valid_until", "valid_until": "2030-01-01"});
    let replayed = change_status(
        &app,
        &issuer,
        RESULT,
        old_statement,
        chrono::Utc::now().timestamp() - 3600,
    )
    .await;
    assert_eq!(replayed.status(), StatusCode::CONFLICT);
}

async fn a_push_repeating_the_code_and_content_with_other_metadata_is_a_conflict(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(2000);
    let (created, _) = push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content.clone(),
    )
    .await;
    assert_eq!(created, StatusCode::CREATED);
    let mut retitled = metadata(RESULT);
    retitled["title"] = json!("Một tiêu đề khác");
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &retitled, &content),
        content.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let mut other_owner = metadata(RESULT);
    other_owner["owner"] = json!("001099000777");
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &other_owner, &content),
        content,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(stored_under(&app, RESULT).await, 1);
    assert_eq!(
        owner_stores(&app).await,
        1,
        "the refused push made no store for the other owner"
    );
}

on_both_backends!(
    an_older_status_statement_cannot_be_replayed_over_a_newer_one,
    a_scheduled_revocation_can_be_brought_forward_but_not_postponed,
    a_new_version_supersedes_a_result_whose_revocation_is_only_scheduled,
    a_result_stored_before_statements_were_sealed_is_sealed_at_start_up,
    a_push_repeating_the_code_and_content_with_other_metadata_is_a_conflict
);
