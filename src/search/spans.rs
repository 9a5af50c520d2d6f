//! Exact verification of phrases and proximity connectors from the index's positions.
//!
//! A connector query (`access w/5 computer`, `seizure /s computer`) is planned as the conjunction
//! of its sides, then every document of that superset is checked with the positions of its terms
//! in the postings lists — never by re-reading stored text — so the cost of a candidate is the
//! number of positions of the query's terms in it, not the length of the passage. Sentence and
//! paragraph starts are indexed as the `s` and `p` terms of the `breaks` field, at the token
//! positions of `text`; a heading is a sentence and paragraph of its own, so `/s` and `/p` hold
//! inside a heading too, but never between a heading and the text.
//!
//! Matching is linear in the number of positions: every node yields a sorted, deduplicated list
//! of spans, capped at [`MAX_SPANS`]; a connector pairs each left span with its nearest right
//! spans (binary search), so `access w/5 access w/5 …` stays bounded however long the chain.

use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

use super::query::Unit;

/// Most spans one node keeps per document.
pub const MAX_SPANS: usize = 4096;
/// Neighbours on each side of the nearest right span a connector tries for each left span.
const NEIGHBOURS: usize = 3;

/// Where a leaf may match.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Where {
    TextAndHeading,
    Text,
    Heading,
    Nowhere,
}

/// A query node compiled to base terms, for span matching.
#[derive(Debug, Clone)]
pub enum SpanNode {
    /// Slots in sequence, each matched by any of its terms; `slop` extra positions allowed
    /// between slots, and with `any_order` two slots may come in either order.
    Seq {
        slots: Vec<Vec<String>>,
        slop: u32,
        any_order: bool,
        at: Where,
    },
    Or(Vec<SpanNode>),
    And(Vec<SpanNode>),
    Near {
        left: Box<SpanNode>,
        right: Box<SpanNode>,
        unit: Unit,
        ordered: bool,
    },
}

impl SpanNode {
    fn terms<'a>(&'a self, out: &mut Vec<&'a str>) {
        match self {
            SpanNode::Seq { slots, .. } => {
                for s in slots {
                    out.extend(s.iter().map(String::as_str));
                }
            }
            SpanNode::Or(v) | SpanNode::And(v) => v.iter().for_each(|n| n.terms(out)),
            SpanNode::Near { left, right, .. } => {
                left.terms(out);
                right.terms(out);
            }
        }
    }
}

/// A run of token positions `[start, end]` in one field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

/// The positions of one document, per field: what the matcher reads.
pub struct DocPositions<'a> {
    /// Term → sorted positions, in the field being matched.
    pub terms: &'a HashMap<String, Vec<u32>>,
    /// Sentence and paragraph starts (empty: the whole field is one sentence).
    pub sentences: &'a [u32],
    pub paragraphs: &'a [u32],
    pub heading: bool,
}

fn unit_of(starts: &[u32], pos: u32) -> usize {
    starts.partition_point(|&s| s <= pos)
}

fn finish(mut v: Vec<Span>) -> Vec<Span> {
    v.sort_unstable();
    v.dedup();
    v.truncate(MAX_SPANS);
    v
}

/// The spans of `node` in one field of one document.
pub fn spans(node: &SpanNode, d: &DocPositions) -> Vec<Span> {
    match node {
        SpanNode::Seq {
            slots,
            slop,
            any_order,
            at,
        } => {
            let ok = match at {
                Where::TextAndHeading => true,
                Where::Text => !d.heading,
                Where::Heading => d.heading,
                Where::Nowhere => false,
            };
            if !ok || slots.is_empty() {
                return Vec::new();
            }
            let lists: Vec<Vec<u32>> = slots.iter().map(|s| slot_positions(s, d)).collect();
            let mut out = seq(&lists, *slop);
            if *any_order && lists.len() == 2 && *slop > 0 {
                let rev = [lists[1].clone(), lists[0].clone()];
                out.extend(seq(&rev, *slop));
            }
            finish(out)
        }
        SpanNode::Or(v) => finish(v.iter().flat_map(|n| spans(n, d)).collect()),
        SpanNode::And(v) => {
            let mut all = Vec::new();
            for n in v {
                let s = spans(n, d);
                if s.is_empty() {
                    return Vec::new();
                }
                all.extend(s);
            }
            finish(all)
        }
        SpanNode::Near {
            left,
            right,
            unit,
            ordered,
        } => {
            let l = spans(left, d);
            if l.is_empty() {
                return Vec::new();
            }
            let r = spans(right, d);
            if r.is_empty() {
                return Vec::new();
            }
            finish(near(&l, &r, *unit, *ordered, d))
        }
    }
}

