//! The HTTP side of a crawl: one GET of one source, politely.
//!
//! Per hop: the host's robots.txt (asked once per run) must allow the path; the host's turn is
//! awaited (min delay or Crawl-delay since its last request; requests to one host never overlap);
//! the request is retried with exponential backoff and jitter on timeouts, connection errors,
//! 429 and 5xx (honouring `Retry-After` up to `retry_after_cap`); redirects are followed by hand,
//! up to `max_redirects`, with loop detection and the redirect host policy
//! ([`super::url::redirect_allowed`]). The body is capped at `max_body_bytes` and decoded
//! (`gzip`, `deflate`, `br`) with a cap of `max_decompressed_bytes` and `max_compression_ratio`.
//!
//! Giving up on the slow: a body arriving slower than `min_transfer_rate` over `rate_window`
//! fails the attempt, as do `read_timeout` of silence and the `total_timeout` deadline. Such a
//! **stall is never retried** (the same server would stall the same way, each try costing a full
//! limit), and a host that stalls `max_host_stalls` requests in a row per connection is not asked again in the
//! run. The `Retry-After` waits of one source add up against `retry_after_budget`. robots.txt is
//! read up to `max_robots_bytes`; the rest is ignored, as Google's parser does.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use super::net::Net;
use super::politeness::{backoff_delay, parse_retry_after, random_unit, Hosts};
use super::robots::{Robots, Verdict};
use super::url::{redirect_allowed, Url};
use super::CrawlOptions;

/// Why a source could not be fetched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// Tried, and it went wrong.
    Failed(String),
    /// Deliberately not tried (robots.txt).
    Unavailable(String),
    /// Not tried: the network is down for this run (no host resolves or answers).
    NoNetwork(String),
}

/// Validators of the cached copy, for a conditional request.
#[derive(Debug, Clone, Default)]
pub(crate) struct Conditional {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

impl Conditional {
    pub fn is_some(&self) -> bool {
        self.etag.is_some() || self.last_modified.is_some()
    }
}

/// The final response of a GET (2xx or 304), body decoded.
#[derive(Debug, Clone)]
pub(crate) struct Response {
    pub status: u16,
    pub final_url: String,
    /// URLs that redirected, in order.
    pub redirects: Vec<String>,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub content_type: Option<String>,
    pub content_encoding: Option<String>,
    /// The body after Content-Encoding decoding.
    pub body: Vec<u8>,
    /// The body as received, when it was encoded.
    pub raw: Option<Vec<u8>>,
}

/// Counters of one session.
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub requests: AtomicU64,
    /// Body bytes received (as on the wire, before decoding).
    pub bytes: AtomicU64,
}

/// One answer to one request (before redirects are followed).
struct Hop {
    status: u16,
    location: Option<String>,
    retry_after: Option<String>,
    etag: Option<String>,
    last_modified: Option<String>,
    content_type: Option<String>,
    content_encoding: Option<String>,
    body: Vec<u8>,
}

struct AttemptError {
    reason: String,
    retryable: bool,
    /// A time limit ran out (silence, too slow, deadline): never retried.
    stall: bool,
    /// The host could not be connected to (DNS, refused, unreachable, connect timeout).
    connect: bool,
}

impl AttemptError {
    fn fatal(reason: String) -> AttemptError {
        AttemptError {
            reason,
            retryable: false,
            stall: false,
            connect: false,
        }
    }
}

/// How robots.txt of a host turned out: its rules, or the host could not be reached at all.
type RobotsEntry = Result<Arc<Robots>, String>;

/// The robots.txt of every host of a run, asked once.
#[derive(Debug, Default)]
pub(crate) struct RobotsCache {
    map: Mutex<HashMap<String, Arc<OnceLock<RobotsEntry>>>>,
}

/// The state shared by all fetches of a run: per-host politeness and robots.txt.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub hosts: Hosts,
    pub robots: RobotsCache,
    pub net: Net,
}

