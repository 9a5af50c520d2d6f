//! The user's own documents: a folder of statutes, memos or briefs becomes sources, one per file
//! (`cyberlex build --dir DIR`).
//!
//! - **Formats by extension**: `.txt .md .html .htm .xml .json .pdf`; other files are reported.
//! - **`doc_id`**: the path relative to DIR without its extension, lower-cased, each run of
//!   characters other than letters and digits replaced by `-` (`Memos/S1.txt` → `memos-s1`).
//! - **Jurisdiction and kind** from an optional `cyberlex.toml` in the folder (defaults:
//!   [`OWN_JURISDICTION`] "Own documents", kind [`OWN_KIND`]); title and language come from the
//!   document itself once extracted ([`describe`]).
//! - **Refused**: symbolic links that lead out of DIR (or to directories), files over the size
//!   limit, files that cannot be read: each with its path and reason; the scan goes on.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::{CorpusError, Format, Jurisdictions, Source};

/// Jurisdiction code of own documents unless `cyberlex.toml` says otherwise.
pub const OWN_JURISDICTION: &str = "XX";
/// Kind of own documents unless `cyberlex.toml` says otherwise.
pub const OWN_KIND: &str = "own";
/// Segmentation profile of own documents: generic provision patterns in many languages.
pub const OWN_PROFILE: &str = "own";
/// The optional settings file of a folder.
pub const CONFIG_FILE: &str = "cyberlex.toml";
/// URL scheme of own documents (their `url` is the file's absolute path).
pub const FILE_SCHEME: &str = "file://";
/// Language of an own document whose language could not be detected.
pub const UNDETERMINED: &str = "und";

/// `cyberlex.toml`: what the folder's documents are.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FolderConfig {
    /// Jurisdiction code or name (`DE`, `Germany`; an unknown code is kept as written).
    pub jurisdiction: Option<String>,
    /// `national-law`, `analysis`, `memo`, … (default `own`).
    pub kind: Option<String>,
    /// ISO 639-1 of every document (default: detected per document).
    pub language: Option<String>,
    /// Date of the documents (`2024-05-01`; its year serves `--since`).
    pub date: Option<String>,
}

/// A file of the folder that is not indexed, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub path: PathBuf,
    /// The document id it would have had (for the build report), or the path.
    pub id: String,
    pub reason: String,
}

/// A scanned folder: one source per indexable file, and the files refused.
#[derive(Debug, Clone)]
pub struct Folder {
    pub dir: PathBuf,
    pub sources: Vec<Source>,
    pub refused: Vec<Refused>,
}

/// The document id of a file at `rel` (relative to the folder).
pub fn doc_id(rel: &Path) -> String {
    let no_ext = rel.with_extension("");
    let s = no_ext.to_string_lossy().to_lowercase();
    let mut out = String::with_capacity(s.len());
    let mut dash = false;
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash {
            out.push('-');
            dash = true;
        }
    }
    out.trim_matches('-').to_string()
}

/// The format a file's extension names.
pub fn format_of(path: &Path) -> Option<Format> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    Some(match ext.as_str() {
        "txt" | "text" => Format::Text,
        "md" | "markdown" => Format::Markdown,
        "html" | "htm" | "xhtml" => Format::Html,
        "xml" => Format::Xml,
        "json" => Format::Json,
        "pdf" => Format::Pdf,
        _ => return None,
    })
}

/// Is this source one of the user's own files?
pub fn is_own(source: &Source) -> bool {
    source.url.starts_with(FILE_SCHEME)
}

/// The path of an own source's file.
pub fn path_of(source: &Source) -> Option<PathBuf> {
    source.url.strip_prefix(FILE_SCHEME).map(PathBuf::from)
}

