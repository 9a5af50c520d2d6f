//! `index`: schema, analyzers, the parallel writer and the atomic swap.
//!
//! An index directory holds generations: `gen-<time>-<pid>/` directories, each a complete tantivy
//! index with its build report, and a `CURRENT` file naming the one readers open. A build writes a
//! new generation beside the current one and, only once it is committed, replaces `CURRENT`
//! atomically (write a temporary file, fsync, rename). A failed or killed build leaves the previous
//! generation searchable; the next build removes the leftovers. A lock file keeps two builds apart.
//!
//! Readers never see a half-built index: `CURRENT` only ever names a committed generation. The
//! generation it named before a swap is kept until the next build starts, so a reader that read
//! `CURRENT` just before the swap can still open what it read; [`OpenIndex::open`] also retries
//! when the generation it tried to open is no longer the current one.
//!
//! The index checks itself. [`validate`] opens a generation and verifies it: every file of every
//! segment present, every checksum right (tantivy's `validate_checksum`), a searcher that opens.
//! Readers validate what they open and report a broken index as [`IndexError::Corrupt`] ("`cyberlex
//! build` repairs it"), and `build` validates the current generation before it calls it up to
//! date, rebuilding it when broken. Readers take no lock: a published generation is never written
//! again, so a read-only index directory is searchable (tantivy's reader lock is answered by the
//! [`ReadOnly`] directory).
//!
//! A build only ever removes what it wrote: the index directory carries a marker file
//! ([`MARKER`]) and every generation one of its own ([`GEN_MARKER`]); `build --index DIR` refuses
//! an existing non-empty directory that is neither marked nor an index of an earlier version
//! (`CURRENT` naming a generation), and only generations with their marker are ever removed. A
//! generation whose build fails is removed at once, when its [`NewGeneration`] is dropped (a full
//! disk leaves no partial generation behind), and a build that finds the index up to date still
//! clears what a killed build left.

pub mod analyzers;
pub mod lexicon;
pub mod schema;

pub use schema::{citation_key, citation_subsection, Fields};

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use tantivy::{Index, IndexReader, IndexWriter, TantivyDocument};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no index at {path}; build one with `cyberlex build --mirror ../shared/corpus/mirror --index {path}`")]
    Missing { path: PathBuf },
    #[error("index at {path} is corrupted ({message}); `cyberlex build` repairs it (it rebuilds a broken index)")]
    Corrupt { path: PathBuf, message: String },
    #[error("index at {path} was written by an earlier cyberlex (not {INDEX_FORMAT}); `cyberlex build` rebuilds it")]
    Outdated { path: PathBuf },
    #[error("{path} is not empty and is not a cyberlex index: refused (build into an empty or new directory)")]
    NotAnIndex { path: PathBuf },
    #[error("another build holds the lock {path}; wait for it to finish")]
    Locked { path: PathBuf },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("index {path}: {source}")]
    Tantivy {
        path: PathBuf,
        source: tantivy::TantivyError,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IndexError + '_ {
    move |source| IndexError::Io {
        path: path.to_path_buf(),
        source,
    }
}

const CURRENT: &str = "CURRENT";
const LOCK: &str = "build.lock";
/// The file that marks a directory as a cyberlex index (written by the first build into it).
pub const MARKER: &str = ".cyberlex-index";
/// The file that marks a generation as written by a cyberlex build; it names the
/// [`INDEX_FORMAT`].
pub const GEN_MARKER: &str = ".cyberlex-generation";
/// The format of the generations this program writes and reads, as their [`GEN_MARKER`] names it.
/// 2: the fast columns' string dictionaries are uncompressed (tantivy without zstd). 3: no stemmed
/// copy of the text (`text_<lang>` fields); stems are looked up in the generation's stem lexicon
/// ([`lexicon::LEXICON_FILE`]). 4: the `breaks` field is a list of positions read by its own
/// analyzer (`analyzers::BREAKS`), not a pre-tokenized value. A generation of an earlier format
/// cannot be read and is rebuilt by the next `cyberlex build`.
pub const INDEX_FORMAT: &str = "index format 4";

/// A tantivy directory for readers: the lock tantivy takes to read `meta.json` is granted without
/// a lock file, since a published generation is never written again. A read-only index directory
/// is searchable through it.
#[derive(Clone, Debug)]
pub struct ReadOnly(tantivy::directory::MmapDirectory);

