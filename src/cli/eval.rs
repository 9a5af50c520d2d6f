//! `cyberlex eval QRELS`: nDCG@k, Recall@k and MRR@k of the ranking over a judged query set,
//! beside the same queries run as plain BM25 over the passage text (the baseline).

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;
use serde_json::json;

use super::output::{json_pretty, print};
use super::Outcome;
use crate::bench::metrics::{gains, Scores};
use crate::bench::qrels::{judged_key, normalize, JudgedQuery, Qrels};
use crate::bench::truth;
use crate::bench::ReportFormat;
use crate::search::situation::SituationRequest;
use crate::search::{Engine, SearchRequest};

#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The judged query set (TOML; see eval/qrels.toml).
    #[arg(value_name = "QRELS", default_value = "eval/qrels.toml")]
    pub qrels: PathBuf,
    /// Evaluate only the baseline (plain BM25 over the passage text); by default both the
    /// ranking and the baseline are evaluated, side by side.
    #[arg(long)]
    pub baseline: bool,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
    /// Cut-off rank of the metrics.
    #[arg(short = 'k', value_name = "K", default_value_t = 10)]
    pub k: usize,
    /// Also list each query's scores (text format; JSON always lists them); with a truth
    /// table, the wrong cells.
    #[arg(long)]
    pub per_query: bool,
    /// Score a compare/matrix truth table (`[[cell]]`s; also recognised as QRELS).
    #[arg(long, value_name = "FILE")]
    pub truth: Option<PathBuf>,
    /// With a truth table: decide with this taxonomy (TOML, the form of corpus/taxonomy.toml)
    /// instead of the built-in one — e.g. one stripped of key terms and extra labels, to see
    /// what the decision does with wording it was not fitted to.
    #[arg(long, value_name = "FILE")]
    pub taxonomy: Option<PathBuf>,
    /// With a truth table: the splits to report (repeatable; default both).
    #[arg(long, value_name = "SPLIT", value_parser = ["tune", "heldout"])]
    pub split: Vec<String>,
    /// Run each query as a described situation (`cyberlex situation`); the baseline is then
    /// plain BM25 over every word of the description (eval/situations.toml).
    #[arg(long)]
    pub situation: bool,
}

/// The scores of one query under one ranking.
#[derive(Debug, Clone, Serialize)]
pub struct QueryResult {
    pub id: String,
    pub query: String,
    pub scores: Scores,
    /// `doc_id citation` of the first k hits, `*` marking the judged ones.
    pub top: Vec<String>,
    /// Judged provisions the first k hits missed.
    pub missed: Vec<String>,
}

/// Run every query of `qrels` on `engine` with the ranking (`baseline = false`) or plain BM25.
pub fn evaluate(
    engine: &mut Engine,
    qrels: &Qrels,
    k: usize,
    baseline: bool,
    situation: bool,
) -> anyhow::Result<Vec<QueryResult>> {
    qrels
        .queries
        .iter()
        .map(|jq| evaluate_one(engine, jq, k, baseline, situation))
        .collect()
}

fn evaluate_one(
    engine: &mut Engine,
    jq: &JudgedQuery,
    k: usize,
    baseline: bool,
    situation: bool,
) -> anyhow::Result<QueryResult> {
    let resp = if situation {
        engine
            .situation(&SituationRequest {
                text: jq.query.clone(),
                limit: k,
                baseline,
                snippet_chars: 80,
                ..Default::default()
            })
            .map(|r| r.search)
    } else {
        engine.search(&SearchRequest {
            query: jq.query.clone(),
            limit: k,
            baseline,
            snippet_chars: 80,
            ..Default::default()
        })
    }
    .map_err(|e| anyhow::anyhow!("query `{}` ({}): {e}", jq.id, jq.query))?;
    let judged = jq.judged();
    let keys: Vec<(String, String)> = resp
        .hits
        .iter()
        .map(|h| judged_key(&h.doc_id, &h.citation, &judged))
        .collect();
    let g = gains(&keys, &judged, k);
    let top = keys
        .iter()
        .zip(&g)
        .map(|((d, c), g)| format!("{}{d} {c}", if *g > 0 { "*" } else { "" }))
        .collect();
    let missed = jq
        .relevant
        .iter()
        .filter(|j| {
            !keys
                .iter()
                .any(|(d, c)| *d == j.doc && *c == normalize(&j.citation))
        })
        .map(|j| format!("{} {} ({})", j.doc, j.citation, j.grade))
        .collect();
    Ok(QueryResult {
        id: jq.id.clone(),
        query: jq.query.clone(),
        scores: Scores::of(&g, &jq.grades(), k),
        top,
        missed,
    })
}

fn rel(a: f64, b: f64) -> Option<f64> {
    (b > 0.0).then(|| (a - b) / b * 100.0)
}

