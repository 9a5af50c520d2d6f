//! `extract`: bytes → text with structure.
//!
//! Every format has one file here. Each turns the raw bytes of a source into one or more
//! [`Document`]s made of [`Block`]s (headings with their level, paragraphs, list items, table rows),
//! decoded to UTF-8 and stripped of markup and site furniture. Extractors know formats, not
//! sources: where the structure of a format already names its provisions (a JSON `provisions`
//! array, Justice Canada's `<Section><Label>`), the extractor says so with a [`Marker`]; everything
//! else (which heading is an article, how it is cited) is the business of `segment`.

pub mod archive;
pub mod html;
pub mod json;
pub mod markdown;
pub mod pdf;
pub mod text;
pub mod xml;

use crate::corpus::{Format, Source};

/// What a block is, as far as the format tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BlockKind {
    /// A heading; `Block::level` is 1 (top) to 6.
    Heading,
    Paragraph,
    /// A list item; `Block::level` is its nesting depth (1 = top).
    ListItem,
    /// One table row, cells joined by ` | `.
    TableRow,
}

/// A provision boundary known from the format's own structure.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Marker {
    /// The label as the source writes it (`3`, `162.1`, `Section 3.`).
    pub label: String,
    /// The citation as a lawyer writes it (`s. 3`, `Criminal Code, s. 162.1`).
    pub citation: String,
    /// The provision's caption or marginal note, if any.
    pub caption: Option<String>,
}

/// One unit of text with its structural role.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Block {
    pub kind: BlockKind,
    pub level: u8,
    /// UTF-8 text, inline markup removed, whitespace collapsed (no newlines except in tables).
    pub text: String,
    /// Language of this block when the format says so (`xml:lang`, a bilingual layout).
    pub lang: Option<String>,
    /// Set when this block starts a provision the format itself delimits.
    pub marker: Option<Marker>,
}

impl Block {
    pub fn new(kind: BlockKind, level: u8, text: impl Into<String>) -> Block {
        Block {
            kind,
            level,
            text: text.into(),
            lang: None,
            marker: None,
        }
    }
    pub fn heading(level: u8, text: impl Into<String>) -> Block {
        Block::new(BlockKind::Heading, level, text)
    }
    pub fn paragraph(text: impl Into<String>) -> Block {
        Block::new(BlockKind::Paragraph, 0, text)
    }
}

/// One extracted document. Most sources hold one; a bulk archive holds many.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// `None` for the source itself; the member name for a document inside an archive.
    pub member: Option<String>,
    /// Title found inside the document (front matter, `<title>`), if any.
    pub title: Option<String>,
    pub blocks: Vec<Block>,
    /// The character encoding the bytes were decoded from (`UTF-8`, `windows-1252`).
    pub encoding: Option<String>,
}

/// Why a document could not be extracted.
#[derive(Debug, thiserror::Error)]
pub enum ExtractError {
    #[error("{id}: not valid {format}: {reason}")]
    Malformed {
        id: String,
        format: Format,
        reason: String,
    },
    #[error("{id}: {format} document holds no text{hint}")]
    Empty {
        id: String,
        format: Format,
        hint: String,
    },
    #[error("{id}: {reason}")]
    TooLarge { id: String, reason: String },
    /// Over the document's budget (time, memory, output), or its extraction process died.
    #[error("{id}: {reason}")]
    Budget { id: String, reason: String },
    /// An error reported by an extraction process, as it worded it.
    #[error("{reason}")]
    Reported { reason: String },
}

/// Maximum size of one document's raw bytes (bulk archives excepted, whose members are checked one by one).
pub const MAX_DOCUMENT_BYTES: usize = 64 * 1024 * 1024;

