//! The build, end to end: sources → bytes → documents → passages → index.
//!
//! The only module that reaches every room; it runs them in order (data flows one way:
//! corpus → crawl → extract → segment → index) and keeps going when one document fails: a
//! failure is recorded with its stage and reason, and the build goes on.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

use crate::corpus::{Manifest, Source, Taxonomy};
use crate::crawl::{self, CrawlOptions, Provenance};
use crate::extract::{self, ExtractError};
use crate::index::{IndexError, NewGeneration};
use crate::segment::{self, Passage, Profiles, Segmented};

/// Extract and segment the bytes of one source: one [`Segmented`] per document it holds.
pub fn passages_of(
    source: &Source,
    bytes: &[u8],
    profiles: &Profiles,
) -> Result<Vec<Segmented>, ExtractError> {
    let docs = extract::extract(source, bytes)?;
    Ok(docs
        .par_iter()
        .map(|d| segment::segment(source, d, profiles))
        .collect())
}

/// What to build, and how.
#[derive(Debug, Clone)]
pub struct BuildOptions {
    pub index_dir: PathBuf,
    pub crawl: CrawlOptions,
    /// Worker threads for extraction, segmentation and indexing.
    pub threads: usize,
    /// Total memory budget of the index writer, in bytes.
    pub memory_budget: usize,
    pub include_bulk: bool,
    /// Build only these source ids (all, when empty).
    pub only: Vec<String>,
    /// Show progress bars (when stderr is a terminal).
    pub progress: bool,
}

/// One document that could not be built, and why.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    pub source_id: String,
    /// `fetch`, `extract` or `index`.
    pub stage: &'static str,
    pub reason: String,
}

/// Per-document figures of a build.
#[derive(Debug, Clone, Serialize)]
pub struct DocumentReport {
    pub doc_id: String,
    pub passages: usize,
    pub coverage: f64,
}

/// Wall time of one stage.
#[derive(Debug, Clone, Serialize)]
pub struct StageTime {
    pub stage: &'static str,
    pub seconds: f64,
}

/// The report a build ends with (also saved as `report.json` in the generation).
#[derive(Debug, Clone, Serialize)]
pub struct BuildReport {
    pub sources: usize,
    pub sources_built: usize,
    pub documents: usize,
    pub passages: usize,
    pub bytes: u64,
    pub stages: Vec<StageTime>,
    pub seconds: f64,
    pub threads: usize,
    pub failures: Vec<Failure>,
    pub documents_detail: Vec<DocumentReport>,
    pub provenance: Vec<Provenance>,
    pub generation: Option<PathBuf>,
}

#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error(transparent)]
    Corpus(#[from] crate::corpus::CorpusError),
    #[error(transparent)]
    Index(#[from] IndexError),
    #[error("nothing to index: every selected source failed ({failures} failures); the previous index is unchanged")]
    Nothing {
        failures: usize,
        report: Box<BuildReport>,
    },
    #[error("building the worker pool: {0}")]
    Pool(String),
}

fn bar(show: bool, len: usize, what: &str) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(len as u64);
    pb.set_style(
        ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb.set_prefix(what.to_string());
    pb
}

/// Run the whole pipeline and publish a new index generation.
pub fn build(manifest: &Manifest, opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| BuildError::Pool(e.to_string()))?;
    let sources = manifest.select(&opts.only, opts.include_bulk)?;
    let profiles = Profiles::builtin();
    let started = Instant::now();
    let generation = NewGeneration::create(&opts.index_dir)?;
    pool.install(|| run(&sources, &profiles, &generation, opts, threads, started))
        .and_then(|report| {
            let path = generation.publish()?;
            Ok(BuildReport {
                generation: Some(path),
                seconds: started.elapsed().as_secs_f64(),
                ..report
            })
        })
}

