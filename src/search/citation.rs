//! Citations typed as the query: `§ 202a StGB`, `Art. 272 УК РФ`, `article 2 of the Budapest
//! Convention`, `Section 14 Kenya`, `18 U.S.C. § 1030(a)(2)(C)`, `刑法第二百八十五条`, `第3条`.
//!
//! A query is read as a citation when, once the names of instruments
//! (`corpus/instruments.toml`) and of jurisdictions (`corpus/jurisdictions.toml`) are set aside,
//! what remains is one provision number — with a designator (`§`, `Art.`, `s.`, `第…条`), or a
//! pinpoint (`1030(a)(2)`), or a bare number beside a named instrument (`202a StGB`) — and at
//! most connecting words (`of the`, `du`, `van`). The provision is looked up in the citations
//! the index holds; the instruments and jurisdictions named narrow it down; a pinpoint reaches
//! the deepest subsection held as its own passage, else its parent (the response says so). A
//! number found in several instruments returns them grouped, in a stated order: binding
//! instruments before commentary, then the most cited: named in the text of the most other
//! instruments (then in the most passages), then the table's order. How the query was read is the
//! [`Routing`] of the response.

use std::collections::HashSet;
use std::ops::Range;
use std::sync::OnceLock;

use regex::Regex;
use serde::Serialize;
use tantivy::collector::{Count, DocSetCollector, TopDocs};
use tantivy::query::{BooleanQuery, Occur, Query, TermQuery};
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::{Engine, Hit, SearchError, SearchRequest, SearchResponse};
use crate::corpus::instruments::alias_tokens;
use crate::corpus::{Instruments, Jurisdictions};
use crate::index::analyzers;
use crate::segment::numerals::normalize_label;
use crate::segment::Passage;

/// The kind of provision a designator names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Designator {
    /// `§` (German, US): a paragraph in the civil-law sense, a section in the US Code.
    Paragraph,
    /// `Art.`, `Artikel`, `Статья`, `ст.`, `المادة`, `第…条`, `제…조`.
    Article,
    /// `s.`, `Sec.`, `Section`.
    Section,
    /// `¶`, `para.`: a paragraph of prose.
    Prose,
}

impl Designator {
    /// Does a passage cited with `have` answer a query that typed `self`?
    fn accepts(self, have: Designator) -> bool {
        self == have || (self == Designator::Section && have == Designator::Paragraph)
    }

    fn name(self) -> &'static str {
        match self {
            Designator::Paragraph => "§",
            Designator::Article => "Art.",
            Designator::Section => "s.",
            Designator::Prose => "¶",
        }
    }
}

/// The provision part of a query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CitationCore {
    /// The designator as typed (`Art.`, `§`, `第…条`), if any.
    pub designator: Option<String>,
    pub kind: Option<Designator>,
    /// Normalized number: `202a`, `285`, `323-3-1`, `154a`, `272.1`.
    pub number: String,
    /// Pinpoint segments below the number, lower case: `1030(a)(2)(C)` → `["a", "2", "c"]`.
    pub pinpoint: Vec<String>,
    /// Languages the designator is written in (`条` → zh, ja; `조` → ko; `Статья` → ru), whose
    /// provisions are preferred; empty when any.
    pub script_langs: Vec<&'static str>,
    /// Byte range of the core in the query.
    pub span: Range<usize>,
}

/// A name of an instrument or a jurisdiction found in the query.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Qualifier {
    /// As typed.
    pub text: String,
    /// `instrument` or `jurisdiction`.
    pub matched: &'static str,
    /// Instrument ids (an alias several instruments share names them all), or the jurisdiction code.
    pub ids: Vec<String>,
    /// The documents it stands for.
    pub doc_ids: Vec<String>,
    /// Language of the alias (instruments).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lang: Option<String>,
    /// Byte range of the name in the query.
    #[serde(skip)]
    pub span: Range<usize>,
}

/// A query read as a citation (before it is looked up).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedCitation {
    pub core: CitationCore,
    pub qualifiers: Vec<Qualifier>,
}

/// One instrument among the routed hits.
#[derive(Debug, Clone, Serialize)]
pub struct RoutedInstrument {
    pub id: String,
    pub short_title: String,
    pub doc_ids: Vec<String>,
    /// How the provision is cited with the instrument: `StGB § 202a`.
    pub cited_as: String,
    /// Passages returned for it, in order.
    pub passages: Vec<String>,
    /// 0 = binding (convention, protocol, law, regulation), 1 = commentary.
    pub tier: u8,
    /// Other instruments that name it in their text (only computed when ambiguous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentions: Option<usize>,
    /// Passages of other instruments that name it (only computed when ambiguous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mentioning_passages: Option<usize>,
    /// The pinpoint the returned passage holds, when the query asked for a deeper one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinpoint_held: Option<String>,
}

/// How a query was read as a citation (`routing` in the JSON response; `--explain` prints it).
#[derive(Debug, Clone, Serialize)]
pub struct Routing {
    /// The part of the query read as the provision: `Art. 272`.
    pub citation: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designator: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub designator_kind: Option<Designator>,
    pub number: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pinpoint: Option<String>,
    /// Instruments and jurisdictions the query named, with the documents they stand for.
    pub qualifiers: Vec<Qualifier>,
    /// The instruments whose provision was returned, in the order of the hits.
    pub instruments: Vec<RoutedInstrument>,
    /// The number exists in several instruments and the query did not say which.
    pub ambiguous: bool,
    /// The rule that ordered the instruments (when ambiguous).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub order: Option<String>,
    /// What was done instead of the exact provision (a parent for a pinpoint not held, or a
    /// ranked search when no passage carries the citation).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fallback: Option<String>,
    /// Further remarks (a designator the instrument does not use, …).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// The rule ordering instruments when a number is ambiguous.
pub const ORDER_RULE: &str = "binding instruments (conventions, protocols, laws, regulations) before commentary; then the most cited first: by the number of other instruments whose text names it by a distinctive alias of corpus/instruments.toml, then by the number of such passages; then the table's order";

impl Routing {
    /// Lines describing the reading, for `--explain` and other faces.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut read = format!("citation: {}", self.citation);
        if let Some(k) = self.designator_kind {
            read.push_str(&format!(" → {} {}", k.name(), self.number));
        } else {
            read.push_str(&format!(" → number {}", self.number));
        }
        if let Some(p) = &self.pinpoint {
            read.push_str(&format!(", pinpoint {p}"));
        }
        out.push(read);
        for q in &self.qualifiers {
            out.push(format!(
                "  {} `{}` → {} ({})",
                q.matched,
                q.text,
                q.ids.join(", "),
                q.doc_ids.join(", ")
            ));
        }
        for i in &self.instruments {
            let mut l = format!("  → {} [{}]: {}", i.cited_as, i.id, i.passages.join(", "));
            if let Some(m) = i.mentions {
                l.push_str(&format!(
                    " (tier {}, named by {m} instruments in {} passages)",
                    i.tier,
                    i.mentioning_passages.unwrap_or(0)
                ));
            }
            out.push(l);
        }
        if self.ambiguous {
            out.push(format!(
                "  ambiguous: {} instruments have it; ordered by: {}",
                self.instruments.len(),
                self.order.as_deref().unwrap_or(ORDER_RULE)
            ));
        }
        if let Some(f) = &self.fallback {
            out.push(format!("  fallback: {f}"));
        }
        for n in &self.notes {
            out.push(format!("  note: {n}"));
        }
        out
    }
}