impl tantivy::Directory for ReadOnly {
    fn get_file_handle(
        &self,
        path: &Path,
    ) -> Result<
        std::sync::Arc<dyn tantivy::directory::FileHandle>,
        tantivy::directory::error::OpenReadError,
    > {
        self.0.get_file_handle(path)
    }
    fn delete(&self, path: &Path) -> Result<(), tantivy::directory::error::DeleteError> {
        self.0.delete(path)
    }
    fn exists(&self, path: &Path) -> Result<bool, tantivy::directory::error::OpenReadError> {
        self.0.exists(path)
    }
    fn open_write(
        &self,
        path: &Path,
    ) -> Result<tantivy::directory::WritePtr, tantivy::directory::error::OpenWriteError> {
        self.0.open_write(path)
    }
    fn atomic_read(
        &self,
        path: &Path,
    ) -> Result<Vec<u8>, tantivy::directory::error::OpenReadError> {
        self.0.atomic_read(path)
    }
    fn atomic_write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        self.0.atomic_write(path, data)
    }
    fn sync_directory(&self) -> std::io::Result<()> {
        self.0.sync_directory()
    }
    fn acquire_lock(
        &self,
        _lock: &tantivy::directory::Lock,
    ) -> Result<tantivy::directory::DirectoryLock, tantivy::directory::error::LockError> {
        Ok(tantivy::directory::DirectoryLock::from(Box::new(())))
    }
    fn watch(
        &self,
        cb: tantivy::directory::WatchCallback,
    ) -> tantivy::Result<tantivy::directory::WatchHandle> {
        self.0.watch(cb)
    }
}

fn corrupt(path: &Path, message: impl std::fmt::Display) -> IndexError {
    IndexError::Corrupt {
        path: path.to_path_buf(),
        message: message.to_string(),
    }
}

/// The record of a verified generation: every file's name, length and modification time, as
/// they were when its checksums last held (written by the build that made it, or by the first
/// full validation). A reader whose files still match it skips re-reading every byte for the
/// checksums; any change to a file (a truncation, a rewrite, a flipped bit written by a tool)
/// changes its length or time, and the next open verifies everything again.
const STAMP: &str = ".cyberlex-verified";

fn stamp_of(generation: &Path) -> Option<String> {
    let mut lines = Vec::new();
    for e in fs::read_dir(generation).ok()? {
        let e = e.ok()?;
        let name = e.file_name().into_string().ok()?;
        if name.starts_with(STAMP) || name.starts_with(".tantivy-") {
            continue;
        }
        let m = e.metadata().ok()?;
        if !m.is_file() {
            continue;
        }
        let mtime = m
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?
            .as_nanos();
        lines.push(format!("{name}\t{}\t{mtime}", m.len()));
    }
    lines.sort();
    Some(lines.join("\n"))
}

/// Record `generation` as verified (best effort: a read-only index simply stays unrecorded and is
/// verified in full on every open).
fn write_stamp(generation: &Path) {
    let Some(stamp) = stamp_of(generation) else {
        return;
    };
    let tmp = generation.join(format!("{STAMP}.tmp-{}", std::process::id()));
    if fs::write(&tmp, stamp).is_ok() && fs::rename(&tmp, generation.join(STAMP)).is_err() {
        let _ = fs::remove_file(&tmp);
    }
}

fn stamp_holds(generation: &Path) -> bool {
    match (
        fs::read_to_string(generation.join(STAMP)),
        stamp_of(generation),
    ) {
        (Ok(recorded), Some(now)) => recorded == now,
        _ => false,
    }
}

/// Open a generation for reading and verify it: meta.json, every file of every segment, their
/// checksums, a searcher.
pub fn validate(generation: &Path) -> Result<Index, IndexError> {
    Ok(check_and_stamp(generation)?.0)
}

/// [`check`] with checksums, then the stamp that lets later readers skip them.
fn check_and_stamp(generation: &Path) -> Result<(Index, IndexReader), IndexError> {
    let checked = check(generation, true)?;
    write_stamp(generation);
    Ok(checked)
}

/// [`validate`] for a reader: the checksums are skipped when the generation's files are exactly
/// as they were when last verified (see [`STAMP`]); everything else is checked on every open.
///
/// Gives the index and the reader whose searcher opened every segment: a search uses that one
/// (a second reader would open every segment again and read `meta.json` once more).
pub fn validate_for_reading(generation: &Path) -> Result<(Index, IndexReader), IndexError> {
    if stamp_holds(generation) {
        check(generation, false)
    } else {
        check_and_stamp(generation)
    }
}

