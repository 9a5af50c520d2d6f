//! Markdown in the dialects of the mirror, by a line parser.
//!
//! CommonMark is the base, with what real converters produce on top of it:
//! - front matter: YAML between `---` lines or TOML between `+++` lines (its `title` becomes
//!   [`Document::title`]; front matter is metadata, not body). A second `---` block right after the
//!   first (a scraper's own metadata) is front matter too.
//! - ATX headings without a space after the hashes (`####Illegal access`, `###Article 5`) when there
//!   are at least two hashes, odd spacing (`### Article  2  `) and closing hashes.
//! - no setext headings and no indented code blocks: `---` under a line is a rule, and indented
//!   lines are text (converters indent continuation lines of statutes).
//! - raw HTML blocks (`<div>`, `<dl>`, `<table>`, `<form>`, `<script>`, `<style>`, `<meta>`), taken
//!   from their opening line to the line that closes the opening tag: headings, paragraphs, list
//!   items and table rows inside become blocks; `script`, `style`, `form`, `iframe`, `noscript`,
//!   `button` and `svg` are dropped. `<개정 2020.2.4>` and other `<` text that is no HTML tag stays.
//! - HTML comments (`<!-- INFO END -->`), Hugo shortcodes (`{{< figure >}}`), Liquid tags
//!   (`{% include %}`, `{{ x }}`) and images (`![alt](src)`) are dropped; links keep their text
//!   (`[text](url)`, wiki links `[[X]]`, `[[X|label]]`); emphasis markers go, their text stays
//!   (`**第三条（目的）**` → `第三条（目的）`); backslash escapes are unescaped (`1\.` → `1.`).
//! - definition lists (`Term` then `:   definition`) become one paragraph `Term: definition`.
//! - list items are [`BlockKind::ListItem`] with their depth; an ordered item keeps its number
//!   (`2. (1) Any person…`: in statutes the number is the section), a bullet loses its marker.
//! - pipe tables become one [`BlockKind::TableRow`] per row (the `|---|` rule row dropped).
//!
//! Block text is whitespace-collapsed; lines of one paragraph are joined with a space.

use scraper::{ElementRef, Html, Node};

use super::{collapse_ws, Block, BlockKind, Document, ExtractError};
use crate::corpus::Format;

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, encoding) = super::text::decode(bytes);
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();
    let (title, body_start) = front_matter(&lines);
    let mut p = Parser::default();
    p.run(&lines[body_start..]);
    if p.blocks.is_empty() {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: Format::Markdown,
            hint: String::new(),
        });
    }
    Ok(Document {
        member: None,
        title,
        blocks: p.blocks,
        encoding: Some(encoding.to_string()),
    })
}

/// Front matter: returns its title and the index of the first body line.
fn front_matter(lines: &[&str]) -> (Option<String>, usize) {
    let mut i = 0;
    let mut title = None;
    let mut blocks = 0;
    loop {
        let mut j = i;
        while j < lines.len() && lines[j].trim().is_empty() {
            j += 1;
        }
        let Some(first) = lines.get(j) else { break };
        let fence = first.trim_end();
        if fence != "---" && fence != "+++" {
            break;
        }
        // `+++` only opens the document; a second block is a YAML one right after the first.
        if blocks > 0 && fence != "---" {
            break;
        }
        let limit = if blocks == 0 {
            lines.len()
        } else {
            (j + 40).min(lines.len())
        };
        let Some(end) = (j + 1..limit).find(|&k| lines[k].trim_end() == fence) else {
            break;
        };
        for l in &lines[j + 1..end] {
            if title.is_none() {
                title = front_matter_title(l);
            }
        }
        i = end + 1;
        blocks += 1;
    }
    (title, i)
}

fn front_matter_title(line: &str) -> Option<String> {
    if line.starts_with([' ', '\t']) {
        return None;
    }
    let (key, value) = line.split_once([':', '='])?;
    if !key.trim().eq_ignore_ascii_case("title") {
        return None;
    }
    let v = value.trim();
    let v = v
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .or_else(|| v.strip_prefix('\'').and_then(|s| s.strip_suffix('\'')))
        .unwrap_or(v);
    let v = collapse_ws(&v.replace("\\\"", "\""));
    (!v.is_empty()).then_some(v)
}

/// Block-level HTML tags that open a raw HTML block at the start of a line.
const HTML_BLOCK_TAGS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "center",
    "details",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "form",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "head",
    "header",
    "hr",
    "html",
    "iframe",
    "li",
    "main",
    "meta",
    "nav",
    "noscript",
    "ol",
    "p",
    "pre",
    "script",
    "section",
    "style",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "link",
    "br",
    "img",
    "a",
    "span",
    "button",
    "svg",
    "input",
    "select",
    "textarea",
];
const HTML_VOID: &[&str] = &["meta", "hr", "br", "img", "link", "input"];
/// Elements whose content is never text of the document.
const HTML_SKIP: &[&str] = &[
    "script", "style", "form", "iframe", "noscript", "button", "svg", "head", "select", "textarea",
    "template", "input",
];
/// Elements that end a run of inline text.
const HTML_BLOCKS: &[&str] = &[
    "address",
    "article",
    "aside",
    "blockquote",
    "body",
    "center",
    "details",
    "dd",
    "div",
    "dl",
    "dt",
    "figcaption",
    "figure",
    "footer",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "header",
    "hr",
    "html",
    "li",
    "main",
    "nav",
    "ol",
    "p",
    "pre",
    "section",
    "summary",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "tr",
    "ul",
    "caption",
];

