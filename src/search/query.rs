//! The query language: terms and connectors, as lawyers type them (Westlaw/Lexis style).
//!
//! ```text
//! illegal access                 ranked: passages with both words first, then with either
//! illegal AND access             both words required (also `&`)
//! access OR interception         either (also `|`)
//! computer -fraud                NOT (also `NOT`, `AND NOT`)
//! computer % fraud               but not (Westlaw): everything after `%` is excluded
//! "illegal access"               exact phrase;  "illegal access"~5  within 5 words, either order
//! access w/5 computer            within 5 words, either order;  pre/5: in this order
//! access /s password             same sentence;  /p same paragraph
//! access!  interfer*             root expander and wildcard (bounded expansion)
//! heading:access  citation:202a  title: jurisdiction: kind: lang: text:
//! (access OR entry) w/3 system   parentheses group
//! ```
//! Precedence, tightest first: connectors (`w/N`, `pre/N`, `/s`, `/p`), NOT, AND, words side by
//! side (ranked), OR, `%` (but not).

use std::fmt;

/// Limits that keep hostile queries bounded.
pub const MAX_QUERY_BYTES: usize = 4096;
pub const MAX_CLAUSES: usize = 256;
pub const MAX_DEPTH: usize = 32;

/// A field a clause may be restricted to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldName {
    Text,
    Heading,
    Citation,
    Title,
    Jurisdiction,
    Kind,
    Lang,
}

impl FieldName {
    fn parse(s: &str) -> Option<FieldName> {
        Some(match s.to_ascii_lowercase().as_str() {
            "text" | "body" => FieldName::Text,
            "heading" | "caption" => FieldName::Heading,
            "citation" | "cite" => FieldName::Citation,
            "title" => FieldName::Title,
            "jurisdiction" | "j" => FieldName::Jurisdiction,
            "kind" => FieldName::Kind,
            "lang" | "language" => FieldName::Lang,
            _ => return None,
        })
    }
    pub fn as_str(self) -> &'static str {
        match self {
            FieldName::Text => "text",
            FieldName::Heading => "heading",
            FieldName::Citation => "citation",
            FieldName::Title => "title",
            FieldName::Jurisdiction => "jurisdiction",
            FieldName::Kind => "kind",
            FieldName::Lang => "lang",
        }
    }
    pub const NAMES: &'static str = "text, heading, citation, title, jurisdiction, kind, lang";
}

/// How a single word matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordKind {
    Plain,
    /// `access!`: every word starting with the root.
    Root,
    /// `interfer*`, `da*en`: `*` any run of letters, `?` one letter.
    Wildcard,
}

/// The unit of a proximity connector.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    Words(u32),
    Sentence,
    Paragraph,
}

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Word {
        field: Option<FieldName>,
        text: String,
        kind: WordKind,
    },
    Phrase {
        field: Option<FieldName>,
        text: String,
        /// `"..."~N`: within N words in either order.
        slop: Option<u32>,
    },
    /// Words side by side: ranked, at least one must match, passages holding more of them first.
    Ranked(Vec<Node>),
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Near {
        left: Box<Node>,
        right: Box<Node>,
        unit: Unit,
        ordered: bool,
    },
}

/// A query that cannot be parsed: where, what, and how to fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} at character {}{}", position + 1, hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
pub struct QueryError {
    /// 0-based character position in the query.
    pub position: usize,
    pub message: String,
    pub hint: Option<String>,
}

