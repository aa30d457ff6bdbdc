//! Public verification: genuine, unknown or mismatch, the status and its time, the issuing
//! agency and the dates — nothing personal — with a receipt signed by the store, and a limit
//! per client address.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::issued::{AGENCY, RESULT, change_status, metadata, push, register_issuer, sign};
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len};

async fn verify_hash(app: &TestApp, code: &str, sha256: &str) -> reqwest::Response {
    app.anonymous()
        .post(app.url("/v1/verify"))
        .json(&json!({"result_code": code, "sha256": sha256}))
        .send()
        .await
        .unwrap()
}

async fn verify_file(app: &TestApp, code: &str, content: Vec<u8>) -> Value {
    let form = reqwest::multipart::Form::new()
        .text("result_code", code.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(content).file_name("kq.pdf"),
        );
    let response = app
        .anonymous()
        .post(app.url("/v1/verify"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

async fn receipt_claims(app: &TestApp, receipt: &str) -> Value {
    let jwks: JwkSet = app
        .anonymous()
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(receipt).unwrap();
    assert_eq!(header.typ.as_deref(), Some("kho-verification+jwt"));
    let key = DecodingKey::from_jwk(jwks.find(header.kid.as_deref().unwrap()).unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::ES256);
    validation.required_spec_claims.clear();
    validation.validate_exp = false;
    jsonwebtoken::decode::<Value>(receipt, &key, &validation)
        .unwrap()
        .claims
}

async fn anyone_can_check_a_result_and_learns_nothing_personal(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(3000);
    push(
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
    let sha256 = hex::encode(Sha256::digest(&content));

    let answer: Value = verify_hash(&app, RESULT, &sha256)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(answer["verdict"], "genuine");
    assert_eq!(answer["status"], "valid");
    assert_eq!(answer["issuing_agency"], AGENCY);
    assert_eq!(answer["issue_date"], "2026-11-20");
    let text = answer.to_string();
    for personal in [
        "035199000123",
        "Giấy chứng nhận kết hôn",
        "123/2026",
        "owner",
        "title",
    ] {
        assert!(!text.contains(personal), "{personal} in {text}");
    }
    let claims = receipt_claims(&app, answer["receipt"].as_str().unwrap()).await;
    assert_eq!(claims["verdict"], "genuine");
    assert_eq!(claims["result_code"], RESULT);

    assert_eq!(
        verify_file(&app, RESULT, content.clone()).await["verdict"],
        "genuine"
    );
    assert_eq!(
        verify_file(&app, RESULT, pdf_of_len(3001)).await["verdict"],
        "mismatch"
    );
    let unknown: Value = verify_hash(&app, "000.00.00.H49-261120-0099-KQ1", &sha256)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unknown["verdict"], "unknown");
    assert_eq!(
        verify_hash(&app, "not-a-code", &sha256).await.status(),
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        verify_hash(&app, RESULT, "abc").await.status(),
        StatusCode::BAD_REQUEST
    );

    // Revoked: the public answer says so, with the time.
    let revoke =
        json!({"kind": "revoke", "reason": "Cấp sai", "effective_at": "2026-11-21T08:00:00Z"});
    let changed = change_status(
        &app,
        &issuer,
        RESULT,
        revoke,
        chrono::Utc::now().timestamp(),
    )
    .await;
    assert_eq!(changed.status(), StatusCode::OK);
    let after: Value = verify_hash(&app, RESULT, &sha256)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after["status"], "revoked");
    assert_eq!(after["status_changed_at"], "2026-11-21T08:00:00Z");
}

on_both_backends!(anyone_can_check_a_result_and_learns_nothing_personal);

async fn public_verification_is_limited_per_address(app: TestApp) {
    let sha256 = "0".repeat(64);
    for _ in 0..3 {
        assert_eq!(
            verify_hash(&app, RESULT, &sha256).await.status(),
            StatusCode::OK
        );
    }
    let limited = verify_hash(&app, RESULT, &sha256).await;
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
}

/// Finding 5 of the review: an address in `X-Forwarded-For` counts only from a trusted proxy.
async fn forwarded_addresses_are_ignored_from_anyone_but_a_trusted_proxy(app: TestApp) {
    let sha256 = "0".repeat(64);
    let from = |client: &'static str| {
        app.anonymous()
            .post(app.url("/v1/verify"))
            .header("x-forwarded-for", client)
            .json(&json!({"result_code": RESULT, "sha256": sha256}))
            .send()
    };
    for client in ["198.51.100.1", "198.51.100.2", "198.51.100.3"] {
        assert_eq!(from(client).await.unwrap().status(), StatusCode::OK);
    }
    let limited = from("198.51.100.4").await.unwrap();
    assert_eq!(
        limited.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "one bucket: the peer's, whatever the header says"
    );
}

/// Finding 5: behind a trusted proxy each client has its own limit — on verification, on the
/// OAuth endpoints and on the sign-in routes — and over it gets 429 with Retry-After.
async fn behind_a_trusted_proxy_each_client_has_its_own_limit(app: TestApp) {
    let sha256 = "0".repeat(64);
    let verify = |client: &'static str| {
        app.anonymous()
            .post(app.url("/v1/verify"))
            .header("x-forwarded-for", format!("{client}, 127.0.0.1"))
            .json(&json!({"result_code": RESULT, "sha256": sha256}))
            .send()
    };
    for _ in 0..3 {
        assert_eq!(
            verify("198.51.100.1").await.unwrap().status(),
            StatusCode::OK
        );
    }
    let limited = verify("198.51.100.1").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(limited.headers().contains_key("retry-after"));
    assert_eq!(
        verify("198.51.100.2").await.unwrap().status(),
        StatusCode::OK
    );

    for (path, over) in [
        ("/oauth/par", "203.0.113.1"),
        ("/dev/sign-in", "203.0.113.2"),
    ] {
        let ask = || {
            app.anonymous()
                .post(app.url(path))
                .header("forwarded", format!("for={over}"))
                .form(&[("identifier", "not-an-id")])
                .send()
        };
        for _ in 0..3 {
            let answered = ask().await.unwrap().status();
            assert_ne!(answered, StatusCode::TOO_MANY_REQUESTS, "{path}");
        }
        let limited = ask().await.unwrap();
        assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS, "{path}");
        assert!(limited.headers().contains_key("retry-after"), "{path}");
    }
}

