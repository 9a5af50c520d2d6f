//! Segmentation profiles: per-source knowledge as data (`corpus/profiles.toml`).

use std::collections::HashMap;

use regex::Regex;
use serde::Deserialize;

use super::numerals::normalize_label;
use crate::corpus::Source;
use crate::extract::BlockKind;

const BUILTIN: &str = include_str!(concat!(env!("OUT_DIR"), "/profiles.toml"));

/// The TOML of the built-in profiles (for fingerprints of what turns bytes into passages).
pub fn profile_source() -> &'static str {
    BUILTIN
}

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
    /// `caption` (the provision's caption), `rest` (where the text goes on, when the match takes
    /// its first words), any other group usable in the templates.
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
    /// With `caption_next`: the next block of any kind (a bold line, a paragraph) is the caption.
    #[serde(default)]
    caption_any: bool,
    /// The heading right before the provision is its caption (`# Unlawful access` then `2. (1) …`).
    #[serde(default)]
    caption_prev: bool,
    /// With `caption_prev`: a caption-like paragraph right before counts too (short, capitalised,
    /// no closing punctuation: a caption the converter did not mark as a heading).
    #[serde(default)]
    caption_prev_any: bool,
    /// Provisions: the first paragraph after the start that matches this continues the caption
    /// (a long title wrapped onto the first body line).
    #[serde(default)]
    caption_cont: Option<String>,
    /// Provisions: the whole block stays the passage's text (not only what follows the match).
    #[serde(default)]
    keep_text: bool,
    /// Provisions: the hierarchy path is cleared first (an act's own articles after quoted chapters).
    #[serde(default)]
    clear_path: bool,
    /// Provisions: later provisions are inside this one: their citation and slug get this one's as
    /// prefix (`Suppl. Prov. 3, Art. 1`, `sp3/1`) until the next container or scope.
    #[serde(default)]
    scope: bool,
    /// Provisions inside a scope: what joins the scope's citation and this one's (default `, `;
    /// `""` gives `18 U.S.C. § 1030(a)`).
    #[serde(default)]
    scope_join: Option<String>,
    /// Provisions: accepted only as the next label in sequence (`a` first, then `b`, …; `1`, `2`,
    /// …), so a clause `(i)` inside subsection `(c)` is not taken for subsection `(i)`.
    #[serde(default)]
    sequence: bool,
    /// Containers: the container level is the heading level.
    #[serde(default)]
    level_from_heading: bool,
    /// Containers: do not end the current passage; the path of the passage is updated.
    #[serde(default)]
    attach: bool,
    /// The heading is repeated at chunk boundaries: a container equal to the path entry at its level,
    /// or a provision with the citation of the passage being built, is a repeat (junk), not a new start.
    #[serde(default)]
    repeats: bool,
    /// The rule applies only once the first provision of the language has started (not in a
    /// table of contents before it).
    #[serde(default)]
    after_first: bool,
    /// The rule applies only to blocks of at least this many characters.
    #[serde(default)]
    min_chars: Option<usize>,
    /// The rule applies only inside a container whose heading (the innermost entry of the path)
    /// matches this: unnumbered final provisions numbered `1-`, `2-` under their chapter.
    #[serde(default)]
    within: Option<String>,
    /// The rule does not apply to the block a container or provision is waiting for as its
    /// caption (`caption_next`): a heading of its own (`#### Slotbepaling` between two articles)
    /// is matched, the caption under `### Titel IX` is not.
    #[serde(default)]
    not_caption: bool,
}