fn slot_positions(terms: &[String], d: &DocPositions) -> Vec<u32> {
    let mut v: Vec<u32> = terms
        .iter()
        .filter_map(|t| d.terms.get(t))
        .flatten()
        .copied()
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// Occurrences of the slots in order, each within `slop` extra positions of the previous.
fn seq(lists: &[Vec<u32>], slop: u32) -> Vec<Span> {
    let mut out = Vec::new();
    'start: for &start in &lists[0] {
        let mut pos = start;
        for l in &lists[1..] {
            let i = l.partition_point(|&p| p <= pos);
            match l.get(i) {
                Some(&p) if p <= pos + 1 + slop => pos = p,
                _ => continue 'start,
            }
        }
        out.push(Span { start, end: pos });
        if out.len() >= MAX_SPANS {
            break;
        }
    }
    out
}

fn near(l: &[Span], r: &[Span], unit: Unit, ordered: bool, d: &DocPositions) -> Vec<Span> {
    let mut out = Vec::new();
    for x in l {
        // Right spans are sorted by start: look at the neighbours of where `x` would go.
        let i = r.partition_point(|y| y.start < x.start);
        let lo = i.saturating_sub(NEIGHBOURS);
        let hi = (i + NEIGHBOURS).min(r.len());
        let mut candidates: Vec<&Span> = r[lo..hi].iter().collect();
        if !matches!(unit, Unit::Words(_)) {
            // Same sentence/paragraph: also the first right span at or after `x` ends.
            let j = r.partition_point(|y| y.start <= x.end);
            candidates.extend(r.get(j));
        } else if ordered {
            let j = r.partition_point(|y| y.start <= x.end);
            candidates.extend(r.get(j));
        }
        for y in candidates {
            if ordered && x.end >= y.start {
                continue;
            }
            let ok = match unit {
                Unit::Words(n) => {
                    let gap = y
                        .start
                        .saturating_sub(x.end)
                        .max(x.start.saturating_sub(y.end));
                    gap <= n
                }
                Unit::Sentence => {
                    d.heading || unit_of(d.sentences, x.start) == unit_of(d.sentences, y.start)
                }
                Unit::Paragraph => {
                    d.heading || unit_of(d.paragraphs, x.start) == unit_of(d.paragraphs, y.start)
                }
            };
            if ok {
                out.push(Span {
                    start: x.start.min(y.start),
                    end: x.end.max(y.end),
                });
            }
        }
        if out.len() >= MAX_SPANS {
            break;
        }
    }
    out
}

/// A per-query budget shared by every scorer of the query.
#[derive(Debug)]
pub struct Deadline {
    pub at: Instant,
    pub expired: AtomicBool,
    /// Documents verified so far.
    pub verified: AtomicU64,
}

impl Deadline {
    pub fn new(at: Instant) -> Arc<Deadline> {
        Arc::new(Deadline {
            at,
            expired: AtomicBool::new(false),
            verified: AtomicU64::new(0),
        })
    }
    pub fn check(&self) -> bool {
        if self.expired.load(Ordering::Relaxed) {
            return false;
        }
        if Instant::now() >= self.at {
            self.expired.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }
    pub fn is_expired(&self) -> bool {
        self.expired.load(Ordering::Relaxed)
    }
}

/// The fields spans are matched in.
#[derive(Debug, Clone, Copy)]
pub struct SpanFields {
    pub text: Field,
    pub heading: Field,
    pub breaks: Field,
}

/// Documents of `superset` whose positions satisfy `node`.
pub struct VerifiedQuery {
    pub superset: Box<dyn Query>,
    pub node: Arc<SpanNode>,
    pub fields: SpanFields,
    pub deadline: Arc<Deadline>,
}

impl Clone for VerifiedQuery {
    fn clone(&self) -> Self {
        VerifiedQuery {
            superset: self.superset.box_clone(),
            node: self.node.clone(),
            fields: self.fields,
            deadline: self.deadline.clone(),
        }
    }
}

impl fmt::Debug for VerifiedQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Verified({:?}, {:?})", self.superset, self.node)
    }
}

