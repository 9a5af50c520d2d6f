//! Which character encoding a fetched text is in.
//!
//! Order: a byte-order mark; else the charset declared by the `Content-Type` header, else by the
//! document itself (`<meta charset>`, `<meta http-equiv>`, `<?xml encoding?>`); else detection
//! (`extract::text::decode`: valid UTF-8, else chardetng).
//!
//! A declaration the bytes contradict is **not** trusted, and the record keeps both plus a warning:
//! - declared UTF-8, but the bytes are not valid UTF-8 → detected (e.g. `windows-1252`);
//! - declared a legacy encoding (`ISO-8859-1`, ...), but the bytes are valid UTF-8 and contain
//!   non-ASCII → `UTF-8` (multi-byte UTF-8 sequences are practically never meaningful Latin-1).
//!
//! The bytes themselves are never changed: the cache keeps what the server sent.

use std::sync::OnceLock;

use encoding_rs::Encoding;
use regex::bytes::Regex;

/// The encoding of a text and how it was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodingInfo {
    /// WHATWG name (`UTF-8`, `windows-1252`, ...).
    pub encoding: String,
    /// The charset the header or the document declared, as written.
    pub declared: Option<String>,
    /// `bom`, `header`, `meta` or `detected`.
    pub source: &'static str,
    /// Set when the declaration was overridden or unknown.
    pub warning: Option<String>,
}

/// The `charset` parameter of a `Content-Type` value.
pub fn charset_param(content_type: &str) -> Option<String> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        if k.trim().eq_ignore_ascii_case("charset") {
            let v = v.trim().trim_matches(|c| c == '"' || c == '\'').trim();
            (!v.is_empty()).then(|| v.to_string())
        } else {
            None
        }
    })
}

/// A charset declared inside the first 4 KiB of the document (HTML meta or XML declaration).
pub fn in_document_charset(bytes: &[u8]) -> Option<String> {
    static META: OnceLock<Regex> = OnceLock::new();
    static XML: OnceLock<Regex> = OnceLock::new();
    let head = &bytes[..bytes.len().min(4096)];
    let meta = META.get_or_init(|| {
        Regex::new(r#"(?i-u)<meta\b[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)"#).unwrap()
    });
    let xml = XML.get_or_init(|| {
        Regex::new(r#"(?-u)^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9_.:\-]+)["']"#).unwrap()
    });
    xml.captures(head)
        .or_else(|| meta.captures(head))
        .map(|c| String::from_utf8_lossy(&c[1]).into_owned())
}

/// Decide the encoding of `bytes` served with `content_type`.
pub fn detect(bytes: &[u8], content_type: Option<&str>) -> EncodingInfo {
    let header = content_type.and_then(charset_param);
    if let Some((enc, _)) = Encoding::for_bom(bytes) {
        let warning = header.as_ref().and_then(|d| {
            let same = Encoding::for_label(d.as_bytes()) == Some(enc);
            (!same).then(|| {
                format!(
                    "declared charset `{d}` but the bytes start with a {} byte-order mark",
                    enc.name()
                )
            })
        });
        return EncodingInfo {
            encoding: enc.name().to_string(),
            declared: header,
            source: "bom",
            warning,
        };
    }
    let (declared, source) = match header {
        Some(h) => (Some(h), "header"),
        None => (in_document_charset(bytes), "meta"),
    };
    let valid_utf8 = std::str::from_utf8(bytes).is_ok();
    let non_ascii = !bytes.is_ascii();
    let detected = |warning: Option<String>| {
        let name = if valid_utf8 {
            "UTF-8"
        } else {
            crate::extract::text::decode(bytes).1
        };
        EncodingInfo {
            encoding: name.to_string(),
            declared: declared.clone(),
            source: "detected",
            warning,
        }
    };
    let Some(label) = declared.clone() else {
        return detected(None);
    };
    let Some(enc) = Encoding::for_label(label.as_bytes()) else {
        return detected(Some(format!(
            "unknown declared charset `{label}`; detected instead"
        )));
    };
    if enc == encoding_rs::UTF_8 {
        if valid_utf8 {
            return EncodingInfo {
                encoding: "UTF-8".into(),
                declared,
                source,
                warning: None,
            };
        }
        let mut info = detected(None);
        info.warning = Some(format!(
            "declared charset `{label}` but the bytes are not valid UTF-8; detected {}",
            info.encoding
        ));
        return info;
    }
    if valid_utf8 && non_ascii && enc.is_single_byte() {
        return EncodingInfo {
            encoding: "UTF-8".into(),
            declared,
            source: "detected",
            warning: Some(format!(
                "declared charset `{label}` but the bytes are valid UTF-8 with non-ASCII characters; using UTF-8"
            )),
        };
    }
    EncodingInfo {
        encoding: enc.name().to_string(),
        declared,
        source,
        warning: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_parameter() {
        assert_eq!(
            charset_param("text/html; Charset=\"ISO-8859-1\"").as_deref(),
            Some("ISO-8859-1")
        );
        assert_eq!(charset_param("text/plain"), None);
    }

    #[test]
    fn header_wins_when_consistent() {
        let i = detect(
            "Artikel 1 – Begriffe".as_bytes(),
            Some("text/plain; charset=utf-8"),
        );
        assert_eq!((i.encoding.as_str(), i.source), ("UTF-8", "header"));
        assert!(i.warning.is_none());
        let i = detect(b"Caf\xe9 law", Some("text/plain; charset=iso-8859-1"));
        assert_eq!(i.encoding, "windows-1252");
        assert!(i.warning.is_none());
    }

    #[test]
    fn contradicted_declarations_are_overridden_with_a_warning() {
        let i = detect(
            "Überwachung verboten".as_bytes(),
            Some("text/plain; charset=ISO-8859-1"),
        );
        assert_eq!(i.encoding, "UTF-8");
        assert_eq!(i.declared.as_deref(), Some("ISO-8859-1"));
        assert!(i.warning.unwrap().contains("valid UTF-8"));
        let i = detect(
            b"Section 3 \x96 unauthorised access to a caf\xe9 terminal is an offence under this invented Act.",
            Some("text/plain; charset=utf-8"),
        );
        assert_eq!(i.encoding, "windows-1252");
        assert!(i.warning.unwrap().contains("not valid UTF-8"));
    }

    #[test]
    fn meta_xml_bom_and_detection() {
        let html = b"<html><head><meta charset=\"windows-1252\"></head><body>caf\xe9</body></html>";
        let i = detect(html, Some("text/html"));
        assert_eq!((i.encoding.as_str(), i.source), ("windows-1252", "meta"));
        let xml = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><a>caf\xe9</a>";
        assert_eq!(detect(xml, None).encoding, "windows-1252");
        let bom = "\u{feff}text".as_bytes();
        assert_eq!(detect(bom, None).source, "bom");
        let i = detect(b"plain ascii", None);
        assert_eq!((i.encoding.as_str(), i.source), ("UTF-8", "detected"));
        let i = detect(b"x", Some("text/plain; charset=klingon"));
        assert!(i.warning.unwrap().contains("klingon"));
    }
}
