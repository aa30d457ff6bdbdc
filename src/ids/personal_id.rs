//! The 12-digit personal identification number (số định danh cá nhân): `PPP G YY RRRRRR`.

use std::fmt;

use chrono::Datelike;

use super::{ParseError, catalogue::province_name, is_digits};

const WHAT: &str = "personal ID";

/// A personal identification number whose province, century/sex digit and birth year make sense.
/// There is no check digit, so a well-formed number can still belong to nobody.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PersonalId(String);

/// The sex encoded in the century digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

impl PersonalId {
    /// Parses 12 digits; surrounding white space is ignored.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        let s = input.trim();
        if !is_digits(s, 12) {
            return Err(ParseError::new(WHAT, "must be exactly 12 digits"));
        }
        if province_name(&s[..3]).is_none() {
            return Err(ParseError::new(
                WHAT,
                "the first three digits are not a known province code",
            ));
        }
        let id = Self(s.to_owned());
        if id.birth_year() > crate::clock::Clock::system().now().year() {
            return Err(ParseError::new(
                WHAT,
                "the birth year it encodes is in the future",
            ));
        }
        Ok(id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The three-digit code of the province (or country) of birth registration.
    pub fn province_code(&self) -> &str {
        &self.0[..3]
    }

    fn century_digit(&self) -> i32 {
        i32::from(self.0.as_bytes()[3] - b'0')
    }

    pub fn sex(&self) -> Sex {
        if self.century_digit() % 2 == 0 {
            Sex::Male
        } else {
            Sex::Female
        }
    }

    /// 0/1 → 1900s, 2/3 → 2000s, … 8/9 → 2300s, plus the two year digits.
    pub fn birth_year(&self) -> i32 {
        let century = 1900 + 100 * (self.century_digit() / 2);
        let yy =
            i32::from(self.0.as_bytes()[4] - b'0') * 10 + i32::from(self.0.as_bytes()[5] - b'0');
        century + yy
    }
}

impl fmt::Display for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Personal IDs are personal data: `Debug` shows only the province, never the whole number.
impl fmt::Debug for PersonalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PersonalId({}*********)", self.province_code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_example_is_a_woman_from_ha_nam_born_1999() {
        let id = PersonalId::parse("035199000123").unwrap();
        assert_eq!(id.province_code(), "035");
        assert_eq!(id.sex(), Sex::Female);
        assert_eq!(id.birth_year(), 1999);
    }

    #[test]
    fn century_digits_map_to_centuries() {
        assert_eq!(
            PersonalId::parse("001099000001").unwrap().birth_year(),
            1999
        );
        assert_eq!(
            PersonalId::parse("001205000001").unwrap().birth_year(),
            2005
        );
        assert_eq!(
            PersonalId::parse("001305000001").unwrap().sex(),
            Sex::Female
        );
    }

    #[test]
    fn refuses_wrong_length_letters_unknown_provinces_and_future_births() {
        for bad in [
            "",
            "03519900012",
            "0351990001234",
            "03519900012a",
            "003199000123",
            "001499000123",
            "035 199 000 123",
        ] {
            assert!(PersonalId::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn debug_does_not_reveal_the_number() {
        let id = PersonalId::parse("035199000123").unwrap();
        assert!(!format!("{id:?}").contains("199000123"));
    }

    proptest! {
        #[test]
        fn every_valid_shape_parses_and_round_trips(
            province in prop::sample::select(vec!["001", "035", "079", "096"]),
            century in 0u8..4, yy in 0u8..26, rest in 0u32..1_000_000,
        ) {
            let s = format!("{province}{century}{yy:02}{rest:06}");
            let id = PersonalId::parse(&s).unwrap();
            prop_assert_eq!(id.as_str(), s.as_str());
        }

        #[test]
        fn never_panics_on_arbitrary_input(s in ".{0,20}") {
            let _ = PersonalId::parse(&s);
        }
    }
}
