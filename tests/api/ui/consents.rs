//! Consent in a browser: a portal asks (CIBA); the request waits in the inbox with what will
//! be shared, with whom, why and until when; the owner uploads the missing document from the
//! request and comes back, ticks it and approves; the portal fetches; the access-log page says
//! so in a sentence; the owner withdraws after a confirm page; the portal's next fetch is
//! refused, and the log page shows the refusal.

use kho::web::i18n::Lang;
use reqwest::StatusCode;
use serde_json::Value;

use super::{Browser, file_with};
use crate::on_both_backends;
use crate::support::portal::{Portal, details};
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(
    a_request_is_answered_in_the_inbox_and_withdrawn_in_vietnamese,
    a_request_is_answered_in_the_inbox_and_withdrawn_in_english,
);

const OWNER: &str = "035199000123";

/// The name the portal was registered under.
fn portal_name(app: &TestApp, portal: &Portal) -> String {
    let out = app.kho(&["client", "list"]);
    let clients: Value = serde_json::from_slice(&out.stdout).unwrap();
    clients
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["client_id"] == portal.client_id.as_str())
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .unwrap()
}

async fn a_request_is_answered_in_the_inbox_and_withdrawn_in_vietnamese(app: TestApp) {
    consent_story(app, Lang::Vi).await;
}

async fn a_request_is_answered_in_the_inbox_and_withdrawn_in_english(app: TestApp) {
    consent_story(app, Lang::En).await;
}

async fn consent_story(app: TestApp, lang: Lang) {
    let Some(b) = Browser::open(&app, lang).await else {
        return;
    };
    b.sign_in(OWNER).await;
    b.visit("/consents").await;
    assert!(b.has("#inbox-empty").await);

    let portal = Portal::register(&app);
    let asked: Value = portal
        .ciba(OWNER, &details(&["id-card"], "until_expiry", 3600))
        .await
        .json()
        .await
        .unwrap();
    let auth_req_id = asked["auth_req_id"].as_str().unwrap().to_owned();

    b.visit("/consents").await;
    let headline = b.text("#inbox a").await;
    assert!(headline.contains(&portal_name(&app, &portal)), "{headline}");
    b.click("#inbox a").await;
    b.check("a request waiting for an answer").await;
    assert_eq!(b.text("#binding-message").await, "Hồ sơ 0001");
    assert_eq!(b.text("#purpose").await, "Đăng ký khai sinh cho con");
    assert!(b.has("#no-documents").await, "nothing matches yet");
    let request_page = b.path().await;

    // Approving with nothing ticked is explained on the page.
    b.click("#approve").await;
    b.check("a request approved with nothing ticked").await;
    assert_eq!(
        b.text("#documents-error").await,
        b.t("error-choose-document")
    );

    // The missing document, uploaded from the request, brings the owner back to it.
    b.click("#add-id-card").await;
    assert_eq!(b.value("#type").await, "id-card");
    b.fill("#title", "Căn cước công dân").await;
    let content = pdf_of_len(4000);
    let file = file_with(&app, "cccd.pdf", &content);
    b.find("#file").await.send_keys(&file).await.unwrap();
    b.click("#submit").await;
    assert_eq!(b.path().await, request_page, "back at the request");
    b.check("the request with a matching document").await;
    let checkbox = b.find("input[name=document]").await;
    assert!(
        !checkbox.is_selected().await.unwrap(),
        "nothing is ticked for the owner"
    );
    checkbox.click().await.unwrap();
    b.click("#approve").await;
    b.check("an approved consent").await;
    assert_eq!(b.text("#notice").await, b.t("notice-approved"));
    assert_eq!(b.text("#status").await, b.t("consent-status-active"));

    // The portal polls, gets its token, fetches.
    app.state.clock.advance(chrono::Duration::seconds(6));
    let granted = portal.poll(&auth_req_id).await;
    assert_eq!(granted.status(), StatusCode::OK);
    let granted: Value = granted.json().await.unwrap();
    let token = granted["access_token"].as_str().unwrap().to_owned();
    let document = granted["authorization_details"][0]["documents"][0]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/v1/shared/documents/{document}/content");
    let fetched = portal.fetch(&path, &token).await;
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), content);

    b.visit("/access-log").await;
    assert!(b.has("#log-check").await);
    let log = b.text("#log").await;
    assert!(
        log.contains("Căn cước công dân"),
        "the read, in words: {log}"
    );
    assert!(
        log.contains(&b.t("log-action-download_document").trim_end().to_owned()),
        "{log}"
    );

    // The receipt, checked and printable.
    b.visit(&request_page).await;
    b.click("#receipt").await;
    b.check("the consent's receipt").await;
    assert!(b.has("#signature-checked").await);
    let receipt = b.download("#receipt-download").await;
    assert_eq!(receipt.headers()["content-type"], "application/jose");

    // Withdraw, after the confirm page: the next fetch is refused and the log says so.
    b.visit(&request_page).await;
    b.click("#withdraw").await;
    b.check("the withdrawal's confirm page").await;
    b.click("#withdraw-confirm").await;
    b.check("a withdrawn consent").await;
    assert_eq!(b.text("#notice").await, b.t("notice-withdrawn"));
    let refused = portal.fetch(&path, &token).await;
    assert!(refused.status().is_client_error(), "{}", refused.status());
    b.visit("/access-log?outcome=denied").await;
    let log = b.text("#log").await;
    assert!(log.contains(&b.t("log-reason-withdrawn")), "{log}");
    b.visit("/consents").await;
    assert!(
        b.text("#past")
            .await
            .contains(&b.t("consent-status-withdrawn"))
    );
    b.quit().await;
}