impl QueryError {
    fn new(position: usize, message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        QueryError {
            position,
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The query with a caret under the position, for terminals.
    pub fn pointer(&self, query: &str) -> String {
        format!("  {query}\n  {}^", " ".repeat(self.position))
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Word(String),
    Phrase(String, Option<u32>),
    LParen,
    RParen,
    And,
    Or,
    Not,
    Minus,
    /// `%`: but not.
    ButNot,
    Near(Unit, bool),
    Field(FieldName),
}

struct Lexed {
    tok: Tok,
    pos: usize,
}

fn is_word_char(c: char) -> bool {
    !c.is_whitespace() && !matches!(c, '(' | ')' | '"' | '&' | '|' | '“' | '”' | '%')
}

fn lex(q: &str) -> Result<Vec<Lexed>, QueryError> {
    let chars: Vec<char> = q.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        match c {
            c if c.is_whitespace() => i += 1,
            '(' => {
                out.push(Lexed {
                    tok: Tok::LParen,
                    pos: i,
                });
                i += 1
            }
            ')' => {
                out.push(Lexed {
                    tok: Tok::RParen,
                    pos: i,
                });
                i += 1
            }
            '&' => {
                out.push(Lexed {
                    tok: Tok::And,
                    pos: i,
                });
                i += 1
            }
            '|' => {
                out.push(Lexed {
                    tok: Tok::Or,
                    pos: i,
                });
                i += 1
            }
            '%' => {
                out.push(Lexed {
                    tok: Tok::ButNot,
                    pos: i,
                });
                i += 1
            }
            '"' | '“' | '”' => {
                i += 1;
                let mut text = String::new();
                while i < chars.len() && !matches!(chars[i], '"' | '“' | '”') {
                    text.push(chars[i]);
                    i += 1;
                }
                if i >= chars.len() {
                    return Err(QueryError::new(
                        start,
                        "unbalanced quote: this phrase is never closed",
                        Some(format!("add a closing quote: {}\"", q.trim_end())),
                    ));
                }
                i += 1;
                let mut slop = None;
                if i < chars.len() && chars[i] == '~' {
                    let num_start = i + 1;
                    let mut j = num_start;
                    while j < chars.len() && chars[j].is_ascii_digit() {
                        j += 1;
                    }
                    let n: String = chars[num_start..j].iter().collect();
                    slop = Some(n.parse::<u32>().map_err(|_| {
                        QueryError::new(
                            i,
                            "`~` must be followed by a number of words",
                            Some("write \"illegal access\"~5".to_string()),
                        )
                    })?);
                    i = j;
                }
                if text.trim().is_empty() {
                    return Err(QueryError::new(
                        start,
                        "empty phrase",
                        Some("put words between the quotes".to_string()),
                    ));
                }
                out.push(Lexed {
                    tok: Tok::Phrase(text, slop),
                    pos: start,
                });
            }
            '-' if i + 1 < chars.len()
                && is_word_char(chars[i + 1])
                && chars[i + 1] != '-'
                // At the start of a token (`-fraud`, `(-fraud`, `a &-fraud`, `"a b"~3-c`): an
                // exclusion; inside a word (`154-A`) the word's lexing takes it.
                =>
            {
                out.push(Lexed {
                    tok: Tok::Minus,
                    pos: i,
                });
                i += 1
            }
            _ => {
                let mut j = i;
                loop {
                    while j < chars.len() && is_word_char(chars[j]) {
                        j += 1;
                    }
                    // `1030(a)(2)`: a parenthesised label glued to a word belongs to it.
                    if j > i && j < chars.len() && chars[j] == '(' && chars[j - 1].is_alphanumeric()
                        || j > i && j < chars.len() && chars[j] == '(' && chars[j - 1] == ')'
                    {
                        let close = (j + 1..chars.len().min(j + 6)).find(|&k| chars[k] == ')');
                        if let Some(k) = close.filter(|&k| {
                            k > j + 1 && chars[j + 1..k].iter().all(|c| c.is_alphanumeric())
                        }) {
                            j = k + 1;
                            continue;
                        }
                    }
                    break;
                }
                let word: String = chars[i..j].iter().collect();
                i = j;
                // field:  (the value follows, possibly after the colon directly)
                if let Some((name, rest)) = word.split_once(':') {
                    if let Some(f) = FieldName::parse(name) {
                        out.push(Lexed {
                            tok: Tok::Field(f),
                            pos: start,
                        });
                        if !rest.is_empty() {
                            out.push(Lexed {
                                tok: Tok::Word(rest.to_string()),
                                pos: start + name.chars().count() + 1,
                            });
                        }
                        continue;
                    } else if !name.is_empty()
                        && name.chars().all(|c| c.is_ascii_alphabetic())
                        && !rest.is_empty()
                        && !rest.starts_with('/')
                    {
                        return Err(QueryError::new(
                            start,
                            format!("unknown field `{name}`"),
                            Some(format!("known fields: {}", FieldName::NAMES)),
                        ));
                    }
                }
                let upper = word.to_ascii_uppercase();
                let tok = match upper.as_str() {
                    "AND" => Tok::And,
                    "OR" => Tok::Or,
                    "NOT" | "BUT" if upper == "NOT" => Tok::Not,
                    "/S" => Tok::Near(Unit::Sentence, false),
                    "/P" => Tok::Near(Unit::Paragraph, false),
                    _ => {
                        let lower = word.to_ascii_lowercase();
                        let num =
                            |p: &str| lower.strip_prefix(p).and_then(|n| n.parse::<u32>().ok());
                        if let Some(n) = num("w/").or_else(|| num("/")).or_else(|| num("near/")) {
                            Tok::Near(Unit::Words(n), false)
                        } else if let Some(n) = num("pre/") {
                            Tok::Near(Unit::Words(n), true)
                        } else if lower.starts_with("w/") || lower.starts_with("pre/") {
                            return Err(QueryError::new(
                                start,
                                format!("`{word}` needs a number of words"),
                                Some("write w/5 or pre/3".to_string()),
                            ));
                        } else {
                            Tok::Word(word)
                        }
                    }
                };
                // Punctuation standing alone (`§`, `–`, `...`) carries no term: skip it.
                if matches!(&tok, Tok::Word(w) if !w.chars().any(char::is_alphanumeric)) {
                    continue;
                }
                out.push(Lexed { tok, pos: start });
            }
        }
    }
    Ok(out)
}

struct Parser<'a> {
    toks: &'a [Lexed],
    i: usize,
    end: usize,
    depth: usize,
    clauses: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.i).map(|l| &l.tok)
    }
    fn pos(&self) -> usize {
        self.toks.get(self.i).map(|l| l.pos).unwrap_or(self.end)
    }

    /// `a % b`: a, but not b (Westlaw); binds loosest of all.
    fn but_not(&mut self) -> Result<Node, QueryError> {
        if self.peek() == Some(&Tok::ButNot) {
            return Err(QueryError::new(
                self.pos(),
                "`%` (but not) needs something on its left",
                Some("write `access % fraud`".to_string()),
            ));
        }
        let mut left = self.or()?;
        while self.peek() == Some(&Tok::ButNot) {
            let p = self.pos();
            self.i += 1;
            if matches!(self.peek(), None | Some(Tok::RParen) | Some(Tok::ButNot)) {
                return Err(QueryError::new(
                    p,
                    "`%` (but not) needs something on its right",
                    Some("write `access % fraud`".to_string()),
                ));
            }
            let right = self.or()?;
            // `a % b % c` is one conjunction (a AND NOT b AND NOT c), not a nesting per `%`:
            // printed, it reads back to the same tree however many exclusions follow.
            let not = Node::Not(Box::new(right));
            left = match left {
                Node::And(mut v) => {
                    v.push(not);
                    Node::And(v)
                }
                l => Node::And(vec![l, not]),
            };
        }
        Ok(left)
    }

    fn or(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and()?];
        while self.peek() == Some(&Tok::Or) {
            let p = self.pos();
            self.i += 1;
            if self.at_operand_end() {
                return Err(QueryError::new(
                    p,
                    "`OR` needs something on its right",
                    Some("remove it or add a term after it".to_string()),
                ));
            }
            items.push(self.and()?);
        }
        Ok(if items.len() == 1 {
            items.pop().unwrap()
        } else {
            Node::Or(items)
        })
    }

    fn at_operand_end(&self) -> bool {
        matches!(
            self.peek(),
            None | Some(Tok::RParen) | Some(Tok::Or) | Some(Tok::And) | Some(Tok::ButNot)
        )
    }

    /// `a AND b` binds tighter than juxtaposition: `a b AND c` is `a (b AND c)`, ranked.
    fn and(&mut self) -> Result<Node, QueryError> {
        let mut items = vec![self.and_chain()?];
        while !matches!(
            self.peek(),
            None | Some(Tok::Or) | Some(Tok::RParen) | Some(Tok::ButNot)
        ) {
            items.push(self.and_chain()?);
        }
        if items.iter().all(|n| matches!(n, Node::Not(_))) {
            return Err(exclusions_only());
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node::Ranked(items)
        })
    }

    fn and_chain(&mut self) -> Result<Node, QueryError> {
        if self.peek() == Some(&Tok::And) {
            return Err(QueryError::new(
                self.pos(),
                "`AND` needs something on its left",
                Some("remove it or add a term before it".to_string()),
            ));
        }
        let mut items = vec![self.unary()?];
        while self.peek() == Some(&Tok::And) {
            let p = self.pos();
            self.i += 1;
            if self.at_operand_end() {
                return Err(QueryError::new(
                    p,
                    "`AND` needs something on its right",
                    Some("remove it or add a term after it".to_string()),
                ));
            }
            items.push(self.unary()?);
        }
        if items.len() > 1 && items.iter().all(|n| matches!(n, Node::Not(_))) {
            return Err(exclusions_only());
        }
        Ok(if items.len() == 1 {
            items.pop().expect("one item")
        } else {
            Node::And(items)
        })
    }

    fn unary(&mut self) -> Result<Node, QueryError> {
        if matches!(self.peek(), Some(Tok::Not) | Some(Tok::Minus)) {
            let p = self.pos();
            self.i += 1;
            if self.at_operand_end() {
                return Err(QueryError::new(
                    p,
                    "`NOT` needs a term to exclude",
                    Some("write `access NOT fraud`".to_string()),
                ));
            }
            return Ok(Node::Not(Box::new(self.unary()?)));
        }
        self.near()
    }

    fn near(&mut self) -> Result<Node, QueryError> {
        let mut left = self.primary()?;
        while let Some(Tok::Near(unit, ordered)) = self.peek().cloned() {
            let p = self.pos();
            self.i += 1;
            if self.at_operand_end() || matches!(self.peek(), Some(Tok::Near(..))) {
                return Err(QueryError::new(
                    p,
                    "a proximity connector needs a term on each side",
                    Some("write `access w/5 computer`".to_string()),
                ));
            }
            let right = self.primary()?;
            left = Node::Near {
                left: Box::new(left),
                right: Box::new(right),
                unit,
                ordered,
            };
        }
        Ok(left)
    }

    fn primary(&mut self) -> Result<Node, QueryError> {
        self.clauses += 1;
        if self.clauses > MAX_CLAUSES {
            return Err(QueryError::new(
                self.pos(),
                format!("the query has more than {MAX_CLAUSES} clauses"),
                Some("split it into several searches".to_string()),
            ));
        }
        let p = self.pos();
        let Some(tok) = self.peek().cloned() else {
            return Err(QueryError::new(
                p,
                "the query ends where a term was expected",
                Some("add a term or remove the trailing operator".to_string()),
            ));
        };
        self.i += 1;
        match tok {
            Tok::LParen => {
                // A group is not a clause of its own (its terms are): printing adds parentheses
                // where precedence needs them (`a % b & -c` prints as `a AND NOT (b AND NOT c)`),
                // so counting groups would make a printed query longer than the one it came from.
                self.clauses -= 1;
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(QueryError::new(
                        p,
                        format!("parentheses nest deeper than {MAX_DEPTH}"),
                        None,
                    ));
                }
                if self.peek() == Some(&Tok::RParen) {
                    return Err(QueryError::new(
                        p,
                        "empty parentheses",
                        Some("put terms inside or remove them".to_string()),
                    ));
                }
                let inner = self.but_not()?;
                if self.peek() != Some(&Tok::RParen) {
                    return Err(QueryError::new(
                        p,
                        "unbalanced parenthesis: this `(` is never closed",
                        Some("add a `)`".to_string()),
                    ));
                }
                self.i += 1;
                self.depth -= 1;
                Ok(inner)
            }
            Tok::RParen => Err(QueryError::new(
                p,
                "unbalanced parenthesis: `)` without a matching `(`",
                Some("remove it or add a `(` before".to_string()),
            )),
            Tok::Field(f) => {
                if matches!(
                    self.peek(),
                    None | Some(Tok::RParen) | Some(Tok::Or) | Some(Tok::And)
                ) {
                    return Err(QueryError::new(
                        p,
                        format!("`{}:` needs a value", f.as_str()),
                        Some(format!("write {}:access", f.as_str())),
                    ));
                }
                match self.peek() {
                    Some(Tok::Field(_)) => {
                        return Err(QueryError::new(
                            self.pos(),
                            format!("`{}:` is followed by another field", f.as_str()),
                            Some(format!("give one field per term: {}:access", f.as_str())),
                        ))
                    }
                    Some(Tok::Not | Tok::Minus) => {
                        return Err(QueryError::new(
                            self.pos(),
                            format!("`{}:` cannot take an exclusion", f.as_str()),
                            Some(format!(
                                "write the exclusion before the field: NOT {}:fraud",
                                f.as_str()
                            )),
                        ))
                    }
                    _ => {}
                }
                // The field and its value are one clause: printing a query distributes the field
                // over the value's words, so counting both would make the printed form longer.
                self.clauses -= 1;
                let inner = self.primary()?;
                Ok(with_field(inner, f))
            }
            Tok::Phrase(text, slop) => Ok(Node::Phrase {
                field: None,
                text,
                slop,
            }),
            Tok::Word(w) => word(&w, p),
            Tok::And | Tok::Or | Tok::ButNot => Err(QueryError::new(
                p,
                "an operator cannot start a query or follow another operator",
                Some("remove it".to_string()),
            )),
            // `unary` takes a leading NOT; here it follows a proximity connector (`a w/5 NOT b`).
            Tok::Not | Tok::Minus => Err(QueryError::new(
                p,
                "a proximity connector cannot take an exclusion",
                Some("exclude outside the connector: `access w/5 computer NOT fraud`".to_string()),
            )),
            Tok::Near(..) => Err(QueryError::new(
                p,
                "a proximity connector needs a term on its left",
                Some("write `access w/5 computer`".to_string()),
            )),
        }
    }
}