#[derive(Default)]
struct Parser {
    blocks: Vec<Block>,
    /// The open paragraph or list item: kind, level, lines.
    open: Option<(BlockKind, u8, Vec<String>)>,
    /// The last line added to `open` ended with a hard break.
    hard_break: bool,
}

impl Parser {
    fn run(&mut self, lines: &[&str]) {
        let mut i = 0;
        let mut in_fence: Option<String> = None;
        while i < lines.len() {
            let raw = lines[i];
            i += 1;
            let trimmed = raw.trim();
            if let Some(f) = &in_fence {
                if trimmed.starts_with(f.as_str()) {
                    in_fence = None;
                } else if !trimmed.is_empty() {
                    self.emit(BlockKind::Paragraph, 0, trimmed);
                }
                continue;
            }
            if trimmed.is_empty() {
                self.flush();
                continue;
            }
            if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
                self.flush();
                in_fence = Some(trimmed[..3].to_string());
                continue;
            }
            // An HTML comment, possibly over several lines.
            if trimmed.starts_with("<!--") {
                // Each line is searched once (a comment never closed is hostile input).
                let mut rest = raw.to_string();
                let mut closed = raw.contains("-->");
                while !closed && i < lines.len() {
                    rest.push('\n');
                    rest.push_str(lines[i]);
                    closed = lines[i].contains("-->");
                    i += 1;
                }
                let after = rest.split_once("-->").map(|(_, a)| a.trim()).unwrap_or("");
                if after.is_empty() {
                    continue;
                }
                self.flush();
                self.add_line(BlockKind::Paragraph, 0, after, false);
                continue;
            }
            // Template tags alone on their line.
            if is_template_line(trimmed) {
                continue;
            }
            let (_, unquoted) = strip_quote(raw);
            if let Some(tag) = html_block_tag(unquoted.trim()) {
                self.flush();
                let start = i - 1;
                let end = html_block_end(lines, start, &tag);
                let chunk = lines[start..=end].join("\n");
                i = end + 1;
                for b in html_blocks(&chunk) {
                    self.blocks.push(b);
                }
                continue;
            }
            let line = unquoted;
            let t = line.trim();
            if t.is_empty() {
                self.flush();
                continue;
            }
            if let Some((level, text)) = atx_heading(line) {
                self.flush();
                let text = inline(&text);
                if !text.is_empty() {
                    self.blocks.push(Block::heading(level, text));
                }
                continue;
            }
            if is_rule(t) {
                self.flush();
                continue;
            }
            if t.starts_with('|') {
                self.flush();
                if let Some(row) = table_row(t) {
                    self.blocks.push(Block::new(BlockKind::TableRow, 0, row));
                }
                continue;
            }
            let hard = line.ends_with("  ") || line.trim_end().ends_with('\\');
            if let Some((depth, marker, text)) = list_item(line) {
                let may_start = match &self.open {
                    None => true,
                    Some((BlockKind::ListItem, _, _)) => true,
                    Some(_) => {
                        marker.is_none() || marker.as_deref() == Some("1") || self.hard_break
                    }
                };
                if may_start {
                    self.flush();
                    let text = match &marker {
                        Some(_) => text,
                        None => text.trim_start().to_string(),
                    };
                    self.add_line(BlockKind::ListItem, depth, &text, hard);
                    continue;
                }
            }
            // Definition list: `:   definition` under its term.
            if let Some(def) = t.strip_prefix(':').filter(|d| d.starts_with([' ', '\t'])) {
                if let Some((_, _, ls)) = self.open.as_mut() {
                    if let Some(last) = ls.last_mut() {
                        last.push(':');
                    }
                }
                let kind = self
                    .open
                    .as_ref()
                    .map(|o| (o.0, o.1))
                    .unwrap_or((BlockKind::Paragraph, 0));
                self.add_line(kind.0, kind.1, def.trim(), hard);
                continue;
            }
            let kind = self
                .open
                .as_ref()
                .map(|o| (o.0, o.1))
                .unwrap_or((BlockKind::Paragraph, 0));
            self.add_line(kind.0, kind.1, t, hard);
        }
        self.flush();
    }

    fn add_line(&mut self, kind: BlockKind, level: u8, text: &str, hard: bool) {
        match self.open.as_mut() {
            Some((k, l, ls)) if *k == kind && *l == level => ls.push(text.to_string()),
            _ => {
                self.flush();
                self.open = Some((kind, level, vec![text.to_string()]));
            }
        }
        self.hard_break = hard;
    }

    fn flush(&mut self) {
        self.hard_break = false;
        if let Some((kind, level, lines)) = self.open.take() {
            self.emit(kind, level, &lines.join("\n"));
        }
    }

    fn emit(&mut self, kind: BlockKind, level: u8, text: &str) {
        let t = inline(text);
        if !t.is_empty() {
            self.blocks.push(Block::new(kind, level, t));
        }
    }
}

/// `{% include x %}`, `{{< figure … >}}`, `{{% x %}}`, `{{ x }}` alone on a line (possibly several).
fn is_template_line(t: &str) -> bool {
    (t.starts_with("{%") || t.starts_with("{{")) && strip_templates(t).trim().is_empty()
}

