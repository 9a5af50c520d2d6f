//! `compare` and `matrix` over the real corpus: one index per test binary, built once.
mod util;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use cyberlex::search::compare::CompareRequest;
use cyberlex::search::Engine;

/// The shared index (None when the corpus is absent: tests then print SKIPPED and pass).
fn index() -> Option<&'static Path> {
    static DIR: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    DIR.get_or_init(|| {
        let mirror = util::mirror_dir()?;
        let tmp = tempfile::tempdir().expect("temp dir");
        let idx = tmp.path().join("index");
        Command::cargo_bin("cyberlex")
            .expect("binary")
            .args(["build", "--mirror"])
            .arg(&mirror)
            .arg("--index")
            .arg(&idx)
            .assert()
            .success();
        Some((tmp, idx))
    })
    .as_ref()
    .map(|(_, p)| p.as_path())
}

fn citation_of(rows: &[serde_json::Value], jur: &str) -> String {
    rows.iter()
        .find(|r| r["jurisdiction"] == jur)
        .and_then(|r| r["citation"].as_str())
        .unwrap_or("")
        .to_string()
}

#[test]
fn illegal_access_across_languages() {
    let Some(idx) = index() else { return };
    let out = Command::cargo_bin("cyberlex")
        .unwrap()
        .args(["compare", "illegal access", "--format", "json", "--index"])
        .arg(idx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["query"], "illegal access");
    let rows = v["rows"].as_array().unwrap();
    // One row per jurisdiction.
    let mut js: Vec<&str> = rows
        .iter()
        .map(|r| r["jurisdiction"].as_str().unwrap())
        .collect();
    let n = js.len();
    js.dedup();
    assert_eq!(js.len(), n);
    for r in rows {
        for k in [
            "doc_id",
            "passage_id",
            "citation",
            "heading",
            "language",
            "snippet",
            "score",
        ] {
            assert!(r.get(k).is_some(), "{k} missing in {r}");
        }
    }
    for (jur, want) in [
        ("DE", "202a"),
        ("FR", "323-1"),
        ("RU", "272"),
        ("CN", "285"),
        ("BR", "154-A"),
        ("CO", "269A"),
        ("NL", "138ab"),
    ] {
        let c = citation_of(rows, jur);
        assert!(
            c.ends_with(want) || c.contains(&format!("{want} ")) || c.contains(&format!("{want}(")),
            "{jur}: wanted {want}, got {c:?}"
        );
    }
    let jp = rows.iter().find(|r| r["jurisdiction"] == "JP").unwrap();
    assert_eq!(jp["doc_id"], "jp-unauthorized-computer-access-act");
    assert!(jp["citation"].as_str().unwrap().ends_with(" 3"), "{jp}");
}

#[test]
fn no_match_rows_have_null_fields_and_exit_one() {
    let Some(idx) = index() else { return };
    let out = Command::cargo_bin("cyberlex")
        .unwrap()
        .args([
            "compare", "zzqxjwv", "-j", "DE", "-j", "FR", "--format", "json", "--index",
        ])
        .arg(idx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    for r in rows {
        assert_eq!(r["matched"], false);
        assert!(r["citation"].is_null() && r["passage_id"].is_null() && r["score"].is_null());
    }
}

#[test]
fn article_becomes_the_query() {
    let Some(idx) = index() else { return };
    let mut e = Engine::open(idx).unwrap();
    let r = e
        .compare(&CompareRequest {
            article: Some("coe:2".into()),
            ..Default::default()
        })
        .unwrap();
    assert!(r.concepts.contains(&"illegal-access".to_string()));
    assert!(!r.terms.is_empty());
    assert!(r.rows.iter().all(|row| row.jurisdiction != "COE"));
    let de = r.rows.iter().find(|row| row.jurisdiction == "DE").unwrap();
    assert_eq!(de.citation.as_deref(), Some("§ 202a"));
    let las = r.rows.iter().find(|row| row.jurisdiction == "LAS").unwrap();
    assert_eq!(las.citation.as_deref(), Some("Art. 6"));
}

#[test]
fn matrix_cells_are_explained_by_tag_rules() {
    let Some(idx) = index() else { return };
    let out = Command::cargo_bin("cyberlex")
        .unwrap()
        .args([
            "matrix",
            "--format",
            "json",
            "--explain",
            "-j",
            "DE",
            "-j",
            "RU",
            "--index",
        ])
        .arg(idx)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let de = &v["rows"][0];
    assert_eq!(de["jurisdiction"], "DE");
    assert_eq!(de["cells"]["illegal-access"]["citation"], "§ 202a");
    assert!(de["cells"]["illegal-access"]["rule"]
        .as_str()
        .unwrap()
        .starts_with("heading has label"));
    assert_eq!(
        v["rows"][1]["cells"]["illegal-access"]["citation"],
        "Art. 272"
    );
    let csv = Command::cargo_bin("cyberlex")
        .unwrap()
        .args(["matrix", "--format", "csv", "-j", "DE", "--index"])
        .arg(idx)
        .output()
        .unwrap();
    let text = String::from_utf8(csv.stdout).unwrap();
    assert!(text.starts_with("jurisdiction,illegal-access,"), "{text}");
}
