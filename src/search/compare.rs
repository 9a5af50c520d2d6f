//! `compare` and `matrix`: one provision per jurisdiction, and jurisdictions × concepts.
//!
//! Comparison across languages goes through the crosswalk taxonomy, not translation: a query
//! that names a concept (in any language), a `--concept`, or a convention article (`coe:2`,
//! whose concepts the taxonomy's `articles` name) selects concepts; in every jurisdiction the
//! passages tagged with them compete with the passages matching the words of the query. The
//! rule that tagged a passage is recomputed at query time ([`Taxonomy::tag`] on the stored
//! heading and text), so every cell and row can be explained and reproduced.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::Serialize;
use tantivy::Term;

use super::{Engine, Hit, SearchError, SearchRequest, CONCEPT_SCORE};
use crate::corpus::taxonomy::{Tag, Taxonomy};
use crate::corpus::Jurisdictions;
use crate::index::analyzers;

/// Kinds that count as provisions (law a lawyer cites); `--all-kinds` adds commentary.
pub const PROVISION_KINDS: &[&str] = &["convention", "protocol", "national-law", "regulation"];
/// Every kind, for `--all-kinds`.
pub const ALL_KINDS: &[&str] = &[
    "convention",
    "protocol",
    "national-law",
    "regulation",
    "analysis",
    "ngo-statement",
];
/// Bonus of a passage whose heading carries a label of a wanted concept (it is the provision
/// defining it, not one that mentions it).
pub const HEADING_RULE_BONUS: f32 = 5.0;
/// Bonus of a passage whose text has a key term of a wanted concept.
pub const TEXT_RULE_BONUS: f32 = 2.0;
/// Distinctive terms taken from an article for `--article`.
pub const MLT_TERMS: usize = 10;

/// The conventions `--article CODE:N` knows: code → document ids, preferred first.
pub const CONVENTIONS: &[(&str, &[&str])] = &[
    ("coe", &["coe-budapest-convention-2001"]),
    (
        "un",
        &[
            "un-cybercrime-convention-2024",
            "un-cybercrime-convention-2024-ar",
        ],
    ),
    ("las", &["las-arab-convention-it-offences-2010"]),
    ("afu", &["afu-malabo-convention-2014"]),
];

/// What to compare.
#[derive(Debug, Clone, Default)]
pub struct CompareRequest {
    /// The query (ignored when `article` is given).
    pub query: String,
    /// A convention article, `coe:2`, `las:6`, `afu:29`, `un:7`.
    pub article: Option<String>,
    /// Only these jurisdictions (resolved codes); all of the index when empty.
    pub jurisdictions: Vec<String>,
    /// Concepts to compare on, besides those the query names.
    pub concepts: Vec<String>,
    /// Include analyses and statements.
    pub all_kinds: bool,
}

/// One jurisdiction's best provision (or none). Field names are a contract.
#[derive(Debug, Clone, Serialize)]
pub struct CompareRow {
    pub jurisdiction: String,
    pub jurisdiction_name: Option<String>,
    pub matched: bool,
    pub doc_id: Option<String>,
    pub passage_id: Option<String>,
    pub citation: Option<String>,
    pub heading: Option<String>,
    pub language: Option<String>,
    pub snippet: Option<String>,
    pub score: Option<f32>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    /// Wanted concepts the passage carries.
    pub concepts: Vec<String>,
    /// Why this passage: tag rules and the search's own explanation.
    pub why: Option<String>,
}

/// Rows of a comparison, with what was searched.
#[derive(Debug, Clone, Serialize)]
pub struct CompareResponse {
    pub query: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub article: Option<String>,
    /// The article's passage id, for `--article`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_passage: Option<String>,
    /// Concepts compared on (from the query, `--concept` or the article).
    pub concepts: Vec<String>,
    /// Distinctive terms taken from the article (for `--article`).
    pub terms: Vec<String>,
    pub rows: Vec<CompareRow>,
}

/// One cell of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixCell {
    pub concept: String,
    pub passage_id: String,
    pub citation: String,
    pub heading: String,
    /// The tag rule that put the passage in this cell.
    pub rule: String,
}

