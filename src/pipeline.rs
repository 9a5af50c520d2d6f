//! The build, end to end: sources → bytes → documents → passages → index.
//!
//! The only module that reaches every room; it runs them in order (data flows one way:
//! corpus → crawl → extract → segment → index) and keeps going when one document fails: a
//! failure is recorded with its stage and reason, and the build goes on.
//!
//! The build streams: sources are extracted (and their passages tagged) on a pool of their own,
//! or in worker processes, and hand their documents over in batches (about 1,024 passages)
//! through a bounded channel; the build's thread indexes each batch as it arrives, so no stage
//! holds every passage. A source that fails after some of its documents were indexed has them
//! deleted before the commit. An unchanged source's passages are read back from the previous
//! generation's doc store, which holds every field of a passage: nothing is saved beside the index.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use indicatif::{ParallelProgressIterator, ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::corpus::{own, Manifest, Source, Taxonomy};
use crate::crawl::{self, CrawlOptions, Provenance};
use crate::extract::{self, ExtractError};
use crate::index::{current_generation, IndexError, NewGeneration, OpenIndex};
use crate::segment::{self, Passage, Profiles, Segmented};

/// Extract and segment the bytes of one source: one [`Segmented`] per document it holds.
///
/// A panic inside an extractor or the segmenter (a bug that hostile input reached) fails this
/// source only, with the panic's message as the reason; the build goes on.
pub fn passages_of(
    source: &Source,
    bytes: &[u8],
    profiles: &Profiles,
) -> Result<Vec<Segmented>, ExtractError> {
    let mut docs = Vec::new();
    passages_each(source, bytes, profiles, &mut |d| {
        docs.push(d);
        true
    })?;
    Ok(docs)
}

/// Documents segmented in parallel at a time by [`passages_each`].
const SEGMENT_CHUNK: usize = 64;

/// [`passages_of`], handing each document to `emit` as soon as it is segmented (in the source's
/// order; `emit` returns `false` to stop): documents are segmented in parallel chunks, and each
/// chunk's extracted text is dropped once it is segmented, so a bulk archive's passages are never
/// all held at once.
pub fn passages_each(
    source: &Source,
    bytes: &[u8],
    profiles: &Profiles,
    emit: &mut dyn FnMut(Segmented) -> bool,
) -> Result<(), ExtractError> {
    passages_each_tagged(source, bytes, profiles, None, emit)
}

/// Tagging with the taxonomy's concepts as passages are segmented, and the time it took (summed
/// over the threads that tagged, in nanoseconds).
pub struct Tagging<'a> {
    pub taxonomy: &'a Taxonomy,
    pub nanos: &'a std::sync::atomic::AtomicU64,
}

impl Tagging<'_> {
    /// Set the concepts of every passage of `d` (what the index's `concepts` field holds).
    pub fn tag(&self, d: &mut Segmented) {
        let t = Instant::now();
        tag_passages(self.taxonomy, &mut d.passages);
        self.nanos.fetch_add(
            t.elapsed().as_nanos() as u64,
            std::sync::atomic::Ordering::Relaxed,
        );
    }
}

/// Set the concepts of each passage from the taxonomy (heading, text and language are all it reads).
pub fn tag_passages(taxonomy: &Taxonomy, passages: &mut [Passage]) {
    for p in passages {
        p.concepts = taxonomy
            .tag_in(&p.heading, &p.text, &p.language)
            .into_iter()
            .map(|t| t.concept)
            .collect();
    }
}

