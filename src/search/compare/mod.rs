//! `compare` and `matrix`: one provision per jurisdiction, and jurisdictions × concepts.
//!
//! Comparison across languages goes through the crosswalk taxonomy, not translation: a query
//! that names a concept (by a label or a lay alias, in any language), a `--concept`, or a
//! convention article (`coe:2`, whose concepts the taxonomy's `articles` name) selects concepts.
//! Then one decision procedure ([`decide::choose`]) picks each jurisdiction's provision — the
//! same for `compare QUERY`, `compare --article` and every `matrix` cell — from every provision
//! of the jurisdiction, tagged or not, assessed afresh with [`Taxonomy::assess`], so every row
//! and cell names the rules that chose it. A query that names no concept is compared by words
//! (the search's own ranking, best passage per jurisdiction).

pub mod decide;
pub mod words;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde::Serialize;
use tantivy::collector::DocSetCollector;
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::{Engine, SearchError, SearchRequest};
use crate::corpus::taxonomy::Taxonomy;
use crate::corpus::Jurisdictions;
use crate::index::analyzers;
use crate::segment::Passage;
use decide::{assess_all, choose, Assessed, Decision};

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
/// Distinctive terms taken from an article for `--article`.
pub const MLT_TERMS: usize = 10;

/// Index generation, taxonomy fingerprint, jurisdiction, kinds.
type AssessKey = (std::path::PathBuf, u64, String, Vec<String>);

/// The assessed provisions of every jurisdiction asked for, per process: one generation of one
/// taxonomy at a time (a few megabytes of passages for the whole corpus).
static ASSESSED: std::sync::OnceLock<Mutex<HashMap<AssessKey, Arc<Vec<Assessed>>>>> =
    std::sync::OnceLock::new();

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
    /// Short title of the document (`StGB`, `StPO`, `18 U.S.C. Chapter 119`).
    pub document: Option<String>,
    pub passage_id: Option<String>,
    pub citation: Option<String>,
    pub heading: Option<String>,
    pub language: Option<String>,
    pub snippet: Option<String>,
    pub score: Option<f32>,
    pub kind: Option<String>,
    pub title: Option<String>,
    pub url: Option<String>,
    /// Wanted concepts the passage establishes.
    pub concepts: Vec<String>,
    /// Why this passage (the rules that fired), or why none.
    pub why: Option<String>,
    /// The next best candidates (`citation (passage id) score`), for checking the choice.
    pub runners_up: Vec<String>,
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
    pub doc_id: String,
    /// Short title of the document (`StGB`).
    pub document: String,
    pub passage_id: String,
    pub citation: String,
    pub heading: String,
    pub score: f32,
    /// The wording rule that put the passage in this cell (`heading has label "…"`).
    pub rule: String,
    /// Every rule that fired, with its points.
    pub why: String,
}

impl MatrixCell {
    /// `StGB § 202a`: the document's short title and the citation.
    pub fn label(&self) -> String {
        cite_with_document(&self.document, &self.citation)
    }
}

