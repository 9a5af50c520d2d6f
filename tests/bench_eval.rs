//! `bench` and `eval`: the judged query set, the ranking metrics, and both commands end to end on
//! small inputs (never the bulk archive).

mod util;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use assert_cmd::Command;
use cyberlex::bench::metrics::{gains, mrr, ndcg, recall, Scores};
use cyberlex::bench::qrels::Qrels;
use cyberlex::corpus::Manifest;
use serde_json::Value;

fn cyberlex() -> Command {
    let mut c = Command::cargo_bin("cyberlex").expect("binary built");
    c.env("NO_COLOR", "1").env_remove("RUST_LOG");
    c
}

fn repo(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(p)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn qrels_parse_and_judge_documents_of_the_manifest() {
    let q = Qrels::load(&repo("eval/qrels.toml")).unwrap();
    assert!(q.queries.len() >= 40, "{} queries", q.queries.len());
    let m = Manifest::builtin();
    let mut langs = std::collections::HashSet::new();
    for jq in &q.queries {
        langs.insert(jq.lang.clone().unwrap_or_default());
        assert!(
            jq.relevant.iter().any(|j| j.grade == 2),
            "{}: no grade 2",
            jq.id
        );
        for j in &jq.relevant {
            assert!(m.get(&j.doc).is_some(), "{}: unknown doc {}", jq.id, j.doc);
        }
    }
    for l in ["en", "de", "fr", "nl", "ru", "zh", "ja", "pt"] {
        assert!(langs.contains(l), "no query in {l}");
    }
}

#[test]
fn qrels_errors_name_the_query() {
    let dup = "[[query]]\nid = \"a\"\nquery = \"x\"\nrelevant = [{ doc = \"d\", citation = \"Art. 1\", grade = 2 }]\n";
    let e = Qrels::parse(&format!("{dup}{dup}")).unwrap_err();
    assert!(e.to_string().contains("appears twice"), "{e}");
    let bad = dup.replace("grade = 2", "grade = 3");
    let e = Qrels::parse(&bad).unwrap_err();
    assert!(e.to_string().contains("grade 3"), "{e}");
}

#[test]
fn metrics_on_hand_made_rankings() {
    // Judged: a = 2, b = 1, c = 1. Ranking: x a y b (c missed).
    let judged: HashMap<&str, u8> = [("a", 2), ("b", 1), ("c", 1)].into_iter().collect();
    let grades = [2, 1, 1];
    let g = gains(&["x", "a", "y", "b"], &judged, 10);
    assert_eq!(g, vec![0, 2, 0, 1]);
    // DCG = 3/log2(3) + 1/log2(5); IDCG = 3/log2(2) + 1/log2(3) + 1/log2(4).
    let dcg = 3.0 / 3f64.log2() + 1.0 / 5f64.log2();
    let idcg = 3.0 + 1.0 / 3f64.log2() + 0.5;
    assert!(close(ndcg(&g, &grades, 10), dcg / idcg));
    assert!(close(recall(&g, &grades, 10), 2.0 / 3.0));
    assert!(close(mrr(&g, 10), 0.5));
    // A cut-off at 1 sees nothing relevant.
    assert_eq!(Scores::of(&g, &grades, 1), Scores::default());
    // Perfect and empty rankings.
    let p = gains(&["a", "b", "c"], &judged, 10);
    assert!(close(ndcg(&p, &grades, 10), 1.0));
    assert!(close(recall(&p, &grades, 10), 1.0));
    let none = gains::<&str>(&[], &judged, 10);
    assert_eq!(ndcg(&none, &grades, 10), 0.0);
    assert!(ndcg(&none, &grades, 10).is_sign_positive());
    // The mean of per-query scores.
    let m = Scores::mean(&[
        Scores {
            ndcg: 1.0,
            recall: 0.5,
            mrr: 1.0,
            ap: 1.0,
        },
        Scores {
            ndcg: 0.0,
            recall: 0.5,
            mrr: 0.0,
            ap: 0.0,
        },
    ]);
    assert_eq!(
        m,
        Scores {
            ndcg: 0.5,
            recall: 0.5,
            mrr: 0.5,
            ap: 0.5,
        }
    );
}

/// One small index (two sources) for the whole test binary, None when the corpus is absent.
fn small_index() -> Option<&'static (tempfile::TempDir, PathBuf)> {
    static BUILT: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let mirror = util::mirror_dir()?;
            let dir = tempfile::tempdir().unwrap();
            let index = dir.path().join("index");
            let out = cyberlex()
                .args(["build", "--json", "--threads", "2"])
                .args([
                    "--only",
                    "coe-budapest-convention-2001",
                    "--only",
                    "de-stgb",
                ])
                .arg("--mirror")
                .arg(&mirror)
                .arg("--index")
                .arg(&index)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some((dir, index))
        })
        .as_ref()
}

