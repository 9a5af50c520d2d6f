//! "Did you mean …": corrections of a query's words from the index's own term dictionary.
//!
//! A word of the query is *weak* when the base text field holds it in few passages; its
//! candidates are the dictionary's terms within Levenshtein distance 1 (words of 3–5 letters) or 2
//! (6 letters or more, transpositions counting one), found by running a Levenshtein automaton
//! over the dictionary; candidates are at least twice as common as the word as typed. Among them
//! (and the word as typed), the combination whose adjacent words make the most phrases in the
//! index wins, when it makes [`PHRASE_RATIO`] times more than the query as typed; a lone word is
//! replaced by its most common nearest candidate when that is [`RATIO`] times more common (or
//! the word is absent). Operators, field prefixes,
//! quoted phrases' punctuation and excluded words (`-word`) are left as written. Faces (cli,
//! serve) call [`did_you_mean`] on zero or weak results.

use levenshtein_automata::{Distance, LevenshteinAutomatonBuilder};
use std::sync::OnceLock;

use serde::Serialize;
use tantivy::Term;

use super::Engine;
use crate::index::analyzers;

/// A candidate replaces a present word only when it is in this many times more passages.
pub const RATIO: u64 = 20;
/// Changed words must make this many times more phrases with their neighbours than as typed.
pub const PHRASE_RATIO: usize = 5;
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

/// A Levenshtein DFA as an automaton over the term dictionary (as tantivy's fuzzy query has it),
/// that also gives up on a term as soon as it cannot be a candidate whatever follows: an ASCII
/// byte that is no letter (candidates are alphabetic), or a CJK character. The analyzer writes
/// CJK only as bigrams and single characters, never inside a word, so a term holding one has at
/// most 2 characters, below [`MIN_CHARS`]; and the dictionary's 20,000 bigrams were most of the
/// walk (within distance 2, every two-character prefix is alive).
struct Dfa(levenshtein_automata::DFA);

/// Set on the state after a `0xE3` lead byte: the next byte says whether it is kana or CJK
/// Extension A (U+3040–U+30FF, U+3400–U+3FFF), or something else of U+3000–U+3FFF.
const AFTER_E3: u32 = 1 << 31;

/// Can a term whose next byte is `byte` (in state `after_e3`) still be a candidate?
fn may_continue(byte: u8, after_e3: bool) -> bool {
    if after_e3 {
        // E3 81–83 xx: U+3040–U+30FF (kana); E3 90–BF xx: U+3400–U+3FFF (Extension A).
        return !matches!(byte, 0x81..=0x83 | 0x90..=0xBF);
    }
    match byte {
        0x00..=0x7F => byte.is_ascii_alphabetic(),
        // U+4000–U+9FFF: Extension A, Yijing symbols (no letters), Unified Ideographs;
        // U+B000–U+CFFF: Hangul syllables.
        0xE4..=0xE9 | 0xEB..=0xEC => false,
        _ => true,
    }
}

impl tantivy_fst::Automaton for &Dfa {
    type State = u32;

    fn start(&self) -> u32 {
        self.0.initial_state()
    }

    fn is_match(&self, state: &u32) -> bool {
        *state & AFTER_E3 == 0 && matches!(self.0.distance(*state), Distance::Exact(_))
    }

    fn can_match(&self, state: &u32) -> bool {
        *state & !AFTER_E3 != levenshtein_automata::SINK_STATE
    }

    fn accept(&self, state: &u32, byte: u8) -> u32 {
        if !may_continue(byte, *state & AFTER_E3 != 0) {
            return levenshtein_automata::SINK_STATE;
        }
        let next = self.0.transition(*state & !AFTER_E3, byte);
        if byte == 0xE3 && next != levenshtein_automata::SINK_STATE {
            next | AFTER_E3
        } else {
            next
        }
    }
}

/// Candidates kept per weak word before the choice by phrases.
const CANDIDATES: usize = 4;
/// Weak words whose candidates are combined (beyond, each keeps its best candidate alone).
const COMBINED: usize = 3;

/// One token of the query, as the correction sees it.
enum Slot {
    /// Left as written; its folded term when it is a word (for the phrase counts).
    Fixed(String, Option<String>),
    /// A weak word and its candidates: (distance, passages, term), best first.
    Weak {
        pre: String,
        word: String,
        post: String,
        have: u64,
        cands: Vec<(u8, u64, String)>,
    },
}

