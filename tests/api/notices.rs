//! Owners are told: each event writes its notice in its own transaction; an ending consent is
//! told once however often the scan runs; e-mail goes only to a confirmed address, names no
//! personal ID, and survives a `kill -9` of the process that wrote it — sent once, never twice.

use std::process::{Child, Stdio};
use std::time::Duration;

use kho::ids::OwnerIdentifier;
use kho::notices::mail::{Letter, Mailer};
use kho::notices::{Notices, parse_address};
use kho::owners::OwnerId;
use kho::storage::entities::notices;
use reqwest::StatusCode;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};

use crate::on_both_backends;
use crate::support::portal::{Portal, details};
use crate::support::smtp::SmtpSink;
use crate::support::{TestApp, pdf_of_len};

const OWNER: &str = "035199000123";
const ADDRESS: &str = "ha.nguyen@example.vn";

on_both_backends!(
    a_consent_ending_soon_is_told_once,
    mail_goes_only_to_a_confirmed_address_and_names_no_personal_id,
    a_restart_between_writing_a_notice_and_sending_it_loses_no_mail_and_sends_none_twice,
);

async fn owner_id(app: &TestApp, identifier: &str) -> OwnerId {
    let who = OwnerIdentifier::parse(identifier).unwrap();
    app.state.owners.find(&who).await.unwrap().unwrap().id
}

/// The kinds of notice `identifier` was told, newest first.
pub(crate) async fn told(app: &TestApp, identifier: &str) -> Vec<&'static str> {
    let owner = owner_id(app, identifier).await;
    app.state
        .notices
        .list(owner)
        .await
        .unwrap()
        .iter()
        .map(|n| n.kind.as_str())
        .collect()
}

/// The app's notices, mailing through `sink`.
fn mailing(app: &TestApp, sink: &SmtpSink) -> Notices {
    let mut settings = (*app.state.settings).clone();
    settings.smtp_url = Some(sink.url().into());
    settings.smtp_from = Some("Kho <no-reply@kho.test>".into());
    let mailer = Mailer::from_settings(&settings).unwrap();
    Notices::new(
        app.state.db.clone(),
        app.state.keys.clone(),
        app.state.clock.clone(),
        mailer,
    )
}

/// Confirms `ADDRESS` for `owner` through a mailer on `sink`, as following the link would.
async fn confirm_address(app: &TestApp, owner: OwnerId, sink: &SmtpSink) {
    let notices = mailing(app, sink);
    let mut token = String::new();
    let address = parse_address(ADDRESS).unwrap();
    notices
        .set_email(owner, &address, "vi", |t| {
            token = t.to_owned();
            Letter {
                subject: "Xác nhận".into(),
                body: format!("token {t}"),
            }
        })
        .await
        .unwrap();
    assert!(!token.is_empty());
    notices.confirm_email(&token).await.unwrap();
    assert!(
        notices.confirm_email(&token).await.is_err(),
        "a link confirms once"
    );
}

async fn ciba(portal: &Portal, base: &str) -> String {
    let asked = portal
        .ciba_at(base, OWNER, &details(&["id-card"], "until_expiry", 3600))
        .await;
    assert_eq!(asked.status(), StatusCode::OK);
    let asked: Value = asked.json().await.unwrap();
    asked["auth_req_id"].as_str().unwrap().to_owned()
}

async fn a_consent_ending_soon_is_told_once(app: TestApp) {
    let owner = app.sign_in(OWNER).await;
    let document = owner
        .upload_ok("id-card", "Căn cước", pdf_of_len(900))
        .await;
    let portal = Portal::register(&app);
    ciba(&portal, &app.base).await;
    assert_eq!(told(&app, OWNER).await, ["consent_requested"]);
    let inbox: Value = owner
        .get("/v1/me/consents?status=pending")
        .await
        .json()
        .await
        .unwrap();
    let consent = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let approved = owner
        .client
        .post(owner.url(&format!("/v1/me/consents/{consent}/approve")))
        .header("x-csrf-token", &owner.csrf)
        .json(&json!({"documents": [document]}))
        .send()
        .await
        .unwrap();
    assert_eq!(approved.status(), StatusCode::OK);
    // An hour left: within the days an ending is told ahead; told once, however often scanned.
    app.state.notices.scan_endings().await.unwrap();
    app.state.notices.scan_endings().await.unwrap();
    assert_eq!(
        told(&app, OWNER).await,
        ["consent_ending", "consent_requested"]
    );
    let unread = app.state.notices.unread(owner_id(&app, OWNER).await);
    assert_eq!(unread.await.unwrap(), 2);
}

