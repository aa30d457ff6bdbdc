//! A portal as the RFCs describe it: registered by the operator, authenticating with its
//! secret, proving possession of its own DPoP key (RFC 9449) on every token and resource
//! request. Written from the RFCs; the npm `oauth4webapi` client drives the same flows in
//! `oauth_client_library.rs`, which checks this code's reading of them.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{OwnerClient, TestApp};

pub const REDIRECT_URI: &str = "https://portal.example/cb";
pub const AGENCY: &str = "000.00.00.H49";

/// A DPoP key pair.
pub struct DpopKey {
    encoding: EncodingKey,
    jwk: Value,
}

impl DpopKey {
    pub fn generate() -> Self {
        let pkcs8 =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref().to_vec();
        Self {
            encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
            jwk: json!({"kty": "EC", "crv": "P-256",
                "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65])}),
        }
    }

    /// The RFC 7638 thumbprint (`cnf.jkt`).
    pub fn thumbprint(&self) -> String {
        let canonical = format!(
            r#"{{"crv":"P-256","kty":"EC","x":"{}","y":"{}"}}"#,
            self.jwk["x"].as_str().unwrap(),
            self.jwk["y"].as_str().unwrap()
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }
}

/// What to put in a proof; every field can be bent to test a refusal.
pub struct ProofClaims<'a> {
    pub htm: &'a str,
    pub htu: String,
    pub token: Option<&'a str>,
    pub iat_offset: i64,
    pub nonce: Option<&'a str>,
    pub typ: &'a str,
}

impl<'a> ProofClaims<'a> {
    pub fn new(htm: &'a str, htu: String, token: Option<&'a str>) -> Self {
        Self {
            htm,
            htu,
            token,
            iat_offset: 0,
            nonce: None,
            typ: "dpop+jwt",
        }
    }
}

pub fn proof(key: &DpopKey, claims: &ProofClaims<'_>) -> String {
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some(claims.typ.to_owned());
    header.jwk = Some(serde_json::from_value(key.jwk.clone()).unwrap());
    let mut body = json!({
        "jti": uuid::Uuid::new_v4().to_string(),
        "htm": claims.htm,
        "htu": claims.htu,
        "iat": chrono::Utc::now().timestamp() + claims.iat_offset,
    });
    if let Some(token) = claims.token {
        body["ath"] = json!(URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes())));
    }
    if let Some(nonce) = claims.nonce {
        body["nonce"] = json!(nonce);
    }
    jsonwebtoken::encode(&header, &body, &key.encoding).unwrap()
}

/// `authorization_details` asking for `types` under procedure 1.001193 (birth registration).
pub fn details(types: &[&str], access: &str, expires_in: i64) -> String {
    json!([{
        "type": "document_access",
        "procedure": "1.001193",
        "dossier": "000.00.00.H49-261123-0001",
        "purpose": "Đăng ký khai sinh cho con",
        "document_types": types,
        "access": access,
        "expires_in": expires_in,
    }])
    .to_string()
}

/// A PKCE verifier and its S256 challenge.
pub fn pkce() -> (String, String) {
    let verifier = URL_SAFE_NO_PAD.encode(rand_bytes());
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b
}

pub struct Portal {
    pub client_id: String,
    pub secret: String,
    pub key: DpopKey,
    /// Kho's public URL (what `htu` names), whichever process is called.
    pub issuer: String,
    http: Client,
}

