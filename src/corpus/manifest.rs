use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::CorpusError;

const BUILTIN: &str = include_str!("../../corpus/sources.toml");

/// The format the bytes of a source really are (not what their URL suggests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Format {
    #[serde(rename = "md")]
    Markdown,
    #[serde(rename = "html")]
    Html,
    #[serde(rename = "xml")]
    Xml,
    #[serde(rename = "txt")]
    Text,
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "pdf")]
    Pdf,
    #[serde(rename = "tar.gz")]
    TarGz,
}

impl Format {
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Markdown => "md",
            Format::Html => "html",
            Format::Xml => "xml",
            Format::Text => "txt",
            Format::Json => "json",
            Format::Pdf => "pdf",
            Format::TarGz => "tar.gz",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One document of the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// Stable id, `<jurisdiction>-<name>` in kebab case (`de-stgb`).
    pub id: String,
    /// Where these exact bytes are served.
    pub url: String,
    /// The official page a lawyer would cite.
    #[serde(default)]
    pub canonical_url: Option<String>,
    pub title: String,
    /// `convention`, `protocol`, `national-law`, `regulation`, `ngo-statement`, `analysis`, `bulk`.
    pub kind: String,
    /// ISO 3166-1 alpha-2, or `UN`, `COE`, `AFU`, `LAS`, `EU`.
    pub jurisdiction: String,
    /// ISO 639-1 of the (main) text.
    pub language: String,
    #[serde(default)]
    pub date: Option<String>,
    pub format: Format,
    #[serde(default)]
    pub bytes: Option<u64>,
    /// Hex sha256 of the bytes; a fetch that does not match is reported.
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub license: Option<String>,
    /// `yes`, or what is missing.
    #[serde(default)]
    pub complete: Option<String>,
    /// Bulk archives are left out of a default build (`build --include-bulk` adds them).
    #[serde(default)]
    pub bulk: bool,
    /// Segmentation profile name; when absent, the profile is chosen from the format.
    #[serde(default)]
    pub profile: Option<String>,
    /// URL of one passage: a template with `{canonical_url}` and `{slug}` (`de-stgb`:
    /// `https://www.gesetze-im-internet.de/stgb/__{slug}.html`). Without it, passages link to the canonical URL.
    #[serde(default)]
    pub passage_url: Option<String>,
    /// Hosts other than the URL's own that redirects may lead to.
    #[serde(default)]
    pub allow_hosts: Vec<String>,
}

impl Source {
    /// The URL to cite: the canonical page when known, else the URL of the bytes.
    pub fn cite_url(&self) -> &str {
        self.canonical_url.as_deref().unwrap_or(&self.url)
    }

    /// Year of adoption or publication, when the date starts with one.
    pub fn year(&self) -> Option<u16> {
        let d = self.date.as_deref()?;
        d.get(..4)?.parse().ok()
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    #[serde(default)]
    source: Vec<Source>,
}

/// The list of sources, in manifest order.
#[derive(Debug, Clone)]
pub struct Manifest {
    pub path: PathBuf,
    pub sources: Vec<Source>,
}

impl Manifest {
    /// The manifest compiled into the binary (`corpus/sources.toml`).
    pub fn builtin() -> Manifest {
        Self::parse(Path::new("corpus/sources.toml"), BUILTIN)
            .expect("the built-in manifest is checked by the test suite")
    }

    /// Load a manifest file in the format of `corpus/sources.toml`.
    pub fn load(path: &Path) -> Result<Manifest, CorpusError> {
        let text = std::fs::read_to_string(path).map_err(|source| CorpusError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(path, &text)
    }

    pub fn parse(path: &Path, text: &str) -> Result<Manifest, CorpusError> {
        let file: ManifestFile = toml::from_str(text).map_err(|e| CorpusError::Parse {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        let mut seen = HashSet::new();
        for s in &file.source {
            let invalid = |message: String| CorpusError::Invalid {
                path: path.to_path_buf(),
                message,
            };
            if s.id.is_empty()
                || !s
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(invalid(format!(
                    "source id `{}` must be kebab case (a-z, 0-9, -)",
                    s.id
                )));
            }
            if !seen.insert(s.id.clone()) {
                return Err(invalid(format!("source id `{}` appears twice", s.id)));
            }
            if !(s.url.starts_with("http://") || s.url.starts_with("https://")) {
                return Err(invalid(format!(
                    "source `{}`: url `{}` is not http(s)",
                    s.id, s.url
                )));
            }
            if let Some(h) = &s.sha256 {
                if h.len() != 64 || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(invalid(format!(
                        "source `{}`: sha256 `{h}` is not 64 hex digits",
                        s.id
                    )));
                }
            }
        }
        Ok(Manifest {
            path: path.to_path_buf(),
            sources: file.source,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The sources of a build: all non-bulk ones, plus bulk archives when asked, or exactly `only`.
    pub fn select(&self, only: &[String], include_bulk: bool) -> Result<Vec<Source>, CorpusError> {
        if only.is_empty() {
            return Ok(self
                .sources
                .iter()
                .filter(|s| include_bulk || !s.bulk)
                .cloned()
                .collect());
        }
        only.iter()
            .map(|id| {
                self.get(id)
                    .cloned()
                    .ok_or_else(|| CorpusError::UnknownSource { id: id.clone() })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_manifest_parses_and_lists_the_mirror() {
        let m = Manifest::builtin();
        assert!(m.sources.len() >= 86, "{} sources", m.sources.len());
        let stgb = m.get("de-stgb").unwrap();
        assert_eq!(stgb.format, Format::Markdown);
        assert_eq!(stgb.jurisdiction, "DE");
        assert_eq!(stgb.year(), Some(1871));
        assert!(m.get("de-bundestag-gesetze-bulk").unwrap().bulk);
        for key in [
            "un-cybercrime-convention-2024",
            "uk-computer-misuse-act-1990",
            "eu-directive-2013-40",
        ] {
            assert!(m.get(key).is_some(), "{key} missing");
        }
    }

    #[test]
    fn default_selection_leaves_bulk_out() {
        let m = Manifest::builtin();
        let def = m.select(&[], false).unwrap();
        assert!(def.iter().all(|s| !s.bulk));
        let all = m.select(&[], true).unwrap();
        assert_eq!(all.len(), m.sources.len());
        let err = m.select(&["nope".into()], false).unwrap_err();
        assert!(err.to_string().contains("nope"));
    }

    #[test]
    fn rejects_duplicates_and_bad_hashes() {
        let one = r#"[[source]]
id = "xx-a"
url = "https://example.org/a"
title = "A"
kind = "national-law"
jurisdiction = "XX"
language = "en"
format = "md"
"#;
        let dup = format!("{one}\n{one}");
        let e = Manifest::parse(Path::new("m.toml"), &dup).unwrap_err();
        assert!(e.to_string().contains("appears twice"), "{e}");
        let bad = one.replace("format = \"md\"", "format = \"md\"\nsha256 = \"zz\"");
        let e = Manifest::parse(Path::new("m.toml"), &bad).unwrap_err();
        assert!(e.to_string().contains("sha256"), "{e}");
        let e = Manifest::parse(Path::new("m.toml"), "[[source]]\nid = 3").unwrap_err();
        assert!(e.to_string().contains("m.toml"), "{e}");
    }
}
