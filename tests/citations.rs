//! Citations typed with their instrument, country and pinpoint, over the real corpus.
//!
//! The index is `$CYBERLEX_INDEX` when set (a prebuilt index of the same code), else one built
//! from the shared mirror into a temporary directory; without the corpus every test says so and
//! passes. Expectations were written from the passages' texts (citations, headings) before the
//! queries were run: which instrument holds the number, which subsection passages the index has.

mod util;

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use assert_cmd::Command;
use cyberlex::search::{Engine, SearchRequest, SearchResponse};
use serde_json::Value;

fn cyberlex() -> Command {
    let mut c = Command::cargo_bin("cyberlex").expect("binary built");
    c.env("NO_COLOR", "1").env_remove("RUST_LOG");
    c
}

struct Index {
    _dir: Option<tempfile::TempDir>,
    path: PathBuf,
}

fn index() -> Option<&'static Index> {
    static INDEX: OnceLock<Option<Index>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            if let Some(p) = std::env::var_os("CYBERLEX_INDEX") {
                return Some(Index {
                    _dir: None,
                    path: PathBuf::from(p),
                });
            }
            let mirror = util::mirror_dir()?;
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("index");
            let out = cyberlex()
                .args(["build", "--threads", "2", "--mirror"])
                .arg(&mirror)
                .arg("--index")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "build failed: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            Some(Index {
                _dir: Some(dir),
                path,
            })
        })
        .as_ref()
}

fn engine() -> Option<&'static Mutex<Engine>> {
    static ENGINE: OnceLock<Option<Mutex<Engine>>> = OnceLock::new();
    ENGINE
        .get_or_init(|| Some(Mutex::new(Engine::open(&index()?.path).unwrap())))
        .as_ref()
}

fn search_with(query: &str, limit: usize, f: impl FnOnce(&mut SearchRequest)) -> SearchResponse {
    let mut req = SearchRequest {
        query: query.into(),
        limit,
        ..Default::default()
    };
    f(&mut req);
    engine().unwrap().lock().unwrap().search(&req).unwrap()
}

fn search(query: &str) -> SearchResponse {
    search_with(query, 50, |_| {})
}

fn ids(r: &SearchResponse) -> Vec<&str> {
    r.hits.iter().map(|h| h.passage_id.as_str()).collect()
}

macro_rules! corpus_or_skip {
    () => {
        if engine().is_none() {
            return;
        }
    };
}

#[test]
fn instrument_named_after_the_number() {
    corpus_or_skip!();
    // The Russian Criminal Code's Art. 272 (unlawful access), not Brazil's Art. 272.
    let r = search("Art. 272 УК РФ");
    assert_eq!(ids(&r), ["ru-uk-272/272"], "{:?}", r.routing);
    let r = search("ст. 272 УК РФ");
    assert_eq!(ids(&r), ["ru-uk-272/272"]);
    // Kenya's s. 14 (unauthorised access), not a Philippine Sec. 14.
    let r = search("Section 14 Kenya");
    assert_eq!(ids(&r)[0], "ke-computer-misuse-and-cybercrimes-act-2018/14");
    assert_eq!(r.hits[0].heading, "Unauthorised access");
    assert!(r.hits.iter().all(|h| h.jurisdiction == "KE"));
    // Budapest's Art. 2 (illegal access) in English, then its Dutch translation.
    let r = search("article 2 of the Budapest Convention");
    assert_eq!(
        ids(&r),
        [
            "coe-budapest-convention-2001/2",
            "coe-budapest-convention-2001/nl/2"
        ]
    );
    assert_eq!(r.hits[0].heading, "Illegal access");
    let r = search("Art. 16 Budapest");
    assert_eq!(ids(&r)[0], "coe-budapest-convention-2001/16");
    assert!(r
        .hits
        .iter()
        .all(|h| h.doc_id == "coe-budapest-convention-2001"));
}

