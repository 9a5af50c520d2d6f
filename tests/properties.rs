//! Property tests (proptest): normalization is idempotent, segmentation neither drops nor
//! duplicates text, and a printed query parses back to the same query.

use cyberlex::corpus::taxonomy::fold;
use cyberlex::corpus::{Format, Source};
use cyberlex::extract::{collapse_ws, Block, Document};
use cyberlex::search::query::{self, FieldName, Node, Unit, WordKind};
use cyberlex::segment::{segment, Profiles};
use proptest::prelude::*;

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text with the awkward parts of Unicode: every kind of space, combining marks, case pairs that
/// change length (ß, İ, ﬁ), final sigma, apostrophes, CJK, astral characters.
fn messy_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        "[a-zA-Z]{1,6}",
        Just(" ".to_string()),
        Just("\t\n\r\u{a0}\u{2003}\u{3000}\u{200b}\u{85}".to_string()),
        Just("\u{301}\u{308}\u{345}".to_string()),
        Just("ßİıẞǅﬁΣΑΣ ς’'`".to_string()),
        Just("Ǆ ǈ Å Ω K ẛ ﬃ".to_string()),
        Just("第二百八十五条 不正アクセス 정보통신망".to_string()),
        Just("\u{1F600}\u{10FFFF}\u{FEFF}".to_string()),
        any::<String>(),
    ];
    prop::collection::vec(pieces, 0..12).prop_map(|v| v.concat())
}

proptest! {
    #![proptest_config(config(512))]

    #[test]
    fn collapse_ws_is_idempotent_and_normal(s in messy_text()) {
        let once = collapse_ws(&s);
        prop_assert_eq!(collapse_ws(&once), once.clone());
        prop_assert!(!once.contains("  "));
        prop_assert_eq!(once.trim(), once.as_str());
        prop_assert_eq!(
            once.split_whitespace().collect::<Vec<_>>(),
            s.split_whitespace().collect::<Vec<_>>()
        );
        // The words, one space between each: no other whitespace is left.
        prop_assert_eq!(once, s.split_whitespace().collect::<Vec<_>>().join(" "));
    }

    #[test]
    fn fold_is_idempotent(s in messy_text()) {
        let once = fold(&s);
        prop_assert_eq!(fold(&once), once.clone(), "input {:?}", s);
    }
}

// ---------------------------------------------------------------------------------------------
// Segmentation loses nothing

