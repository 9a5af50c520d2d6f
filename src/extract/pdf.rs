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

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::panic::{catch_unwind, AssertUnwindSafe};

use pdf_extract::{
    Dictionary, Document as PdfDoc, MediaBox, Object, ObjectId, OutputDev, OutputError, Transform,
};

use super::{collapse_ws, Block, Document, ExtractError};
use crate::corpus::Format;

/// Largest inflated size of one stream (a content stream of a statute is a few hundred KB).
pub const MAX_STREAM_INFLATED: u64 = 64 * 1024 * 1024;
/// Largest inflated size of all the streams of one document read for text.
pub const MAX_INFLATED_TOTAL: u64 = 256 * 1024 * 1024;
/// Most pages of one document.
pub const MAX_PAGES: usize = 500_000;
/// Deepest nesting of saved graphics states (`q` … `Q`) in one content stream: each level holds a
/// copy of the graphics state in the text extractor.
pub const MAX_GSTATE_DEPTH: usize = 1024;
/// Most characters of text of one document.
pub const MAX_TEXT_BYTES: usize = 256 * 1024 * 1024;

/// Bounds are checked before `pdf-extract` runs, on the parsed object graph (lopdf):
/// - the page tree is walked once with inherited `Resources`/`MediaBox`, a node reached twice is a
///   cycle and refused as one; the pages are then hung under one flat `Pages` node, so that
///   finding a page costs the same for page 10 and page 200,000;
/// - every Flate stream except images is inflated once, through a reader capped at
///   [`MAX_STREAM_INFLATED`] (all together: [`MAX_INFLATED_TOTAL`]), and stored inflated;
/// - content streams whose `q` nesting passes [`MAX_GSTATE_DEPTH`] are refused;
/// - pages that share both their content streams and their resources are extracted once and
///   their text reused, so a stream shared by 2,000 pages is interpreted once;
/// - form XObjects whose resources reach themselves (a cycle of `Do`) are refused.
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
    let pages = catch_unwind(AssertUnwindSafe(|| pages_text(bytes)))
        .map_err(|panic| {
            let msg = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            malformed(format!("the PDF parser failed on this file: {msg}"))
        })?
        .map_err(|e| match e {
            PdfError::Bound(reason) => ExtractError::TooLarge {
                id: id.to_string(),
                reason,
            },
            PdfError::Malformed(reason) => malformed(reason),
        })?;
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

enum PdfError {
    /// Over one of this module's bounds.
    Bound(String),
    Malformed(String),
}

/// The text of every page, in order.
fn pages_text(bytes: &[u8]) -> Result<Vec<String>, PdfError> {
    let mut doc = PdfDoc::load_mem(bytes)
        .map_err(|e| PdfError::Malformed(format!("cannot read the PDF: {e}")))?;
    if doc.is_encrypted() {
        doc.decrypt("")
            .map_err(|e| PdfError::Malformed(format!("cannot read the PDF: {e}")))?;
    }
    let pages = flatten_page_tree(&mut doc)?;
    inflate_streams(&mut doc)?;
    check_gstate_depth(&doc, &pages)?;
    check_form_cycles(&doc)?;
    // Pages sharing contents and resources: extract the first, reuse its text.
    let mut first_of: HashMap<String, usize> = HashMap::new();
    let mut same_as: Vec<Option<usize>> = Vec::with_capacity(pages.len());
    let mut unique: Vec<ObjectId> = Vec::new();
    for &pid in &pages {
        let key = doc.get_dictionary(pid).ok().map(|d| {
            format!(
                "{:?}|{:?}",
                d.get(b"Contents").ok(),
                d.get(b"Resources").ok()
            )
        });
        match key.as_ref().and_then(|k| first_of.get(k)) {
            Some(&u) => same_as.push(Some(u)),
            None => {
                if let Some(k) = key {
                    first_of.insert(k, unique.len());
                }
                same_as.push(None);
                unique.push(pid);
            }
        }
    }
    set_flat_pages(&mut doc, &unique)?;
    let mut out = PageText::default();
    pdf_extract::output_doc(&doc, &mut out).map_err(|e| match e {
        OutputError::FormatError(_) if out.over => {
            PdfError::Bound(format!("the PDF's text exceeds {MAX_TEXT_BYTES} bytes"))
        }
        e => PdfError::Malformed(format!("cannot read the PDF: {e}")),
    })?;
    let mut texts = Vec::with_capacity(pages.len());
    let mut next = 0;
    let mut total = 0usize;
    for s in &same_as {
        let t = match s {
            Some(u) => out.pages.get(*u).cloned().unwrap_or_default(),
            None => {
                next += 1;
                out.pages.get(next - 1).cloned().unwrap_or_default()
            }
        };
        total += t.len();
        if total > MAX_TEXT_BYTES {
            return Err(PdfError::Bound(format!(
                "the PDF's text exceeds {MAX_TEXT_BYTES} bytes"
            )));
        }
        texts.push(t);
    }
    Ok(texts)
}

