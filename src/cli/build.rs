//! `cyberlex build`: the whole pipeline, ending with a report.

use std::path::PathBuf;

use clap::Args;

use super::output::{json_pretty, print, Style};
use super::Outcome;
use crate::corpus::Manifest;
use crate::crawl::CrawlOptions;
use crate::pipeline::{self, BuildError, BuildOptions, BuildReport};

#[derive(Debug, Args)]
pub struct BuildArgs {
    /// Also index a folder of your own documents (repeatable): every .txt .md .html .htm .xml
    /// .json .pdf file is a document; alone (without --mirror or --sources), only the folders.
    /// An optional cyberlex.toml in the folder sets `jurisdiction`, `kind`, `language`, `date`.
    #[arg(long = "dir", value_name = "DIR")]
    pub dirs: Vec<PathBuf>,
    /// Read sources from this mirror (`DIR/<host><path>`, the `wget -x` layout) instead of the network.
    #[arg(long, value_name = "DIR")]
    pub mirror: Option<PathBuf>,
    /// Crawl cache (raw bytes and provenance) used when fetching from the network.
    /// Default: $CYBERLEX_CACHE, else ./corpus/cache if present, else the per-user cache.
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_cache())]
    pub cache: PathBuf,
    /// Do not touch the network: build from the cache (and the mirror, if given).
    #[arg(long)]
    pub offline: bool,
    /// Index directory (created if missing).
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N")]
    pub threads: Option<usize>,
    /// Memory budget of the index writer, in MB (split across threads, at least 15 MB each).
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub memory: usize,
    /// Also build bulk archives (every German federal law: 166 MB).
    #[arg(long)]
    pub include_bulk: bool,
    /// Build only these sources (repeatable).
    #[arg(long, value_name = "ID")]
    pub only: Vec<String>,
    /// A manifest in the format of corpus/sources.toml (default: the built-in one).
    #[arg(long, value_name = "FILE")]
    pub sources: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    /// Wall time of one document's extraction, in seconds (a bulk archive: per 4 MiB); a
    /// document over it fails with that reason and the build goes on.
    #[arg(long, value_name = "SECS", default_value_t = 30.0)]
    pub doc_timeout: f64,
    /// Address space of the process extracting one document, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = crate::worker::DEFAULT_DOC_MEMORY_MIB)]
    pub doc_memory: u64,
    /// Extract in this process instead of worker processes: the time budget still holds, but an
    /// allocation failure or crash in one document ends the build.
    #[arg(long)]
    pub no_isolation: bool,
    /// Output format (`--json` is the same as `--format json`).
    #[arg(long, value_enum, default_value = "text")]
    pub format: super::TextOrJson,
}

pub fn run(a: BuildArgs, style: &Style) -> anyhow::Result<Outcome> {
    let manifest = match &a.sources {
        Some(p) => Manifest::load(p)?,
        // `build --dir DIR` alone indexes only the user's folders.
        None if !a.dirs.is_empty() && a.mirror.is_none() => Manifest {
            path: PathBuf::from("(own folders only)"),
            sources: Vec::new(),
        },
        None => Manifest::builtin(),
    };
    for d in &a.dirs {
        if !d.is_dir() {
            anyhow::bail!(
                "folder {} does not exist; pass the folder that holds your documents (--dir DIR)",
                d.display()
            );
        }
    }
    if let Some(m) = &a.mirror {
        if !m.is_dir() {
            anyhow::bail!(
                "mirror directory {} does not exist; pass the folder holding <host>/<path> files, e.g. --mirror ../shared/corpus/mirror",
                m.display()
            );
        }
    }
    let threads = a.threads.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(2)
    });
    let opts = BuildOptions {
        index_dir: a.index.clone(),
        crawl: CrawlOptions {
            mirror: a.mirror.clone(),
            cache: a.cache.clone(),
            offline: a.offline,
            ..CrawlOptions::default()
        },
        threads,
        memory_budget: a.memory.max(15) * 1_000_000,
        include_bulk: a.include_bulk,
        only: a.only.clone(),
        progress: style.stderr_tty,
        budget: {
            let mut b = crate::worker::DocBudget::isolated_in_this_binary(
                std::time::Duration::from_secs_f64(a.doc_timeout.clamp(0.001, 86_400.0)),
                a.doc_memory,
            );
            if a.no_isolation {
                b.worker_exe = None;
            }
            b
        },
    };
    on_interrupt(&a.index, style.stderr_tty);
    match pipeline::build_with(&manifest, &a.dirs, &opts) {
        Ok(report) => {
            if a.json || a.format == super::TextOrJson::Json {
                print(&json_pretty(&report)?)?;
            } else {
                print(&render(&report, style))?;
            }
            Ok(Outcome::Found)
        }
        Err(e @ BuildError::NoNetwork { .. }) => anyhow::bail!(
            "{e}. To build from the local mirror instead: {}",
            super::crawl::with_mirror_hint()
        ),
        Err(BuildError::Nothing { failures, report }) => {
            print(&render(&report, style))?;
            anyhow::bail!("nothing to index: all {failures} selected sources failed; the previous index (if any) is unchanged")
        }
        Err(e) => Err(e.into()),
    }
}