/// Words that tell a language apart from the others of a document (`detect` in a profile).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangSpec {
    pub lang: String,
    pub words: Vec<String>,
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
    pub caption_any: bool,
    pub caption_prev: bool,
    pub caption_prev_any: bool,
    pub caption_cont: Option<Regex>,
    pub keep_text: bool,
    pub clear_path: bool,
    pub scope: bool,
    pub scope_join: String,
    pub sequence: bool,
    pub level_from_heading: bool,
    pub attach: bool,
    pub repeats: bool,
    pub after_first: bool,
    pub min_chars: usize,
    pub within: Option<Regex>,
    pub not_caption: bool,
    /// Position of the rule in its profile (for the `{n}` occurrence counter).
    pub index: usize,
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
    /// Text to rewrite in every block, before `strip`: `[pattern, replacement]` (`$1` for a group),
    /// e.g. a converter's LaTeX for a letter (`\\mathbf{\\chi}{\\mathrm{n}}` → `’n`).
    #[serde(default)]
    replace: Vec<(String, String)>,
    /// Citations rewritten `[pattern, replacement]`, first match only: an amending Act's
    /// provisions cited with the Act they live in (`s. 478.1` → `Criminal Code, s. 478.1`).
    #[serde(default)]
    cite_as: Vec<(String, String)>,
    /// The scraper wrote every run of words twice (`the country. the country.`): keep one.
    #[serde(default)]
    doubled_runs: bool,
    /// Maximum size of a prose passage, in bytes.
    #[serde(default)]
    max_chars: Option<usize>,
    /// Section numbers misread by OCR are repaired from their neighbours (`45`, `16`, `17`, `18`,
    /// `49` → 46–48; `49A`, `54`, `51` → 50), and a numbered line out of any order between two
    /// neighbours in sequence (a list item `6.` of the rules section) is text of the passage
    /// before: see [`super::renumber::repair`].
    #[serde(default)]
    repair_numbers: bool,
    /// With `repair_numbers`: a line of a passage that is the caption of a section whose number
    /// the OCR lost (`caption` group, and `rest` where its text goes on), for a gap in the numbers.
    #[serde(default)]
    unnumbered: Option<String>,
    /// Remove the margin line numbers (5, 10, … 65) a PDF converter left inside sentences, except
    /// where the number is part of the text (`No. 40 of`, `section 10`, `5 years`).
    #[serde(default)]
    margin_numbers: bool,
    /// Blocks before the first block matching this are not the document's text (site navigation).
    #[serde(default)]
    skip_until: Option<String>,
    /// Like `skip_until`, and the matching block is skipped too.
    #[serde(default)]
    skip_through: Option<String>,
    /// This block and all after it are not the document's text (a wrapper's own summary).
    #[serde(default)]
    stop_at: Option<String>,
    /// A block matching this opens a table of contents: it and the blocks after it are not the
    /// text, until the first block that starts a provision (the contents' last heading is that
    /// provision's caption).
    #[serde(default)]
    contents: Option<String>,
    /// The table of contents ends at the block matching this (which is text again), not at the
    /// first provision: a bill's arrangement of clauses, then `A BILL intituled …`.
    #[serde(default)]
    contents_end: Option<String>,
    /// A line of the table of contents matching this (groups `num` and `caption`) gives its
    /// caption to the provision of that number when the provision has none of its own (sections
    /// whose marginal notes the converter lost).
    #[serde(default)]
    contents_captions: Option<String>,
    /// A marker's caption (a scraped `title`) is cut at the first match of this: a title that runs
    /// on into the provision's text (`Separability Clause — If any provision …`).
    #[serde(default)]
    caption_cut: Option<String>,
    /// A caption of more words than this is the provision's first sentence, not a caption: none.
    #[serde(default)]
    caption_max_words: Option<usize>,
    /// Languages told apart by their words, for documents whose languages alternate by page.
    #[serde(default)]
    detect: Vec<LangSpec>,
    /// Least number of a language's words for a block to be recognised as that language.
    #[serde(default)]
    detect_min: Option<usize>,
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
    pub replace: Vec<(Regex, String)>,
    pub cite_as: Vec<(Regex, String)>,
    pub max_chars: usize,
    pub margin_numbers: bool,
    pub doubled_runs: bool,
    pub repair_numbers: bool,
    pub unnumbered: Option<Regex>,
    pub rules: Vec<Rule>,
    pub skip_until: Option<Regex>,
    pub skip_through: bool,
    pub stop_at: Option<Regex>,
    pub contents: Option<Regex>,
    pub contents_end: Option<Regex>,
    pub contents_captions: Option<Regex>,
    pub caption_cut: Option<Regex>,
    pub caption_max_words: Option<usize>,
    pub detect: Vec<LangSpec>,
    pub detect_min: usize,
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
        if self.strip.is_empty()
            && self.replace.is_empty()
            && !self.margin_numbers
            && !self.doubled_runs
        {
            return text.to_string();
        }
        let mut t = text.to_string();
        for (re, with) in &self.replace {
            t = re.replace_all(&t, with.as_str()).into_owned();
        }
        for re in &self.strip {
            t = re.replace_all(&t, "").into_owned();
        }
        if self.margin_numbers {
            t = strip_margin_numbers(&t);
        }
        if self.doubled_runs {
            t = drop_doubled_runs(&t);
        }
        crate::extract::collapse_ws(&t)
    }

    /// A provision's caption as the profile reads it: cleaned, cut at `caption_cut`, and none
    /// when it is longer than `caption_max_words` (the first sentence of the text, not a title).
    pub fn caption(&self, raw: &str) -> String {
        let mut c = self.clean(raw);
        if let Some(m) = self.caption_cut.as_ref().and_then(|re| re.find(&c)) {
            c.truncate(m.start());
        }
        let c = c.trim().to_string();
        match self.caption_max_words {
            Some(max) if c.split_whitespace().count() > max => String::new(),
            _ => c,
        }
    }

    /// The language of `text` when the profile tells languages apart and the text is clear enough.
    pub fn detect_lang(&self, text: &str) -> Option<&str> {
        if self.detect.len() < 2 {
            return None;
        }
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !(c.is_alphanumeric() || c == '\u{2019}' || c == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        let mut scores: Vec<(usize, &str)> = self
            .detect
            .iter()
            .map(|l| {
                let n = words
                    .iter()
                    .filter(|w| l.words.iter().any(|x| x == *w))
                    .count();
                (n, l.lang.as_str())
            })
            .collect();
        scores.sort_by_key(|b| std::cmp::Reverse(b.0));
        let (best, lang) = scores[0];
        let second = scores[1].0;
        (best >= self.detect_min && best >= 2 * second.max(1)).then_some(lang)
    }

    /// The citation as the profile's `cite_as` writes it (unchanged when no pattern matches).
    pub fn cite(&self, citation: &str) -> String {
        for (re, with) in &self.cite_as {
            if re.is_match(citation) {
                return re.replace(citation, with.as_str()).into_owned();
            }
        }
        citation.to_string()
    }

    pub fn is_junk(&self, text: &str) -> bool {
        self.junk.iter().any(|re| re.is_match(text.trim()))
    }

    pub fn match_rule(&self, kind: BlockKind, level: u8, text: &str) -> Option<Hit<'_>> {
        self.match_rule_n(kind, level, text, true, |_| 1)
    }

    /// Like [`Profile::match_rule`]; `occurrence(rule index)` gives the value of `{n}` in templates
    /// (how many times the rule has matched in the document, this time included).
    pub fn match_rule_n(
        &self,
        kind: BlockKind,
        level: u8,
        text: &str,
        after_first: bool,
        occurrence: impl FnMut(usize) -> u32,
    ) -> Option<Hit<'_>> {
        self.match_rule_within(kind, level, text, after_first, "", occurrence)
    }

    /// Like [`Profile::match_rule_n`], inside the container `container` (the innermost entry of
    /// the hierarchy path, `""` for none): rules with `within` apply only where it matches.
    pub fn match_rule_within(
        &self,
        kind: BlockKind,
        level: u8,
        text: &str,
        after_first: bool,
        container: &str,
        mut occurrence: impl FnMut(usize) -> u32,
    ) -> Option<Hit<'_>> {
        for rule in &self.rules {
            if rule
                .within
                .as_ref()
                .is_some_and(|re| container.is_empty() || !re.is_match(container))
            {
                continue;
            }
            let on_ok = match rule.on {
                On::Any => true,
                On::Heading => kind == BlockKind::Heading,
                On::Paragraph => kind != BlockKind::Heading,
            };
            if !on_ok || (rule.after_first && !after_first) || text.chars().count() < rule.min_chars
            {
                continue;
            }
            if kind == BlockKind::Heading
                && (rule.min_level.is_some_and(|m| level < m)
                    || rule.max_level.is_some_and(|m| level > m))
            {
                continue;
            }
            let Some(caps) = rule.regex.captures(text) else {
                continue;
            };
            let whole = caps.get(0).expect("group 0");
            let n = occurrence(rule.index);
            let fill = |template: &str| {
                let mut out = template.replace("{n}", &n.to_string());
                for name in rule.regex.capture_names().flatten() {
                    let v = caps.name(name).map(|m| m.as_str()).unwrap_or("");
                    let v = if name.starts_with("num") {
                        normalize_label(v)
                    } else {
                        v.trim().to_string()
                    };
                    out = out.replace(&format!("{{{name}}}"), &v);
                }
                out
            };
            let caption = caps
                .name("caption")
                .map(|m| m.as_str().trim().to_string())
                .filter(|s| !s.is_empty());
            // A `rest` group marks where the text goes on (a caption ended by the first words of
            // the section: `18. Prosecution No prosecution shall …`).
            let rest_start = caps.name("rest").map(|m| m.start()).unwrap_or_else(|| {
                caps.name("caption")
                    .map(|m| m.end())
                    .unwrap_or(whole.end())
                    .max(whole.end())
            });
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
        // Only numbered provisions have an anchor of their own (`§ 202a`, not `Preamble` or `sp3/1`).
        let numbered = slug.starts_with(|c: char| c.is_ascii_digit()) && !slug.contains('/');
        match &source.passage_url {
            Some(t) if numbered => t
                .replace("{canonical_url}", source.cite_url())
                .replace("{slug}", slug),
            _ => source.cite_url().to_string(),
        }
    }
}

