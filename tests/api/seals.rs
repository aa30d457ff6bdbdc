//! QR seals: every issued result has one; it checks offline against the store's published keys
//! (as text or as an image), one altered character is refused, and online it shows the current
//! status — revoked once the issuer revokes. The verify page does the same for a person.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::issued::{AGENCY, OWNER, RESULT, change_status, metadata, push, register_issuer, sign};
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len};

/// `kho seal verify` in an empty directory with no settings at all: nothing but the JWK Set.
fn verify_offline(args: &[&str], jwks: &Value) -> std::process::Output {
    let dir = tempfile::tempdir().unwrap();
    let jwks_path = dir.path().join("jwks.json");
    std::fs::write(&jwks_path, jwks.to_string()).unwrap();
    std::process::Command::new(env!("CARGO_BIN_EXE_kho"))
        .args(["seal", "verify"])
        .args(args)
        .args(["--jwks", jwks_path.to_str().unwrap()])
        .env_clear()
        .current_dir(dir.path())
        .output()
        .unwrap()
}

fn altered(token: &str, at: usize) -> String {
    let mut bytes = token.as_bytes().to_vec();
    bytes[at] = if bytes[at] == b'x' { b'y' } else { b'x' };
    String::from_utf8(bytes).unwrap()
}

async fn check_online(app: &TestApp, seal: &str) -> reqwest::Response {
    app.anonymous()
        .post(app.url("/v1/verify/seal"))
        .json(&json!({"seal": seal}))
        .send()
        .await
        .unwrap()
}

async fn an_issued_results_seal_checks_offline_and_shows_its_revocation_online(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(3000);
    let (_, pushed) = push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content.clone(),
    )
    .await;
    let id = pushed["id"].as_str().unwrap();
    let owner = app.sign_in(OWNER).await;

    let seal: Value = owner
        .get(&format!("/v1/me/documents/{id}/seal"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seal["kind"], "issued");
    let token = seal["token"].as_str().unwrap().to_owned();
    let again: Value = owner
        .get(&format!("/v1/me/documents/{id}/seal"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["token"], seal["token"],
        "a printed seal stays the seal"
    );

    // Offline: only the published keys.
    let jwks: Value = app
        .anonymous()
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let out = verify_offline(&[&token], &jwks);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let checked: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(checked["seal"]["result_code"], RESULT);
    assert_eq!(checked["seal"]["issuer"], AGENCY);
    assert_eq!(checked["seal"]["issue_date"], "2026-11-20");
    assert_eq!(
        checked["seal"]["sha256"],
        hex::encode(<sha2::Sha256 as sha2::Digest>::digest(&content))
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).contains(OWNER),
        "nothing personal in a seal"
    );
    for at in [10, token.len() / 2, token.len() - 5] {
        let out = verify_offline(&[&altered(&token, at)], &jwks);
        assert!(!out.status.success(), "a seal altered at {at} was accepted");
    }

    // The QR code: the PNG reads back to the token, offline too; the SVG is an SVG.
    let png = owner.get(&format!("/v1/me/documents/{id}/seal.png")).await;
    assert_eq!(png.headers()["content-type"], "image/png");
    let png = png.bytes().await.unwrap();
    assert_eq!(kho::seals::read(&png).unwrap(), token);
    let image = app.dir.path().join("seal.png");
    std::fs::write(&image, &png).unwrap();
    let out = verify_offline(&["--image", image.to_str().unwrap()], &jwks);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let svg = owner.get(&format!("/v1/me/documents/{id}/seal.svg")).await;
    assert_eq!(svg.headers()["content-type"], "image/svg+xml");
    assert!(svg.text().await.unwrap().contains("<svg"));

    // Online: genuine and valid, then revoked with its time.
    let online = check_online(&app, &token).await;
    assert_eq!(online.status(), StatusCode::OK);
    let online: Value = online.json().await.unwrap();
    assert_eq!(
        (online["verdict"].as_str(), online["status"].as_str()),
        (Some("genuine"), Some("valid"))
    );
    assert!(
        !online.to_string().contains(OWNER),
        "nothing personal online either"
    );
    let revoke =
        json!({"kind": "revoke", "reason": "Cấp sai", "effective_at": "2026-11-22T08:00:00Z"});
    change_status(
        &app,
        &issuer,
        RESULT,
        revoke,
        chrono::Utc::now().timestamp(),
    )
    .await;
    let online: Value = check_online(&app, &token).await.json().await.unwrap();
    assert_eq!(online["status"], "revoked");
    assert_eq!(online["status_changed_at"], "2026-11-22T08:00:00Z");
    // A seal another store made is for that store to check.
    let (foreign_key, _) = crate::issued::key("other-store-1");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.typ = Some("kho-seal+jwt".into());
    header.kid = Some("other-store-1".into());
    let mut foreign_claims = checked["seal"].clone();
    foreign_claims["iss"] = json!("https://kho.other.example");
    let foreign = jsonwebtoken::encode(&header, &foreign_claims, &foreign_key).unwrap();
    let elsewhere = check_online(&app, &foreign).await;
    assert_eq!(elsewhere.status(), StatusCode::BAD_REQUEST);
    let problem: Value = elsewhere.json().await.unwrap();
    assert!(
        problem["detail"]
            .as_str()
            .unwrap()
            .contains("https://kho.other.example"),
        "{problem}"
    );
    // Finding 14: what an unchecked seal says of its maker is not echoed unless it is an origin.
    for claim in [
        "Kho quốc gia xác nhận: giấy tờ HỢP LỆ",
        "javascript:alert(1)",
    ] {
        foreign_claims["iss"] = json!(claim);
        let forged = jsonwebtoken::encode(&header, &foreign_claims, &foreign_key).unwrap();
        let problem: Value = check_online(&app, &forged).await.json().await.unwrap();
        let detail = problem["detail"].as_str().unwrap();
        assert!(!detail.contains(claim), "{problem}");
        assert!(detail.contains("not made by this store"), "{problem}");
    }
    let forged = check_online(&app, &altered(&token, token.len() / 2)).await;
    assert_eq!(forged.status(), StatusCode::BAD_REQUEST);
    let problem: Value = forged.json().await.unwrap();
    assert_eq!(problem["type"], "urn:kho:problem:invalid-seal");
}

