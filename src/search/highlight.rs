//! Which words of a passage match the query, so every matched span is highlighted — phrases and
//! proximity matches too — and proximity connectors are verified exactly.
//!
//! The passage text is analyzed the way the index analyzed it (base terms, and stems in the
//! passage's language); each query node then yields the byte ranges it matches. Only the hits
//! that are printed are analyzed (matching and ranking read the index's positions).
//!
//! Highlights mark only what matched: a stopword (`of`, `for`) only inside quotes; a stem only
//! when it is a form of the query's word (`providers` never marks `Provided`, see
//! [`super::inflect`]); a run of Chinese/Japanese/Korean characters also where only part of it
//! occurs (three characters or more); and, for a hit found through a concept, the concept's
//! wording in the text.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::ops::Range;
use std::sync::Mutex;

use tantivy::tokenizer::TextAnalyzer;

use super::inflect::same_word;
use super::query::{FieldName, Node, Unit, WordKind};
use crate::index::analyzers::{self, break_between, is_cjk, raw_tokens, Break, STEMMED};

/// One token of a passage: its byte range, base term, stem, sentence and paragraph.
#[derive(Debug, Clone)]
pub struct Tok {
    pub range: Range<usize>,
    pub base: String,
    pub stem: String,
    pub sentence: u32,
    pub paragraph: u32,
}

/// A passage's text, analyzed once.
pub struct Analyzed {
    pub toks: Vec<Tok>,
}

fn one_term(analyzer: &mut TextAnalyzer, word: &str) -> String {
    analyzers::analyze(analyzer, word).join("")
}

/// Analyzes text for one language (base analyzer plus that language's stemmer, if any).
///
/// Every word's terms are remembered: legal text repeats its words, so after the first passages
/// a token costs a hash lookup instead of two token streams (the analyzers are the cost of
/// highlighting). Kept between queries in an [`AnalysisPool`].
pub struct TextAnalysis {
    base: TextAnalyzer,
    stem: Option<TextAnalyzer>,
    stop: Option<TextAnalyzer>,
    pub lang: String,
    words: rustc_hash::FxHashMap<String, (String, String)>,
}

/// Words remembered per analysis before the cache starts over (bounds its memory).
const WORD_CACHE: usize = 50_000;

/// Analyses kept between queries, per language; a search takes one and gives it back, so
/// concurrent searches never share one (no lock is held while analysing).
#[derive(Default)]
pub struct AnalysisPool {
    free: Mutex<HashMap<String, Vec<TextAnalysis>>>,
}

impl AnalysisPool {
    pub fn take(&self, lang: &str) -> TextAnalysis {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        free.get_mut(lang)
            .and_then(Vec::pop)
            .unwrap_or_else(|| TextAnalysis::new(lang))
    }

    pub fn give(&self, analysis: TextAnalysis) {
        let mut free = self.free.lock().unwrap_or_else(|e| e.into_inner());
        let slot = free.entry(analysis.lang.clone()).or_default();
        // As many as searches run at once, within reason.
        if slot.len() < 16 {
            slot.push(analysis);
        }
    }
}

impl TextAnalysis {
    pub fn new(lang: &str) -> TextAnalysis {
        let language = STEMMED.iter().find(|(l, _)| *l == lang).map(|(_, l)| *l);
        TextAnalysis {
            base: analyzers::base_analyzer(),
            stem: language.map(analyzers::stem_analyzer),
            stop: language.and_then(analyzers::stopword_analyzer),
            lang: lang.to_string(),
            words: Default::default(),
        }
    }

    /// The (base, stem) terms of one raw token, remembered.
    fn terms_of(&mut self, raw: &str) -> (String, String) {
        if let Some(t) = self.words.get(raw) {
            return t.clone();
        }
        let base = one_term(&mut self.base, raw);
        let stem = match &mut self.stem {
            Some(a) => one_term(a, raw),
            None => base.clone(),
        };
        if self.words.len() >= WORD_CACHE {
            self.words.clear();
        }
        self.words
            .insert(raw.to_string(), (base.clone(), stem.clone()));
        (base, stem)
    }

