//! The instrument table (`corpus/instruments.toml`): which documents make up an instrument, the
//! short title a citation to it is displayed with (`StGB`, `Budapest Convention`, `CFAA`), and
//! the names, abbreviations and short titles users type for it, per language (`StGB`,
//! `Strafgesetzbuch`, `УК РФ`, `ETS 185`, `刑法`). Search resolves citations typed with their
//! instrument through it; compare displays matrix cells with the short titles.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ops::Range;
use std::path::PathBuf;

use serde::Deserialize;

use super::taxonomy::fold;
use super::CorpusError;

const BUILTIN: &str = include_str!("../../corpus/instruments.toml");
/// The same table as JSON (`build.rs`), which the binary parses.
const BUILTIN_JSON: &str = include_str!(concat!(env!("OUT_DIR"), "/instruments.json"));

/// The TOML of the built-in table (for fingerprints and tests).
pub fn source() -> &'static str {
    BUILTIN
}

/// One instrument: a convention, a code, an act, a commentary.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Instrument {
    /// Kebab-case id (`stgb`, `budapest`).
    pub id: String,
    /// As a citation to it is displayed: `StGB` (→ `StGB § 202a`).
    pub short_title: String,
    /// Manifest source ids, in order of preference (the original before a translation).
    pub docs: Vec<String>,
    /// Language → names as typed.
    #[serde(default)]
    pub aliases: BTreeMap<String, Vec<String>>,
}

#[derive(Debug, Deserialize)]
struct File {
    instrument: Vec<Instrument>,
}

/// An alias found in a query: which instrument, in which language, which tokens it covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AliasMatch {
    /// Index into [`Instruments::all`].
    pub instrument: usize,
    pub lang: String,
    pub alias: String,
    /// Byte range in the query.
    pub span: Range<usize>,
    /// Token range (indexes into the query's [`alias_tokens`]).
    pub tokens: Range<usize>,
}

/// The instrument table.
#[derive(Debug, Clone)]
pub struct Instruments {
    pub all: Vec<Instrument>,
    by_doc: HashMap<String, usize>,
    /// Every alias as folded tokens: (instrument, language, alias, tokens), longest first.
    folded: Vec<(usize, String, String, Vec<String>)>,
    /// Per instrument, its distinctive aliases (see [`Instruments::distinctive_aliases`]),
    /// worked out once: (index into `folded`, shared with another language's instrument).
    distinctive: Vec<Vec<(usize, bool)>>,
}

/// A query or alias as matchable tokens: folded (lower case, accents dropped), split at anything
/// that is not a letter or digit, each Chinese or Japanese character a token of its own (those
/// scripts do not space words). Returns each token with its byte range in `s`.
pub fn alias_tokens(s: &str) -> Vec<(String, Range<usize>)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let flush = |out: &mut Vec<(String, Range<usize>)>, start: &mut Option<usize>, end: usize| {
        if let Some(b) = start.take() {
            let t = fold(&s[b..end]);
            if !t.is_empty() {
                out.push((t, b..end));
            }
        }
    };
    for (i, c) in s.char_indices() {
        if is_cjk(c) {
            flush(&mut out, &mut start, i);
            out.push((fold(&c.to_string()), i..i + c.len_utf8()));
        } else if c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c) {
            start.get_or_insert(i);
        } else {
            flush(&mut out, &mut start, i);
        }
    }
    flush(&mut out, &mut start, s.len());
    out
}

/// Han ideographs, hiragana and katakana (not Hangul: Korean spaces its words).
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

impl Instruments {
    pub fn builtin() -> Instruments {
        let f: File = serde_json::from_str(BUILTIN_JSON)
            .expect("corpus/instruments.toml is checked by tests");
        Instruments::from_file(f, "corpus/instruments.toml")
            .expect("corpus/instruments.toml is checked by tests")
    }

