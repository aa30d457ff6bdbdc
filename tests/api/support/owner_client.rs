//! An owner's browser-like client: a cookie jar with the session and the CSRF token.

use reqwest::multipart::{Form, Part};
use reqwest::{Client, Response, StatusCode};
use serde_json::Value;

use super::TestApp;

pub struct OwnerClient {
    pub client: Client,
    pub csrf: String,
    pub identifier: String,
    base: String,
}

impl OwnerClient {
    pub async fn sign_in(app: &TestApp, identifier: &str) -> Self {
        // No connection reuse: a download the server aborts (on purpose, when content fails its
        // integrity check) must not leave a half-closed connection in the pool for the next step.
        let client = Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .expect("client");
        let response = client
            .post(app.url("/dev/sign-in"))
            .form(&[("identifier", identifier)])
            .send()
            .await
            .expect("sign in");
        assert_eq!(
            response.status(),
            StatusCode::SEE_OTHER,
            "sign-in of {identifier}"
        );
        let owner = Self::from_session(app, client).await;
        assert_eq!(owner.identifier, identifier);
        owner
    }

    /// Wraps a client that holds a session (from any kind of sign-in).
    pub async fn from_session(app: &TestApp, client: Client) -> Self {
        let me: Value = client
            .get(app.url("/v1/me"))
            .send()
            .await
            .expect("me")
            .json()
            .await
            .expect("me json");
        let csrf = me["csrf_token"].as_str().expect("csrf token").to_owned();
        let identifier = me["identifier"].as_str().expect("identifier").to_owned();
        Self {
            client,
            csrf,
            identifier,
            base: app.base.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Uploads `bytes` as a document of `type_code` titled `title`.
    pub async fn upload(&self, type_code: &str, title: &str, bytes: Vec<u8>) -> Response {
        let form = Form::new()
            .text("type", type_code.to_owned())
            .text("title", title.to_owned())
            .part("file", Part::bytes(bytes).file_name("doc"));
        self.client
            .post(self.url("/v1/me/documents"))
            .header("x-csrf-token", &self.csrf)
            .multipart(form)
            .send()
            .await
            .expect("upload")
    }

    /// Uploads and returns the new document's id, asserting success.
    pub async fn upload_ok(&self, type_code: &str, title: &str, bytes: Vec<u8>) -> String {
        let response = self.upload(type_code, title, bytes).await;
        let status = response.status();
        let body: Value = response.json().await.expect("json");
        assert_eq!(status, StatusCode::CREATED, "upload: {body}");
        body["id"].as_str().expect("id").to_owned()
    }

    pub async fn list(&self, query: &str) -> Value {
        let response = self
            .client
            .get(self.url(&format!("/v1/me/documents{query}")))
            .send()
            .await
            .expect("list");
        assert_eq!(response.status(), StatusCode::OK);
        response.json().await.expect("json")
    }

    /// The status of listing documents (for refusals).
    pub async fn list_status(&self) -> StatusCode {
        self.get("/v1/me/documents").await.status()
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("get")
    }

    /// The content of a document: `Ok` only when the whole body arrived with a 200.
    /// A response head cut off (the server aborted before flushing it) is a failure too.
    pub async fn download(&self, id: &str) -> Result<Vec<u8>, String> {
        let response = self
            .client
            .get(self.url(&format!("/v1/me/documents/{id}/content")))
            .send()
            .await
            .map_err(|e| format!("no response: {e}"))?;
        let status = response.status();
        match response.bytes().await {
            Ok(body) if status == StatusCode::OK => Ok(body.to_vec()),
            Ok(body) => Err(format!("{status}: {}", String::from_utf8_lossy(&body))),
            Err(e) => Err(format!("{status}, body interrupted: {e}")),
        }
    }

    pub async fn delete(&self, path: &str) -> Response {
        self.client
            .delete(self.url(path))
            .header("x-csrf-token", &self.csrf)
            .send()
            .await
            .expect("delete")
    }
}
