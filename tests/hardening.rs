//! Hardening: the fuzz targets' bodies on random and hostile input, builds killed with SIGKILL at
//! every stage, searches running while a rebuild swaps the index, a build over hostile documents,
//! and hostile queries. Every input here is written by the test; none is corpus text.

mod util;

#[path = "../fuzz/src/lib.rs"]
mod fuzz_bodies;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use cyberlex::search::query;
use cyberlex::search::{Engine, SearchRequest};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cyberlex")
}

// ---------------------------------------------------------------------------------------------
// Fuzz bodies on random input (the same functions the cargo-fuzz targets call)

/// xorshift64*: deterministic, seeded per target.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One mutation of `input`: flip, insert a byte or a dictionary token, delete, duplicate or
/// truncate a range, splice in another seed.
fn mutate(rng: &mut Rng, input: &mut Vec<u8>, dict: &[&[u8]], seeds: &[&[u8]]) {
    let len = input.len();
    match rng.below(8) {
        0 if len > 0 => {
            let i = rng.below(len);
            input[i] ^= 1 << rng.below(8);
        }
        1 => {
            let i = rng.below(len + 1);
            input.insert(i, rng.next() as u8);
        }
        2 | 3 => {
            let tok = dict[rng.below(dict.len())];
            let i = rng.below(len + 1);
            input.splice(i..i, tok.iter().copied());
        }
        4 if len > 0 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(16)).min(len);
            input.drain(a..b);
        }
        5 if len > 0 && len < 1 << 16 => {
            let a = rng.below(len);
            let b = (a + 1 + rng.below(64)).min(len);
            let chunk: Vec<u8> = input[a..b].to_vec();
            let at = rng.below(len + 1);
            input.splice(at..at, chunk);
        }
        6 if len > 0 => input.truncate(rng.below(len)),
        _ => {
            let s = seeds[rng.below(seeds.len())];
            let i = rng.below(len + 1);
            let a = rng.below(s.len());
            input.splice(i..i, s[a..].iter().copied());
        }
    }
}

/// Run `body` on mutations of `seeds` for `budget`; return the number of executions. A panic
/// fails the test with the input that caused it.
fn fuzz_loop(
    name: &str,
    seed: u64,
    budget: Duration,
    seeds: &[&[u8]],
    dict: &[&[u8]],
    body: fn(&[u8]),
) -> usize {
    let mut rng = Rng(seed | 1);
    let start = Instant::now();
    let mut execs = 0;
    while start.elapsed() < budget {
        let mut input = seeds[rng.below(seeds.len())].to_vec();
        for _ in 0..1 + rng.below(6) {
            mutate(&mut rng, &mut input, dict, seeds);
        }
        input.truncate(1 << 16);
        if let Err(panic) = std::panic::catch_unwind(|| body(&input)) {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            let shown = String::from_utf8_lossy(&input[..input.len().min(2000)]).into_owned();
            panic!("fuzz target {name} panicked after {execs} executions: {msg}\ninput: {shown:?}");
        }
        execs += 1;
    }
    eprintln!("fuzz {name}: {execs} executions in {:?}", start.elapsed());
    execs
}

/// Seconds per target: `CYBERLEX_FUZZ_SECS` (default 1.5).
fn fuzz_budget() -> Duration {
    let secs = std::env::var("CYBERLEX_FUZZ_SECS")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(1.5);
    Duration::from_secs_f64(secs)
}

const INVALID_UTF8: &[u8] = b"\xff\xfe\x80\xc3\x28\xe2\x82\xf0\x9f\x98";

#[test]
fn fuzz_query_parser() {
    let seeds: &[&[u8]] = &[
        b"illegal access",
        b"(access OR entry) w/3 system -fraud",
        b"heading:access AND \"illegal access\"~5 pre/2 data!",
        b"interfer* /s password NOT (a b) & c | d",
        b"1030(a)(2) 154-A citation:202a lang:de jurisdiction:DE",
        "«Daten» “x y” 不正アクセス §".as_bytes(),
    ];
    let dict: &[&[u8]] = &[
        b" AND ",
        b" OR ",
        b" NOT ",
        b" -",
        b"(",
        b")",
        b"\"",
        b"~3",
        b" w/5 ",
        b" pre/2 ",
        b" /s ",
        b" /p ",
        b"!",
        b"*",
        b"?",
        b"heading:",
        b"text:",
        b"kind:",
        b"&",
        b"|",
        b" ",
        b"\xe2\x80\x9c",
        b"NOT NOT",
        b"w/",
        b"(a)",
    ];
    let n = fuzz_loop("query", 1, fuzz_budget(), seeds, dict, fuzz_bodies::query);
    assert!(n > 100);
}

