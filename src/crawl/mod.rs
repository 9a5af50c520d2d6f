//! `crawl`: how bytes arrive, politely, with provenance.
//!
//! A source's bytes come from a local mirror (`DIR/<host><path>`, the `wget -x` layout), from the
//! cache of an earlier crawl, or from the network. Every fetch is checked against the manifest's
//! sha256 and described by a [`Provenance`] record.
//!
//! The network crawler ([`crawl`], and [`fetch`] without a mirror):
//! - **politeness**: robots.txt is asked once per host and run and obeyed ([`robots`]; a 4xx
//!   robots.txt allows everything, a 5xx or unreachable one disallows the host for the run);
//!   requests to one host start at least `min_host_delay` (or the host's `Crawl-delay`, clamped
//!   to `[min_host_delay, max_crawl_delay]`) apart, and at most `host_connections` (2) run at
//!   once, so one that stalls does not hold the host's other sources behind it while the rate
//!   the host sees stays the same; hosts are crawled in parallel;
//! - **robustness**: connect/read/total timeouts and a minimum transfer rate; retries with
//!   exponential backoff and jitter on connection errors, 429 and 5xx, never after a stall
//!   (a timeout or a body too slow), honouring `Retry-After` up to `retry_after_cap` per wait
//!   and `retry_after_budget` per source (beyond either the source fails at once); a host that
//!   stalls `max_host_stalls` requests in a row on each of its connections is given up for the run
//!   (a request already under way on another connection still ends on its own limits); redirects followed by
//!   hand (limit, loop detection, only to the source's host or its `allow_hosts`); body,
//!   decompressed-size and compression-ratio caps; robots.txt read up to `max_robots_bytes`;
//! - **no network**: the hosts of a crawl are resolved at once before it starts; when none
//!   resolves, or the first hosts cannot be connected to while none answered, the run is
//!   declared offline ([`CrawlReport::network_down`], [`CrawlError::NoNetwork`]) and every
//!   remaining source fails at once with that one reason;
//! - **provenance and caching** ([`cache`]): raw bytes content-addressed under
//!   `cache/objects/`, one JSON record per source under `cache/records/`, atomic writes;
//!   conditional requests (`If-None-Match`/`If-Modified-Since`), so a recrawl of unchanged
//!   sources downloads and rewrites nothing; bytes whose sha256 differs from the manifest's are
//!   reported as [`Outcome::Changed`], never silently accepted.

#![warn(missing_docs)]

pub mod cache;
pub mod charset;
mod client;
mod mirror;
mod net;
pub mod politeness;
pub mod robots;
pub mod url;

pub use cache::{Cache, Record, RecordOutcome};
pub use mirror::mirror_path;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::corpus::{Format, Source};
use client::{Conditional, Failure, Session, Shared};

/// Where the bytes came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Origin {
    /// A local mirror in the `wget -x` layout.
    Mirror,
    /// The crawl cache (confirmed by a 304, or offline).
    Cache,
    /// Downloaded just now.
    Network,
}

/// What is known about one fetch.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Provenance {
    /// Manifest id of the source.
    pub source_id: String,
    /// URL in the manifest.
    pub url: String,
    /// URL the bytes were served from, after redirects.
    pub final_url: String,
    /// Mirror, cache or network.
    pub origin: Origin,
    /// Size of the bytes (after `Content-Encoding` decoding).
    pub bytes: u64,
    /// Hex sha256 of the bytes.
    pub sha256: String,
    /// `Some(false)` when the manifest names a different sha256.
    pub sha256_matches: Option<bool>,
    /// When the bytes were downloaded or read (RFC 3339, UTC).
    pub fetched_at: String,
    /// `Content-Type` header, as served.
    pub content_type: Option<String>,
    /// HTTP status of the response the bytes came with (`None` for a mirror).
    #[serde(default)]
    pub status: Option<u16>,
    /// `ETag` validator, as served.
    #[serde(default)]
    pub etag: Option<String>,
    /// `Last-Modified` validator, as served.
    #[serde(default)]
    pub last_modified: Option<String>,
    /// Character encoding of a text (`UTF-8`, `windows-1252`, ...); see [`charset`].
    #[serde(default)]
    pub encoding: Option<String>,
}

/// The bytes of one source and their provenance.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The raw bytes (as the manifest's sha256 describes them).
    pub bytes: Vec<u8>,
    /// Where they came from.
    pub provenance: Provenance,
}

/// Why [`fetch`] returned no bytes. Every variant names the source id.
#[allow(missing_docs)]
#[derive(Debug, thiserror::Error)]
pub enum CrawlError {
    /// The mirror has no file for the URL.
    #[error("{id}: not in the mirror (looked for {path}); the source is unavailable offline")]
    NotInMirror { id: String, path: PathBuf },
    /// The mirror file exists but cannot be read.
    #[error("{id}: cannot read {path}: {source}")]
    Read {
        id: String,
        path: PathBuf,
        source: std::io::Error,
    },
    /// The bytes differ from the manifest's sha256 (never accepted silently).
    #[error("{id}: sha256 mismatch for {url}: manifest says {expected}, got {actual}")]
    HashMismatch {
        id: String,
        url: String,
        expected: String,
        actual: String,
    },
    /// Network failure, robots.txt refusal, or offline without a cached copy; `reason` says which.
    #[error("{id}: fetching {url} failed: {reason}")]
    Network {
        id: String,
        url: String,
        reason: String,
    },
    /// No network for this run (no host resolves or answers), and no cached copy.
    #[error("{id}: not fetched: {reason}")]
    NoNetwork { id: String, reason: String },
}

