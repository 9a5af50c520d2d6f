//! Analyzers: how text becomes terms. Registered on every open (tantivy does not store them).
//!
//! * `cyberlex` — the base analyzer of every text field: words of letters and digits
//!   (`202a`, `1030`, `§` dropped), Chinese/Japanese/Korean runs cut into overlapping bigrams (so
//!   `非法侵入` matches inside `非法侵入计算机信息系统` with no dictionary), lower-cased and
//!   accent-folded (`pénal` = `penal`).
//! * `stem_<lang>` — the same, then a Snowball stemmer, for the languages that have one.

use std::collections::HashMap;

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RawTokenizer, RemoveLongFilter, Stemmer,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer,
};
use tantivy::Index;

pub const BASE: &str = "cyberlex";

/// Languages with a stemmed field, and their Snowball stemmer.
pub const STEMMED: &[(&str, Language)] = &[
    ("en", Language::English),
    ("de", Language::German),
    ("fr", Language::French),
    ("es", Language::Spanish),
    ("pt", Language::Portuguese),
    ("it", Language::Italian),
    ("nl", Language::Dutch),
    ("ru", Language::Russian),
    ("ar", Language::Arabic),
];

pub fn stem_analyzer_name(lang: &str) -> String {
    format!("stem_{lang}")
}

/// Is `c` written without spaces between words (Han, Kana, Hangul)?
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // Hiragana, Katakana
        | 0x3400..=0x4DBF // CJK Extension A
        | 0x4E00..=0x9FFF // CJK Unified Ideographs
        | 0xF900..=0xFAFF // CJK Compatibility Ideographs
        | 0xAC00..=0xD7AF // Hangul syllables
        | 0x1100..=0x11FF // Hangul Jamo
        | 0x20000..=0x2FA1F)
}

/// Words, with CJK runs as bigrams. Positions are consecutive, so phrases work across both.
#[derive(Clone, Default)]
pub struct WordBigramTokenizer;

/// The token stream of [`WordBigramTokenizer`]: one reused [`Token`], no allocation per token.
pub struct WordBigramStream<'a> {
    text: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
    /// Position of the next token.
    next_position: usize,
    /// Inside a CJK run: the start and character of the last CJK character read.
    cjk_prev: Option<(usize, char)>,
    /// Whether the current CJK run has emitted a bigram yet (a run of one emits a unigram).
    cjk_emitted: bool,
    token: Token,
}

impl<'a> WordBigramStream<'a> {
    pub fn new(text: &'a str) -> Self {
        WordBigramStream {
            text,
            pos: 0,
            next_position: 0,
            cjk_prev: None,
            cjk_emitted: false,
            token: Token::default(),
        }
    }

    fn peek(&self) -> Option<char> {
        self.text[self.pos..].chars().next()
    }
}

impl WordBigramStream<'_> {
    /// The byte range of the next token, without copying its text (what [`each_break`] reads);
    /// `None` at the end.
    fn next_span(&mut self) -> Option<(usize, usize)> {
        loop {
            if let Some((start, ch)) = self.cjk_prev {
                match self.peek() {
                    Some(c) if is_cjk(c) => {
                        let here = self.pos;
                        self.pos += c.len_utf8();
                        self.cjk_prev = Some((here, c));
                        self.cjk_emitted = true;
                        return Some((start, here + c.len_utf8()));
                    }
                    _ => {
                        self.cjk_prev = None;
                        if !self.cjk_emitted {
                            return Some((start, start + ch.len_utf8()));
                        }
                    }
                }
            }
            let c = loop {
                match self.peek() {
                    None => return None,
                    Some(c) if c.is_alphanumeric() || is_cjk(c) => break c,
                    Some(c) => self.pos += c.len_utf8(),
                }
            };
            let start = self.pos;
            self.pos += c.len_utf8();
            if is_cjk(c) {
                self.cjk_prev = Some((start, c));
                self.cjk_emitted = false;
                continue;
            }
            while let Some(c) = self.peek() {
                if !c.is_alphanumeric() || is_cjk(c) {
                    break;
                }
                self.pos += c.len_utf8();
            }
            return Some((start, self.pos));
        }
    }
}

impl TokenStream for WordBigramStream<'_> {
    fn advance(&mut self) -> bool {
        let Some((from, to)) = self.next_span() else {
            return false;
        };
        self.token.text.clear();
        self.token.text.push_str(&self.text[from..to]);
        self.token.offset_from = from;
        self.token.offset_to = to;
        self.token.position = self.next_position;
        self.token.position_length = 1;
        self.next_position += 1;
        true
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

/// Tokenize `text` into (byte range, term) pairs before filters; also used for highlighting.
pub fn raw_tokens(text: &str) -> Vec<Token> {
    let mut stream = WordBigramStream::new(text);
    let mut out = Vec::new();
    while stream.advance() {
        out.push(stream.token.clone());
    }
    out
}

/// What separates two tokens: nothing, a sentence end, or a paragraph end (which ends the
/// sentence too). `gap` is the text between them, `prev` the previous token's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Break {
    None,
    Sentence,
    Paragraph,
}