/// An HTTP client configured from [`CrawlOptions`].
pub(crate) struct Session {
    agent: ureq::Agent,
    shared: Arc<Shared>,
    opts: CrawlOptions,
    agent_token: String,
    pub stats: Stats,
}

impl Session {
    pub fn new(opts: &CrawlOptions, shared: Arc<Shared>) -> Session {
        let config = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .user_agent(opts.user_agent.as_str())
            .accept_encoding("gzip, deflate, br")
            .timeout_connect(Some(opts.connect_timeout))
            .timeout_per_read(Some(opts.read_timeout))
            .timeout_recv_response(Some(opts.read_timeout))
            .timeout_recv_body(Some(opts.total_timeout))
            .timeout_global(Some(opts.total_timeout))
            .build();
        Session {
            agent: ureq::Agent::new_with_config(config),
            shared,
            agent_token: opts.robots_token(),
            opts: opts.clone(),
            stats: Stats::default(),
        }
    }

    /// The state shared by the fetches of this run.
    pub fn shared(&self) -> &Shared {
        &self.shared
    }

    /// GET `url` following redirects; `allow_hosts` are the hosts besides the URL's own that
    /// redirects may lead to. A 304 comes back as a `Response` with status 304 and no body.
    pub fn get(
        &self,
        url: &str,
        allow_hosts: &[String],
        cond: &Conditional,
    ) -> Result<Response, Failure> {
        let source = Url::parse(url)
            .ok_or_else(|| Failure::Failed(format!("`{url}` is not an http(s) URL")))?;
        let mut current = source.clone();
        let mut chain: Vec<String> = Vec::new();
        // `Retry-After` waits of this source, all hops together.
        let mut budget = self.opts.retry_after_budget;
        loop {
            if let Some(why) = self.shared.net.down() {
                return Err(Failure::NoNetwork(why.to_string()));
            }
            self.check_robots(&current)?;
            let hop = self.with_retries(&current, cond, &mut budget)?;
            match hop.status {
                301 | 302 | 303 | 307 | 308 => {
                    let here = current.to_string();
                    let loc = hop.location.ok_or_else(|| {
                        Failure::Failed(format!("HTTP {} from {here} without Location", hop.status))
                    })?;
                    let next = current.join(&loc).ok_or_else(|| {
                        Failure::Failed(format!(
                            "redirect from {here} to unusable Location `{loc}`"
                        ))
                    })?;
                    chain.push(here);
                    let next_s = next.to_string();
                    if chain.contains(&next_s) {
                        return Err(Failure::Failed(format!(
                            "redirect loop: {} → {next_s}",
                            chain.join(" → ")
                        )));
                    }
                    if chain.len() > self.opts.max_redirects as usize {
                        return Err(Failure::Failed(format!(
                            "too many redirects (more than max_redirects = {}): {} → {next_s}",
                            self.opts.max_redirects,
                            chain.join(" → ")
                        )));
                    }
                    redirect_allowed(&source, allow_hosts, &next).map_err(Failure::Failed)?;
                    current = next;
                }
                304 => {
                    if !cond.is_some() {
                        return Err(Failure::Failed(format!(
                            "HTTP 304 from {current} to a request that was not conditional"
                        )));
                    }
                    return Ok(Response {
                        status: 304,
                        final_url: current.to_string(),
                        redirects: chain,
                        etag: hop.etag,
                        last_modified: hop.last_modified,
                        content_type: hop.content_type,
                        content_encoding: None,
                        body: Vec::new(),
                        raw: None,
                    });
                }
                200..=299 => {
                    let body = decode_content(
                        &hop.body,
                        hop.content_encoding.as_deref(),
                        self.decoded_limit(hop.body.len()),
                    )
                    .map_err(Failure::Failed)?;
                    let (body, raw) = match body {
                        Some(decoded) => (decoded, Some(hop.body)),
                        None => (hop.body, None),
                    };
                    return Ok(Response {
                        status: hop.status,
                        final_url: current.to_string(),
                        redirects: chain,
                        etag: hop.etag,
                        last_modified: hop.last_modified,
                        content_type: hop.content_type,
                        content_encoding: hop.content_encoding,
                        body,
                        raw,
                    });
                }
                s => {
                    return Err(Failure::Failed(format!(
                        "HTTP {s}{} from {current}",
                        reason_phrase(s)
                    )))
                }
            }
        }
    }

