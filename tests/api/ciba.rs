//! The decoupled flow (OpenID CIBA, poll mode): the portal asks while the owner is elsewhere;
//! the request waits in the owner's inbox with its binding message and a preview; the portal
//! polls and hears exactly what the spec says.

use crate::support::TestApp;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::pdf_of_len;
use crate::support::portal::{Portal, details};

const OWNER: &str = "035199000123";

async fn poll_error(portal: &Portal, id: &str) -> (StatusCode, String) {
    let response = portal.poll(id).await;
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    (
        status,
        body["error"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn the_owner_answers_in_the_inbox_and_the_portal_polls(app: TestApp) {
    let owner = app.sign_in(OWNER).await;
    let id_card = owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(5000))
        .await;
    let portal = Portal::register(&app);
    let asked: Value = portal
        .ciba(OWNER, &details(&["id-card"], "until_expiry", 3600))
        .await
        .json()
        .await
        .unwrap();
    let id = asked["auth_req_id"]
        .as_str()
        .expect("auth_req_id")
        .to_owned();
    assert_eq!(asked["interval"], 5);
    assert_eq!(
        poll_error(&portal, &id).await,
        (StatusCode::BAD_REQUEST, "authorization_pending".into())
    );
    assert_eq!(
        poll_error(&portal, &id).await.1,
        "slow_down",
        "polled sooner than the interval"
    );

    let inbox: Value = owner
        .get("/v1/me/consents?status=pending")
        .await
        .json()
        .await
        .unwrap();
    let request = &inbox["items"][0];
    assert_eq!(request["binding_message"], "Hồ sơ 0001");
    assert_eq!(request["flow"], "ciba");
    let consent = request["id"].as_str().unwrap().to_owned();
    let detail: Value = owner
        .get(&format!("/v1/me/consents/{consent}"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(detail["matching_documents"][0]["id"], id_card.as_str());
    let empty = owner
        .client
        .post(owner.url(&format!("/v1/me/consents/{consent}/approve")))
        .header("x-csrf-token", &owner.csrf)
        .json(&json!({"documents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        empty.status(),
        StatusCode::BAD_REQUEST,
        "approval needs at least one document"
    );
    let approved = owner
        .client
        .post(owner.url(&format!("/v1/me/consents/{consent}/approve")))
        .header("x-csrf-token", &owner.csrf)
        .json(&json!({"documents": [id_card]}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);

    // The interval grew to 10 s with the slow_down: time moves on instead of the test waiting.
    app.state.clock.advance(chrono::Duration::seconds(11));
    let granted = portal.poll(&id).await;
    assert_eq!(granted.status(), StatusCode::OK);
    let granted: Value = granted.json().await.unwrap();
    assert_eq!(granted["token_type"], "DPoP");
    assert_eq!(
        granted["authorization_details"][0]["documents"],
        json!([id_card])
    );
    let token = granted["access_token"].as_str().unwrap();
    let content = portal
        .fetch(&format!("/v1/shared/documents/{id_card}/content"), token)
        .await;
    assert_eq!(content.bytes().await.unwrap().to_vec(), pdf_of_len(5000));
}

async fn a_denied_request_is_access_denied(app: TestApp) {
    let owner = app.sign_in(OWNER).await;
    let portal = Portal::register(&app);
    let asked: Value = portal
        .ciba(OWNER, &details(&["id-card"], "once", 600))
        .await
        .json()
        .await
        .unwrap();
    let id = asked["auth_req_id"].as_str().unwrap().to_owned();
    let inbox: Value = owner
        .get("/v1/me/consents?status=pending")
        .await
        .json()
        .await
        .unwrap();
    let consent = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let denied = owner
        .client
        .post(owner.url(&format!("/v1/me/consents/{consent}/deny")))
        .header("x-csrf-token", &owner.csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(denied.status(), StatusCode::OK);
    assert_eq!(poll_error(&portal, &id).await.1, "access_denied");
    let again = owner
        .client
        .post(owner.url(&format!("/v1/me/consents/{consent}/approve")))
        .header("x-csrf-token", &owner.csrf)
        .json(&json!({"documents": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::CONFLICT,
        "a decided request stays decided"
    );
}

async fn bad_backchannel_requests_are_refused(app: TestApp) {
    let portal = Portal::register(&app);
    let bad_hint: Value = portal
        .ciba("12345", &details(&["id-card"], "once", 600))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bad_hint["error"], "unknown_user_id");
    let wrong_type: Value = portal
        .ciba(OWNER, &details(&["diploma"], "once", 600))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(wrong_type["error"], "invalid_authorization_details");
    let unknown: Value = portal.poll("no-such-request").await.json().await.unwrap();
    assert_eq!(unknown["error"], "invalid_grant");
    for _ in 0..3 {
        assert_eq!(
            portal
                .ciba(OWNER, &details(&["id-card"], "once", 600))
                .await
                .status(),
            StatusCode::OK
        );
    }
    let flooding = portal
        .ciba(OWNER, &details(&["id-card"], "once", 600))
        .await;
    assert_eq!(
        flooding.status(),
        StatusCode::FORBIDDEN,
        "a fourth waiting request from the same portal"
    );
}

/// Finding 12 of the review: the cap of three waiting requests holds when requests race.
async fn requests_sent_at_once_are_capped_at_three(app: TestApp) {
    app.sign_in(OWNER).await;
    let portal = Portal::register(&app);
    let asked = details(&["id-card"], "once", 600);
    let statuses = futures_util::future::join_all(
        (0..8).map(|_| async { portal.ciba(OWNER, &asked).await.status() }),
    )
    .await;
    let accepted = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(accepted, 3, "{statuses:?}");
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::OK || *s == StatusCode::FORBIDDEN),
        "{statuses:?}"
    );
}

/// Finding 11 of the review, the decision half: more owners approving at once than the pool has
/// connections (eight on SQLite) all complete, promptly — a decision checks the chosen
/// documents on its own transaction instead of waiting for a second connection.
async fn more_decisions_at_once_than_pool_connections_all_complete(app: TestApp) {
    let portal = Portal::register(&app);
    let mut decisions = Vec::new();
    for n in 0..12 {
        let who = format!("0351990002{n:02}");
        let owner = app.sign_in(&who).await;
        let id_card = owner
            .upload_ok("id-card", "Căn cước", pdf_of_len(1000))
            .await;
        let asked = portal
            .ciba(&who, &details(&["id-card"], "until_expiry", 3600))
            .await;
        assert_eq!(asked.status(), StatusCode::OK);
        let inbox: Value = owner
            .get("/v1/me/consents?status=pending")
            .await
            .json()
            .await
            .unwrap();
        let consent = inbox["items"][0]["id"].as_str().unwrap().to_owned();
        decisions.push((owner, consent, id_card));
    }
    let started = std::time::Instant::now();
    let answers = futures_util::future::join_all(decisions.iter().map(
        |(owner, consent, id_card)| async move {
            owner
                .client
                .post(owner.url(&format!("/v1/me/consents/{consent}/approve")))
                .header("x-csrf-token", &owner.csrf)
                .json(&json!({"documents": [id_card]}))
                .send()
                .await
                .unwrap()
                .status()
        },
    ))
    .await;
    assert!(answers.iter().all(|s| *s == StatusCode::OK), "{answers:?}");
    assert!(
        // Well under the pool's 30 s acquire timeout, where a stall ends; loose enough for a
        // busy CI machine (Argon2 and every commit's flush run in a debug build).
        started.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
}

/// Finding 12 of the review, second half: requests naming made-up identifiers cannot fill the
/// database. A store made for a request is forgotten once the request has lapsed and a day has
/// passed with nothing in it; a store in use stays, and the identifier still gets a store when
/// asked for again.
async fn a_store_made_for_a_request_nobody_answered_is_forgotten_a_day_later(app: TestApp) {
    use crate::issued::owner_stores;
    let portal = Portal::register(&app);
    let owner = app.sign_in(OWNER).await;
    owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(1000))
        .await;
    for n in 0..5 {
        let asked = portal
            .ciba(
                &format!("0351990003{n:02}"),
                &details(&["id-card"], "once", 600),
            )
            .await;
        assert_eq!(asked.status(), StatusCode::OK);
    }
    // An official's store holds nothing of its own, but names them in a citizen's log.
    let official = app
        .state
        .owners
        .find_or_create(&kho::ids::OwnerIdentifier::parse("001099000001").unwrap())
        .await
        .unwrap();
    let citizen = app
        .state
        .owners
        .find(&kho::ids::OwnerIdentifier::parse(OWNER).unwrap())
        .await
        .unwrap()
        .unwrap();
    let looked = kho::audit::Access::by_official(
        citizen.id,
        official.id,
        kho::access::Action::OfficialVerify,
        uuid::Uuid::now_v7(),
        "HS-1",
    );
    app.state.access_log.append(looked).await.unwrap();
    assert_eq!(owner_stores(&app).await, 7);
    assert_eq!(
        app.state.owners.forget_unused().await.unwrap(),
        0,
        "not while the requests wait"
    );
    app.state.clock.advance(chrono::Duration::hours(25));
    assert_eq!(app.state.owners.forget_unused().await.unwrap(), 5);
    assert_eq!(
        owner_stores(&app).await,
        2,
        "the store in use and the official named in a log stay"
    );
    let again = portal
        .ciba("035199000300", &details(&["id-card"], "once", 600))
        .await;
    assert_eq!(
        again.status(),
        StatusCode::OK,
        "asked again, it gets a store"
    );
    assert_eq!(owner_stores(&app).await, 3);
}

on_both_backends!(
    the_owner_answers_in_the_inbox_and_the_portal_polls,
    a_denied_request_is_access_denied,
    bad_backchannel_requests_are_refused,
    requests_sent_at_once_are_capped_at_three,
    more_decisions_at_once_than_pool_connections_all_complete,
    a_store_made_for_a_request_nobody_answered_is_forgotten_a_day_later
);
