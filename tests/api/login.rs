//! Citizens and officials log in through a real OpenID Provider; everything the provider or a
//! browser could get wrong is refused with a page that says why.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::browser::{
    browser, finish_login, login, sign_in_at_provider, start_login, with_param, without_param,
};
use crate::support::{OwnerClient, ProviderOptions, pdf_of_len};

async fn me(app: &crate::support::TestApp, client: &reqwest::Client) -> (StatusCode, Value) {
    let response = client.get(app.url("/v1/me")).send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn assert_refused_with_page(response: reqwest::Response, status: StatusCode, says: &str) {
    assert_eq!(response.status(), status);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let page = response.text().await.unwrap();
    assert!(page.contains("Đăng nhập không thành công"), "{page}");
    assert!(page.contains(says), "the page should say {says:?}: {page}");
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|c| {
            c.strip_prefix("kho_session=")
                .map(|rest| rest.split(';').next().unwrap_or_default().to_owned())
                .filter(|v| !v.is_empty())
        })
}

async fn a_citizen_logs_in_through_the_provider_and_finds_their_store(app: TestApp) {
    let b = browser();
    let response = login(&app, &b, "citizen").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|c| c.starts_with("kho_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let (status, body) = me(&app, &b).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["identifier"], "035199000123");
    assert_eq!(body["kind"], "citizen");
    assert_eq!(body["official"], false);
    assert_eq!(
        body["name"], "Nguyễn Thị Hà",
        "the provider's name claim is kept"
    );
    let owner = OwnerClient::from_session(&app, b).await;
    let id = owner.upload_ok("other", "via OIDC", pdf_of_len(100)).await;
    // The same person logging in again, from another browser, finds the same store.
    let again = browser();
    assert_eq!(
        login(&app, &again, "citizen").await.status(),
        StatusCode::SEE_OTHER
    );
    let other = OwnerClient::from_session(&app, again).await;
    assert_eq!(other.download(&id).await.unwrap(), pdf_of_len(100));
}

async fn an_official_is_recognised_by_the_role_claim(app: TestApp) {
    let b = browser();
    assert_eq!(
        login(&app, &b, "official").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, body) = me(&app, &b).await;
    assert_eq!(body["official"], true);
    let b = browser();
    assert_eq!(
        login(&app, &b, "organisation").await.status(),
        StatusCode::SEE_OTHER
    );
    let (_, body) = me(&app, &b).await;
    assert_eq!(body["kind"], "organisation");
    assert_eq!(body["official"], false);
}

async fn a_wrong_state_is_refused(app: TestApp) {
    let b = browser();
    let start = start_login(&app, &b).await;
    let callback = sign_in_at_provider(&app, &b, start, "citizen").await;
    let response = finish_login(&b, with_param(&callback, "state", "forged-state")).await;
    assert_refused_with_page(response, StatusCode::BAD_REQUEST, "state").await;
    assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
    // The login is used up: replaying the genuine callback does not work either.
    assert_refused_with_page(
        finish_login(&b, callback).await,
        StatusCode::BAD_REQUEST,
        "no login was started",
    )
    .await;
}

async fn a_callback_without_or_with_a_foreign_iss_is_refused(app: TestApp) {
    // The provider advertises RFC 9207 support, so its responses always carry `iss`.
    let b = browser();
    let callback = sign_in_at_provider(&app, &b, start_login(&app, &b).await, "citizen").await;
    assert!(
        callback.query_pairs().any(|(k, _)| k == "iss"),
        "the provider sends iss: {callback}"
    );
    assert_refused_with_page(
        finish_login(&b, without_param(&callback, "iss")).await,
        StatusCode::BAD_REQUEST,
        "another issuer",
    )
    .await;
    let b = browser();
    let callback = sign_in_at_provider(&app, &b, start_login(&app, &b).await, "citizen").await;
    assert_refused_with_page(
        finish_login(&b, with_param(&callback, "iss", "https://evil.example")).await,
        StatusCode::BAD_REQUEST,
        "another issuer",
    )
    .await;
    assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
}

async fn a_tampered_nonce_is_refused(app: TestApp) {
    let b = browser();
    let start = start_login(&app, &b).await;
    let tampered = with_param(&start, "nonce", "nonce-chosen-by-an-attacker");
    let callback = sign_in_at_provider(&app, &b, tampered, "citizen").await;
    assert_refused_with_page(
        finish_login(&b, callback).await,
        StatusCode::BAD_REQUEST,
        "không qua được bước xác minh",
    )
    .await;
    assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
}

async fn a_callback_carried_to_another_browser_is_refused(app: TestApp) {
    let attacker = browser();
    let start = start_login(&app, &attacker).await;
    let callback = sign_in_at_provider(&app, &attacker, start, "citizen").await;
    let victim = browser();
    assert_refused_with_page(
        finish_login(&victim, callback).await,
        StatusCode::BAD_REQUEST,
        "no login was started",
    )
    .await;
    assert_eq!(me(&app, &victim).await.0, StatusCode::UNAUTHORIZED);
}

async fn an_expired_id_token_is_refused(mut app: TestApp) {
    // A provider whose clock is ten minutes slow issues ID tokens that lived one minute and
    // ended nine minutes ago (its own cookies, which live longer, still work).
    app.restart_provider(ProviderOptions {
        clock_skew_seconds: -600,
        id_token_ttl_seconds: 60,
        ..Default::default()
    });
    let b = browser();
    assert_refused_with_page(
        login(&app, &b, "citizen").await,
        StatusCode::BAD_REQUEST,
        "không qua được bước xác minh",
    )
    .await;
    assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
}

async fn an_id_token_signed_by_an_unknown_key_is_refused(mut app: TestApp) {
    app.restart_provider(ProviderOptions {
        publish_decoy_keys: true,
        ..Default::default()
    });
    let b = browser();
    assert_refused_with_page(
        login(&app, &b, "citizen").await,
        StatusCode::BAD_REQUEST,
        "không qua được bước xác minh",
    )
    .await;
    assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
}

async fn the_providers_key_rotation_between_two_logins_is_followed(mut app: TestApp) {
    let first = browser();
    assert_eq!(
        login(&app, &first, "citizen").await.status(),
        StatusCode::SEE_OTHER
    );
    app.restart_provider(ProviderOptions::default()); // new signing keys, same issuer
    let second = browser();
    assert_eq!(
        login(&app, &second, "official").await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(me(&app, &second).await.1["identifier"], "001099000001");
}

async fn a_missing_or_malformed_identifier_is_refused_with_a_page_that_says_why(app: TestApp) {
    for account in ["no-identifier", "bad-identifier"] {
        let b = browser();
        assert_refused_with_page(
            login(&app, &b, account).await,
            StatusCode::FORBIDDEN,
            "số định danh cá nhân",
        )
        .await;
        assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
    }
    assert!(
        kho::owners::kek_usage(&app.state.db)
            .await
            .unwrap()
            .is_empty(),
        "no store may be created"
    );
}

async fn logout_ends_the_session_everywhere(app: TestApp) {
    let b = browser();
    assert_eq!(
        login(&app, &b, "citizen").await.status(),
        StatusCode::SEE_OTHER
    );
    let elsewhere = app.second_process().await;
    assert_eq!(
        b.get(elsewhere.url("/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    let csrf = me(&app, &b).await.1["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let refused = b
        .post(app.url("/auth/logout"))
        .form(&[("csrf_token", "not-the-token")])
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        me(&app, &b).await.0,
        StatusCode::OK,
        "a refused logout changes nothing"
    );

    let response = b
        .post(app.url("/auth/logout"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()["location"].to_str().unwrap().to_owned();
    let issuer = &app.provider.as_ref().unwrap().issuer;
    assert!(
        to.starts_with(&format!("{issuer}/session/end")) && to.contains("client_id=kho"),
        "RP-initiated logout at the provider: {to}"
    );
    assert_eq!(me(&app, &b).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        b.get(elsewhere.url("/v1/me"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED,
        "the other process too"
    );
}

async fn the_session_id_changes_at_login(app: TestApp) {
    let b = browser();
    // A session cookie planted before login (an attacker's own session, say).
    let planted = b
        .post(app.url("/dev/sign-in"))
        .form(&[("identifier", "0100233488")])
        .send()
        .await
        .unwrap();
    let before = session_cookie(&planted).unwrap();
    let response = login(&app, &b, "citizen").await;
    let after = session_cookie(&response).unwrap();
    assert_ne!(before, after);
    assert_eq!(me(&app, &b).await.1["identifier"], "035199000123");
    let attacker = reqwest::Client::new();
    let theirs: Value = attacker
        .get(app.url("/v1/me"))
        .header("cookie", format!("kho_session={before}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        theirs["identifier"], "0100233488",
        "the planted session never becomes the victim's"
    );
}

on_both_backends!(spawn = spawn_app_with_provider; a_citizen_logs_in_through_the_provider_and_finds_their_store, an_official_is_recognised_by_the_role_claim, a_wrong_state_is_refused, a_callback_without_or_with_a_foreign_iss_is_refused, a_tampered_nonce_is_refused, a_callback_carried_to_another_browser_is_refused, an_expired_id_token_is_refused, an_id_token_signed_by_an_unknown_key_is_refused, the_providers_key_rotation_between_two_logins_is_followed, a_missing_or_malformed_identifier_is_refused_with_a_page_that_says_why, logout_ends_the_session_everywhere, the_session_id_changes_at_login);
