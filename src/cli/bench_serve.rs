//! `cyberlex bench serve`: load on `cyberlex serve` over loopback. The server runs as a child
//! process (so its peak memory is its own); N client threads replay the query file against
//! `/api/search` for a fixed time, one request after another each; reported per client count:
//! requests/s, latency p50/p95/p99/max, errors, and the server's peak resident memory.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};

use super::bench::read_queries;
use super::output::{json_pretty, print};
use super::Outcome;
use crate::bench::{percentile, ReportFormat};

#[derive(Debug, Args)]
pub struct ServeBench {
    #[arg(long, value_name = "DIR", default_value = "index")]
    pub index: PathBuf,
    /// Queries, one per line (`#` starts a comment), replayed in turn by every client.
    #[arg(long, value_name = "FILE", default_value = "bench/queries.txt")]
    pub queries: PathBuf,
    /// Concurrent clients (repeatable; default 8 and 32).
    #[arg(long = "clients", value_name = "N")]
    pub clients: Vec<usize>,
    /// Seconds of load per client count.
    #[arg(long, value_name = "S", default_value_t = 30)]
    pub seconds: u64,
    /// Hits asked per request.
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub limit: usize,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

/// The server child, stopped with SIGTERM (then killed) when dropped.
struct ServerChild {
    child: Child,
    base: String,
}

impl Drop for ServerChild {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let t = Instant::now();
        while t.elapsed() < Duration::from_secs(10) {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server(index: &Path) -> anyhow::Result<ServerChild> {
    let exe = std::env::current_exe().context("cannot find the cyberlex binary")?;
    let mut child = Command::new(exe)
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(index)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .context("cannot start `cyberlex serve`")?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("piped"))
        .read_line(&mut line)
        .context("reading the server's address")?;
    let base = line
        .trim()
        .strip_prefix("cyberlex serve: listening on ")
        .map(|b| b.trim_end_matches('/').to_string());
    match base {
        Some(base) => Ok(ServerChild { child, base }),
        None => {
            let _ = child.kill();
            let _ = child.wait();
            anyhow::bail!(
                "`cyberlex serve` did not start (it printed `{}`)",
                line.trim()
            )
        }
    }
}

/// Peak resident memory of a process, in MB (Linux `VmHWM`).
fn peak_mb(pid: u32) -> Option<f64> {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

/// One request: its latency in ms, and whether it answered 200 with a whole body.
fn once(agent: &ureq::Agent, url: &str) -> (f64, bool) {
    let t = Instant::now();
    let ok = match agent.get(url).call() {
        Ok(mut r) => {
            let mut sink = Vec::new();
            let read = r
                .body_mut()
                .with_config()
                .limit(64 << 20)
                .reader()
                .read_to_end(&mut sink);
            r.status() == 200 && read.is_ok()
        }
        Err(_) => false,
    };
    (t.elapsed().as_secs_f64() * 1e3, ok)
}

/// One client: requests one after another until `stop`; latencies (ms) and errors.
fn client(base: &str, paths: &[String], first: usize, stop: &AtomicBool) -> (Vec<f64>, usize) {
    let agent = agent();
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut i = first;
    while !stop.load(Ordering::Relaxed) {
        let (ms, ok) = once(&agent, &format!("{base}{}", paths[i % paths.len()]));
        i += 1;
        lat.push(ms);
        if !ok {
            errors += 1;
        }
    }
    (lat, errors)
}

pub fn run(a: ServeBench) -> anyhow::Result<Outcome> {
    let queries = read_queries(&a.queries)?;
    anyhow::ensure!(
        !queries.is_empty(),
        "{} holds no query",
        a.queries.display()
    );
    let paths: Arc<Vec<String>> = Arc::new(
        queries
            .iter()
            .map(|q| format!("/api/search?q={}&limit={}", encode(q), a.limit))
            .collect(),
    );
    let clients = if a.clients.is_empty() {
        vec![8, 32]
    } else {
        a.clients.clone()
    };
    let server = start_server(&a.index)?;
    let pid = server.child.id();
    // Warm-up: every query once, by one client.
    let warm_errors = {
        let agent = agent();
        paths
            .iter()
            .filter(|p| !once(&agent, &format!("{}{p}", server.base)).1)
            .count()
    };
    let mut runs = Vec::new();
    for &n in &clients {
        let stop = Arc::new(AtomicBool::new(false));
        let started = Instant::now();
        let handles: Vec<_> = (0..n.max(1))
            .map(|c| {
                let (stop, paths, base) = (stop.clone(), paths.clone(), server.base.clone());
                std::thread::spawn(move || client(&base, &paths, c * 7, &stop))
            })
            .collect();
        std::thread::sleep(Duration::from_secs(a.seconds));
        stop.store(true, Ordering::Relaxed);
        let mut lat = Vec::new();
        let mut errors = 0;
        for h in handles {
            let (l, e) = h.join().expect("client thread");
            lat.extend(l);
            errors += e;
        }
        let secs = started.elapsed().as_secs_f64();
        lat.sort_by(f64::total_cmp);
        runs.push(json!({
            "clients": n,
            "seconds": secs,
            "requests": lat.len(),
            "requests_per_s": lat.len() as f64 / secs,
            "errors": errors,
            "latency_ms": {
                "p50": percentile(&lat, 50.0),
                "p95": percentile(&lat, 95.0),
                "p99": percentile(&lat, 99.0),
                "max": lat.last().copied().unwrap_or(0.0),
            },
            "server_peak_rss_mb": peak_mb(pid),
        }));
    }
    let out = json!({
        "index": a.index.display().to_string(),
        "queries": queries.len(),
        "limit": a.limit,
        "warmup_errors": warm_errors,
        "cores": std::thread::available_parallelism().map_or(1, |n| n.get()),
        "runs": runs,
    });
    drop(server);
    match a.format {
        ReportFormat::Json => print(&json_pretty(&out)?)?,
        ReportFormat::Text => print(&render(&out))?,
    }
    Ok(Outcome::Found)
}

fn render(v: &Value) -> String {
    let mut s = format!(
        "cyberlex serve under load: {} queries from the file, limit {}, {} cores\n",
        v["queries"], v["limit"], v["cores"]
    );
    for r in v["runs"].as_array().into_iter().flatten() {
        let l = &r["latency_ms"];
        s.push_str(&format!(
            "{:>3} clients: {:>7.1} req/s  p50 {:.1} ms  p95 {:.1} ms  p99 {:.1} ms  max {:.1} ms  errors {}  server peak {:.0} MB  ({} requests in {:.1} s)\n",
            r["clients"],
            r["requests_per_s"].as_f64().unwrap_or(0.0),
            l["p50"].as_f64().unwrap_or(0.0),
            l["p95"].as_f64().unwrap_or(0.0),
            l["p99"].as_f64().unwrap_or(0.0),
            l["max"].as_f64().unwrap_or(0.0),
            r["errors"],
            r["server_peak_rss_mb"].as_f64().unwrap_or(0.0),
            r["requests"],
            r["seconds"].as_f64().unwrap_or(0.0),
        ));
    }
    s
}
