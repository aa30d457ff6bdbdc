//! Another owner's data is exactly as invisible as data that does not exist.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::pdf_of_len;

async fn owner_b_cannot_list_read_download_correct_or_delete_owner_as_document(app: TestApp) {
    let a = app.sign_in("035199000123").await;
    let b = app.sign_in("0100233488").await;
    let id = a
        .upload_ok("birth-certificate", "A's", pdf_of_len(500))
        .await;
    let missing = uuid::Uuid::now_v7();
    assert_eq!(b.list("").await["items"].as_array().unwrap().len(), 0);
    for path in [
        format!("/v1/me/documents/{id}"),
        format!("/v1/me/documents/{id}/content"),
    ] {
        let theirs = b.get(&path).await;
        assert_eq!(theirs.status(), StatusCode::NOT_FOUND, "{path}");
        let theirs: Value = theirs.json().await.unwrap();
        let absent: Value = b
            .get(&path.replace(&id, &missing.to_string()))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(
            theirs, absent,
            "another owner's document must look exactly like a missing one"
        );
    }
    let patch = b
        .client
        .patch(b.url(&format!("/v1/me/documents/{id}")))
        .header("x-csrf-token", &b.csrf)
        .json(&serde_json::json!({"title": "mine now"}))
        .send()
        .await
        .unwrap();
    assert_eq!(patch.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        b.delete(&format!("/v1/me/documents/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(a.download(&id).await.unwrap(), pdf_of_len(500));
    let meta: Value = a
        .get(&format!("/v1/me/documents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["title"], "A's");
}

on_both_backends!(owner_b_cannot_list_read_download_correct_or_delete_owner_as_document);