    /// Is `word` a stopword of this language?
    pub fn is_stopword(&mut self, word: &str) -> bool {
        match &mut self.stop {
            Some(a) => analyzers::analyze(a, word).is_empty(),
            None => false,
        }
    }

    pub fn analyze(&mut self, text: &str) -> Analyzed {
        let mut toks = Vec::new();
        let mut sentence = 0u32;
        let mut paragraph = 0u32;
        let mut last_end = 0;
        for t in raw_tokens(text) {
            let gap = text.get(last_end..t.offset_from).unwrap_or("");
            // The same rule the index's `breaks` field was built with.
            let prev = toks.last().map(|p: &Tok| &text[p.range.clone()]);
            match break_between(prev, gap) {
                Break::Paragraph if prev.is_some() => {
                    paragraph += 1;
                    sentence += 1;
                }
                Break::Sentence => sentence += 1,
                _ => {}
            }
            last_end = last_end.max(t.offset_to);
            let (base, stem) = self.terms_of(&t.text);
            toks.push(Tok {
                range: t.offset_from..t.offset_to,
                base,
                stem,
                sentence,
                paragraph,
            });
        }
        Analyzed { toks }
    }

    /// The terms a query word yields: (base, stem) per token.
    pub fn query_terms(&mut self, word: &str) -> Vec<(String, String)> {
        raw_tokens(word)
            .iter()
            .map(|t| self.terms_of(&t.text))
            .filter(|(b, _)| !b.is_empty())
            .collect()
    }
}

/// A match: the token index span it covers and the byte ranges to highlight.
#[derive(Debug, Clone)]
struct Hit {
    first: usize,
    last: usize,
    ranges: Vec<Range<usize>>,
}

/// Expanded words of `!`/`*` nodes, computed against the index beforehand. Ordered: the words
/// become the clauses of a query whose scores are summed in clause order, and a float sum
/// depends on its order (a hash set's order changes from one process to the next).
pub type Expansions = BTreeMap<String, BTreeSet<String>>;

pub struct Matcher<'a> {
    pub analysis: TextAnalysis,
    pub expansions: &'a Expansions,
}

/// A CJK word (several bigrams) found in part: runs of at least two consecutive bigrams of the
/// query in the text, i.e. three characters or more in a row.
fn cjk_partial(a: &Analyzed, terms: &[(String, String)]) -> Vec<Hit> {
    if terms.len() < 2 || !terms.iter().all(|(b, _)| b.chars().all(is_cjk)) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut i = 0;
    while i < a.toks.len() {
        let mut best = 0;
        for j in 0..terms.len() {
            let mut n = 0;
            while i + n < a.toks.len()
                && j + n < terms.len()
                && a.toks[i + n].base == terms[j + n].0
            {
                n += 1;
            }
            best = best.max(n);
        }
        if best >= 2 {
            out.push(Hit {
                first: i,
                last: i + best - 1,
                ranges: (i..i + best).map(|k| a.toks[k].range.clone()).collect(),
            });
            i += best;
        } else {
            i += 1;
        }
    }
    out
}