/// Inputs the fuzz runs found (issue 17, item 6), kept as they were written to disk: each once
/// made a body fail.
#[test]
fn fuzz_findings_stay_fixed() {
    // segment, 2026-12-01 (profile pk-peca-md, 4.7 M executions in): a line read as a lost
    // section's caption (`unnumbered`, renumber.rs) with nothing after it became a passage with
    // an empty text.
    let segment_empty_passage: &[u8] = b"\x57\xf5\x76\x3d\x76\xff\xe4\xff\x0a\x8b\x0a\x3e\x8b\x23\x8b\x0a\x23\x8b\x0a\x23\x8e\x29\x8e\x0a\x00\x8b\x23\x8b\x0a\x23\x8b\x0a\x23\x30\x2e\x4a\x00\x00\x00\xf3\x2e\x27\x2e\x2e\xff\x8b\x0a\x23\x8b\x23\x8b\x0a\x23\x8b\x0a\x0a\x84\x00\x03\x35\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\x2e\x2e\x2e\xaa\xff\x8b\x0a\x23\x8b\x0a\x23\x8e\x29\x8e\x0a\x00\x03\x57\xf5\xff\x34\x8b\x0a\x3d\x0a\x4a\x72\x58\x58\x0a\x4a\x69\x69\x69\x0a\x9f\x0a\x23\x8e\x29\x8e\x0a\x00\x03\x35\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\xf3\xff\x30\x3d\x02\x8b\xff\x17\xff\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x35\x2e\xf3\xc3\xb5\xfe\x27\x00\xff\x30\x3d\x02\x8b\x01\x00\xbc\x2e\xfe\xff\x00\x02\xff\x31\xff\xff\x8b\x0a\xff\xff\x17\x63\x8b\x8b\xff";
    fuzz_bodies::segment(segment_empty_passage);
    // segment, 2026-12-01 (the same profile, 71 k executions into the next run): a section number
    // `666666660` read from noise made a gap of 666 million free numbers, collected (2.6 GB).
    let segment_huge_gap: &[u8] = b"\x57\xf5\x60\x3d\x76\xff\xe4\xff\x0a\x8b\x0a\x3e\x8b\x23\x8b\x23\x0a\x03\x8b\x23\x8e\x29\x8e\x0a\x00\x03\x57\xf5\x76\x3d\x76\xff\xe4\xff\x0a\x8b\x0a\x3e\x8b\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\xe7\x23\x8b\x0a\x23\x8b\x0a\x23\x8e\x29\x8e\x0a\x00\x03\x30\x2e\x2e\x2e\xf3\x23\x8b\x0a\x23\x8b\x0a\x23\x8e\x29\x8e\x0a\x00\x03\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xb5\xfe\x27\x2e\x20\x30\x3d\x02\x0b\x01\x00\x00\x00\x2e\xf3\xc3\xb5\xfe\x27\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\x00\x03\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xb5\xfe\x27\x2e\x20\x30\x3d\x02\x0b\x01\x00\x00\x00\x2e\xf3\xc3\xb5\xfe\x27\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x32\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\xfe\x27\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x32\x32\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf0\xff\xff\xff\xff\xff\xff\x7f\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x08\x00\x00\x00\x00\x00\x00\x00\x30\x3d\x02\x8b\x23\x0a\x30\x47\x2e\xf3\xc3\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\x0a\x00\x30\x3d\x02\x8b\x0a\x23\x33\x0e\xf3\xc3\xff\xff\x30\x2e\x2e\x0a\x23\x30\x2e\xf0\xff\xff\xff\xff\xff\xff\x7f\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x08\x00\x00\x00\x00\x00\x00\x00\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\xf3\xc3\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\x0a\x00\x30\x3d\x02\x8b\x0a\x23\x33\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\xf3\xc3\xb5\xfe\x27\x00\xff\x30\x3d\x02\x8b\x01\x00\x00\x00\x00\x00\x00\x33\xb9\x30\xdf\x00\x60\x00\xb9\x0d\x33\x31\x31\x0d\x33\x31\x31\x31\x31\x31\x6f\x77\x00\x54\x74\xaf\x0a\x69\x0a\x0a\x0a\x74\x0a\xb5\xfe\x27\x00\xff\x30\x3d\x02\x8b\x01\x00\x00\x00\x00\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xb5\xfe\x27\x2e\x20\x30\x3d\x02\x0b\x01\x00\x00\x00\x2e\xf3\xc3\xb5\xfe\x27\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x32\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x34\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x30\x2e\xff\xff\x32\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\xfe\x27\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x32\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf0\xff\xff\xff\xff\xff\xff\x7f\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x08\x00\x00\x00\x00\x00\x00\x00\x30\x3d\x02\x8b\x23\x0a\x30\x47\x2e\xf3\xc3\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x2e\x0a\x00\x30\x3d\x02\x8b\x0a\x23\x33\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x0a\x23\x30\x2e\xf0\xff\xff\xff\xff\xff\xff\x7f\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x08\xe4\xff\x0a\x8b\x0a\x3e\x8b\x23\x8b\x0a\x23\x8b\x03\x23\x8e\x29\x8e\x0a\x00\x03\x57\xf5\x06\x3d\x76\xff\xe4\xff\x0a\x8b\x0a\x0a\x23\x8b\x0a\x23\x8e\x29\x8e\x0a\x00\x03\x26\x30\x2e\x2e\x2e\xf3\x23\x8b\x0a\x23\x8b\x0a\x23\x8e\x29\x8e\x0a\x00\x03\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xb5\xfe\x27\x2e\x20\x30\x3d\x02\x0b\x01\x00\x00\x00\x2e\xf3\xc3\xb5\xfe\x27\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x32\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x36\x36\x36\x36\x36\x36\x36\x36\x30\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0b\x00\x00\x00\x00\x00\x00\x00\x30\x2e\x2e\x2e\xf3\xff\x08\x00\x00\x00\x00\x00\x00\x00\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\xf3\xc3\x30\x2e\xf3\xc3\xff\xff\x32\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x34\x47\x2e\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\xf3\xc3\x2e\xf3\xc3\xff\xff\x30\x2e\x2e\x2e\xf3\xff\x30\x3d\x02\x8b\x0a\x23\x30\x47\x2e\x30\x2e\x2e\x0a\xc1\x41\x0a\x69\x0a\x41\x65\x40\x0a\x5f\x0a\xc1\x0a\x5b\x0a\x0a\xa6\xf5\x74\x5f\x0a\xc1\x0a\x69\x0a\x0a\x0a\x74\x31\x3d";
    fuzz_bodies::segment(segment_huge_gap);
}

