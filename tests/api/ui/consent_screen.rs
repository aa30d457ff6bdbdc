//! The consent screen of the redirect flow in a browser: nothing ticked, a stale form and an
//! expired request are pages in the person's language; a keyboard alone approves; the portal
//! gets its code.

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use kho::web::i18n::{Lang, Tr};
use reqwest::StatusCode;
use serde_json::Value;

use super::Browser;
use crate::on_both_backends;
use crate::support::portal::{Portal, details, param, pkce};
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(
    the_consent_screen_explains_mistakes_and_a_keyboard_alone_approves,
    a_stale_or_expired_consent_screen_is_a_page_never_json,
);

const OWNER: &str = "035199000123";

async fn pushed(portal: &Portal) -> (String, String) {
    let (verifier, challenge) = pkce();
    let pushed: Value = portal
        .par(
            &details(&["id-card", "residence-confirmation"], "once", 3600),
            &challenge,
        )
        .await
        .json()
        .await
        .unwrap();
    (pushed["request_uri"].as_str().unwrap().to_owned(), verifier)
}

async fn press(b: &Browser<'_>, key: Key) {
    let actions = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: char::from(key),
        })
        .then(KeyAction::Up {
            value: char::from(key),
        });
    b.client().perform_actions(actions).await.unwrap();
}

async fn focused(b: &Browser<'_>) -> String {
    b.client()
        .execute("return document.activeElement.id", vec![])
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn the_consent_screen_explains_mistakes_and_a_keyboard_alone_approves(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    let owner = app.sign_in(OWNER).await;
    let id_card = owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(1500))
        .await;
    let portal = Portal::register(&app);
    let (request_uri, verifier) = pushed(&portal).await;
    b.sign_in(OWNER).await;
    b.client()
        .goto(&portal.authorize_url(&request_uri))
        .await
        .unwrap();
    b.check("the consent screen").await;
    assert!(
        b.text("#missing").await.contains("cư trú"),
        "a type the owner lacks is named"
    );
    assert!(b.text("#until").await.contains(&b.t("consent-once")));

    b.click("#approve").await;
    b.check("the consent screen with nothing ticked").await;
    assert_eq!(
        b.text("#documents-error").await,
        b.t("error-choose-document")
    );

    // Only the keyboard: to the document's checkbox, Space, on to approve, Enter.
    let checkbox = format!("doc-{id_card}");
    for _ in 0..40 {
        press(&b, Key::Tab).await;
        if focused(&b).await == checkbox {
            break;
        }
    }
    assert_eq!(focused(&b).await, checkbox);
    press(&b, Key::Space).await;
    for _ in 0..10 {
        press(&b, Key::Tab).await;
        if focused(&b).await == "approve" {
            break;
        }
    }
    assert_eq!(focused(&b).await, "approve");
    press(&b, Key::Enter).await;
    let mut back = String::new();
    for _ in 0..100 {
        back = b.client().current_url().await.unwrap().to_string();
        if back.starts_with("https://portal.example/cb") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let back = url::Url::parse(&back).unwrap();
    let code = param(&back, "code").unwrap_or_else(|| panic!("a code: {back}"));
    let token = portal.exchange(&code, &verifier).await;
    assert_eq!(token.status(), StatusCode::OK);
    let granted: Value = token.json().await.unwrap();
    assert_eq!(
        granted["authorization_details"][0]["documents"][0],
        id_card.as_str()
    );
    b.quit().await;
}

async fn a_stale_or_expired_consent_screen_is_a_page_never_json(app: TestApp) {
    let owner = app.sign_in(OWNER).await;
    owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(1500))
        .await;
    let portal = Portal::register(&app);
    let (request_uri, _) = pushed(&portal).await;
    let english = Tr::new(Lang::En);

    // A form whose CSRF token is not the session's: the screen again, saying so.
    let form = [
        ("csrf_token", "not-the-token"),
        ("client_id", portal.client_id.as_str()),
        ("request_uri", request_uri.as_str()),
        ("decision", "deny"),
    ];
    let response = owner
        .client
        .post(app.url("/authorize"))
        .header("accept-language", "en")
        .form(&form)
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
    let page = response.text().await.unwrap();
    assert!(page.contains(&english.t("error-csrf-again")), "{page}");
    assert!(
        page.contains("name=\"request_uri\""),
        "the screen, to answer again"
    );

    // Without a session: signed in again, then back at the same screen.
    let anonymous = crate::support::browser::browser();
    let response = anonymous
        .post(app.url("/authorize"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        cookie.contains("kho_return=/authorize?client_id="),
        "{cookie}"
    );

    // An expired request: a page that says to start again at the agency's site.
    app.state.clock.advance(chrono::Duration::hours(2));
    let response = owner
        .client
        .get(portal.authorize_url(&request_uri))
        .header("accept-language", "vi")
        .send()
        .await
        .unwrap();
    assert!(response.status().is_client_error(), "{}", response.status());
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    let vi = Tr::new(Lang::Vi);
    assert!(page.contains(&vi.t("error-request-unusable")), "{page}");
}