/// [`passages_each`], with each passage tagged by `tagging` (when given) as it is segmented, on
/// the same threads: a build's extraction workers tag, not the thread that feeds the index.
pub fn passages_each_tagged(
    source: &Source,
    bytes: &[u8],
    profiles: &Profiles,
    tagging: Option<&Tagging>,
    emit: &mut dyn FnMut(Segmented) -> bool,
) -> Result<(), ExtractError> {
    let run = || -> Result<(), ExtractError> {
        // Warnings of the extractors' libraries (the PDF parser's) name the source they are about.
        let _span = tracing::warn_span!("source", id = %source.id).entered();
        // An own document's title and language come from its text: read it whole first.
        if own::is_own(source) {
            let docs = extract::extract(source, bytes)?;
            let described = describe_own(source, &docs);
            let mut docs = docs.into_iter();
            for round in 1.. {
                let chunk: Vec<extract::Document> = docs.by_ref().take(SEGMENT_CHUNK).collect();
                if chunk.is_empty()
                    || !segment_chunk(&described, chunk, profiles, tagging, round, emit)
                {
                    break;
                }
            }
            return Ok(());
        }
        // Anything else streams: an archive hands its members over as they are read.
        let mut chunk: Vec<extract::Document> = Vec::with_capacity(SEGMENT_CHUNK);
        let mut round = 0;
        let mut go_on = true;
        extract::extract_each(source, bytes, &mut |d| {
            chunk.push(d);
            if chunk.len() >= SEGMENT_CHUNK {
                round += 1;
                go_on = segment_chunk(
                    source,
                    std::mem::take(&mut chunk),
                    profiles,
                    tagging,
                    round,
                    emit,
                );
            }
            go_on
        })?;
        if go_on && !chunk.is_empty() {
            segment_chunk(source, chunk, profiles, tagging, round + 1, emit);
        }
        Ok(())
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)).unwrap_or_else(|panic| {
        let msg = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        Err(ExtractError::Malformed {
            id: source.id.clone(),
            format: source.format,
            reason: format!("internal error while extracting this input (please report it): {msg}"),
        })
    })
}

/// Segment one chunk of documents in parallel and hand them to `emit` in order; `false` when
/// `emit` wants no more. The chunk's extracted text is dropped before the hand-over.
fn segment_chunk(
    source: &Source,
    chunk: Vec<extract::Document>,
    profiles: &Profiles,
    tagging: Option<&Tagging>,
    round: usize,
    emit: &mut dyn FnMut(Segmented) -> bool,
) -> bool {
    let segmented: Vec<Segmented> = chunk
        .par_iter()
        .map(|d| {
            let mut s = segment::segment(source, d, profiles);
            if let Some(t) = tagging {
                t.tag(&mut s);
            }
            s
        })
        .collect();
    drop(chunk);
    if round.is_multiple_of(8) {
        release_freed_memory();
    }
    segmented.into_iter().all(emit)
}

/// Hand the heap pages freed since the last call back to the system: the extracted text of a
/// bulk archive is freed a chunk at a time while the index writer's arenas grow, and without
/// this the process would keep both.
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free pages of the allocator's arenas to the system.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Fetch one source; from a mirror, a file over the size limit is refused from its metadata,
/// before a byte of it is read (`extract::MAX_DOCUMENT_BYTES`; bulk archives: the crawler's
/// `max_body_bytes`).
fn fetch_bounded(
    s: &Source,
    opts: &CrawlOptions,
) -> Result<crawl::Fetched, Box<dyn std::error::Error + Send + Sync>> {
    if own::is_own(s) {
        return read_own(s);
    }
    if let Some(path) = opts
        .mirror
        .as_deref()
        .and_then(|m| crawl::mirror_path(m, &s.url))
    {
        let limit = if s.format == crate::corpus::Format::TarGz {
            opts.max_body_bytes
        } else {
            extract::MAX_DOCUMENT_BYTES as u64
        };
        if let Ok(meta) = std::fs::metadata(&path) {
            if meta.is_file() && meta.len() > limit {
                return Err(format!(
                    "{}: {} is {} bytes, over the limit of {limit} bytes for one {} document: refused without reading it",
                    s.id,
                    path.display(),
                    meta.len(),
                    s.format
                )
                .into());
            }
        }
    }
    Ok(crawl::fetch(s, opts)?)
}

/// The title and language of an own document, from its first document's text.
fn describe_own(source: &Source, docs: &[extract::Document]) -> Source {
    let Some(d) = docs.first() else {
        return source.clone();
    };
    let headings: Vec<&str> = d
        .blocks
        .iter()
        .filter(|b| b.kind == extract::BlockKind::Heading)
        .map(|b| b.text.as_str())
        .take(1)
        .collect();
    let mut sample = String::new();
    for b in &d.blocks {
        if sample.len() > 20_000 {
            break;
        }
        sample.push_str(&b.text);
        sample.push('\n');
    }
    own::describe(source, d.title.as_deref(), &headings, &sample)
}

