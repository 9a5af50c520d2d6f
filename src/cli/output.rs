//! Terminal output: colours only on a terminal, never with NO_COLOR; one place that writes stdout.
//!
//! Everything printed passes [`terminal_safe`]: control characters that a document may carry
//! (ESC and the OSC, CSI and DCS sequences it starts — terminal titles, clipboard writes —, the
//! other C0 controls, DEL and the C1 range U+0080–U+009F) are shown as `\u{1b}`-style escapes,
//! never sent raw. Inside JSON the same escape is JSON's own (`\u001b`), so JSON values stay exact;
//! line feeds and tabs stay. The colours of [`Style`] are the only escape sequences let through,
//! and only when stdout is a terminal. CSV cells that a spreadsheet would run as a formula
//! (`= + - @`, tab, carriage return first) are prefixed with `'` ([`csv_field`]).

use std::io::{IsTerminal, Write};
use std::ops::Range;

/// How to decorate output.
#[derive(Debug, Clone)]
pub struct Style {
    pub color: bool,
    pub stderr_tty: bool,
}

impl Style {
    pub fn detect() -> Style {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: !no_color && std::io::stdout().is_terminal(),
            stderr_tty: std::io::stderr().is_terminal(),
        }
    }

    pub fn plain() -> Style {
        Style {
            color: false,
            stderr_tty: false,
        }
    }

    fn paint(&self, code: &str, s: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{}\x1b[0m", visible_controls(s))
        } else {
            s.to_string()
        }
    }
    pub fn bold(&self, s: &str) -> String {
        self.paint("1", s)
    }
    pub fn dim(&self, s: &str) -> String {
        self.paint("2", s)
    }
    pub fn cite(&self, s: &str) -> String {
        self.paint("1;36", s)
    }

    /// `text` with the character ranges marked: colour on a terminal, `**…**` elsewhere.
    pub fn highlight(&self, text: &str, ranges: &[[usize; 2]]) -> String {
        let (open, close) = if self.color {
            ("\x1b[1;33m", "\x1b[0m")
        } else {
            ("**", "**")
        };
        if self.color {
            mark(&visible_controls_1to1(text), ranges, open, close)
        } else {
            mark(text, ranges, open, close)
        }
    }
}

/// Lines of a failed document's reason kept in a report; the rest is cut (with `…`) and the full
/// text is one command away (`build --format json`).
const REASON_LINES: usize = 3;

/// One failed document of a build report: its id and stage on a line, its reason wrapped to
/// `width` columns (at most [`REASON_LINES`] lines), and the next step that fits the reason.
pub fn failed_document(source_id: &str, stage: &str, reason: &str, width: usize) -> String {
    let reason = visible_controls(reason);
    let mut s = super::wrap::wrap(&format!("{source_id} ({stage})"), "  ", width);
    let wrapped = super::wrap::wrap(&reason, "      ", width);
    let lines: Vec<&str> = wrapped.lines().collect();
    let cut = lines.len() > REASON_LINES;
    for (i, l) in lines.iter().take(REASON_LINES).enumerate() {
        s.push_str(l);
        if cut && i + 1 == REASON_LINES {
            s.push_str(" …");
        }
        s.push('\n');
    }
    let next = next_step(source_id, stage, &reason, cut);
    s.push_str(&super::wrap::wrap(&format!("→ {next}"), "      ", width));
    s
}

/// What to try after a failure, from its stage and reason.
fn next_step(source_id: &str, stage: &str, reason: &str, cut: bool) -> String {
    // A budget's figure from the reason (`… budget of 30 s …`, `… budget is 1024 MiB …`).
    let figure_after = |key: &str| -> Option<f64> {
        let rest = &reason[reason.find(key)? + key.len()..];
        let num: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        num.parse().ok()
    };
    if reason.contains("--doc-timeout") {
        let now = figure_after("time budget of").unwrap_or(30.0);
        let more = (now * 2.0).max(60.0).ceil();
        return format!("a longer time budget: `cyberlex build --doc-timeout {more}`");
    }
    if reason.contains("--doc-memory") {
        let now = figure_after("memory budget is").unwrap_or(1024.0);
        let more = (now * 2.0).ceil();
        return format!("more memory: `cyberlex build --doc-memory {more}`");
    }
    if stage == "fetch" {
        return format!(
            "`cyberlex sources` shows the cause; `cyberlex crawl --only {source_id}` retries it"
        );
    }
    if cut {
        return "the whole reason: `cyberlex build --format json`".to_string();
    }
    "the other documents are indexed; `cyberlex build --format json` lists every failure as data"
        .to_string()
}

