//! The pages' languages: the web client's public locale files (Swedish first,
//! English, Arabic, Somali), picked by `?lang=`, else by the browser's
//! `Accept-Language`, else Swedish; and dates as people in Sweden write them.

use crate::protocol::rest::LangQuery;
use axum::http::{HeaderMap, header};
use std::collections::HashMap;
use std::sync::LazyLock;

/// The zone of `[meetings] time_zone`, for a page about to be written (checked
/// when the server starts; Stockholm's if it cannot be read).
pub(crate) fn zone(state: &crate::transport::AppState) -> chrono_tz::Tz {
    state
        .settings
        .meetings
        .time_zone
        .parse()
        .unwrap_or(chrono_tz::Europe::Stockholm)
}

pub(super) type Strings = HashMap<String, String>;

/// A locale file's strings; its other fields (whether a native speaker checked
/// it) are for the people who keep the translations.
fn load_locale(lang: &str) -> Strings {
    let file = crate::transport::web::Assets::get(&format!("locales/{lang}.json"))
        .expect("locale files are embedded");
    let all: HashMap<String, serde_json::Value> =
        serde_json::from_slice(&file.data).expect("locale files are valid JSON");
    all.into_iter()
        .filter_map(|(k, v)| Some((k, v.as_str()?.to_string())))
        .collect()
}

static TABLES: LazyLock<[Strings; 4]> = LazyLock::new(|| Lang::ALL.map(|l| load_locale(l.code())));

/// A string of the locale files, Swedish unless `en` (for the e-mail notes).
pub fn locale_text(en: bool, key: &str) -> &'static str {
    if en { Lang::En } else { Lang::Sv }.t(key)
}

/// A language of the public pages.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    Sv,
    En,
    Ar,
    So,
}

impl Lang {
    pub(super) const ALL: [Lang; 4] = [Lang::Sv, Lang::En, Lang::Ar, Lang::So];

    fn parse(tag: &str) -> Option<Lang> {
        let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
        Lang::ALL.into_iter().find(|l| l.code() == primary)
    }

    /// The language a form names (`lang=ar`), else Swedish.
    pub(super) fn named(code: Option<&str>) -> Lang {
        code.and_then(Lang::parse).unwrap_or(Lang::Sv)
    }

    /// `?lang=` when it names a language of ours, else the first of the browser's
    /// languages we speak, else Swedish.
    pub(super) fn of(q: &LangQuery, headers: &HeaderMap) -> Lang {
        if let Some(l) = q.lang.as_deref().and_then(Lang::parse) {
            return l;
        }
        let accepted = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        accept_language::parse(accepted)
            .iter()
            .find_map(|tag| Lang::parse(tag))
            .unwrap_or(Lang::Sv)
    }

