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

pub mod analyzers;
pub mod schema;

pub use schema::{citation_key, citation_subsection, Fields};

use std::fs::{self, File};
use std::io::Write;
use std::path::{Path, PathBuf};

use tantivy::{Index, IndexWriter, TantivyDocument};

#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    #[error("no index at {path}; build one with `cyberlex build --mirror ../shared/corpus/mirror --index {path}`")]
    Missing { path: PathBuf },
    #[error("index at {path} cannot be opened: {message}; rebuild it with `cyberlex build`")]
    Corrupt { path: PathBuf, message: String },
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
        let generation = current_generation(dir).ok_or_else(|| IndexError::Missing {
            path: dir.to_path_buf(),
        })?;
        let index = Index::open_in_dir(&generation).map_err(|e| IndexError::Corrupt {
            path: generation.clone(),
            message: e.to_string(),
        })?;
        analyzers::register(&index);
        let fields = Fields::from_schema(&index.schema()).map_err(|e| IndexError::Corrupt {
            path: generation.clone(),
            message: e.to_string(),
        })?;
        Ok(OpenIndex {
            index,
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
    _lock: File,
}

impl NewGeneration {
    /// Take the build lock, clear leftovers of killed builds, create an empty generation.
    pub fn create(dir: &Path) -> Result<NewGeneration, IndexError> {
        fs::create_dir_all(dir).map_err(io(dir))?;
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
        fs::create_dir_all(&path).map_err(io(&path))?;
        let (schema, fields) = Fields::schema();
        let index = Index::create_in_dir(&path, schema).map_err(|source| IndexError::Tantivy {
            path: path.clone(),
            source,
        })?;
        analyzers::register(&index);
        Ok(NewGeneration {
            dir: dir.to_path_buf(),
            path,
            index,
            fields,
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

    /// Make this generation the current one, atomically; remove the previous ones.
    pub fn publish(self) -> Result<PathBuf, IndexError> {
        let name = self
            .path
            .file_name()
            .and_then(|n| n.to_str())
            .expect("generation names are UTF-8")
            .to_string();
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
        fs::rename(&tmp, &cur).map_err(io(&cur))?;
        sync_dir(&self.dir);
        // Keep the previous generation until the next build: a reader may have just read its name.
        remove_stale(&self.dir, previous.as_deref());
        Ok(self.path)
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
        if name.starts_with("gen-") && Some(&p) != current.as_ref() && Some(p.as_path()) != keep {
            let _ = fs::remove_dir_all(&p);
        } else if name.starts_with("CURRENT.tmp-") {
            let _ = fs::remove_file(&p);
        }
    }
}