    /// The most decoded bytes accepted for `received` encoded ones: `max_decompressed_bytes`,
    /// and beyond 1 MiB no more than `max_compression_ratio` times what was received (a
    /// 900 MB gzip bomb sent as 900 KB stops at 90 MB with the default ratio of 100).
    fn decoded_limit(&self, received: usize) -> DecodeLimit {
        let ratio = self.opts.max_compression_ratio;
        let by_ratio = (received as u64).saturating_mul(ratio).max(1 << 20);
        DecodeLimit {
            max: self
                .opts
                .max_decompressed_bytes
                .min(if ratio == 0 { u64::MAX } else { by_ratio }),
            max_decompressed_bytes: self.opts.max_decompressed_bytes,
            ratio,
            received: received as u64,
        }
    }

    /// The robots.txt rules of `url`'s host (fetched on first use), applied to its path.
    fn check_robots(&self, url: &Url) -> Result<(), Failure> {
        if url.path == "/robots.txt" {
            return Ok(());
        }
        let robots = self.robots_for(url)?;
        match robots.check(&url.path) {
            Verdict::Allowed => Ok(()),
            Verdict::Disallowed(why) => Err(Failure::Unavailable(format!(
                "{url} is disallowed for us by {}: {why}",
                url.robots_url()
            ))),
        }
    }

    /// The robots.txt of `url`'s host, asked once per run; `Err` when the host cannot be
    /// reached at all (its name does not resolve, or no connection): a network problem, which
    /// is reported as such rather than as a robots.txt verdict.
    fn robots_for(&self, url: &Url) -> Result<Arc<Robots>, Failure> {
        let authority = url.authority();
        let cell = {
            let mut map = self
                .shared
                .robots
                .map
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            map.entry(authority.clone()).or_default().clone()
        };
        let entry = cell
            .get_or_init(|| {
                let host_port = format!("{}:{}", url.host, url.port.unwrap_or(url.default_port()));
                if let Err(e) = self
                    .shared
                    .net
                    .resolve(&host_port, self.opts.connect_timeout)
                {
                    let reason = format!("cannot resolve {}: {e}", url.host);
                    self.shared.net.unreachable(&authority, &reason);
                    return Err(reason);
                }
                self.fetch_robots(url).map(Arc::new)
            })
            .clone();
        let robots = match entry {
            Ok(r) => r,
            Err(reason) => {
                return Err(match self.shared.net.down() {
                    Some(why) => Failure::NoNetwork(why.to_string()),
                    None => Failure::Failed(reason),
                })
            }
        };
        let host = self.shared.hosts.slot(&authority);
        host.state().delay = robots.delay(self.opts.min_host_delay, self.opts.max_crawl_delay);
        Ok(robots)
    }

