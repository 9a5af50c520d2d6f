//! Structural checks over the passages of the whole real corpus, for ANY source.
//!
//! The golden test pins what each source yields; this one says whether what it yields is a sane
//! unit a lawyer can cite: no heading stranded at the end of a passage, numbering that neither goes
//! backwards nor repeats, no `¶ N` among provisions, no passage that is a heading alone, no table of
//! contents, no text repeated within a passage, no markup or U+FFFD left in text, no oversized
//! passage. A violation that is right for its source (an amending Act's sections quote the
//! amended Code's numbers, which go backwards) is listed in `tests/structure-exceptions.toml`
//! with its reason; an exception that no longer matches anything is stale and fails too.
//!
//! `CYBERLEX_STRUCTURE_REPORT=1 cargo test --test structure -- --nocapture` prints every violation
//! and the count per check.

mod util;

use std::collections::{BTreeMap, HashMap, HashSet};

use cyberlex::corpus::Manifest;
use cyberlex::crawl::{self, CrawlOptions};
use cyberlex::segment::{Passage, Profiles, MAX_PASSAGE_BYTES};
use regex::Regex;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
struct Exceptions {
    exception: Vec<Exception>,
}

/// One reviewed violation: `source` + `check`, and the citation it concerns (`*`: every passage of
/// the source), with the reason it is right.
#[derive(Debug, Deserialize)]
struct Exception {
    source: String,
    check: String,
    citation: String,
    reason: String,
    /// A known defect not fixed yet (not a reviewed "this is right").
    #[serde(default)]
    open: bool,
}

#[derive(Debug, Clone)]
struct Violation {
    source: String,
    check: &'static str,
    citation: String,
    detail: String,
}

const CHECKS: &[&str] = &[
    "stranded-heading",
    "numbering",
    "paragraph-among-provisions",
    "heading-alone",
    "table-of-contents",
    "repeated-text",
    "markup",
    "replacement-char",
    "oversized",
];

/// `¶ N` and the front text (`Preamble`) are not numbered provisions.
fn is_provision(p: &Passage) -> bool {
    !p.citation.starts_with('¶') && p.citation.chars().any(|c| c.is_ascii_digit())
}

/// A line that reads as a caption: short, starts with a capital, no closing punctuation.
fn heading_like(line: &str) -> bool {
    let l = line.trim();
    let n = l.chars().count();
    if !(4..=160).contains(&n) || l.split_whitespace().count() > 25 {
        return false;
    }
    let first = l.chars().next().unwrap();
    let last = l.chars().last().unwrap();
    first.is_uppercase() && !".,;:—–-)(]…!?\"'’”»|0123456789".contains(last) && !l.contains(". ")
}

/// The sort key of a provision's number: `478.1` → [478, 1], `3LA` → [3] + `la`.
fn number_key(citation: &str) -> Option<(String, Vec<u64>, String)> {
    static RE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let re = RE.get_or_init(|| {
        Regex::new(r"^(?P<pre>[^\d]*?)(?P<num>\d+(?:\.\d+)*)(?:-?(?P<suf>[A-Za-z]{1,3}|\d+))?")
            .unwrap()
    });
    let c = re.captures(citation)?;
    let nums = c["num"]
        .split('.')
        .map(|x| x.parse().unwrap_or(0))
        .collect();
    let suf = c
        .name("suf")
        .map(|m| m.as_str().to_lowercase())
        .unwrap_or_default();
    Some((c["pre"].trim().to_string(), nums, suf))
}

