//! `tar.gz` bulk archives of markdown laws (`bundestag/gesetze`): one [`Document`] per
//! `*/index.md` member, extracted with the markdown extractor.
//!
//! The archive is read as a stream (gzip → tar → one member at a time), so only the compressed
//! bytes and the member being read are in memory besides the extracted documents. A member's
//! name is its directory without the archive's top folder (`gesetze-<commit>/s/stgb/index.md` →
//! `s/stgb`); its title comes from its front matter. Other files (`README.md`, `LICENSE`) are
//! skipped. Refused, with an error naming the member: absolute paths and paths with `..`, a member
//! larger than [`MAX_MEMBER_BYTES`], an archive that unpacks to more than [`MAX_TOTAL_BYTES`], and
//! an archive that is not gzip/tar or is truncated.
//!
//! Memory is bounded by what is held, not only by what is unpacked: entries are read raw, so that a
//! GNU long name (or link) or a PAX header is refused from its header size before a byte of it is
//! read when over [`MAX_NAME_BYTES`] (the tar crate would read it whole); members wait for their
//! parallel extraction in batches of at most [`BATCH_BYTES`] raw bytes; the extracted text of
//! all members together is capped at [`MAX_TEXT_BYTES`].

use std::io::Read;
use std::path::{Component, Path};

use super::{Document, ExtractError};
use crate::corpus::Format;

/// Largest member read (the largest German federal law is a few MB of markdown).
pub const MAX_MEMBER_BYTES: u64 = 32 * 1024 * 1024;
/// Largest total of unpacked bytes (every member, read or skipped).
pub const MAX_TOTAL_BYTES: u64 = 2 * 1024 * 1024 * 1024;
/// Largest GNU long name / long link member and PAX extended header read.
pub const MAX_NAME_BYTES: u64 = 64 * 1024;
/// Raw member bytes held for one parallel batch of extraction.
pub const BATCH_BYTES: usize = 64 * 1024 * 1024;
/// Extracted text of all members together.
pub const MAX_TEXT_BYTES: usize = 2 * 1024 * 1024 * 1024;

pub fn extract(id: &str, bytes: &[u8]) -> Result<Vec<Document>, ExtractError> {
    extract_with_limits(id, bytes, MAX_MEMBER_BYTES, MAX_TOTAL_BYTES)
}

pub fn extract_with_limits(
    id: &str,
    bytes: &[u8],
    max_member: u64,
    max_total: u64,
) -> Result<Vec<Document>, ExtractError> {
    let mut docs = Vec::new();
    extract_each(id, bytes, max_member, max_total, &mut |d| {
        docs.push(d);
        true
    })?;
    Ok(docs)
}

