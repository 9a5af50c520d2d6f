//! Which words are forms of the same word: the check that keeps a stemmer's over-reach
//! (`providers`/`provided` both stem to `provid`) out of exact queries and highlights.
//!
//! Two folded words are forms of one word when what follows their common prefix is, on both
//! sides, an inflectional ending of the language: `access`/`accesses`, `provide`/`providing`,
//! `Daten`/`Datei` not. The endings are data, per language; a language without a list accepts
//! endings of at most two letters.

/// Inflectional endings (accent-folded, lower case) per language.
const ENDINGS: &[(&str, &[&str])] = &[
    (
        "en",
        &[
            "", "s", "es", "ed", "d", "ing", "e", "ies", "ied", "y", "'s",
        ],
    ),
    (
        "de",
        &[
            "", "e", "en", "n", "er", "es", "s", "em", "ern", "ens", "est", "et", "t", "te", "ten",
        ],
    ),
    (
        "fr",
        &[
            "", "e", "s", "es", "x", "ee", "ees", "er", "ent", "ant", "aux", "al",
        ],
    ),
    (
        "es",
        &[
            "", "s", "es", "a", "o", "as", "os", "e", "ar", "er", "ir", "ado", "ada",
        ],
    ),
    (
        "pt",
        &[
            "", "s", "es", "a", "o", "as", "os", "e", "ar", "er", "ir", "ado", "ada", "ao", "oes",
        ],
    ),
    (
        "it",
        &[
            "", "a", "o", "i", "e", "are", "ere", "ire", "ato", "ata", "ati", "ate",
        ],
    ),
    (
        "nl",
        &["", "en", "s", "e", "n", "t", "d", "de", "te", "den", "ten"],
    ),
];

fn endings(lang: &str) -> Option<&'static [&'static str]> {
    ENDINGS.iter().find(|(l, _)| *l == lang).map(|(_, e)| *e)
}

/// Are `a` and `b` (folded terms) forms of the same word in `lang`?
pub fn same_word(lang: &str, a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let common = a
        .char_indices()
        .zip(b.chars())
        .take_while(|((_, x), y)| x == y)
        .last()
        .map(|((i, c), _)| i + c.len_utf8())
        .unwrap_or(0);
    let (ra, rb) = (&a[common..], &b[common..]);
    // A prefix shorter than three letters says nothing about the words' kinship.
    if a[..common].chars().count() < 3 {
        return false;
    }
    match endings(lang) {
        Some(list) => list.contains(&ra) && list.contains(&rb),
        // Russian, Arabic and the rest: short case endings only.
        None => ra.chars().count() <= 3 && rb.chars().count() <= 3,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inflections_are_kin_derivations_are_not() {
        assert!(same_word("en", "access", "accesses"));
        assert!(same_word("en", "accessed", "accessing"));
        assert!(same_word("en", "provide", "providing"));
        assert!(same_word("en", "provider", "providers"));
        assert!(!same_word("en", "providers", "provided"));
        assert!(!same_word("en", "computer", "computing"));
        assert!(!same_word("en", "intercept", "interception"));
        assert!(same_word("de", "daten", "daten"));
        assert!(same_word("de", "system", "systems"));
        assert!(!same_word("de", "datei", "daten"));
    }
}
