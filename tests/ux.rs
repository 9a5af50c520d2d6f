//! The first hour of a new user (issue 16): where the index lives, consistent flags, helpful
//! errors, readable output. Every test builds a tiny index from a folder of invented sentences
//! (`build --dir`), in a temporary home, so none needs the corpus.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

/// The binary, with a temporary home, data and cache directory, no CYBERLEX_INDEX or
/// CYBERLEX_CACHE, no colours.
fn cyberlex(home: &Path) -> Command {
    let mut c = Command::cargo_bin("cyberlex").expect("binary built");
    c.env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("CYBERLEX_INDEX")
        .env_remove("CYBERLEX_CORPUS")
        .env_remove("CYBERLEX_CACHE")
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("XDG_CACHE_HOME", home.join("cache"))
        .current_dir(home);
    c
}

/// A folder of three invented documents (own sentences, no law text).
fn own_folder(root: &Path) -> PathBuf {
    let dir = root.join("docs");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(
        dir.join("access.txt"),
        "Article 1 Illegal access\n\nWhoever enters a computer system without right, \
         by breaking a password, commits illegal access and is punished.\n\n\
         Article 2 Data interference\n\nWhoever deletes or alters computer data without \
         right is punished for data interference.\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fraud.txt"),
        "Article 1 Computer fraud\n\nWhoever causes a loss of property to another by \
         manipulating computer data, with fraudulent intent, commits computer fraud.\n",
    )
    .unwrap();
    dir
}