/// Read one of the user's own files (`build --dir`); its size was checked when the folder was
/// scanned, and is checked again here in case the file grew since.
fn read_own(s: &Source) -> Result<crawl::Fetched, Box<dyn std::error::Error + Send + Sync>> {
    let path = own::path_of(s).ok_or_else(|| format!("{}: not a file URL: {}", s.id, s.url))?;
    let limit = extract::MAX_DOCUMENT_BYTES as u64;
    let meta = std::fs::metadata(&path)
        .map_err(|e| format!("{}: cannot read {}: {e}", s.id, path.display()))?;
    if meta.len() > limit {
        return Err(format!(
            "{}: {} is {} bytes, over the limit of {limit} bytes for one document: refused without reading it",
            s.id,
            path.display(),
            meta.len()
        )
        .into());
    }
    let bytes = std::fs::read(&path)
        .map_err(|e| format!("{}: cannot read {}: {e}", s.id, path.display()))?;
    let sha256 = crawl::sha256_hex(&bytes);
    let provenance = Provenance {
        source_id: s.id.clone(),
        url: s.url.clone(),
        final_url: s.url.clone(),
        origin: crawl::Origin::Mirror,
        bytes: bytes.len() as u64,
        sha256,
        sha256_matches: None,
        fetched_at: crawl::now_rfc3339(),
        content_type: None,
        status: None,
        etag: None,
        last_modified: None,
        encoding: None,
    };
    Ok(crawl::Fetched { bytes, provenance })
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
    /// Wall time, memory and output of one document, and whether extraction runs in worker
    /// processes (`crate::worker`).
    pub budget: crate::worker::DocBudget,
}

/// One document that could not be built, and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Failure {
    pub source_id: String,
    /// `fetch`, `extract` or `index`.
    pub stage: std::borrow::Cow<'static, str>,
    pub reason: String,
    /// The bytes that failed after they were fetched (so an unchanged rebuild knows they are
    /// the same bytes and reports the failure again instead of rebuilding).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
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
    /// Nothing changed since the current index (same sources, bytes and code): it was kept.
    pub up_to_date: bool,
    /// Sources whose passages were reused from the previous build instead of extracted again.
    pub reused_sources: usize,
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
    /// No host of the build could be reached and nothing was cached: `reason` in one line.
    #[error("{reason}; nothing was fetched (after {seconds:.1} s)")]
    NoNetwork { reason: String, seconds: f64 },
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
    crate::logging::attach(&pb);
    pb
}

/// What a generation remembers of its build, to make the next one incremental
/// (`build-state.json` beside the index).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct BuildState {
    /// Fingerprint of the code and data that turn bytes into passages (binary, profiles,
    /// taxonomy): passages are reused only when it is unchanged.
    pub fingerprint: String,
    /// Source id → what was built from it.
    pub sources: BTreeMap<String, SourceState>,
    /// Failures of that build (so an unchanged rebuild reports them again).
    #[serde(default)]
    pub failures: Vec<Failure>,
}

/// One source of a [`BuildState`].
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SourceState {
    pub sha256: String,
    /// Per document: id, body characters and covered characters.
    pub documents: Vec<(String, usize, usize)>,
    /// Passages indexed from it (a reuse that reads back another count extracts it again).
    #[serde(default)]
    pub passages: usize,
}

const STATE_FILE: &str = "build-state.json";

/// The fingerprint of everything that turns bytes into passages: this executable (any code
/// change), the segmentation profiles, the taxonomy and the crate version.
pub fn fingerprint() -> String {
    use sha2::{Digest, Sha256};
    static FP: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    FP.get_or_init(|| {
        let mut h = Sha256::new();
        h.update(env!("CARGO_PKG_VERSION"));
        h.update(crate::segment::profile_source());
        h.update(crate::corpus::taxonomy::source());
        if let Some(bin) = std::env::current_exe()
            .ok()
            .and_then(|p| std::fs::read(p).ok())
        {
            h.update(&bin);
        }
        hex::encode(h.finalize())
    })
    .clone()
}

fn read_state(generation: &Path) -> Option<BuildState> {
    let text = std::fs::read_to_string(generation.join(STATE_FILE)).ok()?;
    serde_json::from_str(&text).ok()
}

/// Run the whole pipeline and publish a new index generation — unless nothing changed since the
/// current one (same sources, same bytes, same code): then the current index is kept as it is.
/// Unchanged sources reuse the passages of the previous build instead of being extracted again.
pub fn build(manifest: &Manifest, opts: &BuildOptions) -> Result<BuildReport, BuildError> {
    build_with(manifest, &[], opts)
}

