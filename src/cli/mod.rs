//! `cli`: commands and output. One file per command; `main.rs` only parses, calls [`run`] and maps
//! the outcome to an exit code.

mod bench;
mod bench_serve;
mod build;
mod compare;
mod crawl;
mod eval;
mod matrix;
mod output;
mod passages;
mod search;
mod serve;
mod situation;
mod sources;
mod vocab;
mod wrap;

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

pub use output::Style;

/// What a command found: decides the exit code (0 found, 1 nothing found).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Found,
    NothingFound,
}

/// Search the law of cybercrime, provision by provision.
///
/// Build an index once (`cyberlex build --mirror ../shared/corpus/mirror`), then search it
/// (`cyberlex search "illegal access"`). `cyberlex help query` explains the query language.
#[derive(Debug, Parser)]
#[command(name = "cyberlex", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
    Csv,
    Markdown,
    Jsonl,
}

/// The `--format` of commands that print one object: `show`, `inspect`, `sources`, `build`
/// (their older `--json` stays as an alias of `--format json`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum TextOrJson {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every source, extract, segment and index it; swap the new index in when complete.
    Build(build::BuildArgs),
    /// Rank passages by relevance to a query (`cyberlex help query`).
    #[command(visible_alias = "query", after_long_help = crate::cli::search::QUERY_HELP)]
    Search(search::SearchArgs),
    /// Rank provisions by how they apply to a described situation (free text, never parsed as a query).
    Situation(situation::SituationArgs),
    /// Print one passage in full, with its hierarchy and its neighbours' citations.
    Show(passages::ShowArgs),
    /// List a document's passages (citation, heading, language, length, first words).
    Inspect(passages::InspectArgs),
    /// Write every passage of the index, one JSON object per line.
    Export(passages::ExportArgs),
    /// Fetch sources into the cache, politely (robots.txt, rate limits, retries), with provenance.
    Crawl(crawl::CrawlArgs),
    /// List the manifest's sources with their cache status (fetched when, sha256, last outcome).
    Sources(sources::SourcesArgs),
    /// The best provision of every jurisdiction for a query, a concept or a convention article.
    Compare(compare::CompareArgs),
    /// Jurisdictions × concepts of the taxonomy: the best citation per cell.
    Matrix(matrix::MatrixArgs),
    /// The web app and JSON API on http://127.0.0.1:8080/ (loopback unless --addr says otherwise).
    Serve(serve::ServeArgs),
    /// Benchmarks: whole builds (stages, threads, scale, memory) and query latency.
    Bench(bench::BenchArgs),
    /// nDCG@10, Recall@10 and MRR@10 over a judged query set, beside a plain BM25 baseline.
    Eval(eval::EvalArgs),
    /// Internal: the worker process a build extracts documents in (`crate::worker`).
    #[command(hide = true)]
    ExtractWorker {
        #[arg(long, default_value_t = 0)]
        memory_bytes: u64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
    /// The concepts of the taxonomy (`--concept ID`): id, group, label, convention articles.
    Concepts(vocab::ConceptsArgs),
    /// The kinds of document (`--kind KIND`), and which the index holds.
    Kinds(vocab::KindsArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell) to stdout.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff) to stdout: `cyberlex man > cyberlex.1`.
    Man,
}

/// The filters `search` and `situation` share (`#[command(flatten)]` into both, so their flags,
/// names and help are written once).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct Filters {
    /// Only these jurisdictions (code or name; repeatable).
    #[arg(long, short = 'j', value_name = "CODE")]
    pub jurisdiction: Vec<String>,
    /// Only this kind (convention, protocol, national-law, regulation, ngo-statement, analysis, own).
    #[arg(long)]
    pub kind: Vec<String>,
    /// Only passages in this language (ISO 639-1; repeatable).
    #[arg(long)]
    pub lang: Vec<String>,
    /// Only documents dated this year or later.
    #[arg(long, value_name = "YEAR")]
    pub since: Option<u16>,
    /// Only passages tagged with this concept of the taxonomy (e.g. illegal-access; repeatable).
    #[arg(long, value_name = "ID")]
    pub concept: Vec<String>,
}

impl Filters {
    /// Is any filter given?
    pub fn any(&self) -> bool {
        !self.jurisdiction.is_empty()
            || !self.kind.is_empty()
            || !self.lang.is_empty()
            || !self.concept.is_empty()
            || self.since.is_some()
    }

    /// Kinds as the index holds them (lower case).
    pub fn kinds(&self) -> Vec<String> {
        self.kind.iter().map(|k| k.to_lowercase()).collect()
    }

    /// Languages as the index holds them (lower case).
    pub fn langs(&self) -> Vec<String> {
        self.lang.iter().map(|l| l.to_lowercase()).collect()
    }
}

/// The environment variable that names the index directory (below `--index`, above the rest).
pub const INDEX_ENV: &str = "CYBERLEX_INDEX";

/// The default index directory, the one resolver of every command that takes `--index`.
///
/// In order: `--index DIR` (clap, before this is consulted); `$CYBERLEX_INDEX`; `./index` when the
/// current directory holds a built index (a `CURRENT` file: a checkout's quick start keeps
/// working); else the per-user data directory (`$XDG_DATA_HOME/cyberlex/index`, i.e.
/// `~/.local/share/cyberlex/index` on Linux, `~/Library/Application Support/cyberlex/index` on
/// macOS, `%APPDATA%\cyberlex\data\index` on Windows), so an installed `cyberlex` finds its
/// index from any directory.
pub fn default_index() -> PathBuf {
    if let Some(v) = std::env::var_os(INDEX_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(v);
    }
    let local = PathBuf::from("index");
    if local.join("CURRENT").is_file() {
        return local;
    }
    user_index().unwrap_or(local)
}

