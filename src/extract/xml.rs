//! XML: Justice Canada's legislation schemas (consolidated acts, `<Statute>`; annual statutes in
//! the Bill Exchange schema, `<Bill>`), else the text of every leaf element as a paragraph.
//!
//! Justice Canada: every `<Section>` of the body starts a block with a [`Marker`]: label = its
//! `<Label>`, citation `s. 6` (`art. 6` in a French document), caption = its `<MarginalNote>`.
//! `<Heading level="N">` becomes a heading of that level (a profile makes it a container).
//! Subsections, paragraphs and definitions are blocks of their own with their label in front
//! (`(1) …`, `(a) …`); a subsection's marginal note is a paragraph before it; a
//! `<HistoricalNote>` is one paragraph (`2010, c. 23, s. 5; 2023, c. 8, s. 32`).
//!
//! In an annual (amending) statute, a `<Section>` quoted inside `<AmendedText>` is the text that
//! another Act receives: it gets a marker of its own, cited as the section of that Act it becomes
//! (`Criminal Code, s. 162.1`, `Code criminel, art. 162.1`). The Act is the one named by the
//! amending heading above (`<Heading type="amending">` with the Act's chapter as marginal note),
//! spelled as the statute's own cross-references spell it. Quoted paragraphs stay in the passage of
//! the amending section, and so do quoted subsections, except a subsection an instruction names
//! (`Subsection 430(1.1) of the Act is replaced by …` → `Criminal Code, s. 430(1.1)`; definitions
//! added to `subsection 342.1(2)` → `Criminal Code, s. 342.1(2)`); after quoted
//! text, the amending section's next subsection is a passage of its own (`s. 19(2)`), so the
//! amended text and the amending instructions are not one passage. Text quoted for the other
//! language version (`… of the French version of the Act is replaced by …`) carries that language.
//! The summary and the enacting clause are passages too.

use roxmltree::{Node, ParsingOptions};

use super::{collapse_ws, Block, BlockKind, Document, ExtractError, Marker};
use crate::corpus::Format;

const XML_NS: &str = "http://www.w3.org/XML/1998/namespace";
/// Element nesting beyond this is refused rather than walked (legislation nests < 20 deep); the
/// README's figure: 256 accepted, 257 refused, the root element being level 1.
const MAX_DEPTH: usize = 256;

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    let (text, enc) = super::text::decode(bytes);
    let malformed = |reason: String| ExtractError::Malformed {
        id: id.to_string(),
        format: Format::Xml,
        reason,
    };
    let opts = ParsingOptions {
        allow_dtd: true,
        ..ParsingOptions::default()
    };
    let xml = roxmltree::Document::parse_with_options(&text, opts)
        .map_err(|e| malformed(e.to_string()))?;
    let root = xml.root_element();
    let depth = element_depth(root);
    if depth > MAX_DEPTH {
        return Err(malformed(format!(
            "elements nested {depth} levels deep, deeper than {MAX_DEPTH} levels (the limit)"
        )));
    }
    let lang = root.attribute((XML_NS, "lang")).map(str::to_string);
    let mut doc = Document {
        encoding: Some(enc.to_string()),
        ..Document::default()
    };
    match root.tag_name().name() {
        "Statute" | "Bill" | "Regulation" => {
            let mut w = Justice::new(lang.as_deref() == Some("fr"));
            w.document(root);
            doc.title = w.title.take();
            doc.blocks = w.blocks;
        }
        _ => {
            doc.title = root
                .descendants()
                .find(|n| n.is_element() && n.tag_name().name().eq_ignore_ascii_case("title"))
                .map(|n| all_text(n))
                .filter(|t| !t.is_empty());
            leaves(root, &mut doc.blocks);
        }
    }
    if let Some(l) = &lang {
        for b in &mut doc.blocks {
            b.lang.get_or_insert_with(|| l.clone());
        }
    }
    if doc.blocks.is_empty() {
        return Err(ExtractError::Empty {
            id: id.to_string(),
            format: Format::Xml,
            hint: String::new(),
        });
    }
    Ok(doc)
}

/// The deepest element nesting below and including `root` (the root element is level 1), in one
/// walk.
pub fn element_depth(root: Node) -> usize {
    // Document order visits a parent before its children: each depth is its parent's plus one.
    let mut depth: std::collections::HashMap<roxmltree::NodeId, usize> = Default::default();
    let mut max = 0;
    for n in root.descendants().filter(|n| n.is_element()) {
        let d = n
            .parent()
            .and_then(|p| depth.get(&p.id()).copied())
            .unwrap_or(0)
            + 1;
        max = max.max(d);
        depth.insert(n.id(), d);
    }
    max
}