/// [`build`], plus every document of the user's folders (`build --dir`): each file is a source
/// (see [`own`]); a file that is refused (unsupported, too large, a symbolic link out of the
/// folder, a duplicate id) is reported as a failure of the `fetch` stage and the build goes on.
pub fn build_with(
    manifest: &Manifest,
    folders: &[PathBuf],
    opts: &BuildOptions,
) -> Result<BuildReport, BuildError> {
    let threads = opts.threads.max(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| BuildError::Pool(e.to_string()))?;
    let mut sources = if manifest.sources.is_empty() {
        Vec::new()
    } else {
        manifest.select(&opts.only, opts.include_bulk)?
    };
    let mut refused = Vec::new();
    for dir in folders {
        let folder = own::scan(dir, extract::MAX_DOCUMENT_BYTES as u64)?;
        for r in folder.refused {
            refused.push(Failure {
                source_id: r.id,
                stage: "fetch".into(),
                reason: format!("{}: {}", r.path.display(), r.reason),
                sha256: None,
            });
        }
        for s in folder.sources {
            if let Some(other) = sources.iter().find(|o| o.id == s.id) {
                refused.push(Failure {
                    source_id: s.id.clone(),
                    stage: "fetch".into(),
                    reason: format!(
                        "{}: same document id as {} ({}): rename the file",
                        own::path_of(&s).unwrap_or_default().display(),
                        other.id,
                        other.url
                    ),
                    sha256: None,
                });
            } else {
                sources.push(s);
            }
        }
    }
    let profiles = Profiles::builtin();
    let started = Instant::now();
    pool.install(|| run(&sources, &profiles, opts, threads, started, refused))
}