on_both_backends!(spawn = spawn_app_with_low_verify_limit; public_verification_is_limited_per_address, forwarded_addresses_are_ignored_from_anyone_but_a_trusted_proxy);
on_both_backends!(spawn = spawn_app_behind_a_proxy_with_low_limits; behind_a_trusted_proxy_each_client_has_its_own_limit);

async fn an_official_names_a_case_and_the_owner_sees_the_look_up(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(2500);
    let mut named = metadata(RESULT);
    named["owner_name"] = json!("Nguyễn Thị Hà");
    push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &named, &content),
        content.clone(),
    )
    .await;
    let sha256 = hex::encode(Sha256::digest(&content));

    let browser = crate::support::browser::browser();
    crate::support::browser::login(&app, &browser, "official").await;
    let official = crate::support::OwnerClient::from_session(&app, browser).await;
    let ask = |who: &crate::support::OwnerClient, body: Value| {
        who.client
            .post(who.url("/v1/official/verify"))
            .header("x-csrf-token", &who.csrf)
            .json(&body)
            .send()
    };
    let without_case = ask(&official, json!({"result_code": RESULT, "sha256": sha256}))
        .await
        .unwrap();
    assert_eq!(without_case.status(), StatusCode::BAD_REQUEST);
    let answer = ask(
        &official,
        json!({"result_code": RESULT, "sha256": sha256, "case_ref": "HS-2026-001"}),
    )
    .await
    .unwrap();
    assert_eq!(answer.status(), StatusCode::OK);
    let answer: Value = answer.json().await.unwrap();
    assert_eq!(answer["verdict"], "genuine");
    assert_eq!(answer["owner"], "035199000123");
    assert_eq!(answer["owner_name"], "Nguyễn Thị Hà");
    assert_eq!(answer["document_type"], "marriage-certificate");

    let other_content = hex::encode(Sha256::digest(pdf_of_len(2501)));
    let mismatch: Value = ask(
        &official,
        json!({"result_code": RESULT, "sha256": other_content, "case_ref": "HS-2026-001"}),
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(mismatch["verdict"], "mismatch");
    assert!(
        mismatch["owner"].is_null(),
        "a result code alone reveals nobody"
    );

    let citizen = app.sign_in("001099000002").await;
    let refused = ask(
        &citizen,
        json!({"result_code": RESULT, "sha256": sha256, "case_ref": "x"}),
    )
    .await
    .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN, "officials only");

    let owner = app.sign_in("035199000123").await;
    let log: Value = owner.get("/v1/me/access-log").await.json().await.unwrap();
    let entries = log["entries"].as_array().unwrap();
    assert_eq!(
        entries.len(),
        1,
        "the refused look-up without a case left nothing: {entries:?}"
    );

    // At the counter: the official checks an uploaded copy against its original.
    let uploaded = owner
        .upload_ok("diploma", "Bằng tốt nghiệp", pdf_of_len(800))
        .await;
    let seal_path = format!("/v1/me/documents/{uploaded}/seal");
    assert_eq!(
        owner.get(&seal_path).await.status(),
        StatusCode::CONFLICT,
        "not sealed before an official checks it"
    );
    let mark = |body: Value| {
        official
            .client
            .post(official.url("/v1/official/documents/verified"))
            .header("x-csrf-token", &official.csrf)
            .json(&body)
            .send()
    };
    let no_case = mark(json!({"owner": "035199000123", "document": uploaded, "method": "bản gốc"}))
        .await
        .unwrap();
    assert_eq!(no_case.status(), StatusCode::BAD_REQUEST);
    let marked = mark(json!({"owner": "035199000123", "document": uploaded,
        "method": "Đối chiếu bản gốc tại quầy", "case_ref": "HS-2026-002"}))
    .await
    .unwrap();
    assert_eq!(marked.status(), StatusCode::OK);
    let mine: Value = owner
        .get(&format!("/v1/me/documents/{uploaded}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["verification"], "verified");
    // Finding 4: the document (as owners and portals get it) names no official; the log does.
    assert!(mine["provenance"].get("verified_by").is_none());
    assert!(!mine.to_string().contains("001099000001"), "{mine}");
    assert_eq!(mine["provenance"]["method"], "Đối chiếu bản gốc tại quầy");
    let sealed: Value = owner.get(&seal_path).await.json().await.unwrap();
    assert_eq!(
        sealed["kind"], "verified_copy",
        "a checked copy gets a seal"
    );
    // An issued result is vouched for by its issuer: an official does not mark it.
    let issued = owner.list("").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["source"] == "issued")
        .unwrap()["id"]
        .clone();
    let refused = mark(json!({"owner": "035199000123", "document": issued, "method": "x", "case_ref": "HS-2026-003"})).await.unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
    let log: Value = owner.get("/v1/me/access-log").await.json().await.unwrap();
    assert_eq!(log["entries"][0]["case"], "HS-2026-002");
    assert_eq!(log["entries"][0]["action"], "official_mark_verified");
    assert_eq!(entries[0]["actor"]["kind"], "official");
    assert_eq!(entries[0]["actor"]["person"], "001099000001");
    assert_eq!(entries[0]["case"], "HS-2026-001");
    let told = crate::notices::told(&app, "035199000123").await;
    assert_eq!(
        told.iter().filter(|k| **k == "official_lookup").count(),
        2,
        "the owner is told of the look-up and of the check: {told:?}"
    );
}

on_both_backends!(spawn = spawn_app_with_provider; an_official_names_a_case_and_the_owner_sees_the_look_up);
