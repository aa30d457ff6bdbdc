//! Dossier codes (`<agency>-YYMMDD-XXXX`) and result codes (`<dossier>-KQ<n>`).

use std::fmt;

use chrono::NaiveDate;

use super::{AgencyCode, ParseError, is_digits};

/// The code of an administrative-procedure dossier: receiving unit, receipt date, daily sequence.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct DossierCode {
    agency: AgencyCode,
    received: NaiveDate,
    code: String,
}

impl DossierCode {
    /// Parses `000.00.00.H55-250703-0001`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "dossier code";
        let s = input.trim();
        let mut parts = s.split('-');
        let (Some(agency), Some(date), Some(seq), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(ParseError::new(
                WHAT,
                "must look like 000.00.00.H55-250703-0001",
            ));
        };
        let agency = AgencyCode::parse(agency)?;
        let received = is_digits(date, 6)
            .then(|| NaiveDate::parse_from_str(&format!("20{date}"), "%Y%m%d").ok())
            .flatten()
            .ok_or(ParseError::new(
                WHAT,
                "the receipt date must be a real date written YYMMDD",
            ))?;
        if !is_digits(seq, 4) {
            return Err(ParseError::new(
                WHAT,
                "the daily sequence must be four digits",
            ));
        }
        Ok(Self {
            agency,
            received,
            code: s.to_owned(),
        })
    }

    pub fn agency(&self) -> &AgencyCode {
        &self.agency
    }

    pub fn received(&self) -> NaiveDate {
        self.received
    }

    pub fn as_str(&self) -> &str {
        &self.code
    }
}

impl fmt::Display for DossierCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code)
    }
}

/// The code of one electronic result of a dossier (NĐ 45/2020 Điều 14 khoản 3).
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct ResultCode {
    dossier: DossierCode,
    sequence: u16,
}

impl ResultCode {
    /// Parses `000.00.00.H55-250703-0001-KQ1`.
    pub fn parse(input: &str) -> Result<Self, ParseError> {
        const WHAT: &str = "result code";
        let s = input.trim();
        let (dossier, n) = s.rsplit_once("-KQ").ok_or(ParseError::new(
            WHAT,
            "must be a dossier code followed by -KQ and a number",
        ))?;
        let sequence = (!n.is_empty()
            && n.len() <= 3
            && n.bytes().all(|b| b.is_ascii_digit())
            && !n.starts_with('0'))
        .then(|| n.parse::<u16>().ok())
        .flatten()
        .ok_or(ParseError::new(
            WHAT,
            "the result number after KQ must be 1 to 999",
        ))?;
        Ok(Self {
            dossier: DossierCode::parse(dossier)?,
            sequence,
        })
    }

    pub fn dossier(&self) -> &DossierCode {
        &self.dossier
    }

    pub fn sequence(&self) -> u16 {
        self.sequence
    }
}

impl fmt::Display for ResultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-KQ{}", self.dossier, self.sequence)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_domain_examples_parse() {
        let d = DossierCode::parse("000.00.00.H55-250703-0001").unwrap();
        assert_eq!(d.agency().as_str(), "000.00.00.H55");
        assert_eq!(d.received(), NaiveDate::from_ymd_opt(2025, 7, 3).unwrap());
        let r = ResultCode::parse("000.00.00.H55-250703-0001-KQ1").unwrap();
        assert_eq!(r.sequence(), 1);
        assert_eq!(r.to_string(), "000.00.00.H55-250703-0001-KQ1");
    }

    #[test]
    fn impossible_dates_and_bad_sequences_are_refused() {
        for bad in [
            "000.00.00.H55-250231-0001",
            "000.00.00.H55-250703-001",
            "000.00.00.H55-250703",
            "X-250703-0001",
        ] {
            assert!(
                DossierCode::parse(bad).is_err(),
                "{bad:?} should be refused"
            );
        }
        for bad in [
            "000.00.00.H55-250703-0001",
            "000.00.00.H55-250703-0001-KQ",
            "000.00.00.H55-250703-0001-KQ0",
            "000.00.00.H55-250703-0001-KQ01",
        ] {
            assert!(ResultCode::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    proptest! {
        #[test]
        fn result_codes_round_trip(day in 1u32..29, month in 1u32..13, seq in 0u32..10000, n in 1u16..1000) {
            let s = format!("000.00.00.H55-25{month:02}{day:02}-{seq:04}-KQ{n}");
            prop_assert_eq!(ResultCode::parse(&s).unwrap().to_string(), s);
        }

        #[test]
        fn never_panics_on_arbitrary_input(s in ".{0,40}") {
            let _ = ResultCode::parse(&s);
            let _ = DossierCode::parse(&s);
        }
    }
}