fn exclusions_only() -> QueryError {
    QueryError::new(
        0,
        "a query cannot consist only of exclusions",
        Some("add a term to search for, e.g. `access -fraud`".to_string()),
    )
}

fn word(w: &str, pos: usize) -> Result<Node, QueryError> {
    let (text, kind) = if let Some(root) = w.strip_suffix('!') {
        (root.to_string(), WordKind::Root)
    } else if w.contains('*') || w.contains('?') {
        (w.to_string(), WordKind::Wildcard)
    } else {
        (w.to_string(), WordKind::Plain)
    };
    if kind != WordKind::Plain {
        let fixed: String = text.chars().filter(|c| c.is_alphanumeric()).collect();
        if fixed.chars().count() < 3 {
            return Err(QueryError::new(
                pos,
                format!("`{w}` would expand to too many words"),
                Some("give at least 3 letters before `!` or `*`".to_string()),
            ));
        }
        if text.contains('!') {
            return Err(QueryError::new(
                pos,
                "`!` is only allowed at the end of a word",
                None,
            ));
        }
    }
    if !text.chars().any(|c| c.is_alphanumeric()) {
        return Err(QueryError::new(
            pos,
            format!("`{w}` holds no letters or digits"),
            Some("remove it".to_string()),
        ));
    }
    Ok(Node::Word {
        field: None,
        text,
        kind,
    })
}