#[test]
fn instrument_on_either_side() {
    corpus_or_skip!();
    for q in [
        "§ 202a StGB",
        "StGB § 202a",
        "202a StGB",
        "§ 202a Strafgesetzbuch",
    ] {
        let r = search(q);
        assert_eq!(ids(&r), ["de-stgb/202a"], "{q}: {:?}", r.routing);
        assert_eq!(r.hits[0].heading, "Ausspähen von Daten");
    }
    for q in [
        "Art. 2 Budapest",
        "Budapest Art. 2",
        "ETS 185 Art. 2",
        "Art. 2 ETS No. 185",
    ] {
        let r = search(q);
        assert_eq!(ids(&r)[0], "coe-budapest-convention-2001/2", "{q}");
    }
    let r = search("s. 3 Computer Misuse Act Singapore");
    assert_eq!(ids(&r), ["sg-computer-misuse-act-1993/3"]);
    assert_eq!(
        r.hits[0].heading,
        "Unauthorised access to computer material"
    );
}

#[test]
fn chinese_japanese_and_korean_citations() {
    corpus_or_skip!();
    // 刑法 is the PRC's and Japan's code; only the PRC's has an Art. 285. The SPC
    // interpretation that cites it is not the provision.
    let r = search("刑法第二百八十五条");
    assert_eq!(ids(&r), ["cn-criminal-law/285"]);
    let r = search("不正アクセス禁止法第3条");
    assert_eq!(ids(&r), ["jp-unauthorized-computer-access-act/3"]);
    let r = search("정보통신망법 제48조");
    assert_eq!(ids(&r), ["kr-network-act/48"]);
    // A bare 第3条: every Chinese and Japanese instrument's Art. 3, grouped, said ambiguous.
    let r = search("第3条");
    let routing = r.routing.as_ref().expect("routed");
    assert!(routing.ambiguous, "{routing:?}");
    assert!(r.total_hits >= 5, "{}", r.total_hits);
    assert!(r
        .hits
        .iter()
        .all(|h| h.citation == "Art. 3" && (h.language == "zh" || h.language == "ja")));
    let inst: Vec<&str> = routing.instruments.iter().map(|i| i.id.as_str()).collect();
    assert!(inst.contains(&"cn-criminal-law") && inst.contains(&"jp-unauthorized-access-act"));
}

#[test]
fn civil_law_codes_in_their_languages() {
    corpus_or_skip!();
    for (q, want) in [
        ("art. 323-1 du Code pénal", "fr-code-penal-323-1/323-1"),
        (
            "Code pénal, article 323-3-1",
            "fr-code-penal-323-3-1/323-3-1",
        ),
        ("Art. 154-A CP", "br-codigo-penal/154-a"),
        ("artigo 154-A do Código Penal", "br-codigo-penal/154-a"),
        ("Sv art. 125k", "nl-wetboek-van-strafvordering/125k"),
        ("art. 138ab Sr", "nl-wetboek-van-strafrecht/138ab"),
        (
            "artikel 138ab Wetboek van Strafrecht",
            "nl-wetboek-van-strafrecht/138ab",
        ),
        ("Art. 269A Ley 1273", "co-ley-1273-2009/269a"),
        ("art. 1 legge 48/2008", "it-legge-48-2008/1"),
        (
            "Arab Convention Art. 6",
            "las-arab-convention-it-offences-2010/6",
        ),
        ("Art. 5 Malabo", "afu-malabo-convention-2014/5"),
    ] {
        let r = search(q);
        assert_eq!(ids(&r).first(), Some(&want), "{q}: {:?}", r.routing);
        assert_eq!(r.total_hits, 1, "{q}: {:?}", ids(&r));
    }
    // An Arabic designator prefers the Arabic text.
    let r = search("المادة 2");
    assert_eq!(r.hits[0].language, "ar", "{:?}", ids(&r));
}

