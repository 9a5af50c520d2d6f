//! `exactness`: a passage whose heading is the query itself (`Illegal access`) is the provision
//! the query names. The heading's length (its field norm) is compared first, so only headings
//! as long as the query are read.

use super::{Candidate, Context, Rule};
use crate::corpus::taxonomy::fold;
use crate::index::analyzers;
use crate::search::SearchError;

pub const HEADING_IS_QUERY: f32 = 1.5;

pub struct Exactness;

impl Rule for Exactness {
    fn name(&self) -> &'static str {
        "exactness"
    }
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        let q = fold(ctx.query);
        let words = analyzers::raw_tokens(ctx.query).len() as u32;
        if words == 0 {
            return Ok(());
        }
        let mut norms = Vec::new();
        for seg in ctx.searcher.segment_readers() {
            norms.push(seg.get_fieldnorms_reader(ctx.fields.heading)?);
        }
        for c in cands {
            let n = norms[c.addr.segment_ord as usize].fieldnorm(c.addr.doc_id);
            if n != words {
                continue;
            }
            let heading = ctx.heading(c);
            if !heading.is_empty() && fold(&heading) == q {
                c.score *= HEADING_IS_QUERY;
                c.note(
                    "exactness",
                    format!("heading is the query → ×{HEADING_IS_QUERY}"),
                );
            }
        }
        Ok(())
    }
}