fn check(generation: &Path, checksums: bool) -> Result<(Index, IndexReader), IndexError> {
    let marker = match fs::read_to_string(generation.join(GEN_MARKER)) {
        Ok(m) => m,
        // An earlier version's generation may have no marker at all.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(corrupt(generation, format!("{GEN_MARKER}: {e}"))),
    };
    if !marker.lines().any(|l| l == INDEX_FORMAT) {
        return Err(IndexError::Outdated {
            path: generation.to_path_buf(),
        });
    }
    let dir =
        tantivy::directory::MmapDirectory::open(generation).map_err(|e| corrupt(generation, e))?;
    let index = Index::open(ReadOnly(dir)).map_err(|e| corrupt(generation, e))?;
    let metas = index
        .searchable_segment_metas()
        .map_err(|e| corrupt(generation, e))?;
    for m in &metas {
        use tantivy::index::SegmentComponent as C;
        let mut needed = vec![
            C::Postings,
            C::Positions,
            C::Terms,
            C::Store,
            C::FastFields,
            C::FieldNorms,
        ];
        if m.has_deletes() {
            needed.push(C::Delete);
        }
        for f in needed.into_iter().map(|c| m.relative_path(c)) {
            if !generation.join(&f).is_file() {
                return Err(corrupt(
                    generation,
                    format!("segment file {} is missing", f.display()),
                ));
            }
        }
    }
    let damaged = if checksums {
        index
            .validate_checksum()
            .map_err(|e| corrupt(generation, e))?
    } else {
        Default::default()
    };
    if let Some(f) = damaged.iter().next() {
        return Err(corrupt(
            generation,
            format!(
                "checksum mismatch in {} (and {} more files)",
                f.display(),
                damaged.len() - 1
            ),
        ));
    }
    // The stem lexicon: its checksum with the segments'; where those are skipped (the stamp
    // holds), only that it is there (the engine maps it and reads its footer).
    if checksums {
        lexicon::Lexicon::verify(generation)?;
    } else if !generation.join(lexicon::LEXICON_FILE).is_file() {
        return Err(corrupt(
            generation,
            format!("{} is missing", lexicon::LEXICON_FILE),
        ));
    }
    analyzers::register(&index);
    // One searcher for the reader's life (a new generation is a new directory, opened anew): no
    // reload policy, so no file-watcher thread is started.
    let reader: IndexReader = index
        .reader_builder()
        .reload_policy(tantivy::ReloadPolicy::Manual)
        .try_into()
        .map_err(|e| corrupt(generation, e))?;
    for seg in reader.searcher().segment_readers() {
        let _ = seg.num_docs();
    }
    Ok((index, reader))
}

/// Is `dir` an index directory this program may write into: missing, empty, marked, or an index
/// of an earlier version (a `CURRENT` naming a generation)?
fn check_ours(dir: &Path) -> Result<(), IndexError> {
    let Ok(mut entries) = fs::read_dir(dir) else {
        return Ok(()); // missing: created
    };
    if entries.next().is_none() || dir.join(MARKER).is_file() || current_generation(dir).is_some() {
        return Ok(());
    }
    Err(IndexError::NotAnIndex {
        path: dir.to_path_buf(),
    })
}

/// A generation this program wrote: its marker, or (an earlier version's) both a tantivy
/// `meta.json` and a `build-state.json`.
/// A generation being made: a directory of this name holds nothing but its [`GEN_MARKER`] and
/// lives for two system calls (see [`NewGeneration`]'s creation).
const NEW_GEN_PREFIX: &str = ".gen-new-";

/// A directory that is empty or holds only a generation marker: what a build killed while
/// making a generation leaves.
fn holds_only_our_marker(p: &Path) -> bool {
    let Ok(entries) = fs::read_dir(p) else {
        return false;
    };
    entries
        .flatten()
        .all(|e| e.file_name() == GEN_MARKER && e.path().is_file())
}

fn is_our_generation(p: &Path) -> bool {
    p.join(GEN_MARKER).is_file()
        || (p.join("meta.json").is_file() && p.join("build-state.json").is_file())
}

