//! Helpers of the `serve` and `browser` tests: an index of invented documents, a running
//! server on an ephemeral loopback port, and a small HTTP client.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;

pub const HOST: &str = "serve.example";

pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_cyberlex"))
}

/// Invented laws. The first holds markup in its text and heading (written as entities: the
/// markdown extractor strips tags, then decodes entities into literal `<script>`), which every
/// page must escape.
pub fn write_corpus(root: &Path, extra: &str) -> PathBuf {
    let mirror = root.join("mirror");
    let dir = mirror.join(HOST);
    std::fs::create_dir_all(&dir).unwrap();
    let alpha = format!(
        "# Invented Alpha Act\n\n\
         ## Article 1 Illegal access\n\n\
         Whoever enters a zorblatt machine without right commits an offence.\n\n\
         ## Article 2 Markup &lt;script&gt;alert(1)&lt;/script&gt;\n\n\
         A clerk typed \"&gt;&lt;img src=x onerror=alert(2)&gt; and &lt;script&gt;alert(3)&lt;/script&gt; into the zorblatt register.\n\n\
         ## Article 3 Illegal interception\n\n\
         Whoever listens to zorblatt traffic without right commits an offence.\n\n{extra}"
    );
    std::fs::write(dir.join("alpha.md"), alpha).unwrap();
    std::fs::write(
        dir.join("beta.md"),
        "# Invented Beta Code\n\n\
         ## Article 7 Illegal access\n\n\
         Entering a foreign zorblatt system without permission is punished.\n\n\
         ## Article 8 Data interference\n\n\
         Deleting records of a zorblatt without permission is punished.\n",
    )
    .unwrap();
    let manifest = root.join("sources.toml");
    std::fs::write(
        &manifest,
        format!(
            "[[source]]\nid = \"xx-alpha\"\nurl = \"https://{HOST}/alpha.md\"\ntitle = \"Invented Alpha Act\"\n\
             kind = \"national-law\"\njurisdiction = \"DE\"\nlanguage = \"en\"\nformat = \"md\"\ndate = \"2015-01-01\"\n\n\
             [[source]]\nid = \"xx-beta\"\nurl = \"https://{HOST}/beta.md\"\ntitle = \"Invented Beta Code\"\n\
             kind = \"national-law\"\njurisdiction = \"FR\"\nlanguage = \"en\"\nformat = \"md\"\ndate = \"2020-01-01\"\n"
        ),
    )
    .unwrap();
    manifest
}

pub fn build(root: &Path, index: &Path) {
    let out = Command::new(bin())
        .args(["build", "--threads", "1", "--sources"])
        .arg(root.join("sources.toml"))
        .arg("--mirror")
        .arg(root.join("mirror"))
        .arg("--index")
        .arg(index)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The CLI's stdout for `args` (exit 0 or 1), parsed as JSON.
pub fn cli_json(args: &[&str], index: &Path) -> Value {
    let out = Command::new(bin())
        .args(args)
        .arg("--index")
        .arg(index)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "cyberlex {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("cyberlex {args:?}: {e}"))
}

/// A running `cyberlex serve`, stopped (SIGKILL) when dropped unless already stopped.
pub struct Server {
    pub child: Child,
    pub base: String,
}

impl Server {
    pub fn start(index: &Path) -> Server {
        let mut child = Command::new(bin())
            .args(["serve", "-v", "--addr", "127.0.0.1:0", "--index"])
            .arg(index)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let base = line
            .trim()
            .strip_prefix("cyberlex serve: listening on ")
            .unwrap_or_else(|| panic!("unexpected first line `{line}`"))
            .trim_end_matches('/')
            .to_string();
        assert!(base.starts_with("http://127.0.0.1:"), "{base}");
        Server { child, base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(30)))
        .build()
        .into()
}

pub struct Got {
    pub status: u16,
    pub body: String,
    pub headers: Vec<(String, String)>,
}

impl Got {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

pub fn got(r: Result<ureq::http::Response<ureq::Body>, ureq::Error>) -> Got {
    let mut r = r.expect("request answered");
    let status = r.status().as_u16();
    let headers = r
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string()))
        .collect();
    let mut body = String::new();
    r.body_mut()
        .with_config()
        .limit(64 << 20)
        .reader()
        .read_to_string(&mut body)
        .unwrap();
    Got {
        status,
        body,
        headers,
    }
}

pub fn get(s: &Server, path: &str) -> Got {
    got(agent().get(&s.url(path)).call())
}

pub struct Fixture {
    pub _tmp: tempfile::TempDir,
    pub root: PathBuf,
    pub index: PathBuf,
}

pub fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    write_corpus(&root, "");
    let index = root.join("index");
    build(&root, &index);
    Fixture {
        _tmp: tmp,
        root,
        index,
    }
}
