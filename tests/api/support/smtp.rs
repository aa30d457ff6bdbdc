//! The SMTP server of the tests: Python's aiosmtpd (`tests/smtp/sink.py`) on a free port, keeping
//! each message it accepts as a file. Without it the tests are skipped loudly, or fail under
//! `KHO_TEST_REQUIRE_ALL=1` (`.ci/run` installs it with pip).

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A message as the SMTP server took it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct Mail {
    /// The envelope's recipients.
    pub to: Vec<String>,
    pub from: String,
    pub subject: String,
    pub message_id: String,
    /// The decoded text.
    pub text: String,
    /// The message as sent.
    pub raw: String,
}

impl Mail {
    /// The first link in the text that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.text.find(prefix)?;
        let rest = &self.text[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

pub struct SmtpSink {
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
}

fn unavailable<T>(why: &str) -> Option<T> {
    if super::provider::required() {
        panic!("the SMTP server is required (KHO_TEST_REQUIRE_ALL=1) but cannot run: {why}");
    }
    eprintln!(
        "\n!!!!! SKIPPED: the test SMTP server cannot run ({why}); run `python3 -m pip install -r tests/smtp/requirements.txt`. CI sets KHO_TEST_REQUIRE_ALL=1 and fails instead. !!!!!\n"
    );
    None
}

impl SmtpSink {
    pub fn start() -> Option<Self> {
        let dir = tempfile::tempdir().expect("temp dir");
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/smtp/sink.py");
        let mut child = match Command::new("python3")
            .arg(script)
            .arg(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => return unavailable(&format!("python3: {e}")),
        };
        let stdout = child.stdout.take().expect("stdout");
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let Some(port) = line
            .trim()
            .strip_prefix("listening ")
            .and_then(|p| p.parse().ok())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return unavailable("aiosmtpd did not start (is it installed?)");
        };
        Some(Self { port, dir, child })
    }

    /// `KHO_SMTP_URL` for Kho.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// Every message accepted so far, oldest first.
    pub fn messages(&self) -> Vec<Mail> {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .expect("read the mail directory")
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.'))
            })
            .collect();
        names.sort();
        names
            .iter()
            .map(|p| {
                let text = std::fs::read_to_string(p).expect("read a message");
                serde_json::from_str(&text).expect("a message the sink kept")
            })
            .collect()
    }

    /// The messages once there are at least `n` of them; panics after `within`.
    pub async fn wait_for(&self, n: usize, within: Duration) -> Vec<Mail> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let messages = self.messages();
            if messages.len() >= n {
                return messages;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "expected {n} message(s) at the SMTP server within {within:?}, got {}",
                messages.len()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