/// How to get bytes. Build it with `CrawlOptions { field: ..., ..CrawlOptions::default() }`.
#[derive(Debug, Clone)]
pub struct CrawlOptions {
    /// Read from this mirror instead of the network.
    pub mirror: Option<PathBuf>,
    /// The crawl cache (`corpus/cache`): `objects/` and `records/`, see [`cache`].
    pub cache: PathBuf,
    /// `User-Agent` sent with every request; its first product token (`cyberlex`) is the name
    /// looked for in robots.txt.
    pub user_agent: String,
    /// Time to establish a connection.
    pub connect_timeout: Duration,
    /// Longest silence while reading (per read), and longest wait for the response headers.
    pub read_timeout: Duration,
    /// Whole request, headers and body (one attempt of one hop): the deadline.
    pub total_timeout: Duration,
    /// Slowest body accepted, in bytes per second, measured over each `rate_window`: a body
    /// slower than that fails the attempt (a stall, not retried). 0 disables the check.
    pub min_transfer_rate: u64,
    /// The window of `min_transfer_rate`.
    pub rate_window: Duration,
    /// Stalls in a row, per connection of the host (`host_connections`), after which a host is
    /// not asked again in the run (0: no limit).
    pub max_host_stalls: u32,
    /// Retries after the first attempt (timeouts, connection errors, 429, 5xx).
    pub max_retries: u32,
    /// First backoff step; doubles each retry, jittered, up to `backoff_cap`.
    pub backoff_base: Duration,
    /// Longest backoff between two attempts.
    pub backoff_cap: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the source without retrying.
    pub retry_after_cap: Duration,
    /// All `Retry-After` waits of one source together; one that would exceed what is left
    /// fails the source without retrying.
    pub retry_after_budget: Duration,
    /// Largest body accepted, as received.
    pub max_body_bytes: u64,
    /// Largest body accepted after `Content-Encoding` decoding (decompression bombs).
    pub max_decompressed_bytes: u64,
    /// Beyond 1 MiB decoded, no more than this many times the bytes received (0: no ratio).
    pub max_compression_ratio: u64,
    /// robots.txt is read up to this size; the rest is ignored (as Google's parser does).
    pub max_robots_bytes: u64,
    /// Redirects followed per fetch.
    pub max_redirects: u32,
    /// Least time between the starts of two requests to one host.
    pub min_host_delay: Duration,
    /// Requests to one host in flight at once (their starts still `min_host_delay` apart):
    /// with 2, a request that stalls lets the host's next source go ahead. 1 never overlaps.
    pub host_connections: usize,
    /// Upper bound for a robots.txt `Crawl-delay`.
    pub max_crawl_delay: Duration,
    /// Hosts crawled at the same time.
    pub parallel_hosts: usize,
    /// No network: sources come from the cache or are reported unavailable.
    pub offline: bool,
    /// Show a progress bar (only ever when stderr is a terminal).
    pub progress: bool,
}

impl Default for CrawlOptions {
    fn default() -> Self {
        CrawlOptions {
            mirror: None,
            cache: PathBuf::from("corpus/cache"),
            user_agent: DEFAULT_USER_AGENT.to_string(),
            connect_timeout: Duration::from_secs(10),
            read_timeout: Duration::from_secs(20),
            total_timeout: Duration::from_secs(120),
            min_transfer_rate: 1024,
            rate_window: Duration::from_secs(20),
            max_host_stalls: 2,
            max_retries: 3,
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(60),
            retry_after_cap: Duration::from_secs(60),
            retry_after_budget: Duration::from_secs(60),
            max_body_bytes: 256 << 20,
            max_decompressed_bytes: 256 << 20,
            max_compression_ratio: 100,
            max_robots_bytes: 500 << 10,
            max_redirects: 10,
            min_host_delay: Duration::from_secs(1),
            host_connections: 2,
            max_crawl_delay: Duration::from_secs(30),
            parallel_hosts: 8,
            offline: false,
            progress: true,
        }
    }
}

/// `cyberlex/<version> (+https://github.com/cyberlex/cyberlex; ...)`.
pub const DEFAULT_USER_AGENT: &str = concat!(
    "cyberlex/",
    env!("CARGO_PKG_VERSION"),
    " (+https://github.com/cyberlex/cyberlex; full-text search over cybercrime law)"
);

impl CrawlOptions {
    /// Options that read `mirror` (what `fetch` did before the network crawler existed).
    pub fn with_mirror(mirror: impl Into<PathBuf>) -> CrawlOptions {
        CrawlOptions {
            mirror: Some(mirror.into()),
            ..CrawlOptions::default()
        }
    }

    /// The product token of the user agent (`cyberlex`), as matched against robots.txt groups.
    pub fn robots_token(&self) -> String {
        self.user_agent
            .split(|c: char| c == '/' || c.is_whitespace())
            .next()
            .unwrap_or("")
            .to_ascii_lowercase()
    }
}