fn run(
    sources: &[Source],
    profiles: &Profiles,
    opts: &BuildOptions,
    threads: usize,
    started: Instant,
    refused: Vec<Failure>,
) -> Result<BuildReport, BuildError> {
    let mut stages = Vec::new();
    let mut failures = refused;
    let mut timed = |stage: &'static str, t: Instant| {
        stages.push(StageTime {
            stage,
            seconds: t.elapsed().as_secs_f64(),
        })
    };

    // fetch
    let t = Instant::now();
    let pb = bar(opts.progress, sources.len(), "fetch");
    type Fetch = Result<crawl::Fetched, Box<dyn std::error::Error + Send + Sync>>;
    let fetched: Vec<(&Source, Fetch)> = if opts.crawl.mirror.is_none() && !opts.crawl.offline {
        // Over the network: per-host queues (a stalled host holds only its own sources), and
        // one verdict, quickly, when there is no network at all.
        // The user's own files (`build --dir`) are read from disk, never fetched.
        let (own_sources, net_sources): (Vec<&Source>, Vec<&Source>) =
            sources.iter().partition(|s| own::is_own(s));
        let mut fetched: Vec<(&Source, Fetch)> = own_sources
            .into_iter()
            .map(|s| {
                pb.inc(1);
                (s, fetch_bounded(s, &opts.crawl))
            })
            .collect();
        if !net_sources.is_empty() {
            let net: Vec<Source> = net_sources.iter().map(|s| (*s).clone()).collect();
            let fetcher = crawl::Fetcher::new(&opts.crawl);
            let _ = fetcher.check_network(&net);
            let results = fetcher.fetch_all(&net, |_| pb.inc(1));
            if let Some(reason) = fetcher.network_down() {
                if results.iter().all(|r| r.is_err()) && fetched.iter().all(|(_, r)| r.is_err()) {
                    pb.finish_and_clear();
                    return Err(BuildError::NoNetwork {
                        reason,
                        seconds: started.elapsed().as_secs_f64(),
                    });
                }
                tracing::warn!("{reason}: building from the cached copies");
            }
            let results = results.into_iter().map(|r| r.map_err(Into::into));
            fetched.extend(net_sources.into_iter().zip(results));
        }
        fetched
    } else {
        sources
            .par_iter()
            .progress_with(pb.clone())
            .map(|s| (s, fetch_bounded(s, &opts.crawl)))
            .collect()
    };
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
                ok.push((s, f.provenance.sha256.clone(), f.bytes));
            }
            Err(e) => {
                tracing::debug!("{e}");
                failures.push(Failure {
                    source_id: s.id.clone(),
                    stage: "fetch".into(),
                    reason: e.to_string(),
                    sha256: None,
                });
            }
        }
    }

    // What the current generation already holds.
    let fingerprint = fingerprint();
    let current = current_generation(&opts.index_dir);
    let previous = current
        .as_deref()
        .and_then(read_state)
        .filter(|st| st.fingerprint == fingerprint);
    let reusable = |id: &str, sha: &str| {
        previous
            .as_ref()
            .and_then(|st| st.sources.get(id))
            .filter(|ss| ss.sha256 == sha)
    };
    // The index checks itself: a current generation that does not validate (a file missing,
    // truncated or with a wrong checksum) is rebuilt, never called up to date.
    let current_index = match current.as_deref().map(crate::index::validate) {
        Some(Err(e)) => {
            tracing::warn!("{e}: rebuilding it");
            None
        }
        Some(Ok(index)) => Some(index),
        None => None,
    };
    let current_valid = current_index.is_some();
    if let (Some(prev), Some(cur), true) = (&previous, &current, current_valid) {
        // Bytes that failed after fetching last time, unchanged: they fail the same way again.
        let failed_same = |id: &str, sha: &str| {
            prev.failures
                .iter()
                .any(|f| f.source_id == id && f.sha256.as_deref() == Some(sha))
        };
        let reused = ok
            .iter()
            .filter(|(s, sha, _)| reusable(&s.id, sha).is_some())
            .count();
        let same_set = prev.sources.len() == reused
            && ok
                .iter()
                .all(|(s, sha, _)| reusable(&s.id, sha).is_some() || failed_same(&s.id, sha));
        let same_failures = prev
            .failures
            .iter()
            .filter(|f| f.stage == "fetch")
            .map(|f| &f.source_id)
            .eq(failures.iter().map(|f| &f.source_id));
        if same_set && same_failures {
            crate::index::clean_leftovers(&opts.index_dir);
            let documents_detail = prev
                .sources
                .values()
                .flat_map(|ss| ss.documents.iter())
                .map(|(doc_id, body, covered)| DocumentReport {
                    doc_id: doc_id.clone(),
                    passages: 0,
                    coverage: if *body == 0 {
                        1.0
                    } else {
                        *covered as f64 / *body as f64
                    },
                })
                .collect::<Vec<_>>();
            let passages = OpenIndex::open(&opts.index_dir)
                .ok()
                .map(|o| o.reader.searcher().num_docs() as usize)
                .unwrap_or(0);
            return Ok(BuildReport {
                sources: sources.len(),
                sources_built: ok.len(),
                documents: documents_detail.len(),
                passages,
                bytes,
                stages,
                seconds: started.elapsed().as_secs_f64(),
                threads,
                failures,
                documents_detail,
                provenance,
                generation: Some(cur.clone()),
                up_to_date: true,
                reused_sources: ok.len(),
            });
        }
    }

    // Unchanged sources are read back from the current generation's doc store.
    let stored = match (&previous, &current_index, &current) {
        (Some(_), Some(index), Some(cur)) => crate::index::StoredPassages::open(index, cur)
            .map_err(|e| tracing::warn!("{e}: extracting every source again"))
            .ok(),
        _ => None,
    };
    drop(current_index);
    let generation = NewGeneration::create(&opts.index_dir)?;
    let index_err = |source| IndexError::Tantivy {
        path: generation.path.clone(),
        source,
    };

    // extract + segment (or reuse the passages of an unchanged source), each document within
    // its budget, streamed into the writer: the sources are extracted on a pool of their own and
    // hand their documents over in batches, which are indexed as they come, so
    // no stage holds every passage.
    // Passages are tagged where they are segmented (in the worker processes, or on the
    // extraction's threads), not on the thread that feeds the writer.
    let extractor = crate::worker::Extractor::new(crate::worker::DocBudget {
        worker_threads: threads,
        ..opts.budget.clone()
    })
    .with_tags();
    let producers = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .thread_name(|i| format!("extract-{i}"))
        .build()
        .map_err(|e| BuildError::Pool(e.to_string()))?;
    let writer = generation.writer(threads, opts.memory_budget)?;
    let pb = bar(opts.progress, ok.len(), "build");
    let (tx, rx) = std::sync::mpsc::sync_channel::<Batch>(2 * threads);
    // Each source's bytes are let go as soon as its documents are produced (a bulk archive is
    // tens of MB): they are taken out of `ok`, which keeps its ids and hashes for the report.
    let held: Vec<std::sync::Mutex<Vec<u8>>> = ok
        .iter_mut()
        .map(|(_, _, b)| std::sync::Mutex::new(std::mem::take(b)))
        .collect();
    let streamed = std::thread::scope(|scope| {
        let ok = &ok;
        let held = &held;
        let extractor = &extractor;
        let stored = stored.as_ref();
        let reusable = &reusable;
        scope.spawn(move || {
            producers.install(|| {
                ok.par_iter()
                    .enumerate()
                    .for_each_with(tx, |tx, (src, (s, sha, _))| {
                        let b = std::mem::take(
                            &mut *held[src].lock().unwrap_or_else(|e| e.into_inner()),
                        );
                        produce(
                            src,
                            s,
                            b,
                            reusable(&s.id, sha),
                            stored,
                            extractor,
                            profiles,
                            tx,
                        )
                    })
            })
        });
        let mut sink = Sink {
            fields: &generation.fields,
            writer: &writer,
            dir: &generation.path,
            sources: ok.iter().map(|_| Streamed::default()).collect(),
            times: Times::default(),
        };
        let r = sink.consume(rx, &pb);
        (r, sink.sources, sink.times)
    });
    pb.finish_and_clear();
    let mut times = streamed.2;
    times.tag = extractor.tag_time();
    drop(extractor);
    let (result, streamed) = (streamed.0, streamed.1);
    result?;
    let mut per_source = Vec::new();
    let mut documents_detail = Vec::new();
    let mut documents = 0;
    let mut passages = 0;
    let mut reused_sources = 0;
    for ((s, sha, _), st) in ok.iter().zip(streamed) {
        match st.outcome {
            Some(Ok(())) if st.passages > 0 => {
                reused_sources += usize::from(st.reused);
                let mut st = st;
                if let Some(ss) = reusable(&s.id, sha).filter(|_| st.reused) {
                    // The stored passages hold no document without passages: the previous
                    // build's list of documents is the source's.
                    let counts: HashMap<&str, usize> = st
                        .details
                        .iter()
                        .map(|d| (d.doc_id.as_str(), d.passages))
                        .collect();
                    st.details = ss
                        .documents
                        .iter()
                        .map(|(doc_id, body, covered)| DocumentReport {
                            doc_id: doc_id.clone(),
                            passages: counts.get(doc_id.as_str()).copied().unwrap_or(0),
                            coverage: if *body == 0 {
                                1.0
                            } else {
                                *covered as f64 / *body as f64
                            },
                        })
                        .collect();
                    st.documents = ss.documents.clone();
                }
                documents += st.documents.len();
                passages += st.passages;
                documents_detail.extend(st.details);
                per_source.push((
                    s.id.clone(),
                    SourceState {
                        sha256: sha.clone(),
                        documents: st.documents,
                        passages: st.passages,
                    },
                ));
            }
            Some(Ok(())) => failures.push(Failure {
                source_id: s.id.clone(),
                stage: "extract".into(),
                reason: format!("{}: no passages found", s.id),
                sha256: Some(sha.clone()),
            }),
            Some(Err(e)) => {
                tracing::warn!("{e}");
                // An own file is named by its path: the user knows files, not source ids.
                let reason = match own::path_of(s).filter(|_| own::is_own(s)) {
                    Some(p) => format!("{}: {e}", p.display()),
                    None => e.to_string(),
                };
                failures.push(Failure {
                    source_id: s.id.clone(),
                    stage: "extract".into(),
                    reason,
                    sha256: Some(sha.clone()),
                });
            }
            None => failures.push(Failure {
                source_id: s.id.clone(),
                stage: "extract".into(),
                reason: format!("{}: its extraction ended without an answer", s.id),
                sha256: Some(sha.clone()),
            }),
        }
    }
    drop(ok);
    let sources_built = per_source.len();
    stages.extend([
        StageTime {
            stage: "extract+segment",
            seconds: times.extract.as_secs_f64(),
        },
        StageTime {
            stage: "tag",
            seconds: times.tag.as_secs_f64(),
        },
        StageTime {
            stage: "index",
            seconds: times.index.as_secs_f64(),
        },
    ]);

    let partial = BuildReport {
        sources: sources.len(),
        sources_built,
        documents,
        passages,
        bytes,
        stages: Vec::new(),
        seconds: started.elapsed().as_secs_f64(),
        threads,
        failures: failures.clone(),
        documents_detail,
        provenance,
        generation: None,
        up_to_date: false,
        reused_sources,
    };
    if passages == 0 {
        return Err(BuildError::Nothing {
            failures: failures.len(),
            report: Box::new(BuildReport { stages, ..partial }),
        });
    }

    let mut writer = writer;
    let t = Instant::now();
    writer.commit().map_err(index_err)?;
    stages.push(StageTime {
        stage: "commit",
        seconds: t.elapsed().as_secs_f64(),
    });
    let t = Instant::now();
    writer.wait_merging_threads().map_err(index_err)?;
    stages.push(StageTime {
        stage: "merge",
        seconds: t.elapsed().as_secs_f64(),
    });
    let t = Instant::now();
    generation.write_lexicon()?;
    stages.push(StageTime {
        stage: "lexicon",
        seconds: t.elapsed().as_secs_f64(),
    });

    // remember what was built, for the next build (its passages are read back from this
    // generation's doc store)
    let t = Instant::now();
    let state = BuildState {
        fingerprint,
        sources: per_source.into_iter().collect(),
        failures: failures.clone(),
    };
    generation.write_file(STATE_FILE, &serde_json::to_vec(&state).unwrap_or_default())?;
    stages.push(StageTime {
        stage: "save",
        seconds: t.elapsed().as_secs_f64(),
    });

    let report = BuildReport {
        stages,
        seconds: started.elapsed().as_secs_f64(),
        ..partial
    };
    if let Ok(json) = serde_json::to_vec_pretty(&report) {
        generation.write_file("report.json", &json)?;
    }
    let path = generation.publish()?;
    Ok(BuildReport {
        generation: Some(path),
        seconds: started.elapsed().as_secs_f64(),
        ..report
    })
}

