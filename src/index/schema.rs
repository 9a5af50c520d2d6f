//! The schema: one [`Fields`] struct names every field, so no code spells a field name twice.

use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STORED, STRING,
};
use tantivy::TantivyDocument;

use super::analyzers::{breaks_value, BASE, BREAKS};
use crate::segment::Passage;

/// Every field of the index.
#[derive(Debug, Clone)]
pub struct Fields {
    pub passage_id: Field,
    pub doc_id: Field,
    pub title: Field,
    pub jurisdiction: Field,
    pub kind: Field,
    pub language: Field,
    pub citation: Field,
    /// Normalized citation key for exact routing (`202a`, `art-2`, `1030`).
    pub citation_key: Field,
    pub label: Field,
    pub heading: Field,
    pub path: Field,
    pub text: Field,
    pub ordinal: Field,
    pub year: Field,
    pub url: Field,
    /// Concept ids of the crosswalk taxonomy (multi-valued).
    pub concepts: Field,
    /// Sentence (`s`) and paragraph (`p`) starts at the token positions of `text`: `/s` and `/p`
    /// are verified from these postings.
    pub breaks: Field,
    /// The manifest's date of the version the source holds.
    pub version_date: Field,
    /// The manifest's completeness note.
    pub completeness: Field,
}

/// Names of the fast columns the ranking reads instead of the doc store.
pub const FAST_PASSAGE_ID: &str = "passage_id";
pub const FAST_DOC_ID: &str = "doc_id";
pub const FAST_KIND: &str = "kind";
pub const FAST_LANGUAGE: &str = "language";
pub const FAST_CITATION: &str = "citation";
pub const FAST_HEADING: &str = "heading";

fn text_options(analyzer: &str, stored: bool) -> TextOptions {
    let o = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(analyzer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    );
    if stored {
        o.set_stored()
    } else {
        o
    }
}

impl Fields {
    pub fn schema() -> (Schema, Fields) {
        let mut b = Schema::builder();
        let passage_id = b.add_text_field("passage_id", STRING | STORED | FAST);
        let doc_id = b.add_text_field("doc_id", STRING | STORED | FAST);
        let title = b.add_text_field("title", text_options(BASE, true));
        let jurisdiction = b.add_text_field("jurisdiction", STRING | STORED | FAST);
        let kind = b.add_text_field("kind", STRING | STORED | FAST);
        let language = b.add_text_field("language", STRING | STORED | FAST);
        let citation = b.add_text_field("citation", text_options(BASE, true).set_fast("raw"));
        let citation_key = b.add_text_field("citation_key", STRING);
        let label = b.add_text_field("label", text_options(BASE, true));
        let heading = b.add_text_field("heading", text_options(BASE, true).set_fast("raw"));
        let path = b.add_text_field("path", text_options(BASE, true));
        let text = b.add_text_field("text", text_options(BASE, true));
        let ordinal = b.add_u64_field("ordinal", STORED | FAST);
        let year = b.add_u64_field("year", INDEXED | STORED | FAST);
        let url = b.add_text_field("url", STORED);
        let concepts = b.add_text_field("concepts", STRING | STORED);
        let breaks = b.add_text_field("breaks", text_options(BREAKS, false));
        let version_date = b.add_text_field("version_date", STRING | STORED);
        let completeness = b.add_text_field("completeness", STORED);
        let fields = Fields {
            passage_id,
            doc_id,
            title,
            jurisdiction,
            kind,
            language,
            citation,
            citation_key,
            label,
            heading,
            path,
            text,
            ordinal,
            year,
            url,
            concepts,
            breaks,
            version_date,
            completeness,
        };
        (b.build(), fields)
    }

    pub fn from_schema(schema: &Schema) -> tantivy::Result<Fields> {
        let (expected, fields) = Fields::schema();
        if expected != *schema {
            return Err(tantivy::TantivyError::SchemaError(
                "the index was built by another version of cyberlex; rebuild it with `cyberlex build`".into(),
            ));
        }
        Ok(fields)
    }