#[test]
fn fuzz_extractors() {
    let md: &[&[u8]] = &[
        b"---\ntitle: Invented Act\n---\n\n# Invented Act\n\n## Article 1 - Words\n\nA *gadget* is [a machine](http://x).\n\n- item\n  - nested\n\n| a | b |\n|---|---|\n| 1 | 2 |\n",
        b"<div>raw</div>\n\n{{< shortcode >}}\n\n> quote\n\n    code\n\n\\# not a heading\n",
    ];
    let md_dict: &[&[u8]] = &[
        b"#",
        b"\n",
        b"- ",
        b"|",
        b"---\n",
        b"**",
        b"[",
        b"](",
        b")",
        b"<",
        b">",
        b"`",
        b"\\",
        INVALID_UTF8,
    ];
    let html: &[&[u8]] = &[
        b"<html><head><title>Invented</title></head><body><h1>Act</h1><p>Art. 1 - Nobody <b>may</b> enter.</p><table><tr><td>a</td><td>b</td></tr></table><ul><li>x</li></ul></body></html>",
        b"<html><body><h2 class=\"calibre\">Article 2</h2><p class=\"x\">text&nbsp;&amp;&#x41;</p><script>x</script></body></html>",
    ];
    let html_dict: &[&[u8]] = &[
        b"<div>",
        b"</div>",
        b"<p>",
        b"<h3>",
        b"</h3>",
        b"<table>",
        b"<tr><td>",
        b"&",
        b"&#",
        b";",
        b"<!--",
        b"-->",
        b"<meta charset=\"windows-1252\">",
        INVALID_UTF8,
    ];
    let xml: &[&[u8]] = &[
        b"<?xml version=\"1.0\"?><Statute xml:lang=\"en\"><Identification><ShortTitle>Invented Act</ShortTitle></Identification><Body><Heading level=\"1\"><TitleText>Part 1</TitleText></Heading><Section><MarginalNote>Words</MarginalNote><Label>1</Label><Text>A gadget is a machine.</Text><Subsection><Label>(1)</Label><Text>More.</Text></Subsection></Section></Body></Statute>",
    ];
    let xml_dict: &[&[u8]] = &[
        b"<Section>",
        b"</Section>",
        b"<Label>",
        b"</Label>",
        b"<Text>",
        b"</Text>",
        b"<!DOCTYPE x [<!ENTITY a \"aaaa\">]>",
        b"&a;",
        b"<![CDATA[",
        b"]]>",
        b"xml:lang=\"fr\"",
        INVALID_UTF8,
    ];
    let json: &[&[u8]] = &[
        br#"{"title":"Invented Act","provisions":[{"section":"1","title":"Words","content":"A gadget is a machine."},{"section":"2","content":"Nobody may enter."}]}"#,
        br#"[{"id":"s1","number":"3","heading":"Entry","text":"x\ny"}]"#,
    ];
    let json_dict: &[&[u8]] = &[
        b"[",
        b"]",
        b"{",
        b"}",
        b"\"",
        b":",
        b",",
        b"\\u0000",
        b"\\ud800",
        b"null",
        b"1e999",
        INVALID_UTF8,
    ];
    let text: &[&[u8]] = &[
        b"INVENTED ACT\r\n\r\nPART I\r\n1. Short title\r\nThis Act may be cited.\r\n\x0c\r\n2. Words\r\n",
        b"\xef\xbb\xbfBOM text\n\n\xe9t\xe9 latin-1\n",
        b"\xff\xfeU\x00T\x00F\x00-\x001\x006\x00",
    ];
    let text_dict: &[&[u8]] = &[
        b"\n",
        b"\r\n",
        b"\x0c",
        b"PART ",
        b"1. ",
        b"\t",
        b"\xa0",
        INVALID_UTF8,
    ];
    let pdf: &[&[u8]] = &[
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj 3 0 obj<</Type/Page/Parent 2 0 R/Contents 4 0 R>>endobj 4 0 obj<</Length 20>>stream\nBT (Article 1) Tj ET\nendstream endobj\ntrailer<</Root 1 0 R>>\n%%EOF",
        b"Article 1: Words\nA gadget is\na machine.\nCHAPTER II\nOFFENCES\n(a) one;\n12\n",
    ];
    let pdf_dict: &[&[u8]] = &[
        b"obj",
        b"endobj",
        b"stream\n",
        b"endstream",
        b"<<",
        b">>",
        b"/Length 99999",
        b"xref\n0 1\n",
        b"trailer",
        b"ARTICLE ",
        b"Chapter ",
        b"\n",
        INVALID_UTF8,
    ];
    let seg: &[&[u8]] = &[
        b"\x01# Chapter I\n## Article 1 - Words\nA gadget.\n- item\n| a | b\n@fr\nArticle 2\n",
        b"\x05### \xc2\xa7 202a Aussp\xc3\xa4hen\nWer unbefugt ...\n### \xc2\xa7 202b\n(1) Satz\n",
        "\x09第二百八十五条 违反国家规定\n第一章\n".as_bytes(),
    ];
    let seg_dict: &[&[u8]] = &[
        b"\n#",
        b"\n## Article ",
        b"\n- ",
        b"\n|",
        b"\n@de\n",
        b"Section ",
        b"\xc2\xa7 ",
        b"Part ",
        b"(1) ",
        b"Art. ",
        b"Preamble",
        INVALID_UTF8,
    ];
    let budget = fuzz_budget();
    type Body = fn(&[u8]);
    type Target<'a> = (&'a str, &'a [&'a [u8]], &'a [&'a [u8]], Body);
    let targets: [Target; 7] = [
        ("markdown", md, md_dict, fuzz_bodies::markdown),
        ("html", html, html_dict, fuzz_bodies::html),
        ("xml", xml, xml_dict, fuzz_bodies::xml),
        ("json", json, json_dict, fuzz_bodies::json),
        ("text", text, text_dict, fuzz_bodies::text),
        ("pdf", pdf, pdf_dict, fuzz_bodies::pdf),
        ("segment", seg, seg_dict, fuzz_bodies::segment),
    ];
    for (i, (name, seeds, dict, body)) in targets.into_iter().enumerate() {
        let n = fuzz_loop(name, 7 + i as u64, budget, seeds, dict, body);
        assert!(n > 10, "{name}: only {n} executions");
    }
    let tar: &[&[u8]] =
        &[b"gesetze/a/index.md\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"];
    fuzz_loop(
        "archive",
        99,
        budget / 2,
        tar,
        md_dict,
        fuzz_bodies::archive,
    );
}

