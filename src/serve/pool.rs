//! Engines over the current generation of an index, one per concurrent request, and the swap to
//! a new generation once `build` publishes one.
//!
//! Every checkout reads the index's `CURRENT` pointer (one small file). When it names another
//! generation than the pool's, one caller opens an [`Engine`] on it and installs it; requests
//! already running keep the engine of the generation they started on (its files stay readable:
//! a build removes the previous generation only when the next build starts, and open files
//! outlive their directory entry). Should the new generation fail to open, the pool keeps
//! serving the old one and tries again on a later request. No request fails during a swap.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};

use crate::index::current_generation;
use crate::search::{Engine, SearchError};

/// Engines of one generation, idle ones kept for reuse.
struct Generation {
    path: PathBuf,
    idle: Mutex<Vec<Engine>>,
}

/// A pool of engines over the current generation of the index in `dir`.
pub struct Pool {
    dir: PathBuf,
    current: RwLock<Arc<Generation>>,
    /// Held while a new generation is being opened, so that one request opens it, not all.
    swapping: Mutex<()>,
    /// Most idle engines kept per generation.
    max_idle: usize,
}

/// An engine checked out of the pool; goes back to its generation's idle list when dropped.
pub struct Lease {
    engine: Option<Engine>,
    generation: Arc<Generation>,
    max_idle: usize,
}

impl std::ops::Deref for Lease {
    type Target = Engine;
    fn deref(&self) -> &Engine {
        self.engine.as_ref().expect("engine present until drop")
    }
}

impl std::ops::DerefMut for Lease {
    fn deref_mut(&mut self) -> &mut Engine {
        self.engine.as_mut().expect("engine present until drop")
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        if let Some(e) = self.engine.take() {
            let mut idle = self
                .generation
                .idle
                .lock()
                .unwrap_or_else(|p| p.into_inner());
            if idle.len() < self.max_idle && e.open.generation == self.generation.path {
                idle.push(e);
            }
        }
    }
}

impl Pool {
    /// Open the current generation of `dir` (an error when there is no usable index).
    pub fn open(dir: &Path, max_idle: usize) -> Result<Pool, SearchError> {
        let engine = Engine::open(dir)?;
        let generation = Arc::new(Generation {
            path: engine.open.generation.clone(),
            idle: Mutex::new(vec![engine]),
        });
        Ok(Pool {
            dir: dir.to_path_buf(),
            current: RwLock::new(generation),
            swapping: Mutex::new(()),
            max_idle: max_idle.max(1),
        })
    }

    /// The generation directory engines are currently handed out for.
    pub fn generation(&self) -> PathBuf {
        self.read().path.clone()
    }

    fn read(&self) -> Arc<Generation> {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Install the generation `CURRENT` names if it is a new one. Failures leave the old one.
    fn refresh(&self) {
        let Some(now) = current_generation(&self.dir) else {
            return;
        };
        if self.read().path == now {
            return;
        }
        let Ok(_guard) = self.swapping.try_lock() else {
            // Another request is opening it; this one is served by the old generation.
            return;
        };
        if self.read().path == now {
            return;
        }
        match Engine::open(&self.dir) {
            Ok(engine) => {
                let path = engine.open.generation.clone();
                tracing::info!(generation = %path.display(), "serving a new index generation");
                let g = Arc::new(Generation {
                    path,
                    idle: Mutex::new(vec![engine]),
                });
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = g;
            }
            Err(e) => tracing::warn!(
                "new index generation {} not opened, still serving the previous one: {e}",
                now.display()
            ),
        }
    }

    /// An engine over the current generation.
    pub fn get(&self) -> Result<Lease, SearchError> {
        self.refresh();
        let generation = self.read();
        let idle = generation
            .idle
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .pop();
        let engine = match idle {
            Some(e) => e,
            // Opens what `CURRENT` names now: should that be newer than `generation`, this request
            // is served by the newer one and the engine is not kept (see `Drop`).
            None => Engine::open(&self.dir)?,
        };
        Ok(Lease {
            engine: Some(engine),
            generation,
            max_idle: self.max_idle,
        })
    }
}