impl Matcher<'_> {
    fn hits(&mut self, node: &Node, a: &Analyzed) -> Vec<Hit> {
        match node {
            Node::Word { field, text, kind } => {
                if !matches!(field, None | Some(FieldName::Text)) {
                    return Vec::new();
                }
                match kind {
                    WordKind::Plain => {
                        let terms = self.analysis.query_terms(text);
                        if terms.len() == 1 && self.analysis.is_stopword(text) {
                            return Vec::new();
                        }
                        let lang = self.analysis.lang.clone();
                        let hits = seq_hits(a, &terms, 0, false, Some(&lang));
                        if hits.is_empty() {
                            cjk_partial(a, &terms)
                        } else {
                            hits
                        }
                    }
                    WordKind::Root | WordKind::Wildcard => {
                        let Some(set) = self.expansions.get(text) else {
                            return Vec::new();
                        };
                        a.toks
                            .iter()
                            .enumerate()
                            .filter(|(_, t)| set.contains(&t.base))
                            .map(|(i, t)| Hit {
                                first: i,
                                last: i,
                                ranges: vec![t.range.clone()],
                            })
                            .collect()
                    }
                }
            }
            Node::Phrase { field, text, slop } => {
                if !matches!(field, None | Some(FieldName::Text)) {
                    return Vec::new();
                }
                // Quoted: word for word (case and accents folded), stopwords included.
                let terms = self.analysis.query_terms(text);
                seq_hits(a, &terms, slop.unwrap_or(0) as usize, slop.is_some(), None)
            }
            Node::And(v) => {
                let mut all = Vec::new();
                for n in v {
                    if matches!(n, Node::Not(_)) {
                        continue;
                    }
                    let h = self.hits(n, a);
                    if h.is_empty() && is_text_clause(n) {
                        return Vec::new();
                    }
                    all.extend(h);
                }
                all
            }
            Node::Or(v) | Node::Ranked(v) => v.iter().flat_map(|n| self.hits(n, a)).collect(),
            Node::Not(_) => Vec::new(),
            Node::Near {
                left,
                right,
                unit,
                ordered,
            } => {
                let l = self.hits(left, a);
                if l.is_empty() {
                    return Vec::new();
                }
                let mut r = self.hits(right, a);
                r.sort_by_key(|h| (h.first, h.last));
                r.dedup_by_key(|h| (h.first, h.last));
                // Linear in the matches: each left match meets only its nearest right matches,
                // and a node keeps at most MAX_SPANS matches (no cross product).
                let mut out: Vec<Hit> = Vec::new();
                for x in &l {
                    let i = r.partition_point(|y| y.first < x.first);
                    let j = r.partition_point(|y| y.first <= x.last);
                    let lo = i.saturating_sub(3);
                    let hi = (i + 3).min(r.len());
                    let near: Vec<&Hit> = r[lo..hi].iter().chain(r.get(j)).collect();
                    for y in near {
                        if near_ok(a, x, y, *unit, *ordered) {
                            let mut ranges = x.ranges.clone();
                            ranges.extend(y.ranges.iter().cloned());
                            ranges.sort_by_key(|r| (r.start, r.end));
                            ranges.dedup();
                            out.push(Hit {
                                first: x.first.min(y.first),
                                last: x.last.max(y.last),
                                ranges,
                            });
                        }
                    }
                    if out.len() >= super::spans::MAX_SPANS {
                        break;
                    }
                }
                out.sort_by_key(|h| (h.first, h.last));
                out.dedup_by_key(|h| (h.first, h.last));
                out
            }
        }
    }

    /// Byte ranges of `text` matched by `node`, merged and sorted; empty when nothing matches.
    pub fn highlight(&mut self, node: &Node, a: &Analyzed, text: &str) -> Vec<Range<usize>> {
        let ranges: Vec<Range<usize>> = self
            .hits(node, a)
            .into_iter()
            .flat_map(|h| h.ranges)
            .collect();
        merge_ranges(ranges, text)
    }

    /// Byte ranges of `phrase` (a concept's label or key term) in the analyzed text, word for word.
    pub fn wording(&mut self, phrase: &str, a: &Analyzed) -> Vec<Range<usize>> {
        let terms = self.analysis.query_terms(phrase);
        seq_hits(a, &terms, 0, false, None)
            .into_iter()
            .flat_map(|h| h.ranges)
            .collect()
    }

    /// Does every proximity connector of `node` hold in this text?
    pub fn satisfies(&mut self, node: &Node, a: &Analyzed) -> bool {
        match node {
            Node::Near { .. } => !self.hits(node, a).is_empty(),
            Node::And(v) => v.iter().all(|n| self.satisfies(n, a)),
            Node::Or(v) => v.iter().any(|n| !contains_near(n) || self.satisfies(n, a)),
            // Ranked: a connector must hold unless another clause carries the match.
            Node::Ranked(v) => v.iter().all(|n| !contains_near(n) || self.satisfies(n, a)),
            Node::Not(n) => !contains_near(n) || !self.satisfies(n, a),
            _ => true,
        }
    }

    /// Smallest window (in tokens) holding one match of every positive word of the query;
    /// `None` when the query has fewer than two of them or some are missing.
    pub fn min_window(&mut self, node: &Node, a: &Analyzed) -> Option<usize> {
        let mut words = Vec::new();
        positive_leaves(node, &mut words);
        if words.len() < 2 {
            return None;
        }
        let lists: Vec<Vec<usize>> = words
            .iter()
            .map(|w| self.hits(w, a).iter().map(|h| h.first).collect())
            .collect();
        if lists.iter().any(|l| l.is_empty()) {
            return None;
        }
        let mut best = usize::MAX;
        for &anchor in &lists[0] {
            let mut lo = anchor;
            let mut hi = anchor;
            for l in &lists[1..] {
                let nearest = l.iter().min_by_key(|&&p| p.abs_diff(anchor)).copied()?;
                lo = lo.min(nearest);
                hi = hi.max(nearest);
            }
            best = best.min(hi - lo + 1);
        }
        Some(best)
    }
}

