//! What a walk looks at: a configurable list of categories with Swedish and English
//! names, and the felt-safety rating every observation carries.

/// One thing walkers look at (e.g. lighting).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category {
    /// Stable code for exports and Open311 (`service_code`), e.g. `lighting`.
    pub code: String,
    pub sv: String,
    pub en: String,
}

/// The deployment's list of categories (configuration, not state).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Categories(pub Vec<Category>);

impl Default for Categories {
    /// Boverket's and Safetipin's parameters, as the walks' method describes them.
    fn default() -> Categories {
        let list = [
            ("lighting", "Belysning", "Lighting"),
            (
                "sightlines",
                "Överblick och skymda platser",
                "Sightlines and hiding places",
            ),
            ("vegetation", "Växtlighet", "Vegetation"),
            (
                "path",
                "Gångväg, underlag och skötsel",
                "Path, surface and maintenance",
            ),
            ("people", "Folk i rörelse", "People around"),
            ("transport", "Kollektivtrafik", "Public transport"),
            (
                "damage",
                "Klotter, skräp och skadegörelse",
                "Graffiti, litter and damage",
            ),
            ("other", "Övrigt", "Other"),
        ];
        Categories(
            list.iter()
                .map(|(code, sv, en)| Category {
                    code: code.to_string(),
                    sv: sv.to_string(),
                    en: en.to_string(),
                })
                .collect(),
        )
    }
}

impl Categories {
    /// A deployment's own list, checked: codes of 1 to 32 of `a-z`, `0-9` and
    /// `_`, each once, every category named in both languages. An empty list is
    /// the built-in one.
    pub fn configured(list: Vec<Category>) -> Result<Categories, String> {
        if list.is_empty() {
            return Ok(Categories::default());
        }
        let mut seen = std::collections::HashSet::new();
        for c in &list {
            let code_ok = (1..=32).contains(&c.code.len())
                && c.code
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !code_ok {
                return Err(format!(
                    "walks.categories: {:?} is no code (1 to 32 of a-z, 0-9, _)",
                    c.code
                ));
            }
            if c.sv.trim().is_empty() || c.en.trim().is_empty() {
                return Err(format!(
                    "walks.categories: {:?} needs a Swedish and an English name",
                    c.code
                ));
            }
            if !seen.insert(c.code.as_str()) {
                return Err(format!("walks.categories: {:?} is listed twice", c.code));
            }
        }
        Ok(Categories(list))
    }

    pub fn get(&self, code: &str) -> Option<&Category> {
        self.0.iter().find(|c| c.code == code)
    }
}

/// How safe the place felt: 1 = very unsafe … 5 = safe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FeltSafety(u8);

impl FeltSafety {
    pub fn new(v: u8) -> Option<FeltSafety> {
        (1..=5).contains(&v).then_some(FeltSafety(v))
    }

    pub fn get(self) -> u8 {
        self.0
    }

    /// The mean of some ratings, to one decimal; none for no ratings.
    pub fn average(ratings: impl IntoIterator<Item = FeltSafety>) -> Option<f64> {
        let (sum, n) = ratings
            .into_iter()
            .fold((0u32, 0u32), |(s, n), r| (s + u32::from(r.0), n + 1));
        (n > 0).then(|| (f64::from(sum) / f64::from(n) * 10.0).round() / 10.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn felt_safety_is_one_to_five() {
        assert!(FeltSafety::new(0).is_none() && FeltSafety::new(6).is_none());
        assert_eq!(FeltSafety::new(5).map(FeltSafety::get), Some(5));
        let r = [2, 3, 3].map(|v| FeltSafety::new(v).unwrap());
        assert_eq!(FeltSafety::average(r), Some(2.7));
        assert_eq!(FeltSafety::average([]), None);
    }

    #[test]
    fn the_default_list_has_eight_categories_in_both_languages() {
        let c = Categories::default();
        assert_eq!(c.0.len(), 8);
        assert_eq!(c.get("lighting").unwrap().sv, "Belysning");
        assert!(c.0.iter().all(|c| !c.sv.is_empty() && !c.en.is_empty()));
        assert!(c.get("nonsense").is_none());
    }

    #[test]
    fn a_configured_list_replaces_the_default_and_is_checked() {
        let cat = |code: &str, sv: &str, en: &str| Category {
            code: code.into(),
            sv: sv.into(),
            en: en.into(),
        };
        assert_eq!(Categories::configured(vec![]), Ok(Categories::default()));
        let own = Categories::configured(vec![cat("snow", "Snöröjning", "Snow clearing")]).unwrap();
        assert_eq!(own.0.len(), 1);
        assert!(own.get("lighting").is_none());
        for bad in [
            vec![cat("Snow", "Snöröjning", "Snow clearing")],
            vec![cat("", "Snöröjning", "Snow clearing")],
            vec![cat("snow", "", "Snow clearing")],
            vec![cat("snow", "a", "b"), cat("snow", "c", "d")],
        ] {
            assert!(Categories::configured(bad).is_err());
        }
    }
}
