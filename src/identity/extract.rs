//! Session extractors. `SignedIn` is a live session; `OwnerSession` adds, for state-changing
//! methods, a matching `X-CSRF-Token` and a same-origin request (`Origin`, else
//! `Sec-Fetch-Site`). Handlers of HTML forms take `SignedIn` and check the form's token with
//! [`check_csrf`].

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use axum_extra::extract::CookieJar;
use subtle::ConstantTimeEq;

use super::sessions::Session;
use crate::access::{AccessPolicy, Action, Principal, Subject};
use crate::app::AppState;
use crate::audit::Access;
use crate::config::Settings;
use crate::error::ApiError;
use crate::mandates::Scopes;
use crate::owners::OwnerId;

/// A request with a live session, before any CSRF check. Its `Debug` leaves out the session's
/// token and CSRF token.
#[derive(Clone)]
pub struct SignedIn {
    /// The cookie's token, to end the session with.
    pub token: String,
    pub session: Session,
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        let token = jar
            .get(state.sessions.cookie_name())
            .ok_or(ApiError::Unauthenticated)?
            .value()
            .to_owned();
        let session = state
            .sessions
            .lookup(&token)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Self { token, session })
    }
}

/// The owner this request acts on, and who acts: the owner themself, or a person under a
/// mandate that is checked again on every request (dates, revocation, majority).
#[derive(Clone)]
pub struct OwnerSession {
    pub owner: OwnerId,
    pub csrf_token: String,
    pub official: bool,
    /// The signed-in person's own store.
    pub person: OwnerId,
    /// The mandate acted under, if any.
    pub mandate: Option<uuid::Uuid>,
    pub scopes: Scopes,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedIn")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// Leaves out the CSRF token.
impl std::fmt::Debug for OwnerSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OwnerSession")
            .field("owner", &self.owner)
            .field("person", &self.person)
            .field("mandate", &self.mandate)
            .field("scopes", &self.scopes)
            .field("official", &self.official)
            .finish_non_exhaustive()
    }
}

impl OwnerSession {
    /// Lets `action` on `subject` happen under the access policy: logged for anyone but the
    /// owner, allowed or denied, before it happens.
    pub async fn may(
        &self,
        policy: &AccessPolicy,
        action: Action,
        subject: Subject,
    ) -> Result<(), ApiError> {
        Ok(policy.authorize(&self.principal(), action, subject).await?)
    }

    /// Who acts, for the access policy.
    pub fn principal(&self) -> Principal {
        Principal {
            owner: self.owner,
            person: self.person,
            mandate: self.mandate,
            scopes: self.scopes.clone(),
            official: self.official,
        }
    }
}

impl FromRequestParts<AppState> for OwnerSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let signed_in = SignedIn::from_request_parts(parts, state).await?;
        if !parts.method.is_safe() {
            signed_in.check_change(&parts.headers, &state.settings)?;
        }
        OwnerSession::resolve(state, signed_in).await
    }
}

impl SignedIn {
    /// A state-changing JSON request: from this origin, with the session's `X-CSRF-Token`.
    pub fn check_change(&self, headers: &HeaderMap, settings: &Settings) -> Result<(), ApiError> {
        check_same_origin(headers, settings)?;
        let sent = headers
            .get("x-csrf-token")
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        check_csrf(&self.session, sent)
    }
}

impl OwnerSession {
    /// The owner session of a signed-in request whose CSRF and origin checks are done (a form
    /// POST checks its form field itself, then calls this). Re-checks the mandate acted under.
    pub async fn resolve(state: &AppState, signed_in: SignedIn) -> Result<Self, ApiError> {
        let SignedIn { token, session } = signed_in;
        let scopes = match session.mandate {
            None => Scopes::all(),
            Some(id) => match state
                .mandates
                .active(id)
                .await?
                .filter(|m| m.owner_id == session.owner.0)
            {
                Some(mandate) => Scopes::from_stored(&mandate.scopes),
                None => {
                    // The mandate ended or was revoked: log the refused use once, and put the
                    // session back in the person's own hands, so they are never locked out.
                    let refused = Access::mandate_ended(session.owner, session.person, id);
                    state.access_log.append(refused).await?;
                    state
                        .sessions
                        .act_as(&token, &session, session.person, None)
                        .await?;
                    return Err(ApiError::Forbidden(
                        "the mandate you acted under has ended or was revoked: this session acts for you yourself again",
                    ));
                }
            },
        };
        let span = tracing::Span::current();
        span.record("owner", tracing::field::display(session.owner.0));
        span.record("person", tracing::field::display(session.person.0));
        if let Some(mandate) = session.mandate {
            span.record("mandate", tracing::field::display(mandate));
        }
        Ok(Self {
            owner: session.owner,
            csrf_token: session.csrf_token,
            official: session.official,
            person: session.person,
            mandate: session.mandate,
            scopes,
        })
    }
}

/// The token sent (header or form field) must be this session's CSRF token.
pub fn check_csrf(session: &Session, sent: &[u8]) -> Result<(), ApiError> {
    if sent.is_empty() {
        return Err(ApiError::CsrfRejected(
            "this request changes data: send the session's csrf_token (X-CSRF-Token or the csrf_token field)",
        ));
    }
    if !bool::from(sent.ct_eq(session.csrf_token.as_bytes())) {
        return Err(ApiError::CsrfRejected(
            "the CSRF token does not belong to this session",
        ));
    }
    Ok(())
}

/// Refuses requests a browser marks as coming from another site.
pub fn check_same_origin(headers: &HeaderMap, settings: &Settings) -> Result<(), ApiError> {
    const FOREIGN: ApiError =
        ApiError::CsrfRejected("requests from another origin cannot change data");
    let fetch_site = headers.get("sec-fetch-site").map(|v| v.as_bytes());
    if let Some(origin) = headers.get("origin") {
        let ours = settings.public_url.origin().ascii_serialization();
        // A browser whose referrer policy hides the origin sends `null`; its own
        // `Sec-Fetch-Site` still says where the request came from.
        let hidden_but_ours = origin.as_bytes() == b"null" && fetch_site == Some(b"same-origin");
        return if origin.as_bytes() == ours.as_bytes() || hidden_but_ours {
            Ok(())
        } else {
            Err(FOREIGN)
        };
    }
    match fetch_site {
        None | Some(b"same-origin" | b"none") => Ok(()),
        Some(_) => Err(FOREIGN),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_session_token_or_csrf_token() {
        let session = Session {
            owner: OwnerId(uuid::Uuid::nil()),
            csrf_token: "csrf-secret-value".into(),
            official: false,
            person: OwnerId(uuid::Uuid::nil()),
            mandate: None,
        };
        let signed_in = SignedIn {
            token: "session-secret-value".into(),
            session: session.clone(),
        };
        let owner_session = OwnerSession {
            owner: session.owner,
            csrf_token: session.csrf_token.clone(),
            official: false,
            person: session.person,
            mandate: None,
            scopes: Scopes::all(),
        };
        for shown in [
            format!("{signed_in:?}"),
            format!("{session:?}"),
            format!("{owner_session:?}"),
        ] {
            assert!(!shown.contains("secret-value"), "{shown}");
        }
    }
}
