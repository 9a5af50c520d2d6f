//! The crosswalk taxonomy (`corpus/taxonomy.toml`): the offences and procedural powers of the
//! conventions, the articles that define each in every convention, and labels, key terms, acts
//! and lay aliases in the corpus languages.
//!
//! Tagging tests what a provision does ([`Taxonomy::assess`]): the concept's *wording* (a label
//! in the heading, a key term or a label in the text, an act in the heading) makes a passage a
//! candidate, and the concept group's *elements* weigh it — an offence needs the act and a
//! "without right" or penalty element, a procedural power an authority and the measure, attempt
//! and corporate liability prefer the general part of a code. Every rule that fired is named, with
//! its points, so each tag, compare row and matrix cell can be explained and reproduced.
//! Queries that name a concept — by a label or a lay alias (`botnet`, `phishing`) — in any
//! language are expanded with it.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;

const BUILTIN: &str = include_str!("../../corpus/taxonomy.toml");
/// The same table as JSON (`build.rs`), which the binary parses.
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/taxonomy.json"));

/// The TOML of the built-in taxonomy (for fingerprints of what tags passages).
pub fn source() -> &'static str {
    BUILTIN
}

/// Points of the wording rules and weights of the element rules (the named rules of tagging).
pub mod points {
    /// The heading contains a label of the concept.
    pub const HEADING_LABEL: f32 = 5.0;
    /// … and the heading *is* the label (nothing else in it).
    pub const HEADING_IS_LABEL: f32 = 1.0;
    /// The text contains a key term (statutory wording only the defining provision uses).
    pub const TEXT_TERM: f32 = 4.0;
    /// A passage without a heading sits under a parent provision whose heading has a label.
    pub const PARENT_HEADING_LABEL: f32 = 3.0;
    /// The text contains a label (a provision names what it creates, or mentions it).
    pub const TEXT_LABEL: f32 = 2.0;
    /// … in a passage of a source without headings (the Dutch codes): the best evidence there is.
    pub const TEXT_LABEL_NO_HEADING: f32 = 3.0;
    /// The heading (or, without one, the parent provision's heading) names the act of an offence.
    pub const HEADING_ACT: f32 = 2.0;
    /// … or the measure of a procedural power (weaker: "provide", "disclose" name many duties).
    pub const HEADING_MEASURE: f32 = 1.5;
    /// A container above the passage (its Part or Chapter) has a label of the concept.
    pub const PATH_LABEL: f32 = 2.0;
    /// Each word of a heading label beyond the first (a specific label is stronger evidence),
    /// up to [`SPECIFIC_WORDS`] words.
    pub const LABEL_WORD: f32 = 0.25;
    pub const SPECIFIC_WORDS: usize = 4;
    /// Each element present (act, without right, penalty; authority, measure; foreign request
    /// for cooperation; real-time collection).
    pub const ELEMENT: f32 = 1.0;
    /// Attempt/aiding or corporate liability in a code's general part.
    pub const GENERAL_PART: f32 = 2.0;
    /// Attempt/aiding or corporate liability whose text is for offences in general or every
    /// offence of the Act (`any offence`, `einer Straftat`, `この法律の罪`), not one offence's
    /// clause. Ranks only a provision that reaches [`THRESHOLD`] without it.
    pub const GENERAL_SCOPE: f32 = 1.0;
    /// Attempt/aiding or corporate liability in a code that defines them in its general part,
    /// but outside it (`Versuch der Anstiftung …` in the special part): one offence's clause.
    pub const SPECIAL_PART: f32 = 0.7;
    /// Least number of provisions in a top-level container of the general part for it to be a
    /// code's general part (a Book or Part of a code), not a law's chapter of general provisions.
    pub const CODE_GENERAL_PART_MIN: usize = 30;
    /// An offence concept without any "without right" or penalty element, or a procedural power
    /// without an authority: the passage mentions the concept but does not create it.
    pub const MISSING_ELEMENTS: f32 = 0.5;
    /// A procedural power exercised on a foreign request is cooperation, not the domestic power.
    pub const FOREIGN_REQUEST: f32 = 0.6;
    /// Only text labels, in a text naming the labels of at least [`LIST_CONCEPTS`] concepts: a
    /// list of offences (a warrant's catalogue), not the provision creating one.
    pub const LIST: f32 = 0.5;
    pub const LIST_CONCEPTS: usize = 3;
    /// Where a request from another State must be named to make a passage about one.
    pub const FOREIGN_WITHIN_CHARS: usize = 300;
    /// The heading has every word of a label of two or more words, in order, within a few words
    /// (`interference with … computer system`): nearly as good as the label itself.
    pub const HEADING_LABEL_WORDS: f32 = 4.0;
    /// Words a heading may put between the words of a label for [`HEADING_LABEL_WORDS`].
    pub const LABEL_GAP_WORDS: usize = 6;
    /// A national law's text cites the convention article that defines the concept
    /// (`articolo 35 della Convenzione`): the provision implements that article.
    pub const CITES_ARTICLE: f32 = 3.0;
    /// Characters before a convention's name where the article numbers citing it are read.
    pub const CITES_WITHIN_CHARS: usize = 80;
    /// Only a text label of an offence under a heading naming a procedural power (or the reverse):
    /// the power's catalogue of offences, not the offence.
    pub const OTHER_GROUP_HEADING: f32 = 0.5;
    /// An offence whose heading names an aggravated or special form (`schwerer`, `aggravated`,
    /// `critical information infrastructure`): a lawyer compares the general offence first.
    pub const AGGRAVATED: f32 = 0.9;
    /// The heading names the concept only as the occasion of something else (`… bei
    /// Auslieferung`, `… in case of extradition`).
    pub const CIRCUMSTANCE: f32 = 0.5;
    /// A provision among the best of its jurisdiction by the concept's words (BM25 of its labels,
    /// key terms and acts; compare only), by rank: the first three. Weak on purpose: a candidate
    /// found by words alone reaches the threshold only with the concept's elements.
    pub const WORDS_RANK: [f32; 3] = [1.5, 1.0, 0.5];
    /// … which must include an act and at least this many of the concept's words.
    pub const WORDS_MIN: usize = 2;
    /// How close (in bytes of the folded text) an act must be to a computer or data object for
    /// a candidate found by the concept's words alone.
    pub const NEAR_CHARS: usize = 100;
    /// A candidate's act, object and without-right element (a power's measure, object and
    /// authority) within this many bytes of the folded text: one clause that does it.
    pub const CLAUSE: f32 = 1.0;
    pub const CLAUSE_CHARS: usize = 150;
    /// Least score of a tag (and of a compare row or matrix cell).
    pub const THRESHOLD: f32 = 4.0;
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Concept {
    /// Kebab-case id (`illegal-access`).
    pub id: String,
    /// `offence`, `procedure`, `cooperation`, `liability`, `safeguard`, `jurisdiction`.
    pub group: String,
    /// Convention code (`coe`, `un`, `las`, `afu`) → article labels defining the concept.
    #[serde(default)]
    pub articles: BTreeMap<String, Vec<String>>,
    /// Language → labels (names of the concept as lawyers of that language write them).
    pub labels: BTreeMap<String, Vec<String>>,
    /// Language → key terms whose presence in a passage indicates the concept.
    #[serde(default)]
    pub terms: BTreeMap<String, Vec<String>>,
    /// Language → words of the act (offence) or the measure (procedure), matched as word starts.
    #[serde(default)]
    pub acts: BTreeMap<String, Vec<String>>,
    /// Language → lay and modern names (`botnet`, `ransomware`): they name the concept in a
    /// query, never tag a passage.
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
    /// An offence against computers or data: its provision names such an object (the `object`
    /// marker: computer, data, système informatique…) in its heading or text — obstructing an
    /// officer is no system interference.
    #[serde(default)]
    pub object: bool,
    /// Markers whose element the concept's provision must have in its heading or text (`child`
    /// for child sexual abuse material: pornography of adults is not it); a candidate without
    /// one is weighed as [`points::MISSING_ELEMENTS`].
    #[serde(default)]
    pub requires: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// Marker name → language → word starts.
    markers: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    concept: Vec<Concept>,
}

/// Why a passage carries a concept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub concept: String,
    /// The wording rule that fired, e.g. `heading has label "illegal access"`.
    pub rule: String,
}

/// One rule that fired on a passage for a concept: its description and its effect.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    /// `heading has label "illegal access"`, `without-right element "unbefugt"`.
    pub what: String,
    /// Points added (`+5`) or, when `factor` is set, the weight applied.
    pub points: f32,
    pub factor: bool,
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.factor {
            write!(f, "{} ×{}", self.what, self.points)
        } else {
            write!(f, "{} +{}", self.what, self.points)
        }
    }
}

/// How strongly a passage establishes one concept, and by which rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Assessment {
    pub concept: String,
    pub score: f32,
    /// Wording rules first (the first is the tag's rule), then elements and weights.
    pub rules: Vec<Rule>,
}

impl Assessment {
    /// The rules as one line: `heading has label "…" +5; without-right element "…" +1`.
    pub fn explain(&self) -> String {
        let rules: Vec<String> = self.rules.iter().map(|r| r.to_string()).collect();
        format!("{} = {:.1}", rules.join("; "), self.score)
    }
}