fn with_field(node: Node, f: FieldName) -> Node {
    match node {
        Node::Word { text, kind, .. } => Node::Word {
            field: Some(f),
            text,
            kind,
        },
        Node::Phrase { text, slop, .. } => Node::Phrase {
            field: Some(f),
            text,
            slop,
        },
        Node::And(v) => Node::And(v.into_iter().map(|n| with_field(n, f)).collect()),
        Node::Ranked(v) => Node::Ranked(v.into_iter().map(|n| with_field(n, f)).collect()),
        Node::Or(v) => Node::Or(v.into_iter().map(|n| with_field(n, f)).collect()),
        Node::Not(n) => Node::Not(Box::new(with_field(*n, f))),
        Node::Near {
            left,
            right,
            unit,
            ordered,
        } => Node::Near {
            left: Box::new(with_field(*left, f)),
            right: Box::new(with_field(*right, f)),
            unit,
            ordered,
        },
    }
}

/// Parse a query string.
pub fn parse(q: &str) -> Result<Node, QueryError> {
    if q.len() > MAX_QUERY_BYTES {
        return Err(QueryError::new(
            0,
            format!(
                "the query is {} bytes long; the limit is {MAX_QUERY_BYTES}",
                q.len()
            ),
            Some("shorten it".to_string()),
        ));
    }
    let toks = lex(q)?;
    if toks.is_empty() {
        return Err(QueryError::new(
            0,
            "the query is empty",
            Some("type some words, e.g. `illegal access`".to_string()),
        ));
    }
    let mut p = Parser {
        toks: &toks,
        i: 0,
        end: q.chars().count(),
        depth: 0,
        clauses: 0,
    };
    let node = p.but_not()?;
    if p.i < toks.len() {
        let pos = p.pos();
        return Err(match toks[p.i].tok {
            Tok::RParen => QueryError::new(
                pos,
                "unbalanced parenthesis: `)` without a matching `(`",
                Some("remove it or add a `(` before".to_string()),
            ),
            _ => QueryError::new(pos, "unexpected input", None),
        });
    }
    Ok(node)
}

