//! The documents page with 1,000 documents for one owner, server side, one client: p50 and p99
//! of `GET /documents` (first page of 20, rendered), against two baselines measured in the same
//! run on the same server — `GET /healthz` (the HTTP round trip alone) and
//! `GET /v1/me/documents?limit=20` (the same session check, access decision, query and
//! decryption, answered as JSON). Also the size of the stylesheet and of the heaviest page.
//!
//! Usage: `cargo bench --bench documents_page` (SQLite in a temporary directory; nothing else).
//! Rounds alternate (healthz, API, page, healthz, …) so that the machine's noise falls on all.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
#![allow(clippy::disallowed_methods)]

use std::time::{Duration, Instant};

use bytes::Bytes;
use futures_util::stream;

use kho::app::{AppState, launch};
use kho::config::Settings;
use kho::documents::{BodyError, NewDocument};
use kho::ids::{DocumentTypeCode, OwnerIdentifier, Text};

const DOCUMENTS: usize = 1_000;
const ROUNDS: usize = 5;
const PER_ROUND: usize = 200;
const OWNER: &str = "035199000123";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

async fn time(http: &reqwest::Client, url: &str, n: usize, into: &mut Vec<Duration>) {
    for _ in 0..n {
        let started = Instant::now();
        let response = http.get(url).send().await.unwrap();
        assert!(
            response.status().is_success(),
            "{url}: {}",
            response.status()
        );
        response.bytes().await.unwrap();
        into.push(started.elapsed());
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (mut settings, _) = Settings::load(None).unwrap();
    settings.database_url = secrecy::SecretString::from(format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("kho.db").display()
    ));
    settings.blob_url = dir.path().join("blobs").to_string_lossy().into_owned();
    settings.keys_dir = concat!(env!("CARGO_MANIFEST_DIR"), "/keys-dev").into();
    settings.public_url = base.parse().unwrap();
    let state = AppState::open(settings).await.unwrap();
    tokio::spawn(launch(state.clone(), listener, std::future::pending()));

    let http = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let signed_in = http
        .post(format!("{base}/dev/sign-in"))
        .form(&[("identifier", OWNER)])
        .send()
        .await
        .unwrap();
    assert_eq!(signed_in.status(), 303);
    let owner = state
        .owners
        .find(&OwnerIdentifier::parse(OWNER).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let started = Instant::now();
    let mut last = None;
    for i in 0..DOCUMENTS {
        let meta = NewDocument {
            type_code: DocumentTypeCode::parse(if i % 3 == 0 {
                "birth-certificate"
            } else {
                "other"
            })
            .unwrap(),
            title: Text::parse(&format!("Giấy tờ số {i}"), "title", 500).unwrap(),
            number: Some(Text::parse(&format!("{i}/2026"), "number", 100).unwrap()),
            issuing_agency: None,
            issue_date: None,
            valid_until: None,
        };
        let body = format!("%PDF-1.4\n% document {i}\n{}", "x".repeat(1024));
        let chunks = stream::iter([Ok::<_, BodyError>(Bytes::from(body))]);
        last = Some(
            state
                .documents
                .upload(owner, meta, chunks)
                .await
                .unwrap()
                .id,
        );
    }
    println!(
        "{DOCUMENTS} documents stored in {:.1} s; one client, {ROUNDS} rounds of {PER_ROUND} requests each",
        started.elapsed().as_secs_f64()
    );

    let targets = [
        (
            "GET /healthz (baseline: HTTP alone)",
            format!("{base}/healthz"),
        ),
        (
            "GET /v1/me/documents?limit=20 (baseline: the JSON API)",
            format!("{base}/v1/me/documents?limit=20"),
        ),
        (
            "GET /documents (the page, 20 per page)",
            format!("{base}/documents"),
        ),
    ];
    for (_, url) in &targets {
        time(&http, url, 50, &mut Vec::new()).await; // warm-up
    }
    let mut samples = vec![Vec::new(), Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (i, (_, url)) in targets.iter().enumerate() {
            time(&http, url, PER_ROUND, &mut samples[i]).await;
        }
    }
    let mut p50 = Vec::new();
    for ((name, _), mut s) in targets.iter().zip(samples) {
        s.sort();
        let (a, b) = (percentile(&s, 0.5), percentile(&s, 0.99));
        println!("{name}: p50 {}, p99 {}", ms(a), ms(b));
        p50.push(a);
    }
    println!(
        "page p50 / JSON API p50: {:.2}; page p50 - healthz p50: {}",
        p50[2].as_secs_f64() / p50[1].as_secs_f64(),
        ms(p50[2].saturating_sub(p50[0]))
    );

    // Sizes: the stylesheet, and every page a citizen sees (HTML only; no page has images
    // besides the seal's SVG).
    let last = last.unwrap();
    let page = http
        .get(format!("{base}/documents"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let css = page
        .split("href=\"/assets/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    let css = http
        .get(format!("{base}/assets/{css}"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    println!("stylesheet: {} bytes", css.len());
    let mut heaviest = (0, String::new());
    for path in [
        "/".to_owned(),
        "/documents".into(),
        "/documents?type=birth-certificate".into(),
        "/documents/new".into(),
        format!("/documents/{last}"),
        format!("/documents/{last}/edit"),
        format!("/documents/{last}/delete"),
        "/my-data".into(),
        "/my-data/erase".into(),
        "/privacy".into(),
    ] {
        let body = http
            .get(format!("{base}{path}"))
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap();
        if body.len() > heaviest.0 {
            heaviest = (body.len(), path);
        }
    }
    println!("heaviest page: {} bytes ({})", heaviest.0, heaviest.1);
}
