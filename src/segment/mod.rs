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
pub mod renumber;
pub mod split;

pub use profile::{profile_source, Profile, Profiles, Role, Rule};

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::corpus::Source;
use crate::extract::{BlockKind, Document};

/// The longest text a passage holds, in bytes: a longer provision is split at its subsections
/// (`§ 2511(1)`, `§ 2511(2)`), else into parts, so no single passage dominates the cost of a query.
pub const MAX_PASSAGE_BYTES: usize = 8000;

/// One citable unit of a document: the unit of indexing and of search results.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
    /// Concepts of the crosswalk taxonomy this passage is tagged with (set at index time).
    #[serde(default)]
    pub concepts: Vec<String>,
    /// Date of the version the source holds (the manifest's `date`: `2014-06-27`, `2001`).
    #[serde(default)]
    pub version_date: Option<String>,
    /// The manifest's completeness note (`yes`, `partial (…)`, `yes (single article; outdated version)`).
    #[serde(default)]
    pub completeness: String,
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
///
/// The passage title is the manifest's title for a source's own document (curated), and the
/// document's own title (else the manifest's) for a member of a bulk archive.
pub fn segment(source: &Source, doc: &Document, profiles: &Profiles) -> Segmented {
    let profile = profiles.for_source(source);
    let doc_id = match &doc.member {
        Some(m) => format!("{}/{}", source.id, m),
        None => source.id.clone(),
    };
    let title = match &doc.member {
        Some(_) => doc.title.clone().unwrap_or_else(|| source.title.clone()),
        None => source.title.clone(),
    };
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
    caption_any: bool,
    caption_cont: Option<regex::Regex>,
    path: Vec<String>,
    lang: String,
    text: String,
    prose: bool,
    /// The last block appended to `text` was this heading (it may be the next provision's caption).
    trailing_heading: Option<String>,
    /// … and it was a heading (not a caption-like paragraph).
    trailing_is_heading: bool,
}

/// The state of one language of a document. Documents whose languages alternate (a gazette with
/// English and Afrikaans pages) are cut into one stream per language, and each stream goes on where
/// it left off; passages come out language by language, in order of first appearance.
struct Stream {
    lang: String,
    path: Vec<(u8, String)>,
    container_awaiting_caption: bool,
    container_caption_any: bool,
    current: Option<Draft>,
    passages: Vec<Passage>,
    paragraph_no: u32,
    last_heading: String,
    /// The last block of this stream was a heading that went to `last_heading`.
    prev_heading: bool,
    seen_provision: bool,
    /// Citation and slug prefixes of the enclosing scope provision.
    scope: Option<(String, String)>,
    /// The caption of the enclosing scope provision, for the provisions inside it that have none.
    scope_heading: String,
    /// A scope provision that is only a heading (`B. Identity Theft`) above provisions with
    /// captions of their own: it goes into their path instead of being a passage.
    scope_path: Option<String>,
    /// The last label accepted by a `sequence` rule inside the current scope.
    last_in_sequence: Option<String>,
    /// Captions by provision slug, from the table of contents (`contents_captions`).
    contents_captions: HashMap<String, String>,
    /// The caption of the table of contents still wrapping onto the next line.
    contents_open: Option<String>,
}

impl Stream {
    fn new(lang: &str) -> Stream {
        Stream {
            lang: lang.to_string(),
            path: Vec::new(),
            container_awaiting_caption: false,
            container_caption_any: false,
            current: None,
            passages: Vec::new(),
            paragraph_no: 0,
            last_heading: String::new(),
            prev_heading: false,
            seen_provision: false,
            scope: None,
            scope_heading: String::new(),
            scope_path: None,
            last_in_sequence: None,
            contents_captions: HashMap::new(),
            contents_open: None,
        }
    }

    fn path_strings(&self) -> Vec<String> {
        let mut p: Vec<String> = self.path.iter().map(|(_, s)| s.clone()).collect();
        if self.scope.is_some() {
            p.extend(self.scope_path.clone());
        }
        p
    }
}

