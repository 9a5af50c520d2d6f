//! `cyberlex search`: ranked passages in text, JSON, CSV or Markdown.

use std::path::PathBuf;

use clap::Args;

use super::output::{csv_field, json_lines, json_pretty, mark, print, Style};
use super::{Format, Outcome};
use crate::corpus::Jurisdictions;
use crate::search::{Engine, SearchError, SearchRequest, SearchResponse};

pub use crate::search::views::QUERY_HELP;

/// What `search` says to a query that reads as a description of facts.
pub const SITUATION_HINT: &str = "this reads as a description of facts, not a query: \
describe the situation with `cyberlex situation \"...\"` (or `--file FILE`), which picks the \
salient terms and legal concepts itself and never reads quotes, parentheses or AND as operators";

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query (see `cyberlex help query`); it may start with `-` (`search "-fraud"`).
    /// Without one, the query language is printed (as `cyberlex query` always did).
    #[arg(allow_hyphen_values = true)]
    pub query: Option<String>,
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Number of hits to print.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Skip this many hits (paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    #[command(flatten)]
    pub filters: super::Filters,
    /// Print the parsed query and, per hit, why it scored.
    #[arg(long)]
    pub explain: bool,
    /// The query's time budget (`2s`, `500ms`, `1.5`): past it, what is ranked so far is printed
    /// with a warning, or the search fails with a clear error if nothing is.
    #[arg(long, value_name = "DURATION", default_value = "2s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// `2s`, `500ms`, `1.5` (seconds).
pub fn parse_duration(s: &str) -> Result<std::time::Duration, String> {
    let t = s.trim();
    let (num, scale) = if let Some(n) = t.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = t.strip_suffix('s') {
        (n, 1.0)
    } else {
        (t, 1.0)
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("`{s}` is not a duration; write 2s, 500ms or 1.5"))?;
    if !v.is_finite() || v <= 0.0 || v * scale > 86_400.0 {
        return Err(format!("`{s}`: a timeout is more than 0 and at most a day"));
    }
    Ok(std::time::Duration::from_secs_f64(v * scale))
}

pub fn run(a: SearchArgs, style: &Style) -> anyhow::Result<Outcome> {
    let Some(query) = a.query.clone() else {
        print(QUERY_HELP)?;
        return Ok(Outcome::Found);
    };
    let table = Jurisdictions::builtin();
    let jurisdictions = table.resolve_all(&a.filters.jurisdiction)?;
    let req = SearchRequest {
        query: query.clone(),
        limit: a.limit,
        offset: a.offset,
        jurisdictions,
        kinds: a.filters.kinds(),
        langs: a.filters.langs(),
        since: a.filters.since,
        concepts: a.filters.concept.clone(),
        explain: a.explain,
        baseline: false,
        snippet_chars: 240,
        timeout: Some(a.timeout),
    };
    if crate::search::situation::reads_as_prose(&query) {
        anyhow::bail!("{}", SITUATION_HINT);
    }
    let engine = Engine::open(&a.index)?;
    crate::search::vocab::check_filters(&engine, &req.kinds, &req.langs, &req.concepts)?;
    let text = matches!(a.format, Format::Text);
    let found = std::thread::scope(|s| -> anyhow::Result<bool> {
        // "Did you mean" reads the term dictionary, not the results (a Levenshtein walk of a
        // few milliseconds per word): it runs beside the search, and its line is printed after
        // the results as before.
        let suggestion =
            text.then(|| s.spawn(|| crate::search::suggest::did_you_mean(&engine, &req.query)));
        let resp = match engine.search(&req) {
            Ok(r) => r,
            Err(SearchError::Query { query, error }) => {
                let hint = if query.split_whitespace().count() >= 12 {
                    format!("\n{SITUATION_HINT}")
                } else {
                    String::new()
                };
                anyhow::bail!(
                    "cannot parse the query: {error}\n{}{hint}",
                    error.pointer(&query)
                )
            }
            Err(e) => return Err(e.into()),
        };
        if !matches!(a.format, Format::Json) {
            for w in &resp.warnings {
                eprintln!("warning: {w}");
            }
        }
        print(&render(&resp, a.format, style, &table)?)?;
        if let Some(suggestion) = suggestion {
            let suggestion = suggestion
                .join()
                .unwrap_or_else(|p| std::panic::resume_unwind(p));
            for h in hints(suggestion, &a, &resp) {
                eprintln!("{h}");
            }
        }
        Ok(!resp.hits.is_empty())
    })?;
    // The process ends here: the engine's maps, columns and taxonomy go with it, without
    // freeing them one by one (~0.5 ms of a cold search).
    std::mem::forget(engine);
    Ok(if found {
        Outcome::Found
    } else {
        Outcome::NothingFound
    })
}

/// What to try next, for the text output (on stderr): "did you mean" from the index's terms, a
/// filter to drop or `situation` on zero hits, and the last page when the offset is past the end.
fn hints(
    suggestion: Option<crate::search::suggest::Suggestion>,
    a: &SearchArgs,
    resp: &SearchResponse,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(s) = suggestion {
        out.push(format!(
            "did you mean: {}   (cyberlex search \"{}\")",
            s.query,
            s.query.replace('"', "\\\"")
        ));
    }
    if resp.total_hits == 0 {
        if a.filters.any() {
            out.push(
                "hint: no hits with these filters; drop one (-j, --kind, --lang, --since, --concept)"
                    .into(),
            );
        }
        out.push(
            "hint: to describe facts rather than match words, try `cyberlex situation \"...\"`"
                .into(),
        );
    } else if resp.hits.is_empty() && a.offset >= resp.total_hits {
        out.push(format!(
            "hint: --offset {} is past the last hit ({} hits); the last page is --offset {}",
            a.offset,
            resp.total_hits,
            resp.total_hits.saturating_sub(a.limit.max(1))
        ));
    }
    out
}

/// `version 2014-06-27 · excerpt, outdated · yes (single article; outdated version)`: how
/// current a hit is, for the text and Markdown output.
pub fn currency_line(h: &crate::search::Hit) -> Option<String> {
    let mut parts = Vec::new();
    if let Some(d) = &h.version_date {
        parts.push(format!("version {d}"));
    }
    if !h.currency.is_empty() {
        parts.push(h.currency.join(", ").to_uppercase());
    }
    if !h.completeness.is_empty() && h.completeness != "yes" {
        parts.push(h.completeness.clone());
    }
    (!parts.is_empty()).then(|| parts.join(" · "))
}

pub fn render(
    r: &SearchResponse,
    format: Format,
    style: &Style,
    table: &Jurisdictions,
) -> anyhow::Result<String> {
    let mut s = String::new();
    match format {
        Format::Json => {
            s = json_pretty(r)?;
        }
        Format::Jsonl => s = json_lines(&r.hits)?,
        Format::Csv => {
            s.push_str("rank,score,passage_id,doc_id,jurisdiction,language,citation,heading,title,snippet,url,version_date,completeness,currency\n");
            for h in &r.hits {
                let row = [
                    h.rank.to_string(),
                    format!("{:.3}", h.score),
                    h.passage_id.clone(),
                    h.doc_id.clone(),
                    h.jurisdiction.clone(),
                    h.language.clone(),
                    h.citation.clone(),
                    h.heading.clone(),
                    h.title.clone(),
                    h.snippet.clone(),
                    h.url.clone(),
                    h.version_date.clone().unwrap_or_default(),
                    h.completeness.clone(),
                    h.currency.join(";"),
                ];
                s.push_str(
                    &row.iter()
                        .map(|f| csv_field(f))
                        .collect::<Vec<_>>()
                        .join(","),
                );
                s.push('\n');
            }
        }
        Format::Markdown => {
            s.push_str(&format!(
                "Results for `{}` ({} hits)\n\n",
                r.query, r.total_hits
            ));
            for h in &r.hits {
                let head = if h.heading.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", h.heading)
                };
                s.push_str(&format!(
                    "{}. **[{}]({})**{} · {} · {}\n\n   > {}\n\n",
                    h.rank,
                    h.citation,
                    h.url,
                    head,
                    h.title,
                    table.name(&h.jurisdiction).unwrap_or(&h.jurisdiction),
                    mark(&h.snippet, &h.highlights, "**", "**")
                ));
                if let Some(c) = currency_line(h) {
                    s.push_str(&format!("   _{c}_\n\n"));
                }
            }
        }
        Format::Text => {
            match (&r.routing, &r.parsed) {
                (Some(routing), Some(p)) => {
                    s.push_str(&style.dim("read as a citation:\n"));
                    s.push_str(&routing.describe().join("\n"));
                    s.push('\n');
                    if routing.instruments.is_empty() {
                        s.push_str(&style.dim("parsed query:\n"));
                        s.push_str(p);
                        s.push('\n');
                    }
                }
                (Some(routing), None) if routing.ambiguous || routing.fallback.is_some() => {
                    // Always say when a citation was ambiguous or answered by a fallback.
                    for line in routing
                        .describe()
                        .iter()
                        .filter(|l| l.starts_with("  ambiguous") || l.starts_with("  fallback"))
                    {
                        s.push_str(&style.dim(line.trim_start()));
                        s.push('\n');
                    }
                }
                (None, Some(p)) => {
                    s.push_str(&style.dim("parsed query:\n"));
                    s.push_str(p);
                    s.push('\n');
                }
                _ => {}
            }
            let width = super::wrap::width();
            let shown_to = r.offset + r.hits.len();
            s.push_str(&style.dim(&format!(
                "{} hits for {}{}\n\n",
                r.total_hits,
                r.query,
                if r.hits.is_empty() && r.total_hits > 0 {
                    format!(" (none from offset {}: past the end)", r.offset)
                } else if r.hits.is_empty() {
                    String::new()
                } else {
                    format!(" (showing {}-{})", r.offset + 1, shown_to)
                }
            )));
            for h in &r.hits {
                let jur = table.name(&h.jurisdiction).unwrap_or(&h.jurisdiction);
                let head = if h.heading.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", h.heading)
                };
                s.push_str(&format!(
                    "{:>3}. {}{}\n",
                    h.rank,
                    style.cite(&h.citation),
                    style.bold(&head)
                ));
                s.push_str(&super::wrap::wrap(
                    &format!(
                        "{} · {} · {} · score\u{a0}{:.2}",
                        h.title, jur, h.language, h.score
                    ),
                    "     ",
                    width,
                ));
                if let Some(c) = currency_line(h) {
                    s.push_str(&format!("     {}\n", style.dim(&c)));
                }
                if !h.path.is_empty() {
                    s.push_str(&format!("     {}\n", style.dim(&h.path.join(" > "))));
                }
                s.push_str(&super::wrap::wrap(
                    &style.highlight(&h.snippet, &h.highlights),
                    "     ",
                    width,
                ));
                s.push_str(&format!(
                    "     {}  {}\n",
                    style.dim(&h.passage_id),
                    style.dim(&h.url)
                ));
                if let Some(e) = &h.explanation {
                    s.push_str(&format!("     why: {e}\n"));
                }
                s.push('\n');
            }
        }
    }
    Ok(s)
}