/// What `Engine::search` does with a query, as decided here.
pub enum Route {
    /// The citation resolved: these are the hits.
    Routed(SearchResponse),
    /// Rank it: with `query` instead of the typed query when set (a citation that resolved to
    /// nothing, its designator dropped), and `routing` on the response when it was a citation.
    Ranked {
        query: Option<String>,
        routing: Option<Box<Routing>>,
    },
}

struct Tables {
    instruments: Instruments,
    manifest: crate::corpus::Manifest,
    jurisdictions: Jurisdictions,
    /// Per jurisdiction (as in `jurisdictions.all`), its name and aliases as folded tokens.
    jurisdiction_names: Vec<Vec<Vec<String>>>,
    regexes: Regexes,
}

fn tables() -> &'static Tables {
    static T: OnceLock<Tables> = OnceLock::new();
    T.get_or_init(|| {
        let jurisdictions = Jurisdictions::builtin();
        let jurisdiction_names = jurisdictions
            .all
            .iter()
            .map(|j| {
                std::iter::once(&j.name)
                    .chain(&j.aliases)
                    .map(|n| alias_tokens(n).into_iter().map(|x| x.0).collect())
                    .collect()
            })
            .collect();
        Tables {
            instruments: Instruments::builtin(),
            manifest: crate::corpus::Manifest::builtin(),
            jurisdictions,
            jurisdiction_names,
            regexes: Regexes::new(),
        }
    })
}

struct Regexes {
    designated: Regex,
    cjk: Regex,
    korean: Regex,
    bare: Regex,
    extra_pinpoint: Regex,
    passage: Regex,
}

/// A provision number: `202a`, `138ab`, `323-3-1`, `154-A`, `272.1`, `3LA`, `1º`.
const NUM: &str = r"\d+[º°ª]?[a-z]{0,3}(?:[-.]\d+[a-z]{0,3}|-[a-z]{1,2}\b)*";
const PIN: &str = r"(?:\s?\([0-9a-z]{1,5}\))*";
/// Letters and digits may not touch a citation.
const LEFT: &str = r"(?:^|[^\p{L}\p{N}])";
const CJK_NUM: &str = r"[0-9０-９〇零一二两三四五六七八九十百千]{1,12}";

impl Regexes {
    fn new() -> Regexes {
        let des = r"§§?|¶|articles?|artikel|art[íi]culos?|articolo|artigo|arts?\.?|статья|статьи|ст\.|المادة|sections?|secs?\.?|ss?\.|paras?\.|paragraph";
        let r = |s: &str| Regex::new(s).expect("valid citation regex");
        Regexes {
            designated: r(&format!(
                r"(?i){LEFT}(?P<core>(?P<des>{des})\s*(?P<num>{NUM})(?P<pin>{PIN}))"
            )),
            cjk: r(&format!(
                r"(?P<core>(?:第\s*(?P<n1>{CJK_NUM})|(?P<n2>[0-9０-９]+))\s*[条條](?:\s*[之の]\s*(?P<bis>{CJK_NUM}))?(?P<sub>(?:\s*第?\s*{CJK_NUM}\s*[款項项号號])*))"
            )),
            korean: r(
                r"(?P<core>제\s*(?P<num>\d+)\s*조(?:\s*의\s*(?P<bis>\d+))?(?P<sub>(?:\s*제?\s*\d+\s*[항호])*))",
            ),
            bare: r(&format!(
                r"(?i){LEFT}(?P<core>(?P<num>{NUM})(?P<pin>{PIN}))(?:$|[^\p{{L}}\p{{N}}])"
            )),
            extra_pinpoint: r(
                r"(?i)^[\s,]*(?:abs\.|absatz|lid|al\.|alin[ée]a|ч\.|часть|para\.|paragraph|subs?\.|subsection)\s*(?P<n>\d+[a-z]?)",
            ),
            passage: r(&format!(
                r"(?i)^(?:(?P<host>.+?),\s+)?(?:\d+\s*U\.?S\.?C\.?\s*)?(?P<des>§§?|¶|art\.|artikel|s\.|sec\.)\s*(?P<num>{NUM})(?P<pin>(?:\s?\([^()]+\))*)\s*$"
            )),
        }
    }
}

/// Words that may stand between a number and an instrument's name.
const CONNECTIVES: &[&str] = &[
    "of", "the", "in", "under", "and", "see", "cf", "der", "des", "dem", "die", "das", "im", "vgl",
    "du", "de", "la", "le", "les", "l", "d", "van", "het", "del", "della", "di", "dello", "do",
    "da", "dos", "el", "y", "et", "en", "i", "a", "o", "по",
];

fn ascii_digits(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '٠'..='٩' => char::from_u32(c as u32 - '٠' as u32 + '0' as u32).unwrap_or(c),
            '۰'..='۹' => char::from_u32(c as u32 - '۰' as u32 + '0' as u32).unwrap_or(c),
            _ => c,
        })
        .collect()
}