    pub fn to_document(&self, p: &Passage) -> TantivyDocument {
        let mut d = TantivyDocument::default();
        d.add_text(self.passage_id, &p.passage_id);
        d.add_text(self.doc_id, &p.doc_id);
        d.add_text(self.title, &p.title);
        d.add_text(self.jurisdiction, &p.jurisdiction);
        d.add_text(self.kind, &p.kind);
        d.add_text(self.language, &p.language);
        d.add_text(self.citation, &p.citation);
        d.add_text(self.citation_key, citation_key(&p.citation));
        d.add_text(self.label, &p.label);
        d.add_text(self.heading, &p.heading);
        d.add_text(self.path, p.path.join(" > "));
        d.add_text(self.text, &p.text);
        d.add_u64(self.ordinal, u64::from(p.ordinal));
        if let Some(y) = p.year {
            d.add_u64(self.year, u64::from(y));
        }
        d.add_text(self.url, &p.url);
        for c in &p.concepts {
            d.add_text(self.concepts, c);
        }
        let breaks = breaks_value(&p.text);
        if !breaks.is_empty() {
            d.add_text(self.breaks, breaks);
        }
        if let Some(v) = &p.version_date {
            d.add_text(self.version_date, v);
        }
        d.add_text(self.completeness, &p.completeness);
        d
    }

    pub fn from_document(&self, d: &TantivyDocument) -> Passage {
        use tantivy::schema::Value;
        let s = |f: Field| {
            d.get_first(f)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let u = |f: Field| d.get_first(f).and_then(|v| v.as_u64());
        let path = s(self.path);
        Passage {
            passage_id: s(self.passage_id),
            doc_id: s(self.doc_id),
            title: s(self.title),
            jurisdiction: s(self.jurisdiction),
            kind: s(self.kind),
            language: s(self.language),
            citation: s(self.citation),
            heading: s(self.heading),
            path: if path.is_empty() {
                Vec::new()
            } else {
                path.split(" > ").map(str::to_string).collect()
            },
            text: s(self.text),
            ordinal: u(self.ordinal).unwrap_or(0) as u32,
            url: s(self.url),
            label: s(self.label),
            year: u(self.year).map(|y| y as u16),
            concepts: d
                .get_all(self.concepts)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            version_date: Some(s(self.version_date)).filter(|v| !v.is_empty()),
            completeness: s(self.completeness),
        }
    }
}

/// The routing key of a citation: lower case, designators dropped, `Art. 2` → `2`, `§ 202a` →
/// `202a`, `18 U.S.C. § 1030` → `1030`, `s. 3` → `3`, `Criminal Code, s. 162.1` → `162.1`.
pub fn citation_key(citation: &str) -> String {
    let lower = citation.to_lowercase();
    let last = lower
        .rsplit(|c: char| c.is_whitespace() || c == '§')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    let base = last.split('(').next().unwrap_or(last);
    base.trim_matches(|c: char| !c.is_alphanumeric())
        .to_string()
}

/// The subsection part of a citation (`18 U.S.C. § 1030(a)` → `(a)`), lower case.
pub fn citation_subsection(citation: &str) -> String {
    let lower = citation.to_lowercase();
    let last = lower
        .rsplit(|c: char| c.is_whitespace() || c == '§')
        .find(|w| !w.is_empty())
        .unwrap_or("");
    last.find('(')
        .map(|i| last[i..].to_string())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn citation_keys() {
        assert_eq!(citation_key("Art. 2"), "2");
        assert_eq!(citation_key("§ 202a"), "202a");
        assert_eq!(citation_key("18 U.S.C. § 1030"), "1030");
        assert_eq!(citation_key("Criminal Code, s. 162.1"), "162.1");
        assert_eq!(citation_key("Art. 154-A"), "154-a");
        assert_eq!(citation_key("18 U.S.C. § 1030(a)"), "1030");
        assert_eq!(citation_subsection("18 U.S.C. § 1030(a)"), "(a)");
        assert_eq!(citation_subsection("§ 202a"), "");
    }
}
