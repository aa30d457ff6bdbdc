use super::*;

fn keys(source: &str) -> std::collections::BTreeSet<String> {
    source
        .lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with(' '))
        .filter_map(|l| l.split_once(" = ").map(|(k, _)| k.trim().to_owned()))
        .collect()
}

#[test]
fn both_catalogues_parse_and_hold_the_same_messages() {
    let vi = include_str!("../locales/vi.ftl");
    let en = include_str!("../locales/en.ftl");
    assert!(FluentResource::try_new(vi.to_owned()).is_ok());
    assert!(FluentResource::try_new(en.to_owned()).is_ok());
    let (vi, en) = (keys(vi), keys(en));
    assert!(!vi.is_empty());
    let only_vi: Vec<_> = vi.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&vi).collect();
    assert!(
        only_vi.is_empty() && only_en.is_empty(),
        "vi only: {only_vi:?}, en only: {only_en:?}"
    );
}

/// Every key a template or a page handler asks for is in both catalogues.
#[test]
fn every_message_the_pages_use_exists() {
    let mut sources = Vec::new();
    collect(
        std::path::Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/src/web")),
        &mut sources,
    );
    let pattern = [".t(\"", "add_key(tr, \"", "t_with(\""];
    let mut missing = Vec::new();
    for (path, text) in &sources {
        for start in pattern {
            for (i, _) in text.match_indices(start) {
                let rest = &text[i + start.len()..];
                let rest = if start.starts_with("add_key") {
                    // add_key(tr, "field", "key")
                    rest.split_once("\", \"").map_or("", |(_, k)| k)
                } else {
                    rest
                };
                let key: String = rest.chars().take_while(|c| *c != '"').collect();
                for lang in [Lang::Vi, Lang::En] {
                    if !key.is_empty() && !Tr::new(lang).has(&key) {
                        missing.push(format!("{path}: {key} ({})", lang.code()));
                    }
                }
            }
        }
    }
    assert!(missing.is_empty(), "missing messages: {missing:#?}");
}

fn collect(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path.extension().is_some_and(|e| e == "html" || e == "rs")
            && !path.display().to_string().contains("i18n")
        {
            out.push((
                path.display().to_string(),
                std::fs::read_to_string(&path).unwrap(),
            ));
        }
    }
}

#[test]
fn vietnamese_unless_the_switch_or_the_browser_says_english() {
    assert_eq!(Lang::negotiate(None, None), Lang::Vi);
    assert_eq!(Lang::negotiate(None, Some("en-GB,en;q=0.9")), Lang::En);
    assert_eq!(
        Lang::negotiate(None, Some("fr-FR, en;q=0.5, vi;q=0.8")),
        Lang::Vi
    );
    assert_eq!(Lang::negotiate(None, Some("fr")), Lang::Vi);
    assert_eq!(Lang::negotiate(Some("vi"), Some("en")), Lang::Vi);
    assert_eq!(Lang::negotiate(Some("en"), None), Lang::En);
    assert_eq!(Lang::negotiate(Some("xx"), Some("en")), Lang::En);
}

#[test]
fn dates_read_day_month_year_in_vietnam_time() {
    let tr = Tr::new(Lang::En);
    let date = NaiveDate::from_ymd_opt(2026, 3, 9).unwrap();
    assert_eq!(tr.date(date), "09/03/2026");
    // 18:30 UTC is already the next morning in Vietnam.
    let at = DateTime::parse_from_rfc3339("2026-12-01T18:30:00Z")
        .unwrap()
        .with_timezone(&Utc);
    assert_eq!(tr.datetime(at), "02/12/2026 01:30");
    assert_eq!(tr.day(at), "02/12/2026");
}

#[test]
fn messages_take_their_variables() {
    let vi = Tr::new(Lang::Vi);
    assert_eq!(vi.t_with("size-kb", &[("size", "12,5")]), "12,5 KB");
    assert_eq!(Tr::new(Lang::En).t("sign-out"), "Sign out");
    assert_eq!(vi.t("sign-out"), "Đăng xuất");
    let en = Tr::new(Lang::En);
    assert_eq!(en.t_number("duration-hours", "n", 1), "1 hour");
    assert_eq!(en.t_number("duration-hours", "n", 2), "2 hours");
    assert_eq!(vi.t_number("duration-hours", "n", 2), "2 giờ");
}