/// The comparable form of a provision number: lower case, ASCII digits, ordinal marks dropped,
/// and a hyphen before a letter suffix dropped (`154-A` = `154A`, `1º` = `1`).
pub fn normalize_number(s: &str) -> String {
    let s = ascii_digits(s).to_lowercase().replace(['º', '°', 'ª'], "");
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::new();
    for (i, c) in chars.iter().enumerate() {
        let letter_suffix = *c == '-'
            && i > 0
            && chars[i - 1].is_ascii_digit()
            && chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase())
            && chars[i + 1..].iter().all(|n| n.is_ascii_lowercase());
        if !letter_suffix {
            out.push(*c);
        }
    }
    out
}

fn pinpoint_segments(pin: &str) -> Vec<String> {
    pin.split(['(', ')'])
        .map(|s| s.trim().to_lowercase())
        .filter(|s| !s.is_empty())
        .collect()
}

fn pinpoint_text(segs: &[String]) -> String {
    segs.iter().map(|s| format!("({s})")).collect()
}

/// Languages a designator is written in, when it is particular to them.
fn designator_langs(des: &str) -> Vec<&'static str> {
    let d = crate::corpus::taxonomy::fold(des);
    let d = d.trim_end_matches('.');
    match d {
        "статья" | "статьи" | "ст" => vec!["ru"],
        "المادة" => vec!["ar"],
        "artikel" => vec!["nl", "de"],
        "articulo" | "articulos" => vec!["es"],
        "articolo" => vec!["it"],
        "artigo" => vec!["pt"],
        _ => Vec::new(),
    }
}

fn designator_kind(des: &str) -> Designator {
    let d = des.to_lowercase();
    if d.starts_with('§') {
        Designator::Paragraph
    } else if d.starts_with('¶') || d.starts_with("para") {
        Designator::Prose
    } else if d.starts_with('s') {
        Designator::Section
    } else {
        Designator::Article
    }
}

/// The provision a stored citation names: designator, normalized number, pinpoint segments and
/// the host act of an amending provision (`Criminal Code, s. 162.1` → host `Criminal Code`).
/// `None` for citations that are not numbered provisions (`Preamble`, `¶ 4` is `Prose`, `§ A.1`).
pub fn passage_provision(
    citation: &str,
) -> Option<(Designator, String, Vec<String>, Option<String>)> {
    let c = tables().regexes.passage.captures(citation.trim())?;
    Some((
        designator_kind(&c["des"]),
        normalize_number(&c["num"]),
        pinpoint_segments(&c["pin"]),
        c.name("host").map(|h| h.as_str().to_string()),
    ))
}

/// Read `query` as a citation, or `None` when it is not one (words remain that name neither an
/// instrument nor a jurisdiction, or no provision number is there).
/// Byte ranges of `query` that the citation router reads as a citation: the provision and the
/// instruments and jurisdictions qualifying it when the query is one (`§ 202a StGB`), and any
/// instrument's name (`StGB`, `CFAA`) otherwise. Their words are names, not misspellings: "did
/// you mean" leaves them as typed.
pub fn cited_spans(query: &str) -> Vec<Range<usize>> {
    if let Some(p) = parse(query) {
        let mut v = vec![p.core.span];
        v.extend(p.qualifiers.into_iter().map(|q| q.span));
        return v;
    }
    static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();
    INSTRUMENTS
        .get_or_init(Instruments::builtin)
        .find_aliases(query)
        .into_iter()
        .map(|m| m.span)
        .collect()
}

pub fn parse(query: &str) -> Option<ParsedCitation> {
    // Every reading of a provision needs a number (the patterns' `\d`, or a CJK numeral before
    // `条`); masking names only blanks bytes out. Without one, the tables (instruments,
    // jurisdictions, manifest, regexes: ~2 ms to build) are not needed at all.
    if !may_hold_number(query) {
        return None;
    }
    let t = tables();
    let mut qualifiers = Vec::new();
    let mut masked: Vec<u8> = query.as_bytes().to_vec();
    let mask = |m: &mut Vec<u8>, r: &Range<usize>| m[r.clone()].iter_mut().for_each(|b| *b = b' ');
    // Instruments: matches sharing a span are one qualifier naming every instrument they name.
    let mut by_span: Vec<(Range<usize>, Vec<usize>, String)> = Vec::new();
    for m in t.instruments.find_aliases(query) {
        match by_span.iter_mut().find(|(s, _, _)| *s == m.span) {
            Some(e) => e.1.push(m.instrument),
            None => by_span.push((m.span.clone(), vec![m.instrument], m.lang.clone())),
        }
    }
    for (span, insts, lang) in &by_span {
        mask(&mut masked, span);
        let ins: Vec<_> = insts.iter().map(|i| &t.instruments.all[*i]).collect();
        qualifiers.push(Qualifier {
            text: query[span.clone()].to_string(),
            matched: "instrument",
            ids: ins.iter().map(|i| i.id.clone()).collect(),
            doc_ids: ins.iter().flat_map(|i| i.docs.iter().cloned()).collect(),
            lang: Some(lang.clone()),
            span: span.clone(),
        });
    }
    // Jurisdictions: names and aliases in any case, codes only as typed in capitals (`IN`, not `in`).
    let toks = alias_tokens(std::str::from_utf8(&masked).unwrap_or(query));
    let mut used = vec![false; toks.len()];
    let manifest = &t.manifest;
    for (j, names) in t.jurisdictions.all.iter().zip(&t.jurisdiction_names) {
        let mut found: Option<Range<usize>> = None;
        for nt in names {
            if nt.is_empty() || nt.len() > toks.len() {
                continue;
            }
            for s in 0..=toks.len() - nt.len() {
                let hit = !used[s..s + nt.len()].iter().any(|u| *u)
                    && toks[s..s + nt.len()].iter().zip(nt).all(|(a, b)| a.0 == *b);
                if hit {
                    used[s..s + nt.len()].iter_mut().for_each(|u| *u = true);
                    found = Some(toks[s].1.start..toks[s + nt.len() - 1].1.end);
                    break;
                }
            }
            if found.is_some() {
                break;
            }
        }
        if found.is_none() {
            for (i, (_, r)) in toks.iter().enumerate() {
                if !used[i] && query[r.clone()] == j.code {
                    used[i] = true;
                    found = Some(r.clone());
                    break;
                }
            }
        }
        if let Some(r) = found {
            mask(&mut masked, &r);
            qualifiers.push(Qualifier {
                text: query[r.clone()].to_string(),
                span: r,
                matched: "jurisdiction",
                ids: vec![j.code.clone()],
                doc_ids: manifest
                    .sources
                    .iter()
                    .filter(|s| s.jurisdiction == j.code)
                    .map(|s| s.id.clone())
                    .collect(),
                lang: None,
            });
        }
    }
    let masked = String::from_utf8(masked).ok()?;
    let core = find_core(&masked, !qualifiers.is_empty())?;
    // Whatever is left must connect, not search.
    let mut rest = masked.clone();
    rest.replace_range(core.span.clone(), &" ".repeat(core.span.len()));
    let leftover_ok = alias_tokens(&rest)
        .iter()
        .all(|(w, _)| CONNECTIVES.contains(&w.as_str()));
    if !leftover_ok {
        return None;
    }
    qualifiers.sort_by_key(|q| query.find(&q.text).unwrap_or(0));
    Some(ParsedCitation { core, qualifiers })
}

