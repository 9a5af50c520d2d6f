//! The crawler against a real HTTP server on 127.0.0.1 (no internet): the shared mirror served
//! under `/<host>/<path>`, and fault endpoints (see `crawl_support`).

mod crawl_support;

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crawl_support::{Concurrency, Config, RobotsMode, Server, INVENTED};
use cyberlex::corpus::{Format, Manifest, Source};
use cyberlex::crawl::{
    self, Cache, CrawlError, CrawlOptions, CrawlReport, Origin, Outcome, RecordOutcome,
};

fn template() -> Source {
    Manifest::builtin().sources[0].clone()
}

/// A manifest entry for an endpoint of the test server.
fn source_at(base: &str, id: &str, path: &str) -> Source {
    let mut s = template();
    s.id = id.to_string();
    s.url = format!("{base}{path}");
    s.canonical_url = None;
    s.sha256 = None;
    s.bytes = None;
    s.format = Format::Text;
    s.allow_hosts = Vec::new();
    s.bulk = false;
    s
}

/// Small limits so every fault ends quickly.
fn fast_opts(cache: &Path) -> CrawlOptions {
    CrawlOptions {
        cache: cache.to_path_buf(),
        connect_timeout: Duration::from_millis(500),
        read_timeout: Duration::from_millis(400),
        total_timeout: Duration::from_millis(800),
        max_retries: 2,
        backoff_base: Duration::from_millis(20),
        backoff_cap: Duration::from_millis(100),
        retry_after_cap: Duration::from_secs(5),
        max_body_bytes: 1 << 20,
        max_decompressed_bytes: 1 << 20,
        max_redirects: 5,
        min_host_delay: Duration::ZERO,
        // Many faults share one test host here; giving a host up is tested on its own.
        max_host_stalls: 0,
        progress: false,
        ..CrawlOptions::default()
    }
}

fn reason<'a>(report: &'a CrawlReport, id: &str) -> &'a str {
    match &report.get(id).unwrap().outcome {
        Outcome::Failed { reason } | Outcome::Unavailable { reason } => reason,
        o => panic!("{id}: expected a failure, got {o}"),
    }
}

fn outcome<'a>(report: &'a CrawlReport, id: &str) -> &'a Outcome {
    &report.get(id).unwrap().outcome
}

fn print(report: &CrawlReport) {
    for s in &report.sources {
        eprintln!("{:<24} {:<10?} {}", s.id, s.elapsed, s.outcome);
    }
    eprintln!("{:?}", report.totals);
}

#[test]
fn every_fault_ends_in_a_clear_per_source_result() {
    // Made before the clock runs: the server would otherwise answer later than read_timeout.
    crawl_support::bomb();
    let server = Server::start(Config::default());
    let base = server.base();
    let dir = tempfile::tempdir().unwrap();
    let faults = [
        ("ok", "/fault/ok"),
        ("public", "/public/doc"),
        ("private", "/private/doc"),
        ("slow-drip", "/fault/slow"),
        ("stall", "/fault/stall"),
        ("flaky", "/fault/flaky"),
        ("too-many", "/fault/429"),
        ("too-many-date", "/fault/429-date"),
        ("too-many-long", "/fault/429-long"),
        ("down", "/fault/always-503"),
        ("loop", "/fault/loop-a"),
        ("long-chain", "/fault/chain/7"),
        ("short-chain", "/fault/chain/3"),
        ("foreign", "/fault/foreign"),
        ("big", "/fault/big"),
        ("big-chunked", "/fault/big-chunked"),
        ("bomb", "/fault/bomb"),
        ("gzip", "/fault/gzip"),
        ("brotli", "/fault/br"),
        ("latin1-declared", "/fault/latin1-declared"),
        ("utf8-declared", "/fault/utf8-declared"),
        ("reset", "/fault/reset"),
        ("missing", "/fault/nothing-here"),
    ];
    let sources: Vec<Source> = faults
        .iter()
        .map(|(id, p)| source_at(&base, id, p))
        .collect();
    let opts = fast_opts(dir.path());
    let t = Instant::now();
    let report = crawl::crawl(&sources, &opts);
    let elapsed = t.elapsed();
    print(&report);
    assert!(elapsed < Duration::from_secs(20), "took {elapsed:?}");
    assert_eq!(report.sources.len(), faults.len());

    // Plain successes, and a robots.txt asked exactly once.
    assert_eq!(outcome(&report, "ok"), &Outcome::Fetched);
    assert_eq!(outcome(&report, "public"), &Outcome::Fetched);
    assert_eq!(server.hits("/robots.txt"), 1);
    let log = server.log();
    let ua = log[0].user_agent.clone().unwrap();
    assert!(
        ua.starts_with("cyberlex/") && ua.contains("https://github.com/cyberlex/cyberlex"),
        "{ua}"
    );
    assert!(log[0].accept_encoding.clone().unwrap().contains("gzip"));

    // robots.txt: `Disallow: /private/` is obeyed without asking the server.
    let r = reason(&report, "private");
    assert!(matches!(
        outcome(&report, "private"),
        Outcome::Unavailable { .. }
    ));
    assert!(r.contains("robots.txt") && r.contains("/private/"), "{r}");
    assert_eq!(server.hits("/private/doc"), 0);

    // Timeouts: the slow drip hits the total timeout, the stall the per-read one; a stall is
    // never retried.
    let r = reason(&report, "slow-drip");
    assert!(r.contains("timed out") && r.contains("not retrying"), "{r}");
    assert_eq!(server.hits("/fault/slow"), 1);
    let slow = report.get("slow-drip").unwrap().elapsed;
    assert!(slow < Duration::from_secs(5), "slow drip took {slow:?}");
    let r = reason(&report, "stall");
    assert!(r.contains("timed out") && r.contains("stalled"), "{r}");
    assert_eq!(server.hits("/fault/stall"), 1);

    // 500 then 200: retried once.
    assert_eq!(outcome(&report, "flaky"), &Outcome::Fetched);
    assert_eq!(server.hits("/fault/flaky"), 2);

    // 429 with Retry-After (seconds, then an HTTP date): waited for, then fetched.
    for (id, path, min) in [
        ("too-many", "/fault/429", 950),
        ("too-many-date", "/fault/429-date", 900),
    ] {
        assert_eq!(outcome(&report, id), &Outcome::Fetched, "{id}");
        let times: Vec<Instant> = log
            .iter()
            .filter(|l| l.path == path)
            .map(|l| l.at)
            .collect();
        assert_eq!(times.len(), 2, "{id}");
        let gap = times[1] - times[0];
        assert!(
            gap >= Duration::from_millis(min),
            "{id}: retried after {gap:?}"
        );
    }
    // A Retry-After beyond the cap: no retry at all.
    let r = reason(&report, "too-many-long");
    assert!(
        r.contains("429") && r.contains("Retry-After 3600") && r.contains("retry_after_cap"),
        "{r}"
    );
    assert_eq!(server.hits("/fault/429-long"), 1);
    // Persistent 5xx: retried max_retries times, then given up.
    let r = reason(&report, "down");
    assert!(
        r.contains("503") && r.contains("gave up after 3 attempts"),
        "{r}"
    );
    assert_eq!(server.hits("/fault/always-503"), 3);

    // Redirects: loop detected, chain limited, short chain followed, foreign host refused.
    let r = reason(&report, "loop");
    assert!(r.contains("redirect loop") && r.contains("loop-b"), "{r}");
    assert_eq!(server.hits("/fault/loop-a"), 1);
    let r = reason(&report, "long-chain");
    assert!(
        r.contains("too many redirects") && r.contains("max_redirects = 5"),
        "{r}"
    );
    assert_eq!(outcome(&report, "short-chain"), &Outcome::Fetched);
    let p = report
        .get("short-chain")
        .unwrap()
        .provenance
        .clone()
        .unwrap();
    assert!(p.final_url.ends_with("/fault/chain/0"), "{}", p.final_url);
    assert_eq!(p.url, format!("{base}/fault/chain/3"));
    let r = reason(&report, "foreign");
    assert!(
        r.contains("evil.example.invalid") && r.contains("refused") && r.contains("allow_hosts"),
        "{r}"
    );

    // Size limits: declared and streamed bodies, and a gzip bomb.
    let r = reason(&report, "big");
    assert!(
        r.contains("max_body_bytes") && r.contains("Content-Length"),
        "{r}"
    );
    assert_eq!(
        server.hits("/fault/big"),
        1,
        "a size refusal is not retried"
    );
    let r = reason(&report, "big-chunked");
    assert!(r.contains("max_body_bytes"), "{r}");
    let r = reason(&report, "bomb");
    assert!(
        r.contains("max_decompressed_bytes") && r.contains("bomb"),
        "{r}"
    );

    // Content-Encoding decoded: the stored bytes are the text.
    let cache = Cache::new(dir.path());
    for id in ["gzip", "brotli"] {
        assert_eq!(outcome(&report, id), &Outcome::Fetched, "{id}");
        let p = report.get(id).unwrap().provenance.clone().unwrap();
        let bytes = cache.read_object(&p.sha256).unwrap();
        assert_eq!(bytes, INVENTED.repeat(50).as_bytes(), "{id}");
        let rec = cache.load_record(id).unwrap();
        assert_eq!(rec.bytes, bytes.len() as u64);
        assert!(rec.content_encoding.is_some());
    }

    // Charset declared wrongly: the bytes win, the declaration is kept, a warning is given.
    let s = report.get("latin1-declared").unwrap();
    assert_eq!(s.outcome, Outcome::Fetched);
    assert_eq!(
        s.provenance.as_ref().unwrap().encoding.as_deref(),
        Some("UTF-8")
    );
    assert!(
        s.warnings.iter().any(|w| w.contains("valid UTF-8")),
        "{:?}",
        s.warnings
    );
    let rec = cache.load_record("latin1-declared").unwrap();
    assert_eq!(rec.declared_charset.as_deref(), Some("ISO-8859-1"));
    assert_eq!(rec.encoding.as_deref(), Some("UTF-8"));
    let s = report.get("utf8-declared").unwrap();
    assert_eq!(
        s.provenance.as_ref().unwrap().encoding.as_deref(),
        Some("windows-1252")
    );
    assert!(
        s.warnings.iter().any(|w| w.contains("not valid UTF-8")),
        "{:?}",
        s.warnings
    );

    // Connection reset: retried, then a clear reason.
    let r = reason(&report, "reset");
    assert!(r.contains("connection") && r.contains("3 attempts"), "{r}");
    assert_eq!(server.hits("/fault/reset"), 3);

    // 404.
    let r = reason(&report, "missing");
    assert!(r.contains("HTTP 404"), "{r}");

    // Failures are recorded for `cyberlex sources`.
    let st = crawl::status(&sources, dir.path());
    let bomb = st.iter().find(|s| s.id == "bomb").unwrap();
    assert_eq!(bomb.last_outcome, Some(RecordOutcome::Failed));
    assert!(!bomb.cached);
    assert!(bomb
        .error
        .as_deref()
        .unwrap()
        .contains("max_decompressed_bytes"));
    let ok = st.iter().find(|s| s.id == "ok").unwrap();
    assert!(ok.cached && ok.last_outcome == Some(RecordOutcome::Fetched));

    let t = &report.totals;
    assert_eq!(t.fetched, 10);
    assert_eq!(t.unavailable, 1);
    assert_eq!(t.failed, 12);
    assert_eq!(t.fetched + t.failed + t.unavailable, faults.len());
    assert!(t.requests as usize >= server.log().len() - 1);
}