/// Words after which a number belongs to the text (`No. 40`, `section 10`, `exceeding 5`).
const NUMBER_AFTER: &[&str] = &[
    "no",
    "nr",
    "section",
    "sections",
    "subsection",
    "subsections",
    "chapter",
    "chapters",
    "part",
    "parts",
    "item",
    "items",
    "paragraph",
    "paragraphs",
    "regulation",
    "regulations",
    "article",
    "articles",
    "schedule",
    "rule",
    "rules",
    "form",
    "clause",
    "clauses",
    "exceeding",
    "than",
    "least",
    "within",
    "act",
    "artikel",
    "artikels",
    "hoofstuk",
    "deel",
    "paragraaf",
    "item",
    "oorskry",
    "as",
    "minstens",
    "binne",
    "wet",
    "bylae",
    "regulasie",
    "subartikel",
    "no.",
];
/// Words before which a number belongs to the text (`5 years`, `10 per cent`).
const NUMBER_BEFORE: &[&str] = &[
    "years", "year", "months", "month", "days", "day", "hours", "hour", "minutes", "per",
    "percent", "rand", "million", "jaar", "maande", "dae", "ure", "persent",
];

/// Drop bare 5, 10, … 65 standing between words, unless a neighbour says they are text.
fn strip_margin_numbers(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let norm = |w: &str| {
        w.trim_matches(|c: char| !c.is_alphanumeric() && c != '.')
            .trim_end_matches('.')
            .to_lowercase()
    };
    let mut out: Vec<&str> = Vec::with_capacity(words.len());
    for (i, w) in words.iter().enumerate() {
        let candidate = w
            .parse::<u32>()
            .is_ok_and(|n| n % 5 == 0 && (5..=65).contains(&n))
            && i > 0
            && i + 1 < words.len();
        // `section 45 17CA(1)`, `Act, 45 1977`: a number or a year right after it is the real
        // reference, so this one is the margin's.
        let next = words.get(i + 1).copied().unwrap_or("");
        let reference_follows = next.starts_with(|c: char| c.is_ascii_digit() || c == '(');
        let margin = candidate
            && (reference_follows
                || (!NUMBER_AFTER.contains(&norm(words[i - 1]).as_str())
                    && !NUMBER_BEFORE.contains(&norm(next).as_str())
                    && !next.starts_with('%')));
        if !margin {
            out.push(w);
        }
    }
    out.join(" ")
}

