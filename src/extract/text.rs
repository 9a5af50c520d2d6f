//! Plain text in any encoding: decode (BOM, UTF-8, else detection), then paragraphs at blank lines.

use super::{collapse_ws, Block, Document, ExtractError};

/// Decode bytes to UTF-8: a BOM wins, then valid UTF-8, then `chardetng`'s guess
/// (so Windows-1252 becomes `–`, never U+FFFD). Returns the text and the encoding's name.
pub fn decode(bytes: &[u8]) -> (String, &'static str) {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(bytes) {
        let (text, _) = enc.decode_without_bom_handling(&bytes[bom_len..]);
        return (text.into_owned(), enc.name());
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return (s.to_string(), "UTF-8");
    }
    let mut det = chardetng::EncodingDetector::new(chardetng::Iso2022JpDetection::Deny);
    det.feed(bytes, true);
    let enc = det.guess(None, chardetng::Utf8Detection::Allow);
    let (text, _, _) = enc.decode(bytes);
    (text.into_owned(), enc.name())
}

/// Split text into paragraphs at blank lines; lines inside a paragraph are joined.
pub fn paragraphs(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        if line.trim().is_empty() {
            if !cur.trim().is_empty() {
                out.push(collapse_ws(&cur));
            }
            cur.clear();
        } else {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    if !cur.trim().is_empty() {
        out.push(collapse_ws(&cur));
    }
    out
}

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, enc) = decode(bytes);
    let blocks: Vec<Block> = paragraphs(&text).into_iter().map(Block::paragraph).collect();
    if blocks.is_empty() {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: crate::corpus::Format::Text,
            hint: String::new(),
        });
    }
    Ok(Document {
        blocks,
        encoding: Some(enc.to_string()),
        ..Document::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_is_detected_not_replaced() {
        // "Section 3 – unauthorised access" with an en dash (0x96) in Windows-1252.
        let bytes = b"Section 3 \x96 unauthorised access to a caf\xe9 terminal is an offence under this invented Act.";
        let (text, enc) = decode(bytes);
        assert!(!text.contains('\u{FFFD}'), "{text}");
        assert!(text.contains('\u{2013}') && text.contains("café"), "{text}");
        assert_eq!(enc, "windows-1252");
    }

    #[test]
    fn bom_and_paragraphs() {
        let (t, enc) = decode("\u{feff}A first line\ncontinued\n\n\nSecond".as_bytes());
        assert_eq!(enc, "UTF-8");
        assert_eq!(paragraphs(&t), vec!["A first line continued", "Second"]);
    }
}
