//! `words`: the index's score — BM25 of the query's words over the planned fields (heading and
//! citation boosted, every language's stems), plus the score of the concept tags it names.

use super::{Candidate, Context, Rule};
use crate::search::SearchError;

pub struct Words;

impl Rule for Words {
    fn name(&self) -> &'static str {
        "words"
    }
    fn apply(&self, _ctx: &Context, cands: &mut [Candidate]) -> Result<(), SearchError> {
        for c in cands {
            let s = c.score;
            c.note("words", format!("index score {s:.3} (bm25 + concept)"));
        }
        Ok(())
    }
}