/// Walk the page tree from the catalog, depth first, carrying inherited attributes; return the
/// pages in order, each holding its inherited `Resources`, `MediaBox` and `CropBox` itself.
fn flatten_page_tree(doc: &mut PdfDoc) -> Result<Vec<ObjectId>, PdfError> {
    let root = doc
        .catalog()
        .ok()
        .and_then(|c| c.get(b"Pages").ok())
        .and_then(|p| p.as_reference().ok())
        .ok_or_else(|| PdfError::Malformed("the catalog names no page tree".into()))?;
    const INHERITED: [&[u8]; 4] = [b"Resources", b"MediaBox", b"CropBox", b"Rotate"];
    let mut seen: HashSet<ObjectId> = HashSet::new();
    let mut pages = Vec::new();
    /// A page-tree node and the attributes it inherits.
    type Node = (ObjectId, Vec<(&'static [u8], Object)>);
    let mut fills: Vec<Node> = Vec::new();
    // (node, inherited attributes)
    let mut stack: Vec<Node> = vec![(root, Vec::new())];
    while let Some((id, inherited)) = stack.pop() {
        if !seen.insert(id) {
            return Err(PdfError::Malformed(format!(
                "the page tree has a cycle: object {} {} is reached twice",
                id.0, id.1
            )));
        }
        let Ok(node) = doc.get_dictionary(id) else {
            continue; // a dangling kid: skipped, as readers do
        };
        let mut here = inherited.clone();
        for key in INHERITED {
            if let Ok(v) = node.get(key) {
                here.retain(|(k, _)| *k != key);
                here.push((key, v.clone()));
            }
        }
        let is_pages = node.get(b"Kids").is_ok()
            && node.get(b"Type").ok().and_then(|t| t.as_name().ok()) != Some(b"Page");
        if is_pages {
            let kids: Vec<ObjectId> = node
                .get(b"Kids")
                .ok()
                .and_then(|k| k.as_array().ok())
                .map(|a| a.iter().filter_map(|o| o.as_reference().ok()).collect())
                .unwrap_or_default();
            for k in kids.into_iter().rev() {
                stack.push((k, here.clone()));
            }
        } else {
            pages.push(id);
            if pages.len() > MAX_PAGES {
                return Err(PdfError::Bound(format!(
                    "the PDF has more than {MAX_PAGES} pages"
                )));
            }
            let missing: Vec<_> = here
                .into_iter()
                .filter(|(k, _)| node.get(k).is_err())
                .collect();
            fills.push((id, missing));
        }
    }
    for (id, missing) in fills {
        if let Ok(d) = doc.get_dictionary_mut(id) {
            for (k, v) in missing {
                d.set(k, v);
            }
        }
    }
    Ok(pages)
}

/// Hang `pages` under one new `Pages` node and point the catalog at it.
fn set_flat_pages(doc: &mut PdfDoc, pages: &[ObjectId]) -> Result<(), PdfError> {
    let node = doc.new_object_id();
    for &p in pages {
        if let Ok(d) = doc.get_dictionary_mut(p) {
            d.set("Parent", Object::Reference(node));
        }
    }
    let mut tree = Dictionary::new();
    tree.set("Type", Object::Name(b"Pages".to_vec()));
    tree.set(
        "Kids",
        Object::Array(pages.iter().map(|&p| Object::Reference(p)).collect()),
    );
    tree.set("Count", Object::Integer(pages.len() as i64));
    doc.objects.insert(node, Object::Dictionary(tree));
    doc.catalog_mut()
        .map_err(|e| PdfError::Malformed(format!("cannot read the PDF: {e}")))?
        .set("Pages", Object::Reference(node));
    Ok(())
}

/// Inflate every Flate stream but images, each through a capped reader, and store it inflated.
fn inflate_streams(doc: &mut PdfDoc) -> Result<(), PdfError> {
    let mut total = 0u64;
    for (id, obj) in doc.objects.iter_mut() {
        let Object::Stream(st) = obj else { continue };
        let is_image =
            st.dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) == Some(b"Image");
        let flate_only = matches!(st.filters().as_deref(), Ok([b"FlateDecode"]));
        if is_image || !flate_only || st.dict.get(b"DecodeParms").is_ok() {
            continue;
        }
        let mut out = Vec::new();
        let mut z = flate2::read::ZlibDecoder::new(&st.content[..]).take(MAX_STREAM_INFLATED + 1);
        if z.read_to_end(&mut out).is_err() {
            continue; // damaged: left to the parser, as before
        }
        if out.len() as u64 > MAX_STREAM_INFLATED {
            return Err(PdfError::Bound(format!(
                "stream {} {} inflates to more than {MAX_STREAM_INFLATED} bytes: refused",
                id.0, id.1
            )));
        }
        total += out.len() as u64;
        if total > MAX_INFLATED_TOTAL {
            return Err(PdfError::Bound(format!(
                "the PDF's streams inflate to more than {MAX_INFLATED_TOTAL} bytes: refused"
            )));
        }
        st.set_plain_content(out);
    }
    Ok(())
}

/// Refuse content streams (of pages and forms) whose `q` nesting passes [`MAX_GSTATE_DEPTH`].
fn check_gstate_depth(doc: &PdfDoc, pages: &[ObjectId]) -> Result<(), PdfError> {
    let mut streams: HashSet<ObjectId> = HashSet::new();
    for &p in pages {
        streams.extend(doc.get_page_contents(p));
    }
    for (id, obj) in &doc.objects {
        if let Object::Stream(st) = obj {
            if st.dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) == Some(b"Form") {
                streams.insert(*id);
            }
        }
    }
    for id in streams {
        let Ok(Object::Stream(st)) = doc.get_object(id) else {
            continue;
        };
        if st.filters().is_ok_and(|f| !f.is_empty()) {
            continue; // not inflated here (other filters): the worker's memory cap bounds it
        }
        let depth = gstate_depth(&st.content);
        if depth > MAX_GSTATE_DEPTH {
            return Err(PdfError::Bound(format!(
                "content stream {} {} nests {depth} graphics states (`q`), over the limit of {MAX_GSTATE_DEPTH}",
                id.0, id.1
            )));
        }
    }
    Ok(())
}