/// One jurisdiction's row of the matrix.
#[derive(Debug, Clone, Serialize)]
pub struct MatrixRow {
    pub jurisdiction: String,
    pub jurisdiction_name: Option<String>,
    /// Concept id → best cell (absent: no provision reaches the threshold).
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

/// The short title of a document, for matrix cells and compare rows (`StGB`, `Code pénal`,
/// `18 U.S.C. Chapter 119`): the instruments table's (`corpus/instruments.toml`) where it lists
/// the document; else derived from the title (a user's own documents): an abbreviation or short
/// name in parentheses (`Strafgesetzbuch (StGB)`, `(Malabo Convention)`), else the title up to
/// its first qualifier.
pub fn document_short_title(doc_id: &str, title: &str) -> String {
    static TABLE: std::sync::OnceLock<crate::corpus::Instruments> = std::sync::OnceLock::new();
    if let Some(short) = TABLE
        .get_or_init(crate::corpus::Instruments::builtin)
        .short_title(doc_id)
    {
        return short.to_string();
    }
    let t = title.trim();
    // An abbreviation or short name in parentheses, early in the title.
    if let Some(open) = t.find('(') {
        if let Some(close) = t[open..].find(')') {
            let inner = t[open + 1..open + close].trim();
            let short = inner.split([',', ';']).next().unwrap_or("").trim();
            let latin_head = t[..open]
                .chars()
                .all(|c| !crate::index::analyzers::is_cjk(c));
            let words = short.split_whitespace().count();
            let looks_short = !short.is_empty()
                && words <= 3
                && short.chars().count() <= 24
                && !short.chars().any(|c| c.is_ascii_digit())
                && short.chars().next().is_some_and(|c| c.is_uppercase());
            if looks_short && latin_head && (words == 1 || short.contains("Convention")) {
                return short.to_string();
            }
            // A right-to-left title (Arabic) reads badly in a left-to-right line: its English
            // name in parentheses, when there is one.
            let rtl = t[..open]
                .chars()
                .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c));
            if rtl && short.is_ascii() && !short.is_empty() && words <= 6 {
                return short.to_string();
            }
        }
    }
    let mut cut = t.len();
    for sep in [" (", ", ", " — ", " - ", " [", ": "] {
        if let Some(i) = t.find(sep) {
            cut = cut.min(i);
        }
    }
    let s = t[..cut].trim();
    if s.is_empty() {
        doc_id.to_string()
    } else if s.chars().count() > 40 {
        let short: String = s.chars().take(39).collect();
        format!("{}…", short.trim_end())
    } else {
        s.to_string()
    }
}

/// `StGB § 202a`; the citation alone when it already names its document (`18 U.S.C. § 2511`).
pub fn cite_with_document(document: &str, citation: &str) -> String {
    let names_itself = document.is_empty()
        || citation.starts_with(document)
        || document.ends_with(citation)
        || (citation.contains("U.S.C.") && document.contains("U.S.C."))
        || [", s. ", ", art. ", ", § ", ", Art. "]
            .iter()
            .any(|m| citation.contains(m));
    if names_itself {
        citation.to_string()
    } else {
        format!("{document} {citation}")
    }
}

fn kinds(all: bool) -> Vec<String> {
    let k = if all { ALL_KINDS } else { PROVISION_KINDS };
    k.iter().map(|s| s.to_string()).collect()
}

/// Documents a convention row may take its cells from (one instrument per row), if `j` is a
/// convention's code.
pub fn convention_documents(j: &str) -> Option<&'static [&'static str]> {
    CONVENTIONS
        .iter()
        .find(|(c, _)| c.eq_ignore_ascii_case(j))
        .map(|(_, d)| *d)
}

