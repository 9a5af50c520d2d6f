//! The same search on the same index gives the same answer, byte for byte: in one engine run
//! many times, in fresh engines of one process, and in fresh processes. Scores are float sums;
//! their order of summation must be fixed (a hash set's iteration order changes from one set to
//! the next, even within one process), and ties must break on the passage id.
//!
//! The index is built from invented documents (`build --dir`): a family of invented words
//! sharing the prefix `zorb`, each passage holding a different mix, so that `zorb*` expands to
//! many words and every hit's score is a sum of many clauses of different weights.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use cyberlex::search::{Engine, SearchRequest};

/// Invented words of one family (no language's words).
fn family() -> Vec<String> {
    let mids = ["a", "e", "i", "o", "u", "y"];
    let ends = ["l", "n", "x", "tic", "mer"];
    let mut v = Vec::new();
    for m in mids {
        for e in ends {
            v.push(format!("zorb{m}{e}"));
        }
    }
    v
}

/// Three documents of eight articles each; article `i` of document `d` holds word `k` of the
/// family `(i * 7 + k * 3 + d) % 4` times, among invented filler.
fn write_docs(root: &Path) -> PathBuf {
    let dir = root.join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    let words = family();
    for d in 0..3 {
        let mut text = String::new();
        for i in 1..=8 {
            text.push_str(&format!("Article {i} Quiet gadget {d} {i}\n\n"));
            text.push_str("The quiet gadget hums beside the lamp.");
            for (k, w) in words.iter().enumerate() {
                for _ in 0..(i * 7 + k * 3 + d) % 4 {
                    text.push_str(&format!(" A {w} sits here."));
                }
            }
            text.push_str("\n\n");
        }
        // Two documents whose third article is the same text: the same score, a tie.
        text.push_str("Article 9 Twin lamp\n\nThe twin lamp glows zorbal and zorbel.\n");
        std::fs::write(dir.join(format!("gadget{d}.txt")), text).unwrap();
    }
    dir
}

fn cyberlex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("cyberlex").expect("binary built");
    c.env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("CYBERLEX_INDEX")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .current_dir(home);
    c
}

fn built() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let docs = write_docs(home.path());
    let idx = home.path().join("idx");
    let out = cyberlex(home.path())
        .args(["build", "--threads", "1", "--dir"])
        .arg(&docs)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (home, idx)
}

/// Queries whose plans have many clauses: an expansion, a root, a ranked pair, a connector.
const QUERIES: &[&str] = &[
    "zorb*",
    "zorb!",
    "zorbal zorbexmer",
    "zorb* w/3 sits",
    "quiet gadget zorbil",
];

fn json(e: &Engine, q: &str) -> String {
    let resp = e
        .search(&SearchRequest {
            query: q.to_string(),
            limit: 30,
            ..Default::default()
        })
        .unwrap_or_else(|err| panic!("{q}: {err}"));
    serde_json::to_string(&resp).unwrap()
}

#[test]
fn the_same_search_gives_byte_identical_json_in_one_engine_and_in_fresh_ones() {
    let (_home, idx) = built();
    let engine = Engine::open(&idx).unwrap();
    for q in QUERIES {
        let first = json(&engine, q);
        let hits: serde_json::Value = serde_json::from_str(&first).unwrap();
        assert!(
            hits["hits"].as_array().is_some_and(|h| h.len() >= 2),
            "{q}: {first}"
        );
        for run in 0..20 {
            assert_eq!(json(&engine, q), first, "{q}: run {run} of one engine");
        }
        for run in 0..5 {
            let fresh = Engine::open(&idx).unwrap();
            assert_eq!(json(&fresh, q), first, "{q}: fresh engine {run}");
        }
    }
}

#[test]
fn the_same_search_prints_the_same_json_in_fresh_processes() {
    let (home, idx) = built();
    let run = || {
        let out = cyberlex(home.path())
            .args(["search", "zorb*", "--format", "json", "-n", "30", "--index"])
            .arg(&idx)
            .output()
            .unwrap();
        assert!(out.status.success());
        out.stdout
    };
    let first = run();
    for i in 0..6 {
        assert!(run() == first, "process {i} printed other JSON");
    }
}

#[test]
fn equal_scores_rank_by_passage_id() {
    let (_home, idx) = built();
    let engine = Engine::open(&idx).unwrap();
    // The three `Twin lamp` articles hold the same words: equal scores (crowding aside, which
    // weighs each document's further passages, not these first ones).
    let resp = engine
        .search(&SearchRequest {
            query: "twin lamp".into(),
            limit: 10,
            ..Default::default()
        })
        .unwrap();
    let twins: Vec<_> = resp
        .hits
        .iter()
        .filter(|h| h.heading.to_lowercase().contains("twin lamp"))
        .collect();
    assert_eq!(twins.len(), 3, "{:?}", resp.hits);
    assert!(
        twins.windows(2).all(|w| w[0].score == w[1].score),
        "{twins:?}"
    );
    let ids: Vec<&str> = twins.iter().map(|h| h.passage_id.as_str()).collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted);
    // Across ranks too: no hit outranks an equal-scored one with a smaller id.
    for w in resp.hits.windows(2) {
        assert!(
            w[0].score > w[1].score || w[0].passage_id < w[1].passage_id,
            "{} {} / {} {}",
            w[0].passage_id,
            w[0].score,
            w[1].passage_id,
            w[1].score
        );
    }
}
