//! `GET /notices`: what the owner was told — newest first, the unread marked — each with a link
//! to what it is about; `POST /notices/read` marks them read. And the words of the same notices
//! by e-mail ([`notice_mail`]): what happened and where to look, never a document's content or
//! a personal ID.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use axum_extra::extract::Form;
use serde::Deserialize;
use url::Url;

use super::failure::PageError;
use super::frame::{Citizen, Frame};
use super::i18n::{Lang, Tr};
use super::render;
use crate::notices::mail::Letter;
use crate::notices::outbox::Compose;
use crate::notices::{Kind, Notice, Notices};

/// A notice as the list shows it.
pub struct Shown {
    pub sentence: String,
    pub at: String,
    pub link: Option<String>,
    pub unread: bool,
}

fn key(kind: Kind) -> String {
    format!("notice-{}", kind.as_str().replace('_', "-"))
}

/// Where a notice points.
fn link(notice: &Notice) -> Option<String> {
    let subject = notice.subject;
    match notice.kind {
        Kind::ConsentRequested | Kind::ConsentEnding => subject.map(|id| format!("/consents/{id}")),
        Kind::ResultIssued | Kind::ResultRevoked => subject.map(|id| format!("/documents/{id}")),
        Kind::OfficialLookup => Some("/access-log?who=official".into()),
        Kind::MandateEnding => None,
    }
}

fn shown(tr: Tr, notice: &Notice) -> Shown {
    Shown {
        sentence: tr.t(&key(notice.kind)),
        at: tr.datetime(notice.at),
        link: link(notice),
        unread: notice.unread,
    }
}

#[derive(Template)]
#[template(path = "web/notices.html")]
struct NoticesPage {
    f: Frame,
    notices: Vec<Shown>,
    any_unread: bool,
}

/// `GET /notices`.
pub async fn page(State(notices): State<Notices>, citizen: Citizen) -> Result<Response, PageError> {
    let tr = citizen.tr();
    let list = notices.list(citizen.session.owner).await?;
    let notices: Vec<Shown> = list.iter().map(|n| shown(tr, n)).collect();
    Ok(render::ok(&NoticesPage {
        any_unread: notices.iter().any(|n| n.unread),
        notices,
        f: citizen.frame,
    }))
}

#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    csrf_token: String,
}

/// `POST /notices/read`.
pub async fn mark_read(
    State(notices): State<Notices>,
    citizen: Citizen,
    Form(form): Form<ReadForm>,
) -> Result<Response, PageError> {
    citizen.check_form(&form.csrf_token)?;
    notices.mark_read(citizen.session.owner).await?;
    Ok(render::see_other("/notices"))
}

/// The e-mail of each kind of notice, in the owner's language, pointing at `public_url`.
pub fn notice_mail(public_url: &Url) -> Compose {
    let base = public_url.as_str().trim_end_matches('/').to_owned();
    std::sync::Arc::new(move |language: &str, kind: Kind| {
        let tr = Tr::new(Lang::from_code(language).unwrap_or_default());
        let notices = format!("{base}/notices");
        let settings = format!("{base}/settings");
        Letter {
            subject: tr.t(&format!("{}-subject", key(kind))),
            body: tr.t_with(
                "mail-notice-body",
                &[
                    ("what", &tr.t(&key(kind))),
                    ("link", &notices),
                    ("settings", &settings),
                ],
            ),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_notice_has_words_and_an_email_in_both_languages() {
        let compose = notice_mail(&"https://kho.example/".parse().unwrap());
        for lang in [Lang::Vi, Lang::En] {
            let tr = Tr::new(lang);
            for kind in Kind::ALL {
                assert!(tr.has(&key(kind)), "{} {}", lang.code(), key(kind));
                let letter = compose(lang.code(), kind);
                assert!(!letter.subject.is_empty());
                assert!(letter.body.contains("https://kho.example/notices"));
                assert!(letter.body.contains("https://kho.example/settings"));
                assert!(letter.body.contains(&tr.t(&key(kind))));
            }
        }
    }
}