/// What the assessment looks at: a passage's heading, text and place in its document.
#[derive(Debug, Clone, Copy, Default)]
pub struct View<'a> {
    pub heading: &'a str,
    pub text: &'a str,
    /// The containers above it (Part, Chapter…), outermost first.
    pub path: &'a [String],
    /// For a passage without a heading: the heading of the provision it belongs to
    /// (`§ 1030` for `§ 1030(a)`).
    pub parent_heading: &'a str,
    /// The document's kind (`convention`, `national-law`…); empty when unknown.
    pub kind: &'a str,
    /// The passage's language (`de`): element markers and acts count only in their own language
    /// (a German word in a Dutch passage is no element), unless the taxonomy has none for it.
    /// Empty: every language.
    pub language: &'a str,
    /// The title of the passage's document: a procedural power in a mutual legal assistance act
    /// is cooperation, as one in a Part on cooperation is.
    pub title: &'a str,
    /// Wording evidence found outside the passage itself (compare's ranking of a jurisdiction's
    /// provisions by a concept's words): each makes the passage a candidate of its concept.
    pub extra: &'a [Evidence],
    /// The general part of the code the passage belongs to (`Allgemeiner Teil`), when the
    /// passage lies outside it (see [`Taxonomy::code_general_part`]); empty otherwise.
    pub outside_general_part: &'a str,
}

/// A wording rule computed outside [`Taxonomy::assess`] for one concept (by its index).
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    pub concept: usize,
    /// `words of the concept "intercept", "comput" (rank 1 of the jurisdiction)`.
    pub what: String,
    pub points: f32,
    /// Whether the words include an act (measure) of the concept.
    pub act: bool,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub concepts: Vec<Concept>,
    /// A hash of the TOML this taxonomy was read from (within one process: keys caches of
    /// assessments, which depend on the taxonomy).
    pub fingerprint: u64,
    /// Folded aliases per concept (for queries).
    aliases: Vec<Vec<String>>,
    /// Folded labels per concept, every language (for queries).
    query_labels: Vec<Vec<String>>,
    /// Marker name → language → word starts, as the file has them.
    raw_markers: BTreeMap<String, BTreeMap<String, Vec<String>>>,
    /// What tagging and compare match, folded on first use ([`Taxonomy::tagging`]): a search
    /// reads only the concepts, their aliases and labels (folding every pattern was ≈ 0.7 ms of
    /// each cold `cyberlex search`).
    tagging: std::sync::OnceLock<Tagging>,
}

/// The taxonomy's phrase sets, as tagging and compare match them.
#[derive(Debug, Clone)]
struct Tagging {
    /// Folded labels of every concept (matched in headings and texts).
    labels: PhraseSet,
    /// Folded key terms of every concept (matched in text).
    terms: PhraseSet,
    /// Folded acts of every concept (word starts).
    acts: PhraseSet,
    /// Labels of two or more words, split into words: (concept index, label pattern, words).
    multiword: Vec<(usize, usize, Vec<String>)>,
    /// Marker name → folded word starts, all languages.
    markers: BTreeMap<String, PhraseSet>,
    /// The element markers read in the text, in one automaton (owner = index in [`TEXT_MARKERS`]).
    text_markers: PhraseSet,
    /// The patterns of `labels`, then those of `terms`, in one automaton: a passage's text is
    /// read for both in one pass ([`Tagging::labels_and_terms`]); built on first use.
    labels_then_terms: std::sync::OnceLock<aho_corasick::AhoCorasick>,
}

impl Tagging {
    /// `(labels.first_matches(hay, n, ""), terms.first_matches(hay, n, ""))`, in one scan of
    /// `hay` (every passage's text is read for both: two scans were a third of tagging).
    fn labels_and_terms(&self, hay: &str, n: usize) -> (Vec<Option<usize>>, Vec<Option<usize>>) {
        let ac = self.labels_then_terms.get_or_init(|| {
            aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(self.labels.patterns.iter().chain(&self.terms.patterns))
                .expect("taxonomy phrases build an automaton")
        });
        let mut found = (vec![None; n], vec![None; n]);
        let k = self.labels.patterns.len();
        for m in ac.find_overlapping_iter(hay) {
            let q = m.pattern().as_usize();
            let (set, p, best) = if q < k {
                (&self.labels, q, &mut found.0)
            } else {
                (&self.terms, q - k, &mut found.1)
            };
            set.keep_first(hay, m.start(), m.end(), p, "", best);
        }
        found
    }
}

/// `(language, folded phrase)` of every phrase of a language → phrases map, folded as the
/// passages of that language are ([`fold`], then [`accents_of`]: an Italian `e'` in a phrase is
/// the `è` the text is read as).
fn folded_pairs(m: &BTreeMap<String, Vec<String>>) -> Vec<(String, String)> {
    m.iter()
        .flat_map(|(lang, l)| {
            l.iter()
                .map(move |x| (lang.clone(), accents_of(fold(x), lang)))
        })
        .collect()
}

impl Tagging {
    fn new(
        concepts: &[Concept],
        markers: &BTreeMap<String, BTreeMap<String, Vec<String>>>,
    ) -> Tagging {
        let labels = PhraseSet::new(concepts.iter().map(|c| folded_pairs(&c.labels)), false);
        let terms = PhraseSet::new(concepts.iter().map(|c| folded_pairs(&c.terms)), false);
        let acts = PhraseSet::new(concepts.iter().map(|c| folded_pairs(&c.acts)), true);
        let text_markers = PhraseSet::new(
            TEXT_MARKERS
                .iter()
                .map(|m| markers.get(*m).map(folded_pairs).unwrap_or_default()),
            true,
        );
        let markers = markers
            .iter()
            .map(|(name, langs)| {
                (
                    name.clone(),
                    PhraseSet::new(std::iter::once(folded_pairs(langs)), true),
                )
            })
            .collect();
        let multiword = (0..labels.patterns.len())
            .filter(|&p| !unbounded(&labels.patterns[p]))
            .map(|p| (labels.owner[p], p, words_of(&labels.patterns[p])))
            .filter(|(_, _, w)| w.len() >= 2)
            .collect();
        Tagging {
            labels,
            terms,
            acts,
            multiword,
            markers,
            text_markers,
            labels_then_terms: std::sync::OnceLock::new(),
        }
    }
}

/// Lower case, accents folded, whitespace collapsed: the form labels are compared in.
///
/// One pass over the characters (an ASCII character is lowered in place; any other is lowered,
/// canonically decomposed and stripped of its combining marks): compare folds every provision
/// of a jurisdiction per request, so this is the hot loop of `compare` and `matrix`.
pub fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    // A space is written only before the next non-space character (collapsing runs, trimming).
    let mut space = false;
    fn put(out: &mut String, c: char, space: &mut bool) {
        if c.is_whitespace() {
            *space = !out.is_empty();
            return;
        }
        if *space {
            out.push(' ');
            *space = false;
        }
        out.push(if c == '’' { '\'' } else { c });
    }
    for c in s.chars() {
        if c.is_ascii() {
            put(&mut out, c.to_ascii_lowercase(), &mut space);
            continue;
        }
        for l in c.to_lowercase() {
            unicode_normalization::char::decompose_canonical(l, |d| {
                if !unicode_normalization::char::is_combining_mark(d) {
                    put(&mut out, d, &mut space);
                }
            });
        }
    }
    out
}

/// The start of the description of a wording rule found by a concept's words (compare's
/// ranking of a jurisdiction's provisions): weak textual evidence, weighed like a text label.
pub const WORDS_RULE: &str = "words of the concept";

/// Markers read in a passage's text.
const TEXT_MARKERS: &[&str] = &[
    "unlawful",
    "penalty",
    "authority",
    "realtime",
    "territory",
    "general_scope",
];

/// Marker names the taxonomy file must define.
pub const MARKERS: &[&str] = &[
    "unlawful",
    "penalty",
    "authority",
    "foreign",
    "general_part",
    "general_scope",
    "realtime",
    "territory",
    "convention",
    "aggravated",
    "object",
    "circumstance",
    "child",
    "definitions",
];