/// Passages handed from the extraction to the writer at a time (about 2–4 MB of text).
const BATCH_PASSAGES: usize = 1024;

/// Batches between two hand-backs of freed heap pages on the writer's side.
const TRIM_EVERY_BATCHES: usize = 8;

/// What the extraction of one source sends to the writer.
enum Batch {
    /// Documents of source `src`, in order; `reused`: read from the previous generation.
    Docs {
        src: usize,
        docs: Vec<Segmented>,
        reused: bool,
    },
    /// The passages of the previous generation could not be read back after some were sent:
    /// forget what was sent, the source is extracted again.
    Reset { src: usize },
    /// Source `src` is finished.
    Done {
        src: usize,
        result: Result<(), ExtractError>,
    },
}

/// Extract one source (or read back its passages from the previous generation's doc store),
/// sending its documents in batches of about [`BATCH_PASSAGES`]; stops when the writer is gone.
#[allow(clippy::too_many_arguments)]
fn produce(
    src: usize,
    source: &Source,
    bytes: Vec<u8>,
    reusable: Option<&SourceState>,
    stored: Option<&crate::index::StoredPassages>,
    extractor: &crate::worker::Extractor,
    profiles: &Profiles,
    tx: &std::sync::mpsc::SyncSender<Batch>,
) {
    if let (Some(ss), Some(stored)) = (reusable, stored) {
        let mut sent = false;
        let read = stream_passages(stored, ss, &mut |docs| {
            sent = true;
            tx.send(Batch::Docs {
                src,
                docs,
                reused: true,
            })
            .is_ok()
        });
        if read.is_some() {
            let _ = tx.send(Batch::Done {
                src,
                result: Ok(()),
            });
            return;
        }
        if sent && tx.send(Batch::Reset { src }).is_err() {
            return;
        }
    }
    let mut batch = Vec::new();
    let mut held = 0;
    let mut open = true;
    let result = extractor.passages_each_owned(source, bytes, profiles, &mut |d| {
        held += d.passages.len();
        batch.push(d);
        if held >= BATCH_PASSAGES {
            held = 0;
            let docs = std::mem::take(&mut batch);
            open = tx
                .send(Batch::Docs {
                    src,
                    docs,
                    reused: false,
                })
                .is_ok();
        }
        open
    });
    if open && !batch.is_empty() {
        open = tx
            .send(Batch::Docs {
                src,
                docs: batch,
                reused: false,
            })
            .is_ok();
    }
    if open {
        let _ = tx.send(Batch::Done { src, result });
    }
}

