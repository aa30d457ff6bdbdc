//! Notices in a browser: the person gives an e-mail address in Settings (a wrong one is
//! explained next to the field), confirms it from the link the real SMTP server received, and is
//! then told of a portal's decoupled request twice — a count in the header and an e-mail with no
//! personal ID; from the notice they answer the request, and the portal's poll gets its token.

use std::time::Duration;

use kho::web::i18n::Lang;
use reqwest::StatusCode;
use serde_json::Value;

use super::Browser;
use crate::on_both_backends;
use crate::support::portal::{Portal, details};
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(
    spawn = spawn_app_with_mail;
    a_decoupled_request_is_told_in_the_header_and_by_email_in_vietnamese,
    a_decoupled_request_is_told_in_the_header_and_by_email_in_english,
);

const OWNER: &str = "035199000123";
const ADDRESS: &str = "ha.nguyen@example.vn";

async fn a_decoupled_request_is_told_in_the_header_and_by_email_in_vietnamese(app: TestApp) {
    notices_story(app, Lang::Vi).await;
}

async fn a_decoupled_request_is_told_in_the_header_and_by_email_in_english(app: TestApp) {
    notices_story(app, Lang::En).await;
}

async fn notices_story(app: TestApp, lang: Lang) {
    let Some(b) = Browser::open(&app, lang).await else {
        return;
    };
    let sink = app.smtp.as_ref().expect("the SMTP server");
    let owner = app.sign_in(OWNER).await;
    owner
        .upload_ok("id-card", "Căn cước công dân", pdf_of_len(1200))
        .await;
    b.sign_in(OWNER).await;
    b.visit("/notices").await;
    b.check("no notices yet").await;
    assert!(b.has("#no-notices").await);
    assert!(!b.has("#unread-count").await);

    // The address: a wrong one is explained, a right one gets a confirmation link.
    b.click("#settings-link").await;
    b.check("the settings").await;
    b.fill("#email", "not an address").await;
    b.click("#save-email").await;
    b.check("a refused address").await;
    assert_eq!(b.text("#email-error").await, b.t("error-email-address"));
    assert_eq!(b.value("#email").await, "not an address", "kept to correct");
    b.fill("#email", ADDRESS).await;
    b.click("#save-email").await;
    b.check("a confirmation link sent").await;
    assert_eq!(b.text("#done").await, b.t("settings-email-sent"));
    assert!(b.text("#email-state").await.contains(ADDRESS));
    let mails = sink.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(mails[0].to, [ADDRESS]);
    assert_eq!(mails[0].subject, b.t("mail-confirm-subject"));
    let link = mails[0]
        .link(&format!("{}/settings/email/confirm?token=", app.base))
        .expect("the confirmation link");
    b.visit(link.trim_start_matches(&app.base)).await;
    b.check("the confirmation page").await;
    b.click("#confirm-email").await;
    b.check("a confirmed address").await;
    assert!(b.has("#confirmed").await);
    b.visit(link.trim_start_matches(&app.base)).await;
    b.click("#confirm-email").await;
    b.check("a link used twice").await;
    assert!(b.has("#unusable").await, "a link confirms once");

    // A portal asks while the owner is away: a count in the header, and an e-mail.
    let portal = Portal::register(&app);
    let asked: Value = portal
        .ciba(OWNER, &details(&["id-card"], "until_expiry", 3600))
        .await
        .json()
        .await
        .unwrap();
    let auth_req_id = asked["auth_req_id"].as_str().unwrap().to_owned();
    let mails = sink.wait_for(2, Duration::from_secs(20)).await;
    let told = &mails[1];
    assert_eq!(told.to, [ADDRESS]);
    assert_eq!(told.subject, b.t("notice-consent-requested-subject"));
    assert!(told.text.contains(&b.t("notice-consent-requested")));
    assert!(!told.raw.contains(OWNER), "no personal ID in an e-mail");
    b.visit("/documents").await;
    assert_eq!(b.text("#unread-count").await, "1");

    b.click("#notices-link").await;
    b.check("a new notice").await;
    assert!(
        b.text("#notices")
            .await
            .contains(&b.t("notice-consent-requested"))
    );
    b.click("#notices a").await;
    b.check("the request, opened from its notice").await;
    b.find("input[name=document]").await.click().await.unwrap();
    b.click("#approve").await;
    assert_eq!(b.text("#status").await, b.t("consent-status-active"));
    app.state.clock.advance(chrono::Duration::seconds(6));
    assert_eq!(portal.poll(&auth_req_id).await.status(), StatusCode::OK);

    b.visit("/notices").await;
    b.click("#mark-read").await;
    b.check("notices read").await;
    assert!(!b.has("#unread-count").await);
    assert!(!b.has("#mark-read").await);
}
