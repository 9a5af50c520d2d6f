//! `search`: query language, ranking, snippets and highlights.
//!
//! A query string is parsed into a [`query::Node`] tree (terms and connectors) and read in one of
//! two modes ([`mode`]). *Ranked* (plain words): every word searched in the base field and,
//! stemmed, in the field of each language the query is written in, plus the concepts of the
//! taxonomy it names and their wording. *Exact* (quotes, fields, expanders, operators,
//! connectors): words as typed or inflected, phrases word for word, connectors verified from the
//! index's positions ([`spans`]); `total_hits` counts exactly the passages that satisfy it.
//! Filters restrict jurisdiction, kind, language and year. Candidates are then ranked by an
//! ordered list of named rules ([`rules`]) that read fast fields and positions only; the stored
//! text is read, and highlighted ([`highlight`]), for the hits that are printed.

pub mod citation;
pub mod compare;
pub mod currency;
pub mod highlight;
pub mod inflect;
pub mod mode;
pub mod query;
pub mod rules;
pub mod situation;
pub mod spans;
pub mod stems;
pub mod suggest;
pub mod views;
pub mod vocab;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::ops::{Bound, Range};
use std::sync::Arc;
use std::time::{Duration, Instant};

use regex::Regex;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::columnar::StrColumn;
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur,
    PhraseQuery, Query, RangeQuery, RegexPhraseQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::corpus::taxonomy::{contains_phrase, fold};
use crate::corpus::Taxonomy;
use crate::index::lexicon::{self, Form, Lexicon, StemKey};
use crate::index::schema::{
    FAST_CITATION, FAST_DOC_ID, FAST_HEADING, FAST_KIND, FAST_LANGUAGE, FAST_PASSAGE_ID,
};
use crate::index::{analyzers, Fields, IndexError, OpenIndex};
use crate::segment::Passage;
use highlight::{Expansions, Matcher};
use mode::{mode_of, Mode};
use query::{FieldName, Node, QueryError, WordKind};
use rules::Candidate;
use spans::{Deadline, SpanFields, SpanNode, VerifiedQuery, Where};
use stems::StemQuery;

/// Most words one `!` or `*` may expand to.
pub const MAX_EXPANSIONS: usize = 200;
/// Score a passage earns for carrying a concept the query names (BM25 of a good match is 10-25).
pub const CONCEPT_SCORE: f32 = 15.0;
/// Weight of each further passage of a document already in the results (document crowding).
pub const CROWDING: f32 = rules::CROWDING;
/// Most candidates ranked per search.
pub const MAX_CANDIDATES: usize = 2000;
/// Most terms of the dictionary looked at to find a word's inflections.
pub const MAX_INFLECTION_SCAN: usize = 2000;
/// The per-query budget when the request names none.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("cannot parse the query: {error}")]
    Query { query: String, error: QueryError },
    #[error("search failed: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
    #[error("unknown passage `{0}`; search for it first, or run `cyberlex inspect DOC_ID` to list a document's passages")]
    UnknownPassage(String),
    #[error("the query `{query}` ran past its budget of {ms} ms before anything was ranked; narrow it (fewer connectors, a filter) or raise --timeout")]
    Timeout { query: String, ms: u128 },
}

impl From<std::io::Error> for SearchError {
    fn from(e: std::io::Error) -> Self {
        SearchError::Tantivy(tantivy::TantivyError::from(e))
    }
}

/// What to search for.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub query: String,
    pub limit: usize,
    pub offset: usize,
    /// Jurisdiction codes (already resolved, upper case).
    pub jurisdictions: Vec<String>,
    pub kinds: Vec<String>,
    pub langs: Vec<String>,
    pub since: Option<u16>,
    /// Only passages tagged with one of these concepts.
    pub concepts: Vec<String>,
    pub explain: bool,
    /// Plain BM25 over the passage text only: no field boosts, no concepts, no citation routing,
    /// no re-ranking (`eval --baseline` compares the ranking against it).
    pub baseline: bool,
    /// Characters of context in a snippet.
    pub snippet_chars: usize,
    /// The query's budget ([`DEFAULT_TIMEOUT`] when `None`): past it, what is ranked so far is
    /// returned with a warning.
    pub timeout: Option<Duration>,
}

/// One ranked passage. Field names are a contract: scripts depend on them.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub rank: usize,
    pub score: f32,
    pub passage_id: String,
    pub doc_id: String,
    pub title: String,
    pub jurisdiction: String,
    pub kind: String,
    pub language: String,
    pub citation: String,
    pub heading: String,
    pub path: Vec<String>,
    pub snippet: String,
    /// Highlighted spans of `snippet`, as `[start, end)` character offsets.
    pub highlights: Vec<[usize; 2]>,
    pub text: String,
    /// Highlighted spans of `text`, as `[start, end)` character offsets.
    pub text_highlights: Vec<[usize; 2]>,
    pub url: String,
    /// Date of the version of the source this passage comes from (the manifest's date).
    pub version_date: Option<String>,
    /// The manifest's completeness note of the source (`yes`, `partial (…)`, …).
    pub completeness: String,
    /// Flags a lawyer must see: `excerpt`, `bill`, `outdated` (see [`currency::flags`]).
    pub currency: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