/// `> > text` → `(true, "text")`. A loop, not recursion: a line of 100,000 `>` is hostile input.
fn strip_quote(line: &str) -> (bool, &str) {
    let mut rest = line;
    let mut quoted = false;
    while let Some(r) = rest.trim_start().strip_prefix('>') {
        quoted = true;
        rest = r.strip_prefix(' ').unwrap_or(r);
    }
    (quoted, rest)
}

/// `## Title`, `####Title` (two or more hashes), `### Article  2  ##`.
fn atx_heading(line: &str) -> Option<(u8, String)> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    if indent > 3 {
        return None;
    }
    let t = &line[indent..];
    let hashes = t.len() - t.trim_start_matches('#').len();
    if hashes == 0 || hashes > 6 {
        return None;
    }
    let rest = &t[hashes..];
    if !rest.is_empty() && !rest.starts_with([' ', '\t']) && hashes < 2 {
        return None;
    }
    let mut text = rest.trim();
    // Closing hashes: ` ##` at the end.
    let without = text.trim_end_matches('#');
    if without.len() < text.len() && (without.is_empty() || without.ends_with([' ', '\t'])) {
        text = without.trim_end();
    }
    Some((hashes as u8, text.to_string()))
}

fn is_rule(t: &str) -> bool {
    let c = match t.chars().next() {
        Some(c @ ('-' | '*' | '_')) => c,
        _ => return false,
    };
    let n = t.chars().filter(|&x| x == c).count();
    n >= 3 && t.chars().all(|x| x == c || x == ' ' || x == '\t')
}

/// A list item: (depth, ordinal when ordered, text with the ordinal kept).
fn list_item(line: &str) -> Option<(u8, Option<String>, String)> {
    let expanded = line.replace('\t', "    ");
    let indent = expanded.len() - expanded.trim_start().len();
    let t = expanded.trim_start();
    let depth = (indent / 2 + 1).min(6) as u8;
    let mut chars = t.char_indices();
    let (_, c0) = chars.next()?;
    if matches!(c0, '-' | '*' | '+') {
        let rest = &t[1..];
        if rest.starts_with([' ', '\t']) && !rest.trim().is_empty() {
            return Some((depth, None, rest.trim().to_string()));
        }
        return None;
    }
    let digits = t.len() - t.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits > 3 {
        return None;
    }
    let rest = &t[digits..];
    let delim = rest.chars().next()?;
    if delim != '.' && delim != ')' {
        return None;
    }
    let after = &rest[1..];
    if !after.starts_with([' ', '\t']) || after.trim().is_empty() {
        return None;
    }
    let num = t[..digits].to_string();
    Some((
        depth,
        Some(num.clone()),
        format!("{num}{delim} {}", after.trim()),
    ))
}

