//! `situation` and `build --dir`: a folder of invented statutes in several formats (no corpus
//! text), indexed alone and together with the real corpus, searched with search, situation,
//! show and inspect; and a 6,000-character description over the corpus.
mod util;

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn cyberlex() -> Command {
    Command::cargo_bin("cyberlex").expect("binary")
}

/// A folder of the user's own documents, written for this test.
fn own_folder(root: &Path) -> PathBuf {
    let dir = root.join("own");
    std::fs::create_dir_all(dir.join("Memos")).unwrap();
    std::fs::write(
        dir.join("S1.txt"),
        "Title: Orchard Irrigation Code of Valdoria\n\n\
         Section 1. Short title\n\
         This Code may be cited as the Orchard Irrigation Code.\n\n\
         Section 2. Meddling with the sluice ledger\n\
         (1) A person who, without leave of the water warden, erases or rewrites an entry of the electronic sluice ledger commits an offence.\n\
         (2) The penalty is a fine of up to forty silver marks.\n\n\
         Section 3. Opening the irrigation dashboard with a borrowed token\n\
         A person who opens the irrigation dashboard with a token issued to another grower commits an offence.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("Memos/S1.md"),
        "# Memo on the dismissed ditch inspector\n\n\
         The inspector was dismissed in autumn and kept the token of the irrigation dashboard.\n\n\
         He later opened the dashboard from a barn and moved the watering slots of three orchards.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("beekeeping.html"),
        "<html><head><title>Beekeeping Registry Ordinance</title></head><body>\
         <h1>Beekeeping Registry Ordinance</h1>\
         <h2>Article 1 Scope</h2><p>This ordinance governs hives, swarms and the online hive registry.</p>\
         <h2>Article 2 Swamping the hive registry</h2><p>Whoever swamps the hive registry website with automated requests so that keepers cannot record their swarms is punished with a fine.</p>\
         </body></html>",
    )
    .unwrap();
    std::fs::write(
        dir.join("satzung.md"),
        "# Satzung über den Obstgarten\n\n## § 1 Geltungsbereich\n\nDiese Satzung gilt für alle Beete und Bewässerungsgräben des Obstgartens.\n\n\
         ## § 2 Eingriffe in das Gießbuch\n\nWer ohne Erlaubnis der Gartenaufsicht Einträge im elektronischen Gießbuch löscht oder verändert, handelt ordnungswidrig.\n",
    )
    .unwrap();
    std::fs::write(dir.join("broken.json"), "{\"provisions\": [").unwrap();
    std::fs::write(dir.join("photo.png"), "not a picture").unwrap();
    let outside = root.join("outside.txt");
    std::fs::write(&outside, "Section 9. A file outside the folder.\n").unwrap();
    #[cfg(unix)]
    std::os::unix::fs::symlink(&outside, dir.join("link-out.txt")).unwrap();
    let big = std::fs::File::create(dir.join("huge.txt")).unwrap();
    big.set_len(65 * 1024 * 1024).unwrap();
    dir
}

fn json(cmd: &mut Command) -> serde_json::Value {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
fn a_folder_alone_is_searchable_in_two_commands() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = own_folder(tmp.path());
    let idx = tmp.path().join("index");
    let report = json(
        cyberlex()
            .args(["build", "--json", "--dir"])
            .arg(&dir)
            .arg("--index")
            .arg(&idx),
    );
    let failures = report["failures"].as_array().unwrap();
    let reason = |id: &str| {
        failures
            .iter()
            .find(|f| f["source_id"] == id)
            .map(|f| f["reason"].as_str().unwrap().to_string())
            .unwrap_or_else(|| panic!("{id} not reported: {failures:?}"))
    };
    assert!(reason("broken").contains("broken.json"), "path named");
    assert!(reason("photo").contains("not a supported format"));
    assert!(reason("huge").contains("over the limit"));
    #[cfg(unix)]
    assert!(reason("link-out").contains("out of the folder"));
    assert_eq!(report["sources_built"], 4, "{report}");

    // The doc_id rule: `Memos/S1.md` → memos-s1, `S1.txt` → s1.
    cyberlex()
        .args(["inspect", "memos-s1", "--index"])
        .arg(&idx)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Memo on the dismissed ditch inspector",
        ));
    cyberlex()
        .args(["inspect", "s1", "--index"])
        .arg(&idx)
        .assert()
        .success()
        .stdout(predicate::str::contains(
            "Orchard Irrigation Code of Valdoria",
        ))
        .stdout(predicate::str::contains("s. 3"));
    cyberlex()
        .args(["inspect", "satzung", "--index"])
        .arg(&idx)
        .assert()
        .success()
        .stdout(predicate::str::contains("§ 2"))
        .stdout(predicate::str::contains(" de "));

    let hits = json(
        cyberlex()
            .args([
                "search",
                "irrigation dashboard",
                "--format",
                "json",
                "--index",
            ])
            .arg(&idx),
    );
    let first = &hits["hits"][0];
    assert_eq!(first["doc_id"], "s1");
    assert_eq!(first["citation"], "s. 3");
    assert_eq!(first["jurisdiction"], "XX");
    assert_eq!(first["kind"], "own");

    let sit = json(
        cyberlex()
            .args(["situation", "--format", "json", "--index"])
            .arg(&idx)
            .arg("A grower we act for says a dismissed inspector (who never handed back his token) opened the irrigation dashboard AND rewrote the \"sluice ledger\" entries last week."),
    );
    assert!(
        sit["terms"].as_array().is_some_and(|t| !t.is_empty()),
        "{sit}"
    );
    assert!(sit["concepts"].is_array());
    let top: Vec<String> = sit["hits"]
        .as_array()
        .unwrap()
        .iter()
        .take(3)
        .map(|h| {
            format!(
                "{} {}",
                h["doc_id"].as_str().unwrap(),
                h["citation"].as_str().unwrap()
            )
        })
        .collect();
    assert!(top.iter().any(|c| c == "s1 s. 3"), "{top:?}");
    assert!(top.iter().any(|c| c == "s1 s. 2"), "{top:?}");

    let id = first["passage_id"].as_str().unwrap();
    cyberlex()
        .args(["show", id, "--index"])
        .arg(&idx)
        .assert()
        .success()
        .stdout(predicate::str::contains("borrowed token"));
    cyberlex()
        .args(["sources", "--dir"])
        .arg(&dir)
        .assert()
        .success()
        .stdout(predicate::str::contains("Own documents"))
        .stdout(predicate::str::contains("refused"));

    // Incremental: an unchanged folder is not extracted again.
    let again = json(
        cyberlex()
            .args(["build", "--json", "--dir"])
            .arg(&dir)
            .arg("--index")
            .arg(&idx),
    );
    assert_eq!(again["up_to_date"], true, "{again}");
    std::fs::write(
        dir.join("satzung.md"),
        "# Satzung über den Obstgarten\n\n## § 1 Geltungsbereich\n\nDiese Satzung gilt für alle Beete.\n",
    )
    .unwrap();
    let changed = json(
        cyberlex()
            .args(["build", "--json", "--dir"])
            .arg(&dir)
            .arg("--index")
            .arg(&idx),
    );
    assert_eq!(changed["reused_sources"], 3, "{changed}");
}

