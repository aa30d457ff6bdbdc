//! Portals and issuers are registered by the operator and prove who they are with
//! private_key_jwt (replays refused across processes) or an Argon2id-hashed secret.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::TestApp;

const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// A client's signing key and its public JWK.
struct ClientKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

fn client_key(kid: &str) -> ClientKey {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref().to_vec(); // 0x04 ‖ x ‖ y
    let jwk = json!({"kty": "EC", "crv": "P-256", "kid": kid, "use": "sig", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])});
    ClientKey {
        kid: kid.to_owned(),
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk,
    }
}

fn register(app: &TestApp, args: &[&str]) -> Value {
    let mut all = vec![
        "client",
        "add",
        "--name",
        "Cổng dịch vụ công",
        "--agency-code",
        "000.00.00.H49",
        "--role",
        "portal",
        "--redirect-uri",
        "https://portal.example/cb",
    ];
    all.extend_from_slice(args);
    let out = app.kho(&all);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn register_jwks(app: &TestApp, key: &ClientKey) -> String {
    let path = app.dir.path().join(format!("{}.jwks", key.kid));
    std::fs::write(&path, json!({"keys": [key.jwk]}).to_string()).unwrap();
    register(app, &["--jwks", path.to_str().unwrap()])["client_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn assertion(key: &ClientKey, client_id: &str, aud: &str, exp_in: i64, jti: &str) -> String {
    let now = chrono::Utc::now().timestamp();
    let claims = json!({"iss": client_id, "sub": client_id, "aud": aud, "iat": now, "exp": now + exp_in, "jti": jti});
    let header = Header {
        kid: Some(key.kid.clone()),
        ..Header::new(Algorithm::ES256)
    };
    encode(&header, &claims, &key.encoding).unwrap()
}

async fn introspect_with(
    base: &str,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (StatusCode, Value, Option<String>) {
    let mut request = reqwest::Client::new()
        .post(format!("{base}/oauth/introspect"))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_owned());
    (status, response.json().await.unwrap(), challenge)
}

async fn with_assertion(base: &str, jwt: &str) -> (StatusCode, Value) {
    let (status, body, _) = introspect_with(
        base,
        &[
            ("token", "t"),
            ("client_assertion_type", JWT_BEARER),
            ("client_assertion", jwt),
        ],
        None,
    )
    .await;
    (status, body)
}

async fn a_valid_client_assertion_is_accepted_once_in_every_process(app: TestApp) {
    let key = client_key("portal-key-1");
    let client_id = register_jwks(&app, &key);
    let jwt = assertion(&key, &client_id, &app.base, 60, "jti-1");
    assert_eq!(
        with_assertion(&app.base, &jwt).await,
        (StatusCode::OK, json!({"active": false}))
    );
    assert_eq!(
        with_assertion(&app.base, &jwt).await.0,
        StatusCode::UNAUTHORIZED,
        "a replayed jti"
    );
    let other = app.second_process().await;
    assert_eq!(
        with_assertion(&other.base, &jwt).await.0,
        StatusCode::UNAUTHORIZED,
        "a jti replayed to another process"
    );
    let fresh = assertion(
        &key,
        &client_id,
        &format!("{}/oauth/introspect", app.base),
        60,
        "jti-2",
    );
    assert_eq!(
        with_assertion(&other.base, &fresh).await.0,
        StatusCode::OK,
        "the endpoint URL is an accepted audience too"
    );
}

async fn wrong_audience_expired_long_lived_and_unknown_key_assertions_are_refused(app: TestApp) {
    let key = client_key("portal-key-1");
    let client_id = register_jwks(&app, &key);
    let stranger = client_key("portal-key-1"); // same kid, another key
    let cases = [
        ("wrong aud", assertion(&key, &client_id, "https://someone-else.example", 60, "a")),
        ("expired", assertion(&key, &client_id, &app.base, -120, "b")),
        ("lives an hour", assertion(&key, &client_id, &app.base, 3600, "c")),
        ("unknown key", assertion(&stranger, &client_id, &app.base, 60, "d")),
        ("another client's id", assertion(&key, "portal-000000000000000000000000", &app.base, 60, "e")),
        ("garbage", "not.a.jwt".to_owned()),
        ("alg none", format!("{}.{}.", URL_SAFE_NO_PAD.encode(r#"{"alg":"none"}"#), URL_SAFE_NO_PAD.encode(json!({"iss": client_id, "sub": client_id, "aud": app.base, "exp": chrono::Utc::now().timestamp() + 60, "jti": "n"}).to_string()))),
        ("HS256 keyed with the public key", {
            let public = serde_json::to_vec(&key.jwk).unwrap();
            let header = Header { kid: Some(key.kid.clone()), ..Header::new(Algorithm::HS256) };
            let now = chrono::Utc::now().timestamp();
            encode(&header, &json!({"iss": client_id, "sub": client_id, "aud": app.base, "exp": now + 60, "jti": "h"}), &EncodingKey::from_secret(&public)).unwrap()
        }),
    ];
    for (what, jwt) in cases {
        let (status, body) = with_assertion(&app.base, &jwt).await;
        assert_eq!(
            (status, body),
            (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"})),
            "{what}"
        );
    }
    // The client itself still authenticates after all those refusals.
    assert_eq!(
        with_assertion(&app.base, &assertion(&key, &client_id, &app.base, 60, "f"))
            .await
            .0,
        StatusCode::OK
    );
    assert!(app.kho(&["client", "disable", &client_id]).status.success());
    assert_eq!(
        with_assertion(&app.base, &assertion(&key, &client_id, &app.base, 60, "g"))
            .await
            .0,
        StatusCode::UNAUTHORIZED,
        "disabled"
    );
}

async fn a_client_may_publish_its_keys_at_a_url(app: TestApp) {
    let key = client_key("published-key");
    let jwks = json!({"keys": [key.jwk]});
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/jwks.json", listener.local_addr().unwrap());
    let router = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || async move { axum::Json(jwks) }),
    );
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    let client_id = register(&app, &["--jwks-uri", &url])["client_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        with_assertion(&app.base, &assertion(&key, &client_id, &app.base, 60, "u1"))
            .await
            .0,
        StatusCode::OK
    );
    let stranger = client_key("published-key");
    assert_eq!(
        with_assertion(
            &app.base,
            &assertion(&stranger, &client_id, &app.base, 60, "u2")
        )
        .await
        .0,
        StatusCode::UNAUTHORIZED
    );
}

async fn a_wrong_secret_and_an_unknown_client_get_identical_answers(app: TestApp) {
    let registered = register(&app, &["--secret"]);
    let client_id = registered["client_id"].as_str().unwrap();
    let secret = registered["client_secret"].as_str().unwrap();
    assert!(secret.len() >= 43, "at least 256 bits");
    assert_eq!(
        introspect_with(&app.base, &[("token", "t")], Some((client_id, secret)))
            .await
            .0,
        StatusCode::OK
    );
    assert_eq!(
        introspect_with(
            &app.base,
            &[
                ("token", "t"),
                ("client_id", client_id),
                ("client_secret", secret)
            ],
            None
        )
        .await
        .0,
        StatusCode::OK
    );
    let wrong = introspect_with(
        &app.base,
        &[("token", "t")],
        Some((client_id, "wrong-secret")),
    )
    .await;
    let unknown = introspect_with(
        &app.base,
        &[("token", "t")],
        Some(("portal-unknown", secret)),
    )
    .await;
    assert_eq!(wrong.0, StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong, unknown,
        "the answers must not tell which clients exist"
    );
    let listed = String::from_utf8(app.kho(&["client", "list"]).stdout).unwrap();
    assert!(
        listed.contains(client_id) && !listed.contains(secret) && !listed.contains("argon2"),
        "{listed}"
    );
}

async fn exactly_one_authentication_method_is_required(app: TestApp) {
    let registered = register(&app, &["--secret"]);
    let (id, secret) = (
        registered["client_id"].as_str().unwrap(),
        registered["client_secret"].as_str().unwrap(),
    );
    let (status, body, _) = introspect_with(
        &app.base,
        &[("token", "t"), ("client_id", id), ("client_secret", secret)],
        Some((id, secret)),
    )
    .await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let (status, body, _) = introspect_with(&app.base, &[("token", "t")], None).await;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
}

async fn the_register_refuses_private_keys_and_insecure_redirects(app: TestApp) {
    let mut key = client_key("k").jwk;
    key["d"] = json!("c2VjcmV0");
    let path = app.dir.path().join("private.jwks");
    std::fs::write(&path, json!({"keys": [key]}).to_string()).unwrap();
    let out = app.kho(&[
        "client",
        "add",
        "--name",
        "X",
        "--agency-code",
        "000.00.00.H49",
        "--role",
        "issuer",
        "--jwks",
        path.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("private key"));
    let out = app.kho(&[
        "client",
        "add",
        "--name",
        "X",
        "--agency-code",
        "000.00.00.H49",
        "--role",
        "portal",
        "--redirect-uri",
        "http://portal.example/cb",
        "--secret",
    ]);
    assert!(!out.status.success());
    let out = app.kho(&[
        "client",
        "add",
        "--name",
        "X",
        "--agency-code",
        "000.00.00.H49",
        "--role",
        "portal",
        "--jwks-uri",
        "http://keys.example/jwks",
    ]);
    assert!(
        !out.status.success(),
        "keys over plain http could be swapped on the way"
    );
    let out = app.kho(&[
        "client",
        "add",
        "--name",
        "X",
        "--agency-code",
        "H49",
        "--role",
        "portal",
        "--secret",
    ]);
    assert!(!out.status.success(), "a malformed agency code");
    assert_eq!(
        String::from_utf8(app.kho(&["client", "list"]).stdout)
            .unwrap()
            .trim(),
        "[]"
    );
}

on_both_backends!(
    a_valid_client_assertion_is_accepted_once_in_every_process,
    wrong_audience_expired_long_lived_and_unknown_key_assertions_are_refused,
    a_client_may_publish_its_keys_at_a_url,
    a_wrong_secret_and_an_unknown_client_get_identical_answers,
    exactly_one_authentication_method_is_required,
    the_register_refuses_private_keys_and_insecure_redirects
);

async fn a_deployment_can_require_private_key_jwt(app: TestApp) {
    let registered = register(&app, &["--secret"]);
    let (id, secret) = (
        registered["client_id"].as_str().unwrap(),
        registered["client_secret"].as_str().unwrap(),
    );
    let (status, body, _) = introspect_with(&app.base, &[("token", "t")], Some((id, secret))).await;
    assert_eq!(
        (status, body),
        (StatusCode::UNAUTHORIZED, json!({"error": "invalid_client"})),
        "a correct secret is refused"
    );
    let key = client_key("k1");
    let client_id = register_jwks(&app, &key);
    assert_eq!(
        with_assertion(&app.base, &assertion(&key, &client_id, &app.base, 60, "j"))
            .await
            .0,
        StatusCode::OK
    );
}

on_both_backends!(spawn = spawn_app_requiring_private_key_jwt; a_deployment_can_require_private_key_jwt);
