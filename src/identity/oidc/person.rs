//! Who logged in, read from the verified ID token's claims: the owner identifier from the
//! configured claim, and whether the person holds the configured official role.

use std::collections::HashMap;

use serde_json::Value;

use crate::config::Settings;
use crate::ids::{OwnerIdentifier, ParseError, Text};

/// A person the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub identifier: OwnerIdentifier,
    pub official: bool,
    /// The person's name, when the provider sent a usable `name` claim.
    pub name: Option<Text>,
}

/// Why a verified login still cannot open a store.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    #[error("the provider sent no `{0}` claim")]
    MissingIdentifier(String),
    #[error("the `{claim}` claim is not a valid identifier: {why}")]
    InvalidIdentifier { claim: String, why: ParseError },
}

pub fn person_from_claims(
    claims: &HashMap<String, Value>,
    settings: &Settings,
) -> Result<Person, Refusal> {
    let claim = &settings.oidc_identifier_claim;
    let raw = claims
        .get(claim)
        .and_then(Value::as_str)
        .ok_or_else(|| Refusal::MissingIdentifier(claim.clone()))?;
    let identifier = OwnerIdentifier::parse(raw).map_err(|why| Refusal::InvalidIdentifier {
        claim: claim.clone(),
        why,
    })?;
    let wanted = settings.oidc_official_value.as_str();
    let official = match claims.get(&settings.oidc_official_claim) {
        Some(Value::String(role)) => role.split_whitespace().any(|r| r == wanted),
        Some(Value::Array(roles)) => roles.iter().any(|r| r.as_str() == Some(wanted)),
        _ => false,
    };
    let name = claims
        .get("name")
        .and_then(Value::as_str)
        .and_then(|n| Text::parse(n, "name", 200).ok());
    Ok(Person {
        identifier,
        official,
        name,
    })
}

#[cfg(test)]
#[allow(clippy::result_large_err)] // figment::Jail's closures return figment::Error
mod tests {
    use super::*;
    use serde_json::json;

    fn settings() -> Settings {
        let mut loaded = None;
        figment::Jail::expect_with(|_| {
            loaded = Some(Settings::load(None).unwrap().0);
            Ok(())
        });
        loaded.unwrap()
    }

    fn claims(v: Value) -> HashMap<String, Value> {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn the_identifier_claim_opens_a_store_and_the_role_claim_makes_an_official() {
        let s = settings();
        let p = person_from_claims(
            &claims(json!({"personal_id": "035199000123", "roles": ["official"]})),
            &s,
        )
        .unwrap();
        assert_eq!(p.identifier.to_string(), "035199000123");
        assert!(p.official);
        let p = person_from_claims(
            &claims(json!({"personal_id": "0100233488", "roles": "citizen"})),
            &s,
        )
        .unwrap();
        assert!(!p.official);
    }

    #[test]
    fn a_missing_or_malformed_identifier_is_refused_with_the_reason() {
        let s = settings();
        assert_eq!(
            person_from_claims(&claims(json!({})), &s).unwrap_err(),
            Refusal::MissingIdentifier("personal_id".into())
        );
        assert_eq!(
            person_from_claims(&claims(json!({"personal_id": 35199000123u64})), &s).unwrap_err(),
            Refusal::MissingIdentifier("personal_id".into())
        );
        assert!(matches!(
            person_from_claims(&claims(json!({"personal_id": "12345"})), &s).unwrap_err(),
            Refusal::InvalidIdentifier { .. }
        ));
    }
}
