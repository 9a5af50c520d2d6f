//! `situation`: a client's story in, the provisions that apply out.
//!
//! A description of facts (up to 64 KiB, any corpus language) is never parsed as a query: its
//! quotes, parentheses, `AND` and hyphens are prose. Instead it is analysed the way the index
//! analysed its passages, and ranked by named, explainable rules:
//!
//! 1. **salient terms** — a more-like-this over the index's own statistics: each word (grouped
//!    by its stem in the description's language) is weighted `(1 + ln tf) · idf`, with `idf` from
//!    the word's document frequency in the index; words in more than [`MAX_DF_SHARE`] of the
//!    passages (statistical stopwords) or in fewer than [`MIN_DF`] (names, typos) are dropped, and
//!    the best [`MAX_TERMS`] are kept;
//! 2. **legal phrases** — adjacent word pairs of the description that the index holds as a
//!    phrase often enough to be a collocation (`computer system`, `access code`), by the phrase's
//!    own document frequency against its words' ([`MIN_COLLOCATION`]);
//! 3. **concepts** — the taxonomy's labels in the description, and lay cues
//!    (`corpus/situation.toml`: "password + database → illegal-access"); passages tagged with a
//!    recognised concept earn [`LABEL_BONUS`] or [`CUE_BONUS`];
//! 4. **places** — a jurisdiction the story names (its name, alias, a city or demonym) gives its
//!    passages [`PLACE_BONUS`] (a bonus, not a filter);
//! 5. **provisions over commentary** — analyses and statements weigh [`COMMENTARY`].
//!
//! `baseline: true` is plain BM25 over every word of the description on the passage text (what
//! `eval` compares against).

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{
    BooleanQuery, BoostQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, PhraseQuery, Query,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{TantivyDocument, Term};

use super::highlight::{Analyzed, TextAnalysis};
use super::query::QueryError;
use super::{Engine, Hit, SearchError, SearchRequest, SearchResponse};
use crate::corpus::taxonomy::{contains_phrase, fold};
use crate::corpus::Jurisdictions;
use crate::index::analyzers::{is_cjk, STEMMED};
use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer};

/// Longest description accepted.
pub const MAX_SITUATION_BYTES: usize = 64 * 1024;
/// A word the description writes with a capital inside sentences at least this share of the
/// times (and at least [`NAME_MIN`] times) is a name of the story (`the Group`), not a term.
pub const NAME_SHARE: f64 = 0.8;
pub const NAME_MIN: usize = 2;
/// Most single terms chosen.
pub const MAX_TERMS: usize = 32;
/// Most phrases chosen.
pub const MAX_PHRASES: usize = 12;
/// Phrase candidates whose document frequency is looked up.
pub const PHRASE_CANDIDATES: usize = 40;
/// A word in more than this share of the passages is too common to carry the story.
pub const MAX_DF_SHARE: f64 = 0.2;
/// A word in fewer passages than this is a name or a typo, not a legal term (in an index, or a
/// language, of at least [`SMALL_INDEX`] passages).
pub const MIN_DF: u64 = 2;
/// Below this many passages, a word in a single passage is kept.
pub const SMALL_INDEX: u64 = 500;
/// A word is never too common while it is in at most this many passages.
pub const COMMON_DF_MIN: u64 = 20;
/// A word in only a handful of passages is as likely a name as a legal term: its idf is capped
/// at that of a word in this share of the passages (at least [`RARE_DF_MIN`]).
pub const RARE_SHARE: f64 = 0.005;
pub const RARE_DF_MIN: u64 = 5;
/// A pair of words is a phrase when at least this share of the passages holding its rarer word
/// hold the pair side by side.
pub const MIN_COLLOCATION: f64 = 0.1;
/// Bonus of a passage tagged with a concept the description names by a taxonomy label, as a
/// share of the best text match's score.
pub const LABEL_BONUS: f32 = 0.5;
/// Bonus of a passage tagged with a concept recognised from lay cues (share of the best match).
pub const CUE_BONUS: f32 = 0.5;
/// Share of the bonus of each further recognised concept a passage carries (the best one counts
/// in full).
pub const CONCEPT_TIE: f32 = 0.2;
/// Bonus of a passage of a jurisdiction the description names (share of the best match).
pub const PLACE_BONUS: f32 = 0.5;
/// Weight of commentary (analyses, statements) against provisions.
pub const COMMENTARY: f32 = 0.6;
/// Weight of each further passage of a document already ranked. 1 = none: the provisions that
/// apply to one story often stand side by side in one statute (tuned on the `tune` split:
/// 0.9 and 0.95 both ranked worse).
pub const SITUATION_CROWDING: f32 = 1.0;

