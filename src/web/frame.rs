//! What every page shares: its language, who is signed in and for whom they act, the CSRF
//! token for its forms, and where the language switch comes back to. Built by the extractors
//! [`Frame`] (anyone) and [`Citizen`] (a signed-in person acting for an owner).

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq;

use super::assets;
use super::failure::PageError;
use super::i18n::{LANG_COOKIE, Lang, Tr};
use crate::app::AppState;
use crate::error::ApiError;
use crate::identity::{OwnerSession, SignedIn, check_same_origin};
use crate::owners::OwnerId;

/// The signed-in person, as the header shows them.
#[derive(Debug, Clone)]
pub struct UserBar {
    /// Their name, or their identifier when the identity provider gave no name.
    pub name: String,
    /// The owner they act for under a mandate, if not themself.
    pub acting_for: Option<String>,
    /// Signed in with the official role (the counter is in their menu).
    pub official: bool,
    /// Unread notices of the store they act for.
    pub unread: u64,
}

/// The frame of a page.
#[derive(Debug, Clone)]
pub struct Frame {
    pub tr: Tr,
    /// This page's path and query, for the language switch to come back to.
    pub here: String,
    pub user: Option<UserBar>,
    /// The session's CSRF token (empty when nobody is signed in).
    pub csrf: String,
    /// The stylesheet's URL (content-hashed).
    pub stylesheet: &'static str,
}

impl Frame {
    pub fn t(&self, key: &str) -> String {
        self.tr.t(key)
    }

    pub fn lang(&self) -> &'static str {
        self.tr.lang.code()
    }

    pub fn other_lang(&self) -> &'static str {
        self.tr.lang.other().code()
    }

    fn new(parts: &Parts) -> Self {
        Self {
            tr: Tr::new(language_of(parts)),
            here: here(parts),
            user: None,
            csrf: String::new(),
            stylesheet: assets::stylesheet_url(),
        }
    }
}

/// The page's language: the switch's cookie, then `Accept-Language`, then Vietnamese.
pub fn language_of(parts: &Parts) -> Lang {
    language_from(&parts.headers)
}

/// [`language_of`] from the request's headers.
pub fn language_from(headers: &axum::http::HeaderMap) -> Lang {
    let jar = CookieJar::from_headers(headers);
    let accept = headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    Lang::negotiate(jar.get(LANG_COOKIE).map(|c| c.value()), accept)
}

/// The request's path and query.
pub fn here(parts: &Parts) -> String {
    parts
        .uri
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned())
}

async fn shown_name(state: &AppState, owner: OwnerId) -> Result<String, ApiError> {
    if let Some(name) = state.owners.name(owner).await? {
        return Ok(name);
    }
    Ok(state
        .owners
        .identifier(owner)
        .await?
        .map(|i| i.to_string())
        .unwrap_or_default())
}

impl FromRequestParts<AppState> for Frame {
    type Rejection = PageError;

    /// Anyone's frame; a live session shows in the header.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let mut frame = Frame::new(parts);
        if let Ok(signed_in) = SignedIn::from_request_parts(parts, state).await {
            let person = signed_in.session.person;
            let name = shown_name(state, person).await?;
            frame.csrf = signed_in.session.csrf_token;
            frame.user = Some(UserBar {
                name,
                acting_for: None,
                official: signed_in.session.official,
                unread: state.notices.unread(person).await?,
            });
        }
        Ok(frame)
    }
}

/// A signed-in person acting for an owner, on a page. Without a session the page answers with
/// the front page's sign-in and comes back here afterwards. State-changing requests must come
/// from this origin; their form's `csrf_token` is checked with [`Citizen::check_form`].
pub struct Citizen {
    pub frame: Frame,
    pub session: OwnerSession,
}

impl FromRequestParts<AppState> for Citizen {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, PageError> {
        let mut frame = Frame::new(parts);
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if !parts.method.is_safe() {
            check_same_origin(&parts.headers, &state.settings)?;
        }
        let session = OwnerSession::resolve(state, signed_in).await?;
        let name = shown_name(state, session.person).await?;
        let acting_for = match session.mandate {
            Some(_) => Some(shown_name(state, session.owner).await?),
            None => None,
        };
        frame.csrf = session.csrf_token.clone();
        frame.user = Some(UserBar {
            name,
            acting_for,
            official: session.official,
            unread: state.notices.unread(session.owner).await?,
        });
        Ok(Self { frame, session })
    }
}

impl Citizen {
    /// The form's `csrf_token` must be this session's.
    pub fn check_form(&self, sent: &str) -> Result<(), PageError> {
        let ours = self.session.csrf_token.as_bytes();
        if sent.is_empty() || !bool::from(sent.as_bytes().ct_eq(ours)) {
            return Err(ApiError::CsrfRejected("the form's CSRF token does not match").into());
        }
        Ok(())
    }

    pub fn tr(&self) -> Tr {
        self.frame.tr
    }
}