fn source(kind: &str, profile: Option<&str>) -> Source {
    Source {
        id: "xx-prop".into(),
        url: "https://example.org/prop".into(),
        canonical_url: None,
        title: "Invented Property Act".into(),
        kind: kind.into(),
        jurisdiction: "XX".into(),
        language: "en".into(),
        date: Some("2021".into()),
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

#[derive(Debug, Clone)]
enum Part {
    /// A chapter heading.
    Chapter,
    /// An article heading, with or without a caption.
    Article(Option<Vec<String>>),
    Paragraph(Vec<String>),
    Item(Vec<String>),
}

fn words(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<String>> {
    prop::collection::vec("[a-z]{2,9}", n)
}

fn parts() -> impl Strategy<Value = Vec<Part>> {
    let part = prop_oneof![
        1 => Just(Part::Chapter),
        3 => prop::option::of(words(1..4)).prop_map(Part::Article),
        6 => words(1..25).prop_map(Part::Paragraph),
        2 => words(1..10).prop_map(Part::Item),
    ];
    prop::collection::vec(part, 1..30)
}

/// A document from `parts`, and the texts that must each land in exactly one passage. Every
/// text is bracketed by tokens unique to it (`zq7x … zq7y`), so no text is part of another.
fn document(parts: &[Part]) -> (Document, Vec<String>) {
    let mut blocks = Vec::new();
    let mut texts = Vec::new();
    let (mut chapter, mut article) = (0, 0);
    for (i, p) in parts.iter().enumerate() {
        let body = |w: &[String]| format!("zq{i}x {} zq{i}y", w.join(" "));
        match p {
            Part::Chapter => {
                chapter += 1;
                blocks.push(Block::heading(2, format!("Chapter {chapter}")));
            }
            Part::Article(caption) => {
                article += 1;
                let h = match caption {
                    Some(c) => format!("Article {article} - {}", body(c)),
                    None => format!("Article {article}"),
                };
                blocks.push(Block::heading(3, h));
            }
            Part::Paragraph(w) => {
                blocks.push(Block::paragraph(body(w)));
                texts.push(body(w));
            }
            Part::Item(w) => {
                blocks.push(Block::new(
                    cyberlex::extract::BlockKind::ListItem,
                    1,
                    body(w),
                ));
                texts.push(body(w));
            }
        }
    }
    let doc = Document {
        blocks,
        ..Document::default()
    };
    (doc, texts)
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn segmentation_neither_drops_nor_duplicates(parts in parts()) {
        let profiles = Profiles::builtin();
        let (doc, texts) = document(&parts);
        for (kind, profile) in [("national-law", None), ("ngo-statement", Some("prose"))] {
            let s = segment(&source(kind, profile), &doc, &profiles);
            prop_assert!(
                (s.coverage() - 1.0).abs() < 1e-9,
                "{kind}/{profile:?}: coverage {} ({} of {} chars)",
                s.coverage(), s.covered_chars, s.body_chars
            );
            for t in &texts {
                let n = s.passages.iter().filter(|p| p.text.contains(t.as_str())).count();
                prop_assert_eq!(n, 1, "{}/{:?}: `{}` is in {} passages", kind, profile, t, n);
            }
            let mut ids: Vec<_> = s.passages.iter().map(|p| &p.passage_id).collect();
            ids.sort();
            ids.dedup();
            prop_assert_eq!(ids.len(), s.passages.len(), "duplicate passage ids");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Printed queries parse back to the same query

const KEYWORDS: [&str; 3] = ["and", "or", "not"];

fn word_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z][a-z0-9]{0,7}",
        "[a-zéüßα-ω]{1,6}",
        "[0-9]{1,4}[a-z]?",
        Just("154-A".to_string()),
        Just("1030(a)(2)".to_string()),
        Just("d'accès".to_string()),
        Just("不正アクセス".to_string()),
    ]
    .prop_filter("keywords are operators", |w| {
        !KEYWORDS.contains(&w.to_ascii_lowercase().as_str())
    })
}

fn field() -> impl Strategy<Value = Option<FieldName>> {
    prop_oneof![
        4 => Just(None),
        1 => prop::sample::select(vec![
            FieldName::Text,
            FieldName::Heading,
            FieldName::Citation,
            FieldName::Title,
            FieldName::Jurisdiction,
            FieldName::Kind,
            FieldName::Lang,
        ])
        .prop_map(Some),
    ]
}

fn leaf() -> impl Strategy<Value = Node> {
    prop_oneof![
        6 => (field(), word_text()).prop_map(|(field, text)| Node::Word {
            field,
            text,
            kind: WordKind::Plain
        }),
        1 => (field(), "[a-z]{3,8}").prop_map(|(field, text)| Node::Word {
            field,
            text,
            kind: WordKind::Root
        }),
        1 => (field(), "[a-z]{3,5}\\*[a-z]{0,3}").prop_map(|(field, text)| Node::Word {
            field,
            text,
            kind: WordKind::Wildcard
        }),
        2 => (field(), prop::collection::vec(word_text(), 1..4), prop::option::of(0u32..20))
            .prop_map(|(field, w, slop)| Node::Phrase {
                field,
                text: w.join(" "),
                slop
            }),
    ]
}

/// Trees the parser can produce: lists of at least two, no operand made only of exclusions.
fn tree() -> impl Strategy<Value = Node> {
    leaf().prop_recursive(5, 48, 4, |inner| {
        let positive = inner
            .clone()
            .prop_filter("not an exclusion", |n| !matches!(n, Node::Not(_)));
        let list = prop::collection::vec(inner.clone(), 2..4)
            .prop_filter("not only exclusions", |v| {
                !v.iter().all(|n| matches!(n, Node::Not(_)))
            });
        let unit = prop_oneof![
            (0u32..30).prop_map(Unit::Words),
            Just(Unit::Sentence),
            Just(Unit::Paragraph)
        ];
        prop_oneof![
            list.clone().prop_map(Node::Ranked),
            list.prop_map(Node::And),
            prop::collection::vec(positive.clone(), 2..4).prop_map(Node::Or),
            positive.clone().prop_map(|n| Node::Not(Box::new(n))),
            (positive.clone(), positive, unit, any::<bool>()).prop_map(|(l, r, unit, ordered)| {
                Node::Near {
                    left: Box::new(l),
                    right: Box::new(r),
                    ordered: ordered && matches!(unit, Unit::Words(_)),
                    unit,
                }
            }),
        ]
    })
}

/// Queries typed the way people type them, operators and all.
fn typed_query() -> impl Strategy<Value = String> {
    let token = prop_oneof![
        6 => word_text(),
        1 => Just("AND".to_string()),
        1 => Just("&".to_string()),
        1 => Just("OR".to_string()),
        1 => Just("|".to_string()),
        1 => Just("NOT".to_string()),
        1 => word_text().prop_map(|w| format!("-{w}")),
        1 => Just("(".to_string()),
        1 => Just(")".to_string()),
        1 => (0u32..20).prop_map(|n| format!("w/{n}")),
        1 => (0u32..20).prop_map(|n| format!("pre/{n}")),
        1 => Just("/s".to_string()),
        1 => Just("/p".to_string()),
        1 => word_text().prop_map(|w| format!("\"{w} access\"")),
        1 => (word_text(), 0u32..9).prop_map(|(w, n)| format!("\"{w} data\"~{n}")),
        1 => "[a-z]{3,6}".prop_map(|w| format!("{w}!")),
        1 => "[a-z]{3,6}".prop_map(|w| format!("{w}*")),
        1 => (prop::sample::select(vec!["heading:", "citation:", "text:", "lang:", "title: "]), word_text())
            .prop_map(|(f, w)| format!("{f}{w}")),
        1 => Just("heading:(".to_string()),
    ];
    prop::collection::vec(token, 1..14).prop_map(|v| v.join(" "))
}

proptest! {
    #![proptest_config(config(1024))]

    #[test]
    fn a_printed_tree_parses_back_to_itself(
        node in tree().prop_filter("a query is not only an exclusion", |n| !matches!(n, Node::Not(_)))
    ) {
        let printed = node.to_string();
        prop_assert!(printed.len() <= query::MAX_QUERY_BYTES);
        let parsed = query::parse(&printed);
        prop_assert_eq!(parsed.as_ref(), Ok(&node), "printed as {:?}", printed);
    }

    #[test]
    fn a_parsed_query_prints_to_an_equivalent_query(q in typed_query()) {
        if let Ok(node) = query::parse(&q) {
            let printed = node.to_string();
            let again = query::parse(&printed);
            prop_assert_eq!(again.as_ref(), Ok(&node), "{:?} printed as {:?}", q, printed);
            // Printing adds no nesting or clauses: it stays within the parser's limits.
            prop_assert!(printed.matches('(').count() <= q.matches('(').count());
        }
    }
}
