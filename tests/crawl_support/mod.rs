//! A small HTTP/1.1 server on 127.0.0.1 for the crawler tests: it serves the shared mirror under
//! `/<host>/<path>` (with ETag/Last-Modified and 304 handling) and fault endpoints under `/fault/`.
//! Every response closes its connection. All texts served by fault endpoints are invented here.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

/// What `/robots.txt` answers.
#[derive(Debug, Clone)]
pub enum RobotsMode {
    Body(String),
    Status(u16),
    /// A fault instead of an answer.
    Fault(Fault),
}

/// A misbehaviour the server can put on any path (see [`Config::faults`]). Every loop is bounded
/// by its `limit` and ends when the server is dropped.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Headers at once (with a large Content-Length), then one byte every `every`.
    Drip { every: Duration, limit: Duration },
    /// Headers and 3 body bytes, then silence.
    Stall { limit: Duration },
    /// The request is read and never answered.
    Silent { limit: Duration },
    /// A chunked body that never ends: `chunk` bytes every `every`.
    Endless {
        chunk: usize,
        every: Duration,
        limit: Duration,
    },
    /// HTTP 429 with this `Retry-After`, every time.
    RetryAfter(String),
    /// HTTP 200 with `Content-Encoding: gzip`, a body of zeros inflating to this many bytes.
    Bomb(u64),
    /// HTTP 200, `text/plain`, this body.
    Body(String),
}

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Logged {
    pub path: String,
    /// When its request head arrived (the gaps between requests that politeness is about).
    pub at: Instant,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub user_agent: Option<String>,
    pub accept_encoding: Option<String>,
    pub status: u16,
    pub body_bytes: u64,
}

/// Counters shared by several servers (to see parallelism across hosts).
#[derive(Debug, Default)]
pub struct Concurrency {
    pub now: AtomicUsize,
    pub max: AtomicUsize,
}

impl Concurrency {
    fn enter(&self) {
        let n = self.now.fetch_add(1, Ordering::SeqCst) + 1;
        self.max.fetch_max(n, Ordering::SeqCst);
    }
    fn leave(&self) {
        self.now.fetch_sub(1, Ordering::SeqCst);
    }
}

thread_local! {
    /// Set by a route that left the concurrency count itself, when it started to answer.
    static ANSWERING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

impl State {
    /// The request is no longer in flight (for the concurrency counts).
    fn leave(&self) {
        self.local.leave();
        if let Some(s) = &self.shared {
            s.leave();
        }
    }
}

pub struct State {
    pub mirror: Option<PathBuf>,
    pub robots: Mutex<RobotsMode>,
    pub log: Mutex<Vec<Logged>>,
    pub body_bytes: AtomicU64,
    hits: Mutex<HashMap<String, u32>>,
    pub local: Concurrency,
    pub shared: Option<Arc<Concurrency>>,
    /// Extra delay before answering `/fault/slow-ok`.
    pub slow_ok: Duration,
    /// Faults by request path (the query left out).
    pub faults: HashMap<String, Fault>,
    /// A fault for every request (robots.txt included), before anything else.
    pub all: Option<Fault>,
    stop: AtomicBool,
}

pub struct Server {
    pub addr: SocketAddr,
    pub state: Arc<State>,
}

impl Drop for Server {
    fn drop(&mut self) {
        self.state.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
    }
}

pub struct Config {
    pub mirror: Option<PathBuf>,
    pub robots: RobotsMode,
    pub shared: Option<Arc<Concurrency>>,
    pub slow_ok: Duration,
    /// Faults by request path (the query left out), e.g. a mirror path made to drip.
    pub faults: HashMap<String, Fault>,
    /// A fault for every request: a server that never answers, say.
    pub all: Option<Fault>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mirror: None,
            robots: RobotsMode::Body(ROBOTS_TXT.into()),
            shared: None,
            slow_ok: Duration::from_millis(150),
            faults: HashMap::new(),
            all: None,
        }
    }
}

/// The default robots.txt of the test server.
pub const ROBOTS_TXT: &str = "# invented robots.txt for the tests\nUser-agent: *\nDisallow: /private/\n\nUser-agent: otherbot\nDisallow: /\n";

/// An invented sentence, repeated: the text of the fault endpoints.
pub const INVENTED: &str = "Article 9 of this invented statute: whoever intentionally accesses a \
computer system without right commits an offence punishable under the imaginary code.\n";

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

pub fn brotli_compress(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 5, 22);
        w.write_all(data).unwrap();
    }
    out
}