impl Node {
    /// Binding strength, loosest first; a child binding looser than its parent needs parentheses.
    fn precedence(&self) -> u8 {
        match self {
            Node::Or(_) => 1,
            Node::Ranked(_) => 2,
            Node::And(_) => 3,
            Node::Not(_) => 4,
            Node::Near { .. } => 5,
            Node::Word { .. } | Node::Phrase { .. } => 6,
        }
    }

    fn fmt_child(&self, f: &mut fmt::Formatter<'_>, min: u8) -> fmt::Result {
        if self.precedence() < min {
            write!(f, "({self})")
        } else {
            write!(f, "{self}")
        }
    }
}

impl fmt::Display for Node {
    /// Prints a query that parses back to the same tree, with parentheses only where needed (so
    /// the printed form never nests deeper or holds more clauses than the query it came from).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let field =
            |fld: &Option<FieldName>| fld.map(|x| format!("{}:", x.as_str())).unwrap_or_default();
        let list = |f: &mut fmt::Formatter<'_>, v: &[Node], sep: &str, min: u8| {
            for (i, n) in v.iter().enumerate() {
                if i > 0 {
                    f.write_str(sep)?;
                }
                n.fmt_child(f, min)?;
            }
            Ok(())
        };
        match self {
            Node::Word {
                field: fl,
                text,
                kind,
            } => {
                write!(
                    f,
                    "{}{}{}",
                    field(fl),
                    text,
                    if *kind == WordKind::Root { "!" } else { "" }
                )
            }
            Node::Phrase {
                field: fl,
                text,
                slop,
            } => {
                write!(f, "{}\"{}\"", field(fl), text)?;
                if let Some(s) = slop {
                    write!(f, "~{s}")?;
                }
                Ok(())
            }
            Node::Or(v) => list(f, v, " OR ", 2),
            Node::Ranked(v) => list(f, v, " ", 3),
            Node::And(v) => list(f, v, " AND ", 4),
            Node::Not(n) => {
                f.write_str("NOT ")?;
                n.fmt_child(f, 4)
            }
            Node::Near {
                left,
                right,
                unit,
                ordered,
            } => {
                let c = match (unit, ordered) {
                    (Unit::Words(n), false) => format!("w/{n}"),
                    (Unit::Words(n), true) => format!("pre/{n}"),
                    (Unit::Sentence, _) => "/s".into(),
                    (Unit::Paragraph, _) => "/p".into(),
                };
                left.fmt_child(f, 5)?;
                write!(f, " {c} ")?;
                right.fmt_child(f, 6)
            }
        }
    }
}