#[test]
fn redirects_reach_allowed_hosts_only() {
    let a = Server::start(Config::default());
    let b = Server::start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let path = format!("/fault/redirect-to/{}/fault/ok", b.addr);
    let mut allowed = source_at(&a.base(), "allowed", &path);
    allowed.allow_hosts = vec![b.addr.to_string()];
    let refused = source_at(&a.base(), "refused", &path);
    let report = crawl::crawl(&[refused], &fast_opts(dir.path()));
    print(&report);
    let r = reason(&report, "refused");
    assert!(
        r.contains(&b.addr.to_string()) && r.contains("refused"),
        "{r}"
    );
    assert!(b.log().is_empty(), "the foreign host is never contacted");
    let report = crawl::crawl(&[allowed], &fast_opts(dir.path()));
    print(&report);
    assert_eq!(outcome(&report, "allowed"), &Outcome::Fetched);
    let p = report.get("allowed").unwrap().provenance.clone().unwrap();
    assert_eq!(p.final_url, format!("{}/fault/ok", b.base()));
    assert_eq!(
        b.hits("/robots.txt"),
        1,
        "the redirect target's robots.txt is asked too"
    );
    let rec = Cache::new(dir.path()).load_record("allowed").unwrap();
    assert_eq!(rec.redirects, vec![format!("{}{path}", a.base())]);
}