/// Could `query` hold a provision number: a numeric character (every `\d` of the citation
/// patterns is one) or a CJK numeral of [`CJK_NUM`]?
pub(crate) fn may_hold_number(query: &str) -> bool {
    query
        .chars()
        .any(|c| c.is_numeric() || "〇零一二两三四五六七八九十百千".contains(c))
}

fn find_core(masked: &str, qualified: bool) -> Option<CitationCore> {
    let re = &tables().regexes;
    let with_extra = |mut core: CitationCore| {
        // `§ 202a Abs. 1`, `art. 138ab lid 2`, `ст. 272 ч. 1`: a further pinpoint after the number.
        let mut end = core.span.end;
        while let Some(c) = re.extra_pinpoint.captures(&masked[end..]) {
            core.pinpoint.push(c["n"].to_lowercase());
            end += c.get(0).map_or(0, |m| m.end());
        }
        core.span.end = end;
        core
    };
    if let Some(c) = re.designated.captures(masked) {
        let m = c.name("core")?;
        let des = c["des"].to_string();
        return Some(with_extra(CitationCore {
            kind: Some(designator_kind(&des)),
            script_langs: designator_langs(&des),
            designator: Some(des),
            number: normalize_number(&c["num"]),
            pinpoint: pinpoint_segments(&c["pin"]),
            span: m.range(),
        }));
    }
    if let Some(c) = re.cjk.captures(masked) {
        let m = c.name("core")?;
        let n = c.name("n1").or(c.name("n2"))?.as_str();
        let mut number = normalize_label(n);
        if let Some(b) = c.name("bis") {
            number = format!("{number}-{}", normalize_label(b.as_str()));
        }
        let pinpoint = subdivisions(c.name("sub").map_or("", |s| s.as_str()));
        return Some(CitationCore {
            designator: Some("第…条".into()),
            kind: Some(Designator::Article),
            number: normalize_number(&number),
            pinpoint,
            script_langs: vec!["zh", "ja"],
            span: m.range(),
        });
    }
    if let Some(c) = re.korean.captures(masked) {
        let m = c.name("core")?;
        let mut number = c["num"].to_string();
        if let Some(b) = c.name("bis") {
            number = format!("{number}-{}", b.as_str());
        }
        return Some(CitationCore {
            designator: Some("제…조".into()),
            kind: Some(Designator::Article),
            number: normalize_number(&number),
            pinpoint: subdivisions(c.name("sub").map_or("", |s| s.as_str())),
            script_langs: vec!["ko"],
            span: m.range(),
        });
    }
    let c = re.bare.captures(masked)?;
    let m = c.name("core")?;
    let pinpoint = pinpoint_segments(&c["pin"]);
    // A bare number is a citation only beside a named instrument or with a pinpoint.
    if pinpoint.is_empty() && !qualified {
        return None;
    }
    Some(with_extra(CitationCore {
        designator: None,
        kind: None,
        number: normalize_number(&c["num"]),
        pinpoint,
        script_langs: Vec::new(),
        span: m.range(),
    }))
}

/// `第一款第二项` → `["1", "2"]`.
fn subdivisions(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut run = String::new();
    for ch in s.chars() {
        if "款項项号號항호".contains(ch) {
            let n = normalize_label(run.trim().trim_start_matches(['第', '제']));
            if !n.is_empty() {
                out.push(n);
            }
            run.clear();
        } else {
            run.push(ch);
        }
    }
    out
}

/// The citation key the index holds for a number, and its spelled variants (`1º`, `154-a`).
fn key_variants(number: &str) -> Vec<String> {
    let mut v = vec![
        number.to_string(),
        format!("{number}º"),
        format!("{number}°"),
    ];
    let digits_end = number
        .char_indices()
        .rev()
        .find(|(_, c)| !c.is_ascii_lowercase())
        .map(|(i, c)| i + c.len_utf8());
    if let Some(i) = digits_end.filter(|i| *i < number.len() && *i > 0) {
        v.push(format!("{}-{}", &number[..i], &number[i..]));
    }
    v
}

/// Is this passage a translation (`doc/nl/2`) rather than the source's own language?
fn is_translation(p: &Passage) -> bool {
    let rest = p.passage_id.strip_prefix(&p.doc_id).unwrap_or("");
    let parts: Vec<&str> = rest.trim_start_matches('/').split('/').collect();
    parts.len() > 1 && parts[0].len() == 2 && parts[0].chars().all(|c| c.is_ascii_lowercase())
}

fn tier(kind: &str) -> u8 {
    u8::from(matches!(kind, "analysis" | "ngo-statement"))
}

struct Candidate {
    /// From the fast fields only (no text, title, path or URL): see [`Engine::passage_meta`].
    passage: Passage,
    addr: tantivy::DocAddress,
    kind: Designator,
    pin: Vec<String>,
    host: Option<String>,
}

struct Group {
    key: String,
    instrument: Option<usize>,
    doc_order: Vec<String>,
    tier: u8,
    /// (citing instruments, citing passages)
    mentions: (usize, usize),
    items: Vec<Candidate>,
}

