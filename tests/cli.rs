//! End-to-end: build an index from the shared mirror with the `cyberlex` binary, then search it.

mod util;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use serde_json::Value;

fn cyberlex() -> Command {
    let mut c = Command::cargo_bin("cyberlex").expect("binary built");
    c.env("NO_COLOR", "1").env_remove("RUST_LOG");
    c
}

struct Built {
    _dir: tempfile::TempDir,
    index: PathBuf,
    report: Value,
}

/// One index for the whole test binary, built from the mirror (None when the corpus is absent).
fn built() -> Option<&'static Built> {
    static BUILT: OnceLock<Option<Built>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let mirror = util::mirror_dir()?;
            let dir = tempfile::tempdir().unwrap();
            let index = dir.path().join("index");
            let out = cyberlex()
                .args(["build", "--json", "--threads", "2", "--mirror"])
                .arg(&mirror)
                .arg("--index")
                .arg(&index)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "build failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let report: Value =
                serde_json::from_slice(&out.stdout).expect("build --json prints JSON");
            Some(Built {
                _dir: dir,
                index,
                report,
            })
        })
        .as_ref()
}

fn search_json(index: &Path, args: &[&str]) -> Value {
    let out = cyberlex()
        .arg("search")
        .args(args)
        .arg("--index")
        .arg(index)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(0) || out.status.code() == Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("search --format json prints one JSON object")
}

#[test]
fn every_mirror_document_yields_passages_or_a_reported_reason() {
    let Some(b) = built() else { return };
    let r = &b.report;
    let failed: Vec<&str> = r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source_id"].as_str().unwrap())
        .collect();
    let built_docs: Vec<&str> = r["documents_detail"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["doc_id"].as_str().unwrap())
        .collect();
    let mirror = util::mirror_dir().unwrap();
    let manifest = cyberlex::corpus::Manifest::builtin();
    for s in manifest.sources.iter().filter(|s| !s.bulk) {
        let in_mirror = cyberlex::crawl::mirror_path(&mirror, &s.url).is_some_and(|p| p.is_file());
        if in_mirror {
            assert!(
                built_docs.contains(&s.id.as_str()),
                "{} is in the mirror but yielded no passages; failures: {failed:?}",
                s.id
            );
        } else {
            assert!(
                failed.contains(&s.id.as_str()),
                "{} is absent from the mirror but not reported",
                s.id
            );
        }
    }
    for d in r["documents_detail"].as_array().unwrap() {
        assert!(d["passages"].as_u64().unwrap() > 0, "{d}");
    }
    assert!(r["passages"].as_u64().unwrap() > 2000, "{}", r["passages"]);
    let stages: Vec<&str> = r["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    for st in ["fetch", "extract+segment", "index", "commit"] {
        assert!(stages.contains(&st), "stage {st} missing from {stages:?}");
    }
}