/// Remove what killed or failed builds left, when no build holds the lock (a build that finds the
/// index up to date calls it). Returns quietly when another build runs.
pub fn clean_leftovers(dir: &Path) {
    if check_ours(dir).is_err() {
        return;
    }
    let Ok(lock) = File::options().write(true).open(dir.join(LOCK)) else {
        return;
    };
    if lock.try_lock().is_ok() {
        remove_stale(dir, None);
    }
}

/// The generation `CURRENT` names, if any.
pub fn current_generation(dir: &Path) -> Option<PathBuf> {
    let name = fs::read_to_string(dir.join(CURRENT)).ok()?;
    let name = name.trim();
    if name.is_empty() || name.contains('/') || name.contains("..") {
        return None;
    }
    let p = dir.join(name);
    p.is_dir().then_some(p)
}

/// An opened, searchable index.
pub struct OpenIndex {
    pub index: Index,
    /// The reader that validated the generation (manual reload: the generation never changes).
    pub reader: IndexReader,
    pub fields: Fields,
    pub generation: PathBuf,
}

impl OpenIndex {
    /// Open the current generation. Should `CURRENT` move while this runs (a build swapped in a
    /// new generation and removed the one just read), open the new current one instead.
    pub fn open(dir: &Path) -> Result<OpenIndex, IndexError> {
        let mut attempts = 0;
        loop {
            let tried = current_generation(dir);
            match Self::open_current(dir) {
                Ok(open) => return Ok(open),
                Err(e) => {
                    attempts += 1;
                    let moved =
                        current_generation(dir).is_some_and(|now| Some(&now) != tried.as_ref());
                    if attempts >= 3 || !moved {
                        return Err(e);
                    }
                }
            }
        }
    }

    fn open_current(dir: &Path) -> Result<OpenIndex, IndexError> {
        let generation = current_generation(dir).ok_or_else(|| {
            if dir.join(CURRENT).is_file() {
                corrupt(dir, "`CURRENT` names no generation")
            } else {
                IndexError::Missing {
                    path: dir.to_path_buf(),
                }
            }
        })?;
        let (index, reader) = validate_for_reading(&generation)?;
        let fields = Fields::from_schema(&index.schema()).map_err(|e| IndexError::Corrupt {
            path: generation.clone(),
            message: e.to_string(),
        })?;
        Ok(OpenIndex {
            index,
            reader,
            fields,
            generation,
        })
    }
}

/// A generation being written. Dropping it without [`NewGeneration::publish`] leaves the current
/// index untouched (the directory is removed by the next build).
pub struct NewGeneration {
    dir: PathBuf,
    pub path: PathBuf,
    pub index: Index,
    pub fields: Fields,
    published: bool,
    _lock: File,
}

impl Drop for NewGeneration {
    /// A generation never published is removed at once (a failed build, a full disk).
    fn drop(&mut self) {
        if !self.published {
            let _ = fs::remove_dir_all(&self.path);
        }
    }
}

