//! `cyberlex search`: ranked passages in text, JSON, CSV or Markdown.

use std::path::PathBuf;

use clap::Args;

use super::output::{csv_field, json_lines, json_pretty, mark, print, Style};
use super::{Format, Outcome};
use crate::corpus::Jurisdictions;
use crate::search::{Engine, SearchError, SearchRequest, SearchResponse};

pub const QUERY_HELP: &str = "\
The cyberlex query language (terms and connectors, as in Westlaw and Lexis)

  illegal access              ranked: passages holding both words first, then either
  illegal AND access          both words required (also: illegal & access)
  access OR interception      either word (also: access | interception)
  computer -fraud             exclude a word (also: NOT fraud, AND NOT fraud)
  \"illegal access\"            the exact phrase
  \"illegal access\"~5          both words within 5 words of each other, either order
  access w/5 computer         within 5 words, either order
  access pre/3 computer       access at most 3 words before computer
  access /s password          in the same sentence
  access /p password          in the same paragraph
  access!                     root expander: access, accessed, accessing, ...
  interfer*                   wildcard (* any letters, ? one letter)
  (access OR entry) w/3 system   parentheses group

Fields:  heading:access  citation:202a  title:convention  text:access
         jurisdiction:DE  kind:convention  lang:de
Filters: --jurisdiction DE (repeatable; codes or names), --kind, --lang, --since YEAR, --concept ID
Citations typed as the query go straight to the provision: § 202a, Art. 2, s. 3, 1030(a)(2)

Precedence, tightest first: connectors, NOT, AND, words side by side, OR.
Words are matched in every language of the index: as typed (accents folded) and stemmed per
language; Chinese, Japanese and Korean are matched as character sequences. A query naming an
offence or power of the crosswalk taxonomy (`illegal access`, `Ausspähen von Daten`) also finds
the provisions tagged with it in every language (--concept ID filters by it). `!` and `*` need 3 letters and expand to at most 200 words;
queries are limited to 4096 bytes and 256 clauses.
";

/// What `search` says to a query that reads as a description of facts.
pub const SITUATION_HINT: &str = "this reads as a description of facts, not a query: \
describe the situation with `cyberlex situation \"...\"` (or `--file FILE`), which picks the \
salient terms and legal concepts itself and never reads quotes, parentheses or AND as operators";

#[derive(Debug, Args)]
pub struct SearchArgs {
    /// The query (see `cyberlex help query`).
    pub query: String,
    #[arg(long, value_name = "DIR", default_value = "index")]
    pub index: PathBuf,
    /// Number of hits to print.
    #[arg(long, short = 'n', default_value_t = 10)]
    pub limit: usize,
    /// Skip this many hits (paging).
    #[arg(long, default_value_t = 0)]
    pub offset: usize,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
    /// Only these jurisdictions (code or name; repeatable).
    #[arg(long, short = 'j', value_name = "CODE")]
    pub jurisdiction: Vec<String>,
    /// Only this kind (convention, protocol, national-law, regulation, ngo-statement, analysis).
    #[arg(long)]
    pub kind: Vec<String>,
    /// Only passages in this language (ISO 639-1; repeatable).
    #[arg(long)]
    pub lang: Vec<String>,
    /// Only documents dated this year or later.
    #[arg(long, value_name = "YEAR")]
    pub since: Option<u16>,
    /// Only passages tagged with this concept of the taxonomy (e.g. illegal-access; repeatable).
    #[arg(long, value_name = "ID")]
    pub concept: Vec<String>,
    /// Print the parsed query and, per hit, why it scored.
    #[arg(long)]
    pub explain: bool,
}

pub fn run(a: SearchArgs, style: &Style) -> anyhow::Result<Outcome> {
    let table = Jurisdictions::builtin();
    let jurisdictions = table.resolve_all(&a.jurisdiction)?;
    let req = SearchRequest {
        query: a.query.clone(),
        limit: a.limit,
        offset: a.offset,
        jurisdictions,
        kinds: a.kind.iter().map(|k| k.to_lowercase()).collect(),
        langs: a.lang.iter().map(|l| l.to_lowercase()).collect(),
        since: a.since,
        concepts: a.concept.clone(),
        explain: a.explain,
        baseline: false,
        snippet_chars: 240,
    };
    if crate::search::situation::reads_as_prose(&a.query) {
        anyhow::bail!("{}", SITUATION_HINT);
    }
    let mut engine = Engine::open(&a.index)?;
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
    print(&render(&resp, a.format, style, &table)?)?;
    Ok(if resp.hits.is_empty() {
        Outcome::NothingFound
    } else {
        Outcome::Found
    })
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
            s.push_str("rank,score,passage_id,doc_id,jurisdiction,language,citation,heading,title,snippet,url\n");
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
            }
        }
        Format::Text => {
            if let Some(p) = &r.parsed {
                s.push_str(&style.dim("parsed query:\n"));
                s.push_str(p);
                s.push('\n');
            }
            let shown_to = r.offset + r.hits.len();
            s.push_str(&style.dim(&format!(
                "{} hits for {}{}\n\n",
                r.total_hits,
                r.query,
                if r.hits.is_empty() {
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
                s.push_str(&format!(
                    "     {} · {} · {} · {:.2}\n",
                    h.title, jur, h.language, h.score
                ));
                if !h.path.is_empty() {
                    s.push_str(&format!("     {}\n", style.dim(&h.path.join(" > "))));
                }
                s.push_str(&format!(
                    "     {}\n",
                    style.highlight(&h.snippet, &h.highlights)
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