/// What a crawl did with one source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Outcome {
    /// Downloaded (new or different from the cached copy); sha256 matches the manifest or it has none.
    Fetched,
    /// The server confirmed the cached copy (304), or sent the same bytes again: nothing rewritten.
    Unchanged,
    /// The upstream bytes' sha256 differs from the manifest's: stored and reported, not accepted
    /// silently (`fetch` returns [`CrawlError::HashMismatch`]).
    Changed {
        /// The manifest's sha256.
        expected: String,
        /// The sha256 of the bytes served.
        actual: String,
    },
    /// Offline: served from the cache without asking the server.
    FromCache,
    /// Read from the mirror.
    FromMirror,
    /// Tried and failed (HTTP error, timeout, limits, refused redirect, ...).
    Failed {
        /// What went wrong, for a human.
        reason: String,
    },
    /// Deliberately not fetched: disallowed by robots.txt, offline and not cached, not in the mirror.
    Unavailable {
        /// Why it was not fetched, for a human.
        reason: String,
    },
}

impl Outcome {
    /// `fetched`, `unchanged`, `changed`, `from-cache`, `from-mirror`, `failed`, `unavailable`.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Fetched => "fetched",
            Outcome::Unchanged => "unchanged",
            Outcome::Changed { .. } => "changed",
            Outcome::FromCache => "from-cache",
            Outcome::FromMirror => "from-mirror",
            Outcome::Failed { .. } => "failed",
            Outcome::Unavailable { .. } => "unavailable",
        }
    }

    /// Bytes are at hand (fetched, unchanged, cached or mirrored, and matching the manifest).
    pub fn is_ok(&self) -> bool {
        matches!(
            self,
            Outcome::Fetched | Outcome::Unchanged | Outcome::FromCache | Outcome::FromMirror
        )
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Changed { expected, actual } => write!(
                f,
                "changed: sha256 {actual} differs from the manifest's {expected}"
            ),
            Outcome::Failed { reason } => write!(f, "failed: {reason}"),
            Outcome::Unavailable { reason } => write!(f, "unavailable: {reason}"),
            o => f.write_str(o.label()),
        }
    }
}

/// One source in a [`CrawlReport`].
#[derive(Debug, Clone, Serialize)]
pub struct SourceReport {
    /// Manifest id.
    pub id: String,
    /// URL in the manifest.
    pub url: String,
    /// What happened.
    pub outcome: Outcome,
    /// Where the bytes at hand came from (`None` when there are none).
    pub provenance: Option<Provenance>,
    /// Remarks: overridden charset declarations, cache write problems, ...
    pub warnings: Vec<String>,
    /// Time spent on this source (waits for its host included).
    pub elapsed: Duration,
}

/// Counts over a crawl.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[allow(missing_docs)] // one count per [`Outcome`]
pub struct Totals {
    /// Sources in the report.
    pub sources: usize,
    pub fetched: usize,
    pub unchanged: usize,
    pub changed: usize,
    pub from_cache: usize,
    pub from_mirror: usize,
    pub failed: usize,
    pub unavailable: usize,
    /// HTTP requests sent (robots.txt, redirects and retries included).
    pub requests: u64,
    /// Body bytes received over the network, as sent (before decompression).
    pub bytes: u64,
    /// Wall time of the crawl.
    pub elapsed: Duration,
}

impl std::fmt::Display for Totals {
    /// `86 sources: 83 fetched, 3 failed; 87 requests, 45.1 MB in 1.7 s` (zero counts left out).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} sources:", self.sources)?;
        let counts = [
            (self.fetched, "fetched"),
            (self.unchanged, "unchanged"),
            (self.changed, "changed"),
            (self.from_cache, "from cache"),
            (self.from_mirror, "from mirror"),
            (self.failed, "failed"),
            (self.unavailable, "unavailable"),
        ];
        let mut first = true;
        for (n, what) in counts.iter().filter(|(n, _)| *n > 0) {
            write!(f, "{} {n} {what}", if first { "" } else { "," })?;
            first = false;
        }
        if first {
            f.write_str(" none")?;
        }
        write!(
            f,
            "; {} requests, {:.1} MB in {:.1} s",
            self.requests,
            self.bytes as f64 / 1e6,
            self.elapsed.as_secs_f64()
        )
    }
}

/// The result of [`crawl`]: one entry per source, in the order given, and totals.
#[derive(Debug, Clone, Serialize)]
pub struct CrawlReport {
    /// One entry per source, in the order of the input.
    pub sources: Vec<SourceReport>,
    /// Counts.
    pub totals: Totals,
    /// Set when the run found no network (no host resolves, or none could be connected to):
    /// why, in one line. The sources not served from the cache failed with this reason.
    pub network_down: Option<String>,
}

impl CrawlReport {
    /// The entry of source `id`.
    pub fn get(&self, id: &str) -> Option<&SourceReport> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// True when no source failed or changed (unavailable ones are not errors).
    pub fn is_success(&self) -> bool {
        self.totals.failed == 0 && self.totals.changed == 0
    }

    /// Sources whose bytes are at hand (fetched, unchanged, from the cache or the mirror).
    pub fn at_hand(&self) -> usize {
        let t = &self.totals;
        t.fetched + t.unchanged + t.from_cache + t.from_mirror
    }
}