/// Dispatch on the source's format.
pub fn extract(source: &Source, bytes: &[u8]) -> Result<Vec<Document>, ExtractError> {
    if source.format != Format::TarGz && bytes.len() > MAX_DOCUMENT_BYTES {
        return Err(ExtractError::TooLarge {
            id: source.id.clone(),
            reason: format!(
                "{} bytes exceed the document limit of {} bytes",
                bytes.len(),
                MAX_DOCUMENT_BYTES
            ),
        });
    }
    sniff(source, bytes)?;
    let one = |d: Result<Document, ExtractError>| d.map(|d| vec![d]);
    let docs = match source.format {
        Format::Markdown => one(markdown::extract(&source.id, bytes)),
        Format::Html => one(html::extract(&source.id, bytes)),
        Format::Xml => one(xml::extract(&source.id, bytes)),
        Format::Json => one(json::extract(&source.id, bytes)),
        Format::Text => one(text::extract(&source.id, bytes)),
        Format::Pdf => one(pdf::extract(&source.id, bytes)),
        Format::TarGz => archive::extract(&source.id, bytes),
    }?;
    Ok(docs)
}

/// [`extract`], handing each document to `emit` as it is extracted (`emit` returns `false` to
/// stop). An archive streams its members (its text is never all held); every other format is
/// one document.
pub fn extract_each(
    source: &Source,
    bytes: &[u8],
    emit: &mut dyn FnMut(Document) -> bool,
) -> Result<(), ExtractError> {
    if source.format != Format::TarGz {
        for d in extract(source, bytes)? {
            if !emit(d) {
                break;
            }
        }
        return Ok(());
    }
    sniff(source, bytes)?;
    archive::extract_each(
        &source.id,
        bytes,
        archive::MAX_MEMBER_BYTES,
        archive::MAX_TOTAL_BYTES,
        emit,
    )
}

/// What the first bytes say a file is, when they name a binary format.
pub fn magic(bytes: &[u8]) -> Option<&'static str> {
    let head = &bytes[..bytes.len().min(1024)];
    let pdf = head.trim_ascii_start().starts_with(b"%PDF-");
    [
        (bytes.starts_with(b"\x1f\x8b"), "gzip"),
        (bytes.starts_with(b"PK\x03\x04"), "zip"),
        (bytes.starts_with(b"\x89PNG"), "PNG"),
        (bytes.starts_with(b"\xff\xd8\xff"), "JPEG"),
        (bytes.starts_with(b"GIF8"), "GIF"),
        (
            bytes.starts_with(b"\xd0\xcf\x11\xe0"),
            "OLE (a Word or Excel file)",
        ),
        (bytes.starts_with(b"\x7fELF"), "ELF"),
        (pdf, "PDF"),
    ]
    .into_iter()
    .find_map(|(hit, name)| hit.then_some(name))
}

/// Bytes that are no text: NUL bytes or many other control characters in the first 64 KiB (a
/// UTF-16 or UTF-32 file carries its BOM and is decoded as such).
pub fn looks_binary(bytes: &[u8]) -> bool {
    if encoding_rs::Encoding::for_bom(bytes).is_some() {
        return false;
    }
    let head = &bytes[..bytes.len().min(64 * 1024)];
    if head.is_empty() {
        return false;
    }
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b))
        .count();
    head.contains(&0) || controls * 20 > head.len()
}

/// Refuse bytes that do not match the declared format: a PDF, an archive or an image declared
/// as text, binary bytes declared as text, a "PDF" or "tar.gz" without its signature.
pub fn sniff(source: &Source, bytes: &[u8]) -> Result<(), ExtractError> {
    let refused = |reason: String| ExtractError::Malformed {
        id: source.id.clone(),
        format: source.format,
        reason,
    };
    let found = magic(bytes);
    match source.format {
        Format::Pdf => {
            if found.is_some_and(|m| m != "PDF") {
                return Err(refused(format!(
                    "the bytes are {}, not a PDF: refused",
                    found.unwrap_or_default()
                )));
            }
        }
        Format::TarGz => {
            if found != Some("gzip") {
                return Err(refused(format!(
                    "the bytes are {}, not a gzip-compressed tar archive: refused",
                    found.unwrap_or("no gzip stream")
                )));
            }
        }
        _ => {
            if let Some(m) = found {
                return Err(refused(format!(
                    "the bytes are {m}, not {} text: refused",
                    source.format
                )));
            }
            if looks_binary(bytes) {
                return Err(refused(format!(
                    "the bytes are binary (NUL or control bytes), not {} text: refused",
                    source.format
                )));
            }
        }
    }
    Ok(())
}

/// Collapse runs of whitespace to one space and trim; the normal form of block text.
pub fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}
