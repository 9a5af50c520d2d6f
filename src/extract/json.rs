//! JSON: scraped acts (`provisions` + `definitions`, the Ansvar Systems scrapers' shape), else
//! every string of the document as a paragraph.
//!
//! A scraped act is `{title, provisions: [{provision_ref, chapter, section, title, content}],
//! definitions: [{term, definition, source_provision}]}`. Every provision starts a block with a
//! [`Marker`] (label = the section number, citation `s. N`, caption = its title; a profile may
//! restyle citations). Its `content` is kept whole, one block per line of it. A provision's
//! `chapter`, when it changes, becomes a level-1 heading before it (a profile decides whether
//! that heading is a container or junk). Each definition becomes a passage of its own right after
//! the provision it comes from, cited `s. N (“term”)`. Trailing site furniture of the
//! Laws.Africa/Kenya Law pages (`History of this document …`) is cut from a content's end.
//!
//! Malformed JSON is an [`ExtractError::Malformed`] with the parser's line and column;
//! nesting is bounded at [`MAX_DEPTH`] (128 levels of arrays and objects, as the README says:
//! 128 accepted, 129 refused) by a linear scan before the parse, so a hostile document cannot
//! overflow the stack. serde_json's own recursion limit (which refuses depth 128 itself) is
//! disabled for that parse: the scan is the one limit, and it is exactly the documented one.

use std::collections::HashMap;

use serde_json::Value;

use super::{collapse_ws, Block, Document, ExtractError, Marker};
use crate::corpus::Format;

/// Deepest nesting of arrays and objects accepted (the README's figure).
pub const MAX_DEPTH: usize = 128;

/// The deepest nesting of arrays and objects, strings skipped (one linear scan).
pub fn nesting_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_str, mut esc) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_str {
            match b {
                _ if esc => esc = false,
                b'\\' => esc = true,
                b'"' => in_str = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, enc) = super::text::decode(bytes);
    let malformed = |reason: String| ExtractError::Malformed {
        id: id.to_string(),
        format: Format::Json,
        reason,
    };
    let depth = nesting_depth(&text);
    if depth > MAX_DEPTH {
        return Err(malformed(format!(
            "arrays and objects nested {depth} levels deep, over the limit of {MAX_DEPTH}"
        )));
    }
    let value = parse_checked(&text).map_err(|e| malformed(e.to_string()))?;
    let mut doc = Document {
        encoding: Some(enc.to_string()),
        ..Document::default()
    };
    match value.get("provisions").and_then(Value::as_array) {
        Some(provisions) => {
            doc.title = value.get("title").and_then(Value::as_str).map(collapse_ws);
            doc.blocks = act_blocks(
                provisions,
                value.get("definitions").and_then(Value::as_array),
            );
        }
        None => {
            doc.title = value.get("title").and_then(Value::as_str).map(collapse_ws);
            collect_strings(&value, &mut doc.blocks);
        }
    }
    if doc.blocks.is_empty() {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: Format::Json,
            hint: " (no provisions and no strings)".into(),
        });
    }
    Ok(doc)
}

/// Parses a document whose nesting [`nesting_depth`] has already bounded by [`MAX_DEPTH`], with
/// serde_json's recursion limit off (that limit is 128 and refuses depth 128 itself).
fn parse_checked(text: &str) -> serde_json::Result<Value> {
    use serde::Deserialize;
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let value = Value::deserialize(&mut de)?;
    de.end()?;
    Ok(value)
}

