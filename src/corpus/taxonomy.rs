//! The crosswalk taxonomy (`corpus/taxonomy.toml`): the offences and procedural powers of the
//! conventions, the articles that define each in every convention, and labels and key terms in
//! the corpus languages. Passages are tagged with concepts at index time by explainable rules
//! (a label or key term in the heading, or key terms in the text), and queries that name a
//! concept in any language are expanded with it.

use std::collections::BTreeMap;

use serde::Deserialize;

const BUILTIN: &str = include_str!("../../corpus/taxonomy.toml");

/// The TOML of the built-in taxonomy (for fingerprints of what tags passages).
pub fn source() -> &'static str {
    BUILTIN
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
}

#[derive(Debug, Deserialize)]
struct File {
    concept: Vec<Concept>,
}

/// Why a passage carries a concept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tag {
    pub concept: String,
    /// The rule that fired, e.g. `heading has label "illegal access"`.
    pub rule: String,
}

#[derive(Debug, Clone)]
pub struct Taxonomy {
    pub concepts: Vec<Concept>,
    /// Folded labels of every concept (matched in headings).
    labels: PhraseSet,
    /// Folded key terms of every concept (matched in text).
    terms: PhraseSet,
}

/// Lower case, accents folded, whitespace collapsed: the form labels are compared in.
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let lower = s.to_lowercase();
    let stripped: String = lower
        .nfd()
        .filter(|c| !unicode_normalization::char::is_combining_mark(*c))
        .collect();
    crate::extract::collapse_ws(&stripped.replace(['’', '\''], "'"))
}

impl Taxonomy {
    pub fn builtin() -> Taxonomy {
        let f: File = toml::from_str(BUILTIN).expect("corpus/taxonomy.toml is checked by tests");
        let labels = PhraseSet::new(
            f.concept
                .iter()
                .map(|c| c.labels.values().flatten().map(|l| fold(l)).collect()),
        );
        let terms = PhraseSet::new(
            f.concept
                .iter()
                .map(|c| c.terms.values().flatten().map(|l| fold(l)).collect()),
        );
        Taxonomy {
            concepts: f.concept,
            labels,
            terms,
        }
    }

    pub fn get(&self, id: &str) -> Option<&Concept> {
        self.concepts.iter().find(|c| c.id == id)
    }

    /// Concepts the query names: a label in any language equals the query or is contained in it.
    pub fn concepts_for_query(&self, query: &str) -> Vec<&Concept> {
        let q = fold(query);
        self.concepts
            .iter()
            .filter(|c| {
                c.id == q.replace(' ', "-")
                    || c.labels
                        .values()
                        .flatten()
                        .any(|l| contains_phrase(&q, &fold(l)))
            })
            .collect()
    }

    /// Tag a passage: a label in its heading, or a key term in its text. (A label in the text
    /// is not enough: statements mention offences they are not about.)
    pub fn tag(&self, heading: &str, text: &str) -> Vec<Tag> {
        let h = fold(heading);
        let t = fold(text);
        // One pass of each automaton finds every label in the heading and every key term in the
        // text; per concept, the first label (or term) in the taxonomy's order is the rule shown.
        let labels = self.labels.first_matches(&h, self.concepts.len());
        let terms = self.terms.first_matches(&t, self.concepts.len());
        let mut out = Vec::new();
        for (i, c) in self.concepts.iter().enumerate() {
            let rule = match (labels[i], terms[i]) {
                (Some(p), _) => format!("heading has label \"{}\"", self.labels.patterns[p]),
                (None, Some(p)) => format!("text has \"{}\"", self.terms.patterns[p]),
                (None, None) => continue,
            };
            out.push(Tag {
                concept: c.id.clone(),
                rule,
            });
        }
        out
    }
}

/// Folded phrases of many concepts in one Aho-Corasick automaton.
#[derive(Debug, Clone)]
struct PhraseSet {
    ac: aho_corasick::AhoCorasick,
    patterns: Vec<String>,
    /// Pattern → concept index.
    owner: Vec<usize>,
}

impl PhraseSet {
    fn new(per_concept: impl Iterator<Item = Vec<String>>) -> PhraseSet {
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        for (i, list) in per_concept.enumerate() {
            for p in list.into_iter().filter(|p| !p.is_empty()) {
                patterns.push(p);
                owner.push(i);
            }
        }
        // A contiguous NFA builds in a fraction of a DFA's time: every process that opens an
        // index builds this automaton, and most use it on a handful of passages at most.
        let ac = aho_corasick::AhoCorasick::builder()
            .kind(Some(aho_corasick::AhoCorasickKind::ContiguousNFA))
            .build(&patterns)
            .expect("taxonomy phrases build an automaton");
        PhraseSet {
            ac,
            patterns,
            owner,
        }
    }

    /// Per concept, the smallest pattern index found in `hay` at word boundaries.
    fn first_matches(&self, hay: &str, concepts: usize) -> Vec<Option<usize>> {
        let mut best: Vec<Option<usize>> = vec![None; concepts];
        for m in self.ac.find_overlapping_iter(hay) {
            let p = m.pattern().as_usize();
            if at_word_boundaries(hay, m.start(), m.end(), &self.patterns[p]) {
                let slot = &mut best[self.owner[p]];
                if slot.is_none_or(|q| p < q) {
                    *slot = Some(p);
                }
            }
        }
        best
    }
}

fn at_word_boundaries(hay: &str, start: usize, end: usize, needle: &str) -> bool {
    if needle.chars().any(crate::index::analyzers::is_cjk) {
        return true;
    }
    hay[..start]
        .chars()
        .next_back()
        .is_none_or(|c| !c.is_alphanumeric())
        && hay[end..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric())
}

/// Does `hay` contain `needle` at word boundaries (or anywhere, for CJK needles)?
pub fn contains_phrase(hay: &str, needle: &str) -> bool {
    if needle.is_empty() {
        return false;
    }
    let cjk = needle.chars().any(crate::index::analyzers::is_cjk);
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
        let tags = t.tag("Ausspähen von Daten", "invented text");
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
        // A label in the heading tags, in any language.
        assert!(
            ids("Computerbetrug", "Wer etwas Erfundenes tut.").contains(&"computer-fraud".into())
        );
        assert!(ids("Неправомерный доступ к данным", "").contains(&"illegal-access".into()));
        assert!(ids("Production order", "An invented order.").contains(&"production-order".into()));
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
        let tags = t.tag("Unauthorised access", "invented");
        let g = tags.iter().find(|g| g.concept == "illegal-access").unwrap();
        assert_eq!(g.rule, "heading has label \"unauthorised access\"");
        // Words inside longer words do not match.
        assert!(ids("Extraditions office", "").is_empty());
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
}