struct Builder<'a> {
    source: &'a Source,
    doc_id: &'a str,
    title: String,
    profile: &'a Profile,
    streams: Vec<Stream>,
    active: usize,
    slugs: HashMap<String, u32>,
    occurrences: HashMap<usize, u32>,
    body_chars: usize,
    covered_chars: usize,
    skipping: bool,
    stopped: bool,
    /// Inside a table of contents (`contents` in the profile): its blocks are not the text.
    in_contents: bool,
    /// The last heading of the table of contents: it may be the first provision's caption.
    contents_last: Option<crate::extract::Block>,
    /// Captions too short to tell their language, waiting for the next block that can be told
    /// (a caption belongs to what follows it).
    pending: Vec<crate::extract::Block>,
    /// Hashes of the drafts already emitted (language, citation, heading, text).
    drafts_seen: std::collections::HashSet<u64>,
}

/// `(Autorizzazione alla ratifica)` → `Autorizzazione alla ratifica`.
fn unparen(s: &str) -> String {
    let t = s.trim();
    for (o, c) in [('(', ')'), ('（', '）')] {
        if let Some(inner) = t.strip_prefix(o).and_then(|x| x.strip_suffix(c)) {
            if !inner.contains(o) && !inner.contains(c) {
                return inner.trim().to_string();
            }
        }
    }
    t.to_string()
}

impl<'a> Builder<'a> {
    fn new(source: &'a Source, doc_id: &'a str, title: String, profile: &'a Profile) -> Self {
        Builder {
            source,
            doc_id,
            title,
            profile,
            streams: vec![Stream::new(&source.language)],
            active: 0,
            slugs: HashMap::new(),
            occurrences: HashMap::new(),
            body_chars: 0,
            covered_chars: 0,
            skipping: profile.skip_until.is_some(),
            stopped: false,
            in_contents: false,
            contents_last: None,
            pending: Vec::new(),
            drafts_seen: std::collections::HashSet::new(),
        }
    }

    fn st(&mut self) -> &mut Stream {
        &mut self.streams[self.active]
    }

    fn switch_lang(&mut self, lang: &str) {
        if self.streams[self.active].lang == lang {
            return;
        }
        match self.streams.iter().position(|s| s.lang == lang) {
            Some(i) => self.active = i,
            None => {
                self.streams.push(Stream::new(lang));
                self.active = self.streams.len() - 1;
            }
        }
    }

    fn push(&mut self, block: &crate::extract::Block) {
        if self.stopped {
            return;
        }
        if self.skipping {
            let re = self
                .profile
                .skip_until
                .as_ref()
                .expect("skipping needs skip_until");
            if !re.is_match(block.text.trim()) {
                return;
            }
            self.skipping = false;
            if self.profile.skip_through {
                return;
            }
        }
        if self
            .profile
            .stop_at
            .as_ref()
            .is_some_and(|re| re.is_match(block.text.trim()))
        {
            self.stopped = true;
            return;
        }
        let text = self.profile.clean(&block.text);
        if text.trim().is_empty() || self.profile.is_junk(&text) {
            return;
        }
        if self.in_contents
            || self
                .profile
                .contents
                .as_ref()
                .is_some_and(|re| re.is_match(text.trim()))
        {
            let profile = self.profile;
            if let Some(end) = &profile.contents_end {
                // With an explicit end, only that block ends the table of contents.
                if !end.is_match(text.trim()) {
                    self.in_contents = true;
                    self.note_contents_caption(&text);
                    return;
                }
                self.in_contents = false;
                self.contents_last = None;
                self.st().contents_open = None;
                return self.push_text(block, text);
            }
            // A table of contents lasts until the first block that starts a provision or a
            // container (rules that apply before the first provision only); its last heading is
            // that provision's caption.
            let starts = block.marker.is_some()
                || self
                    .profile
                    .match_rule_n(
                        block.kind,
                        block.level,
                        &text,
                        self.streams[self.active].seen_provision,
                        |_| 0,
                    )
                    .is_some_and(|h| h.rule.role != Role::Language);
            if !starts {
                self.in_contents = true;
                self.contents_last = (block.kind == BlockKind::Heading).then(|| block.clone());
                self.note_contents_caption(&text);
                return;
            }
            self.in_contents = false;
            self.st().contents_open = None;
            if let Some(last) = self.contents_last.take() {
                self.push(&last);
            }
        }
        self.push_text(block, text);
    }

