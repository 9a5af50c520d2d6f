//! "Did you mean …": corrections of a query's words from the index's own term dictionary.
//!
//! A word of the query is *weak* when the base text field holds it in few passages; its
//! candidates are the dictionary's terms within Levenshtein distance 1 (words of 3–5 letters) or 2
//! (6 letters or more, transpositions counting one), found by running a Levenshtein automaton
//! over the dictionary. The most frequent candidate at the least distance replaces the word when
//! it is far more common ([`RATIO`] times, or the word is absent). Operators, field prefixes,
//! quoted phrases' punctuation and excluded words (`-word`) are left as written. Faces (cli,
//! serve) call [`did_you_mean`] on zero or weak results.

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use serde::Serialize;
use tantivy::Term;

use super::Engine;
use crate::index::analyzers;

/// A candidate replaces a present word only when it is in this many times more passages.
pub const RATIO: u64 = 20;
/// Words shorter than this (in characters) are never corrected.
pub const MIN_CHARS: usize = 3;

/// One corrected word.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Correction {
    pub word: String,
    pub suggestion: String,
    /// Passages holding the word / the suggestion (in the base text field).
    pub word_passages: u64,
    pub suggestion_passages: u64,
    pub distance: u8,
}

/// The query with its weak words corrected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub query: String,
    pub corrections: Vec<Correction>,
}

const OPERATORS: &[&str] = &["AND", "OR", "NOT", "NEAR", "ADJ", "SAME"];

/// The word inside a query token: `(ilegal` → `ilegal`, with what surrounds it; `None` for
/// operators, fields (`title:…`), connectors (`/s`, `w/5`), exclusions and non-words.
fn word_of(token: &str) -> Option<(&str, &str, &str)> {
    if OPERATORS.contains(&token) || token.starts_with('-') || token.contains(':') {
        return None;
    }
    let start = token
        .char_indices()
        .find(|(_, c)| c.is_alphabetic())
        .map(|(i, _)| i)?;
    let end = token
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_alphabetic())
        .map(|(i, c)| i + c.len_utf8())?;
    let (pre, rest) = token.split_at(start);
    let (word, post) = rest.split_at(end - start);
    if !pre.chars().all(|c| matches!(c, '"' | '(' | '+'))
        || !post.chars().all(|c| matches!(c, '"' | ')'))
        || !word.chars().all(char::is_alphabetic)
        || word.chars().count() < MIN_CHARS
    {
        return None;
    }
    Some((pre, word, post))
}

/// Corrections for the query's weak words, or `None` when every word is well attested (or has
/// no better neighbour).
pub fn did_you_mean(engine: &Engine, query: &str) -> Option<Suggestion> {
    let reader = engine.open.index.reader().ok()?;
    let searcher = reader.searcher();
    let field = engine.open.fields.text;
    let mut base = analyzers::base_analyzer();
    let df = |term: &str| -> u64 {
        searcher
            .doc_freq(&Term::from_field_text(field, term))
            .unwrap_or(0)
    };
    let lev1 = LevenshteinAutomatonBuilder::new(1, true);
    let lev2 = LevenshteinAutomatonBuilder::new(2, true);
    let mut corrections = Vec::new();
    let mut out = Vec::new();
    for token in query.split_whitespace() {
        let Some((pre, word, post)) = word_of(token) else {
            out.push(token.to_string());
            continue;
        };
        let folded = analyzers::analyze(&mut base, word);
        let [term] = folded.as_slice() else {
            out.push(token.to_string());
            continue;
        };
        let have = df(term);
        let chars = term.chars().count();
        let (max, builder) = if chars >= 6 { (2, &lev2) } else { (1, &lev1) };
        let dfa = builder.build_dfa(term);
        // Best candidate: least distance, then most passages, then the term itself.
        let mut best: Option<(u8, u64, String)> = None;
        for seg in searcher.segment_readers() {
            let Ok(inv) = seg.inverted_index(field) else {
                continue;
            };
            let Ok(mut stream) = inv.terms().stream() else {
                continue;
            };
            while stream.advance() {
                let key = stream.key();
                // Length pruning before running the automaton.
                if key.len() + max < term.len() || key.len() > term.len() + 2 * max {
                    continue;
                }
                let Distance::Exact(d) = dfa.eval(key) else {
                    continue;
                };
                if d == 0 || d > max as u8 {
                    continue;
                }
                let Ok(cand) = std::str::from_utf8(key) else {
                    continue;
                };
                if cand.chars().count() < MIN_CHARS || !cand.chars().all(char::is_alphabetic) {
                    continue;
                }
                if best
                    .as_ref()
                    .is_some_and(|(bd, _, bt)| (*bd, bt.as_str()) == (d, cand))
                {
                    continue;
                }
                let n = df(cand);
                let better = match &best {
                    None => true,
                    Some((bd, bn, bt)) => {
                        (d, std::cmp::Reverse(n), cand) < (*bd, std::cmp::Reverse(*bn), bt.as_str())
                    }
                };
                if better {
                    best = Some((d, n, cand.to_string()));
                }
            }
        }
        match best {
            Some((d, n, cand)) if n > 0 && (have == 0 || n >= RATIO * have) => {
                out.push(format!("{pre}{cand}{post}"));
                corrections.push(Correction {
                    word: word.to_string(),
                    suggestion: cand,
                    word_passages: have,
                    suggestion_passages: n,
                    distance: d,
                });
            }
            _ => out.push(token.to_string()),
        }
    }
    if corrections.is_empty() {
        None
    } else {
        Some(Suggestion {
            query: out.join(" "),
            corrections,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_found_inside_their_punctuation() {
        assert_eq!(word_of("(ilegal"), Some(("(", "ilegal", "")));
        assert_eq!(word_of("\"acess\""), Some(("\"", "acess", "\"")));
        assert_eq!(word_of("AND"), None);
        assert_eq!(word_of("-fraud"), None);
        assert_eq!(word_of("title:fraud"), None);
        assert_eq!(word_of("w/5"), None);
        assert_eq!(word_of("202a"), None);
        assert_eq!(word_of("ab"), None);
    }
}
