//! The bodies of cyberlex's fuzz targets, one function per parser.
//!
//! Each takes arbitrary bytes, runs one parser and checks what must hold for any input: no panic,
//! and the parser's own contract (a printed query parses back to the same tree; extracted blocks
//! are single-line, headings at levels 1 to 6; segmentation loses nothing it counts). The
//! `fuzz_targets/*.rs` binaries hand them to libFuzzer; `tests/hardening.rs` includes this file
//! (`#[path]`) and runs the same bodies on random and hostile input in the normal test suite.
#![allow(dead_code)]

use std::sync::OnceLock;

use cyberlex::corpus::{Format, Source};
use cyberlex::extract::{self, Block, BlockKind, Document, ExtractError};
use cyberlex::search::query;
use cyberlex::segment::{self, Profiles};

/// The query parser: never panics; a query that parses prints to a query that parses back to the
/// same tree (when the printed form is within the length limit; `&` prints as ` AND `).
pub fn query(data: &[u8]) {
    let Ok(q) = std::str::from_utf8(data) else {
        return;
    };
    match query::parse(q) {
        Ok(node) => {
            let printed = node.to_string();
            if printed.len() <= query::MAX_QUERY_BYTES {
                match query::parse(&printed) {
                    Ok(again) => assert_eq!(again, node, "{q:?} printed as {printed:?}"),
                    Err(e) => panic!("{q:?} printed as {printed:?}, which does not parse: {e}"),
                }
            }
            let _ = query::explain_tree(&node);
        }
        Err(e) => {
            assert!(e.position <= q.chars().count(), "{q:?}: {e:?}");
            let _ = e.pointer(q);
            let _ = e.to_string();
        }
    }
}

fn profiles() -> &'static Profiles {
    static P: OnceLock<Profiles> = OnceLock::new();
    P.get_or_init(Profiles::builtin)
}

fn profile_names() -> &'static [String] {
    static N: OnceLock<Vec<String>> = OnceLock::new();
    N.get_or_init(|| {
        let mut v: Vec<String> = profiles().names().map(str::to_string).collect();
        v.sort();
        v
    })
}

/// An invented source of `format`, segmented with `profile` (the format's default when `None`).
pub fn source(format: Format, profile: Option<&str>) -> Source {
    Source {
        id: "xx-fuzz".into(),
        url: "https://example.org/fuzz".into(),
        canonical_url: None,
        title: "Invented Fuzz Act".into(),
        kind: "national-law".into(),
        jurisdiction: "XX".into(),
        language: "en".into(),
        date: Some("2020".into()),
        format,
        bytes: None,
        sha256: None,
        license: None,
        complete: None,
        bulk: false,
        profile: profile.map(str::to_string),
        passage_url: None,
        allow_hosts: vec![],
    }
}

fn check_blocks(doc: &Document) {
    for b in &doc.blocks {
        if b.kind == BlockKind::Heading {
            assert!(
                (1..=6).contains(&b.level),
                "heading level {}: {b:?}",
                b.level
            );
        }
        if b.kind != BlockKind::TableRow {
            assert!(
                !b.text.contains('\n'),
                "newline in a {:?}: {:?}",
                b.kind,
                b.text
            );
        }
    }
}

/// Segment `doc` as a source of `format` and check the segmentation's own bookkeeping.
fn check_segmentation(format: Format, profile: Option<&str>, doc: &Document) {
    let src = source(format, profile);
    let s = segment::segment(&src, doc, profiles());
    let mut ids = std::collections::HashSet::new();
    for p in &s.passages {
        assert!(
            ids.insert(p.passage_id.as_str()),
            "duplicate passage id {}",
            p.passage_id
        );
        assert!(!p.text.trim().is_empty(), "empty passage {}", p.passage_id);
    }
    assert!(s.coverage().is_finite());
}

fn extracted(format: Format, r: Result<Document, ExtractError>) {
    match r {
        Ok(doc) => {
            check_blocks(&doc);
            check_segmentation(format, None, &doc);
        }
        Err(e) => {
            let _ = e.to_string();
        }
    }
}

/// Longest time one input may take in a fuzz body, in CPU time of the thread that runs it
/// (`cargo fuzz run T -- -timeout=10 -rss_limit_mb=2048` adds a wall-clock backstop against a
/// true hang, and a bound on memory). CPU time, not wall time: on a loaded machine a fuzzer
/// that waits for a core must not report the parser as slow.
pub const TIME_PER_INPUT: std::time::Duration = std::time::Duration::from_secs(2);

/// CPU time used by the calling thread so far.
fn thread_cpu_time() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is always supported
    // on Linux, and on failure `ts` stays zero (the bound is then not checked).
    unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

fn timed<T>(what: &str, data: &[u8], f: impl FnOnce() -> T) -> T {
    let t = thread_cpu_time();
    let r = f();
    let d = thread_cpu_time().saturating_sub(t);
    assert!(
        d <= TIME_PER_INPUT,
        "{what} took {d:?} of CPU on {} bytes, over the {TIME_PER_INPUT:?} per input",
        data.len()
    );
    r
}

/// Markdown inline markup alone (links, tags, entities, emphasis, templates): linear time.
pub fn markdown_inline(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let out = timed("markdown inline", data, || extract::markdown::inline(&s));
    assert!(!out.contains('\n'), "{out:?}");
    assert_eq!(out, extract::collapse_ws(&out), "not whitespace-collapsed");
}