    /// A line of the table of contents: `3. Unauthorised access to computer material.` is the
    /// caption of s. 3 (`contents_captions`); a caption wrapped onto the next line goes on there.
    fn note_contents_caption(&mut self, text: &str) {
        let Some(re) = &self.profile.contents_captions else {
            return;
        };
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let st = &mut self.streams[self.active];
        if let Some(c) = re.captures(&text) {
            let (Some(num), Some(caption)) = (c.name("num"), c.name("caption")) else {
                return;
            };
            let key = slugify(&numerals::normalize_label(num.as_str()));
            let caption = caption.as_str().trim().to_string();
            st.contents_open = (!caption.ends_with('.')).then(|| key.clone());
            st.contents_captions.insert(key, caption);
        } else if let Some(key) = st.contents_open.clone() {
            if let Some(c) = st.contents_captions.get_mut(&key) {
                c.push(' ');
                c.push_str(&text);
                if c.ends_with('.') {
                    st.contents_open = None;
                }
            }
        }
    }

    fn push_text(&mut self, block: &crate::extract::Block, text: String) {
        if block.lang.is_none() && block.marker.is_none() && self.profile.detect.len() >= 2 {
            match self.profile.detect_lang(&text) {
                Some(lang) => {
                    let lang = lang.to_string();
                    self.switch_lang(&lang);
                    for b in std::mem::take(&mut self.pending) {
                        self.process(&b, self.profile.clean(&b.text));
                    }
                }
                None if block.kind == BlockKind::Heading || caption_like(&text) => {
                    self.pending.push(block.clone());
                    return;
                }
                None => {}
            }
        }
        self.process(block, text);
    }