/// The per-user index directory (`None` when the platform has no home directory).
pub fn user_index() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "cyberlex").map(|d| d.data_dir().join("index"))
}

/// The environment variable that names the crawl cache (below `--cache`, above the rest).
pub const CACHE_ENV: &str = "CYBERLEX_CACHE";

/// The default crawl cache, the one resolver of every command that takes `--cache`.
///
/// In order: `--cache DIR` (clap, before this is consulted); `$CYBERLEX_CACHE`; `./corpus/cache`
/// when the current directory holds one (the old default: a checkout keeps its cache); else the
/// per-user cache directory (`$XDG_CACHE_HOME/cyberlex`, i.e. `~/.cache/cyberlex` on Linux,
/// `~/Library/Caches/cyberlex` on macOS, `%LOCALAPPDATA%\cyberlex\cache` on Windows), so an
/// installed `cyberlex` reuses what it fetched from any directory.
pub fn default_cache() -> PathBuf {
    if let Some(v) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return PathBuf::from(v);
    }
    let local = PathBuf::from("corpus/cache");
    if local.is_dir() {
        return local;
    }
    user_cache().unwrap_or(local)
}

/// The per-user crawl cache (`None` when the platform has no home directory).
pub fn user_cache() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "cyberlex").map(|d| d.cache_dir().to_path_buf())
}

/// A corpus mirror reachable from here, for the "build one with …" hint: `$CYBERLEX_CORPUS/mirror`,
/// `../shared/corpus/mirror` or `corpus/mirror` when they exist (as an absolute path).
fn mirror_hint() -> Option<PathBuf> {
    let mut candidates = Vec::new();
    if let Some(c) = std::env::var_os("CYBERLEX_CORPUS") {
        candidates.push(PathBuf::from(c).join("mirror"));
    }
    candidates.push(PathBuf::from("../shared/corpus/mirror"));
    candidates.push(PathBuf::from("corpus/mirror"));
    candidates
        .into_iter()
        .find(|p| p.is_dir())
        .map(|p| std::fs::canonicalize(&p).unwrap_or(p))
}

fn absolute(p: &std::path::Path) -> PathBuf {
    std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf())
}

/// The message for a missing index: the absolute path looked at, why there, and the exact
/// command that builds it from the current directory.
pub fn missing_index_message(path: &std::path::Path) -> String {
    let abs = absolute(path);
    let source = match mirror_hint() {
        Some(m) => format!("--mirror {}", m.display()),
        None => "--mirror PATH/TO/corpus/mirror (or no --mirror: fetch from the network)".into(),
    };
    format!(
        "no index at {abs}\n  (the index is --index DIR, else ${INDEX_ENV}, else ./index if it holds \
         an index, else {user})\n  build one with: cyberlex build {source} --index {abs}",
        abs = abs.display(),
        user = user_index()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|| "(no per-user data directory on this platform)".into()),
    )
}

/// Replace a missing-index error, wherever it sits in the chain, by [`missing_index_message`].
fn explain_missing(e: anyhow::Error) -> anyhow::Error {
    let missing = e.chain().find_map(|c| {
        let ix = c.downcast_ref::<crate::index::IndexError>().or_else(|| {
            c.downcast_ref::<crate::search::SearchError>()
                .and_then(|s| match s {
                    crate::search::SearchError::Index(i) => Some(i),
                    _ => None,
                })
        });
        match ix {
            Some(crate::index::IndexError::Missing { path }) => Some(path.clone()),
            _ => None,
        }
    });
    match missing {
        Some(path) => anyhow::anyhow!(missing_index_message(&path)),
        None => e,
    }
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
    run_command(cli).map_err(explain_missing)
}

fn run_command(cli: Cli) -> anyhow::Result<Outcome> {
    let style = Style::detect();
    match cli.command {
        Command::Build(a) => build::run(a, &style),
        Command::Search(a) => search::run(a, &style),
        Command::Situation(a) => situation::run(a, &style),
        Command::Show(a) => passages::show(a, &style),
        Command::Inspect(a) => passages::inspect(a, &style),
        Command::Export(a) => passages::export(a),
        Command::Sources(a) => sources::run(a, &style),
        Command::Crawl(a) => crawl::run(a, &style),
        Command::Compare(a) => compare::run(a, &style),
        Command::Matrix(a) => matrix::run(a),
        Command::Serve(a) => serve::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Eval(a) => eval::run(a),
        Command::ExtractWorker {
            memory_bytes,
            threads,
        } => {
            crate::worker::serve(memory_bytes, threads)?;
            Ok(Outcome::Found)
        }
        Command::Concepts(a) => vocab::concepts(a),
        Command::Kinds(a) => vocab::kinds(a),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_complete::generate(shell, &mut cmd, "cyberlex", &mut buf);
            output::print(&String::from_utf8_lossy(&buf))?;
            Ok(Outcome::Found)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            output::print(&String::from_utf8_lossy(&buf))?;
            Ok(Outcome::Found)
        }
    }
}