#[test]
fn pinpoints_reach_the_deepest_passage_held() {
    corpus_or_skip!();
    // The index holds § 1030(a) as a passage, not (a)(2)(C): the parent, said so, with the
    // markers (2) and (C) highlighted inside it.
    for q in [
        "1030(a)(2)(C)",
        "18 U.S.C. § 1030(a)(2)(C)",
        "CFAA § 1030(a)(2)(C)",
    ] {
        let r = search(q);
        assert_eq!(ids(&r), ["us-18usc1030/1030/a"], "{q}");
        let routing = r.routing.as_ref().unwrap();
        assert_eq!(routing.pinpoint.as_deref(), Some("(a)(2)(c)"));
        assert_eq!(routing.instruments[0].pinpoint_held.as_deref(), Some("(a)"));
        assert!(routing.fallback.as_deref().unwrap().contains("(a)"));
        let text: Vec<char> = r.hits[0].text.chars().collect();
        let marked: Vec<String> = r.hits[0]
            .text_highlights
            .iter()
            .map(|[a, b]| text[*a..*b].iter().collect())
            .collect();
        assert_eq!(marked, ["(2)", "(C)"]);
    }
    // A pinpoint the index holds exactly.
    let r = search("§ 1030(b)");
    assert_eq!(ids(&r), ["us-18usc1030/1030/b"]);
    assert!(r.routing.as_ref().unwrap().fallback.is_none());
    // No pinpoint: the whole section, its subsections in order (a section whose text is all in
    // its subsections has no passage of its own: segmentation drops heading-only passages).
    let r = search("18 U.S.C. § 1030");
    assert_eq!(ids(&r)[0], "us-18usc1030/1030/a");
    assert!(ids(&r).contains(&"us-18usc1030/1030/b"));
    // German Absatz: the StGB holds whole paragraphs, so the paragraph, said so.
    let r = search("§ 202a Abs. 1 StGB");
    assert_eq!(ids(&r), ["de-stgb/202a"]);
    assert!(r.routing.as_ref().unwrap().fallback.is_some());
}

#[test]
fn unqualified_numbers_are_grouped_most_cited_first() {
    corpus_or_skip!();
    let r = search("Art. 32");
    let routing = r.routing.as_ref().expect("routed");
    assert!(routing.ambiguous && routing.order.is_some());
    assert!(routing.instruments.len() > 5);
    // Grouped: each instrument's passages are contiguous, in the instruments' order.
    let order: Vec<&str> = routing.instruments.iter().map(|i| i.id.as_str()).collect();
    let t = cyberlex::corpus::Instruments::builtin();
    let mut seen: Vec<&str> = Vec::new();
    for h in &r.hits {
        let id = t.for_doc(&h.doc_id).unwrap().id.as_str();
        if seen.last() != Some(&id) {
            assert!(!seen.contains(&id), "{id} is split: {:?}", ids(&r));
            seen.push(id);
        }
    }
    assert_eq!(seen, order[..seen.len()]);
    // Ordered by the stated rule: tier, then citing instruments, then citing passages.
    let keys: Vec<(u8, std::cmp::Reverse<usize>, std::cmp::Reverse<usize>)> = routing
        .instruments
        .iter()
        .map(|i| {
            (
                i.tier,
                std::cmp::Reverse(i.mentions.unwrap()),
                std::cmp::Reverse(i.mentioning_passages.unwrap()),
            )
        })
        .collect();
    assert!(keys.windows(2).all(|w| w[0] <= w[1]), "{keys:?}");
    // The Budapest Convention is named in the texts of several other instruments (the Italian
    // ratification law, NGO statements); Brazil's code is not first.
    assert_eq!(order[0], "budapest");
    assert_ne!(r.hits[0].doc_id, "br-codigo-penal");
    // total_hits counts every routed passage, whatever the page size.
    let one = search_with("Art. 32", 1, |_| {});
    assert_eq!(one.total_hits, r.total_hits);
    assert_eq!(one.hits[0].passage_id, r.hits[0].passage_id);
    let page = search_with("Art. 32", 2, |q| q.offset = 2);
    assert_eq!(page.hits[0].passage_id, r.hits[2].passage_id);
    assert_eq!(page.hits[0].rank, 3);
    // § 202a is both the StGB's and the StPO's; the StGB is the one cited elsewhere.
    let r = search("§ 202a");
    assert_eq!(ids(&r), ["de-stgb/202a", "de-stpo/202a"]);
    assert!(r.routing.unwrap().ambiguous);
}

