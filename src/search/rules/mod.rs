//! Ranking as an ordered list of small, named stages (Meilisearch's ranking rules are the
//! model). The index scores the candidates (BM25 over the planned fields, plus the concept tags:
//! the `words` stage); each further rule adjusts the scores of the candidates and says why, so
//! `--explain` shows every rule's effect on every hit. A new rule is one small file here and one
//! line in [`default_rules`].
//!
//! Rules read the candidates' fast fields (ids, kind, language, citation, heading) and the
//! index's positions, never the stored text: their cost does not depend on passage length.

mod citation;
mod crowding;
pub use crowding::CROWDING;
mod exactness;
mod provision;
mod proximity;
mod words;

use tantivy::{DocAddress, Searcher};

use super::query::Node;
use super::{Columns, Route, SearchError};
use crate::index::Fields;

/// A passage being ranked: what the rules read, its score and the rules' explanations.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub score: f32,
    pub addr: DocAddress,
    /// Ordinal of the passage id in its segment's dictionary (sorts like the id).
    pub passage_ord: u64,
    /// The passage id, resolved for all candidates at once before ranking (ties break on it).
    pub passage_id: String,
    pub doc_id: String,
    pub kind: String,
    pub language: String,
    /// `rule: effect`, in the order the rules ran.
    pub why: Vec<String>,
}

impl Candidate {
    pub fn note(&mut self, rule: &str, effect: impl AsRef<str>) {
        self.why.push(format!("{rule}: {}", effect.as_ref()));
    }
}

/// What every rule may read.
pub struct Context<'a> {
    pub query: &'a str,
    pub node: &'a Node,
    pub route: Option<&'a Route>,
    /// False for the plain-BM25 baseline: only `words` runs.
    pub rerank: bool,
    pub searcher: &'a Searcher,
    pub fields: &'a Fields,
    /// Per segment: the fast columns (citation, heading, passage id) rules read on demand.
    pub columns: &'a [Columns],
    /// The generation's stem lexicon (the words of a stem, per language).
    pub lexicon: &'a crate::index::lexicon::Lexicon,
}

impl Context<'_> {
    pub fn citation(&self, c: &Candidate) -> String {
        self.columns[c.addr.segment_ord as usize]
            .citation
            .get(c.addr.doc_id)
    }
    pub fn heading(&self, c: &Candidate) -> String {
        self.columns[c.addr.segment_ord as usize]
            .heading
            .get(c.addr.doc_id)
    }
    pub fn passage_id(&self, c: &Candidate) -> String {
        self.columns[c.addr.segment_ord as usize]
            .passage_id
            .get(c.addr.doc_id)
    }
}

/// One stage of the ranking.
pub trait Rule: Send + Sync {
    fn name(&self) -> &'static str;
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError>;
}

/// The ranking rules, in order.
pub fn default_rules() -> Vec<Box<dyn Rule>> {
    vec![
        Box::new(words::Words),
        Box::new(provision::Provision),
        Box::new(exactness::Exactness),
        Box::new(proximity::Proximity),
        Box::new(citation::Citation),
        Box::new(crowding::Crowding),
    ]
}

/// Best first; ties on `passage_id`, so the same index always ranks the same way.
pub fn sort(cands: &mut [Candidate]) {
    cands.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.passage_id.cmp(&b.passage_id))
    });
}

/// Fill every candidate's `passage_id`, one pass over each segment's dictionary.
fn resolve_ids(ctx: &Context, cands: &mut [Candidate]) {
    let mut by_segment: std::collections::BTreeMap<u32, Vec<u64>> = Default::default();
    for c in cands.iter() {
        by_segment
            .entry(c.addr.segment_ord)
            .or_default()
            .push(c.passage_ord);
    }
    for (seg, mut ords) in by_segment {
        ords.sort_unstable();
        ords.dedup();
        let names = ctx.columns[seg as usize].passage_id.strings_of(&ords);
        for c in cands.iter_mut().filter(|c| c.addr.segment_ord == seg) {
            c.passage_id = names.get(&c.passage_ord).cloned().unwrap_or_default();
        }
    }
}

/// Run every rule, then sort.
pub fn rank(
    rules: &[Box<dyn Rule>],
    ctx: &Context,
    cands: &mut [Candidate],
) -> Result<(), SearchError> {
    resolve_ids(ctx, cands);
    for r in rules {
        if ctx.rerank || r.name() == "words" {
            r.apply(ctx, cands)?;
        }
    }
    sort(cands);
    Ok(())
}