/// A string or number field as text.
fn field(v: &Value, key: &str) -> Option<String> {
    match v.get(key)? {
        Value::String(s) => Some(collapse_ws(s)).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn act_blocks(provisions: &[Value], definitions: Option<&Vec<Value>>) -> Vec<Block> {
    // Definitions by the provision they come from.
    let mut defs: HashMap<String, Vec<(String, String)>> = HashMap::new();
    for d in definitions.into_iter().flatten() {
        let (Some(term), Some(def)) = (field(d, "term"), field(d, "definition")) else {
            continue;
        };
        let from = field(d, "source_provision").unwrap_or_default();
        let list = defs.entry(from).or_default();
        // A term the scraper listed twice for one provision (Ghana: once whole, once garbled):
        // one definition, the longer, where the first stood.
        match list.iter_mut().find(|(t, _)| *t == term) {
            Some((_, kept)) => {
                if def.len() > kept.len() {
                    *kept = def;
                }
            }
            None => list.push((term, def)),
        }
    }
    // An act that heads its sections `Section 3.` in their own text (the Philippines) is cited
    // `Sec. 3`, as its lawyers write; others `s. 3`.
    let headed = provisions
        .iter()
        .filter(|p| {
            let (Some(s), Some(c)) = (
                field(p, "section"),
                p.get("content").and_then(Value::as_str),
            ) else {
                return false;
            };
            let c = c.trim_start();
            ["Section ", "SECTION ", "Sec. ", "SEC. "].iter().any(|w| {
                c.strip_prefix(w)
                    .is_some_and(|r| r.starts_with(&format!("{s}.")))
            })
        })
        .count();
    let word = if headed * 2 > provisions.len() {
        "Sec."
    } else {
        "s."
    };
    let mut blocks = Vec::new();
    let mut chapter: Option<String> = None;
    for (n, p) in provisions.iter().enumerate() {
        let reference = field(p, "provision_ref");
        let section = field(p, "section")
            .or_else(|| reference.clone())
            .unwrap_or_else(|| (n + 1).to_string());
        if let Some(ch) = field(p, "chapter") {
            if chapter.as_deref() != Some(ch.as_str()) {
                blocks.push(Block::heading(1, ch.clone()));
                chapter = Some(ch);
            }
        }
        let caption = field(p, "title").map(|t| caption_of(&t, &section));
        let content = p
            .get("content")
            .and_then(Value::as_str)
            .map(|c| cut_site_footer(&unescape_entities(c)).to_string())
            .unwrap_or_default();
        let mut lines: Vec<String> = content
            .lines()
            .map(collapse_ws)
            .filter(|l| !l.is_empty())
            .collect();
        let mut caption = caption;
        if let (Some(c), Some(first)) = (caption.as_mut(), lines.first_mut()) {
            let title = field(p, "title").unwrap_or_default();
            if let Some((joined, rest)) = rejoin_caption(c, &title, first, &content) {
                *c = joined;
                *first = rest;
            }
            if first.is_empty() {
                lines.remove(0);
            }
        }
        if lines.is_empty() {
            lines.push(caption.clone().unwrap_or_else(|| section.clone()));
        }
        let citation = format!("{word} {section}");
        for (i, line) in lines.into_iter().enumerate() {
            let mut b = Block::paragraph(line);
            if i == 0 {
                b.marker = Some(Marker {
                    label: section.clone(),
                    citation: citation.clone(),
                    caption: caption.clone(),
                });
            }
            blocks.push(b);
        }
        for (term, def) in reference
            .and_then(|r| defs.remove(&r))
            .into_iter()
            .flatten()
        {
            let term = term
                .trim_matches(|c: char| "\"“”'‘’ ".contains(c))
                .to_string();
            let mut b = Block::paragraph(def);
            b.marker = Some(Marker {
                label: format!("{section} {term}"),
                citation: format!("{citation} (“{term}”)"),
                caption: Some(format!("Definition of “{term}”")),
            });
            blocks.push(b);
        }
    }
    blocks
}

/// `Section 3. Unauthorized access` → `Unauthorized access`; a title that runs on into the
/// section's text (`Short Title - This Act shall be known as …`) is cut at its dash.
fn caption_of(title: &str, section: &str) -> String {
    let mut t = title.trim();
    for prefix in ["Section", "Sec.", "SECTION", "SEC."] {
        if let Some(rest) = t.strip_prefix(prefix) {
            let rest = rest.trim_start();
            if let Some(rest) = rest.strip_prefix(section) {
                t = rest.trim_start_matches(['.', ' ', '-', '—', '–']).trim();
            }
            break;
        }
    }
    if t.chars().count() > 60 {
        for dash in [" - ", " — ", " – "] {
            if let Some(i) = t.find(dash) {
                return t[..i].trim().to_string();
            }
        }
    }
    t.to_string()
}

/// A caption the scraper cut at a hyphen or a line break, its end left at the start of the
/// content (`Real` + `time collection and recording of information.— (1) If …`): the whole
/// caption and the content after its closing dash. The cut was at a hyphen when the compound
/// (`real-time`) occurs in the content or when title and first line fit on one printed line (as
/// long as the content's longest); else at a line break (`… and pending` + `proceedings.—`).
fn rejoin_caption(
    caption: &str,
    title: &str,
    first: &str,
    content: &str,
) -> Option<(String, String)> {
    if !first.starts_with(|c: char| c.is_lowercase()) || caption.is_empty() {
        return None;
    }
    let (end, dash) = [".—", ".__", ".-", ".–"]
        .iter()
        .filter_map(|d| first.find(d).map(|i| (i, *d)))
        .min()?;
    let tail = &first[..end];
    if tail.chars().count() > 120 || tail.contains(". ") {
        return None;
    }
    let last = caption.split_whitespace().last().unwrap_or("");
    let next = tail.split_whitespace().next().unwrap_or("");
    let compound = format!("{last}-{next}").to_lowercase();
    let lower = content.to_lowercase();
    let widest = content
        .lines()
        .map(|l| l.chars().count())
        .max()
        .unwrap_or(0);
    let one_line = title.chars().count() + 1 + first.chars().count() <= widest + 10;
    let joiner = if lower.contains(&compound) || one_line {
        "-"
    } else {
        " "
    };
    let rest = first[end + dash.len()..]
        .trim_start_matches(['_', '-', '—', '–'])
        .trim()
        .to_string();
    Some((format!("{caption}{joiner}{tail}"), rest))
}

/// Numeric character references left in scraped text (`&#8243;`).
fn unescape_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("&#") {
        out.push_str(&rest[..i]);
        let tail = &rest[i + 2..];
        let (digits, radix) = match tail.strip_prefix(['x', 'X']) {
            Some(hex) => (hex, 16),
            None => (tail, 10),
        };
        let len = digits.chars().take_while(|c| c.is_digit(radix)).count();
        let decoded = digits[len..]
            .starts_with(';')
            .then(|| u32::from_str_radix(&digits[..len], radix).ok())
            .flatten()
            .and_then(char::from_u32);
        match decoded {
            Some(c) if len > 0 => {
                out.push(c);
                rest = &digits[len + 1..];
            }
            _ => {
                out.push_str("&#");
                rest = tail;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Cut the page furniture a Laws.Africa (ULII, GhaLII) or Kenya Law page appends after the last
/// provision: it starts at `▲ To the top` or at `History of this document` followed by a date.
fn cut_site_footer(s: &str) -> &str {
    let mut end = s.len();
    if let Some(i) = s.find("▲ To the top") {
        end = end.min(i);
    }
    let mut from = 0;
    while let Some(i) = s[from..].find("History of this document") {
        let at = from + i;
        let after = s[at + "History of this document".len()..].trim_start();
        if after.chars().next().is_some_and(|c| c.is_ascii_digit()) {
            end = end.min(at);
            break;
        }
        from = at + 1;
    }
    s[..end].trim_end()
}

/// Any other JSON: every non-empty string, in document order, as a paragraph.
fn collect_strings(v: &Value, out: &mut Vec<Block>) {
    match v {
        Value::String(s) => {
            for line in s.lines() {
                let t = collapse_ws(line);
                if !t.is_empty() {
                    out.push(Block::paragraph(t));
                }
            }
        }
        Value::Array(a) => a.iter().for_each(|x| collect_strings(x, out)),
        Value::Object(o) => o.values().for_each(|x| collect_strings(x, out)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ACT: &str = r#"{
      "id": "invented-act", "title": "Invented Gadget Act 2001",
      "provisions": [
        {"provision_ref": "s1", "chapter": "Part I", "section": "1", "title": "Short title",
         "content": "This invented Act is the Gadget Act."},
        {"provision_ref": "s2", "chapter": "Part I", "section": "2", "title": "Section 2. Interpretation",
         "content": "In this Act— \"gadget\" means a humming box.\n(2) A box hums when it hums &#8243;loudly&#8243;."},
        {"provision_ref": "s3", "chapter": "Part II", "section": "3A", "title": "Humming",
         "content": "No gadget shall hum at night. History of this document 01 January 2020 this version Contact us"}
      ],
      "definitions": [{"term": "“gadget”", "definition": "a humming box", "source_provision": "s2"},
                      {"term": "“gadget”", "definition": "a box", "source_provision": "s2"}]
    }"#;

    #[test]
    fn provisions_become_markers_with_chapters_and_definitions() {
        let doc = extract("x", ACT.as_bytes()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Invented Gadget Act 2001"));
        let marked: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| b.marker.as_ref().map(|m| m.citation.as_str()))
            .collect();
        assert_eq!(marked, ["s. 1", "s. 2", "s. 2 (“gadget”)", "s. 3A"]);
        let s2 = doc
            .blocks
            .iter()
            .find(|b| b.marker.as_ref().is_some_and(|m| m.label == "2"))
            .unwrap();
        assert_eq!(
            s2.marker.as_ref().unwrap().caption.as_deref(),
            Some("Interpretation")
        );
        assert!(doc
            .blocks
            .iter()
            .any(|b| b.text == "(2) A box hums when it hums ″loudly″."));
        let headings: Vec<_> = doc
            .blocks
            .iter()
            .filter(|b| b.kind == super::super::BlockKind::Heading)
            .map(|b| b.text.as_str())
            .collect();
        assert_eq!(headings, ["Part I", "Part II"]);
        let last = doc.blocks.last().unwrap();
        assert_eq!(last.text, "No gadget shall hum at night.");
    }

    #[test]
    fn acts_heading_their_sections_are_cited_sec() {
        let act = r#"{"provisions": [
            {"section": "1", "title": "Title", "content": "Section 1. Title. — This invented Act is the Gadget Act."},
            {"section": "2", "title": "Policy", "content": "Section 2. Policy. — Gadgets shall not hum."}]}"#;
        let doc = extract("x", act.as_bytes()).unwrap();
        assert_eq!(doc.blocks[1].marker.as_ref().unwrap().citation, "Sec. 2");
    }

    #[test]
    fn malformed_and_deeply_nested_json_are_errors() {
        let e = extract("x", b"{\"provisions\": [ {\"section\": 1,, } ]").unwrap_err();
        assert!(matches!(e, ExtractError::Malformed { .. }), "{e}");
        assert!(e.to_string().contains("line 1"), "{e}");
        let deep = "[".repeat(100_000) + &"]".repeat(100_000);
        assert!(matches!(
            extract("x", deep.as_bytes()),
            Err(ExtractError::Malformed { .. })
        ));
        assert!(matches!(
            extract("x", b"{}"),
            Err(ExtractError::Empty { .. })
        ));
    }

    #[test]
    fn other_json_is_its_strings() {
        let doc = extract(
            "x",
            br#"{"a": ["first invented line", {"b": "second\nthird"}], "n": 3}"#,
        )
        .unwrap();
        let t: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(t, ["first invented line", "second", "third"]);
    }

    #[test]
    fn captions_cut_at_a_hyphen_or_a_line_break_are_whole_again() {
        let act = r#"{"provisions": [
            {"section": "7", "title": "Section 7. Real", "content": "time counting of beans.— (1) Real-time counting is invented here.\nA second line of the invented section, a line as long as any other."},
            {"section": "8", "title": "Section 8. Amendment of the Invented Gadget Ordinance, 2002 (LI of 2002) and pending", "content": "proceedings.—(1) Sections 3 and 4 of the invented Ordinance are omitted.\n(2) The rest."}]}"#;
        let doc = extract("x", act.as_bytes()).unwrap();
        let captions: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| b.marker.as_ref().and_then(|m| m.caption.clone()))
            .collect();
        assert_eq!(
            captions,
            [
                "Real-time counting of beans",
                "Amendment of the Invented Gadget Ordinance, 2002 (LI of 2002) and pending proceedings"
            ]
        );
        assert_eq!(
            doc.blocks[0].text,
            "(1) Real-time counting is invented here."
        );
        assert_eq!(
            doc.blocks[2].text,
            "(1) Sections 3 and 4 of the invented Ordinance are omitted."
        );
    }

    #[test]
    fn captions_lose_their_section_prefix_and_run_on_text() {
        assert_eq!(
            caption_of("Section 3. Unauthorised entry", "3"),
            "Unauthorised entry"
        );
        assert_eq!(
            caption_of(
                "Short Title - This invented Act shall be known as the Gadget Act of the year",
                "1"
            ),
            "Short Title"
        );
    }
}
