//! Acting for someone else: an organisation through its representatives, a minor through a
//! parent or guardian, anyone through an authorised person. A mandate has scopes, dates and a
//! basis; it is re-checked on every request, and a guardianship ends by itself at majority.

mod ends;
pub mod http;
mod service;
mod store;

use std::fmt;

use chrono::{DateTime, FixedOffset, Months, NaiveDate, TimeZone, Utc};
use serde::Serialize;

pub use ends::{exact_end_of, seal_plain_guardianship_ends};
pub use service::Mandates;
pub use store::{
    MandateError, MandateView, NewMandate, active, active_for_person, add, list_for_owner,
    representative_of, revoke,
};

/// What a mandate lets the representative do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// List, read and download the owner's documents.
    Read,
    /// Also upload, correct and delete them.
    Manage,
    /// Answer consent requests for the owner.
    Consent,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Read => "read",
            Self::Manage => "manage",
            Self::Consent => "consent",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [Self::Read, Self::Manage, Self::Consent]
            .into_iter()
            .find(|x| x.as_str() == s)
    }
}

/// The scopes of one session: everything for the owner themself, the mandate's otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Scopes(Vec<Scope>);

impl Scopes {
    pub fn all() -> Self {
        Self(vec![Scope::Read, Scope::Manage, Scope::Consent])
    }

    /// `read,manage` → scopes; unknown words are dropped (never widened).
    pub fn from_stored(s: &str) -> Self {
        Self(
            s.split(',')
                .filter_map(|w| Scope::parse(w.trim()))
                .collect(),
        )
    }

    pub fn to_stored(&self) -> String {
        self.0
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.0.contains(&scope)
    }

    pub fn new(scopes: Vec<Scope>) -> Self {
        let mut scopes = scopes;
        scopes.sort_by_key(|s| s.as_str());
        scopes.dedup();
        Self(scopes)
    }
}

/// The relationship a mandate records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A representative of an organisation.
    Representative,
    /// A parent or guardian of a minor: ends at the child's majority.
    Guardian,
    /// A person authorised in writing by the owner.
    Authorised,
}

/// The document the mandate rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Basis {
    BusinessRegistration,
    BirthCertificate,
    WrittenAuthorisation,
    CourtDecision,
}

macro_rules! text_forms {
    ($ty:ty { $($variant:ident = $text:literal),+ }) => {
        impl $ty {
            pub fn as_str(self) -> &'static str { match self { $(Self::$variant => $text),+ } }
        }
        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
    };
}
text_forms!(Kind { Representative = "representative", Guardian = "guardian", Authorised = "authorised" });
text_forms!(Basis { BusinessRegistration = "business-registration", BirthCertificate = "birth-certificate", WrittenAuthorisation = "written-authorisation", CourtDecision = "court-decision" });

/// Age of majority in Vietnam (Civil Code 2015, Article 20).
pub const MAJORITY_YEARS: u32 = 18;

/// The moment a child born on `born` comes of age: the start of the 18th birthday in Vietnam.
pub fn majority(born: NaiveDate) -> Option<DateTime<Utc>> {
    // Midnight in Vietnam (UTC+7, no daylight saving) at the start of the 18th birthday.
    let vietnam = FixedOffset::east_opt(7 * 3600)?;
    let birthday = born
        .checked_add_months(Months::new(12 * MAJORITY_YEARS))?
        .and_hms_opt(0, 0, 0)?;
    vietnam
        .from_local_datetime(&birthday)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether a mandate with these dates acts at `now`.
pub fn is_active(
    now: DateTime<Utc>,
    from: DateTime<Utc>,
    until: Option<DateTime<Utc>>,
    revoked: Option<DateTime<Utc>>,
) -> bool {
    revoked.is_none() && from <= now && until.is_none_or(|u| now < u)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_child_comes_of_age_at_midnight_in_vietnam_on_the_eighteenth_birthday() {
        // Born on 29 February: of age on 28 February (no 29th in 2026), 00:00 at UTC+7.
        let born = NaiveDate::from_ymd_opt(2008, 2, 29).unwrap();
        assert_eq!(
            majority(born).unwrap().to_rfc3339(),
            "2026-02-27T17:00:00+00:00"
        );
        let born = NaiveDate::from_ymd_opt(2010, 6, 1).unwrap();
        assert_eq!(
            majority(born).unwrap().to_rfc3339(),
            "2028-05-31T17:00:00+00:00"
        );
    }

    #[test]
    fn a_mandate_acts_only_between_its_dates_and_until_revoked() {
        let now = crate::clock::Clock::system().now();
        let day = chrono::Duration::days(1);
        assert!(is_active(now, now - day, None, None));
        assert!(is_active(now, now - day, Some(now + day), None));
        assert!(!is_active(now, now + day, None, None));
        assert!(!is_active(now, now - day - day, Some(now - day), None));
        assert!(!is_active(now, now - day, None, Some(now)));
    }

    #[test]
    fn scopes_never_widen() {
        let s = Scopes::from_stored("read,admin,consent");
        assert!(s.allows(Scope::Read) && s.allows(Scope::Consent) && !s.allows(Scope::Manage));
        assert_eq!(
            Scopes::new(vec![Scope::Manage, Scope::Read, Scope::Read]).to_stored(),
            "manage,read"
        );
    }
}
