//! The official's counter in a browser: signed in through the identity provider with the
//! official role, an official checks a result for a case (by its SHA-256 and by the file),
//! marks a citizen's uploaded copy as checked, and sees their own look-ups; the owner's access
//! log names the official and the case. Anyone else gets a page saying the counter is theirs.

use kho::web::i18n::Lang;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Browser, file_with};
use crate::issued::{OWNER, RESULT, issued_result};
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(spawn = spawn_app_with_provider; an_official_checks_a_result_and_a_copy_for_a_case);
on_both_backends!(anyone_checks_a_result_by_code_and_file_on_the_verify_page);

async fn anyone_checks_a_result_by_code_and_file_on_the_verify_page(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    issued_result(&app, "verify-page-issuer").await;
    b.visit("/verify").await;
    b.fill("#result_code", "not a code").await;
    b.click("#check-result").await;
    b.check("the verify page with a malformed code and no file")
        .await;
    assert_eq!(b.text("#result_code-error").await, b.t("error-result-code"));
    assert_eq!(
        b.text("#document_file-error").await,
        b.t("error-file-missing")
    );
    assert_eq!(b.value("#result_code").await, "not a code", "kept");

    b.fill("#result_code", RESULT).await;
    let file = file_with(&app, "received.pdf", &pdf_of_len(3000));
    b.find("#document_file")
        .await
        .send_keys(&file)
        .await
        .unwrap();
    b.click("#check-result").await;
    b.check("a genuine result on the verify page").await;
    assert_eq!(b.text("#code-verdict").await, b.t("counter-genuine"));
    assert_eq!(b.text("#code-status").await, b.t("status-valid"));
    assert_eq!(
        b.value("#receipt").await.split('.').count(),
        3,
        "a signed receipt"
    );

    b.fill("#result_code", RESULT).await;
    let other = file_with(&app, "forged.pdf", &pdf_of_len(2999));
    b.find("#document_file")
        .await
        .send_keys(&other)
        .await
        .unwrap();
    b.click("#check-result").await;
    assert_eq!(b.text("#code-verdict").await, b.t("counter-mismatch"));
    b.quit().await;
}

async fn an_official_checks_a_result_and_a_copy_for_a_case(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::En).await else {
        return;
    };
    issued_result(&app, "counter-issuer").await;
    let content = pdf_of_len(3000);
    let sha256 = hex::encode(Sha256::digest(&content));
    let owner = app.sign_in(OWNER).await;
    let copy = owner
        .upload_ok("diploma", "Bằng tốt nghiệp", pdf_of_len(1200))
        .await;

    // A citizen at /counter: not theirs.
    b.sign_in(OWNER).await;
    b.visit("/counter").await;
    assert_eq!(b.text("#error-message").await, b.t("error-officials-only"));
    b.visit("/documents").await;
    b.click("#sign-out").await;

    b.visit("/").await;
    b.click("#sign-in").await;
    b.fill("input[name=account]", "official").await;
    b.click("button").await;
    b.click("#nav-counter").await;
    b.check("the counter").await;

    // Without a case: refused, said next to the field.
    b.fill("#result_code", RESULT).await;
    b.fill("#sha256", &sha256).await;
    b.click("#look-up").await;
    b.check("the counter without a case").await;
    assert_eq!(b.text("#case_ref-error").await, b.t("error-case-ref"));
    assert_eq!(b.value("#result_code").await, RESULT, "kept");

    b.fill("#case_ref", "HS-2026-0042").await;
    b.click("#look-up").await;
    b.check("a genuine result").await;
    assert_eq!(b.text("#verdict").await, b.t("counter-genuine"));
    assert_eq!(b.text("#answer-owner").await, OWNER);

    // By the file itself, hashed on the server.
    b.fill("#case_ref", "HS-2026-0043").await;
    b.fill("#result_code", RESULT).await;
    b.fill("#sha256", "").await;
    let file = file_with(&app, "handed-in.pdf", &content);
    b.find("#file").await.send_keys(&file).await.unwrap();
    b.click("#look-up").await;
    assert_eq!(b.text("#verdict").await, b.t("counter-genuine"));

    // A copy checked against its original.
    b.fill("#mark_case_ref", "HS-2026-0044").await;
    b.fill("#owner", OWNER).await;
    b.fill("#document", &copy).await;
    b.fill("#method", "Đối chiếu với bản gốc tại quầy").await;
    b.click("#mark").await;
    b.check("a copy marked checked").await;
    assert_eq!(b.text("#notice").await, b.t("counter-marked"));
    let history = b.text("#history").await;
    for case in ["HS-2026-0042", "HS-2026-0043", "HS-2026-0044"] {
        assert!(history.contains(case), "{history}");
    }
    b.quit().await;

    let log: Value = owner.get("/v1/me/access-log").await.json().await.unwrap();
    let cases: Vec<&str> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["case"].as_str())
        .collect();
    assert_eq!(cases, ["HS-2026-0044", "HS-2026-0043", "HS-2026-0042"]);
    let view: Value = owner
        .get(&format!("/v1/me/documents/{copy}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(view["verification"], "verified");
}
