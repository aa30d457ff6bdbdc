//! `kho import PATH`: bulk import of issued documents for operators. `PATH` is a JSON-lines
//! file (or a directory holding `index.jsonl`); each line is `{"signed": "<the issuer's JWS, as
//! for a push>", "file": "<path of the content, relative to the index>"}`. Every line goes
//! through exactly the checks of `POST /v1/issuer/documents`.
//!
//! Resumable: each line's outcome is appended to `<index>.progress` as it is decided, so an
//! interrupted import, started again, goes on after the last line it recorded; a line cut off
//! half-way is pushed again, which the result code makes idempotent. A failure of the store
//! itself (not of the line) stops the import without recording the line. Ends with a summary on
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
use crate::documents::{BodyError, DocumentError};
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
    /// SHA-256 of the line's text: an outcome recorded for other text (the index was edited
    /// since) does not count.
    #[serde(default)]
    line_sha256: String,
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
    let mut done = read_journal(&journal_path, &lines);
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
        let (outcome, reason) = match import_line(&state, &base, raw).await {
            Imported::Stored => ("stored", None),
            Imported::AlreadyStored => ("already stored", None),
            Imported::Rejected(reason) => ("rejected", Some(reason)),
            Imported::Failed(why) => {
                // Not the line's fault: nothing is recorded, so the next run tries it again.
                bar.abandon();
                return Err(format!(
                    "line {number}: {why}; the import stopped here and resumes from this line \
                     when run again"
                )
                .into());
            }
        };
        let outcome = Outcome {
            line: number,
            line_sha256: line_hash(raw),
            outcome: outcome.into(),
            reason,
        };
        writeln!(journal, "{}", serde_json::to_string(&outcome)?)?;
        journal.flush()?;
        done.insert(number, outcome);
        bar.inc(1);
    }
    bar.finish_and_clear();
    println!("{}", summary(&lines, &done));
    Ok(())
}

/// What the journal at `path` says was done with `lines`: only entries for a line whose text is
/// still the same count (the index may have been edited), and a last entry cut off by a crash
/// is simply not done.
fn read_journal(path: &Path, lines: &[&str]) -> BTreeMap<usize, Outcome> {
    let mut done = BTreeMap::new();
    let Ok(journal) = std::fs::File::open(path) else {
        return done;
    };
    let entries = std::io::BufReader::new(journal)
        .lines()
        .map_while(Result::ok);
    for outcome in entries.filter_map(|e| serde_json::from_str::<Outcome>(&e).ok()) {
        let same_text = lines
            .get(outcome.line.wrapping_sub(1))
            .is_some_and(|raw| line_hash(raw) == outcome.line_sha256);
        if same_text {
            done.insert(outcome.line, outcome);
        }
    }
    done
}

/// The closing summary: lines, stored, already stored, and each rejected line with its reason.
fn summary(lines: &[&str], done: &BTreeMap<usize, Outcome>) -> serde_json::Value {
    let count = |what: &str| done.values().filter(|o| o.outcome == what).count();
    let rejected: Vec<_> = done
        .values()
        .filter(|o| o.outcome == "rejected")
        .map(|o| json!({ "line": o.line, "reason": o.reason }))
        .collect();
    json!({
        "lines": lines.iter().filter(|l| !l.trim().is_empty()).count(),
        "stored": count("stored"),
        "already_stored": count("already stored"),
        "rejected": rejected,
    })
}

/// What became of one line.
enum Imported {
    Stored,
    AlreadyStored,
    /// The line is bad: journaled and listed in the summary.
    Rejected(String),
    /// The store failed (database, blobs, keys): the import stops without journaling the line.
    Failed(String),
}

fn line_hash(raw: &str) -> String {
    hex::encode(<sha2::Sha256 as sha2::Digest>::digest(raw.as_bytes()))
}

/// Pushes one line.
async fn import_line(state: &AppState, base: &Path, raw: &str) -> Imported {
    let line: Line = match serde_json::from_str(raw) {
        Ok(line) => line,
        Err(e) => return Imported::Rejected(format!("not a valid import line: {e}")),
    };
    let outside = line.file.is_absolute()
        || line
            .file
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir));
    if outside {
        return Imported::Rejected("the file must be inside the import's directory".into());
    }
    let file = base.join(&line.file);
    let content = match tokio::fs::read(&file).await {
        Ok(content) => bytes::Bytes::from(content),
        Err(e) => return Imported::Rejected(format!("cannot read {}: {e}", line.file.display())),
    };
    // A first sign-in may create the owner's store while the push is read: once more then.
    for _ in 0..2 {
        let body = stream::iter([Ok::<_, BodyError>(content.clone())]);
        return match state.issued.push(line.signed.trim(), body).await {
            Ok(pushed) if pushed.created => Imported::Stored,
            Ok(_) => Imported::AlreadyStored,
            Err(issued::PushError::Document(DocumentError::OwnerCreatedMeanwhile)) => continue,
            Err(
                issued::PushError::Store(e) | issued::PushError::Document(DocumentError::Store(e)),
            ) => Imported::Failed(format!("storage failed: {e}")),
            Err(e) => Imported::Rejected(e.to_string()),
        };
    }
    Imported::Failed("the owner's store kept changing while the line was pushed".into())
}
