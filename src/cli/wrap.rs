//! Wrapping text output to the terminal width.
//!
//! The width is the terminal's when stdout is one; else `$COLUMNS` when set (a number ≥ 20);
//! else [`DEFAULT_WIDTH`] (100 columns: output read from a file or a pipe stays reviewable, and
//! nothing that `grep` would look for is cut, only wrapped between words).

/// The width when stdout is not a terminal and `$COLUMNS` is unset.
pub const DEFAULT_WIDTH: usize = 100;

/// The width to wrap text output to.
pub fn width() -> usize {
    if let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size() {
        return (w as usize).max(20);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|w| *w >= 20)
        .unwrap_or(DEFAULT_WIDTH)
}

/// Visible width of `s`: characters, not counting ANSI colour sequences (`ESC [ … m`).
fn visible(s: &str) -> usize {
    let mut n = 0;
    let mut in_esc = false;
    for c in s.chars() {
        if in_esc {
            if c == 'm' {
                in_esc = false;
            }
        } else if c == '\x1b' {
            in_esc = true;
        } else {
            n += 1;
        }
    }
    n
}

/// `text` wrapped between words to `width` columns, every line starting with `indent`; a word
/// longer than a line stays whole on its own line. Line breaks in `text` become spaces.
pub fn wrap(text: &str, indent: &str, width: usize) -> String {
    let room = width.saturating_sub(indent.chars().count()).max(20);
    let mut out = String::new();
    let mut line = String::new();
    let mut len = 0;
    // Spaces, tabs and line breaks separate words; a no-break space (U+00A0) does not.
    for word in text
        .split([' ', '\t', '\n', '\r'])
        .filter(|w| !w.is_empty())
    {
        let w = visible(word);
        if len > 0 && len + 1 + w > room {
            out.push_str(indent);
            out.push_str(&line);
            out.push('\n');
            line.clear();
            len = 0;
        }
        if len > 0 {
            line.push(' ');
            len += 1;
        }
        line.push_str(word);
        len += w;
    }
    if len > 0 || out.is_empty() {
        out.push_str(indent);
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_between_words_and_ignores_colour_codes() {
        let w = wrap("aaa bbb ccc ddd", "  ", 22 + 2);
        assert!(w.lines().all(|l| l.chars().count() <= 24), "{w}");
        let coloured = "\x1b[1;33maaaa\x1b[0m ".repeat(10);
        let w = wrap(&coloured, "", 20);
        // Four visible words of four letters (and three spaces) fit in twenty columns.
        assert_eq!(w.lines().count(), 3, "{w:?}");
    }

    #[test]
    fn a_long_word_stays_whole() {
        let long = "x".repeat(50);
        assert_eq!(wrap(&long, "", 20), format!("{long}\n"));
    }
}