pub fn break_between(prev: Option<&str>, gap: &str) -> Break {
    if gap.contains('\n') {
        return Break::Paragraph;
    }
    let Some(prev) = prev else {
        return Break::None;
    };
    // A full stop after a one-letter or numeric label (`s. 3`, `(a).`) is not a sentence end.
    if gap.contains(['.', '!', '?', '。', '！', '？', ';', '；'])
        && prev.chars().count() > 2
        && !prev.chars().all(|c| c.is_ascii_digit())
    {
        return Break::Sentence;
    }
    Break::None
}

/// Call `f` with the position (as the index numbers tokens) of every token of `text` that starts
/// a sentence after the first, and whether it starts a paragraph as well.
fn each_break(text: &str, mut f: impl FnMut(u32, Break)) {
    let mut stream = WordBigramStream::new(text);
    let mut last_end = 0;
    let mut prev: Option<(usize, usize)> = None;
    let mut position = 0u32;
    while let Some((from, to)) = stream.next_span() {
        let gap = text.get(last_end..from).unwrap_or("");
        let b = break_between(prev.map(|(a, b)| &text[a..b]), gap);
        if b != Break::None && prev.is_some() {
            f(position, b);
        }
        last_end = last_end.max(to);
        prev = Some((from, to));
        position += 1;
    }
}

/// The analyzer of the `breaks` field, whose value is [`breaks_value`]'s list.
pub const BREAKS: &str = "cyberlex_breaks";

/// The `breaks` field's value for `text`: the positions [`each_break`] finds, in order, separated
/// by spaces, a paragraph start marked with a `p` (`3 7p`). [`BreaksTokenizer`] indexes it as the
/// terms `s` (every position) and `p` (the marked ones) at those positions, so `/s` and `/p` are
/// verified from the index's postings, never by re-reading the text. (A pre-tokenized value
/// would do the same, but tantivy carries one through the document as JSON, token by token:
/// that cost a quarter of the indexing stage.)
pub fn breaks_value(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    each_break(text, |position, b| {
        if !out.is_empty() {
            out.push(' ');
        }
        let _ = write!(out, "{position}");
        if b == Break::Paragraph {
            out.push('p');
        }
    });
    out
}

/// Reads [`breaks_value`]'s list back as tokens: `s` at every position, then `p` at the same
/// position where it is marked. Anything else in the value is skipped.
#[derive(Clone, Default)]
pub struct BreaksTokenizer;

pub struct BreaksStream<'a> {
    rest: &'a str,
    /// A paragraph start whose `s` was emitted and whose `p` comes next.
    pending_paragraph: Option<usize>,
    token: Token,
}

impl BreaksStream<'_> {
    fn emit(&mut self, term: &str, position: usize) -> bool {
        self.token.text.clear();
        self.token.text.push_str(term);
        self.token.position = position;
        self.token.position_length = 1;
        true
    }
}

impl TokenStream for BreaksStream<'_> {
    fn advance(&mut self) -> bool {
        if let Some(position) = self.pending_paragraph.take() {
            return self.emit("p", position);
        }
        loop {
            self.rest = self.rest.trim_start_matches(|c: char| !c.is_ascii_digit());
            if self.rest.is_empty() {
                return false;
            }
            let digits = self
                .rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(self.rest.len());
            let (number, tail) = self.rest.split_at(digits);
            self.rest = tail;
            let Ok(position) = number.parse::<u32>() else {
                continue;
            };
            if let Some(tail) = self.rest.strip_prefix('p') {
                self.rest = tail;
                self.pending_paragraph = Some(position as usize);
            }
            return self.emit("s", position as usize);
        }
    }
    fn token(&self) -> &Token {
        &self.token
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.token
    }
}

impl Tokenizer for BreaksTokenizer {
    type TokenStream<'a> = BreaksStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> BreaksStream<'a> {
        BreaksStream {
            rest: text,
            pending_paragraph: None,
            token: Token::default(),
        }
    }
}

impl Tokenizer for WordBigramTokenizer {
    type TokenStream<'a> = WordBigramStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordBigramStream<'a> {
        WordBigramStream::new(text)
    }
}

pub fn base_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(WordBigramTokenizer)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

