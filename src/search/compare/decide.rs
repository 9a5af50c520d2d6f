//! The one decision procedure behind `compare QUERY`, `compare --article` and every `matrix`
//! cell: for a set of wanted concepts and the provisions of one jurisdiction, the passage that
//! establishes the concept best, with the rules that chose it — or no provision, when no
//! candidate reaches the threshold.
//!
//! Every provision of the jurisdiction is a candidate, tagged or not: it is assessed afresh with
//! [`Taxonomy::assess`] (its heading, text, place in the code and the heading of the provision it
//! belongs to), so a passage the build did not tag but whose wording matches the concept still
//! competes, ranked by the same evidence. A definition or a preamble names an offence without
//! creating it and weighs less. Ties go to the earlier provision of the document (a code's
//! general part precedes its special part), then to the document id.

use std::collections::HashMap;

use crate::corpus::taxonomy::{points, Assessment, Evidence, Taxonomy, View};
use crate::segment::Passage;

/// Weight of definitions and preambles against operative provisions.
pub const ANCILLARY: f32 = 0.5;
/// Weight of an unnumbered paragraph (`¶ 72`) against a numbered provision, which is what a
/// lawyer cites.
pub const UNNUMBERED: f32 = 0.9;

/// A definition (`s. 97 (“unauthorised access”)`, a section headed `Definitions`, `Tafsiran`,
/// `定義` — the taxonomy's `definitions` marker), a preamble or a summary.
pub fn is_ancillary(taxonomy: &Taxonomy, p: &Passage) -> bool {
    let c = p.citation.to_lowercase();
    c.starts_with("preamble")
        || c.contains('“')
        || c.contains("(\"")
        || c.starts_with("explanatory statement")
        || c.starts_with("summary")
        || c.starts_with("sommaire")
        || taxonomy.is_definitions_heading(&p.heading, &p.language)
}

/// One provision, assessed against every concept whose wording it has.
#[derive(Debug, Clone)]
pub struct Assessed {
    pub passage: Passage,
    pub assessments: Vec<Assessment>,
    /// Definition or preamble.
    pub ancillary: bool,
}

/// The chosen provision for some concepts in one jurisdiction.
#[derive(Debug, Clone)]
pub struct Decision {
    /// Index into the assessed passages, when a candidate reached the threshold.
    pub best: Option<usize>,
    pub score: f32,
    /// Wanted concepts the chosen passage establishes (reaches the threshold for).
    pub concepts: Vec<String>,
    /// The rules that fired (for `--explain` and the JSON `why`).
    pub why: String,
    /// The next best candidates: `citation (passage id) score`, best first.
    pub runners_up: Vec<String>,
}

/// Candidates listed after the chosen one.
pub const RUNNERS_UP: usize = 4;

/// Assess the provisions of one jurisdiction (in document order).
pub fn assess_all(taxonomy: &Taxonomy, passages: Vec<Passage>) -> Vec<Assessed> {
    let headings: HashMap<&str, &str> = passages
        .iter()
        .map(|p| (p.passage_id.as_str(), p.heading.as_str()))
        .collect();
    let parents: Vec<String> = passages
        .iter()
        .map(|p| parent_heading(&headings, &p.passage_id).to_string())
        .collect();
    let keep = points::WORDS_RANK.len();
    let own_or_parent: Vec<String> = passages
        .iter()
        .zip(&parents)
        .map(|(p, parent)| {
            if p.heading.is_empty() {
                parent.clone()
            } else {
                String::new()
            }
        })
        .collect();
    let ranked = super::words::rank(taxonomy, &passages, &own_or_parent, keep);
    let extra: Vec<Vec<Evidence>> = ranked
        .iter()
        .map(|list| {
            list.iter()
                .filter_map(|w| words_rule(taxonomy, w))
                .collect()
        })
        .collect();
    // The general part of each code (by document), for provisions outside it.
    let mut general_parts: HashMap<&str, Option<&str>> = HashMap::new();
    for p in &passages {
        general_parts.entry(p.doc_id.as_str()).or_insert_with(|| {
            taxonomy.code_general_part(
                passages
                    .iter()
                    .filter(|q| q.doc_id == p.doc_id)
                    .filter_map(|q| q.path.first().map(String::as_str)),
                &p.language,
            )
        });
    }
    let outside: Vec<&str> = passages
        .iter()
        .map(|p| match general_parts.get(p.doc_id.as_str()) {
            Some(Some(g)) if p.path.first().map(String::as_str) != Some(*g) => *g,
            _ => "",
        })
        .collect();
    // Every passage is assessed on its own: in parallel, in document order.
    use rayon::prelude::*;
    passages
        .par_iter()
        .zip(parents.par_iter())
        .zip(extra.par_iter())
        .zip(outside.par_iter())
        .map(|(((p, parent), extra), outside)| {
            let title = &document_names(p);
            let assessments = taxonomy.assess(&View {
                heading: &p.heading,
                text: &p.text,
                path: &p.path,
                parent_heading: parent,
                kind: &p.kind,
                language: &p.language,
                title,
                extra,
                outside_general_part: outside,
            });
            Assessed {
                ancillary: is_ancillary(taxonomy, p),
                passage: p.clone(),
                assessments,
            }
        })
        .collect()
}

