use serde::Deserialize;

use super::CorpusError;

/// `corpus/jurisdictions.toml` as JSON (`build.rs`): read at every start of the CLI.
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/jurisdictions.json"));

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
struct File {
    jurisdiction: Vec<Jurisdiction>,
}

/// The code → name table; resolves what users type to a code.
#[derive(Debug, Clone)]
pub struct Jurisdictions {
    pub all: Vec<Jurisdiction>,
}

impl Jurisdictions {
    pub fn builtin() -> Jurisdictions {
        let f: File = serde_json::from_str(BUILTIN_JSON)
            .expect("corpus/jurisdictions.toml is checked by tests");
        Jurisdictions {
            all: f.jurisdiction,
        }
    }

    pub fn name(&self, code: &str) -> Option<&str> {
        self.all
            .iter()
            .find(|j| j.code == code)
            .map(|j| j.name.as_str())
    }

    /// Every input resolved (what `--jurisdiction` flags carry); the first unknown one is an error.
    pub fn resolve_all(&self, inputs: &[String]) -> Result<Vec<String>, CorpusError> {
        inputs.iter().map(|j| self.resolve(j)).collect()
    }

    /// `DE`, `de`, `Germany`, `deutschland` → `DE`.
    pub fn resolve(&self, input: &str) -> Result<String, CorpusError> {
        let wanted = input.trim();
        let hit = self.all.iter().find(|j| {
            j.code.eq_ignore_ascii_case(wanted)
                || j.name.eq_ignore_ascii_case(wanted)
                || j.aliases.iter().any(|a| a.eq_ignore_ascii_case(wanted))
        });
        match hit {
            Some(j) => Ok(j.code.clone()),
            None => Err(CorpusError::UnknownJurisdiction {
                input: input.to_string(),
                known: self
                    .all
                    .iter()
                    .map(|j| format!("{} ({})", j.code, j.name))
                    .collect::<Vec<_>>()
                    .join(", "),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Manifest;

    /// The binary reads the JSON copy `build.rs` makes; it must be the TOML's table.
    #[test]
    fn the_builtin_json_copy_is_the_toml_table() {
        let f: File = toml::from_str(include_str!("../../corpus/jurisdictions.toml")).unwrap();
        assert!(f.jurisdiction.len() > 20);
        assert_eq!(
            format!("{:?}", f.jurisdiction),
            format!("{:?}", Jurisdictions::builtin().all)
        );
    }

    #[test]
    fn resolves_codes_names_and_aliases() {
        let j = Jurisdictions::builtin();
        assert_eq!(j.resolve("DE").unwrap(), "DE");
        assert_eq!(j.resolve("de").unwrap(), "DE");
        assert_eq!(j.resolve("Germany").unwrap(), "DE");
        assert_eq!(j.resolve("UK").unwrap(), "GB");
        assert_eq!(j.name("COE"), Some("Council of Europe"));
        let e = j.resolve("Atlantis").unwrap_err().to_string();
        assert!(e.contains("Atlantis") && e.contains("DE (Germany)"), "{e}");
    }

    #[test]
    fn every_manifest_jurisdiction_is_known() {
        let j = Jurisdictions::builtin();
        for s in Manifest::builtin().sources {
            assert!(
                j.name(&s.jurisdiction).is_some(),
                "{} has unknown {}",
                s.id,
                s.jurisdiction
            );
        }
    }
}