    /// Fetch and interpret robots.txt: 2xx parsed (its first `max_robots_bytes` only), 4xx
    /// allow all, 5xx or a stall (after the retries) disallow all for this run; `Err` when the
    /// host cannot be connected to at all. Redirects are followed (up to 5, any host:
    /// RFC 9309 §2.3.1.2).
    fn fetch_robots(&self, url: &Url) -> Result<Robots, String> {
        let mut current = match Url::parse(&url.robots_url()) {
            Some(u) => u,
            None => return Ok(Robots::allow_all("no robots.txt URL")),
        };
        let cap = self.opts.max_robots_bytes;
        for _ in 0..=5 {
            let mut budget = self.opts.retry_after_budget;
            match self.attempts(&current, &Conditional::default(), &mut budget, Some(cap)) {
                Ok(hop) if (300..400).contains(&hop.status) => {
                    match hop.location.as_deref().and_then(|l| current.join(l)) {
                        Some(next) => current = next,
                        None => {
                            return Ok(Robots::allow_all(format!(
                                "robots.txt redirect without usable Location ({}): all allowed",
                                hop.status
                            )))
                        }
                    }
                }
                Ok(hop) => {
                    let limit = DecodeLimit {
                        max: cap,
                        max_decompressed_bytes: cap,
                        ratio: 0,
                        received: hop.body.len() as u64,
                    };
                    let mut body =
                        match decode_content(&hop.body, hop.content_encoding.as_deref(), limit) {
                            Ok(Some(b)) => b,
                            // Over the cap once decoded: the first `cap` bytes are kept.
                            Err(_) if hop.content_encoding.is_some() => {
                                decode_prefix(&hop.body, hop.content_encoding.as_deref(), cap)
                            }
                            _ => hop.body,
                        };
                    if body.len() as u64 >= cap {
                        // Beyond the cap nothing counts; a line cut in the middle neither.
                        body.truncate(cap as usize);
                        let end = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
                        body.truncate(end);
                        tracing::info!(
                            "{current}: robots.txt longer than max_robots_bytes ({cap}): the rest ignored"
                        );
                    }
                    return Ok(Robots::from_status(hop.status, &body, &self.agent_token));
                }
                // Down meanwhile (another host decided it): a network problem, not a verdict.
                Err(e) if !e.connect && self.shared.net.down().is_some() => return Err(e.reason),
                Err(e) if e.connect => {
                    let reason = format!("cannot connect to {}: {}", current.authority(), e.reason);
                    self.shared.net.unreachable(&current.authority(), &reason);
                    return Err(reason);
                }
                Err(e) => {
                    return Ok(Robots::disallow_all(format!(
                        "robots.txt unreachable ({}): host treated as disallowed for this run",
                        e.reason
                    )))
                }
            }
        }
        Ok(Robots::allow_all(
            "robots.txt redirects too often: all allowed",
        ))
    }

    /// One request, retried on connection errors, 429 and 5xx (never after a stall).
    fn with_retries(
        &self,
        url: &Url,
        cond: &Conditional,
        budget: &mut Duration,
    ) -> Result<Hop, Failure> {
        self.attempts(url, cond, budget, None).map_err(|e| {
            if e.connect {
                self.shared.net.unreachable(&url.authority(), &e.reason);
                if let Some(why) = self.shared.net.down() {
                    return Failure::NoNetwork(why.to_string());
                }
            }
            Failure::Failed(e.reason)
        })
    }

