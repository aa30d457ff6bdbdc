//! The pages in headless Chromium through WebDriver: every flow in Vietnamese (on a phone's
//! width) and in English (on a desktop's), axe-core on every page and state, a keyboard-only
//! run, and the screenshots of the README.

mod acting;
mod consent_screen;
mod consents;
mod counter;
mod documents;
mod keyboard;
mod my_data;
mod notices;
mod screenshots;
mod sign_in;
mod whole_story;

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::Locator;
use fantoccini::elements::Element;
use serde_json::json;

use crate::support::TestApp;
use crate::support::chromium::Chromium;
use kho::web::i18n::{Lang, Tr};

/// A browser on the app, in one language, checking every page it opens.
pub struct Browser<'a> {
    pub chromium: Chromium,
    pub app: &'a TestApp,
    pub lang: Lang,
    axe: String,
}

/// The axe-core build the tests inject (npm `axe-core`, installed in `tests/ui`).
fn axe_source() -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/ui");
    let path = dir.join("node_modules/axe-core/axe.min.js");
    if !path.exists() {
        let status = std::process::Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&dir)
            .status();
        assert!(
            status.is_ok_and(|s| s.success()),
            "npm ci in tests/ui failed: axe-core is needed by the UI tests"
        );
    }
    std::fs::read_to_string(&path).expect("axe-core")
}

impl<'a> Browser<'a> {
    /// Vietnamese on a 360 px phone, or English on a 1280 px desktop; `None` (loudly) when
    /// Chromium is missing outside CI.
    pub async fn open(app: &'a TestApp, lang: Lang) -> Option<Self> {
        let width = match lang {
            Lang::Vi => 360,
            Lang::En => 1280,
        };
        Self::open_sized(app, lang, width).await
    }

    /// A browser in `lang`, `width` px wide (a phone below 600).
    pub async fn open_sized(app: &'a TestApp, lang: Lang, width: u32) -> Option<Self> {
        let accept = match lang {
            Lang::Vi => "vi-VN,vi",
            Lang::En => "en-GB,en",
        };
        let chromium = Chromium::start_with(accept, width).await?;
        Some(Self {
            chromium,
            app,
            lang,
            axe: axe_source(),
        })
    }

    pub fn t(&self, key: &str) -> String {
        Tr::new(self.lang).t(key)
    }

    pub fn client(&self) -> &fantoccini::Client {
        &self.chromium.client
    }

    /// Goes to `path` and checks the page.
    pub async fn visit(&self, path: &str) {
        self.client().goto(&self.app.url(path)).await.unwrap();
        self.check(path).await;
    }

    /// The page as it is now passes axe-core (WCAG 2.2 A and AA), is in the browser's language,
    /// and does not scroll sideways.
    pub async fn check(&self, what: &str) {
        let client = self.client();
        let lang = client
            .execute("return document.documentElement.lang", vec![])
            .await
            .unwrap();
        assert_eq!(lang, json!(self.lang.code()), "{what}: the page's language");
        let loaded = client
            .execute("return typeof axe !== 'undefined'", vec![])
            .await
            .unwrap();
        if loaded != json!(true) {
            client
                .execute(&format!("{}\nreturn true;", self.axe), vec![])
                .await
                .unwrap();
        }
        let violations = client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values:
                     ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']}})
                   .then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' at ' +
                       v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(violations, json!([]), "{what}: axe-core found violations");
        let fits = client
            .execute(
                "return document.documentElement.scrollWidth <= document.documentElement.clientWidth",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(fits, json!(true), "{what}: the page scrolls sideways");
    }

    pub async fn find(&self, css: &str) -> Element {
        self.client()
            .wait()
            .at_most(Duration::from_secs(30))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no {css} on the page: {e}"))
    }

    pub async fn has(&self, css: &str) -> bool {
        self.chromium.has(css).await
    }

    pub async fn text(&self, css: &str) -> String {
        self.chromium.text(css).await
    }

    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// Replaces the text of a field.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.unwrap();
        if !text.is_empty() {
            field.send_keys(text).await.unwrap();
        }
    }

    pub async fn choose(&self, css: &str, value: &str) {
        self.find(css).await.select_by_value(value).await.unwrap();
    }

    /// Clicks, then waits for the page the click leads to (the old page's body goes stale).
    pub async fn click(&self, css: &str) {
        let body = self.find("body").await;
        self.find(css).await.click().await.unwrap();
        for _ in 0..300 {
            if body.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The path (and query) the browser is on.
    pub async fn path(&self) -> String {
        let url = self.client().current_url().await.unwrap();
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Signs in with the dev sign-in on the front page, as `identifier`.
    pub async fn sign_in(&self, identifier: &str) {
        self.visit("/").await;
        self.fill("#identifier", identifier).await;
        self.click("#dev-sign-in").await;
        assert_eq!(self.path().await, "/documents", "signed in");
    }

    /// A plain HTTP client with the browser's cookies, to fetch what a link downloads.
    pub async fn http(&self) -> reqwest::Client {
        let cookies = self.client().get_all_cookies().await.unwrap();
        let header = cookies
            .iter()
            .map(|c| format!("{}={}", c.name(), c.value()))
            .collect::<Vec<_>>()
            .join("; ");
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("cookie", header.parse().unwrap());
        reqwest::Client::builder()
            .default_headers(headers)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }

    /// What the link `css` downloads.
    pub async fn download(&self, css: &str) -> reqwest::Response {
        let href = self.find(css).await.attr("href").await.unwrap().unwrap();
        let url = self
            .client()
            .current_url()
            .await
            .unwrap()
            .join(&href)
            .unwrap();
        self.http().await.get(url).send().await.unwrap()
    }

    pub async fn quit(self) {
        self.chromium.quit().await;
    }
}

/// A file on disk for the browser's file field.
pub fn file_with(app: &TestApp, name: &str, bytes: &[u8]) -> String {
    let path = app.dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

/// Finding 19 of the review: a browser dropped without quitting — as a failing test drops it —
/// leaves no process behind.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dropped_browser_leaves_no_process_behind() {
    let Some(chromium) = Chromium::start().await else {
        return;
    };
    let profile = chromium.profile().display().to_string();
    chromium.client.goto("about:blank").await.unwrap();
    let running = || {
        std::process::Command::new("pgrep")
            .args(["-f", &profile])
            .output()
            .expect("pgrep")
            .stdout
    };
    assert!(!running().is_empty(), "the browser runs");
    drop(chromium);
    for _ in 0..50 {
        if running().is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "browser processes left behind: {}",
        String::from_utf8_lossy(&running())
    );
}
