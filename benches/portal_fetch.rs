//! Portal fetch of a 64 KiB document on PostgreSQL — DPoP check, consent check, decrypt, and a
//! durable access-log row — at 2 and 16 concurrent portals, against a baseline that runs the
//! same SQL statements directly, in the same run, on the same pool.
//!
//! Usage: `cargo bench --bench portal_fetch` (needs PostgreSQL; `KHO_BENCH_POSTGRES_URL`,
//! default `postgres://postgres@127.0.0.1:5432/postgres`, names a server where a scratch
//! database can be created). Each portal fetches a different owner's document, as portals
//! serving different citizens do. Phases alternate (baseline, Kho, baseline, Kho, …) and the
//! medians are printed with their ratio.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
// Like a portal, the benchmark's clients read the real clock (DPoP `iat`).
#![allow(clippy::disallowed_methods)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{Duration as Span, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement, TransactionTrait, Value as Sql};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use kho::app::{AppState, launch};
use kho::config::Settings;
use kho::consents::NewConsent;
use kho::ids::OwnerIdentifier;
use kho::oauth::details::{Access, DocumentAccess};
use kho::oauth::handles;
use kho::owners;

const PHASE: Duration = Duration::from_secs(6);
const ROUNDS: usize = 3;
const SIZE: usize = 64 * 1024;

struct Portal {
    owner: Uuid,
    consent: Uuid,
    document: Uuid,
    token: String,
    client: String,
}

struct DpopKey {
    encoding: EncodingKey,
    jwk: Value,
    jkt: String,
}

fn dpop_key() -> DpopKey {
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let p = pair.public_key().as_ref().to_vec();
    let (x, y) = (
        URL_SAFE_NO_PAD.encode(&p[1..33]),
        URL_SAFE_NO_PAD.encode(&p[33..65]),
    );
    let jkt = URL_SAFE_NO_PAD.encode(Sha256::digest(format!(
        r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#
    )));
    DpopKey {
        encoding: EncodingKey::from_ec_der(pkcs8.as_ref()),
        jwk: json!({"kty": "EC", "crv": "P-256", "x": x, "y": y}),
        jkt,
    }
}

/// Proofs made before a phase starts: a real portal signs on its own machine.
fn proofs(key: &DpopKey, htu: &str, token: &str, n: usize) -> Vec<String> {
    let ath = URL_SAFE_NO_PAD.encode(Sha256::digest(token.as_bytes()));
    let mut header = Header::new(Algorithm::ES256);
    header.typ = Some("dpop+jwt".into());
    header.jwk = Some(serde_json::from_value(key.jwk.clone()).unwrap());
    (0..n)
        .map(|_| {
            let claims = json!({"jti": Uuid::new_v4().to_string(), "htm": "GET", "htu": htu,
                "iat": Utc::now().timestamp(), "ath": ath});
            jsonwebtoken::encode(&header, &claims, &key.encoding).unwrap()
        })
        .collect()
}

fn pdf() -> Vec<u8> {
    let mut v = b"%PDF-1.7\n".to_vec();
    v.resize(SIZE, b'k');
    v
}