impl Taxonomy {
    /// The general part of a code among the top-level containers of one document's passages
    /// (the first container of each path, in document order): a container with a `general_part`
    /// marker (in `language`) holding at least [`points::CODE_GENERAL_PART_MIN`] provisions.
    pub fn code_general_part<'p>(
        &self,
        first_containers: impl Iterator<Item = &'p str>,
        language: &str,
    ) -> Option<&'p str> {
        let m = self.tagging().markers.get("general_part")?;
        let mut counts: Vec<(&'p str, usize)> = Vec::new();
        for c in first_containers {
            match counts.iter_mut().find(|(k, _)| *k == c) {
                Some((_, n)) => *n += 1,
                None => counts.push((c, 1)),
            }
        }
        counts
            .into_iter()
            .find(|(c, n)| {
                *n >= points::CODE_GENERAL_PART_MIN
                    && m.first_matches(&fold(c), 1, language)[0].is_some()
            })
            .map(|(c, _)| c)
    }

    /// Does `heading` open a definitions or interpretation section (the `definitions` marker, in
    /// the passage's language — in every language when the taxonomy has none in that one)?
    pub fn is_definitions_heading(&self, heading: &str, language: &str) -> bool {
        self.tagging().markers.get("definitions").is_some_and(|m| {
            m.positions(&accents_of(fold(heading), language), 0, language)
                .contains(&0)
        })
    }

    /// The built-in taxonomy (`corpus/taxonomy.toml`, read from its JSON copy: the same values,
    /// the same fingerprint).
    pub fn builtin() -> Taxonomy {
        let f: File =
            serde_json::from_str(BUILTIN_JSON).expect("corpus/taxonomy.toml is checked by tests");
        Taxonomy::from_file(f, BUILTIN)
    }

    /// Parse a taxonomy (a file given with `--taxonomy`, or a test's).
    pub fn from_toml(src: &str) -> Result<Taxonomy, toml::de::Error> {
        Ok(Taxonomy::from_file(toml::from_str(src)?, src))
    }

    /// The taxonomy of a parsed file; `src` (its TOML) gives the fingerprint.
    fn from_file(f: File, src: &str) -> Taxonomy {
        let aliases = f
            .concept
            .iter()
            .map(|c| {
                folded_pairs(&c.aliases)
                    .into_iter()
                    .map(|(_, a)| a)
                    .collect()
            })
            .collect();
        let query_labels = f
            .concept
            .iter()
            .map(|c| c.labels.values().flatten().map(|l| fold(l)).collect())
            .collect();
        let fingerprint = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            src.hash(&mut h);
            h.finish()
        };
        Taxonomy {
            fingerprint,
            concepts: f.concept,
            aliases,
            query_labels,
            raw_markers: f.markers,
            tagging: std::sync::OnceLock::new(),
        }
    }

    /// The phrase sets of tagging and compare, folded on first use.
    fn tagging(&self) -> &Tagging {
        self.tagging
            .get_or_init(|| Tagging::new(&self.concepts, &self.raw_markers))
    }

    /// Is an act (measure) of concept `i` within [`points::NEAR_CHARS`] of an `object` marker
    /// in the folded text?
    fn act_near_object(&self, at: &Positions, i: usize) -> bool {
        let obj = at.marker(self, "object");
        at.acts(self)[i]
            .iter()
            .any(|&a| obj.iter().any(|&o| a.abs_diff(o) <= points::NEAR_CHARS))
    }

    /// Are an act (measure) of concept `i`, an `object` marker and the `element` marker all
    /// within [`points::CLAUSE_CHARS`] of each other in the folded text — one clause that does
    /// the act to a computer or data without right (or: an authority orders the measure on
    /// data)?
    fn one_clause(&self, at: &Positions, i: usize, element: &'static str) -> bool {
        let obj = at.marker(self, "object");
        let els = at.marker(self, element);
        at.acts(self)[i].iter().any(|&a| {
            obj.iter().any(|&o| {
                els.iter()
                    .any(|&e| a.max(o).max(e) - a.min(o).min(e) <= points::CLAUSE_CHARS)
            })
        })
    }

    /// The `circumstance` marker ending right before the label in the heading, if any.
    fn circumstance_before(&self, h: &str, label: &str, lang: &str) -> Option<String> {
        let m = self.tagging().markers.get("circumstance")?;
        let at = h.find(label)?;
        let before = h[..at].trim_end();
        (0..m.patterns.len())
            .filter(|&p| m.speaks(p, lang))
            .map(|p| &m.patterns[p])
            .find(|w| {
                before.ends_with(w.as_str())
                    && before[..before.len() - w.len()]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_alphanumeric())
            })
            .cloned()
    }

    /// The element markers' phrases of `language` (folded): the words every concept of a group
    /// shares (without right, penalty, authority, computer or data…), not any one concept's.
    pub fn marker_phrases(&self, language: &str) -> Vec<&str> {
        self.marker_phrases_of(language, |_| true)
    }

    /// [`Taxonomy::marker_phrases`] of the markers `pick` accepts (by name).
    pub fn marker_phrases_of(&self, language: &str, pick: impl Fn(&str) -> bool) -> Vec<&str> {
        self.tagging()
            .markers
            .iter()
            .filter(|(name, _)| pick(name))
            .map(|(_, m)| m)
            .flat_map(|m| {
                (0..m.patterns.len())
                    .filter(|&p| m.lang[p] == language)
                    .map(|p| m.patterns[p].as_str())
            })
            .collect()
    }

    /// The markers that are a concept's own wording rather than a shared element: a group's
    /// defining element (`territory` for a jurisdiction rule, `foreign` for cooperation) and
    /// the markers the concept `requires`.
    pub fn own_markers(&self, c: &Concept) -> Vec<String> {
        let mut out: Vec<String> = c.requires.clone();
        match c.group.as_str() {
            "jurisdiction" => out.push("territory".into()),
            "cooperation" => out.push("foreign".into()),
            _ => {}
        }
        out
    }

    pub fn get(&self, id: &str) -> Option<&Concept> {
        self.concepts.iter().find(|c| c.id == id)
    }

    /// Concepts the query names: a label in any language contained in it, or a lay alias whose
    /// words all appear in it in order (`robo … por internet`).
    pub fn concepts_for_query(&self, query: &str) -> Vec<&Concept> {
        let q = fold(query);
        let as_id = q.replace(' ', "-");
        self.concepts
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                c.id == as_id
                    || self.query_labels[*i].iter().any(|l| contains_phrase(&q, l))
                    || self.aliases[*i]
                        .iter()
                        .any(|a| contains_words_in_order(&q, a))
            })
            .map(|(_, c)| c)
            .collect()
    }

    /// Tag a passage: the concepts whose assessment reaches the threshold, each with its wording
    /// rule. (Build time has no parent or path: those refine the ranking of compare.)
    pub fn tag(&self, heading: &str, text: &str) -> Vec<Tag> {
        self.tag_in(heading, text, "")
    }

    /// [`Taxonomy::tag`] for a passage of `language`: its markers and acts count in that
    /// language only, as in compare (a false friend of another language tags nothing).
    pub fn tag_in(&self, heading: &str, text: &str, language: &str) -> Vec<Tag> {
        self.assess(&View {
            heading,
            text,
            language,
            ..Default::default()
        })
        .into_iter()
        .filter(|a| a.score >= points::THRESHOLD)
        .map(|a| Tag {
            concept: a.concept,
            rule: a.rules[0].what.clone(),
        })
        .collect()
    }

    /// Assess a passage against every concept whose wording it has (see [`points`]).
    pub fn assess(&self, v: &View) -> Vec<Assessment> {
        let tg = self.tagging();
        let n = self.concepts.len();
        let lang = v.language;
        let h = accents_of(fold(v.heading), lang);
        let t = accents_of(fold(v.text), lang);
        let ph = if h.is_empty() {
            accents_of(fold(v.parent_heading), lang)
        } else {
            String::new()
        };
        let h_labels = tg.labels.longest_matches(&h, n);
        let path = accents_of(fold(&v.path.join(" / ")), lang);
        let path_labels = tg.labels.first_matches(&path, n, "");
        let (t_labels, t_terms) = tg.labels_and_terms(&t, n);
        let p_labels = tg.labels.first_matches(&ph, n, "");
        let h_acts = tg
            .acts
            .first_matches(if h.is_empty() { &ph } else { &h }, n, lang);
        let listed = t_labels.iter().filter(|x| x.is_some()).count();
        let some = |v: &[Option<usize>]| v.iter().any(Option::is_some);
        if !(some(&h_labels)
            || some(&t_labels)
            || some(&p_labels)
            || some(&t_terms)
            || some(&h_acts)
            || some(&path_labels)
            || !v.extra.is_empty())
        {
            // No concept's wording: nothing to weigh (most passages of a code).
            return Vec::new();
        }
        // A convention obliges its Parties to create offences and powers; its articles need
        // not restate a penalty or name an authority.
        let treaty = matches!(v.kind, "convention" | "protocol");
        let t_acts = tg.acts.first_matches(&t, n, lang);
        // Elements are read in the text: a heading names the concept, the text does it.
        let found = tg.text_markers.first_matches(&t, TEXT_MARKERS.len(), lang);
        let marker = |name: &str| -> Option<String> {
            let k = TEXT_MARKERS.iter().position(|m| *m == name)?;
            found[k].map(|p| tg.text_markers.patterns[p].clone())
        };
        let head: String = format!(
            "{h} {}",
            t.chars()
                .take(points::FOREIGN_WITHIN_CHARS)
                .collect::<String>()
        );
        let (unlawful, penalty, authority, foreign, realtime) = (
            marker("unlawful"),
            marker("penalty"),
            marker("authority"),
            tg.markers
                .get("foreign")
                .and_then(|m| m.first_matches(&head, 1, lang)[0].map(|p| m.patterns[p].clone())),
            marker("realtime"),
        );
        let h_words = words_of(if h.is_empty() { &ph } else { &h });
        // A procedural power named in the heading (label or measure), an offence (label).
        let heading_group = |group: &str, acts: bool| {
            self.concepts.iter().enumerate().find_map(|(j, c)| {
                let p = h_labels[j]
                    .or(p_labels[j])
                    .or(if acts { h_acts[j] } else { None });
                (c.group == group)
                    .then_some(p)
                    .flatten()
                    .map(|_| c.id.as_str())
            })
        };
        let heading_power = heading_group("procedure", true);
        let heading_offence = heading_group("offence", false);
        // Article numbers of the convention a national law's text cites.
        let cited = if treaty {
            BTreeSet::new()
        } else {
            tg.markers
                .get("convention")
                .map(|m| cited_articles(&t, m))
                .unwrap_or_default()
        };
        let territory = marker("territory");
        let object = tg.markers.get("object").and_then(|m| {
            m.first_matches(&format!("{h} {ph} {t}"), 1, lang)[0].map(|p| m.patterns[p].clone())
        });
        let aggravated = tg.markers.get("aggravated").and_then(|m| {
            m.first_matches(if h.is_empty() { &ph } else { &h }, 1, lang)[0]
                .map(|p| m.patterns[p].clone())
        });
        // A container (Part, amended Act) or the document named for international cooperation.
        let title_labels = if v.title.is_empty() {
            vec![None; n]
        } else {
            tg.labels.first_matches(&fold(v.title), n, "")
        };
        let cooperation_container = self
            .concepts
            .iter()
            .zip(path_labels.iter().zip(&title_labels))
            .find(|(c, (p, t))| c.group == "cooperation" && (p.is_some() || t.is_some()))
            .map(|(c, _)| c.id.as_str());
        let general_part = tg.markers.get("general_part").and_then(|m| {
            v.path
                .iter()
                .find_map(|c| m.first_matches(&fold(c), 1, lang)[0].map(|p| m.patterns[p].clone()))
        });
        let at = Positions::new(&t, lang);
        let mut out = Vec::new();
        for (i, c) in self.concepts.iter().enumerate() {
            let mut rules = Vec::new();
            let add = |rules: &mut Vec<Rule>, what: String, points: f32| {
                rules.push(Rule {
                    what,
                    points,
                    factor: false,
                })
            };
            let mut weight_circumstance = None;
            let mut general_scope = None;
            // Wording: what makes the passage a candidate at all.
            if let Some(p) = h_labels[i] {
                let l = &tg.labels.patterns[p];
                let words = l.split_whitespace().count().min(points::SPECIFIC_WORDS);
                add(
                    &mut rules,
                    format!("heading has label \"{l}\""),
                    points::HEADING_LABEL + points::LABEL_WORD * (words.saturating_sub(1)) as f32,
                );
                if let Some(w) = self.circumstance_before(&h, l, lang) {
                    weight_circumstance = Some(w);
                }
                if trim_punct(&h) == l.as_str() {
                    add(
                        &mut rules,
                        "heading is the label".into(),
                        points::HEADING_IS_LABEL,
                    );
                }
            }
            if let Some(p) = t_terms[i] {
                add(
                    &mut rules,
                    format!("text has \"{}\"", tg.terms.patterns[p]),
                    points::TEXT_TERM,
                );
            }
            let words_label = (h_labels[i].is_none() && p_labels[i].is_none()).then(|| {
                tg.multiword
                    .iter()
                    .filter(|(o, _, _)| *o == i)
                    .find(|(_, _, w)| words_within(&h_words, w, points::LABEL_GAP_WORDS))
                    .map(|(_, p, _)| *p)
            });
            if let Some(Some(p)) = words_label {
                add(
                    &mut rules,
                    format!(
                        "heading has the words of label \"{}\"",
                        tg.labels.patterns[p]
                    ),
                    points::HEADING_LABEL_WORDS,
                );
            } else if h_labels[i].is_none() {
                if let Some(p) = p_labels[i] {
                    add(
                        &mut rules,
                        format!("parent heading has label \"{}\"", tg.labels.patterns[p]),
                        points::PARENT_HEADING_LABEL,
                    );
                } else if let (Some(p), None) = (t_labels[i], t_terms[i]) {
                    let (what, pts) = if h.is_empty() && ph.is_empty() {
                        ("text (no heading) has label", points::TEXT_LABEL_NO_HEADING)
                    } else {
                        ("text has label", points::TEXT_LABEL)
                    };
                    add(
                        &mut rules,
                        format!("{what} \"{}\"", tg.labels.patterns[p]),
                        pts,
                    );
                }
                if let (Some(p), true) = (h_acts[i], rules.is_empty()) {
                    let pts = if c.group == "procedure" {
                        points::HEADING_MEASURE
                    } else {
                        points::HEADING_ACT
                    };
                    add(
                        &mut rules,
                        format!("heading names the act \"{}\"", tg.acts.patterns[p]),
                        pts,
                    );
                }
                if let (Some(p), true) = (path_labels[i], rules.is_empty()) {
                    add(
                        &mut rules,
                        format!("container has label \"{}\"", tg.labels.patterns[p]),
                        points::PATH_LABEL,
                    );
                }
            }
            // Found by the concept's words: a candidate only where no wording rule fired (as
            // evidence on top of a label it would re-rank what the labels already decide).
            if rules.is_empty() {
                if let Some(e) = v.extra.iter().find(|e| e.concept == i) {
                    add(&mut rules, e.what.clone(), e.points);
                }
            }
            let only_text_label = rules.len() == 1
                && (rules[0].what.starts_with("text") || rules[0].what.starts_with(WORDS_RULE));
            // Only strengthens wording the passage has (`artikel 8 van het Verdrag` alone could
            // be any treaty's article).
            if let (false, Some(a)) = (
                rules.is_empty(),
                c.articles
                    .get("coe")
                    .and_then(|arts| arts.iter().find(|a| cited.contains(a.as_str()))),
            ) {
                add(
                    &mut rules,
                    format!("text cites Convention art. {a}"),
                    points::CITES_ARTICLE,
                );
            }
            if rules.is_empty() {
                continue;
            }
            let only_text_label = only_text_label && t_terms[i].is_none();
            let by_words_only = rules.len() == 1 && rules[0].what.starts_with(WORDS_RULE);
            // Found by words alone: the act must be done to a computer or data (within
            // [`points::NEAR_CHARS`] of an object word), as the provision creating it says.
            // … and so must an offence named only by the act in its heading (`Obstruction`:
            // of an officer, or of a computer?), unless the heading names the object.
            let by_heading_act_only =
                rules.len() == 1 && rules[0].what.starts_with("heading names the act");
            let heading_object = tg.markers.get("object").is_some_and(|m| {
                m.first_matches(if h.is_empty() { &ph } else { &h }, 1, lang)[0].is_some()
            });
            let act_far = ((by_words_only && (c.object || c.group == "procedure"))
                || (by_heading_act_only && c.object && !heading_object))
                && !self.act_near_object(&at, i);
            // Elements: what the provision does.
            let act = t_acts[i].map(|p| tg.acts.patterns[p].clone());
            // A text label's own words ("illegal access") are not the without-right element.
            let unlawful = match (only_text_label, t_labels[i], &unlawful) {
                (true, Some(p), Some(_)) => {
                    let rest = t.replace(tg.labels.patterns[p].as_str(), " ");
                    tg.markers.get("unlawful").and_then(|m| {
                        m.first_matches(&rest, 1, lang)[0].map(|q| m.patterns[q].clone())
                    })
                }
                _ => unlawful.clone(),
            };
            let mut weight = 1.0;
            let mut weigh = |rules: &mut Vec<Rule>, what: String, f: f32| {
                weight *= f;
                rules.push(Rule {
                    what,
                    points: f,
                    factor: true,
                });
            };
            match c.group.as_str() {
                "offence" => {
                    if let Some(a) = &act {
                        add(&mut rules, format!("act \"{a}\""), points::ELEMENT);
                    }
                    if let Some(w) = &unlawful {
                        add(
                            &mut rules,
                            format!("without-right element \"{w}\""),
                            points::ELEMENT,
                        );
                    }
                    if let Some(w) = &penalty {
                        add(&mut rules, format!("penalty \"{w}\""), points::ELEMENT);
                    }
                    if unlawful.is_none() && penalty.is_none() && !treaty {
                        weigh(
                            &mut rules,
                            "no without-right or penalty element".into(),
                            points::MISSING_ELEMENTS,
                        );
                    }
                    if c.object && object.is_none() && !treaty {
                        weigh(
                            &mut rules,
                            "no computer or data object".into(),
                            points::MISSING_ELEMENTS,
                        );
                    }
                    if by_words_only && self.one_clause(&at, i, "unlawful") {
                        add(
                            &mut rules,
                            "act, object and without-right element in one clause".into(),
                            points::CLAUSE,
                        );
                    }
                    if act_far {
                        weigh(
                            &mut rules,
                            "act far from any computer or data object".into(),
                            points::MISSING_ELEMENTS,
                        );
                    }
                    for m in &c.requires {
                        let found = tg.markers.get(m).is_some_and(|ms| {
                            ms.first_matches(&format!("{h} {ph} {t}"), 1, lang)[0].is_some()
                        });
                        if !found {
                            weigh(
                                &mut rules,
                                format!("no {m} element"),
                                points::MISSING_ELEMENTS,
                            );
                        }
                    }
                    if let Some(w) = &aggravated {
                        weigh(
                            &mut rules,
                            format!("heading names an aggravated form \"{w}\""),
                            points::AGGRAVATED,
                        );
                    }
                }
                "procedure" => {
                    if let Some(w) = &authority {
                        add(&mut rules, format!("authority \"{w}\""), points::ELEMENT);
                    }
                    if let Some(a) = &act {
                        add(&mut rules, format!("measure \"{a}\""), points::ELEMENT);
                    }
                    if c.id == "traffic-data-collection" {
                        if let Some(w) = &realtime {
                            add(&mut rules, format!("real time \"{w}\""), points::ELEMENT);
                        }
                    }
                    if authority.is_none() && !treaty {
                        weigh(&mut rules, "no authority".into(), points::MISSING_ELEMENTS);
                    }
                    if by_words_only && self.one_clause(&at, i, "authority") {
                        add(
                            &mut rules,
                            "authority, measure and object in one clause".into(),
                            points::CLAUSE,
                        );
                    }
                    if act_far {
                        weigh(
                            &mut rules,
                            "measure far from any computer or data object".into(),
                            points::MISSING_ELEMENTS,
                        );
                    }
                    if let Some(w) = &foreign {
                        weigh(
                            &mut rules,
                            format!("on a foreign request \"{w}\""),
                            points::FOREIGN_REQUEST,
                        );
                    } else if let Some(k) = cooperation_container {
                        weigh(
                            &mut rules,
                            format!("in a part on cooperation ({k})"),
                            points::FOREIGN_REQUEST,
                        );
                    }
                }
                "cooperation" => {
                    if let Some(w) = &foreign {
                        add(
                            &mut rules,
                            format!("foreign request \"{w}\""),
                            points::ELEMENT,
                        );
                    }
                }
                "liability" => {
                    if let Some(a) = &act {
                        add(&mut rules, format!("act \"{a}\""), points::ELEMENT);
                    }
                    if let Some(g) = &general_part {
                        add(
                            &mut rules,
                            format!("general part \"{g}\""),
                            points::GENERAL_PART,
                        );
                    }
                    // … unless the text only mentions the concept by a label (`… and abetment
                    // thereof` in a rule on bail): the scope of a mention makes no general rule.
                    // A provision found by the concept's words is the best of its jurisdiction
                    // by its wording, not a mention: its scope counts.
                    let mention = only_text_label && !by_words_only;
                    if !mention {
                        general_scope = marker("general_scope");
                    }
                    if general_part.is_none() && !v.outside_general_part.is_empty() {
                        weigh(
                            &mut rules,
                            format!(
                                "outside the code's general part \"{}\"",
                                v.outside_general_part
                            ),
                            points::SPECIAL_PART,
                        );
                    }
                    if let Some(w) = &penalty {
                        add(&mut rules, format!("penalty \"{w}\""), points::ELEMENT);
                    }
                }
                "jurisdiction" => {
                    if let Some(w) = &territory {
                        add(
                            &mut rules,
                            format!("territorial element \"{w}\""),
                            points::ELEMENT,
                        );
                    } else if !treaty {
                        weigh(
                            &mut rules,
                            "no territorial element".into(),
                            points::MISSING_ELEMENTS,
                        );
                    }
                }
                _ => {}
            }
            if let Some(w) = weight_circumstance {
                weigh(
                    &mut rules,
                    format!("heading names it as an occasion \"{w} …\""),
                    points::CIRCUMSTANCE,
                );
            }
            // Only a text label of an offence under a heading naming a power, or the reverse.
            let other = match c.group.as_str() {
                "offence" => heading_power,
                "procedure" => heading_offence,
                _ => None,
            };
            if let (true, Some(o)) = (only_text_label, other) {
                weigh(
                    &mut rules,
                    format!("heading names {o}: the text only mentions it"),
                    points::OTHER_GROUP_HEADING,
                );
            }
            // A heading announcing offences ("Cybercrime offenses") makes the list the provision.
            let offences_heading = tg
                .markers
                .get("penalty")
                .is_some_and(|m| m.first_matches(&h, 1, lang)[0].is_some());
            if only_text_label && listed >= points::LIST_CONCEPTS && !offences_heading {
                weigh(
                    &mut rules,
                    format!("text names {listed} concepts: a list"),
                    points::LIST,
                );
            }
            let mut sum: f32 = rules.iter().filter(|r| !r.factor).map(|r| r.points).sum();
            // The general scope ranks provisions that are about the concept on their own: it
            // prefers the general rule among them and never makes a match of a provision that
            // does not pass without it.
            if let (Some(g), true) = (general_scope, sum * weight >= points::THRESHOLD) {
                rules.push(Rule {
                    what: format!("general scope \"{g}\""),
                    points: points::GENERAL_SCOPE,
                    factor: false,
                });
                sum += points::GENERAL_SCOPE;
            }
            out.push(Assessment {
                concept: c.id.clone(),
                score: sum * weight,
                rules,
            });
        }
        out
    }
}

