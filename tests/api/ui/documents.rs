//! A citizen's documents in a browser: upload with a mistake then correctly, list, filter,
//! open, download, correct, delete; and a sealed document's QR seal.

use kho::web::i18n::Lang;
use reqwest::StatusCode;
use serde_json::Value;

use super::{Browser, file_with};
use crate::issued::{AGENCY, OWNER, RESULT, issued_result};
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(
    a_citizen_manages_documents_in_vietnamese_on_a_phone,
    a_citizen_manages_documents_in_english_on_a_desktop,
    a_citizen_sees_the_qr_seal_of_an_issued_result,
    a_refused_upload_form_is_a_page_with_its_errors_never_json,
);

async fn a_citizen_manages_documents_in_vietnamese_on_a_phone(app: TestApp) {
    manage_documents(app, Lang::Vi).await;
}

async fn a_citizen_manages_documents_in_english_on_a_desktop(app: TestApp) {
    manage_documents(app, Lang::En).await;
}

async fn manage_documents(app: TestApp, lang: Lang) {
    let Some(b) = Browser::open(&app, lang).await else {
        return;
    };
    b.sign_in("035199000123").await;
    b.check("the empty list").await;
    assert_eq!(b.text("h1").await, b.t("documents-title"));
    assert!(b.text("#empty").await.contains(&b.t("documents-empty")));

    // A first try with mistakes: no title, a malformed agency code, no file.
    b.click("#upload").await;
    b.check("the upload form").await;
    b.choose("#type", "birth-certificate").await;
    b.fill("#number", "123/2026").await;
    b.fill("#issuing_agency", "not an agency").await;
    b.click("#submit").await;
    b.check("the upload form with errors").await;
    assert!(b.has("#error-summary").await, "an error summary at the top");
    assert_eq!(b.text("#title-error").await, b.t("error-doc-title"));
    assert_eq!(b.text("#issuing_agency-error").await, b.t("error-agency"));
    assert_eq!(b.text("#file-error").await, b.t("error-file-missing"));
    let link = b.find("#error-summary a[href='#title']").await;
    assert_eq!(link.text().await.unwrap(), b.t("error-doc-title"));
    assert_eq!(
        b.value("#type").await,
        "birth-certificate",
        "values are kept"
    );
    assert_eq!(b.value("#number").await, "123/2026");
    assert_eq!(b.value("#issuing_agency").await, "not an agency");

    // Then correctly.
    let content = pdf_of_len(5000);
    b.fill("#title", "Giấy khai sinh của con").await;
    b.fill("#issuing_agency", "").await;
    let file = file_with(&app, "birth.pdf", &content);
    b.find("#file").await.send_keys(&file).await.unwrap();
    b.click("#submit").await;
    let page = b.path().await;
    assert!(
        page.starts_with("/documents/"),
        "the document's page: {page}"
    );
    b.check("the document's page").await;
    assert_eq!(b.text("#title").await, "Giấy khai sinh của con");
    assert_eq!(b.text("#number").await, "123/2026");
    assert_eq!(b.text("#source").await, b.t("source-uploaded"));
    assert_eq!(b.text("#status").await, b.t("status-valid"));
    assert!(!b.has("#seal").await, "an unchecked upload has no seal");

    // Download.
    let download = b.download("#download").await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), content.as_slice());

    // The list, and its filter.
    b.visit("/documents").await;
    assert!(
        b.text("#documents")
            .await
            .contains("Giấy khai sinh của con")
    );
    b.choose("#type", "birth-certificate").await;
    b.click("#filter").await;
    b.check("the list filtered").await;
    assert!(
        b.text("#documents")
            .await
            .contains("Giấy khai sinh của con")
    );
    b.choose("#type", "passport").await;
    b.click("#filter").await;
    b.check("the list filtered to nothing").await;
    assert!(
        b.text("#empty")
            .await
            .contains(&b.t("documents-none-of-type"))
    );

    // Correct the title.
    b.visit(&page).await;
    b.click("#edit").await;
    b.check("the correction form").await;
    b.fill("#title", "").await;
    b.click("#save").await;
    b.check("the correction form with an error").await;
    assert_eq!(b.text("#title-error").await, b.t("error-doc-title"));
    b.fill("#title", "Giấy khai sinh (bản sao)").await;
    b.click("#save").await;
    b.check("the document after a correction").await;
    assert_eq!(b.text("#notice").await, b.t("notice-changed"));
    assert_eq!(b.text("#title").await, "Giấy khai sinh (bản sao)");

    // Delete, after the confirm page.
    b.click("#delete").await;
    b.check("the delete confirmation").await;
    assert_eq!(b.text("h1").await, b.t("delete-title"));
    b.click("#delete-confirm").await;
    b.check("the list after a deletion").await;
    assert_eq!(b.text("#notice").await, b.t("notice-deleted"));
    assert!(b.has("#empty").await);
    let owner = app.sign_in("035199000123").await;
    assert_eq!(owner.list("").await["items"], Value::Array(vec![]));
    b.quit().await;
}

