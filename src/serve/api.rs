//! The JSON API: the same objects as the CLI's `--format json` / `--json`, errors as
//! `{"error": …}` (400 for what the user typed, 404 for unknown ids).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::json;

use super::{body_response, with_engine, Shared, MAX_LIMIT};
use crate::corpus::Jurisdictions;
use crate::search::compare::{CompareError, CompareRequest};
use crate::search::{SearchError, SearchRequest};

/// A JSON response.
pub(crate) fn json_response<T: Serialize>(status: StatusCode, v: &T) -> Response {
    match serde_json::to_string(v) {
        Ok(s) => body_response(status, "application/json", s),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string()),
    }
}

/// `{"error": message}` with a status.
pub(crate) fn error(status: StatusCode, message: &str) -> Response {
    json_response(status, &json!({ "error": message }))
}

/// A problem with what the user sent, as the pages and the API report it.
#[derive(Debug, Clone)]
pub(crate) struct UserError {
    pub status: StatusCode,
    pub message: String,
    /// For a query that does not parse: the query, the 0-based character and the hint.
    pub query: Option<(String, usize, Option<String>)>,
}

impl UserError {
    pub fn bad(message: impl Into<String>) -> UserError {
        UserError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
            query: None,
        }
    }

    pub fn not_found(message: impl Into<String>) -> UserError {
        UserError {
            status: StatusCode::NOT_FOUND,
            message: message.into(),
            query: None,
        }
    }

    fn response(&self) -> Response {
        let mut v = json!({ "error": self.message });
        if let Some((q, pos, hint)) = &self.query {
            v["query"] = json!(q);
            v["position"] = json!(pos);
            v["hint"] = json!(hint);
        }
        json_response(self.status, &v)
    }
}

/// What a failed library call means for the user; `Err` for failures that are not theirs.
pub(crate) fn from_search(e: SearchError) -> Result<UserError, SearchError> {
    match e {
        SearchError::Query { query, error } => Ok(UserError {
            status: StatusCode::BAD_REQUEST,
            message: format!("cannot parse the query: {error}"),
            query: Some((query, error.position, error.hint.clone())),
        }),
        SearchError::UnknownPassage(_) => Ok(UserError::not_found(e.to_string())),
        e => Err(e),
    }
}

pub(crate) fn from_compare(e: CompareError) -> Result<UserError, SearchError> {
    match e {
        CompareError::Search(e) => from_search(e),
        CompareError::UnknownArticle(_) => Ok(UserError::not_found(e.to_string())),
        e @ (CompareError::BadArticle(_)
        | CompareError::UnknownConcept(_)
        | CompareError::Empty) => Ok(UserError::bad(e.to_string())),
    }
}

fn server_error(e: SearchError) -> Response {
    tracing::error!("{e}");
    error(StatusCode::INTERNAL_SERVER_ERROR, &e.to_string())
}

/// Parameters of a request's query string; repeated keys (`jurisdiction=DE&jurisdiction=FR`)
/// accumulate, as the CLI's repeatable flags do.
#[derive(Debug, Clone, Default)]
pub(crate) struct Params {
    pub q: String,
    pub limit: Option<usize>,
    pub offset: usize,
    pub jurisdiction: Vec<String>,
    pub kind: Vec<String>,
    pub lang: Vec<String>,
    pub since: Option<u16>,
    pub concept: Vec<String>,
    pub explain: bool,
    pub article: Option<String>,
    pub all_kinds: bool,
    pub text: String,
}

fn flag(v: &str) -> Result<bool, UserError> {
    match v {
        "" | "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(UserError::bad(format!(
            "`{v}` is not a boolean (true or false)"
        ))),
    }
}

