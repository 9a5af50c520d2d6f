//! Pinned facts about single passages of the real corpus, beside the golden expectations.
//!
//! `tests/golden/<source>.toml` pins a source's citation sequence and a hash of its text: a change
//! shows, but not what it is. `tests/golden/pins/<source>.toml` pins the facts a fix was about, so
//! that they read in review and a regression names them: a provision's caption (`Art. 41` keeps
//! the half of its caption that the PDF wrapped onto the next line), its hierarchy, citations that
//! must not come back (`¶ 5` for an unnumbered final provision), and short strings that must or
//! must not be in its text (a converter's artefact such as `wphi1`, a label such as `§ 2º-A`).
//! Facts only: captions are labels, never sentences of the law.

mod util;

use std::path::PathBuf;

use cyberlex::corpus::Manifest;
use cyberlex::crawl::{self, CrawlOptions};
use cyberlex::segment::{Passage, Profiles};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pins {
    source: String,
    /// Citations that no passage of the source has.
    #[serde(default)]
    absent: Vec<String>,
    /// Strings that no passage's text or heading contains.
    #[serde(default)]
    nowhere: Vec<String>,
    #[serde(default)]
    pin: Vec<Pin>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Pin {
    citation: String,
    /// Language of the passage when the source has several.
    #[serde(default)]
    language: Option<String>,
    #[serde(default)]
    heading: Option<String>,
    /// The innermost entry of the hierarchy path.
    #[serde(default)]
    container: Option<String>,
    #[serde(default)]
    contains: Vec<String>,
    #[serde(default)]
    lacks: Vec<String>,
}

fn pins_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pins")
}

#[test]
fn pinned_passage_facts_hold() {
    let Some(mirror) = util::mirror_dir() else {
        return;
    };
    let manifest = Manifest::builtin();
    let profiles = Profiles::builtin();
    let opts = CrawlOptions::with_mirror(mirror);
    let mut failures = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(pins_dir())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no pins in {}", pins_dir().display());
    for file in files {
        let pins: Pins = toml::from_str(&std::fs::read_to_string(&file).unwrap())
            .unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let source = manifest
            .get(&pins.source)
            .unwrap_or_else(|| panic!("{}: unknown source {}", file.display(), pins.source));
        let fetched = crawl::fetch(source, &opts).expect("mirror file readable and hash ok");
        let docs = cyberlex::pipeline::passages_of(source, &fetched.bytes, &profiles)
            .unwrap_or_else(|e| panic!("{}: {e}", source.id));
        let passages: Vec<&Passage> = docs.iter().flat_map(|d| &d.passages).collect();
        let mut fail = |what: String| failures.push(format!("{}: {what}", pins.source));
        for c in &pins.absent {
            if passages.iter().any(|p| &p.citation == c) {
                fail(format!("citation {c:?} is back"));
            }
        }
        for s in &pins.nowhere {
            for p in passages
                .iter()
                .filter(|p| p.text.contains(s.as_str()) || p.heading.contains(s.as_str()))
            {
                fail(format!("{} contains {s:?}", p.citation));
            }
        }
        for pin in &pins.pin {
            let found: Vec<&&Passage> = passages
                .iter()
                .filter(|p| {
                    p.citation == pin.citation
                        && pin.language.as_ref().is_none_or(|l| &p.language == l)
                })
                .collect();
            let [p] = found.as_slice() else {
                fail(format!(
                    "{} passages cited {:?} (language {:?}), expected one",
                    found.len(),
                    pin.citation,
                    pin.language
                ));
                continue;
            };
            if let Some(h) = &pin.heading {
                if &p.heading != h {
                    fail(format!(
                        "{}: heading {:?}, expected {h:?}",
                        p.citation, p.heading
                    ));
                }
            }
            if let Some(c) = &pin.container {
                if p.path.last() != Some(c) {
                    fail(format!(
                        "{}: path {:?}, expected {c:?} last",
                        p.citation, p.path
                    ));
                }
            }
            for s in &pin.contains {
                if !p.text.contains(s.as_str()) {
                    fail(format!("{}: text lacks {s:?}", p.citation));
                }
            }
            for s in &pin.lacks {
                if p.text.contains(s.as_str()) {
                    fail(format!("{}: text contains {s:?}", p.citation));
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "pinned facts that do not hold:\n{}",
        failures.join("\n")
    );
}
