//! HTML and XHTML: headings, paragraphs, list items and table rows of the page body, site
//! furniture (`script`, `style`, `nav`, `header`, `footer`, `form`, …) dropped, `<title>` kept.
//!
//! Two dialects get more than that:
//!
//! * **Planalto-style codes** (a `<div class="artigo">` per article, opening with
//!   `<strong>Art. N: </strong>`, inside `parte`/`livro`/`titulo`/`capitulo`/`secao` divisions):
//!   every article starts a block with a [`Marker`] (label `154-A`, citation `Art. 154-A`,
//!   `Art. 1º`…`Art. 9º` as Brazilian drafting writes them). Divisions become headings (level 1
//!   parte/livro, 2 título, 3 capítulo, 4 seção, 5 subseção) with their name (`TÍTULO I — DA
//!   APLICAÇÃO DA LEI PENAL`). An article's caption (rubrica) is written *before* it; the
//!   regenerated files put it as the last line of the previous article (`<div class="texto">Ação
//!   penal</div>`, or mangled into an inciso `I - nvasão de dispositivo informático`), or as a
//!   `texto` of the division: such a trailing caption is taken out of the previous article and
//!   becomes the caption of the next (`Invasão de dispositivo informático`).
//! * **Calibre XHTML** (`<body class="calibre">`, every line a `<p class="block_N">`): headings
//!   are paragraphs of a class other than the body text's, recognised by their shape: `Chapter 1`
//!   / `Appendix A` (level 1, merged with the title line after it), `A. …` (level 2), `1. …`
//!   (level 3), other short title-like lines without final punctuation (level 4).
//!
//! Table rows are cells joined by ` | `; a cell spanning several rows (`rowspan`) is repeated in
//! each, so that every row reads on its own.

use std::collections::HashMap;

use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};

use super::{collapse_ws, Block, BlockKind, Document, ExtractError, Marker};
use crate::corpus::Format;

const SKIP: &[&str] = &[
    "script", "style", "nav", "header", "footer", "form", "noscript", "template", "head", "svg",
    "button", "select", "iframe", "object", "canvas",
];
const INLINE: &[&str] = &[
    "a", "span", "b", "strong", "i", "em", "u", "sup", "sub", "small", "big", "code", "abbr",
    "cite", "q", "font", "s", "strike", "mark", "time", "var", "kbd", "samp", "dfn", "ins", "del",
    "bdi", "bdo", "label", "wbr", "img",
];

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, enc) = super::text::decode(bytes);
    let text = super::text::c1_as_windows_1252(&text).into_owned();
    let nesting = block_nesting(&text);
    if nesting > MAX_DEPTH {
        return Err(ExtractError::Malformed {
            id: id.to_string(),
            format: Format::Html,
            reason: format!(
                "block elements nest {nesting} deep, deeper than the limit of {MAX_DEPTH}: refused"
            ),
        });
    }
    let html = Html::parse_document(&text);
    let title = html
        .select(&sel("title"))
        .next()
        .map(|t| collapse_ws(&t.text().collect::<String>()))
        .filter(|t| !t.is_empty());
    let root = html
        .select(&sel("body"))
        .next()
        .unwrap_or_else(|| html.root_element());
    let blocks = if max_depth(root) > MAX_DEPTH {
        // The walks below recurse per level: a hostile page nested 100,000 deep would overflow
        // the stack. Keep its text, one paragraph per block element, without the structure.
        flat_blocks(root)
    } else if html
        .select(&sel("div.artigo > p > strong"))
        .next()
        .is_some()
    {
        planalto(root)
    } else {
        let mut w = Walker::default();
        w.walk(root, 0);
        w.flush_inline();
        if root.value().classes().any(|c| c == "calibre") {
            calibre(w.out)
        } else {
            w.out.into_iter().map(|(b, _)| b).collect()
        }
    };
    if blocks.is_empty() {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: Format::Html,
            hint: " (no text in the page body)".into(),
        });
    }
    Ok(Document {
        title,
        blocks,
        encoding: Some(enc.to_string()),
        ..Document::default()
    })
}

