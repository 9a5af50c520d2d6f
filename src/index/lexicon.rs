//! The stem lexicon of a generation: for each stemmed language, the words of the index that share
//! a stem. Stemmed matching reads it instead of a second, stemmed copy of every text.
//!
//! Every word of the `text` and `heading` fields is indexed once, as it is written (lower-cased,
//! accent-folded). After the commit, [`build`] walks both fields' dictionaries of every segment
//! (in parallel), counts in how many passages of each stemmed language a word occurs (the
//! `language` postings say which passage is which), stems each (language, word) pair once, and
//! writes the pairs, sorted, as an sstable (tantivy's sorted-string table; `lexicon.sst` in the
//! generation): key `lang \0 stem \0 word \0` followed by the word's passage count in that
//! language (4 bytes, big-endian), the file closed by a CRC32 of the table. A query's stemmed clause looks up the words of its stem
//! ([`Lexicon::forms`]) and matches any of them in passages of that language — what a stemmed
//! field answered, for a fraction of the indexing: a word is stemmed once per build instead of
//! once per occurrence, and its positions are written once.
//!
//! The stem of a word is [`StemKey::key`], on both sides: the Snowball stemmer applied to the
//! folded word, folded again.

use std::path::Path;

use rayon::prelude::*;
use tantivy::directory::{Directory, FileSlice, MmapDirectory};
use tantivy::schema::IndexRecordOption;
use tantivy::tokenizer::{AsciiFoldingFilter, Language, RawTokenizer, Stemmer, TextAnalyzer};
use tantivy::{Index, Term};
use tantivy_sstable::{Dictionary, VoidSSTable};

use super::analyzers::STEMMED;
use super::schema::Fields;

/// The lexicon's file in a generation directory.
pub const LEXICON_FILE: &str = "lexicon.sst";

/// The stem of a folded index word in one language, as the lexicon keys it.
#[derive(Clone)]
pub struct StemKey {
    stem: TextAnalyzer,
    fold: TextAnalyzer,
}

impl StemKey {
    pub fn new(language: Language) -> StemKey {
        StemKey {
            stem: TextAnalyzer::builder(RawTokenizer::default())
                .filter(Stemmer::new(language))
                .build(),
            fold: TextAnalyzer::builder(RawTokenizer::default())
                .filter(AsciiFoldingFilter)
                .build(),
        }
    }

    /// The key of a language code of [`STEMMED`]; `None` for a language without a stemmer.
    pub fn of(code: &str) -> Option<StemKey> {
        STEMMED
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(_, l)| StemKey::new(*l))
    }

    /// The stem of `word` (a folded index word).
    pub fn key(&mut self, word: &str) -> String {
        let stem = {
            let mut ts = self.stem.token_stream(word);
            if ts.advance() {
                ts.token().text.clone()
            } else {
                return word.to_string();
            }
        };
        if stem.is_ascii() {
            return stem;
        }
        let folded = {
            let mut ts = self.fold.token_stream(&stem);
            ts.advance().then(|| ts.token().text.clone())
        };
        folded.unwrap_or(stem)
    }
}

/// One (language, word) of a segment's field: passages with it in the text, in the heading.
type Count = (u8, String, u32, u32);