#[test]
fn eval_reports_ranker_and_baseline() {
    let Some((_, index)) = small_index() else {
        return;
    };
    let out = cyberlex()
        .arg("eval")
        .arg(repo("eval/qrels.toml"))
        .arg("--index")
        .arg(index)
        .args(["--format", "json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["k"], 10);
    for side in ["ranked", "baseline"] {
        for m in ["ndcg", "recall", "mrr"] {
            let x = v[side][m].as_f64().unwrap();
            assert!((0.0..=1.0).contains(&x), "{side}.{m} = {x}");
        }
    }
    // Budapest and the StGB are in this index: the ranking finds some judged provisions.
    assert!(v["ranked"]["ndcg"].as_f64().unwrap() > 0.0);
    let text = cyberlex()
        .arg("eval")
        .arg(repo("eval/qrels.toml"))
        .arg("--index")
        .arg(index)
        .output()
        .unwrap();
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(
        s.contains("nDCG@10") && s.contains("baseline") && s.contains("difference"),
        "{s}"
    );
}

#[test]
fn bench_query_runs_every_shipped_query() {
    let Some((_, index)) = small_index() else {
        return;
    };
    let q = std::fs::read_to_string(repo("bench/queries.txt")).unwrap();
    let n = q
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .count();
    assert!(n >= 50, "{n} queries");
    let out = cyberlex()
        .args([
            "bench",
            "query",
            "--runs",
            "1",
            "--format",
            "json",
            "--queries",
        ])
        .arg(repo("bench/queries.txt"))
        .arg("--index")
        .arg(index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["queries"].as_u64().unwrap() as usize, n);
    assert_eq!(v["errors"], 0);
    for k in ["p50", "p95", "p99"] {
        assert!(v["warm_ms"][k].as_f64().unwrap() > 0.0);
        assert!(v["cold_ms"][k].as_f64().unwrap() > 0.0);
    }
}

#[test]
fn bench_build_prints_json_with_the_expected_keys() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let out = cyberlex()
        .args(["bench", "build", "--runs", "1", "--format", "json"])
        .args([
            "--threads",
            "1",
            "--threads",
            "2",
            "--scale",
            "1",
            "--scale",
            "2",
        ])
        .args([
            "--source",
            "coe-budapest-convention-2001",
            "--source",
            "fr-code-penal-323-1",
        ])
        .arg("--mirror")
        .arg(&mirror)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(v["machine"]["cores"].as_u64().unwrap() >= 1);
    let configs = v["configs"].as_array().unwrap();
    assert_eq!(configs.len(), 4);
    for c in configs {
        for k in [
            "scale",
            "threads",
            "seconds",
            "stages",
            "input_bytes",
            "unpacked_bytes",
            "passages",
            "segments",
            "mb_per_s",
            "mb_per_s_per_core",
            "passages_per_s",
            "peak_rss_mb",
            "speedup",
            "scale_ratio",
        ] {
            assert!(!c[k].is_null(), "missing {k}: {c}");
        }
        assert!(c["seconds"]["median"].as_f64().unwrap() > 0.0);
        assert!(c["peak_rss_mb"]["median"].as_f64().unwrap() > 0.0);
        assert!(c["segments"].as_u64().unwrap() >= 1);
    }
    // Scale 2 holds twice the passages of scale 1, under distinct ids.
    let p = |k: u64| {
        configs.iter().find(|c| c["scale"] == k).unwrap()["passages"]
            .as_u64()
            .unwrap()
    };
    assert_eq!(p(2), 2 * p(1));
}
