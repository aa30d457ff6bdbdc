//! Acting for someone else: exactly what the mandate's scope allows, only between its dates,
//! and a guardianship ends at the child's majority.

use chrono::{Datelike, Months, Utc};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::{OwnerClient, TestApp, pdf_of_len};

const COMPANY: &str = "0100233488";
const READER: &str = "035199000123";
const MANAGER: &str = "001099000001";

fn mandate(app: &TestApp, args: &[&str]) -> Result<Value, String> {
    let mut all = vec!["mandate", "add"];
    all.extend_from_slice(args);
    let out = app.kho(&all);
    if out.status.success() {
        Ok(serde_json::from_slice(&out.stdout).unwrap())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

async fn act_as(person: &OwnerClient, owner: Option<&str>) -> StatusCode {
    person
        .client
        .post(person.url("/v1/me/act-as"))
        .header("x-csrf-token", &person.csrf)
        .json(&json!({ "owner": owner }))
        .send()
        .await
        .unwrap()
        .status()
}

async fn me(person: &OwnerClient) -> (StatusCode, Value) {
    let response = person.get("/v1/me").await;
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

/// A personal ID of someone born on `born` (province 001).
fn personal_id_born(born: chrono::NaiveDate) -> String {
    let century = (born.year() - 1900) / 100 * 2; // 0 for the 1900s, 2 for the 2000s (male)
    format!("001{century}{:02}000042", born.year() % 100)
}

async fn a_representative_can_do_exactly_what_the_scope_allows(app: TestApp) {
    mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            READER,
            "--kind",
            "representative",
            "--scope",
            "read",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            MANAGER,
            "--kind",
            "representative",
            "--scope",
            "read,manage",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    let manager = app.sign_in(MANAGER).await;
    let mandates: Value = manager.get("/v1/me/mandates").await.json().await.unwrap();
    assert_eq!(mandates[0]["owner"], COMPANY);
    assert_eq!(
        act_as(&manager, Some(COMPANY)).await,
        StatusCode::NO_CONTENT
    );
    let id = manager
        .upload_ok("business-registration", "GCN ĐKDN", pdf_of_len(500))
        .await;

    let reader = app.sign_in(READER).await;
    assert_eq!(act_as(&reader, Some(COMPANY)).await, StatusCode::NO_CONTENT);
    let (_, acting) = me(&reader).await;
    assert_eq!(acting["identifier"], COMPANY);
    assert_eq!(acting["kind"], "organisation");
    assert_eq!(acting["acting_person"], READER);
    assert_eq!(acting["scopes"], json!(["read"]));
    assert_eq!(reader.list("").await["items"][0]["id"], id.as_str());
    assert_eq!(reader.download(&id).await.unwrap(), pdf_of_len(500));
    assert_eq!(
        reader.upload("other", "x", pdf_of_len(10)).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader
            .delete(&format!("/v1/me/documents/{id}"))
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        reader.delete("/v1/me").await.status(),
        StatusCode::FORBIDDEN,
        "no erasing a store one represents"
    );
    assert_eq!(
        manager.delete("/v1/me").await.status(),
        StatusCode::FORBIDDEN,
        "not even with manage"
    );
    assert_eq!(
        manager
            .delete(&format!("/v1/me/documents/{id}"))
            .await
            .status(),
        StatusCode::NO_CONTENT
    );

    // Back to one's own store; and no acting for an owner without a mandate.
    assert_eq!(act_as(&reader, None).await, StatusCode::NO_CONTENT);
    assert_eq!(me(&reader).await.1["identifier"], READER);
    assert_eq!(reader.list("").await["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        act_as(&reader, Some("0101245486")).await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(act_as(&reader, Some(MANAGER)).await, StatusCode::FORBIDDEN);
}

async fn a_mandate_acts_only_between_its_dates_and_until_revoked(app: TestApp) {
    let tomorrow = (Utc::now() + chrono::Duration::days(1))
        .date_naive()
        .to_string();
    mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            READER,
            "--kind",
            "representative",
            "--scope",
            "read",
            "--basis",
            "business-registration",
            "--from",
            &tomorrow,
        ],
    )
    .unwrap();
    mandate(
        &app,
        &[
            "--owner",
            "0101245486",
            "--representative",
            READER,
            "--kind",
            "representative",
            "--scope",
            "read",
            "--basis",
            "business-registration",
            "--from",
            "2020-01-01",
            "--until",
            "2021-01-01",
        ],
    )
    .unwrap();
    let reader = app.sign_in(READER).await;
    assert_eq!(
        act_as(&reader, Some(COMPANY)).await,
        StatusCode::FORBIDDEN,
        "not yet"
    );
    assert_eq!(
        act_as(&reader, Some("0101245486")).await,
        StatusCode::FORBIDDEN,
        "over"
    );
    assert_eq!(
        reader
            .get("/v1/me/mandates")
            .await
            .json::<Value>()
            .await
            .unwrap(),
        json!([])
    );

    let current = mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            READER,
            "--kind",
            "authorised",
            "--scope",
            "read",
            "--basis",
            "written-authorisation",
        ],
    )
    .unwrap();
    assert_eq!(act_as(&reader, Some(COMPANY)).await, StatusCode::NO_CONTENT);
    assert_eq!(me(&reader).await.0, StatusCode::OK);
    let revoked = app.kho(&["mandate", "revoke", current["mandate_id"].as_str().unwrap()]);
    assert!(revoked.status.success());
    // The very next request is refused: the mandate is checked every time.
    let (status, body) = me(&reader).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["type"], "urn:kho:problem:forbidden");
    // …and the session is handed back to the person, who is never locked out.
    assert_eq!(me(&reader).await.1["identifier"], READER);
    assert_eq!(
        reader.list("").await["items"],
        json!([]),
        "their own (empty) store, not the company's"
    );
    assert_eq!(
        act_as(&reader, Some(COMPANY)).await,
        StatusCode::FORBIDDEN,
        "and cannot go back"
    );
}