/// [`extract_with_limits`], handing each member's document to `emit` as soon as its batch is
/// extracted (in archive order; `emit` returns `false` to stop): the archive's text is never all
/// held at once. On an error, the documents already emitted belong to a failed source.
pub fn extract_each(
    id: &str,
    bytes: &[u8],
    max_member: u64,
    max_total: u64,
    emit: &mut dyn FnMut(Document) -> bool,
) -> Result<(), ExtractError> {
    let malformed = |reason: String| ExtractError::Malformed {
        id: id.to_string(),
        format: Format::TarGz,
        reason,
    };
    let too_large = |reason: String| ExtractError::TooLarge {
        id: id.to_string(),
        reason,
    };
    let gz = flate2::read::GzDecoder::new(bytes);
    let mut archive = tar::Archive::new(gz);
    let entries = archive
        .entries()
        .map_err(|e| malformed(format!("not a tar.gz archive: {e}")))?
        .raw(true);
    // A name announced by a GNU long-name member or a PAX header, for the next entry.
    let mut long_name: Option<Vec<u8>> = None;
    let mut held = 0usize;
    let mut text = 0usize;
    let mut emitted = 0usize;
    // Members are read in order (the archive is one gzip stream) and extracted in parallel, a
    // batch at a time, so memory holds one batch of raw members at most.
    let mut batch: Vec<(String, Vec<u8>)> = Vec::with_capacity(BATCH);
    let mut total: u64 = 0;
    for entry in entries {
        let mut entry = entry.map_err(|e| malformed(format!("unreadable archive entry: {e}")))?;
        let kind = entry.header().entry_type();
        let size = entry.header().size().unwrap_or(0);
        total = total.saturating_add(size);
        if total > max_total {
            return Err(too_large(format!(
                "the archive unpacks to more than {max_total} bytes"
            )));
        }
        if kind.is_gnu_longname()
            || kind.is_gnu_longlink()
            || kind.is_pax_local_extensions()
            || kind.is_pax_global_extensions()
        {
            if size > MAX_NAME_BYTES {
                return Err(too_large(format!(
                    "a {} header of {size} bytes, over the limit of {MAX_NAME_BYTES} bytes: refused before reading it",
                    if kind.is_gnu_longname() || kind.is_gnu_longlink() { "GNU long name" } else { "PAX" }
                )));
            }
            let mut raw = Vec::with_capacity(size as usize);
            (&mut entry)
                .take(MAX_NAME_BYTES)
                .read_to_end(&mut raw)
                .map_err(|e| {
                    malformed(format!("unreadable long name (truncated archive?): {e}"))
                })?;
            if kind.is_gnu_longname() {
                while raw.last() == Some(&0) {
                    raw.pop();
                }
                long_name = Some(raw);
            } else if kind.is_pax_local_extensions() {
                if let Some(p) = pax_path(&raw) {
                    long_name = Some(p);
                }
            }
            continue;
        }
        let name_bytes = match long_name.take() {
            Some(n) => n,
            None => entry.path_bytes().into_owned(),
        };
        let path = std::path::PathBuf::from(String::from_utf8_lossy(&name_bytes).into_owned());
        let shown = path.display().to_string();
        if path.is_absolute()
            || path.components().any(|c| {
                matches!(
                    c,
                    Component::ParentDir | Component::RootDir | Component::Prefix(_)
                )
            })
        {
            return Err(malformed(format!(
                "member `{shown}` has an absolute path or `..`: refused"
            )));
        }
        if !kind.is_file() || path.file_name().is_none_or(|n| n != "index.md") {
            continue;
        }
        if size > max_member {
            return Err(too_large(format!(
                "member `{shown}` is {size} bytes, over the limit of {max_member} bytes per member"
            )));
        }
        let mut raw = Vec::with_capacity(size as usize);
        (&mut entry)
            .take(max_member + 1)
            .read_to_end(&mut raw)
            .map_err(|e| {
                malformed(format!(
                    "member `{shown}` cannot be read (truncated archive?): {e}"
                ))
            })?;
        if raw.len() as u64 > max_member {
            return Err(too_large(format!(
                "member `{shown}` is over the limit of {max_member} bytes per member"
            )));
        }
        held += raw.len();
        batch.push((member_name(&path), raw));
        if batch.len() >= BATCH || held >= BATCH_BYTES {
            let (n, go_on) = extract_batch(id, &mut batch, emit, &mut text)?;
            emitted += n;
            held = 0;
            if !go_on {
                return Ok(());
            }
        }
    }
    let (n, _) = extract_batch(id, &mut batch, emit, &mut text)?;
    emitted += n;
    if emitted == 0 {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: Format::TarGz,
            hint: " (no `index.md` member)".into(),
        });
    }
    Ok(())
}

/// Members extracted in parallel at a time.
const BATCH: usize = 256;

/// Extract a batch of members in parallel and emit them in order; empty members are skipped.
/// Returns how many were emitted and whether `emit` wants more.
fn extract_batch(
    id: &str,
    batch: &mut Vec<(String, Vec<u8>)>,
    emit: &mut dyn FnMut(Document) -> bool,
    text: &mut usize,
) -> Result<(usize, bool), ExtractError> {
    use rayon::prelude::*;
    let extracted: Vec<Result<Option<Document>, ExtractError>> = batch
        .par_drain(..)
        .map(|(member, raw)| {
            match super::markdown::extract(&format!("{id}/{member}"), &raw) {
                Ok(mut d) => {
                    d.member = Some(member);
                    Ok(Some(d))
                }
                // An empty law file is not a reason to lose the archive.
                Err(ExtractError::Empty { .. }) => Ok(None),
                Err(e) => Err(e),
            }
        })
        .collect();
    let mut n = 0;
    for d in extracted {
        if let Some(d) = d? {
            *text += d.blocks.iter().map(|b| b.text.len()).sum::<usize>();
            if *text > MAX_TEXT_BYTES {
                return Err(ExtractError::TooLarge {
                    id: id.to_string(),
                    reason: format!("the archive's text exceeds {MAX_TEXT_BYTES} bytes"),
                });
            }
            n += 1;
            if !emit(d) {
                return Ok((n, false));
            }
        }
    }
    Ok((n, true))
}