/// The deepest `q` nesting of a content stream (strings, hex strings and comments skipped).
pub fn gstate_depth(content: &[u8]) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    let delim = |b: u8| b.is_ascii_whitespace() || b"()<>[]{}/%".contains(&b) || b == 0;
    while i < content.len() {
        match content[i] {
            b'(' => {
                let mut nest = 1;
                i += 1;
                while i < content.len() && nest > 0 {
                    match content[i] {
                        b'\\' => i += 1,
                        b'(' => nest += 1,
                        b')' => nest -= 1,
                        _ => {}
                    }
                    i += 1;
                }
            }
            b'%' => {
                while i < content.len() && content[i] != b'\n' && content[i] != b'\r' {
                    i += 1;
                }
            }
            b'<' if content.get(i + 1) != Some(&b'<') => {
                while i < content.len() && content[i] != b'>' {
                    i += 1;
                }
                i += 1;
            }
            b if delim(b) => i += 1,
            _ => {
                let start = i;
                while i < content.len() && !delim(content[i]) {
                    i += 1;
                }
                match &content[start..i] {
                    b"q" => {
                        depth += 1;
                        max = max.max(depth);
                    }
                    b"Q" => depth = depth.saturating_sub(1),
                    _ => {}
                }
            }
        }
    }
    max
}