impl Hit {
    /// A printed hit: the passage, its `[start, end)` byte `ranges` of matched words turned into
    /// character offsets of its text and of a snippet of `snippet_chars` around them, and its
    /// currency flags. The one place a `Hit` is made (search, citations, situations).
    pub fn from_passage(
        p: Passage,
        rank: usize,
        score: f32,
        ranges: &[Range<usize>],
        snippet_chars: usize,
        explanation: Option<String>,
    ) -> Hit {
        let (snippet, highlights) = snippet(&p.text, ranges, snippet_chars);
        let currency = currency::passage_flags(&p);
        Hit {
            rank,
            score,
            text_highlights: ranges
                .iter()
                .map(|r| [char_offset(&p.text, r.start), char_offset(&p.text, r.end)])
                .collect(),
            passage_id: p.passage_id,
            doc_id: p.doc_id,
            title: p.title,
            jurisdiction: p.jurisdiction,
            kind: p.kind,
            language: p.language,
            citation: p.citation,
            heading: p.heading,
            path: p.path,
            snippet,
            highlights,
            text: p.text,
            url: p.url,
            version_date: p.version_date,
            completeness: p.completeness,
            currency,
            explanation,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub query: String,
    pub total_hits: usize,
    pub offset: usize,
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parsed: Option<String>,
    /// `ranked` (plain words, every expansion) or `exact` (quotes, operators, connectors).
    pub mode: Mode,
    /// What the search could not do fully (e.g. the budget ran out); empty when all went well.
    pub warnings: Vec<String>,
    /// How a query typed as a citation was read (absent when it was not one).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing: Option<Box<citation::Routing>>,
}

/// A citation typed as the query, read as: designator (`§`, `art.`), routing key, and the words
/// searched for it.
#[derive(Debug, Clone)]
pub struct Route {
    pub designator: Option<String>,
    pub key: String,
    pub words: String,
}

/// A string fast column of one segment. Small dictionaries (kind, language, doc id) are decoded
/// once when the index is opened; large ones (passage ids, citations, headings) are read per
/// document, and only by the rules that need them (each read decodes a dictionary block).
pub struct Column {
    col: Option<StrColumn>,
    decoded: Option<Vec<String>>,
}

impl Column {
    fn open(col: Option<StrColumn>, decode: bool) -> Result<Column, SearchError> {
        let decoded = match (&col, decode) {
            (Some(c), true) => {
                let mut v = Vec::new();
                let mut stream = c.dictionary().stream()?;
                while stream.advance() {
                    v.push(String::from_utf8_lossy(stream.key()).to_string());
                }
                Some(v)
            }
            _ => None,
        };
        Ok(Column { col, decoded })
    }

    /// The column's dictionary ordinal for `doc` (ordinals sort like the strings).
    pub fn ord(&self, doc: u32) -> Option<u64> {
        self.col.as_ref()?.ords().first(doc)
    }

    /// The strings of `ords` (sorted, deduplicated), decoded block by block in one pass.
    pub fn strings_of(&self, ords: &[u64]) -> HashMap<u64, String> {
        let mut out = HashMap::with_capacity(ords.len());
        if let Some(v) = &self.decoded {
            for &o in ords {
                out.insert(o, v.get(o as usize).cloned().unwrap_or_default());
            }
            return out;
        }
        if let Some(c) = &self.col {
            let mut i = 0;
            let _ = c.dictionary().sorted_ords_to_term_cb(ords, |bytes| {
                out.insert(ords[i], String::from_utf8_lossy(bytes).to_string());
                i += 1;
            });
        }
        out
    }

    pub fn get(&self, doc: u32) -> String {
        let Some(ord) = self.ord(doc) else {
            return String::new();
        };
        if let Some(v) = &self.decoded {
            return v.get(ord as usize).cloned().unwrap_or_default();
        }
        let mut s = String::new();
        if let Some(c) = &self.col {
            let _ = c.ord_to_str(ord, &mut s);
        }
        s
    }
}

/// The fast columns of one segment the ranking reads, opened once per index.
pub struct Columns {
    pub passage_id: Column,
    pub doc_id: Column,
    pub kind: Column,
    pub language: Column,
    pub citation: Column,
    pub heading: Column,
    pub jurisdiction: Column,
    pub ordinal: Option<tantivy::columnar::Column<u64>>,
}

/// A searchable index and what is needed to plan queries on it. Searching takes `&self`: an
/// `Engine` can serve several threads at once (each search has its own scratch).
pub struct Engine {
    pub open: OpenIndex,
    searcher: Searcher,
    base: TextAnalyzer,
    stem: HashMap<&'static str, TextAnalyzer>,
    stop: HashMap<&'static str, TextAnalyzer>,
    columns: Vec<Columns>,
    /// The generation's stem lexicon: the words of each stem, per language.
    pub(crate) lexicon: Lexicon,
    /// Stem keys per language ([`Engine::stem_forms`], [`Engine::has_stem`]), made on first use.
    stem_keys: std::sync::Mutex<HashMap<String, StemKey>>,
    /// Languages present in the index.
    pub languages: Vec<String>,
    pub taxonomy: TaxonomyCell,
    /// Highlight analyses with their word caches, reused between queries.
    pub(crate) analyses: highlight::AnalysisPool,
    /// Mentions of each instrument by the others (citation ordering), counted once per engine.
    pub(crate) mention_counts: std::sync::Mutex<HashMap<usize, (usize, usize)>>,
}

/// The engine's taxonomy: read on a side thread from the engine's opening, joined where it is
/// first used (`engine.taxonomy.get(…)` reads through it like a [`Taxonomy`]). The built-in one is
/// read once per process and shared by every engine (a server opens several: each would otherwise
/// parse it and build its own tagging automata).
pub struct TaxonomyCell {
    ready: std::sync::OnceLock<Arc<Taxonomy>>,
    pending: std::sync::Mutex<Option<std::thread::JoinHandle<Arc<Taxonomy>>>>,
}

/// The built-in taxonomy of this process.
fn builtin_taxonomy() -> Arc<Taxonomy> {
    static T: std::sync::OnceLock<Arc<Taxonomy>> = std::sync::OnceLock::new();
    T.get_or_init(|| Arc::new(Taxonomy::builtin())).clone()
}

impl TaxonomyCell {
    /// The built-in taxonomy, read from now on beside the caller (a later engine of the process
    /// gets the first one's).
    pub fn spawn() -> TaxonomyCell {
        TaxonomyCell {
            ready: std::sync::OnceLock::new(),
            pending: std::sync::Mutex::new(Some(std::thread::spawn(builtin_taxonomy))),
        }
    }

    /// A taxonomy already read (a file given with `--taxonomy`).
    pub fn ready(t: Taxonomy) -> TaxonomyCell {
        TaxonomyCell {
            ready: Arc::new(t).into(),
            pending: std::sync::Mutex::new(None),
        }
    }

    /// The taxonomy, shared (for work that outlives a borrow of the engine).
    pub fn shared(&self) -> Arc<Taxonomy> {
        self.arc().clone()
    }

    fn arc(&self) -> &Arc<Taxonomy> {
        self.ready.get_or_init(|| {
            let handle = self
                .pending
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .take();
            match handle {
                Some(h) => h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)),
                // Its reader panicked on an earlier use (and that use saw the panic): read it here.
                None => builtin_taxonomy(),
            }
        })
    }
}

impl std::ops::Deref for TaxonomyCell {
    type Target = Taxonomy;

    fn deref(&self) -> &Taxonomy {
        self.arc()
    }
}

fn citation_regex() -> &'static Regex {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"(?i)^\s*(?:\d+\s*U\.?\s?S\.?\s?C\.?\s*)?(?P<pre>§+|art\.?|article|artikel|artículo|articolo|статья|ст\.|s\.|ss\.|sec\.|section|para\.)?\s*(?P<num>\d+[a-z]?(?:[-.]\d+[a-z]?)*(?:-[a-z]+)?)(?P<sub>(?:\([a-z0-9]+\))*)\s*$")
            .expect("valid regex")
    })
}

/// Per-search scratch: analyzers (they need `&mut`), expansions, and what the plan learned.
struct Planner<'e> {
    e: &'e Engine,
    base: TextAnalyzer,
    stem: HashMap<&'static str, TextAnalyzer>,
    text_only: bool,
    mode: Mode,
    /// Ranked mode: the languages the query is written in (empty: all).
    query_langs: Vec<String>,
    expansions: Expansions,
    deadline: Arc<Deadline>,
}

fn qerr(message: impl ToString) -> QueryError {
    QueryError {
        position: 0,
        message: message.to_string(),
        hint: None,
    }
}