/// Where acts and markers occur in one folded text, found once when first asked for (proximity
/// tests of [`Taxonomy::assess`]).
struct Positions<'t> {
    t: &'t str,
    lang: &'t str,
    acts: std::cell::OnceCell<Vec<Vec<usize>>>,
    markers: std::cell::RefCell<BTreeMap<&'static str, std::rc::Rc<Vec<usize>>>>,
}

impl<'t> Positions<'t> {
    fn new(t: &'t str, lang: &'t str) -> Self {
        Positions {
            t,
            lang,
            acts: Default::default(),
            markers: Default::default(),
        }
    }

    /// Per concept, the byte offsets where one of its acts starts.
    fn acts(&self, tax: &Taxonomy) -> &Vec<Vec<usize>> {
        self.acts.get_or_init(|| {
            let mut out = vec![Vec::new(); tax.concepts.len()];
            let set = &tax.tagging().acts;
            for m in set.ac().find_overlapping_iter(self.t) {
                let p = m.pattern().as_usize();
                if set.speaks(p, self.lang)
                    && at_word_boundaries(self.t, m.start(), m.end(), &set.patterns[p], set.prefix)
                {
                    out[set.owner[p]].push(m.start());
                }
            }
            out
        })
    }

    /// Byte offsets where the marker `name` occurs.
    fn marker(&self, tax: &Taxonomy, name: &'static str) -> std::rc::Rc<Vec<usize>> {
        self.markers
            .borrow_mut()
            .entry(name)
            .or_insert_with(|| {
                std::rc::Rc::new(
                    tax.tagging()
                        .markers
                        .get(name)
                        .map(|m| m.positions(self.t, 0, self.lang))
                        .unwrap_or_default(),
                )
            })
            .clone()
    }
}

