//! Server-rendered pages: search with filters and facet counts, passage, document, compare,
//! matrix, situation and the query-language help. No script; every page has a stable URL built
//! from its parameters, so a result can be shared by copying the address.

use std::fmt::Write;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::api::{from_compare, from_search, Params, UserError};
use super::html::{
    document_href, esc, layout, marked, paragraphs, passage_href, query_string, source_link,
};
use super::{body_response, with_engine, Shared};
use crate::corpus::Jurisdictions;
use crate::search::compare::{CompareResponse, Matrix, ALL_KINDS, CONVENTIONS};
use crate::search::views::{DocumentView, Facets, PassageView, QUERY_HELP};
use crate::search::{Engine, SearchError, SearchResponse};

/// Hits counted for the facet counts of a search page.
pub const FACET_SAMPLE: usize = 100;
/// Hits per search page.
pub const PAGE: usize = 20;

fn html(status: StatusCode, body: String) -> Response {
    body_response(status, "text/html; charset=utf-8", body)
}

pub fn error_page(status: StatusCode, message: &str) -> Response {
    let body = format!(
        r#"<h1>{}</h1><p class="error" role="alert">{}</p><p><a href="/">Start a new search</a></p>"#,
        status.as_u16(),
        esc(message)
    );
    html(status, layout("Error", "", &body))
}