impl Portal {
    pub fn register(app: &TestApp) -> Self {
        let out = app.kho(&[
            "client",
            "add",
            "--name",
            "Cổng dịch vụ công Quảng Ninh",
            "--agency-code",
            AGENCY,
            "--role",
            "portal",
            "--redirect-uri",
            REDIRECT_URI,
            "--secret",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let created: Value = serde_json::from_slice(&out.stdout).unwrap();
        Self {
            client_id: created["client_id"].as_str().unwrap().to_owned(),
            secret: created["client_secret"].as_str().unwrap().to_owned(),
            key: DpopKey::generate(),
            issuer: app.base.clone(),
            http: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
        }
    }

    fn post(&self, base: &str, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{base}{path}"))
            .basic_auth(&self.client_id, Some(&self.secret))
    }

    /// A pushed authorization request; returns the response.
    pub async fn par(&self, details: &str, challenge: &str) -> Response {
        self.par_with(details, challenge, &[]).await
    }

    /// A pushed authorization request with `extra` parameters.
    pub async fn par_with(
        &self,
        details: &str,
        challenge: &str,
        extra: &[(&str, &str)],
    ) -> Response {
        let mut form = vec![
            ("response_type", "code"),
            ("client_id", self.client_id.as_str()),
            ("redirect_uri", REDIRECT_URI),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
            ("state", "portal-state-1"),
            ("authorization_details", details),
        ];
        form.extend_from_slice(extra);
        self.post(&self.issuer, "/oauth/par")
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// The `/authorize` URL for a pushed request.
    pub fn authorize_url(&self, request_uri: &str) -> String {
        let mut url = url::Url::parse(&format!("{}/authorize", self.issuer)).unwrap();
        url.query_pairs_mut()
            .append_pair("client_id", &self.client_id)
            .append_pair("request_uri", request_uri);
        url.to_string()
    }

    /// Token request at `base` with a proof made by `key` from `claims`.
    pub async fn token_at(
        &self,
        base: &str,
        form: &[(&str, &str)],
        dpop: Option<String>,
    ) -> Response {
        let mut request = self.post(base, "/oauth/token").form(form);
        if let Some(proof) = dpop {
            request = request.header("DPoP", proof);
        }
        request.send().await.unwrap()
    }

    /// A well-formed code exchange.
    pub async fn exchange(&self, code: &str, verifier: &str) -> Response {
        let proof = proof(
            &self.key,
            &ProofClaims::new("POST", self.url("/oauth/token"), None),
        );
        self.token_at(
            &self.issuer,
            &[
                ("grant_type", "authorization_code"),
                ("code", code),
                ("redirect_uri", REDIRECT_URI),
                ("code_verifier", verifier),
            ],
            Some(proof),
        )
        .await
    }

    pub async fn ciba(&self, login_hint: &str, details: &str) -> Response {
        self.ciba_at(&self.issuer, login_hint, details).await
    }

    /// [`Portal::ciba`] at the process listening at `base`.
    pub async fn ciba_at(&self, base: &str, login_hint: &str, details: &str) -> Response {
        self.post(base, "/oauth/bc-authorize")
            .form(&[
                ("login_hint", login_hint),
                ("binding_message", "Hồ sơ 0001"),
                ("authorization_details", details),
            ])
            .send()
            .await
            .unwrap()
    }

    pub async fn poll(&self, auth_req_id: &str) -> Response {
        let proof = proof(
            &self.key,
            &ProofClaims::new("POST", self.url("/oauth/token"), None),
        );
        self.token_at(
            &self.issuer,
            &[
                ("grant_type", "urn:openid:params:grant-type:ciba"),
                ("auth_req_id", auth_req_id),
            ],
            Some(proof),
        )
        .await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.issuer)
    }

    /// A resource request at `base` with `token` and a proof for it by this portal's key.
    pub async fn fetch_at(&self, base: &str, path: &str, token: &str) -> Response {
        let proof = proof(
            &self.key,
            &ProofClaims::new("GET", self.url(path), Some(token)),
        );
        self.fetch_with(base, path, token, Some(proof)).await
    }

    pub async fn fetch(&self, path: &str, token: &str) -> Response {
        self.fetch_at(&self.issuer, path, token).await
    }

    pub async fn fetch_with(
        &self,
        base: &str,
        path: &str,
        token: &str,
        proof: Option<String>,
    ) -> Response {
        let mut request = self
            .http
            .get(format!("{base}{path}"))
            .header("Authorization", format!("DPoP {token}"));
        if let Some(proof) = proof {
            request = request.header("DPoP", proof);
        }
        request.send().await.unwrap()
    }

    pub async fn introspect(&self, token: &str) -> Value {
        self.post(&self.issuer, "/oauth/introspect")
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    pub async fn revoke(&self, token: &str) -> StatusCode {
        self.post(&self.issuer, "/oauth/revoke")
            .form(&[("token", token)])
            .send()
            .await
            .unwrap()
            .status()
    }
}

/// The owner opens the consent screen, ticks `pick` (by document id) and approves — or, with
/// an empty `pick`, denies. Returns the redirect back to the portal.
pub async fn decide_in_browser(
    app: &TestApp,
    owner: &OwnerClient,
    authorize_url: &str,
    pick: &[&str],
) -> url::Url {
    let page = owner.client.get(authorize_url).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        csp.contains("form-action 'self' https://portal.example"),
        "the browser may follow the decision back to the portal: {csp}"
    );
    assert_eq!(page.headers()["cache-control"], "no-store");
    let html = page.text().await.unwrap();
    for id in pick {
        assert!(
            html.contains(&format!("value=\"{id}\"")),
            "the preview lists {id}"
        );
    }
    let hidden = |name: &str| -> String {
        let marker = format!("name=\"{name}\" value=\"");
        let start = html
            .find(&marker)
            .unwrap_or_else(|| panic!("{name} in the form"))
            + marker.len();
        let end = html[start..].find('"').unwrap() + start;
        html[start..end]
            .replace("&#x3a;", ":")
            .replace("&#58;", ":")
            .replace("&amp;", "&")
    };
    let mut form = vec![
        ("csrf_token".to_owned(), hidden("csrf_token")),
        ("client_id".to_owned(), hidden("client_id")),
        ("request_uri".to_owned(), hidden("request_uri")),
        (
            "decision".to_owned(),
            if pick.is_empty() { "deny" } else { "approve" }.to_owned(),
        ),
    ];
    form.extend(
        pick.iter()
            .map(|id| ("document".to_owned(), (*id).to_owned())),
    );
    // As a browser under a strict referrer policy sends it: the origin hidden, the site not.
    let response = owner
        .client
        .post(app.url("/authorize"))
        .header("Origin", "null")
        .header("Sec-Fetch-Site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        response.text().await.unwrap_or_default()
    );
    url::Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// A query parameter of `url`.
pub fn param(url: &url::Url, name: &str) -> Option<String> {
    url.query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Runs the whole redirect flow for `types` and returns the token response body.
pub async fn consent_by_redirect(
    app: &TestApp,
    portal: &Portal,
    owner: &OwnerClient,
    types: &[&str],
    access: &str,
    pick: &[&str],
) -> Value {
    let (verifier, challenge) = pkce();
    let pushed: Value = portal
        .par(&details(types, access, 3600), &challenge)
        .await
        .json()
        .await
        .unwrap();
    let request_uri = pushed["request_uri"].as_str().expect("request_uri");
    let back = decide_in_browser(app, owner, &portal.authorize_url(request_uri), pick).await;
    let code = param(&back, "code").expect("code");
    let response = portal.exchange(&code, &verifier).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}
