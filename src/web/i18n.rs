//! The two languages of Kho's pages — Vietnamese first, English by choice — and their message
//! catalogues (Project Fluent, `locales/*.ftl`). Pages hold keys; every sentence comes from here.

use std::borrow::Cow;
use std::sync::LazyLock;

use chrono::{DateTime, FixedOffset, NaiveDate, Offset, Utc};
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};

/// The language a page is shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Vi,
    En,
}

/// The cookie that remembers the language switch.
pub const LANG_COOKIE: &str = "kho_lang";

impl Lang {
    /// The BCP 47 tag, for `<html lang>`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Vi => "vi",
            Self::En => "en",
        }
    }

    /// The other language, offered by the switch.
    pub fn other(self) -> Self {
        match self {
            Self::Vi => Self::En,
            Self::En => Self::Vi,
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Self::Vi),
            "en" => Some(Self::En),
            _ => None,
        }
    }

    /// The switch's cookie first, then the best of `Accept-Language` (RFC 9110 §12.5.4), then
    /// Vietnamese.
    pub fn negotiate(cookie: Option<&str>, accept_language: Option<&str>) -> Self {
        if let Some(lang) = cookie.and_then(Self::from_code) {
            return lang;
        }
        accept_language.map_or(Self::Vi, Self::from_accept_language)
    }

    fn from_accept_language(header: &str) -> Self {
        let mut best = (0.0_f32, Self::Vi);
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim();
            let quality = parts
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.trim().parse::<f32>().ok())
                .unwrap_or(1.0);
            let primary = tag.split('-').next().unwrap_or_default();
            if let Some(lang) = Self::from_code(primary)
                && quality > best.0
            {
                best = (quality, lang);
            }
        }
        best.1
    }
}

struct Catalogues {
    vi: FluentBundle<FluentResource>,
    en: FluentBundle<FluentResource>,
}

fn bundle(lang: Lang, source: &'static str) -> FluentBundle<FluentResource> {
    let resource =
        FluentResource::try_new(source.to_owned()).unwrap_or_else(|(partial, errors)| {
            tracing::error!(
                lang = lang.code(),
                ?errors,
                "message catalogue has syntax errors"
            );
            partial
        });
    let id: unic_langid::LanguageIdentifier = lang.code().parse().unwrap_or_default();
    let mut bundle = FluentBundle::new_concurrent(vec![id]);
    // Pages are HTML, escaped by the templates; no bidi isolation marks in Latin text.
    bundle.set_use_isolating(false);
    if let Err(errors) = bundle.add_resource(resource) {
        tracing::error!(
            lang = lang.code(),
            ?errors,
            "message catalogue has duplicate keys"
        );
    }
    bundle
}

static CATALOGUES: LazyLock<Catalogues> = LazyLock::new(|| Catalogues {
    vi: bundle(Lang::Vi, include_str!("locales/vi.ftl")),
    en: bundle(Lang::En, include_str!("locales/en.ftl")),
});

/// Vietnam's time: UTC+7 all year.
fn vietnam() -> FixedOffset {
    FixedOffset::east_opt(7 * 3600).unwrap_or_else(|| Utc.fix())
}

/// Messages, names and dates in one language.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Self {
        Self { lang }
    }

    fn bundle(self) -> &'static FluentBundle<FluentResource> {
        match self.lang {
            Lang::Vi => &CATALOGUES.vi,
            Lang::En => &CATALOGUES.en,
        }
    }

    /// The message `key`; a missing key shows itself (and the catalogue test fails).
    pub fn t(&self, key: &str) -> String {
        self.format(key, None)
    }

    /// The message `key` with its variables.
    pub fn t_with(&self, key: &str, args: &[(&str, &str)]) -> String {
        let mut fluent_args = FluentArgs::new();
        for (name, value) in args {
            fluent_args.set(*name, FluentValue::from(*value));
        }
        self.format(key, Some(&fluent_args))
    }

    /// The message `key` with one number, `name` (plurals follow the language's rules).
    pub fn t_number(&self, key: &str, name: &str, n: i64) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_owned(), FluentValue::from(n));
        self.format(key, Some(&args))
    }

    fn format(&self, key: &str, args: Option<&FluentArgs<'_>>) -> String {
        let bundle = self.bundle();
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            tracing::warn!(key, lang = self.lang.code(), "no such message");
            return key.to_owned();
        };
        let mut errors = Vec::new();
        let text: Cow<'_, str> = bundle.format_pattern(pattern, args, &mut errors);
        text.into_owned()
    }

    /// Whether the catalogue has `key` (for the catalogue tests).
    pub fn has(&self, key: &str) -> bool {
        self.bundle().has_message(key)
    }

    /// A date as dd/mm/yyyy (the Vietnamese way, in both languages).
    pub fn date(&self, date: NaiveDate) -> String {
        date.format("%d/%m/%Y").to_string()
    }

    /// A moment as dd/mm/yyyy HH:MM in Vietnam's time.
    pub fn datetime(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&vietnam())
            .format("%d/%m/%Y %H:%M")
            .to_string()
    }

    /// An access-log timestamp (RFC 3339, as stored) in Vietnam's time; as stored if unreadable.
    pub fn logged_at(&self, at: &str) -> String {
        at.parse::<DateTime<Utc>>()
            .map_or_else(|_| at.to_owned(), |t| self.datetime(t))
    }

    /// The calendar day in Vietnam of a moment, dd/mm/yyyy.
    pub fn day(&self, at: DateTime<Utc>) -> String {
        at.with_timezone(&vietnam()).format("%d/%m/%Y").to_string()
    }

    /// A name kept in both languages.
    pub fn pick<'a>(&self, vi: &'a str, en: &'a str) -> &'a str {
        match self.lang {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }
}

#[cfg(test)]
mod tests;