// ---------------------------------------------------------------------------------------------
// Regression tests for what fuzzing found

#[test]
fn query_findings_are_errors_not_panics() {
    // `&-b` and `"a b"~3-c` printed as `AND -b`, `~3 -c`, which parsed differently: `-` at the
    // start of any token excludes.
    assert_eq!(
        query::parse("a &-b").unwrap(),
        query::parse("a AND NOT b").unwrap()
    );
    assert_eq!(
        query::parse("\"a b\"~3-c").unwrap(),
        query::parse("\"a b\"~3 NOT c").unwrap()
    );
    // Each of these panicked (`unreachable!`) before: an exclusion after a connector or a field.
    for q in [
        "access w/5 NOT computer",
        "access w/5 -computer",
        "a pre/2 NOT b",
        "heading: -fraud",
        "heading: NOT fraud",
        "title: heading: x",
    ] {
        let e = query::parse(q).unwrap_err();
        assert!(!e.message.is_empty(), "{q}");
    }
    // A field with its value counts as one clause, and printing stays within the limits: a long
    // chain of connectors printed with a pair of parentheses per connector nested deeper than
    // MAX_DEPTH and no longer parsed.
    let chain: Vec<String> = (0..60).map(|i| format!("w{i}")).collect();
    let q = chain.join(" w/2 ");
    let n = query::parse(&q).unwrap();
    assert_eq!(query::parse(&n.to_string()).unwrap(), n);
    let fielded = format!("heading:({})", chain.join(" "));
    let n = query::parse(&fielded).unwrap();
    assert_eq!(query::parse(&n.to_string()).unwrap(), n);
}

#[test]
fn hostile_inputs_to_each_extractor_are_bounded() {
    let deep = |open: &str, close: &str, n: usize, inner: &str| {
        let mut s = String::with_capacity((open.len() + close.len()) * n + inner.len());
        for _ in 0..n {
            s.push_str(open);
        }
        s.push_str(inner);
        for _ in 0..n {
            s.push_str(close);
        }
        s.into_bytes()
    };
    let t = Instant::now();
    fuzz_bodies::html(&deep("<div>", "</div>", 100_000, "deep gadget"));
    fuzz_bodies::html(&deep("<b>", "", 100_000, "unclosed"));
    fuzz_bodies::xml(&deep("<a>", "</a>", 100_000, "deep"));
    fuzz_bodies::json(&deep("[", "]", 100_000, "1"));
    fuzz_bodies::json(&deep("{\"a\":", "}", 100_000, "1"));
    fuzz_bodies::markdown(&deep("> ", "", 50_000, "quote"));
    fuzz_bodies::markdown(&deep("- ", "", 20_000, "item"));
    fuzz_bodies::markdown(&deep("[", "](x)", 20_000, "link"));
    fuzz_bodies::query(&deep("(", ")", 10_000, "x"));
    fuzz_bodies::query("NOT ".repeat(1000).as_bytes());
    for body in [
        fuzz_bodies::markdown,
        fuzz_bodies::html,
        fuzz_bodies::xml,
        fuzz_bodies::json,
        fuzz_bodies::text,
        fuzz_bodies::pdf,
    ] {
        let mut long = b"Article 1 ".to_vec();
        long.extend(std::iter::repeat_n(b"gadget ".as_slice(), 300_000).flatten());
        long.extend_from_slice(INVALID_UTF8);
        body(&long);
    }
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "hostile inputs took {:?}",
        t.elapsed()
    );
}