async fn mail_goes_only_to_a_confirmed_address_and_names_no_personal_id(app: TestApp) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    let notices = mailing(&app, &sink);
    let outbox = kho::notices::outbox::Outbox::new(
        notices.clone(),
        kho::web::notice_mail(&app.state.settings.public_url),
    )
    .unwrap();
    app.sign_in(OWNER).await;
    let owner = owner_id(&app, OWNER).await;
    let portal = Portal::register(&app);

    // Given, not confirmed: nothing is mailed.
    let address = parse_address(ADDRESS).unwrap();
    notices
        .set_email(owner, &address, "vi", |_| Letter {
            subject: "Xác nhận".into(),
            body: "…".into(),
        })
        .await
        .unwrap();
    ciba(&portal, &app.base).await;
    assert_eq!(outbox.send_due().await.unwrap(), 0);
    assert_eq!(sink.messages().len(), 1, "only the confirmation");

    confirm_address(&app, owner, &sink).await;
    let auth_req_id = ciba(&portal, &app.base).await;
    assert_eq!(outbox.send_due().await.unwrap(), 1);
    let mails = sink.wait_for(3, Duration::from_secs(10)).await;
    let notice = &mails[2];
    assert_eq!(notice.to, [ADDRESS]);
    assert_eq!(notice.subject, "Kho: có yêu cầu đang chờ bạn trả lời");
    assert!(
        notice.text.contains(&format!("{}/notices", app.base)),
        "{}",
        notice.text
    );
    for secret in [
        OWNER,
        "Hồ sơ 0001",
        "Đăng ký khai sinh",
        auth_req_id.as_str(),
    ] {
        assert!(!notice.raw.contains(secret), "the e-mail names {secret}");
        assert!(!notice.text.contains(secret), "the e-mail names {secret}");
    }
    assert_eq!(outbox.send_due().await.unwrap(), 0, "sent once");
}

/// A `kho serve` process on the app's database, blobs and keys, mailing through `smtp` if given.
struct Served {
    child: Child,
}

impl Served {
    async fn start(app: &TestApp, smtp: Option<&SmtpSink>) -> (Self, String) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = app.kho_command(&["serve"]);
        command
            .env("KHO_LISTEN", format!("127.0.0.1:{port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        if let Some(sink) = smtp {
            command
                .env("KHO_SMTP_URL", sink.url())
                .env("KHO_SMTP_FROM", "Kho <no-reply@kho.test>");
        }
        let served = Self {
            child: command.spawn().expect("start kho serve"),
        };
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        for _ in 0..300 {
            if http
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                return (served, base);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("kho serve did not become ready");
    }

    /// `kill -9`.
    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn a_restart_between_writing_a_notice_and_sending_it_loses_no_mail_and_sends_none_twice(
    app: TestApp,
) {
    let Some(sink) = SmtpSink::start() else {
        return;
    };
    app.sign_in(OWNER).await;
    let owner = owner_id(&app, OWNER).await;
    confirm_address(&app, owner, &sink).await;
    let portal = Portal::register(&app);

    // The process that takes the request writes the notice and its e-mail, and is killed before
    // any sender could take it (it has no mail server to send through).
    let (writer, base) = Served::start(&app, None).await;
    ciba(&portal, &base).await;
    writer.kill();
    let row = notices::Entity::find()
        .filter(notices::Column::OwnerId.eq(owner.0))
        .one(&app.state.db)
        .await
        .unwrap()
        .expect("the notice outlived its writer");
    assert_eq!(row.mail_state, "pending");

    // The next process sends it — once.
    let (sender, _) = Served::start(&app, Some(&sink)).await;
    let mails = sink.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(mails[1].to, [ADDRESS]);
    assert_eq!(mails[1].message_id, format!("<{}@kho.test>", row.id));
    tokio::time::sleep(Duration::from_secs(3)).await;
    sender.kill();
    // And a process started after that one was killed sends nothing again.
    let (_again, _) = Served::start(&app, Some(&sink)).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert_eq!(sink.messages().len(), 2, "no e-mail sent twice");
    let row = notices::Entity::find_by_id(row.id)
        .one(&app.state.db)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.mail_state, "sent");
    assert_eq!(row.mail_attempts, 1);
}