/// What the cache knows about one source, for `cyberlex sources`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceStatus {
    /// Manifest id.
    pub id: String,
    /// A record and its object are in the cache.
    pub cached: bool,
    /// When the cached bytes were downloaded.
    pub fetched_at: Option<String>,
    /// Size of the cached bytes.
    pub bytes: Option<u64>,
    /// sha256 of the cached bytes.
    pub sha256: Option<String>,
    /// Cached sha256 against the manifest's (`None`: nothing cached, or no sha256 in the manifest).
    pub sha256_matches: Option<bool>,
    /// Outcome of the last crawl that wrote the record (`None`: never crawled).
    pub last_outcome: Option<RecordOutcome>,
    /// Why it last failed.
    pub error: Option<String>,
    /// URL the cached bytes were served from.
    pub final_url: Option<String>,
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The current time as `YYYY-MM-DDTHH:MM:SSZ`.
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
///
/// - with `opts.mirror`: read the mirror (nothing is written to the cache);
/// - with `opts.offline`: the cached copy (hash verified), else [`CrawlError::Network`];
/// - otherwise: the network, with a conditional request when a copy is cached; an unchanged
///   source returns the cached bytes (`Origin::Cache`), a new one is stored in `opts.cache`.
///   When the network fails but a copy is cached, the cached copy is returned (with a warning
///   in the log). Politeness state (robots.txt, per-host delays) is shared by all `fetch` calls of
///   the process, so parallel calls stay polite. To fetch many sources, [`Fetcher::fetch_all`]
///   is better: per-host queues, and a quick verdict when there is no network.
pub fn fetch(source: &Source, opts: &CrawlOptions) -> Result<Fetched, CrawlError> {
    static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();
    Fetcher::with_shared(opts, SHARED.get_or_init(Default::default).clone()).fetch(source)
}

/// One run of fetches: politeness (robots.txt, per-host delays and stalls), the network verdict
/// and the cache are shared by its calls. What `build` uses to fetch its sources.
pub struct Fetcher {
    opts: CrawlOptions,
    cache: Cache,
    session: Option<Session>,
}

impl Fetcher {
    /// A run with its own politeness state.
    pub fn new(opts: &CrawlOptions) -> Fetcher {
        Fetcher::with_shared(opts, Arc::default())
    }

    fn with_shared(opts: &CrawlOptions, shared: Arc<Shared>) -> Fetcher {
        Fetcher {
            opts: opts.clone(),
            cache: Cache::new(&opts.cache),
            session: (opts.mirror.is_none() && !opts.offline).then(|| Session::new(opts, shared)),
        }
    }

    /// Resolve the hosts of `sources`, all at once, waiting at most `connect_timeout`: `Err`
    /// (why, in one line) when not one of them resolves. The run is then offline: every fetch
    /// fails at once with that reason (or is served from the cache). Without network access
    /// configured (mirror, offline) there is nothing to check.
    pub fn check_network(&self, sources: &[Source]) -> Result<(), String> {
        let Some(session) = &self.session else {
            return Ok(());
        };
        let hosts = host_ports(sources);
        let net = &session.shared().net;
        net.set_hosts(hosts.len());
        net.probe(&hosts, self.opts.connect_timeout)
    }

    /// Why this run has no network, once that is known (see [`CrawlReport::network_down`]).
    pub fn network_down(&self) -> Option<String> {
        self.session
            .as_ref()
            .and_then(|s| s.shared().net.down().map(str::to_string))
    }

    /// Fetch one source, as [`fetch`] does, within this run.
    pub fn fetch(&self, source: &Source) -> Result<Fetched, CrawlError> {
        if let Some(dir) = &self.opts.mirror {
            let fetched = mirror::fetch(source, dir)?;
            if fetched.provenance.sha256_matches == Some(false) {
                return Err(CrawlError::HashMismatch {
                    id: source.id.clone(),
                    url: source.url.clone(),
                    expected: source.sha256.clone().unwrap_or_default(),
                    actual: fetched.provenance.sha256,
                });
            }
            return Ok(fetched);
        }
        let (report, bytes) =
            crawl_one(self.session.as_ref(), &self.cache, source, &self.opts, true);
        let down = self.network_down();
        match (report.outcome, bytes, report.provenance) {
            (Outcome::Changed { expected, actual }, _, _) => Err(CrawlError::HashMismatch {
                id: source.id.clone(),
                url: source.url.clone(),
                expected,
                actual,
            }),
            (o, Some(bytes), Some(provenance)) if o.is_ok() => Ok(Fetched { bytes, provenance }),
            (Outcome::Failed { reason }, _, _) if down.as_deref() == Some(reason.as_str()) => {
                Err(CrawlError::NoNetwork {
                    id: source.id.clone(),
                    reason,
                })
            }
            (Outcome::Failed { reason } | Outcome::Unavailable { reason }, _, _) => {
                Err(CrawlError::Network {
                    id: source.id.clone(),
                    url: source.url.clone(),
                    reason,
                })
            }
            (o, _, _) => Err(CrawlError::Network {
                id: source.id.clone(),
                url: source.url.clone(),
                reason: format!("no bytes at hand ({o})"),
            }),
        }
    }

    /// Fetch every source, in per-host queues ([`crawl`]'s order of work: one host's sources
    /// in order on up to `host_connections` lanes, up to `parallel_hosts` lanes at once, so a
    /// stalled host holds only its own queue); `done` is called after each source. Results in
    /// input order.
    pub fn fetch_all(
        &self,
        sources: &[Source],
        done: impl Fn(&Source) + Sync,
    ) -> Vec<Result<Fetched, CrawlError>> {
        per_host(
            sources,
            self.opts.parallel_hosts,
            self.opts.host_connections,
            |i| {
                let r = self.fetch(&sources[i]);
                done(&sources[i]);
                r
            },
        )
    }
}

