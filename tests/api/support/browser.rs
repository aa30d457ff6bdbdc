//! A person in a browser, logging in through the OpenID Provider: follows the redirects and
//! fills in the provider's sign-in form. Each step is separate, so a test can tamper between them.

use reqwest::{Client, Response, Url};

use super::TestApp;

/// A browser: a cookie jar, redirects followed by hand.
pub fn browser() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(0)
        .build()
        .expect("client")
}

fn location(response: &Response) -> Url {
    let target = response
        .headers()
        .get("location")
        .expect("a redirect")
        .to_str()
        .expect("ascii");
    response.url().join(target).expect("a URL")
}

/// Step 1: Kho sends the browser to the provider; returns the authorization URL.
pub async fn start_login(app: &TestApp, browser: &Client) -> Url {
    let response = browser
        .get(app.url("/auth/login"))
        .send()
        .await
        .expect("login");
    assert_eq!(
        response.status(),
        303,
        "Kho starts the login with a redirect"
    );
    location(&response)
}

/// Step 2: at the provider, sign in as `account`; returns the URL the provider sends the
/// browser back to (Kho's callback).
pub async fn sign_in_at_provider(
    app: &TestApp,
    browser: &Client,
    authorization_url: Url,
    account: &str,
) -> Url {
    let mut url = authorization_url;
    for _ in 0..10 {
        if url.as_str().starts_with(&app.url("/auth/callback")) {
            return url;
        }
        let response = browser.get(url.clone()).send().await.expect("provider");
        if response.status().is_redirection() {
            url = location(&response);
            continue;
        }
        assert_eq!(
            response.status(),
            200,
            "the provider's sign-in page: {}",
            response.text().await.unwrap_or_default()
        );
        let form = response
            .url()
            .join(&format!("{}/login", response.url().path()))
            .expect("form action");
        let submitted = browser
            .post(form)
            .form(&[("account", account)])
            .send()
            .await
            .expect("sign in");
        assert!(
            submitted.status().is_redirection(),
            "the provider accepted {account}"
        );
        url = location(&submitted);
    }
    panic!("the provider never sent the browser back to Kho");
}

/// Step 3: back at Kho.
pub async fn finish_login(browser: &Client, callback: Url) -> Response {
    browser.get(callback).send().await.expect("callback")
}

/// All three steps.
pub async fn login(app: &TestApp, browser: &Client, account: &str) -> Response {
    let start = start_login(app, browser).await;
    let callback = sign_in_at_provider(app, browser, start, account).await;
    finish_login(browser, callback).await
}

/// Replaces one query parameter of `url`.
pub fn with_param(url: &Url, name: &str, value: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .map(|(k, v)| {
            (
                k.to_string(),
                if k == name {
                    value.to_owned()
                } else {
                    v.into_owned()
                },
            )
        })
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}

/// Removes one query parameter of `url`.
pub fn without_param(url: &Url, name: &str) -> Url {
    let pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut changed = url.clone();
    changed.query_pairs_mut().clear().extend_pairs(pairs);
    changed
}
