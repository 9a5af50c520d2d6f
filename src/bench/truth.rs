//! The judged truth table of `compare`/`matrix` (`eval/truth.toml`, format in
//! /work/shared-eval/TRUTH-FORMAT.md): for every concept × jurisdiction, the provision(s) a
//! comparative lawyer expects, or `none`. Scored on the matrix (the decision `compare` makes for
//! the same cell): accuracy on cells where a provision exists and on `none` cells, per split.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::{Deserialize, Serialize};

use super::qrels::normalize;
use crate::search::compare::decide::Assessed;
use crate::search::compare::Matrix;
use crate::search::Engine;

/// One acceptable provision.
#[derive(Debug, Clone, Deserialize, Serialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Expected {
    pub doc: String,
    pub citation: String,
}

/// One judged cell.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cell {
    pub concept: String,
    pub jurisdiction: String,
    #[serde(default)]
    pub expect: Vec<Expected>,
    #[serde(default)]
    pub none: bool,
    /// `tune` or `heldout`.
    pub split: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TruthTable {
    pub cell: Vec<Cell>,
}

/// Does this TOML look like a truth table (cells, not judged queries)?
pub fn is_truth_table(text: &str) -> bool {
    text.lines().any(|l| l.trim() == "[[cell]]")
}

impl TruthTable {
    pub fn load(path: &Path) -> anyhow::Result<TruthTable> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parse and check: a known split, `none` cells expect nothing, others expect something,
    /// no cell judged twice.
    pub fn parse(text: &str) -> anyhow::Result<TruthTable> {
        let t: TruthTable = toml::from_str(text)?;
        let mut seen = BTreeSet::new();
        for c in &t.cell {
            let key = format!("{}/{}", c.concept, c.jurisdiction);
            anyhow::ensure!(seen.insert(key.clone()), "cell {key} appears twice");
            anyhow::ensure!(
                c.split == "tune" || c.split == "heldout",
                "cell {key}: split must be tune or heldout, not `{}`",
                c.split
            );
            anyhow::ensure!(
                c.none == c.expect.is_empty(),
                "cell {key}: `none = true` exactly when `expect` is empty"
            );
        }
        Ok(t)
    }
}

/// How one cell came out.
#[derive(Debug, Clone, Serialize)]
pub struct CellResult {
    pub concept: String,
    pub jurisdiction: String,
    pub split: String,
    pub none: bool,
    /// `doc citation` the matrix gave, if any.
    pub got: Option<String>,
    pub right: bool,
    /// Why a wrong cell is wrong (see [`Failure`]); `None` for a right cell.
    pub failure: Option<Failure>,
}

/// The class of a wrong cell: where in the decision the expected provision was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Failure {
    /// No passage of the expected provision is in the index (for this jurisdiction's
    /// provisions): the corpus or the segmentation lacks it.
    NotIndexed,
    /// The expected provision is indexed but never became a candidate for the concept (no
    /// rule of the taxonomy fired on it): a recall problem of candidate generation.
    NoCandidate,
    /// The expected provision was a candidate, but no candidate reached the threshold.
    BelowThreshold,
    /// The expected provision was a candidate, and another provision won.
    Outranked,
    /// A `none` cell that the matrix filled.
    FalseMatch,
}

impl Failure {
    pub const ALL: [Failure; 5] = [
        Failure::NotIndexed,
        Failure::NoCandidate,
        Failure::BelowThreshold,
        Failure::Outranked,
        Failure::FalseMatch,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Failure::NotIndexed => "not indexed",
            Failure::NoCandidate => "no candidate",
            Failure::BelowThreshold => "below threshold",
            Failure::Outranked => "outranked",
            Failure::FalseMatch => "false match",
        }
    }
}

/// Accuracy on one split.
#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq)]
pub struct SplitScore {
    /// Cells where a provision exists, and how many got one of the expected provisions.
    pub provision_cells: usize,
    pub provision_right: usize,
    /// `none` cells, and how many stayed unmatched.
    pub none_cells: usize,
    pub none_right: usize,
}