    /// The attempts of one request; `truncate_at`: read at most this many body bytes and keep
    /// them (robots.txt) instead of refusing a longer body.
    fn attempts(
        &self,
        url: &Url,
        cond: &Conditional,
        budget: &mut Duration,
        truncate_at: Option<u64>,
    ) -> Result<Hop, AttemptError> {
        let mut attempt = 0u32;
        loop {
            if let Some(why) = self.shared.net.down() {
                return Err(AttemptError::fatal(why.to_string()));
            }
            let (reason, retry_after, connect) = match self.send_polite(url, cond, truncate_at) {
                Ok(hop) if hop.status == 429 || (500..=599).contains(&hop.status) => {
                    let reason = format!(
                        "HTTP {}{} from {url}",
                        hop.status,
                        reason_phrase(hop.status)
                    );
                    let ra = hop
                        .retry_after
                        .as_deref()
                        .and_then(|v| parse_retry_after(v, SystemTime::now()));
                    if let Some(ra) = ra {
                        if ra > self.opts.retry_after_cap {
                            return Err(AttemptError::fatal(format!(
                                "{reason} with Retry-After {}s, more than retry_after_cap ({}s): not retrying",
                                ra.as_secs(),
                                self.opts.retry_after_cap.as_secs_f64()
                            )));
                        }
                        if ra > *budget {
                            return Err(AttemptError::fatal(format!(
                                "{reason} with Retry-After {}s, more than is left of this source's retry_after_budget ({:.0}s of {:.0}s): not retrying",
                                ra.as_secs(),
                                budget.as_secs_f64(),
                                self.opts.retry_after_budget.as_secs_f64()
                            )));
                        }
                        *budget -= ra;
                        // The whole host is asked to wait, not just this source.
                        let host = self.shared.hosts.slot(&url.authority());
                        host.state().not_before = Some(Instant::now() + ra);
                    }
                    (reason, ra, false)
                }
                Ok(hop) => return Ok(hop),
                Err(e) if e.retryable && !e.stall => (e.reason, None, e.connect),
                Err(e) => return Err(e),
            };
            if attempt >= self.opts.max_retries {
                return Err(AttemptError {
                    reason: format!(
                        "{reason} (gave up after {} attempt{})",
                        attempt + 1,
                        if attempt == 0 { "" } else { "s" }
                    ),
                    retryable: false,
                    stall: false,
                    connect,
                });
            }
            let wait = backoff_delay(
                attempt,
                self.opts.backoff_base,
                self.opts.backoff_cap,
                random_unit(),
            )
            .max(retry_after.unwrap_or_default());
            tracing::debug!("{reason}; retrying in {wait:?}");
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// Take one of the host's connections (`host_connections`), wait for its turn (starts at
    /// least the host's delay apart), then send. A host that stalled `max_host_stalls`
    /// requests in a row is not asked again.
    fn send_polite(
        &self,
        url: &Url,
        cond: &Conditional,
        truncate_at: Option<u64>,
    ) -> Result<Hop, AttemptError> {
        let host = self.shared.hosts.slot(&url.authority());
        let _connection = host.connection(self.opts.host_connections);
        {
            let mut st = host.state();
            // `max_host_stalls` per connection: with two, a drip and a stall that happen to
            // overlap are not yet a host that never answers.
            let max_stalls = self
                .opts
                .max_host_stalls
                .saturating_mul(self.opts.host_connections.max(1) as u32);
            if max_stalls > 0 && st.stalls >= max_stalls {
                return Err(AttemptError {
                    reason: format!(
                        "{} stalled on {} requests in a row (max_host_stalls on each of its connections): not asked again in this run",
                        url.authority(),
                        st.stalls
                    ),
                    retryable: false,
                    stall: true,
                    connect: false,
                });
            }
            st.delay = st.delay.max(self.opts.min_host_delay);
            // Waiting with the state held: whoever waits next waits for this one's start.
            st.wait_turn();
            // The delay runs from this request's start (as Scrapy's DOWNLOAD_DELAY does):
            // requests to the host still start at least `delay` apart, and a request that took
            // longer than the delay (a slow body, a stall cut by the read timeout) is not
            // followed by a wait on top of the time the host was already given.
            st.last_request = Some(Instant::now());
        }
        let result = self.send(url, cond, truncate_at);
        let mut st = host.state();
        match &result {
            Ok(_) => {
                st.stalls = 0;
                self.shared.net.reached();
            }
            Err(e) if e.stall => st.stalls += 1,
            Err(_) => {}
        }
        result
    }

    fn send(
        &self,
        url: &Url,
        cond: &Conditional,
        truncate_at: Option<u64>,
    ) -> Result<Hop, AttemptError> {
        let mut req = self.agent.get(url.to_request_string());
        if let Some(e) = &cond.etag {
            req = req.header("If-None-Match", e.as_str());
        }
        if let Some(lm) = &cond.last_modified {
            req = req.header("If-Modified-Since", lm.as_str());
        }
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let resp = req.call().map_err(|e| classify(e, url))?;
        let status = resp.status().as_u16();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.trim().to_string())
        };
        let mut hop = Hop {
            status,
            location: header("location"),
            retry_after: header("retry-after"),
            etag: header("etag"),
            last_modified: header("last-modified"),
            content_type: header("content-type"),
            content_encoding: header("content-encoding"),
            body: Vec::new(),
        };
        let content_length = header("content-length").and_then(|v| v.parse::<u64>().ok());
        if (200..300).contains(&status) {
            let max = truncate_at.unwrap_or(self.opts.max_body_bytes);
            if let (Some(len), None) = (content_length, truncate_at) {
                if len > max {
                    return Err(AttemptError::fatal(format!(
                        "body of {len} bytes (Content-Length) exceeds max_body_bytes ({max}) at {url}: refused"
                    )));
                }
            }
            let reader = resp.into_body().into_with_config().limit(u64::MAX).reader();
            let mut reader =
                RateGuard::new(reader, self.opts.min_transfer_rate, self.opts.rate_window);
            let mut buf = Vec::new();
            let read = (&mut reader).take(max + 1).read_to_end(&mut buf);
            self.stats
                .bytes
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            if let Err(e) = read {
                return Err(classify_io(e, url));
            }
            if buf.len() as u64 > max {
                if truncate_at.is_some() {
                    buf.truncate(max as usize);
                } else {
                    return Err(AttemptError::fatal(format!(
                        "body exceeds max_body_bytes ({max}) at {url}: refused after {} bytes",
                        buf.len()
                    )));
                }
            }
            hop.body = buf;
        } else if !(300..400).contains(&status) {
            // Error bodies (robots.txt 404 pages, 5xx pages) are read only a little.
            let mut reader = resp.into_body().into_with_config().limit(u64::MAX).reader();
            let mut sink = Vec::new();
            let _ = (&mut reader).take(64 * 1024).read_to_end(&mut sink);
            self.stats
                .bytes
                .fetch_add(sink.len() as u64, Ordering::Relaxed);
        }
        Ok(hop)
    }
}