/// 64 MiB of zeros, gzipped (about 64 KiB): a decompression bomb.
pub fn bomb() -> &'static [u8] {
    static BOMB: OnceLock<Vec<u8>> = OnceLock::new();
    BOMB.get_or_init(|| gzip(&vec![0u8; 64 << 20]))
}

/// `inflated` zeros, gzipped in pieces (900 MB make about 900 KB), made once per size.
pub fn zeros_gzipped(inflated: u64) -> Arc<Vec<u8>> {
    static MADE: OnceLock<Mutex<HashMap<u64, Arc<Vec<u8>>>>> = OnceLock::new();
    let made = MADE.get_or_init(Default::default);
    let mut made = made.lock().unwrap();
    made.entry(inflated)
        .or_insert_with(|| {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
            let block = vec![0u8; 1 << 20];
            let mut left = inflated;
            while left > 0 {
                let n = left.min(block.len() as u64) as usize;
                e.write_all(&block[..n]).unwrap();
                left -= n as u64;
            }
            Arc::new(e.finish().unwrap())
        })
        .clone()
}

impl Server {
    pub fn start(config: Config) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let state = Arc::new(State {
            mirror: config.mirror,
            robots: Mutex::new(config.robots),
            log: Mutex::new(Vec::new()),
            body_bytes: AtomicU64::new(0),
            hits: Mutex::new(HashMap::new()),
            local: Concurrency::default(),
            shared: config.shared,
            slow_ok: config.slow_ok,
            faults: config.faults,
            all: config.all,
            stop: AtomicBool::new(false),
        });
        let st = state.clone();
        thread::spawn(move || {
            for conn in listener.incoming() {
                if st.stop.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(conn) = conn else { continue };
                let st = st.clone();
                thread::spawn(move || handle(conn, &st));
            }
        });
        Server { addr, state }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `https://host/path` → `http://127.0.0.1:PORT/host/path`.
    pub fn map_url(&self, url: &str) -> String {
        let rest = url
            .strip_prefix("https://")
            .or_else(|| url.strip_prefix("http://"))
            .unwrap();
        format!("{}/{rest}", self.base())
    }

    /// The requests served so far. A handler logs its request after the response is written,
    /// so the client may have its answer a moment before the entry lands: wait until the log
    /// stops growing (at most a second).
    pub fn log(&self) -> Vec<Logged> {
        let started = std::time::Instant::now();
        let mut len = self.state.log.lock().unwrap().len();
        loop {
            std::thread::sleep(std::time::Duration::from_millis(30));
            let now = self.state.log.lock().unwrap().len();
            if now == len || started.elapsed() > std::time::Duration::from_secs(1) {
                break;
            }
            len = now;
        }
        self.state.log.lock().unwrap().clone()
    }

    pub fn hits(&self, path: &str) -> usize {
        self.log().iter().filter(|l| l.path == path).count()
    }

    pub fn body_bytes(&self) -> u64 {
        // Counted with the log entry, after the response: let it settle first.
        let _ = self.log();
        self.state.body_bytes.load(Ordering::SeqCst)
    }

    pub fn clear_log(&self) {
        self.state.log.lock().unwrap().clear();
        self.state.body_bytes.store(0, Ordering::SeqCst);
    }
}

struct Request {
    path: String,
    headers: HashMap<String, String>,
}

/// Read the request head with `peek` (so a "reset" can close with unread data, which makes the
/// kernel send RST), then consume it.
fn read_head(conn: &mut TcpStream) -> Option<(Request, usize)> {
    conn.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    let mut buf = vec![0u8; 16 * 1024];
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n = conn.peek(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        if let Some(end) = buf[..n].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).into_owned();
            let mut lines = head.split("\r\n");
            let first = lines.next()?;
            let mut parts = first.split_whitespace();
            let _method = parts.next()?;
            let path = parts.next()?.to_string();
            let headers = lines
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            return Some((Request { path, headers }, end + 4));
        }
        if Instant::now() > deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(1));
    }
}

fn handle(mut conn: TcpStream, st: &State) {
    let Some((req, head_len)) = read_head(&mut conn) else {
        return;
    };
    let arrived = Instant::now();
    st.local.enter();
    if let Some(s) = &st.shared {
        s.enter();
    }
    ANSWERING.with(|a| a.set(false));
    let (status, body_bytes) = route(&mut conn, st, &req, head_len);
    if !ANSWERING.with(|a| a.get()) {
        st.leave();
    }
    st.body_bytes.fetch_add(body_bytes, Ordering::SeqCst);
    st.log.lock().unwrap().push(Logged {
        path: req.path.clone(),
        at: arrived,
        if_none_match: req.headers.get("if-none-match").cloned(),
        if_modified_since: req.headers.get("if-modified-since").cloned(),
        user_agent: req.headers.get("user-agent").cloned(),
        accept_encoding: req.headers.get("accept-encoding").cloned(),
        status,
        body_bytes,
    });
}

