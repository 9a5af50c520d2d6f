//! `segment`: text with structure → passages with citations.
//!
//! A passage is what a lawyer cites: one article, section or §, with its citation as a lawyer
//! writes it (`Art. 2`, `§ 202a`, `s. 3`), its caption, the hierarchy above it (Part > Chapter >
//! Section) and its language. How a source marks its provisions is data: a [`Profile`] in
//! `corpus/profiles.toml` holds regular expressions for provision starts, containers (chapters,
//! parts), captions, language switches and junk (page headers, line numbers). Sources without
//! provisions (statements, analyses) are cut at their headings and into paragraphs of a sensible
//! size, cited `¶ N`.

pub mod numerals;
mod profile;

pub use profile::{Profile, Profiles, Role, Rule};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::corpus::Source;
use crate::extract::{BlockKind, Document};

/// One citable unit of a document: the unit of indexing and of search results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Passage {
    /// Stable id, `<doc_id>/<slug>` (`de-stgb/202a`, `coe-budapest-convention-2001/nl/2`).
    pub passage_id: String,
    pub doc_id: String,
    pub title: String,
    pub jurisdiction: String,
    pub kind: String,
    pub language: String,
    /// As a lawyer writes it: `Art. 2`, `§ 202a`, `s. 3`, `18 U.S.C. § 1030`, `¶ 4`.
    pub citation: String,
    /// The provision's caption (`Illegal access`), or the section heading for prose.
    pub heading: String,
    /// The hierarchy above the passage, outermost first.
    pub path: Vec<String>,
    pub text: String,
    /// 1-based position in the document.
    pub ordinal: u32,
    /// Where to read it: the canonical URL, with an anchor where the source has one.
    pub url: String,
    /// The label exactly as the source writes it (`第二百八十五条`, `Artikel 138ab`), kept searchable.
    #[serde(default)]
    pub label: String,
    /// Year of the document (adoption or publication), for `--since`.
    #[serde(default)]
    pub year: Option<u16>,
}

/// The passages of one document and how much of its body they hold.
#[derive(Debug, Clone)]
pub struct Segmented {
    pub doc_id: String,
    pub passages: Vec<Passage>,
    /// Non-whitespace characters of the extracted body (junk dropped by the profile excluded).
    pub body_chars: usize,
    /// Of those, how many landed in a passage (text, caption, label or hierarchy path).
    pub covered_chars: usize,
}

impl Segmented {
    pub fn coverage(&self) -> f64 {
        if self.body_chars == 0 {
            1.0
        } else {
            self.covered_chars as f64 / self.body_chars as f64
        }
    }
}

fn visible_len(s: &str) -> usize {
    s.chars().filter(|c| !c.is_whitespace()).count()
}

/// Segment one extracted document of `source` with its profile.
pub fn segment(source: &Source, doc: &Document, profiles: &Profiles) -> Segmented {
    let profile = profiles.for_source(source);
    let doc_id = match &doc.member {
        Some(m) => format!("{}/{}", source.id, m),
        None => source.id.clone(),
    };
    let title = doc.title.clone().unwrap_or_else(|| source.title.clone());
    let mut b = Builder::new(source, &doc_id, title, profile);
    for block in &doc.blocks {
        b.push(block);
    }
    b.finish()
}

struct Draft {
    citation: String,
    slug: String,
    label: String,
    heading: String,
    awaiting_caption: bool,
    path: Vec<String>,
    lang: String,
    text: String,
    prose: bool,
}

struct Builder<'a> {
    source: &'a Source,
    doc_id: &'a str,
    title: String,
    profile: &'a Profile,
    lang: String,
    path: Vec<(u8, String)>,
    container_awaiting_caption: bool,
    current: Option<Draft>,
    passages: Vec<Passage>,
    slugs: HashMap<String, u32>,
    body_chars: usize,
    covered_chars: usize,
    paragraph_no: u32,
    last_heading: String,
    seen_provision: bool,
}

impl<'a> Builder<'a> {
    fn new(source: &'a Source, doc_id: &'a str, title: String, profile: &'a Profile) -> Self {
        Builder {
            source,
            doc_id,
            title,
            profile,
            lang: source.language.clone(),
            path: Vec::new(),
            container_awaiting_caption: false,
            current: None,
            passages: Vec::new(),
            slugs: HashMap::new(),
            body_chars: 0,
            covered_chars: 0,
            paragraph_no: 0,
            last_heading: String::new(),
            seen_provision: false,
        }
    }

    fn path_strings(&self) -> Vec<String> {
        self.path.iter().map(|(_, s)| s.clone()).collect()
    }

