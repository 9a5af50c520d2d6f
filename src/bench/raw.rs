//! A minimal raw-tantivy indexer to compare cyberlex builds with.
//!
//! tantivy-cli no longer compiles against current crates, so this stands in for `tantivy index`:
//! the passages `cyberlex export` wrote (JSONL), a schema like tantivy-cli's default (every text
//! field `TEXT | STORED` with the `default` tokenizer, ids as `STRING | STORED`), the same writer
//! threads and memory budget as a cyberlex build, lines parsed in parallel, then each parsed
//! line made into its document and added (the indexing stage: made and added, as tantivy-cli's
//! `index` does it and as a cyberlex build does it with each passage).
//!
//! [`build_with`] with [`RawSchema::Cyberlex`] indexes the same passages with cyberlex's own schema
//! and analyzers (`index::Fields::to_document`) in the same harness: the indexing stage of a
//! cyberlex build alone, without extraction, tagging or saving, so the two schemas' costs compare
//! directly.

use std::path::Path;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use tantivy::schema::{Schema, STORED, STRING, TEXT};
use tantivy::{Index, TantivyDocument};

/// Figures of one raw build.
#[derive(Debug, Clone, Serialize)]
pub struct RawReport {
    pub documents: usize,
    pub input_bytes: u64,
    pub threads: usize,
    /// Read and parse the JSONL.
    pub parse_seconds: f64,
    pub index_seconds: f64,
    pub commit_seconds: f64,
    pub merge_seconds: f64,
    /// The stem lexicon built from the committed index (cyberlex's schema only; 0 otherwise).
    pub lexicon_seconds: f64,
    pub seconds: f64,
    pub segments: usize,
}

const TEXT_FIELDS: [&str; 4] = ["title", "citation", "heading", "text"];
const ID_FIELDS: [&str; 4] = ["passage_id", "doc_id", "jurisdiction", "language"];

/// Which schema [`build_with`] indexes the passages with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum RawSchema {
    /// tantivy-cli's default: four `TEXT | STORED` fields, four `STRING | STORED` ids.
    #[default]
    TantivyCli,
    /// cyberlex's own schema and analyzers, as a build indexes a passage.
    Cyberlex,
}

/// Index the passages of `jsonl` into a new index in `dir` (which must be empty or absent).
pub fn build(
    jsonl: &Path,
    dir: &Path,
    threads: usize,
    memory_budget: usize,
) -> anyhow::Result<RawReport> {
    build_with(jsonl, dir, threads, memory_budget, RawSchema::TantivyCli)
}

/// [`build`] with either schema.
pub fn build_with(
    jsonl: &Path,
    dir: &Path,
    threads: usize,
    memory_budget: usize,
    schema: RawSchema,
) -> anyhow::Result<RawReport> {
    match schema {
        RawSchema::TantivyCli => {
            let mut sb = Schema::builder();
            let ids: Vec<_> = ID_FIELDS
                .iter()
                .map(|n| sb.add_text_field(n, STRING | STORED))
                .collect();
            let texts: Vec<_> = TEXT_FIELDS
                .iter()
                .map(|n| sb.add_text_field(n, TEXT | STORED))
                .collect();
            let parse =
                |l: &[u8]| -> anyhow::Result<serde_json::Value> { Ok(serde_json::from_slice(l)?) };
            // The document is made in the indexing stage, as cyberlex's is (from its parsed
            // passage): both stages then hold the same work, parsed fields to indexed document.
            let to_doc = |v: serde_json::Value| {
                let mut d = TantivyDocument::default();
                for (f, n) in ids
                    .iter()
                    .chain(&texts)
                    .zip(ID_FIELDS.iter().chain(&TEXT_FIELDS))
                {
                    if let Some(s) = v[n].as_str() {
                        d.add_text(*f, s);
                    }
                }
                d
            };
            run(
                jsonl,
                dir,
                threads,
                memory_budget,
                sb.build(),
                None,
                parse,
                to_doc,
            )
        }
        // The indexing stage of a cyberlex build over exported passages: cyberlex's schema and
        // analyzers, a passage turned into its document as the build does it (timed as indexing).
        RawSchema::Cyberlex => {
            let (schema, fields) = crate::index::Fields::schema();
            let parse = |l: &[u8]| -> anyhow::Result<crate::segment::Passage> {
                Ok(serde_json::from_slice(l)?)
            };
            run(
                jsonl,
                dir,
                threads,
                memory_budget,
                schema,
                Some(crate::index::analyzers::register),
                parse,
                |p| fields.to_document(&p),
            )
        }
    }
}

/// The harness both schemas share: read the JSONL, parse its lines in parallel into `T`, add
/// each as `to_doc(T)` with the writer's threads, commit, wait for merges; each stage timed.
#[allow(clippy::too_many_arguments)]
fn run<T: Send>(
    jsonl: &Path,
    dir: &Path,
    threads: usize,
    memory_budget: usize,
    schema: Schema,
    register: Option<fn(&Index)>,
    parse: impl Fn(&[u8]) -> anyhow::Result<T> + Sync,
    to_doc: impl Fn(T) -> TantivyDocument + Sync + Send,
) -> anyhow::Result<RawReport> {
    let started = Instant::now();
    let bytes = std::fs::read(jsonl)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", jsonl.display()))?;
    std::fs::create_dir_all(dir)?;
    let index = Index::create_in_dir(dir, schema)?;
    if let Some(register) = register {
        register(&index);
    }
    // The same clamp as cyberlex's writer: 1-8 threads, at least 15 MB each.
    let threads = threads.clamp(1, 8);
    let threads = threads.min((memory_budget / 15_000_000).max(1));
    let budget = memory_budget.max(threads * 15_000_000);

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;
    pool.install(|| {
        let t = Instant::now();
        let lines: Vec<&[u8]> = bytes
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        let items: Vec<T> = lines
            .par_iter()
            .map(|l| parse(l))
            .collect::<anyhow::Result<_>>()?;
        let parse_seconds = t.elapsed().as_secs_f64();
        let documents = items.len();

        let t = Instant::now();
        let mut writer = index.writer_with_num_threads::<TantivyDocument>(threads, budget)?;
        items
            .into_par_iter()
            .try_for_each(|x| writer.add_document(to_doc(x)).map(|_| ()))?;
        let index_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        writer.commit()?;
        let commit_seconds = t.elapsed().as_secs_f64();
        let t = Instant::now();
        writer.wait_merging_threads()?;
        let merge_seconds = t.elapsed().as_secs_f64();
        // cyberlex's indexing stage ends with the stem lexicon (`index::lexicon`).
        let t = Instant::now();
        if register.is_some() {
            let bytes = crate::index::lexicon::build(&index)?;
            std::fs::write(dir.join(crate::index::lexicon::LEXICON_FILE), bytes)?;
        }
        let lexicon_seconds = t.elapsed().as_secs_f64();
        Ok(RawReport {
            documents,
            input_bytes: bytes.len() as u64,
            threads,
            parse_seconds,
            index_seconds,
            commit_seconds,
            merge_seconds,
            lexicon_seconds,
            seconds: started.elapsed().as_secs_f64(),
            segments: index.searchable_segment_ids()?.len(),
        })
    })
}
