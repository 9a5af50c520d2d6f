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

/// The three views of one question give one answer: for every concept of the taxonomy and
/// every jurisdiction, `compare QUERY` (the concept's label), `compare --article coe:N` and the
/// matrix cell name the same provision with the same explanation.
/// Assessments are computed once per process and index generation: a second request reads no
/// stored document, and gives the same provisions.
#[test]
fn assessments_are_reused_across_requests() {
    let Some(idx) = index() else { return };
    let e = Engine::open(idx).unwrap();
    let kinds: Vec<String> = cyberlex::search::compare::PROVISION_KINDS
        .iter()
        .map(|k| k.to_string())
        .collect();
    let a = e.assessed("DE", &kinds).unwrap();
    let b = Engine::open(idx).unwrap().assessed("DE", &kinds).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    assert!(!a.is_empty());
    let fr = e.assessed("FR", &kinds).unwrap();
    assert!(fr.iter().all(|x| x.passage.jurisdiction == "FR"));
}

#[test]
fn compare_article_and_matrix_agree_on_every_cell() {
    let Some(idx) = index() else { return };
    let mut e = Engine::open(idx).unwrap();
    let t = e.taxonomy.clone();
    let m = e.matrix(&[], &[], false).unwrap();
    assert!(m.rows.len() > 20, "{} rows", m.rows.len());
    let mut cells = 0;
    for c in &t.concepts {
        // A label naming this concept alone.
        let label = c
            .labels
            .values()
            .flatten()
            .find(|l| {
                let named = t.concepts_for_query(l);
                named.len() == 1 && named[0].id == c.id
            })
            .unwrap_or_else(|| panic!("{}: no label names it alone", c.id));
        let by_query = e
            .compare(&CompareRequest {
                query: label.clone(),
                ..Default::default()
            })
            .unwrap();
        assert_eq!(by_query.concepts, vec![c.id.clone()], "{label}");
        let article = c
            .articles
            .get("coe")
            .into_iter()
            .flatten()
            .find(|n| {
                cyberlex::search::compare::concepts_of_article(&t, "coe", n) == [c.id.as_str()]
            })
            .map(|n| format!("coe:{n}"));
        let by_article = article.as_ref().map(|a| {
            e.compare(&CompareRequest {
                article: Some(a.clone()),
                ..Default::default()
            })
            .unwrap()
        });
        for row in &m.rows {
            let cell = row.cells.get(&c.id);
            let want = cell.map(|x| x.passage_id.clone());
            let q = by_query
                .rows
                .iter()
                .find(|r| r.jurisdiction == row.jurisdiction)
                .unwrap_or_else(|| panic!("{label}: no row for {}", row.jurisdiction));
            assert_eq!(
                q.passage_id, want,
                "{} {label}: query vs matrix",
                row.jurisdiction
            );
            if let Some(x) = cell {
                assert_eq!(
                    q.why.as_deref(),
                    Some(x.why.as_str()),
                    "{}",
                    row.jurisdiction
                );
                assert_eq!(q.document.as_deref(), Some(x.document.as_str()));
            }
            if let (Some(a), Some(resp)) = (&article, &by_article) {
                if let Some(r) = resp
                    .rows
                    .iter()
                    .find(|r| r.jurisdiction == row.jurisdiction)
                {
                    assert_eq!(
                        r.passage_id, want,
                        "{} {a}: article vs matrix",
                        row.jurisdiction
                    );
                    assert_eq!(r.why, q.why, "{} {a}", row.jurisdiction);
                }
            }
            cells += 1;
        }
    }
    assert!(cells >= 21 * 20, "{cells} cells");
}