/// One jurisdiction's row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub jurisdiction: String,
    pub jurisdiction_name: Option<String>,
    /// Concept id → best cell (absent: nothing tagged).
    pub cells: BTreeMap<String, MatrixCell>,
}

/// Jurisdictions × concepts.
#[derive(Debug, Clone, Serialize)]
pub struct Matrix {
    pub concepts: Vec<String>,
    pub rows: Vec<MatrixRow>,
}

#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error("`{0}` is not an article reference; use CODE:N with CODE one of coe (Budapest), un (UN 2024), las (Arab), afu (Malabo), e.g. coe:2")]
    BadArticle(String),
    #[error("article `{0}` is not in the index (its convention may be unavailable offline, or has no such article)")]
    UnknownArticle(String),
    #[error("unknown concept `{0}`; `cyberlex matrix` lists the concepts")]
    UnknownConcept(String),
    #[error("nothing to compare: give a query, --article or --concept")]
    Empty,
}

/// Parse `coe:2` / `coe 2` / `COE:Art. 2` into (`coe`, `2`).
pub fn parse_article(s: &str) -> Option<(String, String)> {
    let (code, num) = s.split_once([':', ' '])?;
    let code = code.trim().to_lowercase();
    let num = num
        .trim()
        .trim_start_matches(|c: char| !c.is_ascii_digit())
        .trim()
        .to_lowercase();
    (CONVENTIONS.iter().any(|(c, _)| *c == code) && !num.is_empty()).then_some((code, num))
}

/// Concepts whose `articles` name `code:num`.
pub fn concepts_of_article<'t>(t: &'t Taxonomy, code: &str, num: &str) -> Vec<&'t str> {
    t.concepts
        .iter()
        .filter(|c| {
            c.articles
                .get(code)
                .is_some_and(|v| v.iter().any(|a| a.eq_ignore_ascii_case(num)))
        })
        .map(|c| c.id.as_str())
        .collect()
}

/// The tag rules of `concepts` that fire on a passage (recomputed, not read from the index).
pub fn rules_for(t: &Taxonomy, heading: &str, text: &str, concepts: &[String]) -> Vec<Tag> {
    t.tag(heading, text)
        .into_iter()
        .filter(|g| concepts.contains(&g.concept))
        .collect()
}

fn rule_bonus(tags: &[Tag]) -> f32 {
    let mut b = 0.0;
    if tags.iter().any(|g| g.rule.starts_with("heading")) {
        b += HEADING_RULE_BONUS;
    }
    if tags.iter().any(|g| g.rule.starts_with("text")) {
        b += TEXT_RULE_BONUS;
    }
    b
}

/// Weight of definitions and preambles against operative provisions.
pub const ANCILLARY: f32 = 0.6;

/// A definition (`s. 97 (“unauthorised access”)`, `Definition of …`) or a preamble.
pub fn is_ancillary(citation: &str, heading: &str) -> bool {
    let c = citation.to_lowercase();
    let h = heading.to_lowercase();
    c.starts_with("preamble")
        || c.contains('“')
        || c.contains("(\"")
        || h.starts_with("definition")
        || h.starts_with("interpretation")
        || h.starts_with("meaning of")
}

fn kinds(all: bool) -> Vec<String> {
    let k = if all { ALL_KINDS } else { PROVISION_KINDS };
    k.iter().map(|s| s.to_string()).collect()
}

/// A query matching every passage of the given kinds (the filters do the selecting).
fn every_passage(kinds: &[String]) -> String {
    kinds
        .iter()
        .map(|k| format!("kind:{k}"))
        .collect::<Vec<_>>()
        .join(" OR ")
}

impl Engine {
    /// Jurisdiction codes present in the index (from the term dictionary of `jurisdiction`).
    pub fn jurisdictions(&self) -> Result<Vec<String>, SearchError> {
        let mut out = BTreeSet::new();
        for seg in self.searcher.segment_readers() {
            let inv = seg.inverted_index(self.fields().jurisdiction)?;
            let mut s = inv.terms().stream().map_err(tantivy::TantivyError::from)?;
            while s.advance() {
                out.insert(String::from_utf8_lossy(s.key()).to_string());
            }
        }
        Ok(out.into_iter().collect())
    }

