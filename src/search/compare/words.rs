//! Candidates by the concept's words, independent of the tagger's wording rules: within one
//! jurisdiction, every provision is ranked by BM25 of the concept's words (its labels, key terms
//! and acts in the provision's own language, stemmed; acts as word starts) over its heading
//! (counted twice) and text, with the jurisdiction's own statistics. The best few become
//! candidates of the concept with a named rule, so a provision whose heading names nothing the
//! taxonomy knows (an amending act's "Modifications to article 132", a headingless Dutch code)
//! still competes — ranked by the same elements as every other candidate.

use std::collections::{HashMap, HashSet};

use tantivy::tokenizer::TextAnalyzer;

use crate::corpus::taxonomy::Taxonomy;
use crate::index::analyzers;
use crate::segment::Passage;

/// BM25 constants (the usual ones).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One passage's evidence by words for one concept.
#[derive(Debug, Clone, PartialEq)]
pub struct WordEvidence {
    /// Index of the concept in the taxonomy.
    pub concept: usize,
    /// Rank among the jurisdiction's provisions by the concept's words (0: best).
    pub rank: usize,
    /// The BM25 score, and the best score of the jurisdiction for the concept.
    pub score: f32,
    pub top: f32,
    /// The concept's words the passage has, most weighty first (at most a few).
    pub words: Vec<String>,
    /// Distinct query words matched.
    pub matched: usize,
    /// Whether one of the matched words is an act (measure) of the concept.
    pub has_act: bool,
}

/// A passage scored for one concept: (score, passage index, (points, query word key) of each
/// word matched, whether an act matched).
type Scored = (f32, usize, Vec<(f32, usize)>, bool);

/// One query word of a concept in one language: a stem (exact) or an act's word start.
#[derive(Debug, Clone)]
struct QueryWord {
    stem: String,
    prefix: bool,
    act: bool,
}

/// The analyzers of a language: stemming (where Snowball has the language) and stopwords.
struct Lang {
    stem: TextAnalyzer,
    stop: Option<TextAnalyzer>,
}

fn lang(code: &str) -> Lang {
    let l = analyzers::STEMMED
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, l)| *l);
    Lang {
        stem: l.map_or_else(analyzers::base_analyzer, analyzers::stem_analyzer),
        stop: l.and_then(analyzers::stopword_analyzer),
    }
}

/// Words worth counting: not a number, not a one- or two-letter word (CJK bigrams count).
fn counts(w: &str) -> bool {
    !w.chars().all(|c| c.is_ascii_digit())
        && (w.chars().any(analyzers::is_cjk) || w.chars().count() >= 3)
}