fn render(r: &BuildReport, style: &Style) -> String {
    let mut s = String::new();
    s.push_str(&style.bold("Build report\n"));
    s.push_str(&format!(
        "  sources   {} selected, {} built, {} failed\n  documents {}\n  passages  {}\n  bytes     {} ({:.1} MB)\n  threads   {}\n",
        r.sources,
        r.sources_built,
        r.failures.len(),
        r.documents,
        r.passages,
        r.bytes,
        r.bytes as f64 / 1e6,
        r.threads
    ));
    s.push_str("  stages   ");
    for st in &r.stages {
        s.push_str(&format!(" {} {:.2} s ·", st.stage, st.seconds));
    }
    if s.ends_with('·') {
        s.pop();
    }
    s.push_str(&format!("\n  total     {:.2} s\n", r.seconds));
    if r.up_to_date {
        s.push_str(
            "  index     up to date: same sources, same bytes, same code; nothing re-indexed\n",
        );
    } else if r.reused_sources > 0 {
        s.push_str(&format!(
            "  reused    passages of {} unchanged sources (not extracted again)\n",
            r.reused_sources
        ));
    }
    let low: Vec<_> = r
        .documents_detail
        .iter()
        .filter(|d| d.coverage < 0.99)
        .collect();
    if !low.is_empty() {
        s.push_str(&format!(
            "  coverage below 99%: {}\n",
            low.iter()
                .map(|d| format!("{} {:.1}%", d.doc_id, d.coverage * 100.0))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    if let Some(g) = &r.generation {
        s.push_str(&format!("  index     {}\n", g.display()));
    }
    if !r.failures.is_empty() {
        s.push_str(&style.bold(&format!("Failed documents ({})\n", r.failures.len())));
        let width = super::wrap::width();
        for f in &r.failures {
            let line = super::output::failed_document(&f.source_id, &f.stage, &f.reason, width);
            s.push_str(&line);
        }
    }
    s
}

/// On Ctrl-C: clear the progress bar's line, say which index is still current (a build swaps its
/// generation in only when complete), and exit 130 (the shell's code for SIGINT).
fn on_interrupt(index: &std::path::Path, stderr_tty: bool) {
    let index = std::path::absolute(index).unwrap_or_else(|_| index.to_path_buf());
    let had = crate::index::current_generation(&index).is_some();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .build()
        else {
            return;
        };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            remove_own_partial_generation(&index);
            if stderr_tty {
                eprint!("\r\x1b[2K");
            }
            if had {
                eprintln!(
                    "\ninterrupted: the build stopped before its swap; the previous index at {} is still current",
                    index.display()
                );
            } else {
                eprintln!(
                    "\ninterrupted: no index was built at {}; run the build again to finish it",
                    index.display()
                );
            }
            std::process::exit(130);
        }
    });
}

/// On Ctrl-C: the generation this process was writing (`gen-<time>-<our pid>`, never the current
/// one) is removed before the exit, so an interrupted build leaves nothing behind. The build lock
/// is ours, so no other process writes there.
fn remove_own_partial_generation(index: &std::path::Path) {
    let current = crate::index::current_generation(index);
    let suffix = format!("-{}", std::process::id());
    let Ok(entries) = std::fs::read_dir(index) else {
        return;
    };
    for e in entries.flatten() {
        let (p, name) = (e.path(), e.file_name().to_string_lossy().into_owned());
        if name.starts_with("gen-") && name.ends_with(&suffix) && Some(&p) != current.as_ref() {
            // Writer threads may still add a file while it goes: try again once.
            if std::fs::remove_dir_all(&p).is_err() {
                let _ = std::fs::remove_dir_all(&p);
            }
        }
    }
}