    /// Jurisdictions that have at least one passage of these kinds.
    fn jurisdictions_with(&mut self, kinds: &[String]) -> Result<Vec<String>, SearchError> {
        let mut out = Vec::new();
        for j in self.jurisdictions()? {
            let req = SearchRequest {
                query: every_passage(kinds),
                limit: 1,
                jurisdictions: vec![j.clone()],
                kinds: kinds.to_vec(),
                ..Default::default()
            };
            if !self.search(&req)?.hits.is_empty() {
                out.push(j);
            }
        }
        Ok(out)
    }

    /// The most distinctive words of a text (tf × idf over the index's `text` field), rarest
    /// first among equals; words in more than a fifth of the passages are left out.
    pub fn distinctive_terms(&mut self, text: &str, n: usize) -> Vec<String> {
        let words = analyzers::analyze(&mut self.base, text);
        let mut tf: HashMap<String, usize> = HashMap::new();
        for w in words {
            let cjk = w.chars().any(analyzers::is_cjk);
            if (cjk || w.chars().count() >= 3) && !w.chars().all(|c| c.is_ascii_digit()) {
                *tf.entry(w).or_default() += 1;
            }
        }
        let total = self.searcher.num_docs().max(1) as f32;
        let field = self.fields().text;
        let mut scored: Vec<(f32, String)> = tf
            .into_iter()
            .filter_map(|(w, f)| {
                let df = self
                    .searcher
                    .doc_freq(&Term::from_field_text(field, &w))
                    .unwrap_or(0) as f32;
                if df == 0.0 || df / total > 0.2 {
                    return None;
                }
                let idf = (total / df).ln();
                Some(((1.0 + (f as f32).ln()) * idf, w))
            })
            .collect();
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
        scored.into_iter().take(n).map(|(_, w)| w).collect()
    }

