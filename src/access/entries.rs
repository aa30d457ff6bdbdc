//! The access-log entries of accesses decided elsewhere: a portal's request under a consent, an
//! official's look-up for a case, a representative's use of a mandate that has ended.

use uuid::Uuid;

use super::Action;
use crate::audit::{Access, Actor, Context, Outcome};
use crate::owners::OwnerId;
use crate::storage::entities::consents;

impl Access {
    /// A portal's `action` under `consent`, allowed or (with the reason) denied.
    pub fn by_portal(
        consent: &consents::Model,
        client: &str,
        action: Action,
        document: Option<Uuid>,
        denied: Option<&'static str>,
    ) -> Self {
        Self {
            owner: OwnerId(consent.owner_id),
            actor: Actor::Portal {
                client: client.to_owned(),
                agency: consent.agency_code.clone(),
            },
            action: action.as_str(),
            document,
            outcome: if denied.is_none() {
                Outcome::Allowed
            } else {
                Outcome::Denied
            },
            detail: denied,
            context: Context {
                consent: Some(consent.id),
                procedure: Some(consent.procedure.clone()),
                dossier: consent.dossier.clone(),
                case_ref: None,
            },
        }
    }

    /// An official's `action` on the owner's `document`, for the case `case_ref`.
    pub fn by_official(
        owner: OwnerId,
        official: OwnerId,
        action: Action,
        document: Uuid,
        case_ref: &str,
    ) -> Self {
        Self {
            owner,
            actor: Actor::Official { person: official },
            action: action.as_str(),
            document: Some(document),
            outcome: Outcome::Allowed,
            detail: None,
            context: Context {
                case_ref: Some(case_ref.to_owned()),
                ..Context::default()
            },
        }
    }

    /// A representative's refused use of a mandate of `owner` that has ended or was revoked.
    pub fn mandate_ended(owner: OwnerId, person: OwnerId, mandate: Uuid) -> Self {
        Self {
            owner,
            actor: Actor::Representative { person, mandate },
            action: Action::ActUnderMandate.as_str(),
            document: None,
            outcome: Outcome::Denied,
            detail: Some("the mandate has ended or was revoked"),
            context: Context::default(),
        }
    }

    /// An operator's `action` on the owner's store from the command line (an export, say).
    pub fn by_operator(owner: OwnerId, action: Action) -> Self {
        Self {
            owner,
            actor: Actor::Operator,
            action: action.as_str(),
            document: None,
            outcome: Outcome::Allowed,
            detail: None,
            context: Context::default(),
        }
    }
}