/// Proximity connectors: the first line is a query, the rest a text (at most 4 KiB, 8 words in
/// the query); the matcher's spans lie inside the text and the whole run stays within its time.
pub fn proximity(data: &[u8]) {
    let s = String::from_utf8_lossy(data);
    let (q, text) = s.split_once('\n').unwrap_or((&s, ""));
    if q.split_whitespace().count() > 8 || text.len() > 4096 {
        return;
    }
    let Ok(node) = query::parse(q) else { return };
    let expansions = Default::default();
    timed("proximity", data, || {
        let mut m = cyberlex::search::highlight::Matcher {
            analysis: cyberlex::search::highlight::TextAnalysis::new("en"),
            expansions: &expansions,
        };
        let a = m.analysis.analyze(text);
        for r in m.highlight(&node, &a, text) {
            assert!(
                r.start <= r.end && r.end <= text.len(),
                "{r:?} outside the text"
            );
        }
        let _ = m.satisfies(&node, &a);
        let _ = m.min_window(&node, &a);
    });
}

pub fn markdown(data: &[u8]) {
    extracted(
        Format::Markdown,
        extract::markdown::extract("xx-fuzz", data),
    );
}

pub fn html(data: &[u8]) {
    extracted(Format::Html, extract::html::extract("xx-fuzz", data));
}

pub fn xml(data: &[u8]) {
    extracted(Format::Xml, extract::xml::extract("xx-fuzz", data));
}

pub fn json(data: &[u8]) {
    extracted(Format::Json, extract::json::extract("xx-fuzz", data));
}

pub fn text(data: &[u8]) {
    extracted(Format::Text, extract::text::extract("xx-fuzz", data));
}

/// PDF: the bytes as a file, and the page layout heuristics on the bytes as one page of text.
pub fn pdf(data: &[u8]) {
    // The PDF extractor catches the panics of pdf-extract (`catch_unwind`: a panic there is a
    // refused document, its contract). libfuzzer-sys's panic hook aborts on every panic, caught
    // or not; the default hook is put back so only a panic that escapes the extractor aborts
    // (libfuzzer-sys still catches that one and reports it as a crash).
    static DEFAULT_HOOK: OnceLock<()> = OnceLock::new();
    DEFAULT_HOOK.get_or_init(|| drop(std::panic::take_hook()));
    let mut bytes = b"%PDF-1.4\n".to_vec();
    bytes.extend_from_slice(data);
    timed("pdf", data, || {
        extracted(Format::Pdf, extract::pdf::extract("xx-fuzz", &bytes));
        extracted(Format::Pdf, extract::pdf::extract("xx-fuzz", data));
    });
    let _ = extract::pdf::gstate_depth(data);
    let page = String::from_utf8_lossy(data);
    let doc = Document {
        blocks: extract::pdf::page_blocks(&page),
        ..Document::default()
    };
    check_blocks(&doc);
    check_segmentation(Format::Pdf, None, &doc);
}

/// Bulk archives: the raw bytes, and the bytes gzipped (so the fuzzer reaches the tar layer), with
/// small limits so a bomb is refused fast.
pub fn archive(data: &[u8]) {
    let check = |r: Result<Vec<Document>, ExtractError>| {
        if let Ok(docs) = r {
            for d in &docs {
                check_blocks(d);
            }
        }
    };
    check(extract::archive::extract_with_limits(
        "xx-fuzz",
        data,
        1 << 20,
        4 << 20,
    ));
    let gz = gzip_stored(data);
    check(extract::archive::extract_with_limits(
        "xx-fuzz",
        &gz,
        1 << 20,
        4 << 20,
    ));
}

fn gzip_stored(data: &[u8]) -> Vec<u8> {
    // A stored (uncompressed) gzip member: header, deflate stored blocks, CRC32, size.
    let mut out = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    let mut chunks = data.chunks(0xffff).peekable();
    if chunks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }
    while let Some(c) = chunks.next() {
        out.push(u8::from(chunks.peek().is_none()));
        let len = c.len() as u16;
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(c);
    }
    out.extend_from_slice(&crc32(data).to_le_bytes());
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out
}

fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// Segmentation: the bytes as lines of blocks (`#`… heading, `-` list item, `|` table row, else a
/// paragraph; a line `@lang` sets the language of the next block), segmented with the profile the
/// first byte picks.
pub fn segment(data: &[u8]) {
    let Some((&pick, rest)) = data.split_first() else {
        return;
    };
    let names = profile_names();
    let name = (pick % 8 != 0).then(|| names[pick as usize % names.len()].as_str());
    let text = String::from_utf8_lossy(rest);
    let mut blocks = Vec::new();
    let mut lang = None;
    for line in text.lines() {
        if let Some(l) = line.strip_prefix('@') {
            lang = Some(l.chars().take(8).collect::<String>());
            continue;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        let mut b = if hashes > 0 {
            Block::heading(hashes.min(6) as u8, extract::collapse_ws(&line[hashes..]))
        } else if let Some(t) = line.strip_prefix('-') {
            Block::new(BlockKind::ListItem, 1, extract::collapse_ws(t))
        } else if let Some(t) = line.strip_prefix('|') {
            Block::new(BlockKind::TableRow, 0, t.trim())
        } else {
            Block::paragraph(extract::collapse_ws(line))
        };
        b.lang = lang.take();
        blocks.push(b);
    }
    let doc = Document {
        blocks,
        ..Document::default()
    };
    check_segmentation(Format::Markdown, name, &doc);
}
