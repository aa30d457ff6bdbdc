//! Master-key rotation re-wraps every owner key online; old documents stay readable and the old
//! key can then be retired.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::Value;

use crate::on_both_backends;
use crate::support::{OwnerClient, pdf_of_len};

async fn download_via_fresh_process(
    app: &crate::support::TestApp,
    owner: &OwnerClient,
    id: &str,
) -> Vec<u8> {
    // A new process: a key ring loaded from disk now, nothing cached.
    let state = app.fresh_state().await;
    let who = kho::ids::OwnerIdentifier::parse(&owner.identifier).unwrap();
    let found = kho::owners::find(&state.db, &state.keys, &who)
        .await
        .unwrap()
        .unwrap();
    let download = state
        .documents
        .download(found.id, id.parse().unwrap())
        .await
        .unwrap();
    use futures_util::TryStreamExt;
    download
        .body
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap()
}

async fn documents_stay_readable_after_rotation_and_the_old_key_can_be_retired(app: TestApp) {
    let a = app.sign_in("035199000123").await;
    let b = app.sign_in("0100233488").await;
    let doc_a = a.upload_ok("other", "a", pdf_of_len(70_000)).await;
    let doc_b = b.upload_ok("other", "b", pdf_of_len(5_000)).await;

    let out = app.kho(&["keys", "rotate", "--batch", "1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rotated["rewrapped"], 2);
    let new_key = rotated["active"].as_str().unwrap().to_owned();
    assert_ne!(new_key, "dev-master-1");

    // The running server picks up the new key without a restart.
    assert_eq!(a.download(&doc_a).await.unwrap(), pdf_of_len(70_000));
    let c = app.sign_in("001099000001").await;
    let status: Value = serde_json::from_slice(&app.kho(&["keys", "status"]).stdout).unwrap();
    assert_eq!(
        status["owner_keys_by_master"],
        serde_json::json!([{"kek_id": new_key, "owners": 3}])
    );

    let retired = app.kho(&["keys", "retire", "dev-master-1"]);
    assert!(
        retired.status.success(),
        "{}",
        String::from_utf8_lossy(&retired.stderr)
    );
    assert!(!app.keys_dir().join("dev-master-1.key").exists());
    assert_eq!(
        download_via_fresh_process(&app, &a, &doc_a).await,
        pdf_of_len(70_000)
    );
    assert_eq!(
        download_via_fresh_process(&app, &b, &doc_b).await,
        pdf_of_len(5_000)
    );
    assert_eq!(b.download(&doc_b).await.unwrap(), pdf_of_len(5_000));
    assert_eq!(c.get("/v1/me").await.status(), StatusCode::OK);
}

async fn a_key_still_in_use_cannot_be_retired_until_rotation_finishes(app: TestApp) {
    let a = app.sign_in("035199000123").await;
    let doc = a.upload_ok("other", "a", pdf_of_len(1000)).await;
    // An interrupted rotation: the new key is active but nothing is re-wrapped yet.
    app.state.keys.add_master().unwrap();
    let refused = app.kho(&["keys", "retire", "dev-master-1"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("--resume"));
    assert!(app.keys_dir().join("dev-master-1.key").exists());
    assert_eq!(a.download(&doc).await.unwrap(), pdf_of_len(1000));

    let resumed = app.kho(&["keys", "rotate", "--resume"]);
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let resumed: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(resumed["rewrapped"], 1);
    assert!(resumed["added"].is_null());
    assert!(
        app.kho(&["keys", "retire", "dev-master-1"])
            .status
            .success()
    );
    assert_eq!(
        download_via_fresh_process(&app, &a, &doc).await,
        pdf_of_len(1000)
    );
}

on_both_backends!(
    documents_stay_readable_after_rotation_and_the_old_key_can_be_retired,
    a_key_still_in_use_cannot_be_retired_until_rotation_finishes
);

async fn published_kids(app: &crate::support::TestApp) -> Vec<String> {
    let jwks: Value = app
        .anonymous()
        .get(app.url("/oauth/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_owned())
        .collect()
}

async fn a_signing_key_rotation_is_served_at_once_and_the_old_key_stays_published(app: TestApp) {
    let before = published_kids(&app).await;
    assert_eq!(before, vec!["dev-signing-1".to_owned()]);
    // An owner whose access log has a checkpoint signed by the first key.
    let owner = app.sign_in("035199000123").await;
    let id_card = owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(100))
        .await;
    let portal = crate::support::portal::Portal::register(&app);
    let granted = crate::support::portal::consent_by_redirect(
        &app,
        &portal,
        &owner,
        &["id-card"],
        "until_expiry",
        &[&id_card],
    )
    .await;
    let token = granted["access_token"].as_str().unwrap();
    portal.fetch("/v1/shared/documents", token).await;
    assert_eq!(app.state.access_log.checkpoint_all().await.unwrap(), 1);

    let out = app.kho(&["keys", "rotate", "--signing"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rotated: Value = serde_json::from_slice(&out.stdout).unwrap();
    let new = rotated["active_signing"].as_str().unwrap().to_owned();
    let after = published_kids(&app).await;
    assert!(
        after.contains(&new) && after.contains(&"dev-signing-1".to_owned()),
        "{after:?}"
    );
    // What the running server signs now carries the new key id.
    let consent = granted["authorization_details"][0]["consent_id"]
        .as_str()
        .unwrap();
    let receipt = owner
        .get(&format!("/v1/me/consents/{consent}/receipt"))
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&receipt).unwrap().kid,
        Some(new.clone())
    );

    // The old key still vouches for a checkpoint: it may not be retired yet.
    let refused = app.kho(&["keys", "retire", "dev-signing-1"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("checkpoints"));
    // The periodic signing signs the same head again with the new key; then it may go.
    assert_eq!(app.state.access_log.checkpoint_all().await.unwrap(), 1);
    let out = app.kho(&["keys", "retire", "dev-signing-1"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(published_kids(&app).await, vec![new]);
    let bundle = owner.get("/v1/me/access-log/bundle").await;
    assert_eq!(
        bundle.status(),
        StatusCode::OK,
        "the log still checkpoints after the retirement"
    );
}

on_both_backends!(a_signing_key_rotation_is_served_at_once_and_the_old_key_stays_published);
