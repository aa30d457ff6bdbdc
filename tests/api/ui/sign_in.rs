//! Signing in and out in a browser: through the real OpenID Provider, and back to the page a
//! person was on when their session had ended.

use kho::web::i18n::Lang;
use reqwest::StatusCode;

use super::Browser;
use crate::on_both_backends;
use crate::support::TestApp;
use crate::support::browser::browser;

on_both_backends!(spawn = spawn_app_with_provider; a_citizen_signs_in_with_the_identity_provider_and_signs_out);
on_both_backends!(
    an_ended_session_signs_in_again_and_returns_to_the_page,
    the_language_switch_is_remembered_from_page_to_page,
);

async fn the_language_switch_is_remembered_from_page_to_page(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    let english = kho::web::i18n::Tr::new(Lang::En);
    b.visit("/privacy").await;
    assert_eq!(b.text("h1").await, b.t("privacy-title"));
    b.click(".header-tools button[lang=en]").await;
    assert_eq!(b.path().await, "/privacy", "back on the same page");
    assert_eq!(b.text("h1").await, english.t("privacy-title"));
    b.client().goto(&app.url("/")).await.unwrap();
    assert_eq!(b.text("h1").await, english.t("home-title"), "remembered");
    let lang = b
        .client()
        .execute("return document.documentElement.lang", vec![])
        .await
        .unwrap();
    assert_eq!(lang, "en");
    b.click(".header-tools button[lang=vi]").await;
    b.check("the front page switched back to Vietnamese").await;
    assert_eq!(b.text("h1").await, b.t("home-title"));
    b.quit().await;
}

async fn a_citizen_signs_in_with_the_identity_provider_and_signs_out(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    b.visit("/").await;
    assert_eq!(b.text("#sign-in").await, b.t("home-sign-in-vneid"));
    b.click("#sign-in").await;
    // The provider's own sign-in form.
    b.fill("input[name=account]", "citizen").await;
    b.click("button").await;
    assert_eq!(b.path().await, "/documents");
    b.check("the documents of a person signed in through the provider")
        .await;
    assert!(b.text("#who").await.contains("Nguyễn Thị Hà"));
    b.click("#sign-out").await;
    // Kho's session is over whatever the provider's logout page says.
    b.visit("/documents").await;
    assert_eq!(b.path().await, "/", "signed out: back to the front page");
    b.quit().await;
}

async fn an_ended_session_signs_in_again_and_returns_to_the_page(app: TestApp) {
    let person = browser();
    let response = person
        .get(app.url("/documents?type=passport"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/");
    let response = person
        .post(app.url("/dev/sign-in"))
        .form(&[("identifier", "035199000123")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()["location"],
        "/documents?type=passport",
        "back where the person was"
    );
    // Finding 13: a query that would break a cookie is carried in it, encoded — it adds no
    // attribute — and the person still comes back to exactly that page.
    let other = browser();
    let tricky = "/documents?x=%3B;Domain=evil.example";
    let response = other.get(app.url(tricky)).send().await.unwrap();
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    let attributes: Vec<&str> = cookie.split(';').skip(1).map(str::trim).collect();
    assert!(
        !attributes
            .iter()
            .any(|a| a.to_ascii_lowercase().starts_with("domain")),
        "{cookie}"
    );
    let response = other
        .post(app.url("/dev/sign-in"))
        .form(&[("identifier", "035199000123")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["location"], tricky);
}
