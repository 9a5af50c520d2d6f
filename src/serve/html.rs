//! HTML building blocks: escaping, highlighted snippets, URL encoding, the page layout. Every
//! string from the corpus, the index or the request goes through [`esc`] (or [`marked`], which
//! escapes too) before it reaches a page.

use std::fmt::Write;

/// Escape text for HTML element content and double- or single-quoted attribute values.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + s.len() / 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `text` escaped, with the `[start, end)` character ranges wrapped in `<mark>`.
pub fn marked(text: &str, highlights: &[[usize; 2]]) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut spans: Vec<[usize; 2]> = highlights
        .iter()
        .map(|[a, b]| [(*a).min(chars.len()), (*b).min(chars.len())])
        .filter(|[a, b]| a < b)
        .collect();
    spans.sort();
    let mut out = String::new();
    let mut at = 0;
    for [a, b] in spans {
        let a = a.max(at);
        if a >= b {
            continue;
        }
        out.push_str(&esc(&chars[at..a].iter().collect::<String>()));
        out.push_str("<mark>");
        out.push_str(&esc(&chars[a..b].iter().collect::<String>()));
        out.push_str("</mark>");
        at = b;
    }
    out.push_str(&esc(&chars[at..].iter().collect::<String>()));
    out
}

/// Percent-encode everything but unreserved characters (RFC 3986): for a path segment
/// (`de-stgb/202a` → `de-stgb%2F202a`) or a query value.
pub fn enc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

/// A query string from pairs, each value encoded; empty values left out.
pub fn query_string(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `/passage/<id>` with the id as one encoded segment.
pub fn passage_href(id: &str) -> String {
    format!("/passage/{}", enc(id))
}

pub fn document_href(id: &str) -> String {
    format!("/document/{}", enc(id))
}

/// An outbound link to an official source: only http(s) URLs become links.
pub fn source_link(url: &str, label: &str) -> String {
    if url.starts_with("https://") || url.starts_with("http://") {
        format!(
            r#"<a class="source" href="{}" rel="noopener noreferrer external">{}</a>"#,
            esc(url),
            esc(label)
        )
    } else {
        String::new()
    }
}

/// Multi-line text as escaped paragraphs.
pub fn paragraphs(text: &str) -> String {
    let mut out = String::new();
    for para in text.split('\n').map(str::trim).filter(|p| !p.is_empty()) {
        let _ = write!(out, "<p>{}</p>", esc(para));
    }
    out
}

/// The page around `body`: header with the search box and navigation, main, footer.
pub fn layout(title: &str, q: &str, body: &str) -> String {
    format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · cyberlex</title>
<link rel="stylesheet" href="/static/style.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header>
<nav aria-label="Main">
<a class="brand" href="/">cyberlex</a>
<a href="/compare">Compare</a>
<a href="/matrix">Matrix</a>
<a href="/situation">Situation</a>
<a href="/help">Query help</a>
</nav>
<form class="searchbar" role="search" action="/search" method="get">
<label for="top-q">Search the law</label>
<input id="top-q" name="q" type="search" value="{q}" maxlength="4096" placeholder="illegal access, § 202a, access w/5 computer">
<button type="submit">Search</button>
</form>
</header>
<main id="main">
{body}
</main>
<footer><p>cyberlex — provisions as published; always check the official source.</p></footer>
</body>
</html>
"##,
        title = esc(title),
        q = esc(q),
        body = body
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_attributes() {
        assert_eq!(
            esc(r#"<script>x</script> "><img onerror='y'> &"#),
            "&lt;script&gt;x&lt;/script&gt; &quot;&gt;&lt;img onerror=&#39;y&#39;&gt; &amp;"
        );
    }

    #[test]
    fn marks_character_ranges_and_escapes_around_them() {
        // "a<b> word c": chars 5..9 are "word".
        assert_eq!(
            marked("a<b> word c", &[[5, 9]]),
            "a&lt;b&gt; <mark>word</mark> c"
        );
        // Overlapping and out-of-range spans neither panic nor duplicate text.
        assert_eq!(
            marked("abc", &[[0, 2], [1, 3], [2, 99]]),
            "<mark>ab</mark><mark>c</mark>"
        );
        assert_eq!(marked("é<", &[[0, 1]]), "<mark>é</mark>&lt;");
    }

    #[test]
    fn encodes_ids_as_one_segment() {
        assert_eq!(passage_href("de-stgb/202a"), "/passage/de-stgb%2F202a");
        assert_eq!(enc("a b&c=é"), "a%20b%26c%3D%C3%A9");
        assert_eq!(source_link("javascript:alert(1)", "x"), "");
    }
}
