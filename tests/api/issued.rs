//! Issuers push signed results into owners' stores: checked signature (a registered key of
//! that issuer, over this metadata and this content), the issuer's own agency, every code;
//! idempotent on the result code; nothing stored when refused.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::on_both_backends;
use crate::support::portal::{Portal, consent_by_redirect};
use crate::support::{TestApp, pdf_of_len};

pub(crate) const OWNER: &str = "035199000123";
pub(crate) const AGENCY: &str = "000.00.00.H49";
pub(crate) const RESULT: &str = "000.00.00.H49-261120-0007-KQ1";

pub(crate) struct Issuer {
    pub(crate) client_id: String,
    pub(crate) kid: String,
    pub(crate) encoding: EncodingKey,
}

pub(crate) fn key(kid: &str) -> (EncodingKey, Value) {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let p = pair.public_key().as_ref().to_vec();
    let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65])});
    (EncodingKey::from_ec_der(pkcs8.as_ref()), jwk)
}

pub(crate) fn register_issuer(app: &TestApp, kid: &str, agency: &str) -> Issuer {
    let (encoding, jwk) = key(kid);
    let path = app.dir.path().join(format!("{kid}.jwks"));
    std::fs::write(&path, json!({"keys": [jwk]}).to_string()).unwrap();
    let out = app.kho(&[
        "client",
        "add",
        "--name",
        "Sở Tư pháp",
        "--agency-code",
        agency,
        "--role",
        "issuer",
        "--jwks",
        path.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let created: Value = serde_json::from_slice(&out.stdout).unwrap();
    Issuer {
        client_id: created["client_id"].as_str().unwrap().to_owned(),
        kid: kid.to_owned(),
        encoding,
    }
}

pub(crate) fn metadata(result_code: &str) -> Value {
    json!({
        "owner": OWNER, "type": "marriage-certificate", "title": "Giấy chứng nhận kết hôn", "number": "123/2026",
        "issuing_agency": AGENCY, "issue_date": "2026-11-20", "valid_until": null,
        "dossier": &result_code[..result_code.len() - 4], "result_code": result_code, "procedure": "1.001193",
    })
}

pub(crate) fn sign(
    app: &TestApp,
    signer: &Issuer,
    iss: &str,
    document: &Value,
    content: &[u8],
) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(signer.kid.clone());
    let claims = json!({"iss": iss, "aud": app.base, "iat": chrono::Utc::now().timestamp(),
        "document": document, "sha256": hex::encode(Sha256::digest(content))});
    jsonwebtoken::encode(&header, &claims, &signer.encoding).unwrap()
}

pub(crate) async fn push(app: &TestApp, signed: &str, content: Vec<u8>) -> (StatusCode, Value) {
    let form = reqwest::multipart::Form::new()
        .text("signed", signed.to_owned())
        .part(
            "file",
            reqwest::multipart::Part::bytes(content).file_name("kq.pdf"),
        );
    let response = app
        .anonymous()
        .post(app.url("/v1/issuer/documents"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

/// Posts a status statement for `result_code`, signed by `who` at `iat` (seconds).
pub(crate) async fn change_status(
    app: &TestApp,
    who: &Issuer,
    result_code: &str,
    change: Value,
    iat: i64,
) -> reqwest::Response {
    let mut header = Header::new(Algorithm::ES256);
    header.kid = Some(who.kid.clone());
    let claims = json!({"iss": who.client_id, "aud": app.base, "iat": iat,
        "result_code": result_code, "change": change});
    let signed = jsonwebtoken::encode(&header, &claims, &who.encoding).unwrap();
    app.anonymous()
        .post(app.url("/v1/issuer/status"))
        .json(&json!({"signed": signed}))
        .send()
        .await
        .unwrap()
}

/// How many owners' stores exist.
/// An issuer registered as `kid` pushes `RESULT` for `OWNER`; the stored document's id.
pub(crate) async fn issued_result(app: &TestApp, kid: &str) -> String {
    let issuer = register_issuer(app, kid, AGENCY);
    let content = pdf_of_len(3000);
    let signed = sign(app, &issuer, &issuer.client_id, &metadata(RESULT), &content);
    let (status, pushed) = push(app, &signed, content).await;
    assert_eq!(status, StatusCode::CREATED, "{pushed}");
    pushed["id"].as_str().unwrap().to_owned()
}

pub(crate) async fn owner_stores(app: &TestApp) -> u64 {
    use sea_orm::{EntityTrait, PaginatorTrait};
    kho::storage::entities::owners::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap()
}

pub(crate) async fn stored_under(app: &TestApp, result_code: &str) -> usize {
    use kho::storage::entities::documents;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    documents::Entity::find()
        .filter(documents::Column::ResultCode.eq(result_code))
        .all(&app.state.db)
        .await
        .unwrap()
        .len()
}

async fn a_pushed_result_waits_for_an_owner_who_never_signed_in(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(5000);
    let signed = sign(
        &app,
        &issuer,
        &issuer.client_id,
        &metadata(RESULT),
        &content,
    );
    let (status, pushed) = push(&app, &signed, content.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{pushed}");
    assert_eq!(pushed["result_code"], RESULT);
    assert!(
        pushed.get("owner").is_none(),
        "nothing of the owner's goes back to the issuer"
    );

    let owner = app.sign_in(OWNER).await;
    let list = owner.list("").await;
    let doc = &list["items"][0];
    assert_eq!(doc["id"], pushed["id"]);
    assert_eq!(doc["source"], "issued");
    assert_eq!(doc["result_code"], RESULT);
    assert_eq!(doc["issuing_agency"], AGENCY);
    assert_eq!(doc["title"], "Giấy chứng nhận kết hôn");
    assert_eq!(
        owner.download(doc["id"].as_str().unwrap()).await.unwrap(),
        content
    );
}

/// Finding 1 of the review: a refused push with a large file is answered, every time — the
/// issuer can tell a refusal from a network failure.
async fn a_refused_push_is_answered_not_reset(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    // Larger than the loopback's socket buffers absorb unread. (The reset the review saw did not
    // reproduce here with this client before the fix; the test pins the answer all the same.)
    let content = pdf_of_len(8 * 1024 * 1024);
    let mut foreign = metadata(RESULT);
    foreign["issuing_agency"] = json!("000.00.00.H55");
    let signed = sign(&app, &issuer, &issuer.client_id, &foreign, &content);
    for attempt in 0..8 {
        let (status, body) = push(&app, &signed, content.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "attempt {attempt}: {body}");
    }
}

/// Finding 17 of the review: a statement with the longest fields the metadata allows is taken.
async fn a_push_with_the_longest_fields_allowed_is_stored(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(700);
    let mut long = metadata(RESULT);
    // 4-byte characters: the largest a field of these lengths can be.
    long["title"] = json!("𝔸".repeat(500));
    long["owner_name"] = json!("𝔹".repeat(200));
    long["number"] = json!("𝟙".repeat(100));
    let signed = sign(&app, &issuer, &issuer.client_id, &long, &content);
    assert!(
        signed.len() > 4096,
        "longer than the old cap: {}",
        signed.len()
    );
    let (status, pushed) = push(&app, &signed, content).await;
    assert_eq!(status, StatusCode::CREATED, "{pushed}");
}

async fn the_same_push_twice_is_one_document_and_other_content_is_a_conflict(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(3000);
    let signed = sign(
        &app,
        &issuer,
        &issuer.client_id,
        &metadata(RESULT),
        &content,
    );
    let (first, a) = push(&app, &signed, content.clone()).await;
    let (second, b) = push(&app, &signed, content.clone()).await;
    assert_eq!((first, second), (StatusCode::CREATED, StatusCode::OK));
    assert_eq!(a["id"], b["id"]);
    assert_eq!(b["created"], false);
    let other = pdf_of_len(3001);
    let signed_other = sign(&app, &issuer, &issuer.client_id, &metadata(RESULT), &other);
    let (conflict, _) = push(&app, &signed_other, other).await;
    assert_eq!(conflict, StatusCode::CONFLICT);
    assert_eq!(stored_under(&app, RESULT).await, 1);
}

async fn a_push_not_signed_by_the_issuer_over_this_content_stores_nothing(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let other_issuer = register_issuer(&app, "congan-1", "000.00.00.H55");
    let content = pdf_of_len(2000);
    let meta = metadata(RESULT);

    // A key nobody registered, claiming to be the issuer.
    let (stranger_key, _) = key("tuphap-1");
    let stranger = Issuer {
        client_id: issuer.client_id.clone(),
        kid: "tuphap-1".into(),
        encoding: stranger_key,
    };
    let (status, _) = push(
        &app,
        &sign(&app, &stranger, &issuer.client_id, &meta, &content),
        content.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an unregistered key");
    // Another issuer's key, claiming to be this issuer.
    let borrowed = Issuer {
        client_id: issuer.client_id.clone(),
        kid: "congan-1".into(),
        encoding: other_issuer.encoding,
    };
    let (status, _) = push(
        &app,
        &sign(&app, &borrowed, &issuer.client_id, &meta, &content),
        content.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "another issuer's key");
    // Signed over other content.
    let signed = sign(&app, &issuer, &issuer.client_id, &meta, &pdf_of_len(2001));
    let (status, body) = push(&app, &signed, content.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // Another agency's result.
    let mut foreign = meta.clone();
    foreign["issuing_agency"] = json!("000.00.00.H55");
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &foreign, &content),
        content.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "another agency's result");
    // Finding 3: another agency's dossier, even under the issuer's own agency code.
    let mut claimed = metadata("000.00.00.H55-261120-0001-KQ1");
    claimed["issuing_agency"] = json!(AGENCY);
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &claimed, &content),
        content.clone(),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "a result code of a dossier another agency received"
    );
    // A result code that is not the dossier's, and a type outside the catalogue.
    let mut mismatched = meta.clone();
    mismatched["dossier"] = json!("000.00.00.H49-261120-0008");
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &mismatched, &content),
        content.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let mut untyped = meta.clone();
    untyped["type"] = json!("banana");
    let (status, _) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &untyped, &content),
        content.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Finding 22: a well-signed push whose form gives `file` twice.
    let signed = sign(&app, &issuer, &issuer.client_id, &meta, &content);
    let file = || reqwest::multipart::Part::bytes(content.clone()).file_name("kq.pdf");
    let twice = reqwest::multipart::Form::new()
        .text("signed", signed)
        .part("file", file())
        .part("file", file());
    let response = app
        .anonymous()
        .post(app.url("/v1/issuer/documents"))
        .multipart(twice)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST, "`file` twice");

    assert_eq!(stored_under(&app, RESULT).await, 0, "nothing stored");
    assert_eq!(
        owner_stores(&app).await,
        0,
        "no store made for the owner who never signed in"
    );
    let stored = app.everything_stored().await;
    assert!(stored.is_empty(), "no blob left behind: {stored:?}");
}

