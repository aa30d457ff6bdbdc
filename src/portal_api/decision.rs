//! The admission decision for one portal request, as a pure function of what was read: the
//! consent's status now, the proof and the token, the action, the documents the consent covers,
//! and whether the issuer withdrew the document. Claiming a `once` fetch comes after, in the
//! transaction; everything before it is decided here and unit-tested over its whole table.

use uuid::Uuid;

use super::admit::{Action, Refusal};
use crate::consents::Status;

/// What the decision was made from.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// The consent's status now (expiry computed).
    pub status: Status,
    /// Why the DPoP proof was refused, if it was.
    pub refused_proof: Option<&'a str>,
    /// Why the token is dead (revoked, expired, its portal disabled), if it is.
    pub dead_token: Option<&'static str>,
    pub action: Action,
    /// The documents the consent covers.
    pub covered: &'a [Uuid],
    /// For a download: why the issuer's revocation or supersession stops it, if it does.
    pub withdrawn_by_issuer: Option<&'a str>,
    /// The consent is for one fetch of each document.
    pub once: bool,
}

/// Allowed: plainly, or once the one fetch of a document under a `once` consent is claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Allowed {
    Plainly,
    IfClaimed(Uuid),
}

/// The decision, and for a refusal the reason logged for the owner with what the portal gets.
pub fn decide(facts: &Facts<'_>) -> Result<Allowed, (&'static str, Refusal)> {
    if let Some(why) = facts.refused_proof {
        return Err(("the DPoP proof was refused", Refusal::Proof(why.to_owned())));
    }
    match facts.status {
        Status::Active => {}
        status => {
            let (slug, why) = match status {
                Status::Withdrawn => ("consent-withdrawn", "the owner withdrew the consent"),
                Status::Expired => ("consent-expired", "the consent has expired"),
                Status::Used => ("consent-used", "the one-time consent was used"),
                _ => ("consent-not-active", "the consent is not active"),
            };
            return Err((why, Refusal::InvalidToken { slug, why }));
        }
    }
    if let Some(why) = facts.dead_token {
        let slug = "invalid-token";
        return Err((why, Refusal::InvalidToken { slug, why }));
    }
    let Some(id) = facts.action.document() else {
        return Ok(Allowed::Plainly);
    };
    if !facts.covered.contains(&id) {
        return Err((
            "the document is not covered by the consent",
            Refusal::NotFound,
        ));
    }
    if !matches!(facts.action, Action::Download(_)) {
        return Ok(Allowed::Plainly);
    }
    if let Some(detail) = facts.withdrawn_by_issuer {
        return Err((
            "the issuer revoked the document",
            Refusal::Revoked(detail.to_owned()),
        ));
    }
    Ok(if facts.once {
        Allowed::IfClaimed(id)
    } else {
        Allowed::Plainly
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn facts<'a>(status: Status, action: Action, covered: &'a [Uuid]) -> Facts<'a> {
        Facts {
            status,
            refused_proof: None,
            dead_token: None,
            action,
            covered,
            withdrawn_by_issuer: None,
            once: false,
        }
    }

    fn actions() -> [Action; 5] {
        [
            Action::List,
            Action::Read(doc(1)),
            Action::Download(doc(1)),
            Action::Read(doc(2)),
            Action::Download(doc(2)),
        ]
    }

    #[test]
    fn only_an_active_consent_admits_anything() {
        let covered = [doc(1)];
        for status in Status::ALL {
            for action in actions() {
                let decided = decide(&facts(status, action, &covered));
                if status != Status::Active {
                    assert!(
                        matches!(decided, Err((_, Refusal::InvalidToken { .. }))),
                        "{status:?} {action:?} gave {decided:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn withdrawn_consent_stops_the_next_fetch_with_its_own_reason() {
        let covered = [doc(1)];
        let decided = decide(&facts(
            Status::Withdrawn,
            Action::Download(doc(1)),
            &covered,
        ));
        assert!(matches!(
            decided,
            Err((
                _,
                Refusal::InvalidToken {
                    slug: "consent-withdrawn",
                    ..
                }
            ))
        ));
    }

    #[test]
    fn an_active_consent_reaches_only_the_documents_it_covers() {
        let covered = [doc(1)];
        for action in actions() {
            let decided = decide(&facts(Status::Active, action, &covered));
            match action.document() {
                Some(id) if id != doc(1) => {
                    assert!(matches!(decided, Err((_, Refusal::NotFound))), "{action:?}")
                }
                _ => assert_eq!(decided.ok(), Some(Allowed::Plainly), "{action:?}"),
            }
        }
    }

    #[test]
    fn a_refused_proof_is_refused_whatever_the_consent() {
        let covered = [doc(1)];
        for status in Status::ALL {
            for action in actions() {
                let mut f = facts(status, action, &covered);
                f.refused_proof = Some("wrong key");
                assert!(matches!(decide(&f), Err((_, Refusal::Proof(_)))));
            }
        }
    }

    #[test]
    fn a_dead_token_is_refused_under_an_active_consent() {
        let covered = [doc(1)];
        for action in actions() {
            let mut f = facts(Status::Active, action, &covered);
            f.dead_token = Some("the token was revoked");
            assert!(matches!(
                decide(&f),
                Err(("the token was revoked", Refusal::InvalidToken { .. }))
            ));
        }
    }

    #[test]
    fn content_the_issuer_withdrew_is_not_served_but_its_metadata_is() {
        let covered = [doc(1)];
        let mut f = facts(Status::Active, Action::Download(doc(1)), &covered);
        f.withdrawn_by_issuer = Some("the document is revoked since …");
        assert!(matches!(decide(&f), Err((_, Refusal::Revoked(_)))));
        f.action = Action::Read(doc(1));
        assert_eq!(decide(&f).ok(), Some(Allowed::Plainly));
    }

    #[test]
    fn a_once_consent_admits_a_download_only_if_its_fetch_is_claimed() {
        let covered = [doc(1)];
        let mut f = facts(Status::Active, Action::Download(doc(1)), &covered);
        f.once = true;
        assert_eq!(decide(&f).ok(), Some(Allowed::IfClaimed(doc(1))));
        f.action = Action::Read(doc(1));
        assert_eq!(decide(&f).ok(), Some(Allowed::Plainly));
    }
}
