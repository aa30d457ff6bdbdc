//! Who may read or change an owner's data, in one place: the owner, a representative under a
//! mandate and its scopes, an official with a case, a portal under a consent. Every access by
//! anyone but the owner is logged — allowed or denied — before it happens; this module decides,
//! and makes the log entry, and [`AccessPolicy`] writes it.

mod action;
mod entries;

pub use action::Action;

use uuid::Uuid;

use crate::audit::{Access, AccessLog, Actor, Context, Outcome};
use crate::mandates::{Scope, Scopes};
use crate::owners::OwnerId;
use crate::storage::StoreError;

/// Who acts on an owner's data through a browser session.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Whose data.
    pub owner: OwnerId,
    /// Who acts: the owner, or a representative.
    pub person: OwnerId,
    /// The mandate acted under, if any.
    pub mandate: Option<Uuid>,
    /// What the mandate allows (everything for the owner).
    pub scopes: Scopes,
    /// Signed in with the official role.
    pub official: bool,
}

/// Why an access is refused; the text is safe to show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Denied(pub &'static str);

/// Why an access could not be decided.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error(transparent)]
    Denied(#[from] Denied),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What one access is about, besides its action.
#[derive(Debug, Clone, Copy, Default)]
pub struct Subject {
    pub document: Option<Uuid>,
    pub consent: Option<Uuid>,
}

impl Subject {
    pub fn document(id: Uuid) -> Self {
        Self {
            document: Some(id),
            consent: None,
        }
    }

    pub fn consent(id: Uuid) -> Self {
        Self {
            document: None,
            consent: Some(id),
        }
    }
}

impl Principal {
    /// Refuses what the mandate acted under does not allow.
    pub fn require(&self, scope: Scope) -> Result<(), Denied> {
        if self.scopes.allows(scope) {
            Ok(())
        } else {
            Err(Denied("your mandate for this owner does not allow this"))
        }
    }

    /// Refuses anyone but the owner themself (say, erasing the whole store).
    pub fn require_self(&self) -> Result<(), Denied> {
        match self.mandate {
            None => Ok(()),
            Some(_) => Err(Denied("only the owner themself can do this")),
        }
    }

    /// Refuses anyone but an official acting as themself.
    pub fn require_official(&self) -> Result<(), Denied> {
        if self.official && self.mandate.is_none() {
            Ok(())
        } else {
            Err(Denied("this is for officials, acting as themselves"))
        }
    }
}

/// Decides `action` on `subject` for `who`: the log entry to write (for anyone acting under a
/// mandate; the owner's own acts are not logged) and whether it is allowed.
pub fn decide(
    who: &Principal,
    action: Action,
    subject: Subject,
) -> (Option<Access>, Result<(), Denied>) {
    let missing = action.missing(&who.scopes);
    let allowed = missing.map_or(Ok(()), |scope| who.require(scope));
    let Some(mandate) = who.mandate else {
        return (None, allowed);
    };
    let entry = Access {
        owner: who.owner,
        actor: Actor::Representative {
            person: who.person,
            mandate,
        },
        action: action.as_str(),
        document: subject.document,
        outcome: if allowed.is_ok() {
            Outcome::Allowed
        } else {
            Outcome::Denied
        },
        detail: missing.map(Action::refusal),
        context: Context {
            consent: subject.consent,
            ..Context::default()
        },
    };
    (Some(entry), allowed)
}

/// The policy, with the log it writes to.
#[derive(Clone, Debug)]
pub struct AccessPolicy {
    log: AccessLog,
}

impl AccessPolicy {
    pub fn new(log: AccessLog) -> Self {
        Self { log }
    }

    /// Lets `action` happen only once it is logged (for anyone but the owner), and only if
    /// `who` may; a refusal is logged too.
    pub async fn authorize(
        &self,
        who: &Principal,
        action: Action,
        subject: Subject,
    ) -> Result<(), AccessError> {
        let (entry, decision) = decide(who, action, subject);
        if let Some(entry) = entry {
            self.log.append(entry).await?;
        }
        Ok(decision?)
    }
}

#[cfg(test)]
mod tests;
