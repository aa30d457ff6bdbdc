//! Free text from users: normalised to NFC at the edge so "Nguyễn" matches on every device.

use std::fmt;

use unicode_normalization::UnicodeNormalization;

use super::ParseError;

/// Non-empty, NFC-normalised, trimmed text without control characters, of bounded length.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Text(String);

impl Text {
    /// `what` names the field in the error; `max_chars` bounds its length after normalisation.
    pub fn parse(input: &str, what: &'static str, max_chars: usize) -> Result<Self, ParseError> {
        let s: String = input.nfc().collect::<String>().trim().to_owned();
        if s.is_empty() {
            return Err(ParseError::new(what, "must not be empty"));
        }
        if s.chars().count() > max_chars {
            return Err(ParseError::new(what, "is too long"));
        }
        if s.chars().any(is_invisible_control) {
            return Err(ParseError::new(
                what,
                "must not contain control, format or direction-changing characters",
            ));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Characters that do not show, or that change how the rest shows: controls (Cc), format
/// characters (Cf: zero-width spaces and joiners, bidi overrides and isolates, soft hyphen) and the
/// line and paragraph separators — with them a title can look like another one.
fn is_invisible_control(c: char) -> bool {
    use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};
    matches!(
        c.general_category(),
        GeneralCategory::Control
            | GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    )
}

/// Free text may be personal (titles, names): `Debug` shows only its length.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Text({} chars)", self.0.chars().count())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn composed_and_decomposed_forms_are_the_same_text() {
        let composed = Text::parse("Nguy\u{1ec5}n", "name", 10).unwrap();
        let decomposed = Text::parse("Nguye\u{302}\u{303}n", "name", 10).unwrap();
        assert_eq!(composed, decomposed);
    }

    #[test]
    fn empty_overlong_and_control_text_is_refused() {
        assert!(Text::parse("   ", "title", 10).is_err());
        assert!(Text::parse("abcdefghijk", "title", 10).is_err());
        assert!(Text::parse("a\u{0}b", "title", 10).is_err());
    }

    #[test]
    fn invisible_and_direction_changing_text_is_refused() {
        for spoof in [
            "\u{200b}\u{200b}",
            "Giấy khai sinh\u{202e}fdp.exe",
            "dòng một\u{2028}dòng hai",
            "a\u{2066}b\u{2069}",
            "\u{feff}Căn cước",
        ] {
            assert!(Text::parse(spoof, "title", 100).is_err(), "{spoof:?}");
        }
        assert!(Text::parse("Bằng tốt nghiệp – 2024 (bản sao)", "title", 100).is_ok());
    }
}
