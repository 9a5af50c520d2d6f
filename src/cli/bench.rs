//! `cyberlex bench`: whole builds on the real corpus (per stage, several thread counts, scaled
//! corpora, peak memory, segments), the raw-tantivy comparison, and query latency.
//!
//! Every measured build runs in a child process (`cyberlex bench build-once`, hidden) so that its
//! peak memory (`VmHWM`) is its own.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Subcommand};
use serde::Serialize;
use serde_json::{json, Value};

use super::output::{json_pretty, print};
use super::Outcome;
use crate::bench::{self, percentile, ReportFormat, Stat};
use crate::corpus::Manifest;
use crate::crawl::{mirror_path, CrawlOptions};
use crate::index::OpenIndex;
use crate::pipeline::{self, BuildOptions};
use crate::search::{Engine, SearchRequest};

#[derive(Debug, Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    pub command: BenchCommand,
}

#[derive(Debug, Subcommand)]
pub enum BenchCommand {
    /// Time whole builds: per stage, MB/s, passages/s, peak memory, segments; median of runs.
    Build(BuildBench),
    /// Query latency (p50/p95/p99) and hits per query, warm and from a freshly opened index.
    Query(QueryBench),
    /// Load on `cyberlex serve`: 8 and 32 loopback clients replaying the queries for 30 s
    /// (requests/s, p50/p95/p99, errors, server peak memory).
    Serve(super::bench_serve::ServeBench),
    /// One measured build, in this process (what `bench build` runs in a child); prints JSON.
    #[command(hide = true)]
    BuildOnce(BuildOnce),
    /// One raw-tantivy build of exported passages, in this process; prints JSON.
    #[command(hide = true)]
    RawOnce(RawOnce),
}