/// Build the tiny index into `index` (or the default place when `None`).
fn build(home: &Path, index: Option<&Path>) {
    let docs = own_folder(home);
    let mut c = cyberlex(home);
    c.args(["build", "--threads", "1", "--dir"]).arg(&docs);
    if let Some(i) = index {
        c.arg("--index").arg(i);
    }
    let out = c.output().unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

// ---- item 1: the per-user default index ------------------------------------------------------

#[test]
fn missing_index_names_the_path_and_the_command() {
    let home = tempfile::tempdir().unwrap();
    let out = cyberlex(home.path())
        .args(["search", "illegal access"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    let looked = std::path::absolute(home.path().join("data/cyberlex/index")).unwrap();
    assert!(
        err.contains(&format!("no index at {}", looked.display())),
        "{err}"
    );
    assert!(
        err.contains("cyberlex build --mirror")
            && err.contains(&format!("--index {}", looked.display())),
        "{err}"
    );
}

#[test]
fn build_without_index_goes_to_the_data_dir_and_search_finds_it_anywhere() {
    let home = tempfile::tempdir().unwrap();
    build(home.path(), None);
    assert!(home.path().join("data/cyberlex/index/CURRENT").is_file());
    let elsewhere = home.path().join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    let out = cyberlex(home.path())
        .current_dir(&elsewhere)
        .args(["search", "illegal access", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("access.txt") || stdout(&out).contains("Illegal access"));
}

#[test]
fn env_overrides_the_default_and_the_flag_overrides_the_env() {
    let home = tempfile::tempdir().unwrap();
    let idx = home.path().join("mine");
    build(home.path(), Some(&idx));
    // CYBERLEX_INDEX finds it.
    let out = cyberlex(home.path())
        .env("CYBERLEX_INDEX", &idx)
        .args(["search", "fraud"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // --index wins over a wrong CYBERLEX_INDEX.
    let out = cyberlex(home.path())
        .env("CYBERLEX_INDEX", home.path().join("nowhere"))
        .args(["search", "fraud", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // And a wrong CYBERLEX_INDEX alone is the path the error names.
    let out = cyberlex(home.path())
        .env("CYBERLEX_INDEX", home.path().join("nowhere"))
        .args(["inspect", "x"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("nowhere"), "{}", stderr(&out));
}

#[test]
fn a_built_index_in_the_current_directory_still_wins_over_the_data_dir() {
    let home = tempfile::tempdir().unwrap();
    build(home.path(), Some(&home.path().join("index")));
    let out = cyberlex(home.path())
        .args(["search", "fraud"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!home.path().join("data/cyberlex/index").exists());
}

/// A home with the tiny index at `home/idx`; returns (home, index).
fn with_index() -> (tempfile::TempDir, PathBuf) {
    let home = tempfile::tempdir().unwrap();
    let idx = home.path().join("idx");
    build(home.path(), Some(&idx));
    (home, idx)
}

fn run(home: &Path, idx: &Path, args: &[&str]) -> std::process::Output {
    cyberlex(home)
        .args(args)
        .arg("--index")
        .arg(idx)
        .output()
        .unwrap()
}

// ---- item 4: invalid filter values -----------------------------------------------------------

#[test]
fn unknown_filter_values_exit_2_naming_the_valid_ones() {
    let (home, idx) = with_index();
    let h = home.path();
    let out = run(h, &idx, &["search", "fraud", "--kind", "law"]);
    assert_eq!(out.status.code(), Some(2));
    let e = stderr(&out);
    assert!(
        e.contains("--kind `law`") && e.contains("national-law") && e.contains("own"),
        "{e}"
    );
    // The tiny index holds only English passages: `xx` is refused, `en` accepted.
    let out = run(h, &idx, &["search", "fraud", "--lang", "xx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--lang `xx`; valid values: en"),
        "{}",
        stderr(&out)
    );
    assert!(run(h, &idx, &["search", "fraud", "--lang", "EN"])
        .status
        .success());
    for cmd in [
        &["search", "fraud"][..],
        &["situation", "someone guessed my password and read my mail"],
        &["compare", "fraud"],
        &["matrix"],
    ] {
        let mut args = cmd.to_vec();
        args.extend(["--concept", "nope"]);
        let out = run(h, &idx, &args);
        assert_eq!(out.status.code(), Some(2), "{cmd:?}");
        let e = stderr(&out);
        assert!(
            e.contains("--concept `nope`") && e.contains("illegal-access"),
            "{cmd:?}: {e}"
        );
    }
}

#[test]
fn concepts_and_kinds_list_the_vocabularies() {
    let (home, idx) = with_index();
    let out = cyberlex(home.path())
        .args(["concepts", "--format", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ia = v
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "illegal-access")
        .expect("illegal-access listed");
    // Budapest Article 2 defines illegal access.
    assert!(
        ia["articles"]["coe"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a == "2"),
        "{ia}"
    );
    let text = stdout(&cyberlex(home.path()).arg("concepts").output().unwrap());
    assert!(text.starts_with("ID") && text.contains("coe:2"), "{text}");
    let out = run(home.path(), &idx, &["kinds"]);
    assert!(out.status.success());
    let t = stdout(&out);
    let own = t
        .lines()
        .find(|l| l.starts_with("own "))
        .expect("own listed");
    assert!(own.contains("yes"), "{t}");
    let conv = t.lines().find(|l| l.starts_with("convention ")).unwrap();
    assert!(conv.contains(" no "), "{t}");
}

// ---- item 6: query, help query, hyphens, completions, man ------------------------------------

#[test]
fn query_is_search_and_help_query_explains_the_language() {
    let (home, idx) = with_index();
    let a = run(home.path(), &idx, &["query", "fraud", "--format", "json"]);
    let b = run(home.path(), &idx, &["search", "fraud", "--format", "json"]);
    assert!(a.status.success(), "{}", stderr(&a));
    assert_eq!(a.stdout, b.stdout);
    let help = stdout(
        &cyberlex(home.path())
            .args(["help", "query"])
            .output()
            .unwrap(),
    );
    assert!(help.contains("Usage: cyberlex search"), "{help}");
    assert!(help.contains(crate_query_help_marker()), "{help}");
    // `cyberlex query` alone still prints the query language, as it did before it was an alias.
    let alone = stdout(&cyberlex(home.path()).arg("query").output().unwrap());
    assert!(alone.contains(crate_query_help_marker()), "{alone}");
}

/// A line of the query language help (its operators' section), read from the library.
fn crate_query_help_marker() -> &'static str {
    cyberlex::search::views::QUERY_HELP
        .lines()
        .find(|l| l.trim().len() > 10)
        .unwrap()
        .trim()
}

#[test]
fn a_query_may_start_with_a_hyphen() {
    let (home, idx) = with_index();
    // Read as a query (an exclusion), not as an unknown flag: clap's "use -- " never appears.
    let out = run(home.path(), &idx, &["search", "-fraud"]);
    assert!(
        !stderr(&out).contains("unexpected argument"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("exclusions"), "{}", stderr(&out));
    // With a word to search for, the exclusion applies: fraud.txt has "fraud", access.txt not.
    let out = run(
        home.path(),
        &idx,
        &["search", "-fraud computer", "--format", "json"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let hits = v["hits"].as_array().unwrap();
    assert!(!hits.is_empty());
    assert!(hits.iter().all(|h| h["doc_id"] == "access"), "{v}");
}

#[test]
fn completions_and_man_page() {
    let home = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = cyberlex(home.path())
            .args(["completions", shell])
            .output()
            .unwrap();
        assert!(out.status.success(), "{shell}");
        let s = stdout(&out);
        assert!(s.contains("situation") && s.contains("cyberlex"), "{shell}");
    }
    let out = cyberlex(home.path()).arg("man").output().unwrap();
    assert!(out.status.success());
    let s = stdout(&out);
    assert!(s.contains(".TH cyberlex") && s.contains("search"), "{s}");
}

// ---- item 3: one --format everywhere ---------------------------------------------------------

#[test]
fn format_json_everywhere_and_json_stays_an_alias() {
    let (home, idx) = with_index();
    let h = home.path();
    let v: serde_json::Value =
        serde_json::from_slice(&run(h, &idx, &["search", "fraud", "--format", "json"]).stdout)
            .unwrap();
    let pid = v["hits"][0]["passage_id"].as_str().unwrap().to_string();
    let doc = v["hits"][0]["doc_id"].as_str().unwrap().to_string();
    for args in [vec!["show", &pid], vec!["inspect", &doc]] {
        let mut f = args.clone();
        f.extend(["--format", "json"]);
        let mut j = args.clone();
        j.push("--json");
        let a = run(h, &idx, &f);
        assert!(a.status.success(), "{args:?}: {}", stderr(&a));
        assert_eq!(a.stdout, run(h, &idx, &j).stdout, "{args:?}");
        serde_json::from_slice::<serde_json::Value>(&a.stdout).expect("JSON");
    }
    let docs = h.join("docs");
    let out = cyberlex(h)
        .args(["sources", "--format", "json", "--dir"])
        .arg(&docs)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(serde_json::from_slice::<serde_json::Value>(&out.stdout)
        .unwrap()
        .is_array());
    let out = cyberlex(h)
        .args(["build", "--threads", "1", "--format", "json", "--dir"])
        .arg(&docs)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(r["documents"].is_u64());
}

// ---- item 5: did you mean --------------------------------------------------------------------

#[test]
fn misspelled_words_get_a_suggestion_from_the_index_terms() {
    let (home, idx) = with_index();
    // "ilegal" and "acess" are in no passage; "illegal" and "access" are, one edit away.
    let out = run(home.path(), &idx, &["search", "ilegal acess"]);
    let e = stderr(&out);
    assert!(e.contains("did you mean: illegal access"), "{e}");
    // A zero-hit query hints at situation; with a filter, at dropping it.
    let out = run(home.path(), &idx, &["search", "ransomware", "-j", "DE"]);
    assert_eq!(out.status.code(), Some(1));
    let e = stderr(&out);
    assert!(
        e.contains("drop one") && e.contains("cyberlex situation"),
        "{e}"
    );
    // A well-spelled query gets no suggestion.
    let out = run(home.path(), &idx, &["search", "illegal access"]);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

/// A citation is answered as one, and its words are names, not misspellings: no "did you mean"
/// for `§ 202a StGB`, nor for an instrument's abbreviation in a plain query, even where the index
/// holds a word one edit away (`stb`, invented here) and not the abbreviation itself.
#[test]
fn no_suggestion_for_a_citation_or_an_instruments_name() {
    let home = tempfile::tempdir().unwrap();
    let docs = own_folder(home.path());
    std::fs::write(
        docs.join("units.txt"),
        "Article 1 Register units\n\nThe stb register of the gadget is read at dawn. \
         Every stb value of the register is kept, and the stb log is signed.\n",
    )
    .unwrap();
    let idx = home.path().join("idx");
    let out = cyberlex(home.path())
        .args(["build", "--threads", "1", "--dir"])
        .arg(&docs)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // `stgb` is in no passage, `stb` in one, one edit away: a plain word would be corrected.
    let out = run(home.path(), &idx, &["search", "regster stgx"]);
    assert!(
        stderr(&out).contains("did you mean: register"),
        "{}",
        stderr(&out)
    );
    for q in ["§ 202a StGB", "StGB register"] {
        let out = run(home.path(), &idx, &["search", q]);
        assert!(
            !stderr(&out).contains("did you mean"),
            "{q}: {}",
            stderr(&out)
        );
    }
    // The routing is reported for the citation (it resolved to nothing in this index).
    let out = run(
        home.path(),
        &idx,
        &["search", "§ 202a StGB", "--format", "json"],
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["routing"]["number"], "202a", "{r}");
}

// ---- item 7: output --------------------------------------------------------------------------

#[test]
fn text_output_wraps_labels_the_score_and_says_when_the_offset_is_past_the_end() {
    let (home, idx) = with_index();
    let out = cyberlex(home.path())
        .env("COLUMNS", "40")
        .args(["search", "computer", "--index"])
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let s = stdout(&out);
    assert!(s.contains("score\u{a0}"), "{s}");
    // Every line but the id-and-URL lines (a temporary path is one long word) fits in 40
    // columns: the words here are short.
    assert!(
        s.lines()
            .filter(|l| !l.contains("file://"))
            .all(|l| l.chars().count() <= 40),
        "{s}"
    );
    let out = run(home.path(), &idx, &["search", "computer", "--offset", "50"]);
    assert!(stdout(&out).contains("past the end"), "{}", stdout(&out));
    assert!(
        stderr(&out).contains("--offset 50 is past the last hit"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn inspect_shows_passage_ids_and_sources_has_a_header_and_the_build_origin() {
    let (home, idx) = with_index();
    let v: serde_json::Value = serde_json::from_slice(
        &run(home.path(), &idx, &["search", "fraud", "--format", "json"]).stdout,
    )
    .unwrap();
    let pid = v["hits"][0]["passage_id"].as_str().unwrap();
    let doc = v["hits"][0]["doc_id"].as_str().unwrap();
    let s = stdout(&run(home.path(), &idx, &["inspect", doc]));
    assert!(s.contains("PASSAGE ID") && s.contains(pid), "{s}");
    let out = run(home.path(), &idx, &["sources"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).starts_with("ID "), "{}", stdout(&out));
}

/// A mirror under `h` holding one invented markdown document (`xx-a`, at
/// https://example.org/a.md) and a manifest naming it: `(mirror, manifest)`.
fn one_document_mirror(h: &Path, markdown: &str) -> (PathBuf, PathBuf) {
    let mirror = h.join("mirror");
    std::fs::create_dir_all(mirror.join("example.org")).unwrap();
    std::fs::write(mirror.join("example.org/a.md"), markdown).unwrap();
    let manifest = h.join("m.toml");
    std::fs::write(
        &manifest,
        "[[source]]\nid = \"xx-a\"\nurl = \"https://example.org/a.md\"\ntitle = \"A\"\n\
         kind = \"national-law\"\njurisdiction = \"XX\"\nlanguage = \"en\"\nformat = \"md\"\n",
    )
    .unwrap();
    (mirror, manifest)
}

#[test]
fn sources_reports_a_mirror_build_as_such() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (mirror, manifest) = one_document_mirror(h, "# Article 1 Illegal access\n\nWhoever enters a computer system without right is punished.\n");
    let idx = h.join("idx");
    let out = cyberlex(h)
        .args(["build", "--threads", "1", "--sources"])
        .arg(&manifest)
        .arg("--mirror")
        .arg(&mirror)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = cyberlex(h)
        .args(["sources", "--sources"])
        .arg(&manifest)
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    let s = stdout(&out);
    let line = s.lines().find(|l| l.starts_with("xx-a")).expect("listed");
    assert!(line.contains("built from mirror"), "{s}");
    assert!(!line.contains("not fetched"), "{s}");
}

/// On the real corpus (skipped when absent): `ilegal acess` is one edit from `legal` and from
/// `illegal`; the index's phrases (`illegal access` names an offence in headings) pick `illegal`.
#[test]
fn corpus_ilegal_acess_suggests_illegal_access() {
    let corpus = match std::env::var_os("CYBERLEX_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    if !corpus.join("mirror").is_dir() {
        eprintln!("SKIPPED: the shared corpus is absent (set CYBERLEX_CORPUS)");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let idx = home.path().join("idx");
    let out = cyberlex(home.path())
        .args(["build", "--threads", "2", "--mirror"])
        .arg(corpus.join("mirror"))
        .arg("--index")
        .arg(&idx)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(home.path(), &idx, &["search", "ilegal acess"]);
    assert!(
        stderr(&out).contains("did you mean: illegal access"),
        "{}",
        stderr(&out)
    );
    let out = run(home.path(), &idx, &["search", "illegal access"]);
    assert!(!stderr(&out).contains("did you mean"), "{}", stderr(&out));
}

// ---- item 8: build messages ------------------------------------------------------------------

/// A one-page PDF whose text is invented and whose content stream also holds an inline image
/// without a width (`BI … ID … EI`): lopdf skips the image with a warning through `log`.
fn pdf_with_a_broken_inline_image() -> Vec<u8> {
    use pdf_extract::{Dictionary, Document as Pdf, Object, Stream};
    let mut doc = Pdf::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"Type1".to_vec()));
    font.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
    let font_id = doc.add_object(Object::Dictionary(font));
    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(font_id));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));
    let content = b"BT /F1 12 Tf 72 720 Td (Article 1 zorblatt gadget offence) Tj ET\n\
                    BI /H 1 /BPC 8 /CS /G ID \x00 EI\n"
        .to_vec();
    let content_id = doc.add_object(Object::Stream(Stream::new(Dictionary::new(), content)));
    let mut page = Dictionary::new();
    page.set("Type", Object::Name(b"Page".to_vec()));
    page.set("Parent", Object::Reference(pages_id));
    page.set("Contents", Object::Reference(content_id));
    page.set("Resources", Object::Dictionary(resources));
    page.set(
        "MediaBox",
        Object::Array(vec![0.into(), 0.into(), 612.into(), 792.into()]),
    );
    let page_id = doc.add_object(Object::Dictionary(page));
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Kids", Object::Array(vec![Object::Reference(page_id)]));
    pages.set("Count", Object::Integer(1));
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = doc.add_object(Object::Dictionary(catalog));
    doc.trailer.set("Root", Object::Reference(catalog_id));
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

/// A library's warning (lopdf, through `log`) names the document it concerns, carries no colour
/// codes when stderr is not a terminal (whatever NO_COLOR says), and the report's failed
/// documents fit in 100 columns with a next step.
#[test]
fn a_pdf_library_warning_names_the_document_and_failures_suggest_a_next_step() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let docs = own_folder(h);
    std::fs::write(
        docs.join("zorblatt-scan.pdf"),
        pdf_with_a_broken_inline_image(),
    )
    .unwrap();
    // A JSON document nested one level deeper than the documented limit: refused.
    let deep = format!("{}\"invented\"{}", "[".repeat(129), "]".repeat(129));
    std::fs::write(docs.join("too-deep.json"), deep).unwrap();
    for isolation in [true, false] {
        let mut c = cyberlex(h);
        c.env_remove("NO_COLOR")
            .env_remove("COLUMNS")
            .args(["build", "--threads", "1", "--index"])
            .arg(h.join(format!("idx-{isolation}")))
            .arg("--dir")
            .arg(&docs);
        if !isolation {
            c.arg("--no-isolation");
        }
        let out = c.output().unwrap();
        let err = stderr(&out);
        let report = stdout(&out);
        eprintln!("isolation {isolation}:\n{err}\n{report}");
        assert!(!out.stderr.contains(&0x1b), "ESC on stderr: {err:?}");
        assert!(!out.stdout.contains(&0x1b), "ESC on stdout: {report:?}");
        let warning = err
            .lines()
            .find(|l| l.contains("Skipping unparseable inline image"))
            .unwrap_or_else(|| panic!("isolation {isolation}: no lopdf warning in {err}"));
        assert!(warning.contains("zorblatt-scan"), "{warning}");
        // The PDF's text is still indexed; the deep JSON is a failed document.
        let failed = report
            .find("Failed documents (1)")
            .unwrap_or_else(|| panic!("{report}"));
        let section = &report[failed..];
        assert!(section.contains("too-deep"), "{section}");
        assert!(section.contains("over the limit of 128"), "{section}");
        assert!(section.contains("→ "), "a next step: {section}");
        for l in section.lines() {
            assert!(
                l.chars().count() <= 100,
                "{} columns: {l}",
                l.chars().count()
            );
        }
    }
}

// ---- issue 16: the per-user crawl cache --------------------------------------------------------

#[test]
fn the_crawl_cache_defaults_to_the_user_cache_dir_env_and_flag_override_and_a_local_one_wins() {
    let home = tempfile::tempdir().unwrap();
    let h = home.path();
    let (mirror, manifest) = one_document_mirror(
        h,
        "# Article 1 Zorblatt\n\nWhoever zorblatts a gadget without right is punished.\n",
    );
    let crawl = |cwd: &Path, env: Option<&Path>, flag: Option<&Path>| {
        let mut c = cyberlex(h);
        c.current_dir(cwd)
            .env("XDG_CACHE_HOME", h.join("xdg-cache"))
            .env_remove("CYBERLEX_CACHE")
            .args(["crawl", "--sources"])
            .arg(&manifest)
            .arg("--mirror")
            .arg(&mirror);
        if let Some(e) = env {
            c.env("CYBERLEX_CACHE", e);
        }
        if let Some(f) = flag {
            c.arg("--cache").arg(f);
        }
        let out = c.output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    };
    let holds_record = |dir: &Path| {
        std::fs::read_dir(dir.join("records"))
            .map(|d| d.count() > 0)
            .unwrap_or(false)
    };
    let elsewhere = h.join("elsewhere");
    std::fs::create_dir_all(&elsewhere).unwrap();
    // From any directory: the per-user cache.
    crawl(&elsewhere, None, None);
    assert!(holds_record(&h.join("xdg-cache/cyberlex")));
    assert!(!elsewhere.join("corpus/cache").exists());
    // CYBERLEX_CACHE over the default; --cache over CYBERLEX_CACHE.
    crawl(&elsewhere, Some(&h.join("env-cache")), None);
    assert!(holds_record(&h.join("env-cache")));
    crawl(
        &elsewhere,
        Some(&h.join("nowhere")),
        Some(&h.join("flag-cache")),
    );
    assert!(holds_record(&h.join("flag-cache")));
    assert!(!h.join("nowhere").exists());
    // A checkout with its own corpus/cache keeps using it (the old default).
    let checkout = h.join("checkout");
    std::fs::create_dir_all(checkout.join("corpus/cache")).unwrap();
    crawl(&checkout, None, None);
    assert!(holds_record(&checkout.join("corpus/cache")));
}
