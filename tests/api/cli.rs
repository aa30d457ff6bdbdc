//! The `kho` binary explains itself and refuses unsafe production settings.

fn kho(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_kho"));
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    command
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run kho")
}

#[test]
fn help_lists_every_command() {
    let out = kho(&["--help"], &[]);
    assert!(out.status.success());
    let help = String::from_utf8_lossy(&out.stdout);
    for command in ["serve", "migrate", "client", "keys", "mandate", "owner"] {
        assert!(
            help.contains(command),
            "`kho --help` does not mention {command}:\n{help}"
        );
    }
    let keys = String::from_utf8_lossy(&kho(&["keys", "--help"], &[]).stdout).into_owned();
    for sub in ["init", "status", "rotate", "retire"] {
        assert!(
            keys.contains(sub),
            "`kho keys --help` does not mention {sub}"
        );
    }
}

#[test]
fn production_refuses_the_dev_keys_even_with_safe_permissions() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    for entry in
        std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("keys-dev"))
            .unwrap()
    {
        let entry = entry.unwrap();
        let to = keys.join(entry.file_name());
        std::fs::copy(entry.path(), &to).unwrap();
        std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o600)).unwrap();
    }
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("kho.db").display());
    let keys = keys.display().to_string();
    let env = [
        ("KHO_PROFILE", "production"),
        ("KHO_PUBLIC_URL", "https://kho.example"),
        ("KHO_DATABASE_URL", db.as_str()),
        ("KHO_KEYS_DIR", keys.as_str()),
    ];
    let out = kho(&["serve"], &env);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("development key") && stderr.contains("kho keys init"),
        "{stderr}"
    );
}

#[test]
fn production_refuses_key_files_others_can_read() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let keys_str = keys.display().to_string();
    let env = [
        ("KHO_PROFILE", "production"),
        ("KHO_PUBLIC_URL", "https://kho.example"),
        ("KHO_KEYS_DIR", keys_str.as_str()),
    ];
    assert!(kho(&["keys", "init"], &env).status.success());
    for entry in std::fs::read_dir(&keys).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "key") {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        }
    }
    let out = kho(&["keys", "status"], &env);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("chmod 600"));
}

#[test]
fn production_refuses_a_plain_http_public_url() {
    let out = kho(
        &["serve"],
        &[
            ("KHO_PROFILE", "production"),
            ("KHO_PUBLIC_URL", "http://kho.example"),
        ],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https://"));
}

#[test]
fn production_runs_with_keys_made_by_keys_init() {
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let keys_str = keys.display().to_string();
    let db = format!("sqlite://{}?mode=rwc", dir.path().join("kho.db").display());
    let env = [
        ("KHO_PROFILE", "production"),
        ("KHO_PUBLIC_URL", "https://kho.example"),
        ("KHO_KEYS_DIR", keys_str.as_str()),
        ("KHO_DATABASE_URL", db.as_str()),
    ];
    assert!(kho(&["keys", "init"], &env).status.success());
    assert!(
        !kho(&["keys", "init"], &env).status.success(),
        "init refuses to overwrite a key ring"
    );
    let unmigrated = kho(
        &["serve"],
        &[
            env[0],
            env[1],
            env[2],
            env[3],
            ("KHO_LISTEN", "127.0.0.1:0"),
        ],
    );
    assert!(!unmigrated.status.success());
    assert!(
        String::from_utf8_lossy(&unmigrated.stderr).contains("kho migrate"),
        "production names the missing step"
    );
    assert!(kho(&["migrate"], &env).status.success());
    let status = kho(&["keys", "status"], &env);
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let status: serde_json::Value = serde_json::from_slice(&status.stdout).unwrap();
    let keys = status["keys"].as_array().unwrap();
    let purposes: Vec<&str> = keys
        .iter()
        .map(|k| k["purpose"].as_str().unwrap())
        .collect();
    assert_eq!(purposes, vec!["master", "blind-index", "signing"]);
}