impl Planner<'_> {
    fn terms(&mut self, analyzer: Option<&'static str>, text: &str) -> Vec<String> {
        let a = match analyzer {
            Some(l) => self.stem.get_mut(l).expect("known language"),
            None => &mut self.base,
        };
        analyzers::analyze(a, text)
    }

    /// `text` in `field` (base analyzer), or stemmed in `analyzer`'s language: then `field` is
    /// the text field, and the clause is [`Planner::stemmed_query`].
    fn text_query(
        &mut self,
        field: Field,
        analyzer: Option<&'static str>,
        text: &str,
        slop: Option<u32>,
    ) -> Option<Box<dyn Query>> {
        if let Some(code) = analyzer {
            return self.stemmed_query(code, text, slop);
        }
        let terms = self.terms(None, text);
        phrase_or_term(field, &terms, slop)
    }

    /// Per word of `text`: the words of its stem in `code`'s passages (the lexicon's forms).
    fn stem_forms(&mut self, code: &'static str, text: &str) -> Vec<Vec<Form>> {
        let words = self.terms(None, text);
        words.iter().map(|w| self.e.stem_forms(code, w)).collect()
    }

    /// `text` stemmed, in the passages of language `code`: each word matches any word of its stem
    /// ([`StemQuery`], in the heading and the text); several words must also stand together (as
    /// [`phrase_or_term`] places them, in the heading or in the text), scored by their stems.
    /// `None` when a word has no form in the index.
    fn stemmed_query(
        &mut self,
        code: &'static str,
        text: &str,
        slop: Option<u32>,
    ) -> Option<Box<dyn Query>> {
        let forms = self.stem_forms(code, text);
        if forms.is_empty() || forms.iter().any(Vec::is_empty) {
            return None;
        }
        let f = self.e.fields().clone();
        if forms.len() == 1 {
            return Some(stem_clause(&f, code, &forms[0]));
        }
        let alternation = |forms: &[Form]| {
            let words: Vec<String> = forms.iter().map(|x| regex::escape(&x.word)).collect();
            format!("(?:{})", words.join("|"))
        };
        let regexes: Vec<(usize, String)> = forms
            .iter()
            .enumerate()
            .map(|(i, fs)| (i, alternation(fs)))
            .collect();
        // The words stand together in the heading or in the text, as `phrase_or_term` places them.
        let mut placed: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for field in [f.heading, f.text] {
            let mut orders = vec![regexes.clone()];
            if slop.is_some() && regexes.len() == 2 {
                orders.push(vec![(0, regexes[1].1.clone()), (1, regexes[0].1.clone())]);
            }
            for terms in orders {
                let mut q = RegexPhraseQuery::new_with_offset(field, terms);
                if let Some(s) = slop {
                    q.set_slop(s);
                }
                placed.push((Occur::Should, Box::new(q)));
            }
        }
        let placed: Box<dyn Query> = Box::new(BooleanQuery::new(placed));
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(ConstScoreQuery::new(placed, 0.0)))];
        for fs in &forms {
            clauses.push((Occur::Must, stem_query(vec![f.heading, f.text], fs)));
        }
        let q: Box<dyn Query> = Box::new(BooleanQuery::new(clauses));
        Some(in_language(&f, code, q))
    }

    /// Fields (with boosts) a ranked clause restricted to `field` searches; `None` = the default set.
    fn targets(
        &self,
        field: Option<FieldName>,
        langs: &[String],
    ) -> Vec<(Field, Option<&'static str>, f32)> {
        let f = self.e.fields();
        let mut v = Vec::new();
        if self.text_only {
            return vec![(f.text, None, 1.0)];
        }
        match field {
            None | Some(FieldName::Text) => {
                v.push((f.text, None, 1.0));
                for (code, _) in analyzers::STEMMED {
                    if langs.is_empty() || langs.iter().any(|l| l == code) {
                        v.push((f.text, Some(*code), 0.9));
                    }
                }
                if field.is_none() {
                    v.push((f.heading, None, 2.0));
                    v.push((f.citation, None, 1.5));
                    v.push((f.label, None, 1.5));
                    v.push((f.title, None, 0.4));
                    v.push((f.path, None, 0.3));
                }
            }
            Some(FieldName::Heading) => v.push((f.heading, None, 1.0)),
            Some(FieldName::Citation) => {
                v.push((f.citation, None, 1.0));
                v.push((f.label, None, 1.0));
            }
            Some(FieldName::Title) => v.push((f.title, None, 1.0)),
            Some(FieldName::Jurisdiction) | Some(FieldName::Kind) | Some(FieldName::Lang) => {}
        }
        v
    }

    /// Terms of `field`'s dictionary from `prefix` on, while they start with it.
    fn scan(
        &self,
        field: Field,
        prefix: &str,
        limit: usize,
        mut keep: impl FnMut(&str) -> Result<bool, QueryError>,
    ) -> Result<BTreeSet<String>, QueryError> {
        let mut found = BTreeSet::new();
        let mut seen = 0usize;
        for seg in self.e.searcher.segment_readers() {
            let inv = seg.inverted_index(field).map_err(qerr)?;
            let mut stream = inv
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()
                .map_err(qerr)?;
            while stream.advance() {
                let k = String::from_utf8_lossy(stream.key()).to_string();
                if !k.starts_with(prefix) {
                    break;
                }
                seen += 1;
                if seen > limit {
                    break;
                }
                if keep(&k)? {
                    found.insert(k);
                }
            }
        }
        Ok(found)
    }

    fn expand(&mut self, text: &str, kind: WordKind) -> Result<(), QueryError> {
        if self.expansions.contains_key(text) {
            return Ok(());
        }
        let lowered = analyzers::analyze(&mut self.base, &text.replace(['*', '?'], " ")).join(" ");
        // The fixed start of the word narrows the term dictionary scan; a word that starts with a
        // wildcard (`*abc`) scans it all, still bounded by MAX_EXPANSIONS.
        let prefix: String = match kind {
            WordKind::Root => lowered.replace(' ', ""),
            _ if text.starts_with(['*', '?']) => String::new(),
            _ => lowered.split(' ').next().unwrap_or("").to_string(),
        };
        // The literal pieces between wildcards are folded the way the index folded its terms.
        let pattern = if kind == WordKind::Wildcard {
            let mut re = String::from("^");
            let mut literal = String::new();
            for c in text.chars().chain(std::iter::once('\0')) {
                if matches!(c, '*' | '?' | '\0') {
                    let folded = analyzers::analyze(&mut self.base, &literal).join("");
                    re.push_str(&regex::escape(&folded));
                    literal.clear();
                    match c {
                        '*' => re.push_str(r"\w*"),
                        '?' => re.push_str(r"\w"),
                        _ => {}
                    }
                } else {
                    literal.push(c);
                }
            }
            re.push('$');
            Regex::new(&re).ok()
        } else {
            None
        };
        let mut n = 0usize;
        let found = self.scan(self.e.fields().text, &prefix, usize::MAX, |k| {
            if pattern.as_ref().is_none_or(|re| re.is_match(k)) {
                n += 1;
                if n > MAX_EXPANSIONS {
                    return Err(QueryError {
                        position: 0,
                        message: format!("`{text}` expands to more than {MAX_EXPANSIONS} words"),
                        hint: Some("make the root longer".into()),
                    });
                }
                return Ok(true);
            }
            Ok(false)
        })?;
        self.expansions.insert(text.to_string(), found);
        Ok(())
    }

    /// Exact mode: the index's words that are forms of `base` (a folded one-token word) in some
    /// language of the index — `access` → access, accesses, accessed; never `accessible`.
    fn inflections(&mut self, base: &str) -> Result<Vec<String>, QueryError> {
        let key = format!("\u{0}{base}");
        if let Some(s) = self.expansions.get(&key) {
            return Ok(s.iter().cloned().collect());
        }
        let langs: Vec<&'static str> = analyzers::STEMMED
            .iter()
            .map(|(c, _)| *c)
            .filter(|c| self.e.languages.iter().any(|l| l == c))
            .collect();
        let mut stems: Vec<(&'static str, String)> = Vec::new();
        for l in &langs {
            let s = self.terms(Some(l), base).join("");
            stems.push((l, s));
        }
        // The scan starts at what every stem and the word share (at least three letters).
        let mut prefix: String = base.to_string();
        for (_, s) in &stems {
            let common: String = prefix
                .chars()
                .zip(s.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect();
            if common.chars().count() >= 3 {
                prefix = common;
            }
        }
        let mut found = BTreeSet::from([base.to_string()]);
        if prefix.chars().count() >= 3 && base.chars().all(char::is_alphabetic) {
            let f = self.e.fields().clone();
            let mut stemmers: Vec<(&'static str, TextAnalyzer)> =
                langs.iter().map(|l| (*l, self.stem[l].clone())).collect();
            for field in [f.text, f.heading] {
                let more = self.scan(field, &prefix, MAX_INFLECTION_SCAN, |t| {
                    if t == base {
                        return Ok(true);
                    }
                    for ((l, a), (_, s)) in stemmers.iter_mut().zip(&stems) {
                        if inflect::same_word(l, t, base) && analyzers::analyze(a, t).join("") == *s
                        {
                            return Ok(true);
                        }
                    }
                    Ok(false)
                })?;
                found.extend(more);
            }
        }
        let v: Vec<String> = found.iter().cloned().collect();
        self.expansions.insert(key, found);
        Ok(v)
    }

    /// The base-field clause of a ranked word, kept to the query's languages: a word matches
    /// across languages only through the taxonomy's concepts, never by spelling alone
    /// (`détention` is not the English "Detention").
    fn in_query_langs(&self, field: Field, q: Box<dyn Query>) -> Box<dyn Query> {
        let f = self.e.fields();
        if self.query_langs.is_empty() || field == f.citation {
            return q;
        }
        in_languages(f, &self.query_langs, q)
    }

    fn plan(&mut self, node: &Node, langs: &[String]) -> Result<Box<dyn Query>, QueryError> {
        Ok(match node {
            Node::Word {
                field: Some(f @ (FieldName::Jurisdiction | FieldName::Kind | FieldName::Lang)),
                text,
                ..
            } => {
                let fl = self.e.fields();
                let (field, value) = match f {
                    FieldName::Jurisdiction => (
                        fl.jurisdiction,
                        crate::corpus::Jurisdictions::builtin()
                            .resolve(text)
                            .map_err(qerr)?,
                    ),
                    FieldName::Kind => (fl.kind, text.to_lowercase()),
                    _ => (fl.language, text.to_lowercase()),
                };
                Box::new(TermQuery::new(
                    Term::from_field_text(field, &value),
                    IndexRecordOption::Basic,
                ))
            }
            Node::Word {
                field,
                text,
                kind: WordKind::Plain,
            } if self.mode == Mode::Exact => self.exact_word(*field, text)?,
            Node::Word {
                field,
                text,
                kind: WordKind::Plain,
            } => {
                let mut qs: Vec<Box<dyn Query>> = Vec::new();
                let search_langs = if langs.is_empty() {
                    self.query_langs.clone()
                } else {
                    langs.to_vec()
                };
                for (f, an, boost) in self.targets(*field, &search_langs) {
                    if let Some(q) = self.text_query(f, an, text, None) {
                        let q = if an.is_none() && langs.is_empty() {
                            self.in_query_langs(f, q)
                        } else {
                            q
                        };
                        qs.push(Box::new(BoostQuery::new(q, boost)));
                    }
                }
                if qs.is_empty() {
                    Box::new(EmptyQuery)
                } else {
                    Box::new(DisjunctionMaxQuery::with_tie_breaker(qs, 0.2))
                }
            }
            Node::Word { field, text, kind } => {
                self.expand(text, *kind)?;
                let words: Vec<String> = self.expansions[text.as_str()].iter().cloned().collect();
                let fl = self.e.fields().clone();
                let targets: Vec<(Field, f32)> = match field {
                    None => vec![(fl.text, 1.0), (fl.heading, 2.0), (fl.title, 0.4)],
                    Some(FieldName::Heading) => vec![(fl.heading, 1.0)],
                    Some(FieldName::Title) => vec![(fl.title, 1.0)],
                    Some(FieldName::Citation) => vec![(fl.citation, 1.0), (fl.label, 1.0)],
                    _ => vec![(fl.text, 1.0)],
                };
                let mut qs: Vec<(Occur, Box<dyn Query>)> = Vec::new();
                for w in &words {
                    for (f, b) in &targets {
                        qs.push((
                            Occur::Should,
                            Box::new(BoostQuery::new(
                                Box::new(TermQuery::new(
                                    Term::from_field_text(*f, w),
                                    IndexRecordOption::WithFreqs,
                                )),
                                *b,
                            )),
                        ));
                    }
                }
                if qs.is_empty() {
                    Box::new(EmptyQuery)
                } else {
                    Box::new(BooleanQuery::new(qs))
                }
            }
            Node::Phrase { field, text, slop } => {
                let mut qs: Vec<Box<dyn Query>> = Vec::new();
                let fl = self.e.fields().clone();
                // Quoted words are meant word for word: the base fields only, no stems.
                let targets: Vec<(Field, f32)> = match field {
                    None => vec![(fl.text, 1.0), (fl.heading, 2.0)],
                    Some(FieldName::Text) => vec![(fl.text, 1.0)],
                    Some(FieldName::Heading) => vec![(fl.heading, 1.0)],
                    Some(FieldName::Citation) => vec![(fl.citation, 1.0), (fl.label, 1.0)],
                    Some(FieldName::Title) => vec![(fl.title, 1.0)],
                    _ => Vec::new(),
                };
                let targets: Vec<(Field, Option<&'static str>, f32)> = if self.text_only {
                    vec![(fl.text, None, 1.0)]
                } else {
                    targets.into_iter().map(|(f, b)| (f, None, b)).collect()
                };
                for (f, an, boost) in targets {
                    if let Some(q) = self.text_query(f, an, text, *slop) {
                        qs.push(Box::new(BoostQuery::new(q, boost)));
                    }
                }
                if qs.is_empty() {
                    Box::new(EmptyQuery)
                } else {
                    Box::new(DisjunctionMaxQuery::with_tie_breaker(qs, 0.2))
                }
            }
            Node::And(v) => {
                let mut qs = Vec::new();
                for n in v {
                    match n {
                        Node::Not(inner) => qs.push((Occur::MustNot, self.plan(inner, langs)?)),
                        n => qs.push((Occur::Must, self.plan(n, langs)?)),
                    }
                }
                Box::new(BooleanQuery::new(qs))
            }
            Node::Or(v) | Node::Ranked(v) => {
                let mut qs = Vec::new();
                for n in v {
                    match n {
                        Node::Not(inner) => qs.push((Occur::MustNot, self.plan(inner, langs)?)),
                        n => qs.push((Occur::Should, self.plan(n, langs)?)),
                    }
                }
                Box::new(BooleanQuery::new(qs))
            }
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.plan(inner, langs)?),
            ])),
            Node::Near { left, right, .. } => {
                let superset: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                    (Occur::Must, self.plan(left, langs)?),
                    (Occur::Must, self.plan(right, langs)?),
                ]));
                let f = self.e.fields();
                Box::new(VerifiedQuery {
                    superset,
                    node: Arc::new(self.span_node(node)?),
                    fields: SpanFields {
                        text: f.text,
                        heading: f.heading,
                        breaks: f.breaks,
                    },
                    deadline: self.deadline.clone(),
                })
            }
        })
    }

    /// An exact-mode word: its inflections in the text and heading, itself in citations.
    fn exact_word(
        &mut self,
        field: Option<FieldName>,
        text: &str,
    ) -> Result<Box<dyn Query>, QueryError> {
        let fl = self.e.fields().clone();
        let terms = self.terms(None, text);
        let targets: Vec<(Field, f32, bool)> = match field {
            None => vec![
                (fl.text, 1.0, true),
                (fl.heading, 2.0, true),
                (fl.citation, 1.5, false),
                (fl.label, 1.5, false),
            ],
            Some(FieldName::Text) => vec![(fl.text, 1.0, true)],
            Some(FieldName::Heading) => vec![(fl.heading, 1.0, true)],
            Some(FieldName::Citation) => vec![(fl.citation, 1.0, false), (fl.label, 1.0, false)],
            Some(FieldName::Title) => vec![(fl.title, 1.0, true)],
            _ => Vec::new(),
        };
        let forms = if terms.len() == 1 {
            self.inflections(&terms[0])?
        } else {
            Vec::new()
        };
        let mut qs: Vec<Box<dyn Query>> = Vec::new();
        for (f, boost, inflect) in targets {
            let q: Option<Box<dyn Query>> = if terms.len() == 1 && inflect {
                Some(Box::new(BooleanQuery::new(
                    forms
                        .iter()
                        .map(|t| {
                            (
                                Occur::Should,
                                Box::new(TermQuery::new(
                                    Term::from_field_text(f, t),
                                    IndexRecordOption::WithFreqsAndPositions,
                                )) as Box<dyn Query>,
                            )
                        })
                        .collect(),
                )))
            } else {
                phrase_or_term(f, &terms, None)
            };
            if let Some(q) = q {
                qs.push(Box::new(BoostQuery::new(q, boost)));
            }
        }
        Ok(if qs.is_empty() {
            Box::new(EmptyQuery)
        } else {
            Box::new(DisjunctionMaxQuery::with_tie_breaker(qs, 0.2))
        })
    }

    /// A connector's tree, compiled to base terms for verification on positions.
    fn span_node(&mut self, node: &Node) -> Result<SpanNode, QueryError> {
        let at = |field: &Option<FieldName>| match field {
            None => Where::TextAndHeading,
            Some(FieldName::Text) => Where::Text,
            Some(FieldName::Heading) => Where::Heading,
            Some(_) => Where::Nowhere,
        };
        Ok(match node {
            Node::Word {
                field,
                text,
                kind: WordKind::Plain,
            } => {
                let terms = self.terms(None, text);
                let slots = if terms.len() == 1 {
                    vec![self.inflections(&terms[0])?]
                } else {
                    terms.into_iter().map(|t| vec![t]).collect()
                };
                SpanNode::Seq {
                    slots,
                    slop: 0,
                    any_order: false,
                    at: at(field),
                }
            }
            Node::Word { field, text, kind } => {
                self.expand(text, *kind)?;
                let words: Vec<String> = self.expansions[text.as_str()].iter().cloned().collect();
                SpanNode::Seq {
                    slots: vec![words],
                    slop: 0,
                    any_order: false,
                    at: at(field),
                }
            }
            Node::Phrase { field, text, slop } => SpanNode::Seq {
                slots: self
                    .terms(None, text)
                    .into_iter()
                    .map(|t| vec![t])
                    .collect(),
                slop: slop.unwrap_or(0),
                any_order: slop.is_some(),
                at: at(field),
            },
            Node::Or(v) | Node::Ranked(v) => SpanNode::Or(
                v.iter()
                    .filter(|n| !matches!(n, Node::Not(_)))
                    .map(|n| self.span_node(n))
                    .collect::<Result<_, _>>()?,
            ),
            Node::And(v) => SpanNode::And(
                v.iter()
                    .filter(|n| !matches!(n, Node::Not(_)))
                    .map(|n| self.span_node(n))
                    .collect::<Result<_, _>>()?,
            ),
            Node::Not(_) => SpanNode::Or(Vec::new()),
            Node::Near {
                left,
                right,
                unit,
                ordered,
            } => SpanNode::Near {
                left: Box::new(self.span_node(left)?),
                right: Box::new(self.span_node(right)?),
                unit: *unit,
                ordered: *ordered,
            },
        })
    }

    /// The languages a ranked query is written in, from its own words: each stopword of a
    /// language counts two, each other word found in that language's passages one; the best
    /// languages win. Empty (no restriction) when nothing tells: a CJK query, or one whose words
    /// are neither stopwords nor all found in the winners.
    fn query_languages(&mut self, node: &Node) -> Vec<String> {
        let mut leaves = Vec::new();
        highlight::positive_leaves(node, &mut leaves);
        let mut words: Vec<String> = Vec::new();
        for n in &leaves {
            if let Node::Word { text, .. } = n {
                words.extend(analyzers::raw_tokens(text).into_iter().map(|t| t.text));
            }
        }
        if words.is_empty() || words.iter().any(|w| w.chars().any(analyzers::is_cjk)) {
            return Vec::new();
        }
        let is_stop = |code: &str, w: &str| {
            self.e
                .stop
                .get(code)
                .is_some_and(|a| analyzers::analyze(&mut a.clone(), w).is_empty())
        };
        let stop_anywhere: Vec<bool> = words
            .iter()
            .map(|w| self.e.stop.keys().any(|c| is_stop(c, w)))
            .collect();
        let f = self.e.fields().clone();
        let mut scored: Vec<(String, usize, usize, usize)> = Vec::new();
        for lang in self.e.languages.clone() {
            if matches!(lang.as_str(), "zh" | "ja" | "ko") {
                continue;
            }
            let (mut score, mut stops, mut found) = (0usize, 0usize, 0usize);
            for (w, &any_stop) in words.iter().zip(&stop_anywhere) {
                if is_stop(&lang, w) {
                    score += 2;
                    stops += 1;
                    continue;
                }
                if any_stop {
                    continue;
                }
                let stemmed = analyzers::STEMMED.iter().find(|(c, _)| *c == lang);
                let present = match stemmed {
                    Some((code, _)) => {
                        let words = self.terms(None, w);
                        !words.is_empty() && words.iter().all(|t| self.e.has_stem(code, t))
                    }
                    // A language without a stemmer: the word in its passages' base text.
                    None => {
                        let terms = self.terms(None, w);
                        terms.len() == 1 && {
                            let q = BooleanQuery::new(vec![
                                (
                                    Occur::Must,
                                    Box::new(TermQuery::new(
                                        Term::from_field_text(f.text, &terms[0]),
                                        IndexRecordOption::Basic,
                                    )) as Box<dyn Query>,
                                ),
                                (Occur::Must, any_of(f.language, std::slice::from_ref(&lang))),
                            ]);
                            self.e.searcher.search(&q, &Count).unwrap_or(0) > 0
                        }
                    }
                };
                if present {
                    score += 1;
                    found += 1;
                }
            }
            scored.push((lang, score, stops, found));
        }
        let best = scored.iter().map(|x| x.1).max().unwrap_or(0);
        if best == 0 {
            return Vec::new();
        }
        let content = stop_anywhere.iter().filter(|s| !**s).count();
        let winners: Vec<&(String, usize, usize, usize)> =
            scored.iter().filter(|x| x.1 == best).collect();
        // Evidence enough: the language's stopwords, or every other word found in it.
        if winners.iter().any(|x| x.2 == 0 && x.3 < content) {
            return Vec::new();
        }
        winners.into_iter().map(|x| x.0.clone()).collect()
    }
}

