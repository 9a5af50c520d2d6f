//! `cyberlex situation`: describe the facts, get the provisions that apply.

use std::io::Read;
use std::path::PathBuf;

use clap::Args;

use super::output::{json_lines, json_pretty, print, Style};
use super::search::render;
use super::{Format, Outcome};
use crate::corpus::Jurisdictions;
use crate::search::situation::{SituationRequest, MAX_SITUATION_BYTES};
use crate::search::{Engine, SearchError};

#[derive(Debug, Args)]
pub struct SituationArgs {
    /// The facts, in any corpus language (free text: quotes, parentheses and AND are prose).
    #[arg(value_name = "TEXT", conflicts_with = "file")]
    pub text: Option<String>,
    /// Read the description from this file (`-` = standard input).
    #[arg(long, value_name = "FILE")]
    pub file: Option<PathBuf>,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Number of hits to print.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Skip this many hits (paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub filters: super::Filters,
    /// Print the chosen terms with their weights, the recognised concepts and, per hit, why it scored.
    #[arg(long)]
    pub explain: bool,
}

fn read_text(a: &SituationArgs) -> anyhow::Result<String> {
    let limit = MAX_SITUATION_BYTES as u64 + 1;
    match (&a.text, &a.file) {
        (Some(t), _) => Ok(t.clone()),
        (None, Some(p)) if p.as_os_str() == "-" => {
            let mut s = String::new();
            std::io::stdin()
                .take(limit)
                .read_to_string(&mut s)
                .map_err(|e| anyhow::anyhow!("cannot read the description from standard input: {e}"))?;
            Ok(s)
        }
        (None, Some(p)) => {
            let mut s = String::new();
            std::fs::File::open(p)
                .and_then(|f| f.take(limit).read_to_string(&mut s))
                .map_err(|e| anyhow::anyhow!("cannot read the description from {}: {e}", p.display()))?;
            Ok(s)
        }
        (None, None) => anyhow::bail!(
            "no description: pass the facts as TEXT, or --file FILE (`--file -` reads standard input)"
        ),
    }
}

pub fn run(a: SituationArgs, style: &Style) -> anyhow::Result<Outcome> {
    let text = read_text(&a)?;
    if text.trim().is_empty() {
        anyhow::bail!("the description is empty: describe the facts in a few sentences");
    }
    let table = Jurisdictions::builtin();
    let req = SituationRequest {
        text,
        limit: a.limit,
        offset: a.offset,
        jurisdictions: table.resolve_all(&a.filters.jurisdiction)?,
        kinds: a.filters.kinds(),
        langs: a.filters.langs(),
        since: a.filters.since,
        concepts: a.filters.concept.clone(),
        explain: a.explain,
        baseline: false,
        snippet_chars: 240,
    };
    let engine = Engine::open(&a.index)?;
    crate::search::vocab::check_filters(&engine, &req.kinds, &req.langs, &req.concepts)?;
    let resp = match engine.situation(&req) {
        Ok(r) => r,
        Err(SearchError::Query { error, .. }) => {
            let hint = error.hint.map(|h| format!(" ({h})")).unwrap_or_default();
            anyhow::bail!("{}{hint}", error.message)
        }
        Err(e) => return Err(e.into()),
    };
    let out = match a.format {
        Format::Json => json_pretty(&resp)?,
        Format::Jsonl => json_lines(&resp.search.hits)?,
        f => {
            // The text and Markdown views name the description by its first words.
            let mut shown = resp.search.clone();
            let words: Vec<&str> = shown.query.split_whitespace().collect();
            let head = words.iter().take(12).copied().collect::<Vec<_>>().join(" ");
            shown.query = if words.len() > 12 {
                format!("\"{head} …\" ({} characters)", req.text.chars().count())
            } else {
                format!("\"{head}\"")
            };
            let mut s = String::new();
            if f == Format::Text {
                if let Some(p) = shown.parsed.take() {
                    s.push_str(&style.dim("how the description was read:\n"));
                    s.push_str(&p);
                    s.push('\n');
                }
            }
            s.push_str(&render(&shown, f, style, &table)?);
            s
        }
    };
    print(&out)?;
    Ok(if resp.search.hits.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Found
    })
}