/// A stall: the attempt is over and is not retried.
fn stalled(reason: String) -> AttemptError {
    AttemptError {
        reason: format!("{reason}: stalled, not retrying"),
        retryable: false,
        stall: true,
        connect: false,
    }
}

fn classify(e: ureq::Error, url: &Url) -> AttemptError {
    match e {
        ureq::Error::Timeout(t) => {
            let connect = matches!(t, ureq::Timeout::Connect | ureq::Timeout::Resolve);
            AttemptError {
                connect,
                ..stalled(format!("timed out ({t} timeout) fetching {url}"))
            }
        }
        ureq::Error::Io(io) => classify_io(io, url),
        e @ (ureq::Error::ConnectionFailed | ureq::Error::HostNotFound) => AttemptError {
            reason: format!("connection failed fetching {url}: {e}"),
            retryable: true,
            stall: false,
            connect: true,
        },
        e @ ureq::Error::Protocol(_) => AttemptError {
            reason: format!("connection failed fetching {url}: {e}"),
            retryable: true,
            stall: false,
            connect: false,
        },
        e => AttemptError::fatal(format!("fetching {url} failed: {e}")),
    }
}

fn classify_io(e: std::io::Error, url: &Url) -> AttemptError {
    let inner = e.get_ref();
    if let Some(ureq::Error::Timeout(t)) = inner.and_then(|i| i.downcast_ref::<ureq::Error>()) {
        return stalled(format!("timed out ({t} timeout) reading the body of {url}"));
    }
    if let Some(slow) = inner.and_then(|i| i.downcast_ref::<TooSlow>()) {
        return stalled(format!("{slow} at {url}"));
    }
    use std::io::ErrorKind as K;
    let (reason, connect) = match e.kind() {
        K::TimedOut | K::WouldBlock => {
            return stalled(format!("timed out fetching {url}: {e}"));
        }
        K::ConnectionReset => (format!("connection reset by {url}: {e}"), false),
        K::ConnectionRefused => (format!("connection refused by {url}: {e}"), true),
        K::HostUnreachable | K::NetworkUnreachable | K::NetworkDown | K::AddrNotAvailable => {
            (format!("cannot connect to {url}: {e}"), true)
        }
        K::UnexpectedEof => (format!("connection closed early by {url}: {e}"), false),
        // Name resolution errors come from the standard library as uncategorised I/O errors.
        _ if e.to_string().contains("lookup address") => {
            (format!("cannot resolve the host of {url}: {e}"), true)
        }
        _ => (format!("connection error fetching {url}: {e}"), false),
    };
    AttemptError {
        reason,
        retryable: true,
        stall: false,
        connect,
    }
}