/// The passages holding a word of `forms` (one stem's words) in `fields`, scored as one term.
fn stem_query(fields: Vec<Field>, forms: &[Form]) -> Box<dyn Query> {
    let passages = lexicon::passages(forms);
    let words = forms.iter().map(|x| x.word.clone()).collect();
    Box::new(StemQuery::new(fields, words, passages))
}

/// One stem in the passages of language `code`: its words in the heading and the text, scored as
/// one field (what the stemmed copy of heading and text answered before the lexicon).
pub(crate) fn stem_clause(f: &Fields, code: &str, forms: &[Form]) -> Box<dyn Query> {
    in_language(f, code, stem_query(vec![f.heading, f.text], forms))
}

/// `q` in the passages of language `code` only (the filter adds nothing to the score).
fn in_language(f: &Fields, code: &str, q: Box<dyn Query>) -> Box<dyn Query> {
    in_languages(f, &[code.to_string()], q)
}

/// `q` in the passages of `langs` only (the filter adds nothing to the score).
fn in_languages(f: &Fields, langs: &[String], q: Box<dyn Query>) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(vec![
        (Occur::Must, q),
        (
            Occur::Must,
            Box::new(ConstScoreQuery::new(any_of(f.language, langs), 0.0)),
        ),
    ]))
}

