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
        let head: String = bytes
            .iter()
            .take(8)
            .map(|&b| if b.is_ascii_graphic() { b as char } else { '.' })
            .collect();
        return Err(malformed(format!(
            "no `%PDF-` header (file starts with `{head}`)"
        )));
    }
    let pages = catch_unwind(AssertUnwindSafe(|| {
        pdf_extract::extract_text_from_mem_by_pages(bytes)
    }))
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
            hint: format!(
                " ({} pages without a text layer: a scan needs OCR)",
                pages.len()
            ),
        });
    }
    Ok(Document {
        blocks,
        encoding: Some("pdf".into()),
        ..Document::default()
    })
}

/// A heading line: `Article 3: …`, `Article 33 Title`, `CHAPTER II`, `Section I: …`, a line in
/// capitals. A line that only starts with a reference (`Article 26, paragraph 1, of this
/// Convention.`, `Article 102 of the Charter`) is not one.
fn is_heading(line: &str) -> bool {
    let words = [
        "Article", "ARTICLE", "Chapter", "CHAPTER", "Section", "SECTION", "Part", "PART",
    ];
    let keyword = words.iter().any(|w| {
        let Some(rest) = line.strip_prefix(w) else {
            return false;
        };
        let rest = rest.trim_start();
        if rest.len() == line.len() - w.len() {
            return false; // no space after the keyword
        }
        let n = rest
            .chars()
            .take_while(|c| {
                c.is_ascii_alphanumeric() && (c.is_ascii_digit() || "IVXLC".contains(*c))
            })
            .count();
        if n == 0 {
            return false;
        }
        let after = rest[n..].trim_start();
        after.is_empty()
            || after.starts_with([':', '.', '–', '—', '-'])
            || after.chars().next().is_some_and(char::is_uppercase)
    });
    keyword || line.trim_end_matches(':').eq_ignore_ascii_case("preamble") || is_caps(line)
}

fn is_heading_keyword(line: &str) -> bool {
    is_heading(line) && !is_caps(line)
        || ["ARTICLE ", "CHAPTER ", "SECTION ", "PART "]
            .iter()
            .any(|w| line.starts_with(w))
}

fn is_caps(line: &str) -> bool {
    line.chars().any(char::is_alphabetic) && !line.chars().any(char::is_lowercase)
}

/// `Chapter I`, `PART 2`: a division keyword and its number, without a title.
fn is_bare_division(line: &str) -> bool {
    let mut w = line.split_whitespace();
    let (Some(k), Some(n), None) = (w.next(), w.next(), w.next()) else {
        return false;
    };
    ["Chapter", "CHAPTER", "Part", "PART", "Section", "SECTION"].contains(&k)
        && n.trim_end_matches(['.', ':'])
            .chars()
            .all(|c| c.is_ascii_digit() || "IVXLC".contains(c))
}

/// A page furniture line: a bare page number or `P a g e | N …`. It is kept as a block of its own
/// (for the profile to drop) without ending the paragraph it interrupts.
fn is_furniture(line: &str) -> bool {
    line.starts_with("P a g e") || (line.len() <= 4 && line.chars().all(|c| c.is_ascii_digit()))
}

/// A list item start: `1- `, `2. `, `a) `, `b- `, `(iii) `, a bullet.
fn is_item(line: &str) -> bool {
    let first = line.chars().next().unwrap_or(' ');
    if "\u{F0B7}•▪◦–-".contains(first) {
        return true;
    }
    let l = line.strip_prefix('(').unwrap_or(line);
    let n = l.chars().take_while(|c| c.is_ascii_alphanumeric()).count();
    let label = &l[..n];
    let roman = !label.is_empty() && label.chars().all(|c| "ivxl".contains(c));
    let ok = label.len() <= 3
        && !label.is_empty()
        && (label.chars().all(|c| c.is_ascii_digit())
            || label.len() == 1 && label.chars().all(|c| c.is_ascii_lowercase())
            || roman);
    ok && l[n..].starts_with(['.', ')', '-'])
}

/// Lines of one page, hard-wrapped lines joined into paragraphs.
pub fn page_blocks(page: &str) -> Vec<Block> {
    let mut out: Vec<Block> = Vec::new();
    let mut cur = String::new();
    // The last block pushed is a heading that a lower-case line may continue.
    let mut heading_open = false;
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
            continue;
        }
        if is_furniture(&line) {
            out.push(Block::paragraph(line));
            continue;
        }
        let lower_start = line.chars().next().is_some_and(char::is_lowercase);
        if heading_open && cur.is_empty() && lower_start && !is_item(&line) {
            if let Some(h) = out.iter_mut().rev().find(|b| !is_furniture(&b.text)) {
                h.text = format!("{} {}", h.text, line);
                continue;
            }
        }
        // A bare `Chapter I` line takes the title line after it (`Chapter I: General Provisions`).
        if heading_open
            && cur.is_empty()
            && !is_heading(&line)
            && !is_item(&line)
            && line.chars().count() < 80
        {
            if let Some(h) = out.iter_mut().rev().find(|b| !is_furniture(&b.text)) {
                if is_bare_division(&h.text) {
                    h.text = format!("{}: {}", h.text, line);
                    heading_open = false;
                    continue;
                }
            }
        }
        // A title in capitals wrapped onto a second line (`CHAPTER III – … COMBATING` + `CYBERCRIME`).
        if heading_open && cur.is_empty() && is_caps(&line) && !is_heading_keyword(&line) {
            if let Some(h) = out.iter_mut().rev().find(|b| !is_furniture(&b.text)) {
                if is_caps(&h.text) && !h.text.ends_with([':', '.']) {
                    h.text = format!("{} {}", h.text, line);
                    continue;
                }
            }
        }
        heading_open = false;
        if is_heading(&line) {
            flush(&mut cur, &mut out);
            out.push(Block::paragraph(line));
            heading_open = true;
            continue;
        }
        let ended = cur.trim_end().ends_with(['.', ';', ':', '?', '!']);
        if !cur.is_empty() && (is_item(&line) || (ended && !lower_start)) {
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
        let page = "CHAPTER I – INVENTED GADGETS AND\nHUMMING\nChapter II\nInvented Provisions\nArticle 3: Invented offences of the\nnight\nA person who hums at a gadget without leave commits\n7\nan offence in the sense of\nArticle 26, paragraph 1, of under this invented convention.\n1. The first item of a list;\n2. The second item with a long tail that\nwraps.\nP a g e | 4\n";
        let t: Vec<_> = page_blocks(page).into_iter().map(|b| b.text).collect();
        assert_eq!(
            t,
            [
                "CHAPTER I – INVENTED GADGETS AND HUMMING",
                "Chapter II: Invented Provisions",
                "Article 3: Invented offences of the night",
                "7",
                "A person who hums at a gadget without leave commits an offence in the sense of Article 26, paragraph 1, of under this invented convention.",
                "1. The first item of a list;",
                "P a g e | 4",
                "2. The second item with a long tail that wraps."
            ]
        );
    }
}
