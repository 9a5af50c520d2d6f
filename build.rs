//! Joins the segmentation profiles (`corpus/profiles/*.toml`, one file per profile or family of
//! sources) into one TOML document compiled into the library.

use std::path::Path;

fn main() {
    let dir = Path::new("corpus/profiles");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .expect("corpus/profiles exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut joined = String::new();
    for f in &files {
        println!("cargo:rerun-if-changed={}", f.display());
        joined.push_str(&format!("# ---- {}\n", f.display()));
        joined.push_str(&std::fs::read_to_string(f).expect("readable profile"));
        joined.push('\n');
    }
    let out = Path::new(&std::env::var("OUT_DIR").expect("OUT_DIR")).join("profiles.toml");
    std::fs::write(out, joined).expect("write profiles.toml");
}