/// Element nesting beyond which the page is read flat (real pages nest well under 100 deep).
const MAX_DEPTH: usize = 512;

/// Container elements a page closes explicitly; the parser checks the whole stack of open
/// elements at each of them, so nesting them 100,000 deep takes it minutes.
const CONTAINERS: &[&str] = &[
    "div",
    "section",
    "article",
    "aside",
    "blockquote",
    "ul",
    "ol",
    "dl",
    "table",
    "center",
    "main",
    "nav",
    "header",
    "footer",
    "fieldset",
    "figure",
    "details",
    "form",
    "menu",
    "dir",
];

/// How deep container elements nest, from the tags alone (before parsing; linear).
fn block_nesting(text: &str) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let b = text.as_bytes();
    let mut i = 0;
    while let Some(k) = b[i..].iter().position(|&c| c == b'<') {
        i += k + 1;
        let close = b.get(i) == Some(&b'/');
        let start = i + usize::from(close);
        let len = b[start..]
            .iter()
            .take(12)
            .take_while(|c| c.is_ascii_alphanumeric())
            .count();
        let name = text[start..start + len].to_ascii_lowercase();
        if len > 0 && CONTAINERS.contains(&name.as_str()) {
            if close {
                depth = depth.saturating_sub(1);
            } else {
                depth += 1;
                max = max.max(depth);
            }
        }
        i = start + len;
    }
    max
}

/// The deepest nesting below `root`, without recursion.
fn max_depth(root: ElementRef) -> usize {
    let mut max = 0;
    let mut stack = vec![(*root, 0usize)];
    while let Some((n, d)) = stack.pop() {
        max = max.max(d);
        stack.extend(n.children().map(|c| (c, d + 1)));
    }
    max
}

/// The text below `root` in document order, a paragraph per block element, without recursion.
fn flat_blocks(root: ElementRef) -> Vec<Block> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut flush = |cur: &mut String| {
        let t = collapse_ws(cur);
        if !t.is_empty() {
            out.push(Block::paragraph(t));
        }
        cur.clear();
    };
    let mut stack = vec![*root];
    while let Some(n) = stack.pop() {
        match n.value() {
            Node::Text(t) => cur.push_str(t),
            Node::Element(el) => {
                let name = el.name();
                if SKIP.contains(&name) {
                    continue;
                }
                if name == "br" {
                    cur.push(' ');
                } else if !INLINE.contains(&name) {
                    flush(&mut cur);
                }
                let mark = stack.len();
                stack.extend(n.children());
                stack[mark..].reverse();
            }
            _ => {}
        }
    }
    flush(&mut cur);
    out
}

fn sel(s: &str) -> Selector {
    Selector::parse(s).expect("valid selector")
}

fn text_of(e: ElementRef) -> String {
    let mut s = String::new();
    inline_text(e, &mut s);
    collapse_ws(&s)
}

fn inline_text(e: ElementRef, out: &mut String) {
    for c in e.children() {
        match c.value() {
            Node::Text(t) => out.push_str(t),
            Node::Element(el) => {
                let name = el.name();
                if SKIP.contains(&name) {
                    continue;
                }
                if name == "br" {
                    out.push(' ');
                    continue;
                }
                if let Some(ce) = ElementRef::wrap(c) {
                    if !INLINE.contains(&name) {
                        out.push(' ');
                    }
                    inline_text(ce, out);
                    if !INLINE.contains(&name) {
                        out.push(' ');
                    }
                }
            }
            _ => {}
        }
    }
}

/// The generic walk: blocks in document order, each with the class of its element.
#[derive(Default)]
struct Walker {
    out: Vec<(Block, Option<String>)>,
    inline: String,
}

impl Walker {
    fn flush_inline(&mut self) {
        let t = collapse_ws(&self.inline);
        self.inline.clear();
        if !t.is_empty() {
            self.out.push((Block::paragraph(t), None));
        }
    }

    fn push(&mut self, b: Block, class: Option<String>) {
        if !b.text.is_empty() {
            self.out.push((b, class));
        }
    }