/// Italian statutes write a final accent as an apostrophe (`autorita'`, `e'`): in an Italian
/// passage, an apostrophe after a vowel at the end of a word is that accent, folded away.
fn accents_of(folded: String, language: &str) -> String {
    if language != "it" || !folded.contains('\'') {
        return folded;
    }
    let chars: Vec<char> = folded.chars().collect();
    let mut out = String::with_capacity(folded.len());
    for (i, &c) in chars.iter().enumerate() {
        let after_vowel = i > 0 && "aeiou".contains(chars[i - 1]);
        let word_ends = chars.get(i + 1).is_none_or(|n| !n.is_alphanumeric());
        if !(c == '\'' && after_vowel && word_ends) {
            out.push(c);
        }
    }
    out
}

/// The words of a folded text (letters, digits, `-` and `'` inside words).
fn words_of(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect()
}

/// Do the `needle` words appear in `hay`, in order, with at most `gap` other words in all
/// between the first and the last?
fn words_within(hay: &[String], needle: &[String], gap: usize) -> bool {
    let Some(first) = needle.first() else {
        return false;
    };
    hay.iter()
        .enumerate()
        .filter(|(_, w)| *w == first)
        .any(|(start, _)| {
            let mut i = start + 1;
            for n in &needle[1..] {
                match hay[i..].iter().position(|w| w == n) {
                    Some(k) => i += k + 1,
                    None => return false,
                }
            }
            i - start <= needle.len() + gap
        })
}

/// Article numbers cited just before a convention's name in a folded text (`articoli 24,
/// paragrafo 7, e 27 della convenzione` → 24, 27): numbers after an article word, not those
/// after a paragraph word.
fn cited_articles(t: &str, convention: &PhraseSet) -> BTreeSet<String> {
    const ARTICLE: &[&str] = &[
        "art",
        "arts",
        "article",
        "articles",
        "articolo",
        "articoli",
        "artikel",
        "artikelen",
        "articulo",
        "articulos",
        "artigo",
        "artigos",
        "artikels",
    ];
    const PARAGRAPH: &[&str] = &[
        "paragraph",
        "paragraphs",
        "para",
        "paragrafo",
        "paragrafi",
        "paragraphe",
        "paragraphes",
        "absatz",
        "abs",
        "lid",
        "leden",
        "apartado",
        "comma",
        "alinea",
        "par",
    ];
    let mut out = BTreeSet::new();
    for m in convention.ac().find_iter(t) {
        let p = &convention.patterns[m.pattern().as_usize()];
        if !at_word_boundaries(t, m.start(), m.end(), p, true) {
            continue;
        }
        let mut from = m.start().saturating_sub(points::CITES_WITHIN_CHARS);
        while !t.is_char_boundary(from) {
            from += 1;
        }
        // `24(7)`: the parenthesised paragraph is no article.
        let mut window = String::new();
        let mut depth = 0;
        for c in t[from..m.start()].chars() {
            match c {
                '(' => depth += 1,
                ')' => depth = (depth - 1).max(0),
                _ if depth == 0 => window.push(c),
                _ => {}
            }
        }
        let words = words_of(&window.replace('\'', " "));
        let Some(a) = words.iter().rposition(|w| ARTICLE.contains(&w.as_str())) else {
            continue;
        };
        let mut after_paragraph = false;
        for w in &words[a + 1..] {
            if PARAGRAPH.contains(&w.as_str()) {
                after_paragraph = true;
            } else if w.chars().next().is_some_and(|c| c.is_ascii_digit()) {
                if !after_paragraph {
                    out.insert(
                        w.trim_end_matches(|c: char| !c.is_ascii_digit())
                            .to_string(),
                    );
                }
                after_paragraph = false;
            }
        }
    }
    out
}

fn trim_punct(s: &str) -> &str {
    s.trim_matches(|c: char| !c.is_alphanumeric())
}

/// Every word of `needle` appears in `hay`, in order, at word boundaries (gaps allowed).
fn contains_words_in_order(hay: &str, needle: &str) -> bool {
    if needle.chars().any(crate::index::analyzers::is_cjk) {
        return hay.contains(needle);
    }
    let words: Vec<&str> = hay
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .filter(|w| !w.is_empty())
        .collect();
    let mut i = 0;
    for n in needle
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .filter(|w| !w.is_empty())
    {
        match words[i..].iter().position(|w| *w == n) {
            Some(k) => i += k + 1,
            None => return false,
        }
    }
    !needle.trim().is_empty()
}

/// Folded phrases of many concepts in one Aho-Corasick automaton.
#[derive(Debug, Clone)]
struct PhraseSet {
    /// Built on first use ([`PhraseSet::ac`]): a search opens the taxonomy for its concepts'
    /// labels and never matches these automata (compare, situation and tagging do); building
    /// all of them took ~6 ms of every cold `cyberlex search`.
    ac: std::sync::OnceLock<aho_corasick::AhoCorasick>,
    patterns: Vec<String>,
    /// Pattern → concept index.
    owner: Vec<usize>,
    /// Pattern → its language.
    lang: Vec<String>,
    /// Concept index → the languages it has patterns in.
    owner_langs: Vec<BTreeSet<String>>,
    /// Patterns are word starts (`intercept` matches `intercepts`), not whole words.
    prefix: bool,
}

impl PhraseSet {
    /// Per concept, its (language, folded phrase) pairs.
    fn new(per_concept: impl Iterator<Item = Vec<(String, String)>>, prefix: bool) -> PhraseSet {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        let mut lang = Vec::new();
        let mut owner_langs = Vec::new();
        for (i, list) in per_concept.enumerate() {
            let mut langs = BTreeSet::new();
            for (l, p) in list.into_iter().filter(|(_, p)| !p.is_empty()) {
                patterns.push(p);
                owner.push(i);
                langs.insert(l.clone());
                lang.push(l);
            }
            owner_langs.push(langs);
        }
        PhraseSet {
            ac: std::sync::OnceLock::new(),
            patterns,
            owner,
            lang,
            owner_langs,
            prefix,
        }
    }

