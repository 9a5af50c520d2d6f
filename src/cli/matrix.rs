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
    /// Show the rules behind each cell (`heading has label "…" +5; penalty "…" +1 = 7.0`).
    #[arg(long)]
    pub explain: bool,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
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
    crate::search::vocab::check_concepts(&engine.taxonomy, &a.concept)?;
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
        Some(c) if explain => format!("{} [{}; {}]", c.label(), c.passage_id, c.why),
        Some(c) => c.label(),
    }
}

/// Width of a text line: fits an 80-column terminal.
const TEXT_WIDTH: usize = 80;

/// Cut `s` to `n` characters, with an ellipsis when cut.
fn fit(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let t: String = s.chars().take(n.saturating_sub(1)).collect();
        format!("{}…", t.trim_end())
    }
}

/// One block per jurisdiction, one line per concept: `  concept  StGB § 202a — heading`.
fn text(m: &Matrix, explain: bool) -> String {
    let w = m
        .concepts
        .iter()
        .map(|c| c.chars().count())
        .max()
        .unwrap_or(0);
    let mut s = String::new();
    for r in &m.rows {
        let name = r.jurisdiction_name.as_deref().unwrap_or("");
        s.push_str(&fit(&format!("{} {name}", r.jurisdiction), TEXT_WIDTH));
        s.push('\n');
        for c in &m.concepts {
            let room = TEXT_WIDTH - 2 - w - 2;
            let v = match r.cells.get(c) {
                None => "—".to_string(),
                Some(x) if x.heading.is_empty() => x.label(),
                Some(x) => format!("{} — {}", x.label(), x.heading),
            };
            s.push_str(&format!("  {c:<w$}  {}\n", fit(&v, room)));
            if let (true, Some(x)) = (explain, r.cells.get(c)) {
                for chunk in wrap(&x.why, TEXT_WIDTH - 6) {
                    s.push_str(&format!("      {chunk}\n"));
                }
            }
        }
        s.push('\n');
    }
    s
}

/// Split at spaces into lines of at most `n` characters (longer words stand alone).
fn wrap(s: &str, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut line = String::new();
    for word in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > n {
            out.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        out.push(line);
    }
    out.into_iter().map(|l| fit(&l, n)).collect()
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
        Format::Text => s = text(m, explain),
        Format::Markdown => {
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
