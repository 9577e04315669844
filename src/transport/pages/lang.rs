//! The pages' two languages: the web client's locale files, Swedish first, and
//! dates as people in Sweden write them.

use crate::protocol::rest::LangQuery;
use std::collections::HashMap;
use std::sync::LazyLock;

pub(super) const TZ: chrono_tz::Tz = chrono_tz::Europe::Stockholm;

pub(super) type Strings = HashMap<String, String>;

fn load_locale(lang: &str) -> Strings {
    let file = crate::transport::web::Assets::get(&format!("locales/{lang}.json"))
        .expect("locale files are embedded");
    serde_json::from_slice(&file.data).expect("locale files are valid JSON")
}

pub(super) static SV: LazyLock<Strings> = LazyLock::new(|| load_locale("sv"));

pub(super) static EN: LazyLock<Strings> = LazyLock::new(|| load_locale("en"));

/// A string of the locale files, Swedish unless `en` (for the e-mail notes).
pub fn locale_text(en: bool, key: &str) -> &'static str {
    Lang { en }.t(key)
}

/// Swedish unless English is asked for.
#[derive(Clone, Copy)]
pub(super) struct Lang {
    pub(super) en: bool,
}

impl Lang {
    pub(super) fn of(q: &LangQuery) -> Lang {
        Lang {
            en: q.lang.as_deref() == Some("en"),
        }
    }

    pub(super) fn t(&self, key: &str) -> &'static str {
        let table: &'static Strings = if self.en { &EN } else { &SV };
        table
            .get(key)
            .or_else(|| SV.get(key))
            .map_or("", String::as_str)
    }

    pub(super) fn code(&self) -> &'static str {
        if self.en { "en" } else { "sv" }
    }

    /// The other language's link and name, for the language switch.
    pub(super) fn other(&self) -> (&'static str, &'static str, &'static str) {
        if self.en {
            ("?lang=sv", "sv", "Svenska")
        } else {
            ("?lang=en", "en", "English")
        }
    }

    pub(super) fn time(&self, ms: i64) -> String {
        let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
            return String::new();
        };
        let local = t.with_timezone(&TZ);
        if self.en {
            local.format("%-d %B %Y, %H:%M %Z").to_string()
        } else {
            let month = [
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
            ][chrono::Datelike::month0(&local) as usize];
            // The zone is named ("CET", "CEST"), as on the client pages.
            format!(
                "{} {month} {}, kl. {} {}",
                local.format("%-d"),
                local.format("%Y"),
                local.format("%H:%M"),
                local.format("%Z")
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Lang;

    #[test]
    fn times_are_swedish_time_with_the_zone_named() {
        let winter = 1_773_334_800_000; // 2026-03-12 17:00 UTC
        let summer = 1_783_875_600_000; // 2026-07-12 17:00 UTC
        let sv = Lang { en: false };
        let en = Lang { en: true };
        assert_eq!(sv.time(winter), "12 mars 2026, kl. 18:00 CET");
        assert_eq!(sv.time(summer), "12 juli 2026, kl. 19:00 CEST");
        assert_eq!(en.time(winter), "12 March 2026, 18:00 CET");
    }
}