fn phrase_or_term(field: Field, terms: &[String], slop: Option<u32>) -> Option<Box<dyn Query>> {
    match terms.len() {
        0 => None,
        1 => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, &terms[0]),
            IndexRecordOption::WithFreqsAndPositions,
        ))),
        _ => {
            let ts: Vec<Term> = terms
                .iter()
                .map(|t| Term::from_field_text(field, t))
                .collect();
            let mut q = PhraseQuery::new(ts.clone());
            if let Some(s) = slop {
                q.set_slop(s);
                if ts.len() == 2 {
                    let mut rev = PhraseQuery::new(vec![ts[1].clone(), ts[0].clone()]);
                    rev.set_slop(s);
                    return Some(Box::new(BooleanQuery::new(vec![
                        (Occur::Should, Box::new(q)),
                        (Occur::Should, Box::new(rev)),
                    ])));
                }
            }
            Some(Box::new(q))
        }
    }
}

fn any_of(field: Field, values: &[String]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        values
            .iter()
            .map(|v| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(field, v),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                )
            })
            .collect(),
    ))
}

impl Engine {
    pub fn open(dir: &std::path::Path) -> Result<Engine, SearchError> {
        // The taxonomy (≈ 1.5 ms) is read beside the index's opening and the query's planning:
        // a cold `cyberlex search` waits for it only where it first needs a concept.
        let taxonomy = TaxonomyCell::spawn();
        Engine::open_with(dir, taxonomy)
    }

