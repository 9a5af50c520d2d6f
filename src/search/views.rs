//! What the faces show: the objects `show` and `inspect` print and the server answers, facet
//! counts over ranked hits, and the query-language help. The CLI and `serve` both call these, so
//! neither face holds logic the other needs.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Engine, Hit, SearchError};
use crate::segment::Passage;

/// The query language, as `cyberlex help query` prints it and the server's help page shows it.
pub const QUERY_HELP: &str = "\
The cyberlex query language (terms and connectors, as in Westlaw and Lexis)

Two modes, as Westlaw has them:
  ranked   plain words (illegal access): every expansion applies: stems in the query's
           language, the taxonomy's concepts and their wording in every language
  exact    quotes, a field, ! or *, or any operator or connector: every hit satisfies the query
           literally (words as typed or inflected, phrases word for word, connectors checked
           on the index's positions); no concept expands inside it; the hit count is exact

  illegal access              ranked: passages holding both words first, then either
  illegal AND access          both words required (also: illegal & access)
  access OR interception      either word (also: access | interception)
  computer -fraud             exclude a word (also: NOT fraud, AND NOT fraud)
  computer % fraud security   but not: everything after % is excluded
  \"illegal access\"            the exact phrase
  \"illegal access\"~5          both words within 5 words of each other, either order
  access w/5 computer         within 5 words, either order
  access pre/3 computer       access at most 3 words before computer
  access /s password          in the same sentence (a heading is a sentence of its own)
  access /p password          in the same paragraph (a heading is a paragraph of its own)
  access!                     root expander: access, accessed, accessing, ...
  interfer*                   wildcard (* any letters, ? one letter)
  (access OR entry) w/3 system   parentheses group

Fields:  heading:access  citation:202a  title:convention  text:access
         jurisdiction:DE  kind:convention  lang:de
Filters: --jurisdiction DE (repeatable; codes or names), --kind, --lang, --since YEAR, --concept ID
Citations typed as the query go straight to the provision: § 202a, Art. 2, s. 3, 1030(a)(2),
with their instrument or country in any order: § 202a StGB, StGB § 202a, Art. 272 УК РФ,
article 2 of the Budapest Convention, Section 14 Kenya, 刑法第二百八十五条 (names as in
corpus/instruments.toml). A number several instruments hold returns them grouped, said ambiguous.

Precedence, tightest first: connectors, NOT, AND, words side by side, OR, %.
Words are matched as typed (accents folded) and by their forms (access, accesses, accessed); in
ranked mode also stemmed, in the language(s) the query is written in: a word reaches another
language only through a concept of the crosswalk taxonomy (`illegal access`, `Ausspähen von
Daten` find the provisions tagged with it in every language; --concept ID filters by it), never
by spelling alone. Chinese, Japanese and Korean are matched as character sequences.
Highlights mark what matched: stopwords only inside quotes, a concept's wording for a hit found
through it. `!` and `*` need 3 letters and expand to at most 200 words; queries are limited to
4096 bytes and 256 clauses, and each search to --timeout (default 2s): past it, the hits ranked
so far come with a warning.
";

/// A neighbouring passage, by id and citation.
#[derive(Debug, Clone, Serialize)]
pub struct Neighbour {
    pub passage_id: String,
    pub citation: String,
}

/// One passage with its neighbours in the document: the object of `show --json` and
/// `GET /api/passage/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct PassageView {
    pub passage: Passage,
    pub previous: Option<Neighbour>,
    pub next: Option<Neighbour>,
}

/// A document's passages in order: the object of `inspect --json` and `GET /api/document/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentView {
    pub doc_id: String,
    pub title: String,
    pub jurisdiction: String,
    pub kind: String,
    pub passages: Vec<Passage>,
}

impl Engine {
    /// A passage and its neighbours; [`SearchError::UnknownPassage`] when there is no such id.
    pub fn passage_view(&self, passage_id: &str) -> Result<PassageView, SearchError> {
        let passage = self.passage(passage_id)?;
        let siblings = self.document(&passage.doc_id)?;
        let idx = siblings
            .iter()
            .position(|s| s.passage_id == passage.passage_id);
        let nb = |p: &Passage| Neighbour {
            passage_id: p.passage_id.clone(),
            citation: p.citation.clone(),
        };
        let previous = idx
            .and_then(|i| i.checked_sub(1))
            .and_then(|i| siblings.get(i))
            .map(nb);
        let next = idx.and_then(|i| siblings.get(i + 1)).map(nb);
        Ok(PassageView {
            passage,
            previous,
            next,
        })
    }

    /// A document's passages; `None` when the index has none for `doc_id`.
    pub fn document_view(&self, doc_id: &str) -> Result<Option<DocumentView>, SearchError> {
        let passages = self.document(doc_id)?;
        let Some(first) = passages.first() else {
            return Ok(None);
        };
        Ok(Some(DocumentView {
            doc_id: doc_id.to_string(),
            title: first.title.clone(),
            jurisdiction: first.jurisdiction.clone(),
            kind: first.kind.clone(),
            passages,
        }))
    }
}

/// Counts per value of each filterable facet, over a set of ranked hits.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facets {
    /// How many hits were counted.
    pub counted: usize,
    pub jurisdiction: BTreeMap<String, usize>,
    pub kind: BTreeMap<String, usize>,
    pub language: BTreeMap<String, usize>,
    /// The year of the hit's document.
    pub year: BTreeMap<u16, usize>,
    /// Concepts of the taxonomy the hit is tagged with.
    pub concept: BTreeMap<String, usize>,
}

impl Engine {
    /// Count the facets of `hits`. Year and concepts are not part of a hit; they are read from
    /// the stored passage (one term lookup per hit).
    pub fn facets(&self, hits: &[Hit]) -> Result<Facets, SearchError> {
        let mut f = Facets {
            counted: hits.len(),
            ..Facets::default()
        };
        for h in hits {
            *f.jurisdiction.entry(h.jurisdiction.clone()).or_default() += 1;
            *f.kind.entry(h.kind.clone()).or_default() += 1;
            *f.language.entry(h.language.clone()).or_default() += 1;
            let p = match self.passage(&h.passage_id) {
                Ok(p) => p,
                // Hits come from this index, so only a concurrent swap could make one vanish.
                Err(SearchError::UnknownPassage(_)) => continue,
                Err(e) => return Err(e),
            };
            if let Some(y) = p.year {
                *f.year.entry(y).or_default() += 1;
            }
            for c in p.concepts {
                *f.concept.entry(c).or_default() += 1;
            }
        }
        Ok(f)
    }
}