    /// The automaton of the patterns, built once on first use (thread-safe: an `Engine` serves
    /// several threads).
    fn ac(&self) -> &aho_corasick::AhoCorasick {
        self.ac.get_or_init(|| {
            // A DFA: every process that matches these matches many texts (tagging a build's
            // passages, compare and matrix a jurisdiction's provisions), and the overlapping
            // search of a contiguous NFA was most of tagging (bulk archive: tag stage 7.2 -> 4.1
            // s, compare's CPU -12 %, for ≈ 15 MB more memory). A search never builds them.
            aho_corasick::AhoCorasick::builder()
                .kind(Some(aho_corasick::AhoCorasickKind::DFA))
                .build(&self.patterns)
                .expect("taxonomy phrases build an automaton")
        })
    }

    /// May pattern `p` count in a passage of language `language`? Always when the language is
    /// unknown (empty) or its concept has no pattern in that language; else only its own.
    fn speaks(&self, p: usize, language: &str) -> bool {
        language.is_empty()
            || self.lang[p] == language
            || !self.owner_langs[self.owner[p]].contains(language)
    }

    /// Per concept, the longest pattern found in `hay` at word boundaries (the first in the
    /// taxonomy's order among equals).
    fn longest_matches(&self, hay: &str, concepts: usize) -> Vec<Option<usize>> {
        let mut best: Vec<Option<usize>> = vec![None; concepts];
        for m in self.ac().find_overlapping_iter(hay) {
            let p = m.pattern().as_usize();
            if at_word_boundaries(hay, m.start(), m.end(), &self.patterns[p], self.prefix) {
                let slot = &mut best[self.owner[p]];
                let longer = |q: usize| {
                    let (a, b) = (self.patterns[p].len(), self.patterns[q].len());
                    a > b || (a == b && p < q)
                };
                if slot.is_none_or(longer) {
                    *slot = Some(p);
                }
            }
        }
        best
    }

    /// Byte offsets in `hay` where a pattern of concept `owner` that counts in `language` starts,
    /// at word boundaries.
    fn positions(&self, hay: &str, owner: usize, language: &str) -> Vec<usize> {
        self.ac()
            .find_overlapping_iter(hay)
            .filter(|m| {
                let p = m.pattern().as_usize();
                self.owner[p] == owner
                    && self.speaks(p, language)
                    && at_word_boundaries(hay, m.start(), m.end(), &self.patterns[p], self.prefix)
            })
            .map(|m| m.start())
            .collect()
    }

    /// Per concept, the smallest pattern index found in `hay` at word boundaries, among the
    /// patterns that count in `language` (see [`PhraseSet::speaks`]; `""`: all).
    fn first_matches(&self, hay: &str, concepts: usize, language: &str) -> Vec<Option<usize>> {
        let mut best: Vec<Option<usize>> = vec![None; concepts];
        for m in self.ac().find_overlapping_iter(hay) {
            self.keep_first(
                hay,
                m.start(),
                m.end(),
                m.pattern().as_usize(),
                language,
                &mut best,
            );
        }
        best
    }

    /// Pattern `p`, found at `start..end` of `hay`: in `best`, the slot of its concept, when it
    /// counts in `language`, stands at word boundaries and comes before the slot's pattern.
    fn keep_first(
        &self,
        hay: &str,
        start: usize,
        end: usize,
        p: usize,
        language: &str,
        best: &mut [Option<usize>],
    ) {
        if self.speaks(p, language)
            && at_word_boundaries(hay, start, end, &self.patterns[p], self.prefix)
        {
            let slot = &mut best[self.owner[p]];
            if slot.is_none_or(|q| p < q) {
                *slot = Some(p);
            }
        }
    }
}

/// Scripts whose words are not delimited by spaces (CJK) or take attached prefixes (Arabic
/// `و`, `ب`, `ال`): their phrases match anywhere.
fn unbounded(needle: &str) -> bool {
    needle
        .chars()
        .any(|c| crate::index::analyzers::is_cjk(c) || ('\u{0600}'..='\u{06FF}').contains(&c))
}

