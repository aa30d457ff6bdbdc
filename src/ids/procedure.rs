//! Procedure codes (mã TTHC): the national `D.DDDDDD`, optionally followed by the implementing
//! agency's code.

use std::fmt;

use super::{AgencyCode, ParseError};

/// A national procedure code, e.g. `1.011442` or `1.011442.000.00.00.H38`.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ProcedureCode {
    national: String,
    agency: Option<AgencyCode>,
}

impl ProcedureCode {
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "procedure code";
        let s = input.trim();
        let shape = ParseError::new(
            WHAT,
            "must look like 1.011442, optionally followed by .<agency code>",
        );
        let national = s.get(..8).filter(|n| is_national(n)).ok_or(shape.clone())?;
        let agency = match s.get(8..) {
            Some("") | None => None,
            Some(rest) => Some(AgencyCode::parse(rest.strip_prefix('.').ok_or(shape)?)?),
        };
        Ok(Self {
            national: national.to_owned(),
            agency,
        })
    }

    /// The national part, `D.DDDDDD`, which the procedure catalogue is keyed by.
    pub fn national(&self) -> &str {
        &self.national
    }

    pub fn agency(&self) -> Option<&AgencyCode> {
        self.agency.as_ref()
    }
}

/// `D.DDDDDD`, checked byte by byte so that no slice can split a character.
fn is_national(n: &str) -> bool {
    let b = n.as_bytes();
    b.len() == 8 && b[0].is_ascii_digit() && b[1] == b'.' && b[2..].iter().all(u8::is_ascii_digit)
}

impl fmt::Display for ProcedureCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.agency {
            Some(agency) => write!(f, "{}.{agency}", self.national),
            None => f.write_str(&self.national),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn national_and_agency_forms_parse() {
        assert_eq!(
            ProcedureCode::parse("1.011442").unwrap().national(),
            "1.011442"
        );
        let p = ProcedureCode::parse("1.011442.000.00.00.H38").unwrap();
        assert_eq!(p.agency().unwrap().as_str(), "000.00.00.H38");
        assert_eq!(p.to_string(), "1.011442.000.00.00.H38");
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for bad in [
            "",
            "1.01144",
            "11.011442",
            "1.0114420",
            "1.011442.",
            "1.011442-000.00.00.H38",
            "1.011442.000.00.00",
        ] {
            assert!(
                ProcedureCode::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
    }

    proptest! {
        #[test]
        fn never_panics_on_arbitrary_input(s in ".{0,30}") {
            let _ = ProcedureCode::parse(&s);
        }
    }
}
