//! The crawl cache: raw bytes stored content-addressed (`objects/<sha[..2]>/<sha>`) and one JSON
//! record per source (`records/<id>.json`) describing the last fetch.
//!
//! Every write is atomic: the bytes go to a temporary file in the destination's directory, are
//! fsynced, then renamed over the destination (and the directory is fsynced). A crawl killed at
//! any moment leaves either the old file or the new one, never a part; stray temporary files
//! (`.tmp-*`) are ignored and swept by the next crawl.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use super::{sha256_hex, Origin};

/// What the last crawl that touched a source found, as kept in its record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RecordOutcome {
    /// Bytes downloaded and stored; they match the manifest (or it names no sha256).
    Fetched,
    /// Bytes downloaded and stored, but their sha256 differs from the manifest's.
    Changed,
    /// The server confirmed the cached copy (304, or the same bytes again) after a failure.
    Unchanged,
    /// The last attempt failed (`error` says why); a cached copy, if any, is kept.
    Failed,
}

impl RecordOutcome {
    /// `fetched`, `changed`, `unchanged` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            RecordOutcome::Fetched => "fetched",
            RecordOutcome::Changed => "changed",
            RecordOutcome::Unchanged => "unchanged",
            RecordOutcome::Failed => "failed",
        }
    }
}

/// `records/<id>.json`: the provenance of the cached copy of one source.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Manifest id.
    pub id: String,
    /// URL in the manifest.
    pub url: String,
    /// URL the bytes were served from, after redirects.
    pub final_url: String,
    /// Redirect chain, first hop first (empty without redirects).
    #[serde(default)]
    pub redirects: Vec<String>,
    /// HTTP status of the final response (200; 0 for a mirror copy).
    pub status: u16,
    /// Network, or mirror when the cache was filled from one.
    pub origin: Origin,
    /// When the stored bytes were downloaded (RFC 3339, UTC).
    pub fetched_at: Option<String>,
    /// `ETag`, sent back as `If-None-Match`.
    pub etag: Option<String>,
    /// `Last-Modified`, sent back as `If-Modified-Since`.
    pub last_modified: Option<String>,
    /// `Content-Type`, as served.
    pub content_type: Option<String>,
    /// `Content-Encoding` the bytes arrived in (they are stored decoded).
    pub content_encoding: Option<String>,
    /// Character encoding of a text (see `charset`); `None` for binary formats.
    pub encoding: Option<String>,
    /// Charset declared by the header or the document, when any.
    pub declared_charset: Option<String>,
    /// Size of the stored bytes (0 when nothing was ever stored).
    pub bytes: u64,
    /// sha256 of the stored bytes, the name of their object (`None`: nothing stored).
    pub sha256: Option<String>,
    /// The manifest's sha256 at the time of the fetch.
    pub manifest_sha256: Option<String>,
    /// `sha256 == manifest_sha256` (`None` without a manifest sha256).
    pub sha256_matches: Option<bool>,
    /// What the last crawl that wrote this record found.
    pub outcome: RecordOutcome,
    /// Why the last attempt failed (outcome `failed`).
    pub error: Option<String>,
    /// When it last failed.
    pub failed_at: Option<String>,
    /// Remarks such as an overridden charset declaration.
    #[serde(default)]
    pub warnings: Vec<String>,
}

impl Record {
    /// A record for a source that failed before anything was stored.
    pub fn failed(id: &str, url: &str, error: String) -> Record {
        Record {
            id: id.to_string(),
            url: url.to_string(),
            final_url: url.to_string(),
            redirects: Vec::new(),
            status: 0,
            origin: Origin::Network,
            fetched_at: None,
            etag: None,
            last_modified: None,
            content_type: None,
            content_encoding: None,
            encoding: None,
            declared_charset: None,
            bytes: 0,
            sha256: None,
            manifest_sha256: None,
            sha256_matches: None,
            outcome: RecordOutcome::Failed,
            error: Some(error),
            failed_at: Some(super::now_rfc3339()),
            warnings: Vec::new(),
        }
    }
}

/// A cache directory (`corpus/cache` by default).
#[derive(Debug, Clone)]
pub struct Cache {
    root: PathBuf,
}

impl Cache {
    /// The cache rooted at `root` (created on the first write).
    pub fn new(root: impl Into<PathBuf>) -> Cache {
        Cache { root: root.into() }
    }

    /// The cache directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// `objects/<sha[..2]>/<sha>`.
    pub fn object_path(&self, sha256: &str) -> PathBuf {
        let sha = sha256.to_ascii_lowercase();
        self.root
            .join("objects")
            .join(&sha[..2.min(sha.len())])
            .join(&sha)
    }

    /// `records/<id>.json`.
    pub fn record_path(&self, id: &str) -> PathBuf {
        self.root.join("records").join(format!("{id}.json"))
    }

    /// The record of `id`; `None` when absent or unreadable (then the source is simply refetched).
    pub fn load_record(&self, id: &str) -> Option<Record> {
        let text = fs::read(self.record_path(id)).ok()?;
        match serde_json::from_slice(&text) {
            Ok(r) => Some(r),
            Err(e) => {
                tracing::warn!("ignoring unreadable cache record for {id}: {e}");
                None
            }
        }
    }