// ---------------------------------------------------------------------------------------------
// Crash-safe builds and readers during writes

const SET_A: &[&str] = &["coe-budapest-convention-2001", "us-18usc1030"];
/// Every format, so kills land in every extractor, then tagging, indexing, commit and swap.
const SET_B: &[&str] = &[
    "afu-malabo-convention-2014",
    "br-codigo-penal",
    "ca-casl-2010",
    "gh-cybersecurity-act-2020",
    "mu-computer-misuse-and-cybercrime-act-2003",
    "de-stgb",
];
const KNOWN_QUERY: &str = "illegal access";

fn build_cmd(mirror: &Path, index: &Path, only: &[&str]) -> Command {
    let mut c = Command::new(bin());
    c.arg("build")
        .arg("--mirror")
        .arg(mirror)
        .arg("--index")
        .arg(index)
        .arg("--threads")
        .arg("2");
    for id in only {
        c.arg("--only").arg(id);
    }
    c.stdin(Stdio::null()).env("NO_COLOR", "1");
    c
}

fn build(mirror: &Path, index: &Path, only: &[&str]) {
    let out = build_cmd(mirror, index, only).output().unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The passage ids the known query finds, in order, searching in this process.
fn search_ids(index: &Path, q: &str) -> Result<Vec<String>, String> {
    let engine = Engine::open(index).map_err(|e| e.to_string())?;
    let req = SearchRequest {
        query: q.to_string(),
        limit: 10,
        snippet_chars: 80,
        ..SearchRequest::default()
    };
    let resp = engine.search(&req).map_err(|e| e.to_string())?;
    Ok(resp.hits.into_iter().map(|h| h.passage_id).collect())
}

/// The same, through the binary in another process.
fn search_ids_cli(index: &Path, q: &str) -> Result<Vec<String>, String> {
    let out = Command::new(bin())
        .args(["search", q, "--format", "json", "--limit", "10", "--index"])
        .arg(index)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(format!(
            "exit {:?}: {}",
            out.status.code(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    Ok(v["hits"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|h| h["passage_id"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default())
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn builds_killed_at_any_moment_leave_the_index_searchable() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("index");
    build(&mirror, &idx, SET_A);
    let known = search_ids(&idx, KNOWN_QUERY).unwrap();
    assert!(!known.is_empty());

    // How long a full build of the other set takes here.
    let scratch = tmp.path().join("scratch");
    let t = Instant::now();
    build(&mirror, &scratch, SET_B);
    let full = t.elapsed();
    let known_b = search_ids(&scratch, KNOWN_QUERY).unwrap();
    assert_ne!(
        known_b, known,
        "the two sets must answer the query differently"
    );

    let moments = 24;
    let (mut killed, mut finished) = (0, 0);
    let mut stale_seen = 0;
    let mut full = full;
    // A moment the build outran (the machine got less busy) is tried again, earlier.
    while killed < moments && killed + finished < 2 * moments {
        // From 5 ms to 90% of a full build, denser early (startup, fetch, extraction).
        let f = (killed as f64 / (moments - 1) as f64).powf(1.3);
        let delay = Duration::from_millis(5) + full.mul_f64(0.9 * f);
        let mut child = build_cmd(&mirror, &idx, SET_B)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(delay);
        let exited = match child.try_wait().unwrap() {
            None => {
                child.kill().unwrap(); // SIGKILL
                let status = child.wait().unwrap();
                // It may have finished between the check and the kill.
                (status.success()).then_some(status)
            }
            Some(status) => Some(status),
        };
        // Killed after the new generation was swapped in (while removing leftovers or printing
        // the report): the index is the new, complete one. That is a finished build too.
        let swapped =
            exited.is_none() && search_ids(&idx, KNOWN_QUERY).ok().as_ref() == Some(&known_b);
        match exited {
            None if swapped => {
                finished += 1;
                full = full.mul_f64(0.85);
                build(&mirror, &idx, SET_A);
            }
            None => killed += 1,
            Some(status) => {
                let mut err = String::new();
                if let Some(mut e) = child.stderr.take() {
                    let _ = std::io::Read::read_to_string(&mut e, &mut err);
                }
                assert!(status.success(), "the build failed on its own: {err}");
                // Too late to kill: put the first index back, aim earlier from now on.
                finished += 1;
                full = full.mul_f64(0.85);
                build(&mirror, &idx, SET_A);
            }
        }
        let got = search_ids(&idx, KNOWN_QUERY)
            .unwrap_or_else(|e| panic!("after a kill at {delay:?}: index unusable: {e}"));
        assert_eq!(got, known, "after a kill at {delay:?}");
        let names = entries(&idx);
        stale_seen += names
            .iter()
            .filter(|n| n.starts_with("CURRENT.tmp-"))
            .count();
        assert!(
            names.iter().filter(|n| n.starts_with("gen-")).count() <= 3,
            "leftovers accumulate: {names:?}"
        );
    }
    eprintln!(
        "kill test: {killed}/{moments} builds killed mid-way (full build {full:?}), {finished} finished first; {stale_seen} stale pointer files seen; {:?}",
        started.elapsed()
    );
    assert!(killed >= 20, "only {killed} builds were killed mid-way");

    // The next build succeeds without cleanup, and leaves only the new and previous generations.
    build(&mirror, &idx, SET_B);
    let names = entries(&idx);
    assert!(
        !names.iter().any(|n| n.starts_with("CURRENT.tmp-")),
        "{names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| n.starts_with("gen-")).count(),
        2,
        "current + previous generation only: {names:?}"
    );
    assert_ne!(search_ids(&idx, KNOWN_QUERY).unwrap(), Vec::<String>::new());
    // And the one after it removes the previous generation it no longer needs.
    build(&mirror, &idx, SET_A);
    assert_eq!(search_ids(&idx, KNOWN_QUERY).unwrap(), known);
}

#[test]
fn searches_during_rebuilds_never_fail() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("index");
    // Two index contents that answer the known query differently.
    let set_c: Vec<&str> = SET_A
        .iter()
        .copied()
        .chain(["fr-code-penal-323-1", "ru-uk-272"])
        .collect();
    build(&mirror, &idx, &set_c);
    let expect_c = search_ids(&idx, KNOWN_QUERY).unwrap();
    build(&mirror, &idx, SET_A);
    let expect_a = search_ids(&idx, KNOWN_QUERY).unwrap();
    let allowed = Arc::new([expect_a, expect_c]);

    let stop = Arc::new(AtomicBool::new(false));
    let searches = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for in_process in [true, true, false] {
        let (stop, searches, allowed, idx) =
            (stop.clone(), searches.clone(), allowed.clone(), idx.clone());
        readers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let got = if in_process {
                    search_ids(&idx, KNOWN_QUERY)
                } else {
                    search_ids_cli(&idx, KNOWN_QUERY)
                };
                let got = got.unwrap_or_else(|e| panic!("a search during a rebuild failed: {e}"));
                assert!(
                    allowed.contains(&got),
                    "a search saw another index: {got:?}"
                );
                searches.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let rebuilds = 6;
    for i in 0..rebuilds {
        build(&mirror, &idx, if i % 2 == 0 { &set_c } else { SET_A });
    }
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        r.join().expect("reader thread");
    }
    let n = searches.load(Ordering::Relaxed);
    eprintln!("readers: {n} searches during {rebuilds} rebuilds, none failed");
    assert!(n >= 10, "only {n} searches ran");
}

// ---------------------------------------------------------------------------------------------
// A build over hostile documents

const HOST: &str = "hostile.example";

struct Doc {
    id: &'static str,
    format: &'static str,
    bulk: bool,
    /// Expected: indexed (`None`) or failed with a reason holding one of these words.
    fails_with: Option<&'static [&'static str]>,
}

fn write_file(mirror: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = mirror.join(HOST).join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, bytes).unwrap();
    p
}

fn targz(members: Vec<(&str, u64, Box<dyn std::io::Read>)>) -> Vec<u8> {
    let gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    let mut b = tar::Builder::new(gz);
    for (name, size, data) in members {
        let size = &size;
        let mut h = tar::Header::new_gnu();
        h.set_size(*size);
        h.set_mode(0o644);
        h.set_entry_type(tar::EntryType::Regular);
        // Set the name bytes directly: `tar` itself refuses `..`, a hostile archive does not.
        let gnu = h.as_gnu_mut().unwrap();
        gnu.name[..name.len()].copy_from_slice(name.as_bytes());
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap().finish().unwrap()
}

#[test]
fn a_build_over_hostile_documents_reports_each_and_indexes_the_good_one() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tmp.path().join("work");
    let mirror = tmp.path().join("mirror");
    std::fs::create_dir_all(&work).unwrap();
    let good = b"---\ntitle: Invented Gadget Act\n---\n\n# Invented Gadget Act\n\n## Article 1 - Gadgets\n\nNobody may open a zorblatt gadget without leave.\n\n## Article 2 - Leave\n\nLeave is given in writing.\n";
    write_file(&mirror, "good.md", good);

    // Truncated PDF: a valid start, cut in the middle of a stream.
    let pdf = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n3 0 obj<</Type/Page/Parent 2 0 R/Contents 4 0 R>>endobj\n4 0 obj<</Length 200>>stream\nBT /F1 12 Tf (Article 1 Gad";
    write_file(&mirror, "truncated.pdf", pdf);
    // HTML nested 100,000 deep.
    let mut html = b"<html><body>".to_vec();
    html.extend(std::iter::repeat_n(b"<div>".as_slice(), 100_000).flatten());
    html.extend_from_slice(b"deeply nested gadget");
    html.extend(std::iter::repeat_n(b"</div>".as_slice(), 100_000).flatten());
    write_file(&mirror, "nested.html", &html);
    // JSON and XML nested 100,000 deep.
    let json = format!("{}1{}", "[".repeat(100_000), "]".repeat(100_000));
    write_file(&mirror, "deep.json", json.as_bytes());
    let xml = format!("{}deep{}", "<a>".repeat(100_000), "</a>".repeat(100_000));
    write_file(&mirror, "deep.xml", xml.as_bytes());
    // A 2 GB document, sparse: the size limit must refuse it without reading it.
    let huge = mirror.join(HOST).join("huge.txt");
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(2 * 1024 * 1024 * 1024 + 1)
        .unwrap();
    // One very long line (8 MB, within the limit).
    let mut long = b"# Long Line Act\n\nArticle 1 ".to_vec();
    long.extend(std::iter::repeat_n(b"gadget ".as_slice(), 8 << 20 >> 3).flatten());
    long.push(b'\n');
    write_file(&mirror, "long.md", &long);
    // Invalid UTF-8 in every format.
    let bad = INVALID_UTF8;
    let with_bad = |pre: &[u8], post: &[u8]| [pre, bad, b" gadget ", bad, post].concat();
    write_file(
        &mirror,
        "bad.md",
        &with_bad(b"# Act\n\n## Article 1\n\nText ", b"\n"),
    );
    write_file(
        &mirror,
        "bad.html",
        &with_bad(b"<html><body><h1>Act</h1><p>Art. 1 ", b"</p></body></html>"),
    );
    write_file(
        &mirror,
        "bad.xml",
        &with_bad(
            b"<?xml version=\"1.0\" encoding=\"UTF-8\"?><Statute><Body><Section><Label>1</Label><Text>",
            b"</Text></Section></Body></Statute>",
        ),
    );
    write_file(
        &mirror,
        "bad.json",
        &with_bad(br#"{"provisions":[{"section":"1","content":""#, br#""}]}"#),
    );
    write_file(&mirror, "bad.txt", &with_bad(b"ACT\n\n1. Words\n", b"\n"));
    // A gzip bomb inside a bulk archive: a member of 40 MiB of zeros, a few KB compressed.
    let zeros = std::io::Read::take(std::io::repeat(0), 40 << 20);
    let bomb = targz(vec![("gesetze/b/bomb/index.md", 40 << 20, Box::new(zeros))]);
    assert!(bomb.len() < 1 << 20);
    write_file(&mirror, "bomb.tar.gz", &bomb);
    // A tar member whose path climbs out with `../`.
    let law = b"# Climbing Act\n\n## \xc2\xa7 1 Up\n\nUp we go.\n";
    let escape = targz(vec![(
        "gesetze/../../escaped/index.md",
        law.len() as u64,
        Box::new(&law[..]),
    )]);
    write_file(&mirror, "escape.tar.gz", &escape);

    let docs = [
        Doc {
            id: "xx-good",
            format: "md",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-truncated-pdf",
            format: "pdf",
            bulk: false,
            fails_with: Some(&["PDF"]),
        },
        Doc {
            id: "xx-nested-html",
            format: "html",
            bulk: false,
            fails_with: Some(&["nest", "deep", "no passages", "no text"]),
        },
        Doc {
            id: "xx-deep-json",
            format: "json",
            bulk: false,
            fails_with: Some(&["recursion", "nest", "deep"]),
        },
        Doc {
            id: "xx-deep-xml",
            format: "xml",
            bulk: false,
            fails_with: Some(&["depth", "nest", "deep"]),
        },
        Doc {
            id: "xx-huge",
            format: "txt",
            bulk: false,
            fails_with: Some(&["limit"]),
        },
        Doc {
            id: "xx-long",
            format: "md",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-bad-md",
            format: "md",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-bad-html",
            format: "html",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-bad-xml",
            format: "xml",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-bad-json",
            format: "json",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-bad-txt",
            format: "txt",
            bulk: false,
            fails_with: None,
        },
        Doc {
            id: "xx-bomb",
            format: "tar.gz",
            bulk: true,
            fails_with: Some(&["limit"]),
        },
        Doc {
            id: "xx-escape",
            format: "tar.gz",
            bulk: true,
            fails_with: Some(&["`..`", "refused"]),
        },
    ];
    let file_of = |id: &str| match id {
        "xx-good" => "good.md",
        "xx-truncated-pdf" => "truncated.pdf",
        "xx-nested-html" => "nested.html",
        "xx-deep-json" => "deep.json",
        "xx-deep-xml" => "deep.xml",
        "xx-huge" => "huge.txt",
        "xx-long" => "long.md",
        "xx-bad-md" => "bad.md",
        "xx-bad-html" => "bad.html",
        "xx-bad-xml" => "bad.xml",
        "xx-bad-json" => "bad.json",
        "xx-bad-txt" => "bad.txt",
        "xx-bomb" => "bomb.tar.gz",
        _ => "escape.tar.gz",
    };
    let mut manifest = String::new();
    for d in &docs {
        manifest.push_str(&format!(
            "[[source]]\nid = \"{}\"\nurl = \"https://{HOST}/{}\"\ntitle = \"Invented {}\"\nkind = \"national-law\"\njurisdiction = \"XX\"\nlanguage = \"en\"\nformat = \"{}\"\nbulk = {}\n\n",
            d.id,
            file_of(d.id),
            d.id,
            d.format,
            d.bulk
        ));
    }
    let manifest_path = tmp.path().join("manifest.toml");
    std::fs::File::create(&manifest_path)
        .unwrap()
        .write_all(manifest.as_bytes())
        .unwrap();

    let before_mirror = entries(&mirror.join(HOST));
    let t = Instant::now();
    let out = Command::new(bin())
        .current_dir(&work)
        .args([
            "build",
            "--json",
            "--include-bulk",
            "--threads",
            "2",
            "--sources",
        ])
        .arg(&manifest_path)
        .arg("--mirror")
        .arg(&mirror)
        .arg("--index")
        .arg(work.join("idx"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = t.elapsed();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "build failed: {stderr}");
    assert!(
        took < Duration::from_secs(90),
        "hostile build took {took:?}"
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = report["failures"].as_array().unwrap();
    let reason_of = |id: &str| {
        failures
            .iter()
            .find(|f| f["source_id"] == id)
            .map(|f| format!("{} {}", f["stage"], f["reason"]))
    };
    let detail: Vec<&str> = report["documents_detail"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|d| d["doc_id"].as_str())
        .collect();
    let mut table = String::new();
    for d in &docs {
        let outcome = match reason_of(d.id) {
            Some(r) => format!("failed: {r}"),
            None if detail.contains(&d.id) => "indexed".to_string(),
            None => "missing from the report".to_string(),
        };
        table.push_str(&format!("  {:<18} {outcome}\n", d.id));
    }
    eprintln!("hostile build ({took:?}):\n{table}");
    for d in &docs {
        match (d.fails_with, reason_of(d.id)) {
            (None, None) => assert!(detail.contains(&d.id), "{} not indexed:\n{table}", d.id),
            // Invalid bytes may also make a document fail; it must say why.
            (None, Some(r)) => assert!(
                d.id.starts_with("xx-bad-") && r.len() > 20,
                "{} failed: {r}",
                d.id
            ),
            (Some(words), Some(r)) => assert!(
                words.iter().any(|w| r.contains(w)),
                "{}: unclear reason `{r}`",
                d.id
            ),
            (Some(_), None) => {
                // A deeply nested document may also be read, as long as the build is bounded.
                assert!(
                    d.id.starts_with("xx-nested-") || d.id.starts_with("xx-deep-"),
                    "{} should have failed:\n{table}",
                    d.id
                )
            }
        }
    }
    assert_eq!(
        search_ids(&work.join("idx"), "zorblatt").unwrap(),
        ["xx-good/1"]
    );
    // Nothing written outside the index directory: not in the working directory, not beside
    // the mirror, not where `../` pointed.
    assert_eq!(entries(&work), ["idx"]);
    assert_eq!(entries(&mirror.join(HOST)), before_mirror);
    assert_eq!(entries(&mirror), [HOST]);
    let mut top = entries(tmp.path());
    top.retain(|n| n != "manifest.toml");
    assert_eq!(top, ["mirror", "work"]);
}

// ---------------------------------------------------------------------------------------------
// Hostile queries

#[test]
fn hostile_queries_are_refused_or_bounded_fast() {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    let mut law = String::from("# Invented Wildcard Act\n\n");
    for i in 0..400 {
        law.push_str(&format!(
            "## Article {i}\n\nabacus{i} abc{i}b{i}c acquire{i} access{i} data.\n\n"
        ));
    }
    write_file(&mirror, "law.md", law.as_bytes());
    let manifest = tmp.path().join("m.toml");
    std::fs::write(
        &manifest,
        format!("[[source]]\nid = \"xx-law\"\nurl = \"https://{HOST}/law.md\"\ntitle = \"Invented\"\nkind = \"national-law\"\njurisdiction = \"XX\"\nlanguage = \"en\"\nformat = \"md\"\n"),
    )
    .unwrap();
    let idx = tmp.path().join("idx");
    let out = Command::new(bin())
        .args(["build", "--sources"])
        .arg(&manifest)
        .arg("--mirror")
        .arg(&mirror)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let run = |q: &str| {
        let t = Instant::now();
        let out = Command::new(bin())
            .args(["search", "--index"])
            .arg(&idx)
            .arg("--")
            .arg(q)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let took = t.elapsed();
        assert!(took < Duration::from_secs(10), "{:.40}… took {took:?}", q);
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let refused = |q: &str, names: &[&str]| {
        let (code, err) = run(q);
        assert_eq!(code, Some(2), "{:.60}…: {err}", q);
        assert!(
            names.iter().any(|n| err.contains(n)),
            "{:.60}…: stderr does not name the limit: {err}",
            q
        );
    };
    refused(&"access ".repeat(100_000 / 7), &["4096"]); // 100 KB
    refused(&"ab ".repeat(10_000)[..4000], &["256 clauses"]); // many terms within the byte limit
    refused(&"access ".repeat(10_000), &["4096"]); // 10,000 terms
    refused(
        &format!("{}x{}", "(".repeat(40), ")".repeat(40)),
        &["deeper than 32"],
    );
    refused("a*", &["3 letters"]);
    refused("*a*", &["3 letters"]);
    refused("ac!", &["3 letters"]);
    refused("???*???*???*", &["empty"]);
    // 400 words abc…b…c: over the expansion limit.
    refused("abc*", &["more than 200 words"]);
    // Pathological wildcards: bounded (a linear-time regex over one prefix range of the terms).
    for q in ["*a*b*c*", "a*b*c*d*e*f*g*h*", "acq*", "abacus1*"] {
        let (code, err) = run(q);
        assert!(
            code == Some(0)
                || code == Some(1)
                || (code == Some(2) && (err.contains("more than") || err.contains("3 letters"))),
            "{q}: {code:?} {err}"
        );
    }
}
