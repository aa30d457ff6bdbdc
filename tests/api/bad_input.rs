//! Bad input gets a clear 4xx problem and changes nothing.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{OwnerClient, TestApp, pdf_of_len};

async fn assert_problem(response: reqwest::Response, status: StatusCode, slug: &str) {
    let actual = response.status();
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(actual, status, "{body}");
    assert_eq!(body["type"], format!("urn:kho:problem:{slug}"), "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(
        body["detail"].as_str().is_some_and(|d| !d.is_empty()),
        "a clear message: {body}"
    );
}

async fn assert_nothing_stored(app: &TestApp, owner: &OwnerClient) {
    assert_eq!(owner.list("").await["items"].as_array().unwrap().len(), 0);
    let stored = app.everything_stored().await;
    assert!(stored.is_empty(), "blobs left behind: {stored:?}");
}

fn form(fields: &[(&str, &str)], file: Option<Vec<u8>>) -> Form {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(bytes) = file {
        form = form.part(
            "file",
            Part::bytes(bytes)
                .file_name("x")
                .mime_str("application/pdf")
                .unwrap(),
        );
    }
    form
}

async fn post_form(owner: &OwnerClient, form: Form) -> reqwest::Response {
    owner
        .client
        .post(owner.url("/v1/me/documents"))
        .header("x-csrf-token", &owner.csrf)
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn an_oversize_document_is_refused_with_413(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let response = owner
        .upload("other", "big", pdf_of_len(20 * 1024 * 1024 + 1))
        .await;
    assert_problem(response, StatusCode::PAYLOAD_TOO_LARGE, "too-large").await;
    // Streamed without a length, the limit holds all the same.
    let chunks = futures_util::stream::iter((0..21).map(|i| {
        Ok::<_, std::io::Error>(if i == 0 {
            pdf_of_len(1024 * 1024)
        } else {
            vec![7u8; 1024 * 1024]
        })
    }));
    let streamed = Form::new().text("type", "other").text("title", "big").part(
        "file",
        Part::stream(reqwest::Body::wrap_stream(chunks)).file_name("x"),
    );
    assert_problem(
        post_form(&owner, streamed).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "too-large",
    )
    .await;
    assert_nothing_stored(&app, &owner).await;
}

async fn a_disallowed_content_type_is_refused_whatever_the_client_claims(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    for bytes in [
        b"GIF89a-------------------------------------------------------------------".to_vec(),
        b"MZ\x90\x00 executable".to_vec(),
        vec![0u8; 200_000],
        // Finding 23: an HTML page is not XML.
        b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>".to_vec(),
        b"<html><body>x</body></html>".to_vec(),
    ] {
        let response = post_form(
            &owner,
            form(&[("type", "other"), ("title", "x")], Some(bytes)),
        )
        .await;
        assert_problem(
            response,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-content",
        )
        .await;
    }
    let empty = post_form(
        &owner,
        form(&[("type", "other"), ("title", "x")], Some(Vec::new())),
    )
    .await;
    assert_problem(empty, StatusCode::BAD_REQUEST, "bad-request").await;
    assert_nothing_stored(&app, &owner).await;
}

async fn malformed_metadata_is_refused_before_any_content_is_stored(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let doc = || Some(pdf_of_len(100));
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("type", "banana"), ("title", "x")], "invalid-field"),
        (vec![("title", "x")], "bad-request"),
        (vec![("type", "other")], "bad-request"),
        (vec![("type", "other"), ("title", "   ")], "invalid-field"),
        (
            vec![("type", "other"), ("title", "x"), ("issuing_agency", "H49")],
            "invalid-field",
        ),
        (
            vec![
                ("type", "other"),
                ("title", "x"),
                ("issue_date", "31/12/2024"),
            ],
            "invalid-field",
        ),
        (
            vec![
                ("type", "other"),
                ("title", "x"),
                ("issue_date", "2024-02-30"),
            ],
            "invalid-field",
        ),
        (
            vec![
                ("type", "other"),
                ("title", "x"),
                ("issue_date", "-5000-01-01"),
            ],
            "invalid-field",
        ),
        (
            vec![
                ("type", "other"),
                ("title", "x"),
                ("valid_until", "+99999-01-01"),
            ],
            "invalid-field",
        ),
        (
            vec![
                ("type", "other"),
                ("title", "x"),
                ("issue_date", "2024-01-02"),
                ("valid_until", "2024-01-01"),
            ],
            "bad-request",
        ),
        (
            vec![("type", "other"), ("title", "x"), ("colour", "red")],
            "bad-request",
        ),
        (
            vec![("type", "other"), ("type", "other"), ("title", "x")],
            "bad-request",
        ),
    ];
    for (fields, slug) in cases {
        let response = post_form(&owner, form(&fields, doc())).await;
        assert_problem(response, StatusCode::BAD_REQUEST, slug).await;
    }
    let no_file = post_form(&owner, form(&[("type", "other"), ("title", "x")], None)).await;
    assert_problem(no_file, StatusCode::BAD_REQUEST, "bad-request").await;
    // Finding 22: `file` is the last field, given once, like every other field.
    let pdf = || {
        Part::bytes(pdf_of_len(100))
            .file_name("x")
            .mime_str("application/pdf")
            .unwrap()
    };
    let file_twice = form(&[("type", "other"), ("title", "x")], doc()).part("file", pdf());
    let response = post_form(&owner, file_twice).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    let field_after_file = form(&[("type", "other"), ("title", "x")], doc())
        .text("number", "1")
        .text("valid_until", "2030-01-01");
    let response = post_form(&owner, field_after_file).await;
    assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    let not_multipart = owner
        .client
        .post(owner.url("/v1/me/documents"))
        .header("x-csrf-token", &owner.csrf)
        .body("hello")
        .send()
        .await
        .unwrap();
    assert_problem(not_multipart, StatusCode::BAD_REQUEST, "bad-request").await;
    assert_nothing_stored(&app, &owner).await;
}