#[test]
fn unreachable_robots_txt_disallows_the_host_and_a_missing_one_allows_all() {
    let down = Server::start(Config {
        robots: RobotsMode::Status(503),
        ..Config::default()
    });
    let missing = Server::start(Config {
        robots: RobotsMode::Status(404),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let sources = vec![
        source_at(&down.base(), "down-1", "/fault/ok"),
        source_at(&down.base(), "down-2", "/public/doc"),
        source_at(&missing.base(), "missing-1", "/fault/ok"),
        source_at(&missing.base(), "missing-2", "/private/doc"),
    ];
    let report = crawl::crawl(&sources, &fast_opts(dir.path()));
    print(&report);
    for id in ["down-1", "down-2"] {
        assert!(
            matches!(outcome(&report, id), Outcome::Unavailable { .. }),
            "{id}"
        );
        let r = reason(&report, id);
        assert!(
            r.contains("robots.txt") && r.contains("503") && r.contains("disallowed for this run"),
            "{r}"
        );
    }
    assert_eq!(down.hits("/robots.txt"), 3, "asked once, with its retries");
    assert_eq!(down.log().len(), 3, "no document was requested");
    assert_eq!(outcome(&report, "missing-1"), &Outcome::Fetched);
    assert_eq!(outcome(&report, "missing-2"), &Outcome::Fetched);
    assert_eq!(missing.hits("/robots.txt"), 1);
}

#[test]
fn hosts_in_parallel_one_request_at_a_time_per_host() {
    let shared = Arc::new(Concurrency::default());
    let cfg = || Config {
        shared: Some(shared.clone()),
        slow_ok: Duration::from_millis(200),
        ..Config::default()
    };
    let (a, b) = (Server::start(cfg()), Server::start(cfg()));
    let dir = tempfile::tempdir().unwrap();
    let mut sources = Vec::new();
    for i in 0..3 {
        sources.push(source_at(
            &a.base(),
            &format!("a-{i}"),
            &format!("/fault/slow-ok?n={i}"),
        ));
        sources.push(source_at(
            &b.base(),
            &format!("b-{i}"),
            &format!("/fault/slow-ok?n={i}"),
        ));
    }
    let t = Instant::now();
    let opts = CrawlOptions {
        host_connections: 1,
        ..fast_opts(dir.path())
    };
    let report = crawl::crawl(&sources, &opts);
    let elapsed = t.elapsed();
    print(&report);
    assert_eq!(report.totals.fetched, 6);
    assert_eq!(
        a.state.local.max.load(Ordering::SeqCst),
        1,
        "host a: one request at a time"
    );
    assert_eq!(
        b.state.local.max.load(Ordering::SeqCst),
        1,
        "host b: one request at a time"
    );
    assert_eq!(shared.max.load(Ordering::SeqCst), 2, "both hosts at once");
    assert!(
        elapsed < Duration::from_millis(1100),
        "6 × 200 ms in {elapsed:?}"
    );
    assert_eq!(
        report
            .sources
            .iter()
            .map(|s| s.id.as_str())
            .collect::<Vec<_>>(),
        ["a-0", "b-0", "a-1", "b-1", "a-2", "b-2"],
        "the report keeps the order of the sources"
    );
}

/// With two connections to a host (the default), a request that stalls lets the host's next
/// sources go ahead on the other one; no more than two are ever in flight, and their starts keep
/// the host delay.
#[test]
fn a_stalling_request_does_not_hold_the_hosts_other_sources() {
    let server = Server::start(Config {
        slow_ok: Duration::from_millis(50),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let mut sources = vec![source_at(&server.base(), "stall", "/fault/stall")];
    for i in 0..4 {
        sources.push(source_at(
            &server.base(),
            &format!("ok-{i}"),
            &format!("/fault/slow-ok?n={i}"),
        ));
    }
    let opts = CrawlOptions {
        min_host_delay: Duration::from_millis(200),
        read_timeout: Duration::from_secs(3),
        total_timeout: Duration::from_secs(4),
        ..fast_opts(dir.path())
    };
    assert_eq!(opts.host_connections, 2, "the documented default");
    let report = crawl::crawl(&sources, &opts);
    print(&report);
    assert_eq!(report.totals.fetched, 4, "every good source is fetched");
    assert!(
        reason(&report, "stall").contains("stall")
            || reason(&report, "stall").contains("timed out"),
        "{}",
        reason(&report, "stall")
    );
    assert_eq!(
        server.state.local.max.load(Ordering::SeqCst),
        2,
        "two requests in flight at most, and two while one stalls"
    );
    // The log is in order of completion, and the stall is logged once the server has seen the
    // client go (it polls every 50 ms): wait for it, a bounded while.
    let t = Instant::now();
    while server.log().len() < 6 && t.elapsed() < Duration::from_secs(5) {
        std::thread::sleep(Duration::from_millis(20));
    }
    let log = server.log();
    // The gaps are between starts.
    let mut starts: Vec<Instant> = log
        .iter()
        .filter(|l| l.path.starts_with("/fault/"))
        .map(|l| l.at)
        .collect();
    starts.sort();
    assert_eq!(starts.len(), 5);
    // 200 ms apart at the client; the server sees the heads with some scheduling jitter.
    for w in starts.windows(2) {
        assert!(
            w[1] - w[0] >= Duration::from_millis(160),
            "starts {:?} apart",
            w[1] - w[0]
        );
    }
    // The good sources did not wait for the stall's read timeout (3 s).
    let last_ok = starts[4] - starts[0];
    assert!(
        last_ok < Duration::from_millis(2500),
        "the last good source started after {last_ok:?}"
    );
}

/// The host delay runs from the previous request's start: a request that took as long as the
/// delay (a slow answer) is followed by the next at once, not by a second delay on top.
#[test]
fn the_host_delay_counts_from_the_previous_start() {
    let server = Server::start(Config {
        slow_ok: Duration::from_millis(600),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let sources: Vec<Source> = (0..2)
        .map(|i| {
            source_at(
                &server.base(),
                &format!("s-{i}"),
                &format!("/fault/slow-ok?n={i}"),
            )
        })
        .collect();
    let opts = CrawlOptions {
        min_host_delay: Duration::from_millis(600),
        read_timeout: Duration::from_secs(5),
        total_timeout: Duration::from_secs(10),
        ..fast_opts(dir.path())
    };
    let report = crawl::crawl(&sources, &opts);
    print(&report);
    assert_eq!(report.totals.fetched, 2);
    let log = server.log();
    let at: Vec<Instant> = log
        .iter()
        .filter(|l| l.path.starts_with("/fault/slow-ok"))
        .map(|l| l.at)
        .collect();
    let gap = at[1] - at[0];
    // Start to start: ≥ the delay; counted from the end it would be ≥ 1.2 s (0.6 s answer and
    // 0.6 s delay).
    assert!(gap >= Duration::from_millis(570), "{gap:?}");
    assert!(
        gap < Duration::from_millis(1100),
        "a second delay after a slow answer: {gap:?}"
    );
}

#[test]
fn min_host_delay_and_crawl_delay_space_requests() {
    fn gaps(server: &Server) -> Vec<Duration> {
        let log = server.log();
        log.windows(2).map(|w| w[1].at - w[0].at).collect()
    }
    let dir = tempfile::tempdir().unwrap();
    // min_host_delay alone.
    let plain = Server::start(Config::default());
    let sources: Vec<Source> = (0..3)
        .map(|i| {
            source_at(
                &plain.base(),
                &format!("p-{i}"),
                &format!("/public/doc?{i}"),
            )
        })
        .collect();
    let opts = CrawlOptions {
        min_host_delay: Duration::from_millis(150),
        ..fast_opts(dir.path())
    };
    let report = crawl::crawl(&sources, &opts);
    assert_eq!(report.totals.fetched, 3);
    let g = gaps(&plain);
    assert_eq!(g.len(), 3, "robots.txt + 3 documents");
    // Requests start 150 ms apart at the client; the server sees their heads with a few ms
    // of scheduling jitter either way (more under load), hence the margin.
    assert!(g.iter().all(|d| *d >= Duration::from_millis(125)), "{g:?}");

    // Crawl-delay: 0.3 s is obeyed; 60 s is clamped to max_crawl_delay.
    for (delay, max, expect_ms) in [("0.3", 10_000, 275), ("60", 250, 225)] {
        let server = Server::start(Config {
            robots: RobotsMode::Body(format!("User-agent: cyberlex\nCrawl-delay: {delay}\n")),
            ..Config::default()
        });
        let sources: Vec<Source> = (0..3)
            .map(|i| {
                source_at(
                    &server.base(),
                    &format!("d-{i}"),
                    &format!("/public/doc?{i}"),
                )
            })
            .collect();
        let dir = tempfile::tempdir().unwrap();
        let opts = CrawlOptions {
            max_crawl_delay: Duration::from_millis(max),
            ..fast_opts(dir.path())
        };
        let t = Instant::now();
        let report = crawl::crawl(&sources, &opts);
        assert_eq!(report.totals.fetched, 3);
        let g = gaps(&server);
        assert!(
            g[1..]
                .iter()
                .all(|d| *d >= Duration::from_millis(expect_ms)),
            "{delay}: {g:?}"
        );
        assert!(t.elapsed() < Duration::from_secs(3), "{delay}: clamped");
    }
}

#[test]
fn last_modified_alone_gives_conditional_requests() {
    let server = Server::start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let s = source_at(&server.base(), "lm", "/fault/lastmod-only");
    let opts = fast_opts(dir.path());
    let first = crawl::crawl(std::slice::from_ref(&s), &opts);
    assert_eq!(outcome(&first, "lm"), &Outcome::Fetched);
    let record_path = Cache::new(dir.path()).record_path("lm");
    let before = std::fs::read(&record_path).unwrap();
    let mtime = std::fs::metadata(&record_path).unwrap().modified().unwrap();
    let second = crawl::crawl(std::slice::from_ref(&s), &opts);
    assert_eq!(outcome(&second, "lm"), &Outcome::Unchanged);
    assert_eq!(second.totals.bytes, crawl_support::ROBOTS_TXT.len() as u64);
    let last = server.log().last().cloned().unwrap();
    assert_eq!(
        last.if_modified_since.as_deref(),
        Some("Tue, 01 Oct 2024 10:00:00 GMT")
    );
    assert_eq!(last.status, 304);
    assert_eq!(
        std::fs::read(&record_path).unwrap(),
        before,
        "nothing rewritten"
    );
    assert_eq!(
        std::fs::metadata(&record_path).unwrap().modified().unwrap(),
        mtime
    );
}

#[test]
fn fetch_uses_network_then_cache_and_works_offline() {
    let server = Server::start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let s = source_at(&server.base(), "lm", "/fault/lastmod-only");
    let opts = fast_opts(dir.path());
    let f = crawl::fetch(&s, &opts).unwrap();
    assert_eq!(f.bytes, INVENTED.as_bytes());
    assert_eq!(f.provenance.origin, Origin::Network);
    assert_eq!(f.provenance.status, Some(200));
    let f = crawl::fetch(&s, &opts).unwrap();
    assert_eq!(f.bytes, INVENTED.as_bytes());
    assert_eq!(f.provenance.origin, Origin::Cache, "304: the cached bytes");
    // A damaged cached object is noticed by `fetch` and downloaded again.
    let cache = Cache::new(dir.path());
    let object = cache.object_path(&f.provenance.sha256);
    std::fs::write(&object, vec![b'?'; INVENTED.len()]).unwrap();
    let f = crawl::fetch(&s, &opts).unwrap();
    assert_eq!(f.bytes, INVENTED.as_bytes());
    assert_eq!(f.provenance.origin, Origin::Network);
    assert_eq!(std::fs::read(&object).unwrap(), INVENTED.as_bytes());
    let requests = server.log().len();
    let offline = CrawlOptions {
        offline: true,
        ..opts.clone()
    };
    let f = crawl::fetch(&s, &offline).unwrap();
    assert_eq!(f.bytes, INVENTED.as_bytes());
    assert_eq!(f.provenance.origin, Origin::Cache);
    assert_eq!(server.log().len(), requests, "offline asks nobody");
    let never = source_at(&server.base(), "never", "/fault/ok");
    match crawl::fetch(&never, &offline) {
        Err(CrawlError::Network { reason, .. }) => assert!(reason.contains("offline"), "{reason}"),
        r => panic!("{r:?}"),
    }
    let report = crawl::crawl(&[s, never], &offline);
    assert_eq!(outcome(&report, "lm"), &Outcome::FromCache);
    assert!(matches!(
        outcome(&report, "never"),
        Outcome::Unavailable { .. }
    ));
    // Network down, copy cached: `fetch` falls back to the cache, `crawl` reports the failure.
    let s2 = source_at(&server.base(), "lm", "/fault/always-503");
    let f = crawl::fetch(&s2, &opts).unwrap();
    assert_eq!(f.provenance.origin, Origin::Cache);
    let report = crawl::crawl(&[s2], &opts);
    assert!(reason(&report, "lm").contains("503"));
}

#[test]
fn an_upstream_different_from_the_manifest_is_reported() {
    let server = Server::start(Config::default());
    let dir = tempfile::tempdir().unwrap();
    let mut s = source_at(&server.base(), "drifted", "/fault/ok");
    s.sha256 = Some("0".repeat(64));
    let opts = fast_opts(dir.path());
    let report = crawl::crawl(std::slice::from_ref(&s), &opts);
    match outcome(&report, "drifted") {
        Outcome::Changed { expected, actual } => {
            assert_eq!(expected, &"0".repeat(64));
            assert_eq!(actual, &crawl::sha256_hex(INVENTED.as_bytes()));
        }
        o => panic!("{o}"),
    }
    assert!(!report.is_success());
    assert_eq!(report.totals.changed, 1);
    let w = &report.get("drifted").unwrap().warnings;
    assert!(
        w.iter().any(|w| w.contains("differs from the manifest")),
        "{w:?}"
    );
    let st = crawl::status(std::slice::from_ref(&s), dir.path());
    assert_eq!(st[0].sha256_matches, Some(false));
    assert_eq!(st[0].last_outcome, Some(RecordOutcome::Changed));
    match crawl::fetch(&s, &opts) {
        Err(CrawlError::HashMismatch { actual, .. }) => {
            assert_eq!(actual, crawl::sha256_hex(INVENTED.as_bytes()))
        }
        r => panic!("{r:?}"),
    }
}

// ---- the real mirror -------------------------------------------------------------------------

/// The manifest's sources with URLs pointing at `server` (`https://host/path` →
/// `http://127.0.0.1:PORT/host/path`).
fn loopback_manifest(server: &Server) -> Vec<Source> {
    Manifest::builtin()
        .sources
        .into_iter()
        .map(|mut s| {
            s.url = server.map_url(&s.url);
            s
        })
        .collect()
}

fn in_mirror(mirror: &Path, original: &Source) -> bool {
    crawl::mirror_path(mirror, &original.url).is_some_and(|p| p.is_file())
}

/// One small mirrored document of each format.
fn handful(mirror: &Path) -> Vec<String> {
    let mut picked: Vec<(Format, u64, String)> = Vec::new();
    for s in Manifest::builtin().sources.iter().filter(|s| !s.bulk) {
        if !in_mirror(mirror, s) {
            continue;
        }
        let size = s.bytes.unwrap_or(u64::MAX);
        match picked.iter_mut().find(|(f, _, _)| *f == s.format) {
            Some(p) if size < p.1 => *p = (s.format, size, s.id.clone()),
            Some(_) => {}
            None => picked.push((s.format, size, s.id.clone())),
        }
    }
    picked.into_iter().map(|(_, _, id)| id).collect()
}

#[test]
fn a_handful_of_real_documents_with_provenance_then_unchanged() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let mirror = corpus.join("mirror");
    let server = Server::start(Config {
        mirror: Some(mirror.clone()),
        ..Config::default()
    });
    let ids = handful(&mirror);
    assert!(ids.len() >= 5, "{ids:?}");
    let builtin = Manifest::builtin();
    let sources: Vec<Source> = loopback_manifest(&server)
        .into_iter()
        .filter(|s| ids.contains(&s.id))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let opts = fast_opts(dir.path());
    let t = Instant::now();
    let first = crawl::crawl(&sources, &opts);
    eprintln!(
        "first crawl of {} documents: {:?}",
        sources.len(),
        t.elapsed()
    );
    print(&first);
    assert_eq!(first.totals.fetched, sources.len());
    let cache = Cache::new(dir.path());
    for s in &sources {
        let r = first.get(&s.id).unwrap();
        let p = r.provenance.as_ref().unwrap();
        let original = builtin.get(&s.id).unwrap();
        let file = std::fs::read(crawl::mirror_path(&mirror, &original.url).unwrap()).unwrap();
        assert_eq!(p.sha256, crawl::sha256_hex(&file), "{}", s.id);
        assert_eq!(Some(&p.sha256), s.sha256.as_ref(), "{}", s.id);
        assert_eq!(p.sha256_matches, Some(true));
        assert_eq!(p.bytes, file.len() as u64);
        assert_eq!(p.origin, Origin::Network);
        assert_eq!(p.status, Some(200));
        assert!(p.etag.is_some() && p.last_modified.is_some());
        assert_eq!(p.final_url, s.url);
        assert_eq!(
            p.encoding.is_some(),
            !matches!(s.format, Format::Pdf | Format::TarGz),
            "{}",
            s.id
        );
        assert_eq!(cache.read_object(&p.sha256).unwrap(), file);
        let rec = cache.load_record(&s.id).unwrap();
        assert_eq!(rec.sha256.as_deref(), Some(p.sha256.as_str()));
        assert_eq!(rec.url, s.url);
        assert_eq!(rec.outcome, RecordOutcome::Fetched);
        assert!(rec.fetched_at.as_deref().unwrap().ends_with('Z'));
    }
    let status = crawl::status(&sources, dir.path());
    assert!(
        status
            .iter()
            .all(|s| s.cached && s.sha256_matches == Some(true)),
        "{status:?}"
    );

    let records: Vec<_> = sources
        .iter()
        .map(|s| std::fs::read(cache.record_path(&s.id)).unwrap())
        .collect();
    server.clear_log();
    let t = Instant::now();
    let second = crawl::crawl(&sources, &opts);
    eprintln!("second crawl: {:?}", t.elapsed());
    assert_eq!(
        second.totals.unchanged,
        sources.len(),
        "{:?}",
        second.totals
    );
    let robots_len = crawl_support::ROBOTS_TXT.len() as u64;
    assert_eq!(
        second.totals.bytes, robots_len,
        "only robots.txt was downloaded"
    );
    assert_eq!(
        server.body_bytes(),
        robots_len,
        "no document body downloaded again"
    );
    let docs: Vec<_> = server
        .log()
        .into_iter()
        .filter(|l| l.path != "/robots.txt")
        .collect();
    assert_eq!(docs.len(), sources.len());
    assert!(docs
        .iter()
        .all(|l| l.status == 304 && l.if_none_match.is_some()));
    for (s, before) in sources.iter().zip(&records) {
        assert_eq!(
            &std::fs::read(cache.record_path(&s.id)).unwrap(),
            before,
            "{} rewritten",
            s.id
        );
        let p = second.get(&s.id).unwrap().provenance.clone().unwrap();
        assert_eq!(p.origin, Origin::Cache);
        assert_eq!(Some(&p.sha256), s.sha256.as_ref());
    }
}

#[test]
fn every_mirror_document_is_crawled_then_unchanged() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let mirror = corpus.join("mirror");
    let server = Server::start(Config {
        mirror: Some(mirror.clone()),
        ..Config::default()
    });
    let builtin = Manifest::builtin();
    let sources = loopback_manifest(&server);
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        cache: dir.path().to_path_buf(),
        min_host_delay: Duration::ZERO,
        backoff_base: Duration::from_millis(10),
        max_retries: 1,
        progress: false,
        ..CrawlOptions::default()
    };
    let t = Instant::now();
    let first = crawl::crawl(&sources, &opts);
    let first_time = t.elapsed();
    let mut present = 0;
    for s in &sources {
        let original = builtin.get(&s.id).unwrap();
        let r = first.get(&s.id).unwrap();
        if in_mirror(&mirror, original) {
            present += 1;
            assert_eq!(r.outcome, Outcome::Fetched, "{}: {}", s.id, r.outcome);
            let p = r.provenance.as_ref().unwrap();
            if s.sha256.is_some() {
                assert_eq!(p.sha256_matches, Some(true), "{}", s.id);
            }
        } else {
            assert!(reason(&first, &s.id).contains("HTTP 404"), "{}", s.id);
        }
    }
    let downloaded = server.body_bytes();
    eprintln!(
        "first crawl: {present} of {} sources fetched ({} MB) in {first_time:?}",
        sources.len(),
        downloaded >> 20
    );
    assert!(present >= 80, "{present}");
    assert_eq!(first.totals.fetched, present);
    assert_eq!(first.totals.failed, sources.len() - present);

    server.clear_log();
    let t = Instant::now();
    let second = crawl::crawl(&sources, &opts);
    eprintln!("second crawl: {:?} ({:?})", t.elapsed(), second.totals);
    assert_eq!(second.totals.unchanged, present);
    let document_bytes: u64 = server
        .log()
        .iter()
        .filter(|l| l.status == 200 && l.path != "/robots.txt")
        .map(|l| l.body_bytes)
        .sum();
    assert_eq!(document_bytes, 0, "nothing downloaded again");
    assert!(server
        .log()
        .iter()
        .filter(|l| l.status == 200)
        .all(|l| l.path == "/robots.txt"));
    assert!(first_time < Duration::from_secs(25));
}

#[test]
fn an_interrupted_crawl_resumes() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let mirror = corpus.join("mirror");
    let server = Server::start(Config {
        mirror: Some(mirror.clone()),
        ..Config::default()
    });
    let ids = handful(&mirror);
    let sources: Vec<Source> = loopback_manifest(&server)
        .into_iter()
        .filter(|s| ids.contains(&s.id))
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let opts = fast_opts(dir.path());
    let (done, rest) = sources.split_at(sources.len() / 2);
    let first = crawl::crawl(done, &opts);
    assert_eq!(first.totals.fetched, done.len());

    // What a kill leaves behind: half-written temporaries (old), and an object without its record.
    let cache = Cache::new(dir.path());
    let stray = dir
        .path()
        .join("records")
        .join(format!(".tmp-{}.json-999-0", rest[0].id));
    std::fs::write(&stray, b"{\"id\": \"trunc").unwrap();
    let hour_ago = std::time::SystemTime::now() - Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(&stray)
        .unwrap()
        .set_modified(hour_ago)
        .unwrap();
    let orphan = std::fs::read(
        crawl::mirror_path(&mirror, &Manifest::builtin().get(&rest[0].id).unwrap().url).unwrap(),
    )
    .unwrap();
    cache.store_object(&orphan).unwrap();

    server.clear_log();
    let second = crawl::crawl(&sources, &opts);
    print(&second);
    for s in done {
        assert_eq!(outcome(&second, &s.id), &Outcome::Unchanged, "{}", s.id);
    }
    for s in rest {
        assert_eq!(outcome(&second, &s.id), &Outcome::Fetched, "{}", s.id);
        assert!(cache.load_record(&s.id).is_some());
    }
    assert!(!stray.exists(), "stale temporaries are swept");
    let done_bytes: u64 = server
        .log()
        .iter()
        .filter(|l| done.iter().any(|s| s.url.ends_with(&l.path)))
        .map(|l| l.body_bytes)
        .sum();
    assert_eq!(done_bytes, 0, "finished sources are not downloaded again");
}

// ---- the mirror with injected faults (issue 17) ---------------------------------------------

/// The mirrored sources of the manifest, each host on its own loopback server, with faults put
/// on some of them, and three extra sources on a server that never answers them.
struct FaultyMirror {
    _servers: Vec<Server>,
    sources: Vec<Source>,
    /// (source id, what was injected)
    faulted: Vec<(String, &'static str)>,
}

fn faulty_mirror(mirror: &Path, drip_every: Duration, limit: Duration) -> FaultyMirror {
    use std::collections::HashMap;
    let builtin = Manifest::builtin();
    let mirrored: Vec<Source> = builtin
        .sources
        .iter()
        .filter(|s| in_mirror(mirror, s))
        .cloned()
        .collect();
    let host_of = |s: &Source| s.url.split('/').nth(2).unwrap_or("").to_string();
    let raw: Vec<&Source> = mirrored
        .iter()
        .filter(|s| host_of(s) == "raw.githubusercontent.com")
        .collect();
    assert!(raw.len() >= 50, "{} raw sources", raw.len());
    // `https://host/path?q` → the path the loopback server sees: `/host/path`.
    let key = |s: &Source| {
        let rest = s.url.split_once("://").unwrap().1;
        format!("/{}", rest.split('?').next().unwrap())
    };
    let mut faulted = Vec::new();
    let mut raw_faults = HashMap::new();
    for (i, fault, what) in [
        (
            4,
            crawl_support::Fault::Drip {
                every: drip_every,
                limit,
            },
            "drip",
        ),
        (19, crawl_support::Fault::Stall { limit }, "stall"),
        (
            29,
            crawl_support::Fault::RetryAfter("100".into()),
            "retry-after-100",
        ),
        (
            39,
            crawl_support::Fault::RetryAfter("86400".into()),
            "retry-after-huge",
        ),
    ] {
        raw_faults.insert(key(raw[i]), fault);
        faulted.push((raw[i].id.clone(), what));
    }
    let mut servers: HashMap<String, Server> = HashMap::new();
    for s in &mirrored {
        let host = host_of(s);
        if servers.contains_key(&host) {
            continue;
        }
        let mut config = Config {
            mirror: Some(mirror.to_path_buf()),
            ..Config::default()
        };
        if host == "raw.githubusercontent.com" {
            config.faults = std::mem::take(&mut raw_faults);
        } else {
            // Every other mirrored host has a robots.txt that drips.
            config.robots = RobotsMode::Fault(crawl_support::Fault::Drip {
                every: drip_every,
                limit,
            });
            for t in mirrored.iter().filter(|t| host_of(t) == host) {
                faulted.push((t.id.clone(), "robots-drip"));
            }
        }
        servers.insert(host, Server::start(config));
    }
    let mut sources: Vec<Source> = mirrored
        .iter()
        .map(|s| {
            let mut s = s.clone();
            s.url = servers[&host_of(&s)].map_url(&s.url);
            s
        })
        .collect();
    // A host whose robots.txt is fine and whose documents are never answered: six sources.
    let silent_faults = raw
        .iter()
        .take(6)
        .map(|s| (key(s), crawl_support::Fault::Silent { limit }))
        .collect();
    let silent = Server::start(Config {
        faults: silent_faults,
        ..Config::default()
    });
    for (n, s) in raw.iter().take(6).enumerate() {
        let mut s = (*s).clone();
        s.id = format!("silent-{n}");
        s.url = silent.map_url(&s.url);
        faulted.push((s.id.clone(), "silent-host"));
        sources.push(s);
    }
    let mut all: Vec<Server> = servers.into_values().collect();
    all.push(silent);
    FaultyMirror {
        _servers: all,
        sources,
        faulted,
    }
}

/// Run the crawl of a [`FaultyMirror`] and print what happened to the faulted sources.
fn crawl_faulty(m: &FaultyMirror, opts: &CrawlOptions) -> (CrawlReport, Duration) {
    let t = Instant::now();
    let report = crawl::crawl(&m.sources, opts);
    let took = t.elapsed();
    for (id, what) in &m.faulted {
        let r = report.get(id).unwrap();
        eprintln!("{id:<48} {what:<18} {:>8.1?} {}", r.elapsed, r.outcome);
    }
    eprintln!(
        "{} sources ({} faulted) in {took:.1?}: {}",
        m.sources.len(),
        m.faulted.len(),
        report.totals
    );
    (report, took)
}

/// The outcomes a faulty mirror must end with, whatever the limits.
fn assert_faulty_outcomes(m: &FaultyMirror, report: &CrawlReport) {
    for (id, what) in &m.faulted {
        let o = outcome(report, id);
        let r = reason(report, id);
        match *what {
            "drip" => assert!(r.contains("too slow"), "{id}: {r}"),
            "stall" => assert!(
                r.contains("timed out") && r.contains("stalled"),
                "{id}: {r}"
            ),
            "retry-after-100" | "retry-after-huge" => assert!(
                r.contains("429") && r.contains("Retry-After") && r.contains("not retrying"),
                "{id}: {r}"
            ),
            "robots-drip" => {
                assert!(matches!(o, Outcome::Unavailable { .. }), "{id}: {o}");
                assert!(
                    r.contains("robots.txt") && r.contains("too slow"),
                    "{id}: {r}"
                );
            }
            // Two stalls in a row on each of its two connections (max_host_stalls), then the
            // host is not asked again; a request already on its way on the other connection may
            // stall once more, so the sixth source is never asked.
            "silent-host" if id == "silent-5" => {
                assert!(r.contains("not asked again"), "{id}: {r}")
            }
            "silent-host" if id == "silent-4" => assert!(
                r.contains("not asked again") || (r.contains("timed out") && r.contains("stalled")),
                "{id}: {r}"
            ),
            "silent-host" => assert!(
                r.contains("timed out") && r.contains("stalled"),
                "{id}: {r}"
            ),
            w => panic!("{w}"),
        }
    }
    for s in &m.sources {
        if m.faulted.iter().all(|(id, _)| *id != s.id) {
            assert_eq!(outcome(report, &s.id), &Outcome::Fetched, "{}", s.id);
        }
    }
}

#[test]
fn a_faulty_mirror_ends_with_every_fault_reported_and_the_rest_fetched() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let m = faulty_mirror(
        &corpus.join("mirror"),
        Duration::from_millis(200),
        Duration::from_secs(60),
    );
    let dir = tempfile::tempdir().unwrap();
    // Small limits (the defaults are 20 s windows): 1 KiB/s over 1 s, 1 s of silence, 3 s in all.
    let opts = CrawlOptions {
        cache: dir.path().to_path_buf(),
        read_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(3),
        min_transfer_rate: 1024,
        rate_window: Duration::from_secs(1),
        retry_after_cap: Duration::from_secs(5),
        retry_after_budget: Duration::from_secs(5),
        backoff_base: Duration::from_millis(20),
        min_host_delay: Duration::ZERO,
        progress: false,
        ..CrawlOptions::default()
    };
    let (report, took) = crawl_faulty(&m, &opts);
    assert_faulty_outcomes(&m, &report);
    // Not a benchmark: each fault costs about one limit (1–3 s here) and the hosts run side by
    // side; before the limits existed this crawl took minutes. 60 s leaves room for a loaded
    // machine while still catching a fault that is retried or holds the other hosts.
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// The same at the documented default limits (min_host_delay aside: a loopback server needs no
/// politeness): `cargo test --test crawl -- --ignored faulty_mirror_at_default --nocapture`.
/// Issue 17 asks for under 2 minutes in total.
#[test]
#[ignore = "a benchmark: about a minute at the default limits"]
fn bench_faulty_mirror_at_default_limits() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let m = faulty_mirror(
        &corpus.join("mirror"),
        Duration::from_millis(500),
        Duration::from_secs(3000),
    );
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        cache: dir.path().to_path_buf(),
        min_host_delay: Duration::ZERO,
        progress: false,
        ..CrawlOptions::default()
    };
    let (report, took) = crawl_faulty(&m, &opts);
    eprintln!("BENCH faulty mirror at default limits: {took:.1?}");
    assert_faulty_outcomes(&m, &report);
}

/// The same with the default politeness too (1 s between the starts of two requests to a host,
/// two connections per host: 80 of the sources share one host, so about 80 s of it is waiting
/// for turns; the drip's and the stall's detection windows run beside them on the second
/// connection).
#[test]
#[ignore = "a benchmark: about 90 s at the default limits and politeness"]
fn bench_faulty_mirror_at_default_limits_and_politeness() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let m = faulty_mirror(
        &corpus.join("mirror"),
        Duration::from_millis(500),
        Duration::from_secs(3000),
    );
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        cache: dir.path().to_path_buf(),
        progress: false,
        ..CrawlOptions::default()
    };
    let (report, took) = crawl_faulty(&m, &opts);
    eprintln!("BENCH faulty mirror at default limits and politeness: {took:.1?}");
    assert_faulty_outcomes(&m, &report);
}