    /// One row per jurisdiction: its best provision for the query, article or concepts.
    pub fn compare(&mut self, req: &CompareRequest) -> Result<CompareResponse, CompareError> {
        let taxonomy = self.taxonomy.clone();
        for c in &req.concepts {
            if taxonomy.get(c).is_none() {
                return Err(CompareError::UnknownConcept(c.clone()));
            }
        }
        let kinds = kinds(req.all_kinds);
        let mut concepts: Vec<String> = req.concepts.clone();
        let mut terms = Vec::new();
        let mut exclude = None;
        let mut source_passage = None;
        let query = match &req.article {
            Some(a) => {
                let (code, num) =
                    parse_article(a).ok_or_else(|| CompareError::BadArticle(a.clone()))?;
                let docs = CONVENTIONS
                    .iter()
                    .find(|(c, _)| *c == code)
                    .map(|(_, d)| *d)
                    .unwrap_or(&[]);
                let p = docs
                    .iter()
                    .find_map(|d| self.passage(&format!("{d}/{num}")).ok())
                    .ok_or_else(|| CompareError::UnknownArticle(a.clone()))?;
                for c in concepts_of_article(&taxonomy, &code, &num) {
                    if !concepts.iter().any(|x| x == c) {
                        concepts.push(c.to_string());
                    }
                }
                // Words every article of the convention uses ("Party", "measures") say
                // nothing about this one: leave out those in a quarter of its passages.
                let siblings = self.document(&p.doc_id)?;
                let mut in_doc: HashMap<String, usize> = HashMap::new();
                for s in &siblings {
                    let words: BTreeSet<String> = analyzers::analyze(&mut self.base, &s.text)
                        .into_iter()
                        .collect();
                    for w in words {
                        *in_doc.entry(w).or_default() += 1;
                    }
                }
                let common = (siblings.len() / 4).max(2);
                terms = self
                    .distinctive_terms(&format!("{} {}", p.heading, p.text), MLT_TERMS * 3)
                    .into_iter()
                    .filter(|w| in_doc.get(w).copied().unwrap_or(0) <= common)
                    .take(MLT_TERMS)
                    .collect();
                exclude = Some(p.jurisdiction.clone());
                source_passage = Some(p.passage_id.clone());
                terms.join(" OR ")
            }
            None => {
                for c in taxonomy.concepts_for_query(&req.query) {
                    if !concepts.contains(&c.id) {
                        concepts.push(c.id.clone());
                    }
                }
                req.query.clone()
            }
        };
        if query.trim().is_empty() && concepts.is_empty() {
            return Err(CompareError::Empty);
        }
        let mut jurisdictions = if req.jurisdictions.is_empty() {
            self.jurisdictions_with(&kinds)?
        } else {
            req.jurisdictions.clone()
        };
        if let Some(x) = &exclude {
            jurisdictions.retain(|j| j != x);
        }
        let table = Jurisdictions::builtin();
        let mut rows = Vec::new();
        for j in jurisdictions {
            let best = self.best_in(&j, &query, &concepts, &kinds, &taxonomy)?;
            let name = table.name(&j).map(str::to_string);
            let unmatched = |why: Option<String>| CompareRow {
                jurisdiction: j.clone(),
                jurisdiction_name: name.clone(),
                matched: false,
                doc_id: None,
                passage_id: None,
                citation: None,
                heading: None,
                language: None,
                snippet: None,
                score: None,
                kind: None,
                title: None,
                url: None,
                concepts: Vec::new(),
                why,
            };
            rows.push(match best {
                Some((score, hit, why)) => {
                    let carried: Vec<String> = concepts
                        .iter()
                        .filter(|c| {
                            taxonomy
                                .tag(&hit.heading, &hit.text)
                                .iter()
                                .any(|g| g.concept == **c)
                        })
                        .cloned()
                        .collect();
                    if !concepts.is_empty() && carried.is_empty() {
                        // Words in common are not a provision on the concept: say so, and
                        // name the nearest passage so the gap can be checked.
                        rows.push(unmatched(Some(format!(
                            "no provision tagged {}; nearest by words: {} ({})",
                            concepts.join(", "),
                            hit.citation,
                            hit.passage_id
                        ))));
                        continue;
                    }
                    CompareRow {
                        jurisdiction: j,
                        jurisdiction_name: name,
                        matched: true,
                        doc_id: Some(hit.doc_id),
                        passage_id: Some(hit.passage_id),
                        citation: Some(hit.citation),
                        heading: Some(hit.heading),
                        language: Some(hit.language),
                        snippet: Some(hit.snippet),
                        score: Some(score),
                        kind: Some(hit.kind),
                        title: Some(hit.title),
                        url: Some(hit.url),
                        concepts: carried,
                        why: Some(why),
                    }
                }
                None => unmatched(None),
            });
        }
        Ok(CompareResponse {
            query: if req.article.is_some() {
                query
            } else {
                req.query.clone()
            },
            article: req.article.clone(),
            source_passage,
            concepts,
            terms,
            rows,
        })
    }

    /// The best passage of one jurisdiction: the words of the query (BM25, with the search's
    /// own concept expansion), and the passages tagged with a wanted concept; a passage whose
    /// heading names the concept, or whose text has its key term, earns a bonus.
    fn best_in(
        &mut self,
        jurisdiction: &str,
        query: &str,
        concepts: &[String],
        kinds: &[String],
        taxonomy: &Taxonomy,
    ) -> Result<Option<(f32, Hit, String)>, SearchError> {
        let mut cands: Vec<(f32, Hit, String)> = Vec::new();
        if !query.trim().is_empty() {
            let req = SearchRequest {
                query: query.to_string(),
                limit: 20,
                jurisdictions: vec![jurisdiction.to_string()],
                kinds: kinds.to_vec(),
                explain: true,
                snippet_chars: 200,
                ..Default::default()
            };
            for h in self.search(&req)?.hits {
                let why = format!("query: {}", h.explanation.clone().unwrap_or_default());
                cands.push((h.score, h, why));
            }
        }
        if !concepts.is_empty() {
            let req = SearchRequest {
                query: every_passage(kinds),
                limit: 50,
                jurisdictions: vec![jurisdiction.to_string()],
                kinds: kinds.to_vec(),
                concepts: concepts.to_vec(),
                snippet_chars: 200,
                ..Default::default()
            };
            for h in self.search(&req)?.hits {
                if !cands.iter().any(|c| c.1.passage_id == h.passage_id) {
                    cands.push((CONCEPT_SCORE, h, format!("tagged → {CONCEPT_SCORE}")));
                }
            }
        }
        let mut best: Option<(f32, Hit, String)> = None;
        for (score, hit, mut why) in cands {
            let tags = rules_for(taxonomy, &hit.heading, &hit.text, concepts);
            let bonus = rule_bonus(&tags);
            let mut s = score + bonus;
            if is_ancillary(&hit.citation, &hit.heading) {
                // A definition or a preamble names the offence; the provision creates it.
                s *= ANCILLARY;
                why.push_str(&format!("; definition or preamble → ×{ANCILLARY}"));
            }
            for g in &tags {
                why = format!("{}: {}; {why}", g.concept, g.rule);
            }
            if bonus > 0.0 {
                why.push_str(&format!("; rule bonus +{bonus}"));
            }
            if best.as_ref().is_none_or(|b| s > b.0) {
                best = Some((s, hit, why));
            }
        }
        Ok(best)
    }

