//! `cyberlex concepts` and `cyberlex kinds`: the values `--concept` and `--kind` accept.

use std::path::PathBuf;

use clap::Args;

use super::output::{json_pretty, print};
use super::{Format, Outcome};
use crate::corpus::Taxonomy;
use crate::search::vocab::{indexed_kinds, KINDS};
use crate::search::Engine;

#[derive(Debug, Args)]
pub struct ConceptsArgs {
    /// Only concepts of this group (offence, procedure, cooperation, liability, safeguard,
    /// jurisdiction).
    #[arg(long)]
    pub group: Option<String>,
    /// text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct KindsArgs {
    /// The index whose kinds to mark as present (optional: without one, only the known kinds).
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// text or json.
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

/// A concept's English label (else its first label).
fn label(c: &crate::corpus::Concept) -> String {
    c.labels
        .get("en")
        .or_else(|| c.labels.values().next())
        .and_then(|l| l.first())
        .cloned()
        .unwrap_or_default()
}

/// `coe:2 un:7`: the convention articles defining a concept.
fn articles(c: &crate::corpus::Concept) -> String {
    c.articles
        .iter()
        .flat_map(|(conv, arts)| arts.iter().map(move |a| format!("{conv}:{a}")))
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn concepts(a: ConceptsArgs) -> anyhow::Result<Outcome> {
    let t = Taxonomy::builtin();
    let list: Vec<_> = t
        .concepts
        .iter()
        .filter(|c| {
            a.group
                .as_deref()
                .is_none_or(|g| c.group.eq_ignore_ascii_case(g))
        })
        .collect();
    if list.is_empty() {
        let mut groups: Vec<&str> = t.concepts.iter().map(|c| c.group.as_str()).collect();
        groups.sort();
        groups.dedup();
        anyhow::bail!(
            "unknown --group `{}`; valid values: {}",
            a.group.unwrap_or_default(),
            groups.join(", ")
        );
    }
    let out = match a.format {
        Format::Json | Format::Jsonl => json_pretty(
            &list
                .iter()
                .map(|c| {
                    serde_json::json!({
                        "id": c.id,
                        "group": c.group,
                        "label": label(c),
                        "labels": c.labels,
                        "articles": c.articles,
                    })
                })
                .collect::<Vec<_>>(),
        )?,
        _ => {
            let w = list.iter().map(|c| c.id.len()).max().unwrap_or(2).max(2);
            let lw = list
                .iter()
                .map(|c| label(c).chars().count())
                .max()
                .unwrap_or(5)
                .max(5);
            let mut s = format!(
                "{:w$}  {:12}  {:lw$}  CONVENTION ARTICLES\n",
                "ID", "GROUP", "LABEL"
            );
            for c in &list {
                s.push_str(&format!(
                    "{:w$}  {:12}  {:lw$}  {}\n",
                    c.id,
                    c.group,
                    label(c),
                    articles(c)
                ));
            }
            s.push_str(&format!(
                "\n{} concepts; filter with --concept ID (search, situation, compare, matrix)\n",
                list.len()
            ));
            s
        }
    };
    print(&out)?;
    Ok(Outcome::Found)
}

pub fn kinds(a: KindsArgs) -> anyhow::Result<Outcome> {
    // The index is optional here: the known kinds are listed without one.
    let present = Engine::open(&a.index).ok().map(|e| indexed_kinds(&e));
    let mut rows: Vec<(String, String)> = KINDS
        .iter()
        .map(|(k, d)| (k.to_string(), d.to_string()))
        .collect();
    if let Some(p) = &present {
        for k in p {
            if !rows.iter().any(|(r, _)| r == k) {
                rows.push((k.clone(), "(set by an own folder's cyberlex.toml)".into()));
            }
        }
    }
    let out = match a.format {
        Format::Json | Format::Jsonl => json_pretty(
            &rows
                .iter()
                .map(|(k, d)| {
                    serde_json::json!({
                        "kind": k,
                        "description": d,
                        "in_index": present.as_ref().map(|p| p.contains(k)),
                    })
                })
                .collect::<Vec<_>>(),
        )?,
        _ => {
            let w = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(4).max(4);
            let mut s = format!("{:w$}  {:8}  DESCRIPTION\n", "KIND", "IN INDEX");
            for (k, d) in &rows {
                let mark = match &present {
                    Some(p) if p.contains(k) => "yes",
                    Some(_) => "no",
                    None => "?",
                };
                s.push_str(&format!("{k:w$}  {mark:8}  {d}\n"));
            }
            if present.is_none() {
                s.push_str(&format!(
                    "\n(no index at {}: presence unknown)\n",
                    a.index.display()
                ));
            }
            s.push_str("\nfilter with --kind KIND (search, situation)\n");
            s
        }
    };
    print(&out)?;
    Ok(Outcome::Found)
}
