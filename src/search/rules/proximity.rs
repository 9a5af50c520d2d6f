//! `proximity`: passages where the query's words stand close together rank higher. The window
//! is measured on the index's positions of the text field (a word stands for every word of its
//! stem in the passage's language, from the stem lexicon), never by re-reading the text.

use tantivy::postings::{Postings, SegmentPostings};
use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, Term};

use super::{Candidate, Context, Rule};
use crate::index::analyzers::{self, STEMMED};
use crate::index::lexicon::StemKey;
use crate::search::highlight::positive_leaves;
use crate::search::query::{Node, WordKind};
use crate::search::SearchError;

pub struct Proximity;

/// The text of a leaf whose first token anchors it: plain words and phrases.
fn leaf_text(n: &Node) -> Option<&str> {
    match n {
        Node::Word {
            text,
            kind: WordKind::Plain,
            ..
        }
        | Node::Phrase { text, .. } => Some(text),
        _ => None,
    }
}

/// Smallest window (in positions) holding one position of every list.
pub fn min_window(lists: &[Vec<u32>]) -> Option<u32> {
    if lists.len() < 2 || lists.iter().any(|l| l.is_empty()) {
        return None;
    }
    let mut best = u32::MAX;
    for &anchor in &lists[0] {
        let (mut lo, mut hi) = (anchor, anchor);
        for l in &lists[1..] {
            let i = l.partition_point(|&p| p < anchor);
            let near = [i.checked_sub(1), Some(i)]
                .into_iter()
                .flatten()
                .filter_map(|k| l.get(k))
                .min_by_key(|&&p| p.abs_diff(anchor))
                .copied()?;
            lo = lo.min(near);
            hi = hi.max(near);
        }
        best = best.min(hi - lo + 1);
    }
    Some(best)
}

impl Rule for Proximity {
    fn name(&self) -> &'static str {
        "proximity"
    }
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        let mut leaves = Vec::new();
        positive_leaves(ctx.node, &mut leaves);
        let texts: Vec<&str> = leaves.iter().filter_map(|n| leaf_text(n)).collect();
        if texts.len() < 2 || texts.len() != leaves.len() {
            return Ok(());
        }
        // Candidates grouped by segment and language, in document order within a group, so each
        // leaf's postings list is opened once per group and only ever sought forward.
        let mut order: Vec<usize> = (0..cands.len()).collect();
        order.sort_by(|&a, &b| {
            let (x, y) = (&cands[a], &cands[b]);
            (x.addr.segment_ord, &x.language, x.addr.doc_id).cmp(&(
                y.addr.segment_ord,
                &y.language,
                y.addr.doc_id,
            ))
        });
        let mut base = analyzers::base_analyzer();
        let mut start = 0;
        while start < order.len() {
            let first = &cands[order[start]];
            let (seg_ord, lang) = (first.addr.segment_ord, first.language.clone());
            let mut end = start;
            while end < order.len()
                && cands[order[end]].addr.segment_ord == seg_ord
                && cands[order[end]].language == lang
            {
                end += 1;
            }
            let seg = ctx.searcher.segment_reader(seg_ord);
            // Each leaf's words: the forms of its stem in the candidates' language (the lexicon),
            // or the word itself in a language without a stemmer; positions of the text field.
            let stemmed = STEMMED.iter().find(|(l, _)| *l == lang);
            let mut stem = stemmed.map(|(_, l)| StemKey::new(*l));
            let field = ctx.fields.text;
            let inv = seg.inverted_index(field)?;
            let mut postings: Vec<Vec<SegmentPostings>> = Vec::new();
            for t in &texts {
                let mut lists = Vec::new();
                if let Some(word) = analyzers::analyze(&mut base, t).into_iter().next() {
                    let words: Vec<String> = match (stemmed, stem.as_mut()) {
                        (Some((code, _)), Some(a)) => ctx
                            .lexicon
                            .forms(code, &a.key(&word))
                            .into_iter()
                            .map(|f| f.word)
                            .collect(),
                        _ => vec![word],
                    };
                    for w in words {
                        lists.extend(inv.read_postings(
                            &Term::from_field_text(field, &w),
                            IndexRecordOption::WithFreqsAndPositions,
                        )?);
                    }
                }
                postings.push(lists);
            }
            for &ci in &order[start..end] {
                let doc = cands[ci].addr.doc_id;
                let mut lists = Vec::with_capacity(postings.len());
                for leaf in postings.iter_mut() {
                    let mut v = Vec::new();
                    for p in leaf.iter_mut() {
                        if p.doc() < doc {
                            p.seek(doc);
                        }
                        if p.doc() == doc {
                            p.append_positions_with_offset(0, &mut v);
                        }
                    }
                    v.sort_unstable();
                    lists.push(v);
                }
                if let Some(w) = min_window(&lists) {
                    let bonus = 1.0 + 0.5 / (w as f32).max(1.0);
                    let c = &mut cands[ci];
                    c.score *= bonus;
                    c.note("proximity", format!("words within {w} → ×{bonus:.2}"));
                }
            }
            start = end;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows() {
        assert_eq!(min_window(&[vec![1, 20], vec![5, 22]]), Some(3));
        assert_eq!(min_window(&[vec![4], vec![4]]), Some(1));
        assert_eq!(min_window(&[vec![4], vec![]]), None);
    }
}