    /// Jurisdictions × concepts: per cell, the passage tagged with the concept whose rule is
    /// strongest (heading label before text key term), national provisions before commentary.
    pub fn matrix(
        &mut self,
        jurisdictions: &[String],
        concepts: &[String],
        all_kinds: bool,
    ) -> Result<Matrix, CompareError> {
        let taxonomy = self.taxonomy.clone();
        let concepts: Vec<String> = if concepts.is_empty() {
            taxonomy.concepts.iter().map(|c| c.id.clone()).collect()
        } else {
            for c in concepts {
                if taxonomy.get(c).is_none() {
                    return Err(CompareError::UnknownConcept(c.clone()));
                }
            }
            concepts.to_vec()
        };
        let kinds = kinds(all_kinds);
        let jurisdictions = if jurisdictions.is_empty() {
            self.jurisdictions_with(&kinds)?
        } else {
            jurisdictions.to_vec()
        };
        let table = Jurisdictions::builtin();
        let mut rows = Vec::new();
        for j in &jurisdictions {
            let mut cells = BTreeMap::new();
            for c in &concepts {
                let one = std::slice::from_ref(c);
                let req = SearchRequest {
                    query: every_passage(&kinds),
                    limit: 200,
                    jurisdictions: vec![j.clone()],
                    kinds: kinds.clone(),
                    concepts: one.to_vec(),
                    snippet_chars: 80,
                    ..Default::default()
                };
                let mut best: Option<(f32, Hit, Tag)> = None;
                for h in self.search(&req)?.hits {
                    let tags = rules_for(&taxonomy, &h.heading, &h.text, one);
                    let Some(tag) = tags.first().cloned() else {
                        continue;
                    };
                    let mut s = rule_bonus(&tags) + h.score * 0.01;
                    if is_ancillary(&h.citation, &h.heading) {
                        s *= ANCILLARY;
                    }
                    if best.as_ref().is_none_or(|b| s > b.0) {
                        best = Some((s, h, tag));
                    }
                }
                if let Some((_, h, tag)) = best {
                    cells.insert(
                        c.clone(),
                        MatrixCell {
                            concept: c.clone(),
                            passage_id: h.passage_id,
                            citation: h.citation,
                            heading: h.heading,
                            rule: tag.rule,
                        },
                    );
                }
            }
            rows.push(MatrixRow {
                jurisdiction: j.clone(),
                jurisdiction_name: table.name(j).map(str::to_string),
                cells,
            });
        }
        Ok(Matrix { concepts, rows })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn article_references_parse() {
        assert_eq!(parse_article("coe:2"), Some(("coe".into(), "2".into())));
        assert_eq!(
            parse_article("LAS:Art. 6"),
            Some(("las".into(), "6".into()))
        );
        assert_eq!(parse_article("afu 29"), Some(("afu".into(), "29".into())));
        assert_eq!(parse_article("xyz:2"), None);
        assert_eq!(parse_article("coe"), None);
    }

    #[test]
    fn articles_name_their_concepts() {
        let t = Taxonomy::builtin();
        assert_eq!(concepts_of_article(&t, "coe", "2"), vec!["illegal-access"]);
        assert!(concepts_of_article(&t, "las", "6").contains(&"illegal-access"));
        assert!(concepts_of_article(&t, "coe", "999").is_empty());
    }
}