/// All text below a node, whitespace collapsed.
fn all_text(n: Node) -> String {
    let mut s = String::new();
    for d in n.descendants().filter(|d| d.is_text()) {
        s.push_str(d.text().unwrap_or(""));
    }
    collapse_ws(&s)
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children()
        .find(|c| c.is_element() && c.tag_name().name() == name)
}

/// An element that holds text itself (rather than only other elements) is a leaf block.
fn is_leaf(n: Node) -> bool {
    n.children()
        .any(|c| c.is_text() && !c.text().unwrap_or("").trim().is_empty())
        || !n.children().any(|c| c.is_element())
}

/// Unknown XML: every leaf element's text is a paragraph.
fn leaves(n: Node, out: &mut Vec<Block>) {
    for c in n.children().filter(Node::is_element) {
        if is_leaf(c) {
            let t = all_text(c);
            if !t.is_empty() {
                out.push(Block::paragraph(t));
            }
        } else {
            leaves(c, out);
        }
    }
}

/// `CRIMINAL CODE` → `Criminal Code` (used only when the statute never spells the Act otherwise).
fn title_case(s: &str, french: bool) -> String {
    let lower = s.to_lowercase();
    if french {
        let mut c = lower.chars();
        return c
            .next()
            .map(|f| f.to_uppercase().chain(c).collect())
            .unwrap_or_default();
    }
    let small = ["of", "and", "the", "in", "to", "for", "on", "a", "an"];
    lower
        .split(' ')
        .enumerate()
        .map(|(i, w)| {
            if i > 0 && small.contains(&w) {
                w.to_string()
            } else {
                let mut c = w.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect())
                    .unwrap_or_default()
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

struct Justice {
    french: bool,
    title: Option<String>,
    blocks: Vec<Block>,
    /// The Act the current amending part amends, as the statute spells it.
    amended_act: Option<String>,
    label: Option<String>,
    /// Text quoted in the other language just ended: the next block is the document's own.
    back_to_own_language: bool,
    /// The label of the amending section being walked (`19`).
    amending: Option<String>,
    /// Quoted text just ended inside that section: its next amending subsection starts a
    /// passage of its own (`s. 19(2)`), not more of the quoted provision.
    resume: bool,
}

impl Justice {
    fn new(french: bool) -> Self {
        Justice {
            french,
            title: None,
            blocks: Vec::new(),
            amended_act: None,
            label: None,
            back_to_own_language: false,
            amending: None,
            resume: false,
        }
    }

    fn section_word(&self) -> &'static str {
        if self.french {
            "art."
        } else {
            "s."
        }
    }

    fn document(&mut self, root: Node) {
        for c in root.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "Identification" => {
                    self.title = child(c, "ShortTitle")
                        .or_else(|| child(c, "LongTitle"))
                        .map(all_text)
                        .filter(|t| !t.is_empty());
                }
                "Introduction" => self.introduction(c),
                "Body" => self.body(c),
                "RecentAmendments" => {}
                _ => self.walk(c, 1),
            }
        }
    }

    fn introduction(&mut self, n: Node) {
        for c in n.children().filter(Node::is_element) {
            let (label, citation) = match (c.tag_name().name(), self.french) {
                ("Summary", false) => ("summary", "Summary"),
                ("Summary", true) => ("sommaire", "Sommaire"),
                ("Enacts", false) => ("enacting-clause", "Enacting clause"),
                ("Enacts", true) => ("formule-d-ediction", "Formule d’édiction"),
                ("Preamble", false) => ("preamble", "Preamble"),
                ("Preamble", true) => ("preambule", "Préambule"),
                _ => {
                    self.walk(c, 1);
                    continue;
                }
            };
            let start = self.blocks.len();
            for g in c.children().filter(Node::is_element) {
                if g.tag_name().name() == "TitleText" {
                    continue;
                }
                self.walk(g, 1);
            }
            self.mark(start, label.to_string(), citation.to_string(), None);
        }
    }

    /// Give the first block from `start` on a marker (adding one when the provision is empty).
    fn mark(&mut self, start: usize, label: String, citation: String, caption: Option<String>) {
        if start >= self.blocks.len() {
            let text = caption.clone().unwrap_or_else(|| label.clone());
            self.blocks.push(Block::paragraph(text));
        }
        self.blocks[start].marker = Some(Marker {
            label,
            citation,
            caption,
        });
    }

    fn body(&mut self, n: Node) {
        for c in n.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "Heading" => self.heading(c),
                "Section" => self.section(c, None),
                _ => self.walk(c, 1),
            }
        }
    }

    fn heading(&mut self, n: Node) {
        let level: u8 = n
            .attribute("level")
            .and_then(|l| l.parse().ok())
            .unwrap_or(1)
            .clamp(1, 6);
        let label = child(n, "Label").map(all_text).unwrap_or_default();
        let title = child(n, "TitleText").map(all_text).unwrap_or_default();
        let note = child(n, "MarginalNote").map(all_text).unwrap_or_default();
        if n.attribute("type") == Some("amending") {
            // An Act (it has a chapter citation as marginal note), else coordinating amendments.
            self.amended_act = (!note.is_empty() && !title.is_empty()).then(|| {
                let want = title.to_lowercase();
                n.next_siblings()
                    .flat_map(|s| s.descendants())
                    .filter(|d| d.is_element() && d.tag_name().name() == "XRefExternal")
                    .map(all_text)
                    .find(|t| t.to_lowercase() == want && t != &title)
                    .unwrap_or_else(|| title_case(&title, self.french))
            });
        } else {
            self.amended_act = None;
        }
        let mut text = collapse_ws(&format!("{label} {title}"));
        if !note.is_empty() {
            text = format!("{text} ({note})");
        }
        if !text.is_empty() {
            self.blocks.push(Block::heading(level, text));
        }
    }

    /// A section: of the document itself (`act` = None), or of the Act an amendment quotes.
    fn section(&mut self, n: Node, act: Option<&str>) {
        let label = child(n, "Label")
            .map(all_text)
            .unwrap_or_default()
            .trim_matches(|c: char| c == '.' || c == '*' || c.is_whitespace())
            .to_string();
        let mut caption = child(n, "MarginalNote")
            .map(all_text)
            .filter(|t| !t.is_empty());
        let start = self.blocks.len();
        // An amending section's marginal note is the history of what it amends (`2005, c. 32,
        // s. 9(1)`), not a caption: it stays text.
        if n.attribute("type") == Some("amending") {
            if let Some(note) = caption.take() {
                self.blocks.push(Block::paragraph(note));
            }
        }
        let outer = if act.is_none() {
            let prev = self.amending.replace(label.clone());
            self.resume = false;
            Some(prev)
        } else {
            None
        };
        for c in n.children().filter(Node::is_element) {
            match c.tag_name().name() {
                "Label" | "MarginalNote" => {}
                _ => self.walk(c, 1),
            }
        }
        if let Some(prev) = outer {
            self.amending = prev;
            self.resume = false;
        }
        let word = self.section_word();
        let citation = match act {
            Some(a) => format!("{a}, {word} {label}"),
            None => format!("{word} {label}"),
        };
        let label = if label.is_empty() {
            "x".to_string()
        } else {
            label
        };
        self.mark(start, label, citation, caption);
    }

    fn push_text(&mut self, kind: BlockKind, level: u8, text: String) {
        let text = match self.label.take() {
            Some(l) => collapse_ws(&format!("{l} {text}")),
            None => text,
        };
        if !text.is_empty() {
            let mut b = Block::new(kind, level, text);
            if std::mem::take(&mut self.back_to_own_language) {
                b.lang = Some(if self.french { "fr" } else { "en" }.to_string());
            }
            self.blocks.push(b);
        }
    }

    /// A subsection quoted from the amended Act (`Criminal Code, s. 430(1.1)`), its marginal note
    /// the caption.
    fn quoted_subsection(&mut self, n: Node, act: &str, section: &str) {
        let label = child(n, "Label").map(all_text).unwrap_or_default();
        let caption = child(n, "MarginalNote")
            .map(all_text)
            .filter(|t| !t.is_empty());
        let start = self.blocks.len();
        for c in n.children().filter(Node::is_element) {
            if c.tag_name().name() != "MarginalNote" {
                self.walk(c, 1);
            }
        }
        let word = self.section_word();
        let label = format!("{section}{}", label.trim());
        self.mark(
            start,
            label.clone(),
            format!("{act}, {word} {label}"),
            caption,
        );
    }

    /// Everything below a section or outside the body.
    fn walk(&mut self, n: Node, list_level: u8) {
        let name = n.tag_name().name();
        if name == "Subsection" && n.attribute("type") == Some("amending") && self.resume {
            // The amending section goes on after text it quoted: `s. 19(2)`.
            self.resume = false;
            let sub = child(n, "Label").map(all_text).unwrap_or_default();
            let start = self.blocks.len();
            for c in n.children().filter(Node::is_element) {
                self.walk(c, list_level);
            }
            if let Some(section) = self.amending.clone() {
                let word = self.section_word();
                let label = format!("{section}{}", sub.trim());
                self.mark(start, label.clone(), format!("{word} {label}"), None);
            }
            return;
        }
        match name {
            "Label" => {
                let l = all_text(n);
                self.label = Some(match self.label.take() {
                    Some(prev) => format!("{prev} {l}"),
                    None => l,
                });
                return;
            }
            "MarginalNote" | "TitleText" => {
                let t = all_text(n);
                self.push_text(BlockKind::Paragraph, 0, t);
                return;
            }
            "HistoricalNote" => {
                let items: Vec<String> = n
                    .children()
                    .filter(Node::is_element)
                    .map(all_text)
                    .filter(|t| !t.is_empty())
                    .collect();
                let t = if items.is_empty() {
                    all_text(n)
                } else {
                    items.join("; ")
                };
                self.push_text(BlockKind::Paragraph, 0, t);
                return;
            }
            "AmendedText" => {
                // `… of the French version of the Act is replaced by the following:` (`… de la
                // version anglaise …`): the quoted text is in the other language.
                let other = self
                    .blocks
                    .last()
                    .map(|b| b.text.to_lowercase())
                    .and_then(|t| match self.french {
                        false if t.contains("french version") => Some("fr"),
                        true if t.contains("version anglaise") => Some("en"),
                        _ => None,
                    });
                // Only a quoted section is a passage of its own; a quoted paragraph stays in the
                // amending section's passage, in the document's language.
                let mut start = None;
                let mut piece: Option<(usize, String, String)> = None;
                let instruction = self
                    .blocks
                    .last()
                    .map(|b| b.text.clone())
                    .unwrap_or_default();
                for c in n.children().filter(Node::is_element) {
                    match (c.tag_name().name(), self.amended_act.clone()) {
                        ("Section", Some(act)) => {
                            start.get_or_insert(self.blocks.len());
                            self.section(c, Some(&act));
                            self.resume = self.amending.is_some();
                        }
                        ("Subsection", Some(act)) if self.amending.is_some() => {
                            match amended_section(&instruction) {
                                Some((num, _)) => {
                                    self.quoted_subsection(c, &act, &num);
                                    self.resume = true;
                                }
                                None => self.walk(c, list_level),
                            }
                        }
                        // Definitions added to or replaced in a named subsection (`Subsection
                        // 342.1(2) of the Act is amended by adding …`): that subsection's passage.
                        ("SectionPiece", Some(act)) if self.amending.is_some() => {
                            let at = self.blocks.len();
                            self.walk(c, list_level);
                            if let (Some((num, Some(sub))), None) =
                                (amended_section(&instruction), &piece)
                            {
                                piece = Some((at, act, format!("{num}{sub}")));
                            }
                        }
                        _ => self.walk(c, list_level),
                    }
                }
                if let Some((at, act, label)) = piece {
                    if at < self.blocks.len() {
                        let word = self.section_word();
                        self.mark(at, label.clone(), format!("{act}, {word} {label}"), None);
                        self.resume = true;
                    }
                }
                if let (Some(lang), Some(start)) = (other, start) {
                    for b in &mut self.blocks[start..] {
                        b.lang = Some(lang.to_string());
                    }
                    self.back_to_own_language = true;
                }
                return;
            }
            _ => {}
        }
        if is_leaf(n) {
            let t = all_text(n);
            let (kind, level) = if list_level > 1 {
                (BlockKind::ListItem, list_level - 1)
            } else {
                (BlockKind::Paragraph, 0)
            };
            self.push_text(kind, level, t);
            return;
        }
        let deeper = match name {
            "Paragraph" | "Subparagraph" | "Clause" | "Subclause" | "Provision" => {
                list_level.saturating_add(1).min(6)
            }
            _ => list_level,
        };
        for c in n.children().filter(Node::is_element) {
            self.walk(c, deeper);
        }
    }
}