/// The `path` record of a PAX extended header (`<len> path=<value>\n` records).
fn pax_path(raw: &[u8]) -> Option<Vec<u8>> {
    let mut rest = raw;
    while !rest.is_empty() {
        let sp = rest.iter().position(|&b| b == b' ')?;
        let len: usize = std::str::from_utf8(&rest[..sp]).ok()?.parse().ok()?;
        if len <= sp || len > rest.len() {
            return None;
        }
        let record = &rest[sp + 1..len];
        let record = record.strip_suffix(b"\n").unwrap_or(record);
        if let Some(v) = record.strip_prefix(b"path=") {
            return Some(v.to_vec());
        }
        rest = &rest[len..];
    }
    None
}

/// `gesetze-<commit>/s/stgb/index.md` → `s/stgb` (the top folder is the archive's own).
fn member_name(path: &Path) -> String {
    let dirs: Vec<String> = path
        .parent()
        .into_iter()
        .flat_map(Path::components)
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    let keep = if dirs.len() > 1 {
        &dirs[1..]
    } else {
        &dirs[..]
    };
    if keep.is_empty() {
        "index".to_string()
    } else {
        keep.join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::{write::GzEncoder, Compression};

    fn targz(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut builder = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::fast()));
        for (name, data) in members {
            let mut h = tar::Header::new_gnu();
            h.set_size(data.len() as u64);
            h.set_mode(0o644);
            h.set_entry_type(tar::EntryType::Regular);
            // Write the raw name so that hostile names (`..`) can be built too.
            let gnu = h.as_gnu_mut().expect("gnu header");
            gnu.name[..name.len()].copy_from_slice(name.as_bytes());
            h.set_cksum();
            builder.append(&h, *data).expect("append");
        }
        builder.into_inner().expect("tar").finish().expect("gzip")
    }

    const LAW: &[u8] = b"---\nTitle: Invented Gadget Law\njurabk: GadG\n---\n\n# Invented Gadget Law\n\n## \xc2\xa7 1 Humming\n\nNo gadget shall hum.\n";

    #[test]
    fn index_members_become_documents() {
        let bytes = targz(&[
            ("gesetze-abc/README.md", b"# Read me"),
            ("gesetze-abc/g/gadg/index.md", LAW),
            ("gesetze-abc/LICENSE", b"invented licence"),
            (
                "gesetze-abc/h/hum/index.md",
                b"# Hum Law\n\nHumming is invented.\n",
            ),
        ]);
        let docs = extract("bulk", &bytes).unwrap();
        let names: Vec<_> = docs.iter().map(|d| d.member.as_deref().unwrap()).collect();
        assert_eq!(names, ["g/gadg", "h/hum"]);
        assert_eq!(docs[0].title.as_deref(), Some("Invented Gadget Law"));
        assert!(docs[0]
            .blocks
            .iter()
            .any(|b| b.text == "No gadget shall hum."));
    }

    #[test]
    fn hostile_and_oversized_archives_are_refused() {
        let up = targz(&[("gesetze-abc/../../etc/index.md", LAW)]);
        let e = extract("bulk", &up).unwrap_err();
        assert!(e.to_string().contains("refused"), "{e}");
        let abs = targz(&[("/etc/x/index.md", LAW)]);
        assert!(extract("bulk", &abs).is_err());
        let big = targz(&[("g/a/index.md", LAW), ("g/b/index.md", LAW)]);
        let e = extract_with_limits("bulk", &big, 16, 1 << 20).unwrap_err();
        assert!(matches!(e, ExtractError::TooLarge { .. }), "{e}");
        let e = extract_with_limits("bulk", &big, 1 << 20, LAW.len() as u64 + 10).unwrap_err();
        assert!(e.to_string().contains("unpacks to more than"), "{e}");
        let e = extract("bulk", b"not gzip at all").unwrap_err();
        assert!(matches!(e, ExtractError::Malformed { .. }), "{e}");
        let truncated = &big[..big.len() / 2];
        assert!(extract("bulk", truncated).is_err());
    }

    /// The real 166 MB archive: `cargo test --lib archive -- --ignored`.
    #[test]
    #[ignore]
    fn real_bundestag_archive() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/corpus/mirror/codeload.github.com/bundestag/gesetze/tar.gz/77abca2ceea3b7b89ea70afb13b5dd55415eb124");
        let Ok(bytes) = std::fs::read(&path) else {
            eprintln!("SKIPPED: {} absent", path.display());
            return;
        };
        let t = std::time::Instant::now();
        let docs = extract("de-bundestag-gesetze-bulk", &bytes).unwrap();
        eprintln!("{} documents in {:?}", docs.len(), t.elapsed());
        assert!(docs.len() > 6000);
        let stgb = docs
            .iter()
            .find(|d| d.member.as_deref() == Some("s/stgb"))
            .unwrap();
        assert!(stgb.title.is_some());
    }
}