fn check_document(source: &str, passages: &[&Passage], out: &mut Vec<Violation>) {
    static MARKUP: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let markup = MARKUP.get_or_init(|| {
        Regex::new(
            r"(?m)^#{1,6}\s|#{2,}|</?[a-zA-Z][a-zA-Z0-9]*(?:\s[^<>]*)?/?>|&(?:amp|lt|gt|quot|apos|nbsp|#\d+|#x[0-9a-fA-F]+);|\\(?:math|frac|text)[a-z]*\{|\*\*\S",
        )
        .unwrap()
    });
    static TOC_LINE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let toc_line = TOC_LINE.get_or_init(|| {
        Regex::new(
            r"^(?:(?i:section|article|art\.?|artikel|§|s\.|sec\.|chapter|part|regulation)\s*)?\d+[A-Z]{0,3}(?:\.\d+)?\.?\s+\S.{0,150}$",
        )
        .unwrap()
    });
    static DOTS: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let dots = DOTS.get_or_init(|| Regex::new(r"(?:\.\s?){6,}|…{3,}|_{6,}").unwrap());
    static INLINE_TOC: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let inline_toc =
        INLINE_TOC.get_or_init(|| Regex::new(r"(?:^|\s)(\d{1,3})[A-Z]{0,2}\.\s+\p{Lu}").unwrap());
    static TOC_TITLE: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let toc_title = TOC_TITLE.get_or_init(|| {
        Regex::new(r"(?i)arrangement of (?:sections|clauses)|table of contents|\bcontents\b|inhaltsübersicht|inhaltsverzeichnis|sommaire|table des matières|índice|inhoudsopgave|目次|目录|목차").unwrap()
    });
    static REPEALED: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let repealed_re = REPEALED.get_or_init(|| {
        Regex::new(r"(?i)^\W*(?:weggefallen|vervallen|repealed|omitted|abrogé|revogado|derogado|削除|삭제|утратила? силу)").unwrap()
    });
    let mut v = |check: &'static str, p: &Passage, detail: String| {
        out.push(Violation {
            source: source.to_string(),
            check,
            citation: p.citation.clone(),
            detail,
        })
    };
    // Streams: one per language, in document order.
    let mut langs: Vec<&str> = Vec::new();
    for p in passages {
        if !langs.contains(&p.language.as_str()) {
            langs.push(&p.language);
        }
    }
    for lang in langs {
        let stream: Vec<&Passage> = passages
            .iter()
            .copied()
            .filter(|p| p.language == lang)
            .collect();
        let mut seen_citations: HashSet<&str> = HashSet::new();
        let mut last_key: HashMap<String, (Vec<u64>, String, String)> = HashMap::new();
        let mut seen_provision = false;
        for (i, p) in stream.iter().enumerate() {
            let text = p.text.trim();
            let lines: Vec<&str> = text
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .collect();
            // A heading stranded at the end: the last line is the next passage's caption, or reads
            // as one while the next provision has none.
            if let (Some(next), true) = (stream.get(i + 1), lines.len() >= 2) {
                let last = *lines.last().unwrap();
                let nh = next.heading.trim();
                let same =
                    !nh.is_empty() && (last == nh || (last.len() >= 12 && nh.starts_with(last)));
                let orphan = nh.is_empty() && is_provision(next) && heading_like(last);
                if same || orphan {
                    v(
                        "stranded-heading",
                        p,
                        format!("ends with {last:?}; next {} {nh:?}", next.citation),
                    );
                }
            }
            // Numbering: within a document and language, provisions go forwards and never repeat.
            if is_provision(p) {
                if !seen_citations.insert(p.citation.as_str()) {
                    v("numbering", p, "citation repeats".into());
                } else if let Some((pre, nums, suf)) = number_key(&p.citation) {
                    if let Some((pn, ps, pc)) = last_key.get(&pre) {
                        // Suffixes are not compared: their orders differ (`77z`, `77za`, `77aa`;
                        // `38x`, `38ij`; `80ter`, `80quater`).
                        let _ = (&suf, ps);
                        if nums < *pn && !p.citation.starts_with(pc.as_str()) {
                            v("numbering", p, format!("after {pc}"));
                        }
                    }
                    last_key.insert(pre, (nums, suf, p.citation.clone()));
                }
                seen_provision = true;
            } else if seen_provision && p.citation.starts_with('¶') {
                v(
                    "paragraph-among-provisions",
                    p,
                    format!("{:?}", first_words(text)),
                );
            }
            // A heading alone: the text is only the caption, the label or one caption-like line.
            let h = p.heading.trim();
            // A repealed unit is rightly only its marker (`(weggefallen)`, `Vervallen per …`).
            let repealed = repealed_re.is_match(text);
            if !repealed
                && (text == h
                    || text == p.label.trim()
                    || text == p.citation.trim()
                    || (lines.len() == 1 && heading_like(text)))
            {
                v("heading-alone", p, format!("{:?}", first_words(text)));
            }
            // A table of contents: many numbered caption lines, or dot leaders.
            let toc = lines
                .iter()
                .filter(|l| toc_line.is_match(l) && !l.ends_with(['.', ';', ',', ':']))
                .count();
            // … or numbered captions run together on one line (`1. Short title 2. Interpretation`).
            let entries: Vec<usize> = inline_toc
                .captures_iter(text)
                .filter_map(|c| c[1].parse().ok())
                .collect();
            let ascending = entries.windows(2).filter(|w| w[1] == w[0] + 1).count();
            let titled = toc_title.is_match(text);
            if (toc >= 6 && toc * 5 >= lines.len() * 2)
                || dots.find_iter(text).count() >= 3
                || (ascending >= 8 && text.len() / entries.len().max(1) < 80)
                || (titled && (toc >= 4 || ascending >= 4))
            {
                v(
                    "table-of-contents",
                    p,
                    format!("{toc} of {} lines", lines.len()),
                );
            }
            // Text repeated within a passage.
            let mut sentences: HashSet<String> = HashSet::new();
            for s in text.split(['.', ';', '\n', '。', '；']) {
                let s: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
                if s.chars().count() >= 60 && !sentences.insert(s.clone()) {
                    v("repeated-text", p, format!("{:?}", first_words(&s)));
                    break;
                }
            }
            if let Some(m) = markup.find(&p.text).or_else(|| markup.find(&p.heading)) {
                v("markup", p, format!("{:?}", m.as_str()));
            }
            if p.text.contains('\u{FFFD}') || p.heading.contains('\u{FFFD}') {
                v("replacement-char", p, String::new());
            }
            if p.text.len() > MAX_PASSAGE_BYTES {
                v("oversized", p, format!("{} bytes", p.text.len()));
            }
        }
    }
}