/// The distinct `host:port` of `sources`, in order.
fn host_ports(sources: &[Source]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in sources {
        if let Some(u) = url::Url::parse(&s.url) {
            let hp = format!("{}:{}", u.host, u.port.unwrap_or(u.default_port()));
            if !out.contains(&hp) {
                out.push(hp);
            }
        }
    }
    out
}

/// Run `f(i)` for every index of `sources`: the sources of one host in input order, on up to
/// `lanes_per_host` threads that share the host's queue (so while one lane waits on a slow
/// answer the next source of the host can go); up to `workers` lanes at once, every host's
/// first lane before any second one and the largest hosts first, so a host that stalls holds
/// only its own queue. Results in input order.
fn per_host<T: Send>(
    sources: &[Source],
    workers: usize,
    lanes_per_host: usize,
    f: impl Fn(usize) -> T + Sync,
) -> Vec<T> {
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        let key = url::Url::parse(&s.url)
            .map(|u| u.authority().to_ascii_lowercase())
            .unwrap_or_default();
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, v)) => v.push(i),
            None => groups.push((key, vec![i])),
        }
    }
    groups.sort_by_key(|(_, v)| std::cmp::Reverse(v.len()));
    let cursors: Vec<std::sync::atomic::AtomicUsize> = groups
        .iter()
        .map(|_| std::sync::atomic::AtomicUsize::new(0))
        .collect();
    // Lane k of every host (that has more than k sources), k = 0, 1, ...
    let lanes: Vec<usize> = (0..lanes_per_host.max(1))
        .flat_map(|k| {
            groups
                .iter()
                .enumerate()
                .filter(move |(_, (_, v))| v.len() > k)
                .map(|(g, _)| g)
        })
        .collect();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: std::sync::Mutex<Vec<Option<T>>> =
        std::sync::Mutex::new((0..sources.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..workers.clamp(1, lanes.len().max(1)) {
            scope.spawn(|| loop {
                let l = next.fetch_add(1, Ordering::Relaxed);
                let Some(&g) = lanes.get(l) else {
                    break;
                };
                let idxs = &groups[g].1;
                loop {
                    let k = cursors[g].fetch_add(1, Ordering::Relaxed);
                    let Some(&i) = idxs.get(k) else {
                        break;
                    };
                    let r = f(i);
                    results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_iter()
        .map(|r| r.expect("every source was run"))
        .collect()
}

/// Fetch many sources: hosts in parallel (up to `opts.parallel_hosts` lanes), the sources of
/// one host in order, on up to `opts.host_connections` lanes. A failing source never stops the others. With `opts.mirror` the mirror
/// is read instead of the network and the cache is filled from it (so later runs can go
/// offline); with `opts.offline` only the cache is consulted. A progress bar is drawn only when
/// stderr is a terminal. Over the network, the hosts are resolved first
/// ([`Fetcher::check_network`]): without a network the crawl ends at once, with
/// [`CrawlReport::network_down`] saying why.
pub fn crawl(sources: &[Source], opts: &CrawlOptions) -> CrawlReport {
    let start = Instant::now();
    let fetcher = Fetcher::new(opts);
    let cache = &fetcher.cache;
    cache.sweep_temporaries(Duration::from_secs(600));
    if let Err(why) = fetcher.check_network(sources) {
        tracing::debug!("{why}");
    }

    let bar = if opts.progress && std::io::stderr().is_terminal() {
        let pb = indicatif::ProgressBar::new(sources.len() as u64);
        if let Ok(style) =
            indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {wide_msg}")
        {
            pb.set_style(style);
        }
        crate::logging::attach(&pb);
        pb
    } else {
        indicatif::ProgressBar::hidden()
    };

    let reports = per_host(sources, opts.parallel_hosts, opts.host_connections, |i| {
        bar.set_message(sources[i].id.clone());
        let (r, _) = crawl_one(fetcher.session.as_ref(), cache, &sources[i], opts, false);
        bar.inc(1);
        r
    });
    bar.finish_and_clear();

    let mut totals = Totals {
        sources: reports.len(),
        ..Totals::default()
    };
    for r in &reports {
        match r.outcome {
            Outcome::Fetched => totals.fetched += 1,
            Outcome::Unchanged => totals.unchanged += 1,
            Outcome::Changed { .. } => totals.changed += 1,
            Outcome::FromCache => totals.from_cache += 1,
            Outcome::FromMirror => totals.from_mirror += 1,
            Outcome::Failed { .. } => totals.failed += 1,
            Outcome::Unavailable { .. } => totals.unavailable += 1,
        }
    }
    if let Some(s) = &fetcher.session {
        totals.requests = s.stats.requests.load(Ordering::Relaxed);
        totals.bytes = s.stats.bytes.load(Ordering::Relaxed);
    }
    totals.elapsed = start.elapsed();
    CrawlReport {
        sources: reports,
        totals,
        network_down: fetcher.network_down(),
    }
}

/// What the cache in `cache_dir` knows about each source (for `cyberlex sources`); reads
/// records only (objects are checked for presence and size, not hashed).
pub fn status(sources: &[Source], cache_dir: &Path) -> Vec<SourceStatus> {
    let cache = Cache::new(cache_dir);
    sources
        .iter()
        .map(|s| {
            let rec = cache.load_record(&s.id);
            let cached = rec.as_ref().is_some_and(|r| {
                r.sha256
                    .as_deref()
                    .is_some_and(|sha| cache.has_object(sha, r.bytes))
            });
            let sha = rec.as_ref().and_then(|r| r.sha256.clone());
            SourceStatus {
                id: s.id.clone(),
                cached,
                fetched_at: rec.as_ref().and_then(|r| r.fetched_at.clone()),
                bytes: rec.as_ref().filter(|r| r.sha256.is_some()).map(|r| r.bytes),
                sha256_matches: match (&sha, &s.sha256) {
                    (Some(a), Some(m)) => Some(a.eq_ignore_ascii_case(m)),
                    _ => None,
                },
                sha256: sha,
                last_outcome: rec.as_ref().map(|r| r.outcome),
                error: rec.as_ref().and_then(|r| r.error.clone()),
                final_url: rec.as_ref().map(|r| r.final_url.clone()),
            }
        })
        .collect()
}

fn is_text(format: Format) -> bool {
    !matches!(format, Format::Pdf | Format::TarGz)
}

fn manifest_match(source: &Source, sha: &str) -> Option<bool> {
    source.sha256.as_ref().map(|m| m.eq_ignore_ascii_case(sha))
}

fn provenance_of(record: &Record, origin: Origin, source: &Source) -> Provenance {
    let sha = record.sha256.clone().unwrap_or_default();
    Provenance {
        source_id: source.id.clone(),
        url: source.url.clone(),
        final_url: record.final_url.clone(),
        origin,
        bytes: record.bytes,
        sha256_matches: manifest_match(source, &sha),
        sha256: sha,
        fetched_at: record.fetched_at.clone().unwrap_or_default(),
        content_type: record.content_type.clone(),
        status: (record.status != 0).then_some(record.status),
        etag: record.etag.clone(),
        last_modified: record.last_modified.clone(),
        encoding: record.encoding.clone(),
    }
}

/// Outcome for bytes at hand with sha `sha`: `Changed` when the manifest disagrees, else `ok`.
fn judged(source: &Source, sha: &str, ok: Outcome) -> Outcome {
    match &source.sha256 {
        Some(m) if !m.eq_ignore_ascii_case(sha) => Outcome::Changed {
            expected: m.to_ascii_lowercase(),
            actual: sha.to_string(),
        },
        _ => ok,
    }
}

struct OneResult {
    outcome: Outcome,
    provenance: Option<Provenance>,
    warnings: Vec<String>,
    bytes: Option<Vec<u8>>,
}

impl OneResult {
    fn bare(outcome: Outcome) -> OneResult {
        OneResult {
            outcome,
            provenance: None,
            warnings: Vec::new(),
            bytes: None,
        }
    }
}

/// Crawl one source; the bytes come back only when `want_bytes`.
fn crawl_one(
    session: Option<&Session>,
    cache: &Cache,
    source: &Source,
    opts: &CrawlOptions,
    want_bytes: bool,
) -> (SourceReport, Option<Vec<u8>>) {
    let start = Instant::now();
    let mut r = if let Some(dir) = &opts.mirror {
        from_mirror(cache, source, dir)
    } else if let Some(session) = session {
        from_network(session, cache, source, want_bytes)
    } else {
        from_cache(cache, source, want_bytes)
    };
    if let Outcome::Changed { .. } = &r.outcome {
        r.warnings.push(format!(
            "{}; the manifest needs review before these bytes are used",
            r.outcome
        ));
    }
    for w in &r.warnings {
        tracing::warn!("{}: {w}", source.id);
    }
    let report = SourceReport {
        id: source.id.clone(),
        url: source.url.clone(),
        outcome: r.outcome,
        provenance: r.provenance,
        warnings: r.warnings,
        elapsed: start.elapsed(),
    };
    (report, r.bytes)
}

/// The cached record and object of `source`, when both are present.
fn cached_record(cache: &Cache, source: &Source) -> Option<Record> {
    cache.load_record(&source.id).filter(|r| {
        r.sha256
            .as_deref()
            .is_some_and(|sha| cache.has_object(sha, r.bytes))
    })
}

fn from_cache(cache: &Cache, source: &Source, want_bytes: bool) -> OneResult {
    let Some(rec) = cached_record(cache, source) else {
        return OneResult::bare(Outcome::Unavailable {
            reason: "offline, and not in the cache (crawl with a network first)".into(),
        });
    };
    let sha = rec.sha256.clone().unwrap_or_default();
    let bytes = if want_bytes {
        match cache.read_object(&sha) {
            Ok(b) => Some(b),
            Err(e) => {
                return OneResult::bare(Outcome::Failed {
                    reason: e.to_string(),
                })
            }
        }
    } else {
        None
    };
    OneResult {
        outcome: judged(source, &sha, Outcome::FromCache),
        provenance: Some(provenance_of(&rec, Origin::Cache, source)),
        warnings: Vec::new(),
        bytes,
    }
}

fn from_mirror(cache: &Cache, source: &Source, dir: &Path) -> OneResult {
    let fetched = match mirror::fetch(source, dir) {
        Ok(f) => f,
        Err(e @ CrawlError::NotInMirror { .. }) => {
            return OneResult::bare(Outcome::Unavailable {
                reason: e.to_string(),
            })
        }
        Err(e) => {
            return OneResult::bare(Outcome::Failed {
                reason: e.to_string(),
            })
        }
    };
    let mut warnings = Vec::new();
    let p = &fetched.provenance;
    let enc = is_text(source.format).then(|| charset::detect(&fetched.bytes, None));
    let prev = cache.load_record(&source.id);
    let up_to_date = prev.as_ref().is_some_and(|r| {
        r.sha256.as_deref() == Some(p.sha256.as_str())
            && r.outcome != RecordOutcome::Failed
            && cache.has_object(&p.sha256, p.bytes)
    });
    if !up_to_date {
        let record = Record {
            id: source.id.clone(),
            url: source.url.clone(),
            final_url: source.url.clone(),
            redirects: Vec::new(),
            status: 0,
            origin: Origin::Mirror,
            fetched_at: Some(p.fetched_at.clone()),
            etag: None,
            last_modified: None,
            content_type: None,
            content_encoding: None,
            encoding: enc.as_ref().map(|e| e.encoding.clone()),
            declared_charset: enc.as_ref().and_then(|e| e.declared.clone()),
            bytes: p.bytes,
            sha256: Some(p.sha256.clone()),
            manifest_sha256: source.sha256.clone(),
            sha256_matches: p.sha256_matches,
            outcome: if p.sha256_matches == Some(false) {
                RecordOutcome::Changed
            } else {
                RecordOutcome::Fetched
            },
            error: None,
            failed_at: None,
            warnings: Vec::new(),
        };
        if let Err(e) = cache
            .store_object(&fetched.bytes)
            .and_then(|_| cache.store_record(&record))
        {
            warnings.push(format!("could not write the cache: {e}"));
        }
    }
    let mut provenance = fetched.provenance;
    provenance.encoding = enc.map(|e| e.encoding);
    OneResult {
        outcome: judged(source, &provenance.sha256, Outcome::FromMirror),
        provenance: Some(provenance),
        warnings,
        bytes: None,
    }
}

fn from_network(session: &Session, cache: &Cache, source: &Source, want_bytes: bool) -> OneResult {
    let mut cached = cached_record(cache, source);
    let cond = cached
        .as_ref()
        .map(|r| Conditional {
            etag: r.etag.clone(),
            last_modified: r.last_modified.clone(),
        })
        .unwrap_or_default();
    let mut result = session.get(&source.url, &source.allow_hosts, &cond);
    if let (Ok(resp), Some(rec)) = (&result, &cached) {
        let sha = rec.sha256.clone().unwrap_or_default();
        if resp.status == 304 && want_bytes && cache.read_object(&sha).is_err() {
            // The cached copy is damaged: drop it and ask again, unconditionally.
            tracing::warn!(
                "{}: cached object {sha} is damaged; downloading again",
                source.id
            );
            let _ = std::fs::remove_file(cache.object_path(&sha));
            cached = None;
            result = session.get(&source.url, &source.allow_hosts, &Conditional::default());
        }
    }
    match result {
        Ok(resp) if resp.status == 304 => {
            let Some(mut rec) = cached else {
                return OneResult::bare(Outcome::Failed {
                    reason: "HTTP 304 without a cached copy".into(),
                });
            };
            let sha = rec.sha256.clone().unwrap_or_default();
            let mut warnings = Vec::new();
            if rec.outcome == RecordOutcome::Failed {
                rec.outcome = if manifest_match(source, &sha) == Some(false) {
                    RecordOutcome::Changed
                } else {
                    RecordOutcome::Unchanged
                };
                rec.error = None;
                rec.failed_at = None;
                if let Err(e) = cache.store_record(&rec) {
                    warnings.push(format!("could not write the cache record: {e}"));
                }
            }
            let bytes = if want_bytes {
                match cache.read_object(&sha) {
                    Ok(b) => Some(b),
                    Err(e) => {
                        return OneResult::bare(Outcome::Failed {
                            reason: e.to_string(),
                        })
                    }
                }
            } else {
                None
            };
            OneResult {
                outcome: judged(source, &sha, Outcome::Unchanged),
                provenance: Some(provenance_of(&rec, Origin::Cache, source)),
                warnings,
                bytes,
            }
        }
        Ok(resp) => stored(cache, source, cached, resp, want_bytes),
        Err(Failure::Unavailable(reason)) => OneResult::bare(Outcome::Unavailable { reason }),
        Err(Failure::NoNetwork(reason)) => {
            // Not a failure of this source: no record is written. The cached copy serves.
            if let (true, Some(prev)) = (want_bytes, &cached) {
                let sha = prev.sha256.clone().unwrap_or_default();
                if let Ok(bytes) = cache.read_object(&sha) {
                    return OneResult {
                        outcome: judged(source, &sha, Outcome::FromCache),
                        provenance: Some(provenance_of(prev, Origin::Cache, source)),
                        // One line for the whole run says so (the caller prints it).
                        warnings: Vec::new(),
                        bytes: Some(bytes),
                    };
                }
            }
            OneResult::bare(Outcome::Failed { reason })
        }
        Err(Failure::Failed(reason)) => {
            let mut rec = cache
                .load_record(&source.id)
                .unwrap_or_else(|| Record::failed(&source.id, &source.url, reason.clone()));
            rec.outcome = RecordOutcome::Failed;
            rec.error = Some(reason.clone());
            rec.failed_at = Some(now_rfc3339());
            let mut warnings = Vec::new();
            if let Err(e) = cache.store_record(&rec) {
                warnings.push(format!("could not write the cache record: {e}"));
            }
            // `fetch` falls back to a cached copy; `crawl` reports the failure.
            if want_bytes {
                if let Some(prev) = &cached {
                    if let Ok(bytes) = cache.read_object(prev.sha256.as_deref().unwrap_or_default())
                    {
                        warnings.push(format!(
                            "{reason}; using the cached copy of {}",
                            prev.fetched_at.as_deref().unwrap_or("?")
                        ));
                        let sha = prev.sha256.clone().unwrap_or_default();
                        return OneResult {
                            outcome: judged(source, &sha, Outcome::FromCache),
                            provenance: Some(provenance_of(prev, Origin::Cache, source)),
                            warnings,
                            bytes: Some(bytes),
                        };
                    }
                }
            }
            OneResult {
                outcome: Outcome::Failed { reason },
                provenance: None,
                warnings,
                bytes: None,
            }
        }
    }
}

/// A 2xx body: store it (unless it is the cached copy already) and judge it.
fn stored(
    cache: &Cache,
    source: &Source,
    cached: Option<Record>,
    resp: client::Response,
    want_bytes: bool,
) -> OneResult {
    let mut warnings = Vec::new();
    let mut body = resp.body;
    let mut content_encoding = resp.content_encoding;
    if let (Some(raw), Some(m)) = (resp.raw, &source.sha256) {
        // A `.tar.gz` served with `Content-Encoding: gzip` is the classic case: the manifest's
        // hash is of the bytes as served.
        if !sha256_hex(&body).eq_ignore_ascii_case(m) && sha256_hex(&raw).eq_ignore_ascii_case(m) {
            warnings.push(format!(
                "served with Content-Encoding `{}`, but the manifest's sha256 is of the encoded bytes: kept as served",
                content_encoding.as_deref().unwrap_or("")
            ));
            body = raw;
            content_encoding = None;
        }
    }
    let sha = sha256_hex(&body);
    let matches = manifest_match(source, &sha);
    let enc = is_text(source.format).then(|| charset::detect(&body, resp.content_type.as_deref()));
    if let Some(w) = enc.as_ref().and_then(|e| e.warning.clone()) {
        warnings.push(w);
    }
    let same_bytes = cached
        .as_ref()
        .is_some_and(|r| r.sha256.as_deref() == Some(sha.as_str()));
    let record_current = cached.as_ref().is_some_and(|r| {
        same_bytes
            && r.outcome != RecordOutcome::Failed
            && r.etag == resp.etag
            && r.last_modified == resp.last_modified
            && r.final_url == resp.final_url
    });
    let record = if record_current {
        cached
            .clone()
            .unwrap_or_else(|| Record::failed(&source.id, &source.url, String::new()))
    } else {
        let keep_time = same_bytes
            .then(|| cached.as_ref().and_then(|r| r.fetched_at.clone()))
            .flatten();
        let record = Record {
            id: source.id.clone(),
            url: source.url.clone(),
            final_url: resp.final_url.clone(),
            redirects: resp.redirects.clone(),
            status: resp.status,
            origin: Origin::Network,
            fetched_at: Some(keep_time.unwrap_or_else(now_rfc3339)),
            etag: resp.etag.clone(),
            last_modified: resp.last_modified.clone(),
            content_type: resp.content_type.clone(),
            content_encoding,
            encoding: enc.as_ref().map(|e| e.encoding.clone()),
            declared_charset: enc.as_ref().and_then(|e| e.declared.clone()),
            bytes: body.len() as u64,
            sha256: Some(sha.clone()),
            manifest_sha256: source.sha256.clone(),
            sha256_matches: matches,
            outcome: match (matches, same_bytes) {
                (Some(false), _) => RecordOutcome::Changed,
                (_, true) => RecordOutcome::Unchanged,
                _ => RecordOutcome::Fetched,
            },
            error: None,
            failed_at: None,
            warnings: warnings.clone(),
        };
        if let Err(e) = cache
            .store_object(&body)
            .and_then(|_| cache.store_record(&record))
        {
            return OneResult {
                outcome: Outcome::Failed {
                    reason: format!("could not write the cache {}: {e}", cache.root().display()),
                },
                provenance: None,
                warnings,
                bytes: None,
            };
        }
        record
    };
    let provenance = provenance_of(&record, Origin::Network, source);
    let ok = if same_bytes {
        Outcome::Unchanged
    } else {
        Outcome::Fetched
    };
    OneResult {
        outcome: judged(source, &sha, ok),
        provenance: Some(provenance),
        warnings,
        bytes: want_bytes.then_some(body),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totals_read_well() {
        let t = Totals {
            sources: 86,
            fetched: 83,
            failed: 3,
            requests: 87,
            bytes: 45_100_000,
            elapsed: Duration::from_millis(1720),
            ..Totals::default()
        };
        assert_eq!(
            t.to_string(),
            "86 sources: 83 fetched, 3 failed; 87 requests, 45.1 MB in 1.7 s"
        );
        assert_eq!(
            Totals::default().to_string(),
            "0 sources: none; 0 requests, 0.0 MB in 0.0 s"
        );
    }

    #[test]
    fn rfc3339() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
