//! `citation`: a citation typed as the query (`§ 202a`, `Art. 2`, `1030(a)(2)`) puts that
//! provision first: the designator must agree (`§` with `§`, `Art.` with `Art.`), and the
//! deepest subsection the index holds that the query names ranks above its parents.

use tantivy::schema::IndexRecordOption;
use tantivy::{DocSet, Term};

use super::{Candidate, Context, Rule};
use crate::index::{citation_key, citation_subsection};
use crate::search::{designator_matches, SearchError};

pub struct Citation;

impl Rule for Citation {
    fn name(&self) -> &'static str {
        "citation"
    }
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        let Some(route) = ctx.route else {
            return Ok(());
        };
        // Only the candidates whose citation carries the routed key (from its postings, in
        // document order) have their citation read.
        let key = Term::from_field_text(ctx.fields.citation_key, &route.key);
        let mut order: Vec<usize> = (0..cands.len()).collect();
        order.sort_by_key(|&i| (cands[i].addr.segment_ord, cands[i].addr.doc_id));
        let mut seg_ord = u32::MAX;
        let mut postings = None;
        for i in order {
            let addr = cands[i].addr;
            if addr.segment_ord != seg_ord {
                seg_ord = addr.segment_ord;
                postings = ctx
                    .searcher
                    .segment_reader(seg_ord)
                    .inverted_index(ctx.fields.citation_key)?
                    .read_postings(&key, IndexRecordOption::Basic)?;
            }
            let holds = postings.as_mut().is_some_and(|p| {
                if p.doc() < addr.doc_id {
                    p.seek(addr.doc_id);
                }
                p.doc() == addr.doc_id
            });
            if !holds {
                continue;
            }
            let citation = ctx.citation(&cands[i]);
            if citation_key(&citation) != route.key {
                continue;
            }
            let designator_ok = match route.designator.as_deref() {
                None => true,
                Some(pr) => designator_matches(pr, &citation),
            };
            let mut bonus = if designator_ok { 100.0 } else { 20.0 };
            let want = citation_subsection(&route.words);
            let have = citation_subsection(&citation);
            if !have.is_empty() && want.starts_with(&have) {
                bonus += 50.0;
            } else if !have.is_empty() && !want.is_empty() {
                bonus -= 10.0;
            }
            let c = &mut cands[i];
            c.score += bonus;
            c.note("citation", format!("{citation} → +{bonus}"));
        }
        Ok(())
    }
}