/// Read back the passages of one source from the previous generation's doc store, one batch of
/// whole documents at a time, in the source's order; `None` when they cannot be read or are not
/// all there (the source is then extracted again).
fn stream_passages(
    stored: &crate::index::StoredPassages,
    state: &SourceState,
    emit: &mut dyn FnMut(Vec<Segmented>) -> bool,
) -> Option<()> {
    let mut batch: Vec<Segmented> = Vec::new();
    let mut held = 0;
    let mut read = 0;
    for (doc_id, body_chars, covered_chars) in &state.documents {
        let passages = stored
            .of_document(doc_id)
            .map_err(|e| tracing::warn!("{e}: extracting the source again"))
            .ok()?;
        if passages.is_empty() {
            // A document without passages is in the state, not in the index.
            continue;
        }
        if held >= BATCH_PASSAGES {
            held = 0;
            if !emit(std::mem::take(&mut batch)) {
                return Some(());
            }
        }
        held += passages.len();
        read += passages.len();
        batch.push(Segmented {
            doc_id: doc_id.clone(),
            passages,
            body_chars: *body_chars,
            covered_chars: *covered_chars,
        });
    }
    if read != state.passages {
        tracing::warn!(
            "{} passages read back where {} were indexed: extracting the source again",
            read,
            state.passages
        );
        return None;
    }
    if !batch.is_empty() {
        emit(batch);
    }
    Some(())
}

