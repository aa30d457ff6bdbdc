//! "My data" in a browser: download everything as a ZIP and find every byte in it; erase the
//! store after typing the identifier.

use kho::web::i18n::Lang;
use reqwest::StatusCode;
use serde_json::Value;

use super::Browser;
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len, unzip};

on_both_backends!(
    the_export_holds_every_document_its_metadata_and_the_access_log,
    erasing_asks_for_the_identifier_then_signs_out,
);

async fn the_export_holds_every_document_its_metadata_and_the_access_log(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::En).await else {
        return;
    };
    let owner = app.sign_in("035199000123").await;
    let first = pdf_of_len(70_000);
    let second = pdf_of_len(1_000);
    owner
        .upload_ok("birth-certificate", "Giấy khai sinh", first.clone())
        .await;
    owner
        .upload_ok("other", "Hợp đồng / thuê nhà", second.clone())
        .await;

    b.sign_in("035199000123").await;
    b.visit("/my-data").await;
    let response = b.download("#export").await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "application/zip");
    let entries = unzip(response.bytes().await.unwrap().to_vec()).await;
    let names: Vec<&str> = entries.iter().map(|(n, _)| n.as_str()).collect();
    let find = |name: &str| {
        entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.clone())
            .unwrap_or_else(|| panic!("no {name} in {names:?}"))
    };
    // Newest first: the second upload is 001.
    assert_eq!(find("documents/001 Hợp đồng _ thuê nhà.pdf"), second);
    assert_eq!(find("documents/002 Giấy khai sinh.pdf"), first);
    let listed: Value = serde_json::from_slice(&find("documents.json")).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2);
    assert_eq!(listed[1]["file"], "documents/002 Giấy khai sinh.pdf");
    assert_eq!(listed[1]["title"], "Giấy khai sinh");
    let bundle: Value = serde_json::from_slice(&find("access-log.json")).unwrap();
    assert!(bundle.get("entries").is_some(), "{bundle}");
    let consents: Value = serde_json::from_slice(&find("consents.json")).unwrap();
    assert_eq!(consents, Value::Array(vec![]));
    assert!(names.contains(&"README.txt"));
    b.quit().await;
}

async fn erasing_asks_for_the_identifier_then_signs_out(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    let owner = app.sign_in("035199000123").await;
    owner.upload_ok("other", "x", pdf_of_len(100)).await;
    b.sign_in("035199000123").await;
    b.visit("/my-data").await;
    b.click("#erase").await;
    b.check("the erase page").await;
    b.fill("#identifier", "035199000124").await;
    b.click("#erase-confirm").await;
    b.check("the erase page with an error").await;
    assert_eq!(
        b.text("#identifier-error").await,
        b.t("error-erase-identifier")
    );
    assert_eq!(
        owner.list("").await["items"].as_array().unwrap().len(),
        1,
        "nothing erased"
    );
    b.fill("#identifier", "035199000123").await;
    b.click("#erase-confirm").await;
    assert_eq!(b.path().await, "/?erased=1");
    b.check("the front page after erasing").await;
    assert_eq!(b.text("#notice").await, b.t("notice-erased"));
    assert!(!b.has("#sign-out").await, "signed out");
    let again = app.sign_in("035199000123").await;
    assert_eq!(again.list("").await["items"], Value::Array(vec![]));
    b.quit().await;
}