/// An indented tree of the parsed query, for `--explain`.
pub fn explain_tree(node: &Node) -> String {
    fn go(n: &Node, depth: usize, out: &mut String) {
        let pad = "  ".repeat(depth);
        match n {
            Node::And(v) | Node::Or(v) | Node::Ranked(v) => {
                let name = match n {
                    Node::And(_) => "AND (all required)",
                    Node::Or(_) => "OR (any)",
                    _ => "RANKED (any; more matches rank higher)",
                };
                out.push_str(&format!("{pad}{name}\n"));
                for c in v {
                    go(c, depth + 1, out);
                }
            }
            Node::Not(c) => {
                out.push_str(&format!("{pad}NOT\n"));
                go(c, depth + 1, out);
            }
            Node::Near {
                left,
                right,
                unit,
                ordered,
            } => {
                let what = match unit {
                    Unit::Words(k) => format!(
                        "within {k} words{}",
                        if *ordered {
                            ", in order"
                        } else {
                            ", either order"
                        }
                    ),
                    Unit::Sentence => "same sentence".into(),
                    Unit::Paragraph => "same paragraph".into(),
                };
                out.push_str(&format!("{pad}NEAR ({what})\n"));
                go(left, depth + 1, out);
                go(right, depth + 1, out);
            }
            Node::Word { kind, .. } => {
                let k = match kind {
                    WordKind::Plain => "word",
                    WordKind::Root => "root",
                    WordKind::Wildcard => "wildcard",
                };
                out.push_str(&format!("{pad}{k} {n}\n"));
            }
            Node::Phrase { slop, .. } => {
                out.push_str(&format!(
                    "{pad}{} {n}\n",
                    if slop.is_some() {
                        "proximity phrase"
                    } else {
                        "phrase"
                    }
                ));
            }
        }
    }
    let mut s = String::new();
    go(node, 0, &mut s);
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(t: &str) -> Node {
        Node::Word {
            field: None,
            text: t.into(),
            kind: WordKind::Plain,
        }
    }

    #[test]
    fn parentheses_added_by_printing_do_not_count_as_clauses() {
        // 201 terms (found by the query fuzz target): `%` binds loosest, so each `% b & -c`
        // prints as `AND NOT (b AND NOT c)`; when groups counted as clauses, the printed form
        // had 301 of them and no longer parsed.
        let q = format!(
            "w0{}",
            (1..=100)
                .map(|i| format!(" % a{i} & -b{i}"))
                .collect::<String>()
        );
        let node = parse(&q).unwrap();
        let printed = node.to_string();
        assert!(printed.contains("AND NOT (a1 AND NOT b1)"), "{printed}");
        assert_eq!(parse(&printed).unwrap(), node);
        // Terms still count: 257 of them are refused, with or without parentheses.
        let many = (0..257).map(|i| format!("t{i}")).collect::<Vec<_>>();
        assert!(parse(&many.join(" ")).is_err());
        assert!(parse(&format!("({})", many.join(" "))).is_err());
        assert!(parse(&many[..256].join(" ")).is_ok());
    }

    #[test]
    fn but_not_chains_are_one_conjunction_that_prints_back() {
        let not = |n: Node| Node::Not(Box::new(n));
        assert_eq!(
            parse("a % b % c").unwrap(),
            Node::And(vec![w("a"), not(w("b")), not(w("c"))])
        );
        // 34 exclusions (found by the query fuzz target): printed, it nested one pair of
        // parentheses per `%`, past the depth limit, and no longer parsed.
        let q = format!(
            "a {}",
            (0..34)
                .map(|i| format!("%b{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let node = parse(&q).unwrap();
        assert_eq!(parse(&node.to_string()).unwrap(), node);
    }

    #[test]
    fn ranked_and_or_not_and_precedence() {
        let ranked = |v: Vec<Node>| Node::Ranked(v);
        assert_eq!(
            parse("illegal access").unwrap(),
            ranked(vec![w("illegal"), w("access")])
        );
        assert_eq!(
            parse("illegal AND access").unwrap(),
            Node::And(vec![w("illegal"), w("access")])
        );
        assert_eq!(
            parse("a b OR c").unwrap(),
            Node::Or(vec![ranked(vec![w("a"), w("b")]), w("c")])
        );
        assert_eq!(
            parse("a b AND c").unwrap(),
            ranked(vec![w("a"), Node::And(vec![w("b"), w("c")])])
        );
        assert_eq!(
            parse("access -fraud").unwrap(),
            ranked(vec![w("access"), Node::Not(Box::new(w("fraud")))])
        );
        assert_eq!(parse("a & b | c").unwrap(), parse("a AND b OR c").unwrap());
        // `%`: everything after it is excluded, whatever it holds.
        assert_eq!(
            parse("a b % c OR d").unwrap(),
            Node::And(vec![
                ranked(vec![w("a"), w("b")]),
                Node::Not(Box::new(Node::Or(vec![w("c"), w("d")])))
            ])
        );
        assert!(parse("a %").is_err());
        assert!(parse("% a").is_err());
        assert_eq!(
            parse("(a OR b) c").unwrap(),
            ranked(vec![Node::Or(vec![w("a"), w("b")]), w("c")])
        );
    }

    #[test]
    fn phrases_connectors_fields_and_expanders() {
        assert_eq!(
            parse("\"illegal access\"~5").unwrap(),
            Node::Phrase {
                field: None,
                text: "illegal access".into(),
                slop: Some(5)
            }
        );
        assert_eq!(
            parse("access w/5 computer").unwrap(),
            Node::Near {
                left: Box::new(w("access")),
                right: Box::new(w("computer")),
                unit: Unit::Words(5),
                ordered: false
            }
        );
        assert!(matches!(
            parse("a pre/3 b").unwrap(),
            Node::Near { ordered: true, .. }
        ));
        assert!(matches!(
            parse("a /s b").unwrap(),
            Node::Near {
                unit: Unit::Sentence,
                ..
            }
        ));
        assert!(matches!(
            parse("a /p b").unwrap(),
            Node::Near {
                unit: Unit::Paragraph,
                ..
            }
        ));
        assert_eq!(
            parse("heading:access").unwrap(),
            Node::Word {
                field: Some(FieldName::Heading),
                text: "access".into(),
                kind: WordKind::Plain
            }
        );
        assert_eq!(
            parse("access!").unwrap(),
            Node::Word {
                field: None,
                text: "access".into(),
                kind: WordKind::Root
            }
        );
        assert!(matches!(
            parse("interfer*").unwrap(),
            Node::Word {
                kind: WordKind::Wildcard,
                ..
            }
        ));
        // Hyphenated words and citations stay words.
        assert_eq!(parse("154-A").unwrap(), w("154-A"));
        assert_eq!(parse("1030(a)(2)").unwrap(), w("1030(a)(2)"));
        assert_eq!(parse("(a OR b)").unwrap(), Node::Or(vec![w("a"), w("b")]));
    }

    #[test]
    fn errors_point_at_the_problem() {
        let e = parse("\"illegal access").unwrap_err();
        assert_eq!(e.position, 0);
        assert!(e.message.contains("unbalanced quote"), "{e}");
        let e = parse("(access OR entry").unwrap_err();
        assert!(e.message.contains("never closed"), "{e}");
        let e = parse("access)").unwrap_err();
        assert_eq!(e.position, 6);
        assert!(parse("access AND").unwrap_err().message.contains("AND"));
        assert!(parse("foo:bar")
            .unwrap_err()
            .message
            .contains("unknown field"));
        assert!(parse("a*").unwrap_err().message.contains("too many"));
        assert!(parse("-fraud")
            .unwrap_err()
            .message
            .contains("only of exclusions"));
        assert!(parse("").is_err());
        assert!(parse(&"(".repeat(100)).is_err());
        assert!(parse(&"x ".repeat(5000)).is_err());
    }

    #[test]
    fn printing_round_trips() {
        for q in [
            "illegal access",
            "a OR b c",
            "a AND b c",
            "x -y AND z",
            "\"x y\"~3 w/5 z",
            "heading:access -fraud",
            "access! pre/2 (data OR system)",
            "a b % c OR d",
        ] {
            let n = parse(q).unwrap();
            assert_eq!(parse(&n.to_string()).unwrap(), n, "{q} → {n}");
        }
    }
}
