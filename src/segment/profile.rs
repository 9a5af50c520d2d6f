//! Segmentation profiles: per-source knowledge as data (`corpus/profiles.toml`).

use std::collections::HashMap;

use regex::Regex;
use serde::Deserialize;

use super::numerals::normalize_label;
use crate::corpus::Source;
use crate::extract::BlockKind;

const BUILTIN: &str = include_str!(concat!(env!("OUT_DIR"), "/profiles.toml"));

/// What a matching block is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Starts a provision (article, section, §): a new passage.
    Provision,
    /// A Part/Chapter/Title heading: goes into the hierarchy path of the passages below it.
    Container,
    /// Only switches the language (`lang`) of what follows; the block stays text.
    Language,
}

/// Which blocks a rule looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum On {
    #[default]
    Any,
    Heading,
    Paragraph,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleSpec {
    role: Role,
    #[serde(default)]
    on: On,
    /// Heading levels the rule applies to (inclusive); any when absent.
    #[serde(default)]
    min_level: Option<u8>,
    #[serde(default)]
    max_level: Option<u8>,
    /// Anchored at the start of the block. Named groups: `num` (normalized: CJK numerals → digits),
    /// `caption` (the provision's caption), any other group usable in the templates.
    pattern: String,
    /// Citation template (`Art. {num}`); provisions only.
    #[serde(default)]
    citation: Option<String>,
    /// Slug template for the passage id; default `{num}`.
    #[serde(default)]
    slug: Option<String>,
    /// Container level (1 = outermost).
    #[serde(default)]
    level: Option<u8>,
    /// Language of this block and what follows.
    #[serde(default)]
    lang: Option<String>,
    /// The next heading is the caption (of the provision or container).
    #[serde(default)]
    caption_next: bool,
}

#[derive(Debug, Clone)]
pub struct Rule {
    pub role: Role,
    pub on: On,
    pub min_level: Option<u8>,
    pub max_level: Option<u8>,
    pub regex: Regex,
    pub citation: String,
    pub slug: String,
    pub level: u8,
    pub lang: Option<String>,
    pub caption_next: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProfileSpec {
    name: String,
    #[serde(default)]
    description: Option<String>,
    /// Citation of text before the first provision (`Preamble`); `¶ N` when absent.
    #[serde(default)]
    front: Option<String>,
    /// Whole blocks matching one of these are junk (running headers, page numbers).
    #[serde(default)]
    junk: Vec<String>,
    /// Text matching one of these is removed from every block (margin line numbers).
    #[serde(default)]
    strip: Vec<String>,
    /// Maximum size of a prose passage, in bytes.
    #[serde(default)]
    max_chars: Option<usize>,
    #[serde(default)]
    rule: Vec<RuleSpec>,
}

/// A compiled profile.
#[derive(Debug, Clone)]
pub struct Profile {
    pub name: String,
    pub description: String,
    pub front: Option<String>,
    pub junk: Vec<Regex>,
    pub strip: Vec<Regex>,
    pub max_chars: usize,
    pub rules: Vec<Rule>,
}

pub struct Hit<'r> {
    pub rule: &'r Rule,
    pub citation: String,
    pub slug: String,
    pub caption: Option<String>,
    pub matched: String,
    pub rest: String,
}

impl Profile {
    pub fn clean(&self, text: &str) -> String {
        if self.strip.is_empty() {
            return text.to_string();
        }
        let mut t = text.to_string();
        for re in &self.strip {
            t = re.replace_all(&t, "").into_owned();
        }
        crate::extract::collapse_ws(&t)
    }

    pub fn is_junk(&self, text: &str) -> bool {
        self.junk.iter().any(|re| re.is_match(text.trim()))
    }

