//! `search`: query language, ranking, snippets and highlights.
//!
//! A query string is parsed into a [`query::Node`] tree (terms and connectors), planned into a
//! tantivy query over the text fields — every word searched in the base field and, stemmed, in
//! the field of every language the index holds — and filtered by jurisdiction, kind, language and
//! year. Candidates are then re-ranked: BM25, plus a boost when the query's words stand close
//! together, and a citation typed as the query (`§ 202a`, `Art. 2`, `1030(a)(2)`) goes straight to
//! that provision. Proximity connectors are verified on the passage text, and the same matcher
//! yields the highlighted spans.

pub mod compare;
pub mod highlight;
pub mod query;
pub mod situation;
pub mod views;

use std::collections::{HashMap, HashSet};
use std::ops::{Bound, Range};

use regex::Regex;
use serde::Serialize;
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur,
    PhraseQuery, Query, RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::{DocAddress, Searcher, TantivyDocument, Term};

use crate::corpus::taxonomy::{contains_phrase, fold};
use crate::corpus::Taxonomy;
use crate::index::{analyzers, citation_key, citation_subsection, Fields, IndexError, OpenIndex};
use crate::segment::Passage;
use highlight::{contains_near, Expansions, Matcher, TextAnalysis};
use query::{FieldName, Node, QueryError, WordKind};

/// Most words one `!` or `*` may expand to.
pub const MAX_EXPANSIONS: usize = 200;
/// Score a passage earns for carrying a concept the query names (BM25 of a good match is 10-25).
pub const CONCEPT_SCORE: f32 = 15.0;
/// Weight of each further passage of a document already in the results (document crowding).
pub const CROWDING: f32 = 0.85;
/// A candidate being re-ranked: score, passage, highlighted byte ranges, address, explanation.
type Scored = (f32, Passage, Vec<Range<usize>>, DocAddress, String);

/// Most candidates re-ranked and verified per search.
pub const MAX_CANDIDATES: usize = 2000;

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
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResponse {
    pub query: String,
    pub total_hits: usize,
    pub offset: usize,
    pub hits: Vec<Hit>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parsed: Option<String>,
}

/// A searchable index and what is needed to plan queries on it.
pub struct Engine {
    pub open: OpenIndex,
    searcher: Searcher,
    base: TextAnalyzer,
    stem: HashMap<&'static str, TextAnalyzer>,
    /// Languages present in the index.
    pub languages: Vec<String>,
    pub taxonomy: Taxonomy,
    /// Set for the duration of a baseline search: words are searched in the text field only.
    text_only: bool,
}

fn citation_regex() -> Regex {
    Regex::new(r"(?i)^\s*(?:\d+\s*U\.?\s?S\.?\s?C\.?\s*)?(?P<pre>§+|art\.?|article|artikel|artículo|articolo|статья|ст\.|s\.|ss\.|sec\.|section|para\.)?\s*(?P<num>\d+[a-z]?(?:[-.]\d+[a-z]?)*(?:-[a-z]+)?)(?P<sub>(?:\([a-z0-9]+\))*)\s*$")
        .expect("valid regex")
}

impl Engine {
    pub fn open(dir: &std::path::Path) -> Result<Engine, SearchError> {
        let open = OpenIndex::open(dir)?;
        let reader = open.index.reader()?;
        let searcher = reader.searcher();
        let mut stem = HashMap::new();
        for (code, lang) in analyzers::STEMMED {
            stem.insert(*code, analyzers::stem_analyzer(*lang));
        }
        let mut languages = HashSet::new();
        for seg in searcher.segment_readers() {
            let inv = seg.inverted_index(open.fields.language)?;
            let mut s = inv.terms().stream().map_err(tantivy::TantivyError::from)?;
            while s.advance() {
                languages.insert(String::from_utf8_lossy(s.key()).to_string());
            }
        }
        let mut languages: Vec<String> = languages.into_iter().collect();
        languages.sort();
        Ok(Engine {
            open,
            searcher,
            base: analyzers::base_analyzer(),
            stem,
            languages,
            taxonomy: Taxonomy::builtin(),
            text_only: false,
        })
    }

    pub fn fields(&self) -> &Fields {
        &self.open.fields
    }

    /// The searcher of the open index (term statistics for `situation`).
    pub fn searcher(&self) -> &Searcher {
        &self.searcher
    }