/// Finding 24 of the review: what only looks like a date, a number or a title is refused.
async fn lenient_dates_numbers_and_spoofable_titles_are_refused(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let doc = || Some(pdf_of_len(100));
    let cases: [(&str, &str); 6] = [
        ("issue_date", "2024-1-1"),
        ("issue_date", "+002024-01-01"),
        ("title", "\u{200b}\u{200b}\u{200b}"),
        ("title", "Giấy khai sinh\u{202e}fdp.exe"),
        ("title", "dòng một\u{2028}dòng hai"),
        ("number", "12\u{200d}34"),
    ];
    for (field, value) in cases {
        let mut fields = vec![("type", "other"), (field, value)];
        if field != "title" {
            fields.push(("title", "x"));
        }
        let response = post_form(&owner, form(&fields, doc())).await;
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid-field").await;
    }
    assert_nothing_stored(&app, &owner).await;
    for path in ["/v1/me/documents", "/v1/me/consents", "/v1/me/access-log"] {
        let signed = owner.get(&format!("{path}?limit=+5")).await;
        assert_problem(signed, StatusCode::BAD_REQUEST, "bad-request").await;
        let plain = owner.get(&format!("{path}?limit=5")).await;
        assert_eq!(plain.status(), StatusCode::OK, "{path}");
    }
}

/// Finding 21 of the review: a body over the limit is a 413 problem, JSON or multipart — and a
/// multipart body declared over the limit is refused before it is read.
async fn a_body_over_the_limit_is_413(app: TestApp) {
    let big_json = format!("{{\"seal\": \"{}\"}}", "A".repeat(3 * 1024 * 1024));
    let json = app
        .anonymous()
        .post(app.url("/v1/verify/seal"))
        .header("content-type", "application/json")
        .body(big_json)
        .send()
        .await
        .unwrap();
    assert_problem(json, StatusCode::PAYLOAD_TOO_LARGE, "too-large").await;
    // Declared at 30 MiB, and not a byte of it sent: the answer comes from the declaration.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /v1/verify HTTP/1.1\r\nHost: {address}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: {}\r\n\r\n",
        30 * 1024 * 1024
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let mut answer = vec![0u8; 4096];
    let read = tokio::time::timeout(std::time::Duration::from_secs(10), stream.read(&mut answer))
        .await
        .expect("an answer without the body")
        .unwrap();
    let answer = String::from_utf8_lossy(&answer[..read]);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("application/problem+json"), "{answer}");
}

