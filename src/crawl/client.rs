//! The HTTP side of a crawl: one GET of one source, politely.
//!
//! Per hop: the host's robots.txt (asked once per run) must allow the path; the host's turn is
//! awaited (min delay or Crawl-delay since its last request; requests to one host never overlap);
//! the request is retried with exponential backoff and jitter on timeouts, connection errors,
//! 429 and 5xx (honouring `Retry-After` up to `retry_after_cap`); redirects are followed by hand,
//! up to `max_redirects`, with loop detection and the redirect host policy
//! ([`super::url::redirect_allowed`]). The body is capped at `max_body_bytes` and decoded
//! (`gzip`, `deflate`, `br`) with a cap of `max_decompressed_bytes`.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Instant, SystemTime};

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
}

/// The robots.txt of every host of a run, asked once.
#[derive(Debug, Default)]
pub(crate) struct RobotsCache {
    map: Mutex<HashMap<String, Arc<OnceLock<Arc<Robots>>>>>,
}

/// The state shared by all fetches of a run: per-host politeness and robots.txt.
#[derive(Debug, Default)]
pub(crate) struct Shared {
    pub hosts: Hosts,
    pub robots: RobotsCache,
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
        loop {
            self.check_robots(&current)?;
            let hop = self.with_retries(&current, cond)?;
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
                        self.opts.max_decompressed_bytes,
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

    /// The robots.txt rules of `url`'s host (fetched on first use), applied to its path.
    fn check_robots(&self, url: &Url) -> Result<(), Failure> {
        if url.path == "/robots.txt" {
            return Ok(());
        }
        let robots = self.robots_for(url);
        match robots.check(&url.path) {
            Verdict::Allowed => Ok(()),
            Verdict::Disallowed(why) => Err(Failure::Unavailable(format!(
                "{url} is disallowed for us by {}: {why}",
                url.robots_url()
            ))),
        }
    }

    fn robots_for(&self, url: &Url) -> Arc<Robots> {
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
        let robots = cell
            .get_or_init(|| Arc::new(self.fetch_robots(url)))
            .clone();
        let slot = self.shared.hosts.slot(&authority);
        let mut st = slot.lock().unwrap_or_else(|e| e.into_inner());
        st.delay = robots.delay(self.opts.min_host_delay, self.opts.max_crawl_delay);
        robots
    }

    /// Fetch and interpret robots.txt: 2xx parsed, 4xx allow all, 5xx or unreachable (after
    /// the retries) disallow all for this run. Redirects are followed (up to 5, any host:
    /// RFC 9309 §2.3.1.2).
    fn fetch_robots(&self, url: &Url) -> Robots {
        let mut current = match Url::parse(&url.robots_url()) {
            Some(u) => u,
            None => return Robots::allow_all("no robots.txt URL"),
        };
        for _ in 0..=5 {
            match self.with_retries(&current, &Conditional::default()) {
                Ok(hop) if (300..400).contains(&hop.status) => {
                    match hop.location.as_deref().and_then(|l| current.join(l)) {
                        Some(next) => current = next,
                        None => {
                            return Robots::allow_all(format!(
                                "robots.txt redirect without usable Location ({}): all allowed",
                                hop.status
                            ))
                        }
                    }
                }
                Ok(hop) => {
                    let body = decode_content(
                        &hop.body,
                        hop.content_encoding.as_deref(),
                        self.opts.max_decompressed_bytes.min(1 << 20),
                    )
                    .ok()
                    .flatten()
                    .unwrap_or(hop.body);
                    return Robots::from_status(hop.status, &body, &self.agent_token);
                }
                Err(Failure::Failed(reason)) | Err(Failure::Unavailable(reason)) => {
                    return Robots::disallow_all(format!(
                        "robots.txt unreachable ({reason}): host treated as disallowed for this run"
                    ))
                }
            }
        }
        Robots::allow_all("robots.txt redirects too often: all allowed")
    }

    /// One request, retried on timeouts, connection errors, 429 and 5xx.
    fn with_retries(&self, url: &Url, cond: &Conditional) -> Result<Hop, Failure> {
        let mut attempt = 0u32;
        loop {
            let (reason, retry_after) = match self.send_polite(url, cond) {
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
                        if ra <= self.opts.retry_after_cap {
                            // The whole host is asked to wait, not just this source.
                            let slot = self.shared.hosts.slot(&url.authority());
                            slot.lock().unwrap_or_else(|e| e.into_inner()).not_before =
                                Some(Instant::now() + ra);
                        }
                        if ra > self.opts.retry_after_cap {
                            return Err(Failure::Failed(format!(
                                "{reason} with Retry-After {}s, more than retry_after_cap ({}s): not retrying",
                                ra.as_secs(),
                                self.opts.retry_after_cap.as_secs_f64()
                            )));
                        }
                    }
                    (reason, ra)
                }
                Ok(hop) => return Ok(hop),
                Err(e) if e.retryable => (e.reason, None),
                Err(e) => return Err(Failure::Failed(e.reason)),
            };
            if attempt >= self.opts.max_retries {
                return Err(Failure::Failed(format!(
                    "{reason} (gave up after {} attempt{})",
                    attempt + 1,
                    if attempt == 0 { "" } else { "s" }
                )));
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

    /// Wait for the host's turn, then send; requests to one host are serialised by its mutex.
    fn send_polite(&self, url: &Url, cond: &Conditional) -> Result<Hop, AttemptError> {
        let slot = self.shared.hosts.slot(&url.authority());
        let mut st = slot.lock().unwrap_or_else(|e| e.into_inner());
        st.delay = st.delay.max(self.opts.min_host_delay);
        st.wait_turn();
        let result = self.send(url, cond);
        st.last_request = Some(Instant::now());
        result
    }

    fn send(&self, url: &Url, cond: &Conditional) -> Result<Hop, AttemptError> {
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
            let max = self.opts.max_body_bytes;
            if let Some(len) = content_length {
                if len > max {
                    return Err(AttemptError {
                        reason: format!(
                            "body of {len} bytes (Content-Length) exceeds max_body_bytes ({max}) at {url}: refused"
                        ),
                        retryable: false,
                    });
                }
            }
            let mut reader = resp.into_body().into_with_config().limit(u64::MAX).reader();
            let mut buf = Vec::new();
            let read = (&mut reader).take(max + 1).read_to_end(&mut buf);
            self.stats
                .bytes
                .fetch_add(buf.len() as u64, Ordering::Relaxed);
            if let Err(e) = read {
                return Err(classify_io(e, url));
            }
            if buf.len() as u64 > max {
                return Err(AttemptError {
                    reason: format!(
                        "body exceeds max_body_bytes ({max}) at {url}: refused after {} bytes",
                        buf.len()
                    ),
                    retryable: false,
                });
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

fn classify(e: ureq::Error, url: &Url) -> AttemptError {
    match e {
        ureq::Error::Timeout(t) => AttemptError {
            reason: format!("timed out ({t} timeout) fetching {url}"),
            retryable: true,
        },
        ureq::Error::Io(io) => classify_io(io, url),
        e @ (ureq::Error::ConnectionFailed
        | ureq::Error::HostNotFound
        | ureq::Error::Protocol(_)) => AttemptError {
            reason: format!("connection failed fetching {url}: {e}"),
            retryable: true,
        },
        e => AttemptError {
            reason: format!("fetching {url} failed: {e}"),
            retryable: false,
        },
    }
}

fn classify_io(e: std::io::Error, url: &Url) -> AttemptError {
    if let Some(ureq::Error::Timeout(t)) = e.get_ref().and_then(|i| i.downcast_ref::<ureq::Error>())
    {
        return AttemptError {
            reason: format!("timed out ({t} timeout) reading the body of {url}"),
            retryable: true,
        };
    }
    let reason = match e.kind() {
        std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => {
            format!("timed out fetching {url}: {e}")
        }
        std::io::ErrorKind::ConnectionReset => format!("connection reset by {url}: {e}"),
        std::io::ErrorKind::ConnectionRefused => format!("connection refused by {url}: {e}"),
        std::io::ErrorKind::UnexpectedEof => {
            format!("connection closed early by {url}: {e}")
        }
        _ => format!("connection error fetching {url}: {e}"),
    };
    AttemptError {
        reason,
        retryable: true,
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

/// Undo `Content-Encoding` (a list, applied in order, so undone in reverse): `gzip`/`x-gzip`,
/// `deflate` (zlib, or raw deflate as some servers send), `br`. `None` when nothing was encoded.
/// More than `max` decoded bytes is refused: a decompression bomb.
pub(crate) fn decode_content(
    body: &[u8],
    content_encoding: Option<&str>,
    max: u64,
) -> Result<Option<Vec<u8>>, String> {
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
            "gzip" | "x-gzip" => read_capped(flate2::read::MultiGzDecoder::new(&data[..]), max, c)?,
            "deflate" => match read_capped(flate2::read::ZlibDecoder::new(&data[..]), max, c) {
                Ok(d) => d,
                Err(e) if e.contains("max_decompressed_bytes") => return Err(e),
                Err(_) => read_capped(flate2::read::DeflateDecoder::new(&data[..]), max, c)?,
            },
            "br" => read_capped(brotli::Decompressor::new(&data[..], 4096), max, c)?,
            other => return Err(format!("unsupported Content-Encoding `{other}`")),
        };
    }
    Ok(Some(data))
}

fn read_capped(r: impl Read, max: u64, coding: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    r.take(max + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("cannot decode the {coding} body: {e}"))?;
    if out.len() as u64 > max {
        return Err(format!(
            "{coding} body decompresses to more than max_decompressed_bytes ({max} bytes): refused as a decompression bomb"
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