/// Read `cyberlex.toml` of `dir`, if there is one.
pub fn config(dir: &Path) -> Result<FolderConfig, CorpusError> {
    let path = dir.join(CONFIG_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => toml::from_str(&text).map_err(|e| CorpusError::Folder {
            path,
            message: format!("{CONFIG_FILE} is not valid: {e}"),
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(FolderConfig::default()),
        Err(e) => Err(CorpusError::Folder {
            path,
            message: format!("cannot read {CONFIG_FILE}: {e}"),
        }),
    }
}

/// Scan `dir` (recursively; hidden files and folders are skipped) into sources. Files over
/// `max_bytes` are refused from their metadata, before a byte is read.
pub fn scan(dir: &Path, max_bytes: u64) -> Result<Folder, CorpusError> {
    let root = dir.canonicalize().map_err(|e| CorpusError::Folder {
        path: dir.to_path_buf(),
        message: format!("cannot open it: {e}"),
    })?;
    if !root.is_dir() {
        return Err(CorpusError::Folder {
            path: dir.to_path_buf(),
            message: "not a folder; pass the folder that holds your documents".into(),
        });
    }
    let cfg = config(&root)?;
    let table = Jurisdictions::builtin();
    let jurisdiction = match &cfg.jurisdiction {
        None => OWN_JURISDICTION.to_string(),
        Some(j) => table.resolve(j).unwrap_or_else(|_| j.trim().to_uppercase()),
    };
    let kind = cfg
        .kind
        .as_deref()
        .map(|k| k.trim().to_lowercase())
        .unwrap_or_else(|| OWN_KIND.to_string());
    let mut folder = Folder {
        dir: root.clone(),
        sources: Vec::new(),
        refused: Vec::new(),
    };
    let mut stack = vec![root.clone()];
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(d) = stack.pop() {
        let entries = match std::fs::read_dir(&d) {
            Ok(e) => e,
            Err(e) => {
                folder.refused.push(Refused {
                    id: d.display().to_string(),
                    path: d.clone(),
                    reason: format!("cannot read the folder: {e}"),
                });
                continue;
            }
        };
        let mut names: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
        names.sort();
        for p in names {
            let hidden = p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'));
            if hidden || (d == root && p.file_name().is_some_and(|n| n == CONFIG_FILE)) {
                continue;
            }
            let meta = match std::fs::symlink_metadata(&p) {
                Ok(m) => m,
                Err(e) => {
                    folder
                        .refused
                        .push(refused(&root, &p, format!("cannot read it: {e}")));
                    continue;
                }
            };
            if meta.file_type().is_symlink() {
                match p.canonicalize() {
                    Ok(target) if !target.starts_with(&root) => folder.refused.push(refused(
                        &root,
                        &p,
                        format!(
                            "a symbolic link out of the folder (to {}): refused",
                            target.display()
                        ),
                    )),
                    Ok(target) if target.is_dir() => folder.refused.push(refused(
                        &root,
                        &p,
                        "a symbolic link to a folder: not followed".into(),
                    )),
                    Ok(_) => files.push(p),
                    Err(e) => folder.refused.push(refused(
                        &root,
                        &p,
                        format!("a symbolic link that cannot be followed: {e}"),
                    )),
                }
            } else if meta.is_dir() {
                stack.push(p);
            } else if meta.is_file() {
                files.push(p);
            }
        }
    }
    files.sort();
    let mut seen: std::collections::HashMap<String, PathBuf> = Default::default();
    for p in files {
        let rel = p.strip_prefix(&root).unwrap_or(&p).to_path_buf();
        let Some(format) = format_of(&p) else {
            folder.refused.push(refused(
                &root,
                &p,
                "not a supported format (.txt .md .html .htm .xml .json .pdf)".into(),
            ));
            continue;
        };
        let size = std::fs::metadata(&p).map(|m| m.len()).unwrap_or(0);
        if size > max_bytes {
            folder.refused.push(refused(
                &root,
                &p,
                format!("{size} bytes, over the limit of {max_bytes} bytes for one document: refused without reading it"),
            ));
            continue;
        }
        let id = doc_id(&rel);
        if id.is_empty() {
            folder.refused.push(refused(
                &root,
                &p,
                "its name has no letters or digits".into(),
            ));
            continue;
        }
        if let Some(first) = seen.get(&id) {
            folder.refused.push(refused(
                &root,
                &p,
                format!(
                    "same document id `{id}` as {}: rename one of them",
                    first.display()
                ),
            ));
            continue;
        }
        seen.insert(id.clone(), rel.clone());
        let title = p
            .file_stem()
            .map(|s| s.to_string_lossy().to_string())
            .unwrap_or_else(|| id.clone());
        folder.sources.push(Source {
            id,
            url: format!("{FILE_SCHEME}{}", p.display()),
            canonical_url: None,
            title,
            kind: kind.clone(),
            jurisdiction: jurisdiction.clone(),
            language: cfg
                .language
                .clone()
                .unwrap_or_else(|| UNDETERMINED.to_string()),
            date: cfg.date.clone(),
            format,
            bytes: Some(size),
            sha256: None,
            license: None,
            complete: None,
            bulk: false,
            profile: Some(OWN_PROFILE.to_string()),
            passage_url: None,
            allow_hosts: Vec::new(),
        });
    }
    Ok(folder)
}

fn refused(root: &Path, p: &Path, reason: String) -> Refused {
    let rel = p.strip_prefix(root).unwrap_or(p);
    let id = doc_id(rel);
    Refused {
        path: p.to_path_buf(),
        id: if id.is_empty() {
            rel.display().to_string()
        } else {
            id
        },
        reason,
    }
}

/// The languages the detector chooses among (whatlang), with their ISO 639-1 codes: the
/// corpus's languages and a few neighbours, so a short text is not taken for a language no
/// statute of the index is in.
const DETECTABLE: &[(whatlang::Lang, &str)] = &[
    (whatlang::Lang::Eng, "en"),
    (whatlang::Lang::Deu, "de"),
    (whatlang::Lang::Fra, "fr"),
    (whatlang::Lang::Nld, "nl"),
    (whatlang::Lang::Spa, "es"),
    (whatlang::Lang::Por, "pt"),
    (whatlang::Lang::Ita, "it"),
    (whatlang::Lang::Rus, "ru"),
    (whatlang::Lang::Cmn, "zh"),
    (whatlang::Lang::Jpn, "ja"),
    (whatlang::Lang::Kor, "ko"),
    (whatlang::Lang::Ara, "ar"),
    (whatlang::Lang::Afr, "af"),
    (whatlang::Lang::Ind, "ms"),
    (whatlang::Lang::Swe, "sv"),
    (whatlang::Lang::Dan, "da"),
    (whatlang::Lang::Pol, "pl"),
    (whatlang::Lang::Tur, "tr"),
    (whatlang::Lang::Ukr, "uk"),
];

/// ISO 639-1 of a text's language (whatlang, among [`DETECTABLE`]), unless the text is too
/// short or too mixed to tell.
pub fn detect_language(text: &str) -> Option<&'static str> {
    detect_language_among(text, &[])
}

/// [`detect_language`] among these ISO 639-1 codes only (all of [`DETECTABLE`] when empty): a
/// description is matched against the languages an index holds.
pub fn detect_language_among(text: &str, codes: &[String]) -> Option<&'static str> {
    let allow: Vec<whatlang::Lang> = DETECTABLE
        .iter()
        .filter(|(_, c)| codes.is_empty() || codes.iter().any(|x| x == c))
        .map(|(l, _)| *l)
        .collect();
    if allow.is_empty() {
        return None;
    }
    let info = whatlang::Detector::with_allowlist(allow).detect(text)?;
    if info.confidence() < 0.05 {
        return None;
    }
    DETECTABLE
        .iter()
        .find(|(l, _)| *l == info.lang())
        .map(|(_, code)| *code)
}