#[test]
fn designators_do_not_search_as_words() {
    corpus_or_skip!();
    // "Art" is not the German word in the heading "Art der Protokollierung" (StPO § 168a).
    for q in ["Art. 272 УК РФ", "Art. 32 StPO", "Art. 32", "Art. 999 StGB"] {
        let r = search(q);
        assert!(!ids(&r).contains(&"de-stpo/168a"), "{q}: {:?}", ids(&r));
    }
    // The StPO designates by §: `Art. 32 StPO` is read as § 32, with a note.
    let r = search("Art. 32 StPO");
    assert_eq!(ids(&r), ["de-stpo/32"]);
    assert!(!r.routing.unwrap().notes.is_empty());
    // A section is not a German paragraph, but is the US Code's §.
    let r = search("s. 3");
    assert!(
        r.hits.iter().all(|h| !h.citation.starts_with('§')),
        "{:?}",
        ids(&r)
    );
    let r = search("Section 1030");
    assert_eq!(ids(&r)[0], "us-18usc1030/1030/a");
    // A provision the instrument does not have: said, then a ranked search without `Art.`.
    let r = search("Art. 999 StGB");
    let routing = r.routing.unwrap();
    assert!(routing.instruments.is_empty());
    assert!(routing.fallback.unwrap().contains("999"));
}

#[test]
fn filters_apply_to_routed_citations() {
    corpus_or_skip!();
    let r = search_with("Art. 2", 50, |q| {
        q.jurisdictions = vec!["COE".into()];
        q.langs = vec!["en".into()];
    });
    assert!(!r.hits.is_empty());
    assert!(r
        .hits
        .iter()
        .all(|h| h.jurisdiction == "COE" && h.language == "en" && h.citation == "Art. 2"));
    // Definitions of s. 2 are passages of their own: they come with it.
    let r = search("s. 2 Kenya");
    assert_eq!(ids(&r)[0], "ke-computer-misuse-and-cybercrimes-act-2018/2");
    assert!(r.total_hits > 1 && r.hits.iter().all(|h| h.citation.starts_with("s. 2")));
    // An amending act's provisions are cited under their host act, and reached through it;
    // Japan's supplementary provisions (`Suppl. Prov. 19, Art. 3`) do not answer for Art. 3.
    let r = search("s. 162.1 Criminal Code");
    assert_eq!(
        ids(&r),
        ["ca-protecting-canadians-from-online-crime-act-2014/162.1"]
    );
    let r = search("art. 162.1 Code criminel");
    assert_eq!(
        ids(&r),
        ["ca-protecting-canadians-from-online-crime-act-2014-fr/162.1"]
    );
    let r = search("第3条");
    assert!(
        !ids(&r).iter().any(|id| id.contains("/sp")),
        "{:?}",
        ids(&r)
    );
    // The official PECA before the bill text of the same instrument.
    let r = search("PECA s. 3");
    assert_eq!(
        ids(&r),
        [
            "pk-prevention-of-electronic-crimes-act-2016/3",
            "pk-peca-2016-md/3"
        ]
    );
}

#[test]
fn json_routing_field_and_explain() {
    corpus_or_skip!();
    let idx = &index().unwrap().path;
    let json = |q: &str| -> Value {
        let out = cyberlex()
            .args(["search", q, "--format", "json", "--index"])
            .arg(idx)
            .output()
            .unwrap();
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let v = json("Art. 272 УК РФ");
    let r = &v["routing"];
    assert_eq!(r["number"], "272");
    assert_eq!(r["designator_kind"], "article");
    assert_eq!(r["qualifiers"][0]["matched"], "instrument");
    assert_eq!(r["qualifiers"][0]["ids"][0], "uk-rf");
    assert_eq!(r["instruments"][0]["cited_as"], "УК РФ Art. 272");
    assert_eq!(r["ambiguous"], false);
    assert!(json("illegal access").get("routing").is_none());
    let out = cyberlex()
        .args(["search", "Art. 32", "--explain", "--index"])
        .arg(idx)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("read as a citation") && text.contains("ambiguous"),
        "{text}"
    );
    // Without --explain the text output still says it is ambiguous.
    let out = cyberlex()
        .args(["search", "Art. 32", "--index"])
        .arg(idx)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stdout).contains("ambiguous"));
}