/// A snippet: the first characters of the text.
fn snippet(text: &str, chars: usize) -> String {
    let t: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if t.chars().count() <= chars {
        t
    } else {
        let s: String = t.chars().take(chars).collect();
        format!("{}…", s.trim_end())
    }
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

    /// Jurisdictions that have at least one passage of these kinds (a count of two term
    /// queries per jurisdiction, not a search).
    fn jurisdictions_with(&mut self, kinds: &[String]) -> Result<Vec<String>, SearchError> {
        let mut out = Vec::new();
        for j in self.jurisdictions()? {
            let q = self.of_kinds_in(&j, kinds);
            if self.searcher.search(&q, &tantivy::collector::Count)? > 0 {
                out.push(j);
            }
        }
        Ok(out)
    }

    /// The passages of `jurisdiction` of one of these kinds.
    fn of_kinds_in(&self, jurisdiction: &str, kinds: &[String]) -> BooleanQuery {
        let f = self.fields();
        let term = |field, v: &str| -> Box<dyn Query> {
            Box::new(TermQuery::new(
                Term::from_field_text(field, v),
                IndexRecordOption::Basic,
            ))
        };
        let kinds_q: Vec<(Occur, Box<dyn Query>)> = kinds
            .iter()
            .map(|k| (Occur::Should, term(f.kind, k)))
            .collect();
        BooleanQuery::new(vec![
            (Occur::Must, term(f.jurisdiction, jurisdiction)),
            (Occur::Must, Box::new(BooleanQuery::new(kinds_q))),
        ])
    }

    /// Every provision of one jurisdiction of these kinds, in document order; a convention's row
    /// holds only its own instrument.
    pub fn provisions_of(
        &self,
        jurisdiction: &str,
        kinds: &[String],
    ) -> Result<Vec<Passage>, SearchError> {
        let q = self.of_kinds_in(jurisdiction, kinds);
        let addrs = self.searcher.search(&q, &DocSetCollector)?;
        let only = convention_documents(jurisdiction);
        let mut out = Vec::with_capacity(addrs.len());
        for addr in addrs {
            let p = self.stored_passage(addr)?;
            if only.is_none_or(|d| d.contains(&p.doc_id.as_str())) {
                out.push(p);
            }
        }
        out.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then(a.ordinal.cmp(&b.ordinal)));
        Ok(out)
    }

    /// The provisions of a jurisdiction, assessed against the taxonomy (the input of
    /// [`decide::choose`]). Assessments depend only on the index generation, the taxonomy and
    /// the kinds, so they are computed once per process (see [`ASSESSED`]): `serve` answers a
    /// second compare or matrix request without reading a stored document.
    pub fn assessed(
        &self,
        jurisdiction: &str,
        kinds: &[String],
    ) -> Result<Arc<Vec<Assessed>>, SearchError> {
        let key: AssessKey = (
            self.open.generation.clone(),
            self.taxonomy.fingerprint,
            jurisdiction.to_string(),
            kinds.to_vec(),
        );
        let cache = ASSESSED.get_or_init(Default::default);
        let lock = || cache.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(a) = lock().get(&key) {
            return Ok(a.clone());
        }
        let a = Arc::new(assess_all(
            &self.taxonomy,
            self.provisions_of(jurisdiction, kinds)?,
        ));
        let mut c = lock();
        // Only the newest generation and taxonomy are asked for again.
        c.retain(|k, _| k.0 == key.0 && k.1 == key.1);
        c.insert(key, a.clone());
        Ok(a)
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

    /// The article's passage and its distinctive words (for display, and for comparing by
    /// words when the taxonomy maps the article to no concept).
    fn article_terms(&mut self, p: &Passage) -> Result<Vec<String>, SearchError> {
        // Words every article of the convention uses ("Party", "measures") say nothing about
        // this one: leave out those in a quarter of its passages.
        let (in_doc, articles) = self.words_of_document(p)?;
        let common = (articles / 4).max(2);
        Ok(self
            .distinctive_terms(&format!("{} {}", p.heading, p.text), MLT_TERMS * 3)
            .into_iter()
            .filter(|w| in_doc.get(w).copied().unwrap_or(0) <= common)
            .take(MLT_TERMS)
            .collect())
    }

    /// In how many passages of `p`'s document each word occurs, and how many passages it has:
    /// from the jurisdiction's assessed provisions (read once per process, see
    /// [`Engine::assessed`]), counted once per index generation and document.
    fn words_of_document(
        &mut self,
        p: &Passage,
    ) -> Result<(Arc<HashMap<String, usize>>, usize), SearchError> {
        type Key = (std::path::PathBuf, String);
        type Counts = (Arc<HashMap<String, usize>>, usize);
        static WORDS: std::sync::OnceLock<Mutex<HashMap<Key, Counts>>> = std::sync::OnceLock::new();
        let key: Key = (self.open.generation.clone(), p.doc_id.clone());
        let cache = WORDS.get_or_init(Default::default);
        let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(x) = lock().get(&key) {
            return Ok(x.clone());
        }
        let assessed = self.assessed(&p.jurisdiction, &kinds(false))?;
        let mut in_doc: HashMap<String, usize> = HashMap::new();
        let mut articles = 0;
        for s in assessed.iter().filter(|a| a.passage.doc_id == p.doc_id) {
            articles += 1;
            let words: BTreeSet<String> = analyzers::analyze(&mut self.base, &s.passage.text)
                .into_iter()
                .collect();
            for w in words {
                *in_doc.entry(w).or_default() += 1;
            }
        }
        let x = (Arc::new(in_doc), articles);
        let mut c = lock();
        c.retain(|k, _| k.0 == key.0);
        c.insert(key, x.clone());
        Ok(x)
    }

    /// The passage of a convention's article (`coe`, `2`), from the convention row's assessed
    /// provisions (no read of the document store once a compare or matrix has run).
    fn article_passage(&mut self, code: &str, num: &str) -> Result<Option<Passage>, SearchError> {
        let docs = convention_documents(code).unwrap_or(&[]);
        let assessed = self.assessed(&code.to_uppercase(), &kinds(false))?;
        for d in docs {
            let id = format!("{d}/{num}");
            if let Some(a) = assessed.iter().find(|a| a.passage.passage_id == id) {
                return Ok(Some(a.passage.clone()));
            }
        }
        // A convention whose row is under another code: the stored passage.
        Ok(docs
            .iter()
            .find_map(|d| self.passage(&format!("{d}/{num}")).ok()))
    }

    /// One row per jurisdiction: its provision for the concepts the query, `--concept` or the
    /// article name (the decision procedure of [`decide`]), or, for a query naming no concept,
    /// its best passage by words.
    pub fn compare(&mut self, req: &CompareRequest) -> Result<CompareResponse, CompareError> {
        let taxonomy = self.taxonomy.shared();
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
                let p = self
                    .article_passage(&code, &num)?
                    .ok_or_else(|| CompareError::UnknownArticle(a.clone()))?;
                for c in concepts_of_article(&taxonomy, &code, &num) {
                    if !concepts.iter().any(|x| x == c) {
                        concepts.push(c.to_string());
                    }
                }
                terms = self.article_terms(&p)?;
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
            let name = table.name(&j).map(str::to_string);
            let row = if concepts.is_empty() {
                self.row_by_words(&j, name, &query, &kinds)?
            } else {
                let assessed = self.assessed(&j, &kinds)?;
                let d = choose(&assessed, &concepts);
                row_of(&j, name, &assessed, d)
            };
            rows.push(row);
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

    /// A query naming no concept: the jurisdiction's best passage by the search's ranking.
    fn row_by_words(
        &mut self,
        j: &str,
        name: Option<String>,
        query: &str,
        kinds: &[String],
    ) -> Result<CompareRow, SearchError> {
        let req = SearchRequest {
            query: query.to_string(),
            limit: 1,
            jurisdictions: vec![j.to_string()],
            kinds: kinds.to_vec(),
            explain: true,
            snippet_chars: 200,
            ..Default::default()
        };
        let hit = self.search(&req)?.hits.into_iter().next();
        let only = convention_documents(j);
        Ok(
            match hit.filter(|h| only.is_none_or(|d| d.contains(&h.doc_id.as_str()))) {
                Some(h) => CompareRow {
                    jurisdiction: j.to_string(),
                    jurisdiction_name: name,
                    matched: true,
                    document: Some(document_short_title(&h.doc_id, &h.title)),
                    doc_id: Some(h.doc_id),
                    passage_id: Some(h.passage_id),
                    citation: Some(h.citation),
                    heading: Some(h.heading),
                    language: Some(h.language),
                    snippet: Some(h.snippet),
                    score: Some(h.score),
                    kind: Some(h.kind),
                    title: Some(h.title),
                    url: Some(h.url),
                    concepts: Vec::new(),
                    why: Some(format!(
                        "by words (the query names no concept): {}",
                        h.explanation.unwrap_or_default()
                    )),
                    runners_up: Vec::new(),
                },
                None => unmatched(j, name, Some("no passage matches the query".into())),
            },
        )
    }

    /// Jurisdictions × concepts: every cell is the decision of [`decide::choose`] for that one
    /// concept — the provision `compare` gives for it.
    pub fn matrix(
        &mut self,
        jurisdictions: &[String],
        concepts: &[String],
        all_kinds: bool,
    ) -> Result<Matrix, CompareError> {
        let taxonomy = self.taxonomy.shared();
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
            let assessed = self.assessed(j, &kinds)?;
            let mut cells = BTreeMap::new();
            for c in &concepts {
                let d = choose(&assessed, std::slice::from_ref(c));
                if let Some(i) = d.best {
                    let p = &assessed[i].passage;
                    let rule = assessed[i]
                        .assessments
                        .iter()
                        .find(|a| a.concept == *c)
                        .map(|a| a.rules[0].what.clone())
                        .unwrap_or_default();
                    cells.insert(
                        c.clone(),
                        MatrixCell {
                            concept: c.clone(),
                            doc_id: p.doc_id.clone(),
                            document: document_short_title(&p.doc_id, &p.title),
                            passage_id: p.passage_id.clone(),
                            citation: p.citation.clone(),
                            heading: p.heading.clone(),
                            score: d.score,
                            rule,
                            why: d.why,
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

fn unmatched(j: &str, name: Option<String>, why: Option<String>) -> CompareRow {
    CompareRow {
        jurisdiction: j.to_string(),
        jurisdiction_name: name,
        matched: false,
        doc_id: None,
        document: None,
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
        runners_up: Vec::new(),
    }
}

/// The row of a decision.
fn row_of(j: &str, name: Option<String>, assessed: &[Assessed], d: Decision) -> CompareRow {
    let Some(i) = d.best else {
        let mut row = unmatched(j, name, Some(d.why));
        row.runners_up = d.runners_up;
        return row;
    };
    let p = &assessed[i].passage;
    CompareRow {
        jurisdiction: j.to_string(),
        jurisdiction_name: name,
        matched: true,
        doc_id: Some(p.doc_id.clone()),
        document: Some(document_short_title(&p.doc_id, &p.title)),
        passage_id: Some(p.passage_id.clone()),
        citation: Some(p.citation.clone()),
        heading: Some(p.heading.clone()),
        language: Some(p.language.clone()),
        snippet: Some(snippet(&p.text, 200)),
        score: Some(d.score),
        kind: Some(p.kind.clone()),
        title: Some(p.title.clone()),
        url: Some(p.url.clone()),
        concepts: d.concepts,
        why: Some(d.why),
        runners_up: d.runners_up,
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

    #[test]
    fn short_titles_of_documents() {
        assert_eq!(
            document_short_title("de-stgb", "Strafgesetzbuch (StGB)"),
            "StGB"
        );
        assert_eq!(
            document_short_title("x", "Code pénal, Article 323-1"),
            "Code pénal"
        );
        assert_eq!(
            document_short_title(
                "x",
                "African Union Convention on Cyber Security (Malabo Convention), EX.CL/846(XXV)"
            ),
            "Malabo Convention"
        );
        assert_eq!(
            document_short_title(
                "x",
                "18 U.S.C. Chapter 119 — Wire interception (§§ 2510-2523)"
            ),
            "18 U.S.C. Chapter 119"
        );
        assert_eq!(
            document_short_title(
                "x",
                "اتفاقية الأمم المتحدة (United Nations Convention against Cybercrime, Arabic text)"
            ),
            "United Nations Convention against Cybercrime"
        );
        assert_eq!(cite_with_document("StGB", "§ 202a"), "StGB § 202a");
        assert_eq!(
            cite_with_document("Protecting Canadians", "Criminal Code, s. 342.1"),
            "Criminal Code, s. 342.1"
        );
        assert_eq!(
            cite_with_document("18 U.S.C. Chapter 119", "18 U.S.C. § 2511"),
            "18 U.S.C. § 2511"
        );
    }
}
