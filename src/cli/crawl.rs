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
    /// Default: $CYBERLEX_CACHE, else ./corpus/cache if present, else the per-user cache.
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_cache())]
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
    let nothing = !sources.is_empty() && report.at_hand() == 0;
    if let (Some(why), true) = (&report.network_down, nothing) {
        if a.json || a.format == super::TextOrJson::Json {
            print(&json_pretty(&report)?)?;
        }
        anyhow::bail!(
            "{why}; nothing was fetched (after {:.1} s). To crawl from the local mirror instead: {}",
            report.totals.elapsed.as_secs_f64(),
            with_mirror_hint()
        );
    }
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
    if nothing {
        anyhow::bail!(
            "nothing could be fetched: {}; see the report above",
            report.totals
        )
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

/// The command line being run, with `--mirror DIR` added: DIR is the first mirror found
/// (`$CYBERLEX_CORPUS/mirror`, `corpus/mirror`, `../shared/corpus/mirror`), else the literal
/// `DIR` with what it must hold.
pub(super) fn with_mirror_hint() -> String {
    let candidates = std::env::var_os("CYBERLEX_CORPUS")
        .map(|c| PathBuf::from(c).join("mirror"))
        .into_iter()
        .chain(["corpus/mirror", "../shared/corpus/mirror"].map(PathBuf::from));
    let found = candidates.into_iter().find(|p| p.is_dir());
    let mut words: Vec<String> = vec!["cyberlex".into()];
    let mut args = std::env::args().skip(1).peekable();
    while let Some(arg) = args.next() {
        // An earlier `--mirror` (or `--offline`) is replaced, not repeated.
        if arg == "--mirror" {
            args.next();
            continue;
        }
        if arg.starts_with("--mirror=") || arg == "--offline" {
            continue;
        }
        words.push(shell_word(&arg));
    }
    words.push("--mirror".into());
    match found {
        Some(dir) => {
            words.push(shell_word(&dir.display().to_string()));
            words.join(" ")
        }
        None => format!(
            "{} DIR (a folder of <host>/<path> files, such as the shared corpus mirror)",
            words.join(" ")
        ),
    }
}

/// `arg`, quoted for a POSIX shell when it needs to be.
fn shell_word(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=:,@%+".contains(c));
    if plain {
        arg.to_string()
    } else {
        format!("'{}'", arg.replace('\'', "'\\''"))
    }
}

#[cfg(test)]
mod tests {
    use super::shell_word;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(shell_word("--index"), "--index");
        assert_eq!(shell_word("/tmp/my index"), "'/tmp/my index'");
        assert_eq!(shell_word("it's"), "'it'\\''s'");
        assert_eq!(shell_word(""), "''");
    }
}
