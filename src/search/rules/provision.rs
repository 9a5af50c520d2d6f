//! `provision`: lawyers look for provisions first; commentary about them (analyses, NGO
//! statements) ranks after, unless a citation was asked for.

use super::{Candidate, Context, Rule};
use crate::search::SearchError;

/// Weight of a commentary passage.
pub const COMMENTARY: f32 = 0.75;

pub struct Provision;

impl Rule for Provision {
    fn name(&self) -> &'static str {
        "provision"
    }
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        if ctx.route.is_some() {
            return Ok(());
        }
        for c in cands {
            if matches!(c.kind.as_str(), "analysis" | "ngo-statement") {
                c.score *= COMMENTARY;
                c.note("provision", format!("commentary → ×{COMMENTARY}"));
            }
        }
        Ok(())
    }
}
