//! `citation`: a citation typed as the query (`§ 202a`, `Art. 2`, `1030(a)(2)`) puts that
//! provision first: the designator must agree (`§` with `§`, `Art.` with `Art.`), and the
//! deepest subsection the index holds that the query names ranks above its parents.

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
        for c in cands {
            if citation_key(&c.citation) != route.key {
                continue;
            }
            let designator_ok = match route.designator.as_deref() {
                None => true,
                Some(pr) => designator_matches(pr, &c.citation),
            };
            let mut bonus = if designator_ok { 100.0 } else { 20.0 };
            let want = citation_subsection(&route.words);
            let have = citation_subsection(&c.citation);
            if !have.is_empty() && want.starts_with(&have) {
                bonus += 50.0;
            } else if !have.is_empty() && !want.is_empty() {
                bonus -= 10.0;
            }
            c.score += bonus;
            let cite = c.citation.clone();
            c.note("citation", format!("{cite} → +{bonus}"));
        }
        Ok(())
    }
}
