//! `kho import`: ten thousand issued documents, one in a hundred bad; the bad lines, and only
//! they, are reported; an import killed half-way and started again stores each good document
//! exactly once.

use crate::support::TestApp;
use std::io::BufRead;

use serde_json::{Value, json};

use crate::issued::{AGENCY, metadata, register_issuer, sign};
use crate::on_both_backends;
use crate::support::pdf_of_len;

const LINES: usize = 10_000;

fn is_bad(i: usize) -> bool {
    i % 100 == 37
}

async fn an_interrupted_import_resumes_and_reports_exactly_the_bad_lines(app: TestApp) {
    let issuer = register_issuer(&app, "tuphap-1", AGENCY);
    let dir = app.dir.path().join("import");
    std::fs::create_dir_all(dir.join("files")).unwrap();
    let mut index = String::new();
    for i in 0..LINES {
        let code = format!(
            "000.00.00.H49-2611{:02}-{:04}-KQ1",
            1 + i / 1000,
            i % 1000 + 1
        );
        let mut meta = metadata(&code);
        meta["owner"] = json!(format!("0351990001{:02}", i % 20));
        let content = pdf_of_len(100 + i % 50);
        // One line in a hundred is signed over other content.
        let signed_over = if is_bad(i) {
            pdf_of_len(99)
        } else {
            content.clone()
        };
        let signed = sign(&app, &issuer, &issuer.client_id, &meta, &signed_over);
        let file = format!("files/{i}.pdf");
        std::fs::write(dir.join(&file), &content).unwrap();
        index.push_str(&json!({"signed": signed, "file": file}).to_string());
        index.push('\n');
    }
    std::fs::write(dir.join("index.jsonl"), index).unwrap();

    // Started, then killed once a third is done.
    let mut child = app
        .kho_command(&["import", dir.to_str().unwrap()])
        .spawn()
        .unwrap();
    let journal = dir.join("index.progress");
    let recorded = || {
        std::fs::File::open(&journal)
            .map(|f| std::io::BufReader::new(f).lines().count())
            .unwrap_or(0)
    };
    let start = std::time::Instant::now();
    while recorded() < LINES / 3 {
        assert!(start.elapsed().as_secs() < 600, "the import makes progress");
        assert!(
            child.try_wait().unwrap().is_none(),
            "killed before it finished"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    child.kill().unwrap();
    child.wait().unwrap();

    let out = app.kho(&["import", dir.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    let rejected: Vec<u64> = summary["rejected"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    let expected: Vec<u64> = (0..LINES)
        .filter(|i| is_bad(*i))
        .map(|i| i as u64 + 1)
        .collect();
    assert_eq!(rejected, expected, "exactly the bad lines");
    assert!(
        summary["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("SHA-256")
    );
    let good = (LINES - expected.len()) as u64;
    assert_eq!(
        summary["stored"].as_u64().unwrap() + summary["already_stored"].as_u64().unwrap(),
        good
    );

    use kho::storage::entities::documents;
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let stored = documents::Entity::find()
        .filter(documents::Column::Source.eq("issued"))
        .count(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, good, "each good document stored once");
}

on_both_backends!(an_interrupted_import_resumes_and_reports_exactly_the_bad_lines);