/// Convention rows hold one instrument; cells name their document.
#[test]
fn matrix_rows_keep_to_one_instrument_and_name_documents() {
    let Some(idx) = index() else { return };
    let mut e = Engine::open(idx).unwrap();
    let m = e
        .matrix(&["UN".into(), "DE".into(), "COE".into()], &[], false)
        .unwrap();
    for row in &m.rows {
        for cell in row.cells.values() {
            match row.jurisdiction.as_str() {
                "UN" => assert!(
                    cell.doc_id.starts_with("un-cybercrime-convention-2024"),
                    "{cell:?}"
                ),
                "COE" => assert_eq!(cell.doc_id, "coe-budapest-convention-2001"),
                _ => {}
            }
        }
    }
    let de = m.rows.iter().find(|r| r.jurisdiction == "DE").unwrap();
    assert_eq!(de.cells["illegal-access"].label(), "StGB § 202a");
    // Judged from the StPO's text: § 100a is the interception of telecommunications.
    // (segmentation cites its subsections, `§ 100a(1)`…: any of them names the provision)
    let label = de.cells["content-interception"].label();
    assert!(label.starts_with("StPO § 100a"), "{label}");
    let out = Command::cargo_bin("cyberlex")
        .unwrap()
        .args(["matrix", "--format", "text", "--index"])
        .arg(idx)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("StGB § 202a"), "{text}");
    for line in text.lines() {
        assert!(line.chars().count() <= 80, "too wide: {line}");
    }
}

/// Lay terms reach the provisions (judged from the texts: s. 3LA of the Crimes Act as amended
/// is the order to assist access to a computer, Sv art. 125k the order to decrypt).
#[test]
fn lay_terms_reach_the_provisions() {
    let Some(idx) = index() else { return };
    let mut e = Engine::open(idx).unwrap();
    let r = e
        .compare(&CompareRequest {
            query: "compelled disclosure of encryption keys".into(),
            jurisdictions: vec!["AU".into(), "NL".into(), "PK".into()],
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.concepts, vec!["compelled-assistance".to_string()]);
    for (j, want) in [
        ("AU", "au-cth-cybercrime-act-2001/3la"),
        ("NL", "nl-wetboek-van-strafvordering/125k"),
    ] {
        let row = r.rows.iter().find(|x| x.jurisdiction == j).unwrap();
        assert_eq!(row.passage_id.as_deref(), Some(want), "{row:?}");
    }
    let pk = r.rows.iter().find(|x| x.jurisdiction == "PK").unwrap();
    assert!(
        pk.passage_id
            .as_deref()
            .is_some_and(|p| p.ends_with("/35") || p.ends_with("/32")),
        "{pk:?}"
    );
    let hits = |q: &str| {
        e.search(&cyberlex::search::SearchRequest {
            query: q.into(),
            limit: 20,
            ..Default::default()
        })
        .unwrap()
        .hits
        .into_iter()
        .map(|h| h.passage_id)
        .collect::<Vec<_>>()
    };
    let keys = hits("compelled disclosure of encryption keys");
    assert!(
        keys.iter().any(|p| p == "au-cth-cybercrime-act-2001/3la"),
        "{keys:?}"
    );
    for q in ["botnet", "DDoS", "phishing", "ransomware"] {
        assert!(!hits(q).is_empty(), "{q} reaches nothing");
    }
}

/// The judged truth table (`eval/truth.toml`) keeps its tune half at what the issue asks of
/// the table (0.90 of provision cells right, 0.95 of "none" cells unmatched): a change of the
/// taxonomy or the decision that loses cells fails here. The held-out half is reported by
/// `cyberlex eval`, never asserted: a test on it would make it a second tune half.
#[test]
fn the_truth_tables_tune_half_keeps_its_accuracy() {
    let Some(idx) = index() else { return };
    let table = cyberlex::bench::truth::TruthTable::load(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/truth.toml"),
    )
    .unwrap();
    let mut e = Engine::open(idx).unwrap();
    let results = cyberlex::bench::truth::score(&mut e, &table).unwrap();
    let s = cyberlex::bench::truth::by_split(&results)["tune"];
    assert!(
        s.provision_accuracy() >= 0.90 && s.none_accuracy() >= 0.95,
        "tune: provision {}/{}, none {}/{}",
        s.provision_right,
        s.provision_cells,
        s.none_right,
        s.none_cells
    );
}
