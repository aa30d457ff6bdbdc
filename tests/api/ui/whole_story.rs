//! The whole story, in a browser, with a portal built on a standard OAuth client library (npm
//! `oauth4webapi`): PAR → the owner signs in through the real OpenID Provider → the consent
//! screen's preview → the missing document uploaded from its link, back to the screen → approve →
//! the portal fetches → the owner reads the fetch on the access-log page → withdraws → the
//! portal's next fetch is refused → the log page shows the refusal.

use std::time::Duration;

use kho::web::i18n::Lang;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::{Browser, file_with};
use crate::on_both_backends;
use crate::support::library_portal::LibraryPortal;
use crate::support::portal::{Portal, REDIRECT_URI, details};
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(
    spawn = spawn_app_with_provider;
    a_portal_asks_the_owner_approves_fetches_and_withdraws_in_vietnamese,
    a_portal_asks_the_owner_approves_fetches_and_withdraws_in_english,
);

async fn a_portal_asks_the_owner_approves_fetches_and_withdraws_in_vietnamese(app: TestApp) {
    whole_story(app, Lang::Vi).await;
}

async fn a_portal_asks_the_owner_approves_fetches_and_withdraws_in_english(app: TestApp) {
    whole_story(app, Lang::En).await;
}

async fn whole_story(app: TestApp, lang: Lang) {
    let Some(b) = Browser::open(&app, lang).await else {
        return;
    };
    let portal = Portal::register(&app);
    let Some(mut library) = LibraryPortal::start(&json!({
        "issuer": app.base, "client_id": portal.client_id, "client_secret": portal.secret,
        "redirect_uri": REDIRECT_URI, "flow": "redirect", "again": true,
        "details": details(&["id-card"], "until_expiry", 3600),
    })) else {
        return;
    };
    let authorize = library.next().await["authorize"]
        .as_str()
        .unwrap()
        .to_owned();

    // Not signed in: the provider's sign-in form, and back to the request.
    b.client().goto(&authorize).await.unwrap();
    assert!(
        b.path().await.starts_with("/interaction/"),
        "at the provider"
    );
    b.fill("input[name=account]", "citizen").await;
    b.click("button").await;
    assert_eq!(b.path().await.split('?').next(), Some("/authorize"));
    b.check("the consent screen after signing in").await;
    assert!(b.has("#missing").await, "the owner has no ID card yet");

    // The missing document, uploaded from its link, brings the owner back to the screen.
    b.click("#add-id-card").await;
    assert_eq!(b.value("#type").await, "id-card");
    b.fill("#title", "Căn cước công dân").await;
    let content = pdf_of_len(6000);
    let file = file_with(&app, "cccd.pdf", &content);
    b.find("#file").await.send_keys(&file).await.unwrap();
    b.click("#submit").await;
    assert_eq!(b.path().await.split('?').next(), Some("/authorize"));
    b.check("the consent screen with the new document").await;
    assert!(!b.has("#missing").await);
    let checkbox = b.find("input[name=document]").await;
    assert!(!checkbox.is_selected().await.unwrap(), "nothing ticked");
    checkbox.click().await.unwrap();
    b.click("#approve").await;

    // The portal gets its code at its redirect URI, and fetches with the library.
    let mut back = String::new();
    for _ in 0..100 {
        back = b.client().current_url().await.unwrap().to_string();
        if back.starts_with(REDIRECT_URI) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(back.starts_with(REDIRECT_URI), "{back}");
    library.send(&back);
    let result = library.next().await["result"].clone();
    assert_eq!(
        result["content_sha256"],
        hex::encode(Sha256::digest(&content))
    );

    // The owner reads the fetch on the access-log page.
    b.visit("/access-log").await;
    b.check("the access log after the portal's fetch").await;
    let log = b.text("#log").await;
    assert!(log.contains("Căn cước công dân"), "{log}");
    let read = b.t("log-action-download_document");
    assert!(log.contains(read.trim_end()), "{log}");

    // Withdraws, after the confirm page.
    b.visit("/consents").await;
    b.click("#active a").await;
    b.click("#withdraw").await;
    b.check("the withdrawal's confirm page").await;
    b.click("#withdraw-confirm").await;
    assert_eq!(b.text("#notice").await, b.t("notice-withdrawn"));

    // The portal's next fetch is refused, and the log page says so.
    library.send("again");
    let again = library.next().await["again"]["status"].as_u64().unwrap();
    assert!(
        (400..500).contains(&again),
        "refused after withdrawal: {again}"
    );
    b.visit("/access-log?outcome=denied").await;
    b.check("the access log with the refusal").await;
    let refused = b.text("#log").await;
    assert!(refused.contains(&b.t("log-reason-withdrawn")), "{refused}");
    b.quit().await;
}