impl Query for VerifiedQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(VerifiedWeight {
            inner: self.superset.weight(enable_scoring)?,
            node: self.node.clone(),
            fields: self.fields,
            deadline: self.deadline.clone(),
        }))
    }
    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.superset.query_terms(visitor)
    }
}

struct VerifiedWeight {
    inner: Box<dyn Weight>,
    node: Arc<SpanNode>,
    fields: SpanFields,
    deadline: Arc<Deadline>,
}

/// The postings a document's check reads, opened once per segment.
struct SegmentTerms {
    /// (term, postings in `text`, postings in `heading`)
    terms: Vec<(String, Option<SegmentPostings>, Option<SegmentPostings>)>,
    sentences: Option<SegmentPostings>,
    paragraphs: Option<SegmentPostings>,
    // scratch, reused per document
    text: HashMap<String, Vec<u32>>,
    heading: HashMap<String, Vec<u32>>,
    s: Vec<u32>,
    p: Vec<u32>,
}

fn open(
    reader: &SegmentReader,
    field: Field,
    term: &str,
) -> tantivy::Result<Option<SegmentPostings>> {
    let inv = reader.inverted_index(field)?;
    Ok(inv.read_postings(
        &Term::from_field_text(field, term),
        IndexRecordOption::WithFreqsAndPositions,
    )?)
}

fn positions_at(p: &mut Option<SegmentPostings>, doc: DocId, out: &mut Vec<u32>) -> bool {
    out.clear();
    let Some(p) = p else { return false };
    if p.doc() < doc {
        p.seek(doc);
    }
    if p.doc() == doc {
        p.positions(out);
        true
    } else {
        false
    }
}

impl SegmentTerms {
    fn new(reader: &SegmentReader, node: &SpanNode, f: SpanFields) -> tantivy::Result<Self> {
        let mut names = Vec::new();
        node.terms(&mut names);
        names.sort_unstable();
        names.dedup();
        let mut terms = Vec::with_capacity(names.len());
        for t in names {
            terms.push((
                t.to_string(),
                open(reader, f.text, t)?,
                open(reader, f.heading, t)?,
            ));
        }
        Ok(SegmentTerms {
            terms,
            sentences: open(reader, f.breaks, "s")?,
            paragraphs: open(reader, f.breaks, "p")?,
            text: HashMap::new(),
            heading: HashMap::new(),
            s: Vec::new(),
            p: Vec::new(),
        })
    }

    fn matches(&mut self, doc: DocId, node: &SpanNode) -> bool {
        self.text.clear();
        self.heading.clear();
        let mut buf = Vec::new();
        for (t, pt, ph) in &mut self.terms {
            if positions_at(pt, doc, &mut buf) {
                self.text.insert(t.clone(), buf.clone());
            }
            if positions_at(ph, doc, &mut buf) {
                self.heading.insert(t.clone(), buf.clone());
            }
        }
        positions_at(&mut self.sentences, doc, &mut self.s);
        positions_at(&mut self.paragraphs, doc, &mut self.p);
        let text = DocPositions {
            terms: &self.text,
            sentences: &self.s,
            paragraphs: &self.p,
            heading: false,
        };
        if !self.text.is_empty() && !spans(node, &text).is_empty() {
            return true;
        }
        let heading = DocPositions {
            terms: &self.heading,
            sentences: &[],
            paragraphs: &[],
            heading: true,
        };
        !self.heading.is_empty() && !spans(node, &heading).is_empty()
    }
}

impl Weight for VerifiedWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let inner = self.inner.scorer(reader, boost)?;
        let mut s = VerifiedScorer {
            inner,
            terms: SegmentTerms::new(reader, &self.node, self.fields)?,
            node: self.node.clone(),
            deadline: self.deadline.clone(),
            doc: 0,
        };
        let first = s.inner.doc();
        s.doc = s.settle(first);
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut s = self.scorer(reader, 1.0)?;
        if s.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document {doc} does not satisfy the connector"
            )));
        }
        Ok(Explanation::new(
            "connector verified from positions",
            s.score(),
        ))
    }
}

