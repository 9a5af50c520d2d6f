//! The two query modes, highlights, currency and the query budget, on an index of the shared
//! mirror. Expectations were judged from the texts (and are checked against them here, word by
//! word, independently of the engine's own matcher).

mod util;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use assert_cmd::Command;
use cyberlex::corpus::Manifest;
use cyberlex::search::mode::Mode;
use cyberlex::search::{Engine, Hit, SearchError, SearchRequest, SearchResponse};

struct Built {
    _dir: tempfile::TempDir,
    _index: PathBuf,
}

/// One index for the whole test binary, built from the mirror (None when the corpus is absent).
fn engine() -> Option<&'static Engine> {
    static BUILT: OnceLock<Option<(Built, Engine)>> = OnceLock::new();
    BUILT
        .get_or_init(|| {
            let mirror = util::mirror_dir()?;
            let dir = tempfile::tempdir().unwrap();
            let index = dir.path().join("index");
            let out = Command::cargo_bin("cyberlex")
                .unwrap()
                .env_remove("RUST_LOG")
                .args(["build", "--threads", "2", "--mirror"])
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
            let engine = Engine::open(&index).expect("the index opens");
            Some((
                Built {
                    _dir: dir,
                    _index: index,
                },
                engine,
            ))
        })
        .as_ref()
        .map(|(_, e)| e)
}

fn search(e: &Engine, q: &str, limit: usize) -> SearchResponse {
    e.search(&SearchRequest {
        query: q.to_string(),
        limit,
        ..Default::default()
    })
    .unwrap_or_else(|err| panic!("{q}: {err}"))
}

/// Lower-cased words of letters and digits, as a reader would count them.
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn within(ws: &[String], a: &[&str], b: &[&str], n: usize) -> bool {
    let pa: Vec<usize> = (0..ws.len())
        .filter(|&i| a.contains(&ws[i].as_str()))
        .collect();
    let pb: Vec<usize> = (0..ws.len())
        .filter(|&i| b.contains(&ws[i].as_str()))
        .collect();
    pa.iter().any(|&x| pb.iter().any(|&y| x.abs_diff(y) <= n))
}

fn highlighted(h: &Hit) -> Vec<String> {
    let chars: Vec<char> = h.text.chars().collect();
    h.text_highlights
        .iter()
        .map(|[a, b]| chars[*a..*b].iter().collect())
        .collect()
}

#[test]
fn connector_hits_are_exact_and_counted_independently_of_the_limit() {
    let Some(e) = engine() else { return };
    let q = "access /3 computer";
    let totals: Vec<usize> = [1, 10, 50]
        .iter()
        .map(|&n| search(e, q, n).total_hits)
        .collect();
    assert!(totals[0] > 0, "{totals:?}");
    assert!(totals.iter().all(|&t| t == totals[0]), "{totals:?}");
    let r = search(e, q, 1000);
    assert_eq!(r.mode, Mode::Exact);
    assert_eq!(
        r.hits.len(),
        r.total_hits,
        "every satisfying passage is listed"
    );
    let access = ["access", "accesses", "accessed", "accessing"];
    let computer = ["computer", "computers"];
    for h in &r.hits {
        let ok = within(&words(&h.text), &access, &computer, 3)
            || within(&words(&h.heading), &access, &computer, 3);
        assert!(ok, "{} does not satisfy {q}", h.passage_id);
    }
}

#[test]
fn quoted_phrases_are_word_for_word() {
    let Some(e) = engine() else { return };
    let r = search(e, "\"illegal access\"", 500);
    assert_eq!(r.mode, Mode::Exact);
    assert!(r.total_hits > 0);
    assert_eq!(r.hits.len(), r.total_hits);
    for h in &r.hits {
        let has = |s: &str| {
            words(s)
                .windows(2)
                .any(|w| w[0] == "illegal" && w[1] == "access")
        };
        assert!(
            has(&h.text) || has(&h.heading),
            "{} lacks the phrase",
            h.passage_id
        );
    }
}

#[test]
fn but_not_excludes_and_counts_add_up() {
    let Some(e) = engine() else { return };
    let all = search(e, "computer AND data", 1).total_hits;
    let without = search(e, "computer AND data % fraud", 2000);
    let with = search(e, "computer AND data AND fraud", 1).total_hits;
    assert!(with > 0 && without.total_hits > 0);
    assert_eq!(all, without.total_hits + with);
    for h in &without.hits {
        let ws = words(&format!("{} {}", h.text, h.heading));
        assert!(
            !ws.iter().any(|w| w == "fraud" || w == "frauds"),
            "{}",
            h.passage_id
        );
    }
}

#[test]
fn sentence_connectors_read_the_heading_as_a_sentence_of_its_own() {
    let Some(e) = engine() else { return };
    // Singapore's s. 3: "unauthorised" and "material" both stand in its heading only.
    let ids = |q: &str| -> HashSet<String> {
        search(e, q, 500)
            .hits
            .into_iter()
            .map(|h| h.passage_id)
            .collect()
    };
    assert!(ids("unauthorised /s material").contains("sg-computer-misuse-act-1993/3"));
    assert!(ids("unauthorised /p material").contains("sg-computer-misuse-act-1993/3"));
    // "program" is in its text only: a heading word and a text word share no sentence.
    assert!(!ids("unauthorised /s program").contains("sg-computer-misuse-act-1993/3"));
}