    pub(super) fn t(&self, key: &str) -> &'static str {
        let tables: &'static [Strings; 4] = &TABLES;
        tables[*self as usize]
            .get(key)
            .or_else(|| tables[Lang::Sv as usize].get(key))
            .map_or("", String::as_str)
    }

    pub(super) fn code(&self) -> &'static str {
        match self {
            Lang::Sv => "sv",
            Lang::En => "en",
            Lang::Ar => "ar",
            Lang::So => "so",
        }
    }

    /// The language's name in itself, for the language switch.
    pub(super) fn name(&self) -> &'static str {
        match self {
            Lang::Sv => "Svenska",
            Lang::En => "English",
            Lang::Ar => "العربية",
            Lang::So => "Soomaali",
        }
    }

    pub(super) fn dir(&self) -> &'static str {
        if *self == Lang::Ar { "rtl" } else { "ltr" }
    }

    /// `?lang=xx` for links to the other pages, so they stay in this language.
    pub(super) fn query(&self) -> String {
        format!("?lang={}", self.code())
    }

    /// A moment in words, in the deployment's zone `tz`, with the zone named.
    pub(super) fn time(&self, ms: i64, tz: chrono_tz::Tz) -> String {
        let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
            return String::new();
        };
        let local = t.with_timezone(&tz);
        let months: [&str; 12] = match self {
            Lang::Sv => [
                "januari",
                "februari",
                "mars",
                "april",
                "maj",
                "juni",
                "juli",
                "augusti",
                "september",
                "oktober",
                "november",
                "december",
            ],
            Lang::En => [
                "January",
                "February",
                "March",
                "April",
                "May",
                "June",
                "July",
                "August",
                "September",
                "October",
                "November",
                "December",
            ],
            // As the client pages write them (the browser's Arabic).
            Lang::Ar => [
                "يناير",
                "فبراير",
                "مارس",
                "أبريل",
                "مايو",
                "يونيو",
                "يوليو",
                "أغسطس",
                "سبتمبر",
                "أكتوبر",
                "نوفمبر",
                "ديسمبر",
            ],
            Lang::So => [
                "Janaayo",
                "Febraayo",
                "Maarso",
                "Abriil",
                "Maajo",
                "Juun",
                "Luuliyo",
                "Ogost",
                "Sebtembar",
                "Oktoobar",
                "Nofembar",
                "Desembar",
            ],
        };
        let month = months[chrono::Datelike::month0(&local) as usize];
        let (day, year, clock, zone) = (
            local.format("%-d"),
            local.format("%Y"),
            local.format("%H:%M"),
            local.format("%Z"),
        );
        // The zone is named ("CET", "CEST"), as on the client pages.
        match self {
            Lang::Sv => format!("{day} {month} {year}, kl. {clock} {zone}"),
            Lang::Ar => format!("{day} {month} {year}، {clock} {zone}"),
            Lang::En | Lang::So => format!("{day} {month} {year}, {clock} {zone}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;
    use crate::protocol::rest::LangQuery;
    use axum::http::{HeaderMap, HeaderValue, header};

    #[test]
    fn times_are_swedish_time_with_the_zone_named() {
        let winter = 1_773_334_800_000; // 2026-03-12 17:00 UTC
        let summer = 1_783_875_600_000; // 2026-07-12 17:00 UTC
        let tz = chrono_tz::Europe::Stockholm;
        assert_eq!(Lang::Sv.time(winter, tz), "12 mars 2026, kl. 18:00 CET");
        assert_eq!(Lang::Sv.time(summer, tz), "12 juli 2026, kl. 19:00 CEST");
        assert_eq!(Lang::En.time(winter, tz), "12 March 2026, 18:00 CET");
        assert_eq!(Lang::So.time(winter, tz), "12 Maarso 2026, 18:00 CET");
        assert_eq!(Lang::Ar.time(winter, tz), "12 مارس 2026، 18:00 CET");
        // Another deployment's zone, named as it is there.
        let helsinki = chrono_tz::Europe::Helsinki;
        assert_eq!(
            Lang::Sv.time(winter, helsinki),
            "12 mars 2026, kl. 19:00 EET"
        );
    }

    fn pick(query: Option<&str>, accept: Option<&str>) -> Lang {
        let mut headers = HeaderMap::new();
        if let Some(a) = accept {
            headers.insert(header::ACCEPT_LANGUAGE, HeaderValue::from_str(a).unwrap());
        }
        let q = LangQuery {
            lang: query.map(str::to_string),
            code: None,
        };
        Lang::of(&q, &headers)
    }

    #[test]
    fn the_query_wins_then_the_browser_then_swedish() {
        assert_eq!(pick(Some("so"), Some("ar-SE,ar;q=0.9")), Lang::So);
        assert_eq!(pick(None, Some("ar-SE,ar;q=0.9,sv;q=0.5")), Lang::Ar);
        assert_eq!(pick(None, Some("de-DE,so;q=0.8,en;q=0.5")), Lang::So);
        assert_eq!(pick(None, Some("en;q=0.4,sv;q=0.9")), Lang::Sv);
        assert_eq!(pick(None, Some("de-DE")), Lang::Sv);
        assert_eq!(pick(None, None), Lang::Sv);
        assert_eq!(pick(Some("xx"), Some("en-GB")), Lang::En);
    }

    /// Every language has every key the Swedish file has, and no other; and every
    /// key these pages ask for is there (a missing one would show Swedish).
    #[test]
    fn every_language_has_every_swedish_key_and_every_key_the_pages_use() {
        let keys = |l: Lang| {
            let file = crate::transport::web::Assets::get(&format!("locales/{}.json", l.code()))
                .expect("embedded");
            let all: std::collections::BTreeMap<String, serde_json::Value> =
                serde_json::from_slice(&file.data).expect("valid JSON");
            all.into_keys().collect::<Vec<_>>()
        };
        let swedish = keys(Lang::Sv);
        for l in Lang::ALL {
            assert_eq!(keys(l), swedish, "locales/{}.json", l.code());
        }
        let sources = [
            include_str!("mod.rs"),
            include_str!("public_page.rs"),
            include_str!("receipt_lookup.rs"),
            include_str!("exports.rs"),
            include_str!("walk.rs"),
        ];
        let used: Vec<&str> = sources
            .iter()
            .flat_map(|s| s.split("lang.t(\"").skip(1))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert!(used.len() > 40, "found {} keys", used.len());
        for l in Lang::ALL {
            for key in &used {
                assert!(!l.t(key).is_empty(), "{key} in locales/{}.json", l.code());
            }
        }
    }
}
