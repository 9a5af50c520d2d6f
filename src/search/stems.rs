//! Stemmed matching from the words the index holds: a stem is the union of its words
//! ([`crate::index::lexicon`]), scored as one term.
//!
//! [`StemQuery`] matches the passages holding any of a stem's words in some fields and scores
//! them as BM25 scores one term of one field: the term frequency is the sum of the words'
//! frequencies over the fields, the field length the sum of the fields' lengths, the document
//! frequency the (estimated) passages of the stem. The stemmed copy of heading and text (one
//! field) scored a stem this way; a disjunction of the words would score each word in each field
//! with its own, higher, idf and add them up. Lucene calls this a synonym query (over several
//! fields, a combined-fields query).

use tantivy::fieldnorm::FieldNormReader;
use tantivy::postings::{Postings, SegmentPostings};
use tantivy::query::{Bm25Weight, EmptyScorer, EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term, TERMINATED};

/// The passages holding any of `words` in any of `fields`, scored as one term of `passages`
/// passages in one field.
#[derive(Debug, Clone)]
pub struct StemQuery {
    fields: Vec<Field>,
    words: Vec<String>,
    passages: u64,
}

impl StemQuery {
    pub fn new(fields: Vec<Field>, words: Vec<String>, passages: u64) -> StemQuery {
        StemQuery {
            fields,
            words,
            passages,
        }
    }
}

impl Query for StemQuery {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        // The statistics tantivy's own term queries use (deleted passages included), so the
        // stem's score is on their scale.
        let bm25 = match enable_scoring {
            EnableScoring::Enabled {
                statistics_provider,
                ..
            } => {
                let docs = statistics_provider.total_num_docs()?.max(1);
                let mut tokens = 0u64;
                for f in &self.fields {
                    tokens += statistics_provider.total_num_tokens(*f)?;
                }
                let avg = tokens as f32 / docs as f32;
                Some(Bm25Weight::for_one_term(
                    self.passages.clamp(1, docs),
                    docs,
                    avg,
                ))
            }
            EnableScoring::Disabled { .. } => None,
        };
        Ok(Box::new(StemWeight {
            fields: self.fields.clone(),
            words: self.words.clone(),
            bm25,
        }))
    }

    fn query_terms<'a>(&'a self, _visitor: &mut dyn FnMut(&'a Term, bool)) {}
}

struct StemWeight {
    fields: Vec<Field>,
    words: Vec<String>,
    bm25: Option<Bm25Weight>,
}

impl StemWeight {
    fn stem_scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<StemScorer> {
        let option = if self.bm25.is_some() {
            IndexRecordOption::WithFreqs
        } else {
            IndexRecordOption::Basic
        };
        let mut postings = Vec::with_capacity(self.words.len() * self.fields.len());
        let mut fieldnorms = Vec::with_capacity(self.fields.len());
        for &field in &self.fields {
            let inv = reader.inverted_index(field)?;
            for w in &self.words {
                if let Some(p) = inv.read_postings(&Term::from_field_text(field, w), option)? {
                    postings.push(p);
                }
            }
            fieldnorms.extend(reader.fieldnorms_readers().get_field(field)?);
        }
        let mut s = StemScorer {
            postings,
            doc: 0,
            bm25: self.bm25.as_ref().map(|b| b.boost_by(boost)),
            fieldnorms,
        };
        s.doc = s.min_doc();
        Ok(s)
    }
}

impl Weight for StemWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        let s = self.stem_scorer(reader, boost)?;
        if s.postings.is_empty() {
            return Ok(Box::new(EmptyScorer));
        }
        Ok(Box::new(s))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        let mut s = self.stem_scorer(reader, 1.0)?;
        if s.seek(doc) != doc {
            return Err(tantivy::TantivyError::InvalidArgument(format!(
                "document #({doc}) does not match"
            )));
        }
        let mut e = Explanation::new("stem (one term over its words)", s.score());
        e.add_const(
            "term frequency, summed over the words",
            s.term_freq() as Score,
        );
        Ok(e)
    }
}

/// The union of a stem's words' postings in its fields, in document order.
struct StemScorer {
    postings: Vec<SegmentPostings>,
    doc: DocId,
    bm25: Option<Bm25Weight>,
    /// The fields' lengths; their sum is the length BM25 normalizes by.
    fieldnorms: Vec<FieldNormReader>,
}

impl StemScorer {
    fn min_doc(&self) -> DocId {
        self.postings
            .iter()
            .map(|p| p.doc())
            .min()
            .unwrap_or(TERMINATED)
    }

    fn term_freq(&self) -> u32 {
        self.postings
            .iter()
            .filter(|p| p.doc() == self.doc)
            .map(|p| p.term_freq())
            .sum()
    }
}

impl DocSet for StemScorer {
    fn advance(&mut self) -> DocId {
        if self.doc == TERMINATED {
            return TERMINATED;
        }
        let doc = self.doc;
        for p in self.postings.iter_mut() {
            if p.doc() == doc {
                p.advance();
            }
        }
        self.doc = self.min_doc();
        self.doc
    }

    fn seek(&mut self, target: DocId) -> DocId {
        if self.doc >= target {
            return self.doc;
        }
        for p in self.postings.iter_mut() {
            if p.doc() < target {
                p.seek(target);
            }
        }
        self.doc = self.min_doc();
        self.doc
    }

    fn doc(&self) -> DocId {
        self.doc
    }

    fn size_hint(&self) -> u32 {
        self.postings.iter().map(|p| p.size_hint()).sum()
    }
}

impl Scorer for StemScorer {
    fn score(&mut self) -> Score {
        match &self.bm25 {
            Some(b) => {
                let len: u32 = self.fieldnorms.iter().map(|f| f.fieldnorm(self.doc)).sum();
                b.score(FieldNormReader::fieldnorm_to_id(len), self.term_freq())
            }
            None => 1.0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::collector::TopDocs;
    use tantivy::schema::{Schema, TEXT};
    use tantivy::{doc, Index};

    #[test]
    fn matches_any_word_and_scores_the_sum_of_their_frequencies() {
        let mut b = Schema::builder();
        let text = b.add_text_field("text", TEXT);
        let index = Index::create_in_ram(b.build());
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        w.add_document(doc!(text => "walks walked walking"))
            .unwrap();
        w.add_document(doc!(text => "walk and talk tall")).unwrap();
        w.add_document(doc!(text => "nothing here at all")).unwrap();
        w.add_document(doc!(text => "walked")).unwrap();
        w.commit().unwrap();
        let searcher = index.reader().unwrap().searcher();
        let q = StemQuery::new(
            vec![text],
            ["walk", "walked", "walking", "walks"]
                .map(String::from)
                .to_vec(),
            3,
        );
        let hits = searcher
            .search(&q, &TopDocs::with_limit(10).order_by_score())
            .unwrap();
        let docs: Vec<u32> = hits.iter().map(|(_, a)| a.doc_id).collect();
        assert_eq!(docs.len(), 3, "{hits:?}");
        // Three forms in one short passage beat one form.
        assert_eq!(docs[0], 0, "{hits:?}");
        assert!(!docs.contains(&2));
        let expl = q.explain(&searcher, hits[0].1).unwrap();
        assert!(expl.to_pretty_json().contains("summed"));
    }
}
