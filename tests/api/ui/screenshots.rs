//! Screenshots of the main pages, in Vietnamese, at a phone's and a desktop's width. Written to
//! `KHO_SCREENSHOTS_DIR` when it is set (`scripts/screenshots` sets it to `docs/screenshots`),
//! else to a temporary directory; either way each page is checked as the others are.

use kho::web::i18n::Lang;

use super::{Browser, file_with};
use crate::issued::{OWNER, issued_result};
use crate::on_both_backends;
use crate::support::portal::{Portal, details};
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(spawn = spawn_app_with_mail; every_main_page_renders_on_a_phone_and_a_desktop);

async fn every_main_page_renders_on_a_phone_and_a_desktop(app: TestApp) {
    let issued = issued_result(&app, "shots").await;
    let owner = app.sign_in(OWNER).await;
    owner
        .upload_ok(
            "birth-certificate",
            "Giấy khai sinh của con",
            pdf_of_len(900),
        )
        .await;
    owner
        .upload_ok("residence-confirmation", "Xác nhận cư trú", pdf_of_len(900))
        .await;
    let portal = Portal::register(&app);
    let asked = portal
        .ciba(
            OWNER,
            &details(&["id-card", "marriage-certificate"], "once", 3600),
        )
        .await;
    assert_eq!(asked.status(), reqwest::StatusCode::OK);
    let inbox: serde_json::Value = owner
        .get("/v1/me/consents?status=pending")
        .await
        .json()
        .await
        .unwrap();
    let request = inbox["items"][0]["id"].as_str().unwrap().to_owned();
    let out = std::env::var("KHO_SCREENSHOTS_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| app.dir.path().join("screenshots"));
    std::fs::create_dir_all(&out).unwrap();
    for (width, device) in [(360, "phone"), (1280, "desktop")] {
        let Some(b) = Browser::open_sized(&app, Lang::Vi, width).await else {
            return;
        };
        let shot = async |b: &Browser<'_>, name: &str| {
            b.check(name).await;
            if width > 600 {
                // The whole page, not only the first screen.
                let height = b
                    .client()
                    .execute("return document.documentElement.scrollHeight", vec![])
                    .await
                    .unwrap()
                    .as_u64()
                    .unwrap_or(900)
                    .clamp(600, 3000);
                b.client()
                    .set_window_size(width, u32::try_from(height).unwrap() + 140)
                    .await
                    .unwrap();
            }
            let png = b.client().screenshot().await.unwrap();
            assert!(png.starts_with(b"\x89PNG"), "{name}: a PNG");
            std::fs::write(out.join(format!("{name}-{device}.png")), png).unwrap();
        };
        b.visit("/").await;
        shot(&b, "home").await;
        b.sign_in(OWNER).await;
        shot(&b, "documents").await;
        b.visit("/documents/new").await;
        b.fill("#issuing_agency", "sai mã").await;
        let file = file_with(&app, "empty.pdf", b"");
        b.find("#file").await.send_keys(&file).await.unwrap();
        b.click("#submit").await;
        shot(&b, "upload-errors").await;
        b.visit(&format!("/documents/{issued}")).await;
        shot(&b, "document-sealed").await;
        b.visit(&format!("/consents/{request}")).await;
        shot(&b, "consent-request").await;
        b.visit("/access-log").await;
        shot(&b, "access-log").await;
        b.visit("/notices").await;
        shot(&b, "notices").await;
        b.visit("/settings").await;
        shot(&b, "settings").await;
        b.visit("/my-data").await;
        shot(&b, "my-data").await;
        b.visit("/my-data/erase").await;
        shot(&b, "erase").await;
        b.visit("/verify").await;
        shot(&b, "verify").await;
        b.quit().await;
    }
}