    pub fn match_rule(&self, kind: BlockKind, level: u8, text: &str) -> Option<Hit<'_>> {
        for rule in &self.rules {
            let on_ok = match rule.on {
                On::Any => true,
                On::Heading => kind == BlockKind::Heading,
                On::Paragraph => kind != BlockKind::Heading,
            };
            if !on_ok {
                continue;
            }
            if kind == BlockKind::Heading {
                if rule.min_level.is_some_and(|m| level < m) || rule.max_level.is_some_and(|m| level > m) {
                    continue;
                }
            }
            let Some(caps) = rule.regex.captures(text) else {
                continue;
            };
            let whole = caps.get(0).expect("group 0");
            let fill = |template: &str| {
                let mut out = template.to_string();
                for name in rule.regex.capture_names().flatten() {
                    let v = caps.name(name).map(|m| m.as_str()).unwrap_or("");
                    let v = if name == "num" { normalize_label(v) } else { v.trim().to_string() };
                    out = out.replace(&format!("{{{name}}}"), &v);
                }
                out
            };
            let caption = caps
                .name("caption")
                .map(|m| m.as_str().trim().to_string())
                .filter(|s| !s.is_empty());
            let rest_start = caps.name("caption").map(|m| m.end()).unwrap_or(whole.end()).max(whole.end());
            return Some(Hit {
                rule,
                citation: fill(&rule.citation),
                slug: fill(&rule.slug),
                caption,
                matched: whole.as_str().to_string(),
                rest: text[rest_start..].to_string(),
            });
        }
        None
    }

    pub fn url_for(&self, source: &Source, slug: &str) -> String {
        match &source.passage_url {
            Some(t) => t
                .replace("{canonical_url}", source.cite_url())
                .replace("{slug}", slug),
            None => source.cite_url().to_string(),
        }
    }
}

/// All profiles, by name.
#[derive(Debug, Clone)]
pub struct Profiles {
    by_name: HashMap<String, Profile>,
}

#[derive(Debug, thiserror::Error)]
#[error("segmentation profiles: {0}")]
pub struct ProfileError(String);

#[derive(Deserialize)]
struct File {
    profile: Vec<ProfileSpec>,
}

impl Profiles {
    pub fn builtin() -> Profiles {
        Self::parse(BUILTIN).expect("corpus/profiles.toml is checked by the test suite")
    }

    pub fn parse(text: &str) -> Result<Profiles, ProfileError> {
        let file: File = toml::from_str(text).map_err(|e| ProfileError(e.to_string()))?;
        let mut by_name = HashMap::new();
        for spec in file.profile {
            let compile = |p: &str| {
                Regex::new(p).map_err(|e| ProfileError(format!("profile `{}`: {e}", spec.name)))
            };
            let mut rules = Vec::new();
            for r in &spec.rule {
                let anchored = if r.pattern.starts_with('^') {
                    r.pattern.clone()
                } else {
                    format!("^(?:{})", r.pattern)
                };
                if r.role == Role::Provision && r.citation.is_none() {
                    return Err(ProfileError(format!(
                        "profile `{}`: provision rule `{}` has no citation template",
                        spec.name, r.pattern
                    )));
                }
                rules.push(Rule {
                    role: r.role,
                    on: r.on,
                    min_level: r.min_level,
                    max_level: r.max_level,
                    regex: compile(&anchored)?,
                    citation: r.citation.clone().unwrap_or_default(),
                    slug: r.slug.clone().unwrap_or_else(|| "{num}".into()),
                    level: r.level.unwrap_or(1),
                    lang: r.lang.clone(),
                    caption_next: r.caption_next,
                });
            }
            let profile = Profile {
                name: spec.name.clone(),
                description: spec.description.clone().unwrap_or_default(),
                front: spec.front.clone(),
                junk: spec.junk.iter().map(|p| compile(p)).collect::<Result<_, _>>()?,
                strip: spec.strip.iter().map(|p| compile(p)).collect::<Result<_, _>>()?,
                max_chars: spec.max_chars.unwrap_or(1500),
                rules,
            };
            by_name.insert(spec.name, profile);
        }
        for required in ["generic", "prose"] {
            if !by_name.contains_key(required) {
                return Err(ProfileError(format!("the `{required}` profile is missing")));
            }
        }
        Ok(Profiles { by_name })
    }

    pub fn get(&self, name: &str) -> Option<&Profile> {
        self.by_name.get(name)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.by_name.keys().map(String::as_str)
    }

    /// The source's own profile, else `prose` for statements and analyses, else `generic`.
    pub fn for_source(&self, source: &Source) -> &Profile {
        if let Some(p) = source.profile.as_deref().and_then(|n| self.get(n)) {
            return p;
        }
        let fallback = match source.kind.as_str() {
            "analysis" | "ngo-statement" => "prose",
            _ => "generic",
        };
        &self.by_name[fallback]
    }
}
