//! "Download all my data": the API's ZIP holds the consents with their store-signed receipts and
//! an access log that `kho audit verify` checks; an operator's `kho export` writes the same
//! archive to a file and is in the owner's access log.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::portal::{Portal, consent_by_redirect};
use crate::support::{TestApp, entry, pdf_of_len, unzip};

on_both_backends!(
    an_export_holds_the_signed_consent_receipts_and_a_log_that_verifies,
    an_operators_export_is_a_file_and_is_in_the_owners_access_log,
);

fn claims(jws: &str) -> Value {
    let payload = jws.split('.').nth(1).expect("a compact JWS");
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn an_export_holds_the_signed_consent_receipts_and_a_log_that_verifies(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let content = pdf_of_len(2000);
    let id_card = owner
        .upload_ok("id-card", "Căn cước", content.clone())
        .await;
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
    let fetched = portal
        .fetch(&format!("/v1/shared/documents/{id_card}/content"), token)
        .await;
    assert_eq!(fetched.status(), StatusCode::OK);

    let response = owner.get("/v1/me/export").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let entries = unzip(response.bytes().await.unwrap().to_vec()).await;
    assert_eq!(entry(&entries, "documents/001 Căn cước.pdf"), content);
    let consents: Value = serde_json::from_slice(&entry(&entries, "consents.json")).unwrap();
    let consent = consents[0]["id"].as_str().unwrap();
    let receipt = String::from_utf8(entry(&entries, &format!("consents/{consent}.jws"))).unwrap();
    assert_eq!(claims(&receipt)["consent_id"], consent);
    let from_api = owner
        .get(&format!("/v1/me/consents/{consent}/receipt"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        claims(&from_api)["consent_id"],
        claims(&receipt)["consent_id"]
    );

    let log = app.dir.path().join("exported-log.json");
    std::fs::write(&log, entry(&entries, "access-log.json")).unwrap();
    let out = app.kho(&["audit", "verify", log.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "the exported log verifies: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn an_operators_export_is_a_file_and_is_in_the_owners_access_log(app: TestApp) {
    let owner = app.sign_in("0100233488").await;
    let content = pdf_of_len(30_000);
    owner
        .upload_ok(
            "business-registration",
            "Đăng ký kinh doanh",
            content.clone(),
        )
        .await;
    let file = app.dir.path().join("export.zip");
    let out = app.kho(&["export", "0100233488", "--out", file.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let entries = unzip(std::fs::read(&file).unwrap()).await;
    assert_eq!(
        entry(&entries, "documents/001 Đăng ký kinh doanh.pdf"),
        content
    );
    let log: Value = owner.get("/v1/me/access-log").await.json().await.unwrap();
    let newest = &log["entries"][0];
    assert_eq!(newest["actor"]["kind"], "operator", "{log}");
    assert_eq!(newest["action"], "export_data");

    let unknown = app.kho(&["export", "035199000123", "--out", file.to_str().unwrap()]);
    assert!(!unknown.status.success(), "no store, no export");
}