#[test]
fn illegal_access_finds_budapest_art_2_and_18_usc_1030() {
    let Some(b) = built() else { return };
    let v = search_json(&b.index, &["illegal access", "--limit", "12"]);
    let hits = v["hits"].as_array().unwrap();
    let top: Vec<(String, String)> = hits
        .iter()
        .map(|h| {
            (
                h["doc_id"].as_str().unwrap().to_string(),
                h["citation"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        top.iter()
            .take(3)
            .any(|(d, c)| d == "coe-budapest-convention-2001" && c == "Art. 2"),
        "Budapest Art. 2 not in the top 3: {top:?}"
    );
    assert!(
        top.iter()
            .any(|(d, c)| d == "us-18usc1030" && c.contains("1030")),
        "18 U.S.C. § 1030 not in the first hits: {top:?}"
    );
}

#[test]
fn json_output_has_every_contract_field() {
    let Some(b) = built() else { return };
    let v = search_json(&b.index, &["illegal access", "--limit", "3"]);
    assert_eq!(v["query"], "illegal access");
    assert!(v["total_hits"].as_u64().unwrap() >= 3);
    let hits = v["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 3);
    for h in hits {
        for key in [
            "rank",
            "score",
            "passage_id",
            "doc_id",
            "title",
            "jurisdiction",
            "kind",
            "language",
            "citation",
            "heading",
            "snippet",
            "text",
            "url",
            "highlights",
        ] {
            assert!(h.get(key).is_some(), "hit lacks `{key}`: {h}");
        }
        assert!(
            !h["highlights"].as_array().unwrap().is_empty(),
            "no highlight in {h}"
        );
        // Highlights point at the matched words.
        let snippet: Vec<char> = h["snippet"].as_str().unwrap().chars().collect();
        let [a, z] = [
            h["highlights"][0][0].as_u64().unwrap() as usize,
            h["highlights"][0][1].as_u64().unwrap() as usize,
        ];
        let word: String = snippet[a..z].iter().collect::<String>().to_lowercase();
        assert!(
            word.contains("access") || word.contains("illegal") || word.contains("unauthori"),
            "highlight `{word}`"
        );
    }
    assert_eq!(hits[0]["rank"], 1);
}

#[test]
fn jurisdiction_filter_returns_only_that_jurisdiction() {
    let Some(b) = built() else { return };
    for j in ["DE", "Germany", "de"] {
        let v = search_json(&b.index, &["Daten", "--jurisdiction", j, "--limit", "50"]);
        let hits = v["hits"].as_array().unwrap();
        assert!(!hits.is_empty());
        assert!(hits.iter().all(|h| h["jurisdiction"] == "DE"), "{j}");
    }
}

#[test]
fn a_citation_typed_as_the_query_goes_to_the_provision() {
    let Some(b) = built() else { return };
    let v = search_json(&b.index, &["§ 202a", "--limit", "1"]);
    assert_eq!(v["hits"][0]["passage_id"], "de-stgb/202a", "{v}");
    let v = search_json(
        &b.index,
        &[
            "Art. 2",
            "--jurisdiction",
            "COE",
            "--lang",
            "en",
            "--limit",
            "1",
        ],
    );
    assert_eq!(v["hits"][0]["citation"], "Art. 2");
}

#[test]
fn show_inspect_and_export() {
    let Some(b) = built() else { return };
    let out = cyberlex()
        .args(["show", "de-stgb/202a", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    assert!(out.status.success());
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(
        s.contains("§ 202a") && s.contains("previous: § 202") && s.contains("next:"),
        "{s}"
    );
    let out = cyberlex()
        .args(["inspect", "coe-budapest-convention-2001", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("Art. 48"));
    let out = cyberlex()
        .args(["export", "--format", "jsonl", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    assert!(out.status.success());
    let n = out
        .stdout
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(n as u64, b.report["passages"].as_u64().unwrap());
    let first: Value =
        serde_json::from_slice(out.stdout.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert!(first.get("passage_id").is_some() && first.get("citation").is_some());
}

#[test]
fn errors_a_user_can_act_on() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nothing-here");
    let out = cyberlex()
        .args(["search", "access", "--index"])
        .arg(&missing)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no index") && err.contains("cyberlex build"),
        "{err}"
    );

    let Some(b) = built() else { return };
    let out = cyberlex()
        .args(["search", "\"illegal access", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unbalanced quote") && err.contains("character 1"),
        "{err}"
    );

    let out = cyberlex()
        .args(["search", "zzqxjvw", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "no hits → exit 1");

    let out = cyberlex()
        .args(["search", "access", "--jurisdiction", "Atlantis", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("Atlantis") && err.contains("DE (Germany)"),
        "{err}"
    );
}

#[test]
fn text_output_is_plain_without_a_terminal() {
    let Some(b) = built() else { return };
    let out = cyberlex()
        .args(["search", "illegal access", "--limit", "2", "--index"])
        .arg(&b.index)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(!s.contains('\x1b'), "colour codes without a terminal");
    assert!(s.contains("**"), "highlights are marked: {s}");
    assert!(s.contains("Art. 2"));
}

#[test]
fn an_unchanged_rebuild_reindexes_nothing_and_a_partial_one_reuses_passages() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let index = dir.path().join("index");
    let build = |only: &[&str]| -> Value {
        let mut c = cyberlex();
        c.args(["build", "--json", "--mirror"])
            .arg(&mirror)
            .arg("--index")
            .arg(&index);
        for id in only {
            c.args(["--only", id]);
        }
        let out = c.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = build(&["de-stgb", "fr-code-penal-323-1"]);
    assert_eq!(first["up_to_date"], false);
    let generation = first["generation"].clone();
    let second = build(&["de-stgb", "fr-code-penal-323-1"]);
    assert_eq!(second["up_to_date"], true, "{second}");
    assert_eq!(
        second["generation"], generation,
        "an unchanged rebuild keeps the generation"
    );
    assert_eq!(second["passages"], first["passages"]);
    let third = build(&["de-stgb", "fr-code-penal-323-1", "ru-uk-272"]);
    assert_eq!(third["up_to_date"], false);
    assert_eq!(third["reused_sources"], 2, "{third}");
    let p3 = third["passages"].as_u64().unwrap();
    assert!(p3 > first["passages"].as_u64().unwrap());
    // The reused passages are searchable as before.
    let v = search_json(&index, &["§ 202a", "--limit", "1"]);
    assert_eq!(v["hits"][0]["passage_id"], "de-stgb/202a");
}
