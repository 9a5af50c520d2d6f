//! `crawl`: how bytes arrive, politely, with provenance.
//!
//! A source's bytes come from a local mirror (`DIR/<host><path>`, the `wget -x` layout), from the
//! cache of an earlier crawl, or from the network. Every fetch is checked against the manifest's
//! sha256 and described by a [`Provenance`] record.

mod mirror;

pub use mirror::mirror_path;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::corpus::Source;

/// Where the bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    Mirror,
    Cache,
    Network,
}

/// What is known about one fetch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    pub source_id: String,
    pub url: String,
    pub final_url: String,
    pub origin: Origin,
    pub bytes: u64,
    pub sha256: String,
    /// `Some(false)` when the manifest names a different sha256.
    pub sha256_matches: Option<bool>,
    pub fetched_at: String,
    pub content_type: Option<String>,
}

/// The bytes of one source and their provenance.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    pub provenance: Provenance,
}

#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    #[error("{id}: not in the mirror (looked for {path}); the source is unavailable offline")]
    NotInMirror { id: String, path: PathBuf },
    #[error("{id}: cannot read {path}: {source}")]
    Read {
        id: String,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{id}: sha256 mismatch for {url}: manifest says {expected}, got {actual}")]
    HashMismatch {
        id: String,
        url: String,
        expected: String,
        actual: String,
    },
    #[error("{id}: fetching {url} failed: {reason}")]
    Network { id: String, url: String, reason: String },
}

/// How to get bytes.
#[derive(Debug, Clone, Default)]
pub struct CrawlOptions {
    /// Read from this mirror instead of the network.
    pub mirror: Option<PathBuf>,
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub fn now_rfc3339() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    format_rfc3339(secs)
}

/// Seconds since the epoch → `YYYY-MM-DDTHH:MM:SSZ` (civil-from-days, no time zone database needed).
pub fn format_rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Fetch one source according to `opts`, verifying its sha256 where the manifest has one.
pub fn fetch(source: &Source, opts: &CrawlOptions) -> Result<Fetched, CrawlError> {
    let fetched = match &opts.mirror {
        Some(dir) => mirror::fetch(source, dir)?,
        None => {
            return Err(CrawlError::Network {
                id: source.id.clone(),
                url: source.url.clone(),
                reason: "network fetching is not available in this build; use --mirror DIR".into(),
            })
        }
    };
    if fetched.provenance.sha256_matches == Some(false) {
        return Err(CrawlError::HashMismatch {
            id: source.id.clone(),
            url: source.url.clone(),
            expected: source.sha256.clone().unwrap_or_default(),
            actual: fetched.provenance.sha256,
        });
    }
    Ok(fetched)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