#[derive(Debug, Args)]
pub struct BuildBench {
    /// Thread counts to measure (repeatable; default: 1 and all cores).
    #[arg(long = "threads", value_name = "N")]
    pub threads: Vec<usize>,
    /// Replicate the corpus K times under distinct ids (repeatable: `--scale 1 --scale 10`).
    #[arg(long = "scale", value_name = "K")]
    pub scale: Vec<usize>,
    /// Build only these sources (repeatable; `de-bundestag-gesetze-bulk` is the 166 MB archive).
    #[arg(long = "source", value_name = "ID")]
    pub source: Vec<String>,
    /// Runs per configuration (median, min and max are reported).
    #[arg(long, value_name = "R", default_value_t = 3)]
    pub runs: usize,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// The mirror to read sources from.
    #[arg(long, value_name = "DIR", default_value = "../shared/corpus/mirror")]
    pub mirror: PathBuf,
    /// Index writer memory budget, in MB.
    #[arg(long, value_name = "MB", default_value_t = 256)]
    pub memory: usize,
    /// Also index the same passages with a minimal raw-tantivy indexer (tantivy-cli's default
    /// schema), same threads and memory budget.
    #[arg(long)]
    pub raw_tantivy: bool,
    /// Keep temporary indexes and files here instead of a temporary directory.
    #[arg(long, value_name = "DIR")]
    pub work_dir: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct BuildOnce {
    #[arg(long)]
    pub mirror: PathBuf,
    #[arg(long)]
    pub index: PathBuf,
    #[arg(long)]
    pub sources: PathBuf,
    #[arg(long)]
    pub threads: usize,
    #[arg(long)]
    pub memory: usize,
    /// Write the built passages as JSONL here (after peak memory is read).
    #[arg(long)]
    pub export: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct RawOnce {
    #[arg(long)]
    pub jsonl: PathBuf,
    #[arg(long)]
    pub index: PathBuf,
    #[arg(long)]
    pub threads: usize,
    #[arg(long)]
    pub memory: usize,
    /// The schema to index the passages with (`cyberlex`: the indexing stage of a build alone).
    #[arg(long, value_enum, default_value_t = bench::raw::RawSchema::TantivyCli)]
    pub schema: bench::raw::RawSchema,
}

#[derive(Debug, Args)]
pub struct QueryBench {
    /// Queries, one per line (`#` starts a comment).
    #[arg(long, value_name = "FILE", default_value = "bench/queries.txt")]
    pub queries: PathBuf,
    /// Warm passes over all queries.
    #[arg(long, value_name = "R", default_value_t = 5)]
    pub runs: usize,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Hits asked per query.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// A described situation (about 3,000 characters) timed with `cyberlex situation`, warm
    /// (20 samples per pass); skipped when the file is absent.
    #[arg(long, value_name = "FILE", default_value = "bench/situation.txt")]
    pub situation: PathBuf,
}

pub fn run(a: BenchArgs) -> anyhow::Result<Outcome> {
    match a.command {
        BenchCommand::Build(b) => build_bench(b),
        BenchCommand::Query(q) => query_bench(q),
        BenchCommand::Serve(s) => super::bench_serve::run(s),
        BenchCommand::BuildOnce(o) => build_once(o),
        BenchCommand::RawOnce(o) => raw_once(o),
    }
}

// ---------------------------------------------------------------- build

fn build_once(o: BuildOnce) -> anyhow::Result<Outcome> {
    let manifest = Manifest::load(&o.sources)?;
    let opts = BuildOptions {
        index_dir: o.index.clone(),
        crawl: CrawlOptions {
            mirror: Some(o.mirror.clone()),
            ..CrawlOptions::default()
        },
        threads: o.threads,
        memory_budget: o.memory.max(15) * 1_000_000,
        include_bulk: true,
        only: Vec::new(),
        progress: false,
        // In-process, so that this process's peak memory is the build's.
        budget: Default::default(),
    };
    let report = pipeline::build(&manifest, &opts)?;
    let peak = bench::peak_rss_bytes();
    let open = OpenIndex::open(&o.index)?;
    let segments = open.index.searchable_segment_ids()?.len();
    if let Some(path) = &o.export {
        let engine = Engine::open(&o.index)?;
        let mut buf = Vec::new();
        for p in engine.all_passages()? {
            serde_json::to_writer(&mut buf, &p)?;
            buf.push(b'\n');
        }
        std::fs::write(path, buf).with_context(|| format!("writing {}", path.display()))?;
    }
    print(&format!(
        "{}\n",
        json!({"report": report, "peak_rss_bytes": peak, "segments": segments})
    ))?;
    Ok(Outcome::Found)
}

fn raw_once(o: RawOnce) -> anyhow::Result<Outcome> {
    let report = bench::raw::build_with(
        &o.jsonl,
        &o.index,
        o.threads,
        o.memory.max(15) * 1_000_000,
        o.schema,
    )?;
    let peak = bench::peak_rss_bytes();
    print(&format!(
        "{}\n",
        json!({"report": report, "peak_rss_bytes": peak})
    ))?;
    Ok(Outcome::Found)
}

/// Run this binary with `args`; parse the one JSON object it prints.
fn child(args: &[&std::ffi::OsStr]) -> anyhow::Result<Value> {
    let exe = std::env::current_exe().context("locating the cyberlex binary")?;
    let out = Command::new(exe)
        .args(args)
        .env_remove("RUST_LOG")
        .output()
        .context("running a child build")?;
    anyhow::ensure!(
        out.status.success(),
        "child build failed ({}): {}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim()
    );
    serde_json::from_slice(&out.stdout).context("reading the child's JSON report")
}

#[derive(Debug, Clone, Serialize)]
struct BuildRun {
    seconds: f64,
    stages: Vec<(String, f64)>,
    peak_rss_bytes: Option<u64>,
    segments: usize,
    passages: usize,
    documents: usize,
    bytes: u64,
    failures: usize,
}

#[derive(Debug, Clone, Serialize)]
struct BuildConfig {
    scale: usize,
    threads: usize,
    runs: Vec<BuildRun>,
    seconds: Stat,
    /// Per stage, in pipeline order.
    stages: Vec<StageStat>,
    input_bytes: u64,
    unpacked_bytes: u64,
    documents: usize,
    passages: usize,
    segments: usize,
    /// Raw input (fetched bytes) per second of the whole build.
    mb_per_s: Stat,
    /// `mb_per_s` divided by the thread count.
    mb_per_s_per_core: f64,
    /// Unpacked bytes (what the extractors read) per second.
    unpacked_mb_per_s: Stat,
    passages_per_s: Stat,
    peak_rss_mb: Stat,
    /// Median time at the smallest thread count ÷ median time here (same scale).
    speedup: f64,
    /// Median time ÷ median time at the smallest scale (same threads).
    scale_ratio: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    raw_tantivy: Option<RawConfig>,
}

#[derive(Debug, Clone, Serialize)]
struct StageStat {
    stage: String,
    #[serde(flatten)]
    seconds: Stat,
}

#[derive(Debug, Clone, Serialize)]
struct RawConfig {
    seconds: Stat,
    index_commit_merge_seconds: Stat,
    peak_rss_mb: Stat,
    segments: usize,
    /// cyberlex end-to-end median ÷ raw-tantivy median (1.25 = 25 % slower).
    cyberlex_vs_raw: f64,
    /// cyberlex index+commit+merge median ÷ raw-tantivy index+commit+merge median (a build's
    /// `index` stage is the time spent handing documents to the writer, which indexes while the
    /// extraction goes on: see `cyberlex_schema_vs_raw` for the indexing stage alone).
    cyberlex_indexing_vs_raw: f64,
    /// The same passages indexed in the same harness with cyberlex's schema and analyzers
    /// (`raw-once --schema cyberlex`), run after each raw run: index+commit+merge.
    cyberlex_schema_index_commit_merge_seconds: Stat,
    cyberlex_schema_peak_rss_mb: Stat,
    /// The indexing stage alone: cyberlex schema ÷ tantivy-cli schema, index+commit+merge medians.
    cyberlex_schema_vs_raw: f64,
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|m| m.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn cores() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

fn machine() -> Value {
    let mem = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("MemTotal:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map(|kb| kb / 1024);
    json!({"cpu": cpu_model(), "cores": cores(), "memory_mb": mem})
}

fn run_of(v: &Value) -> BuildRun {
    // The child prints a serialized `BuildReport`; read back the fields measured.
    let r = &v["report"];
    let n = |k: &str| r[k].as_u64().unwrap_or(0);
    BuildRun {
        seconds: r["seconds"].as_f64().unwrap_or(0.0),
        stages: r["stages"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| {
                        Some((s["stage"].as_str()?.to_string(), s["seconds"].as_f64()?))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        peak_rss_bytes: v["peak_rss_bytes"].as_u64(),
        segments: v["segments"].as_u64().unwrap_or(0) as usize,
        passages: n("passages") as usize,
        documents: n("documents") as usize,
        bytes: n("bytes"),
        failures: r["failures"].as_array().map_or(0, |a| a.len()),
    }
}

fn build_bench(a: BuildBench) -> anyhow::Result<Outcome> {
    anyhow::ensure!(
        a.mirror.is_dir(),
        "mirror directory {} does not exist; pass --mirror ../shared/corpus/mirror",
        a.mirror.display()
    );
    let runs = a.runs.max(1);
    let mut threads = if a.threads.is_empty() {
        vec![1, cores()]
    } else {
        a.threads.clone()
    };
    threads.sort_unstable();
    threads.dedup();
    let mut scales = if a.scale.is_empty() {
        vec![1]
    } else {
        a.scale.clone()
    };
    scales.retain(|&k| k > 0);
    scales.sort_unstable();
    scales.dedup();
    let manifest = Manifest::builtin();
    let sources = if a.source.is_empty() {
        manifest.select(&[], false)?
    } else {
        manifest.select(&a.source, true)?
    };
    let tmp = TempDir(std::env::temp_dir().join(format!("cyberlex-bench-{}", std::process::id())));
    let work = a.work_dir.clone().unwrap_or_else(|| tmp.0.clone());
    std::fs::create_dir_all(&work)?;
    let mirror = std::fs::canonicalize(&a.mirror)?;

    // What the extractors read: unpacked bytes of the sources the mirror holds.
    let unpacked_one: u64 = sources
        .iter()
        .filter_map(|s| {
            let p = mirror_path(&mirror, &s.url)?;
            bench::unpacked_bytes(s, &p).ok()
        })
        .sum();

    let mut configs: Vec<BuildConfig> = Vec::new();
    for &k in &scales {
        let m = bench::scaled_manifest(&sources, k);
        let mpath = work.join(format!("sources-x{k}.toml"));
        std::fs::write(&mpath, bench::manifest_toml(&m)?)?;
        for &t in &threads {
            let mut results = Vec::new();
            let want_export = a.raw_tantivy;
            let export = work.join(format!("passages-x{k}.jsonl"));
            for r in 0..runs {
                let index = work.join(format!("index-x{k}-t{t}-r{r}"));
                let _ = std::fs::remove_dir_all(&index);
                let mut args: Vec<std::ffi::OsString> = vec![
                    "bench".into(),
                    "build-once".into(),
                    "--mirror".into(),
                    mirror.clone().into(),
                    "--index".into(),
                    index.clone().into(),
                    "--sources".into(),
                    mpath.clone().into(),
                    "--threads".into(),
                    t.to_string().into(),
                    "--memory".into(),
                    a.memory.to_string().into(),
                ];
                if want_export && r == 0 && !export.exists() {
                    args.push("--export".into());
                    args.push(export.clone().into());
                }
                eprintln!("bench: scale {k}, {t} thread(s), run {}/{runs}", r + 1);
                let refs: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_os_str()).collect();
                let v = child(&refs)?;
                results.push(run_of(&v));
                let _ = std::fs::remove_dir_all(&index);
            }
            let raw = if a.raw_tantivy {
                Some(raw_bench(&work, &export, k, t, a.memory, runs, &results)?)
            } else {
                None
            };
            configs.push(summarize(k, t, results, unpacked_one * k as u64, raw));
        }
    }
    // Ratios: against the smallest thread count (same scale) and the smallest scale (same threads).
    let medians: Vec<(usize, usize, f64)> = configs
        .iter()
        .map(|c| (c.scale, c.threads, c.seconds.median))
        .collect();
    for c in &mut configs {
        let base_t = medians
            .iter()
            .find(|(k, t, _)| *k == c.scale && *t == threads[0])
            .map(|m| m.2);
        let base_k = medians
            .iter()
            .find(|(k, t, _)| *k == scales[0] && *t == c.threads)
            .map(|m| m.2);
        if let Some(b) = base_t {
            c.speedup = b / c.seconds.median.max(1e-9);
        }
        if let Some(b) = base_k {
            c.scale_ratio = c.seconds.median / b.max(1e-9);
        }
    }
    let out = json!({
        "machine": machine(),
        "runs": runs,
        "memory_mb": a.memory,
        "sources": sources.iter().map(|s| s.id.clone()).collect::<Vec<_>>(),
        "configs": configs,
    });
    match a.format {
        ReportFormat::Json => print(&json_pretty(&out)?)?,
        ReportFormat::Text => print(&render_build(&out, &configs))?,
    }
    Ok(Outcome::Found)
}

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn raw_bench(
    work: &Path,
    export: &Path,
    k: usize,
    t: usize,
    memory: usize,
    runs: usize,
    cyberlex: &[BuildRun],
) -> anyhow::Result<RawConfig> {
    let mut secs = Vec::new();
    let mut icm = Vec::new();
    let mut peaks = Vec::new();
    let mut ours_schema = Vec::new();
    let mut ours_schema_peaks = Vec::new();
    let mut segments = 0;
    for r in 0..runs {
        let index = work.join(format!("raw-x{k}-t{t}-r{r}"));
        let _ = std::fs::remove_dir_all(&index);
        eprintln!(
            "bench: raw tantivy, scale {k}, {t} thread(s), run {}/{runs}",
            r + 1
        );
        for schema in ["tantivy-cli", "cyberlex"] {
            let args: Vec<std::ffi::OsString> = vec![
                "bench".into(),
                "raw-once".into(),
                "--jsonl".into(),
                export.into(),
                "--index".into(),
                index.clone().into(),
                "--threads".into(),
                t.to_string().into(),
                "--memory".into(),
                memory.to_string().into(),
                "--schema".into(),
                schema.into(),
            ];
            let refs: Vec<&std::ffi::OsStr> = args.iter().map(|s| s.as_os_str()).collect();
            let v = child(&refs)?;
            let rep = &v["report"];
            let f = |k: &str| rep[k].as_f64().unwrap_or(0.0);
            let peak = v["peak_rss_bytes"].as_u64().map(|p| p as f64 / 1e6);
            if schema == "cyberlex" {
                ours_schema.push(
                    f("index_seconds")
                        + f("commit_seconds")
                        + f("merge_seconds")
                        + f("lexicon_seconds"),
                );
                ours_schema_peaks.extend(peak);
            } else {
                secs.push(f("seconds"));
                icm.push(f("index_seconds") + f("commit_seconds") + f("merge_seconds"));
                peaks.extend(peak);
                segments = rep["segments"].as_u64().unwrap_or(0) as usize;
            }
            let _ = std::fs::remove_dir_all(&index);
        }
    }
    let ours = Stat::of(&cyberlex.iter().map(|r| r.seconds).collect::<Vec<_>>());
    let ours_icm = Stat::of(
        &cyberlex
            .iter()
            .map(|r| {
                ["index", "commit", "merge", "lexicon"]
                    .iter()
                    .map(|s| stage(r, s))
                    .sum::<f64>()
            })
            .collect::<Vec<_>>(),
    );
    let seconds = Stat::of(&secs);
    let icm = Stat::of(&icm);
    let schema = Stat::of(&ours_schema);
    Ok(RawConfig {
        cyberlex_schema_vs_raw: schema.median / icm.median.max(1e-9),
        cyberlex_schema_index_commit_merge_seconds: schema,
        cyberlex_schema_peak_rss_mb: Stat::of(&ours_schema_peaks),
        cyberlex_vs_raw: ours.median / seconds.median.max(1e-9),
        cyberlex_indexing_vs_raw: ours_icm.median / icm.median.max(1e-9),
        seconds,
        index_commit_merge_seconds: icm,
        peak_rss_mb: Stat::of(&peaks),
        segments,
    })
}

fn stage(r: &BuildRun, name: &str) -> f64 {
    r.stages
        .iter()
        .filter(|(n, _)| n == name)
        .map(|(_, s)| s)
        .sum()
}

fn summarize(
    k: usize,
    t: usize,
    runs: Vec<BuildRun>,
    unpacked: u64,
    raw: Option<RawConfig>,
) -> BuildConfig {
    let col = |f: &dyn Fn(&BuildRun) -> f64| Stat::of(&runs.iter().map(f).collect::<Vec<_>>());
    let mut stage_names: Vec<String> = Vec::new();
    for r in &runs {
        for (s, _) in &r.stages {
            if !stage_names.contains(s) {
                stage_names.push(s.clone());
            }
        }
    }
    let stages = stage_names
        .iter()
        .map(|n| StageStat {
            stage: n.clone(),
            seconds: col(&|r| stage(r, n)),
        })
        .collect();
    let first = runs.first().cloned();
    let bytes = first.as_ref().map_or(0, |r| r.bytes);
    let mb_per_s = col(&|r| r.bytes as f64 / 1e6 / r.seconds.max(1e-9));
    BuildConfig {
        scale: k,
        threads: t,
        seconds: col(&|r| r.seconds),
        stages,
        input_bytes: bytes,
        unpacked_bytes: unpacked,
        documents: first.as_ref().map_or(0, |r| r.documents),
        passages: first.as_ref().map_or(0, |r| r.passages),
        segments: first.as_ref().map_or(0, |r| r.segments),
        mb_per_s_per_core: mb_per_s.median / t as f64,
        mb_per_s,
        unpacked_mb_per_s: col(&|r| unpacked as f64 / 1e6 / r.seconds.max(1e-9)),
        passages_per_s: col(&|r| r.passages as f64 / r.seconds.max(1e-9)),
        peak_rss_mb: col(&|r| r.peak_rss_bytes.unwrap_or(0) as f64 / 1e6),
        speedup: 1.0,
        scale_ratio: 1.0,
        raw_tantivy: raw,
        runs,
    }
}

fn render_build(out: &Value, configs: &[BuildConfig]) -> String {
    let mut s = format!(
        "Build benchmark — {} ({} cores), {} run(s) per configuration, writer memory {} MB\n",
        out["machine"]["cpu"].as_str().unwrap_or("?"),
        out["machine"]["cores"],
        out["runs"],
        out["memory_mb"]
    );
    s.push_str("medians [min–max]\n");
    for c in configs {
        s.push_str(&format!(
            "\nscale ×{}, {} thread(s): {} documents, {} passages, {:.1} MB raw ({:.1} MB unpacked), {} segment(s)\n",
            c.scale,
            c.threads,
            c.documents,
            c.passages,
            c.input_bytes as f64 / 1e6,
            c.unpacked_bytes as f64 / 1e6,
            c.segments
        ));
        s.push_str(&format!(
            "  total      {:.2} s [{:.2}–{:.2}]   speedup vs {} thread(s) ×{:.2}   time vs smallest scale ×{:.2}\n",
            c.seconds.median, c.seconds.min, c.seconds.max, configs.iter().filter(|o| o.scale == c.scale).map(|o| o.threads).min().unwrap_or(c.threads), c.speedup, c.scale_ratio
        ));
        for st in &c.stages {
            let (n, st) = (&st.stage, &st.seconds);
            s.push_str(&format!(
                "  {:<16} {:.2} s [{:.2}–{:.2}]\n",
                n, st.median, st.min, st.max
            ));
        }
        s.push_str(&format!(
            "  throughput {:.2} MB/s raw ({:.2} MB/s per thread), {:.2} MB/s unpacked, {:.0} passages/s\n",
            c.mb_per_s.median, c.mb_per_s_per_core, c.unpacked_mb_per_s.median, c.passages_per_s.median
        ));
        s.push_str(&format!(
            "  peak memory {:.0} MB [{:.0}–{:.0}]\n",
            c.peak_rss_mb.median, c.peak_rss_mb.min, c.peak_rss_mb.max
        ));
        if let Some(r) = &c.raw_tantivy {
            s.push_str(&format!(
                "  raw tantivy {:.2} s [{:.2}–{:.2}] (index+commit+merge {:.2} s), peak {:.0} MB, {} segment(s); cyberlex ÷ raw ×{:.2} end to end, ×{:.2} indexing alone\n",
                r.seconds.median, r.seconds.min, r.seconds.max, r.index_commit_merge_seconds.median, r.peak_rss_mb.median, r.segments, r.cyberlex_vs_raw, r.cyberlex_indexing_vs_raw
            ));
            s.push_str(&format!(
                "  cyberlex schema over the same passages: index+commit+merge {:.2} s, peak {:.0} MB; ×{:.2} the raw indexer's (the indexing stage alone)\n",
                r.cyberlex_schema_index_commit_merge_seconds.median,
                r.cyberlex_schema_peak_rss_mb.median,
                r.cyberlex_schema_vs_raw
            ));
        }
    }
    s
}

// ---------------------------------------------------------------- query

/// Queries of a file: one per line, blank lines and `#` comments skipped.
pub fn read_queries(path: &Path) -> anyhow::Result<Vec<String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read queries from {}", path.display()))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect())
}

#[derive(Debug, Serialize)]
struct QueryRow {
    query: String,
    total_hits: usize,
    warm_ms: Stat,
    cold_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

fn latency(sorted: &[f64]) -> Value {
    json!({
        "p50": percentile(sorted, 50.0),
        "p95": percentile(sorted, 95.0),
        "p99": percentile(sorted, 99.0),
        "max": sorted.last().copied().unwrap_or(0.0),
        "samples": sorted.len(),
    })
}

fn query_bench(a: QueryBench) -> anyhow::Result<Outcome> {
    let queries = read_queries(&a.queries)?;
    anyhow::ensure!(
        !queries.is_empty(),
        "{} holds no query",
        a.queries.display()
    );
    let req = |q: &str| SearchRequest {
        query: q.to_string(),
        limit: a.limit,
        snippet_chars: 240,
        ..Default::default()
    };
    // Freshly opened: open the index, then run the query once (the OS page cache stays warm).
    let mut cold = Vec::new();
    let mut opens = Vec::new();
    let mut rows = Vec::new();
    for q in &queries {
        let t = Instant::now();
        let engine = Engine::open(&a.index)?;
        opens.push(t.elapsed().as_secs_f64() * 1e3);
        let r = engine.search(&req(q));
        let ms = t.elapsed().as_secs_f64() * 1e3;
        cold.push(ms);
        let (hits, error) = match r {
            Ok(r) => (r.total_hits, None),
            Err(e) => (0, Some(e.to_string())),
        };
        rows.push(QueryRow {
            query: q.clone(),
            total_hits: hits,
            warm_ms: Stat::default(),
            cold_ms: ms,
            error,
        });
    }
    // Warm: one engine, one pass to warm up, then `runs` passes.
    let engine = Engine::open(&a.index)?;
    for q in &queries {
        let _ = engine.search(&req(q));
    }
    let mut per_query: Vec<Vec<f64>> = vec![Vec::new(); queries.len()];
    for _ in 0..a.runs.max(1) {
        for (i, q) in queries.iter().enumerate() {
            let r = req(q);
            let t = Instant::now();
            let _ = engine.search(&r);
            per_query[i].push(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    let mut warm: Vec<f64> = per_query.iter().flatten().copied().collect();
    for (row, v) in rows.iter_mut().zip(&per_query) {
        row.warm_ms = Stat::of(v);
    }
    warm.sort_by(f64::total_cmp);
    cold.sort_by(f64::total_cmp);
    let situation = situation_latency(&engine, &a)?;
    let errors = rows.iter().filter(|r| r.error.is_some()).count();
    let out = json!({
        "situation_ms": situation,
        "machine": machine(),
        "index": a.index,
        "passages": engine.num_passages(),
        "queries": queries.len(),
        "runs": a.runs.max(1),
        "limit": a.limit,
        "errors": errors,
        "warm_ms": latency(&warm),
        "cold_ms": latency(&cold),
        "open_ms": Stat::of(&opens),
        "per_query": rows,
    });
    match a.format {
        ReportFormat::Json => print(&json_pretty(&out)?)?,
        ReportFormat::Text => {
            let mut s = format!(
                "Query benchmark — {} ({} cores): {} queries, {} passages, {} warm pass(es), limit {}\n",
                out["machine"]["cpu"].as_str().unwrap_or("?"),
                out["machine"]["cores"],
                queries.len(),
                out["passages"],
                out["runs"],
                a.limit
            );
            for (name, key) in [("warm", "warm_ms"), ("fresh open + query", "cold_ms")] {
                let l = &out[key];
                s.push_str(&format!(
                    "  {name:<20} p50 {:.2} ms · p95 {:.2} ms · p99 {:.2} ms · max {:.2} ms\n",
                    l["p50"].as_f64().unwrap_or(0.0),
                    l["p95"].as_f64().unwrap_or(0.0),
                    l["p99"].as_f64().unwrap_or(0.0),
                    l["max"].as_f64().unwrap_or(0.0)
                ));
            }
            if let Some(l) = out["situation_ms"].as_object() {
                s.push_str(&format!(
                    "  situation ({} chars) p50 {:.2} ms · p99 {:.2} ms · max {:.2} ms\n",
                    l["chars"],
                    l["p50"].as_f64().unwrap_or(0.0),
                    l["p99"].as_f64().unwrap_or(0.0),
                    l["max"].as_f64().unwrap_or(0.0)
                ));
            }
            s.push_str(&format!(
                "  index open           median {:.2} ms\n\n{:>9} {:>9} {:>9}  query\n",
                out["open_ms"]["median"].as_f64().unwrap_or(0.0),
                "hits",
                "warm ms",
                "cold ms"
            ));
            for r in &rows {
                s.push_str(&format!(
                    "{:>9} {:>9.2} {:>9.2}  {}{}\n",
                    r.total_hits,
                    r.warm_ms.median,
                    r.cold_ms,
                    r.query,
                    r.error
                        .as_ref()
                        .map(|e| format!("   ERROR {e}"))
                        .unwrap_or_default()
                ));
            }
            print(&s)?;
        }
    }
    anyhow::ensure!(errors == 0, "{errors} queries failed");
    Ok(Outcome::Found)
}

/// Warm latency of `situation` on the description in `a.situation` (`null` when absent).
fn situation_latency(engine: &Engine, a: &QueryBench) -> anyhow::Result<Value> {
    let Ok(text) = std::fs::read_to_string(&a.situation) else {
        return Ok(Value::Null);
    };
    let req = crate::search::situation::SituationRequest {
        text: text.trim().to_string(),
        limit: a.limit,
        snippet_chars: 240,
        ..Default::default()
    };
    engine.situation(&req)?;
    let mut v = Vec::new();
    for _ in 0..a.runs.max(1) * 20 {
        let t = Instant::now();
        engine.situation(&req)?;
        v.push(t.elapsed().as_secs_f64() * 1e3);
    }
    v.sort_by(f64::total_cmp);
    let mut l = latency(&v);
    l["chars"] = json!(req.text.chars().count());
    Ok(l)
}