    fn push(&mut self, block: &crate::extract::Block) {
        let text = self.profile.clean(&block.text);
        if text.trim().is_empty() || self.profile.is_junk(&text) {
            return;
        }
        let len = visible_len(&text);
        self.body_chars += len;
        if let Some(lang) = &block.lang {
            self.lang = lang.clone();
        }

        if let Some(marker) = &block.marker {
            self.flush();
            self.seen_provision = true;
            let body = if text == marker.label || text == marker.citation {
                String::new()
            } else {
                text.clone()
            };
            self.covered_chars += len;
            self.current = Some(Draft {
                citation: marker.citation.clone(),
                slug: slugify(&marker.label),
                label: marker.label.clone(),
                heading: marker.caption.clone().unwrap_or_default(),
                awaiting_caption: false,
                path: self.path_strings(),
                lang: self.lang.clone(),
                text: body,
                prose: false,
            });
            return;
        }

        if let Some(hit) = self.profile.match_rule(block.kind, block.level, &text) {
            if let Some(l) = &hit.rule.lang {
                self.lang = l.clone();
            }
            match hit.rule.role {
                Role::Provision => {
                    self.flush();
                    self.seen_provision = true;
                    self.covered_chars += len;
                    let caption = hit.caption.unwrap_or_default();
                    self.current = Some(Draft {
                        awaiting_caption: hit.rule.caption_next && caption.is_empty(),
                        citation: hit.citation,
                        slug: slugify(&hit.slug),
                        label: hit.matched.trim().to_string(),
                        heading: caption,
                        path: self.path_strings(),
                        lang: self.lang.clone(),
                        text: hit.rest.trim().to_string(),
                        prose: false,
                    });
                    return;
                }
                Role::Container => {
                    self.flush();
                    self.covered_chars += len;
                    let level = hit.rule.level;
                    self.path.retain(|(l, _)| *l < level);
                    self.path.push((level, text.clone()));
                    self.container_awaiting_caption = hit.rule.caption_next;
                    return;
                }
                Role::Language => {
                    // A language switch that is otherwise ordinary text: keep it in the flow.
                }
            }
        }

        // A heading right after a provision start or a container is its caption.
        if block.kind == BlockKind::Heading {
            if let Some(d) = self.current.as_mut() {
                if d.awaiting_caption && d.text.is_empty() {
                    d.heading = text.clone();
                    d.awaiting_caption = false;
                    self.covered_chars += len;
                    return;
                }
            }
            if self.container_awaiting_caption && self.current.is_none() {
                if let Some((_, last)) = self.path.last_mut() {
                    last.push_str(" — ");
                    last.push_str(&text);
                }
                self.container_awaiting_caption = false;
                self.covered_chars += len;
                return;
            }
        }
        self.container_awaiting_caption = false;
        if let Some(d) = self.current.as_mut() {
            d.awaiting_caption = false;
        }

        // Prose: outside any provision, headings cut passages and long runs are split.
        let in_provision = self.current.as_ref().is_some_and(|d| !d.prose);
        if !in_provision {
            if block.kind == BlockKind::Heading {
                self.flush();
                self.last_heading = text.clone();
                self.covered_chars += len;
                return;
            }
            self.paragraph_no += 1;
            let too_long = self
                .current
                .as_ref()
                .is_some_and(|d| d.text.len() + text.len() > self.profile.max_chars);
            if too_long {
                self.flush();
            }
            if self.current.is_none() {
                let (citation, slug) = if !self.seen_provision && self.profile.front.is_some() {
                    let front = self.profile.front.clone().unwrap_or_default();
                    (front.clone(), slugify(&front))
                } else {
                    (format!("¶ {}", self.paragraph_no), format!("p{}", self.paragraph_no))
                };
                self.current = Some(Draft {
                    citation,
                    slug,
                    label: String::new(),
                    heading: self.last_heading.clone(),
                    awaiting_caption: false,
                    path: self.path_strings(),
                    lang: self.lang.clone(),
                    text: String::new(),
                    prose: true,
                });
            }
        }
        let d = self.current.as_mut().expect("a draft exists here");
        if !d.text.is_empty() {
            d.text.push('\n');
        }
        d.text.push_str(&text);
        self.covered_chars += len;
    }

    fn flush(&mut self) {
        let Some(mut d) = self.current.take() else {
            return;
        };
        if d.text.trim().is_empty() {
            if d.heading.trim().is_empty() {
                // A bare label with nothing under it: keep it findable rather than lose it.
                if d.label.is_empty() {
                    return;
                }
                d.text = d.label.clone();
            } else {
                d.text = d.heading.clone();
            }
        }
        let mut slug = if d.lang != self.source.language {
            format!("{}/{}", d.lang, d.slug)
        } else {
            d.slug.clone()
        };
        let n = self.slugs.entry(slug.clone()).or_insert(0);
        *n += 1;
        if *n > 1 {
            slug = format!("{slug}_{n}");
        }
        let ordinal = self.passages.len() as u32 + 1;
        let url = self.profile.url_for(self.source, &d.slug);
        self.passages.push(Passage {
            passage_id: format!("{}/{}", self.doc_id, slug),
            doc_id: self.doc_id.to_string(),
            title: self.title.clone(),
            jurisdiction: self.source.jurisdiction.clone(),
            kind: self.source.kind.clone(),
            language: d.lang,
            citation: d.citation,
            heading: d.heading,
            path: d.path,
            text: d.text,
            ordinal,
            url,
            label: d.label,
            year: self.source.year(),
        });
    }

    fn finish(mut self) -> Segmented {
        self.flush();
        Segmented {
            doc_id: self.doc_id.to_string(),
            passages: self.passages,
            body_chars: self.body_chars,
            covered_chars: self.covered_chars,
        }
    }
}

/// `§ 202a` → `202a`, `Art. 154-A` → `154-a`, `Preamble` → `preamble`.
pub fn slugify(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() || c == '.' {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    while out.ends_with('-') || out.ends_with('.') {
        out.pop();
    }
    if out.is_empty() {
        out.push('x');
    }
    out
}

#[cfg(test)]
mod tests;