    /// Write `records/<id>.json` atomically.
    pub fn store_record(&self, record: &Record) -> io::Result<()> {
        let mut json = serde_json::to_vec_pretty(record).map_err(io::Error::other)?;
        json.push(b'\n');
        write_atomic(&self.record_path(&record.id), &json)
    }

    /// Store bytes under their sha256 (nothing is written when the object exists with that size).
    pub fn store_object(&self, bytes: &[u8]) -> io::Result<String> {
        let sha = sha256_hex(bytes);
        if !self.has_object(&sha, bytes.len() as u64) {
            write_atomic(&self.object_path(&sha), bytes)?;
        }
        Ok(sha)
    }

    /// Whether the object is present with the expected size (cheap; no hashing).
    pub fn has_object(&self, sha256: &str, len: u64) -> bool {
        fs::metadata(self.object_path(sha256))
            .map(|m| m.is_file() && m.len() == len)
            .unwrap_or(false)
    }

    /// Read an object and verify its hash.
    pub fn read_object(&self, sha256: &str) -> io::Result<Vec<u8>> {
        let path = self.object_path(sha256);
        let bytes = fs::read(&path)?;
        let actual = sha256_hex(&bytes);
        if !actual.eq_ignore_ascii_case(sha256) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "cache object {} is corrupt (sha256 {actual})",
                    path.display()
                ),
            ));
        }
        Ok(bytes)
    }

    /// Remove temporary files older than `age` left by a killed crawl.
    pub fn sweep_temporaries(&self, age: Duration) {
        let mut dirs = vec![self.root.join("records")];
        if let Ok(rd) = fs::read_dir(self.root.join("objects")) {
            dirs.extend(rd.flatten().map(|e| e.path()));
        }
        let now = SystemTime::now();
        for dir in dirs {
            let Ok(rd) = fs::read_dir(&dir) else { continue };
            for e in rd.flatten() {
                if !e.file_name().to_string_lossy().starts_with(".tmp-") {
                    continue;
                }
                let old = e
                    .metadata()
                    .and_then(|m| m.modified())
                    .map(|t| now.duration_since(t).unwrap_or_default() >= age)
                    .unwrap_or(false);
                if old {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
    }
}

/// Write `bytes` to `path` atomically: temporary file in the same directory, fsync, rename,
/// fsync of the directory. Creates the directory when needed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".tmp-{name}-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, path)?;
        // Make the rename itself durable; not every platform can open a directory.
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tmpdir() -> tempfile::TempDir {
        tempfile::tempdir().unwrap()
    }

    #[test]
    fn atomic_write_replaces_whole_files_and_leaves_no_temporaries() {
        let d = tmpdir();
        let p = d.path().join("sub/dir/file.json");
        write_atomic(&p, b"first version, rather long").unwrap();
        write_atomic(&p, b"second").unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"second");
        let names: Vec<_> = fs::read_dir(p.parent().unwrap())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("file.json")]);
    }

    #[test]
    fn failed_atomic_write_keeps_the_old_file() {
        let d = tmpdir();
        let p = d.path().join("f");
        write_atomic(&p, b"old").unwrap();
        // Renaming onto a non-empty directory fails: the old destination must survive intact.
        let blocked = d.path().join("blocked");
        fs::create_dir_all(blocked.join("inside")).unwrap();
        assert!(write_atomic(&blocked, b"new").is_err());
        assert_eq!(fs::read(&p).unwrap(), b"old");
        let temps = fs::read_dir(d.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .unwrap()
                    .file_name()
                    .to_string_lossy()
                    .starts_with(".tmp-")
            })
            .count();
        assert_eq!(temps, 0, "the temporary file is removed on failure");
    }

    #[test]
    fn objects_are_content_addressed_and_verified() {
        let d = tmpdir();
        let c = Cache::new(d.path());
        let sha = c.store_object(b"an invented statute").unwrap();
        assert_eq!(sha, sha256_hex(b"an invented statute"));
        let p = c.object_path(&sha);
        assert!(p.ends_with(format!("objects/{}/{sha}", &sha[..2])));
        assert!(c.has_object(&sha, 19));
        assert!(!c.has_object(&sha, 20));
        assert_eq!(c.read_object(&sha).unwrap(), b"an invented statute");
        fs::write(&p, b"tampered statute!!!").unwrap();
        let e = c.read_object(&sha).unwrap_err();
        assert!(e.to_string().contains("corrupt"), "{e}");
    }

    #[test]
    fn records_round_trip_and_stale_temporaries_are_swept() {
        let d = tmpdir();
        let c = Cache::new(d.path());
        let r = Record::failed("xx-law", "https://example.org/law", "HTTP 404".into());
        c.store_record(&r).unwrap();
        assert_eq!(c.load_record("xx-law").unwrap(), r);
        assert!(c.load_record("absent").is_none());
        fs::write(c.record_path("broken"), b"{not json").unwrap();
        assert!(c.load_record("broken").is_none());
        let stray = d.path().join("records/.tmp-xx-law.json-1-1");
        fs::write(&stray, b"{partial").unwrap();
        c.sweep_temporaries(Duration::from_secs(3600));
        assert!(
            stray.exists(),
            "young temporaries may belong to a running crawl"
        );
        c.sweep_temporaries(Duration::ZERO);
        assert!(!stray.exists());
    }
}