/// A body arriving slower than the minimum transfer rate.
#[derive(Debug)]
struct TooSlow {
    bytes: u64,
    window: Duration,
    min_rate: u64,
}

impl std::fmt::Display for TooSlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "too slow: {} bytes in {:.1} s, below min_transfer_rate ({} bytes/s over rate_window {:.0} s)",
            self.bytes,
            self.window.as_secs_f64(),
            self.min_rate,
            self.window.as_secs_f64()
        )
    }
}

impl std::error::Error for TooSlow {}

/// Fails a read once a whole `window` has brought fewer than `min_rate × window` bytes
/// (windows follow each other; `min_rate` 0 disables the check).
struct RateGuard<R> {
    inner: R,
    min_rate: u64,
    window: Duration,
    started: Instant,
    bytes: u64,
}

impl<R: Read> RateGuard<R> {
    fn new(inner: R, min_rate: u64, window: Duration) -> RateGuard<R> {
        RateGuard {
            inner,
            min_rate,
            window,
            started: Instant::now(),
            bytes: 0,
        }
    }
}

impl<R: Read> Read for RateGuard<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.bytes += n as u64;
        let elapsed = self.started.elapsed();
        if self.min_rate > 0 && !self.window.is_zero() && elapsed >= self.window {
            let wanted = self.min_rate as f64 * elapsed.as_secs_f64();
            if (self.bytes as f64) < wanted && n > 0 {
                return Err(std::io::Error::other(TooSlow {
                    bytes: self.bytes,
                    window: elapsed,
                    min_rate: self.min_rate,
                }));
            }
            self.started = Instant::now();
            self.bytes = 0;
        }
        Ok(n)
    }
}

fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => " Bad Request",
        401 => " Unauthorized",
        403 => " Forbidden",
        404 => " Not Found",
        410 => " Gone",
        429 => " Too Many Requests",
        500 => " Internal Server Error",
        502 => " Bad Gateway",
        503 => " Service Unavailable",
        504 => " Gateway Timeout",
        _ => "",
    }
}

/// How many decoded bytes [`decode_content`] accepts, and why (for the message).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DecodeLimit {
    /// The limit applied.
    pub max: u64,
    pub max_decompressed_bytes: u64,
    /// `max_compression_ratio` (0: none).
    pub ratio: u64,
    /// Encoded bytes received.
    pub received: u64,
}

impl From<u64> for DecodeLimit {
    fn from(max: u64) -> DecodeLimit {
        DecodeLimit {
            max,
            max_decompressed_bytes: max,
            ratio: 0,
            received: 0,
        }
    }
}

/// The first `cap` decoded bytes of a body (robots.txt beyond its cap), ignoring errors.
fn decode_prefix(body: &[u8], content_encoding: Option<&str>, cap: u64) -> Vec<u8> {
    let mut out = Vec::new();
    let c = content_encoding.unwrap_or("").trim().to_ascii_lowercase();
    let r: Box<dyn Read> = match c.as_str() {
        "gzip" | "x-gzip" => Box::new(flate2::read::MultiGzDecoder::new(body)),
        "deflate" => Box::new(flate2::read::ZlibDecoder::new(body)),
        "br" => Box::new(brotli::Decompressor::new(body, 4096)),
        _ => return Vec::new(),
    };
    let _ = r.take(cap).read_to_end(&mut out);
    out
}

