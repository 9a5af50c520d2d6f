//! `cyberlex sources`: the manifest, with each source's availability.

use std::path::PathBuf;

use clap::Args;

use super::output::{print, Style};
use super::Outcome;
use crate::corpus::Manifest;
use crate::crawl;

#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// Check availability in this mirror.
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
    /// A manifest in the format of corpus/sources.toml (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Print as JSON.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: SourcesArgs, style: &Style) -> anyhow::Result<Outcome> {
    let manifest = match &a.sources {
        Some(p) => Manifest::load(p)?,
        None => Manifest::builtin(),
    };
    let mut rows = Vec::new();
    for s in &manifest.sources {
        let status = match &a.mirror {
            Some(m) => match crawl::mirror_path(m, &s.url) {
                Some(p) if p.is_file() => "in mirror",
                _ => "not in mirror",
            },
            None => "",
        };
        rows.push((s, status));
    }
    if a.json {
        let v: Vec<_> = rows
            .iter()
            .map(|(s, st)| serde_json::json!({"id": s.id, "format": s.format, "kind": s.kind, "jurisdiction": s.jurisdiction, "language": s.language, "bulk": s.bulk, "url": s.url, "title": s.title, "status": st}))
            .collect();
        print(&format!("{}\n", serde_json::to_string_pretty(&v)?))?;
    } else {
        let mut out = String::new();
        for (s, st) in &rows {
            out.push_str(&format!(
                "{:<58} {:<6} {:<4} {:<3} {:<13} {}{}\n",
                style.bold(&s.id),
                s.format,
                s.jurisdiction,
                s.language,
                s.kind,
                st,
                if s.bulk { " (bulk)" } else { "" }
            ));
        }
        print(&out)?;
    }
    Ok(Outcome::Found)
}