/// The names of the passage's document: its title, and the Act a citation names (`Mutual Legal
/// Assistance Act, s. 16.1` in an amending act), for containers' labels.
fn document_names(p: &Passage) -> String {
    match p.citation.rsplit_once(", ") {
        Some((act, _)) => format!("{} / {act}", p.title),
        None => p.title.clone(),
    }
}

/// The wording rule of a passage ranked among the best of its jurisdiction by a concept's words.
fn words_rule(taxonomy: &Taxonomy, w: &super::words::WordEvidence) -> Option<Evidence> {
    let c = &taxonomy.concepts[w.concept];
    let needs_act = !c.acts.is_empty();
    if (needs_act && !w.has_act) || w.matched < points::WORDS_MIN {
        return None;
    }
    let points = *points::WORDS_RANK.get(w.rank)?;
    let words: Vec<String> = w.words.iter().map(|x| format!("\"{x}\"")).collect();
    Some(Evidence {
        concept: w.concept,
        what: format!(
            "{} {} (rank {} in the jurisdiction)",
            crate::corpus::taxonomy::WORDS_RULE,
            words.join(", "),
            w.rank + 1
        ),
        points,
        act: w.has_act,
    })
}

/// The heading of the nearest enclosing provision (`doc/1030` for `doc/1030/a`).
fn parent_heading<'a>(headings: &HashMap<&str, &'a str>, id: &str) -> &'a str {
    let mut cur = id;
    while let Some((up, _)) = cur.rsplit_once('/') {
        if !up.contains('/') {
            break;
        }
        if let Some(h) = headings.get(up).filter(|h| !h.is_empty()) {
            return h;
        }
        cur = up;
    }
    ""
}

/// Score of one passage for the wanted concepts: its best assessment, weighed.
fn score_of<'a>(a: &'a Assessed, concepts: &[String]) -> Option<(f32, &'a Assessment)> {
    let best = a
        .assessments
        .iter()
        .filter(|x| concepts.contains(&x.concept))
        .max_by(|x, y| x.score.total_cmp(&y.score))?;
    let mut s = if a.ancillary {
        best.score * ANCILLARY
    } else {
        best.score
    };
    if a.passage.citation.starts_with('¶') {
        s *= UNNUMBERED;
    }
    Some((s, best))
}