/// Undo `Content-Encoding` (a list, applied in order, so undone in reverse): `gzip`/`x-gzip`,
/// `deflate` (zlib, or raw deflate as some servers send), `br`. `None` when nothing was encoded.
/// More than `limit.max` decoded bytes is refused as a decompression bomb, as soon as the
/// decoder passes it (nothing beyond it is held).
pub(crate) fn decode_content(
    body: &[u8],
    content_encoding: Option<&str>,
    limit: impl Into<DecodeLimit>,
) -> Result<Option<Vec<u8>>, String> {
    let limit = limit.into();
    let codings: Vec<String> = content_encoding
        .unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .filter(|c| !c.is_empty() && c != "identity")
        .collect();
    if codings.is_empty() {
        return Ok(None);
    }
    let mut data = body.to_vec();
    for c in codings.iter().rev() {
        data = match c.as_str() {
            "gzip" | "x-gzip" => {
                read_capped(flate2::read::MultiGzDecoder::new(&data[..]), limit, c)?
            }
            "deflate" => match read_capped(flate2::read::ZlibDecoder::new(&data[..]), limit, c) {
                Ok(d) => d,
                Err(e) if e.contains("max_decompressed_bytes") => return Err(e),
                Err(_) => read_capped(flate2::read::DeflateDecoder::new(&data[..]), limit, c)?,
            },
            "br" => read_capped(brotli::Decompressor::new(&data[..], 4096), limit, c)?,
            other => return Err(format!("unsupported Content-Encoding `{other}`")),
        };
    }
    Ok(Some(data))
}

fn read_capped(r: impl Read, limit: DecodeLimit, coding: &str) -> Result<Vec<u8>, String> {
    let max = limit.max;
    let mut out = Vec::new();
    r.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decode the {coding} body: {e}"))?;
    if out.len() as u64 > max {
        let why = if max < limit.max_decompressed_bytes {
            format!(
                "more than max_compression_ratio ({}) × the {} bytes received, {max} bytes (max_decompressed_bytes is {})",
                limit.ratio, limit.received, limit.max_decompressed_bytes
            )
        } else {
            format!("more than max_decompressed_bytes ({max} bytes)")
        };
        return Err(format!(
            "{coding} body decompresses to {why}: refused as a decompression bomb before anything is cached"
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn decodes_gzip_deflate_brotli_and_chains() {
        let text = b"Article 2 - Illegal access. Each Party shall adopt invented measures.";
        assert_eq!(decode_content(text, None, 1000).unwrap(), None);
        assert_eq!(decode_content(text, Some("identity"), 1000).unwrap(), None);
        assert_eq!(
            decode_content(&gzip(text), Some("gzip"), 1000)
                .unwrap()
                .unwrap(),
            text
        );
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(text).unwrap();
        let z = z.finish().unwrap();
        assert_eq!(
            decode_content(&z, Some("deflate"), 1000).unwrap().unwrap(),
            text
        );
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(text).unwrap();
        let raw = raw.finish().unwrap();
        assert_eq!(
            decode_content(&raw, Some("deflate"), 1000)
                .unwrap()
                .unwrap(),
            text
        );
        let mut br = Vec::new();
        {
            let mut w = brotli::CompressorWriter::new(&mut br, 4096, 5, 22);
            w.write_all(text).unwrap();
        }
        assert_eq!(
            decode_content(&br, Some("br"), 1000).unwrap().unwrap(),
            text
        );
        let both = gzip(&br);
        assert_eq!(
            decode_content(&both, Some("br, gzip"), 1000)
                .unwrap()
                .unwrap(),
            text
        );
        let e = decode_content(text, Some("compress"), 1000).unwrap_err();
        assert!(e.contains("unsupported"), "{e}");
        let e = decode_content(text, Some("gzip"), 1000).unwrap_err();
        assert!(e.contains("cannot decode"), "{e}");
    }

    #[test]
    fn refuses_decompression_bombs() {
        let bomb = gzip(&vec![0u8; 10 << 20]);
        assert!(bomb.len() < 64 << 10);
        let e = decode_content(&bomb, Some("gzip"), 1 << 20).unwrap_err();
        assert!(
            e.contains("max_decompressed_bytes") && e.contains("bomb"),
            "{e}"
        );
        assert_eq!(
            decode_content(&gzip(&[7u8; 100]), Some("gzip"), 100)
                .unwrap()
                .unwrap()
                .len(),
            100,
            "exactly the cap is fine"
        );
    }
}