    fn open_with(dir: &std::path::Path, taxonomy: TaxonomyCell) -> Result<Engine, SearchError> {
        let open = OpenIndex::open(dir)?;
        // One searcher for the engine's life (the server opens a new engine for a new
        // generation): the one that validated the generation.
        let searcher = open.reader.searcher();
        let mut stem = HashMap::new();
        let mut stop = HashMap::new();
        for (code, lang) in analyzers::STEMMED {
            stem.insert(*code, analyzers::stem_analyzer(*lang));
            if let Some(a) = analyzers::stopword_analyzer(*lang) {
                stop.insert(*code, a);
            }
        }
        let mut languages = HashSet::new();
        let mut columns = Vec::new();
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(open.fields.language)?;
            let mut s = inv.terms().stream().map_err(tantivy::TantivyError::from)?;
            while s.advance() {
                languages.insert(String::from_utf8_lossy(s.key()).to_string());
            }
            let ff = seg.fast_fields();
            columns.push(Columns {
                passage_id: Column::open(ff.str(FAST_PASSAGE_ID)?, false)?,
                doc_id: Column::open(ff.str(FAST_DOC_ID)?, true)?,
                kind: Column::open(ff.str(FAST_KIND)?, true)?,
                language: Column::open(ff.str(FAST_LANGUAGE)?, true)?,
                citation: Column::open(ff.str(FAST_CITATION)?, false)?,
                heading: Column::open(ff.str(FAST_HEADING)?, false)?,
                jurisdiction: Column::open(ff.str("jurisdiction")?, true)?,
                ordinal: ff.u64("ordinal").ok(),
            });
        }
        let mut languages: Vec<String> = languages.into_iter().collect();
        languages.sort();
        let lexicon = Lexicon::open(&open.generation)?;
        Ok(Engine {
            open,
            searcher,
            base: analyzers::base_analyzer(),
            stem,
            stop,
            columns,
            lexicon,
            stem_keys: Default::default(),
            languages,
            taxonomy,
            analyses: highlight::AnalysisPool::default(),
            mention_counts: Default::default(),
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.open.fields
    }

    /// The stem key of the folded word `word` in language `code` (`None` without a stemmer), from
    /// the engine's stem keys, made on first use.
    fn stem_of(&self, code: &str, word: &str) -> Option<String> {
        let mut keys = self.stem_keys.lock().unwrap_or_else(|e| e.into_inner());
        if !keys.contains_key(code) {
            keys.insert(code.to_string(), StemKey::of(code)?);
        }
        keys.get_mut(code).map(|k| k.key(word))
    }

    /// The lexicon's words of the folded word `word`'s stem in `code`'s passages (none when `code`
    /// has no stemmer or the index has no such word).
    pub(crate) fn stem_forms(&self, code: &str, word: &str) -> Vec<Form> {
        self.stem_of(code, word)
            .map(|k| self.lexicon.forms(code, &k))
            .unwrap_or_default()
    }

    /// Does a passage of `code` hold a word of the folded word `word`'s stem?
    pub(crate) fn has_stem(&self, code: &str, word: &str) -> bool {
        self.stem_of(code, word)
            .is_some_and(|k| self.lexicon.has(code, &k))
    }

    /// The searcher of the open index (term statistics for `situation`).
    pub fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    pub fn num_passages(&self) -> u64 {
        self.searcher.num_docs()
    }

    fn planner(&self, mode: Mode, deadline: Arc<Deadline>) -> Planner<'_> {
        Planner {
            e: self,
            base: self.base.clone(),
            stem: self.stem.clone(),
            text_only: false,
            mode,
            query_langs: Vec::new(),
            expansions: Expansions::new(),
            deadline,
        }
    }

    pub(crate) fn filters(&self, req: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields();
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if !req.jurisdictions.is_empty() {
            out.push((Occur::Must, any_of(f.jurisdiction, &req.jurisdictions)));
        }
        if !req.kinds.is_empty() {
            out.push((Occur::Must, any_of(f.kind, &req.kinds)));
        }
        if !req.langs.is_empty() {
            out.push((Occur::Must, any_of(f.language, &req.langs)));
        }
        if !req.concepts.is_empty() {
            out.push((Occur::Must, any_of(f.concepts, &req.concepts)));
        }
        if let Some(y) = req.since {
            out.push((
                Occur::Must,
                Box::new(RangeQuery::new(
                    Bound::Included(Term::from_field_u64(f.year, u64::from(y))),
                    Bound::Unbounded,
                )),
            ));
        }
        out
    }

    /// How a query is read as a citation, if it is one (`§ 202a`, `Art. 2`, `1030(a)(2)`): the
    /// one place citation routing happens, so a richer resolver can replace it.
    pub fn route_citation(&self, req: &SearchRequest) -> Option<Route> {
        // The pattern needs a number: a query without one never compiles it (~0.5 ms).
        if req.baseline || !citation::may_hold_number(&req.query) {
            return None;
        }
        let c = citation_regex().captures(&req.query)?;
        let pre = c.name("pre").map(|m| m.as_str().to_lowercase());
        let sub = c.name("sub").map(|m| m.as_str()).unwrap_or("");
        (pre.is_some() || !sub.is_empty()).then(|| Route {
            designator: pre,
            key: c["num"].to_lowercase(),
            words: format!("{}{}", &c["num"], sub),
        })
    }

    /// Passages' identities from the index's fast fields, without reading stored documents:
    /// ids, jurisdiction, kind, language, citation, heading and ordinal (text, title, path and
    /// URL stay empty; [`Engine::stored_passage`] reads them). The dictionary-encoded columns
    /// are decoded in one sorted pass per segment, not one block decode per passage.
    pub(crate) fn passage_metas(&self, addrs: &[DocAddress]) -> Vec<Passage> {
        // Per segment, the ordinals of passage ids, citations and headings.
        let mut by_seg: HashMap<u32, [Vec<u64>; 3]> = HashMap::new();
        for a in addrs {
            let c = &self.columns[a.segment_ord as usize];
            let [p, ci, h] = by_seg.entry(a.segment_ord).or_default();
            p.extend(c.passage_id.ord(a.doc_id));
            ci.extend(c.citation.ord(a.doc_id));
            h.extend(c.heading.ord(a.doc_id));
        }
        let decoded: HashMap<u32, [HashMap<u64, String>; 3]> = by_seg
            .into_iter()
            .map(|(seg, [mut p, mut ci, mut h])| {
                let c = &self.columns[seg as usize];
                for v in [&mut p, &mut ci, &mut h] {
                    v.sort_unstable();
                    v.dedup();
                }
                (
                    seg,
                    [
                        c.passage_id.strings_of(&p),
                        c.citation.strings_of(&ci),
                        c.heading.strings_of(&h),
                    ],
                )
            })
            .collect();
        addrs
            .iter()
            .map(|a| {
                let c = &self.columns[a.segment_ord as usize];
                let d = a.doc_id;
                let [pids, cits, heads] = &decoded[&a.segment_ord];
                let get = |m: &HashMap<u64, String>, o: Option<u64>| {
                    o.and_then(|o| m.get(&o).cloned()).unwrap_or_default()
                };
                Passage {
                    passage_id: get(pids, c.passage_id.ord(d)),
                    doc_id: c.doc_id.get(d),
                    jurisdiction: c.jurisdiction.get(d),
                    kind: c.kind.get(d),
                    language: c.language.get(d),
                    citation: get(cits, c.citation.ord(d)),
                    heading: get(heads, c.heading.ord(d)),
                    ordinal: c
                        .ordinal
                        .as_ref()
                        .and_then(|o| o.first(d))
                        .map_or(0, |o| o as u32),
                    ..Passage::default()
                }
            })
            .collect()
    }