/// Walk the dictionaries of `index`'s committed segments and return the lexicon's bytes.
pub fn build(index: &Index) -> tantivy::Result<Vec<u8>> {
    let fields = Fields::from_schema(&index.schema())?;
    let searcher = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()?
        .searcher();
    const NONE: u8 = u8::MAX;
    // Per segment, the stemmed language of each passage.
    let mut langs_of = Vec::new();
    for seg in searcher.segment_readers() {
        let mut lang_of = vec![NONE; seg.max_doc() as usize];
        let langs = seg.inverted_index(fields.language)?;
        for (i, (code, _)) in STEMMED.iter().enumerate() {
            let term = Term::from_field_text(fields.language, code);
            let Some(info) = langs.get_term_info(&term)? else {
                continue;
            };
            let mut postings =
                langs.read_block_postings_from_terminfo(&info, IndexRecordOption::Basic)?;
            while !postings.docs().is_empty() {
                for &d in postings.docs() {
                    lang_of[d as usize] = i as u8;
                }
                postings.advance();
            }
        }
        if let Some(alive) = seg.alive_bitset() {
            for (d, l) in lang_of.iter_mut().enumerate() {
                if !alive.is_alive(d as u32) {
                    *l = NONE;
                }
            }
        }
        langs_of.push(lang_of);
    }
    let tasks: Vec<(usize, bool)> = (0..langs_of.len())
        .flat_map(|s| [(s, false), (s, true)])
        .filter(|(s, _)| langs_of[*s].iter().any(|&l| l != NONE))
        .collect();
    let counted: Vec<Vec<Count>> = tasks
        .par_iter()
        .map(|&(s, heading)| -> tantivy::Result<Vec<Count>> {
            let seg = searcher.segment_reader(s as u32);
            let lang_of = &langs_of[s];
            let field = if heading { fields.heading } else { fields.text };
            let inv = seg.inverted_index(field)?;
            let mut stream = inv.terms().stream()?;
            let mut counts = [0u32; STEMMED.len()];
            let mut out = Vec::new();
            while stream.advance() {
                counts.fill(0);
                let mut postings = inv
                    .read_block_postings_from_terminfo(stream.value(), IndexRecordOption::Basic)?;
                while !postings.docs().is_empty() {
                    for &d in postings.docs() {
                        if let Some(c) = counts.get_mut(lang_of[d as usize] as usize) {
                            *c += 1;
                        }
                    }
                    postings.advance();
                }
                let Ok(word) = std::str::from_utf8(stream.key()) else {
                    continue;
                };
                for (l, &n) in counts.iter().enumerate() {
                    if n > 0 {
                        let (t, h) = if heading { (0, n) } else { (n, 0) };
                        out.push((l as u8, word.to_string(), t, h));
                    }
                }
            }
            Ok(out)
        })
        .collect::<tantivy::Result<_>>()?;
    let mut all: Vec<Count> = counted.into_iter().flatten().collect();
    all.par_sort_unstable_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    // One entry per (language, word): counts summed over segments.
    let mut merged: Vec<Count> = Vec::with_capacity(all.len());
    for c in all {
        match merged.last_mut() {
            Some(m) if m.0 == c.0 && m.1 == c.1 => {
                m.2 = m.2.saturating_add(c.2);
                m.3 = m.3.saturating_add(c.3);
            }
            _ => merged.push(c),
        }
    }
    // Stem every (language, word) once, in parallel.
    let mut keys: Vec<Vec<u8>> = merged
        .par_chunks(4096)
        .flat_map_iter(|chunk| {
            let mut stemmers: Vec<Option<StemKey>> = vec![None; STEMMED.len()];
            chunk
                .iter()
                .map(|(l, word, in_text, in_heading)| {
                    let (code, language) = STEMMED[*l as usize];
                    let stem = stemmers[*l as usize]
                        .get_or_insert_with(|| StemKey::new(language))
                        .key(word);
                    // Passages with the word: in the text, or (a heading-only word) its headings.
                    let n = (*in_text).max(*in_heading);
                    let mut k = Vec::with_capacity(code.len() + stem.len() + word.len() + 7);
                    k.extend_from_slice(code.as_bytes());
                    k.push(0);
                    k.extend_from_slice(stem.as_bytes());
                    k.push(0);
                    k.extend_from_slice(word.as_bytes());
                    k.push(0);
                    k.extend_from_slice(&n.to_be_bytes());
                    k
                })
                .collect::<Vec<_>>()
        })
        .collect();
    keys.par_sort_unstable();
    let err =
        |e: std::io::Error| tantivy::TantivyError::InternalError(format!("stem lexicon: {e}"));
    let mut w = Dictionary::<VoidSSTable>::builder(Vec::new()).map_err(err)?;
    for k in &keys {
        w.insert(k, &()).map_err(err)?;
    }
    let mut bytes = w.finish().map_err(err)?;
    // A CRC32 of the table closes the file: a damaged lexicon is caught when it is opened.
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    Ok(bytes)
}

/// A generation's lexicon, read-only.
pub struct Lexicon {
    table: Dictionary<VoidSSTable>,
}

/// One word of a stem: the word and the passages of the language it occurs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Form {
    pub word: String,
    pub passages: u64,
}

impl Lexicon {
    /// Open the lexicon of `generation` (memory-mapped); a missing or unreadable file makes the
    /// generation damaged (`cyberlex build` rebuilds it). The checksum is verified by
    /// [`Lexicon::verify`], with the segments' (a reader trusts a generation whose files are as
    /// they were when it was last verified).
    pub fn open(generation: &Path) -> Result<Lexicon, super::IndexError> {
        Lexicon::open_slice(generation)
            .and_then(|slice| Lexicon::from_slice(slice, false))
            .map_err(|e| super::corrupt(generation, format!("{LEXICON_FILE}: {e}")))
    }

    /// Open the lexicon of `generation` and verify its checksum.
    pub fn verify(generation: &Path) -> Result<Lexicon, super::IndexError> {
        Lexicon::open_slice(generation)
            .and_then(|slice| Lexicon::from_slice(slice, true))
            .map_err(|e| super::corrupt(generation, format!("{LEXICON_FILE}: {e}")))
    }

    fn open_slice(generation: &Path) -> Result<FileSlice, String> {
        let dir = MmapDirectory::open(generation).map_err(|e| e.to_string())?;
        dir.open_read(Path::new(LEXICON_FILE))
            .map_err(|e| e.to_string())
    }