/// The query words of every concept in `language`: its labels and key terms (stems) and its acts
/// (word starts), in that language; a concept without wording in it uses its English. Words that
/// do not tell concepts apart are left out: those of the element markers (computer, data,
/// offence, court…: every concept of a group has them) and label words in the wording of
/// [`GENERIC_CONCEPTS`] concepts or more. A concept's own acts stay (`intercept` is in the
/// labels of several concepts and still the act of illegal interception; an offence and a power
/// sharing it are told apart by their elements).
fn query_words(taxonomy: &Taxonomy, language: &str, an: &mut Lang) -> Vec<Vec<QueryWord>> {
    let mut per_concept: Vec<Vec<QueryWord>> = taxonomy
        .concepts
        .iter()
        .map(|c| {
            let pick = |m: &std::collections::BTreeMap<String, Vec<String>>| {
                m.get(language).cloned().unwrap_or_default()
            };
            let mut labels: Vec<String> = pick(&c.labels);
            labels.extend(pick(&c.terms));
            let mut acts = pick(&c.acts);
            // A group's defining element is the concept's own wording (`territory` for a
            // jurisdiction rule), as the markers it requires are.
            let own = taxonomy.own_markers(c);
            acts.extend(
                taxonomy
                    .marker_phrases_of(language, |m| own.iter().any(|o| o == m))
                    .into_iter()
                    .map(str::to_string),
            );
            if labels.is_empty() && acts.is_empty() {
                labels = c.labels.get("en").cloned().unwrap_or_default();
                labels.extend(c.terms.get("en").cloned().unwrap_or_default());
                acts = c.acts.get("en").cloned().unwrap_or_default();
            }
            let mut seen = HashSet::new();
            let mut out = Vec::new();
            for (phrases, act) in [(&acts, true), (&labels, false)] {
                for ph in phrases {
                    let words = analyzers::analyze(&mut an.stem, ph);
                    let n = words.len();
                    for (k, w) in words.into_iter().enumerate() {
                        if !counts(&w) {
                            continue;
                        }
                        let stop = an
                            .stop
                            .as_mut()
                            .is_some_and(|s| analyzers::analyze(s, &w).is_empty());
                        if stop || !seen.insert(w.clone()) {
                            continue;
                        }
                        // An act is a word start (`intercept` for `intercepts`): a one-word act,
                        // or the last word of an act phrase.
                        let prefix =
                            act && (n == 1 || k == n - 1) && !w.chars().any(analyzers::is_cjk);
                        out.push(QueryWord {
                            stem: w,
                            prefix,
                            act,
                        });
                    }
                }
            }
            out
        })
        .collect();
    let mut concepts_of: HashMap<String, usize> = HashMap::new();
    for words in &per_concept {
        for w in words {
            *concepts_of.entry(w.stem.clone()).or_default() += 1;
        }
    }
    for (c, words) in taxonomy.concepts.iter().zip(&mut per_concept) {
        let own = taxonomy.own_markers(c);
        let shared: Vec<String> = taxonomy
            .marker_phrases_of(language, |m| !own.iter().any(|o| o == m))
            .into_iter()
            .flat_map(|m| analyzers::analyze(&mut an.stem, m))
            .filter(|w| counts(w))
            .collect();
        words.retain(|w| {
            (w.act || concepts_of[&w.stem] < GENERIC_CONCEPTS)
                && !shared.iter().any(|m| {
                    *m == w.stem || (m.chars().count() >= 4 && w.stem.starts_with(m.as_str()))
                })
        });
    }
    per_concept
}

/// A word in the wording of this many concepts names none of them.
pub const GENERIC_CONCEPTS: usize = 3;

