//! Reading sources from a local mirror in the `wget -x` layout: `DIR/<host><percent-decoded path>`.

use std::path::{Path, PathBuf};

use super::{now_rfc3339, sha256_hex, CrawlError, Fetched, Origin, Provenance};
use crate::corpus::Source;

/// The file of `url` inside `mirror`: host, then the percent-decoded path (query strings are kept
/// as `?query` in the file name, as `wget -x` does). `None` for a URL without host, whose host is
/// no host name (`..`, `.`, a name with a path separator or a control character), or whose path
/// would leave the mirror (`..`, a segment with a backslash or NUL). [`fetch`] also checks the
/// resolved path (symbolic links followed) against the resolved mirror.
pub fn mirror_path(mirror: &Path, url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))?;
    let rest = rest.split('#').next().unwrap_or(rest);
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let host = host.split('@').next_back()?;
    if !is_host_name(host) {
        return None;
    }
    let decoded = percent_decode(path);
    let mut out = mirror.join(host);
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => return None,
            s if s.contains(['\\', '\0']) => return None,
            s => out.push(s),
        }
    }
    Some(out)
}

/// A host as a directory name of the mirror: letters, digits, `-`, `.`, `_`, `:` (a port) and the
/// brackets of an IPv6 literal, with at least one character other than a dot.
fn is_host_name(host: &str) -> bool {
    !host.is_empty()
        && host.chars().any(|c| c != '.')
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._:[]".contains(c))
}

/// The resolved `path` (symbolic links followed) lies inside the resolved `mirror`.
fn inside(mirror: &Path, path: &Path) -> bool {
    match (mirror.canonicalize(), path.canonicalize()) {
        (Ok(m), Ok(p)) => p.starts_with(m),
        _ => false,
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

pub(super) fn fetch(source: &Source, mirror: &Path) -> Result<Fetched, CrawlError> {
    let path = mirror_path(mirror, &source.url).ok_or_else(|| CrawlError::NotInMirror {
        id: source.id.clone(),
        path: mirror.to_path_buf(),
    })?;
    if !path.is_file() || !inside(mirror, &path) {
        return Err(CrawlError::NotInMirror {
            id: source.id.clone(),
            path,
        });
    }
    let bytes = std::fs::read(&path).map_err(|e| CrawlError::Read {
        id: source.id.clone(),
        path: path.clone(),
        source: e,
    })?;
    let sha = sha256_hex(&bytes);
    let matches = source.sha256.as_ref().map(|m| m.eq_ignore_ascii_case(&sha));
    Ok(Fetched {
        provenance: Provenance {
            source_id: source.id.clone(),
            url: source.url.clone(),
            final_url: source.url.clone(),
            origin: Origin::Mirror,
            bytes: bytes.len() as u64,
            sha256: sha,
            sha256_matches: matches,
            fetched_at: now_rfc3339(),
            content_type: None,
            status: None,
            etag: None,
            last_modified: None,
            encoding: None,
        },
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_urls_like_wget() {
        let m = Path::new("/m");
        assert_eq!(
            mirror_path(m, "https://raw.example.org/a/%E5%88%91%E6%B3%95/x%20y.md").unwrap(),
            Path::new("/m/raw.example.org/a/刑法/x y.md")
        );
        assert_eq!(mirror_path(m, "https://h.org/a/../../etc/passwd"), None);
        assert_eq!(mirror_path(m, "ftp://h.org/a"), None);
    }

    #[test]
    fn hosts_that_are_no_host_names_are_refused() {
        let m = Path::new("/m");
        for url in [
            "https://../secret.md",
            "https://./secret.md",
            "https://../../etc/passwd",
            "https://user@../secret.md",
            "https://h%2F..%2F/x",
            "https://a\\b/x",
            "https://h.org/a%5C..%5Cb",
            "https://h.org/a%00b",
        ] {
            assert_eq!(mirror_path(m, url), None, "{url}");
        }
        assert_eq!(
            mirror_path(m, "http://127.0.0.1:8080/x.md").unwrap(),
            Path::new("/m/127.0.0.1:8080/x.md")
        );
    }

    #[test]
    fn a_symbolic_link_out_of_the_mirror_is_not_followed() {
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret.md"), "# invented secret\n").unwrap();
        let mirror = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(mirror.path().join("h.org")).unwrap();
        std::os::unix::fs::symlink(outside.path(), mirror.path().join("h.org/out")).unwrap();
        std::fs::write(mirror.path().join("h.org/in.md"), "# invented\n").unwrap();
        let mut src = crate::corpus::Manifest::builtin().sources[0].clone();
        src.url = "https://h.org/out/secret.md".into();
        let e = fetch(&src, mirror.path()).expect_err("refused");
        assert!(matches!(e, CrawlError::NotInMirror { .. }), "{e}");
        src.url = "https://h.org/in.md".into();
        assert!(fetch(&src, mirror.path()).is_ok());
    }
}