/// The section an amending instruction names: `Subsection 430(1.1) of the Act is replaced …`,
/// `The portion of subsection 430(5) …`, `Le paragraphe 430(1.1) …` → `430` and `(1.1)`.
fn amended_section(instruction: &str) -> Option<(String, Option<String>)> {
    let lower = instruction.to_lowercase();
    for word in ["subsection ", "paragraphe "] {
        if let Some(i) = lower.find(word) {
            let Some(rest) = instruction.get(i + word.len()..) else {
                continue;
            };
            let num: String = rest
                .chars()
                .take_while(|c| c.is_ascii_digit() || *c == '.')
                .collect();
            let num = num.trim_end_matches('.');
            let after = &rest[num.len()..];
            if !num.is_empty() && after.starts_with('(') {
                // `(2)` right after the number: the subsection itself.
                let sub = after.find(')').map(|j| &after[..=j]).filter(|x| {
                    x[1..x.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.')
                });
                return Some((num.to_string(), sub.map(str::to_string)));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUTE: &str = "\u{feff}<?xml version=\"1.0\" encoding=\"utf-8\"?>\
<Statute xml:lang=\"en\" xmlns:lims=\"http://justice.gc.ca/lims\"><Identification><ShortTitle>Invented Gadget Act</ShortTitle></Identification>\
<Introduction><Enacts><Provision><Text>The invented legislature enacts as follows:</Text></Provision></Enacts></Introduction>\
<Body><Heading level=\"1\"><TitleText>Interpretation</TitleText></Heading>\
<Section lims:id=\"1\"><MarginalNote>Definitions</MarginalNote><Label>1</Label><Subsection><Label>(1)</Label><Text>In this Act,</Text>\
<Definition><Text><DefinedTermEn>gadget</DefinedTermEn> means a humming box.</Text></Definition></Subsection>\
<HistoricalNote><HistoricalNoteSubItem>2001, c. 1, s. 1</HistoricalNoteSubItem><HistoricalNoteSubItem>2009, c. 2, s. 3</HistoricalNoteSubItem></HistoricalNote></Section>\
<Heading level=\"2\"><Label>PART 2</Label><TitleText>Humming</TitleText></Heading>\
<Section><MarginalNote>No humming</MarginalNote><Label>6</Label><Text>No gadget shall hum</Text><Paragraph><Label>(a)</Label><Text>at night; or</Text></Paragraph></Section>\
</Body></Statute>";

    #[test]
    fn consolidated_act_sections_are_markers() {
        let doc = extract("x", STATUTE.as_bytes()).unwrap();
        assert_eq!(doc.title.as_deref(), Some("Invented Gadget Act"));
        let texts: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(
            texts,
            [
                "The invented legislature enacts as follows:",
                "Interpretation",
                "(1) In this Act,",
                "gadget means a humming box.",
                "2001, c. 1, s. 1; 2009, c. 2, s. 3",
                "PART 2 Humming",
                "No gadget shall hum",
                "(a) at night; or"
            ]
        );
        let m: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| b.marker.as_ref())
            .map(|m| (m.citation.as_str(), m.caption.as_deref()))
            .collect();
        assert_eq!(
            m,
            [
                ("Enacting clause", None),
                ("s. 1", Some("Definitions")),
                ("s. 6", Some("No humming"))
            ]
        );
        assert_eq!(doc.blocks[5].kind, BlockKind::Heading);
        assert_eq!(doc.blocks[5].level, 2);
        assert_eq!(doc.blocks[7].kind, BlockKind::ListItem);
    }

    const BILL: &str = "<?xml version=\"1.0\"?><!DOCTYPE Bill PUBLIC \"-//Invented//DTD Bill//EN\" \"Bill.dtd\">\
<Bill xml:lang=\"fr\"><Identification><ShortTitle>Loi inventée</ShortTitle></Identification><Body>\
<Section><Label>1.</Label><Text>Titre abrégé inventé.</Text></Section>\
<Heading level=\"1\" type=\"amending\"><MarginalNote>L.R., ch. X-1</MarginalNote><TitleText>CODE DES GADGETS</TitleText></Heading>\
<Section type=\"amending\"><Label>2.</Label><Text>Le <XRefExternal>Code des gadgets</XRefExternal> est modifié par adjonction :</Text>\
<AmendedText><Section><MarginalNote>Bourdonnement</MarginalNote><Label>7.1</Label><Text>Nul gadget ne bourdonne.</Text></Section></AmendedText></Section>\
</Body></Bill>";

    #[test]
    fn text_quoted_for_the_other_language_version_carries_that_language() {
        let bill = "<?xml version=\"1.0\"?><Bill xml:lang=\"en\"><Body>\
<Heading level=\"1\" type=\"amending\"><MarginalNote>R.S., c. X-1</MarginalNote><TitleText>GADGET CODE</TitleText></Heading>\
<Section type=\"amending\"><Label>3</Label><Subsection><Label>(1)</Label><Text>Section 7 of the French version of the <XRefExternal>Gadget Code</XRefExternal> is replaced by the following:</Text>\
<AmendedText><Section><MarginalNote>Bourdonnement</MarginalNote><Label>7</Label><Text>Nul gadget ne bourdonne.</Text></Section></AmendedText></Subsection>\
<Subsection><Label>(2)</Label><Text>Section 8 of the English version is replaced by the following:</Text></Subsection></Section>\
</Body></Bill>";
        let doc = extract("x", bill.as_bytes()).unwrap();
        let langs: Vec<_> = doc
            .blocks
            .iter()
            .map(|b| (b.text.as_str(), b.lang.as_deref()))
            .collect();
        assert!(
            langs.contains(&("Nul gadget ne bourdonne.", Some("fr"))),
            "{langs:?}"
        );
        assert!(
            langs.contains(&(
                "(2) Section 8 of the English version is replaced by the following:",
                Some("en")
            )),
            "{langs:?}"
        );
    }

    #[test]
    fn quoted_subsections_are_the_amended_acts_and_the_instructions_go_on_after_them() {
        let bill = "<?xml version=\"1.0\"?><Bill xml:lang=\"en\"><Body>\
<Heading level=\"1\" type=\"amending\"><MarginalNote>R.S., c. X-1</MarginalNote><TitleText>GADGET CODE</TitleText></Heading>\
<Section type=\"amending\"><Label>4.</Label><Subsection type=\"amending\"><Label>(1)</Label><Text>Subsection 9(2) of the <XRefExternal>Gadget Code</XRefExternal> is replaced by the following:</Text>\
<AmendedText><Subsection><MarginalNote>Humming at night</MarginalNote><Label>(2)</Label><Text>No gadget hums at night.</Text></Subsection></AmendedText></Subsection>\
<Subsection type=\"amending\"><Label>(2)</Label><Text>Subsection 9(3) of the Act is repealed.</Text></Subsection></Section>\
</Body></Bill>";
        let doc = extract("x", bill.as_bytes()).unwrap();
        let m: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| b.marker.as_ref())
            .map(|m| (m.citation.as_str(), m.caption.as_deref()))
            .collect();
        assert_eq!(
            m,
            [
                ("s. 4", None),
                ("Gadget Code, s. 9(2)", Some("Humming at night")),
                ("s. 4(2)", None)
            ]
        );
    }

    #[test]
    fn amended_text_is_cited_as_the_section_of_the_amended_act() {
        let doc = extract("x", BILL.as_bytes()).unwrap();
        let m: Vec<_> = doc
            .blocks
            .iter()
            .filter_map(|b| b.marker.as_ref())
            .map(|m| m.citation.as_str())
            .collect();
        assert_eq!(m, ["art. 1", "art. 2", "Code des gadgets, art. 7.1"]);
        assert!(doc.blocks.iter().all(|b| b.lang.as_deref() == Some("fr")));
    }

    #[test]
    fn malformed_and_unknown_xml() {
        let e = extract("x", b"<a><b>unclosed</a>").unwrap_err();
        assert!(matches!(e, ExtractError::Malformed { .. }), "{e}");
        let deep = "<a>".repeat(2000) + &"</a>".repeat(2000);
        assert!(extract("x", deep.as_bytes()).is_err());
        let doc = extract(
            "x",
            b"<doc><title>Invented</title><sec><p>One <i>line</i>.</p><p>Two.</p></sec></doc>",
        )
        .unwrap();
        let t: Vec<_> = doc.blocks.iter().map(|b| b.text.as_str()).collect();
        assert_eq!(t, ["Invented", "One line.", "Two."]);
        assert_eq!(doc.title.as_deref(), Some("Invented"));
        assert_eq!(
            title_case("MUTUAL LEGAL ASSISTANCE IN CRIMINAL MATTERS ACT", false),
            "Mutual Legal Assistance in Criminal Matters Act"
        );
    }
}