async fn a_guardianship_ends_at_the_childs_majority(app: TestApp) {
    let today = Utc::now().date_naive();
    // Comes of age in two days: the guardianship holds now and ends by itself then.
    let born = today
        .checked_sub_months(Months::new(12 * 18))
        .unwrap()
        .succ_opt()
        .unwrap()
        .succ_opt()
        .unwrap();
    let child = personal_id_born(born);
    mandate(
        &app,
        &[
            "--owner",
            &child,
            "--representative",
            READER,
            "--kind",
            "guardian",
            "--scope",
            "read,manage",
            "--basis",
            "birth-certificate",
            "--child-born",
            &born.to_string(),
            "--until",
            "2099-01-01",
        ],
    )
    .unwrap();
    let listed: Value =
        serde_json::from_slice(&app.kho(&["mandate", "list", "--owner", &child]).stdout).unwrap();
    let eve = born
        .checked_add_months(Months::new(12 * 18))
        .unwrap()
        .pred_opt()
        .unwrap();
    assert_eq!(
        listed[0]["valid_until"],
        format!("{eve}T17:00:00Z"),
        "capped at majority (midnight in Vietnam), whatever --until said"
    );
    assert_eq!(listed[0]["active"], true);
    let parent = app.sign_in(READER).await;
    assert_eq!(act_as(&parent, Some(&child)).await, StatusCode::NO_CONTENT);

    // A child already of age cannot be put under guardianship.
    let adult_born = today
        .checked_sub_months(Months::new(12 * 18))
        .unwrap()
        .pred_opt()
        .unwrap();
    let err = mandate(
        &app,
        &[
            "--owner",
            &personal_id_born(adult_born),
            "--representative",
            READER,
            "--kind",
            "guardian",
            "--scope",
            "read",
            "--basis",
            "birth-certificate",
            "--child-born",
            &adult_born.to_string(),
        ],
    )
    .unwrap_err();
    assert!(err.contains("already of age"), "{err}");
    // The birth date must match the personal ID; a guardianship needs one.
    assert!(
        mandate(
            &app,
            &[
                "--owner",
                &child,
                "--representative",
                READER,
                "--kind",
                "guardian",
                "--scope",
                "read",
                "--basis",
                "birth-certificate",
                "--child-born",
                "1990-01-01"
            ]
        )
        .unwrap_err()
        .contains("does not match")
    );
    assert!(
        mandate(
            &app,
            &[
                "--owner",
                &child,
                "--representative",
                READER,
                "--kind",
                "guardian",
                "--scope",
                "read",
                "--basis",
                "birth-certificate"
            ]
        )
        .unwrap_err()
        .contains("date of birth")
    );
    assert!(
        mandate(
            &app,
            &[
                "--owner",
                COMPANY,
                "--representative",
                READER,
                "--kind",
                "guardian",
                "--scope",
                "read",
                "--basis",
                "birth-certificate",
                "--child-born",
                "2010-01-01"
            ]
        )
        .is_err()
    );
}

