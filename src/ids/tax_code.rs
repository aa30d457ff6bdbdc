//! Enterprise / tax codes (mã số doanh nghiệp = mã số thuế): 10 digits with a check digit, a
//! 13-digit branch code (`parent-NNN`), or since 01/7/2025 a 12-digit personal ID.

use std::fmt;

use super::{ParseError, PersonalId, is_digits};

const WHAT: &str = "tax code";
const WEIGHTS: [u32; 9] = [31, 29, 23, 19, 17, 13, 7, 5, 3];

/// A tax code in its canonical written form (`0100233488`, `0100233488-001`, or 12 digits).
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum TaxCode {
    /// A 10-digit enterprise code.
    Enterprise(String),
    /// A branch or dependent unit: the parent's 10 digits and a 3-digit suffix.
    Branch { parent: String, suffix: String },
    /// An individual or household business, identified by the personal ID.
    Personal(PersonalId),
}

impl TaxCode {
    /// Parses `NNNNNNNNNN`, `NNNNNNNNNN-NNN`, `NNNNNNNNNNNNN` or a 12-digit personal ID.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if is_digits(s, 12) {
            return PersonalId::parse(s).map(Self::Personal);
        }
        let (parent, suffix) = match s.split_once('-') {
            Some((p, x)) => (p, Some(x)),
            None if s.len() == 13 => match (s.get(..10), s.get(10..)) {
                (Some(p), Some(x)) => (p, Some(x)),
                _ => return Err(ParseError::new(WHAT, "must be digits")),
            },
            None => (s, None),
        };
        let parent = parse_enterprise(parent)?;
        match suffix {
            None => Ok(Self::Enterprise(parent)),
            Some(x) if is_digits(x, 3) && x != "000" => Ok(Self::Branch {
                parent,
                suffix: x.to_owned(),
            }),
            Some(_) => Err(ParseError::new(
                WHAT,
                "a branch suffix must be three digits from 001 to 999",
            )),
        }
    }

    /// True for enterprise and branch codes, which identify organisations.
    pub fn is_organisation(&self) -> bool {
        !matches!(self, Self::Personal(_))
    }
}

fn parse_enterprise(s: &str) -> Result<String, ParseError> {
    if !is_digits(s, 10) {
        return Err(ParseError::new(
            WHAT,
            "must be 10 digits, 10 digits-NNN for a branch, or a 12-digit personal ID",
        ));
    }
    let d: Vec<u32> = s.bytes().map(|b| u32::from(b - b'0')).collect();
    if d[2..9].iter().all(|&x| x == 0) {
        return Err(ParseError::new(WHAT, "digits 3 to 9 cannot all be zero"));
    }
    if check_digit(&d[..9]) != Some(d[9]) {
        return Err(ParseError::new(WHAT, "the check digit does not match"));
    }
    Ok(s.to_owned())
}

/// `10 − (Σ wᵢ·Nᵢ mod 11)`; `None` when that is 10, which no valid code can have.
fn check_digit(first_nine: &[u32]) -> Option<u32> {
    let sum: u32 = first_nine.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let digit = 10 - sum % 11;
    (digit < 10).then_some(digit)
}

impl fmt::Display for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Enterprise(code) => f.write_str(code),
            Self::Branch { parent, suffix } => write!(f, "{parent}-{suffix}"),
            Self::Personal(id) => id.fmt(f),
        }
    }
}

impl fmt::Debug for TaxCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Personal(id) => write!(f, "TaxCode({id:?})"),
            other => write!(f, "TaxCode({other})"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_example_is_valid() {
        assert_eq!(
            TaxCode::parse("0100233488").unwrap(),
            TaxCode::Enterprise("0100233488".into())
        );
    }

    #[test]
    fn a_wrong_check_digit_is_refused() {
        assert!(TaxCode::parse("0100233487").is_err());
    }

    #[test]
    fn branches_are_written_with_a_dash_either_way() {
        assert_eq!(
            TaxCode::parse("0100233488-001").unwrap().to_string(),
            "0100233488-001"
        );
        assert_eq!(
            TaxCode::parse("0100233488001").unwrap().to_string(),
            "0100233488-001"
        );
        assert!(TaxCode::parse("0100233488-000").is_err());
        assert!(TaxCode::parse("0100233488-01").is_err());
    }

    #[test]
    fn twelve_digits_are_a_personal_tax_code() {
        let code = TaxCode::parse("035199000123").unwrap();
        assert!(!code.is_organisation());
    }

    #[test]
    fn zero_sequences_and_junk_are_refused() {
        for bad in [
            "",
            "01",
            "0100000000",
            "01002334880",
            "abcdefghij",
            "0100233488-",
            "-001",
        ] {
            assert!(TaxCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    proptest! {
        #[test]
        fn every_code_with_a_computed_check_digit_parses(nine in prop::collection::vec(0u32..10, 9)) {
            prop_assume!(nine[2..9].iter().any(|&x| x != 0));
            if let Some(check) = check_digit(&nine) {
                let s: String = nine.iter().chain([check].iter()).map(|d| char::from(b'0' + *d as u8)).collect();
                prop_assert_eq!(TaxCode::parse(&s).unwrap().to_string(), s);
            }
        }

        #[test]
        fn changing_the_check_digit_breaks_the_code(nine in prop::collection::vec(0u32..10, 9), delta in 1u32..10) {
            prop_assume!(nine[2..9].iter().any(|&x| x != 0));
            if let Some(check) = check_digit(&nine) {
                let wrong = (check + delta) % 10;
                let s: String = nine.iter().chain([wrong].iter()).map(|d| char::from(b'0' + *d as u8)).collect();
                prop_assert!(TaxCode::parse(&s).is_err());
            }
        }

        #[test]
        fn never_panics_on_arbitrary_input(s in ".{0,20}") {
            let _ = TaxCode::parse(&s);
        }
    }
}
