//! `crowding`: each further passage of a document already ranked weighs a little less, so the
//! first page shows many provisions rather than one statute's many sections.

use std::collections::HashMap;

use super::{sort, Candidate, Context, Rule};
use crate::search::SearchError;

/// Weight of each further passage of a document already in the results.
pub const CROWDING: f32 = 0.85;

pub struct Crowding;

impl Rule for Crowding {
    fn name(&self) -> &'static str {
        "crowding"
    }
    fn apply(&self, ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        if ctx.route.is_some() {
            return Ok(());
        }
        sort(cands);
        let mut seen: HashMap<String, i32> = HashMap::new();
        for c in cands.iter_mut() {
            let k = seen.entry(c.doc_id.clone()).or_insert(0);
            if *k > 0 {
                let f = CROWDING.powi(*k);
                c.score *= f;
                c.why.push(format!(
                    "crowding: passage {} of its document → ×{f:.2}",
                    *k + 1
                ));
            }
            *k += 1;
        }
        Ok(())
    }
}
