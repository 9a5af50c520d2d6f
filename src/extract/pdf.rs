//! PDF with a text layer (pure Rust: `pdf-extract` over `lopdf`), page by page.
//!
//! Each page's text is cut into lines; a line is a block, except that the lines of one paragraph
//! (no blank line between them, the previous line not ending a sentence or a heading) are joined,
//! so that hard-wrapped text reads as paragraphs while headings such as `Article 2: Terminology`
//! stay blocks of their own. Running headers, footers and page numbers are left to the source's
//! profile (`junk`), which sees them as whole blocks because they sit on lines of their own.
//!
//! `pdf-extract` may panic on damaged files; the panic is caught and reported as
//! [`ExtractError::Malformed`], like every error it returns (truncated file, no xref, encrypted).

use std::panic::{catch_unwind, AssertUnwindSafe};

use super::{collapse_ws, Block, Document, ExtractError};
use crate::corpus::Format;

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let malformed = |reason: String| ExtractError::Malformed {
        id: id.to_string(),
        format: Format::Pdf,
        reason,
    };
    if !bytes.starts_with(b"%PDF-") {
        let head: String = bytes.iter().take(8).map(|&b| if b.is_ascii_graphic() { b as char } else { '.' }).collect();
        return Err(malformed(format!("no `%PDF-` header (file starts with `{head}`)")));
    }
    let pages = catch_unwind(AssertUnwindSafe(|| pdf_extract::extract_text_from_mem_by_pages(bytes)))
        .map_err(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            malformed(format!("the PDF parser failed on this file: {msg}"))
        })?
        .map_err(|e| malformed(format!("cannot read the PDF: {e}")))?;
    let mut blocks = Vec::new();
    for page in &pages {
        blocks.extend(page_blocks(page));
    }
    if blocks.is_empty() {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: Format::Pdf,
            hint: format!(" ({} pages without a text layer: a scan needs OCR)", pages.len()),
        });
    }
    Ok(Document {
        blocks,
        encoding: Some("pdf".into()),
        ..Document::default()
    })
}

/// A line that stands alone: a heading-like line (`Article 3: Offences`, `CHAPTER II`), a short
/// line (page numbers, running headers), or a list label.
fn stands_alone(line: &str) -> bool {
    let starts = [
        "Article", "ARTICLE", "Chapter", "CHAPTER", "Section", "SECTION", "Part", "PART", "P a g e",
    ];
    starts.iter().any(|s| line.starts_with(s))
        || line.chars().count() < 40
        || line.chars().all(|c| !c.is_lowercase())
}

/// Lines of one page, hard-wrapped lines joined into paragraphs.
pub fn page_blocks(page: &str) -> Vec<Block> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let flush = |cur: &mut String, out: &mut Vec<Block>| {
        let t = collapse_ws(cur);
        if !t.is_empty() {
            out.push(Block::paragraph(t));
        }
        cur.clear();
    };
    for raw in page.lines() {
        let line = collapse_ws(raw);
        if line.is_empty() {
            flush(&mut cur, &mut out);
            continue;
        }
        if stands_alone(&line) {
            flush(&mut cur, &mut out);
            out.push(Block::paragraph(line));
            continue;
        }
        let prev_ends = cur.trim_end().ends_with(['.', ';', ':', '?', '!']);
        let starts_item = line.starts_with('(')
            || line.split_once(['.', ')', '-']).is_some_and(|(n, _)| !n.is_empty() && n.len() <= 3 && n.chars().all(|c| c.is_ascii_digit() || c.is_ascii_lowercase()));
        if !cur.is_empty() && (prev_ends && starts_item) {
            flush(&mut cur, &mut out);
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(&line);
    }
    flush(&mut cur, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_a_pdf_and_truncated_pdf_are_errors() {
        let e = extract("x", b"<html>not a pdf</html>").unwrap_err();
        assert!(e.to_string().contains("%PDF-"), "{e}");
        let e = extract("x", b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n").unwrap_err();
        assert!(matches!(e, ExtractError::Malformed { .. }), "{e}");
    }

    #[test]
    fn lines_join_into_paragraphs_and_headings_stand_alone() {
        let page = "Article 3: Invented offences\nA person who hums at a gadget without leave commits\nan offence under this invented convention.\n1. The first item of a list;\n2. The second item.\n\nP a g e | 4\n";
        let t: Vec<_> = page_blocks(page).into_iter().map(|b| b.text).collect();
        assert_eq!(
            t,
            [
                "Article 3: Invented offences",
                "A person who hums at a gadget without leave commits an offence under this invented convention.",
                "1. The first item of a list;",
                "2. The second item.",
                "P a g e | 4"
            ]
        );
    }
}
