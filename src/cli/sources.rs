//! `cyberlex sources`: the manifest, with each source's cache (or mirror) status.

use std::path::PathBuf;

use clap::Args;

use super::output::{json_pretty, print, Style};
use super::Outcome;
use crate::corpus::{own, Jurisdictions, Manifest};
use crate::crawl;

#[derive(Debug, Args)]
pub struct SourcesArgs {
    /// Check availability in this mirror too.
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
    /// The crawl cache whose records to report.
    /// Default: $CYBERLEX_CACHE, else ./corpus/cache if present, else the per-user cache.
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_cache())]
    pub cache: PathBuf,
    /// A manifest in the format of corpus/sources.toml (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Also list the documents of this folder of your own (as `build --dir` indexes them; repeatable).
    #[arg(long = "dir", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// The index whose current build reports how each source was last built (from a mirror,
    /// the cache or the network).
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Print as JSON (alias of `--format json`).
    #[arg(long)]
    pub json: bool,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::TextOrJson,
}

pub fn run(a: SourcesArgs, style: &Style) -> anyhow::Result<Outcome> {
    let mut manifest = match &a.sources {
        Some(p) => Manifest::load(p)?,
        None if !a.dirs.is_empty() && a.mirror.is_none() => Manifest {
            path: PathBuf::from("(own folders only)"),
            sources: Vec::new(),
        },
        None => Manifest::builtin(),
    };
    let mut refused = Vec::new();
    for d in &a.dirs {
        let folder = own::scan(d, crate::extract::MAX_DOCUMENT_BYTES as u64)?;
        manifest.sources.extend(folder.sources);
        refused.extend(folder.refused);
    }
    let table = Jurisdictions::builtin();
    let statuses = crawl::status(&manifest.sources, &a.cache);
    let built = last_build(&a.index);
    let in_mirror = |url: &str| {
        a.mirror
            .as_ref()
            .map(|m| crawl::mirror_path(m, url).is_some_and(|p| p.is_file()))
    };
    if a.json || a.format == super::TextOrJson::Json {
        let v: Vec<_> = manifest
            .sources
            .iter()
            .zip(&statuses)
            .map(|(s, st)| {
                serde_json::json!({
                    "id": s.id, "format": s.format, "kind": s.kind, "jurisdiction": s.jurisdiction,
                    "language": s.language, "bulk": s.bulk, "url": s.url, "title": s.title,
                    "in_mirror": in_mirror(&s.url), "cache": st, "own": own::is_own(s),
                    "jurisdiction_name": table.name(&s.jurisdiction),
                    "last_build": built.get(&s.id),
                })
            })
            .collect();
        print(&json_pretty(&v)?)?;
        return Ok(Outcome::Found);
    }
    let mut out = format!(
        "{:<58} {:<6} {:<4} {:<3} {:<13} STATUS\n",
        "ID", "FORMAT", "JUR", "LNG", "KIND"
    );
    for (s, st) in manifest.sources.iter().zip(&statuses) {
        let cache = if own::is_own(s) {
            format!(
                "own file {} · {}",
                own::path_of(s).unwrap_or_default().display(),
                table.name(&s.jurisdiction).unwrap_or(&s.jurisdiction)
            )
        } else if st.cached {
            let sha = match st.sha256_matches {
                Some(true) => "sha256 ok",
                Some(false) => "sha256 DIFFERS",
                None => "no sha256",
            };
            let last = st
                .last_outcome
                .as_ref()
                .map(|o| format!("{o:?}").to_lowercase())
                .unwrap_or_default();
            format!(
                "cached {} · {sha} · {last}",
                st.fetched_at.as_deref().unwrap_or("?")
            )
        } else if let Some(b) = built.get(&s.id) {
            let origin = b["origin"].as_str().unwrap_or("?");
            let sha = match b["sha256_matches"].as_bool() {
                Some(true) => " · sha256 ok",
                Some(false) => " · sha256 DIFFERS",
                None => "",
            };
            format!(
                "built from {origin} {}{sha}",
                b["fetched_at"].as_str().unwrap_or("?")
            )
        } else if let Some(e) = &st.error {
            format!("failed: {e}")
        } else {
            "not fetched".to_string()
        };
        let mirror = match in_mirror(&s.url) {
            Some(true) => " · in mirror",
            Some(false) => " · not in mirror",
            None => "",
        };
        out.push_str(&format!(
            "{:<58} {:<6} {:<4} {:<3} {:<13} {}{}{}\n",
            style.bold(&s.id),
            s.format.as_str(),
            s.jurisdiction,
            s.language,
            s.kind,
            cache,
            mirror,
            if s.bulk { " (bulk)" } else { "" }
        ));
    }
    for r in &refused {
        out.push_str(&format!("{:<58} refused: {}\n", r.path.display(), r.reason));
    }
    print(&out)?;
    Ok(Outcome::Found)
}

/// The provenance of each source in the current build of `index` (its generation's
/// `report.json`), by source id; empty when there is no index or no report.
fn last_build(index: &std::path::Path) -> std::collections::HashMap<String, serde_json::Value> {
    let mut out = std::collections::HashMap::new();
    let Some(generation) = crate::index::current_generation(index) else {
        return out;
    };
    let Ok(text) = std::fs::read_to_string(generation.join("report.json")) else {
        return out;
    };
    let Ok(report) = serde_json::from_str::<serde_json::Value>(&text) else {
        return out;
    };
    for p in report["provenance"].as_array().into_iter().flatten() {
        if let Some(id) = p["source_id"].as_str() {
            out.insert(id.to_string(), p.clone());
        }
    }
    out
}