async fn malformed_json_is_refused_and_changes_nothing(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let id = owner.upload_ok("other", "before", pdf_of_len(100)).await;
    let url = owner.url(&format!("/v1/me/documents/{id}"));
    for (body, content_type) in [
        ("{\"title\": ", "application/json"),
        ("{\"title\": 5}", "application/json"),
        ("{\"colour\": \"red\"}", "application/json"),
        ("title=x", "text/plain"),
    ] {
        let response = owner
            .client
            .patch(&url)
            .header("x-csrf-token", &owner.csrf)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST, "bad-request").await;
    }
    let response = owner
        .client
        .patch(&url)
        .header("x-csrf-token", &owner.csrf)
        .json(&serde_json::json!({"title": ""}))
        .send()
        .await
        .unwrap();
    assert_problem(response, StatusCode::BAD_REQUEST, "invalid-field").await;
    let meta: Value = owner
        .get(&format!("/v1/me/documents/{id}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(meta["title"], "before");
}

async fn a_malformed_identifier_cannot_sign_in_or_create_a_store(app: TestApp) {
    let client = app.anonymous();
    for bad in [
        "12345",
        "035199000124x",
        "003199000123",
        "0100233487",
        "123456789",
        "",
    ] {
        let response = client
            .post(app.url("/dev/sign-in"))
            .form(&[("identifier", bad)])
            .send()
            .await
            .unwrap();
        assert_problem(response, StatusCode::BAD_REQUEST, "invalid-field").await;
    }
    let owners = kho::owners::kek_usage(&app.state.db).await.unwrap();
    assert!(owners.is_empty(), "no store may be created: {owners:?}");
}

async fn a_change_without_the_csrf_token_is_refused(app: TestApp) {
    let owner = app.sign_in("035199000123").await;
    let other = app.sign_in("0100233488").await;
    let upload = |token: Option<String>| {
        let mut request = owner
            .client
            .post(owner.url("/v1/me/documents"))
            .multipart(form(
                &[("type", "other"), ("title", "x")],
                Some(pdf_of_len(100)),
            ));
        if let Some(token) = token {
            request = request.header("x-csrf-token", token)
        }
        request.send()
    };
    assert_problem(
        upload(None).await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf-rejected",
    )
    .await;
    assert_problem(
        upload(Some(other.csrf.clone())).await.unwrap(),
        StatusCode::FORBIDDEN,
        "csrf-rejected",
    )
    .await;
    let foreign = owner
        .client
        .post(owner.url("/v1/me/documents"))
        .header("x-csrf-token", &owner.csrf)
        .header("origin", "https://evil.example")
        .multipart(form(
            &[("type", "other"), ("title", "x")],
            Some(pdf_of_len(100)),
        ))
        .send()
        .await
        .unwrap();
    assert_problem(foreign, StatusCode::FORBIDDEN, "csrf-rejected").await;
    let erase = owner
        .client
        .delete(owner.url("/v1/me"))
        .send()
        .await
        .unwrap();
    assert_problem(erase, StatusCode::FORBIDDEN, "csrf-rejected").await;
    // Finding 22: a good token or origin followed by a bad one is not the good one.
    let twice = |header: &'static str, good: String, bad: &'static str| {
        owner
            .client
            .post(owner.url("/v1/me/documents"))
            .header("x-csrf-token", &owner.csrf)
            .header(header, good)
            .header(header, bad)
            .multipart(form(
                &[("type", "other"), ("title", "x")],
                Some(pdf_of_len(100)),
            ))
            .send()
    };
    let tokens = twice("x-csrf-token", owner.csrf.clone(), "wrong")
        .await
        .unwrap();
    assert_problem(tokens, StatusCode::BAD_REQUEST, "bad-request").await;
    let origins = twice("origin", app.base.clone(), "https://evil.example")
        .await
        .unwrap();
    assert_problem(origins, StatusCode::BAD_REQUEST, "bad-request").await;
    assert_nothing_stored(&app, &owner).await;
    assert_eq!(
        owner.get("/v1/me").await.status(),
        StatusCode::OK,
        "the store must still be there"
    );
}

async fn without_a_session_everything_is_401(app: TestApp) {
    let client = app.anonymous();
    for path in ["/v1/me", "/v1/me/documents"] {
        assert_problem(
            client.get(app.url(path)).send().await.unwrap(),
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
        )
        .await;
    }
    let forged = client
        .get(app.url("/v1/me"))
        .header("cookie", "kho_session=forged")
        .send()
        .await
        .unwrap();
    assert_problem(forged, StatusCode::UNAUTHORIZED, "unauthenticated").await;
}

on_both_backends!(
    an_oversize_document_is_refused_with_413,
    a_disallowed_content_type_is_refused_whatever_the_client_claims,
    malformed_metadata_is_refused_before_any_content_is_stored,
    lenient_dates_numbers_and_spoofable_titles_are_refused,
    a_body_over_the_limit_is_413,
    malformed_json_is_refused_and_changes_nothing,
    a_malformed_identifier_cannot_sign_in_or_create_a_store,
    a_change_without_the_csrf_token_is_refused,
    without_a_session_everything_is_401
);