/// Wall time of the streamed stages, as the writer's side sees them.
#[derive(Default)]
struct Times {
    /// Waiting for the extraction's next batch.
    extract: Duration,
    /// Tagging, summed over the extraction's threads (it runs where passages are segmented).
    tag: Duration,
    /// Documents made and handed to the writer (its indexing threads run meanwhile).
    index: Duration,
}

/// What one source streamed into the writer.
#[derive(Default)]
struct Streamed {
    /// Per document: id, body characters and covered characters.
    documents: Vec<(String, usize, usize)>,
    details: Vec<DocumentReport>,
    passages: usize,
    reused: bool,
    outcome: Option<Result<(), ExtractError>>,
}

/// The writer's side of the stream.
struct Sink<'a> {
    fields: &'a crate::index::Fields,
    writer: &'a tantivy::IndexWriter<tantivy::TantivyDocument>,
    dir: &'a Path,
    sources: Vec<Streamed>,
    times: Times,
}

impl Sink<'_> {
    fn consume(
        &mut self,
        rx: std::sync::mpsc::Receiver<Batch>,
        pb: &ProgressBar,
    ) -> Result<(), IndexError> {
        let tantivy_err = |source| IndexError::Tantivy {
            path: self.dir.to_path_buf(),
            source,
        };
        let mut batches = 0usize;
        loop {
            let t = Instant::now();
            let Ok(batch) = rx.recv() else {
                return Ok(());
            };
            self.times.extract += t.elapsed();
            batches += 1;
            if batches.is_multiple_of(TRIM_EVERY_BATCHES) {
                // The batches' passages and their documents' copies are freed on many threads'
                // heaps while the writer's arenas grow: hand the free pages back.
                release_freed_memory();
            }
            match batch {
                Batch::Docs { src, docs, reused } => {
                    let t = Instant::now();
                    let (fields, writer) = (self.fields, self.writer);
                    docs.par_iter()
                        .flat_map(|d| d.passages.par_iter())
                        .try_for_each(|p| writer.add_document(fields.to_document(p)).map(|_| ()))
                        .map_err(tantivy_err)?;
                    self.times.index += t.elapsed();
                    let st = &mut self.sources[src];
                    st.reused = reused;
                    for d in docs {
                        st.passages += d.passages.len();
                        st.details.push(DocumentReport {
                            coverage: d.coverage(),
                            doc_id: d.doc_id.clone(),
                            passages: d.passages.len(),
                        });
                        st.documents.push((d.doc_id, d.body_chars, d.covered_chars));
                    }
                }
                Batch::Reset { src } => self.forget(src),
                Batch::Done { src, result } => {
                    pb.inc(1);
                    release_freed_memory();
                    let st = &mut self.sources[src];
                    let failed = result.is_err() || st.passages == 0;
                    st.outcome = Some(result);
                    if failed {
                        self.forget(src);
                    }
                }
            }
        }
    }

    /// Take back what source `src` sent: its documents leave the index (a delete of each
    /// document id, applied at the commit).
    fn forget(&mut self, src: usize) {
        let st = &mut self.sources[src];
        for (doc_id, _, _) in &st.documents {
            self.writer
                .delete_term(tantivy::Term::from_field_text(self.fields.doc_id, doc_id));
        }
        st.documents.clear();
        st.details.clear();
        st.passages = 0;
    }
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