    /// A lexicon from the bytes [`build`] wrote, checked; an error if they are damaged.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Lexicon, String> {
        Lexicon::from_slice(FileSlice::from(bytes), true)
    }

    fn from_slice(slice: FileSlice, verify: bool) -> Result<Lexicon, String> {
        let len = slice.num_bytes().get_bytes() as usize;
        if len < 24 {
            return Err(format!("{len} bytes: too short for a lexicon"));
        }
        let (table, crc) = slice.split(len - 4);
        if verify {
            let bytes = table.read_bytes().map_err(|e| e.to_string())?;
            let crc = crc.read_bytes().map_err(|e| e.to_string())?;
            if crc32fast::hash(bytes.as_slice()).to_le_bytes()[..] != crc.as_slice()[..] {
                return Err("checksum mismatch: the file is damaged".into());
            }
        }
        let table =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Dictionary::open(table)))
                .map_err(|_| "not a lexicon".to_string())?
                .map_err(|e| e.to_string())?;
        Ok(Lexicon { table })
    }

    /// The words of `lang`'s passages whose stem is `stem` (a [`StemKey::key`]), in byte order.
    pub fn forms(&self, lang: &str, stem: &str) -> Vec<Form> {
        let prefix = format!("{lang}\0{stem}\0");
        let mut out = Vec::new();
        let Ok(mut stream) = self.table.prefix_range(prefix.as_bytes()).into_stream() else {
            return out;
        };
        while stream.advance() {
            let rest = &stream.key()[prefix.len()..];
            let Some(end) = rest.iter().position(|&b| b == 0) else {
                continue;
            };
            let (word, n) = (&rest[..end], &rest[end + 1..]);
            let (Ok(word), Ok(n)) = (std::str::from_utf8(word), <[u8; 4]>::try_from(n)) else {
                continue;
            };
            out.push(Form {
                word: word.to_string(),
                passages: u64::from(u32::from_be_bytes(n)),
            });
        }
        out
    }

    /// Does any passage of `lang` hold a word of stem `stem`?
    pub fn has(&self, lang: &str, stem: &str) -> bool {
        let prefix = format!("{lang}\0{stem}\0");
        self.table
            .prefix_range(prefix.as_bytes())
            .into_stream()
            .is_ok_and(|mut s| s.advance())
    }
}

/// Passages with a word of a stem, estimated from its `forms` as the sum over the words (a passage
/// holding two of them counts twice).
pub fn passages(forms: &[Form]) -> u64 {
    forms.iter().map(|f| f.passages).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Passage;

    fn passage(id: &str, lang: &str, heading: &str, text: &str) -> Passage {
        Passage {
            passage_id: id.into(),
            doc_id: "d".into(),
            language: lang.into(),
            heading: heading.into(),
            text: text.into(),
            ..Passage::default()
        }
    }

    #[test]
    fn words_of_a_stem_per_language_with_their_passage_counts() {
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_ram(schema);
        crate::index::analyzers::register(&index);
        let mut w = index.writer_with_num_threads(1, 15_000_000).unwrap();
        for p in [
            passage("1", "en", "Intercepting", "He intercepts signals."),
            passage("2", "en", "", "Interception of signals is forbidden."),
            passage("3", "en", "", "Signals intercepted without right."),
            passage("4", "de", "", "Signale werden abgefangen."),
        ] {
            w.add_document(fields.to_document(&p)).unwrap();
        }
        w.commit().unwrap();
        let lex = Lexicon::from_bytes(build(&index).unwrap()).unwrap();
        let mut stem = StemKey::of("en").unwrap();
        let key = stem.key("intercepting");
        let words: Vec<String> = lex.forms("en", &key).into_iter().map(|f| f.word).collect();
        // A heading-only word counts too; `interception` has a stem of its own in Porter2.
        assert!(words.contains(&"intercepting".to_string()), "{words:?}");
        assert!(words.contains(&"intercepts".to_string()), "{words:?}");
        assert!(words.contains(&"intercepted".to_string()), "{words:?}");
        let signal = stem.key("signals");
        assert_eq!(passages(&lex.forms("en", &signal)), 3);
        // German passages' words are under German stems only.
        assert!(
            !lex.has("de", &signal) || lex.forms("de", &signal).iter().all(|f| f.word == "signale")
        );
        assert!(lex
            .forms("en", "signal")
            .iter()
            .all(|f| f.word != "signale"));
        assert!(!lex.has("fr", &signal));
    }

    #[test]
    fn a_damaged_lexicon_is_an_error() {
        assert!(Lexicon::from_bytes(b"not a lexicon".to_vec()).is_err());
        assert!(Lexicon::from_bytes(vec![7; 64]).is_err());
    }
}