/// A described situation to rank provisions for.
#[derive(Debug, Clone, Default)]
pub struct SituationRequest {
    pub text: String,
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
    /// Plain BM25 over every word of the description on the passage text (for `eval`).
    pub baseline: bool,
    /// Characters of context in a snippet (0 = 240).
    pub snippet_chars: usize,
}

/// A term or phrase the ranking chose, with its weight (the boost of its clause).
#[derive(Debug, Clone, Serialize)]
pub struct WeightedTerm {
    /// The word or phrase as the index holds it (lower case, accents folded).
    pub term: String,
    pub phrase: bool,
    /// Boost of its clause, the best term = 1.
    pub weight: f32,
    /// How often the description uses it.
    pub occurrences: usize,
    /// How many passages of the index hold it.
    pub passages: u64,
}

/// A concept of the taxonomy the description was recognised to be about, and why.
#[derive(Debug, Clone, Serialize)]
pub struct RecognisedConcept {
    pub id: String,
    /// `label "unauthorised access"` or `cue password + database`.
    pub rule: String,
    /// The bonus of its passages, as a share of the best text match's score.
    pub bonus: f32,
}

/// The search response (flattened: `query`, `total_hits`, `offset`, `hits`) plus what the
/// ranking chose.
#[derive(Debug, Clone, Serialize)]
pub struct SituationResponse {
    #[serde(flatten)]
    pub search: SearchResponse,
    pub terms: Vec<WeightedTerm>,
    pub concepts: Vec<RecognisedConcept>,
    /// Jurisdictions the description names (their passages got [`PLACE_BONUS`]).
    pub places: Vec<String>,
    /// The language the description was detected to be in, if the index holds it.
    pub language: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cue {
    concept: String,
    all: Vec<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Place {
    code: String,
    words: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CueFile {
    #[serde(default)]
    stopwords: HashMap<String, Vec<String>>,
    #[serde(default)]
    cue: Vec<Cue>,
    #[serde(default)]
    place: Vec<Place>,
}

const CUES: &str = include_str!("../../corpus/situation.toml");

/// Lay cues and place words, folded once.
pub struct Cues {
    /// Folded function words of every language (a story's words, not a statute's).
    stopwords: HashSet<String>,
    cues: Vec<(String, Vec<Vec<String>>)>,
    places: Vec<(String, Vec<String>)>,
}

impl Cues {
    pub fn builtin() -> &'static Cues {
        static C: OnceLock<Cues> = OnceLock::new();
        C.get_or_init(|| {
            Cues::parse(CUES).expect("corpus/situation.toml is checked by the test suite")
        })
    }

    pub fn parse(text: &str) -> Result<Cues, toml::de::Error> {
        let f: CueFile = toml::from_str(text)?;
        let table = Jurisdictions::builtin();
        let mut places: Vec<(String, Vec<String>)> = table
            .all
            .iter()
            .map(|j| {
                let mut w = vec![fold(&j.name)];
                w.extend(j.aliases.iter().map(|a| fold(a)));
                (j.code.clone(), w)
            })
            .collect();
        for p in f.place {
            let words = p.words.iter().map(|w| fold(w));
            match places.iter_mut().find(|(c, _)| *c == p.code) {
                Some((_, w)) => w.extend(words),
                None => places.push((p.code, words.collect())),
            }
        }
        Ok(Cues {
            stopwords: f.stopwords.values().flatten().map(|w| fold(w)).collect(),
            cues: f
                .cue
                .into_iter()
                .map(|c| {
                    let groups = c
                        .all
                        .iter()
                        .map(|g| g.iter().map(|w| fold(w)).collect())
                        .collect();
                    (c.concept, groups)
                })
                .collect(),
            places,
        })
    }

    /// A function word: in the data list, or in tantivy's stop list for `lang`.
    fn is_stopword(&self, lang: Option<&str>, folded: &str, raw: &str) -> bool {
        if self.stopwords.contains(folded) {
            return true;
        }
        let Some(l) = lang else { return false };
        static FILTERS: OnceLock<HashMap<&'static str, Option<std::sync::Mutex<TextAnalyzer>>>> =
            OnceLock::new();
        let filters = FILTERS.get_or_init(|| {
            STEMMED
                .iter()
                .map(|(code, language)| {
                    let a = StopWordFilter::new(*language).map(|f| {
                        std::sync::Mutex::new(
                            TextAnalyzer::builder(SimpleTokenizer::default())
                                .filter(LowerCaser)
                                .filter(f)
                                .build(),
                        )
                    });
                    (*code, a)
                })
                .collect()
        });
        match filters.get(l) {
            Some(Some(m)) => {
                let mut a = m.lock().unwrap_or_else(|e| e.into_inner());
                let mut ts = a.token_stream(raw);
                !ts.advance()
            }
            _ => false,
        }
    }

    /// Concept ids the cues name (for the test that every one exists in the taxonomy).
    pub fn concept_ids(&self) -> impl Iterator<Item = &str> {
        self.cues.iter().map(|(c, _)| c.as_str())
    }

    /// Concepts whose every cue group has a word in `folded`, with the words that matched.
    fn concepts(&self, folded: &str) -> Vec<(String, Vec<String>)> {
        let mut out: Vec<(String, Vec<String>)> = Vec::new();
        for (concept, groups) in &self.cues {
            let found: Option<Vec<String>> = groups
                .iter()
                .map(|g| g.iter().find(|w| has_word(folded, w)).cloned())
                .collect();
            if let Some(words) = found {
                if !out.iter().any(|(c, _)| c == concept) {
                    out.push((concept.clone(), words));
                }
            }
        }
        out
    }

    /// Jurisdiction codes the description names, with the word that named each.
    fn places(&self, folded: &str) -> Vec<(String, String)> {
        self.places
            .iter()
            .filter_map(|(code, words)| {
                words
                    .iter()
                    .find(|w| has_word(folded, w))
                    .map(|w| (code.clone(), w.clone()))
            })
            .collect()
    }
}

/// `word` in `hay` at word boundaries; a trailing `*` matches any word it starts.
fn has_word(hay: &str, word: &str) -> bool {
    match word.strip_suffix('*') {
        None => contains_phrase(hay, word),
        Some("") => false,
        Some(stem) => {
            let cjk = stem.chars().any(is_cjk);
            let mut from = 0;
            while let Some(i) = hay[from..].find(stem) {
                let start = from + i;
                if cjk
                    || hay[..start]
                        .chars()
                        .next_back()
                        .is_none_or(|c| !c.is_alphanumeric())
                {
                    return true;
                }
                from = start + stem.chars().next().map(char::len_utf8).unwrap_or(1);
            }
            false
        }
    }
}

/// Does a search query read as a description of facts rather than keywords? (Many words in
/// sentences: `search` then points to `cyberlex situation`.)
pub fn reads_as_prose(query: &str) -> bool {
    let words = query.split_whitespace().count();
    let sentences = query.matches(['.', '?', '!', ';']).count() + query.matches(", ").count();
    words >= 30 && sentences >= 2
}

/// ISO 639-1 of the description's language, when the detector is confident enough.
pub use crate::corpus::own::{detect_language, detect_language_among};

fn idf(df: u64, n: u64) -> f32 {
    let (df, n) = (df as f64, n as f64);
    ((1.0 + (n - df + 0.5) / (df + 0.5)).ln()) as f32
}

/// A word worth weighing: not a number, not a single letter (CJK bigrams are fine).
fn is_wordlike(term: &str) -> bool {
    let n = term.chars().count();
    !term.chars().all(|c| c.is_ascii_digit()) && (n >= 2 || term.chars().any(is_cjk))
}

struct Group {
    base: String,
    stem: String,
    tf: usize,
    df: u64,
    weight: f32,
}

/// What the description was turned into.
struct Plan {
    terms: Vec<Group>,
    phrases: Vec<(Vec<String>, usize, u64, f32)>,
    concepts: Vec<RecognisedConcept>,
    places: Vec<(String, String)>,
    lang: Option<&'static str>,
}

fn refuse(text: &str, message: String, hint: &str) -> SearchError {
    SearchError::Query {
        query: text.chars().take(200).collect(),
        error: QueryError {
            position: 0,
            message,
            hint: Some(hint.into()),
        },
    }
}

impl Engine {
    /// Rank passages by how well they apply to a described situation.
    pub fn situation(&self, req: &SituationRequest) -> Result<SituationResponse, SearchError> {
        if req.text.trim().is_empty() {
            return Err(refuse(
                &req.text,
                "the description is empty".into(),
                "describe the facts in a few sentences, or pass --file FILE",
            ));
        }
        if req.text.len() > MAX_SITUATION_BYTES {
            return Err(refuse(
                &req.text,
                format!(
                    "the description is {} bytes long; the limit is {MAX_SITUATION_BYTES}",
                    req.text.len()
                ),
                "keep the facts that matter, or split the story into its questions",
            ));
        }
        let plan = if req.baseline {
            None
        } else {
            Some(self.plan_situation(&req.text)?)
        };
        let f = self.fields().clone();
        let lang = plan.as_ref().and_then(|p| p.lang);
        let analysis_lang = lang.unwrap_or("");
        let desc = TextAnalysis::new(analysis_lang).analyze(&req.text);

        // The scoring part of the query.
        let mut should: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        match &plan {
            None => {
                let mut counts: HashMap<&str, usize> = HashMap::new();
                for t in &desc.toks {
                    *counts.entry(t.base.as_str()).or_default() += 1;
                }
                let mut counts: Vec<_> = counts.into_iter().collect();
                counts.sort();
                for (term, n) in counts {
                    let q = TermQuery::new(
                        Term::from_field_text(f.text, term),
                        IndexRecordOption::WithFreqs,
                    );
                    should.push((
                        Occur::Should,
                        Box::new(BoostQuery::new(Box::new(q), n as f32)),
                    ));
                }
            }
            Some(p) => {
                for g in &p.terms {
                    let mut alts: Vec<Box<dyn Query>> = vec![
                        boosted(term_query(f.text, &g.base), 1.0),
                        boosted(term_query(f.heading, &g.base), 1.5),
                    ];
                    if let Some(l) = lang {
                        let forms = self.stem_forms(l, &g.base);
                        if !forms.is_empty() {
                            alts.push(boosted(super::stem_clause(&f, l, &forms), 0.9));
                        }
                    }
                    let q = DisjunctionMaxQuery::with_tie_breaker(alts, 0.2);
                    should.push((Occur::Should, boosted(Box::new(q), g.weight)));
                }
                for (words, _, _, w) in &p.phrases {
                    for (field, b) in [(f.text, 1.0), (f.heading, 1.5)] {
                        let q = PhraseQuery::new(
                            words
                                .iter()
                                .map(|t| Term::from_field_text(field, t))
                                .collect(),
                        );
                        should.push((Occur::Should, boosted(Box::new(q), w * b)));
                    }
                }
            }
        }
        let filter_req = SearchRequest {
            jurisdictions: req.jurisdictions.clone(),
            kinds: req.kinds.clone(),
            langs: req.langs.clone(),
            since: req.since,
            concepts: req.concepts.clone(),
            ..Default::default()
        };
        let searcher = self.searcher().clone();
        // Bonuses are shares of the best text match, so they weigh the same whatever the
        // description's length (BM25 sums grow with the number of terms).
        let mut scale = 0.0f32;
        if let Some(p) = &plan {
            let mut clauses = self.filters(&filter_req);
            let text_part: Vec<(Occur, Box<dyn Query>)> =
                should.iter().map(|(o, q)| (*o, q.box_clone())).collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(text_part))));
            let best = searcher.search(
                &BooleanQuery::new(clauses),
                &TopDocs::with_limit(1).order_by_score(),
            )?;
            scale = best.first().map_or(1.0, |(s, _)| *s).max(1.0);
            // A passage tagged with several recognised concepts (a convention article that
            // bundles every offence) earns its best concept's bonus and a fifth of the others'.
            let tagged: Vec<Box<dyn Query>> = p
                .concepts
                .iter()
                .map(|c| {
                    Box::new(ConstScoreQuery::new(
                        term_query(f.concepts, &c.id),
                        c.bonus * scale,
                    )) as Box<dyn Query>
                })
                .collect();
            if !tagged.is_empty() {
                let q = DisjunctionMaxQuery::with_tie_breaker(tagged, CONCEPT_TIE);
                should.push((Occur::Should, Box::new(q)));
            }
            for (code, _) in &p.places {
                let q = ConstScoreQuery::new(term_query(f.jurisdiction, code), PLACE_BONUS * scale);
                should.push((Occur::Should, Box::new(q)));
            }
        }
        let mut clauses = self.filters(&filter_req);
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(should))));
        let full = BooleanQuery::new(clauses);

        let want = req.offset + req.limit.max(1);
        // Re-ranking only weighs commentary down: a few candidates beyond the page suffice.
        let n_candidates = (want * 2 + 20).min(super::MAX_CANDIDATES);
        let total_hits = searcher.search(&full, &Count)?;
        let top = searcher.search(&full, &TopDocs::with_limit(n_candidates).order_by_score())?;

        // What to highlight: the chosen terms (or, for the baseline, every word).
        let (bases, stems): (HashSet<String>, HashSet<String>) = match &plan {
            Some(p) => (
                p.terms.iter().map(|g| g.base.clone()).collect(),
                p.terms.iter().map(|g| g.stem.clone()).collect(),
            ),
            None => (
                desc.toks.iter().map(|t| t.base.clone()).collect(),
                HashSet::new(),
            ),
        };
        let mut scored = Vec::with_capacity(top.len());
        for (score, addr) in top {
            let doc: TantivyDocument = searcher.doc(addr)?;
            let p = f.from_document(&doc);
            let mut s = score;
            let mut why = format!("index score {score:.3}");
            if let Some(plan) = &plan {
                why.push_str(" (bm25 over the chosen terms");
                for c in plan.concepts.iter().filter(|c| p.concepts.contains(&c.id)) {
                    why.push_str(&format!(", concept {} +{:.2}", c.id, c.bonus * scale));
                }
                if plan.places.iter().any(|(c, _)| *c == p.jurisdiction) {
                    why.push_str(&format!(
                        ", jurisdiction {} named +{:.2}",
                        p.jurisdiction,
                        PLACE_BONUS * scale
                    ));
                }
                why.push(')');
                if matches!(p.kind.as_str(), "analysis" | "ngo-statement") {
                    why.push_str(&format!(", commentary → ×{COMMENTARY}"));
                    s *= COMMENTARY;
                }
            }
            scored.push((s, p, why));
        }
        let order = |a: &(f32, crate::segment::Passage, String),
                     b: &(f32, crate::segment::Passage, String)| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.passage_id.cmp(&b.1.passage_id))
        };
        scored.sort_by(order);
        if plan.is_some() && SITUATION_CROWDING < 1.0 {
            let mut seen: HashMap<String, i32> = HashMap::new();
            for item in scored.iter_mut() {
                let k = seen.entry(item.1.doc_id.clone()).or_insert(0);
                if *k > 0 {
                    let w = SITUATION_CROWDING.powi(*k);
                    item.0 *= w;
                    item.2
                        .push_str(&format!("; passage {} of its document → ×{w:.2}", *k + 1));
                }
                *k += 1;
            }
            scored.sort_by(order);
        }
        let chars = if req.snippet_chars == 0 {
            240
        } else {
            req.snippet_chars
        };
        // Only the hits shown are analysed for highlights.
        let mut hits = Vec::new();
        for (i, (score, p, mut why)) in scored
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .enumerate()
        {
            let mut analysis = self.analyses.take(&p.language);
            let analyzed = analysis.analyze(&p.text);
            self.analyses.give(analysis);
            let same_lang = lang == Some(p.language.as_str());
            let (ranges, matched) = matches(&analyzed, &bases, &stems, same_lang);
            if !matched.is_empty() {
                why.push_str(&format!("; matched: {}", matched.join(", ")));
            }
            let explanation = req.explain.then(|| format!("{why} → {score:.3}"));
            hits.push(Hit::from_passage(
                p,
                req.offset + i + 1,
                score,
                &ranges,
                chars,
                explanation,
            ));
        }
        let (terms, concepts, places) = match &plan {
            None => (Vec::new(), Vec::new(), Vec::new()),
            Some(p) => {
                let mut terms: Vec<WeightedTerm> = p
                    .terms
                    .iter()
                    .map(|g| WeightedTerm {
                        term: g.base.clone(),
                        phrase: false,
                        weight: g.weight,
                        occurrences: g.tf,
                        passages: g.df,
                    })
                    .collect();
                terms.extend(p.phrases.iter().map(|(w, tf, df, weight)| WeightedTerm {
                    term: w.join(" "),
                    phrase: true,
                    weight: *weight,
                    occurrences: *tf,
                    passages: *df,
                }));
                terms.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.term.cmp(&b.term)));
                (
                    terms,
                    p.concepts.clone(),
                    p.places.iter().map(|(c, _)| c.clone()).collect(),
                )
            }
        };
        let parsed = req
            .explain
            .then(|| explain_plan(&terms, &concepts, plan.as_ref()));
        Ok(SituationResponse {
            search: SearchResponse {
                query: req.text.clone(),
                total_hits,
                offset: req.offset,
                hits,
                parsed,
                mode: super::mode::Mode::Ranked,
                warnings: Vec::new(),
                routing: None,
            },
            terms,
            concepts,
            places,
            language: lang.map(str::to_string),
        })
    }

    /// Choose the terms, phrases, concepts and places of a description.
    fn plan_situation(&self, text: &str) -> Result<Plan, SearchError> {
        let f = self.fields().clone();
        let searcher = self.searcher().clone();
        let lang = detect_language_among(text, &self.languages);
        let desc = TextAnalysis::new(lang.unwrap_or("")).analyze(text);
        // Statistics of the description's language: a stem's passages in it (the lexicon), else
        // the base text field over the whole index.
        let stemmed = lang.filter(|l| STEMMED.iter().any(|(c, _)| c == l));
        let n_all = searcher.num_docs().max(1);
        let n = match lang {
            Some(l) => searcher
                .doc_freq(&Term::from_field_text(f.language, l))?
                .max(1),
            None => n_all,
        };
        // A stem's passages in the language, from the lexicon (the sum over its words, at most
        // the language's passages).
        let df_of = |t: &str| -> Result<u64, SearchError> {
            Ok(match stemmed {
                Some(l) => crate::index::lexicon::passages(&self.stem_forms(l, t)).min(n),
                None => searcher.doc_freq(&Term::from_field_text(f.text, t))?,
            })
        };
        let text_df = |t: &str| -> Result<u64, SearchError> {
            Ok(searcher.doc_freq(&Term::from_field_text(f.text, t))?)
        };
        let rare_df = (RARE_SHARE * n as f64).max(RARE_DF_MIN as f64) as u64;
        let capped_idf = |df: u64| idf(df.max(rare_df), n);
        // In a small index (a folder of one's own, a language with a few passages) shares say
        // little: a word is common only past an absolute floor, and a word in one passage counts.
        let common = |df: u64| df as f64 > (MAX_DF_SHARE * n as f64).max(COMMON_DF_MIN as f64);
        let min_df = if n >= SMALL_INDEX { MIN_DF } else { 1 };

        // 1. salient terms, grouped by stem
        let mut groups: HashMap<String, (HashMap<String, usize>, usize)> = HashMap::new();
        let cues = Cues::builtin();
        let stop = |t: &crate::search::highlight::Tok| {
            !is_wordlike(&t.base)
                || cues.is_stopword(lang, &t.base, text.get(t.range.clone()).unwrap_or(""))
        };
        // Names of the story (`the Group`, `Mr. O.`): words written with a capital in the
        // middle of sentences nearly every time (not in German, which capitalises every noun).
        let mut capitals: HashMap<&str, (usize, usize)> = HashMap::new();
        if lang != Some("de") {
            for (i, t) in desc.toks.iter().enumerate() {
                let mid = i > 0 && desc.toks[i - 1].sentence == t.sentence;
                if !mid {
                    continue;
                }
                let raw = text.get(t.range.clone()).unwrap_or("");
                let e = capitals.entry(t.base.as_str()).or_default();
                e.1 += 1;
                let mut cs = raw.chars();
                let upper = cs.next().is_some_and(char::is_uppercase)
                    && cs.next().is_some_and(char::is_lowercase);
                if upper {
                    e.0 += 1;
                }
            }
        }
        let is_name = |base: &str| {
            capitals
                .get(base)
                .is_some_and(|(up, all)| *all >= NAME_MIN && *up as f64 >= NAME_SHARE * *all as f64)
        };
        let stopped: Vec<bool> = desc
            .toks
            .iter()
            .map(|t| stop(t) || is_name(&t.base))
            .collect();
        for t in desc
            .toks
            .iter()
            .zip(&stopped)
            .filter(|(_, s)| !**s)
            .map(|(t, _)| t)
        {
            let g = groups.entry(t.stem.clone()).or_default();
            *g.0.entry(t.base.clone()).or_default() += 1;
            g.1 += 1;
        }
        let mut df_cache: HashMap<String, u64> = HashMap::new();
        let mut terms: Vec<Group> = Vec::new();
        let mut keys: Vec<_> = groups.into_iter().collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        for (stem, (forms, tf)) in keys {
            // The form the index holds most often stands for the group.
            let mut best: Option<(String, u64)> = None;
            let mut forms: Vec<_> = forms.into_iter().collect();
            forms.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            for (form, _) in forms.iter().take(3) {
                let df = text_df(form)?;
                if best.as_ref().is_none_or(|(_, d)| df > *d) {
                    best = Some((form.clone(), df));
                }
            }
            let Some((base, base_df)) = best else {
                continue;
            };
            let df = if stemmed.is_some() {
                df_of(&base)?
            } else {
                base_df
            };
            df_cache.insert(base.clone(), df);
            if df.max(base_df) < min_df || common(df) {
                continue;
            }
            let weight = (1.0 + (tf as f32).ln()) * capped_idf(df);
            terms.push(Group {
                base,
                stem,
                tf,
                df,
                weight,
            });
        }
        terms.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.base.cmp(&b.base)));
        terms.truncate(MAX_TERMS);

        // 2. phrases: adjacent pairs of content words the index holds side by side often enough
        let mut pairs: HashMap<(String, String), usize> = HashMap::new();
        for (i, w) in desc.toks.windows(2).enumerate() {
            let (a, b) = (&w[0], &w[1]);
            if stopped[i]
                || stopped[i + 1]
                || a.sentence != b.sentence
                || a.base == b.base
                || !is_wordlike(&a.base)
                || !is_wordlike(&b.base)
                || a.base.chars().any(is_cjk)
            {
                continue;
            }
            *pairs.entry((a.base.clone(), b.base.clone())).or_default() += 1;
        }
        let chosen: HashSet<&str> = terms.iter().map(|g| g.base.as_str()).collect();
        let mut cands: Vec<((String, String), usize, f32)> = Vec::new();
        let mut pairs: Vec<_> = pairs.into_iter().collect();
        pairs.sort();
        for ((a, b), tf) in pairs {
            if !chosen.contains(a.as_str()) && !chosen.contains(b.as_str()) {
                continue;
            }
            let mut word_df = |w: &str| -> Result<u64, SearchError> {
                if let Some(d) = df_cache.get(w) {
                    return Ok(*d);
                }
                let d = df_of(w)?;
                df_cache.insert(w.to_string(), d);
                Ok(d)
            };
            let (da, db) = (word_df(&a)?, word_df(&b)?);
            // Both words carry content: a statistical stopword makes no legal phrase.
            if common(da) || common(db) {
                continue;
            }
            cands.push((
                (a, b),
                tf,
                (1.0 + (tf as f32).ln()) * (capped_idf(da) + capped_idf(db)),
            ));
        }
        cands.sort_by(|x, y| y.2.total_cmp(&x.2).then(x.0.cmp(&y.0)));
        cands.truncate(PHRASE_CANDIDATES);
        let mut phrases = Vec::new();
        for ((a, b), tf, _) in cands {
            let q = PhraseQuery::new(vec![
                Term::from_field_text(f.text, &a),
                Term::from_field_text(f.text, &b),
            ]);
            let df = searcher.search(&q, &Count)? as u64;
            let rarer = text_df(&a)?.min(text_df(&b)?).max(1);
            if df < min_df || (df as f64) < MIN_COLLOCATION * rarer as f64 {
                continue;
            }
            let weight = (1.0 + (tf as f32).ln()) * capped_idf(df);
            phrases.push((vec![a, b], tf, df, weight));
        }
        phrases.sort_by(|x, y| y.3.total_cmp(&x.3).then(x.0.cmp(&y.0)));
        phrases.truncate(MAX_PHRASES);

        // Boosts relative to the best clause.
        let top = terms
            .iter()
            .map(|g| g.weight)
            .chain(phrases.iter().map(|p| p.3))
            .fold(0.0f32, f32::max)
            .max(f32::EPSILON);
        for g in &mut terms {
            g.weight /= top;
        }
        for p in &mut phrases {
            p.3 /= top;
        }

        // 3. concepts: taxonomy labels, then lay cues
        let folded = fold(text);
        let mut concepts: Vec<RecognisedConcept> = Vec::new();
        for c in self.taxonomy.concepts_for_query(text) {
            let label = c
                .labels
                .values()
                .flatten()
                .find(|l| contains_phrase(&folded, &fold(l)))
                .cloned()
                .unwrap_or_else(|| c.id.clone());
            concepts.push(RecognisedConcept {
                id: c.id.clone(),
                rule: format!("label \"{label}\""),
                bonus: LABEL_BONUS,
            });
        }
        for (id, words) in Cues::builtin().concepts(&folded) {
            if concepts.iter().any(|c| c.id == id) {
                continue;
            }
            concepts.push(RecognisedConcept {
                id,
                rule: format!("cue {}", words.join(" + ")),
                bonus: CUE_BONUS,
            });
        }
        // 4. places
        let places = Cues::builtin().places(&folded);
        Ok(Plan {
            terms,
            phrases,
            concepts,
            places,
            lang,
        })
    }
}