fn respond(
    conn: &mut TcpStream,
    status: u16,
    headers: &[(&str, String)],
    body: &[u8],
) -> (u16, u64) {
    let mut head = format!("HTTP/1.1 {status} X\r\nConnection: close\r\n");
    let mut has_len = false;
    for (k, v) in headers {
        has_len |= k.eq_ignore_ascii_case("content-length");
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if !has_len {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    let _ = conn.write_all(head.as_bytes());
    let _ = conn.write_all(body);
    let _ = conn.flush();
    (status, body.len() as u64)
}

fn hit(st: &State, key: &str) -> u32 {
    let mut h = st.hits.lock().unwrap();
    let n = h.entry(key.to_string()).or_insert(0);
    *n += 1;
    *n
}

/// Sleep a little, bounded: false when `limit` has passed or the server is stopping.
fn tick(st: &State, start: Instant, limit: Duration, every: Duration) -> bool {
    if start.elapsed() >= limit || st.stop.load(Ordering::SeqCst) {
        return false;
    }
    thread::sleep(every.min(Duration::from_millis(100)));
    true
}

/// The client has closed its side (a non-blocking peek sees the end).
fn client_gone(conn: &TcpStream) -> bool {
    let mut b = [0u8; 1];
    conn.set_nonblocking(true).ok();
    let gone = matches!(conn.peek(&mut b), Ok(0));
    conn.set_nonblocking(false).ok();
    gone
}

fn inject(conn: &mut TcpStream, st: &State, fault: &Fault) -> (u16, u64) {
    let start = Instant::now();
    match fault {
        Fault::Drip { every, limit } => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: 10000000\r\n\r\n",
            );
            let mut sent = 0;
            let mut last = Instant::now() - *every;
            while tick(st, start, *limit, *every) {
                if last.elapsed() >= *every {
                    if conn.write_all(b"x").is_err() {
                        break;
                    }
                    sent += 1;
                    last = Instant::now();
                }
            }
            (200, sent)
        }
        Fault::Stall { limit } => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1000\r\n\r\nabc",
            );
            while tick(st, start, *limit, Duration::from_millis(50)) && !client_gone(conn) {}
            (200, 3)
        }
        Fault::Silent { limit } => {
            while tick(st, start, *limit, Duration::from_millis(50)) && !client_gone(conn) {}
            (0, 0)
        }
        Fault::Endless {
            chunk,
            every,
            limit,
        } => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let data = vec![b'e'; *chunk];
            let mut sent = 0u64;
            let mut last = Instant::now() - *every;
            while tick(st, start, *limit, *every) {
                if last.elapsed() >= *every {
                    let mut c = format!("{:x}\r\n", data.len()).into_bytes();
                    c.extend_from_slice(&data);
                    c.extend_from_slice(b"\r\n");
                    if conn.write_all(&c).is_err() {
                        break;
                    }
                    sent += data.len() as u64;
                    last = Instant::now();
                }
            }
            (200, sent)
        }
        Fault::RetryAfter(v) => respond(conn, 429, &[("Retry-After", v.clone())], b"slow down"),
        Fault::Bomb(inflated) => respond(
            conn,
            200,
            &[
                ("Content-Type", "text/plain".into()),
                ("Content-Encoding", "gzip".into()),
            ],
            &zeros_gzipped(*inflated),
        ),
        Fault::Body(b) => respond(
            conn,
            200,
            &[("Content-Type", "text/plain".into())],
            b.as_bytes(),
        ),
    }
}

