//! The S3 server of the tests: Garage (the Rust S3-compatible store), one single-node cluster per
//! test process, started on first use on free loopback ports with one bucket and one key. Each
//! app gets a prefix of its own in the bucket. Without a `garage` binary the apps that would use
//! it fall back to a local directory, loudly; `KHO_TEST_REQUIRE_ALL=1` fails instead (`.ci/run`
//! installs Garage once per machine).
//!
//! The server is started under `sh`, which reads its standard input: when the test process
//! ends, however it ends, the pipe closes and `sh` stops Garage and removes its directory.

use std::path::{Path, PathBuf};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

/// The region Garage signs for.
pub const REGION: &str = "garage";
const BUCKET: &str = "kho";
const KEY_ID: &str = "GK0123456789abcdef01234567";
const SECRET: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
/// The cluster's RPC secret: a test cluster's, on loopback only.
const RPC_SECRET: &str = "c3ea8cb80333d04e208d136698b1a01ae370d463f0d435ab2177510b3478bf44";

/// A running Garage.
pub struct Garage {
    /// `http://127.0.0.1:<port>`, its S3 API.
    pub endpoint: String,
    /// Its configuration file, for `garage -c`.
    pub config: PathBuf,
    binary: PathBuf,
    /// Held until the process ends: closing it stops Garage.
    _stdin: Mutex<ChildStdin>,
}

impl Garage {
    /// The test process's Garage, started on first use; `None` (loudly) when it cannot run and
    /// `KHO_TEST_REQUIRE_ALL` is not set.
    pub fn shared() -> Option<&'static Garage> {
        // Tried once per test process: the outcome, failure included, is kept.
        static GARAGE: OnceLock<Result<Garage, String>> = OnceLock::new();
        match GARAGE.get_or_init(start_with_retries) {
            Ok(garage) => Some(garage),
            Err(why) => unavailable(why),
        }
    }

    /// `KHO_BLOB_URL` for a new app: a prefix of its own in the bucket.
    pub fn blob_url(&self) -> String {
        format!("s3://{BUCKET}/{}", uuid::Uuid::new_v4())
    }

    /// The settings that reach it.
    pub fn configure(&self, settings: &mut kho::config::Settings) {
        settings.blob_url = self.blob_url();
        settings.s3_endpoint = Some(self.endpoint.clone());
        settings.s3_region = Some(REGION.into());
        settings.s3_access_key_id = Some(KEY_ID.into());
        settings.s3_secret_access_key = Some(secrecy::SecretString::from(SECRET));
    }

    /// The same, as variables for a `kho` process.
    pub fn variables(&self, blob_url: &str) -> Vec<(&'static str, String)> {
        vec![
            ("KHO_BLOB_URL", blob_url.to_owned()),
            ("KHO_S3_ENDPOINT", self.endpoint.clone()),
            ("KHO_S3_REGION", REGION.into()),
            ("KHO_S3_ACCESS_KEY_ID", KEY_ID.into()),
            ("KHO_S3_SECRET_ACCESS_KEY", SECRET.into()),
        ]
    }

    /// `garage -c <config> <args>`.
    pub fn command(&self, args: &[&str]) -> Command {
        command(&self.binary, &self.config, args)
    }
}

fn unavailable<T>(why: &str) -> Option<T> {
    if super::provider::required() {
        panic!("Garage is required (KHO_TEST_REQUIRE_ALL=1) but cannot run: {why}");
    }
    eprintln!(
        "\n!!!!! SKIPPED: the test S3 server (Garage) cannot run ({why}); apps use a local directory instead. Install it with `cargo install garage --locked --no-default-features --features bundled-libs,lmdb` or set KHO_TEST_GARAGE to its path. CI sets KHO_TEST_REQUIRE_ALL=1 and fails instead. !!!!!\n"
    );
    None
}

/// The `garage` binary: `KHO_TEST_GARAGE`, else `garage` on the `PATH`.
fn binary() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("KHO_TEST_GARAGE") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("garage"))
        .find(|candidate| candidate.is_file())
}

