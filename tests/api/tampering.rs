//! Tampered, truncated or swapped content never comes back as bytes: the download fails.

use kho::crypto::{HEADER_LEN, SEGMENT_SIZE};
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{OwnerClient, TestApp, pdf_of_len};

const SEALED_SEGMENT: usize = SEGMENT_SIZE + 16;

async fn three_segment_document(owner: &OwnerClient, title: &str) -> String {
    owner
        .upload_ok("other", title, pdf_of_len(2 * SEGMENT_SIZE + 1000))
        .await
}

async fn edit_blob(app: &TestApp, id: &str, edit: impl FnOnce(&mut Vec<u8>)) {
    let key = app.blob_of(id).await;
    let mut bytes = app.read_blob(&key).await;
    edit(&mut bytes);
    app.write_blob(&key, &bytes).await;
}

/// The download fails, and when the damage is at the start it fails with a clean problem.
async fn assert_refused(owner: &OwnerClient, id: &str, clean: bool) {
    let outcome = owner.download(id).await;
    assert!(outcome.is_err(), "a damaged document was served");
    if clean {
        let response = owner.get(&format!("/v1/me/documents/{id}/content")).await;
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(
            response.headers()["content-type"],
            "application/problem+json"
        );
        let problem: Value = response.json().await.unwrap();
        assert_eq!(problem["type"], "urn:kho:problem:integrity-check-failed");
    }
}

async fn a_flipped_byte_anywhere_fails_the_download(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    for (at, clean) in [
        (5, true),
        (HEADER_LEN + 10, true),
        (HEADER_LEN + SEALED_SEGMENT + 7, false),
        (usize::MAX, false),
    ] {
        let id = three_segment_document(&owner, "flip").await;
        edit_blob(&app, &id, |b| {
            let i = at.min(b.len() - 1);
            b[i] ^= 0x01;
        })
        .await;
        assert_refused(&owner, &id, clean).await;
    }
}

async fn a_truncated_blob_fails_the_download(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    for keep in [
        HEADER_LEN + 2 * SEALED_SEGMENT,
        HEADER_LEN + SEALED_SEGMENT + 100,
        HEADER_LEN,
        3,
    ] {
        let id = three_segment_document(&owner, "cut").await;
        edit_blob(&app, &id, |b| b.truncate(keep)).await;
        assert_refused(&owner, &id, keep <= HEADER_LEN).await;
    }
}

async fn swapping_two_documents_blobs_fails_both(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let one = three_segment_document(&owner, "one").await;
    let two = three_segment_document(&owner, "two").await;
    let (k1, k2) = (app.blob_of(&one).await, app.blob_of(&two).await);
    let (b1, b2) = (app.read_blob(&k1).await, app.read_blob(&k2).await);
    app.write_blob(&k1, &b2).await;
    app.write_blob(&k2, &b1).await;
    assert_refused(&owner, &one, true).await;
    assert_refused(&owner, &two, true).await;
}

async fn swapping_blobs_between_owners_fails(app: TestApp) {
    let a = app.sign_in("035199000123").await;
    let b = app.sign_in("001099000001").await;
    let theirs = three_segment_document(&a, "a").await;
    let mine = three_segment_document(&b, "b").await;
    let stolen = app.read_blob(&app.blob_of(&theirs).await).await;
    app.write_blob(&app.blob_of(&mine).await, &stolen).await;
    assert_refused(&b, &mine, true).await;
    assert_eq!(
        a.download(&theirs).await.unwrap().len(),
        2 * SEGMENT_SIZE + 1000
    );
}

async fn a_missing_blob_is_an_integrity_failure(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let id = three_segment_document(&owner, "gone").await;
    app.remove_blob(&app.blob_of(&id).await).await;
    assert_refused(&owner, &id, true).await;
}

on_both_backends!(
    a_flipped_byte_anywhere_fails_the_download,
    a_truncated_blob_fails_the_download,
    swapping_two_documents_blobs_fails_both,
    swapping_blobs_between_owners_fails,
    a_missing_blob_is_an_integrity_failure
);
