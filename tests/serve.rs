//! `cyberlex serve` end to end: a server on an ephemeral loopback port over an index built from
//! invented documents; every endpoint against the CLI's JSON for the same input, the errors, the
//! escaping of hostile text, the limits, the generation swap during a rebuild, and SIGTERM.

mod serve_support;
mod util;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serve_support::*;

#[test]
fn api_answers_what_the_cli_prints() {
    let f = fixture();
    let s = Server::start(&f.index);
    assert_eq!(get(&s, "/healthz").body, "ok");

    // search: the same flags as URL parameters.
    for (cli, url) in [
        (vec!["zorblatt"], "q=zorblatt"),
        (vec!["illegal access"], "q=illegal%20access"),
        (
            vec!["zorblatt", "-j", "FR", "--limit", "1"],
            "q=zorblatt&jurisdiction=FR&limit=1",
        ),
        (
            vec!["zorblatt", "--offset", "2", "--explain"],
            "q=zorblatt&offset=2&explain=true",
        ),
        (vec!["zorblatt", "--since", "2018"], "q=zorblatt&since=2018"),
        (
            vec!["zorblatt", "--lang", "en", "--kind", "national-law"],
            "q=zorblatt&lang=en&kind=national-law",
        ),
        (
            vec!["zorblatt", "--concept", "illegal-access"],
            "q=zorblatt&concept=illegal-access",
        ),
        (vec!["nothingmatchesthis"], "q=nothingmatchesthis"),
    ] {
        let mut args = vec!["search"];
        args.extend(&cli);
        args.extend(["--format", "json"]);
        let want = cli_json(&args, &f.index);
        let r = get(&s, &format!("/api/search?{url}"));
        assert_eq!(r.status, 200, "{url}: {}", r.body);
        assert_eq!(r.json(), want, "/api/search?{url}");
    }
    let all = cli_json(&["search", "zorblatt", "--format", "json"], &f.index);
    assert!(all["total_hits"].as_u64().unwrap() >= 5, "{all}");

    // show / inspect: ids percent-encoded as one segment, or as plain path segments.
    let id = all["hits"][0]["passage_id"].as_str().unwrap().to_string();
    assert!(id.contains('/'), "{id}");
    let want = cli_json(&["show", &id, "--json"], &f.index);
    let enc = id.replace('/', "%2F");
    for path in [format!("/api/passage/{enc}"), format!("/api/passage/{id}")] {
        let r = get(&s, &path);
        assert_eq!(r.status, 200, "{path}: {}", r.body);
        assert_eq!(r.json(), want, "{path}");
    }
    let want = cli_json(&["inspect", "xx-alpha", "--json"], &f.index);
    assert_eq!(want["passages"].as_array().unwrap().len(), 3, "{want}");
    assert_eq!(get(&s, "/api/document/xx-alpha").json(), want);

    // compare and matrix.
    let want = cli_json(&["compare", "illegal access", "--format", "json"], &f.index);
    let r = get(&s, "/api/compare?q=illegal+access");
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), want);
    assert!(want["rows"].as_array().unwrap().len() >= 2, "{want}");
    let want = cli_json(
        &["compare", "--concept", "illegal-access", "--format", "json"],
        &f.index,
    );
    assert_eq!(get(&s, "/api/compare?concept=illegal-access").json(), want);
    let want = cli_json(&["matrix", "--format", "json"], &f.index);
    assert_eq!(get(&s, "/api/matrix").json(), want);
    let want = cli_json(
        &[
            "matrix",
            "-j",
            "DE",
            "--concept",
            "illegal-access",
            "--format",
            "json",
        ],
        &f.index,
    );
    assert_eq!(
        get(&s, "/api/matrix?jurisdiction=DE&concept=illegal-access").json(),
        want
    );

    let spec = get(&s, "/api/openapi.json").json();
    for p in [
        "/api/search",
        "/api/passage/{passage_id}",
        "/api/compare",
        "/api/matrix",
    ] {
        assert!(spec["paths"].get(p).is_some(), "openapi lacks {p}");
    }
}