async fn a_revoked_result_stays_visible_and_its_content_stops_reaching_portals(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let content = pdf_of_len(4000);
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
    let id = pushed["id"].as_str().unwrap().to_owned();
    let owner = app.sign_in(OWNER).await;
    let portal = Portal::register(&app);
    let granted = consent_by_redirect(
        &app,
        &portal,
        &owner,
        &["marriage-certificate"],
        "until_expiry",
        &[&id],
    )
    .await;
    let token = granted["access_token"].as_str().unwrap();
    let content_path = format!("/v1/shared/documents/{id}/content");
    assert_eq!(
        portal.fetch(&content_path, token).await.status(),
        StatusCode::OK
    );

    let revoke = json!({"kind": "revoke", "reason": "Cấp sai thông tin"});
    let now = chrono::Utc::now().timestamp();
    let other = register_issuer(&app, "congan-1", "000.00.00.H55");
    let foreign = change_status(&app, &other, RESULT, revoke.clone(), now).await;
    assert_eq!(
        foreign.status(),
        StatusCode::NOT_FOUND,
        "another issuer's result"
    );
    let revoked = change_status(&app, &issuer, RESULT, revoke.clone(), now).await;
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.unwrap();
    assert_eq!(revoked["status"], "revoked");
    let again: Value = change_status(&app, &issuer, RESULT, revoke, now + 1)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        again["status_changed_at"], revoked["status_changed_at"],
        "the first revocation stands"
    );

    // Still stored and visible, with its status and time, to the owner and to the portal.
    let mine: Value = owner
        .get(&format!("/v1/me/documents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["status"], "revoked");
    let theirs: Value = portal
        .fetch(&format!("/v1/shared/documents/{id}"), token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["status"], "revoked");
    // But its content no longer reaches the portal, which is told why.
    let refused = portal.fetch(&content_path, token).await;
    assert_eq!(refused.status(), StatusCode::GONE);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["type"], "urn:kho:problem:document-revoked");
    assert!(problem["detail"].as_str().unwrap().contains("revoked"));
}

