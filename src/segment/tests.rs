use super::*;
use crate::corpus::{Format, Source};
use crate::extract::{Block, Document};

fn source(kind: &str, profile: Option<&str>) -> Source {
    Source {
        id: "xx-test".into(),
        url: "https://example.org/test".into(),
        canonical_url: Some("https://example.org/law".into()),
        title: "Invented Test Act".into(),
        kind: kind.into(),
        jurisdiction: "XX".into(),
        language: "en".into(),
        date: Some("2020-01-02".into()),
        format: Format::Markdown,
        bytes: None,
        sha256: None,
        license: None,
        complete: None,
        bulk: false,
        profile: profile.map(str::to_string),
        passage_url: None,
        allow_hosts: vec![],
    }
}

#[test]
fn generic_profile_cuts_at_articles_and_keeps_chapters_in_the_path() {
    let doc = Document {
        blocks: vec![
            Block::paragraph("The parties to this invented act agree as follows."),
            Block::heading(2, "Chapter I"),
            Block::heading(3, "Article 1: Words used"),
            Block::paragraph("A gadget is any machine that counts beans."),
            Block::heading(3, "Article 2 - Entering gadgets"),
            Block::paragraph("Nobody may enter a gadget without leave."),
            Block::paragraph("Leave is given in writing."),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", None), &doc, &Profiles::builtin());
    let cites: Vec<_> = s.passages.iter().map(|p| p.citation.as_str()).collect();
    assert_eq!(cites, ["Preamble", "Art. 1", "Art. 2"]);
    let art2 = &s.passages[2];
    assert_eq!(art2.passage_id, "xx-test/2");
    assert_eq!(art2.heading, "Entering gadgets");
    assert_eq!(art2.path, vec!["Chapter I".to_string()]);
    assert!(art2.text.contains("without leave") && art2.text.contains("in writing"));
    assert_eq!(art2.ordinal, 3);
    assert_eq!(art2.year, Some(2020));
    assert!((s.coverage() - 1.0).abs() < 1e-9, "{}", s.coverage());
}

#[test]
fn prose_is_cut_at_headings_and_by_size() {
    let long = "word ".repeat(200);
    let doc = Document {
        blocks: vec![
            Block::paragraph("An opening thought about invented treaties."),
            Block::heading(3, "Why it matters"),
            Block::paragraph(long.trim()),
            Block::paragraph(long.trim()),
        ],
        ..Document::default()
    };
    let s = segment(&source("analysis", None), &doc, &Profiles::builtin());
    let cites: Vec<_> = s.passages.iter().map(|p| p.citation.as_str()).collect();
    assert_eq!(cites, ["¶ 1", "¶ 2", "¶ 3"]);
    assert_eq!(s.passages[1].heading, "Why it matters");
    assert_eq!(s.passages[2].heading, "Why it matters");
    assert!(s.passages.iter().all(|p| !p.text.is_empty()));
    assert!((s.coverage() - 1.0).abs() < 1e-9);
}

#[test]
fn duplicate_labels_get_distinct_ids() {
    let doc = Document {
        blocks: vec![
            Block::heading(3, "Article 1"),
            Block::paragraph("First text."),
            Block::heading(3, "Article 1"),
            Block::paragraph("Second text."),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", None), &doc, &Profiles::builtin());
    let ids: Vec<_> = s.passages.iter().map(|p| p.passage_id.as_str()).collect();
    assert_eq!(ids, ["xx-test/1", "xx-test/1_2"]);
}

#[test]
fn slugs() {
    assert_eq!(slugify("§ 202a"), "202a");
    assert_eq!(slugify("154-A"), "154-a");
    assert_eq!(slugify("Preamble"), "preamble");
    assert_eq!(slugify("162.1"), "162.1");
}