fn table_row(t: &str) -> Option<String> {
    let inner = t.trim().trim_start_matches('|');
    let inner = inner.strip_suffix('|').unwrap_or(inner);
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut esc = false;
    for c in inner.chars() {
        if esc {
            if c != '|' {
                cur.push('\\');
            }
            cur.push(c);
            esc = false;
        } else if c == '\\' {
            esc = true;
        } else if c == '|' {
            cells.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    cells.push(cur);
    if cells
        .iter()
        .all(|c| !c.trim().is_empty() && c.trim().chars().all(|x| matches!(x, '-' | ':' | ' ')))
    {
        return None;
    }
    let cells: Vec<String> = cells
        .iter()
        .map(|c| inline(c))
        .filter(|c| !c.is_empty())
        .collect();
    (!cells.is_empty()).then(|| cells.join(" | "))
}

/// The tag name when the line opens a raw HTML block.
fn html_block_tag(t: &str) -> Option<String> {
    let rest = t.strip_prefix('<')?;
    let name: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase();
    let after = rest[name.len()..].chars().next();
    if name.is_empty() || !matches!(after, None | Some(' ' | '>' | '/' | '\t')) {
        return None;
    }
    HTML_BLOCK_TAGS.contains(&name.as_str()).then_some(name)
}

/// The last line of the HTML block opened at `start` by `tag`: where the tag's nesting closes.
fn html_block_end(lines: &[&str], start: usize, tag: &str) -> usize {
    if HTML_VOID.contains(&tag) {
        return start;
    }
    let open = format!("<{tag}");
    let close = format!("</{tag}");
    let mut depth: i64 = 0;
    for (k, l) in lines.iter().enumerate().skip(start) {
        let low = l.to_ascii_lowercase();
        let mut pos = 0;
        // The next opening and closing tag, searched again only once passed: linear in the line.
        let (mut o, mut c): (Option<usize>, Option<usize>) = (None, None);
        let (mut o_valid, mut c_valid) = (false, false);
        while pos < low.len() {
            if !o_valid || o.is_some_and(|x| x < pos) {
                o = low[pos..].find(&open).map(|x| x + pos);
                o_valid = true;
            }
            if !c_valid || c.is_some_and(|x| x < pos) {
                c = low[pos..].find(&close).map(|x| x + pos);
                c_valid = true;
            }
            match (o, c) {
                (Some(o), Some(c)) if o < c => {
                    if tag_boundary(&low, o + open.len()) {
                        depth += 1;
                    }
                    pos = o + open.len();
                }
                (_, Some(c)) => {
                    depth -= 1;
                    pos = c + close.len();
                }
                (Some(o), None) => {
                    if tag_boundary(&low, o + open.len()) {
                        depth += 1;
                    }
                    pos = o + open.len();
                }
                (None, None) => break,
            }
        }
        if depth <= 0 {
            return k;
        }
        // A paragraph-like tag left open ends at a blank line (CommonMark's rule).
        if matches!(tag, "p" | "a" | "span" | "li" | "dt" | "dd")
            && k > start
            && l.trim().is_empty()
        {
            return k;
        }
    }
    lines.len() - 1
}

fn tag_boundary(s: &str, at: usize) -> bool {
    matches!(
        s[at..].chars().next(),
        None | Some(' ' | '>' | '/' | '\t' | '\n')
    )
}

/// Blocks of a raw HTML fragment.
fn html_blocks(fragment: &str) -> Vec<Block> {
    let doc = Html::parse_fragment(fragment);
    let mut out = Vec::new();
    let mut buf = String::new();
    let ctx = Ctx {
        kind: BlockKind::Paragraph,
        level: 0,
        list_depth: 0,
    };
    walk(doc.root_element(), &mut out, &mut buf, ctx);
    flush_html(&mut buf, &mut out, ctx);
    out
}

#[derive(Clone, Copy)]
struct Ctx {
    kind: BlockKind,
    level: u8,
    list_depth: u8,
}

fn flush_html(buf: &mut String, out: &mut Vec<Block>, ctx: Ctx) {
    let t = inline(buf);
    buf.clear();
    if !t.is_empty() {
        out.push(Block::new(ctx.kind, ctx.level, t));
    }
}

fn walk(el: ElementRef<'_>, out: &mut Vec<Block>, buf: &mut String, ctx: Ctx) {
    for child in el.children() {
        match child.value() {
            Node::Text(t) => {
                // Text of HTML is not markdown: protect its markdown characters.
                buf.push_str(&escape_md(t));
            }
            Node::Element(e) => {
                let Some(child_el) = ElementRef::wrap(child) else {
                    continue;
                };
                let name = e.name();
                if HTML_SKIP.contains(&name) {
                    continue;
                }
                if name == "br" {
                    buf.push(' ');
                    continue;
                }
                if !HTML_BLOCKS.contains(&name) {
                    buf.push(' ');
                    walk(child_el, out, buf, ctx);
                    buf.push(' ');
                    continue;
                }
                flush_html(buf, out, ctx);
                match name {
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" => {
                        let level = name[1..].parse().unwrap_or(1);
                        let mut inner = String::new();
                        let hctx = Ctx {
                            kind: BlockKind::Heading,
                            level,
                            list_depth: ctx.list_depth,
                        };
                        walk(child_el, out, &mut inner, hctx);
                        flush_html(&mut inner, out, hctx);
                    }
                    "ul" | "ol" => {
                        let lctx = Ctx {
                            list_depth: ctx.list_depth + 1,
                            ..ctx
                        };
                        walk(child_el, out, buf, lctx);
                        flush_html(buf, out, ctx);
                    }
                    "li" => {
                        let lctx = Ctx {
                            kind: BlockKind::ListItem,
                            level: ctx.list_depth.max(1),
                            list_depth: ctx.list_depth.max(1),
                        };
                        let mut inner = String::new();
                        walk(child_el, out, &mut inner, lctx);
                        flush_html(&mut inner, out, lctx);
                    }
                    "tr" => {
                        let mut cells = Vec::new();
                        for cell in child_el.children().filter_map(ElementRef::wrap) {
                            if HTML_SKIP.contains(&cell.value().name()) {
                                continue;
                            }
                            let mut inner = String::new();
                            let mut nested = Vec::new();
                            walk(cell, &mut nested, &mut inner, ctx);
                            for b in nested {
                                inner.push(' ');
                                inner.push_str(&escape_md(&b.text));
                            }
                            let t = inline(&inner);
                            if !t.is_empty() {
                                cells.push(t);
                            }
                        }
                        if !cells.is_empty() {
                            out.push(Block::new(BlockKind::TableRow, 0, cells.join(" | ")));
                        }
                    }
                    _ => {
                        walk(child_el, out, buf, ctx);
                        flush_html(buf, out, ctx);
                    }
                }
            }
            _ => {}
        }
    }
}

fn escape_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '*' | '_' | '[' | ']' | '\\' | '`' | '<' | '>' | '!' | '{' | '}'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Private-use code points stand for escaped ASCII punctuation while inline markup is removed.
const ESC_BASE: u32 = 0xF0000;

fn protect_escapes(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(&n) = chars.peek() {
                if n.is_ascii_punctuation() {
                    chars.next();
                    out.push(char::from_u32(ESC_BASE + n as u32).unwrap_or(n));
                    continue;
                }
                if n == '\n' {
                    // A backslash hard break.
                    continue;
                }
            }
            if chars.peek().is_none() {
                continue;
            }
        }
        out.push(c);
    }
    out
}