#[test]
fn errors_are_json_with_the_right_status_never_500() {
    let f = fixture();
    let s = Server::start(&f.index);
    let r = get(&s, "/api/search?q=zorblatt%20AND%20(");
    assert_eq!(r.status, 400, "{}", r.body);
    let v = r.json();
    let msg = v["error"].as_str().unwrap();
    assert!(msg.starts_with("cannot parse the query"), "{msg}");
    // The parser's own message and position, as the CLI prints them.
    let out = Command::new(bin())
        .args(["search", "zorblatt AND (", "--index"])
        .arg(&f.index)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(msg), "CLI: {stderr}\nAPI: {msg}");
    assert!(v["position"].as_u64().is_some(), "{v}");

    for (path, status) in [
        ("/api/passage/no-such%2Fpassage", 404),
        ("/api/passage/..%2F..%2Fetc%2Fpasswd", 404),
        ("/api/document/no-such-doc", 404),
        ("/api/document/..%2FCURRENT", 404),
        ("/api/compare?article=coe%3A999", 404),
        ("/api/compare?article=nonsense", 400),
        ("/api/compare", 400),
        ("/api/matrix?concept=no-such-concept", 400),
        ("/api/search?q=zorblatt&limit=lots", 400),
        ("/api/search?q=zorblatt&limit=100000", 400),
        ("/api/search?q=zorblatt&jurisdiction=Atlantis", 400),
        ("/api/search?q=zorblatt&since=year", 400),
        ("/api/search?q=zorblatt&explain=maybe", 400),
        ("/api/search?q=", 400),
        ("/api/search?q=%22unclosed", 400),
        ("/api/search?q=ab*", 400),
        ("/api/no-such-endpoint", 404),
    ] {
        let r = get(&s, path);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        assert!(
            r.json()["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{path}: {}",
            r.body
        );
    }
    // Limits: the parser's query length, the request target, the body.
    let long = "zorblatt ".repeat(600);
    let r = get(&s, &format!("/api/search?q={}", long.replace(' ', "+")));
    assert_eq!(r.status, 400, "{}", r.body);
    let huge = "a".repeat(20_000);
    assert_eq!(get(&s, &format!("/api/search?q={huge}")).status, 414);
    let r = got(agent()
        .post(&s.url("/api/situation"))
        .send(vec![b'x'; 200_000]));
    assert_eq!(r.status, 413, "{}", r.body);
    // Pages answer errors as pages, with the same statuses.
    let r = get(&s, "/search?q=zorblatt%20AND%20(");
    assert_eq!(r.status, 400);
    assert!(r.body.contains("cannot parse the query"), "{}", r.body);
    assert_eq!(get(&s, "/passage/no-such%2Fpassage").status, 404);
    assert_eq!(get(&s, "/static/").status, 404);
    assert_eq!(get(&s, "/static/../Cargo.toml").status, 404);
}