pub fn run(a: EvalArgs) -> anyhow::Result<Outcome> {
    let truth = a.truth.clone().or_else(|| {
        std::fs::read_to_string(&a.qrels)
            .ok()
            .filter(|t| truth::is_truth_table(t))
            .map(|_| a.qrels.clone())
    });
    if let Some(path) = truth {
        let table = truth::TruthTable::load(&path)?;
        let mut engine = Engine::open(&a.index)?;
        if let Some(t) = &a.taxonomy {
            let text = std::fs::read_to_string(t)
                .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", t.display()))?;
            engine.taxonomy = crate::search::TaxonomyCell::ready(
                crate::corpus::taxonomy::Taxonomy::from_toml(&text)
                    .map_err(|e| anyhow::anyhow!("{}: {e}", t.display()))?,
            );
        }
        let results = truth::score(&mut engine, &table)?;
        let splits = if a.split.is_empty() {
            vec!["tune".to_string(), "heldout".to_string()]
        } else {
            a.split.clone()
        };
        print(&match a.format {
            ReportFormat::Json => json_pretty(&truth::report_json(&results, &splits))?,
            ReportFormat::Text => truth::report_text(&results, &splits, a.per_query),
        })?;
        return Ok(Outcome::Found);
    }
    let qrels = Qrels::load(&a.qrels)?;
    anyhow::ensure!(
        !qrels.queries.is_empty(),
        "{} holds no query",
        a.qrels.display()
    );
    let k = a.k.max(1);
    let mut engine = Engine::open(&a.index)?;
    let ranked = if a.baseline {
        None
    } else {
        Some(evaluate(&mut engine, &qrels, k, false, a.situation)?)
    };
    let base = evaluate(&mut engine, &qrels, k, true, a.situation)?;
    let mean = |v: &[QueryResult]| Scores::mean(&v.iter().map(|r| r.scores).collect::<Vec<_>>());
    let mb = mean(&base);
    let mr = ranked.as_deref().map(mean);
    match a.format {
        ReportFormat::Json => {
            let diff = mr.map(|m| {
                json!({
                    "ndcg_pct": rel(m.ndcg, mb.ndcg),
                    "recall_pct": rel(m.recall, mb.recall),
                    "mrr_pct": rel(m.mrr, mb.mrr),
                })
            });
            let out = json!({
                "qrels": a.qrels,
                "queries": qrels.queries.len(),
                "judgements": qrels.queries.iter().map(|q| q.relevant.len()).sum::<usize>(),
                "k": k,
                "ranked": mr,
                "baseline": mb,
                "relative_difference": diff,
                "splits": split_means(&qrels, ranked.as_deref(), &base),
                "per_query": {"ranked": ranked, "baseline": base},
            });
            print(&json_pretty(&out)?)?;
        }
        ReportFormat::Text => {
            let mut s = format!(
                "{} queries, {} judgements, k = {k}\n\n{:<12} {:>10} {:>10} {:>10} {:>10}\n",
                qrels.queries.len(),
                qrels
                    .queries
                    .iter()
                    .map(|q| q.relevant.len())
                    .sum::<usize>(),
                "",
                format!("nDCG@{k}"),
                format!("Recall@{k}"),
                format!("MRR@{k}"),
                format!("MAP@{k}")
            );
            let line = |name: &str, m: &Scores| {
                format!(
                    "{name:<12} {:>10.3} {:>10.3} {:>10.3} {:>10.3}\n",
                    m.ndcg, m.recall, m.mrr, m.ap
                )
            };
            if let Some(m) = &mr {
                s.push_str(&line("cyberlex", m));
            }
            s.push_str(&line("baseline", &mb));
            if let Some(m) = &mr {
                let pct =
                    |a: f64, b: f64| rel(a, b).map_or("n/a".to_string(), |p| format!("{p:+.1}%"));
                s.push_str(&format!(
                    "{:<12} {:>10} {:>10} {:>10} {:>10}\n",
                    "difference",
                    pct(m.ndcg, mb.ndcg),
                    pct(m.recall, mb.recall),
                    pct(m.mrr, mb.mrr),
                    pct(m.ap, mb.ap)
                ));
            }
            for (split, r, b) in split_rows(&qrels, ranked.as_deref(), &base) {
                s.push_str(&format!("\n{split} ({} queries)\n", b.1));
                if let Some((m, _)) = &r {
                    s.push_str(&line("cyberlex", m));
                }
                s.push_str(&line("baseline", &b.0));
            }
            if a.per_query {
                s.push_str(&format!(
                    "\n{:<34} {:>9} {:>9}  query\n",
                    "id", "nDCG", "base"
                ));
                for (i, b) in base.iter().enumerate() {
                    let r = ranked.as_ref().map(|r| r[i].scores.ndcg);
                    s.push_str(&format!(
                        "{:<34} {:>9} {:>9.3}  {}\n",
                        b.id,
                        r.map_or("-".into(), |x| format!("{x:.3}")),
                        b.scores.ndcg,
                        b.query
                    ));
                    if let Some(r) = &ranked {
                        if !r[i].missed.is_empty() {
                            s.push_str(&format!("{:<34} missed: {}\n", "", r[i].missed.join("; ")));
                        }
                    }
                }
            }
            print(&s)?;
        }
    }
    Ok(Outcome::Found)
}

type SplitRow = (String, Option<(Scores, usize)>, (Scores, usize));

/// Mean scores per `split` of the query set (`tune`, `heldout`), when the set has splits.
fn split_rows(
    qrels: &Qrels,
    ranked: Option<&[QueryResult]>,
    base: &[QueryResult],
) -> Vec<SplitRow> {
    let mut names: Vec<&str> = qrels
        .queries
        .iter()
        .filter_map(|q| q.split.as_deref())
        .collect();
    names.sort_unstable();
    names.dedup();
    let mean_of = |v: &[QueryResult], name: &str| {
        let s: Vec<Scores> = qrels
            .queries
            .iter()
            .zip(v)
            .filter(|(q, _)| q.split.as_deref() == Some(name))
            .map(|(_, r)| r.scores)
            .collect();
        (Scores::mean(&s), s.len())
    };
    names
        .into_iter()
        .map(|n| {
            (
                n.to_string(),
                ranked.map(|r| mean_of(r, n)),
                mean_of(base, n),
            )
        })
        .collect()
}

fn split_means(
    qrels: &Qrels,
    ranked: Option<&[QueryResult]>,
    base: &[QueryResult],
) -> serde_json::Value {
    split_rows(qrels, ranked, base)
        .into_iter()
        .map(|(n, r, b)| {
            (
                n,
                json!({"queries": b.1, "ranked": r.map(|x| x.0), "baseline": b.0}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into()
}