/// A control character that must not reach a terminal raw (line feed and tab excepted).
fn is_dangerous(c: char) -> bool {
    (c.is_control() && c != '\n' && c != '\t') || ('\u{80}'..='\u{9f}').contains(&c)
}

/// Every dangerous control character as its JSON escape (`\u001b`): visible in text, and the same
/// character inside a JSON string.
pub fn visible_controls(s: &str) -> String {
    if !s.chars().any(is_dangerous) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len() + 16);
    for c in s.chars() {
        if is_dangerous(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

/// Dangerous control characters replaced one for one by U+FFFD, so that character offsets (the
/// highlight ranges) still point at the same characters.
fn visible_controls_1to1(s: &str) -> String {
    s.chars()
        .map(|c| if is_dangerous(c) { '\u{FFFD}' } else { c })
        .collect()
}

/// `s` made safe for a terminal: see the module docs. With `color`, the SGR sequences
/// (`ESC [ digits;… m`) [`Style`] writes are kept; every other control character is escaped.
pub fn terminal_safe(s: &str, color: bool) -> std::borrow::Cow<'_, str> {
    if !s.chars().any(is_dangerous) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 16);
    let mut rest = s;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && color {
            let body = &rest[1..];
            let n = body.strip_prefix('[').map(|b| {
                b.chars()
                    .take_while(|c| c.is_ascii_digit() || *c == ';')
                    .count()
            });
            if let Some(n) = n.filter(|&n| n <= 16 && body[1 + n..].starts_with('m')) {
                out.push_str(&rest[..n + 3]);
                rest = &rest[n + 3..];
                continue;
            }
        }
        if is_dangerous(c) {
            out.push_str(&format!("\\u{:04x}", c as u32));
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// Insert `open`/`close` around character ranges of `text`.
pub fn mark(text: &str, ranges: &[[usize; 2]], open: &str, close: &str) -> String {
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut rs: Vec<Range<usize>> = ranges.iter().map(|r| r[0]..r[1]).collect();
    rs.sort_by_key(|r| r.start);
    let mut k = 0;
    for (i, c) in text.chars().enumerate() {
        if k < rs.len() && rs[k].end == i {
            out.push_str(close);
            k += 1;
        }
        if k < rs.len() && rs[k].start == i {
            out.push_str(open);
        }
        out.push(c);
    }
    if k < rs.len() && rs[k].end >= text.chars().count() {
        out.push_str(close);
    }
    out
}

/// A value as pretty JSON with a final newline: the output of every `--format json`/`--json`.
pub fn json_pretty<T: serde::Serialize + ?Sized>(v: &T) -> serde_json::Result<String> {
    let mut s = serde_json::to_string_pretty(v)?;
    s.push('\n');
    Ok(s)
}

/// One JSON object per line (`--format jsonl`).
pub fn json_lines<'a, T: serde::Serialize + 'a>(
    items: impl IntoIterator<Item = &'a T>,
) -> serde_json::Result<String> {
    let mut s = String::new();
    for item in items {
        s.push_str(&serde_json::to_string(item)?);
        s.push('\n');
    }
    Ok(s)
}

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. A field that a
/// spreadsheet would evaluate as a formula (first character `=`, `+`, `-`, `@`, tab or carriage
/// return) is prefixed with `'`, as OWASP recommends against CSV injection.
pub fn csv_field(s: &str) -> String {
    let neutral;
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        neutral = format!("'{s}");
        neutral.as_str()
    } else {
        s
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Write to stdout, made [`terminal_safe`]; a closed pipe (`| head`) is not an error: it ends the
/// output quietly.
pub fn print(s: &str) -> std::io::Result<()> {
    let color = Style::detect().color;
    let s = terminal_safe(s, color);
    let mut out = std::io::stdout().lock();
    match out.write_all(s.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_documents_are_wrapped_cut_and_given_a_next_step() {
        let long =
            "the extraction process aborted (an allocation refused under the memory budget, \
                    or a crash): signal 6; the memory budget is 2048 MiB (`build --doc-memory`) "
                .repeat(4);
        let s = failed_document("xx-some-very-long-source-id", "extract", &long, 60);
        let lines: Vec<&str> = s.lines().collect();
        assert_eq!(lines[0], "  xx-some-very-long-source-id (extract)");
        assert!(lines.iter().all(|l| l.chars().count() <= 60), "{s}");
        // Three lines of reason, the last one cut, then the next step.
        assert_eq!(lines.len(), 5, "{s}");
        assert!(lines[3].ends_with(" …"), "{s}");
        assert!(
            lines[4].contains("`cyberlex build --doc-memory 4096`"),
            "{s}"
        );
        let t = failed_document(
            "xx-a",
            "extract",
            "extraction exceeded its time budget of 30 s and was stopped (`build --doc-timeout`)",
            100,
        );
        assert!(t.contains("`cyberlex build --doc-timeout 60`"), "{t}");
        assert!(!t.contains('…'), "{t}");
        let f = failed_document("xx-b", "fetch", "HTTP 503 from https://example.org/b", 100);
        assert!(
            f.contains("`cyberlex sources`") && f.contains("crawl --only xx-b"),
            "{f}"
        );
    }

    #[test]
    fn marks_character_ranges() {
        assert_eq!(
            mark("illegal access here", &[[0, 14]], "[", "]"),
            "[illegal access] here"
        );
        assert_eq!(mark("a § b", &[[2, 3], [4, 5]], "<", ">"), "a <§> <b>");
    }

    #[test]
    fn control_characters_never_reach_the_terminal_raw() {
        let hostile = "gadget\x1b]0;title\x07 \x1b]52;c;Y2xpcA==\x1b\\ \u{9b}31m\x7f\r end\n\tnext";
        for color in [false, true] {
            let safe = terminal_safe(hostile, color);
            assert!(!safe.chars().any(is_dangerous), "{color}: {safe:?}");
            assert!(safe.contains("\\u001b]0;title\\u0007"), "{safe}");
            assert!(
                safe.contains("\\u009b31m") && safe.ends_with("end\n\tnext"),
                "{safe}"
            );
        }
        // Colour sequences of Style survive only with colour; document ESC inside them is escaped.
        let style = Style {
            color: true,
            stderr_tty: false,
        };
        let painted = style.bold("a\x1b[8mb");
        let safe = terminal_safe(&painted, true);
        assert_eq!(safe, "\x1b[1ma\\u001b[8mb\x1b[0m");
        assert_eq!(
            terminal_safe(&painted, false),
            "\\u001b[1ma\\u001b[8mb\\u001b[0m"
        );
        // JSON: the escape is JSON's own, so the value reads back exactly.
        let json = serde_json::to_string(&serde_json::json!({"t": "a\u{9b}b\x7f\x1b"})).unwrap();
        let back: serde_json::Value = serde_json::from_str(&terminal_safe(&json, false)).unwrap();
        assert_eq!(back["t"], "a\u{9b}b\x7f\x1b");
        // Highlights keep their offsets.
        let plain = Style {
            color: true,
            stderr_tty: false,
        }
        .highlight("a\x1bbc", &[[2, 3]]);
        assert_eq!(terminal_safe(&plain, true), "a\u{FFFD}\x1b[1;33mb\x1b[0mc");
    }

    #[test]
    fn csv_formulas_are_neutralised() {
        assert_eq!(
            csv_field("=HYPERLINK(\"http://x\",\"y\")"),
            "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""
        );
        assert_eq!(csv_field("+1"), "'+1");
        assert_eq!(csv_field("-2+3"), "'-2+3");
        assert_eq!(csv_field("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_field("Art. 2"), "Art. 2");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
    }
}