impl Engine {
    /// Decide how to answer `req`: straight to a cited provision, or ranked (see [`Route`]).
    pub(super) fn resolve_citation(&self, req: &SearchRequest) -> Result<Route, SearchError> {
        let ranked = |query, routing| Ok(Route::Ranked { query, routing });
        if req.baseline {
            return ranked(None, None);
        }
        let Some(parsed) = parse(&req.query) else {
            return ranked(None, None);
        };
        let t = tables();
        let core = &parsed.core;
        let mut routing = Routing {
            citation: req.query[core.span.clone()].trim().to_string(),
            designator: core.designator.clone(),
            designator_kind: core.kind,
            number: core.number.clone(),
            pinpoint: (!core.pinpoint.is_empty()).then(|| pinpoint_text(&core.pinpoint)),
            qualifiers: parsed.qualifiers.clone(),
            instruments: Vec::new(),
            ambiguous: false,
            order: None,
            fallback: None,
            notes: Vec::new(),
        };
        // The fallback when nothing resolves: rank the query without its designator, so that
        // `Art.` does not match the word "Art" in a heading.
        let fallback_query = core.designator.is_some().then(|| {
            let mut q = req.query.clone();
            q.replace_range(
                core.span.clone(),
                &format!(" {}{} ", core.number, pinpoint_text(&core.pinpoint)),
            );
            crate::extract::collapse_ws(&q)
        });

        // Candidates: passages whose citation key is the number, within the request's filters;
        // for named instruments also their unkeyed passages (definitions `s. 2 (“asset”)`).
        let f = self.fields().clone();
        let mut any: Vec<(Occur, Box<dyn Query>)> = key_variants(&core.number)
            .into_iter()
            .map(|k| {
                (
                    Occur::Should,
                    Box::new(TermQuery::new(
                        Term::from_field_text(f.citation_key, &k),
                        IndexRecordOption::Basic,
                    )) as Box<dyn Query>,
                )
            })
            .collect();
        // Documents the query named, by instrument or by country (ordered: they become clauses
        // whose scores are summed in order).
        let named_docs: std::collections::BTreeSet<&str> = parsed
            .qualifiers
            .iter()
            .flat_map(|q| q.doc_ids.iter().map(String::as_str))
            .collect();
        if !named_docs.is_empty() {
            let docs: Vec<(Occur, Box<dyn Query>)> = named_docs
                .iter()
                .map(|d| {
                    (
                        Occur::Should,
                        Box::new(TermQuery::new(
                            Term::from_field_text(f.doc_id, d),
                            IndexRecordOption::Basic,
                        )) as Box<dyn Query>,
                    )
                })
                .collect();
            let unkeyed = TermQuery::new(
                Term::from_field_text(f.citation_key, ""),
                IndexRecordOption::Basic,
            );
            any.push((
                Occur::Should,
                Box::new(BooleanQuery::new(vec![
                    (Occur::Must, Box::new(BooleanQuery::new(docs))),
                    (Occur::Must, Box::new(unkeyed)),
                ])),
            ));
        }
        let mut clauses = self.filters(req);
        clauses.push((Occur::Must, Box::new(BooleanQuery::new(any))));
        let q = BooleanQuery::new(clauses);
        let n = self.searcher.search(&q, &Count)?;
        let mut found: Vec<Candidate> = Vec::new();
        if n > 0 {
            let addrs: Vec<tantivy::DocAddress> = self
                .searcher
                .search(&q, &TopDocs::with_limit(n).order_by_score())?
                .into_iter()
                .map(|(_, a)| a)
                .collect();
            // Fast fields only: a bare number on a large index has thousands of candidates;
            // stored documents are read for the hits returned.
            let metas = self.passage_metas(&addrs);
            for (addr, p) in addrs.into_iter().zip(metas) {
                let Some((kind, number, pin, host)) = passage_provision(&p.citation) else {
                    continue;
                };
                if number != core.number {
                    continue;
                }
                let qualified = parsed.qualifiers.iter().all(|q| match q.matched {
                    "jurisdiction" => q.ids.contains(&p.jurisdiction),
                    _ => q.doc_ids.contains(&p.doc_id),
                });
                if !qualified {
                    continue;
                }
                found.push(Candidate {
                    passage: p,
                    addr,
                    kind,
                    pin,
                    host,
                });
            }
        }

        // A designator written in a language (`第…条`, `Статья`, `artigo`) prefers provisions in it.
        if found
            .iter()
            .any(|c| core.script_langs.contains(&c.passage.language.as_str()))
        {
            found.retain(|c| core.script_langs.contains(&c.passage.language.as_str()));
        }
        // The designator: a query that typed one gets provisions so designated; when it named
        // its instrument and the instrument designates otherwise (`Art. 32 StPO`), the
        // instrument's own designation is taken, and said.
        if let Some(want) = core.kind {
            // `Section 1030` is the US Code's § 1030; a German § is not a section.
            let strict: Vec<bool> = found
                .iter()
                .map(|c| {
                    want.accepts(c.kind)
                        && (want != Designator::Section
                            || c.kind != Designator::Paragraph
                            || c.passage.citation.contains("U.S.C."))
                })
                .collect();
            if strict.iter().any(|s| *s) || named_docs.is_empty() {
                let mut i = 0;
                found.retain(|_| {
                    i += 1;
                    strict[i - 1]
                });
            } else if let Some(c) = found.first() {
                routing.notes.push(format!(
                    "`{}` typed, but {} cites `{}`: read as {} {}",
                    core.designator.as_deref().unwrap_or(""),
                    c.passage.doc_id,
                    c.kind.name(),
                    c.kind.name(),
                    core.number
                ));
            }
        }
        if found.is_empty() {
            routing.fallback = Some(format!(
                "no passage is cited {}{}{}; ranked search{}",
                core.kind
                    .map(|k| format!("{} ", k.name()))
                    .unwrap_or_default(),
                core.number,
                if parsed.qualifiers.is_empty() {
                    String::new()
                } else {
                    format!(
                        " in {}",
                        parsed
                            .qualifiers
                            .iter()
                            .map(|q| q.text.as_str())
                            .collect::<Vec<_>>()
                            .join(" + ")
                    )
                },
                fallback_query
                    .as_ref()
                    .map(|q| format!(" for `{q}`"))
                    .unwrap_or_default()
            ));
            return ranked(fallback_query, Some(Box::new(routing)));
        }

        // Group by instrument.
        let mut groups: Vec<Group> = Vec::new();
        for c in found {
            let inst = t.instruments.index_of_doc(&c.passage.doc_id);
            let key = inst
                .map(|i| t.instruments.all[i].id.clone())
                .unwrap_or_else(|| c.passage.doc_id.clone());
            match groups.iter_mut().find(|g| g.key == key) {
                Some(g) => {
                    g.tier = g.tier.min(tier(&c.passage.kind));
                    g.items.push(c);
                }
                None => groups.push(Group {
                    key,
                    instrument: inst,
                    doc_order: inst
                        .map(|i| t.instruments.all[i].docs.clone())
                        .unwrap_or_else(|| vec![c.passage.doc_id.clone()]),
                    tier: tier(&c.passage.kind),
                    mentions: (0, 0),
                    items: vec![c],
                }),
            }
        }
        routing.ambiguous = groups.len() > 1;
        if routing.ambiguous {
            for g in &mut groups {
                g.mentions = match g.instrument {
                    Some(i) => self.mentions(&t.instruments, i)?,
                    None => (0, 0),
                };
            }
            let table_pos = |g: &Group| g.instrument.unwrap_or(usize::MAX);
            groups.sort_by(|a, b| {
                a.tier
                    .cmp(&b.tier)
                    .then(b.mentions.cmp(&a.mentions))
                    .then(table_pos(a).cmp(&table_pos(b)))
                    .then(a.key.cmp(&b.key))
            });
            routing.order = Some(ORDER_RULE.to_string());
        }

        // Within an instrument: the pinpoint's deepest held passage, else the whole provision;
        // documents in the table's order, the language the query named the instrument in (else
        // the source's own) first, then document order.
        let alias_langs: Vec<String> = parsed
            .qualifiers
            .iter()
            .filter_map(|q| q.lang.clone())
            .collect();
        // (passage, pinpoint segments to mark, score, why); ranges are located in the printed hits.
        let mut hits: Vec<(tantivy::DocAddress, Vec<String>, f32, String)> = Vec::new();
        for g in &mut groups {
            // A provision cited under a host (`Criminal Code, s. 162.1` in an amending act,
            // `Suppl. Prov. 19, Art. 3`) answers when the query names the host, or when the
            // instrument has no provision of that number of its own.
            let folded_query = crate::corpus::taxonomy::fold(&req.query);
            let names_host = |c: &Candidate| {
                c.host
                    .as_deref()
                    .is_some_and(|h| folded_query.contains(&crate::corpus::taxonomy::fold(h)))
            };
            if g.items.iter().any(names_host) {
                g.items.retain(names_host);
            } else if g.items.iter().any(|c| c.host.is_none()) {
                g.items.retain(|c| c.host.is_none());
            }
            // Segments of the pinpoint the returned passages hold, when short of the query's.
            let mut held: Option<Vec<String>> = None;
            if !core.pinpoint.is_empty() {
                let depth = g
                    .items
                    .iter()
                    .filter(|c| core.pinpoint.starts_with(&c.pin))
                    .map(|c| c.pin.len())
                    .max();
                let d = depth.unwrap_or(0);
                if depth.is_some() {
                    g.items
                        .retain(|c| c.pin.len() == d && core.pinpoint.starts_with(&c.pin));
                }
                if d < core.pinpoint.len() {
                    held = Some(core.pinpoint[..d].to_vec());
                }
            }
            g.items.sort_by_key(|c| {
                let p = &c.passage;
                (
                    g.doc_order
                        .iter()
                        .position(|d| *d == p.doc_id)
                        .unwrap_or(usize::MAX),
                    if alias_langs.is_empty() {
                        is_translation(p)
                    } else {
                        !alias_langs.contains(&p.language)
                    },
                    p.ordinal,
                )
            });
            let (short, id) = match g.instrument {
                Some(i) => (
                    t.instruments.all[i].short_title.clone(),
                    t.instruments.all[i].id.clone(),
                ),
                None => (self.stored_passage(g.items[0].addr)?.title, g.key.clone()),
            };
            let first = &g.items[0].passage;
            let cited_as = format!("{short} {}", first.citation);
            if let (Some(h), None) = (&held, &routing.fallback) {
                routing.fallback = Some(format!(
                    "{}{} is not held as its own passage; showing {}, {}",
                    core.number,
                    pinpoint_text(&core.pinpoint),
                    first.citation,
                    if h.is_empty() {
                        "the whole provision (the index holds no subsection of it as a passage)"
                            .to_string()
                    } else {
                        format!("its deepest part held, {}", pinpoint_text(h))
                    }
                ));
            }
            routing.instruments.push(RoutedInstrument {
                id,
                short_title: short,
                doc_ids: g.doc_order.clone(),
                cited_as,
                passages: g
                    .items
                    .iter()
                    .map(|c| c.passage.passage_id.clone())
                    .collect(),
                tier: g.tier,
                mentions: routing.ambiguous.then_some(g.mentions.0),
                mentioning_passages: routing.ambiguous.then_some(g.mentions.1),
                pinpoint_held: held.as_ref().map(|h| pinpoint_text(h)),
            });
            let rest: &[String] = match &held {
                Some(h) => &core.pinpoint[h.len()..],
                None => &[],
            };
            for c in &g.items {
                let score = if held.is_some() { 0.5 } else { 1.0 };
                let why = format!(
                    "citation {} of {}{}",
                    c.passage.citation,
                    g.key,
                    if routing.ambiguous {
                        format!(
                            " (tier {}, named by {} instruments in {} passages)",
                            g.tier, g.mentions.0, g.mentions.1
                        )
                    } else {
                        String::new()
                    }
                );
                hits.push((c.addr, rest.to_vec(), score, why));
            }
        }

        let total_hits = hits.len();
        let chars = if req.snippet_chars == 0 {
            240
        } else {
            req.snippet_chars
        };
        let hits = hits
            .into_iter()
            .skip(req.offset)
            .take(req.limit)
            .enumerate()
            .map(|(i, (addr, rest, score, why))| {
                let p = self.stored_passage(addr)?;
                let ranges = locate_pinpoint(&p.text, &rest);
                let explanation = req.explain.then(|| format!("{why} → {score:.3}"));
                Ok(Hit::from_passage(
                    p,
                    req.offset + i + 1,
                    score,
                    &ranges,
                    chars,
                    explanation,
                ))
            })
            .collect::<Result<Vec<_>, SearchError>>()?;
        Ok(Route::Routed(SearchResponse {
            query: req.query.clone(),
            total_hits,
            offset: req.offset,
            hits,
            parsed: req.explain.then(|| routing.describe().join("\n")),
            mode: super::mode::Mode::Exact,
            warnings: Vec::new(),
            routing: Some(Box::new(routing)),
        }))
    }

