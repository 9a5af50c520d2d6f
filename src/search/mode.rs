//! The two query modes, as Westlaw has them. Plain words are *ranked*: every expansion applies
//! (concepts of the taxonomy, stemming, the concept's wording). A query with quotes, a field, an
//! expander or any operator or connector is *exact*: every hit satisfies it literally (words as
//! typed or inflected, phrases word for word, connectors verified from positions), no concept
//! expands inside it, and `total_hits` counts exactly the passages that satisfy it.

use super::query::{Node, WordKind};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Ranked,
    Exact,
}

/// The mode a parsed query asks for.
pub fn mode_of(node: &Node) -> Mode {
    fn exact(n: &Node) -> bool {
        match n {
            Node::Word { field, kind, .. } => field.is_some() || *kind != WordKind::Plain,
            Node::Phrase { .. } | Node::And(_) | Node::Or(_) | Node::Not(_) | Node::Near { .. } => {
                true
            }
            Node::Ranked(v) => v.iter().any(exact),
        }
    }
    if exact(node) {
        Mode::Exact
    } else {
        Mode::Ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::search::query::parse;

    #[test]
    fn quotes_operators_and_connectors_are_exact() {
        for q in ["illegal access", "botnet", "Ausspähen von Daten"] {
            assert_eq!(mode_of(&parse(q).unwrap()), Mode::Ranked, "{q}");
        }
        for q in [
            "\"illegal access\"",
            "access AND computer",
            "access OR entry",
            "computer -fraud",
            "access w/5 computer",
            "seizure /s computer",
            "access % fraud",
            "intercept!",
            "heading:access",
            "data \"without right\"",
        ] {
            assert_eq!(mode_of(&parse(q).unwrap()), Mode::Exact, "{q}");
        }
    }
}
