//! A standard OAuth client library (npm `oauth4webapi`) works against Kho unchanged: the
//! redirect flow, with the owner logging in through the real OpenID Provider, and the CIBA
//! flow, each ending in DPoP-bound fetches.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::on_both_backends;
use crate::support::browser::{browser, finish_login, sign_in_at_provider};
use crate::support::library_portal::LibraryPortal;
use crate::support::portal::{Portal, REDIRECT_URI, decide_in_browser, details};
use crate::support::{OwnerClient, pdf_of_len};

const CITIZEN: &str = "035199000123";

fn location(response: &reqwest::Response) -> reqwest::Url {
    response
        .url()
        .join(response.headers()["location"].to_str().unwrap())
        .unwrap()
}

async fn a_library_portal_completes_the_redirect_flow_after_an_openid_login(app: TestApp) {
    let uploader = app.sign_in(CITIZEN).await;
    let id_card = uploader
        .upload_ok("id-card", "Căn cước", pdf_of_len(9000))
        .await;
    let portal = Portal::register(&app);
    let Some(mut library) = LibraryPortal::start(&json!({
        "issuer": app.base, "client_id": portal.client_id, "client_secret": portal.secret,
        "redirect_uri": REDIRECT_URI, "flow": "redirect",
        "details": details(&["id-card"], "once", 3600),
    })) else {
        return;
    };
    let authorize = library.next().await["authorize"]
        .as_str()
        .unwrap()
        .to_owned();

    // The owner is not signed in: Kho sends them to log in and brings them back.
    let person = browser();
    let first = person.get(&authorize).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::SEE_OTHER);
    let login = person.get(location(&first)).send().await.unwrap();
    let at_provider = location(&login);
    let callback = sign_in_at_provider(&app, &person, at_provider, "citizen").await;
    let back = finish_login(&person, callback).await;
    let (returned, asked) = (location(&back), reqwest::Url::parse(&authorize).unwrap());
    assert_eq!(
        returned.path(),
        "/authorize",
        "back at the consent screen after login"
    );
    assert_eq!(
        returned.query_pairs().collect::<Vec<_>>(),
        asked.query_pairs().collect::<Vec<_>>()
    );
    let owner = OwnerClient::from_session(&app, person).await;
    let redirect = decide_in_browser(&app, &owner, &authorize, &[&id_card]).await;

    library.send(redirect.as_str());
    let result = library.next().await["result"].clone();
    assert_eq!(
        result["token_type"].as_str().unwrap().to_ascii_lowercase(),
        "dpop"
    );
    assert_eq!(result["documents"], json!([id_card]));
    assert_eq!(
        result["authorization_details"][0]["documents"],
        json!([id_card])
    );
    assert_eq!(
        result["content_sha256"],
        hex::encode(Sha256::digest(pdf_of_len(9000)))
    );
}

async fn a_library_portal_completes_the_ciba_flow(app: TestApp) {
    let owner = app.sign_in(CITIZEN).await;
    let id_card = owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(4000))
        .await;
    let portal = Portal::register(&app);
    let Some(library) = LibraryPortal::start(&json!({
        "issuer": app.base, "client_id": portal.client_id, "client_secret": portal.secret,
        "flow": "ciba", "login_hint": CITIZEN, "binding_message": "Hồ sơ 0002",
        "details": details(&["id-card"], "until_expiry", 3600),
    })) else {
        return;
    };
    library.next().await["auth_req_id"]
        .as_str()
        .expect("auth_req_id");
    let inbox: Value = owner
        .get("/v1/me/consents?status=pending")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox["items"][0]["binding_message"], "Hồ sơ 0002");
    let consent = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let approved = owner
        .client
        .post(owner.url(&format!("/v1/me/consents/{consent}/approve")))
        .header("x-csrf-token", &owner.csrf)
        .json(&json!({"documents": [id_card]}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    let result = library.next().await["result"].clone();
    assert_eq!(result["documents"], json!([id_card]));
    assert_eq!(
        result["content_sha256"],
        hex::encode(Sha256::digest(pdf_of_len(4000)))
    );
}

on_both_backends!(spawn = spawn_app_with_provider; a_library_portal_completes_the_redirect_flow_after_an_openid_login, a_library_portal_completes_the_ciba_flow);
