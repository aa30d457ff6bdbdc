//! A portal on a standard OAuth client library: `tests/oidc-provider/portal-client.mjs`, built
//! on npm `oauth4webapi`, driven line by line from the test.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use super::provider::{install, provider_dir, unavailable};

pub struct LibraryPortal {
    child: Child,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

impl LibraryPortal {
    /// Starts the client with `config`; `None` (with a loud message) where Node is missing and
    /// CI does not require it.
    pub fn start(config: &Value) -> Option<Self> {
        if let Err(why) = install() {
            return unavailable(&why);
        }
        let mut child = match Command::new("node")
            .arg(provider_dir().join("portal-client.mjs"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => return unavailable(&format!("node cannot start: {e}")),
        };
        let mut stdin = child.stdin.take().expect("stdin");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        writeln!(stdin, "{config}").expect("config");
        Some(Self {
            child,
            stdin,
            lines,
        })
    }

    /// The next message; panics on an `error` message or after a minute.
    pub async fn next(&self) -> Value {
        let line = tokio::task::block_in_place(|| self.lines.recv_timeout(Duration::from_secs(60)))
            .expect("a message from the OAuth client library");
        let message: Value = serde_json::from_str(&line).expect("JSON");
        assert!(
            message.get("error").is_none(),
            "the OAuth client library failed: {message}"
        );
        message
    }

    pub fn send(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("send");
    }
}

impl Drop for LibraryPortal {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
