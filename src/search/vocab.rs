//! The values a filter may take (`--kind`, `--lang`, `--concept`) and their check: an unknown
//! value is an error naming the valid ones, never a silent zero-hit search. Faces (cli, serve)
//! call [`check_filters`] before searching.

use std::collections::BTreeSet;

use tantivy::schema::Field;

use super::Engine;
use crate::corpus::Taxonomy;

/// The kinds of document the manifest and own folders use, with what each is.
pub const KINDS: &[(&str, &str)] = &[
    (
        "convention",
        "a treaty open to States (Budapest, UN 2024, Arab 2010, Malabo 2014)",
    ),
    ("protocol", "a protocol to a convention"),
    ("national-law", "a State's statute or code"),
    (
        "regulation",
        "a regional instrument binding its members (EU directives, regulations)",
    ),
    (
        "ngo-statement",
        "a civil-society statement on an instrument",
    ),
    ("analysis", "an analysis or commentary"),
    (
        "own",
        "a document of your own folder (`build --dir`), unless its cyberlex.toml says otherwise",
    ),
];

/// An unknown filter value.
#[derive(Debug, thiserror::Error)]
#[error("unknown {flag} `{input}`; valid values: {valid}{hint}")]
pub struct FilterError {
    /// The flag, e.g. `--kind`.
    pub flag: &'static str,
    pub input: String,
    /// The valid values, comma-separated.
    pub valid: String,
    /// Where to read more (` (see cyberlex concepts)`), or empty.
    pub hint: &'static str,
}

fn terms_of(engine: &Engine, field: Field) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for seg in engine.searcher().segment_readers() {
        let Ok(inv) = seg.inverted_index(field) else {
            continue;
        };
        let Ok(mut s) = inv.terms().stream() else {
            continue;
        };
        while s.advance() {
            out.insert(String::from_utf8_lossy(s.key()).into_owned());
        }
    }
    out
}

/// Kinds a `--kind` filter accepts: the known ones and any other present in the index.
pub fn valid_kinds(engine: &Engine) -> Vec<String> {
    let mut all: Vec<String> = KINDS.iter().map(|(k, _)| k.to_string()).collect();
    for k in terms_of(engine, engine.open.fields.kind) {
        if !all.contains(&k) {
            all.push(k);
        }
    }
    all
}

/// Kinds present in the index.
pub fn indexed_kinds(engine: &Engine) -> BTreeSet<String> {
    terms_of(engine, engine.open.fields.kind)
}

/// Check one flag's values against the valid ones (case-insensitively; values are lowercased by
/// the faces before filtering).
fn check(
    flag: &'static str,
    inputs: &[String],
    valid: &[String],
    hint: &'static str,
) -> Result<(), FilterError> {
    for i in inputs {
        if !valid.iter().any(|v| v.eq_ignore_ascii_case(i.trim())) {
            return Err(FilterError {
                flag,
                input: i.clone(),
                valid: valid.join(", "),
                hint,
            });
        }
    }
    Ok(())
}

/// `--concept` values: ids of the taxonomy.
pub fn check_concepts(taxonomy: &Taxonomy, concepts: &[String]) -> Result<(), FilterError> {
    let ids: Vec<String> = taxonomy.concepts.iter().map(|c| c.id.clone()).collect();
    check("--concept", concepts, &ids, " (see `cyberlex concepts`)")
}

/// Check every filter of a search: kinds (known or indexed), languages (those of the index),
/// concepts (ids of the taxonomy).
pub fn check_filters(
    engine: &Engine,
    kinds: &[String],
    langs: &[String],
    concepts: &[String],
) -> Result<(), FilterError> {
    if !kinds.is_empty() {
        check(
            "--kind",
            kinds,
            &valid_kinds(engine),
            " (see `cyberlex kinds`)",
        )?;
    }
    if !langs.is_empty() {
        check(
            "--lang",
            langs,
            &engine.languages,
            " (the languages of this index, ISO 639-1)",
        )?;
    }
    if concepts.is_empty() {
        return Ok(()); // without reading the taxonomy (see `TaxonomyCell`)
    }
    check_concepts(&engine.taxonomy, concepts)
}