#[test]
fn empty_descriptions_and_prose_queries() {
    let tmp = tempfile::tempdir().unwrap();
    let idx = tmp.path().join("index");
    cyberlex()
        .args(["situation", "   ", "--index"])
        .arg(&idx)
        .assert()
        .code(2)
        .stderr(predicate::str::contains("empty"));
    cyberlex()
        .args(["search", "--index"])
        .arg(&idx)
        .arg("My client ran a bakery for years. When his assistant left, she kept the till password, and last week she used it from home to read the sales figures of the whole month.")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("cyberlex situation"));
}

#[test]
fn a_long_description_over_the_corpus_and_an_own_folder() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let dir = own_folder(tmp.path());
    let idx = tmp.path().join("index");
    cyberlex()
        .args(["build", "--mirror"])
        .arg(&mirror)
        .arg("--dir")
        .arg(&dir)
        .arg("--index")
        .arg(&idx)
        .assert()
        .success();
    // A fact pattern of eval/situations.toml, cut to 6,000 characters: quotes, parentheses and
    // capitalised AND are prose.
    let qrels =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/eval/situations.toml"))
            .unwrap();
    let v: toml::Value = toml::from_str(&qrels).unwrap();
    let q = v["query"]
        .as_array()
        .unwrap()
        .iter()
        .find(|q| q["id"].as_str() == Some("za-hospital-ransomware-long"))
        .unwrap();
    let text: String = q["query"].as_str().unwrap().chars().take(6000).collect();
    assert!(text.contains('"') && text.contains('(') && text.contains(" AND "));
    let file = tmp.path().join("facts.txt");
    std::fs::write(&file, &text).unwrap();
    let sit = json(
        cyberlex()
            .args(["situation", "--format", "json", "--file"])
            .arg(&file)
            .arg("--index")
            .arg(&idx),
    );
    let hits = sit["hits"].as_array().unwrap();
    // Judged (eval/situations.toml): unlawful access, s. 2 of South Africa's Cybercrimes Act,
    // applies squarely; it is among the first three, and a South African provision leads.
    let top3: Vec<String> = hits
        .iter()
        .take(3)
        .map(|h| {
            format!(
                "{} {}",
                h["doc_id"].as_str().unwrap(),
                h["citation"].as_str().unwrap()
            )
        })
        .collect();
    assert!(
        top3.iter().any(|c| c == "za-cybercrimes-act-2020 s. 2"),
        "{top3:?}"
    );
    assert_eq!(hits[0]["jurisdiction"], "ZA", "{top3:?}");
    assert!(sit["concepts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["id"] == "illegal-access"));

    // The own folder beside the corpus: its provision comes first for its own story, and the
    // corpus is still searched as before.
    let own = json(
        cyberlex()
            .args(["situation", "--format", "json", "--index"])
            .arg(&idx)
            .arg("Somebody keeps swamping the hive registry website with automated requests, so the keepers of our association cannot record their swarms."),
    );
    assert_eq!(own["hits"][0]["doc_id"], "beekeeping", "{}", own["hits"][0]);
    let corpus = json(
        cyberlex()
            .args([
                "search",
                "Ausspähen von Daten",
                "--format",
                "json",
                "--index",
            ])
            .arg(&idx),
    );
    assert_eq!(corpus["hits"][0]["doc_id"], "de-stgb");
}