/// A guardianship of a child who comes of age in two days: it acts now, and not once the
/// app's clock has moved past the eighteenth birthday.
async fn a_guardianship_ends_by_itself_when_the_child_comes_of_age(app: TestApp) {
    let born = Utc::now()
        .date_naive()
        .checked_sub_months(Months::new(12 * 18))
        .unwrap()
        .succ_opt()
        .unwrap()
        .succ_opt()
        .unwrap();
    let child = personal_id_born(born);
    mandate(
        &app,
        &[
            "--owner",
            &child,
            "--representative",
            READER,
            "--kind",
            "guardian",
            "--scope",
            "read",
            "--basis",
            "birth-certificate",
            "--child-born",
            &born.to_string(),
        ],
    )
    .unwrap();
    let parent = app.sign_in(READER).await;
    assert_eq!(act_as(&parent, Some(&child)).await, StatusCode::NO_CONTENT);
    assert_eq!(me(&parent).await.0, StatusCode::OK);
    app.state.clock.advance(chrono::Duration::days(3));
    // The earlier session has ended too (twelve hours): a new one finds no mandate to act under.
    let parent = app.sign_in(READER).await;
    assert_eq!(act_as(&parent, Some(&child)).await, StatusCode::FORBIDDEN);
}

on_both_backends!(
    a_representative_can_do_exactly_what_the_scope_allows,
    a_mandate_acts_only_between_its_dates_and_until_revoked,
    a_guardianship_ends_at_the_childs_majority,
    a_guardianship_ends_by_itself_when_the_child_comes_of_age
);