    /// The whole passage at `addr`, from the doc store.
    pub(crate) fn stored_passage(&self, addr: DocAddress) -> Result<Passage, SearchError> {
        let doc: TantivyDocument = self.searcher.doc(addr)?;
        Ok(self.fields().from_document(&doc))
    }

    /// A candidate from the index's fast fields (no stored text is read).
    fn candidate(&self, score: f32, addr: DocAddress) -> Candidate {
        let c = &self.columns[addr.segment_ord as usize];
        let d = addr.doc_id;
        Candidate {
            score,
            addr,
            passage_ord: c.passage_id.ord(d).unwrap_or(u64::MAX),
            passage_id: String::new(),
            doc_id: c.doc_id.get(d),
            kind: c.kind.get(d),
            language: c.language.get(d),
            why: Vec::new(),
        }
    }

    /// Run a search.
    pub fn search(&self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let started = Instant::now();
        let budget = req.timeout.unwrap_or(DEFAULT_TIMEOUT);
        let deadline = Deadline::new(started + budget);
        // A citation typed with or without its instrument goes straight to the provision
        // (`citation`); one that resolves to nothing is ranked without its designator.
        let (rewritten, routing) = match self.resolve_citation(req)? {
            citation::Route::Routed(resp) => return Ok(resp),
            citation::Route::Ranked { query, routing } => (
                query.map(|query| SearchRequest {
                    query,
                    ..req.clone()
                }),
                routing,
            ),
        };
        let req = rewritten.as_ref().unwrap_or(req);
        let qerr = |error| SearchError::Query {
            query: req.query.clone(),
            error,
        };
        // The simple reading of a bare citation only when the resolver did not take it.
        let route = if routing.is_none() {
            self.route_citation(req)
        } else {
            None
        };
        let node = match &route {
            Some(r) => query::parse(&r.words).map_err(qerr)?,
            None => query::parse(&req.query).map_err(qerr)?,
        };
        let mode = if route.is_none() && !req.baseline {
            mode_of(&node)
        } else {
            Mode::Ranked
        };
        let mut planner = self.planner(mode, deadline.clone());
        planner.text_only = req.baseline;
        if mode == Mode::Ranked && !req.baseline && req.langs.is_empty() && route.is_none() {
            planner.query_langs = planner.query_languages(&node);
        }
        let planned = planner.plan(&node, &req.langs).map_err(qerr)?;
        tracing::debug!(?planned, "planned query");

        // A ranked query naming a concept of the taxonomy (in any language) also finds passages
        // tagged with it, whatever their language. Exact queries never expand.
        let concepts: Vec<String> = if route.is_none() && !req.baseline && mode == Mode::Ranked {
            self.taxonomy
                .concepts_for_query(&req.query)
                .iter()
                .map(|c| c.id.clone())
                .collect()
        } else {
            Vec::new()
        };
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = self.filters(req);
        let main: Box<dyn Query> = match &route {
            Some(r) => {
                let cite = TermQuery::new(
                    Term::from_field_text(self.fields().citation_key, &r.key),
                    IndexRecordOption::Basic,
                );
                Box::new(BooleanQuery::new(vec![
                    (
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(cite), 50.0)),
                    ),
                    (Occur::Should, planned),
                ]))
            }
            None if !concepts.is_empty() => {
                let mut qs: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Should, planned)];
                for c in &concepts {
                    let tag = TermQuery::new(
                        Term::from_field_text(self.fields().concepts, c),
                        IndexRecordOption::Basic,
                    );
                    qs.push((
                        Occur::Should,
                        Box::new(ConstScoreQuery::new(Box::new(tag), CONCEPT_SCORE)),
                    ));
                    // The concept's defining wording, as phrases of the text, only in the
                    // language(s) the query named it in: other languages are reached through
                    // the concept tag, not by flooding the ranking with their wording.
                    // Each wording is searched in passages of its own language only: spelling
                    // alone never crosses languages (`détention` ≠ "Detention").
                    for (w, boost, lang) in self.concept_wording(c, &req.query) {
                        let f = self.fields();
                        if let Some(q) = planner.text_query(f.text, None, &w, None) {
                            let q: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
                                (Occur::Must, q),
                                (
                                    Occur::Must,
                                    Box::new(ConstScoreQuery::new(
                                        any_of(f.language, &[lang]),
                                        0.0,
                                    )),
                                ),
                            ]));
                            qs.push((Occur::Should, Box::new(BoostQuery::new(q, boost))));
                        }
                    }
                }
                Box::new(BooleanQuery::new(qs))
            }
            None => planned,
        };
        clauses.push((Occur::Must, main));
        let full = BooleanQuery::new(clauses);

        let want = req.offset + req.limit.max(1);
        let n_candidates = (want * 4 + 100).min(MAX_CANDIDATES);
        // One pass counts and collects (connectors are verified inside it).
        let (total, top) = self.searcher.search(
            &full,
            &(Count, TopDocs::with_limit(n_candidates).order_by_score()),
        )?;
        let mut warnings = Vec::new();
        if deadline.is_expired() {
            if top.is_empty() {
                return Err(SearchError::Timeout {
                    query: req.query.clone(),
                    ms: budget.as_millis(),
                });
            }
            warnings.push(format!(
                "the query ran past its budget of {} ms: {} passages verified; the hits and \
                 total_hits are those found so far (narrow the query or raise --timeout)",
                budget.as_millis(),
                deadline.verified.load(std::sync::atomic::Ordering::Relaxed)
            ));
        }

        let mut cands: Vec<Candidate> = top
            .into_iter()
            .map(|(score, addr)| self.candidate(score, addr))
            .collect();
        let ctx = rules::Context {
            query: &req.query,
            node: &node,
            route: route.as_ref(),
            rerank: !req.baseline,
            searcher: &self.searcher,
            fields: self.fields(),
            columns: &self.columns,
            lexicon: &self.lexicon,
        };
        rules::rank(&rules::default_rules(), &ctx, &mut cands)?;

        let chars = if req.snippet_chars == 0 {
            240
        } else {
            req.snippet_chars
        };
        let mut hits = Vec::new();
        for (i, c) in cands
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .enumerate()
        {
            let p = self.stored_passage(c.addr)?;
            let analysis = self.analyses.take(&p.language);
            let mut m = Matcher {
                analysis,
                expansions: &planner.expansions,
            };
            let analyzed = m.analysis.analyze(&p.text);
            // A ranked query keeps to its own languages: in a passage of another language (found
            // through a concept) its words are not marked, only the concept's wording below.
            let foreign = mode == Mode::Ranked
                && !planner.query_langs.is_empty()
                && !planner.query_langs.contains(&p.language);
            let mut ranges = if foreign {
                Vec::new()
            } else {
                m.highlight(&node, &analyzed, &p.text)
            };
            let carried: Vec<&String> =
                p.concepts.iter().filter(|x| concepts.contains(x)).collect();
            // A hit found through a concept shows the concept's wording that is in its text.
            for cid in &carried {
                if let Some(k) = self.taxonomy.get(cid) {
                    let own = |m: &std::collections::BTreeMap<String, Vec<String>>| {
                        m.get(&p.language).cloned().unwrap_or_default()
                    };
                    for w in own(&k.terms).iter().chain(own(&k.labels).iter()) {
                        ranges.extend(m.wording(w, &analyzed));
                    }
                }
            }
            let ranges = highlight::merge_ranges(ranges, &p.text);
            self.analyses.give(m.analysis);
            let explanation = req.explain.then(|| {
                let mut why = c.why.join(", ");
                for cid in &carried {
                    why.push_str(&format!(", concept {cid}"));
                }
                format!("{why} → {:.3}", c.score)
            });
            hits.push(Hit::from_passage(
                p,
                req.offset + i + 1,
                c.score,
                &ranges,
                chars,
                explanation,
            ));
        }
        let parsed = req.explain.then(|| {
            let mut s = query::explain_tree(&node);
            s.push_str(&format!(
                "mode: {}\n",
                match mode {
                    Mode::Ranked => "ranked (every expansion)",
                    Mode::Exact => "exact (every hit satisfies the query literally)",
                }
            ));
            if !planner.query_langs.is_empty() {
                s.push_str(&format!(
                    "query language: {} (other languages through concepts only)\n",
                    planner.query_langs.join(", ")
                ));
            }
            let names: Vec<&str> = rules::default_rules().iter().map(|r| r.name()).collect();
            s.push_str(&format!("ranking rules: {}\n", names.join(" → ")));
            s
        });
        Ok(SearchResponse {
            query: req.query.clone(),
            total_hits: total,
            offset: req.offset,
            hits,
            parsed,
            mode,
            warnings,
            routing,
        })
    }

    /// Labels and key terms of concept `id` in the language(s) `query` names it in, weighted:
    /// key terms (the defining wording) weigh more than labels (names).
    fn concept_wording(&self, id: &str, query: &str) -> Vec<(String, f32, String)> {
        let q = fold(query);
        let mut wording = Vec::new();
        if let Some(k) = self.taxonomy.get(id) {
            for (lang, labels) in &k.labels {
                if labels.iter().any(|l| contains_phrase(&q, &fold(l))) {
                    wording.extend(labels.iter().map(|l| (l.clone(), 0.5, lang.clone())));
                    let terms = k.terms.get(lang).into_iter().flatten();
                    wording.extend(terms.map(|t| (t.clone(), 1.5, lang.clone())));
                }
            }
        }
        wording
    }

    /// One passage by id.
    pub fn passage(&self, passage_id: &str) -> Result<Passage, SearchError> {
        let f = self.fields();
        let q = TermQuery::new(
            Term::from_field_text(f.passage_id, passage_id),
            IndexRecordOption::Basic,
        );
        let top = self
            .searcher
            .search(&q, &TopDocs::with_limit(1).order_by_score())?;
        let (_, addr) = top
            .first()
            .ok_or_else(|| SearchError::UnknownPassage(passage_id.to_string()))?;
        self.stored_passage(*addr)
    }

    /// All passages of a document, in order.
    pub fn document(&self, doc_id: &str) -> Result<Vec<Passage>, SearchError> {
        let f = self.fields();
        let q = TermQuery::new(
            Term::from_field_text(f.doc_id, doc_id),
            IndexRecordOption::Basic,
        );
        let n = self.searcher.search(&q, &Count)?;
        if n == 0 {
            return Ok(Vec::new());
        }
        let top = self
            .searcher
            .search(&q, &TopDocs::with_limit(n).order_by_score())?;
        let mut out = Vec::with_capacity(n);
        for (_, addr) in top {
            out.push(self.stored_passage(addr)?);
        }
        out.sort_by_key(|p| p.ordinal);
        Ok(out)
    }

    /// Every passage, ordered by document id and ordinal (for `export`).
    pub fn all_passages(&self) -> Result<Vec<Passage>, SearchError> {
        let f = self.fields();
        let mut out = Vec::new();
        for seg in self.searcher.segment_readers() {
            let store = seg
                .get_store_reader(64)
                .map_err(tantivy::TantivyError::from)?;
            for doc_id in seg.doc_ids_alive() {
                let doc: TantivyDocument = store.get(doc_id)?;
                out.push(f.from_document(&doc));
            }
        }
        out.sort_by(|a, b| a.doc_id.cmp(&b.doc_id).then(a.ordinal.cmp(&b.ordinal)));
        Ok(out)
    }
}