async fn a_new_version_supersedes_the_old_which_stays_visible(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let first = pdf_of_len(1500);
    let (_, old) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &metadata(RESULT), &first),
        first,
    )
    .await;
    let second = pdf_of_len(1600);
    let newer = "000.00.00.H49-261120-0007-KQ2";
    let mut meta = metadata(newer);
    meta["supersedes"] = json!(RESULT);
    let (status, new) = push(
        &app,
        &sign(&app, &issuer, &issuer.client_id, &meta, &second),
        second.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{new}");
    let owner = app.sign_in(OWNER).await;
    let old_view: Value = owner
        .get(&format!("/v1/me/documents/{}", old["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(old_view["status"], "superseded");
    let new_view: Value = owner
        .get(&format!("/v1/me/documents/{}", new["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(new_view["status"], "valid");
    // Another issuer's result cannot be superseded.
    let other = register_issuer(&app, "congan-1", "000.00.00.H55");
    let mut foreign = metadata("000.00.00.H55-261120-0001-KQ1");
    foreign["issuing_agency"] = json!("000.00.00.H55");
    foreign["supersedes"] = json!(newer);
    let (status, _) = push(
        &app,
        &sign(&app, &other, &other.client_id, &foreign, &second),
        second,
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let still: Value = owner
        .get(&format!("/v1/me/documents/{}", new["id"].as_str().unwrap()))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(still["status"], "valid");
}

on_both_backends!(
    a_pushed_result_waits_for_an_owner_who_never_signed_in,
    a_push_with_the_longest_fields_allowed_is_stored,
    a_refused_push_is_answered_not_reset,
    the_same_push_twice_is_one_document_and_other_content_is_a_conflict,
    a_push_not_signed_by_the_issuer_over_this_content_stores_nothing,
    a_revoked_result_stays_visible_and_its_content_stops_reaching_portals,
    a_new_version_supersedes_the_old_which_stays_visible
);