/// A run of at least 4 words written twice in a row keeps its first copy (`A B C D A B C D` →
/// `A B C D`); the shortest run that repeats is taken. Linear: at most 150 run lengths per word.
fn drop_doubled_runs(text: &str) -> String {
    let words: Vec<&str> = text.split_whitespace().collect();
    let n = words.len();
    let mut out: Vec<&str> = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let max_k = ((n - i) / 2).min(150);
        let k = (4..=max_k)
            .find(|&k| words[i] == words[i + k] && words[i..i + k] == words[i + k..i + 2 * k]);
        match k {
            Some(k) => {
                out.extend_from_slice(&words[i..i + k]);
                i += 2 * k;
            }
            None => {
                out.push(words[i]);
                i += 1;
            }
        }
    }
    out.join(" ")
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
                    caption_any: r.caption_any,
                    caption_prev: r.caption_prev,
                    caption_prev_any: r.caption_prev_any,
                    caption_cont: r.caption_cont.as_deref().map(compile).transpose()?,
                    keep_text: r.keep_text,
                    clear_path: r.clear_path,
                    scope: r.scope,
                    scope_join: r.scope_join.clone().unwrap_or_else(|| ", ".into()),
                    sequence: r.sequence,
                    level_from_heading: r.level_from_heading,
                    attach: r.attach,
                    repeats: r.repeats,
                    after_first: r.after_first,
                    min_chars: r.min_chars.unwrap_or(0),
                    within: r.within.as_deref().map(compile).transpose()?,
                    not_caption: r.not_caption,
                    index: rules.len(),
                });
            }
            let profile = Profile {
                name: spec.name.clone(),
                description: spec.description.clone().unwrap_or_default(),
                front: spec.front.clone(),
                junk: spec
                    .junk
                    .iter()
                    .map(|p| compile(p))
                    .collect::<Result<_, _>>()?,
                strip: spec
                    .strip
                    .iter()
                    .map(|p| compile(p))
                    .collect::<Result<_, _>>()?,
                replace: spec
                    .replace
                    .iter()
                    .map(|(p, w)| compile(p).map(|re| (re, w.clone())))
                    .collect::<Result<_, _>>()?,
                cite_as: spec
                    .cite_as
                    .iter()
                    .map(|(p, w)| compile(p).map(|re| (re, w.clone())))
                    .collect::<Result<_, _>>()?,
                max_chars: spec.max_chars.unwrap_or(1500),
                margin_numbers: spec.margin_numbers,
                doubled_runs: spec.doubled_runs,
                repair_numbers: spec.repair_numbers,
                unnumbered: spec.unnumbered.as_deref().map(compile).transpose()?,
                rules,
                skip_until: spec
                    .skip_through
                    .as_deref()
                    .or(spec.skip_until.as_deref())
                    .map(compile)
                    .transpose()?,
                skip_through: spec.skip_through.is_some(),
                stop_at: spec.stop_at.as_deref().map(compile).transpose()?,
                contents: spec.contents.as_deref().map(compile).transpose()?,
                contents_end: spec.contents_end.as_deref().map(compile).transpose()?,
                contents_captions: spec.contents_captions.as_deref().map(compile).transpose()?,
                caption_cut: spec.caption_cut.as_deref().map(compile).transpose()?,
                caption_max_words: spec.caption_max_words,
                detect: spec.detect.clone(),
                detect_min: spec.detect_min.unwrap_or(2),
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

#[cfg(test)]
mod margin_tests {
    use super::strip_margin_numbers;

    #[test]
    fn doubled_runs_keep_one_copy() {
        use super::drop_doubled_runs;
        assert_eq!(
            drop_doubled_runs("(1) Beans are counted daily. Beans are counted daily. (2) Gadgets tick; gadgets tick;"),
            "(1) Beans are counted daily. (2) Gadgets tick; gadgets tick;"
        );
        assert_eq!(
            drop_doubled_runs(
                "read with the Gadget Act, 1999 (Act 1); Gadget Act, 1999 (Act 1); and more"
            ),
            "read with the Gadget Act, 1999 (Act 1); and more"
        );
        assert_eq!(drop_doubled_runs("a b a b c"), "a b a b c");
    }

    #[test]
    fn margin_numbers_inside_sentences_go_and_real_numbers_stay() {
        assert_eq!(
            strip_margin_numbers("puts a person in a position to 50 commit an offence"),
            "puts a person in a position to commit an offence"
        );
        assert_eq!(
            strip_margin_numbers("under Act No. 40 of 2002 and section 10 of it, for 5 years"),
            "under Act No. 40 of 2002 and section 10 of it, for 5 years"
        );
        assert_eq!(
            strip_margin_numbers("a fine of 15 per cent"),
            "a fine of 15 per cent"
        );
        assert_eq!(
            strip_margin_numbers("5 at the start stays"),
            "5 at the start stays"
        );
        assert_eq!(
            strip_margin_numbers("in section 45 17CA(1) of the Act, 15 1989 text"),
            "in section 17CA(1) of the Act, 1989 text"
        );
    }
}