/// Refuse form XObjects that reach themselves through the `XObject` entries of their resources.
fn check_form_cycles(doc: &PdfDoc) -> Result<(), PdfError> {
    let deref = |o: &Object| -> Option<Object> {
        match o {
            Object::Reference(r) => doc.get_object(*r).ok().cloned(),
            o => Some(o.clone()),
        }
    };
    let mut edges: HashMap<ObjectId, Vec<ObjectId>> = HashMap::new();
    for (id, obj) in &doc.objects {
        let Object::Stream(st) = obj else { continue };
        if st.dict.get(b"Subtype").ok().and_then(|s| s.as_name().ok()) != Some(b"Form") {
            continue;
        }
        let kids: Vec<ObjectId> = st
            .dict
            .get(b"Resources")
            .ok()
            .and_then(deref)
            .and_then(|r| {
                r.as_dict()
                    .ok()
                    .and_then(|d| d.get(b"XObject").ok())
                    .and_then(deref)
            })
            .and_then(|x| x.as_dict().ok().cloned())
            .map(|x| {
                x.iter()
                    .filter_map(|(_, v)| v.as_reference().ok())
                    .collect()
            })
            .unwrap_or_default();
        edges.insert(*id, kids);
    }
    // Iterative DFS with colours: 1 = on the stack, 2 = done.
    let mut colour: HashMap<ObjectId, u8> = HashMap::new();
    for &start in edges.keys() {
        if colour.contains_key(&start) {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        colour.insert(start, 1);
        while let Some((n, k)) = stack.pop() {
            let kids = edges.get(&n).map(Vec::as_slice).unwrap_or(&[]);
            if k < kids.len() {
                stack.push((n, k + 1));
                let m = kids[k];
                match colour.get(&m) {
                    Some(1) => {
                        return Err(PdfError::Malformed(format!(
                            "form XObject {} {} invokes itself (a cycle of `Do`)",
                            m.0, m.1
                        )))
                    }
                    Some(_) => {}
                    None if edges.contains_key(&m) => {
                        colour.insert(m, 1);
                        stack.push((m, 0));
                    }
                    None => {}
                }
            } else {
                colour.insert(n, 2);
            }
        }
    }
    Ok(())
}

/// Plain text per page: the spacing rules of `pdf-extract`'s `PlainTextOutput`, fresh for every
/// page (as its page-by-page extraction is), with the text of each page kept apart.
#[derive(Default)]
struct PageText {
    pages: Vec<String>,
    total: usize,
    over: bool,
    last_end: f64,
    last_y: f64,
    first_char: bool,
    /// Height of the media box: the flip from PDF space (y up) to text order (y down).
    height: f64,
}

impl OutputDev for PageText {
    fn begin_page(
        &mut self,
        _n: u32,
        media_box: &MediaBox,
        _: Option<(f64, f64, f64, f64)>,
    ) -> Result<(), OutputError> {
        self.pages.push(String::new());
        self.last_end = 100000.;
        self.last_y = 0.;
        self.first_char = false;
        self.height = media_box.ury - media_box.lly;
        Ok(())
    }
    fn end_page(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn output_character(
        &mut self,
        trm: &Transform,
        width: f64,
        _spacing: f64,
        font_size: f64,
        ch: &str,
    ) -> Result<(), OutputError> {
        // position = trm · flip, flip = [1 0; 0 -1; 0 height]
        let (x, y) = (trm.m31, self.height - trm.m32);
        let (vx, vy) = (
            font_size * trm.m11 + font_size * trm.m21,
            font_size * trm.m12 + font_size * trm.m22,
        );
        let size = (vx * vy).sqrt();
        let Some(page) = self.pages.last_mut() else {
            return Ok(());
        };
        let before = page.len();
        if self.first_char {
            if (y - self.last_y).abs() > size * 1.5 {
                page.push('\n');
            }
            if x < self.last_end && (y - self.last_y).abs() > size * 0.5 {
                page.push('\n');
            }
            if x > self.last_end + size * 0.1 {
                page.push(' ');
            }
        }
        page.push_str(ch);
        self.total += page.len() - before;
        if self.total > MAX_TEXT_BYTES {
            self.over = true;
            return Err(OutputError::FormatError(std::fmt::Error));
        }
        self.first_char = false;
        self.last_y = y;
        self.last_end = x + width * size;
        Ok(())
    }
    fn begin_word(&mut self) -> Result<(), OutputError> {
        self.first_char = true;
        Ok(())
    }
    fn end_word(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
    fn end_line(&mut self) -> Result<(), OutputError> {
        Ok(())
    }
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

/// A heading `Article 41: Cooperation … Regarding the` whose caption may go on: a keyword, a
/// number and a caption in mixed case that does not end with punctuation.
fn caption_open(heading: &str) -> bool {
    if !is_heading_keyword(heading) || is_caps(heading) {
        return false;
    }
    let mut words = heading.split_whitespace();
    let (Some(_), Some(_)) = (words.next(), words.next()) else {
        return false;
    };
    let caption: Vec<&str> = words.collect();
    !caption.is_empty() && !heading.ends_with([':', '.', ';', ',', ')'])
}

/// A short line in title case (`Expeditious Gathering of Users Tracking Information`, `Offences`):
/// every word of four letters or more is capitalised, but for a few prepositions. The first line
/// of a body is not one (`Every State Party shall commit itself to …`).
fn is_title_case(line: &str) -> bool {
    const LOWER: [&str; 7] = ["with", "from", "into", "upon", "than", "that", "over"];
    let words: Vec<&str> = line.split_whitespace().collect();
    !words.is_empty()
        && words.len() <= 10
        && line.chars().count() < 80
        && line.chars().next().is_some_and(char::is_uppercase)
        && !line.ends_with(['.', ';', ':', ','])
        && words.iter().all(|w| {
            let letters = w.chars().filter(|c| c.is_alphabetic()).count();
            letters < 4 || LOWER.contains(w) || w.chars().next().is_some_and(|c| c.is_uppercase())
        })
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
        // A caption wrapped onto a line of its own in title case (`Article 41: Cooperation …
        // Regarding the` + `Expeditious Gathering of Users Tracking Information`).
        if heading_open
            && cur.is_empty()
            && !is_heading(&line)
            && !is_item(&line)
            && is_title_case(&line)
        {
            if let Some(h) = out.iter_mut().rev().find(|b| !is_furniture(&b.text)) {
                if caption_open(&h.text) {
                    h.text = format!("{} {}", h.text, line);
                    continue;
                }
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

    #[test]
    fn a_caption_wrapped_in_title_case_stays_in_the_heading() {
        let page = "Article 4: Invented Duties Regarding the\nHumming of Gadgets\nEvery member shall hum at its gadgets daily and\nat night.\nArticle 6: Invented Noise:\nLoud Gadgets Are Forbidden\n";
        let t: Vec<_> = page_blocks(page).into_iter().map(|b| b.text).collect();
        assert_eq!(
            t,
            [
                "Article 4: Invented Duties Regarding the Humming of Gadgets",
                "Every member shall hum at its gadgets daily and at night.",
                "Article 6: Invented Noise:",
                "Loud Gadgets Are Forbidden",
            ]
        );
    }
}
