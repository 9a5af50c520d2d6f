//! Terminal output: colours only on a terminal, never with NO_COLOR; one place that writes stdout.

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
            format!("\x1b[{code}m{s}\x1b[0m")
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
        mark(text, ranges, open, close)
    }
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

/// One CSV field (RFC 4180): quoted when it holds a comma, quote or line break.
pub fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// Write to stdout; a closed pipe (`| head`) is not an error: it ends the output quietly.
pub fn print(s: &str) -> std::io::Result<()> {
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
    fn marks_character_ranges() {
        assert_eq!(
            mark("illegal access here", &[[0, 14]], "[", "]"),
            "[illegal access] here"
        );
        assert_eq!(mark("a § b", &[[2, 3], [4, 5]], "<", ">"), "a <§> <b>");
    }
}
