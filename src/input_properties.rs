//! Property tests of the parsers of outside input (proptest): whatever arrives, a parser answers
//! — never a panic — and what it accepts it gives back the same when parsed again.

use proptest::prelude::*;

use crate::ids::*;

/// Any text, weighted toward what trips parsers: digits, separators, dates, non-ASCII, controls.
fn hostile() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[0-9.\\-A-Za-z+ /:_]{0,40}",
        "[0-9]{1,14}",
        "\\+?[0-9]{1,6}-[0-9]{1,2}-[0-9]{1,2}",
        "[0-9]{3}\\.[0-9]{2}\\.[0-9]{2}\\.[A-Z][0-9]{2}(-[0-9]{6}-[0-9]{4}(-KQ[0-9]{1,4})?)?",
        "\\PC{0,20}[\\u{200b}\\u{202e}\\u{2028}\\u{0}\\u{feff}]\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn identifiers_and_codes_answer_any_input_and_read_back_what_they_accept(s in hostile()) {
        if let Ok(id) = PersonalId::parse(&s) {
            prop_assert_eq!(PersonalId::parse(&id.to_string()).ok(), Some(id));
        }
        if let Ok(code) = TaxCode::parse(&s) {
            prop_assert_eq!(TaxCode::parse(&code.to_string()).ok(), Some(code));
        }
        if let Ok(who) = OwnerIdentifier::parse(&s) {
            prop_assert_eq!(OwnerIdentifier::parse(&who.to_string()).ok(), Some(who));
        }
        if let Ok(agency) = AgencyCode::parse(&s) {
            prop_assert_eq!(AgencyCode::parse(agency.as_str()).ok(), Some(agency));
        }
        if let Ok(dossier) = DossierCode::parse(&s) {
            prop_assert_eq!(DossierCode::parse(dossier.as_str()).ok(), Some(dossier));
        }
        if let Ok(result) = ResultCode::parse(&s) {
            prop_assert_eq!(ResultCode::parse(&result.to_string()).ok(), Some(result));
        }
        if let Ok(procedure) = ProcedureCode::parse(&s) {
            prop_assert_eq!(ProcedureCode::parse(&procedure.to_string()).ok(), Some(procedure));
        }
        let _ = DocumentTypeCode::parse(&s);
    }

    #[test]
    fn a_date_is_accepted_only_as_four_two_and_two_digits(s in hostile()) {
        if let Ok(date) = parse_date(&s, "date") {
            let written = date.format("%Y-%m-%d").to_string();
            prop_assert_eq!(s.trim(), written.as_str());
        }
    }

    #[test]
    fn accepted_text_is_visible_normalised_and_within_its_length(s in hostile()) {
        if let Ok(text) = Text::parse(&s, "title", 30) {
            let t = text.as_str();
            prop_assert!(!t.trim().is_empty());
            prop_assert!(t.chars().count() <= 30);
            let invisible = ['\u{200b}', '\u{202e}', '\u{2028}', '\u{feff}'];
            let clean = !t.chars().any(|c| c.is_control() || invisible.contains(&c));
            prop_assert!(clean, "accepted {:?}", t);
            prop_assert_eq!(Text::parse(t, "title", 30).ok(), Some(text.clone()));
        }
    }
}

/// Compact-JWS-shaped text: three base64url-ish parts, or anything.
fn jws_like() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[A-Za-z0-9_\\-]{0,60}\\.[A-Za-z0-9_\\-]{0,80}\\.[A-Za-z0-9_\\-]{0,60}",
        "eyJ[A-Za-z0-9_\\-]{0,40}\\.eyJ[A-Za-z0-9_\\-]{0,80}\\.[A-Za-z0-9_\\-]{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn authorization_details_answer_any_json(s in prop_oneof![
        any::<String>(),
        "\\[\\{\"type\":\"kho_documents\"[^\\]]{0,80}\\}\\]",
    ]) {
        let _ = crate::oauth::details::parse(&s);
    }

    #[test]
    fn seal_tokens_and_signed_statements_answer_any_text(s in jws_like()) {
        let _ = crate::seals::token::normalise(&s);
        let _ = crate::seals::token::claimed_store(&s);
        let _ = crate::clients::claimed_client(&s);
    }

    #[test]
    fn the_content_type_is_decided_for_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
        let _ = crate::documents::sniff(&bytes);
    }
}
