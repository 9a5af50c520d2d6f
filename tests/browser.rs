//! The pages in a real browser: Debian's `chromium`, headless, renders each page (`--dump-dom`)
//! and logs its console to stderr; the test follows the links the rendered pages hold — a
//! search, a filter, a result to its passage, compare, situation — checks what is rendered and
//! that no page logged to the console (a blocked inline script or style, an injected script,
//! a failed asset all do). Skipped, saying so, only when chromium is absent (`.ci/run` installs
//! it with apt).

mod serve_support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serve_support::*;

fn chromium() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CYBERLEX_CHROMIUM") {
        return Some(PathBuf::from(p));
    }
    ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
}

struct Rendered {
    dom: String,
    console: Vec<String>,
}

/// The DOM chromium renders for `url`, and what the page logged to the console.
fn render(chromium: &Path, profile: &Path, url: &str) -> Rendered {
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(url)
        .stdin(Stdio::null())
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed on {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let console = String::from_utf8_lossy(&out.stderr)
        .lines()
        .filter(|l| l.contains(":CONSOLE"))
        .map(String::from)
        .collect();
    Rendered {
        dom: String::from_utf8_lossy(&out.stdout).to_string(),
        console,
    }
}

/// The first `href` in `dom` after `marker` (hrefs are HTML-escaped: `&amp;` is unescaped).
fn href_after(dom: &str, marker: &str) -> String {
    let at = dom
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` not rendered:\n{dom}"));
    let rest = &dom[at..];
    let h = rest.find("href=\"").expect("a link") + 6;
    let end = rest[h..].find('"').unwrap();
    rest[h..h + end].replace("&amp;", "&")
}

#[test]
fn a_browser_searches_filters_follows_compares_and_describes() {
    let Some(chromium) = chromium() else {
        eprintln!(
            "SKIPPED: chromium is absent (install it with `apt-get install -y chromium`; .ci/run does)"
        );
        return;
    };
    let f = fixture();
    let s = Server::start(&f.index);
    let profile = tempfile::tempdir().unwrap();
    let mut visited = Vec::new();
    let mut visit = |path: &str| {
        let url = if path.starts_with("http") {
            path.to_string()
        } else {
            s.url(path)
        };
        let r = render(&chromium, profile.path(), &url);
        assert!(
            r.console.is_empty(),
            "{url} logged to the console:\n{}",
            r.console.join("\n")
        );
        assert!(r.dom.contains("<main id=\"main\">"), "{url}:\n{}", r.dom);
        visited.push(url);
        r.dom
    };

    // The home page's form, submitted as the browser would: GET /search?q=….
    let home = visit("/");
    assert!(home.contains("<label for=\"q\">Query</label>"), "{home}");
    let dom = visit("/search?q=zorblatt");
    assert!(dom.contains("<ol class=\"hits\">"), "{dom}");
    assert!(dom.contains("<mark>zorblatt</mark>"), "{dom}");
    assert!(dom.contains("Invented Beta Code") && dom.contains("Invented Alpha Act"));
    // The facets count both jurisdictions; following France's filters the list.
    assert!(dom.contains("aria-label=\"Jurisdiction\""), "{dom}");
    let filter = href_after(
        &dom,
        "aria-label=\"Jurisdiction\"><h3>Jurisdiction</h3><ul><li>",
    );
    assert!(filter.contains("jurisdiction="), "{filter}");
    let filtered = visit(&filter);
    assert!(filtered.contains("Active filters"), "{filtered}");
    let alpha = filtered.contains("Invented Alpha Act");
    let beta = filtered.contains("Invented Beta Code");
    assert!(
        alpha != beta,
        "one jurisdiction's documents only:\n{filtered}"
    );

    // The first result, followed to its passage page: full text, neighbours, compare link.
    let passage = href_after(&dom, "<li class=\"hit\"");
    assert!(
        passage.starts_with("/passage/") && passage.contains("%2F"),
        "{passage}"
    );
    let p = visit(&passage);
    assert!(p.contains("<article"), "{p}");
    assert!(p.contains("Neighbouring provisions"), "{p}");
    let cmp = href_after(&p, "official source</a> · ");
    assert!(cmp.starts_with("/compare?"), "{cmp}");
    let c = visit(&cmp);
    assert!(c.contains("<table class=\"compare\">"), "{c}");
    assert!(c.contains("Best provision per jurisdiction"));

    // The hostile passage renders as text and runs nothing (a run or blocked script would log).
    let hostile = visit("/search?q=clerk");
    let h = href_after(&hostile, "<li class=\"hit\"");
    let hp = visit(&h);
    assert!(hp.contains("&lt;script&gt;alert(3)&lt;/script&gt;"), "{hp}");
    assert!(!hp.contains("<img src=\"x\""), "{hp}");

    // Situation: the text area's form, submitted by GET.
    let sit = visit("/situation");
    assert!(
        sit.contains("<textarea id=\"s-text\" name=\"text\""),
        "{sit}"
    );
    let r = visit("/situation?text=someone+entered+a+zorblatt+system+without+permission");
    assert!(r.contains("<ol class=\"hits\">"), "{r}");
    assert!(r.contains("Illegal access"), "{r}");

    // Matrix and help render too; a matrix cell is a link to a passage.
    let m = visit("/matrix");
    assert!(m.contains("<table class=\"matrix\">"), "{m}");
    let help = visit("/help");
    assert!(help.contains("w/5"), "{help}");
    eprintln!("chromium rendered {} pages: {visited:?}", visited.len());
}
