//! Golden expectations per source (juriscraper's examples are the model).
//!
//! For every document of the mirror, `tests/golden/<source-id>.toml` holds its passage count,
//! its citation sequence, its languages, its coverage and a hash of its normalized passage text
//! — facts only, never the text. A change fails this test until the expectation is updated on
//! purpose: run `CYBERLEX_BLESS=1 cargo test --test golden`, review the diff like code, commit.
//! A mirror document without an expectation fails the test (after writing one for review).

mod util;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::PathBuf;

use cyberlex::corpus::Manifest;
use cyberlex::crawl::{self, CrawlOptions};
use cyberlex::segment::Profiles;
use serde::{Deserialize, Serialize};

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Expectation {
    source: String,
    documents: usize,
    passages: usize,
    /// sha256 of `citation \t heading \t text \n` over all passages, in order.
    text_sha256: String,
    /// Passages per language.
    languages: BTreeMap<String, usize>,
    /// Lowest per-document coverage, rounded down to 0.1 %.
    min_coverage: f64,
    citations: Vec<String>,
}

fn golden_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden")
}

#[test]
fn every_mirror_document_matches_its_golden_expectation() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let bless = std::env::var_os("CYBERLEX_BLESS").is_some();
    let manifest = Manifest::builtin();
    let profiles = Profiles::builtin();
    let opts = CrawlOptions::with_mirror(mirror.clone());
    let mut failures = Vec::new();
    for source in manifest.sources.iter().filter(|s| !s.bulk) {
        let Some(path) = crawl::mirror_path(&mirror, &source.url) else {
            continue;
        };
        if !path.is_file() {
            continue;
        }
        let fetched = crawl::fetch(source, &opts).expect("mirror file readable and hash ok");
        let docs = match cyberlex::pipeline::passages_of(source, &fetched.bytes, &profiles) {
            Ok(d) => d,
            Err(e) => {
                failures.push(format!("{}: extraction failed: {e}", source.id));
                continue;
            }
        };
        let mut hash_input = String::new();
        let mut languages = BTreeMap::new();
        let mut citations = Vec::new();
        let mut min_cov: f64 = 1.0;
        let mut passages = 0;
        for d in &docs {
            min_cov = min_cov.min(d.coverage());
            for p in &d.passages {
                passages += 1;
                let _ = writeln!(hash_input, "{}\t{}\t{}", p.citation, p.heading, p.text);
                *languages.entry(p.language.clone()).or_insert(0) += 1;
                citations.push(p.citation.clone());
            }
        }
        let got = Expectation {
            source: source.id.clone(),
            documents: docs.len(),
            passages,
            text_sha256: crawl::sha256_hex(hash_input.as_bytes()),
            languages,
            min_coverage: (min_cov * 1000.0).floor() / 1000.0,
            citations,
        };
        let file = golden_dir().join(format!("{}.toml", source.id));
        let expected: Option<Expectation> = std::fs::read_to_string(&file)
            .ok()
            .map(|t| toml::from_str(&t).unwrap_or_else(|e| panic!("{}: {e}", file.display())));
        if expected.as_ref() == Some(&got) {
            continue;
        }
        if bless || expected.is_none() {
            std::fs::write(&file, toml::to_string(&got).unwrap()).unwrap();
        }
        if !bless {
            failures.push(match expected {
                None => format!("{}: no golden expectation; wrote {} for review", source.id, file.display()),
                Some(e) => format!(
                    "{}: differs from {} (passages {} → {}, text hash {} → {}); review and bless with CYBERLEX_BLESS=1",
                    source.id,
                    file.display(),
                    e.passages,
                    got.passages,
                    &e.text_sha256[..12],
                    &got.text_sha256[..12]
                ),
            });
        }
    }
    // An expectation whose source left the manifest (or the mirror) is stale: it must go.
    for entry in std::fs::read_dir(golden_dir()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        let Some(id) = name.strip_suffix(".toml") else {
            continue;
        };
        let known = manifest
            .get(id)
            .is_some_and(|s| crawl::mirror_path(&mirror, &s.url).is_some_and(|p| p.is_file()));
        if !known {
            failures.push(format!(
                "{}: stale expectation: no such source in the manifest and mirror; delete it",
                entry.path().display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "golden failures:\n{}",
        failures.join("\n")
    );
}
