//! Passages capped in length: a provision longer than the cap is split at its subsections
//! (`(1)`, `(2)` … at the start of a line, else `(a)`, `(b)` …), each cited as itself
//! (`18 U.S.C. § 2511(2)`); what is still too long (or has no subsections: a 60 MB single line)
//! is cut into parts at line, sentence or word boundaries (`s. 1(1), part 2`). Linear in the text.

/// One piece of a split passage: what to append to the citation and to the slug, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    pub citation_suffix: String,
    pub slug_suffix: String,
    pub text: String,
}

/// `text` cut into pieces of at most `max` bytes (one piece, unchanged, when it fits).
/// With `by_subsection` false (a schedule, a preamble: its `(1)` are not its own), parts only.
pub fn split_long(text: &str, max: usize, by_subsection: bool) -> Vec<Piece> {
    let max = max.max(64);
    if text.len() <= max {
        return vec![Piece {
            citation_suffix: String::new(),
            slug_suffix: String::new(),
            text: text.to_string(),
        }];
    }
    let mut out = Vec::new();
    let pieces = if by_subsection {
        subsections(text)
    } else {
        vec![(None, text)]
    };
    for (label, sub) in pieces {
        let (cite, slug) = match &label {
            Some(l) => (format!("({l})"), format!("/{}", l.to_lowercase())),
            None => (String::new(), String::new()),
        };
        let parts = parts(sub, max);
        let many = parts.len() > 1;
        for (k, p) in parts.into_iter().enumerate() {
            let (c, s) = if many && k > 0 {
                (
                    format!("{cite}, part {}", k + 1),
                    format!("{slug}/part-{}", k + 1),
                )
            } else {
                (cite.clone(), slug.clone())
            };
            out.push(Piece {
                citation_suffix: c,
                slug_suffix: s,
                text: p.to_string(),
            });
        }
    }
    out
}

/// The label of a subsection opening `line`: `(2)` → `2`, `12. (1)` → `1`, `(b)` → `b`.
fn opening_label(line: &str) -> Option<&str> {
    let mut l = line.trim_start();
    // A section number before the first subsection (`12. (1) …`, `3A. (1)`).
    if let Some(i) = l.find(|c: char| !c.is_ascii_alphanumeric()) {
        let (num, rest) = l.split_at(i);
        if !num.is_empty() && num.starts_with(|c: char| c.is_ascii_digit()) {
            if let Some(r) = rest.strip_prefix('.') {
                l = r.trim_start();
            }
        }
    }
    let inner = l.strip_prefix('(')?;
    let end = inner.find(')')?;
    let label = &inner[..end];
    let ok = (1..=3).contains(&label.len())
        && (label.chars().all(|c| c.is_ascii_digit())
            || (label.len() == 1 && label.chars().all(|c| c.is_ascii_lowercase())));
    ok.then_some(label)
}

fn next_label(prev: &str) -> String {
    if let Ok(n) = prev.parse::<u32>() {
        return (n + 1).to_string();
    }
    let c = prev.chars().next().unwrap_or('a');
    char::from_u32(c as u32 + 1).unwrap_or(c).to_string()
}

/// The text cut before every line that opens the next subsection in sequence, numbers first
/// (`(1)`, `(2)`), else letters (`(a)`, `(b)`); the text before the first stays with it.
/// `[(None, text)]` when the text has fewer than two subsections.
fn subsections(text: &str) -> Vec<(Option<String>, &str)> {
    for first in ["1", "a"] {
        let mut starts: Vec<(usize, String)> = Vec::new();
        let mut expected = first.to_string();
        let mut pos = 0;
        for line in text.split_inclusive('\n') {
            if let Some(label) = opening_label(line) {
                if label == expected {
                    starts.push((pos, label.to_string()));
                    expected = next_label(label);
                }
            }
            pos += line.len();
        }
        if starts.len() >= 2 {
            let mut out = Vec::new();
            for (i, (start, label)) in starts.iter().enumerate() {
                let from = if i == 0 { 0 } else { *start };
                let to = starts.get(i + 1).map_or(text.len(), |(s, _)| *s);
                out.push((Some(label.clone()), text[from..to].trim_end()));
            }
            return out;
        }
    }
    vec![(None, text)]
}

