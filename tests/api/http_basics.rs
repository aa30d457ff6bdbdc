//! Health, readiness, the OpenAPI document, errors for unknown routes, and security headers.

use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;

on_both_backends! {
    async fn health_and_readiness_answer(app) {
        let client = app.anonymous();
        assert_eq!(client.get(app.url("/healthz")).send().await.unwrap().status(), StatusCode::OK);
        assert_eq!(client.get(app.url("/readyz")).send().await.unwrap().status(), StatusCode::OK);
    }

    async fn the_openapi_document_describes_every_v1_route(app) {
        let doc: Value = app.anonymous().get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
        let paths = doc["paths"].as_object().unwrap();
        for (path, methods) in [
            ("/v1/me", &["get", "delete"][..]),
            ("/v1/me/sign-out", &["post"]),
            ("/v1/me/documents", &["get", "post"]),
            ("/v1/me/documents/{id}", &["get", "patch", "delete"]),
            ("/v1/me/documents/{id}/content", &["get"]),
        ] {
            for method in methods {
                assert!(paths[path][method].is_object(), "{method} {path} is not described");
            }
        }
    }

    async fn unknown_routes_and_methods_are_problems(app) {
        let client = app.anonymous();
        let missing = client.get(app.url("/v1/nothing")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
        assert_eq!(missing.headers()["content-type"], "application/problem+json");
        let wrong = client.put(app.url("/healthz")).send().await.unwrap();
        assert_eq!(wrong.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(wrong.headers()["content-type"], "application/problem+json");
    }

    async fn every_response_carries_security_headers_and_a_request_id(app) {
        let response = app.anonymous().get(app.url("/")).send().await.unwrap();
        let headers = response.headers();
        assert!(headers["content-security-policy"].to_str().unwrap().contains("script-src 'self'"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert_eq!(headers["x-frame-options"], "DENY");
        assert!(!headers["x-request-id"].is_empty());
    }

    async fn sign_out_ends_the_session(app) {
        let owner = app.sign_in("035199000123").await;
        let response = owner.client.post(owner.url("/v1/me/sign-out")).header("x-csrf-token", &owner.csrf).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
        assert_eq!(owner.get("/v1/me").await.status(), StatusCode::UNAUTHORIZED);
    }
}