    fn walk(&mut self, e: ElementRef, list_depth: u8) {
        for c in e.children() {
            match c.value() {
                Node::Text(t) => self.inline.push_str(t),
                Node::Element(el) => {
                    let name = el.name();
                    let Some(ce) = ElementRef::wrap(c) else {
                        continue;
                    };
                    if SKIP.contains(&name) {
                        continue;
                    }
                    if name == "br" {
                        self.inline.push(' ');
                        continue;
                    }
                    if INLINE.contains(&name) && !has_block_child(ce) {
                        inline_text(ce, &mut self.inline);
                        continue;
                    }
                    self.flush_inline();
                    let class = el.attr("class").map(str::to_string);
                    match name {
                        "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                            let level = name[1..].parse().unwrap_or(1);
                            self.push(Block::heading(level, text_of(ce)), class);
                        }
                        "p" | "pre" | "dt" | "dd" | "caption" | "figcaption" | "address" => {
                            self.push(Block::paragraph(text_of(ce)), class);
                        }
                        "ul" | "ol" | "dl" => self.walk(ce, list_depth.saturating_add(1)),
                        "li" => {
                            if has_block_child(ce) {
                                self.walk(ce, list_depth.max(1));
                            } else {
                                let b = Block::new(
                                    BlockKind::ListItem,
                                    list_depth.clamp(1, 6),
                                    text_of(ce),
                                );
                                self.push(b, class);
                            }
                        }
                        "table" => self.table(ce),
                        _ => {
                            if has_block_child(ce) {
                                self.walk(ce, list_depth);
                                self.flush_inline();
                            } else {
                                self.push(Block::paragraph(text_of(ce)), class);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    fn table(&mut self, t: ElementRef) {
        let tr = sel("tr");
        // Column → (remaining rows, text) of cells spanning rows.
        let mut spans: HashMap<usize, (u32, String)> = HashMap::new();
        for row in t.select(&tr) {
            // Rows of nested tables are walked with their own table.
            if row
                .ancestors()
                .filter_map(ElementRef::wrap)
                .find(|a| a.value().name() == "table")
                != Some(t)
            {
                continue;
            }
            let mut cells: Vec<String> = Vec::new();
            let mut col = 0;
            let mut own = row
                .children()
                .filter_map(ElementRef::wrap)
                .filter(|c| matches!(c.value().name(), "td" | "th"))
                .peekable();
            loop {
                if let Some((left, text)) = spans.get_mut(&col) {
                    cells.push(text.clone());
                    *left -= 1;
                    if *left == 0 {
                        spans.remove(&col);
                    }
                    col += 1;
                    continue;
                }
                let Some(cell) = own.next() else {
                    if spans.keys().any(|&k| k > col) {
                        col += 1;
                        continue;
                    }
                    break;
                };
                let text = text_of(cell);
                let rowspan: u32 = cell
                    .value()
                    .attr("rowspan")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(1);
                let colspan: usize = cell
                    .value()
                    .attr("colspan")
                    .and_then(|r| r.parse().ok())
                    .unwrap_or(1);
                for k in 0..colspan.clamp(1, 64) {
                    if rowspan > 1 {
                        spans.insert(col + k, (rowspan.min(1000) - 1, text.clone()));
                    }
                }
                cells.push(text);
                col += colspan.clamp(1, 64);
            }
            let joined = cells
                .iter()
                .map(|c| c.as_str())
                .filter(|c| !c.is_empty())
                .collect::<Vec<_>>()
                .join(" | ");
            self.push(Block::new(BlockKind::TableRow, 0, joined), None);
        }
    }
}

fn has_block_child(e: ElementRef) -> bool {
    e.children().filter_map(ElementRef::wrap).any(|c| {
        let n = c.value().name();
        !INLINE.contains(&n) && n != "br" && !SKIP.contains(&n) || has_block_child(c)
    })
}

/// Calibre XHTML: find the headings among the paragraphs by class and shape.
fn calibre(blocks: Vec<(Block, Option<String>)>) -> Vec<Block> {
    let mut freq: HashMap<&str, usize> = HashMap::new();
    for (b, c) in &blocks {
        if b.kind == BlockKind::Paragraph {
            if let Some(c) = c {
                *freq.entry(c.as_str()).or_insert(0) += b.text.len();
            }
        }
    }
    let body_class = freq
        .iter()
        .max_by_key(|(_, n)| **n)
        .map(|(c, _)| c.to_string());
    let part = Regex::new(r"^(?:Chapter|Appendix|Part)\s+[0-9A-Z]+$").expect("regex");
    let letter = Regex::new(r"^[A-Z]\.\s+\S").expect("regex");
    let number = Regex::new(r"^(?:\d+)?\.\s+\S").expect("regex");
    let mut out: Vec<Block> = Vec::new();
    let mut merge_title = false;
    for (mut b, class) in blocks {
        let t = b.text.clone();
        // Real <hN> elements are classified by their shape like the paragraphs (`<h4>4. …</h4>`
        // sits among `<p>` subsection headings), keeping their own level otherwise.
        let was_heading = b.kind == BlockKind::Heading;
        if !was_heading
            && (b.kind != BlockKind::Paragraph || class.is_none() || class == body_class)
        {
            merge_title = false;
            out.push(b);
            continue;
        }
        if merge_title {
            merge_title = false;
            if t.chars().count() < 120 {
                if let Some(last) = out.last_mut() {
                    last.text = format!("{}: {}", last.text, t);
                    continue;
                }
            }
        }
        let len = t.chars().count();
        let ends_open = !t.ends_with(['.', ';', ':', ',', '—', '-', '–', '?', '!']);
        let first_upper = t
            .chars()
            .next()
            .is_some_and(|c| c.is_uppercase() || "“\"‘'".contains(c));
        let level = if part.is_match(&t) {
            merge_title = true;
            Some(1)
        } else if letter.is_match(&t) && len < 200 && ends_open {
            Some(2)
        } else if number.is_match(&t) && len < 160 && ends_open {
            Some(3)
        } else if len < 100
            && ends_open
            && first_upper
            && t.split_whitespace().count() >= 2
            && !t.chars().last().is_some_and(|c| c.is_ascii_digit())
        {
            Some(4)
        } else {
            None
        };
        if let Some(l) = level {
            b = Block::heading(l, t);
        } else if was_heading {
            b.level = b.level.max(4);
        }
        out.push(b);
    }
    out
}

/// Planalto-style codes: one marker per `div.artigo`.
fn planalto(root: ElementRef) -> Vec<Block> {
    let mut p = Planalto {
        out: Vec::new(),
        caption: None,
        mangled: Regex::new(r"^(\p{Lu}(?:\p{L}|\p{Ll}{2})?) - (\p{L}.*)$").expect("regex"),
        label: Regex::new(r"^Art\.\s*(\d+(?:-[A-Z]+)?)\s*[:º°.]?\s*$").expect("regex"),
    };
    p.walk(root);
    p.out
}

struct Planalto {
    out: Vec<Block>,
    /// The caption waiting for the next article.
    caption: Option<String>,
    mangled: Regex,
    label: Regex,
}

fn division_level(class: &str) -> Option<u8> {
    Some(match class {
        "parte" | "livro" => 1,
        "titulo" => 2,
        "capitulo" => 3,
        "secao" => 4,
        "subsecao" => 5,
        _ => return None,
    })
}

impl Planalto {
    fn walk(&mut self, e: ElementRef) {
        for c in e.children().filter_map(ElementRef::wrap) {
            self.walk_one(c);
        }
    }

    /// `<div class="titulo"><h3>TÍTULO I</h3><p>DA APLICAÇÃO DA LEI PENAL</p>…`
    fn division(&mut self, d: ElementRef, level: u8) {
        let mut name: Vec<String> = Vec::new();
        let mut rest = Vec::new();
        for c in d.children().filter_map(ElementRef::wrap) {
            let n = c.value().name();
            if rest.is_empty() && (n.starts_with('h') && n.len() == 2 || n == "p") {
                name.push(text_of(c));
            } else {
                rest.push(c);
            }
        }
        let name: Vec<_> = name.into_iter().filter(|t| !t.is_empty()).collect();
        if !name.is_empty() {
            self.out.push(Block::heading(level, name.join(" — ")));
        }
        for c in rest {
            self.walk_one(c);
        }
    }

    fn walk_one(&mut self, c: ElementRef) {
        let name = c.value().name();
        if SKIP.contains(&name) {
            return;
        }
        if matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6") {
            self.out.push(Block::heading(1, text_of(c)));
            return;
        }
        let class = c.value().attr("class").unwrap_or("");
        if name == "div" {
            if let Some(level) = division_level(class) {
                return self.division(c, level);
            }
            if class == "artigo" {
                return self.article(c);
            }
            if class == "texto" {
                let t = text_of(c);
                if caption_like(&t) {
                    self.caption = Some(t);
                } else if !t.is_empty() {
                    self.out.push(Block::paragraph(t));
                }
                return;
            }
        }
        if has_block_child(c) {
            self.walk(c);
        } else {
            let t = text_of(c);
            if !t.is_empty() {
                self.out.push(Block::paragraph(t));
            }
        }
    }

    fn article(&mut self, a: ElementRef) {
        // The leaves of the article in order: (class of the div around it, text).
        let mut leaves: Vec<(String, String)> = Vec::new();
        collect_leaves(a, "artigo", &mut leaves);
        let first = leaves.first().map(|l| l.1.clone()).unwrap_or_default();
        let label = a
            .select(&sel("p > strong"))
            .next()
            .map(text_of)
            .and_then(|s| self.label.captures(&s).map(|c| c[1].to_string()));
        let Some(label) = label else {
            // Not an article (the enacting formula): plain text.
            for (_, t) in leaves {
                self.out.push(Block::paragraph(t));
            }
            return;
        };
        // A caption mangled into an inciso (`C - rime consumado`) is a caption line again
        // (`Crime consumado`), inside the article (a rubrica of its incisos) or at its end.
        for (class, t) in leaves.iter_mut().skip(1) {
            if class == "inciso" {
                if let Some(c) = self.unmangle(t) {
                    *t = c;
                    *class = "texto".to_string();
                }
            }
        }
        // A trailing caption belongs to the next article.
        let mut next_caption = None;
        if leaves.len() > 1 {
            let (class, t) = leaves.last().expect("non-empty");
            if class == "texto" && caption_like(t) {
                next_caption = Some(t.clone());
                leaves.pop();
            }
        }
        let ordinal = label.parse::<u32>().ok().filter(|n| (1..=9).contains(n));
        let citation = match ordinal {
            Some(_) => format!("Art. {label}º"),
            None => format!("Art. {label}"),
        };
        let body = first
            .split_once(':')
            .filter(|(head, _)| head.trim_start().starts_with("Art"))
            .map(|(_, rest)| rest.trim().to_string())
            .unwrap_or(first);
        let mut b = Block::paragraph(if body.is_empty() {
            citation.clone()
        } else {
            body
        });
        b.marker = Some(Marker {
            label,
            citation,
            caption: self.caption.take(),
        });
        self.out.push(b);
        for (class, t) in leaves.into_iter().skip(1) {
            let kind = match class.as_str() {
                "inciso" | "alinea" => BlockKind::ListItem,
                _ => BlockKind::Paragraph,
            };
            let level = if class == "alinea" {
                2
            } else {
                u8::from(kind == BlockKind::ListItem)
            };
            self.out.push(Block::new(kind, level, t));
        }
        if next_caption.is_some() {
            self.caption = next_caption;
        }
    }
}

impl Planalto {
    /// `I - nvasão de dispositivo informático` → `Invasão de dispositivo informático`: a caption
    /// whose first letters the regeneration took for an inciso's number. A real inciso is left
    /// alone: a Roman number of two letters or more (`IV - adoção ilegal; ou`), or one letter
    /// before a whole word (`I - com emprego …`), or text a caption does not have (`;`, final
    /// punctuation, a penalty).
    fn unmangle(&self, t: &str) -> Option<String> {
        const WORDS: [&str; 28] = [
            "a", "o", "as", "os", "e", "ou", "de", "do", "da", "dos", "das", "em", "no", "na",
            "nos", "nas", "ao", "aos", "com", "sem", "por", "pelo", "pela", "para", "se", "que",
            "quando", "um",
        ];
        // A stray ` .` after a caption (`… emergencial .`).
        let t = t.strip_suffix(" .").unwrap_or(t);
        let c = self.mangled.captures(t)?;
        let (label, rest) = (&c[1], &c[2]);
        if !caption_like(t) || t.contains(';') {
            return None;
        }
        let roman = |s: &str| s.chars().all(|ch| "IVXLCDM".contains(ch));
        let upper = |s: &str| !s.chars().any(char::is_lowercase);
        if label.chars().count() >= 2 && roman(label) && !upper(rest) {
            return None;
        }
        let first = rest.split_whitespace().next().unwrap_or("").to_lowercase();
        if label.chars().count() == 1 && WORDS.contains(&first.as_str()) {
            return None;
        }
        Some(format!("{label}{rest}"))
    }
}

fn ends_with_punct(t: &str) -> bool {
    t.ends_with(['.', ';', ':', ',', ')', '!', '?'])
}

/// A rubrica: short, no final punctuation, not a penalty line.
fn caption_like(t: &str) -> bool {
    !t.is_empty() && t.chars().count() < 160 && !ends_with_punct(t) && !is_penalty(t)
}

/// `Pena - detenção, …`, `Pena  reclusão, …` (dash lost), not `Pena cumprida no estrangeiro`.
fn is_penalty(t: &str) -> bool {
    let Some(rest) = t.strip_prefix("Pena") else {
        return false;
    };
    let rest = rest.trim_start();
    rest.starts_with(['-', '–', '—', ':'])
        || ["reclusão", "detenção", "multa", "prisão"]
            .iter()
            .any(|w| rest.starts_with(w))
}

fn collect_leaves(e: ElementRef, class: &str, out: &mut Vec<(String, String)>) {
    for c in e.children().filter_map(ElementRef::wrap) {
        if SKIP.contains(&c.value().name()) {
            continue;
        }
        let cls = match c.value().name() {
            "div" => c.value().attr("class").unwrap_or(class),
            _ => class,
        };
        if has_block_child(c) {
            collect_leaves(c, cls, out);
        } else {
            let t = text_of(c);
            if !t.is_empty() {
                out.push((cls.to_string(), t));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CODE: &str = r#"<html><head><title>Código Inventado</title></head><body>
<div class="info"><h1>Código Inventado</h1></div>
<div class="parte"><h2>PARTE ESPECIAL</h2>
<div class="titulo"><h3>TÍTULO I</h3><p>DOS ENGENHOS</p>
<div class="texto"><p>Uso de engenho</p></div>
<div class="artigo"><p><strong>Art. 1: </strong>Usar engenho alheio sem licença:</p>
<div class="texto"><p>Pena - multa.</p></div>
<div class="paragrafo"><p>§ 1: Na mesma pena incorre quem empresta o engenho.</p>
<div class="inciso"><p>I - nvasão de engenho</p></div></div></div>
<div class="artigo"><p><strong>Art. 12-A: </strong>Invadir engenho alheio:</p>
<div class="inciso"><p>C - aso diurno</p></div>
<div class="inciso"><p>I - de dia;</p></div>
<div class="inciso"><p>II - com engenho grande</p></div>
<div class="inciso"><p>Div - ulgação noturna</p></div>
<div class="inciso"><p>III - de noite;</p></div>
<div class="texto"><p>Ação penal</p></div></div>
<div class="artigo"><p><strong>Art. 12-B: </strong>Somente se procede mediante queixa.</p></div>
</div></div><script>var x = 1;</script></body></html>"#;

    #[test]
    fn planalto_articles_with_captions_moved_forward() {
        let doc = extract("x", CODE.as_bytes()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Código Inventado"));
        let m: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| b.marker.as_ref())
            .map(|m| (m.citation.as_str(), m.caption.as_deref().unwrap_or("")))
            .collect();
        assert_eq!(
            m,
            [
                ("Art. 1º", "Uso de engenho"),
                ("Art. 12-A", "Invasão de engenho"),
                ("Art. 12-B", "Ação penal")
            ]
        );
        let texts: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert!(texts.contains(&"TÍTULO I — DOS ENGENHOS"), "{texts:?}");
        assert!(
            texts.contains(&"Usar engenho alheio sem licença:"),
            "{texts:?}"
        );
        assert!(texts.contains(&"I - de dia;"));
        // Captions mangled into incisos inside an article are caption lines again; real incisos
        // (even without final punctuation) stay.
        assert!(texts.contains(&"Caso diurno"), "{texts:?}");
        assert!(texts.contains(&"Divulgação noturna"), "{texts:?}");
        assert!(texts.contains(&"II - com engenho grande"), "{texts:?}");
        assert!(!texts
            .iter()
            .any(|t| t.contains("nvasão") || t.contains("var x")));
    }

    const CALIBRE: &str = r#"<?xml version='1.0' encoding='utf-8'?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Invented Manual</title></head>
<body class="calibre">
<p class="block_7">Chapter 9 </p><p class="block_">Invented Gadget Offences </p>
<p class="block_10">This invented chapter explains gadget offences at some length, for prosecutors.</p>
<p class="block_20">A. Humming: 99 U.S.C. § 1</p>
<h4 class="block_21">1. Loudness</h4>
<p class="block_10">A hum is loud when the neighbours hear it, the invented cases say.</p>
<p class="block_22">Night Humming</p>
<p class="block_22">(A) any hum after dark, or</p>
<ul><li class="block_13">first invented item</li></ul>
<table><tr><td rowspan="2"><p>Humming</p></td><td><p>99 U.S.C. § 1</p></td></tr>
<tr><td><p>99 U.S.C. § 2</p></td></tr></table>
</body></html>"#;

    #[test]
    fn calibre_headings_by_class_and_shape_and_rowspans() {
        let doc = extract("x", CALIBRE.as_bytes()).unwrap();
        let got: Vec<_> = doc
            .blocks
            .iter()
            .map(|b| (b.kind, b.level, b.text.as_str()))
            .collect();
        use BlockKind::*;
        assert_eq!(
            got,
            [
                (Heading, 1, "Chapter 9: Invented Gadget Offences"),
                (Paragraph, 0, "This invented chapter explains gadget offences at some length, for prosecutors."),
                (Heading, 2, "A. Humming: 99 U.S.C. § 1"),
                (Heading, 3, "1. Loudness"),
                (Paragraph, 0, "A hum is loud when the neighbours hear it, the invented cases say."),
                (Heading, 4, "Night Humming"),
                (Paragraph, 0, "(A) any hum after dark, or"),
                (ListItem, 1, "first invented item"),
                (TableRow, 0, "Humming | 99 U.S.C. § 1"),
                (TableRow, 0, "Humming | 99 U.S.C. § 2"),
            ]
        );
    }

    #[test]
    fn generic_html_drops_furniture() {
        let page = "<html><body><nav>Home | About</nav><header>Site</header><h2>Invented heading</h2>\
<div>Loose <b>inline</b> text<p>A paragraph.</p></div><footer>(c) nobody</footer><form>Search</form></body></html>";
        let doc = extract("x", page.as_bytes()).unwrap();
        let t: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(t, ["Invented heading", "Loose inline text", "A paragraph."]);
        assert!(matches!(
            extract("x", b"<html><body><script>1</script></body></html>"),
            Err(ExtractError::Empty { .. })
        ));
        // Garbage is not a panic: html5ever recovers whatever text there is.
        assert!(extract("x", b"<<<>>>\x00\xff<p>still text").is_ok());
    }
}
