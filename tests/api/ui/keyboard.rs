//! Only the keyboard: Tab, Shift+Tab, Enter and Space complete an upload and a delete, and the
//! focused element is always visibly marked.

use fantoccini::actions::InputSource;
use fantoccini::key::Key;
use kho::web::i18n::Lang;
use serde_json::json;

use super::{Browser, file_with};
use crate::on_both_backends;
use crate::support::{TestApp, pdf_of_len};

on_both_backends!(an_upload_and_a_delete_need_only_the_keyboard);

impl Browser<'_> {
    /// Presses `keys` together (the first ones held while the last is pressed), as a keyboard
    /// does, whatever has the focus.
    async fn chord(&self, keys: &[Key]) {
        use fantoccini::actions::{KeyAction, KeyActions};
        let mut actions = KeyActions::new("keyboard".into());
        for k in keys {
            actions = actions.then(KeyAction::Down {
                value: char::from(*k),
            });
        }
        for k in keys.iter().rev() {
            actions = actions.then(KeyAction::Up {
                value: char::from(*k),
            });
        }
        self.client().perform_actions(actions).await.unwrap();
    }

    /// Types `keys` into the focused field.
    async fn press(&self, keys: &str) {
        self.client()
            .active_element()
            .await
            .unwrap()
            .send_keys(keys)
            .await
            .unwrap();
    }

    async fn focused_id(&self) -> String {
        self.client()
            .execute(
                "return document.activeElement ? document.activeElement.id : ''",
                vec![],
            )
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Whether the focused element looks focused: an outline, a shadow or the yellow band.
    async fn focus_visible(&self) -> bool {
        let shown = self
            .client()
            .execute(
                "const s = getComputedStyle(document.activeElement);
                 return (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0)
                     || s.boxShadow !== 'none' || s.backgroundColor === 'rgb(255, 221, 0)';",
                vec![],
            )
            .await
            .unwrap();
        shown == json!(true)
    }

    /// Presses Enter (or Space) on the focused control and waits for the next page.
    async fn activate(&self, key: Key) {
        let before = self.path().await;
        let body = self.find("body").await;
        self.chord(&[key]).await;
        for _ in 0..500 {
            if body.tag_name().await.is_err() && self.path().await != before {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
        panic!("no new page after pressing a key on {before}");
    }

    /// Tabs (forwards, or backwards with Shift) until `id` has the focus, checking on the way
    /// that every stop is visibly focused.
    async fn tab_to(&self, id: &str, backwards: bool) {
        for _ in 0..60 {
            if backwards {
                self.chord(&[Key::Shift, Key::Tab]).await;
            } else {
                self.chord(&[Key::Tab]).await;
            }
            let now = self.focused_id().await;
            let tag = self
                .client()
                .execute("return document.activeElement.tagName", vec![])
                .await
                .unwrap();
            if tag != json!("BODY") {
                let style = self
                    .client()
                    .execute(
                        "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, s.outlineWidth, s.boxShadow, s.backgroundColor, document.activeElement.matches(':focus')]",
                        vec![],
                    )
                    .await
                    .unwrap();
                assert!(
                    self.focus_visible().await,
                    "focus on #{now} ({tag}) is not visible: {style}"
                );
            }
            if now == id {
                return;
            }
        }
        panic!("Tab never reached #{id}");
    }
}

async fn an_upload_and_a_delete_need_only_the_keyboard(app: TestApp) {
    let Some(b) = Browser::open(&app, Lang::En).await else {
        return;
    };
    b.sign_in("035199000123").await;
    b.tab_to("upload", false).await;
    b.activate(Key::Enter).await;
    assert_eq!(b.path().await, "/documents/new");
    b.tab_to("type", false).await;
    // A select moves with the arrow keys.
    b.chord(&[Key::Down]).await;
    b.tab_to("title", false).await;
    b.press("Sổ hộ khẩu").await;
    let file = file_with(&app, "k.pdf", &pdf_of_len(2000));
    b.tab_to("file", false).await;
    b.press(&file).await;
    b.tab_to("submit", false).await;
    // Back once and forth again: Shift+Tab works too.
    b.tab_to("valid_until", true).await;
    b.tab_to("submit", false).await;
    b.activate(Key::Enter).await;
    assert!(
        b.path().await.starts_with("/documents/"),
        "uploaded: {}",
        b.path().await
    );
    assert_eq!(b.text("h1#title").await, "Sổ hộ khẩu");

    b.tab_to("delete", false).await;
    b.activate(Key::Enter).await;
    b.tab_to("delete-confirm", false).await;
    b.activate(Key::Space).await; // Space presses a button
    assert_eq!(b.path().await, "/documents?deleted=1");
    assert!(b.has("#empty").await);
    b.quit().await;
}