pub fn stem_analyzer(lang: Language) -> TextAnalyzer {
    TextAnalyzer::builder(WordBigramTokenizer)
        .filter(RemoveLongFilter::limit(64))
        .filter(LowerCaser)
        .filter(CachedStemmer(lang))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Words an analyzer remembers the stem of before it starts afresh.
const STEM_CACHE: usize = 20_000;

/// tantivy's Snowball [`Stemmer`], with the stem of each word remembered: a word's stem does not
/// depend on its neighbours, and a law's vocabulary repeats, so most words are stemmed once per
/// analyzer instead of once per occurrence (stemming was a fifth of the indexing stage's time on
/// the bulk archive).
#[derive(Clone)]
pub struct CachedStemmer(pub Language);

impl TokenFilter for CachedStemmer {
    type Tokenizer<T: Tokenizer> = CachedStemFilter<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> CachedStemFilter<T> {
        CachedStemFilter {
            inner,
            stem: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(self.0))
                .build(),
            cache: HashMap::new(),
        }
    }
}

/// The tokenizer of [`CachedStemmer`]: its cache lives as long as the analyzer.
#[derive(Clone)]
pub struct CachedStemFilter<T> {
    inner: T,
    /// One word in, its stem out (miss path).
    stem: TextAnalyzer,
    cache: HashMap<String, String>,
}

impl<T: Tokenizer> Tokenizer for CachedStemFilter<T> {
    type TokenStream<'a> = CachedStemStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        if self.cache.len() > STEM_CACHE {
            self.cache.clear();
        }
        CachedStemStream {
            tail: self.inner.token_stream(text),
            stem: &mut self.stem,
            cache: &mut self.cache,
        }
    }
}

pub struct CachedStemStream<'a, T> {
    tail: T,
    stem: &'a mut TextAnalyzer,
    cache: &'a mut HashMap<String, String>,
}

impl<T: TokenStream> TokenStream for CachedStemStream<'_, T> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        if let Some(stem) = self.cache.get(&token.text) {
            token.text.clear();
            token.text.push_str(stem);
            return true;
        }
        let stem = {
            let mut ts = self.stem.token_stream(&token.text);
            if ts.advance() {
                ts.token().text.clone()
            } else {
                token.text.clone()
            }
        };
        let word = std::mem::replace(&mut token.text, stem.clone());
        self.cache.insert(word, stem);
        true
    }
    fn token(&self) -> &Token {
        self.tail.token()
    }
    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

/// An analyzer that drops `lang`'s stopwords (a word it removes is a stopword); `None` for
/// languages without a list.
pub fn stopword_analyzer(lang: Language) -> Option<TextAnalyzer> {
    let stop = tantivy::tokenizer::StopWordFilter::new(lang)?;
    Some(
        TextAnalyzer::builder(WordBigramTokenizer)
            .filter(LowerCaser)
            .filter(stop)
            .build(),
    )
}

/// Register every analyzer on `index`; call on every create and open.
pub fn register(index: &Index) {
    let m = index.tokenizers();
    m.register(BASE, base_analyzer());
    m.register(BREAKS, TextAnalyzer::from(BreaksTokenizer));
    for (code, lang) in STEMMED {
        m.register(&stem_analyzer_name(code), stem_analyzer(*lang));
    }
}