fn at_word_boundaries(hay: &str, start: usize, end: usize, needle: &str, prefix: bool) -> bool {
    if unbounded(needle) {
        // Korean separates words by spaces and attaches particles at their end: a word of one
        // or two syllables must start a word (`사기` is not inside `심사기관`).
        // (Folded Hangul is decomposed into jamo: a syllable is a leading consonant.)
        let hangul = |c: char| ('\u{1100}'..='\u{11FF}').contains(&c);
        let syllables = needle
            .chars()
            .filter(|c| ('\u{1100}'..='\u{1112}').contains(c))
            .count();
        let short_hangul = syllables <= 2 && needle.chars().all(hangul);
        return !short_hangul
            || hay[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
    }
    let ends = |rest: &str| rest.chars().next().is_none_or(|c| !c.is_alphanumeric());
    // A Latin-script phrase also matches its plural (`extraditable offences`, `search warrants`).
    let plural = needle
        .chars()
        .next_back()
        .is_some_and(|c| c.is_ascii_lowercase())
        && ["s", "es"]
            .iter()
            .any(|e| hay[end..].strip_prefix(e).is_some_and(ends));
    hay[..start]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
        && (prefix || ends(&hay[end..]) || plural)
}

/// Does `hay` contain `needle` at word boundaries (or anywhere, for CJK needles)?
pub fn contains_phrase(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let cjk = unbounded(needle);
    let mut from = 0;
    while let Some(i) = hay[from..].find(needle) {
        let start = from + i;
        let end = start + needle.len();
        let before_ok = cjk
            || hay[..start]
                .chars()
                .next_back()
                .is_none_or(|c| !c.is_alphanumeric());
        let after_ok = cjk
            || hay[end..]
                .chars()
                .next()
                .is_none_or(|c| !c.is_alphanumeric());
        if before_ok && after_ok {
            return true;
        }
        from = start + needle.chars().next().map(char::len_utf8).unwrap_or(1);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The binary reads the JSON copy `build.rs` makes; it must give the TOML's taxonomy (the
    /// fingerprint, hashed from the TOML either way, is in the Debug form too).
    #[test]
    fn the_builtin_json_copy_is_the_toml_taxonomy() {
        let from_toml = Taxonomy::from_toml(BUILTIN).unwrap();
        let builtin = Taxonomy::builtin();
        assert!(builtin.concepts.len() > 20);
        assert_eq!(format!("{from_toml:?}"), format!("{builtin:?}"));
        // And the phrase sets tagging folds from them.
        assert_eq!(
            format!("{:?}", from_toml.tagging()),
            format!("{:?}", builtin.tagging())
        );
    }

    /// An invented English provision of a national law.
    fn national_en<'a>(heading: &'a str, text: &'a str) -> View<'a> {
        View {
            heading,
            text,
            language: "en",
            kind: "national-law",
            ..Default::default()
        }
    }

    /// The fold as first written (lower case, NFD, marks dropped, apostrophes, collapse).
    fn fold_reference(s: &str) -> String {
        use unicode_normalization::UnicodeNormalization;
        let stripped: String = s
            .to_lowercase()
            .nfd()
            .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
            .collect();
        crate::extract::collapse_ws(&stripped.replace(['’', '\''], "'"))
    }

    #[test]
    fn the_one_pass_fold_equals_the_reference() {
        for s in [
            "",
            "  Ausspähen   von\tDaten ",
            "Accès FRAUDULEUX l’Article d'un",
            "Неправомерный  доступ\n",
            "非法侵入计算机信息系统罪",
            "정당한 접근권한 없이",
            "الدخول غير المشروع",
            "İstanbul ǅ ﬁ Ångström façade naïve",
            "\u{a0}x\u{2003}y\u{3000}z ",
            "a\u{b}B\u{c}c\r\nD\u{1f}e\u{85}F",
        ] {
            assert_eq!(fold(s), fold_reference(s), "{s:?}");
        }
    }

    #[test]
    fn labels_and_terms_in_one_scan_equal_two_scans() {
        let t = Taxonomy::builtin();
        let tg = t.tagging();
        let n = t.concepts.len();
        // Texts made of the taxonomy's own phrases (so every pattern, and patterns shared by
        // both sets, are found), in runs of eight, with words between and around them.
        let phrases: Vec<&String> = tg
            .labels
            .patterns
            .iter()
            .chain(&tg.terms.patterns)
            .collect();
        let mut hays: Vec<String> = phrases
            .chunks(8)
            .map(|c| {
                c.iter()
                    .map(|p| format!("x {p}s {p}"))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect();
        hays.push(String::new());
        hays.push("nothing of the kind here".into());
        for hay in &hays {
            assert_eq!(
                tg.labels_and_terms(hay, n),
                (
                    tg.labels.first_matches(hay, n, ""),
                    tg.terms.first_matches(hay, n, "")
                ),
                "{hay}"
            );
        }
    }

    #[test]
    fn taxonomy_parses_and_ids_are_unique() {
        let t = Taxonomy::builtin();
        let mut ids: Vec<_> = t.concepts.iter().map(|c| c.id.as_str()).collect();
        ids.sort();
        let n = ids.len();
        ids.dedup();
        assert_eq!(ids.len(), n);
        assert!(t.get("illegal-access").is_some());
    }

    #[test]
    fn queries_and_headings_find_concepts() {
        let t = Taxonomy::builtin();
        let ids = |q: &str| {
            t.concepts_for_query(q)
                .iter()
                .map(|c| c.id.clone())
                .collect::<Vec<_>>()
        };
        assert!(ids("illegal access").contains(&"illegal-access".to_string()));
        assert!(ids("Illegal Access").contains(&"illegal-access".to_string()));
        let tags = t.tag(
            "Ausspähen von Daten",
            "Wer unbefugt erfundene Daten liest, wird bestraft.",
        );
        assert!(t
            .tag(
                "Policy",
                "this invented text mentions illegal access in passing"
            )
            .is_empty());
        assert!(
            tags.iter().any(|g| g.concept == "illegal-access"),
            "{tags:?}"
        );
        assert!(!contains_phrase("accessible", "access"));
        assert!(contains_phrase(
            "非法侵入计算机信息系统罪",
            "非法侵入计算机信息系统"
        ));
    }
    #[test]
    fn every_concept_of_the_issue_is_defined_with_convention_articles() {
        let t = Taxonomy::builtin();
        for id in [
            "illegal-access",
            "illegal-interception",
            "data-interference",
            "system-interference",
            "misuse-of-devices",
            "computer-forgery",
            "computer-fraud",
            "csam",
            "copyright",
            "attempt-aiding",
            "corporate-liability",
            "expedited-preservation",
            "production-order",
            "search-seizure",
            "traffic-data-collection",
            "content-interception",
            "jurisdiction",
            "extradition",
            "mutual-assistance",
            "network-24-7",
            "safeguards",
        ] {
            let c = t.get(id).unwrap_or_else(|| panic!("{id} missing"));
            assert!(c.articles.contains_key("coe"), "{id}: no Budapest article");
            assert!(c.labels.contains_key("en"), "{id}: no English label");
            for code in c.articles.keys() {
                assert!(
                    ["coe", "un", "las", "afu"].contains(&code.as_str()),
                    "{id}: {code}"
                );
            }
        }
        assert_eq!(t.get("illegal-access").unwrap().articles["coe"], vec!["2"]);
    }

    #[test]
    fn tagging_rules_on_invented_passages() {
        let t = Taxonomy::builtin();
        let ids = |h: &str, x: &str| {
            t.tag(h, x)
                .into_iter()
                .map(|g| g.concept)
                .collect::<Vec<_>>()
        };
        // A label in the heading tags, in any language, when the text does what the concept
        // is: an offence with a without-right or penalty element, a power with an authority.
        assert!(ids(
            "Computerbetrug",
            "Wer unbefugt Erfundenes tut, wird bestraft."
        )
        .contains(&"computer-fraud".into()));
        assert!(
            !ids("Computerbetrug", "Wer etwas Erfundenes tut.").contains(&"computer-fraud".into())
        );
        assert!(
            ids("", "Неправомерный доступ к данным наказывается штрафом.")
                .contains(&"illegal-access".into())
        );
        assert!(
            ids("Production order", "A judge may make an invented order.")
                .contains(&"production-order".into())
        );
        assert!(!ids("Production order", "An invented order.").contains(&"production-order".into()));
        // A convention need not restate the elements.
        let treaty = t.assess(&View {
            heading: "Illegal access",
            text: "Each Party shall adopt invented measures.",
            kind: "convention",
            ..Default::default()
        });
        assert!(treaty
            .iter()
            .any(|a| a.concept == "illegal-access" && a.score >= points::THRESHOLD));
        // A key term in the text tags; a label in the text does not.
        assert!(ids(
            "",
            "Whoever accesses a computer without authorization shall be fined."
        )
        .contains(&"illegal-access".into()));
        assert!(ids(
            "Policy",
            "Reports on extradition and search and seizure are due yearly."
        )
        .is_empty());
        // The rule says which label or term fired.
        let tags = t.tag(
            "Unauthorised access",
            "An invented person using a computer is liable to a fine.",
        );
        let g = tags.iter().find(|g| g.concept == "illegal-access").unwrap();
        assert_eq!(g.rule, "heading has label \"unauthorised access\"");
        // Lay aliases name the concept in queries, in any order of words around them.
        let named = |q: &str, id: &str| t.concepts_for_query(q).iter().any(|c| c.id == id);
        assert!(named("botnet", "misuse-of-devices"));
        assert!(named("DDoS", "system-interference"));
        assert!(named("phishing", "computer-fraud"));
        assert!(named("ransomware", "data-interference"));
        assert!(named(
            "compelled disclosure of encryption keys",
            "compelled-assistance"
        ));
        assert!(named("robo de dinero por internet", "computer-fraud"));
        assert!(!named("internet", "computer-fraud"));
        // …but never tag a passage.
        assert!(
            !ids("Botnet", "A botnet is liable to a fine.").contains(&"misuse-of-devices".into())
        );
        // Words inside longer words do not match.
        assert!(ids("Extraditionsbehörde", "").is_empty());
        // CJK terms match inside running text.
        assert!(ids("", "某人非法侵入计算机信息系统的行为").contains(&"illegal-access".into()));
        // Queries in any language name the concept.
        for q in [
            "Ausspähen von Daten",
            "accès frauduleux",
            "不正アクセス",
            "computervredebreuk",
        ] {
            assert!(
                t.concepts_for_query(q)
                    .iter()
                    .any(|c| c.id == "illegal-access"),
                "{q}"
            );
        }
        assert!(t
            .concepts_for_query("mutual legal assistance")
            .iter()
            .any(|c| c.id == "mutual-assistance"));
    }

    fn score_of(t: &Taxonomy, v: &View, concept: &str) -> f32 {
        t.assess(v)
            .into_iter()
            .find(|a| a.concept == concept)
            .map_or(0.0, |a| a.score)
    }

    // Invented passages throughout.
    #[test]
    fn a_definitions_heading_opens_with_the_marker_of_its_language() {
        let t = Taxonomy::builtin();
        assert!(t.is_definitions_heading("Interpretation", "en"));
        assert!(t.is_definitions_heading("Tafsiran", "ms"));
        assert!(t.is_definitions_heading("定義", "ja"));
        // At the start only: a Korean heading with 정의 inside it is no definitions section.
        assert!(!t.is_definitions_heading("조정의 효력", "ko"));
        assert!(!t.is_definitions_heading("Offences: definition of terms", "en"));
        // Another language's marker counts only where the language has none of its own.
        assert!(!t.is_definitions_heading("Tafsiran", "en"));
        assert!(t.is_definitions_heading("Definitions", "xx"));
    }

    #[test]
    fn markers_count_in_their_own_language_only() {
        let t = Taxonomy::builtin();
        // Dutch "gericht" (aimed) is the German "Gericht" (court): no authority in Dutch.
        let v = |language| View {
            heading: "Spoedbewaring",
            text: "De maatregel is gericht op verzonnen gegevens.",
            language,
            ..Default::default()
        };
        let nl = score_of(&t, &v("nl"), "expedited-preservation");
        let any = score_of(&t, &v(""), "expedited-preservation");
        assert!(nl < any, "{nl} vs {any}");
        assert!(nl < points::THRESHOLD);
    }

    #[test]
    fn heading_words_of_a_label_and_plurals() {
        let t = Taxonomy::builtin();
        let a = t.assess(&View {
            heading: "Unlawful interference with stored data or a computer system",
            text: "A person who unlawfully hinders an invented computer commits an offence.",
            language: "en",
            ..Default::default()
        });
        let s = a
            .iter()
            .find(|x| x.concept == "system-interference")
            .unwrap();
        assert!(
            s.rules[0]
                .what
                .starts_with("heading has the words of label"),
            "{s:?}"
        );
        assert!(words_within(&words_of("a b c d"), &words_of("a d"), 2));
        assert!(!words_within(&words_of("a b c d e"), &words_of("a e"), 2));
        // A label matches its plural, not a longer word.
        assert!(t
            .tag("Extraditable offences", "")
            .iter()
            .any(|g| g.concept == "extradition"));
        assert!(t.tag("Extraditableness", "").is_empty());
    }

    #[test]
    fn convention_articles_cited_by_a_national_law() {
        let t = Taxonomy::builtin();
        let m = &t.tagging().markers["convention"];
        let cited = |s: &str| cited_articles(&fold(s), m);
        assert_eq!(
            cited("ai sensi degli articoli 24, paragrafo 7, e 27, paragrafo 2, della Convenzione"),
            ["24", "27"].map(String::from).into()
        );
        assert_eq!(
            cited("under Article 29(3) of the Convention"),
            ["29"].map(String::from).into()
        );
        assert_eq!(
            cited("il punto di contatto di cui all'articolo 35 della Convenzione"),
            ["35"].map(String::from).into()
        );
        assert!(cited("section 35 of this Act").is_empty());
        // Only strengthens wording the passage has.
        let v = View {
            text: "Il punto di contatto di cui all'articolo 35 della Convenzione e' un ufficio.",
            kind: "national-law",
            language: "it",
            ..Default::default()
        };
        let a = t.assess(&v);
        let n = a.iter().find(|x| x.concept == "network-24-7").unwrap();
        assert!(n
            .rules
            .iter()
            .any(|r| r.what == "text cites Convention art. 35"));
        assert!(a.iter().all(|x| x.concept != "computer-fraud"));
    }

    #[test]
    fn short_korean_words_start_a_word() {
        let t = Taxonomy::builtin();
        // "사기" (fraud) inside "심사기관" (an examining body) is no fraud.
        let a = t.assess(&View {
            heading: "심사기관의 지정",
            text: "부정한 방법으로 지정을 받은 경우",
            language: "ko",
            ..Default::default()
        });
        assert!(a.iter().all(|x| x.concept != "computer-fraud"), "{a:?}");
        let a = t.assess(&View {
            heading: "사기 행위",
            text: "부정한 방법으로 재산상 이익을 얻은 자는 징역에 처한다",
            language: "ko",
            ..Default::default()
        });
        assert!(a.iter().any(|x| x.concept == "computer-fraud"));
    }

    #[test]
    fn what_the_provision_does_weighs_its_wording() {
        let t = Taxonomy::builtin();
        let en = national_en;
        // An aggravated form weighs less than the general offence.
        let text =
            "A person who intentionally accesses a computer without authority commits an offence.";
        let plain = score_of(&t, &en("Unauthorised access", text), "illegal-access");
        let aggr = score_of(
            &t,
            &en("Aggravated unauthorised access", text),
            "illegal-access",
        );
        assert!(aggr < plain, "{aggr} vs {plain}");
        // A computer offence needs a computer or data object.
        let obstruct =
            "A person who obstructs an inspector commits an offence and is liable to a fine.";
        assert!(
            score_of(
                &t,
                &en("Obstruction of inspectors", obstruct),
                "system-interference"
            ) < points::THRESHOLD
        );
        let hinder =
            "A person who obstructs a computer system without authority commits an offence.";
        assert!(
            score_of(
                &t,
                &en("Obstruction of use of computer", hinder),
                "system-interference"
            ) >= points::THRESHOLD
        );
        // A heading naming the concept as an occasion.
        let x = score_of(
            &t,
            &en(
                "Discontinuance in case of extradition",
                "The prosecutor may drop the invented charge.",
            ),
            "extradition",
        );
        assert!(x < points::THRESHOLD, "{x}");
        // Only a text label of an offence under a heading naming a power: its catalogue.
        let w = en(
            "Interception warrant",
            "A judge may authorise interception for child pornography offences punishable by imprisonment.",
        );
        assert!(score_of(&t, &w, "csam") < points::THRESHOLD);
        // Jurisdiction needs a territorial element.
        let venue = score_of(
            &t,
            &en(
                "Jurisdiction",
                "A magistrate may try the invented offences.",
            ),
            "jurisdiction",
        );
        let territory = score_of(
            &t,
            &en(
                "Jurisdiction",
                "This Act applies to an offence committed outside the country by a citizen.",
            ),
            "jurisdiction",
        );
        assert!(venue < points::THRESHOLD && territory >= points::THRESHOLD);
        // A power in a part on international cooperation is exercised on a foreign request.
        let p = ["Part 5 — Mutual legal assistance".to_string()];
        let coop = View {
            path: &p,
            ..en(
                "Preservation order",
                "A judge may order an invented provider to preserve data.",
            )
        };
        let domestic = en(
            "Preservation order",
            "A judge may order an invented provider to preserve data.",
        );
        assert!(
            score_of(&t, &coop, "expedited-preservation")
                < score_of(&t, &domestic, "expedited-preservation")
        );
        // Italian accents written as apostrophes.
        assert_eq!(
            accents_of(fold("L'autorita' centrale e' il Ministro"), "it"),
            "l'autorita centrale e il ministro"
        );
    }

    // Invented passages throughout.
    #[test]
    fn required_elements_and_proximity() {
        let t = Taxonomy::builtin();
        let en = national_en;
        // Pornography of adults is no child sexual abuse material: the child element is missing.
        let adults = "A person who distributes pornographic images of an adult without consent \
                      commits an offence and is liable to imprisonment.";
        let kids = "A person who distributes pornographic images of a child commits an offence \
                    and is liable to imprisonment.";
        let a = score_of(&t, &en("Distribution of pornography", adults), "csam");
        let k = score_of(&t, &en("Distribution of pornography", kids), "csam");
        assert!(a < points::THRESHOLD && k >= points::THRESHOLD, "{a} {k}");
        // An offence named only by the act in its heading: the act must be near the object.
        let far = "A person who hinders an officer carrying out a search under this Act commits \
                   an offence and is liable to a fine; in this Act a computer includes any \
                   electronic device that processes information of every sort.";
        let near = "A person who without authority hinders the operation of a computer commits \
                    an offence and is liable to a fine.";
        let f = score_of(&t, &en("Hindering", far), "system-interference");
        let n = score_of(&t, &en("Hindering", near), "system-interference");
        assert!(f < n, "{f} {n}");
        assert!(f < points::THRESHOLD, "{f}");
    }

    #[test]
    fn general_scope_prefers_the_general_rule_and_never_makes_a_match() {
        let t = Taxonomy::builtin();
        let v = |language, heading, text| View {
            heading,
            text,
            language,
            kind: "national-law",
            ..Default::default()
        };
        let rules = |v: &View, concept: &str| -> Vec<String> {
            t.assess(v)
                .into_iter()
                .find(|a| a.concept == concept)
                .map(|a| a.rules.into_iter().map(|r| r.what).collect())
                .unwrap_or_default()
        };
        // One offence's attempt clause against the rule for every offence of the Act.
        let one = "A person who attempts to set fire to a haystack of a neighbour is liable to \
                   imprisonment for two years.";
        let every = "A person who attempts to commit any offence under this Act is liable to \
                     the penalty of that offence.";
        let o = score_of(&t, &v("en", "Attempt defined", one), "attempt-aiding");
        let e = score_of(&t, &v("en", "Attempt defined", every), "attempt-aiding");
        assert!(o >= points::THRESHOLD && e > o, "{o} {e}");
        let why = rules(&v("en", "Attempt defined", every), "attempt-aiding");
        assert!(
            why.iter().any(|w| w.starts_with("general scope")),
            "{why:?}"
        );
        // The same in German, and for corporate liability.
        let de = "Wer zu einer Straftat eines anderen Hilfe leistet, wird mit Freiheitsstrafe \
                  bestraft.";
        let why = rules(&v("de", "Beihilfe", de), "attempt-aiding");
        assert!(
            why.iter().any(|w| w.starts_with("general scope")),
            "{why:?}"
        );
        let corp = "Where an offence under this Act is committed by a body corporate, the body \
                    corporate is liable to a fine.";
        let why = rules(
            &v("en", "Offences by bodies corporate", corp),
            "corporate-liability",
        );
        assert!(
            why.iter().any(|w| w.starts_with("general scope")),
            "{why:?}"
        );
        // A label mentioned in a rule on something else: its scope makes no match and no rule.
        let bail = "All offences under this Act and the abetment thereof are bailable.";
        let why = rules(&v("en", "Bail", bail), "attempt-aiding");
        assert!(
            !why.iter().any(|w| w.starts_with("general scope")),
            "{why:?}"
        );
        assert!(score_of(&t, &v("en", "Bail", bail), "attempt-aiding") < points::THRESHOLD);
    }

    #[test]
    fn a_codes_general_part_beats_one_offences_clause_in_its_special_part() {
        let t = Taxonomy::builtin();
        // A code: a big general part, a special part; a law: a small chapter of general
        // provisions, which is no code's general part.
        let code = std::iter::repeat_n("Allgemeiner Teil", points::CODE_GENERAL_PART_MIN)
            .chain(std::iter::repeat_n("Besonderer Teil", 50));
        assert_eq!(t.code_general_part(code, "de"), Some("Allgemeiner Teil"));
        let law = std::iter::repeat_n("Chapter 1 General provisions", 5)
            .chain(std::iter::repeat_n("Chapter 2 Offences", 50));
        assert_eq!(t.code_general_part(law, "en"), None);
        let text = "Wer zu einem Diebstahl von Fahrrädern anstiftet, wird mit Geldstrafe bestraft.";
        let path = ["Besonderer Teil".to_string()];
        let special = View {
            heading: "Anstiftung zum Fahrraddiebstahl",
            text,
            path: &path,
            language: "de",
            kind: "national-law",
            outside_general_part: "Allgemeiner Teil",
            ..Default::default()
        };
        let plain = View {
            outside_general_part: "",
            ..special
        };
        let s = score_of(&t, &special, "attempt-aiding");
        let p = score_of(&t, &plain, "attempt-aiding");
        assert!(s < p, "{s} {p}");
        let why: Vec<String> = t
            .assess(&special)
            .into_iter()
            .find(|a| a.concept == "attempt-aiding")
            .map(|a| a.rules.into_iter().map(|r| r.what).collect())
            .unwrap_or_default();
        assert!(why
            .iter()
            .any(|w| w.starts_with("outside the code's general part")));
    }

    #[test]
    fn evidence_from_outside_makes_a_candidate_weighed_by_elements() {
        let t = Taxonomy::builtin();
        let i = t
            .concepts
            .iter()
            .position(|c| c.id == "illegal-interception")
            .unwrap();
        let e = |points| {
            vec![Evidence {
                concept: i,
                what: format!("{WORDS_RULE} \"intercept\" (rank 1 in the jurisdiction)"),
                points,
                act: true,
            }]
        };
        let extra = e(points::WORDS_RANK[0]);
        let text =
            "A person who without authority intercepts a transmission of data to a computer \
                    commits an offence and is liable to imprisonment.";
        let v = View {
            heading: "Amendments to section 12",
            text,
            language: "en",
            kind: "national-law",
            extra: &extra,
            ..Default::default()
        };
        let a = t
            .assess(&v)
            .into_iter()
            .find(|a| a.concept == "illegal-interception")
            .unwrap();
        assert!(a.rules[0].what.starts_with(WORDS_RULE), "{a:?}");
        assert!(a.score >= points::THRESHOLD, "{}", a.explain());
        assert!(a.explain().contains("one clause"), "{}", a.explain());
        // The same words, no element: mentioned, not created.
        let v = View {
            text: "Reports on interception are laid before the house every year.",
            ..v
        };
        assert!(score_of(&t, &v, "illegal-interception") < points::THRESHOLD);
        // Without the evidence, the amending provision names nothing the taxonomy knows.
        let v = View {
            text,
            extra: &[],
            ..v
        };
        assert!(t.assess(&v).iter().all(
            |a| a.concept != "illegal-interception" || !a.rules[0].what.starts_with(WORDS_RULE)
        ));
    }
}
