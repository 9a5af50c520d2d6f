//! Plain text in any encoding: decode (BOM, UTF-8, else detection), then one block per line.

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

/// C1 control characters (U+0080–U+009F) in decoded text are Windows-1252 bytes that a converter
/// copied as Latin-1 (`Pena \u{96} reclusão`): each becomes its Windows-1252 character (`–`). The
/// five bytes Windows-1252 leaves undefined stay as they are.
pub fn c1_as_windows_1252(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.chars().any(|c| ('\u{80}'..='\u{9F}').contains(&c)) {
        return std::borrow::Cow::Borrowed(text);
    }
    text.chars()
        .map(|c| match u8::try_from(u32::from(c)) {
            Ok(b @ 0x80..=0x9F) => {
                let byte = [b];
                let (s, _, bad) = encoding_rs::WINDOWS_1252.decode(&byte);
                let d = s.chars().next().unwrap_or(c);
                if bad || ('\u{80}'..='\u{9F}').contains(&d) {
                    c
                } else {
                    d
                }
            }
            _ => c,
        })
        .collect::<String>()
        .into()
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

/// A line that opens a table of contents (`ARRANGEMENT OF SECTIONS`, `Table of contents`).
fn is_toc_heading(line: &str) -> bool {
    let l = collapse_ws(line).to_lowercase();
    matches!(
        l.as_str(),
        "arrangement of sections" | "arrangement of articles" | "table of contents" | "contents"
    )
}

/// Plain text becomes one block per non-empty line: statutes in plain text start their
/// provisions at line starts (`3. Unauthorised access…`, `المادة 7: …`) without blank lines
/// around them, and running headers are whole lines a profile can drop as junk.
///
/// A table of contents (a line `ARRANGEMENT OF SECTIONS` and what follows it up to the last
/// blank line before its first entry reappears) becomes one block, lines joined, so that its
/// entries are not mistaken for the provisions themselves.
pub fn line_blocks(text: &str) -> Vec<Block> {
    let lines: Vec<&str> = text.lines().collect();
    let mut blocks = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let line = collapse_ws(lines[i]);
        if line.is_empty() {
            i += 1;
            continue;
        }
        if is_toc_heading(&line) {
            if let Some(end) = toc_end(&lines, i) {
                let joined = collapse_ws(&lines[i..end].join(" "));
                blocks.push(Block::paragraph(joined));
                i = end;
                continue;
            }
        }
        blocks.push(Block::paragraph(line));
        i += 1;
    }
    blocks
}

/// Where the table of contents starting at `start` ends (exclusive): the blank line before the
/// second occurrence of its first numbered entry. `None` when no entry reappears.
fn toc_end(lines: &[&str], start: usize) -> Option<usize> {
    let numbered = |l: &str| {
        let l = l.trim_start();
        let digits = l.chars().take_while(char::is_ascii_digit).count();
        digits > 0 && l[digits..].starts_with('.')
    };
    let first = (start + 1..lines.len()).find(|&k| numbered(lines[k]))?;
    let entry = collapse_ws(lines[first]);
    let again = (first + 1..lines.len()).find(|&k| collapse_ws(lines[k]) == entry)?;
    let blank = (first..again).rev().find(|&k| lines[k].trim().is_empty())?;
    Some(blank)
}

/// A soft hyphen (U+00AD) that is not inside a word stands for a dash that a PDF-to-text
/// conversion mapped to byte 0xAD (`PART I \u{AD} PRELIMINARY`): it becomes an en dash.
fn soft_hyphen_dashes(text: &str) -> String {
    if !text.contains('\u{AD}') {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    for (i, &c) in chars.iter().enumerate() {
        let inside_word = i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        out.push(if c == '\u{AD}' && !inside_word {
            '\u{2013}'
        } else {
            c
        });
    }
    out
}

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, enc) = decode(bytes);
    let text = soft_hyphen_dashes(&c1_as_windows_1252(&text));
    let blocks = line_blocks(&text);
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

    #[test]
    fn lines_are_blocks_and_a_table_of_contents_is_one() {
        let text = "Invented Act\n\nARRANGEMENT OF SECTIONS\n1. Short name\n2. Gadgets\n\nINVENTED ACT\n1. Short name\nThis invented Act is the Gadget Act.\n2. Gadgets\nNo gadget shall hum.\n";
        let blocks = line_blocks(text);
        let texts: Vec<_> = blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "Invented Act",
                "ARRANGEMENT OF SECTIONS 1. Short name 2. Gadgets",
                "INVENTED ACT",
                "1. Short name",
                "This invented Act is the Gadget Act.",
                "2. Gadgets",
                "No gadget shall hum."
            ]
        );
    }

    #[test]
    fn c1_controls_are_read_as_windows_1252() {
        assert_eq!(
            c1_as_windows_1252("Penalty \u{96} a fine.\u{94} and \u{81} stays"),
            "Penalty \u{2013} a fine.\u{201D} and \u{81} stays"
        );
        assert!(matches!(
            c1_as_windows_1252("plain – text"),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn detached_soft_hyphens_are_dashes() {
        assert_eq!(
            soft_hyphen_dashes("PART I \u{AD} GADGETS, hum\u{AD}ming"),
            "PART I \u{2013} GADGETS, hum\u{AD}ming"
        );
    }

    #[test]
    fn empty_text_is_an_error() {
        assert!(matches!(
            extract("x", b"  \n\n "),
            Err(ExtractError::Empty { .. })
        ));
    }
}