fn route(conn: &mut TcpStream, st: &State, req: &Request, head_len: usize) -> (u16, u64) {
    let path = req.path.clone();
    let without_query = path.split('?').next().unwrap_or("");
    let fault = st.all.as_ref().or_else(|| st.faults.get(without_query));
    if let Some(fault) = fault {
        let mut sink = vec![0u8; head_len];
        if conn.read_exact(&mut sink).is_err() {
            return (0, 0);
        }
        return inject(conn, st, fault);
    }
    if path == "/fault/reset" {
        // Close with the request unread: the kernel answers with RST.
        return (0, 0);
    }
    let mut sink = vec![0u8; head_len];
    if conn.read_exact(&mut sink).is_err() {
        return (0, 0);
    }
    let text = |ct: &str| vec![("Content-Type", ct.to_string())];
    match without_query {
        "/robots.txt" => match st.robots.lock().unwrap().clone() {
            RobotsMode::Body(b) => respond(conn, 200, &text("text/plain"), b.as_bytes()),
            RobotsMode::Status(s) => respond(conn, s, &[], b"robots trouble"),
            RobotsMode::Fault(f) => inject(conn, st, &f),
        },
        "/fault/ok" | "/private/doc" | "/public/doc" => {
            respond(conn, 200, &text("text/plain; charset=utf-8"), INVENTED.as_bytes())
        }
        "/fault/slow" => {
            // Headers at once, then one byte every 50 ms: only the total timeout can stop it.
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 100000\r\n\r\n");
            let start = Instant::now();
            let mut sent = 0;
            while start.elapsed() < Duration::from_secs(20) && !st.stop.load(Ordering::SeqCst) {
                if conn.write_all(b"x").is_err() {
                    break;
                }
                sent += 1;
                thread::sleep(Duration::from_millis(50));
            }
            (200, sent)
        }
        "/fault/stall" => {
            let _ = conn.write_all(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1000\r\n\r\nabc");
            let start = Instant::now();
            while start.elapsed() < Duration::from_secs(20) && !st.stop.load(Ordering::SeqCst) {
                thread::sleep(Duration::from_millis(50));
                // Stop when the client has gone.
                let mut b = [0u8; 1];
                conn.set_nonblocking(true).ok();
                if matches!(conn.read(&mut b), Ok(0)) {
                    break;
                }
            }
            (200, 3)
        }
        "/fault/flaky" => {
            if hit(st, &path) == 1 {
                respond(conn, 500, &[], b"transient trouble")
            } else {
                respond(conn, 200, &text("text/plain"), INVENTED.as_bytes())
            }
        }
        "/fault/always-503" => respond(conn, 503, &[], b"down"),
        "/fault/429" => {
            if hit(st, &path) == 1 {
                respond(conn, 429, &[("Retry-After", "1".into())], b"slow down")
            } else {
                respond(conn, 200, &text("text/plain"), INVENTED.as_bytes())
            }
        }
        "/fault/429-date" => {
            if hit(st, &path) == 1 {
                let when = SystemTime::now() + Duration::from_secs(2);
                let date = cyberlex::crawl::politeness::format_http_date(when);
                respond(conn, 429, &[("Retry-After", date)], b"slow down")
            } else {
                respond(conn, 200, &text("text/plain"), INVENTED.as_bytes())
            }
        }
        "/fault/429-long" => respond(conn, 429, &[("Retry-After", "3600".into())], b"come back in an hour"),
        "/fault/loop-a" => respond(conn, 302, &[("Location", "/fault/loop-b".into())], b""),
        "/fault/loop-b" => respond(conn, 302, &[("Location", "loop-a".into())], b""),
        "/fault/foreign" => respond(
            conn,
            302,
            &[("Location", "http://evil.example.invalid/payload".into())],
            b"",
        ),
        "/fault/big" => {
            let body = vec![b'a'; 2 << 20];
            respond(conn, 200, &text("text/plain"), &body)
        }
        "/fault/big-chunked" => {
            let _ = conn.write_all(
                b"HTTP/1.1 200 OK\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n",
            );
            let chunk = vec![b'b'; 64 << 10];
            let mut sent = 0u64;
            for _ in 0..32 {
                let mut c = format!("{:x}\r\n", chunk.len()).into_bytes();
                c.extend_from_slice(&chunk);
                c.extend_from_slice(b"\r\n");
                if conn.write_all(&c).is_err() {
                    break;
                }
                sent += chunk.len() as u64;
            }
            let _ = conn.write_all(b"0\r\n\r\n");
            (200, sent)
        }
        "/fault/bomb" => respond(
            conn,
            200,
            &[
                ("Content-Type", "text/plain".into()),
                ("Content-Encoding", "gzip".into()),
            ],
            bomb(),
        ),
        "/fault/gzip" => respond(
            conn,
            200,
            &[
                ("Content-Type", "text/plain; charset=utf-8".into()),
                ("Content-Encoding", "gzip".into()),
            ],
            &gzip(INVENTED.repeat(50).as_bytes()),
        ),
        "/fault/br" => respond(
            conn,
            200,
            &[
                ("Content-Type", "text/plain; charset=utf-8".into()),
                ("Content-Encoding", "br".into()),
            ],
            &brotli_compress(INVENTED.repeat(50).as_bytes()),
        ),
        "/fault/latin1-declared" => respond(
            conn,
            200,
            &text("text/plain; charset=ISO-8859-1"),
            "§ 1 Überwachung: Wer unbefugt Daten ausspäht, begeht eine erfundene Straftat.\n".as_bytes(),
        ),
        "/fault/utf8-declared" => respond(
            conn,
            200,
            &text("text/plain; charset=utf-8"),
            b"Section 3 \x96 unauthorised access to a caf\xe9 terminal is an offence under this invented Act.\n",
        ),
        "/fault/lastmod-only" => {
            let lm = "Tue, 01 Oct 2024 10:00:00 GMT";
            if req.headers.get("if-modified-since").map(String::as_str) == Some(lm) {
                respond(conn, 304, &[("Content-Length", "0".into())], b"")
            } else {
                respond(
                    conn,
                    200,
                    &[
                        ("Content-Type", "text/plain".into()),
                        ("Last-Modified", lm.into()),
                    ],
                    INVENTED.as_bytes(),
                )
            }
        }
        p if p.starts_with("/fault/slow-ok") => {
            thread::sleep(st.slow_ok);
            // No longer in flight once the answer starts: the client sends its next request only
            // after reading this one, but this thread may be scheduled late to say it is done.
            st.leave();
            ANSWERING.with(|a| a.set(true));
            respond(conn, 200, &text("text/plain"), INVENTED.as_bytes())
        }
        p if p.starts_with("/fault/chain/") => {
            let n: u32 = p["/fault/chain/".len()..].parse().unwrap_or(0);
            if n == 0 {
                respond(conn, 200, &text("text/plain"), INVENTED.as_bytes())
            } else {
                respond(conn, 301, &[("Location", format!("/fault/chain/{}", n - 1))], b"")
            }
        }
        p if p.starts_with("/fault/redirect-to/") => {
            let target = &p["/fault/redirect-to/".len()..];
            respond(conn, 307, &[("Location", format!("http://{target}"))], b"")
        }
        _ => serve_mirror(conn, st, req, &path),
    }
}

fn serve_mirror(conn: &mut TcpStream, st: &State, req: &Request, path: &str) -> (u16, u64) {
    let Some(mirror) = &st.mirror else {
        return respond(conn, 404, &[], b"no mirror");
    };
    let Some(file) = cyberlex::crawl::mirror_path(mirror, &format!("http:/{path}")) else {
        return respond(conn, 404, &[], b"bad path");
    };
    let Ok(meta) = std::fs::metadata(&file) else {
        return respond(conn, 404, &[], b"not in the mirror");
    };
    if !meta.is_file() {
        return respond(conn, 404, &[], b"not a file");
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let etag = format!("\"{:x}-{:x}\"", meta.len(), mtime);
    let last_modified = cyberlex::crawl::politeness::format_http_date(
        SystemTime::UNIX_EPOCH + Duration::from_secs(mtime),
    );
    if req.headers.get("if-none-match") == Some(&etag)
        || (!req.headers.contains_key("if-none-match")
            && req.headers.get("if-modified-since") == Some(&last_modified))
    {
        return respond(
            conn,
            304,
            &[("ETag", etag), ("Content-Length", "0".into())],
            b"",
        );
    }
    let Ok(bytes) = std::fs::read(&file) else {
        return respond(conn, 500, &[], b"cannot read");
    };
    let ct = match file.extension().and_then(|e| e.to_str()) {
        Some("md") => "text/markdown; charset=utf-8",
        Some("html") | Some("htm") => "text/html",
        Some("xml") => "application/xml",
        Some("json") => "application/json",
        Some("pdf") => "application/pdf",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    };
    respond(
        conn,
        200,
        &[
            ("Content-Type", ct.into()),
            ("ETag", etag),
            ("Last-Modified", last_modified),
        ],
        &bytes,
    )
}

/// The shared corpus: `$CYBERLEX_CORPUS`, else `../shared/corpus` beside the checkout; `None`
/// (with a SKIPPED message) when it is absent.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("CYBERLEX_CORPUS") {
        Some(d) => PathBuf::from(d),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"),
    };
    if dir.join("mirror").is_dir() {
        Some(dir)
    } else {
        eprintln!(
            "SKIPPED: the shared corpus is absent (looked for {}/mirror); set CYBERLEX_CORPUS to run this test",
            dir.display()
        );
        None
    }
}