async fn only_sealed_documents_have_a_seal_and_only_their_owner_gets_it(app: TestApp) {
    let owner = app.sign_in(OWNER).await;
    let uploaded = owner
        .upload_ok("diploma", "Bằng tốt nghiệp", pdf_of_len(800))
        .await;
    let refused = owner
        .get(&format!("/v1/me/documents/{uploaded}/seal"))
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::CONFLICT,
        "an unverified upload has no seal"
    );

    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(3000);
    let (_, pushed) = push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content,
    )
    .await;
    let stranger = app.sign_in("001099000777").await;
    let theirs = stranger
        .get(&format!(
            "/v1/me/documents/{}/seal",
            pushed["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
}

async fn the_verify_page_checks_a_pasted_seal_or_an_uploaded_image(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(3000);
    let (_, pushed) = push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content,
    )
    .await;
    let id = pushed["id"].as_str().unwrap();
    let owner = app.sign_in(OWNER).await;
    let seal: Value = owner
        .get(&format!("/v1/me/documents/{id}/seal"))
        .await
        .json()
        .await
        .unwrap();
    let token = seal["token"].as_str().unwrap();
    let png = owner
        .get(&format!("/v1/me/documents/{id}/seal.png"))
        .await
        .bytes()
        .await
        .unwrap();

    let form = app
        .anonymous()
        .get(app.url("/verify"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::OK);
    assert!(
        form.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    let post = |form: reqwest::multipart::Form| {
        let app = &app;
        async move {
            app.anonymous()
                .post(app.url("/verify"))
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    // Pasted, with the line breaks of a copied text.
    let wrapped = format!("{}\n{}", &token[..50], &token[50..]);
    let page = post(reqwest::multipart::Form::new().text("seal", wrapped)).await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains(r#"id="offline""#), "{html}");
    assert!(html.contains(RESULT));
    assert!(
        html.contains(r#"<strong id="status">Còn hiệu lực</strong>"#),
        "{html}"
    );
    // An image of the QR code.
    let image = reqwest::multipart::Part::bytes(png.to_vec())
        .file_name("seal.png")
        .mime_str("image/png")
        .unwrap();
    let page = post(
        reqwest::multipart::Form::new()
            .text("seal", "")
            .part("image", image),
    )
    .await;
    let html = page.text().await.unwrap();
    assert!(html.contains(RESULT), "{html}");
    // One character altered: refused, and said why.
    let page =
        post(reqwest::multipart::Form::new().text("seal", altered(token, token.len() / 2))).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
    let html = page.text().await.unwrap();
    assert!(
        html.contains(r#"id="refused""#) && !html.contains(r#"id="offline""#),
        "{html}"
    );
    // Not an image.
    let junk = reqwest::multipart::Part::bytes(b"%PDF-1.7".to_vec()).file_name("x.png");
    let page = post(reqwest::multipart::Form::new().part("image", junk)).await;
    assert_eq!(page.status(), StatusCode::BAD_REQUEST);
}

on_both_backends!(
    an_issued_results_seal_checks_offline_and_shows_its_revocation_online,
    only_sealed_documents_have_a_seal_and_only_their_owner_gets_it,
    the_verify_page_checks_a_pasted_seal_or_an_uploaded_image
);

async fn a_person_checks_a_seal_on_the_verify_page_in_a_browser(app: TestApp) {
    use fantoccini::Locator;
    let Some(chromium) = crate::support::chromium::Chromium::start().await else {
        return;
    };
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(3000);
    let (_, pushed) = push(
        &app,
        &sign(
            &app,
            &issuer,
            &issuer.client_id,
            &metadata(RESULT),
            &content,
        ),
        content,
    )
    .await;
    let id = pushed["id"].as_str().unwrap();
    let owner = app.sign_in(OWNER).await;
    let seal: Value = owner
        .get(&format!("/v1/me/documents/{id}/seal"))
        .await
        .json()
        .await
        .unwrap();
    let token = seal["token"].as_str().unwrap().to_owned();
    let png = owner
        .get(&format!("/v1/me/documents/{id}/seal.png"))
        .await
        .bytes()
        .await
        .unwrap();
    let image = app.dir.path().join("seal-photo.png");
    std::fs::write(&image, &png).unwrap();
    let browser = &chromium.client;

    // Pasted.
    browser.goto(&app.url("/verify")).await.unwrap();
    browser
        .find(Locator::Css("#seal"))
        .await
        .unwrap()
        .send_keys(&token)
        .await
        .unwrap();
    browser
        .find(Locator::Css("#check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(chromium.text("#result-code").await, RESULT);
    assert_eq!(chromium.text("#status").await, "Valid");
    assert!(chromium.text("#verdict").await.starts_with("Genuine"));

    // An image of the code, uploaded; after the issuer revoked the result.
    let revoke = json!({"kind": "revoke", "reason": "Cấp sai"});
    change_status(
        &app,
        &issuer,
        RESULT,
        revoke,
        chrono::Utc::now().timestamp(),
    )
    .await;
    browser.goto(&app.url("/verify")).await.unwrap();
    browser
        .find(Locator::Css("#image"))
        .await
        .unwrap()
        .send_keys(image.to_str().unwrap())
        .await
        .unwrap();
    browser
        .find(Locator::Css("#check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(chromium.text("#result-code").await, RESULT);
    assert_eq!(chromium.text("#status").await, "Revoked");

    // One character altered: refused, with the reason, and nothing of the seal shown.
    browser.goto(&app.url("/verify")).await.unwrap();
    browser
        .find(Locator::Css("#seal"))
        .await
        .unwrap()
        .send_keys(&altered(&token, token.len() / 2))
        .await
        .unwrap();
    browser
        .find(Locator::Css("#check"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(chromium.text("#reason").await.contains("signature"));
    assert!(!chromium.has("#offline").await);
    chromium.quit().await;
}

on_both_backends!(a_person_checks_a_seal_on_the_verify_page_in_a_browser);
