//! Who owns a store: a citizen (personal ID) or an organisation (enterprise or branch tax code).

use std::fmt;

use super::{ParseError, PersonalId, TaxCode, is_digits};

/// The kind of owner, stored beside the owner's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OwnerKind {
    Citizen,
    Organisation,
}

impl OwnerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Citizen => "citizen",
            Self::Organisation => "organisation",
        }
    }
}

/// The identifier an owner signs in with, in canonical form.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum OwnerIdentifier {
    Citizen(PersonalId),
    Organisation(TaxCode),
}

impl OwnerIdentifier {
    /// 12 digits are a citizen; a 10- or 13-digit tax code an organisation. A legacy 9-digit CMND
    /// number is refused: it may only ever be an alias of an existing owner.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if is_digits(s, 9) {
            return Err(ParseError::new(
                "identifier",
                "a 9-digit CMND number cannot identify a new owner; use the 12-digit personal ID",
            ));
        }
        if is_digits(s, 12) {
            return PersonalId::parse(s).map(Self::Citizen);
        }
        match TaxCode::parse(s) {
            Ok(TaxCode::Personal(id)) => Ok(Self::Citizen(id)),
            Ok(code) => Ok(Self::Organisation(code)),
            Err(_) => Err(ParseError::new(
                "identifier",
                "must be a 12-digit personal ID or a 10- or 13-digit tax code",
            )),
        }
    }

    pub fn kind(&self) -> OwnerKind {
        match self {
            Self::Citizen(_) => OwnerKind::Citizen,
            Self::Organisation(_) => OwnerKind::Organisation,
        }
    }

    /// The canonical string the blind index is computed over: kind and code, so that the same
    /// digits can never name two owners.
    pub fn canonical(&self) -> String {
        format!("{}:{self}", self.kind().as_str())
    }
}

impl fmt::Display for OwnerIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Citizen(id) => id.fmt(f),
            Self::Organisation(code) => code.fmt(f),
        }
    }
}

impl fmt::Debug for OwnerIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Citizen(id) => id.fmt(f),
            Self::Organisation(code) => code.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twelve_digits_are_a_citizen_and_tax_codes_an_organisation() {
        assert_eq!(
            OwnerIdentifier::parse("035199000123").unwrap().kind(),
            OwnerKind::Citizen
        );
        assert_eq!(
            OwnerIdentifier::parse("0100233488").unwrap().kind(),
            OwnerKind::Organisation
        );
        assert_eq!(
            OwnerIdentifier::parse("0100233488-001")
                .unwrap()
                .canonical(),
            "organisation:0100233488-001"
        );
    }

    #[test]
    fn legacy_cmnd_numbers_are_refused_as_new_owners() {
        let err = OwnerIdentifier::parse("123456789").unwrap_err();
        assert!(err.why.contains("CMND"));
    }
}