    /// Mentions of instrument `i`: how many other instruments name it in their text by one of
    /// its distinctive aliases (see [`Instruments::distinctive_aliases`]), and in how many
    /// passages. Counting instruments, not passages, keeps one long code that cites its
    /// companion on every page (the Sv citing the Sr) from outweighing citations across the corpus.
    fn mentions(&self, table: &Instruments, i: usize) -> Result<(usize, usize), SearchError> {
        // An index never changes under its engine: each instrument is counted once.
        let counted = self
            .mention_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&i)
            .copied();
        if let Some(n) = counted {
            return Ok(n);
        }
        let n = self.count_mentions(table, i)?;
        self.mention_counts
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(i, n);
        Ok(n)
    }

    fn count_mentions(&self, table: &Instruments, i: usize) -> Result<(usize, usize), SearchError> {
        let f = self.fields().clone();
        let mut planner = self.planner(
            super::mode::Mode::Ranked,
            super::spans::Deadline::new(std::time::Instant::now() + super::DEFAULT_TIMEOUT),
        );
        let mut names: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        for (lang, alias, own_language) in table.distinctive_aliases(i) {
            let mut qs: Vec<Box<dyn Query>> = Vec::new();
            if let Some(q) = planner.text_query(f.text, None, alias, None) {
                qs.push(q);
            }
            let stem = analyzers::STEMMED
                .iter()
                .find(|(c, _)| *c == lang)
                .map(|(c, _)| *c);
            if let Some(code) = stem {
                if let Some(q) = planner.text_query(f.text, Some(code), alias, None) {
                    qs.push(q);
                }
            }
            for q in qs {
                if own_language {
                    let in_lang = TermQuery::new(
                        Term::from_field_text(f.language, lang),
                        IndexRecordOption::Basic,
                    );
                    names.push((
                        Occur::Should,
                        Box::new(BooleanQuery::new(vec![
                            (Occur::Must, q),
                            (Occur::Must, Box::new(in_lang)),
                        ])),
                    ));
                } else {
                    names.push((Occur::Should, q));
                }
            }
        }
        if names.is_empty() {
            return Ok((0, 0));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> =
            vec![(Occur::Must, Box::new(BooleanQuery::new(names)))];
        for d in &table.all[i].docs {
            clauses.push((
                Occur::MustNot,
                Box::new(TermQuery::new(
                    Term::from_field_text(f.doc_id, d),
                    IndexRecordOption::Basic,
                )),
            ));
        }
        let q = BooleanQuery::new(clauses);
        let addrs = self.searcher.search(&q, &DocSetCollector)?;
        let mut citing: HashSet<String> = HashSet::new();
        for addr in &addrs {
            // The doc id from its fast column (decoded at open), not the stored document.
            let d = self.columns[addr.segment_ord as usize]
                .doc_id
                .get(addr.doc_id);
            let who = table.for_doc(&d).map(|x| x.id.clone()).unwrap_or(d);
            citing.insert(who);
        }
        Ok((citing.len(), addrs.len()))
    }
}