/// Corrections for the query's weak words, or `None` when every word is well attested (or has
/// no better neighbour).
///
/// Among a weak word's nearest candidates (several may be one edit away: `ilegal` → `legal`,
/// `illegal`), the choice is the combination whose adjacent words form the most passages'
/// phrases in the index (`illegal access` over `legal access`), then the most frequent.
pub fn did_you_mean(engine: &Engine, query: &str) -> Option<Suggestion> {
    let searcher = engine.searcher();
    let field = engine.open.fields.text;
    let mut base = analyzers::base_analyzer();
    let df = |term: &str| -> u64 {
        searcher
            .doc_freq(&Term::from_field_text(field, term))
            .unwrap_or(0)
    };
    // Building the distance-2 automaton builder takes tens of milliseconds: once per process,
    // and only when a query has a weak word.
    static LEV1: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    static LEV2: OnceLock<LevenshteinAutomatonBuilder> = OnceLock::new();
    let mut slots = Vec::new();
    // What the citation router reads as a citation or an instrument's name is left as typed
    // (`§ 202a StGB` is not `§ 202a stb`); looked up at the first word that has candidates.
    let mut cited: Option<Vec<std::ops::Range<usize>>> = None;
    for token in query.split_whitespace() {
        let at = token.as_ptr() as usize - query.as_ptr() as usize;
        let span = at..at + token.len();
        let Some((pre, word, post)) = word_of(token) else {
            slots.push(Slot::Fixed(token.to_string(), None));
            continue;
        };
        let folded = analyzers::analyze(&mut base, word);
        let [term] = folded.as_slice() else {
            slots.push(Slot::Fixed(token.to_string(), None));
            continue;
        };
        let have = df(term);
        let chars = term.chars().count();
        let (max, builder) = if chars >= 6 {
            (
                2u8,
                LEV2.get_or_init(|| LevenshteinAutomatonBuilder::new(2, true)),
            )
        } else {
            (
                1u8,
                LEV1.get_or_init(|| LevenshteinAutomatonBuilder::new(1, true)),
            )
        };
        let dfa = Dfa(builder.build_dfa(term));
        let mut cands: Vec<(u8, u64, String)> = Vec::new();
        for seg in searcher.segment_readers() {
            let Ok(inv) = seg.inverted_index(field) else {
                continue;
            };
            // The automaton walks the term dictionary's FST: only terms within the distance
            // are visited, not the whole dictionary.
            let Ok(mut stream) = inv.terms().search(&dfa).into_stream() else {
                continue;
            };
            while stream.advance() {
                let key = stream.key();
                let Distance::Exact(d) = dfa.0.eval(key) else {
                    continue;
                };
                if d == 0 || d > max {
                    continue;
                }
                let Ok(cand) = std::str::from_utf8(key) else {
                    continue;
                };
                if cand.chars().count() < MIN_CHARS
                    || !cand.chars().all(char::is_alphabetic)
                    || cands.iter().any(|(_, _, c)| c == cand)
                {
                    continue;
                }
                let n = df(cand);
                if n > 0 && n >= 2 * have {
                    cands.push((d, n, cand.to_string()));
                }
            }
        }
        let mut is_cited = || {
            cited
                .get_or_insert_with(|| super::citation::cited_spans(query))
                .iter()
                .any(|c| c.start < span.end && span.start < c.end)
        };
        if cands.is_empty() || is_cited() {
            slots.push(Slot::Fixed(token.to_string(), Some(term.clone())));
            continue;
        }
        cands.sort_by(|a, b| {
            (a.0, std::cmp::Reverse(a.1), &a.2).cmp(&(b.0, std::cmp::Reverse(b.1), &b.2))
        });
        let least = cands[0].0;
        cands.retain(|c| c.0 == least);
        cands.truncate(CANDIDATES);
        // As typed, when the index holds it: the first option (distance 0).
        if have > 0 {
            cands.insert(0, (0, have, term.clone()));
        }
        slots.push(Slot::Weak {
            pre: pre.to_string(),
            word: word.to_string(),
            post: post.to_string(),
            have,
            cands,
        });
    }
    let weak: Vec<usize> = (0..slots.len())
        .filter(|&i| matches!(slots[i], Slot::Weak { .. }))
        .collect();
    if weak.is_empty() {
        return None;
    }
    // Every combination of the first COMBINED weak words' candidates; the others take their best.
    let sizes: Vec<usize> = weak
        .iter()
        .enumerate()
        .map(|(k, &i)| match &slots[i] {
            Slot::Weak { cands, .. } if k < COMBINED => cands.len(),
            _ => 1,
        })
        .collect();
    // Phrases in the text and in the headings (where an offence's name mostly stands).
    let heading = engine.open.fields.heading;
    let phrase_count = |a: &str, b: &str| -> usize {
        [field, heading]
            .iter()
            .map(|&f| {
                let q = tantivy::query::PhraseQuery::new(vec![
                    Term::from_field_text(f, a),
                    Term::from_field_text(f, b),
                ]);
                searcher.search(&q, &tantivy::collector::Count).unwrap_or(0)
            })
            .sum()
    };
    let mut best: Option<((usize, u64), Vec<usize>)> = None;
    // Phrases of the first combination: every word as typed where the index holds it.
    let mut typed_phrases = None;
    let mut pairs = false;
    let mut choice = vec![0usize; weak.len()];
    loop {
        let terms: Vec<Option<&str>> = slots
            .iter()
            .map(|s| match s {
                Slot::Fixed(_, t) => t.as_deref(),
                Slot::Weak { cands, .. } => {
                    let k = weak
                        .iter()
                        .position(|&w| std::ptr::eq(&slots[w], s))
                        .unwrap_or(0);
                    Some(cands[choice[k]].2.as_str())
                }
            })
            .collect();
        let mut phrases = 0;
        for (t, sl) in terms.windows(2).zip(slots.windows(2)) {
            if let (Some(a), Some(b)) = (t[0], t[1]) {
                if sl.iter().any(|x| matches!(x, Slot::Weak { .. })) {
                    pairs = true;
                    phrases += phrase_count(a, b);
                }
            }
        }
        typed_phrases.get_or_insert(phrases);
        let passages: u64 = weak
            .iter()
            .zip(&choice)
            .map(|(&i, &c)| match &slots[i] {
                Slot::Weak { cands, .. } => cands[c].1,
                Slot::Fixed(..) => 0,
            })
            .sum();
        if best.as_ref().is_none_or(|(b, _)| (phrases, passages) > *b) {
            best = Some(((phrases, passages), choice.clone()));
        }
        // Next combination (odometer).
        let mut k = 0;
        loop {
            if k == choice.len() {
                break;
            }
            choice[k] += 1;
            if choice[k] < sizes[k] {
                break;
            }
            choice[k] = 0;
            k += 1;
        }
        if k == choice.len() {
            break;
        }
    }
    let ((phrases, _), mut choice) = best?;
    let typed = typed_phrases.unwrap_or(0);
    if pairs {
        // Words are changed on the evidence of the index's phrases only when it is strong.
        if phrases < PHRASE_RATIO * typed.max(1) {
            choice = vec![0; weak.len()];
        }
    } else {
        // A lone word: its best candidate when that is far more common than the word as typed.
        choice = weak
            .iter()
            .map(|&i| match &slots[i] {
                Slot::Weak { have, cands, .. } if *have > 0 => cands
                    .iter()
                    .position(|c| c.0 > 0 && c.1 >= RATIO * have)
                    .unwrap_or(0),
                _ => 0,
            })
            .collect();
    }
    let mut corrections = Vec::new();
    let mut out = Vec::new();
    for (i, s) in slots.iter().enumerate() {
        match s {
            Slot::Fixed(t, _) => out.push(t.clone()),
            Slot::Weak {
                pre,
                word,
                post,
                have,
                cands,
            } => {
                let k = weak.iter().position(|&w| w == i).unwrap_or(0);
                let (d, n, cand) = &cands[choice[k]];
                if *d == 0 {
                    out.push(format!("{pre}{word}{post}"));
                    continue;
                }
                out.push(format!("{pre}{cand}{post}"));
                corrections.push(Correction {
                    word: word.clone(),
                    suggestion: cand.clone(),
                    word_passages: *have,
                    suggestion_passages: *n,
                    distance: *d,
                });
            }
        }
    }
    if corrections.is_empty() {
        return None;
    }
    Some(Suggestion {
        query: out.join(" "),
        corrections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_term_with_a_cjk_character_is_long_enough_to_be_a_candidate() {
        // The walk skips CJK characters (see `Dfa`): the analyzer must keep them out of words.
        let text = "Zugriff\u{5211}\u{6CD5}abc \u{3042}\u{3044}\u{3046}x \u{D55C}\u{AE00}\u{D55C}y \u{3400}\u{3401}z";
        let mut base = analyzers::base_analyzer();
        let terms = analyzers::analyze(&mut base, text);
        assert!(terms.iter().any(|t| t == "zugriff"), "{terms:?}");
        for t in &terms {
            if t.chars().any(crate::index::analyzers::is_cjk) {
                assert!(t.chars().count() < MIN_CHARS, "{t}");
            }
        }
    }

    #[test]
    fn the_walk_gives_up_on_exactly_the_bytes_no_candidate_holds() {
        // Every character the automaton refuses is a CJK character or no letter at all.
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let b = c.encode_utf8(&mut buf).as_bytes();
            let refused = !may_continue(b[0], false) || (b[0] == 0xE3 && !may_continue(b[1], true));
            if refused {
                assert!(
                    crate::index::analyzers::is_cjk(c) || !c.is_alphabetic(),
                    "{c:?} U+{:04X}",
                    c as u32
                );
            }
        }
    }

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