impl NewGeneration {
    /// Take the build lock, clear leftovers of killed builds, create an empty generation.
    pub fn create(dir: &Path) -> Result<NewGeneration, IndexError> {
        check_ours(dir)?;
        fs::create_dir_all(dir).map_err(io(dir))?;
        let marker = dir.join(MARKER);
        if !marker.is_file() {
            fs::write(
                &marker,
                b"cyberlex index directory: builds write generations here\n",
            )
            .map_err(io(&marker))?;
        }
        let lock_path = dir.join(LOCK);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io(&lock_path))?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(IndexError::Locked { path: lock_path })
            }
            Err(fs::TryLockError::Error(e)) => return Err(io(&lock_path)(e)),
        }
        remove_stale(dir, None);
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis())
            .unwrap_or(0);
        let path = dir.join(format!("gen-{secs}-{}", std::process::id()));
        // The generation appears under its name with its marker already inside (made as
        // `.gen-new-<pid>`, marked, then renamed): a build killed between the two steps leaves
        // no unmarked `gen-*` that a later build would not dare remove.
        // (`remove_stale` above already removed a marker-only one a killed build left.)
        let fresh = dir.join(format!("{NEW_GEN_PREFIX}{}", std::process::id()));
        fs::create_dir(&fresh).map_err(io(&fresh))?;
        let gen_marker = fresh.join(GEN_MARKER);
        if let Err(e) = fs::write(
            &gen_marker,
            format!("written by a cyberlex build\n{INDEX_FORMAT}\n"),
        ) {
            let _ = fs::remove_dir_all(&fresh);
            return Err(io(&gen_marker)(e));
        }
        if let Err(e) = fs::rename(&fresh, &path) {
            let _ = fs::remove_dir_all(&fresh);
            return Err(io(&path)(e));
        }
        let (schema, fields) = Fields::schema();
        let index = match Index::create_in_dir(&path, schema) {
            Ok(i) => i,
            Err(source) => {
                let _ = fs::remove_dir_all(&path);
                return Err(IndexError::Tantivy { path, source });
            }
        };
        analyzers::register(&index);
        Ok(NewGeneration {
            dir: dir.to_path_buf(),
            path,
            index,
            fields,
            published: false,
            _lock: lock,
        })
    }

    /// A writer with `threads` indexing threads sharing `memory_budget` bytes (at least 15 MB each).
    pub fn writer(
        &self,
        threads: usize,
        memory_budget: usize,
    ) -> Result<IndexWriter<TantivyDocument>, IndexError> {
        let threads = threads.clamp(1, 8);
        let per_thread_min = 15_000_000;
        let threads = threads.min((memory_budget / per_thread_min).max(1));
        let budget = memory_budget.max(threads * per_thread_min);
        self.index
            .writer_with_num_threads(threads, budget)
            .map_err(|source| IndexError::Tantivy {
                path: self.path.clone(),
                source,
            })
    }

    /// Write a file beside the index of this generation (build report, provenance).
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> Result<(), IndexError> {
        let p = self.path.join(name);
        fs::write(&p, bytes).map_err(io(&p))
    }

    /// Write the stem lexicon of what was committed ([`lexicon::build`]); call once the writer's
    /// merges are done, before [`NewGeneration::publish`].
    pub fn write_lexicon(&self) -> Result<(), IndexError> {
        let bytes = lexicon::build(&self.index).map_err(|source| IndexError::Tantivy {
            path: self.path.clone(),
            source,
        })?;
        // Durable before the generation is published: it cannot be opened without it.
        let p = self.path.join(lexicon::LEXICON_FILE);
        let mut f = File::create(&p).map_err(io(&p))?;
        f.write_all(&bytes).map_err(io(&p))?;
        f.sync_all().map_err(io(&p))
    }

    /// Make this generation the current one, atomically; remove the previous ones. The stem
    /// lexicon is written first if the caller has not (a generation without one is unreadable).
    pub fn publish(mut self) -> Result<PathBuf, IndexError> {
        if !self.path.join(lexicon::LEXICON_FILE).is_file() {
            self.write_lexicon()?;
        }
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("generation names are UTF-8")
            .to_string();
        // Just written through tantivy's checksummed files: recorded as verified.
        write_stamp(&self.path);
        sync_dir(&self.path);
        let tmp = self
            .dir
            .join(format!("{CURRENT}.tmp-{}", std::process::id()));
        {
            let mut f = File::create(&tmp).map_err(io(&tmp))?;
            f.write_all(name.as_bytes()).map_err(io(&tmp))?;
            f.sync_all().map_err(io(&tmp))?;
        }
        let cur = self.dir.join(CURRENT);
        let previous = current_generation(&self.dir);
        if let Err(e) = fs::rename(&tmp, &cur) {
            let _ = fs::remove_file(&tmp);
            return Err(io(&cur)(e));
        }
        self.published = true;
        sync_dir(&self.dir);
        // Keep the previous generation until the next build: a reader may have just read its name.
        remove_stale(&self.dir, previous.as_deref());
        Ok(self.path.clone())
    }
}

fn sync_dir(dir: &Path) {
    if let Ok(f) = File::open(dir) {
        let _ = f.sync_all();
    }
}

/// Remove generations other than the current one (and `keep`) and temporary pointer files.
/// Called with the build lock held, so nothing removed is being written.
fn remove_stale(dir: &Path, keep: Option<&Path>) {
    let current = current_generation(dir);
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = e.file_name().to_string_lossy().to_string();
        if name.starts_with("gen-")
            && Some(&p) != current.as_ref()
            && Some(p.as_path()) != keep
            && is_our_generation(&p)
        {
            let _ = fs::remove_dir_all(&p);
        } else if name.starts_with("CURRENT.tmp-") {
            let _ = fs::remove_file(&p);
        } else if name.starts_with(NEW_GEN_PREFIX) && holds_only_our_marker(&p) {
            let _ = fs::remove_dir_all(&p);
        }
    }
}

