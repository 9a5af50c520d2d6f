//! `cyberlex crawl`: fetch sources into the cache, politely, with provenance.

use std::path::PathBuf;

use clap::Args;

use super::output::{json_pretty, print, Style};
use super::Outcome as Exit;
use crate::corpus::Manifest;
use crate::crawl::{self, CrawlOptions};

#[derive(Debug, Args)]
pub struct CrawlArgs {
    /// A manifest in the format of corpus/sources.toml (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Where raw bytes and their provenance records live.
    #[arg(long, value_name = "DIR", default_value = "corpus/cache")]
    pub cache: PathBuf,
    /// Read from this mirror (`DIR/<host><path>`) instead of the network, filling the cache.
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
    /// Crawl only these sources (repeatable).
    #[arg(long, value_name = "ID")]
    pub only: Vec<String>,
    /// Also crawl bulk archives.
    #[arg(long)]
    pub include_bulk: bool,
    /// Do not touch the network: report what the cache holds.
    #[arg(long)]
    pub offline: bool,
    /// Print the report as JSON (alias of `--format json`).
    #[arg(long)]
    pub json: bool,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::TextOrJson,
}

pub fn run(a: CrawlArgs, style: &Style) -> anyhow::Result<Exit> {
    let manifest = match &a.sources {
        Some(p) => Manifest::load(p)?,
        None => Manifest::builtin(),
    };
    let sources = manifest.select(&a.only, a.include_bulk || !a.only.is_empty())?;
    let opts = CrawlOptions {
        cache: a.cache.clone(),
        mirror: a.mirror.clone(),
        offline: a.offline,
        progress: style.stderr_tty,
        ..CrawlOptions::default()
    };
    let report = crawl::crawl(&sources, &opts);
    if a.json || a.format == super::TextOrJson::Json {
        print(&json_pretty(&report)?)?;
    } else {
        let mut s = String::new();
        for r in &report.sources {
            let what = match &r.outcome {
                o if o.is_ok() => style.dim(o.label()),
                o => style.bold(&o.to_string()),
            };
            s.push_str(&format!("{:<58} {}\n", r.id, what));
            for w in &r.warnings {
                s.push_str(&format!("{:<58} warning: {w}\n", ""));
            }
        }
        s.push_str(&format!("{}\n", report.totals));
        print(&s)?;
    }
    if report.is_success() {
        Ok(Exit::Found)
    } else {
        anyhow::bail!(
            "{} sources failed and {} changed upstream; see the report above",
            report.totals.failed,
            report.totals.changed
        )
    }
}
