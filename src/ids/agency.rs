//! Agency codes after QCVN 102:2016/BTTTT: `V1V2V3.Z1Z2.Y1Y2.MX1X2`.

use std::fmt;

use super::{ParseError, is_digits};

const WHAT: &str = "agency code";

/// An agency code of the right shape. Whether the agency exists is a question for the agency list
/// published by the sharing platforms, not for this type.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Parses `000.00.00.H49`: levels 4.3.2 as digits, then the group letter and its number.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        let parts: Vec<&str> = s.split('.').collect();
        let shaped = matches!(parts.as_slice(), [l4, l3, l2, l1]
            if is_digits(l4, 3) && is_digits(l3, 2) && is_digits(l2, 2) && is_level_one(l1));
        if !shaped {
            return Err(ParseError::new(
                WHAT,
                "must look like 000.00.00.H49 (QCVN 102:2016)",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `M X1 X2`: an upper-case group letter and two digits.
fn is_level_one(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 3 && b[0].is_ascii_uppercase() && b[1].is_ascii_digit() && b[2].is_ascii_digit()
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn quang_ninh_peoples_committee_parses() {
        assert_eq!(
            AgencyCode::parse("000.00.00.H49").unwrap().as_str(),
            "000.00.00.H49"
        );
        assert!(AgencyCode::parse("001.02.03.G12").is_ok());
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for bad in [
            "",
            "000.00.00",
            "000.00.00.h49",
            "00.00.00.H49",
            "000.00.00.H4",
            "000.00.00.H49.1",
            "000-00-00-H49",
        ] {
            assert!(AgencyCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_input(s in ".{0,20}") {
            let _ = AgencyCode::parse(&s);
        }
    }
}