    fn process(&mut self, block: &crate::extract::Block, text: String) {
        let len = visible_len(&text);
        self.body_chars += len;
        if let Some(lang) = &block.lang {
            self.switch_lang(lang);
        }

        if let Some(marker) = &block.marker {
            let caption = marker
                .caption
                .as_deref()
                .map(|c| self.profile.caption(c))
                .unwrap_or_default();
            self.flush();
            let st = self.st();
            st.seen_provision = true;
            st.prev_heading = false;
            let body = if text == marker.label || text == marker.citation {
                String::new()
            } else {
                text.clone()
            };
            let draft = Draft {
                citation: marker.citation.clone(),
                slug: slugify(&marker.label),
                label: marker.label.clone(),
                heading: caption,
                awaiting_caption: false,
                caption_any: false,
                caption_cont: None,
                path: st.path_strings(),
                lang: st.lang.clone(),
                text: body,
                prose: false,
                trailing_heading: None,
                trailing_is_heading: false,
            };
            st.current = Some(draft);
            self.covered_chars += len;
            return;
        }

        let profile = self.profile;
        let occurrences = &mut self.occurrences;
        let seen = self.streams[self.active].seen_provision;
        let container = self.streams[self.active]
            .path
            .last()
            .map(|(_, t)| t.clone())
            .unwrap_or_default();
        let hit =
            profile.match_rule_within(block.kind, block.level, &text, seen, &container, |i| {
                let n = occurrences.entry(i).or_insert(0);
                *n += 1;
                *n
            });
        // A block awaited as a caption is not matched by a `not_caption` rule.
        let awaited = {
            let st = &self.streams[self.active];
            (st.container_awaiting_caption && st.current.is_none())
                || st
                    .current
                    .as_ref()
                    .is_some_and(|d| d.awaiting_caption && d.text.is_empty())
        };
        let hit = hit.filter(|h| !(h.rule.not_caption && awaited));
        // A sequence starts only right at the top of its scope (`§ 1030.` then `(a) Whoever`): an
        // `(a)` after the section's own text is a paragraph inside it (`(1) … (a) …`).
        let hit = hit.filter(|h| {
            let st = &self.streams[self.active];
            let last = st.last_in_sequence.as_deref();
            !h.rule.sequence
                || (st.scope.is_some()
                    && next_in_sequence(last, &h.slug)
                    && (last.is_some()
                        || st
                            .current
                            .as_ref()
                            .is_some_and(|d| d.text.trim().is_empty())))
        });
        if let Some(hit) = hit {
            if let Some(l) = &hit.rule.lang {
                self.switch_lang(l);
            }
            let rule = hit.rule;
            match rule.role {
                Role::Provision => {
                    let (mut citation, mut slug) = (hit.citation.clone(), slugify(&hit.slug));
                    let mut container_caption = String::new();
                    if citation.contains("{container}") || slug.contains("container") {
                        container_caption = self
                            .st()
                            .path
                            .last()
                            .and_then(|(_, t)| t.split_once(" — ").map(|(_, c)| c.to_string()))
                            .unwrap_or_default();
                        // A unit cited by the container it sits in (a repealed Titel's only line).
                        let label = self
                            .st()
                            .path
                            .last()
                            .map(|(_, t)| {
                                t.split(" — ")
                                    .next()
                                    .unwrap_or(t)
                                    .split_whitespace()
                                    .collect::<Vec<_>>()
                                    .join(" ")
                            })
                            .unwrap_or_default();
                        let unit: Vec<&str> = self
                            .st()
                            .path
                            .iter()
                            .map(|(_, t)| t.split(" — ").next().unwrap_or(t))
                            .collect();
                        citation = citation.replace("{container}", &label);
                        slug = slugify(&hit.slug.replace("{container}", &unit.join(" ")));
                    }
                    if !rule.scope {
                        if let Some((cp, sp)) = &self.st().scope {
                            citation = format!("{cp}{}{citation}", rule.scope_join);
                            slug = format!("{sp}/{slug}");
                        }
                    }
                    if rule.repeats
                        && (self
                            .st()
                            .current
                            .as_ref()
                            .is_some_and(|d| !d.prose && d.citation == citation)
                            || (rule.scope
                                && self
                                    .st()
                                    .scope
                                    .as_ref()
                                    .is_some_and(|(c, _)| *c == citation)))
                    {
                        // A chunk boundary repeating the heading: junk.
                        self.body_chars -= len;
                        return;
                    }
                    let mut caption = hit.caption.clone().unwrap_or(container_caption);
                    if rule.caption_prev && caption.is_empty() {
                        caption = self.take_previous_heading(rule.caption_prev_any);
                    } else if rule.caption_prev && self.previous_heading_repeats(&caption) {
                        // `# Savings of Powers` then `51. Savings of powers.- …`: the heading is
                        // the caption written twice, not the end of the passage before.
                        self.take_previous_heading(false);
                    }
                    if !rule.scope && self.st().scope.is_some() {
                        // Inside a scope: a scope provision with no text of its own is only the
                        // heading of the provisions inside it (`§ 2701.` then `(a) …`): no passage,
                        // its caption goes to them.
                        let st = self.st();
                        let scope_cite = st.scope.as_ref().map(|(c, _)| c.clone());
                        if st.current.as_ref().is_some_and(|d| {
                            !d.prose
                                && Some(&d.citation) == scope_cite.as_ref()
                                && d.text.trim().is_empty()
                        }) {
                            if let Some(d) = st.current.take() {
                                if !caption.is_empty() && !d.heading.is_empty() {
                                    st.scope_path = Some(format!("{} {}", d.citation, d.heading));
                                }
                            }
                        }
                        if caption.is_empty() {
                            caption = st.scope_heading.clone();
                        }
                    }
                    self.flush();
                    let st = self.st();
                    if rule.clear_path {
                        st.path.clear();
                    }
                    if rule.scope {
                        st.scope = Some((citation.clone(), slug.clone()));
                        st.scope_heading = caption.clone();
                        st.scope_path = None;
                        st.last_in_sequence = None;
                    }
                    if rule.sequence {
                        st.last_in_sequence = Some(hit.slug.clone());
                    }
                    st.seen_provision = true;
                    st.prev_heading = false;
                    let body = if rule.keep_text {
                        text.clone()
                    } else {
                        hit.rest.trim().to_string()
                    };
                    st.current = Some(Draft {
                        awaiting_caption: rule.caption_next && caption.is_empty(),
                        caption_any: rule.caption_any,
                        caption_cont: rule.caption_cont.clone(),
                        citation,
                        slug,
                        label: hit.matched.trim().to_string(),
                        heading: caption,
                        path: st.path_strings(),
                        lang: st.lang.clone(),
                        text: body,
                        prose: false,
                        trailing_heading: None,
                        trailing_is_heading: false,
                    });
                    self.covered_chars += len;
                    return;
                }
                Role::Container => {
                    let level = if rule.level_from_heading && block.kind == BlockKind::Heading {
                        block.level
                    } else {
                        rule.level
                    };
                    if rule.repeats
                        && self.st().path.iter().any(|(l, t)| {
                            *l == level && (t == &text || t.starts_with(&format!("{text} — ")))
                        })
                    {
                        self.body_chars -= len;
                        return;
                    }
                    if !rule.attach {
                        self.flush();
                    }
                    let st = self.st();
                    st.path.retain(|(l, _)| *l < level);
                    st.path.push((level, text.clone()));
                    st.prev_heading = false;
                    if rule.attach {
                        let path = st.path_strings();
                        if let Some(d) = st.current.as_mut() {
                            d.path = path;
                        }
                    } else {
                        st.scope = None;
                        st.container_awaiting_caption = rule.caption_next;
                        st.container_caption_any = rule.caption_any;
                    }
                    self.covered_chars += len;
                    return;
                }
                Role::Language => {
                    // A language switch that is otherwise ordinary text: keep it in the flow.
                }
            }
        }

        let is_heading = block.kind == BlockKind::Heading;
        let st = &mut self.streams[self.active];
        // A heading (or any block, when the rule says so) right after a provision start or a
        // container is its caption; a paragraph may continue a wrapped caption.
        if let Some(d) = st.current.as_mut() {
            if d.awaiting_caption && d.text.is_empty() && (is_heading || d.caption_any) {
                d.heading = unparen(&text);
                d.awaiting_caption = false;
                self.covered_chars += len;
                return;
            }
            if let Some(re) = d.caption_cont.take() {
                if !is_heading && d.text.is_empty() && re.is_match(&text) {
                    d.heading = format!("{} {}", d.heading, text).trim().to_string();
                    self.covered_chars += len;
                    return;
                }
            }
        }
        if st.container_awaiting_caption
            && st.current.is_none()
            && (is_heading || st.container_caption_any)
        {
            if let Some((_, last)) = st.path.last_mut() {
                last.push_str(" — ");
                last.push_str(&unparen(&text));
            }
            st.container_awaiting_caption = false;
            self.covered_chars += len;
            return;
        }
        st.container_awaiting_caption = false;
        if let Some(d) = st.current.as_mut() {
            d.awaiting_caption = false;
        }

        // Prose: outside any provision, headings cut passages and long runs are split.
        let in_provision = st.current.as_ref().is_some_and(|d| !d.prose);
        if !in_provision {
            let front_open = self.profile.front.is_some() && !st.seen_provision;
            if let (true, true, Some(d)) = (is_heading, front_open, st.current.as_mut()) {
                // A heading inside the front text (a bill's title lines) stays in it.
                d.text.push('\n');
                d.text.push_str(&text);
                d.trailing_heading = Some(text.clone());
                d.trailing_is_heading = true;
                self.covered_chars += len;
                return;
            }
            if is_heading {
                self.flush();
                let st = self.st();
                st.last_heading = text.clone();
                st.prev_heading = true;
                self.covered_chars += len;
                return;
            }
            // Prose is cut by size; the front text before the first provision stays one passage.
            let max = self.profile.max_chars;
            let st = &self.streams[self.active];
            let front_open = self.profile.front.is_some() && !st.seen_provision;
            let too_long = !front_open
                && st
                    .current
                    .as_ref()
                    .is_some_and(|d| d.text.len() + text.len() > max);
            if too_long {
                self.flush();
            }
            let front = self.profile.front.clone();
            let st = self.st();
            st.paragraph_no += 1;
            if st.current.is_none() {
                let (citation, slug) = match (&front, st.seen_provision) {
                    (Some(front), false) => (front.clone(), slugify(front)),
                    _ => (
                        format!("¶ {}", st.paragraph_no),
                        format!("p{}", st.paragraph_no),
                    ),
                };
                st.current = Some(Draft {
                    citation,
                    slug,
                    label: String::new(),
                    heading: st.last_heading.clone(),
                    awaiting_caption: false,
                    caption_any: false,
                    caption_cont: None,
                    path: st.path_strings(),
                    lang: st.lang.clone(),
                    text: String::new(),
                    prose: true,
                    trailing_heading: None,
                    trailing_is_heading: false,
                });
            }
        }
        let st = self.st();
        st.prev_heading = false;
        let d = st.current.as_mut().expect("a draft exists here");
        if !d.text.is_empty() {
            d.text.push('\n');
        }
        d.text.push_str(&text);
        d.trailing_heading = (is_heading || caption_like(&text)).then(|| text.clone());
        d.trailing_is_heading = is_heading;
        self.covered_chars += len;
    }