struct VerifiedScorer {
    inner: Box<dyn Scorer>,
    terms: SegmentTerms,
    node: Arc<SpanNode>,
    deadline: Arc<Deadline>,
    doc: DocId,
}

impl VerifiedScorer {
    /// From `doc` (the inner scorer's current document), the first one that satisfies the node.
    fn settle(&mut self, mut doc: DocId) -> DocId {
        let mut n = 0u32;
        while doc != TERMINATED {
            n += 1;
            if n % 64 == 0 && !self.deadline.check() {
                return TERMINATED;
            }
            self.deadline.verified.fetch_add(1, Ordering::Relaxed);
            if self.terms.matches(doc, &self.node) {
                return doc;
            }
            doc = self.inner.advance();
        }
        TERMINATED
    }
}

impl DocSet for VerifiedScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED || self.deadline.is_expired() {
            self.doc = TERMINATED;
            return TERMINATED;
        }
        let next = self.inner.advance();
        self.doc = self.settle(next);
        self.doc
    }
    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc == TERMINATED || self.doc >= target {
            return self.doc;
        }
        let next = self.inner.seek(target);
        self.doc = self.settle(next);
        self.doc
    }
    fn doc(&self) -> DocId {
        self.doc
    }
    fn size_hint(&self) -> u32 {
        self.inner.size_hint()
    }
}

impl Scorer for VerifiedScorer {
    fn score(&mut self) -> Score {
        self.inner.score()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn word(t: &str) -> SpanNode {
        SpanNode::Seq {
            slots: vec![vec![t.to_string()]],
            slop: 0,
            any_order: false,
            at: Where::TextAndHeading,
        }
    }

    fn positions(words: &[&str]) -> HashMap<String, Vec<u32>> {
        let mut m: HashMap<String, Vec<u32>> = HashMap::new();
        for (i, w) in words.iter().enumerate() {
            m.entry(w.to_string()).or_default().push(i as u32);
        }
        m
    }

    #[test]
    fn connectors_on_positions() {
        // 0 a 1 x 2 b | 3 c 4 d 5 a
        let m = positions(&["a", "x", "b", "c", "d", "a"]);
        let d = DocPositions {
            terms: &m,
            sentences: &[3],
            paragraphs: &[],
            heading: false,
        };
        let near = |l: &str, r: &str, unit, ordered| SpanNode::Near {
            left: Box::new(word(l)),
            right: Box::new(word(r)),
            unit,
            ordered,
        };
        assert!(!spans(&near("a", "b", Unit::Words(2), false), &d).is_empty());
        assert!(spans(&near("b", "d", Unit::Words(1), false), &d).is_empty());
        assert!(!spans(&near("d", "b", Unit::Words(2), false), &d).is_empty());
        assert!(spans(&near("d", "b", Unit::Words(2), true), &d).is_empty());
        assert!(!spans(&near("b", "d", Unit::Words(2), true), &d).is_empty());
        // same sentence: b (0..2) and c (3..5) are in different ones; a occurs in both
        assert!(spans(&near("b", "c", Unit::Sentence, false), &d).is_empty());
        assert!(!spans(&near("c", "a", Unit::Sentence, false), &d).is_empty());
        assert!(!spans(&near("b", "c", Unit::Paragraph, false), &d).is_empty());
        let phrase = SpanNode::Seq {
            slots: vec![vec!["x".into()], vec!["b".into()]],
            slop: 0,
            any_order: false,
            at: Where::TextAndHeading,
        };
        assert_eq!(spans(&phrase, &d), [Span { start: 1, end: 2 }]);
    }

    #[test]
    fn long_chains_stay_bounded() {
        // 5,000 occurrences of one word and a chain of 20 connectors over it.
        let words: Vec<&str> = std::iter::repeat_n("a", 5000).collect();
        let m = positions(&words);
        let d = DocPositions {
            terms: &m,
            sentences: &[],
            paragraphs: &[],
            heading: false,
        };
        let mut node = word("a");
        for _ in 0..20 {
            node = SpanNode::Near {
                left: Box::new(node),
                right: Box::new(word("a")),
                unit: Unit::Words(5),
                ordered: false,
            };
        }
        let s = spans(&node, &d);
        assert!(!s.is_empty() && s.len() <= MAX_SPANS, "{}", s.len());
    }
}