impl SplitScore {
    pub fn provision_accuracy(&self) -> f64 {
        ratio(self.provision_right, self.provision_cells)
    }
    pub fn none_accuracy(&self) -> f64 {
        ratio(self.none_right, self.none_cells)
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// Is the cell's answer right? A provision cell: the matrix names one of the expected
/// provisions (same document, same citation up to spacing, or a subsection or part of it — the
/// segmenter may cut a long provision); a none cell: the matrix is empty.
pub fn judge(cell: &Cell, got: Option<(&str, &str)>) -> bool {
    match got {
        None => cell.none,
        Some((doc, citation)) => judge_provision(cell, doc, citation),
    }
}

/// Score the table on the matrix of `engine` over the table's concepts and jurisdictions.
pub fn score(engine: &mut Engine, table: &TruthTable) -> anyhow::Result<Vec<CellResult>> {
    let concepts: Vec<String> = table
        .cell
        .iter()
        .map(|c| c.concept.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .filter(|c| engine.taxonomy.get(c).is_some())
        .collect();
    let jurisdictions: Vec<String> = table
        .cell
        .iter()
        .map(|c| c.jurisdiction.clone())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let m = engine.matrix(&jurisdictions, &concepts, false)?;
    let kinds: Vec<String> = crate::search::compare::PROVISION_KINDS
        .iter()
        .map(|k| k.to_string())
        .collect();
    let mut assessed = BTreeMap::new();
    for j in &jurisdictions {
        assessed.insert(j.clone(), engine.assessed(j, &kinds)?);
    }
    let mut out = results(&m, table);
    for (r, c) in out.iter_mut().zip(&table.cell) {
        if r.right {
            continue;
        }
        r.failure = Some(match assessed.get(&c.jurisdiction) {
            _ if c.none => Failure::FalseMatch,
            None => Failure::NotIndexed,
            Some(a) => classify(c, a, r.got.is_some()),
        });
    }
    Ok(out)
}

/// Where a wrong provision cell lost its expected provision, among the assessed provisions of
/// its jurisdiction.
pub fn classify(cell: &Cell, assessed: &[Assessed], filled: bool) -> Failure {
    let expected: Vec<&Assessed> = assessed
        .iter()
        .filter(|a| judge_provision(cell, &a.passage.doc_id, &a.passage.citation))
        .collect();
    if expected.is_empty() {
        return Failure::NotIndexed;
    }
    let candidate = expected
        .iter()
        .any(|a| a.assessments.iter().any(|x| x.concept == cell.concept));
    match (candidate, filled) {
        (false, _) => Failure::NoCandidate,
        (true, false) => Failure::BelowThreshold,
        (true, true) => Failure::Outranked,
    }
}

/// Is (`doc`, `citation`) one of the cell's expected provisions, or a part of one?
fn judge_provision(cell: &Cell, doc: &str, citation: &str) -> bool {
    let chain = crate::bench::qrels::provision_chain(citation);
    cell.expect
        .iter()
        .any(|e| e.doc == doc && chain.contains(&normalize(&e.citation)))
}

/// Judge every cell of the table against a matrix.
pub fn results(m: &Matrix, table: &TruthTable) -> Vec<CellResult> {
    let rows: BTreeMap<&str, _> = m
        .rows
        .iter()
        .map(|r| (r.jurisdiction.as_str(), &r.cells))
        .collect();
    table
        .cell
        .iter()
        .map(|c| {
            let got = rows
                .get(c.jurisdiction.as_str())
                .and_then(|cells| cells.get(&c.concept))
                .map(|x| (x.doc_id.as_str(), x.citation.as_str()));
            CellResult {
                concept: c.concept.clone(),
                jurisdiction: c.jurisdiction.clone(),
                split: c.split.clone(),
                none: c.none,
                got: got.map(|(d, ci)| format!("{d} {ci}")),
                right: judge(c, got),
                failure: None,
            }
        })
        .collect()
}

/// Per split (`tune`, `heldout`), the accuracies.
pub fn by_split(results: &[CellResult]) -> BTreeMap<String, SplitScore> {
    let mut out: BTreeMap<String, SplitScore> = BTreeMap::new();
    for r in results {
        let s = out.entry(r.split.clone()).or_default();
        if r.none {
            s.none_cells += 1;
            s.none_right += usize::from(r.right);
        } else {
            s.provision_cells += 1;
            s.provision_right += usize::from(r.right);
        }
    }
    out
}

/// Per split, how many wrong cells fell into each [`Failure`] class (aggregate counts: safe
/// to read for the held-out half).
pub fn failures_by_split(results: &[CellResult]) -> BTreeMap<String, BTreeMap<Failure, usize>> {
    let mut out: BTreeMap<String, BTreeMap<Failure, usize>> = BTreeMap::new();
    for r in results {
        let s = out.entry(r.split.clone()).or_default();
        if let Some(f) = r.failure {
            *s.entry(f).or_default() += 1;
        }
    }
    out
}

/// `no candidate 21, outranked 6, …` (every class, zeros included).
fn failure_line(counts: Option<&BTreeMap<Failure, usize>>) -> String {
    Failure::ALL
        .iter()
        .map(|f| {
            let n = counts.and_then(|c| c.get(f)).copied().unwrap_or(0);
            format!("{} {n}", f.name())
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The report of `cyberlex eval --truth`: accuracies per split (only the `splits` asked for),
/// and with `cells`, the wrong cells of those splits.
pub fn report_text(results: &[CellResult], splits: &[String], cells: bool) -> String {
    let scores = by_split(results);
    let mut s = format!(
        "{:<9} {:>16} {:>16}\n",
        "split", "provision cells", "none unmatched"
    );
    for (name, x) in scores.iter().filter(|(n, _)| splits.contains(n)) {
        s.push_str(&format!(
            "{name:<9} {:>6.3} ({:>3}/{:<3}) {:>6.3} ({:>3}/{:<3})\n",
            x.provision_accuracy(),
            x.provision_right,
            x.provision_cells,
            x.none_accuracy(),
            x.none_right,
            x.none_cells
        ));
    }
    let failures = failures_by_split(results);
    if failures.values().any(|c| !c.is_empty()) {
        s.push_str("\nwrong cells by class:\n");
        for name in scores.keys().filter(|n| splits.contains(n)) {
            s.push_str(&format!("{name:<9} {}\n", failure_line(failures.get(name))));
        }
    }
    if cells {
        s.push_str("\nwrong cells:\n");
        for r in results
            .iter()
            .filter(|r| !r.right && splits.contains(&r.split))
        {
            s.push_str(&format!(
                "  {:<8} {:<4} {:<24} got {}{}{}\n",
                r.split,
                r.jurisdiction,
                r.concept,
                r.got.as_deref().unwrap_or("none"),
                if r.none { " (expected none)" } else { "" },
                r.failure
                    .map(|f| format!(" [{}]", f.name()))
                    .unwrap_or_default()
            ));
        }
    }
    s
}

/// The JSON report: per split accuracies, and the cells of the splits asked for.
pub fn report_json(results: &[CellResult], splits: &[String]) -> serde_json::Value {
    let failures = failures_by_split(results);
    let scores: BTreeMap<String, serde_json::Value> = by_split(results)
        .into_iter()
        .filter(|(n, _)| splits.contains(n))
        .map(|(name, x)| {
            let counts: serde_json::Map<String, serde_json::Value> = Failure::ALL
                .iter()
                .map(|f| {
                    let key = serde_json::to_value(f)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_string))
                        .unwrap_or_default();
                    let n = failures
                        .get(&name)
                        .and_then(|c| c.get(f))
                        .copied()
                        .unwrap_or(0);
                    (key, n.into())
                })
                .collect();
            let v = serde_json::json!({
                "provision_accuracy": x.provision_accuracy(),
                "none_accuracy": x.none_accuracy(),
                "counts": x,
                "failures": counts,
            });
            (name, v)
        })
        .collect();
    let cells: Vec<&CellResult> = results
        .iter()
        .filter(|r| splits.contains(&r.split))
        .collect();
    serde_json::json!({ "splits": scores, "cells": cells })
}

#[cfg(test)]
mod tests {
    use super::*;

    const TABLE: &str = r#"
[[cell]]
concept = "illegal-access"
jurisdiction = "XX"
expect = [ { doc = "xx-code", citation = "§ 2" }, { doc = "xx-code", citation = "§ 2(1)" } ]
none = false
split = "tune"
note = "invented"

[[cell]]
concept = "csam"
jurisdiction = "XX"
expect = []
none = true
split = "heldout"
"#;

    #[test]
    fn cells_are_judged_by_document_and_citation() {
        let t = TruthTable::parse(TABLE).unwrap();
        assert!(is_truth_table(TABLE));
        assert!(judge(&t.cell[0], Some(("xx-code", "§  2(1)"))));
        assert!(!judge(&t.cell[0], Some(("yy-code", "§ 2"))));
        assert!(!judge(&t.cell[0], Some(("xx-code", "§ 3"))));
        assert!(!judge(&t.cell[0], None));
        assert!(judge(&t.cell[1], None));
        assert!(!judge(&t.cell[1], Some(("xx-code", "§ 9"))));
        let r = vec![
            CellResult {
                concept: "illegal-access".into(),
                jurisdiction: "XX".into(),
                split: "tune".into(),
                none: false,
                got: None,
                right: false,
                failure: Some(Failure::NoCandidate),
            },
            CellResult {
                concept: "csam".into(),
                jurisdiction: "XX".into(),
                split: "heldout".into(),
                none: true,
                got: None,
                right: true,
                failure: None,
            },
        ];
        let s = by_split(&r);
        assert_eq!(s["tune"].provision_cells, 1);
        assert_eq!(s["tune"].provision_accuracy(), 0.0);
        assert_eq!(s["heldout"].none_accuracy(), 1.0);
    }

    #[test]
    fn malformed_tables_are_refused() {
        let twice = format!("{TABLE}\n{}", &TABLE[TABLE.find("[[cell]]").unwrap()..]);
        assert!(TruthTable::parse(&twice).is_err());
        let bad = TABLE.replace("split = \"tune\"", "split = \"train\"");
        assert!(TruthTable::parse(&bad).is_err());
        let bad = TABLE.replace("none = true", "none = false");
        assert!(TruthTable::parse(&bad).is_err());
    }

    #[test]
    fn wrong_cells_are_classed_by_where_the_provision_was_lost() {
        let t = TruthTable::parse(TABLE).unwrap();
        let tax = crate::corpus::taxonomy::Taxonomy::builtin();
        let p = |citation: &str, heading: &str, text: &str| crate::segment::Passage {
            passage_id: format!("xx-code/{citation}"),
            doc_id: "xx-code".into(),
            jurisdiction: "XX".into(),
            kind: "national-law".into(),
            language: "en".into(),
            citation: citation.into(),
            heading: heading.into(),
            text: text.into(),
            ..Default::default()
        };
        // Invented: § 2 says nothing the taxonomy knows; § 3 is a candidate.
        let a = crate::search::compare::decide::assess_all(
            &tax,
            vec![
                p("§ 2", "Fees", "The fee is ten units."),
                p(
                    "§ 3",
                    "Unauthorised access",
                    "Whoever accesses a computer without right is fined.",
                ),
            ],
        );
        assert_eq!(classify(&t.cell[0], &a, true), Failure::NoCandidate);
        assert_eq!(classify(&t.cell[0], &a[1..], true), Failure::NotIndexed);
        let a = crate::search::compare::decide::assess_all(
            &tax,
            vec![p(
                "§ 2(1)",
                "Unauthorised access",
                "Whoever accesses a computer without right is fined.",
            )],
        );
        assert_eq!(classify(&t.cell[0], &a, false), Failure::BelowThreshold);
        assert_eq!(classify(&t.cell[0], &a, true), Failure::Outranked);
    }
}
