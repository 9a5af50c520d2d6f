//! `cyberlex compare`: the best provision of every jurisdiction for a query or a convention
//! article, one row per jurisdiction.

use std::path::PathBuf;

use clap::Args;

use super::output::{csv_field, json_lines, json_pretty, print, Style};
use super::{Format, Outcome};
use crate::corpus::Jurisdictions;
use crate::search::compare::{CompareRequest, CompareResponse};
use crate::search::{Engine, SearchError};

#[derive(Debug, Args)]
pub struct CompareArgs {
    /// The query (words, or the name of a concept in any language: "illegal access",
    /// "Ausspähen von Daten", "不正アクセス").
    #[arg(required_unless_present_any = ["article", "concept"])]
    pub query: Option<String>,
    /// A convention article whose provisions to find elsewhere: coe:N (Budapest), un:N
    /// (UN 2024), las:N (Arab 2010), afu:N (Malabo 2014).
    #[arg(long, value_name = "CODE:N", conflicts_with = "query")]
    pub article: Option<String>,
    /// Only these jurisdictions (code or name; repeatable).
    #[arg(long, short = 'j', value_name = "CODE")]
    pub jurisdiction: Vec<String>,
    /// Compare on this concept of the taxonomy too (repeatable).
    #[arg(long, value_name = "ID")]
    pub concept: Vec<String>,
    /// Also consider analyses and statements (by default only conventions, protocols, laws
    /// and regulations).
    #[arg(long)]
    pub all_kinds: bool,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Print why each row's provision was chosen.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(a: CompareArgs, style: &Style) -> anyhow::Result<Outcome> {
    let table = Jurisdictions::builtin();
    let jurisdictions = table.resolve_all(&a.jurisdiction)?;
    let req = CompareRequest {
        query: a.query.clone().unwrap_or_default(),
        article: a.article.clone(),
        jurisdictions,
        concepts: a.concept.clone(),
        all_kinds: a.all_kinds,
    };
    let mut engine = Engine::open(&a.index)?;
    crate::search::vocab::check_concepts(&engine.taxonomy, &req.concepts)?;
    let resp = match engine.compare(&req) {
        Ok(r) => r,
        Err(crate::search::compare::CompareError::Search(SearchError::Query { query, error })) => {
            anyhow::bail!("cannot parse the query: {error}\n{}", error.pointer(&query))
        }
        Err(e) => return Err(e.into()),
    };
    print(&render(&resp, a.format, style, a.explain)?)?;
    Ok(if resp.rows.iter().any(|r| r.matched) {
        Outcome::Found
    } else {
        Outcome::NothingFound
    })
}

/// `StGB § 202a`: the row's citation with its document's short title.
fn cite(row: &crate::search::compare::CompareRow) -> String {
    crate::search::compare::cite_with_document(
        row.document.as_deref().unwrap_or(""),
        row.citation.as_deref().unwrap_or(""),
    )
}

pub(crate) fn md_cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

pub fn render(
    r: &CompareResponse,
    format: Format,
    style: &Style,
    explain: bool,
) -> anyhow::Result<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    let mut s = String::new();
    match format {
        Format::Json => {
            s = json_pretty(r)?;
        }
        Format::Jsonl => s = json_lines(&r.rows)?,
        Format::Csv => {
            s.push_str("jurisdiction,jurisdiction_name,matched,doc_id,passage_id,citation,heading,language,score,concepts,snippet,why,document\n");
            for row in &r.rows {
                let f = [
                    row.jurisdiction.clone(),
                    o(&row.jurisdiction_name),
                    row.matched.to_string(),
                    o(&row.doc_id),
                    o(&row.passage_id),
                    o(&row.citation),
                    o(&row.heading),
                    o(&row.language),
                    row.score.map(|x| format!("{x:.3}")).unwrap_or_default(),
                    row.concepts.join(" "),
                    o(&row.snippet),
                    o(&row.why),
                    o(&row.document),
                ];
                s.push_str(&f.iter().map(|x| csv_field(x)).collect::<Vec<_>>().join(","));
                s.push('\n');
            }
        }
        Format::Markdown => {
            s.push_str(&format!("Compare `{}`", r.query));
            if let Some(a) = &r.article {
                s.push_str(&format!(" (article `{a}`)"));
            }
            if !r.concepts.is_empty() {
                s.push_str(&format!(" · concepts: {}", r.concepts.join(", ")));
            }
            s.push_str("\n\n| Jurisdiction | Citation | Heading | Document | Snippet |\n|---|---|---|---|---|\n");
            for row in &r.rows {
                let name = row
                    .jurisdiction_name
                    .clone()
                    .unwrap_or(row.jurisdiction.clone());
                if row.matched {
                    s.push_str(&format!(
                        "| {} | [{}]({}) | {} | {} | {} |\n",
                        md_cell(&name),
                        md_cell(&cite(row)),
                        o(&row.url),
                        md_cell(&o(&row.heading)),
                        md_cell(&o(&row.title)),
                        md_cell(&o(&row.snippet)),
                    ));
                } else {
                    s.push_str(&format!("| {} | — | no match | | |\n", md_cell(&name)));
                }
            }
        }
        Format::Text => {
            s.push_str(&style.dim(&format!("compare {}\n", r.query)));
            if let Some(p) = &r.source_passage {
                s.push_str(&style.dim(&format!(
                    "article {} = {p}; distinctive terms: {}\n",
                    r.article.clone().unwrap_or_default(),
                    r.terms.join(", ")
                )));
            }
            if !r.concepts.is_empty() {
                s.push_str(&style.dim(&format!("concepts: {}\n", r.concepts.join(", "))));
            }
            s.push('\n');
            for row in &r.rows {
                let name = row
                    .jurisdiction_name
                    .clone()
                    .unwrap_or(row.jurisdiction.clone());
                if !row.matched {
                    s.push_str(&format!(
                        "{:<4} {}\n     {}\n",
                        row.jurisdiction,
                        name,
                        style.dim(row.why.as_deref().unwrap_or("no matching provision"))
                    ));
                    if explain && !row.runners_up.is_empty() {
                        s.push_str(&format!("     candidates: {}\n", row.runners_up.join("; ")));
                    }
                    s.push('\n');
                    continue;
                }
                let head = match &row.heading {
                    Some(h) if !h.is_empty() => format!(" — {h}"),
                    _ => String::new(),
                };
                s.push_str(&format!(
                    "{:<4} {}: {}{}\n",
                    row.jurisdiction,
                    name,
                    style.cite(&cite(row)),
                    style.bold(&head)
                ));
                s.push_str(&format!(
                    "     {} · {} · {:.2}\n",
                    o(&row.title),
                    o(&row.language),
                    row.score.unwrap_or(0.0)
                ));
                s.push_str(&format!("     {}\n", o(&row.snippet)));
                s.push_str(&format!("     {}\n", style.dim(&o(&row.passage_id))));
                if explain {
                    s.push_str(&format!("     why: {}\n", o(&row.why)));
                    if !row.runners_up.is_empty() {
                        s.push_str(&format!("     next: {}\n", row.runners_up.join("; ")));
                    }
                }
                s.push('\n');
            }
        }
    }
    Ok(s)
}
