//! `corpus`: what sources exist.
//!
//! The manifest (`corpus/sources.toml`) lists every document cyberlex knows, with facts only: where the
//! bytes are served, what format they are in, their hash, their jurisdiction and language. The
//! jurisdiction table (`corpus/jurisdictions.toml`) lets users type `DE`, `de` or `Germany`.
//! The instrument table (`corpus/instruments.toml`) names the instruments as lawyers cite them
//! (`StGB`, `УК РФ`, `Budapest Convention`). All are compiled into the binary, and a different manifest can be loaded from disk.

pub mod instruments;
mod jurisdictions;
mod manifest;
pub mod own;
pub mod taxonomy;

pub use instruments::{Instrument, Instruments};
pub use jurisdictions::{Jurisdiction, Jurisdictions};
pub use manifest::{Format, Manifest, Source};
pub use taxonomy::{Concept, Tag, Taxonomy};

use std::path::PathBuf;

/// Errors of the corpus room: a manifest or table that cannot be read or parsed.
#[derive(Debug, thiserror::Error)]
pub enum CorpusError {
    #[error("cannot read manifest {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("manifest {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("manifest {path}: {message}")]
    Invalid { path: PathBuf, message: String },
    #[error("unknown source id `{id}`; `cyberlex sources` lists the known ids")]
    UnknownSource { id: String },
    #[error("folder {path}: {message}")]
    Folder { path: PathBuf, message: String },
    #[error("unknown jurisdiction `{input}`; known: {known}")]
    UnknownJurisdiction { input: String, known: String },
}
