//! How current a hit is: the version date and completeness note of its source (from the
//! manifest, stored in the index with every passage), and flags a lawyer must see before relying
//! on it: the source is an excerpt, a bill, or known to be outdated.

use crate::segment::Passage;

/// The flags of a passage's source, derived from its completeness note and title.
pub fn flags(completeness: &str, title: &str) -> Vec<String> {
    let note = completeness.to_lowercase();
    let title = title.to_lowercase();
    let word = |hay: &str, w: &str| hay.split(|c: char| !c.is_alphanumeric()).any(|x| x == w);
    let mut out = Vec::new();
    if note.starts_with("partial")
        || note.contains("single article")
        || note.contains("excerpt")
        || note.contains("truncated")
    {
        out.push("excerpt".to_string());
    }
    if word(&note, "bill") || word(&title, "bill") {
        out.push("bill".to_string());
    }
    if note.contains("outdated")
        || note.contains("superseded")
        || note.contains("no longer in force")
    {
        out.push("outdated".to_string());
    }
    out
}

/// [`flags`] of a passage.
pub fn passage_flags(p: &Passage) -> Vec<String> {
    flags(&p.completeness, &p.title)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_from_the_manifest_notes() {
        assert!(flags("yes", "Criminal Code").is_empty());
        assert_eq!(
            flags("yes (single article; outdated version)", "Code pénal"),
            ["excerpt", "outdated"]
        );
        assert_eq!(flags("partial (ss 1-68)", "Act"), ["excerpt"]);
        assert_eq!(
            flags("yes for the bill as tabled (ss 1-12)", "Computer Crimes"),
            ["bill"]
        );
        assert_eq!(flags("yes", "Cybercrimes Bill"), ["bill"]);
        // "billing" is not a bill
        assert!(flags("yes", "Billing Records Act").is_empty());
    }
}