    /// Parse a table; an instrument without docs or short title, a repeated id or a document in
    /// two instruments is an error.
    pub fn parse(text: &str, path: &str) -> Result<Instruments, CorpusError> {
        let f: File = toml::from_str(text).map_err(|e| CorpusError::Parse {
            path: PathBuf::from(path),
            message: e.to_string(),
        })?;
        Instruments::from_file(f, path)
    }

    fn from_file(f: File, path: &str) -> Result<Instruments, CorpusError> {
        let invalid = |message: String| CorpusError::Invalid {
            path: PathBuf::from(path),
            message,
        };
        let mut by_doc = HashMap::new();
        let mut ids = HashSet::new();
        let mut folded = Vec::new();
        for (i, ins) in f.instrument.iter().enumerate() {
            if !ids.insert(ins.id.as_str()) {
                return Err(invalid(format!("instrument `{}` is listed twice", ins.id)));
            }
            if ins.docs.is_empty() || ins.short_title.trim().is_empty() {
                return Err(invalid(format!(
                    "instrument `{}` needs docs and a short_title",
                    ins.id
                )));
            }
            for d in &ins.docs {
                if let Some(j) = by_doc.insert(d.clone(), i) {
                    return Err(invalid(format!(
                        "document `{d}` belongs to both `{}` and `{}`",
                        f.instrument[j].id, ins.id
                    )));
                }
            }
            for (lang, aliases) in &ins.aliases {
                for a in aliases {
                    let toks: Vec<String> = alias_tokens(a).into_iter().map(|(t, _)| t).collect();
                    if toks.is_empty() {
                        return Err(invalid(format!(
                            "instrument `{}`: alias `{a}` has no letters or digits",
                            ins.id
                        )));
                    }
                    folded.push((i, lang.clone(), a.clone(), toks));
                }
            }
        }
        folded.sort_by(|a, b| b.3.len().cmp(&a.3.len()).then(a.0.cmp(&b.0)));
        let distinctive = distinctive(&folded, f.instrument.len());
        Ok(Instruments {
            all: f.instrument,
            by_doc,
            folded,
            distinctive,
        })
    }

    pub fn get(&self, id: &str) -> Option<&Instrument> {
        self.all.iter().find(|i| i.id == id)
    }

    /// The instrument a document belongs to (index into `all`).
    pub fn index_of_doc(&self, doc_id: &str) -> Option<usize> {
        self.by_doc.get(doc_id).copied()
    }

    pub fn for_doc(&self, doc_id: &str) -> Option<&Instrument> {
        self.index_of_doc(doc_id).map(|i| &self.all[i])
    }

    /// How a citation to this document's instrument is displayed: `de-stgb` → `StGB`.
    pub fn short_title(&self, doc_id: &str) -> Option<&str> {
        self.for_doc(doc_id).map(|i| i.short_title.as_str())
    }

    /// Every alias occurring in `query`, as whole tokens. Overlapping occurrences are resolved
    /// longest first (`Computer Misuse Act 1993` over `Computer Misuse Act`); an alias shared by
    /// several instruments yields one match per instrument with the same span.
    pub fn find_aliases(&self, query: &str) -> Vec<AliasMatch> {
        let toks = alias_tokens(query);
        let words: Vec<&str> = toks.iter().map(|(t, _)| t.as_str()).collect();
        let mut taken = vec![false; words.len()];
        let mut out: Vec<AliasMatch> = Vec::new();
        for (inst, lang, alias, at) in &self.folded {
            let n = at.len();
            if n > words.len() {
                continue;
            }
            for s in 0..=words.len() - n {
                if words[s..s + n].iter().zip(at).all(|(w, a)| *w == a) {
                    let same = out
                        .iter()
                        .any(|m| m.tokens == (s..s + n) && m.instrument != *inst);
                    let same_inst = out
                        .iter()
                        .any(|m| m.tokens == (s..s + n) && m.instrument == *inst);
                    if same_inst {
                        continue;
                    }
                    if taken[s..s + n].iter().any(|t| *t) && !same {
                        continue;
                    }
                    taken[s..s + n].iter_mut().for_each(|t| *t = true);
                    out.push(AliasMatch {
                        instrument: *inst,
                        lang: lang.clone(),
                        alias: alias.clone(),
                        span: toks[s].1.start..toks[s + n - 1].1.end,
                        tokens: s..s + n,
                    });
                }
            }
        }
        out.sort_by_key(|m| (m.span.start, m.instrument));
        out
    }