pub(crate) fn designator_matches(pre: &str, citation: &str) -> bool {
    let c = citation.to_lowercase();
    if pre.starts_with('§') {
        c.contains('§')
    } else if pre.starts_with("art") || pre.starts_with("ст") {
        c.contains("art")
    } else if pre.starts_with('s') {
        c.starts_with("s.") || c.contains(", s.") || c.starts_with("sec")
    } else {
        true
    }
}

fn char_offset(s: &str, byte: usize) -> usize {
    s[..byte.min(s.len())].chars().count()
}

/// A window of about `chars` characters around the densest cluster of highlights, cut at word
/// boundaries, with `…` where text was left out. Returns the snippet and its highlights as
/// character ranges.
pub fn snippet(text: &str, ranges: &[Range<usize>], chars: usize) -> (String, Vec<[usize; 2]>) {
    let budget = chars * 3; // bytes, roughly: enough for non-Latin scripts
    let total = text.len();
    let (mut start, mut end) = if total <= budget {
        (0, total)
    } else {
        // Choose the window start (at a highlight) that covers most highlights.
        let mut best = (0usize, 0usize);
        for (i, r) in ranges.iter().enumerate() {
            let ws = r.start.saturating_sub(budget / 4);
            let n = ranges[i..].iter().filter(|x| x.end <= ws + budget).count();
            if n > best.1 {
                best = (ws, n);
            }
        }
        let s = best.0;
        (s, (s + budget).min(total))
    };
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < total && !text.is_char_boundary(end) {
        end += 1;
    }
    // Cut at whitespace where possible.
    if start > 0 {
        if let Some(i) = text[start..end].find(char::is_whitespace) {
            if i < 30 {
                start += i + 1;
            }
        }
    }
    if end < total {
        if let Some(i) = text[start..end].rfind(char::is_whitespace) {
            if end - (start + i) < 30 {
                end = start + i;
            }
        }
    }
    let prefix = if start > 0 { "… " } else { "" };
    let suffix = if end < total { " …" } else { "" };
    let body = text[start..end].replace('\n', " ");
    let snippet = format!("{prefix}{body}{suffix}");
    let base = prefix.chars().count();
    let hl = ranges
        .iter()
        .filter(|r| r.start >= start && r.end <= end)
        .map(|r| {
            [
                base + text[start..r.start].chars().count(),
                base + text[start..r.end].chars().count(),
            ]
        })
        .collect();
    (snippet, hl)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Engines of one process share the built-in taxonomy (and so its tagging automata); one
    /// given with `--taxonomy` stays their own.
    #[test]
    fn engines_share_the_builtin_taxonomy_but_not_a_given_one() {
        let (a, b) = (TaxonomyCell::spawn(), TaxonomyCell::spawn());
        assert!(Arc::ptr_eq(&a.shared(), &b.shared()));
        assert!(a.get("illegal-access").is_some());
        let own = TaxonomyCell::ready(Taxonomy::builtin());
        assert!(!Arc::ptr_eq(&own.shared(), &a.shared()));
        assert_eq!(own.concepts.len(), a.concepts.len());
    }

    #[test]
    fn snippet_centres_on_highlights() {
        let text = format!(
            "{} needle here {}",
            "filler ".repeat(200),
            "tail ".repeat(200)
        );
        let at = text.find("needle").unwrap();
        let ranges: Vec<Range<usize>> = std::iter::once(at..at + 6).collect();
        let (s, hl) = snippet(&text, &ranges, 100);
        assert!(s.starts_with("… ") && s.ends_with(" …"), "{s}");
        let chars: Vec<char> = s.chars().collect();
        let [a, b] = hl[0];
        assert_eq!(chars[a..b].iter().collect::<String>(), "needle");
    }

    #[test]
    fn citation_queries_are_recognised() {
        let re = citation_regex();
        for q in [
            "§ 202a",
            "Art. 2",
            "1030(a)(2)",
            "18 U.S.C. § 1030",
            "s. 3",
            "art. 154-A",
            "Article 323-3-1",
        ] {
            assert!(re.is_match(q), "{q}");
        }
        assert!(!re.is_match("illegal access"));
    }
}
