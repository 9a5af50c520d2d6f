//! `exactness`: a passage whose heading is the query itself (`Illegal access`) is the provision
//! the query names.

use super::{Candidate, Context, Rule};
use crate::corpus::taxonomy::fold;
use crate::search::SearchError;

pub const HEADING_IS_QUERY: f32 = 1.5;

pub struct Exactness;

impl Rule for Exactness {
    fn name(&self) -> &'static str {
        "exactness"
    }
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        let q = fold(ctx.query);
        for c in cands {
            if !c.heading.is_empty() && fold(&c.heading) == q {
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