fn command(binary: &Path, config: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(binary);
    command
        .arg("-c")
        .arg(config)
        .args(args)
        .env("RUST_LOG", "warn");
    command
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Ports are chosen free and taken by Garage a moment later; another process may take one
/// meanwhile, so a start whose S3 API does not answer is tried again on other ports.
fn start_with_retries() -> Result<Garage, String> {
    let binary = binary().ok_or("no `garage` binary (KHO_TEST_GARAGE or PATH)")?;
    let mut last = String::new();
    for _ in 0..3 {
        match start(&binary) {
            Ok(garage) => return Ok(garage),
            Err(why) => last = why,
        }
    }
    Err(last)
}

fn start(binary: &Path) -> Result<Garage, String> {
    let binary = binary.to_owned();
    // Kept past the test process: the `sh` below removes it when Garage stops.
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?.keep();
    let (s3, rpc, admin) = (free_port(), free_port(), free_port());
    let config = dir.join("garage.toml");
    let text = format!(
        r#"metadata_dir = "{dir}/meta"
data_dir = "{dir}/data"
db_engine = "lmdb"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc}"
rpc_public_addr = "127.0.0.1:{rpc}"
rpc_secret = "{RPC_SECRET}"

[s3_api]
s3_region = "{REGION}"
api_bind_addr = "127.0.0.1:{s3}"
root_domain = ".s3.garage.localhost"

[admin]
api_bind_addr = "127.0.0.1:{admin}"
"#,
        dir = dir.display()
    );
    std::fs::write(&config, text).map_err(|e| e.to_string())?;
    let log = std::fs::File::create(dir.join("garage.log")).map_err(|e| e.to_string())?;
    let mut child = Command::new("sh")
        .arg("-c")
        // The trap comes after `&`, so Garage itself still stops on a signal; `sh` outlives an
        // interrupt of the test run long enough to stop Garage and clean up.
        .arg(r#""$0" -c "$1" server & pid=$!; trap '' INT TERM HUP; cat >/dev/null; kill $pid; wait $pid; rm -rf "$2""#)
        .arg(&binary)
        .arg(&config)
        .arg(&dir)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(log.try_clone().map_err(|e| e.to_string())?)
        .stderr(log)
        .spawn()
        .map_err(|e| format!("sh: {e}"))?;
    let stdin = child.stdin.take().ok_or("no stdin")?;
    let run = |args: &[&str]| -> Result<String, String> {
        let out = command(&binary, &config, args)
            .output()
            .map_err(|e| format!("garage {args:?}: {e}"))?;
        if out.status.success() {
            Ok(String::from_utf8_lossy(&out.stdout).into_owned())
        } else {
            Err(format!(
                "garage {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    let log_tail = || {
        let log = std::fs::read_to_string(dir.join("garage.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        tail.into_iter().rev().collect::<Vec<_>>().join("\n")
    };
    let set_up = || -> Result<(), String> {
        let mut status = Err(String::from("did not answer in 30 s"));
        for _ in 0..60 {
            status = run(&["status"]);
            if status.is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        status?;
        let node = run(&["node", "id", "-q"])?;
        let node = node.trim().split('@').next().unwrap_or_default().to_owned();
        run(&["layout", "assign", "-z", "dc1", "-c", "1G", &node])?;
        run(&["layout", "apply", "--version", "1"])?;
        run(&["key", "import", "--yes", "-n", "kho", KEY_ID, SECRET])?;
        run(&["bucket", "create", BUCKET])?;
        run(&[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", "kho",
        ])?;
        // The S3 API is Garage's, not another process's that took the port meanwhile.
        std::net::TcpStream::connect(("127.0.0.1", s3))
            .map_err(|e| format!("the S3 port {s3} does not answer: {e}"))?;
        Ok(())
    };
    if let Err(why) = set_up() {
        let why = format!("{why}\n{}", log_tail());
        drop(stdin); // stops Garage and removes its directory
        let _ = child.wait();
        return Err(why);
    }
    let stdin = Mutex::new(stdin);
    Ok(Garage {
        endpoint: format!("http://127.0.0.1:{s3}"),
        config,
        binary,
        _stdin: stdin,
    })
}