#[test]
fn retry_after_counts_against_a_budget_per_source() {
    let server = Server::start(Config {
        faults: [(
            "/always-429".to_string(),
            crawl_support::Fault::RetryAfter("1".into()),
        )]
        .into(),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        max_retries: 10,
        retry_after_budget: Duration::from_millis(2500),
        ..fast_opts(dir.path())
    };
    let s = source_at(&server.base(), "busy", "/always-429");
    let report = crawl::crawl(&[s], &opts);
    print(&report);
    let r = reason(&report, "busy");
    assert!(
        r.contains("retry_after_budget") && r.contains("not retrying"),
        "{r}"
    );
    // 1 s + 1 s fit in 2.5 s; the third wait does not: three requests, not eleven.
    assert_eq!(server.hits("/always-429"), 3);
}

#[test]
fn robots_txt_is_read_up_to_its_cap_and_the_rest_ignored() {
    // The rules that count come first; a rule past the cap must not count.
    let mut body = String::from("User-agent: *\nDisallow: /private/\n");
    while body.len() < 2 << 20 {
        body.push_str("# an invented filler line of a very long robots.txt\n");
    }
    body.push_str("User-agent: *\nDisallow: /public/\n");
    let server = Server::start(Config {
        robots: RobotsMode::Body(body),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        max_robots_bytes: 64 << 10,
        ..fast_opts(dir.path())
    };
    let sources = [
        source_at(&server.base(), "private", "/private/doc"),
        source_at(&server.base(), "public", "/public/doc"),
    ];
    let report = crawl::crawl(&sources, &opts);
    print(&report);
    assert!(matches!(
        outcome(&report, "private"),
        Outcome::Unavailable { .. }
    ));
    assert_eq!(outcome(&report, "public"), &Outcome::Fetched);
    assert!(
        report.totals.bytes < 200 << 10,
        "robots.txt read whole: {} bytes",
        report.totals.bytes
    );
}

#[test]
fn a_gzip_bomb_of_900_mb_sent_as_900_kb_is_refused_early() {
    let body = crawl_support::zeros_gzipped(900_000_000);
    assert!(body.len() < 1 << 20, "{} bytes sent", body.len());
    let server = Server::start(Config {
        faults: [("/bomb".to_string(), crawl_support::Fault::Bomb(900_000_000))].into(),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    // The default decoding limits (256 MiB, ratio 100), the fast timeouts.
    let opts = CrawlOptions {
        max_decompressed_bytes: CrawlOptions::default().max_decompressed_bytes,
        total_timeout: Duration::from_secs(10),
        read_timeout: Duration::from_secs(5),
        ..fast_opts(dir.path())
    };
    let s = source_at(&server.base(), "bomb", "/bomb");
    let report = crawl::crawl(std::slice::from_ref(&s), &opts);
    print(&report);
    let r = reason(&report, "bomb");
    assert!(
        r.contains("max_compression_ratio") && r.contains("bomb") && r.contains("cached"),
        "{r}"
    );
    assert_eq!(server.hits("/bomb"), 1, "not retried");
    let cache = Cache::new(dir.path());
    assert!(!crawl::status(&[s], dir.path())[0].cached);
    assert!(
        std::fs::read_dir(cache.root().join("objects"))
            .map(|d| d.count() == 0)
            .unwrap_or(true),
        "nothing cached"
    );
}

#[test]
fn without_a_network_the_crawl_ends_at_once_with_one_reason() {
    // `.invalid` names never resolve (RFC 6761), with or without a network.
    let sources: Vec<Source> = (0..6)
        .map(|i| {
            let mut s = template();
            s.id = format!("nowhere-{i}");
            s.url = format!("https://cyberlex-host-{}.invalid/doc-{i}.md", i % 3);
            s
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let report = crawl::crawl(
        &sources,
        &CrawlOptions {
            cache: dir.path().to_path_buf(),
            progress: false,
            ..CrawlOptions::default()
        },
    );
    print(&report);
    let why = report.network_down.clone().expect("the network is down");
    assert!(
        why.starts_with("no network:") && why.contains(".invalid"),
        "{why}"
    );
    assert_eq!(report.totals.failed, 6);
    for s in &sources {
        assert_eq!(reason(&report, &s.id), why, "one reason for all");
    }
    assert_eq!(report.totals.requests, 0, "nobody was asked");
    assert!(!report.is_success());
    // Nothing was written for sources that did not fail themselves.
    assert!(Cache::new(dir.path()).load_record("nowhere-0").is_none());
}

#[test]
fn one_unreachable_host_is_reported_as_such_and_the_others_are_fetched() {
    let server = Server::start(Config::default());
    // A port nobody listens on: connections are refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed_addr = closed.local_addr().unwrap();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let sources = vec![
        source_at(&format!("http://{closed_addr}"), "refused", "/fault/ok"),
        source_at(&server.base(), "ok-1", "/fault/ok"),
        source_at(&server.base(), "ok-2", "/public/doc"),
    ];
    let report = crawl::crawl(&sources, &fast_opts(dir.path()));
    print(&report);
    assert!(report.network_down.is_none(), "{:?}", report.network_down);
    let r = reason(&report, "refused");
    assert!(
        r.contains("cannot connect") && !r.contains("disallowed"),
        "a network failure, not a robots.txt verdict: {r}"
    );
    assert_eq!(outcome(&report, "ok-1"), &Outcome::Fetched);
    assert_eq!(outcome(&report, "ok-2"), &Outcome::Fetched);
}

/// The built-in manifest with `https://host/` of every URL replaced by `base(host)`.
fn manifest_with_hosts(dir: &Path, base: impl Fn(&str) -> String) -> std::path::PathBuf {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/corpus/sources.toml"))
        .unwrap();
    let mut out = String::new();
    for line in text.lines() {
        match line.strip_prefix("url = \"https://") {
            Some(rest) => {
                let (host, path) = rest.split_once('/').unwrap();
                out.push_str(&format!("url = \"{}/{path}\n", base(host)));
            }
            None => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    let p = dir.join("sources.toml");
    std::fs::write(&p, out).unwrap();
    p
}

/// The built-in manifest with every host replaced by a name that never resolves.
fn unresolvable_manifest(dir: &Path) -> std::path::PathBuf {
    manifest_with_hosts(dir, |host| {
        format!("https://{}.cyberlex-test.invalid", host.replace('.', "-"))
    })
}

#[test]
fn cli_crawl_fails_when_nothing_could_be_fetched() {
    // Every host answers robots.txt with 503: every source is unavailable, none failed.
    let server = Server::start(Config {
        robots: RobotsMode::Status(503),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let manifest = manifest_with_hosts(dir.path(), |host| format!("{}/{host}", server.base()));
    let out = assert_cmd::Command::cargo_bin("cyberlex")
        .unwrap()
        .args([
            "crawl",
            "--only",
            "de-stgb",
            "--only",
            "de-stpo",
            "--sources",
        ])
        .arg(&manifest)
        .arg("--cache")
        .arg(dir.path().join("cache"))
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("stdout: {stdout}\nstderr: {stderr}");
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("nothing could be fetched"), "{stderr}");
    assert!(stdout.contains("2 unavailable"), "{stdout}");
}

#[test]
fn build_over_the_network_keeps_going_past_a_host_that_never_answers() {
    let Some(corpus) = crawl_support::corpus_dir() else {
        return;
    };
    let mirror = corpus.join("mirror");
    let ids = handful(&mirror);
    let good = Server::start(Config {
        mirror: Some(mirror.clone()),
        ..Config::default()
    });
    let mut manifest = Manifest::builtin();
    manifest.sources.retain(|s| ids.contains(&s.id));
    let silent_id = manifest.sources[0].id.clone();
    let silent_key = format!("/{}", manifest.sources[0].url.split_once("://").unwrap().1);
    let silent = Server::start(Config {
        faults: [(
            silent_key,
            crawl_support::Fault::Silent {
                limit: Duration::from_secs(30),
            },
        )]
        .into(),
        ..Config::default()
    });
    for s in &mut manifest.sources {
        s.url = if s.id == silent_id {
            silent.map_url(&s.url)
        } else {
            good.map_url(&s.url)
        };
    }
    let dir = tempfile::tempdir().unwrap();
    let opts = cyberlex::pipeline::BuildOptions {
        index_dir: dir.path().join("index"),
        crawl: CrawlOptions {
            read_timeout: Duration::from_secs(1),
            ..fast_opts(&dir.path().join("cache"))
        },
        threads: 1,
        memory_budget: 50_000_000,
        include_bulk: false,
        only: Vec::new(),
        progress: false,
        budget: Default::default(),
    };
    let report = cyberlex::pipeline::build(&manifest, &opts).unwrap();
    assert_eq!(report.sources_built, ids.len() - 1, "{:?}", report.failures);
    assert_eq!(report.failures.len(), 1);
    let f = &report.failures[0];
    assert_eq!(f.source_id, silent_id);
    assert_eq!(f.stage, "fetch");
    assert!(
        f.reason.contains("timed out") && f.reason.contains("stalled"),
        "{}",
        f.reason
    );
    let fetch = report.stages.iter().find(|s| s.stage == "fetch").unwrap();
    assert!(
        fetch.seconds > 0.5,
        "the fetch stage is timed: {}",
        fetch.seconds
    );
    assert!(report.seconds >= fetch.seconds);
}

#[test]
fn cli_crawl_and_build_without_a_network_say_so_in_one_line_and_fail() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = unresolvable_manifest(dir.path());
    let cache = dir.path().join("cache");
    let index = dir.path().join("index");
    for args in [
        vec!["crawl", "--sources"],
        vec!["build", "--index", index.to_str().unwrap(), "--sources"],
    ] {
        let out = assert_cmd::Command::cargo_bin("cyberlex")
            .unwrap()
            .args(&args)
            .arg(&manifest)
            .arg("--cache")
            .arg(&cache)
            .env("NO_COLOR", "1")
            .env_remove("CYBERLEX_CORPUS")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprintln!(
            "{args:?}: {:?}\nstdout: {stdout}\nstderr: {stderr}",
            out.status
        );
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let lines: Vec<&str> = stderr.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(lines.len(), 1, "{args:?}: one line: {stderr}");
        let line = lines[0];
        assert!(line.contains("no network"), "{line}");
        assert!(!line.contains("robots.txt"), "{line}");
        assert!(
            line.contains(&format!("cyberlex {} ", args[0])) && line.contains("--mirror"),
            "the command to use the mirror: {line}"
        );
        assert!(stdout.trim().is_empty(), "{args:?}: {stdout}");
    }
    assert!(!index.join("CURRENT").exists(), "no index was published");
}

#[test]
fn a_chunked_stream_that_never_ends_is_cut_by_the_rate_or_the_deadline() {
    let limit = Duration::from_secs(30);
    let server = Server::start(Config {
        faults: [
            (
                "/endless-slow".to_string(),
                crawl_support::Fault::Endless {
                    chunk: 100,
                    every: Duration::from_millis(200),
                    limit,
                },
            ),
            (
                "/endless-fast".to_string(),
                crawl_support::Fault::Endless {
                    chunk: 4 << 10,
                    every: Duration::from_millis(10),
                    limit,
                },
            ),
        ]
        .into(),
        ..Config::default()
    });
    let dir = tempfile::tempdir().unwrap();
    let opts = CrawlOptions {
        total_timeout: Duration::from_secs(3),
        read_timeout: Duration::from_secs(1),
        min_transfer_rate: 1024,
        rate_window: Duration::from_secs(1),
        max_body_bytes: 256 << 20,
        ..fast_opts(dir.path())
    };
    let sources = [
        source_at(&server.base(), "slow", "/endless-slow"),
        source_at(&server.base(), "fast", "/endless-fast"),
    ];
    let report = crawl::crawl(&sources, &opts);
    print(&report);
    // About 500 bytes/s: below the minimum rate.
    let r = reason(&report, "slow");
    assert!(r.contains("too slow") && r.contains("not retrying"), "{r}");
    // About 400 KB/s, within every size limit: the deadline ends it.
    let r = reason(&report, "fast");
    assert!(r.contains("timed out") && r.contains("not retrying"), "{r}");
    assert_eq!(server.hits("/endless-slow"), 1);
    assert_eq!(server.hits("/endless-fast"), 1);
}

/// Issue 16 item 10: Ctrl-C in the middle of a build (its fetch held by a body that drips) says
/// that the previous index is still current, exits 130, leaves no partial generation, and the
/// previous index still answers.
#[cfg(unix)]
#[test]
fn ctrl_c_during_a_build_keeps_the_previous_index_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let docs = dir.path().join("docs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(
        docs.join("zorblatt.txt"),
        "Article 1 Zorblatt\n\nWhoever zorblatts a gadget without right is punished.\n",
    )
    .unwrap();
    let index = dir.path().join("index");
    let cli = || {
        let mut c = std::process::Command::new(assert_cmd::cargo::cargo_bin("cyberlex"));
        c.env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .env("HOME", dir.path())
            .env("XDG_CACHE_HOME", dir.path().join("cache"));
        c
    };
    let out = cli()
        .args(["build", "--threads", "1", "--dir"])
        .arg(&docs)
        .arg("--index")
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let generations = || -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(&index)
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with("gen-"))
            .collect();
        v.sort();
        v
    };
    let before = generations();
    assert_eq!(before.len(), 1, "{before:?}");

    // A second build also fetches a source whose body drips (1 byte every 200 ms, for a minute).
    let server = Server::start(Config {
        faults: [(
            "/slow/zorblatt.md".to_string(),
            crawl_support::Fault::Drip {
                every: Duration::from_millis(200),
                limit: Duration::from_secs(60),
            },
        )]
        .into(),
        ..Config::default()
    });
    let manifest = dir.path().join("m.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[source]]\nid = \"xx-slow\"\nurl = \"{}/slow/zorblatt.md\"\ntitle = \"Slow\"\n\
             kind = \"national-law\"\njurisdiction = \"XX\"\nlanguage = \"en\"\nformat = \"md\"\n",
            server.base()
        ),
    )
    .unwrap();
    let child = cli()
        .args(["build", "--threads", "1", "--dir"])
        .arg(&docs)
        .arg("--sources")
        .arg(&manifest)
        .arg("--index")
        .arg(&index)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the drip is being served (robots.txt answered, one request in flight).
    let t = Instant::now();
    while !(server.state.local.now.load(Ordering::SeqCst) >= 1
        && server
            .state
            .log
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.path == "/robots.txt"))
    {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "the build never fetched"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(300));
    // SAFETY: kill(2) on the pid of the child this test started.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    eprintln!("{stderr}");
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(
        stderr.contains("interrupted") && stderr.contains("is still current"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&*index.to_string_lossy()),
        "names the index: {stderr}"
    );
    assert_eq!(generations(), before, "no partial generation is left");
    let out = cli()
        .args(["search", "zorblatt", "--index"])
        .arg(&index)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("zorblatt"));

    // Interrupted once its new generation exists (a folder of 3,000 generated documents keeps it
    // busy long enough): the partial generation goes with it.
    let many = dir.path().join("many");
    std::fs::create_dir_all(&many).unwrap();
    let words = [
        "zorblatt", "gadget", "without", "right", "device", "alters", "enters",
    ];
    for i in 0..3000usize {
        let body: Vec<&str> = (0..300)
            .map(|j| words[(i * 7 + j * 13) % words.len()])
            .collect();
        std::fs::write(
            many.join(format!("d{i}.txt")),
            format!("Article {i} Zorblatt\n\n{}.\n", body.join(" ")),
        )
        .unwrap();
    }
    let child = cli()
        .args(["build", "--threads", "2", "--dir"])
        .arg(&many)
        .arg("--index")
        .arg(&index)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let own = format!("-{}", child.id());
    let t = Instant::now();
    while !generations().iter().any(|g| g.ends_with(&own)) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "no generation appeared"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: as above.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(130), "{stderr}");
    assert!(stderr.contains("is still current"), "{stderr}");
    assert_eq!(generations(), before, "the partial generation was removed");
}