/// An own source completed from its extracted text: the title (the document's own title, a
/// `Title:` line, the first heading, else the file name) and, unless `cyberlex.toml` fixed it,
/// the detected language.
pub fn describe(
    source: &Source,
    doc_title: Option<&str>,
    headings: &[&str],
    text_sample: &str,
) -> Source {
    let mut s = source.clone();
    let title_line = text_sample.lines().take(5).find_map(|l| {
        l.trim()
            .strip_prefix("Title:")
            .map(|t| t.trim().to_string())
    });
    let title = doc_title
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .or(title_line.filter(|t| !t.is_empty()))
        .or_else(|| headings.first().map(|h| h.trim().to_string()));
    if let Some(t) = title.filter(|t| !t.is_empty()) {
        s.title = t.chars().take(200).collect();
    }
    if s.language == UNDETERMINED {
        if let Some(l) = detect_language(text_sample) {
            s.language = l.to_string();
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_ids_follow_the_rule() {
        assert_eq!(doc_id(Path::new("Memos/S1.txt")), "memos-s1");
        assert_eq!(doc_id(Path::new("S1.txt")), "s1");
        assert_eq!(
            doc_id(Path::new("Briefs/2024 — Draft (v2).final.md")),
            "briefs-2024-draft-v2-final"
        );
        assert_eq!(
            doc_id(Path::new("Straf/Gesetz über Daten.html")),
            "straf-gesetz-über-daten"
        );
        assert_eq!(doc_id(Path::new("_x_.txt")), "x");
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(format_of(Path::new("a.HTM")), Some(Format::Html));
        assert_eq!(format_of(Path::new("a.pdf")), Some(Format::Pdf));
        assert_eq!(format_of(Path::new("a.png")), None);
        assert_eq!(format_of(Path::new("README")), None);
    }

    #[test]
    fn titles_come_from_the_document_then_the_name() {
        let src = Source {
            id: "memo".into(),
            url: "file:///tmp/memo.txt".into(),
            canonical_url: None,
            title: "memo".into(),
            kind: OWN_KIND.into(),
            jurisdiction: OWN_JURISDICTION.into(),
            language: UNDETERMINED.into(),
            date: None,
            format: Format::Text,
            bytes: None,
            sha256: None,
            license: None,
            complete: None,
            bulk: false,
            profile: Some(OWN_PROFILE.into()),
            passage_url: None,
            allow_hosts: Vec::new(),
        };
        let text = "Title: Notes on the harbour ordinance\nThe harbour master may close the quay \
                    whenever a storm warning is in force, and the owners of the moored boats must \
                    then move them to the inner basin.";
        let d = describe(&src, None, &["Heading"], text);
        assert_eq!(d.title, "Notes on the harbour ordinance");
        assert_eq!(d.language, "en");
        let d = describe(&src, None, &[], "zz");
        assert_eq!(d.title, "memo");
        assert_eq!(d.language, UNDETERMINED);
    }
}