fn is_text_clause(n: &Node) -> bool {
    match n {
        Node::Word { field, .. } | Node::Phrase { field, .. } => {
            matches!(field, None | Some(FieldName::Text))
        }
        Node::And(v) => v.iter().any(is_text_clause),
        Node::Or(v) | Node::Ranked(v) => v.iter().all(is_text_clause),
        Node::Near { .. } => true,
        Node::Not(_) => false,
    }
}

pub fn contains_near(n: &Node) -> bool {
    match n {
        Node::Near { .. } => true,
        Node::And(v) | Node::Or(v) | Node::Ranked(v) => v.iter().any(contains_near),
        Node::Not(n) => contains_near(n),
        _ => false,
    }
}

pub fn positive_leaves<'n>(n: &'n Node, out: &mut Vec<&'n Node>) {
    match n {
        Node::Word { field, .. } | Node::Phrase { field, .. }
            if matches!(field, None | Some(FieldName::Text)) =>
        {
            out.push(n)
        }
        Node::And(v) | Node::Ranked(v) => v.iter().for_each(|c| positive_leaves(c, out)),
        Node::Near { left, right, .. } => {
            positive_leaves(left, out);
            positive_leaves(right, out);
        }
        _ => {}
    }
}

/// Does a token match a query term? Word for word, or — given the language — by stem when the
/// two are forms of one word.
fn tok_matches(t: &Tok, (base, stem): &(String, String), lang: Option<&str>) -> bool {
    t.base == *base
        || lang.is_some_and(|l| !stem.is_empty() && t.stem == *stem && same_word(l, &t.base, base))
}

/// Occurrences of `terms` in sequence; with `slop`, within that many extra positions (and, when
/// `any_order`, in either order for two-term phrases).
fn seq_hits(
    a: &Analyzed,
    terms: &[(String, String)],
    slop: usize,
    any_order: bool,
    lang: Option<&str>,
) -> Vec<Hit> {
    if terms.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let n = a.toks.len();
    for start in 0..n {
        if !tok_matches(&a.toks[start], &terms[0], lang) {
            continue;
        }
        let mut pos = start;
        let mut ranges = vec![a.toks[start].range.clone()];
        let mut ok = true;
        for term in &terms[1..] {
            let limit = (pos + 1 + slop + 1).min(n);
            match (pos + 1..limit).find(|&k| tok_matches(&a.toks[k], term, lang)) {
                Some(k) => {
                    pos = k;
                    ranges.push(a.toks[k].range.clone());
                }
                None => {
                    ok = false;
                    break;
                }
            }
        }
        if ok {
            out.push(Hit {
                first: start,
                last: pos,
                ranges,
            });
        }
    }
    if any_order && terms.len() == 2 && slop > 0 {
        let rev = [terms[1].clone(), terms[0].clone()];
        out.extend(seq_hits(a, &rev, slop, false, lang));
    }
    out
}

fn near_ok(a: &Analyzed, x: &Hit, y: &Hit, unit: Unit, ordered: bool) -> bool {
    if ordered && x.last >= y.first {
        return false;
    }
    match unit {
        Unit::Words(n) => {
            let gap = y
                .first
                .saturating_sub(x.last)
                .max(x.first.saturating_sub(y.last));
            gap <= n as usize
        }
        Unit::Sentence => a.toks[x.first].sentence == a.toks[y.first].sentence,
        Unit::Paragraph => a.toks[x.first].paragraph == a.toks[y.first].paragraph,
    }
}