fn user_error_page(e: &UserError, q: &str) -> Response {
    let mut body = format!(
        r#"<h1>{}</h1><p class="error" role="alert">{}</p>"#,
        if e.status == StatusCode::NOT_FOUND {
            "Not found"
        } else {
            "Cannot answer this request"
        },
        esc(&e.message)
    );
    if let Some((query, pos, _)) = &e.query {
        let _ = write!(
            body,
            r#"<pre class="pointer" aria-label="Where the query goes wrong">{}
{}^</pre>"#,
            esc(query),
            " ".repeat(*pos)
        );
    }
    body.push_str(r#"<p>See the <a href="/help">query language</a>.</p>"#);
    html(e.status, layout("Error", q, &body))
}

fn server_error_page(e: SearchError) -> Response {
    tracing::error!("{e}");
    error_page(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

/// Run `f` on an engine and render its page; user errors as 4xx pages.
async fn render(
    st: &Shared,
    q: String,
    f: impl FnOnce(&mut Engine, &Jurisdictions) -> Result<String, Result<UserError, SearchError>>
        + Send
        + 'static,
) -> Response {
    match with_engine(st, move |e, app| f(e, &app.jurisdictions)).await {
        Ok(Ok(body)) => html(StatusCode::OK, body),
        Ok(Err(Ok(user))) => user_error_page(&user, &q),
        Ok(Err(Err(e))) => server_error_page(e),
        Err(r) => r,
    }
}

fn jname<'a>(t: &'a Jurisdictions, code: &'a str) -> &'a str {
    t.name(code).unwrap_or(code)
}

pub async fn style() -> Response {
    let mut r = body_response(
        StatusCode::OK,
        "text/css; charset=utf-8",
        include_str!("assets/style.css").to_string(),
    );
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

pub async fn help() -> Response {
    let body = format!(
        r#"<h1>The query language</h1><pre class="help">{}</pre>
<p>On the search page the filters are form fields; in a URL they are parameters:
<code>/search?q=illegal+access&amp;jurisdiction=DE&amp;lang=de&amp;since=2010&amp;concept=illegal-access</code>.
The same parameters work on <code>/api/search</code>, which answers JSON
(<a href="/api/openapi.json">OpenAPI description</a>).</p>"#,
        esc(QUERY_HELP)
    );
    html(StatusCode::OK, layout("Query help", "", &body))
}

pub async fn home(State(st): State<Shared>) -> Response {
    render(&st, String::new(), |e, _| {
        let mut body = String::from("<h1>Search the law of cybercrime</h1>");
        body.push_str(&search_form(e, &Params::default()).map_err(Err)?);
        let _ = write!(
            body,
            r#"<p>{} passages in {} languages. Try <a href="/search?q=illegal+access">illegal access</a>,
<a href="/search?q=%C2%A7+202a">§ 202a</a>, <a href="/compare?article=coe%3A2">Budapest Art. 2 across jurisdictions</a>
or the <a href="/matrix">matrix</a>.</p>"#,
            e.num_passages(),
            e.languages.len()
        );
        Ok(layout("Search", "", &body))
    })
    .await
}

/// `<option>`s, the selected ones marked.
fn options(values: &[(String, String)], selected: &[String]) -> String {
    let mut s = String::from(r#"<option value="">any</option>"#);
    for (v, label) in values {
        let sel = if selected.iter().any(|x| x.eq_ignore_ascii_case(v)) {
            " selected"
        } else {
            ""
        };
        let _ = write!(
            s,
            r#"<option value="{}"{sel}>{}</option>"#,
            esc(v),
            esc(label)
        );
    }
    s
}

/// The search form with every filter as a field.
fn search_form(e: &Engine, p: &Params) -> Result<String, SearchError> {
    let table = Jurisdictions::builtin();
    let js: Vec<(String, String)> = e
        .jurisdictions()?
        .into_iter()
        .map(|c| {
            let n = format!("{} ({c})", jname(&table, &c));
            (c, n)
        })
        .collect();
    let kinds: Vec<(String, String)> = ALL_KINDS
        .iter()
        .map(|k| (k.to_string(), k.to_string()))
        .collect();
    let langs: Vec<(String, String)> = e.languages.iter().map(|l| (l.clone(), l.clone())).collect();
    let concepts: Vec<(String, String)> = e
        .taxonomy
        .concepts
        .iter()
        .map(|c| (c.id.clone(), c.id.replace('-', " ")))
        .collect();
    let sel_j: Vec<String> = p
        .jurisdiction
        .iter()
        .map(|j| table.resolve(j).unwrap_or_else(|_| j.clone()))
        .collect();
    Ok(format!(
        r#"<form class="search" action="/search" method="get">
<div class="field wide"><label for="q">Query</label>
<input id="q" name="q" type="search" value="{q}" maxlength="4096" required aria-describedby="q-help">
<small id="q-help">Words, "phrases", AND/OR/NOT, w/5, /s, ! and * — <a href="/help">help</a></small></div>
<div class="field"><label for="f-jurisdiction">Jurisdiction</label><select id="f-jurisdiction" name="jurisdiction">{oj}</select></div>
<div class="field"><label for="f-kind">Kind</label><select id="f-kind" name="kind">{ok}</select></div>
<div class="field"><label for="f-lang">Language</label><select id="f-lang" name="lang">{ol}</select></div>
<div class="field"><label for="f-since">Since year</label><input id="f-since" name="since" type="number" min="1900" max="2100" inputmode="numeric" value="{since}"></div>
<div class="field"><label for="f-concept">Concept</label><select id="f-concept" name="concept">{oc}</select></div>
<div class="field"><button type="submit">Search</button></div>
</form>"#,
        q = esc(&p.q),
        oj = options(&js, &sel_j),
        ok = options(&kinds, &p.kind),
        ol = options(&langs, &p.lang),
        since = p.since.map(|y| y.to_string()).unwrap_or_default(),
        oc = options(&concepts, &p.concept),
    ))
}

/// The URL of a search with these parameters (page 1 unless `offset` says otherwise).
fn search_href(p: &Params) -> String {
    let mut pairs: Vec<(&str, String)> = vec![("q", p.q.clone())];
    for j in &p.jurisdiction {
        pairs.push(("jurisdiction", j.clone()));
    }
    for k in &p.kind {
        pairs.push(("kind", k.clone()));
    }
    for l in &p.lang {
        pairs.push(("lang", l.clone()));
    }
    if let Some(y) = p.since {
        pairs.push(("since", y.to_string()));
    }
    for c in &p.concept {
        pairs.push(("concept", c.clone()));
    }
    if p.offset > 0 {
        pairs.push(("offset", p.offset.to_string()));
    }
    let refs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
    format!("/search?{}", query_string(&refs))
}

fn facet_list<K: ToString>(
    title: &str,
    counts: impl Iterator<Item = (K, usize)>,
    label: impl Fn(&str) -> String,
    with: impl Fn(&mut Params, String),
    base: &Params,
) -> String {
    let mut items: Vec<(String, usize)> = counts.map(|(k, n)| (k.to_string(), n)).collect();
    if items.is_empty() {
        return String::new();
    }
    items.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut s = format!(
        r#"<section class="facet" aria-label="{t}"><h3>{t}</h3><ul>"#,
        t = esc(title)
    );
    for (k, n) in items.into_iter().take(15) {
        let mut p = base.clone();
        p.offset = 0;
        with(&mut p, k.clone());
        let _ = write!(
            s,
            r#"<li><a href="{}">{}</a> <span class="count">{n}</span></li>"#,
            esc(&search_href(&p)),
            esc(&label(&k))
        );
    }
    s.push_str("</ul></section>");
    s
}

fn facets_html(f: &Facets, p: &Params, total: usize, t: &Jurisdictions) -> String {
    let mut s = String::from(r#"<aside class="facets" aria-label="Refine"><h2>Refine</h2>"#);
    if total > f.counted {
        let _ = write!(
            s,
            r#"<p class="note">Counts among the first {} of {total} hits.</p>"#,
            f.counted
        );
    }
    s.push_str(&facet_list(
        "Jurisdiction",
        f.jurisdiction.iter().map(|(k, v)| (k.clone(), *v)),
        |c| format!("{} ({c})", jname(t, c)),
        |p, v| p.jurisdiction = vec![v],
        p,
    ));
    s.push_str(&facet_list(
        "Kind",
        f.kind.iter().map(|(k, v)| (k.clone(), *v)),
        |k| k.to_string(),
        |p, v| p.kind = vec![v],
        p,
    ));
    s.push_str(&facet_list(
        "Language",
        f.language.iter().map(|(k, v)| (k.clone(), *v)),
        |k| k.to_string(),
        |p, v| p.lang = vec![v],
        p,
    ));
    s.push_str(&facet_list(
        "Year",
        f.year.iter().map(|(k, v)| (*k, *v)),
        |y| format!("{y} or later"),
        |p, v| p.since = v.parse().ok(),
        p,
    ));
    s.push_str(&facet_list(
        "Concept",
        f.concept.iter().map(|(k, v)| (k.clone(), *v)),
        |c| c.replace('-', " "),
        |p, v| p.concept = vec![v],
        p,
    ));
    s.push_str("</aside>");
    s
}

/// Links that remove one active filter each.
fn active_filters(p: &Params, t: &Jurisdictions) -> String {
    let mut items = Vec::new();
    let mut push = |label: String, without: Params| {
        items.push(format!(
            r#"<li><a href="{}" aria-label="Remove filter {l}">{l} ✕</a></li>"#,
            esc(&search_href(&without)),
            l = esc(&label)
        ));
    };
    for (i, j) in p.jurisdiction.iter().enumerate() {
        let mut w = p.clone();
        w.jurisdiction.remove(i);
        push(format!("jurisdiction: {}", jname(t, j)), w);
    }
    for (i, k) in p.kind.iter().enumerate() {
        let mut w = p.clone();
        w.kind.remove(i);
        push(format!("kind: {k}"), w);
    }
    for (i, l) in p.lang.iter().enumerate() {
        let mut w = p.clone();
        w.lang.remove(i);
        push(format!("language: {l}"), w);
    }
    if let Some(y) = p.since {
        let mut w = p.clone();
        w.since = None;
        push(format!("since {y}"), w);
    }
    for (i, c) in p.concept.iter().enumerate() {
        let mut w = p.clone();
        w.concept.remove(i);
        push(format!("concept: {c}"), w);
    }
    if items.is_empty() {
        String::new()
    } else {
        format!(
            r#"<ul class="active" aria-label="Active filters">{}</ul>"#,
            items.join("")
        )
    }
}

/// The link "compare this provision across jurisdictions" for a passage: its convention article
/// when it is one, else its concepts, else its heading as a query.
fn compare_href(doc_id: &str, citation: &str, heading: &str, concepts: &[String]) -> String {
    let article = CONVENTIONS
        .iter()
        .find(|(_, docs)| docs.contains(&doc_id))
        .and_then(|(code, _)| {
            let num = citation
                .trim()
                .strip_prefix("Art.")
                .or_else(|| citation.trim().strip_prefix("Article"))?
                .trim();
            (!num.is_empty()).then(|| format!("{code}:{num}"))
        });
    if let Some(a) = article {
        return format!("/compare?{}", query_string(&[("article", &a)]));
    }
    if !concepts.is_empty() {
        let pairs: Vec<(&str, &str)> = concepts.iter().map(|c| ("concept", c.as_str())).collect();
        return format!("/compare?{}", query_string(&pairs));
    }
    let q = if heading.is_empty() {
        citation
    } else {
        heading
    };
    format!("/compare?{}", query_string(&[("q", q)]))
}

fn results_html(
    r: &SearchResponse,
    years: &[Option<u16>],
    p: &Params,
    t: &Jurisdictions,
) -> String {
    let mut s = String::new();
    let shown_to = r.offset + r.hits.len();
    let _ = write!(
        s,
        r#"<p class="summary" role="status">{} hits for <q>{}</q>{}</p>"#,
        r.total_hits,
        esc(&r.query),
        if r.hits.is_empty() {
            String::new()
        } else {
            format!(" — {}–{}", r.offset + 1, shown_to)
        }
    );
    s.push_str(r#"<ol class="hits">"#);
    for (h, year) in r.hits.iter().zip(years) {
        let head = if h.heading.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&h.heading))
        };
        let path = if h.path.is_empty() {
            String::new()
        } else {
            format!(
                r#"<p class="path">{}</p>"#,
                h.path
                    .iter()
                    .map(|x| esc(x))
                    .collect::<Vec<_>>()
                    .join(" › ")
            )
        };
        let _ = write!(
            s,
            r#"<li class="hit" value="{rank}"><h2><a href="{href}"><span class="cite">{cite}</span>{head}</a></h2>
<p class="meta"><a href="{doc}">{title}</a> · <span class="jur">{jur}</span> · <span lang="{lang}">{lang}</span>{year} · {kind}</p>
{path}<p class="snippet" lang="{lang}">{snip}</p>
<p class="links">{src} · <a href="{cmp}">compare across jurisdictions</a></p></li>"#,
            rank = h.rank,
            href = esc(&passage_href(&h.passage_id)),
            cite = esc(&h.citation),
            doc = esc(&document_href(&h.doc_id)),
            title = esc(&h.title),
            jur = esc(jname(t, &h.jurisdiction)),
            lang = esc(&h.language),
            year = year.map(|y| format!(" · {y}")).unwrap_or_default(),
            kind = esc(&h.kind),
            snip = marked(&h.snippet, &h.highlights),
            src = source_link(&h.url, "official source"),
            cmp = esc(&compare_href(&h.doc_id, &h.citation, &h.heading, &[])),
        );
        if let Some(x) = &h.explanation {
            let _ = write!(s, r#"<p class="why">{}</p>"#, esc(x));
        }
    }
    s.push_str("</ol>");
    let mut nav = Vec::new();
    if r.offset > 0 {
        let mut prev = p.clone();
        prev.offset = r.offset.saturating_sub(PAGE);
        nav.push(format!(
            r#"<a rel="prev" href="{}">← previous</a>"#,
            esc(&search_href(&prev))
        ));
    }
    if shown_to < r.total_hits {
        let mut next = p.clone();
        next.offset = shown_to;
        nav.push(format!(
            r#"<a rel="next" href="{}">next →</a>"#,
            esc(&search_href(&next))
        ));
    }
    if !nav.is_empty() {
        let _ = write!(
            s,
            r#"<nav class="pages" aria-label="Result pages">{}</nav>"#,
            nav.join(" ")
        );
    }
    s
}

pub async fn search(State(st): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let mut p = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return user_error_page(&e, ""),
    };
    if p.q.trim().is_empty() {
        return home(State(st)).await;
    }
    p.limit = Some(PAGE);
    let q = p.q.clone();
    render(&st, q.clone(), move |e, t| {
        let req = p.search_request(t).map_err(Ok)?;
        let r = e.search(&req).map_err(from_search)?;
        let mut sample = req.clone();
        sample.offset = 0;
        sample.limit = FACET_SAMPLE;
        sample.explain = false;
        sample.snippet_chars = 40;
        let facet_hits = if r.offset == 0 && r.hits.len() < PAGE {
            r.hits.clone()
        } else {
            e.search(&sample).map_err(from_search)?.hits
        };
        let facets = e.facets(&facet_hits).map_err(Err)?;
        let years: Vec<Option<u16>> = r
            .hits
            .iter()
            .map(|h| e.passage(&h.passage_id).ok().and_then(|p| p.year))
            .collect();
        let mut body = format!("<h1>Results for <q>{}</q></h1>", esc(&q));
        body.push_str(&search_form(e, &p).map_err(Err)?);
        body.push_str(&active_filters(&p, t));
        body.push_str(r#"<div class="results">"#);
        body.push_str(&facets_html(&facets, &p, r.total_hits, t));
        body.push_str(r#"<section class="list" aria-label="Results">"#);
        body.push_str(&results_html(&r, &years, &p, t));
        body.push_str("</section></div>");
        Ok(layout(&format!("{q} — search"), &q, &body))
    })
    .await
}

fn id_param(p: Result<Path<String>, PathRejection>) -> Result<String, UserError> {
    match p {
        Ok(Path(id)) if !id.is_empty() && id.len() <= 1024 => Ok(id),
        Ok(_) => Err(UserError::bad("the id is empty or too long")),
        Err(e) => Err(UserError::bad(format!("bad id: {e}"))),
    }
}

fn passage_page(v: &PassageView, t: &Jurisdictions) -> String {
    let p = &v.passage;
    let mut s = String::new();
    let crumbs: Vec<String> = std::iter::once(format!(
        r#"<a href="{}">{}</a>"#,
        esc(&document_href(&p.doc_id)),
        esc(&p.title)
    ))
    .chain(p.path.iter().map(|x| esc(x)))
    .collect();
    let _ = write!(
        s,
        r#"<nav class="crumbs" aria-label="Where this provision stands"><p>{}</p></nav>
<article lang="{lang}"><h1><span class="cite">{cite}</span>{head}</h1>
<p class="meta">{jur} · {lang} · {kind}{year}{label}</p>
<div class="text">{text}</div></article>
<p class="links">{src} · <a href="{cmp}">Compare this provision across jurisdictions</a> · <a href="{doc}">All provisions of this document</a></p>"#,
        crumbs.join(" › "),
        lang = esc(&p.language),
        cite = esc(&p.citation),
        head = if p.heading.is_empty() {
            String::new()
        } else {
            format!(" — {}", esc(&p.heading))
        },
        jur = esc(jname(t, &p.jurisdiction)),
        kind = esc(&p.kind),
        year = p.year.map(|y| format!(" · {y}")).unwrap_or_default(),
        label = if p.label.is_empty() || p.label == p.citation {
            String::new()
        } else {
            format!(" · as published: {}", esc(&p.label))
        },
        text = paragraphs(&p.text),
        src = source_link(&p.url, "Read it at the official source"),
        cmp = esc(&compare_href(
            &p.doc_id,
            &p.citation,
            &p.heading,
            &p.concepts
        )),
        doc = esc(&document_href(&p.doc_id)),
    );
    if !p.concepts.is_empty() {
        s.push_str(r#"<p class="concepts">Concepts: "#);
        let links: Vec<String> = p
            .concepts
            .iter()
            .map(|c| {
                format!(
                    r#"<a href="/compare?{}">{}</a>"#,
                    esc(&query_string(&[("concept", c)])),
                    esc(&c.replace('-', " "))
                )
            })
            .collect();
        s.push_str(&links.join(", "));
        s.push_str("</p>");
    }
    s.push_str(r#"<nav class="neighbours" aria-label="Neighbouring provisions">"#);
    if let Some(n) = &v.previous {
        let _ = write!(
            s,
            r#"<a rel="prev" href="{}">← {}</a> "#,
            esc(&passage_href(&n.passage_id)),
            esc(&n.citation)
        );
    }
    if let Some(n) = &v.next {
        let _ = write!(
            s,
            r#"<a rel="next" href="{}">{} →</a>"#,
            esc(&passage_href(&n.passage_id)),
            esc(&n.citation)
        );
    }
    s.push_str("</nav>");
    layout(&format!("{} — {}", p.citation, p.title), "", &s)
}

pub async fn passage(
    State(st): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_param(id) {
        Ok(id) => id,
        Err(e) => return user_error_page(&e, ""),
    };
    render(&st, String::new(), move |e, t| {
        let v = e.passage_view(&id).map_err(from_search)?;
        Ok(passage_page(&v, t))
    })
    .await
}

fn document_page(d: &DocumentView, t: &Jurisdictions) -> String {
    let mut s = format!(
        r#"<h1>{}</h1><p class="meta">{} · {} · {} provisions</p>"#,
        esc(&d.title),
        esc(jname(t, &d.jurisdiction)),
        esc(&d.kind),
        d.passages.len()
    );
    if let Some(first) = d.passages.first() {
        s.push_str(&format!(
            "<p>{}</p>",
            source_link(&first.url, "Read it at the official source")
        ));
    }
    s.push_str(
        r#"<div class="scroll" role="region" aria-label="Provisions" tabindex="0"><table class="toc"><caption>Provisions in order</caption>
<thead><tr><th scope="col">#</th><th scope="col">Citation</th><th scope="col">Heading</th><th scope="col">Part</th><th scope="col">Language</th><th scope="col">Characters</th></tr></thead><tbody>"#,
    );
    for p in &d.passages {
        let _ = write!(
            s,
            r#"<tr><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
            p.ordinal,
            esc(&passage_href(&p.passage_id)),
            esc(&p.citation),
            esc(&p.heading),
            esc(p.path.last().map(String::as_str).unwrap_or("")),
            esc(&p.language),
            p.text.chars().count()
        );
    }
    s.push_str("</tbody></table></div>");
    layout(&d.title, "", &s)
}

pub async fn document(
    State(st): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_param(id) {
        Ok(id) => id,
        Err(e) => return user_error_page(&e, ""),
    };
    render(&st, String::new(), move |e, t| match e.document_view(&id) {
        Ok(Some(d)) => Ok(document_page(&d, t)),
        Ok(None) => Err(Ok(UserError::not_found(format!(
            "no passages for document `{id}`"
        )))),
        Err(e) => Err(from_search(e)),
    })
    .await
}

fn compare_form(p: &Params, concepts: &[(String, String)]) -> String {
    format!(
        r#"<form class="search" action="/compare" method="get">
<div class="field wide"><label for="c-q">Words or a concept's name</label><input id="c-q" name="q" type="search" value="{q}" maxlength="4096"></div>
<div class="field"><label for="c-article">or a convention article</label><input id="c-article" name="article" value="{a}" placeholder="coe:2" aria-describedby="c-article-help"><small id="c-article-help">coe (Budapest), un, las, afu : number</small></div>
<div class="field"><label for="c-concept">or a concept</label><select id="c-concept" name="concept">{oc}</select></div>
<div class="field check"><input id="c-all" name="all_kinds" type="checkbox" value="true"{all}><label for="c-all">include analyses and statements</label></div>
<div class="field"><button type="submit">Compare</button></div>
</form>"#,
        q = esc(&p.q),
        a = esc(p.article.as_deref().unwrap_or("")),
        oc = options(concepts, &p.concept),
        all = if p.all_kinds { " checked" } else { "" },
    )
}

fn compare_table(r: &CompareResponse) -> String {
    let mut s = String::new();
    let mut what = vec![];
    if !r.query.is_empty() {
        what.push(format!("<q>{}</q>", esc(&r.query)));
    }
    if let Some(a) = &r.article {
        let src = r
            .source_passage
            .as_deref()
            .map(|p| format!(r#" (<a href="{}">{}</a>)"#, esc(&passage_href(p)), esc(p)))
            .unwrap_or_default();
        what.push(format!("article {}{src}", esc(a)));
    }
    if !r.concepts.is_empty() {
        what.push(format!("concepts {}", esc(&r.concepts.join(", "))));
    }
    let _ = write!(
        s,
        r#"<p class="summary" role="status">Compared on {}. {} of {} jurisdictions have a matching provision.</p>"#,
        what.join("; "),
        r.rows.iter().filter(|x| x.matched).count(),
        r.rows.len()
    );
    s.push_str(
        r#"<div class="scroll" role="region" aria-label="Comparison" tabindex="0"><table class="compare"><caption>Best provision per jurisdiction</caption>
<thead><tr><th scope="col">Jurisdiction</th><th scope="col">Provision</th><th scope="col">Document</th><th scope="col">Text</th></tr></thead><tbody>"#,
    );
    for row in &r.rows {
        let name = row
            .jurisdiction_name
            .as_deref()
            .unwrap_or(&row.jurisdiction);
        if !row.matched {
            let _ = write!(
                s,
                r#"<tr class="none"><th scope="row">{}</th><td colspan="3">{}</td></tr>"#,
                esc(name),
                esc(row.why.as_deref().unwrap_or("no matching provision"))
            );
            continue;
        }
        let o = |v: &Option<String>| v.clone().unwrap_or_default();
        let head = match &row.heading {
            Some(h) if !h.is_empty() => format!(" — {}", esc(h)),
            _ => String::new(),
        };
        let _ = write!(
            s,
            r#"<tr><th scope="row">{name}</th><td><a href="{href}">{cite}</a>{head}</td><td>{title}</td><td lang="{lang}">{snip}<details><summary>why</summary>{why}</details></td></tr>"#,
            name = esc(name),
            href = esc(&passage_href(&o(&row.passage_id))),
            cite = esc(&o(&row.citation)),
            title = esc(&o(&row.title)),
            lang = esc(&o(&row.language)),
            snip = esc(&o(&row.snippet)),
            why = esc(&o(&row.why)),
        );
    }
    s.push_str("</tbody></table></div>");
    s
}

pub async fn compare(State(st): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let p = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return user_error_page(&e, ""),
    };
    let q = p.q.clone();
    render(&st, q, move |e, t| {
        let concepts: Vec<(String, String)> = e
            .taxonomy
            .concepts
            .iter()
            .map(|c| (c.id.clone(), c.id.replace('-', " ")))
            .collect();
        let mut body = String::from("<h1>Compare across jurisdictions</h1>");
        body.push_str(&compare_form(&p, &concepts));
        if !p.q.is_empty() || p.article.is_some() || !p.concept.is_empty() {
            let req = p.compare_request(t).map_err(Ok)?;
            let r = e.compare(&req).map_err(from_compare)?;
            body.push_str(&compare_table(&r));
        }
        Ok(layout("Compare", "", &body))
    })
    .await
}

fn matrix_table(m: &Matrix) -> String {
    let mut s = String::from(
        r#"<div class="scroll" role="region" aria-label="Matrix" tabindex="0"><table class="matrix"><caption>Jurisdictions × concepts: the provision that defines each</caption><thead><tr><th scope="col">Jurisdiction</th>"#,
    );
    for c in &m.concepts {
        let _ = write!(
            s,
            r#"<th scope="col"><a href="/compare?{}">{}</a></th>"#,
            esc(&query_string(&[("concept", c)])),
            esc(&c.replace('-', " "))
        );
    }
    s.push_str("</tr></thead><tbody>");
    for r in &m.rows {
        let _ = write!(
            s,
            r#"<tr><th scope="row">{}</th>"#,
            esc(r.jurisdiction_name.as_deref().unwrap_or(&r.jurisdiction))
        );
        for c in &m.concepts {
            match r.cells.get(c) {
                Some(cell) => {
                    let _ = write!(
                        s,
                        r#"<td><a href="{}" title="{}">{}</a></td>"#,
                        esc(&passage_href(&cell.passage_id)),
                        esc(&format!("{} — {}", cell.heading, cell.rule)),
                        esc(&cell.citation)
                    );
                }
                None => s.push_str(r#"<td class="none"><span class="sr">none</span></td>"#),
            }
        }
        s.push_str("</tr>");
    }
    s.push_str("</tbody></table></div>");
    s
}

pub async fn matrix(State(st): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let p = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return user_error_page(&e, ""),
    };
    render(&st, String::new(), move |e, t| {
        let js = p.jurisdictions(t).map_err(Ok)?;
        let m = e
            .matrix(&js, &p.concept, p.all_kinds)
            .map_err(from_compare)?;
        let body = format!(
            "<h1>Matrix</h1><p>Each cell is the provision of a jurisdiction tagged with a concept of the crosswalk; each column head compares that concept.</p>{}",
            matrix_table(&m)
        );
        Ok(layout("Matrix", "", &body))
    })
    .await
}

pub async fn situation(State(_st): State<Shared>, RawQuery(_raw): RawQuery) -> Response {
    error_page(StatusCode::NOT_IMPLEMENTED, "not available in this build")
}