/// Choose the provision for `concepts` among assessed passages.
pub fn choose(assessed: &[Assessed], concepts: &[String]) -> Decision {
    let mut best: Option<(f32, usize)> = None;
    let mut all: Vec<(f32, usize)> = Vec::new();
    for (i, a) in assessed.iter().enumerate() {
        let Some((s, _)) = score_of(a, concepts) else {
            continue;
        };
        all.push((s, i));
        let better = match best {
            None => true,
            Some((bs, bi)) => {
                s > bs
                    || (s == bs && {
                        let (p, q) = (&a.passage, &assessed[bi].passage);
                        (p.doc_id.as_str(), p.ordinal) < (q.doc_id.as_str(), q.ordinal)
                    })
            }
        };
        if better {
            best = Some((s, i));
        }
    }
    let names = concepts.join(", ");
    all.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let runners_up: Vec<String> = all
        .iter()
        .filter(|(_, i)| best.is_none_or(|(_, b)| b != *i))
        .take(RUNNERS_UP)
        .map(|(s, i)| {
            let p = &assessed[*i].passage;
            format!("{} ({}) {s:.1}", p.citation, p.passage_id)
        })
        .collect();
    let Some((score, i)) = best else {
        return Decision {
            best: None,
            score: 0.0,
            concepts: Vec::new(),
            why: format!("no provision has the wording of {names}"),
            runners_up,
        };
    };
    let a = &assessed[i];
    let (_, top) = score_of(a, concepts).expect("scored above");
    let mut why = format!("{}: {}", top.concept, top.explain());
    if a.ancillary {
        why.push_str(&format!(
            "; definition or preamble ×{ANCILLARY} = {score:.1}"
        ));
    }
    if score < points::THRESHOLD {
        return Decision {
            best: None,
            score,
            concepts: Vec::new(),
            why: format!(
                "no provision reaches the threshold {} for {names}; best candidate {} ({}) scored {score:.1}: {why}",
                points::THRESHOLD,
                a.passage.citation,
                a.passage.passage_id
            ),
            runners_up,
        };
    }
    let carried = a
        .assessments
        .iter()
        .filter(|x| concepts.contains(&x.concept) && x.score >= points::THRESHOLD)
        .map(|x| x.concept.clone())
        .collect();
    Decision {
        best: Some(i),
        score,
        concepts: carried,
        why,
        runners_up,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passage(id: &str, heading: &str, text: &str, path: &[&str], ordinal: u32) -> Passage {
        let (doc, _) = id.split_once('/').unwrap();
        Passage {
            passage_id: id.into(),
            doc_id: doc.into(),
            jurisdiction: "XX".into(),
            kind: "national-law".into(),
            language: "en".into(),
            citation: format!("s. {}", id.rsplit('/').next().unwrap()),
            heading: heading.into(),
            path: path.iter().map(|s| s.to_string()).collect(),
            text: text.into(),
            ordinal,
            ..Default::default()
        }
    }

    fn chosen(ps: Vec<Passage>, concept: &str) -> Option<String> {
        let t = Taxonomy::builtin();
        let a = assess_all(&t, ps);
        let d = choose(&a, &[concept.to_string()]);
        d.best.map(|i| a[i].passage.citation.clone())
    }

    // Invented provisions throughout.
    #[test]
    fn a_label_in_a_heading_needs_the_elements_of_the_offence() {
        let ps = vec![
            passage(
                "act/9",
                "Injunction against illegal interception",
                "The minister may ask a civil court to stop the conduct.",
                &[],
                1,
            ),
            passage(
                "act/4",
                "Interception of messages",
                "A person who intentionally intercepts an electronic message is liable to imprisonment.",
                &[],
                2,
            ),
        ];
        assert_eq!(chosen(ps, "illegal-interception").as_deref(), Some("s. 4"));
    }

    #[test]
    fn an_untagged_word_match_is_a_candidate_and_general_part_wins() {
        // No heading at all: the label in the text plus the elements make the candidate.
        let ps = vec![passage(
            "code/7",
            "",
            "Whoever commits illegal access to a computer without right is punished with a fine.",
            &[],
            1,
        )];
        assert_eq!(chosen(ps, "illegal-access").as_deref(), Some("s. 7"));
        let ps = vec![
            passage(
                "code/159",
                "Attempt and aiding or abetting of perjury",
                "Invented.",
                &["Special Part"],
                9,
            ),
            passage(
                "code/23",
                "Aiding or abetting",
                "Invented.",
                &["General Part"],
                2,
            ),
        ];
        assert_eq!(chosen(ps, "attempt-aiding").as_deref(), Some("s. 23"));
    }

    #[test]
    fn below_the_threshold_is_no_provision_and_says_why() {
        let t = Taxonomy::builtin();
        let a = assess_all(
            &t,
            vec![passage(
                "act/2",
                "",
                "Reports mention extradition in passing.",
                &[],
                1,
            )],
        );
        let d = choose(&a, &["extradition".to_string()]);
        assert!(d.best.is_none());
        assert!(d.why.contains("threshold"), "{}", d.why);
        let d = choose(&a, &["csam".to_string()]);
        assert!(d.best.is_none() && d.why.starts_with("no provision has"));
    }

    #[test]
    fn a_headingless_subsection_inherits_its_parent_heading() {
        let ps = vec![
            passage(
                "usc/1030",
                "Invented trespass heading: computer trespass",
                "",
                &[],
                1,
            ),
            passage(
                "usc/1030/a",
                "",
                "Whoever knowingly enters a computer without authorization shall be fined.",
                &[],
                2,
            ),
        ];
        let t = Taxonomy::builtin();
        let a = assess_all(&t, ps);
        let sub = &a[1].assessments;
        let g = sub.iter().find(|x| x.concept == "illegal-access").unwrap();
        assert!(
            g.rules[0].what.starts_with("parent heading has label"),
            "{g:?}"
        );
        assert_eq!(choose(&a, &["illegal-access".into()]).best, Some(1));
    }

    #[test]
    fn a_provision_no_wording_rule_names_competes_by_its_words() {
        // An amending provision: its heading names nothing of the taxonomy, its text does the
        // act to data without right under a penalty.
        let ps = vec![
            passage(
                "amend/1",
                "Short title",
                "This Act is the Invented Amendment Act.",
                &[],
                1,
            ),
            passage(
                "amend/7",
                "Insertion of section 12A",
                "A person who without authority intercepts messages sent to a computer \
                 commits an offence and is liable to imprisonment.",
                &[],
                2,
            ),
        ];
        let t = Taxonomy::builtin();
        let a = assess_all(&t, ps);
        let d = choose(&a, &["illegal-interception".to_string()]);
        assert_eq!(d.best, Some(1), "{}", d.why);
        assert!(
            d.why.contains(crate::corpus::taxonomy::WORDS_RULE),
            "{}",
            d.why
        );
        // A jurisdiction whose only mention is a report: no provision.
        let ps = vec![passage(
            "rep/3",
            "Annual report",
            "The minister reports each year on interception by providers.",
            &[],
            1,
        )];
        let a = assess_all(&t, ps);
        assert!(choose(&a, &["illegal-interception".to_string()])
            .best
            .is_none());
    }
}