/// The terms `text` yields under the base analyzer (for tests and highlighting).
pub fn analyze(analyzer: &mut TextAnalyzer, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut ts = analyzer.token_stream(text);
    while ts.advance() {
        out.push(ts.token().text.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::strategy::Strategy;

    #[test]
    fn words_digits_and_accents() {
        let mut a = base_analyzer();
        assert_eq!(
            analyze(&mut a, "§ 202a StGB – Code pénal"),
            ["202a", "stgb", "code", "penal"]
        );
    }

    #[test]
    fn cjk_runs_become_bigrams() {
        let mut a = base_analyzer();
        assert_eq!(
            analyze(&mut a, "侵入计算机"),
            ["侵入", "入计", "计算", "算机"]
        );
        assert_eq!(analyze(&mut a, "第3条 法"), ["第", "3", "条", "法"]);
        assert_eq!(analyze(&mut a, "제48조"), ["제", "48", "조"]);
    }

    #[test]
    fn the_tokenizer_cuts_words_and_cjk_bigrams_as_defined() {
        // The definition, written plainly: maximal runs of letters and digits outside CJK, and
        // overlapping bigrams of each CJK run (a run of one character is a unigram).
        fn defined(text: &str) -> Vec<(usize, usize)> {
            let chars: Vec<(usize, char)> = text.char_indices().collect();
            let end_of = |j: usize| chars.get(j).map_or(text.len(), |c| c.0);
            let mut out = Vec::new();
            let mut i = 0;
            while i < chars.len() {
                let (at, c) = chars[i];
                let run = |pred: &dyn Fn(char) -> bool| {
                    (i..chars.len())
                        .find(|&j| !pred(chars[j].1))
                        .unwrap_or(chars.len())
                };
                if is_cjk(c) {
                    let j = run(&is_cjk);
                    if j - i == 1 {
                        out.push((at, end_of(j)));
                    }
                    for (k, &(from, _)) in chars.iter().enumerate().take(j - 1).skip(i) {
                        out.push((from, end_of(k + 2)));
                    }
                    i = j;
                } else if c.is_alphanumeric() {
                    let j = run(&|c: char| c.is_alphanumeric() && !is_cjk(c));
                    out.push((at, end_of(j)));
                    i = j;
                } else {
                    i += 1;
                }
            }
            out
        }
        proptest::proptest!(
            proptest::test_runner::Config {
                cases: 20_000,
                failure_persistence: None,
                ..Default::default()
            },
            |(text in proptest::collection::vec(
                proptest::sample::select(&TOKENIZER_PIECES[..]), 0..9
            ).prop_map(|v| v.concat()))| {
                let got: Vec<(usize, usize)> = raw_tokens(&text)
                    .iter()
                    .map(|t| (t.offset_from, t.offset_to))
                    .collect();
                proptest::prop_assert_eq!(&got, &defined(&text), "{:?}", text);
                let positions: Vec<usize> = raw_tokens(&text).iter().map(|t| t.position).collect();
                proptest::prop_assert_eq!(positions, (0..got.len()).collect::<Vec<_>>(), "{:?}", text);
            }
        );
    }

    /// Letters, digits, CJK, Hangul, separators and marks: what the tokenizer cuts.
    const TOKENIZER_PIECES: [&str; 18] = [
        "a", "Z", "9", " ", ".", "-", "é", "ß", "侵", "入", "ア", "한", "\n", "٣", "²", "Ⅻ", "§",
        "\u{301}",
    ];

    /// The sentence starts and the paragraph starts of `text`, as two lists.
    fn breaks(text: &str) -> (Vec<u32>, Vec<u32>) {
        let mut sentences = Vec::new();
        let mut paragraphs = Vec::new();
        each_break(text, |position, b| {
            sentences.push(position);
            if b == Break::Paragraph {
                paragraphs.push(position);
            }
        });
        (sentences, paragraphs)
    }

    #[test]
    fn sentence_and_paragraph_breaks() {
        // tokens: 0 One 1 thing 2 ends 3 here 4 s 5 3 6 applies 7 New 8 para
        let (s, p) = breaks("One thing ends. Here s. 3 applies.\nNew para");
        assert_eq!(s, [3, 7]);
        assert_eq!(p, [7]);
    }

    #[test]
    fn the_breaks_value_is_indexed_as_the_breaks() {
        let tokens_of = |value: &str| -> Vec<(String, u32)> {
            let mut a = TextAnalyzer::from(BreaksTokenizer);
            let mut ts = a.token_stream(value);
            let mut out = Vec::new();
            while ts.advance() {
                out.push((ts.token().text.clone(), ts.token().position as u32));
            }
            out
        };
        let text = "One thing ends. Here s. 3 applies.\nNew para. Last one";
        let (s, p) = breaks(text);
        let value = breaks_value(text);
        assert_eq!(value, "3 7p 9");
        let tokens = tokens_of(&value);
        let of = |term: &str| -> Vec<u32> {
            tokens
                .iter()
                .filter(|(t, _)| t == term)
                .map(|(_, p)| *p)
                .collect()
        };
        assert_eq!(of("s"), s);
        assert_eq!(of("p"), p);
        // Anything that is not a position is skipped, not misread.
        assert_eq!(
            tokens_of("x 12q 99999999999 4p"),
            [("s".into(), 12), ("s".into(), 4), ("p".into(), 4)]
        );
    }

    #[test]
    fn cached_stems_are_the_stemmers_stems() {
        // The same words twice: the second time they come from the cache.
        let text = "Computerbetruges Systeme accessing Daten Computerbetruges Systeme Daten";
        for (_, lang) in STEMMED {
            let mut plain = TextAnalyzer::builder(WordBigramTokenizer)
                .filter(RemoveLongFilter::limit(64))
                .filter(LowerCaser)
                .filter(Stemmer::new(*lang))
                .filter(AsciiFoldingFilter)
                .build();
            let mut cached = stem_analyzer(*lang);
            let want = analyze(&mut plain, text);
            assert_eq!(analyze(&mut cached, text), want, "{lang:?}");
            assert_eq!(analyze(&mut cached, text), want, "{lang:?}, cached");
        }
    }

    #[test]
    fn stemming_per_language() {
        let mut en = stem_analyzer(Language::English);
        assert_eq!(analyze(&mut en, "accessing systems"), ["access", "system"]);
        let mut de = stem_analyzer(Language::German);
        assert_eq!(
            analyze(&mut de, "Computerbetruges"),
            analyze(&mut de, "Computerbetrug")
        );
    }
}
