//! A judged query set (`eval/qrels.toml`): queries and, per query, the provisions relevant to it.
//!
//! ```toml
//! [[query]]
//! id = "illegal-access-en"
//! query = "illegal access to a computer system"
//! lang = "en"              # the language the query is written in
//! topic = "offence"        # offence, procedure, definition, ngo, …
//! need = "provisions establishing the offence of accessing a computer system without right"
//! relevant = [
//!   { doc = "coe-budapest-convention-2001", citation = "Art. 2", grade = 2 },
//!   { doc = "de-stgb", citation = "§ 202a", grade = 1 },
//! ]
//! ```
//!
//! A judgement names a provision as a lawyer cites it: the document id of the manifest and the
//! passage's citation exactly as the index holds it. Grade 2 = the defining provision, 1 = relevant.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Judgement {
    pub doc: String,
    pub citation: String,
    pub grade: u8,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JudgedQuery {
    pub id: String,
    pub query: String,
    #[serde(default)]
    pub lang: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
    /// The information need: what counts as relevant.
    #[serde(default)]
    pub need: Option<String>,
    /// `tune` or `heldout` (fact patterns: held-out ones are never looked at while tuning).
    #[serde(default)]
    pub split: Option<String>,
    pub relevant: Vec<Judgement>,
}

impl JudgedQuery {
    /// Judgements keyed by (doc id, citation).
    pub fn judged(&self) -> HashMap<(String, String), u8> {
        self.relevant
            .iter()
            .map(|j| ((j.doc.clone(), normalize(&j.citation)), j.grade))
            .collect()
    }

    pub fn grades(&self) -> Vec<u8> {
        self.relevant.iter().map(|j| j.grade).collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Qrels {
    #[serde(rename = "query", default)]
    pub queries: Vec<JudgedQuery>,
}

/// Citations compared with their whitespace collapsed (`§  202a` = `§ 202a`).
pub fn normalize(citation: &str) -> String {
    citation.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A citation and the provisions it is a subdivision or part of, narrowest first:
/// `§ 2511(2)(a), part 2` → `§ 2511(2)(a), part 2`, `§ 2511(2)(a)`, `§ 2511(2)`, `§ 2511`.
/// A judgement names a provision; segmentation may cut it into subsections or parts, and a hit
/// on one of them is a hit on the judged provision.
pub fn provision_chain(citation: &str) -> Vec<String> {
    let mut out = vec![normalize(citation)];
    let mut cur = out[0].clone();
    loop {
        let next = if let Some(i) = cur.rfind(", part ") {
            cur[..i].to_string()
        } else if cur.ends_with(')') {
            match cur.rfind('(') {
                Some(i) if i > 0 => cur[..i].trim_end().to_string(),
                _ => break,
            }
        } else {
            break;
        };
        if next.is_empty() || next == cur {
            break;
        }
        out.push(next.clone());
        cur = next;
    }
    out
}

/// The key a hit is judged under: its own (doc, citation) if judged, else the nearest judged
/// provision it is part of, else its own.
pub fn judged_key<V>(
    doc: &str,
    citation: &str,
    judged: &HashMap<(String, String), V>,
) -> (String, String) {
    let chain = provision_chain(citation);
    for c in &chain {
        let k = (doc.to_string(), c.clone());
        if judged.contains_key(&k) {
            return k;
        }
    }
    (doc.to_string(), chain[0].clone())
}

impl Qrels {
    pub fn load(path: &Path) -> anyhow::Result<Qrels> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Self::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parse and check: unique query ids, at least one judgement per query, grades 1 or 2, no
    /// provision judged twice for one query.
    pub fn parse(text: &str) -> anyhow::Result<Qrels> {
        let q: Qrels = toml::from_str(text)?;
        let mut ids = HashSet::new();
        for jq in &q.queries {
            anyhow::ensure!(ids.insert(&jq.id), "query id `{}` appears twice", jq.id);
            anyhow::ensure!(!jq.query.trim().is_empty(), "query `{}` is empty", jq.id);
            anyhow::ensure!(
                !jq.relevant.is_empty(),
                "query `{}` has no judgement",
                jq.id
            );
            let mut seen = HashSet::new();
            for j in &jq.relevant {
                anyhow::ensure!(
                    (1..=2).contains(&j.grade),
                    "query `{}`: {} {}: grade {} (use 1 = relevant, 2 = the defining provision)",
                    jq.id,
                    j.doc,
                    j.citation,
                    j.grade
                );
                anyhow::ensure!(
                    seen.insert((j.doc.as_str(), normalize(&j.citation))),
                    "query `{}`: {} {} is judged twice",
                    jq.id,
                    j.doc,
                    j.citation
                );
            }
        }
        Ok(q)
    }
}

#[cfg(test)]
mod tests {
    use super::provision_chain;

    #[test]
    fn subdivisions_fall_under_their_provision() {
        assert_eq!(
            provision_chain("§ 2511(2)(a), part 2"),
            vec![
                "§ 2511(2)(a), part 2",
                "§ 2511(2)(a)",
                "§ 2511(2)",
                "§ 2511"
            ]
        );
        assert_eq!(
            provision_chain("s. 2 (“asset”)"),
            vec!["s. 2 (“asset”)", "s. 2"]
        );
        assert_eq!(provision_chain("Art. 5"), vec!["Art. 5"]);
    }
}