    /// Is the heading right before this block `caption` again (its words all in the caption,
    /// case aside: `Amendment of Electronic Transactions Ordinance, 2002` before `Amendment of the
    /// Electronic Transactions Ordinance, 2002 (LI of 2002) …`)?
    fn previous_heading_repeats(&self, caption: &str) -> bool {
        let st = &self.streams[self.active];
        let prev = match st.current.as_ref() {
            Some(d) if d.trailing_is_heading => d.trailing_heading.as_deref(),
            Some(_) => None,
            None if st.prev_heading => Some(st.last_heading.as_str()),
            None => None,
        };
        let words = |s: &str| -> Vec<String> {
            s.split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_lowercase)
                .collect()
        };
        let Some(prev) = prev else {
            return false;
        };
        let (pw, cw) = (words(prev), words(caption));
        !pw.is_empty() && pw.iter().all(|w| cw.contains(w))
    }

    /// The heading right before this block in the current stream, taken away from where it went.
    /// With `any`, a caption-like paragraph counts too (a caption the converter left unmarked).
    fn take_previous_heading(&mut self, any: bool) -> String {
        let st = self.st();
        if let Some(d) = st.current.as_mut() {
            if d.trailing_heading.is_some() && !(d.trailing_is_heading || any) {
                return String::new();
            }
            if let Some(h) = d.trailing_heading.take() {
                if let Some(stripped) = d.text.strip_suffix(&h) {
                    d.text = stripped.trim_end_matches('\n').to_string();
                    if d.prose && d.text.trim().is_empty() {
                        // The prose passage held only this caption (after a Part heading).
                        st.current = None;
                    }
                    return h;
                }
            }
            return String::new();
        }
        if st.prev_heading {
            st.prev_heading = false;
            return std::mem::take(&mut st.last_heading);
        }
        String::new()
    }

    fn flush(&mut self) {
        let st = &mut self.streams[self.active];
        let Some(mut d) = st.current.take() else {
            return;
        };
        if !d.prose && d.heading.trim().is_empty() {
            // A section without a caption takes the one the table of contents gives it.
            if let Some(c) = st.contents_captions.get(&d.slug) {
                d.heading = c.trim_end_matches('.').trim().to_string();
            }
        }
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
        let base_slug = if d.lang != self.source.language {
            format!("{}/{}", d.lang, d.slug)
        } else {
            d.slug.clone()
        };
        let url = self.profile.url_for(self.source, &d.slug);
        // Only a numbered provision has subsections of its own to be cited by.
        let numbered = !d.prose && d.citation.contains(|c: char| c.is_ascii_digit());
        // The same provision twice (a scraped definitions list with every entry doubled): once.
        let key = {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            (&d.lang, &d.citation, &d.heading, &d.text).hash(&mut h);
            h.finish()
        };
        if !self.drafts_seen.insert(key) {
            return;
        }
        for piece in split::split_long(&d.text, MAX_PASSAGE_BYTES, numbered) {
            let mut slug = format!("{base_slug}{}", piece.slug_suffix);
            let n = self.slugs.entry(slug.clone()).or_insert(0);
            *n += 1;
            if *n > 1 {
                slug = format!("{slug}_{n}");
            }
            st.passages.push(Passage {
                passage_id: format!("{}/{}", self.doc_id, slug),
                doc_id: self.doc_id.to_string(),
                title: self.title.clone(),
                jurisdiction: self.source.jurisdiction.clone(),
                kind: self.source.kind.clone(),
                language: d.lang.clone(),
                citation: format!(
                    "{}{}",
                    self.profile.cite(&d.citation),
                    piece.citation_suffix
                ),
                heading: d.heading.clone(),
                path: d.path.clone(),
                text: piece.text,
                ordinal: 0,
                url: url.clone(),
                label: d.label.clone(),
                year: self.source.year(),
                concepts: Vec::new(),
                version_date: self.source.date.clone(),
                completeness: self.source.complete.clone().unwrap_or_default(),
            });
        }
    }

    fn finish(mut self) -> Segmented {
        for b in std::mem::take(&mut self.pending) {
            self.process(&b, self.profile.clean(&b.text));
        }
        for i in 0..self.streams.len() {
            self.active = i;
            self.flush();
        }
        let mut passages = Vec::new();
        for mut st in self.streams {
            if self.profile.repair_numbers {
                renumber::repair(&mut st.passages, self.profile.unnumbered.as_ref());
            }
            passages.extend(st.passages);
        }
        for (i, p) in passages.iter_mut().enumerate() {
            p.ordinal = i as u32 + 1;
        }
        Segmented {
            doc_id: self.doc_id.to_string(),
            passages,
            body_chars: self.body_chars,
            covered_chars: self.covered_chars,
        }
    }
}

/// A line that reads as a caption: short, starts with a capital, ends without punctuation
/// (`Unlawful acquisition of passwords`, not `(a) alters data; or`).
fn caption_like(text: &str) -> bool {
    let t = text.trim();
    let n = t.chars().count();
    (4..=200).contains(&n)
        && !t.contains('\n')
        && t.chars().next().is_some_and(char::is_uppercase)
        && !t.ends_with(|c: char| ".,;:—–-)(]…!?\"'’”0123456789".contains(c))
        && !t.contains(". ")
}

/// Is `label` the label that follows `last` (`None`: the first one, `a` or `1`)?
fn next_in_sequence(last: Option<&str>, label: &str) -> bool {
    match last {
        None => label == "a" || label == "1",
        Some(prev) => {
            if let (Ok(p), Ok(n)) = (prev.parse::<u32>(), label.parse::<u32>()) {
                return n == p + 1;
            }
            let (mut p, mut n) = (prev.chars(), label.chars());
            match (p.next(), n.next(), p.next(), n.next()) {
                (Some(a), Some(b), None, None) => b as u32 == a as u32 + 1,
                _ => false,
            }
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