fn first_words(s: &str) -> String {
    s.chars().take(70).collect()
}

#[test]
fn every_passage_of_the_corpus_is_a_sound_unit() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let report = std::env::var_os("CYBERLEX_STRUCTURE_REPORT").is_some();
    let exceptions: Exceptions = toml::from_str(
        &std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/structure-exceptions.toml"),
        )
        .unwrap(),
    )
    .expect("tests/structure-exceptions.toml parses");
    for e in &exceptions.exception {
        assert!(
            CHECKS.contains(&e.check.as_str()),
            "unknown check {:?}",
            e.check
        );
        assert!(
            e.reason.len() >= 10,
            "{}/{}: an exception needs a reason",
            e.source,
            e.check
        );
    }
    let manifest = Manifest::builtin();
    let profiles = Profiles::builtin();
    let opts = CrawlOptions::with_mirror(mirror.clone());
    let mut violations = Vec::new();
    // Measuring another build (the passages `cyberlex export` wrote): its counts, no verdict.
    if let Some(file) = std::env::var_os("CYBERLEX_STRUCTURE_PASSAGES") {
        let text = std::fs::read_to_string(&file).unwrap();
        let all: Vec<Passage> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let mut docs: Vec<(&str, Vec<&Passage>)> = Vec::new();
        for p in &all {
            match docs.last_mut() {
                Some((d, ps)) if *d == p.doc_id => ps.push(p),
                _ => docs.push((&p.doc_id, vec![p])),
            }
        }
        for (doc, ps) in docs {
            let source = doc.split('/').next().unwrap();
            check_document(source, &ps, &mut violations);
        }
        let mut counts: BTreeMap<&str, usize> = CHECKS.iter().map(|c| (*c, 0)).collect();
        for v in &violations {
            *counts.get_mut(v.check).unwrap() += 1;
            if report {
                eprintln!("{} {} [{}] {}", v.check, v.source, v.citation, v.detail);
            }
        }
        eprintln!("{counts:#?}");
        return;
    }
    let dump =
        std::env::var_os("CYBERLEX_STRUCTURE_DUMP").map(|f| std::fs::File::create(f).unwrap());
    for source in manifest.sources.iter().filter(|s| !s.bulk) {
        let Some(path) = crawl::mirror_path(&mirror, &source.url) else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        let fetched = crawl::fetch(source, &opts).expect("mirror file readable");
        let docs = cyberlex::pipeline::passages_of(source, &fetched.bytes, &profiles)
            .unwrap_or_else(|e| panic!("{}: {e}", source.id));
        for d in &docs {
            if let Some(mut f) = dump.as_ref() {
                use std::io::Write as _;
                for p in &d.passages {
                    writeln!(f, "{}", serde_json::to_string(p).unwrap()).unwrap();
                }
            }
            let ps: Vec<&Passage> = d.passages.iter().collect();
            check_document(&source.id, &ps, &mut violations);
        }
    }
    let open = exceptions.exception.iter().filter(|e| e.open).count();
    eprintln!(
        "{open} of {} exceptions are open defects",
        exceptions.exception.len()
    );
    let mut used = vec![false; exceptions.exception.len()];
    let mut counts: BTreeMap<&str, (usize, usize)> = CHECKS.iter().map(|c| (*c, (0, 0))).collect();
    let mut unexpected = Vec::new();
    for v in &violations {
        let hit = exceptions.exception.iter().position(|e| {
            e.source == v.source
                && e.check == v.check
                && (e.citation == "*" || e.citation == v.citation)
        });
        let c = counts.get_mut(v.check).unwrap();
        c.0 += 1;
        match hit {
            Some(i) => used[i] = true,
            None => {
                c.1 += 1;
                unexpected.push(v.clone());
            }
        }
        if report {
            let mark = if hit.is_some() {
                "excepted"
            } else {
                "VIOLATION"
            };
            eprintln!(
                "{mark} {} {} [{}] {}",
                v.check, v.source, v.citation, v.detail
            );
        }
    }
    eprintln!("check                       found  unexcepted");
    for (c, (n, u)) in &counts {
        eprintln!("{c:<27} {n:>5}  {u:>5}");
    }
    let stale: Vec<String> = exceptions
        .exception
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(e, _)| format!("{} {} [{}]", e.source, e.check, e.citation))
        .collect();
    assert!(
        stale.is_empty(),
        "stale exceptions (nothing matches them any more): {stale:#?}"
    );
    let shown: Vec<String> = unexpected
        .iter()
        .take(60)
        .map(|v| format!("{} {} [{}] {}", v.check, v.source, v.citation, v.detail))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} structural violations (first {}):\n{}",
        unexpected.len(),
        shown.len(),
        shown.join("\n")
    );
}