async fn the_access_log_names_the_representative_and_the_owner_and_keeps_denials(app: TestApp) {
    use kho::audit::verify_chain;
    use kho::storage::entities::access_log;
    use sea_orm::{ActiveValue::Set, EntityTrait, QueryOrder};

    let reader_mandate = mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            READER,
            "--kind",
            "representative",
            "--scope",
            "read",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            MANAGER,
            "--kind",
            "representative",
            "--scope",
            "read,manage",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    let manager = app.sign_in(MANAGER).await;
    assert_eq!(
        act_as(&manager, Some(COMPANY)).await,
        StatusCode::NO_CONTENT
    );
    let id = manager
        .upload_ok("business-registration", "GCN", pdf_of_len(100))
        .await;

    let reader = app.sign_in(READER).await;
    assert_eq!(act_as(&reader, Some(COMPANY)).await, StatusCode::NO_CONTENT);
    reader.list("").await;
    assert_eq!(reader.download(&id).await.unwrap(), pdf_of_len(100));
    assert!(
        app.kho(&[
            "mandate",
            "revoke",
            reader_mandate["mandate_id"].as_str().unwrap()
        ])
        .status
        .success()
    );
    assert_eq!(reader.list_status().await, StatusCode::FORBIDDEN);

    let log: Value = manager.get("/v1/me/access-log").await.json().await.unwrap();
    let entries = log["entries"].as_array().unwrap();
    let by_reader: Vec<&Value> = entries
        .iter()
        .filter(|e| e["actor"]["person"] == READER)
        .collect();
    let actions: Vec<(&str, &str)> = by_reader
        .iter()
        .rev()
        .map(|e| {
            (
                e["action"].as_str().unwrap(),
                e["outcome"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("list_documents", "allowed"),
            ("download_document", "allowed"),
            ("act_under_mandate", "denied")
        ]
    );
    assert_eq!(by_reader[1]["document"], id.as_str());
    assert_eq!(by_reader[0]["actor"]["kind"], "representative");
    assert_eq!(
        by_reader[0]["actor"]["mandate"],
        reader_mandate["mandate_id"]
    );
    // The log is the owner's (the company's): the reader's own store has none.
    assert_eq!(act_as(&reader, None).await, StatusCode::NO_CONTENT);
    assert_eq!(
        reader
            .get("/v1/me/access-log")
            .await
            .json::<Value>()
            .await
            .unwrap()["entries"],
        json!([])
    );

    // The chain holds, and an edit made in the database is caught at its entry.
    let rows = access_log::Entity::find()
        .order_by_asc(access_log::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap();
    assert!(rows.len() >= 4);
    assert_eq!(verify_chain(&rows), Ok(()));
    let tampered = rows[1].clone();
    let mut edit: access_log::ActiveModel = tampered.clone().into();
    edit.outcome = Set("denied".into());
    access_log::Entity::update(edit)
        .exec(&app.state.db)
        .await
        .unwrap();
    let rows = access_log::Entity::find()
        .order_by_asc(access_log::Column::Seq)
        .all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(verify_chain(&rows).unwrap_err().seq, tampered.seq);
}

on_both_backends!(the_access_log_names_the_representative_and_the_owner_and_keeps_denials);

async fn manage_without_read_can_change_but_not_read(app: TestApp) {
    mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            MANAGER,
            "--kind",
            "representative",
            "--scope",
            "manage",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    let clerk = app.sign_in(MANAGER).await;
    assert_eq!(act_as(&clerk, Some(COMPANY)).await, StatusCode::NO_CONTENT);
    let id = clerk.upload_ok("other", "nộp hộ", pdf_of_len(10)).await;
    assert_eq!(clerk.list_status().await, StatusCode::FORBIDDEN);
    assert_eq!(
        clerk.get(&format!("/v1/me/documents/{id}")).await.status(),
        StatusCode::FORBIDDEN
    );
    let patch = clerk
        .client
        .patch(clerk.url(&format!("/v1/me/documents/{id}")))
        .header("x-csrf-token", &clerk.csrf)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        patch.status(),
        StatusCode::FORBIDDEN,
        "correcting returns the metadata, so it needs read too"
    );
}

async fn a_mandate_that_ends_while_in_use_stops_and_hands_the_session_back(app: TestApp) {
    use kho::storage::entities::mandates;
    use sea_orm::{ActiveValue::Set, EntityTrait};
    let made = mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            READER,
            "--kind",
            "representative",
            "--scope",
            "read",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    let reader = app.sign_in(READER).await;
    let no_token = reader
        .client
        .post(reader.url("/v1/me/act-as"))
        .json(&json!({ "owner": COMPANY }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        no_token.status(),
        StatusCode::FORBIDDEN,
        "act-as needs the CSRF token"
    );
    assert_eq!(act_as(&reader, Some(COMPANY)).await, StatusCode::NO_CONTENT);
    assert_eq!(reader.list_status().await, StatusCode::OK);
    let id: uuid::Uuid = made["mandate_id"].as_str().unwrap().parse().unwrap();
    let ended = mandates::ActiveModel {
        id: Set(id),
        valid_until: Set(Some(Utc::now() - chrono::Duration::seconds(1))),
        ..Default::default()
    };
    mandates::Entity::update(ended)
        .exec(&app.state.db)
        .await
        .unwrap();
    assert_eq!(
        reader.list_status().await,
        StatusCode::FORBIDDEN,
        "the very next request"
    );
    let (status, body) = me(&reader).await;
    assert_eq!(status, StatusCode::OK, "never locked out");
    assert_eq!(body["identifier"], READER);
}

async fn erasing_the_representative_ends_their_sessions_for_others(app: TestApp) {
    mandate(
        &app,
        &[
            "--owner",
            COMPANY,
            "--representative",
            READER,
            "--kind",
            "representative",
            "--scope",
            "read",
            "--basis",
            "business-registration",
        ],
    )
    .unwrap();
    let acting = app.sign_in(READER).await;
    assert_eq!(act_as(&acting, Some(COMPANY)).await, StatusCode::NO_CONTENT);
    let own = app.sign_in(READER).await;
    assert_eq!(own.delete("/v1/me").await.status(), StatusCode::OK);
    assert_eq!(acting.list_status().await, StatusCode::UNAUTHORIZED);
}

on_both_backends!(
    manage_without_read_can_change_but_not_read,
    a_mandate_that_ends_while_in_use_stops_and_hands_the_session_back,
    erasing_the_representative_ends_their_sessions_for_others
);