#[test]
fn plain_words_are_ranked_and_keep_to_their_language() {
    let Some(e) = engine() else { return };
    let r = e
        .search(&SearchRequest {
            query: "détention d'outils de piratage".into(),
            limit: 50,
            explain: true,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(r.mode, Mode::Ranked);
    // A passage in another language may come through a concept the query names (`piratage`
    // names illegal access), but never through the spelling of `détention`: its word
    // "detention" is never what matched, so it is never marked.
    for h in &r.hits {
        if h.language == "fr" {
            continue;
        }
        let chars: Vec<char> = h.text.chars().collect();
        for [a, b] in &h.text_highlights {
            let marked: String = chars[*a..*b].iter().collect::<String>().to_lowercase();
            assert_ne!(
                marked, "detention",
                "{} matched the French word by spelling",
                h.passage_id
            );
        }
        assert!(
            h.explanation
                .as_deref()
                .is_some_and(|w| w.contains("concept"))
                || !words(&format!("{} {}", h.heading, h.text))
                    .iter()
                    .any(|w| w == "detention"),
            "{} ranks by the word alone",
            h.passage_id
        );
    }
}

#[test]
fn highlights_mark_only_what_matched() {
    let Some(e) = engine() else { return };
    for h in search(e, "providers", 10).hits {
        for s in highlighted(&h) {
            assert!(
                !s.to_lowercase().contains("provided"),
                "{}: {s}",
                h.passage_id
            );
        }
    }
    for h in search(e, "preservation of stored computer data", 10).hits {
        for s in highlighted(&h) {
            assert_ne!(s.to_lowercase(), "of", "{}", h.passage_id);
        }
    }
    // Criminal Law Art. 285 holds 计算机信息系统 but not the whole query.
    let r = search(e, "非法侵入计算机信息系统", 10);
    let art = r
        .hits
        .iter()
        .find(|h| h.passage_id == "cn-criminal-law/285")
        .expect("Art. 285 is among the first ten");
    assert!(highlighted(art)
        .iter()
        .any(|s| s.contains("计算机信息系统")));
}

#[test]
fn every_hit_says_how_current_it_is() {
    let Some(e) = engine() else { return };
    let m = Manifest::builtin();
    for q in ["accès frauduleux", "illegal access", "Computerbetrug"] {
        for h in search(e, q, 20).hits {
            let src = m.sources.iter().find(|s| s.id == h.doc_id);
            let Some(src) = src else { continue };
            assert_eq!(h.version_date, src.date, "{}", h.passage_id);
            assert_eq!(h.completeness, src.complete.clone().unwrap_or_default());
            let note = h.completeness.to_lowercase();
            assert_eq!(
                h.currency.iter().any(|c| c == "outdated"),
                note.contains("outdated"),
                "{}",
                h.passage_id
            );
        }
    }
    // The French articles are single, outdated articles.
    let r = search(e, "accès frauduleux", 20);
    assert!(r.hits.iter().any(
        |h| h.doc_id.starts_with("fr-code-penal-323") && h.currency == ["excerpt", "outdated"]
    ));
}

#[test]
fn long_connector_chains_answer_within_bounds() {
    let Some(e) = engine() else { return };
    let n = e.num_passages() as usize;
    for (connector, terms) in [("w/5", 13), ("w/5", 20), ("/s", 10), ("/s", 20), ("/p", 16)] {
        let q = vec!["access"; terms].join(&format!(" {connector} "));
        let r = search(e, &q, 10);
        assert!(
            r.total_hits > 0 && r.total_hits <= n,
            "{q}: {}",
            r.total_hits
        );
        assert!(r.hits.len() <= 10);
        assert!(r.warnings.is_empty(), "{q}: {:?}", r.warnings);
    }
}

#[test]
fn a_spent_budget_is_a_clear_error() {
    let Some(e) = engine() else { return };
    let req = SearchRequest {
        query: "access w/5 computer w/5 data".into(),
        limit: 10,
        timeout: Some(Duration::from_nanos(1)),
        ..Default::default()
    };
    match e.search(&req) {
        Err(SearchError::Timeout { ms, .. }) => assert_eq!(ms, 0),
        Ok(r) => panic!("expected a timeout, got {} hits", r.hits.len()),
        Err(other) => panic!("expected a timeout, got {other}"),
    }
}

#[test]
fn the_engine_serves_several_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Engine>();
    let Some(e) = engine() else { return };
    let one = search(e, "illegal access", 10);
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..4)
            .map(|_| s.spawn(|| search(e, "illegal access", 10)))
            .collect();
        for h in handles {
            let r = h.join().unwrap();
            let a: Vec<&str> = r.hits.iter().map(|h| h.passage_id.as_str()).collect();
            let b: Vec<&str> = one.hits.iter().map(|h| h.passage_id.as_str()).collect();
            assert_eq!(a, b);
        }
    });
}
