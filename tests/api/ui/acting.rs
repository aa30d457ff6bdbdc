//! Acting for someone else in a browser: the switcher lists the person's mandates with their
//! kind, scopes and dates; acting for an organisation shows a banner on every page; a scope the
//! mandate lacks is a page that says so; back to acting as oneself.

use kho::web::i18n::Lang;

use super::Browser;
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(a_representative_switches_to_the_organisation_and_back);

const COMPANY: &str = "0100233488";
const PERSON: &str = "035199000123";

async fn a_representative_switches_to_the_organisation_and_back(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::Vi).await else {
        return;
    };
    let company = app.sign_in(COMPANY).await;
    company
        .upload_ok(
            "business-registration",
            "Giấy đăng ký kinh doanh",
            pdf_of_len(900),
        )
        .await;
    let out = app.kho(&[
        "mandate",
        "add",
        "--owner",
        COMPANY,
        "--representative",
        PERSON,
        "--kind",
        "representative",
        "--scope",
        "read",
        "--basis",
        "business-registration",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    b.sign_in(PERSON).await;
    assert!(!b.has("#acting-for").await, "acting as oneself: no banner");
    b.click("#acting-link").await;
    b.check("the switcher").await;
    let listed = b.text("#mandates").await;
    assert!(listed.contains(COMPANY), "{listed}");
    assert!(
        listed.contains(&b.t("mandate-kind-representative")),
        "{listed}"
    );
    assert!(listed.contains(&b.t("mandate-scope-read")), "{listed}");
    b.click("#mandates button").await;
    assert_eq!(b.path().await, "/documents");
    b.check("the organisation's documents").await;
    assert!(
        b.text("#acting-for").await.contains(COMPANY),
        "the banner says for whom"
    );
    assert!(
        b.text("#documents")
            .await
            .contains("Giấy đăng ký kinh doanh")
    );

    // Reading only: uploading is refused with a page that says so.
    b.visit("/documents/new").await;
    b.fill("#title", "x").await;
    b.choose("#type", "other").await;
    let file = super::file_with(&app, "x.pdf", &pdf_of_len(100));
    b.find("#file").await.send_keys(&file).await.unwrap();
    b.click("#submit").await;
    b.check("a refused upload under a read-only mandate").await;
    assert_eq!(b.text("#error-message").await, b.t("error-forbidden"));

    b.visit("/acting").await;
    b.click("#act-as-myself").await;
    assert!(!b.has("#acting-for").await, "acting as oneself again");
    assert!(b.has("#empty").await, "the person's own, empty, store");
    b.quit().await;
}