fn restore_escapes(s: &str) -> String {
    s.chars()
        .map(|c| {
            let u = c as u32;
            if (ESC_BASE..ESC_BASE + 128).contains(&u) {
                char::from_u32(u - ESC_BASE).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Remove Hugo shortcodes, Liquid tags and HTML comments.
/// One pass per kind, each linear: an opening without its closing ends the pass (what follows
/// stays text).
fn strip_templates(s: &str) -> String {
    let mut cur = s.to_string();
    for (open, close) in [
        ("<!--", "-->"),
        ("{{<", ">}}"),
        ("{{%", "%}}"),
        ("{%", "%}"),
        ("{{", "}}"),
    ] {
        if !cur.contains(open) {
            continue;
        }
        let mut out = String::with_capacity(cur.len());
        let mut pos = 0;
        while let Some(a) = cur[pos..].find(open).map(|a| a + pos) {
            match cur[a + open.len()..].find(close) {
                Some(b) => {
                    out.push_str(&cur[pos..a]);
                    out.push(' ');
                    pos = a + open.len() + b + close.len();
                }
                None => break,
            }
        }
        out.push_str(&cur[pos..]);
        cur = out;
    }
    cur
}

/// Inline markdown → plain text, whitespace collapsed.
///
/// Each step runs only on text that holds the characters it acts on (each is the identity
/// otherwise), so a line of plain prose, most lines of a law, is only collapsed.
pub fn inline(s: &str) -> String {
    use std::borrow::Cow;
    /// A step of the chain: the characters it acts on, and the step.
    type Step = (&'static [u8], fn(&str) -> String);
    // One bit per step, in the order the steps run.
    const STEPS: [Step; 6] = [
        (b"\\", protect_escapes),
        (b"<{", strip_templates),
        (b"[<", links_and_images),
        (b"<", strip_html_tags),
        (b"&", decode_entities),
        (b"*_~", strip_emphasis),
    ];
    // ASCII byte → the bits of the steps that act on it.
    const TABLE: [u8; 128] = {
        let mut table = [0u8; 128];
        let mut bit = 0;
        while bit < STEPS.len() {
            let chars = STEPS[bit].0;
            let mut i = 0;
            while i < chars.len() {
                table[chars[i] as usize] |= 1 << bit;
                i += 1;
            }
            bit += 1;
        }
        table
    };
    // Which steps `text` needs, in one pass over its bytes.
    let needs = |text: &str| -> u8 {
        text.bytes()
            .fold(0, |m, b| m | TABLE.get(b as usize).copied().unwrap_or(0))
    };
    let mut cur: Cow<str> = Cow::Borrowed(s);
    let mut pending = needs(s);
    for (bit, (_, f)) in STEPS.iter().enumerate() {
        if pending & (1 << bit) != 0 {
            cur = Cow::Owned(f(&cur));
            pending = needs(&cur);
        }
    }
    let escaped = |c: char| (ESC_BASE..ESC_BASE + 128).contains(&(c as u32));
    if !cur.is_ascii() && cur.contains(escaped) {
        collapse_ws(&restore_escapes(&cur))
    } else {
        collapse_ws(&cur)
    }
}

/// [`inline`] with every step run on every text: what the guarded steps must agree with.
#[cfg(test)]
fn inline_unguarded(s: &str) -> String {
    let s = protect_escapes(s);
    let s = strip_templates(&s);
    let s = links_and_images(&s);
    let s = strip_html_tags(&s);
    let s = decode_entities(&s);
    let s = strip_emphasis(&s);
    collapse_ws(&restore_escapes(&s))
}

/// `![alt](src)` → nothing, `[text](url)` → `text`, `[[X]]`/`[[X|label]]` → `X`/`label`,
/// `<https://…>` → the URL.
fn links_and_images(s: &str) -> String {
    links_nested(s, 0)
}

/// How far a link's closing bracket or parenthesis is looked for, and how deep links nest in
/// link texts: bounds on hostile lines (100,000 `[`), which would otherwise take quadratic time
/// or overflow the stack.
const LINK_SCAN: usize = 2048;
const LINK_NESTING: usize = 8;

/// The first position at or after `from` where `hit` holds, remembered: as long as the positions
/// asked for only grow, every character is looked at once (linear, where a fresh search from each
/// `[` or `<` of a hostile line would be quadratic).
struct NextHit {
    /// `Some(result)` of the last search.
    last: Option<Option<usize>>,
}

impl NextHit {
    fn new() -> NextHit {
        NextHit { last: None }
    }
    fn find(&mut self, len: usize, from: usize, hit: impl Fn(usize) -> bool) -> Option<usize> {
        match self.last {
            Some(None) => return None,
            Some(Some(k)) if k >= from => return Some(k),
            _ => {}
        }
        let r = (from..len).find(|&k| hit(k));
        self.last = Some(r);
        r
    }
}

/// For every `open` character, the position of its matching `close` (depth counted), in one pass
/// with a stack; `newline_ends` forgets the open ones at a line end (a link's URL is one line).
fn match_pairs(chars: &[char], open: char, close: char, newline_ends: bool) -> Vec<u32> {
    let mut m = vec![u32::MAX; chars.len()];
    let mut stack: Vec<usize> = Vec::new();
    for (k, &c) in chars.iter().enumerate() {
        if c == open {
            stack.push(k);
        } else if c == close {
            if let Some(o) = stack.pop() {
                m[o] = k as u32;
            }
        } else if c == '\n' && newline_ends {
            stack.clear();
        }
    }
    m
}

fn links_nested(s: &str, nesting: usize) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let (brackets, parens) = if s.contains('[') {
        (
            match_pairs(&chars, '[', ']', false),
            match_pairs(&chars, '(', ')', true),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    // `matching` of the original scan: the partner within LINK_SCAN characters.
    let partner = |m: &[u32], at: usize| -> Option<usize> {
        let k = *m.get(at)? as usize;
        (k != u32::MAX as usize && k - at < LINK_SCAN).then_some(k)
    };
    let mut wiki_end = NextHit::new();
    let mut angle_end = NextHit::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        // Wiki link.
        if c == '[' && chars.get(i + 1) == Some(&'[') {
            let end = wiki_end
                .find(chars.len().saturating_sub(1), i + 2, |k| {
                    chars[k] == ']' && chars[k + 1] == ']'
                })
                .filter(|&e| e < (i + 2).saturating_add(LINK_SCAN));
            if let Some(end) = end {
                let inner: String = chars[i + 2..end].iter().collect();
                let shown = inner.rsplit('|').next().unwrap_or(&inner).to_string();
                out.push_str(&shown);
                i = end + 2;
                continue;
            }
        }
        let image = c == '!' && chars.get(i + 1) == Some(&'[');
        if c == '[' || image {
            let open = if image { i + 1 } else { i };
            if let Some(close) = partner(&brackets, open) {
                if chars.get(close + 1) == Some(&'(') {
                    if let Some(end) = partner(&parens, close + 1) {
                        if !image {
                            let text: String = chars[open + 1..close].iter().collect();
                            if nesting < LINK_NESTING {
                                out.push_str(&links_nested(&text, nesting + 1));
                            } else {
                                out.push_str(&text);
                            }
                        }
                        i = end + 1;
                        continue;
                    }
                }
            }
        }
        if c == '<' {
            let stop = angle_end
                .find(chars.len(), i + 1, |k| chars[k] == '>' || chars[k] == ' ')
                .filter(|&k| k - (i + 1) < LINK_SCAN);
            if let Some(end) = stop.map(|k| k - (i + 1)) {
                let inner: String = chars[i + 1..i + 1 + end].iter().collect();
                if chars[i + 1 + end] == '>'
                    && (inner.starts_with("http://") || inner.starts_with("https://"))
                {
                    out.push_str(&inner);
                    i = i + 2 + end;
                    continue;
                }
            }
        }
        out.push(c);
        i += 1;
    }
    out
}

/// Remove HTML tags (ASCII tag names only: `<개정 2020.2.4>` is text).
fn strip_html_tags(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    // Where the next `>` is, in `s`: searched again only once passed (linear on `<a <a <a …`).
    let mut next_gt: Option<Option<usize>> = None;
    while let Some(a) = rest.find('<') {
        out.push_str(&rest[..a]);
        let after = &rest[a + 1..];
        let name_start = after.strip_prefix('/').unwrap_or(after);
        let is_tag = name_start
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && name_start
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .count()
                > 0
            && {
                let n: usize = name_start
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric())
                    .count();
                matches!(
                    name_start[n..].chars().next(),
                    Some(' ' | '>' | '/' | '\n' | '\t')
                )
            };
        if is_tag {
            let base = s.len() - after.len();
            let gt = match next_gt {
                Some(Some(g)) if g >= base => Some(g),
                Some(None) => None,
                _ => {
                    let g = after.find('>').map(|e| e + base);
                    next_gt = Some(g);
                    g
                }
            };
            if let Some(g) = gt {
                out.push(' ');
                rest = &s[g + 1..];
                continue;
            }
        }
        out.push('<');
        rest = after;
    }
    out.push_str(rest);
    out
}

fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(a) = rest.find('&') {
        out.push_str(&rest[..a]);
        let after = &rest[a..];
        // An entity is short: look for its `;` in the next 10 bytes only.
        let end = after.as_bytes()[..after.len().min(11)]
            .iter()
            .position(|&b| b == b';');
        let decoded = end.and_then(|e| {
            let name = &after[1..e];
            let ch = match name {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "hellip" => Some('…'),
                "rsquo" => Some('’'),
                "lsquo" => Some('‘'),
                "ldquo" => Some('“'),
                "rdquo" => Some('”'),
                _ => {
                    if let Some(hex) = name.strip_prefix("#x").or_else(|| name.strip_prefix("#X")) {
                        u32::from_str_radix(hex, 16).ok().and_then(char::from_u32)
                    } else if let Some(dec) = name.strip_prefix('#') {
                        dec.parse().ok().and_then(char::from_u32)
                    } else {
                        None
                    }
                }
            };
            ch.map(|c| (c, e))
        });
        match decoded {
            Some((c, e)) => {
                out.push(c);
                rest = &after[e + 1..];
            }
            None => {
                out.push('&');
                rest = &after[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Remove emphasis delimiters: runs of `*` (unless spaced on both sides, as in `a * b`), runs of
/// `_` at word edges (not inside words: `snake_case` stays), and `~~`.
fn strip_emphasis(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '*' || c == '_' || (c == '~' && chars.get(i + 1) == Some(&'~')) {
            let mut j = i;
            while j < chars.len() && chars[j] == c {
                j += 1;
            }
            let before = if i == 0 { None } else { Some(chars[i - 1]) };
            let after = chars.get(j).copied();
            let space_before = before.is_none_or(char::is_whitespace);
            let space_after = after.is_none_or(char::is_whitespace);
            let word_before = before.is_some_and(char::is_alphanumeric);
            let word_after = after.is_some_and(char::is_alphanumeric);
            let keep = match c {
                '*' => space_before && space_after && j - i == 1,
                '_' => (word_before && word_after) || (space_before && space_after),
                _ => false,
            };
            if keep {
                out.extend(&chars[i..j]);
            }
            i = j;
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn blocks(md: &str) -> Vec<(BlockKind, u8, String)> {
        extract("xx-test", md.as_bytes())
            .unwrap()
            .blocks
            .into_iter()
            .map(|b| (b.kind, b.level, b.text))
            .collect()
    }

    fn texts(md: &str) -> Vec<String> {
        blocks(md).into_iter().map(|b| b.2).collect()
    }

    #[test]
    fn yaml_front_matter_gives_the_title_and_is_not_body() {
        let md =
            "---\ntitle: \"An Invented Act\"\nlayout: default\n---\n\n# Heading\n\nBody text.\n";
        let d = extract("xx", md.as_bytes()).unwrap();
        assert_eq!(d.title.as_deref(), Some("An Invented Act"));
        assert_eq!(
            blocks(md),
            vec![
                (BlockKind::Heading, 1, "Heading".into()),
                (BlockKind::Paragraph, 0, "Body text.".into())
            ]
        );
    }

    #[test]
    fn toml_front_matter_and_a_second_scraper_block() {
        let md = "+++\nauthor = 'Someone'\ntitle = 'Gadgets and Us'\n+++\n\nFirst words.\n";
        let d = extract("xx", md.as_bytes()).unwrap();
        assert_eq!(d.title.as_deref(), Some("Gadgets and Us"));
        assert_eq!(texts(md), ["First words."]);
        let md2 = "---\nTitle: Bill X\n---\n---\nReading:\nR.1/2000\n---\n\nBILL TEXT\n";
        assert_eq!(texts(md2), ["BILL TEXT"]);
    }

    #[test]
    fn headings_without_space_with_odd_spacing_and_closing_hashes() {
        let md = "<meta http-equiv='Content-Type' content='text/html' />\n\n####Unlawful peeking\n\n### Article  2  \n\n## Closing ##\n\n#hashtag stays text\n";
        assert_eq!(
            blocks(md),
            vec![
                (BlockKind::Heading, 4, "Unlawful peeking".into()),
                (BlockKind::Heading, 3, "Article 2".into()),
                (BlockKind::Heading, 2, "Closing".into()),
                (BlockKind::Paragraph, 0, "#hashtag stays text".into()),
            ]
        );
    }

    #[test]
    fn paragraphs_join_lines_and_hard_breaks_let_numbered_items_start() {
        let md = "A sentence that\nwraps here.\n\n1.   First duty of the parties.  \n2.   Second duty.  \n\nThe year 2021\n3. is not an item here.\n";
        assert_eq!(
            blocks(md),
            vec![
                (
                    BlockKind::Paragraph,
                    0,
                    "A sentence that wraps here.".into()
                ),
                (
                    BlockKind::ListItem,
                    1,
                    "1. First duty of the parties.".into()
                ),
                (BlockKind::ListItem, 1, "2. Second duty.".into()),
                (
                    BlockKind::Paragraph,
                    0,
                    "The year 2021 3. is not an item here.".into()
                ),
            ]
        );
    }

    #[test]
    fn comments_shortcodes_liquid_and_images_are_dropped() {
        let md = "Line one.\n\n<!-- INFO END -->\n\n{{< figure src=\"x.png\" >}}\n\n{% include box.html %}\n\n![a cat](cat.jpg)\n\nText {{< ref \"y\" >}}with ![pic](p.png)an image.\n";
        assert_eq!(texts(md), ["Line one.", "Text with an image."]);
    }

    #[test]
    fn links_emphasis_and_escapes() {
        let md = "See [the other act](../other/README.md) and [[Part IX|Part nine]].\n\n**第三条（目的）**　本文。\n\n**Artículo 1°.** Texto _en cursiva_ y snake_case.\n\n  1\\. 정의 \\*별표\\*\n\nA * B stays, C*D loses.\n";
        assert_eq!(
            texts(md),
            [
                "See the other act and Part nine.",
                "第三条（目的） 本文。",
                "Artículo 1°. Texto en cursiva y snake_case.",
                "1. 정의 *별표*",
                "A * B stays, CD loses.",
            ]
        );
    }

    #[test]
    fn html_blocks_keep_content_and_drop_widgets() {
        let md = "Intro.\n\n<div class=\"highlighted-text\" id=\"fulltext\">\n\n<p>First <strong>point</strong> here.</p>\n\n<h3>A part</h3>\n\n<ul><li>one</li>\n<li>two <em>items</em></li></ul>\n\n</div>\n\n<form><input name=q>Search us</form>\n\n<script>var x = 1;</script>\n\n<style>\n.a { color: red }\n</style>\n\nAmendment note <개정 2020.2.4>\n";
        assert_eq!(
            blocks(md),
            vec![
                (BlockKind::Paragraph, 0, "Intro.".into()),
                (BlockKind::Paragraph, 0, "First point here.".into()),
                (BlockKind::Heading, 3, "A part".into()),
                (BlockKind::ListItem, 1, "one".into()),
                (BlockKind::ListItem, 1, "two items".into()),
                (
                    BlockKind::Paragraph,
                    0,
                    "Amendment note <개정 2020.2.4>".into()
                ),
            ]
        );
    }

    #[test]
    fn tables_lists_quotes_and_definitions() {
        let md = "| Year | Cases |\n|---|---|\n| 2019 | 12 |\n\n* [About](/about)\n  + [Contact](/c)\n- 一　削除\n\n> Part: [[Part IX]] | Chapter: [[Chapter 2]]\n\nEnacted\n:   1871-05-15\n\n---\n\nAfter the rule.\n";
        assert_eq!(
            blocks(md),
            vec![
                (BlockKind::TableRow, 0, "Year | Cases".into()),
                (BlockKind::TableRow, 0, "2019 | 12".into()),
                (BlockKind::ListItem, 1, "About".into()),
                (BlockKind::ListItem, 2, "Contact".into()),
                (BlockKind::ListItem, 1, "一 削除".into()),
                (
                    BlockKind::Paragraph,
                    0,
                    "Part: Part IX | Chapter: Chapter 2".into()
                ),
                (BlockKind::Paragraph, 0, "Enacted: 1871-05-15".into()),
                (BlockKind::Paragraph, 0, "After the rule.".into()),
            ]
        );
    }

    #[test]
    fn empty_markdown_is_an_error() {
        assert!(extract("xx", b"---\ntitle: x\n---\n\n<!-- nothing -->\n").is_err());
    }
}

/// Hostile inline markup: every construct whose end was once searched from each of its starts.
/// The bound is a guard against a hang (these took minutes before), not a benchmark.
#[cfg(test)]
mod hostile {
    use super::*;
    use proptest::strategy::Strategy;
    use std::time::{Duration, Instant};

    fn run(name: &str, text: String) -> Duration {
        let t = Instant::now();
        let r = extract("x", text.as_bytes());
        let d = t.elapsed();
        eprintln!("{name}: {} bytes in {d:?} ({})", text.len(), r.is_ok());
        assert!(d < Duration::from_secs(20), "{name} took {d:?}");
        d
    }

    #[test]
    fn megabytes_of_unclosed_inline_markup_take_linear_time() {
        let mb = 2 << 20;
        let rep = |unit: &str| unit.repeat(mb / unit.len());
        for (name, text) in [
            ("<a ", rep("<a ")),
            ("x <a ", rep("x <a ")),
            ("&#", rep("&#")),
            ("x &#", rep("x &#")),
            ("&amp", rep("&amp")),
            ("[", rep("[")),
            ("x [", rep("x [")),
            ("[[", rep("[[")),
            ("x <", rep("x <")),
            ("x <!--", rep("x <!--")),
            ("x <!---->", rep("x <!---->")),
            ("x {{ }}", rep("x {{ }}")),
            ("x {%", rep("x {%")),
            ("x <div", rep("x <div")),
            ("<div lines", rep("<div\n")),
            ("<!-- lines", format!("<!--\n{}", rep("x\n"))),
            ("*_~~", rep("*_~~")),
            ("\\\\*", rep("\\*")),
            ("[x](", rep("[x](")),
            ("](", rep("](")),
        ] {
            run(name, text);
        }
    }

    #[test]
    fn the_linear_inline_code_gives_what_the_scans_gave() {
        assert_eq!(
            inline("a <b>bold</b> &amp; &#x41;&#66; &bogus; c"),
            "a bold & AB &bogus; c"
        );
        assert_eq!(inline("<a <a <a href=x>t"), "t");
        assert_eq!(inline("x < y > z"), "x < y > z");
        assert_eq!(
            inline("[[A|b]] [t](u) ![i](s) <https://e.org/x> [[u"),
            "b t https://e.org/x [[u"
        );
        assert_eq!(inline("[a [b](c)](d) [x](y"), "a b [x](y");
        assert_eq!(
            inline("{{< f >}} k {% i %} <!-- c --> {{ v }} {% open"),
            "k {% open"
        );
        assert_eq!(inline("&#128512;&#xZZ;&;"), "😀&#xZZ;&;");
    }

    /// Markup characters, words and spaces: what [`inline`]'s steps look for, and what they don't.
    const INLINE_PIECES: [&str; 25] = [
        "a",
        " ",
        "\\",
        "\\*",
        "<",
        ">",
        "{",
        "}",
        "%",
        "[",
        "]",
        "(",
        ")",
        "!",
        "&",
        ";",
        "amp",
        "*",
        "_",
        "~",
        "\n",
        "https://x",
        "\u{F002A}",
        "é",
        "|",
    ];

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config {
            cases: 20_000,
            failure_persistence: None,
            ..Default::default()
        })]

        #[test]
        fn guarded_inline_steps_agree_with_running_every_step(
            s in proptest::collection::vec(proptest::sample::select(&INLINE_PIECES[..]), 0..7)
                .prop_map(|v| v.concat())
        ) {
            proptest::prop_assert_eq!(inline(&s), inline_unguarded(&s), "{:?}", s);
        }
    }
}