/// The passages a generation holds, read back from its doc store (which keeps every field of a
/// passage): an incremental build reuses an unchanged source's passages from the previous
/// generation instead of extracting it again, with nothing saved beside the index.
pub struct StoredPassages {
    searcher: tantivy::Searcher,
    fields: Fields,
    path: PathBuf,
}

impl StoredPassages {
    /// Open the passages of a generation (already validated by the caller: [`validate`]).
    pub fn open(index: &Index, generation: &Path) -> Result<StoredPassages, IndexError> {
        let err = |e: tantivy::TantivyError| corrupt(generation, e);
        let fields = Fields::from_schema(&index.schema()).map_err(err)?;
        let searcher = index
            .reader_builder()
            .reload_policy(tantivy::ReloadPolicy::Manual)
            .try_into()
            .map_err(err)?
            .searcher();
        Ok(StoredPassages {
            searcher,
            fields,
            path: generation.to_path_buf(),
        })
    }

    /// The passages of one document, in its order (by ordinal); none for an unknown document.
    pub fn of_document(&self, doc_id: &str) -> Result<Vec<crate::segment::Passage>, IndexError> {
        use tantivy::{DocSet, TERMINATED};
        let err = |e: tantivy::TantivyError| IndexError::Tantivy {
            path: self.path.clone(),
            source: e,
        };
        let term = tantivy::Term::from_field_text(self.fields.doc_id, doc_id);
        let mut out = Vec::new();
        for (ord, segment) in self.searcher.segment_readers().iter().enumerate() {
            let inverted = segment.inverted_index(self.fields.doc_id).map_err(err)?;
            let Some(mut postings) = inverted
                .read_postings(&term, tantivy::schema::IndexRecordOption::Basic)
                .map_err(|e| err(e.into()))?
            else {
                continue;
            };
            let mut doc = postings.doc();
            while doc != TERMINATED {
                if !segment.is_deleted(doc) {
                    let d: TantivyDocument = self
                        .searcher
                        .doc(tantivy::DocAddress::new(ord as u32, doc))
                        .map_err(err)?;
                    out.push(self.fields.from_document(&d));
                }
                doc = postings.advance();
            }
        }
        out.sort_by_key(|p| p.ordinal);
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::Passage;

    fn passage(doc: &str, ordinal: u32, text: &str) -> Passage {
        Passage {
            passage_id: format!("{doc}/{ordinal}"),
            doc_id: doc.into(),
            title: "Invented Test Act".into(),
            jurisdiction: "XX".into(),
            kind: "national-law".into(),
            language: "en".into(),
            citation: format!("Art. {ordinal}"),
            heading: format!("Heading {ordinal}"),
            path: vec!["Part I".into(), "Chapter 2".into()],
            text: text.into(),
            ordinal,
            url: format!("https://example.org/{doc}#{ordinal}"),
            label: format!("Article {ordinal}"),
            year: Some(2020),
            concepts: vec!["illegal-access".into(), "data-interference".into()],
            version_date: Some("2020-01-02".into()),
            completeness: "yes".into(),
        }
    }

    #[test]
    fn stored_passages_read_back_what_was_indexed_in_document_order() {
        let dir = tempfile::tempdir().unwrap();
        let g = NewGeneration::create(dir.path()).unwrap();
        let mut w = g.writer(1, 20_000_000).unwrap();
        let a = [
            passage("xx/a", 2, "The second rule of the invented act."),
            passage("xx/a", 1, "The first rule of the invented act."),
            passage("xx/a", 3, "The third rule of the invented act."),
        ];
        let b = passage("xx/b", 1, "A rule of another invented act.");
        let gone = passage("xx/c", 1, "A rule that is taken back before the commit.");
        for p in a.iter().chain([&b, &gone]) {
            w.add_document(g.fields.to_document(p)).unwrap();
        }
        w.delete_term(tantivy::Term::from_field_text(g.fields.doc_id, "xx/c"));
        w.commit().unwrap();
        drop(w);
        let path = g.publish().unwrap();
        let index = validate(&path).unwrap();
        let stored = StoredPassages::open(&index, &path).unwrap();
        let mut want = a.to_vec();
        want.sort_by_key(|p| p.ordinal);
        assert_eq!(stored.of_document("xx/a").unwrap(), want);
        assert_eq!(stored.of_document("xx/b").unwrap(), vec![b]);
        assert!(stored.of_document("xx/c").unwrap().is_empty(), "deleted");
        assert!(stored.of_document("xx/none").unwrap().is_empty());
    }
}
