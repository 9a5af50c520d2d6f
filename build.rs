//! Joins the segmentation profiles (`corpus/profiles/*.toml`, one file per profile or family of
//! sources) into one TOML document compiled into the library, and gives the tables a search reads
//! at every start (taxonomy, jurisdictions, instruments) as JSON beside their TOML: the TOML
//! stays the file people edit, the binary parses the JSON (a cold `cyberlex search` spent ≈ 3 ms
//! of its ≈ 16 in the TOML parser; serde_json reads the same values in a tenth of that).

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
    let out_dir = std::env::var("OUT_DIR").expect("OUT_DIR");
    let out = Path::new(&out_dir).join("profiles.toml");
    std::fs::write(out, joined).expect("write profiles.toml");

    for name in ["taxonomy", "jurisdictions", "instruments"] {
        let path = format!("corpus/{name}.toml");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        // A broken table stops the build here, naming the file and the place; the library's
        // tests read the same TOML with the crate's own error messages.
        let table: toml::Table = toml::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let json = serde_json::to_string(&table).expect("TOML values are JSON values");
        std::fs::write(Path::new(&out_dir).join(format!("{name}.json")), json)
            .unwrap_or_else(|e| panic!("write {name}.json: {e}"));
    }
}