async fn setup(state: &AppState, base: &str, n: usize, key: &DpopKey) -> Vec<Portal> {
    let client = kho::clients::add(
        &state.db,
        kho::clients::NewClient {
            name: kho::ids::Text::parse("Bench portal", "name", 100).unwrap(),
            agency: kho::ids::AgencyCode::parse("000.00.00.H49").unwrap(),
            role: kho::clients::Role::Portal,
            redirect_uris: vec!["https://portal.example/cb".parse().unwrap()],
            keys: kho::clients::KeySource::Secret,
        },
        state.clock.now(),
    )
    .await
    .unwrap()
    .client_id;
    let mut portals = Vec::new();
    for i in 0..n {
        let identifier = format!("0351990{i:05}");
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        http.post(format!("{base}/dev/sign-in"))
            .form(&[("identifier", identifier.as_str())])
            .send()
            .await
            .unwrap();
        let me: Value = http
            .get(format!("{base}/v1/me"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let form = reqwest::multipart::Form::new()
            .text("type", "id-card")
            .text("title", "Căn cước")
            .part(
                "file",
                reqwest::multipart::Part::bytes(pdf()).file_name("a.pdf"),
            );
        let doc: Value = http
            .post(format!("{base}/v1/me/documents"))
            .header("x-csrf-token", me["csrf_token"].as_str().unwrap())
            .multipart(form)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let document: Uuid = doc["id"].as_str().unwrap().parse().unwrap();
        let who = OwnerIdentifier::parse(&identifier).unwrap();
        let owner = owners::find(&state.db, &state.keys, &who)
            .await
            .unwrap()
            .unwrap()
            .id;
        let asked = DocumentAccess {
            procedure: "1.001193".into(),
            dossier: None,
            purpose: "benchmark".into(),
            document_types: vec!["id-card".into()],
            access: Access::UntilExpiry,
            expires_in: 86_400,
        };
        let consent = state
            .consents
            .create(NewConsent {
                owner,
                client_id: &client,
                agency_code: "000.00.00.H49",
                flow: "redirect",
                asked: &asked,
                binding_message: None,
                pending_until: Utc::now() + Span::minutes(5),
            })
            .await
            .unwrap();
        state
            .consents
            .approve(owner, consent, &[document], owner)
            .await
            .unwrap();
        let token = handles::issue_access_token(
            &state.db,
            consent,
            &client,
            &key.jkt,
            state.clock.now(),
            Utc::now() + Span::days(1),
        )
        .await
        .unwrap();
        portals.push(Portal {
            owner: owner.0,
            consent,
            document,
            token,
            client: client.clone(),
        });
    }
    portals
}

/// One Kho fetch: returns whether it succeeded with the whole document.
async fn fetch(http: &reqwest::Client, base: &str, p: &Portal, proof: String) -> bool {
    let response = http
        .get(format!("{base}/v1/shared/documents/{}/content", p.document))
        .header("authorization", format!("DPoP {}", p.token))
        .header("dpop", proof)
        .send()
        .await
        .unwrap();
    response.status() == 200 && response.bytes().await.unwrap().len() == SIZE
}

fn stmt(db: &DatabaseConnection, sql: &str, values: Vec<Sql>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Runs a query that must find its row (every row a fetch reads exists).
async fn expect_row(conn: &impl ConnectionTrait, sql: &str, values: Vec<Sql>) {
    let found = conn
        .query_one_raw(Statement::from_sql_and_values(
            conn.get_database_backend(),
            sql,
            values,
        ))
        .await
        .unwrap();
    assert!(found.is_some(), "{sql}");
}

/// The SQL statements of one fetch, run directly (what Kho sends PostgreSQL, in order).
async fn baseline_once(db: &DatabaseConnection, p: &Portal) {
    let now = Utc::now();
    let token_hash = handles::hash(&p.token);
    db.execute_raw(stmt(
        db,
        "INSERT INTO dpop_proofs (proof_hash, expires_at) VALUES ($1, $2)",
        vec![
            hex::encode(Sha256::digest(Uuid::new_v4().as_bytes())).into(),
            (now + Span::seconds(70)).into(),
        ],
    ))
    .await
    .unwrap();
    expect_row(
        db,
        "SELECT * FROM access_tokens WHERE token_hash = $1 LIMIT 1",
        vec![token_hash.into()],
    )
    .await;
    expect_row(
        db,
        "SELECT * FROM clients WHERE client_id = $1 LIMIT 1",
        vec![p.client.clone().into()],
    )
    .await;
    expect_row(
        db,
        "SELECT * FROM consents WHERE id = $1 LIMIT 1",
        vec![p.consent.into()],
    )
    .await;
    let txn = db.begin().await.unwrap();
    txn.execute_raw(stmt(
        db,
        "UPDATE owners SET id = id WHERE id = $1",
        vec![p.owner.into()],
    ))
    .await
    .unwrap();
    expect_row(
        &txn,
        "SELECT * FROM consents WHERE id = $1 LIMIT 1",
        vec![p.consent.into()],
    )
    .await;
    txn.query_all_raw(stmt(
        db,
        "SELECT * FROM consent_documents WHERE consent_id = $1",
        vec![p.consent.into()],
    ))
    .await
    .unwrap();
    let tail = txn
        .query_one_raw(stmt(
            db,
            "SELECT seq FROM access_log WHERE owner_id = $1 ORDER BY seq DESC LIMIT 1",
            vec![p.owner.into()],
        ))
        .await
        .unwrap();
    let seq: i64 = tail.map_or(0, |r| r.try_get("", "seq").unwrap()) + 1;
    txn.execute_raw(stmt(db, "INSERT INTO access_log (owner_id, seq, at, actor_kind, actor_person, actor_mandate, actor_client, action, document_id, outcome, detail, prev_hash, hash, version, actor_agency, consent_id, procedure, dossier, case_ref) \
        VALUES ($1, $2, $3, 'portal', NULL, NULL, $8, 'download_document', $4, 'allowed', NULL, $5, $6, 2, '000.00.00.H49', $7, '1.001193', NULL, NULL)",
        vec![p.owner.into(), seq.into(), now.to_rfc3339().into(), p.document.into(), "0".repeat(64).into(), "1".repeat(64).into(), p.consent.into(), p.client.clone().into()])).await.unwrap();
    txn.commit().await.unwrap();
    expect_row(
        db,
        "SELECT * FROM documents WHERE owner_id = $1 AND id = $2 LIMIT 1",
        vec![p.owner.into(), p.document.into()],
    )
    .await;
    expect_row(
        db,
        "SELECT * FROM owner_keys WHERE owner_id = $1 LIMIT 1",
        vec![p.owner.into()],
    )
    .await;
}

/// Runs `clients` loops for `PHASE`; returns (fetches per second, per-fetch latencies).
async fn phase<F, Fut>(clients: usize, run: F) -> (f64, Vec<Duration>)
where
    F: Fn(usize, usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let run = Arc::new(run);
    let start = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|c| {
            let run = run.clone();
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut i = 0;
                while start.elapsed() < PHASE {
                    let t = Instant::now();
                    run(c, i).await;
                    latencies.push(t.elapsed());
                    i += 1;
                }
                latencies
            })
        })
        .collect();
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    (all.len() as f64 / start.elapsed().as_secs_f64(), all)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

fn percentile(mut v: Vec<Duration>, p: f64) -> f64 {
    v.sort();
    v[((v.len() as f64 - 1.0) * p) as usize].as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let server = std::env::var("KHO_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("kho_bench_{}", std::process::id());
    let admin = sea_orm::Database::connect(&server)
        .await
        .expect("PostgreSQL (set KHO_BENCH_POSTGRES_URL)");
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = format!("{}/{name}", server.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    for f in std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/keys-dev")).unwrap() {
        let f = f.unwrap();
        std::fs::copy(f.path(), keys.join(f.file_name())).unwrap();
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (mut settings, _) = Settings::load(None).unwrap();
    settings.database_url = secrecy::SecretString::from(url.clone());
    settings.blob_url = dir.path().join("blobs").to_string_lossy().into_owned();
    settings.keys_dir = keys;
    settings.public_url = base.parse().unwrap();
    let state = AppState::open(settings).await.unwrap();
    let db = state.db.clone();
    tokio::spawn(launch(state.clone(), listener, std::future::pending()));
    let key = dpop_key();
    let portals = Arc::new(setup(&state, &base, 16, &key).await);
    let http = reqwest::Client::new();

    println!(
        "portal fetch of a {} KiB document, PostgreSQL, {} s phases, {ROUNDS} rounds",
        SIZE / 1024,
        PHASE.as_secs()
    );
    println!(
        "| clients | baseline fetches/s (SQL only) | Kho fetches/s | ratio | Kho p50 ms | Kho p99 ms |"
    );
    println!("|---|---|---|---|---|---|");
    for clients in [2usize, 16] {
        let (mut base_rates, mut kho_rates, mut kho_lat) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..ROUNDS {
            let (db2, ps) = (db.clone(), portals.clone());
            let (rate, _) = phase(clients, move |c, _| {
                let (db, ps) = (db2.clone(), ps.clone());
                async move { baseline_once(&db, &ps[c]).await }
            })
            .await;
            base_rates.push(rate);
            // Enough proofs for the phase, made beforehand.
            let per_client: Vec<Arc<std::sync::Mutex<Vec<String>>>> = (0..clients)
                .map(|c| {
                    let p = &portals[c];
                    let htu = format!("{base}/v1/shared/documents/{}/content", p.document);
                    Arc::new(std::sync::Mutex::new(proofs(&key, &htu, &p.token, 4000)))
                })
                .collect();
            let per_client = Arc::new(per_client);
            let (http2, ps, b) = (http.clone(), portals.clone(), base.clone());
            let (rate, latencies) = phase(clients, move |c, _| {
                let (http, ps, b, pc) = (http2.clone(), ps.clone(), b.clone(), per_client.clone());
                async move {
                    let proof = pc[c].lock().unwrap().pop().expect("enough proofs");
                    assert!(fetch(&http, &b, &ps[c], proof).await, "a fetch failed");
                }
            })
            .await;
            kho_rates.push(rate);
            kho_lat.extend(latencies);
        }
        let (b, k) = (median(base_rates), median(kho_rates));
        println!(
            "| {clients} | {b:.0} | {k:.0} | {:.2} | {:.1} | {:.1} |",
            k / b,
            percentile(kho_lat.clone(), 0.5),
            percentile(kho_lat, 0.99)
        );
    }
    drop(db);
    drop(state);
    let _ = admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await;
}
