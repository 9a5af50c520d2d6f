//! `show`, `inspect` and `export`: passages as they are in the index.

use std::io::Write;
use std::path::PathBuf;

use clap::Args;

use super::output::{json_pretty, print, Style};
use super::Outcome;
use crate::search::Engine;

#[derive(Debug, Args)]
pub struct ShowArgs {
    /// A passage id, as printed by `search` (e.g. `de-stgb/202a`).
    pub passage_id: String,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Print the passage as JSON (alias of `--format json`).
    #[arg(long)]
    pub json: bool,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::TextOrJson,
}

pub fn show(a: ShowArgs, style: &Style) -> anyhow::Result<Outcome> {
    let engine = Engine::open(&a.index)?;
    let view = engine.passage_view(&a.passage_id)?;
    if a.json || a.format == super::TextOrJson::Json {
        print(&json_pretty(&view)?)?;
        return Ok(Outcome::Found);
    }
    let p = &view.passage;
    let mut s = String::new();
    let head = if p.heading.is_empty() {
        String::new()
    } else {
        format!(" — {}", p.heading)
    };
    s.push_str(&format!(
        "{}{}\n",
        style.cite(&p.citation),
        style.bold(&head)
    ));
    s.push_str(&format!(
        "{} · {} · {}\n",
        p.title, p.jurisdiction, p.language
    ));
    if !p.path.is_empty() {
        s.push_str(&format!("{}\n", style.dim(&p.path.join(" > "))));
    }
    s.push_str(&format!("{}\n\n{}\n\n", style.dim(&p.url), p.text));
    let nb = |x: &Option<crate::search::views::Neighbour>| {
        x.as_ref()
            .map(|x| format!("{} ({})", x.citation, x.passage_id))
            .unwrap_or_else(|| "—".into())
    };
    s.push_str(&style.dim(&format!(
        "previous: {}\nnext:     {}\n",
        nb(&view.previous),
        nb(&view.next)
    )));
    print(&s)?;
    Ok(Outcome::Found)
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A document id (a source id such as `de-stgb`, or `<source>/<member>` inside an archive).
    pub doc_id: String,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Print the document and its passages as JSON (the object `serve` answers at
    /// `/api/document/{doc_id}`; alias of `--format json`).
    #[arg(long)]
    pub json: bool,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::TextOrJson,
}

pub fn inspect(a: InspectArgs, style: &Style) -> anyhow::Result<Outcome> {
    let engine = Engine::open(&a.index)?;
    let Some(view) = engine.document_view(&a.doc_id)? else {
        anyhow::bail!(
            "no passages for document `{}` in {}; `cyberlex sources` lists the source ids",
            a.doc_id,
            a.index.display()
        );
    };
    if a.json || a.format == super::TextOrJson::Json {
        print(&json_pretty(&view)?)?;
        return Ok(Outcome::Found);
    }
    let ps = view.passages;
    let mut s = format!("{} — {} passages\n", style.bold(&ps[0].title), ps.len());
    let idw = ps
        .iter()
        .map(|p| p.passage_id.chars().count())
        .max()
        .unwrap_or(10)
        .max(10);
    s.push_str(&format!(
        "{:>5} {:<idw$} {:<24} {:<40} {:<3} {:>7}  FIRST WORDS\n",
        "#", "PASSAGE ID", "CITATION", "HEADING", "LNG", "CHARS"
    ));
    for p in &ps {
        let first: String = p
            .text
            .chars()
            .take(60)
            .collect::<String>()
            .replace('\n', " ");
        s.push_str(&format!(
            "{:>5} {:<idw$} {:<24} {:<40} {:<3} {:>7}  {}\n",
            p.ordinal,
            p.passage_id,
            style.cite(&p.citation),
            p.heading.chars().take(40).collect::<String>(),
            p.language,
            p.text.chars().count(),
            style.dim(&first)
        ));
    }
    print(&s)?;
    Ok(Outcome::Found)
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Output format (one JSON object per line).
    #[arg(long, value_enum, default_value = "jsonl")]
    pub format: ExportFormat,
    /// Write to this file instead of stdout.
    #[arg(long, short, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum ExportFormat {
    Jsonl,
}

pub fn export(a: ExportArgs) -> anyhow::Result<Outcome> {
    let engine = Engine::open(&a.index)?;
    let ps = engine.all_passages()?;
    let mut buf = Vec::with_capacity(ps.len() * 512);
    for p in &ps {
        serde_json::to_writer(&mut buf, p)?;
        buf.push(b'\n');
    }
    match &a.output {
        Some(path) => {
            let mut f = std::fs::File::create(path)
                .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
            f.write_all(&buf)?;
        }
        None => print(&String::from_utf8(buf)?)?,
    }
    Ok(if ps.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Found
    })
}