    pub fn num_passages(&self) -> u64 {
        self.searcher.num_docs()
    }

    fn terms(&mut self, analyzer: Option<&'static str>, text: &str) -> Vec<String> {
        let a = match analyzer {
            Some(l) => self.stem.get_mut(l).expect("known language"),
            None => &mut self.base,
        };
        analyzers::analyze(a, text)
    }

    fn text_query(
        &mut self,
        field: Field,
        analyzer: Option<&'static str>,
        text: &str,
        slop: Option<u32>,
    ) -> Option<Box<dyn Query>> {
        let terms = self.terms(analyzer, text);
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

    /// Fields (with boosts) a clause restricted to `field` searches; `None` = the default set.
    fn targets(
        &self,
        field: Option<FieldName>,
        langs: &[String],
    ) -> Vec<(Field, Option<&'static str>, f32)> {
        let f = self.fields();
        let mut v = Vec::new();
        if self.text_only {
            return vec![(f.text, None, 1.0)];
        }
        match field {
            None | Some(FieldName::Text) => {
                v.push((f.text, None, 1.0));
                for (code, sf) in &f.stemmed {
                    if langs.is_empty() || langs.iter().any(|l| l == code) {
                        v.push((*sf, Some(*code), 0.9));
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

    fn expand(
        &mut self,
        text: &str,
        kind: WordKind,
        expansions: &mut Expansions,
    ) -> Result<(), QueryError> {
        if expansions.contains_key(text) {
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
        let mut found = HashSet::new();
        let field = self.fields().text;
        for seg in self.searcher.segment_readers() {
            let inv = seg.inverted_index(field).map_err(|e| QueryError {
                position: 0,
                message: e.to_string(),
                hint: None,
            })?;
            let mut stream = inv
                .terms()
                .range()
                .ge(prefix.as_bytes())
                .into_stream()
                .map_err(|e| QueryError {
                    position: 0,
                    message: e.to_string(),
                    hint: None,
                })?;
            while stream.advance() {
                let k = String::from_utf8_lossy(stream.key()).to_string();
                if !k.starts_with(&prefix) {
                    break;
                }
                if pattern.as_ref().is_none_or(|re| re.is_match(&k)) {
                    found.insert(k);
                    if found.len() > MAX_EXPANSIONS {
                        return Err(QueryError {
                            position: 0,
                            message: format!(
                                "`{text}` expands to more than {MAX_EXPANSIONS} words"
                            ),
                            hint: Some("make the root longer".into()),
                        });
                    }
                }
            }
        }
        expansions.insert(text.to_string(), found);
        Ok(())
    }

    fn plan(
        &mut self,
        node: &Node,
        langs: &[String],
        expansions: &mut Expansions,
    ) -> Result<Box<dyn Query>, QueryError> {
        Ok(match node {
            Node::Word {
                field: Some(f @ (FieldName::Jurisdiction | FieldName::Kind | FieldName::Lang)),
                text,
                ..
            } => {
                let fl = self.fields();
                let (field, value) = match f {
                    FieldName::Jurisdiction => (
                        fl.jurisdiction,
                        crate::corpus::Jurisdictions::builtin()
                            .resolve(text)
                            .map_err(|e| QueryError {
                                position: 0,
                                message: e.to_string(),
                                hint: None,
                            })?,
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
            } => {
                let mut qs: Vec<Box<dyn Query>> = Vec::new();
                for (f, an, boost) in self.targets(*field, langs) {
                    if let Some(q) = self.text_query(f, an, text, None) {
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
                self.expand(text, *kind, expansions)?;
                let words: Vec<String> = expansions[text.as_str()].iter().cloned().collect();
                let fl = self.fields().clone();
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
                for (f, an, boost) in self.targets(*field, langs) {
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
                        Node::Not(inner) => {
                            qs.push((Occur::MustNot, self.plan(inner, langs, expansions)?))
                        }
                        n => qs.push((Occur::Must, self.plan(n, langs, expansions)?)),
                    }
                }
                Box::new(BooleanQuery::new(qs))
            }
            Node::Or(v) | Node::Ranked(v) => {
                let mut qs = Vec::new();
                for n in v {
                    match n {
                        Node::Not(inner) => {
                            qs.push((Occur::MustNot, self.plan(inner, langs, expansions)?))
                        }
                        n => qs.push((Occur::Should, self.plan(n, langs, expansions)?)),
                    }
                }
                Box::new(BooleanQuery::new(qs))
            }
            Node::Not(inner) => Box::new(BooleanQuery::new(vec![
                (Occur::Must, Box::new(AllQuery)),
                (Occur::MustNot, self.plan(inner, langs, expansions)?),
            ])),
            Node::Near { left, right, .. } => Box::new(BooleanQuery::new(vec![
                (Occur::Must, self.plan(left, langs, expansions)?),
                (Occur::Must, self.plan(right, langs, expansions)?),
            ])),
        })
    }

    pub(crate) fn filters(&self, req: &SearchRequest) -> Vec<(Occur, Box<dyn Query>)> {
        let f = self.fields();
        let mut out: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        let any_of = |field: Field, values: &[String]| -> Box<dyn Query> {
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
        };
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

    /// Run a search.
    pub fn search(&mut self, req: &SearchRequest) -> Result<SearchResponse, SearchError> {
        let qerr = |error| SearchError::Query {
            query: req.query.clone(),
            error,
        };
        // A citation typed as the query goes straight to that provision.
        let route = citation_regex()
            .captures(&req.query)
            .filter(|_| !req.baseline)
            .and_then(|c| {
                let pre = c.name("pre").map(|m| m.as_str().to_lowercase());
                let sub = c.name("sub").map(|m| m.as_str()).unwrap_or("");
                (pre.is_some() || !sub.is_empty()).then(|| {
                    (
                        pre,
                        c["num"].to_lowercase(),
                        format!("{}{}", &c["num"], sub),
                    )
                })
            });
        let node = match &route {
            Some((_, _, words)) => query::parse(words).map_err(qerr)?,
            None => query::parse(&req.query).map_err(qerr)?,
        };
        let langs = req.langs.clone();
        let mut expansions = Expansions::new();
        self.text_only = req.baseline;
        let planned = self.plan(&node, &langs, &mut expansions);
        self.text_only = false;
        let planned = planned.map_err(qerr)?;

        // A query naming a concept of the taxonomy (in any language) also finds passages tagged
        // with it, whatever their language.
        let concepts: Vec<String> = if route.is_none() && !req.baseline {
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
            Some((_, key, _)) => {
                let cite = TermQuery::new(
                    Term::from_field_text(self.fields().citation_key, key),
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
            None if is_plain(&node) && !concepts.is_empty() => {
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
                    // The concept's defining wording, in every language, as phrases of the text.
                    // Only in the language(s) the query named it in: other languages are reached
                    // through the concept tag, not by flooding the ranking with their wording.
                    let q = fold(&req.query);
                    // Key terms (the defining wording) weigh more than labels (names).
                    let mut wording: Vec<(String, f32)> = Vec::new();
                    if let Some(k) = self.taxonomy.get(c) {
                        for (lang, labels) in &k.labels {
                            if labels.iter().any(|l| contains_phrase(&q, &fold(l))) {
                                wording.extend(labels.iter().map(|l| (l.clone(), 0.5)));
                                let terms = k.terms.get(lang).into_iter().flatten();
                                wording.extend(terms.map(|t| (t.clone(), 1.5)));
                            }
                        }
                    }
                    let text = self.fields().text;
                    for (w, boost) in wording {
                        if let Some(q) = self.text_query(text, None, &w, None) {
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

        let needs_verify = contains_near(&node);
        let want = req.offset + req.limit.max(1);
        let n_candidates = (want * 4 + 100).min(MAX_CANDIDATES);
        let total = self.searcher.search(&full, &Count)?;
        let top = self
            .searcher
            .search(&full, &TopDocs::with_limit(n_candidates).order_by_score())?;

        let f = self.fields().clone();
        let mut scored: Vec<Scored> = Vec::new();
        let mut analyses: HashMap<String, TextAnalysis> = HashMap::new();
        for (score, addr) in top {
            let doc: TantivyDocument = self.searcher.doc(addr)?;
            let p = f.from_document(&doc);
            let analysis = analyses
                .remove(&p.language)
                .unwrap_or_else(|| TextAnalysis::new(&p.language));
            let mut m = Matcher {
                analysis,
                expansions: &expansions,
            };
            let analyzed = m.analysis.analyze(&p.text);
            if needs_verify && !m.satisfies(&node, &analyzed) {
                analyses.insert(p.language.clone(), m.analysis);
                continue;
            }
            let ranges = m.highlight(&node, &analyzed, &p.text);
            let mut why = format!("index score {score:.3} (bm25 + concept)");
            let mut s = score;
            let rerank = !req.baseline;
            if rerank && matches!(p.kind.as_str(), "analysis" | "ngo-statement") && route.is_none()
            {
                // Lawyers look for provisions first; commentary about them ranks after.
                why.push_str(", commentary → ×0.75");
                s *= 0.75;
            }
            if rerank && !p.heading.is_empty() && fold(&p.heading) == fold(&req.query) {
                why.push_str(", heading is the query → ×1.5");
                s *= 1.5;
            }
            if let Some(w) = m.min_window(&node, &analyzed).filter(|_| rerank) {
                let bonus = 1.0 + 0.5 / (w as f32).max(1.0);
                why.push_str(&format!(", words within {w} → ×{bonus:.2}"));
                s *= bonus;
            }
            if let Some((pre, key, query_words)) = &route {
                if citation_key(&p.citation) == *key {
                    let designator_ok = match pre.as_deref() {
                        None => true,
                        Some(pr) => designator_matches(pr, &p.citation),
                    };
                    let mut bonus = if designator_ok { 100.0 } else { 20.0 };
                    let want = citation_subsection(query_words);
                    let have = citation_subsection(&p.citation);
                    if !have.is_empty() && want.starts_with(&have) {
                        bonus += 50.0;
                    } else if !have.is_empty() && !want.is_empty() {
                        bonus -= 10.0;
                    }
                    why.push_str(&format!(", citation {} → +{bonus}", p.citation));
                    s += bonus;
                }
            }
            for c in p.concepts.iter().filter(|c| concepts.contains(c)) {
                why.push_str(&format!(", concept {c}"));
            }
            analyses.insert(p.language.clone(), m.analysis);
            scored.push((s, p, ranges, addr, why));
        }
        let order = |a: &Scored, b: &Scored| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.passage_id.cmp(&b.1.passage_id))
        };
        scored.sort_by(order);
        // Document crowding: each further passage of the same document weighs a little less, so
        // the first page shows many provisions rather than one statute's many sections.
        if route.is_none() && !req.baseline {
            let mut seen: HashMap<String, i32> = HashMap::new();
            for item in scored.iter_mut() {
                let k = seen.entry(item.1.doc_id.clone()).or_insert(0);
                if *k > 0 {
                    let f = CROWDING.powi(*k);
                    item.0 *= f;
                    item.4
                        .push_str(&format!(", passage {} of its document → ×{f:.2}", *k + 1));
                }
                *k += 1;
            }
            scored.sort_by(order);
        }
        let total_hits = if needs_verify { scored.len() } else { total };
        let chars = if req.snippet_chars == 0 {
            240
        } else {
            req.snippet_chars
        };
        let hits = scored
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .enumerate()
            .map(|(i, (score, p, ranges, _addr, why))| {
                let (snippet, hl) = snippet(&p.text, &ranges, chars);
                // (tantivy's own `Query::explain` is not used: it can panic on phrase queries.)
                let explanation = req.explain.then(|| format!("{why} → {score:.3}"));
                Hit {
                    rank: req.offset + i + 1,
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
                    highlights: hl,
                    text: p.text,
                    url: p.url,
                    explanation,
                }
            })
            .collect();
        Ok(SearchResponse {
            query: req.query.clone(),
            total_hits,
            offset: req.offset,
            hits,
            parsed: req.explain.then(|| query::explain_tree(&node)),
        })
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
        let doc: TantivyDocument = self.searcher.doc(*addr)?;
        Ok(f.from_document(&doc))
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
            let doc: TantivyDocument = self.searcher.doc(addr)?;
            out.push(f.from_document(&doc));
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

/// Words and phrases only (no operators): a query concepts may expand.
fn is_plain(n: &Node) -> bool {
    match n {
        Node::Word { field: None, .. } | Node::Phrase { field: None, .. } => true,
        Node::Ranked(v) => v.iter().all(is_plain),
        _ => false,
    }
}

fn designator_matches(pre: &str, citation: &str) -> bool {
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
