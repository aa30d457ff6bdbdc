//! Dates as people write them in forms and statements.

use chrono::{Datelike, NaiveDate};

use super::ParseError;

/// A `YYYY-MM-DD` date from 1900 to 2200: chrono would take signed years that PostgreSQL's
/// `date` cannot hold, and no document of a living owner is dated outside that span.
pub fn parse_date(s: &str, what: &'static str) -> Result<NaiveDate, ParseError> {
    let s = s.trim();
    // chrono alone also takes `2024-1-1` and `+002024-01-01`: the shape is checked first.
    let shaped = s.len() == 10
        && s.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    let date = shaped
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| ParseError::new(what, "must be a date written YYYY-MM-DD"))?;
    if !(1900..=2200).contains(&date.year()) {
        return Err(ParseError::new(what, "must be a date from 1900 to 2200"));
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_date_is_written_year_month_day_and_lies_between_1900_and_2200() {
        assert!(parse_date("2024-01-31", "issue date").is_ok());
        assert!(parse_date("31/01/2024", "issue date").is_err());
        assert!(parse_date("1899-12-31", "issue date").is_err());
        assert!(parse_date("2201-01-01", "issue date").is_err());
    }

    #[test]
    fn a_date_has_exactly_four_two_and_two_digits() {
        for loose in [
            "2024-1-1",
            "+002024-01-01",
            "2024-01-1",
            "2024/01/01",
            "２０２４-01-01",
        ] {
            assert!(parse_date(loose, "issue date").is_err(), "{loose}");
        }
        assert!(parse_date(" 2024-01-01 ", "issue date").is_ok());
    }
}
