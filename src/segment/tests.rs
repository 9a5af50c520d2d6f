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

fn profiles_with(extra: &str) -> Profiles {
    let base = "[[profile]]\nname = \"generic\"\n[[profile]]\nname = \"prose\"\n";
    Profiles::parse(&format!("{base}{extra}")).unwrap()
}

#[test]
fn alternating_languages_become_one_stream_each_in_order_of_appearance() {
    let p = profiles_with(
        "[[profile]]\nname = \"t\"\nfront = \"Preamble\"\n\
         [[profile.detect]]\nlang = \"en\"\nwords = [\"the\", \"of\", \"any\"]\n\
         [[profile.detect]]\nlang = \"af\"\nwords = [\"die\", \"van\", \"enige\"]\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"paragraph\"\npattern = '(?P<num>\\d+)\\.\\s'\ncitation = \"s. {num}\"\nkeep_text = true\ncaption_prev = true\n",
    );
    let doc = Document {
        blocks: vec![
            Block::heading(1, "Gadget entry"),
            Block::paragraph("1. Any of the gadgets of the town"),
            Block::heading(1, "Toegang van die toestel"),
            Block::paragraph("1. Enige van die toestelle van die dorp"),
            Block::paragraph("and the rest of the English page of any kind"),
            Block::paragraph("en die res van die bladsy van enige soort"),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &p);
    let got: Vec<_> = s
        .passages
        .iter()
        .map(|p| {
            (
                p.passage_id.as_str(),
                p.heading.as_str(),
                p.language.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("xx-test/1", "Gadget entry", "en"),
            ("xx-test/af/1", "Toegang van die toestel", "af")
        ]
    );
    assert!(s.passages[0].text.ends_with("of any kind"));
    assert!(s.passages[1].text.ends_with("enige soort"));
    assert_eq!(s.passages[1].ordinal, 2);
    assert!((s.coverage() - 1.0).abs() < 1e-9);
}

#[test]
fn repeated_chunk_headings_are_junk_and_scopes_prefix_citations() {
    let p = profiles_with(
        "[[profile]]\nname = \"t\"\n\
         [[profile.rule]]\nrole = \"container\"\non = \"heading\"\npattern = 'Title \\d+'\nlevel = 1\nrepeats = true\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"heading\"\npattern = 'Sec\\. (?P<num>\\d+)'\ncitation = \"s. {num}\"\nrepeats = true\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"heading\"\npattern = 'Extra'\ncitation = \"Extra {n}\"\nslug = \"x{n}\"\nscope = true\n",
    );
    let doc = Document {
        blocks: vec![
            Block::heading(1, "Title 9"),
            Block::heading(4, "Sec. 5"),
            Block::paragraph("(a) first part"),
            Block::heading(1, "Title 9"),
            Block::heading(4, "Sec. 5"),
            Block::paragraph("(b) second part"),
            Block::heading(2, "Extra"),
            Block::paragraph("note one"),
            Block::heading(2, "Extra"),
            Block::heading(4, "Sec. 1"),
            Block::paragraph("inside the second extra"),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &p);
    let cites: Vec<_> = s.passages.iter().map(|p| p.citation.as_str()).collect();
    // `Extra 2` has no text of its own: it is only the scope of what follows, not a passage.
    assert_eq!(cites, ["s. 5", "Extra 1", "Extra 2, s. 1"]);
    assert_eq!(s.passages[0].text, "(a) first part\n(b) second part");
    assert_eq!(s.passages[2].passage_id, "xx-test/x2/1");
    assert!((s.coverage() - 1.0).abs() < 1e-9);
}

#[test]
fn subsections_in_sequence_become_passages_but_nested_paragraphs_do_not() {
    let p = profiles_with(
        "[[profile]]\nname = \"t\"\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"heading\"\npattern = '§\\s*(?P<num>\\d+)\\.\\s*(?P<caption>.*)$'\ncitation = \"§ {num}\"\nscope = true\nrepeats = true\n\
         [[profile.rule]]\nrole = \"provision\"\npattern = '\\((?P<num>[a-z])\\)(?:\\s|$)'\ncitation = \"({num})\"\nscope_join = \"\"\nsequence = true\nkeep_text = true\n",
    );
    let doc = Document {
        blocks: vec![
            Block::heading(4, "§ 7. Invented gadgets"),
            Block::paragraph("(a) Whoever opens a gadget (i) without leave, or"),
            Block::paragraph("(b) Whoever closes it"),
            Block::heading(4, "§ 7. Invented gadgets"),
            Block::paragraph("(i) at night is fined."),
            Block::paragraph("(c) A gadget is a box."),
            Block::heading(4, "§ 8. Other gadgets"),
            Block::paragraph("(1) Nobody may sell (a) a red gadget or (b) a blue one."),
            Block::paragraph("(a) a green gadget either."),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &p);
    let cites: Vec<_> = s.passages.iter().map(|p| p.citation.as_str()).collect();
    // § 7 is only the heading of its subsections: no passage of its own, its caption goes to them.
    assert_eq!(cites, ["§ 7(a)", "§ 7(b)", "§ 7(c)", "§ 8"]);
    assert!(s
        .passages
        .iter()
        .take(3)
        .all(|p| p.heading == "Invented gadgets"));
    assert!(
        s.passages[1].text.contains("at night"),
        "(i) stays inside (b)"
    );
    assert!(
        s.passages[3].text.contains("green gadget"),
        "(a) after § 8's own text is a paragraph"
    );
    assert_eq!(s.passages[0].passage_id, "xx-test/7/a");
}

#[test]
fn a_huge_single_line_document_becomes_bounded_passages() {
    // 60 MB on one line, no provisions: every passage stays under the cap and nothing is lost.
    let line = "An invented sentence about counting beans in gadgets. ".repeat(1_200_000);
    assert!(line.len() > 60_000_000);
    for (kind, profile) in [
        ("national-law", None),
        ("ngo-statement", None),
        ("national-law", Some("za-gazette")),
    ] {
        let doc = Document {
            blocks: vec![Block::paragraph(&line)],
            ..Document::default()
        };
        let s = segment(&source(kind, profile), &doc, &Profiles::builtin());
        assert!(s.passages.len() > 7000, "{kind}: {}", s.passages.len());
        assert!(s.passages.iter().all(|p| p.text.len() <= MAX_PASSAGE_BYTES));
        let kept: usize = s.passages.iter().map(|p| p.text.len()).sum();
        assert!(
            kept + s.passages.len() >= line.trim().len(),
            "{kind}: text lost"
        );
        let ids: std::collections::HashSet<_> = s.passages.iter().map(|p| &p.passage_id).collect();
        assert_eq!(ids.len(), s.passages.len(), "{kind}: ids are distinct");
    }
}

#[test]
fn a_long_section_is_split_at_its_subsections_and_cited_by_them() {
    let limb = "an invented limb about gadgets and beans ".repeat(120);
    let doc = Document {
        blocks: vec![
            Block::heading(3, "Section 4 - Tickling gadgets"),
            Block::paragraph(format!("(1) Nobody shall tickle {limb}")),
            Block::paragraph(format!("(2) Leave is given {limb}")),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", None), &doc, &Profiles::builtin());
    let got: Vec<_> = s
        .passages
        .iter()
        .map(|p| {
            (
                p.citation.as_str(),
                p.passage_id.as_str(),
                p.heading.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("s. 4(1)", "xx-test/4/1", "Tickling gadgets"),
            ("s. 4(2)", "xx-test/4/2", "Tickling gadgets")
        ]
    );
}

#[test]
fn contents_give_captions_and_end_where_the_profile_says() {
    let profiles = profiles_with(
        r#"
[[profile]]
name = "t"
front = "Preamble"
contents = '^LIST OF CLAUSES$'
contents_end = '^AN INVENTED BILL$'
contents_captions = '^(?P<num>\d+)\.\s+(?P<caption>\S.*)$'
[[profile.rule]]
role = "container"
pattern = 'PART [IVX]+$'
caption_next = true
caption_any = true
[[profile.rule]]
role = "provision"
pattern = '(?P<num>\d+)\.\s+\(1\)\s'
citation = "s. {num}"
keep_text = true
"#,
    );
    let doc = Document {
        blocks: vec![
            Block::paragraph("GADGET BILL"),
            Block::paragraph("LIST OF CLAUSES"),
            Block::paragraph("PART I"),
            Block::paragraph("1. Counting of beans and of"),
            Block::paragraph("other small things."),
            Block::paragraph("2. Humming."),
            Block::paragraph("AN INVENTED BILL"),
            Block::paragraph("to regulate gadgets."),
            Block::paragraph("PART I"),
            Block::paragraph("OPENING"),
            Block::paragraph("1. (1) Gadgets count beans daily."),
            Block::paragraph("2. (1) Gadgets hum at night."),
        ],
        ..Document::default()
    };
    let s = segment(&source("bill", Some("t")), &doc, &profiles);
    let got: Vec<_> = s
        .passages
        .iter()
        .map(|p| (p.citation.as_str(), p.heading.as_str(), p.path.clone()))
        .collect();
    let part = vec!["PART I — OPENING".to_string()];
    assert_eq!(
        got,
        [
            ("Preamble", "", vec![]),
            (
                "s. 1",
                "Counting of beans and of other small things",
                part.clone()
            ),
            ("s. 2", "Humming", part),
        ]
    );
    let preamble = &s.passages[0].text;
    assert!(preamble.contains("AN INVENTED BILL") && !preamble.contains("Humming"));
}

#[test]
fn within_limits_a_rule_to_its_container() {
    let profiles = profiles_with(
        r#"
[[profile]]
name = "t"
[[profile.rule]]
role = "container"
pattern = 'Chapter [IVX]+: .*$'
[[profile.rule]]
role = "provision"
pattern = 'Article (?P<num>\d+): (?P<caption>.*)$'
citation = "Art. {num}"
[[profile.rule]]
role = "provision"
within = '^Chapter II: Closing$'
pattern = '(?P<num>\d)- '
citation = "Closing, para. {num}"
slug = "closing-{num}"
keep_text = true
"#,
    );
    let doc = Document {
        blocks: vec![
            Block::paragraph("Chapter I: Gadgets"),
            Block::paragraph("Article 1: Beans"),
            Block::paragraph("1- Gadgets count beans."),
            Block::paragraph("2- Beans are small."),
            Block::paragraph("Chapter II: Closing"),
            Block::paragraph("1- This invented text ends here."),
            Block::paragraph("2- It ends twice."),
        ],
        ..Document::default()
    };
    let s = segment(&source("convention", Some("t")), &doc, &profiles);
    let cites: Vec<_> = s.passages.iter().map(|p| p.citation.as_str()).collect();
    assert_eq!(cites, ["Art. 1", "Closing, para. 1", "Closing, para. 2"]);
    assert!(s.passages[0].text.contains("Beans are small"));
}

#[test]
fn marker_captions_are_cut_and_sentences_are_no_captions() {
    let profiles = profiles_with(
        r#"
[[profile]]
name = "t"
caption_cut = '\s+—\s'
caption_max_words = 6
"#,
    );
    let marked = |label: &str, caption: &str, text: &str| {
        let mut b = Block::paragraph(text);
        b.marker = Some(crate::extract::Marker {
            label: label.into(),
            citation: format!("Sec. {label}"),
            caption: Some(caption.into()),
        });
        b
    };
    let doc = Document {
        blocks: vec![
            marked(
                "1",
                "Gadget Clause — If a gadget hums",
                "Section 1. Text one.",
            ),
            marked(
                "2",
                "All gadgets that hum at night shall be counted twice",
                "Section 2. Text two.",
            ),
            marked("3", "Beans", "Section 3. Text three."),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &profiles);
    let heads: Vec<_> = s.passages.iter().map(|p| p.heading.as_str()).collect();
    assert_eq!(heads, ["Gadget Clause", "", "Beans"]);
}

#[test]
fn a_not_caption_rule_leaves_a_containers_caption_alone() {
    let profiles = profiles_with(
        r#"
[[profile]]
name = "t"
[[profile.rule]]
role = "provision"
on = "heading"
pattern = 'Artikel (?P<num>\d+)$'
citation = "Art. {num}"
[[profile.rule]]
role = "container"
on = "heading"
pattern = 'Titel [IVX]+$'
level = 1
caption_next = true
[[profile.rule]]
role = "container"
on = "heading"
min_level = 4
pattern = '.'
level = 6
not_caption = true
"#,
    );
    let doc = Document {
        blocks: vec![
            Block::heading(3, "Titel I"),
            Block::heading(4, "Gadgets"),
            Block::heading(3, "Artikel 1"),
            Block::paragraph("Gadgets count beans."),
            Block::heading(4, "Closing rule"),
            Block::heading(3, "Artikel 2"),
            Block::paragraph("This invented code ends."),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &profiles);
    let got: Vec<_> = s
        .passages
        .iter()
        .map(|p| (p.citation.as_str(), p.path.clone(), p.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                "Art. 1",
                vec!["Titel I — Gadgets".to_string()],
                "Gadgets count beans."
            ),
            (
                "Art. 2",
                vec!["Titel I — Gadgets".to_string(), "Closing rule".to_string()],
                "This invented code ends."
            ),
        ]
    );
}

/// A profile that repairs section numbers and reads a capitalised line (or one ending at `-(1)`)
/// as the caption of a lost section, like `pk-peca-md`.
fn lost_sections_profile() -> Profiles {
    profiles_with(
        "[[profile]]\nname = \"t\"\nrepair_numbers = true\n\
         unnumbered = '^(?P<caption>[A-Z][a-z][^()]{2,80}?)(?:-(?P<rest>\\(1\\).*)|\\.?)$'\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"heading\"\npattern = '(?P<num>\\d+)\\.\\s*(?P<caption>.*)'\ncitation = \"s. {num}\"\n",
    )
}

/// A lost section that is only its caption line (found by fuzzing) keeps its caption as its text:
/// no passage is empty.
#[test]
fn a_lost_section_with_only_its_caption_is_not_an_empty_passage() {
    let p = lost_sections_profile();
    let doc = Document {
        blocks: vec![
            Block::heading(1, "1. Words"),
            Block::paragraph("The invented text of words."),
            Block::paragraph("Counting towns"),
            Block::heading(1, "3. Boxes"),
            Block::paragraph("The invented text of boxes."),
            Block::heading(1, "4. Beans"),
            Block::paragraph("The invented text of beans."),
        ],
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &p);
    let got: Vec<_> = s
        .passages
        .iter()
        .map(|p| (p.citation.as_str(), p.heading.as_str(), p.text.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            ("s. 1", "Words", "The invented text of words."),
            ("s. 2", "Counting towns", "Counting towns"),
            ("s. 3", "Boxes", "The invented text of boxes."),
            ("s. 4", "Beans", "The invented text of beans."),
        ]
    );
}

/// A gap of more than a thousand numbers between sections in sequence is no lost section (a
/// number read from noise): nothing is cut out of it (its free numbers were collected: 2.6 GB for
/// a gap found by fuzzing).
#[test]
fn a_gap_of_thousands_of_numbers_is_left_alone() {
    let p = lost_sections_profile();
    let doc = |last: &str| Document {
        blocks: vec![
            Block::heading(1, "1. Words"),
            Block::paragraph("The invented text of words."),
            Block::heading(1, "2. Boxes"),
            Block::paragraph("The invented text of boxes."),
            Block::paragraph("Counting towns"),
            Block::heading(1, format!("{last}. Beans")),
            Block::paragraph("The invented text of beans."),
        ],
        ..Document::default()
    };
    let cites = |last: &str| -> Vec<String> {
        segment(&source("national-law", Some("t")), &doc(last), &p)
            .passages
            .iter()
            .map(|p| p.citation.clone())
            .collect()
    };
    // A small gap: the caption line is the lost s. 3.
    assert_eq!(cites("5"), ["s. 1", "s. 2", "s. 3", "s. 5"]);
    assert_eq!(cites("1503"), ["s. 1", "s. 2", "s. 1503"]);
}

#[test]
fn misread_section_numbers_are_repaired_from_their_neighbours() {
    let p = profiles_with(
        "[[profile]]\nname = \"t\"\nrepair_numbers = true\n\
         unnumbered = '^(?P<caption>[A-Z][a-z][^()]{2,80}?)-(?P<rest>\\(1\\).*)$'\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"heading\"\npattern = '(?P<num>\\d+[A-Z]?)\\.\\s*(?P<caption>.*)'\ncitation = \"s. {num}\"\ncaption_prev = true\n\
         [[profile.rule]]\nrole = \"provision\"\non = \"paragraph\"\npattern = '(?P<num>\\d+[A-Z]?)\\.\\s+[A-Z]'\ncitation = \"s. {num}\"\nkeep_text = true\ncaption_prev = true\n",
    );
    let mut blocks = Vec::new();
    for (num, caption) in [
        ("41", "Words"),
        ("43", "Boxes"),
        ("44", "Beans"),
        ("45", "Gadgets"),
        ("16", "Counting"),
        ("17", "Humming"),
        ("18", "Rules"),
    ] {
        blocks.push(Block::heading(1, format!("{num}. {caption}")));
        blocks.push(Block::paragraph(format!("The invented text of {caption}.")));
        if num == "41" {
            // Section 42 whose number the OCR lost.
            blocks.push(Block::heading(1, "Counting towns-(1) Towns are counted."));
            blocks.push(Block::paragraph("(2) Twice."));
        }
    }
    // A numbered item of the rules section, then a heading repeating the next caption.
    blocks.push(Block::paragraph(
        "6. Manner of counting beans in the invented town;",
    ));
    blocks.push(Block::heading(1, "Removal of doubts"));
    blocks.push(Block::heading(1, "49. Removal of doubts"));
    blocks.push(Block::paragraph("The invented text of doubts."));
    blocks.push(Block::heading(1, "49A. Reports"));
    blocks.push(Block::paragraph("The invented text of reports."));
    blocks.push(Block::heading(1, "54. Amendments"));
    blocks.push(Block::paragraph("The invented text of amendments."));
    blocks.push(Block::heading(1, "Savings Of Powers"));
    blocks.push(Block::heading(1, "51. Savings of powers"));
    blocks.push(Block::paragraph("The invented text of savings."));
    let doc = Document {
        blocks,
        ..Document::default()
    };
    let s = segment(&source("national-law", Some("t")), &doc, &p);
    let cites: Vec<_> = s.passages.iter().map(|p| p.citation.as_str()).collect();
    assert_eq!(
        cites,
        [
            "s. 41", "s. 42", "s. 43", "s. 44", "s. 45", "s. 46", "s. 47", "s. 48", "s. 49",
            "s. 49A", "s. 50", "s. 51"
        ]
    );
    assert_eq!(s.passages[1].heading, "Counting towns");
    assert_eq!(s.passages[1].text, "(1) Towns are counted.\n(2) Twice.");
    assert_eq!(s.passages[0].text, "The invented text of Words.");
    assert_eq!(s.passages[5].passage_id, "xx-test/46");
    assert!(s.passages[5].label.starts_with("16."));
    // The list item is the rules section's text; no heading is left at a passage's end.
    assert!(s.passages[7]
        .text
        .ends_with("6. Manner of counting beans in the invented town;"));
    assert_eq!(s.passages[8].heading, "Removal of doubts");
    assert!(s
        .passages
        .iter()
        .all(|p| !p.text.contains("Removal of doubts") && !p.text.contains("Savings Of Powers")));
}