#[test]
fn pages_escape_markup_from_documents_and_queries() {
    let f = fixture();
    let s = Server::start(&f.index);
    let hostile = ["<script", "<img", "onerror=alert(2)>"];
    let check_status = |path: &str, status: u16, must: &[&str]| {
        let r = get(&s, path);
        assert_eq!(r.status, status, "{path}: {}", r.body);
        let csp = r.header("content-security-policy").unwrap_or("");
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("unsafe-inline"),
            "{path}: CSP `{csp}`"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        for h in hostile {
            assert!(!r.body.contains(h), "{path} holds unescaped `{h}`");
        }
        for m in must {
            assert!(r.body.contains(m), "{path} lacks `{m}`:\n{}", r.body);
        }
        r.body
    };
    let check = |path: &str, must: &[&str]| check_status(path, 200, must);
    // The hostile passage, found by a word of it: escaped in snippet, heading and text.
    let body = check(
        "/search?q=clerk",
        &[
            "&lt;script&gt;alert(3)&lt;/script&gt;",
            "<mark>clerk</mark>",
        ],
    );
    assert!(
        body.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"),
        "{body}"
    );
    let id = cli_json(&["search", "clerk", "--format", "json"], &f.index)["hits"][0]["passage_id"]
        .as_str()
        .unwrap()
        .to_string();
    check(
        &format!("/passage/{}", id.replace('/', "%2F")),
        &[
            "&lt;script&gt;alert(1)&lt;/script&gt;",
            "&lt;img src=x onerror=alert(2)&gt;",
        ],
    );
    check(
        "/document/xx-alpha",
        &["&lt;script&gt;alert(1)&lt;/script&gt;"],
    );
    check("/compare?q=clerk", &["Invented Alpha Act"]);
    // The query itself, echoed in the search box and the summary.
    // (An unclosed quote: the error page echoes the query, with the caret under it.)
    let body = check_status(
        "/search?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dalert(2)%3E%20clerk",
        400,
        &["&quot;&gt;&lt;img", "cannot parse the query"],
    );
    assert!(!body.contains("value=\"\">"), "{body}");
    check(
        "/search?q=clerk%20%3Cscript%3E",
        &["value=\"clerk &lt;script&gt;\""],
    );
    // JSON keeps the text as it is (JSON is not HTML); the browser never renders it as a page.
    let r = get(&s, "/api/search?q=clerk");
    assert!(r
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    assert!(r.body.contains("<script>alert(3)</script>"));
}

#[test]
fn a_rebuild_swaps_generations_without_failing_a_request() {
    let f = fixture();
    let s = Server::start(&f.index);
    let gen_before = std::fs::read_to_string(f.index.join("CURRENT")).unwrap();
    assert_eq!(
        get(&s, "/api/search?q=quuxword").json()["total_hits"],
        0,
        "the new word is not there yet"
    );
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let mut clients = Vec::new();
    for c in 0..4 {
        let (stop, done, base) = (stop.clone(), done.clone(), s.base.clone());
        clients.push(std::thread::spawn(move || {
            let a = agent();
            let mut failures = Vec::new();
            let deadline = Instant::now() + Duration::from_secs(120);
            while !stop.load(Ordering::Relaxed) && Instant::now() < deadline {
                let path = if c % 2 == 0 {
                    "/api/search?q=zorblatt"
                } else {
                    "/search?q=zorblatt&jurisdiction=DE"
                };
                let r = got(a.get(&format!("{base}{path}")).call());
                if r.status != 200 {
                    failures.push(format!("{path}: {} {}", r.status, r.body));
                }
                done.fetch_add(1, Ordering::Relaxed);
            }
            failures
        }));
    }
    // A changed document: the next build writes and publishes a new generation.
    write_corpus(
        &f.root,
        "## Article 4 Late addition\n\nA quuxword zorblatt provision added later.\n",
    );
    build(&f.root, &f.index);
    let gen_after = std::fs::read_to_string(f.index.join("CURRENT")).unwrap();
    assert_ne!(
        gen_before, gen_after,
        "the build published a new generation"
    );
    let t = Instant::now();
    let hits = loop {
        let n = get(&s, "/api/search?q=quuxword").json()["total_hits"]
            .as_u64()
            .unwrap();
        if n > 0 || t.elapsed() > Duration::from_secs(10) {
            break n;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    stop.store(true, Ordering::Relaxed);
    let failures: Vec<String> = clients
        .into_iter()
        .flat_map(|c| c.join().unwrap())
        .collect();
    assert_eq!(
        hits, 1,
        "the server serves the new generation without a restart"
    );
    assert!(failures.is_empty(), "{failures:?}");
    assert!(
        done.load(Ordering::Relaxed) > 4,
        "clients ran during the rebuild"
    );
    // The swapped server answers what the CLI answers on the new generation.
    let want = cli_json(&["search", "zorblatt", "--format", "json"], &f.index);
    assert_eq!(get(&s, "/api/search?q=zorblatt").json(), want);
}

#[test]
fn sigterm_stops_the_server_cleanly_and_wide_addresses_warn() {
    let f = fixture();
    let mut s = Server::start(&f.index);
    assert_eq!(get(&s, "/healthz").status, 200);
    let st = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(st.success());
    let t = Instant::now();
    let status = loop {
        if let Some(st) = s.child.try_wait().unwrap() {
            break st;
        }
        assert!(
            t.elapsed() < Duration::from_secs(10),
            "still running after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");

    // 0.0.0.0 is served only with a warning (port 0: whatever is free).
    let mut child = Command::new(bin())
        .args(["serve", "--addr", "0.0.0.0:0", "--index"])
        .arg(&f.index)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    assert!(line.contains("listening on http://0.0.0.0:"), "{line}");
    let _ = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("WARN") && stderr.contains("other machines"),
        "{stderr}"
    );
    assert!(out.status.success());

    // Without an index: a clear error, not a server answering 500s.
    let out = Command::new(bin())
        .args(["serve", "--addr", "127.0.0.1:0", "--index"])
        .arg(f.root.join("nowhere"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no index at"));
}

#[test]
fn real_corpus_search_matches_the_cli_when_present() {
    // The shared corpus's prebuilt index is not rebuilt here (minutes); the fixture tests above
    // cover every endpoint. With `CYBERLEX_SERVE_INDEX` set to an index, compare a few queries.
    let Some(index) = std::env::var_os("CYBERLEX_SERVE_INDEX").map(PathBuf::from) else {
        eprintln!(
            "SKIPPED: set CYBERLEX_SERVE_INDEX=DIR to compare the API with the CLI on a real index"
        );
        return;
    };
    let _ = util::corpus_dir;
    let s = Server::start(&index);
    for q in [
        "illegal access",
        "§ 202a",
        "Ausspähen von Daten",
        "access w/5 computer",
    ] {
        let want = cli_json(&["search", q, "--format", "json"], &index);
        let url = format!(
            "/api/search?q={}",
            q.replace(' ', "%20").replace('§', "%C2%A7")
        );
        assert_eq!(get(&s, &url).json(), want, "{q}");
    }
}
