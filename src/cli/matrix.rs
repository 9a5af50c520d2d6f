//! `cyberlex matrix`: jurisdictions × concepts of the taxonomy, each cell the best citation.

use std::path::PathBuf;

use clap::Args;

use super::compare::md_cell;
use super::output::{csv_field, json_pretty, print};
use super::{Format, Outcome};
use crate::corpus::Jurisdictions;
use crate::search::compare::Matrix;
use crate::search::Engine;

#[derive(Debug, Args)]
pub struct MatrixArgs {
    #[arg(long, value_enum, default_value = "markdown")]
    pub format: Format,
    /// Show the tag rule behind each cell (`heading has label "…"`, `text has "…"`).
    #[arg(long)]
    pub explain: bool,
    #[arg(long, value_name = "DIR", default_value = "index")]
    pub index: PathBuf,
    /// Only these jurisdictions (code or name; repeatable).
    #[arg(long, short = 'j', value_name = "CODE")]
    pub jurisdiction: Vec<String>,
    /// Only these concepts (repeatable); all of the taxonomy by default.
    #[arg(long, value_name = "ID")]
    pub concept: Vec<String>,
    /// Also consider analyses and statements.
    #[arg(long)]
    pub all_kinds: bool,
}

pub fn run(a: MatrixArgs) -> anyhow::Result<Outcome> {
    let table = Jurisdictions::builtin();
    let jurisdictions = table.resolve_all(&a.jurisdiction)?;
    let mut engine = Engine::open(&a.index)?;
    let m = engine.matrix(&jurisdictions, &a.concept, a.all_kinds)?;
    print(&render(&m, a.format, a.explain)?)?;
    Ok(if m.rows.iter().any(|r| !r.cells.is_empty()) {
        Outcome::Found
    } else {
        Outcome::NothingFound
    })
}

fn cell(m: &Matrix, row: usize, concept: &str, explain: bool) -> String {
    match m.rows[row].cells.get(concept) {
        None => String::new(),
        Some(c) if explain => format!("{} [{}; {}]", c.citation, c.passage_id, c.rule),
        Some(c) => c.citation.clone(),
    }
}

pub fn render(m: &Matrix, format: Format, explain: bool) -> anyhow::Result<String> {
    let mut s = String::new();
    match format {
        Format::Json | Format::Jsonl => {
            s = json_pretty(m)?;
        }
        Format::Csv => {
            s.push_str("jurisdiction");
            for c in &m.concepts {
                s.push(',');
                s.push_str(&csv_field(c));
            }
            s.push('\n');
            for (i, r) in m.rows.iter().enumerate() {
                s.push_str(&csv_field(&r.jurisdiction));
                for c in &m.concepts {
                    s.push(',');
                    s.push_str(&csv_field(&cell(m, i, c, explain)));
                }
                s.push('\n');
            }
        }
        Format::Markdown | Format::Text => {
            s.push_str("| Jurisdiction |");
            for c in &m.concepts {
                s.push_str(&format!(" {c} |"));
            }
            s.push_str("\n|---|");
            for _ in &m.concepts {
                s.push_str("---|");
            }
            s.push('\n');
            for (i, r) in m.rows.iter().enumerate() {
                s.push_str(&format!("| {} |", md_cell(&r.jurisdiction)));
                for c in &m.concepts {
                    s.push_str(&format!(" {} |", md_cell(&cell(m, i, c, explain))));
                }
                s.push('\n');
            }
        }
    }
    Ok(s)
}