/// `text` cut into runs of at most `max` bytes: at the last line break before the limit, else the
/// last sentence end, else the last space, else the last character boundary.
fn parts(text: &str, max: usize) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = text.trim();
    while rest.len() > max {
        let mut limit = max;
        while !rest.is_char_boundary(limit) {
            limit -= 1;
        }
        let window = &rest[..limit];
        let floor = max / 3;
        let cut = [
            window.rfind('\n').map(|i| i + 1),
            window.rfind(". ").map(|i| i + 2),
            window.rfind("。").map(|i| i + "。".len()),
            window.rfind(char::is_whitespace).map(|i| i + 1),
        ]
        .into_iter()
        .flatten()
        .find(|&i| i >= floor)
        .unwrap_or(limit);
        let (head, tail) = rest.split_at(cut);
        if !head.trim().is_empty() {
            out.push(head.trim());
        }
        rest = tail.trim_start();
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_text_is_one_piece() {
        let p = split_long("A short invented rule.", 100, true);
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].citation_suffix, "");
        assert_eq!(p[0].text, "A short invented rule.");
    }

    #[test]
    fn a_long_provision_is_cut_at_its_numbered_subsections() {
        let body = "x ".repeat(40);
        let text = format!(
            "12. (1) Nobody shall tickle a gadget {body}\n(a) by hand; or\n(b) by feather.\n(3) Not in sequence, a reference.\n(2) A gadget may be tickled {body}\n(3) Leave is given {body}"
        );
        let p = split_long(&text, 200, true);
        let cites: Vec<_> = p.iter().map(|p| p.citation_suffix.as_str()).collect();
        assert_eq!(cites, ["(1)", "(2)", "(3)"]);
        assert_eq!(p[1].slug_suffix, "/2");
        assert!(p[0].text.starts_with("12. (1) Nobody"));
        assert!(p[0].text.contains("(b) by feather") && p[0].text.contains("Not in sequence"));
        assert!(p[2].text.starts_with("(3) Leave"));
        // Nothing is lost or doubled.
        let joined: String = p
            .iter()
            .map(|p| p.text.split_whitespace().collect::<String>())
            .collect();
        assert_eq!(joined, text.split_whitespace().collect::<String>());
    }

    #[test]
    fn lettered_subsections_are_used_when_there_are_no_numbered_ones() {
        let body = "y ".repeat(40);
        let text = format!("(a) First invented limb {body}\n(b) Second limb {body}");
        let p = split_long(&text, 150, true);
        let cites: Vec<_> = p.iter().map(|p| p.citation_suffix.as_str()).collect();
        assert_eq!(cites, ["(a)", "(b)"]);
    }

    #[test]
    fn a_huge_single_line_becomes_bounded_parts_at_sentence_ends() {
        let text = "An invented sentence about gadgets. ".repeat(20_000);
        let p = split_long(&text, 8000, false);
        assert!(p.len() > 80);
        assert!(p
            .iter()
            .all(|p| p.text.len() <= 8000 && p.text.ends_with('.')));
        assert_eq!(p[0].citation_suffix, "");
        assert_eq!(p[1].citation_suffix, ", part 2");
        assert_eq!(p[1].slug_suffix, "/part-2");
        let total: usize = p.iter().map(|p| p.text.len() + 1).sum();
        assert_eq!(total, text.trim().len() + 1);
    }

    #[test]
    fn a_text_without_spaces_is_cut_at_character_boundaries() {
        let text = "ü".repeat(1000);
        let p = split_long(&text, 101, true);
        assert!(p.iter().all(|p| p.text.len() <= 101));
        assert_eq!(
            p.iter().map(|p| p.text.chars().count()).sum::<usize>(),
            1000
        );
    }
}