async fn a_citizen_sees_the_qr_seal_of_an_issued_result(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    let id = issued_result(&app, "tuphap-ui").await;
    b.sign_in(OWNER).await;
    b.check("the list with an issued result").await;
    b.visit(&format!("/documents/{id}")).await;
    assert!(b.text("#source").await.contains(AGENCY));
    assert_eq!(b.text("#result-code").await, RESULT);
    assert!(
        !b.has("#delete").await,
        "an issued result cannot be deleted"
    );
    assert!(!b.has("#edit").await, "nor corrected");
    let owner = app.sign_in(OWNER).await;
    let seal: Value = owner
        .get(&format!("/v1/me/documents/{id}/seal"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(b.value("#seal-text").await, seal["token"].as_str().unwrap());
    let drawn = b
        .client()
        .execute(
            "const i = document.querySelector('#seal img'); return i.complete && i.naturalWidth > 0",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(drawn, Value::Bool(true), "the QR code is drawn");
    b.click("#seal-print").await;
    b.check("the printable seal").await;
    assert!(
        b.text(".seal-token")
            .await
            .contains(seal["token"].as_str().unwrap())
    );
    b.quit().await;
}

async fn a_refused_upload_form_is_a_page_with_its_errors_never_json(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let html = reqwest::header::HeaderValue::from_static("text/html");
    let form = reqwest::multipart::Form::new()
        .text("csrf_token", owner.csrf.clone())
        .text("type", "other")
        .text("title", "")
        .part(
            "file",
            reqwest::multipart::Part::bytes(b"plain text".to_vec()).file_name("x.txt"),
        );
    let response = owner
        .client
        .post(app.url("/documents/new"))
        .header("accept", html.clone())
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("error-summary"), "{page}");

    // Content refused in words next to the file field, the title kept: unsupported, empty,
    // larger than the limit (20 MiB in the tests).
    let vi = kho::web::i18n::Tr::new(kho::web::i18n::Lang::Vi);
    for (content, message) in [
        (b"plain text".to_vec(), vi.t("error-file-unsupported")),
        (Vec::new(), vi.t("error-file-empty")),
        (
            pdf_of_len(21 * 1024 * 1024),
            vi.t_with("error-file-too-large", &[("limit", "20")]),
        ),
    ] {
        let form = reqwest::multipart::Form::new()
            .text("csrf_token", owner.csrf.clone())
            .text("type", "other")
            .text("title", "Hợp đồng")
            .part(
                "file",
                reqwest::multipart::Part::bytes(content).file_name("x"),
            );
        let response = owner
            .client
            .post(app.url("/documents/new"))
            .header("accept", html.clone())
            .multipart(form)
            .send()
            .await
            .unwrap();
        assert!(response.status().is_client_error(), "{}", response.status());
        let page = response.text().await.unwrap();
        assert!(page.contains(&message), "{message} in {page}");
        assert!(page.contains("value=\"Hợp đồng\""), "the title is kept");
    }

    // Without the form's CSRF token: a page that says so, and nothing stored.
    let form = reqwest::multipart::Form::new()
        .text("type", "other")
        .text("title", "x")
        .part(
            "file",
            reqwest::multipart::Part::bytes(pdf_of_len(100)).file_name("x.pdf"),
        );
    let response = owner
        .client
        .post(app.url("/documents/new"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    assert_eq!(owner.list("").await["items"], Value::Array(vec![]));

    // Another owner's document is a page that does not exist.
    let id = owner.upload_ok("other", "mine", pdf_of_len(100)).await;
    let other = app.sign_in("0100233488").await;
    let response = other.get(&format!("/documents/{id}")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let response = other.get("/documents/not-an-id").await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}