    /// The aliases of instrument `i` that count its mentions in other texts: those of four
    /// characters or more (any length in Chinese or Japanese, where a word is two characters),
    /// that no other instrument shares. An alias shared only with instruments of other
    /// languages (`刑法`: zh for the PRC, ja for Japan) counts in passages of its own language:
    /// the flag says so. Returns `(language, alias, only_in_its_language)`.
    pub fn distinctive_aliases(&self, i: usize) -> Vec<(&str, &str, bool)> {
        self.distinctive.get(i).map_or_else(Vec::new, |d| {
            d.iter()
                .map(|&(k, shared)| {
                    let (_, lang, alias, _) = &self.folded[k];
                    (lang.as_str(), alias.as_str(), shared)
                })
                .collect()
        })
    }
}

/// Every instrument's distinctive aliases, as indexes into `folded` with their "shared" flag.
fn distinctive(
    folded: &[(usize, String, String, Vec<String>)],
    n: usize,
) -> Vec<Vec<(usize, bool)>> {
    let mut owners: HashMap<&[String], HashSet<(usize, &str)>> = HashMap::new();
    for (inst, lang, _, toks) in folded {
        owners
            .entry(toks.as_slice())
            .or_default()
            .insert((*inst, lang.as_str()));
    }
    let mut out = vec![Vec::new(); n];
    for (k, (inst, lang, alias, toks)) in folded.iter().enumerate() {
        if alias.chars().count() < 4 && !alias.chars().any(is_cjk) {
            continue;
        }
        let o = &owners[toks.as_slice()];
        let others = o.iter().filter(|(x, _)| x != inst);
        let same_lang = others.clone().any(|(_, l)| *l == lang.as_str());
        if same_lang {
            continue;
        }
        if let Some(slot) = out.get_mut(*inst) {
            slot.push((k, others.count() > 0));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Manifest;

    /// The binary reads the JSON copy `build.rs` makes; it must be the TOML's table.
    #[test]
    fn the_builtin_json_copy_is_the_toml_table() {
        let from_toml = Instruments::parse(BUILTIN, "corpus/instruments.toml").unwrap();
        assert_eq!(
            format!("{:?}", from_toml.all),
            format!("{:?}", Instruments::builtin().all)
        );
        assert_eq!(from_toml.folded, Instruments::builtin().folded);
    }

    #[test]
    fn every_source_belongs_to_exactly_one_instrument() {
        let t = Instruments::builtin();
        let m = Manifest::builtin();
        for s in &m.sources {
            assert!(
                t.for_doc(&s.id).is_some(),
                "{} belongs to no instrument in corpus/instruments.toml",
                s.id
            );
        }
        for ins in &t.all {
            for d in &ins.docs {
                assert!(
                    m.sources.iter().any(|s| &s.id == d),
                    "instrument {} lists {d}, which the manifest does not know",
                    ins.id
                );
            }
            for lang in ins.aliases.keys() {
                assert!(
                    lang.len() == 2 && lang.chars().all(|c| c.is_ascii_lowercase()),
                    "{}: `{lang}` is not an ISO 639-1 code",
                    ins.id
                );
            }
        }
    }

    #[test]
    fn short_titles_for_matrix_cells() {
        let t = Instruments::builtin();
        assert_eq!(t.short_title("de-stgb"), Some("StGB"));
        assert_eq!(t.short_title("de-stpo"), Some("StPO"));
        assert_eq!(
            t.short_title("coe-budapest-convention-2001"),
            Some("Budapest Convention")
        );
        assert_eq!(t.short_title("us-18usc1030"), Some("CFAA"));
        assert_eq!(t.short_title("ru-uk-272"), Some("УК РФ"));
        assert_eq!(t.short_title("fr-code-penal-323-3-1"), Some("Code pénal"));
        assert_eq!(t.short_title("nope"), None);
    }

    #[test]
    fn tokens_fold_and_split_cjk() {
        let t: Vec<String> = alias_tokens("Art. 272 УК РФ")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(t, ["art", "272", "ук", "рф"]);
        let t: Vec<String> = alias_tokens("刑法第285条")
            .into_iter()
            .map(|x| x.0)
            .collect();
        assert_eq!(t, ["刑", "法", "第", "285", "条"]);
        let t = alias_tokens("Code pénal");
        assert_eq!(t[1].0, "penal");
        assert_eq!(&"Code pénal"[t[1].1.clone()], "pénal");
    }

    #[test]
    fn aliases_are_found_longest_first_and_shared_ones_kept() {
        let t = Instruments::builtin();
        let ids = |q: &str| -> Vec<String> {
            t.find_aliases(q)
                .iter()
                .map(|m| t.all[m.instrument].id.clone())
                .collect()
        };
        assert_eq!(ids("§ 202a StGB"), ["stgb"]);
        assert_eq!(ids("article 2 of the Budapest Convention"), ["budapest"]);
        assert_eq!(ids("s. 3 Computer Misuse Act 1993"), ["sg-cma"]);
        let mut cma = ids("s. 3 Computer Misuse Act");
        cma.sort();
        assert_eq!(cma, ["sg-cma", "ug-cma", "uk-cma"]);
        assert_eq!(ids("Art. 2 UN Cybercrime Convention"), ["un-cybercrime"]);
        let mut xf = ids("刑法第二百八十五条");
        xf.sort();
        assert_eq!(xf, ["cn-criminal-law", "jp-penal-code"]);
        assert_eq!(ids("18 U.S.C. § 1030").len(), 4);
        assert!(ids("illegal access to a computer").is_empty());
        // Whole tokens only: `Sr` is not found inside a word.
        assert!(ids("Srebrenica").is_empty());
    }

    #[test]
    fn distinctive_aliases_leave_out_shared_and_short_names() {
        let t = Instruments::builtin();
        let i = t.all.iter().position(|x| x.id == "sg-cma").unwrap();
        let d: Vec<&str> = t.distinctive_aliases(i).iter().map(|x| x.1).collect();
        assert_eq!(d, ["Computer Misuse Act 1993"]);
        // `刑法` is Chinese for the PRC's code and Japanese for Japan's: each counts in its language.
        let i = t
            .all
            .iter()
            .position(|x| x.id == "cn-criminal-law")
            .unwrap();
        let d = t.distinctive_aliases(i);
        assert!(d.contains(&("zh", "刑法", true)), "{d:?}");
        let i = t.all.iter().position(|x| x.id == "sr").unwrap();
        let d: Vec<&str> = t.distinctive_aliases(i).iter().map(|x| x.1).collect();
        assert!(
            d.contains(&"Wetboek van Strafrecht") && !d.contains(&"Sr"),
            "{d:?}"
        );
    }

    #[test]
    fn invalid_tables_are_rejected_with_context() {
        let two = "[[instrument]]\nid = \"a\"\nshort_title = \"A\"\ndocs = [\"d\"]\n[[instrument]]\nid = \"b\"\nshort_title = \"B\"\ndocs = [\"d\"]\n";
        let e = Instruments::parse(two, "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml") && e.contains("`d`"), "{e}");
        let none = "[[instrument]]\nid = \"a\"\nshort_title = \"A\"\ndocs = []\n";
        assert!(Instruments::parse(none, "x.toml").is_err());
    }
}
