//! Analyzers: how text becomes terms. Registered on every open (tantivy does not store them).
//!
//! * `cyberlex` — the base analyzer of every text field: words of letters and digits
//!   (`202a`, `1030`, `§` dropped), Chinese/Japanese/Korean runs cut into overlapping bigrams (so
//!   `非法侵入` matches inside `非法侵入计算机信息系统` with no dictionary), lower-cased and
//!   accent-folded (`pénal` = `penal`).
//! * `stem_<lang>` — the same, then a Snowball stemmer, for the languages that have one.

use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, Stemmer, TextAnalyzer, Token,
    TokenStream, Tokenizer,
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

pub struct VecTokenStream {
    tokens: Vec<Token>,
    index: usize,
}

impl TokenStream for VecTokenStream {
    fn advance(&mut self) -> bool {
        if self.index < self.tokens.len() {
            self.index += 1;
            true
        } else {
            false
        }
    }
    fn token(&self) -> &Token {
        &self.tokens[self.index - 1]
    }
    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.index - 1]
    }
}

/// Tokenize `text` into (byte range, term) pairs before filters; also used for highlighting.
pub fn raw_tokens(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut position = 0;
    let mut push = |from: usize, to: usize, tokens: &mut Vec<Token>| {
        tokens.push(Token {
            offset_from: from,
            offset_to: to,
            position,
            text: text[from..to].to_string(),
            position_length: 1,
        });
        position += 1;
    };
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        if is_cjk(c) {
            let mut run: Vec<(usize, char)> = Vec::new();
            while let Some(&(i, c)) = chars.peek() {
                if !is_cjk(c) {
                    break;
                }
                run.push((i, c));
                chars.next();
            }
            let end_of = |k: usize| run[k].0 + run[k].1.len_utf8();
            if run.len() == 1 {
                push(run[0].0, end_of(0), &mut tokens);
            } else {
                for pair in run.windows(2) {
                    push(pair[0].0, pair[1].0 + pair[1].1.len_utf8(), &mut tokens);
                }
            }
        } else if c.is_alphanumeric() {
            let mut end = start;
            while let Some(&(i, c)) = chars.peek() {
                if !c.is_alphanumeric() || is_cjk(c) {
                    break;
                }
                end = i + c.len_utf8();
                chars.next();
            }
            push(start, end, &mut tokens);
        } else {
            chars.next();
        }
    }
    tokens
}

impl Tokenizer for WordBigramTokenizer {
    type TokenStream<'a> = VecTokenStream;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> VecTokenStream {
        VecTokenStream {
            tokens: raw_tokens(text),
            index: 0,
        }
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
        .filter(Stemmer::new(lang))
        .filter(AsciiFoldingFilter)
        .build()
}

/// Register every analyzer on `index`; call on every create and open.
pub fn register(index: &Index) {
    let m = index.tokenizers();
    m.register(BASE, base_analyzer());
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
