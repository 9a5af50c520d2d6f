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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Fetch every source, extract, segment and index it; swap the new index in when complete.
    Build(build::BuildArgs),
    /// Rank passages by relevance to a query.
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
    /// The query language: operators, connectors, fields, expanders (`cyberlex help query`).
    #[command(long_about = crate::cli::search::QUERY_HELP)]
    Query,
    /// Internal: the worker process a build extracts documents in (`crate::worker`).
    #[command(hide = true)]
    ExtractWorker {
        #[arg(long, default_value_t = 0)]
        memory_bytes: u64,
        #[arg(long, default_value_t = 1)]
        threads: usize,
    },
}

/// The default index directory: `index/` in the current directory.
pub fn default_index() -> PathBuf {
    PathBuf::from("index")
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<Outcome> {
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
        Command::Query => {
            output::print(search::QUERY_HELP)?;
            Ok(Outcome::Found)
        }
    }
}
