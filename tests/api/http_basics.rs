//! Health, readiness, the OpenAPI document, errors for unknown routes, and security headers.

use crate::support::TestApp;
use reqwest::StatusCode;
use sea_orm::QueryFilter;
use serde_json::Value;

use crate::on_both_backends;

async fn health_and_readiness_answer(app: TestApp) {
    let client = app.anonymous();
    assert_eq!(
        client
            .get(app.url("/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    assert_eq!(
        client
            .get(app.url("/readyz"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
}

/// `/readyz` asks the blob store too: a process whose S3 service does not answer is not ready.
async fn readiness_needs_the_blob_store_too(app: TestApp) {
    let process = app.process_with(app.settings_with_unreachable_s3()).await;
    let started = std::time::Instant::now();
    let response = app
        .anonymous()
        .get(process.url("/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["type"], "urn:kho:problem:unavailable");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "answered within seconds, not after minutes of retries"
    );
}

async fn the_openapi_document_describes_every_v1_route(app: TestApp) {
    let doc: Value = app
        .anonymous()
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let paths = doc["paths"].as_object().unwrap();
    for (path, methods) in [
        ("/v1/me", &["get", "delete"][..]),
        ("/v1/me/sign-out", &["post"]),
        ("/v1/me/documents", &["get", "post"]),
        ("/v1/me/documents/{id}", &["get", "patch", "delete"]),
        ("/v1/me/documents/{id}/content", &["get"]),
        ("/v1/me/mandates", &["get"]),
        ("/v1/me/act-as", &["post"]),
        ("/v1/me/access-log", &["get"]),
    ] {
        for method in methods {
            assert!(
                paths[path][method].is_object(),
                "{method} {path} is not described"
            );
        }
    }
    // Finding 20: what a client (or schemathesis) needs to call each route from the document.
    for (path, item) in paths {
        let names: Vec<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
            .collect();
        for (method, op) in item.as_object().unwrap() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            for name in &names {
                let declared = op["parameters"]
                    .as_array()
                    .is_some_and(|ps| ps.iter().any(|p| p["name"] == *name && p["in"] == "path"));
                assert!(declared, "{method} {path} does not declare {{{name}}}");
            }
            for (status, response) in op["responses"].as_object().unwrap() {
                let json_problem = response["content"]["application/json"]["schema"]["$ref"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("/Problem"));
                assert!(
                    !json_problem,
                    "{method} {path} {status}: problems are problem+json"
                );
            }
            if path.starts_with("/v1/me") {
                assert!(op["responses"]["401"].is_object(), "{method} {path}: 401");
            }
        }
    }
    for scheme in ["session", "csrf", "dpop"] {
        assert!(
            doc["components"]["securitySchemes"][scheme].is_object(),
            "{scheme}"
        );
    }
    let content = &paths["/v1/shared/documents/{id}/content"]["get"]["responses"]["200"]["content"];
    assert!(content["application/pdf"].is_object(), "{content}");
    let verify = &paths["/v1/verify"]["post"]["requestBody"]["content"];
    assert!(verify["multipart/form-data"].is_object(), "{verify}");
}

async fn unknown_routes_and_methods_are_problems(app: TestApp) {
    let client = app.anonymous();
    let missing = client.get(app.url("/v1/nothing")).send().await.unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        missing.headers()["content-type"],
        "application/problem+json"
    );
    let wrong = client.put(app.url("/healthz")).send().await.unwrap();
    assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong.headers()["content-type"], "application/problem+json");
}

async fn every_response_carries_security_headers_and_a_request_id(app: TestApp) {
    let response = app.anonymous().get(app.url("/")).send().await.unwrap();
    let headers = response.headers();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert!(!headers["x-request-id"].is_empty());
    assert!(
        headers.get("strict-transport-security").is_none(),
        "plain HTTP in dev"
    );
    // Finding 18: what carries an owner's data or the CSRF token is never stored.
    let owner = app.sign_in("035199000123").await;
    for path in ["/v1/me", "/v1/me/documents", "/v1/me/access-log"] {
        let response = owner.get(path).await;
        assert_eq!(response.headers()["cache-control"], "no-store", "{path}");
    }
}

/// Finding 18: behind its https public URL, every answer tells browsers to keep to HTTPS.
async fn an_https_deployment_sends_hsts(app: TestApp) {
    let response = app
        .anonymous()
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["strict-transport-security"],
        "max-age=63072000; includeSubDomains"
    );
}

async fn ended_sessions_are_purged(app: TestApp) {
    use kho::storage::entities::sessions;
    use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
    let stale = app.sign_in("035199000123").await;
    let live = app.sign_in("0100233488").await;
    let past = chrono::Utc::now() - chrono::Duration::days(1);
    let owner = kho::owners::find(
        &app.state.db,
        &app.state.keys,
        &kho::ids::OwnerIdentifier::parse(&stale.identifier).unwrap(),
    )
    .await
    .unwrap()
    .unwrap();
    sessions::Entity::update_many()
        .set(sessions::ActiveModel {
            expires_at: Set(past),
            ..Default::default()
        })
        .filter(<sessions::Column as sea_orm::ColumnTrait>::eq(
            &sessions::Column::OwnerId,
            owner.id.0,
        ))
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(app.state.sessions.purge_expired().await.unwrap(), 1);
    assert_eq!(
        sessions::Entity::find().count(&app.state.db).await.unwrap(),
        1
    );
    assert_eq!(stale.get("/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(live.get("/v1/me").await.status(), StatusCode::OK);
}

async fn sign_out_ends_the_session(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let response = owner
        .client
        .post(owner.url("/v1/me/sign-out"))
        .header("x-csrf-token", &owner.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    assert_eq!(owner.get("/v1/me").await.status(), StatusCode::UNAUTHORIZED);
}

/// Sends `request` as raw bytes and reads the whole answer (the server closes the connection).
async fn raw(app: &TestApp, request: &[u8]) -> (u16, String, String) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let addr = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream.write_all(request).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8(answer).unwrap();
    let (head, body) = answer.split_once("\r\n\r\n").unwrap();
    let status = head[9..12].parse().unwrap();
    (status, head.to_ascii_lowercase(), body.to_owned())
}

/// Finding 21 of the review: what the HTTP library refuses itself, before any handler — a path
/// too long, a `Content-Length` of 2^64, negative or given twice, a raw non-ASCII byte in the
/// path, head fields too large — is a problem like every other refusal.
async fn requests_the_http_library_refuses_are_problems_too(app: TestApp) {
    let long_path = format!(
        "GET /{} HTTP/1.1\r\nHost: x\r\n\r\n",
        "a".repeat(100 * 1024)
    );
    let many_headers = format!(
        "GET / HTTP/1.1\r\nHost: x\r\n{}\r\n",
        "X-A: b\r\n".repeat(200)
    );
    let cases: Vec<(Vec<u8>, u16, &str)> = vec![
        (long_path.into_bytes(), 414, "uri-too-long"),
        (
            b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 18446744073709551616\r\n\r\n"
                .to_vec(),
            400,
            "bad-request",
        ),
        (
            b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n".to_vec(),
            400,
            "bad-request",
        ),
        (
            b"POST /v1/verify HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{}"
                .to_vec(),
            400,
            "bad-request",
        ),
        (b"GET /\xff HTTP/1.1\r\nHost: x\r\n\r\n".to_vec(), 400, "bad-request"),
        (many_headers.into_bytes(), 431, "headers-too-large"),
    ];
    for (request, status, slug) in cases {
        let (got, head, body) = raw(&app, &request).await;
        assert_eq!(got, status, "{head}");
        assert!(
            head.contains("content-type: application/problem+json"),
            "{head}"
        );
        let problem: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(problem["type"], format!("urn:kho:problem:{slug}"));
        assert_eq!(problem["status"], status);
    }
    // A good request on a connection of its own is served as ever.
    let (ok, _, body) = raw(
        &app,
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert_eq!(ok, 200, "{body}");
}

on_both_backends!(
    requests_the_http_library_refuses_are_problems_too,
    health_and_readiness_answer,
    readiness_needs_the_blob_store_too,
    the_openapi_document_describes_every_v1_route,
    unknown_routes_and_methods_are_problems,
    every_response_carries_security_headers_and_a_request_id,
    ended_sessions_are_purged,
    sign_out_ends_the_session
);
on_both_backends!(spawn = spawn_app_behind_https; an_https_deployment_sends_hsts);