fn run(
    sources: &[Source],
    profiles: &Profiles,
    generation: &NewGeneration,
    opts: &BuildOptions,
    threads: usize,
    started: Instant,
) -> Result<BuildReport, BuildError> {
    let mut stages = Vec::new();
    let mut failures = Vec::new();
    let mut timed = |stage: &'static str, t: Instant| {
        stages.push(StageTime {
            stage,
            seconds: t.elapsed().as_secs_f64(),
        })
    };

    // fetch
    let t = Instant::now();
    let pb = bar(opts.progress, sources.len(), "fetch");
    let fetched: Vec<_> = sources
        .par_iter()
        .progress_with(pb.clone())
        .map(|s| (s, crawl::fetch(s, &opts.crawl)))
        .collect();
    pb.finish_and_clear();
    timed("fetch", t);
    let mut provenance = Vec::new();
    let mut ok = Vec::new();
    let mut bytes = 0u64;
    for (s, r) in fetched {
        match r {
            Ok(f) => {
                bytes += f.bytes.len() as u64;
                provenance.push(f.provenance.clone());
                ok.push((s, f.bytes));
            }
            Err(e) => {
                tracing::warn!("{e}");
                failures.push(Failure {
                    source_id: s.id.clone(),
                    stage: "fetch",
                    reason: e.to_string(),
                });
            }
        }
    }

    // extract + segment
    let t = Instant::now();
    let pb = bar(opts.progress, ok.len(), "extract");
    let segmented: Vec<_> = ok
        .par_iter()
        .progress_with(pb.clone())
        .map(|(s, b)| (*s, passages_of(s, b, profiles)))
        .collect();
    pb.finish_and_clear();
    drop(ok);
    timed("extract+segment", t);
    let mut docs: Vec<Segmented> = Vec::new();
    let mut sources_built = 0;
    for (s, r) in segmented {
        match r {
            Ok(d) if d.iter().all(|d| d.passages.is_empty()) => failures.push(Failure {
                source_id: s.id.clone(),
                stage: "extract",
                reason: format!("{}: no passages found", s.id),
            }),
            Ok(d) => {
                sources_built += 1;
                docs.extend(d)
            }
            Err(e) => {
                tracing::warn!("{e}");
                failures.push(Failure {
                    source_id: s.id.clone(),
                    stage: "extract",
                    reason: e.to_string(),
                });
            }
        }
    }
    // tag with the concepts of the crosswalk taxonomy
    let t = Instant::now();
    let taxonomy = Taxonomy::builtin();
    docs.par_iter_mut()
        .flat_map(|d| d.passages.par_iter_mut())
        .for_each(|p| {
            p.concepts = taxonomy
                .tag(&p.heading, &p.text)
                .into_iter()
                .map(|t| t.concept)
                .collect()
        });
    timed("tag", t);
    let passages: Vec<&Passage> = docs.iter().flat_map(|d| d.passages.iter()).collect();
    let documents_detail: Vec<DocumentReport> = docs
        .iter()
        .map(|d| DocumentReport {
            doc_id: d.doc_id.clone(),
            passages: d.passages.len(),
            coverage: d.coverage(),
        })
        .collect();

    let partial = BuildReport {
        sources: sources.len(),
        sources_built,
        documents: docs.len(),
        passages: passages.len(),
        bytes,
        stages: Vec::new(),
        seconds: 0.0,
        threads,
        failures: failures.clone(),
        documents_detail,
        provenance,
        generation: None,
    };
    if passages.is_empty() {
        return Err(BuildError::Nothing {
            failures: failures.len(),
            report: Box::new(BuildReport { stages, ..partial }),
        });
    }

    // index
    let t = Instant::now();
    let mut writer = generation.writer(threads, opts.memory_budget)?;
    let pb = bar(opts.progress, passages.len(), "index");
    let fields = &generation.fields;
    let index_err = |source| IndexError::Tantivy {
        path: generation.path.clone(),
        source,
    };
    passages
        .par_iter()
        .progress_with(pb.clone())
        .try_for_each(|p| writer.add_document(fields.to_document(p)).map(|_| ()))
        .map_err(index_err)?;
    pb.finish_and_clear();
    timed("index", t);
    let t = Instant::now();
    writer.commit().map_err(index_err)?;
    timed("commit", t);
    let t = Instant::now();
    writer.wait_merging_threads().map_err(index_err)?;
    timed("merge", t);

    let report = BuildReport {
        stages,
        seconds: started.elapsed().as_secs_f64(),
        ..partial
    };
    if let Ok(json) = serde_json::to_vec_pretty(&report) {
        generation.write_file("report.json", &json)?;
    }
    Ok(report)
}

/// Seconds as a short human string (`0.42 s`, `1 min 3 s`).
pub fn human_duration(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.2} s")
    } else {
        format!("{} min {} s", (s / 60.0) as u64, (s % 60.0) as u64)
    }
}