/// For every passage, its evidence by words for the concepts it ranks among the `keep` best of
/// the jurisdiction for (score above zero).
///
/// `parents[i]` is the heading of the provision passage `i` belongs to (empty when it has its own
/// heading or none): a headingless subsection is about what its provision's heading says.
pub fn rank(
    taxonomy: &Taxonomy,
    passages: &[Passage],
    parents: &[String],
    keep: usize,
) -> Vec<Vec<WordEvidence>> {
    // Analyzers and query words per language of the jurisdiction.
    let mut langs: HashMap<String, (Lang, Vec<Vec<QueryWord>>)> = HashMap::new();
    let mut vocab: HashMap<String, u32> = HashMap::new();
    let mut docs: Vec<HashMap<u32, f32>> = Vec::with_capacity(passages.len());
    let mut lens: Vec<f32> = Vec::with_capacity(passages.len());
    for (k, p) in passages.iter().enumerate() {
        let parent = parents.get(k).map(String::as_str).unwrap_or("");
        let (an, _) = langs.entry(p.language.clone()).or_insert_with(|| {
            let mut an = lang(&p.language);
            let q = query_words(taxonomy, &p.language, &mut an);
            (an, q)
        });
        let mut tf: HashMap<u32, f32> = HashMap::new();
        let mut len = 0.0;
        for (field, weight) in [
            (p.heading.as_str(), 2.0),
            (parent, 1.0),
            (p.text.as_str(), 1.0),
        ] {
            for w in analyzers::analyze(&mut an.stem, field) {
                if !counts(&w) {
                    continue;
                }
                let next = vocab.len() as u32;
                let id = *vocab.entry(w).or_insert(next);
                *tf.entry(id).or_default() += weight;
                len += weight;
            }
        }
        docs.push(tf);
        lens.push(len);
    }
    let n = passages.len() as f32;
    let avg = lens.iter().sum::<f32>() / n.max(1.0);
    // Every distinct query word (stem, word start or not) once, with the vocabulary ids it
    // matches; then each vocabulary id → the query words it counts for.
    let mut keys: Vec<(String, bool)> = Vec::new();
    let mut key_of: HashMap<(String, bool), usize> = HashMap::new();
    for (_, qs) in langs.values() {
        for q in qs.iter().flatten() {
            let k = (q.stem.clone(), q.prefix);
            if !key_of.contains_key(&k) {
                key_of.insert(k.clone(), keys.len());
                keys.push(k);
            }
        }
    }
    let mut counts_for: HashMap<u32, Vec<usize>> = HashMap::new();
    for (w, &id) in &vocab {
        // The word itself (exact or word start), and each shorter start of it.
        for (end, _) in w
            .char_indices()
            .skip(1)
            .chain(std::iter::once((w.len(), ' ')))
        {
            let start = &w[..end];
            let exact = end == w.len();
            for prefix in [true, false] {
                if !prefix && !exact {
                    continue;
                }
                if let Some(&k) = key_of.get(&(start.to_string(), prefix)) {
                    counts_for.entry(id).or_default().push(k);
                }
            }
        }
    }
    // Per passage, the frequency of each query word it has; per query word, its passages.
    let tfs: Vec<HashMap<usize, f32>> = docs
        .iter()
        .map(|d| {
            let mut tf: HashMap<usize, f32> = HashMap::new();
            for (id, f) in d {
                for &k in counts_for.get(id).into_iter().flatten() {
                    *tf.entry(k).or_default() += f;
                }
            }
            tf
        })
        .collect();
    let mut df = vec![0.0f32; keys.len()];
    for tf in &tfs {
        for &k in tf.keys() {
            df[k] += 1.0;
        }
    }
    // Per language and concept, the key of each query word.
    let keyed: HashMap<&str, Vec<Vec<usize>>> = langs
        .iter()
        .map(|(l, (_, qs))| {
            let ks = qs
                .iter()
                .map(|ws| {
                    ws.iter()
                        .map(|q| key_of[&(q.stem.clone(), q.prefix)])
                        .collect()
                })
                .collect();
            (l.as_str(), ks)
        })
        .collect();
    let concepts = taxonomy.concepts.len();
    let mut per_concept: Vec<Vec<Scored>> = vec![Vec::new(); concepts];
    for (i, p) in passages.iter().enumerate() {
        let tf = &tfs[i];
        if tf.is_empty() {
            continue;
        }
        let (_, qs) = &langs[&p.language];
        let norm = K1 * (1.0 - B + B * lens[i] / avg.max(1.0));
        let keyed = &keyed[p.language.as_str()];
        for (c, words) in qs.iter().enumerate() {
            let mut s = 0.0;
            let mut matched = Vec::new();
            let mut act = false;
            for (q, &k) in words.iter().zip(&keyed[c]) {
                let Some(&f) = tf.get(&k) else { continue };
                let d = df[k];
                let idf = (1.0 + (n - d + 0.5) / (d + 0.5)).ln();
                let x = idf * f * (K1 + 1.0) / (f + norm);
                s += x;
                matched.push((x, k));
                act |= q.act;
            }
            if s > 0.0 {
                per_concept[c].push((s, i, matched, act));
            }
        }
    }
    let mut out: Vec<Vec<WordEvidence>> = vec![Vec::new(); passages.len()];
    for (c, mut list) in per_concept.into_iter().enumerate() {
        list.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let top = list.first().map_or(0.0, |x| x.0);
        for (rank, (score, i, mut matched, has_act)) in list.into_iter().take(keep).enumerate() {
            matched.sort_by(|a, b| b.0.total_cmp(&a.0));
            out[i].push(WordEvidence {
                concept: c,
                rank,
                score,
                top,
                matched: matched.len(),
                words: matched
                    .into_iter()
                    .take(4)
                    .map(|(_, k)| keys[k].0.clone())
                    .collect(),
                has_act,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(id: &str, heading: &str, text: &str) -> Passage {
        Passage {
            passage_id: format!("act/{id}"),
            doc_id: "act".into(),
            jurisdiction: "XX".into(),
            kind: "national-law".into(),
            language: "en".into(),
            citation: format!("s. {id}"),
            heading: heading.into(),
            text: text.into(),
            ..Default::default()
        }
    }

    // Invented provisions throughout.
    #[test]
    fn the_provision_about_the_concepts_words_ranks_first() {
        let t = Taxonomy::builtin();
        let ps = vec![
            passage(
                "1",
                "Short title",
                "This Act may be cited as the Invented Act.",
            ),
            passage(
                "2",
                "Amendment of section 9",
                "Section 9 is amended: a person who intercepts a transmission to a computer \
                 commits an offence; interception by a provider for maintenance is not.",
            ),
            passage(
                "3",
                "Fees",
                "The minister may set fees for licences of providers of a computer service.",
            ),
        ];
        let ranked = rank(&t, &ps, &[], 3);
        let i = t
            .concepts
            .iter()
            .position(|c| c.id == "illegal-interception")
            .unwrap();
        let w = ranked[1].iter().find(|w| w.concept == i).expect("ranked");
        assert_eq!(w.rank, 0);
        assert!(
            w.has_act && w.words.iter().any(|x| x == "intercept"),
            "{w:?}"
        );
        // A passage without any of the concept's words is not ranked for it; one with a word
        // of a label (`service`) but not the act ranks below, and is no candidate by itself.
        assert!(ranked[0].iter().all(|w| w.concept != i));
        assert!(ranked[2]
            .iter()
            .filter(|w| w.concept == i)
            .all(|w| w.rank > 0 && !w.has_act));
    }

    #[test]
    fn words_every_concept_shares_are_not_a_concepts_words() {
        let t = Taxonomy::builtin();
        let mut an = lang("en");
        let q = query_words(&t, "en", &mut an);
        let i = t
            .concepts
            .iter()
            .position(|c| c.id == "illegal-access")
            .unwrap();
        let words: Vec<&str> = q[i].iter().map(|w| w.stem.as_str()).collect();
        assert!(words.contains(&"access"), "{words:?}");
        // `computer` is an object marker, `unauthorised` a without-right marker.
        assert!(!words.contains(&"comput"), "{words:?}");
        assert!(
            !words.iter().any(|w| w.starts_with("unauthor")),
            "{words:?}"
        );
        // A jurisdiction rule's own element (territory) is its wording.
        let j = t
            .concepts
            .iter()
            .position(|c| c.id == "jurisdiction")
            .unwrap();
        assert!(q[j].iter().any(|w| w.stem == "territori"), "{:?}", q[j]);
    }

    #[test]
    fn a_headingless_subsection_counts_its_parents_heading() {
        let t = Taxonomy::builtin();
        let ps = vec![
            passage("4", "", "The court may so order on an application."),
            passage("5", "", "The court may so order on an application."),
        ];
        let parents = vec!["Preservation of stored data".to_string(), String::new()];
        let ranked = rank(&t, &ps, &parents, 3);
        let i = t
            .concepts
            .iter()
            .position(|c| c.id == "expedited-preservation")
            .unwrap();
        assert!(ranked[0].iter().any(|w| w.concept == i));
        assert!(ranked[1].iter().all(|w| w.concept != i));
    }
}