fn number<T: std::str::FromStr>(key: &str, v: &str) -> Result<T, UserError> {
    v.trim()
        .parse()
        .map_err(|_| UserError::bad(format!("`{key}` must be a number, not `{v}`")))
}

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, UserError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw.unwrap_or(""))
            .map_err(|e| UserError::bad(format!("malformed query string: {e}")))?;
        Params::from_pairs(pairs)
    }

    pub fn from_pairs(pairs: Vec<(String, String)>) -> Result<Params, UserError> {
        let mut p = Params::default();
        // Empty values of filters are what a form sends for "any": ignored.
        for (k, v) in pairs {
            match k.as_str() {
                "q" => p.q = v,
                "text" => p.text = v,
                "limit" if !v.is_empty() => {
                    let n: usize = number(&k, &v)?;
                    if n > MAX_LIMIT {
                        return Err(UserError::bad(format!("`limit` is at most {MAX_LIMIT}")));
                    }
                    p.limit = Some(n);
                }
                "offset" if !v.is_empty() => {
                    let n: usize = number(&k, &v)?;
                    if n > 10_000 {
                        return Err(UserError::bad("`offset` is at most 10000"));
                    }
                    p.offset = n;
                }
                "since" | "year" if !v.is_empty() => p.since = Some(number(&k, &v)?),
                "jurisdiction" | "j" if !v.is_empty() => p.jurisdiction.push(v),
                "kind" if !v.is_empty() => p.kind.push(v.to_lowercase()),
                "lang" if !v.is_empty() => p.lang.push(v.to_lowercase()),
                "concept" if !v.is_empty() => p.concept.push(v),
                "explain" => p.explain = flag(&v)?,
                "all_kinds" => p.all_kinds = flag(&v)?,
                "article" if !v.is_empty() => p.article = Some(v),
                _ => {}
            }
        }
        Ok(p)
    }

    pub fn jurisdictions(&self, table: &Jurisdictions) -> Result<Vec<String>, UserError> {
        table
            .resolve_all(&self.jurisdiction)
            .map_err(|e| UserError::bad(e.to_string()))
    }

    /// The request `cyberlex search` would make for the same flags.
    pub fn search_request(&self, table: &Jurisdictions) -> Result<SearchRequest, UserError> {
        Ok(SearchRequest {
            query: self.q.clone(),
            limit: self.limit.unwrap_or(10),
            offset: self.offset,
            jurisdictions: self.jurisdictions(table)?,
            kinds: self.kind.clone(),
            langs: self.lang.clone(),
            since: self.since,
            concepts: self.concept.clone(),
            explain: self.explain,
            baseline: false,
            snippet_chars: 240,
            timeout: None,
        })
    }

    /// The request `cyberlex compare` would make for the same flags.
    pub fn compare_request(&self, table: &Jurisdictions) -> Result<CompareRequest, UserError> {
        Ok(CompareRequest {
            query: self.q.clone(),
            article: self.article.clone(),
            jurisdictions: self.jurisdictions(table)?,
            concepts: self.concept.clone(),
            all_kinds: self.all_kinds,
        })
    }
}

/// Run `f` on an engine and answer its value as JSON; user errors as 4xx.
async fn answer<T: Serialize + Send + 'static>(
    st: &Shared,
    f: impl FnOnce(&mut crate::search::Engine) -> Result<T, Result<UserError, SearchError>>
        + Send
        + 'static,
) -> Response {
    match with_engine(st, move |e, _| f(e)).await {
        Ok(Ok(v)) => json_response(StatusCode::OK, &v),
        Ok(Err(Ok(user))) => user.response(),
        Ok(Err(Err(e))) => server_error(e),
        Err(r) => r,
    }
}

pub async fn search(State(st): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let req = match Params::parse(raw.as_deref()).and_then(|p| p.search_request(&st.jurisdictions))
    {
        Ok(r) => r,
        Err(e) => return e.response(),
    };
    answer(&st, move |e| e.search(&req).map_err(from_search)).await
}

pub async fn situation(State(_st): State<Shared>) -> Response {
    error(StatusCode::NOT_IMPLEMENTED, "not available in this build")
}

fn id_of(p: Result<Path<String>, PathRejection>) -> Result<String, UserError> {
    match p {
        Ok(Path(id)) if !id.is_empty() && id.len() <= 1024 => Ok(id),
        Ok(_) => Err(UserError::bad("the id is empty or too long")),
        Err(e) => Err(UserError::bad(format!("bad id: {e}"))),
    }
}

pub async fn passage(
    State(st): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_of(id) {
        Ok(id) => id,
        Err(e) => return e.response(),
    };
    answer(&st, move |e| e.passage_view(&id).map_err(from_search)).await
}

pub async fn document(
    State(st): State<Shared>,
    id: Result<Path<String>, PathRejection>,
) -> Response {
    let id = match id_of(id) {
        Ok(id) => id,
        Err(e) => return e.response(),
    };
    answer(&st, move |e| match e.document_view(&id) {
        Ok(Some(v)) => Ok(v),
        Ok(None) => Err(Ok(UserError::not_found(format!(
            "no passages for document `{id}`; `cyberlex sources` lists the source ids"
        )))),
        Err(e) => Err(from_search(e)),
    })
    .await
}

pub async fn compare(State(st): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let req = match Params::parse(raw.as_deref()).and_then(|p| p.compare_request(&st.jurisdictions))
    {
        Ok(r) => r,
        Err(e) => return e.response(),
    };
    if req.query.is_empty() && req.article.is_none() && req.concepts.is_empty() {
        return UserError::bad("give q=QUERY, article=CODE:N or concept=ID").response();
    }
    answer(&st, move |e| e.compare(&req).map_err(from_compare)).await
}

pub async fn matrix(State(st): State<Shared>, RawQuery(raw): RawQuery) -> Response {
    let p = match Params::parse(raw.as_deref()) {
        Ok(p) => p,
        Err(e) => return e.response(),
    };
    let js = match p.jurisdictions(&st.jurisdictions) {
        Ok(j) => j,
        Err(e) => return e.response(),
    };
    answer(&st, move |e| {
        e.matrix(&js, &p.concept, p.all_kinds).map_err(from_compare)
    })
    .await
}

pub async fn openapi() -> Response {
    body_response(
        StatusCode::OK,
        "application/json",
        include_str!("assets/openapi.json").to_string(),
    )
}