/// Sorted byte ranges, overlapping ones (or ones separated by whitespace only) merged.
pub(crate) fn merge_ranges(mut ranges: Vec<Range<usize>>, text: &str) -> Vec<Range<usize>> {
    ranges.sort_by_key(|r| (r.start, r.end));
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in ranges {
        match merged.last_mut() {
            Some(m)
                if r.start <= m.end
                    || text
                        .get(m.end..r.start)
                        .is_some_and(|g| g.chars().all(char::is_whitespace)) =>
            {
                m.end = m.end.max(r.end)
            }
            _ => merged.push(r),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    fn ranges(q: &str, text: &str, lang: &str) -> Vec<String> {
        let exp = Expansions::new();
        let mut m = Matcher {
            analysis: TextAnalysis::new(lang),
            expansions: &exp,
        };
        let a = m.analysis.analyze(text);
        m.highlight(&parse(q).unwrap(), &a, text)
            .into_iter()
            .map(|r| text[r].to_string())
            .collect()
    }

    #[test]
    fn words_phrases_and_stems() {
        let t = "Whoever accesses a gadget without right commits illegal access to the gadget.";
        assert_eq!(
            ranges("illegal access", t, "en"),
            ["accesses", "illegal access"]
        );
        assert_eq!(ranges("\"illegal access\"", t, "en"), ["illegal access"]);
        assert_eq!(ranges("\"gadget right\"~3", t, "en"), ["gadget", "right"]);
        assert!(ranges("\"right gadget\"", t, "en").is_empty());
    }

    #[test]
    fn proximity_and_sentences() {
        let t = "The gadget hums. Nobody may enter it.\nA second paragraph mentions entering.";
        assert_eq!(ranges("gadget w/2 hums", t, "en"), ["gadget hums"]);
        assert!(ranges("gadget w/1 enter", t, "en").is_empty());
        assert!(ranges("gadget /s enter", t, "en").is_empty());
        assert_eq!(ranges("nobody /s enter", t, "en"), ["Nobody", "enter"]);
        assert!(ranges("gadget /p paragraph", t, "en").is_empty());
        assert_eq!(ranges("hums pre/5 enter", t, "en"), ["hums", "enter"]);
        assert!(ranges("enter pre/5 hums", t, "en").is_empty());
    }

    #[test]
    fn cjk_words_match_as_bigram_sequences() {
        let t = "违反国家规定，侵入计算机信息系统的，处三年以下有期徒刑。";
        assert_eq!(ranges("侵入计算机", t, "zh"), ["侵入计算机"]);
        // Only part of the query occurs: the runs of three characters or more are marked.
        assert_eq!(
            ranges("非法侵入计算机信息系统", t, "zh"),
            ["侵入计算机信息系统"]
        );
        assert!(ranges("非法", t, "zh").is_empty());
    }

    #[test]
    fn long_connector_chains_highlight_without_a_cross_product() {
        let text = "gadget ".repeat(3000);
        for connector in ["w/5", "/s", "pre/2"] {
            let q = vec!["gadget"; 20].join(&format!(" {connector} "));
            let r = ranges(&q, &text, "en");
            // Every word is matched; adjacent ones merge into one highlighted run.
            assert_eq!(r.len(), 1, "{connector}");
        }
    }

    #[test]
    fn no_stopwords_and_no_false_stems() {
        let t = "Records provided by providers of a service, for the provider's use.";
        // `of` and `for` are stopwords: marked only inside quotes.
        assert_eq!(
            ranges("providers of service", t, "en"),
            ["providers", "service", "provider"]
        );
        assert_eq!(
            ranges("\"providers of a service\"", t, "en"),
            ["providers of a service"]
        );
        // `providers` is a form of `provider` but not of `provided`.
        assert_eq!(ranges("provider", t, "en"), ["providers", "provider"]);
        assert!(!ranges("providers", t, "en").contains(&"provided".to_string()));
    }
}
