//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::PathBuf;

/// The shared corpus: `$CYBERLEX_CORPUS`, else `../shared/corpus` beside the checkout.
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

pub fn mirror_dir() -> Option<PathBuf> {
    corpus_dir().map(|d| d.join("mirror"))
}
