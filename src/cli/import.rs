//! `kho import PATH`: bulk import of issued documents for operators. `PATH` is a JSON-lines
//! file (or a directory holding `index.jsonl`); each line is `{"signed": "<the issuer's JWS, as
//! for a push>", "file": "<path of the content, relative to the index>"}`. Every line goes
//! through exactly the checks of `POST /v1/issuer/documents`.
//!
//! Resumable: each line's outcome is appended to `<index>.progress` as it is decided, so an
//! interrupted import, started again, goes on after the last line it recorded; a line cut off
//! half-way is pushed again, which the result code makes idempotent. Ends with a summary on
//! standard output that lists each rejected line and why.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::{Path, PathBuf};

use futures_util::stream;
use indicatif::{ProgressBar, ProgressStyle};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::app::AppState;
use crate::config::Settings;
use crate::documents::BodyError;
use crate::issued;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Line {
    signed: String,
    file: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct Outcome {
    line: usize,
    outcome: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
}

pub async fn run(path: PathBuf, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let index = if path.is_dir() {
        path.join("index.jsonl")
    } else {
        path
    };
    let base = index.parent().map(Path::to_path_buf).unwrap_or_default();
    let text = std::fs::read_to_string(&index)
        .map_err(|e| format!("cannot read {}: {e}", index.display()))?;
    let lines: Vec<&str> = text.lines().collect();
    let journal_path = index.with_extension("progress");
    let mut done: BTreeMap<usize, Outcome> = BTreeMap::new();
    if let Ok(journal) = std::fs::File::open(&journal_path) {
        for entry in std::io::BufReader::new(journal)
            .lines()
            .map_while(Result::ok)
        {
            // A last line cut off by a crash is simply not done.
            if let Ok(outcome) = serde_json::from_str::<Outcome>(&entry) {
                done.insert(outcome.line, outcome);
            }
        }
    }
    let mut journal = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&journal_path)
        .map_err(|e| format!("cannot write {}: {e}", journal_path.display()))?;
    let state = AppState::open(settings).await?;
    let bar = ProgressBar::new(lines.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} {per_sec} eta {eta} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(done.len() as u64);
    for (i, raw) in lines.iter().enumerate() {
        let number = i + 1;
        if done.contains_key(&number) || raw.trim().is_empty() {
            continue;
        }
        let outcome = match import_line(&state, &base, raw).await {
            Ok(true) => Outcome {
                line: number,
                outcome: "stored".into(),
                reason: None,
            },
            Ok(false) => Outcome {
                line: number,
                outcome: "already stored".into(),
                reason: None,
            },
            Err(reason) => Outcome {
                line: number,
                outcome: "rejected".into(),
                reason: Some(reason),
            },
        };
        writeln!(journal, "{}", serde_json::to_string(&outcome)?)?;
        journal.flush()?;
        done.insert(number, outcome);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let count = |what: &str| done.values().filter(|o| o.outcome == what).count();
    let rejected: Vec<_> = done
        .values()
        .filter(|o| o.outcome == "rejected")
        .map(|o| json!({ "line": o.line, "reason": o.reason }))
        .collect();
    println!(
        "{}",
        json!({
            "lines": lines.iter().filter(|l| !l.trim().is_empty()).count(),
            "stored": count("stored"),
            "already_stored": count("already stored"),
            "rejected": rejected,
        })
    );
    Ok(())
}

/// Pushes one line; `Ok(true)` when stored now, `Ok(false)` when it already was.
async fn import_line(state: &AppState, base: &Path, raw: &str) -> Result<bool, String> {
    let line: Line =
        serde_json::from_str(raw).map_err(|e| format!("not a valid import line: {e}"))?;
    let outside = line.file.is_absolute()
        || line
            .file
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if outside {
        return Err("the file must be inside the import's directory".into());
    }
    let file = base.join(&line.file);
    let content = tokio::fs::read(&file)
        .await
        .map_err(|e| format!("cannot read {}: {e}", line.file.display()))?;
    let body = stream::iter([Ok::<_, BodyError>(bytes::Bytes::from(content))]);
    match issued::push(state, line.signed.trim(), body).await {
        Ok(pushed) => Ok(pushed.created),
        Err(issued::PushError::Store(e)) => Err(format!("storage failed: {e}")),
        Err(e) => Err(e.to_string()),
    }
}