/// Byte ranges of the pinpoint's markers in a passage's text (`(2)`, then `(C)` after it), as
/// far as they are found in order.
fn locate_pinpoint(text: &str, rest: &[String]) -> Vec<Range<usize>> {
    let lower = text.to_lowercase();
    if lower.len() != text.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut from = 0;
    for seg in rest {
        let marker = format!("({seg})");
        match lower[from..].find(&marker) {
            Some(i) => {
                out.push(from + i..from + i + marker.len());
                from += i + marker.len();
            }
            None => break,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cited_spans_cover_the_provision_its_qualifiers_and_instrument_names() {
        let words = |q: &str| -> Vec<String> {
            cited_spans(q)
                .into_iter()
                .map(|r| q[r].trim().to_string())
                .collect()
        };
        // A citation: the provision, and the instrument qualifying it.
        let w = words("§ 202a StGB");
        assert!(w.iter().any(|x| x.contains("202a")), "{w:?}");
        assert!(w.contains(&"StGB".to_string()), "{w:?}");
        // No citation (no number): an instrument's name is still one.
        assert_eq!(words("StGB Ausspähen"), ["StGB"]);
        // Plain words are nobody's name.
        assert!(cited_spans("ilegal acess").is_empty());
    }

    #[test]
    fn the_number_precheck_admits_every_digit_the_patterns_read() {
        // `parse` returns early when `may_hold_number` says no: it must say yes to every
        // character a pattern reads as a digit.
        let digit = Regex::new(r"^\d$").unwrap();
        let cjk = Regex::new(&format!("^{CJK_NUM}$")).unwrap();
        let mut buf = [0u8; 4];
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let s = c.encode_utf8(&mut buf);
            if digit.is_match(s) || cjk.is_match(s) {
                assert!(may_hold_number(s), "{c:?} (U+{:04X})", c as u32);
            }
        }
        assert!(!may_hold_number("illegal access"));
        assert!(parse("illegal access").is_none());
        assert_eq!(core("第二百八十五条").number, "285");
    }

    fn core(q: &str) -> CitationCore {
        parse(q).unwrap_or_else(|| panic!("{q} is a citation")).core
    }

    fn instruments(q: &str) -> Vec<String> {
        parse(q)
            .unwrap()
            .qualifiers
            .iter()
            .flat_map(|x| x.ids.clone())
            .collect()
    }

    #[test]
    fn designators_numbers_and_pinpoints() {
        let c = core("§ 202a");
        assert_eq!(
            (c.kind, c.number.as_str()),
            (Some(Designator::Paragraph), "202a")
        );
        let c = core("18 U.S.C. § 1030(a)(2)(C)");
        assert_eq!(c.number, "1030");
        assert_eq!(c.pinpoint, ["a", "2", "c"]);
        let c = core("1030(a)(2)(C)");
        assert_eq!((c.kind, c.pinpoint.len()), (None, 3));
        assert_eq!(core("Art. 154-A").number, "154a");
        assert_eq!(core("art. 323-3-1").number, "323-3-1");
        assert_eq!(core("Статья 272.1").kind, Some(Designator::Article));
        assert_eq!(core("ст. 272.1").number, "272.1");
        assert_eq!(core("Section 14").kind, Some(Designator::Section));
        assert_eq!(core("s. 3LA").number, "3la");
        assert_eq!(core("Artikel 138ab").number, "138ab");
        assert_eq!(core("المادة ٢").number, "2");
        let c = core("§ 202a Abs. 1");
        assert_eq!(
            (c.number.as_str(), c.pinpoint.as_slice()),
            ("202a", &["1".to_string()][..])
        );
        assert_eq!(core("art. 138ab lid 2").pinpoint, ["2"]);
    }

    #[test]
    fn cjk_and_korean_numbers() {
        let c = core("第二百八十五条");
        assert_eq!(
            (c.number.as_str(), c.script_langs.as_slice()),
            ("285", &["zh", "ja"][..])
        );
        assert_eq!(core("第3条").number, "3");
        assert_eq!(core("第二百八十六条之一").number, "286-1");
        assert_eq!(core("第百六十八条の二").number, "168-2");
        assert_eq!(core("第二百八十五条第一款").pinpoint, ["1"]);
        let c = core("제48조의2");
        assert_eq!(
            (c.number.as_str(), c.script_langs.as_slice()),
            ("48-2", &["ko"][..])
        );
    }

    #[test]
    fn instruments_in_any_order_around_the_number() {
        for q in [
            "Art. 2 Budapest",
            "Budapest Art. 2",
            "article 2 of the Budapest Convention",
            "Art. 2 ETS 185",
            "ETS No. 185, Art. 2",
        ] {
            assert_eq!(core(q).number, "2", "{q}");
            assert_eq!(instruments(q), ["budapest"], "{q}");
        }
        for q in ["§ 202a StGB", "StGB § 202a", "202a StGB"] {
            assert_eq!(core(q).number, "202a", "{q}");
            assert_eq!(instruments(q), ["stgb"], "{q}");
        }
        assert_eq!(instruments("Art. 272 УК РФ"), ["uk-rf"]);
        assert_eq!(instruments("ст. 272 УК РФ"), ["uk-rf"]);
        assert_eq!(instruments("art. 323-1 du Code pénal"), ["code-penal"]);
        assert_eq!(instruments("Sv art. 125k"), ["sv"]);
        let mut xf = instruments("刑法第二百八十五条");
        xf.sort();
        assert_eq!(xf, ["cn-criminal-law", "jp-penal-code"]);
        assert_eq!(core("刑法第二百八十五条").number, "285");
        assert_eq!(instruments("Section 14 Kenya"), ["KE"]);
        assert_eq!(
            instruments("s. 3 Computer Misuse Act Singapore"),
            ["sg-cma", "ug-cma", "uk-cma", "SG"]
        );
        // A number inside an instrument's name is not the provision.
        assert_eq!(core("Art. 1 Legge 48/2008").number, "1");
        assert_eq!(core("Legge 48/2008 art. 1").number, "1");
        assert_eq!(core("18 U.S.C. § 1030").number, "1030");
    }

    #[test]
    fn designators_written_in_one_language_say_so() {
        assert_eq!(core("Статья 272").script_langs, ["ru"]);
        assert_eq!(core("artigo 154-A").script_langs, ["pt"]);
        assert_eq!(core("المادة 2").script_langs, ["ar"]);
        assert!(core("Art. 2 Budapest").script_langs.is_empty());
        assert_eq!(core("§ 202a").kind, Some(Designator::Paragraph));
        assert!(Designator::Section.accepts(Designator::Paragraph));
        assert!(!Designator::Article.accepts(Designator::Section));
    }

    #[test]
    fn jurisdiction_codes_only_in_capitals() {
        assert_eq!(instruments("s. 3 SG"), ["SG"]);
        // `in` is a connective, not India.
        assert!(instruments("article 2 in the Budapest Convention")
            .iter()
            .all(|i| i == "budapest"));
    }

    #[test]
    fn other_queries_are_not_citations() {
        for q in [
            "illegal access",
            "32",
            "Art der Protokollierung",
            "Art. 2 illegal access",
            "StGB",
            "access w/5 computer",
            "section on illegal access",
            "2001",
        ] {
            assert!(parse(q).is_none(), "{q}");
        }
    }

    #[test]
    fn stored_citations_are_read() {
        assert_eq!(
            passage_provision("18 U.S.C. § 1030(a)"),
            Some((Designator::Paragraph, "1030".into(), vec!["a".into()], None))
        );
        assert_eq!(
            passage_provision("Criminal Code, s. 162.1"),
            Some((
                Designator::Section,
                "162.1".into(),
                vec![],
                Some("Criminal Code".into())
            ))
        );
        assert_eq!(passage_provision("Art. 1º").unwrap().1, "1");
        assert_eq!(passage_provision("Art. 154-A").unwrap().1, "154a");
        assert_eq!(passage_provision("Sec. 4").unwrap().0, Designator::Section);
        assert_eq!(passage_provision("art. 32").unwrap().0, Designator::Article);
        let def = passage_provision("s. 2 (“asset”)").unwrap();
        assert_eq!((def.1.as_str(), def.2.len()), ("2", 1));
        assert_eq!(passage_provision("Preamble"), None);
        assert_eq!(passage_provision("§ A.1"), None);
        assert_eq!(passage_provision("¶ 4").unwrap().0, Designator::Prose);
    }

    #[test]
    fn number_variants() {
        assert_eq!(normalize_number("154-A"), "154a");
        assert_eq!(normalize_number("323-3-1"), "323-3-1");
        assert_eq!(normalize_number("1º"), "1");
        assert_eq!(normalize_number("２８５"), "285");
        assert!(key_variants("154a").contains(&"154-a".to_string()));
        assert!(key_variants("1").contains(&"1º".to_string()));
    }

    #[test]
    fn pinpoint_markers_are_located_in_order() {
        let text = "(a) Whoever (1) does one thing (2) or another, (A) first (B) second (C) third";
        let r = locate_pinpoint(text, &["2".into(), "c".into()]);
        assert_eq!(r.len(), 2);
        assert_eq!(&text[r[0].clone()], "(2)");
        assert_eq!(&text[r[1].clone()], "(C)");
    }
}