fn term_query(field: Field, text: &str) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_text(field, text),
        IndexRecordOption::WithFreqs,
    ))
}

fn boosted(q: Box<dyn Query>, boost: f32) -> Box<dyn Query> {
    Box::new(BoostQuery::new(q, boost))
}

/// Byte ranges of the passage's tokens that are chosen terms, and which terms they are.
fn matches(
    a: &Analyzed,
    bases: &HashSet<String>,
    stems: &HashSet<String>,
    same_lang: bool,
) -> (Vec<Range<usize>>, Vec<String>) {
    let mut ranges = Vec::new();
    let mut seen: Vec<String> = Vec::new();
    for t in &a.toks {
        let hit = bases.contains(&t.base) || (same_lang && stems.contains(&t.stem));
        if hit {
            ranges.push(t.range.clone());
            if !seen.contains(&t.base) && seen.len() < 12 {
                seen.push(t.base.clone());
            }
        }
    }
    (ranges, seen)
}

fn explain_plan(
    terms: &[WeightedTerm],
    concepts: &[RecognisedConcept],
    plan: Option<&Plan>,
) -> String {
    let mut s = String::new();
    match plan.and_then(|p| p.lang) {
        Some(l) => s.push_str(&format!("language: {l}\n")),
        None => s.push_str("language: not detected (words matched as written)\n"),
    }
    s.push_str("terms (weight · occurrences · passages):\n");
    for t in terms {
        s.push_str(&format!(
            "  {:<32} {:.2} · {} · {}{}\n",
            t.term,
            t.weight,
            t.occurrences,
            t.passages,
            if t.phrase { " (phrase)" } else { "" }
        ));
    }
    if concepts.is_empty() {
        s.push_str("concepts: none recognised\n");
    } else {
        s.push_str("concepts:\n");
        for c in concepts {
            s.push_str(&format!(
                "  {:<24} +{:.0}% of the best match ({})\n",
                c.id,
                c.bonus * 100.0,
                c.rule
            ));
        }
    }
    if let Some(p) = plan.filter(|p| !p.places.is_empty()) {
        s.push_str("jurisdictions named:\n");
        for (code, word) in &p.places {
            s.push_str(&format!(
                "  {code:<6} +{:.0}% of the best match (\"{word}\")\n",
                PLACE_BONUS * 100.0
            ));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Taxonomy;

    #[test]
    fn every_cue_names_a_concept_of_the_taxonomy() {
        let t = Taxonomy::builtin();
        for id in Cues::builtin().concept_ids() {
            assert!(
                t.get(id).is_some(),
                "corpus/situation.toml names unknown concept {id}"
            );
        }
        let known = Jurisdictions::builtin();
        for (code, _) in &Cues::builtin().places {
            assert!(known.name(code).is_some(), "unknown jurisdiction {code}");
        }
    }

    #[test]
    fn lay_words_name_concepts() {
        let c = Cues::builtin();
        let story = fold(
            "After leaving the firm, the ex-employee kept his password and copied the customer database.",
        );
        let ids: Vec<String> = c.concepts(&story).into_iter().map(|(id, _)| id).collect();
        assert!(ids.contains(&"illegal-access".to_string()), "{ids:?}");
        let story = fold("Somebody has been flooding our website with junk requests since Monday.");
        let ids: Vec<String> = c.concepts(&story).into_iter().map(|(id, _)| id).collect();
        assert!(ids.contains(&"system-interference".to_string()), "{ids:?}");
        assert!(!ids.contains(&"illegal-access".to_string()), "{ids:?}");
    }

    #[test]
    fn places_are_words_not_substrings() {
        let c = Cues::builtin();
        let p = c.places(&fold("A shop in Nairobi was attacked."));
        assert_eq!(p.first().map(|x| x.0.as_str()), Some("KE"));
        // "german" must not fire inside "germane".
        assert!(c.places(&fold("This point is germane.")).is_empty());
    }

    #[test]
    fn prose_is_told_from_keywords() {
        assert!(!reads_as_prose("illegal access AND (password OR login)"));
        let story = "My client worked for a bank. When he left, he kept a key to the server room, \
                     and last week he used it to copy the files of three customers to a memory \
                     stick that he later sold to a competitor for cash.";
        assert!(reads_as_prose(story));
    }

    #[test]
    fn language_is_detected() {
        assert_eq!(
            detect_language(
                "Der Täter hat sich unbefugt Zugang zu den Daten verschafft und sie weitergegeben."
            ),
            Some("de")
        );
        assert_eq!(
            detect_language(
                "The employee kept the password and logged in after he had left the company."
            ),
            Some("en")
        );
    }
}
