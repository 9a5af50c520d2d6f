//! Issue 17: a budget per document (time, memory, output, isolation), hostile PDFs and tar
//! archives, sniffing, exact depth limits, an index that checks itself, paths that stay in the
//! mirror and output that keeps control characters away from the terminal. Every input is
//! generated here; none is corpus text. Time bounds are guards against hangs (the reproductions
//! took minutes), not benchmarks; the measured times are printed.

#[path = "../fuzz/src/lib.rs"]
mod fuzz_bodies;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use cyberlex::corpus::{Format, Source};
use cyberlex::extract::{self, ExtractError};
use pdf_extract::{Dictionary, Document as Pdf, Object, ObjectId, Stream};

fn bin() -> PathBuf {
    assert_cmd::cargo::cargo_bin("cyberlex")
}

// ---------------------------------------------------------------------------------------------
// Generators

/// A PDF of `n` pages; `content(i)` is page i's content stream, or `None` to share page 0's.
fn pdf(n: usize, content: impl Fn(usize) -> Option<Vec<u8>>, flate: bool) -> (Pdf, ObjectId) {
    let mut doc = Pdf::with_version("1.5");
    let pages_id = doc.new_object_id();
    let mut font = Dictionary::new();
    font.set("Type", Object::Name(b"Font".to_vec()));
    font.set("Subtype", Object::Name(b"Type1".to_vec()));
    font.set("BaseFont", Object::Name(b"Helvetica".to_vec()));
    let font_id = doc.add_object(Object::Dictionary(font));
    let mut fonts = Dictionary::new();
    fonts.set("F1", Object::Reference(font_id));
    let mut resources = Dictionary::new();
    resources.set("Font", Object::Dictionary(fonts));
    let resources_id = doc.add_object(Object::Dictionary(resources));
    let mut kids = Vec::new();
    let mut first_content = None;
    for i in 0..n {
        let mut make = |c: Vec<u8>| {
            let mut st = Stream::new(Dictionary::new(), c);
            if flate {
                let mut z =
                    flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
                z.write_all(&st.content).unwrap();
                st.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
                st.set_content(z.finish().unwrap());
            }
            doc.add_object(Object::Stream(st))
        };
        let cid = match (content(i), first_content) {
            (Some(c), _) => make(c),
            (None, Some(id)) => id,
            (None, None) => make(Vec::new()),
        };
        first_content.get_or_insert(cid);
        let mut page = Dictionary::new();
        page.set("Type", Object::Name(b"Page".to_vec()));
        page.set("Parent", Object::Reference(pages_id));
        page.set("Contents", Object::Reference(cid));
        page.set("Resources", Object::Reference(resources_id));
        page.set(
            "MediaBox",
            Object::Array([0, 0, 612, 792].map(Object::Integer).to_vec()),
        );
        kids.push(Object::Reference(doc.add_object(Object::Dictionary(page))));
    }
    let mut pages = Dictionary::new();
    pages.set("Type", Object::Name(b"Pages".to_vec()));
    pages.set("Count", Object::Integer(n as i64));
    pages.set("Kids", Object::Array(kids));
    doc.objects.insert(pages_id, Object::Dictionary(pages));
    let mut catalog = Dictionary::new();
    catalog.set("Type", Object::Name(b"Catalog".to_vec()));
    catalog.set("Pages", Object::Reference(pages_id));
    let catalog_id = doc.add_object(Object::Dictionary(catalog));
    doc.trailer.set("Root", Object::Reference(catalog_id));
    (doc, pages_id)
}

fn save(mut doc: Pdf) -> Vec<u8> {
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

fn text_page(i: usize) -> Vec<u8> {
    format!("BT /F1 12 Tf 72 720 Td (Article {i} zorblatt gadget) Tj ET").into_bytes()
}

/// xorshift64*.
fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

fn source(format: Format) -> Source {
    fuzz_bodies::source(format, None)
}

fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let t = Instant::now();
    let r = f();
    eprintln!("{what}: {:?}", t.elapsed());
    assert!(
        t.elapsed() < Duration::from_secs(60),
        "{what} took {:?}",
        t.elapsed()
    );
    r
}

// ---------------------------------------------------------------------------------------------
// PDF

#[test]
fn pdf_page_tree_cycles_are_reported_as_cycles() {
    let (mut doc, pages_id) = pdf(2, |i| Some(text_page(i)), false);
    if let Ok(Object::Dictionary(d)) = doc.get_object_mut(pages_id) {
        if let Ok(Object::Array(kids)) = d.get_mut(b"Kids") {
            kids.push(Object::Reference(pages_id));
        }
    }
    let e = extract::pdf::extract("x", &save(doc)).unwrap_err();
    assert!(e.to_string().contains("cycle"), "{e}");
    assert!(!e.to_string().contains("OCR"), "{e}");
}

#[test]
fn pdf_flate_bombs_are_refused_before_they_are_held() {
    // 256 MiB of zeros compress to about 250 KB; the cap per stream is 64 MiB.
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..256 {
        z.write_all(&chunk).unwrap();
    }
    let bomb = z.finish().unwrap();
    let (mut doc, _) = pdf(1, |i| Some(text_page(i)), false);
    let mut st = Stream::new(Dictionary::new(), Vec::new());
    st.dict.set("Filter", Object::Name(b"FlateDecode".to_vec()));
    st.set_content(bomb);
    doc.add_object(Object::Stream(st));
    let bytes = save(doc);
    assert!(bytes.len() < 2 << 20);
    let e = timed("flate bomb", || extract::pdf::extract("x", &bytes)).unwrap_err();
    assert!(matches!(e, ExtractError::TooLarge { .. }), "{e}");
    assert!(e.to_string().contains("inflates to more than"), "{e}");
}

#[test]
fn pdf_millions_of_saved_graphics_states_are_refused() {
    let (doc, _) = pdf(1, |_| Some(b"q ".repeat(2_000_000)), true);
    let e = timed("2 M q", || extract::pdf::extract("x", &save(doc))).unwrap_err();
    assert!(e.to_string().contains("graphics states"), "{e}");
    // Balanced q/Q, however many, are fine; strings holding `q` do not count.
    let ok = [
        b"BT /F1 12 Tf (q q q q) Tj ET ".repeat(2000),
        b"q Q ".repeat(100_000),
        text_page(1),
    ]
    .concat();
    assert_eq!(extract::pdf::gstate_depth(&ok), 1);
    let (doc, _) = pdf(1, |_| Some(ok.clone()), true);
    let d = extract::pdf::extract("x", &save(doc)).unwrap();
    assert!(d.blocks.iter().any(|b| b.text.contains("zorblatt")));
}

#[test]
fn pdf_pages_cost_the_same_at_any_count_and_shared_content_is_read_once() {
    let mut per_page = Vec::new();
    for n in [1_000usize, 10_000] {
        let (doc, _) = pdf(n, |i| Some(text_page(i)), false);
        let bytes = save(doc);
        let t = Instant::now();
        let d = extract::pdf::extract("x", &bytes).unwrap();
        let took = t.elapsed();
        eprintln!("{n} pages: {took:?} ({:?} per page)", took / n as u32);
        per_page.push(took.as_secs_f64() / n as f64);
        let last = format!("Article {} zorblatt gadget", n - 1);
        assert!(d.blocks.iter().any(|b| b.text == last), "page {n} missing");
    }
    eprintln!(
        "per-page cost ratio 10k/1k: {:.2}",
        per_page[1] / per_page[0]
    );
    // One content stream of 2,000 text operations shared by 2,000 pages.
    let big: Vec<u8> = (0..2000).flat_map(text_page).chain(*b" ").collect();
    let (doc, _) = pdf(2000, |i| (i == 0).then(|| big.clone()), true);
    let bytes = save(doc);
    let d = timed("2,000 pages sharing one content stream", || {
        extract::pdf::extract("x", &bytes)
    })
    .unwrap();
    assert!(d
        .blocks
        .iter()
        .any(|b| b.text.contains("Article 1999 zorblatt")));
}

/// 200,000 pages: `cargo test --test budget -- --ignored two_hundred_thousand`.
#[test]
#[ignore]
fn two_hundred_thousand_pages() {
    let (doc, _) = pdf(200_000, |i| Some(text_page(i)), false);
    let bytes = save(doc);
    let t = Instant::now();
    let d = extract::pdf::extract("x", &bytes).unwrap();
    eprintln!(
        "200,000 pages: {:?}, {} blocks",
        t.elapsed(),
        d.blocks.len()
    );
}

// ---------------------------------------------------------------------------------------------
// tar.gz

fn gz(tar: &[u8]) -> Vec<u8> {
    let mut g = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    g.write_all(tar).unwrap();
    g.finish().unwrap()
}

#[test]
fn a_gnu_long_name_is_bounded_before_it_is_read() {
    // A long-name header announcing 1 GiB, followed by 1 MiB of its "name".
    let mut h = tar::Header::new_gnu();
    h.as_gnu_mut().unwrap().name[..13].copy_from_slice(b"././@LongLink");
    h.set_entry_type(tar::EntryType::GNULongName);
    h.set_size(1 << 30);
    h.set_mode(0o644);
    h.set_cksum();
    let mut raw = h.as_bytes().to_vec();
    raw.extend(std::iter::repeat_n(b'a', 1 << 20));
    let bytes = gz(&raw);
    let e = timed("1 GiB long name", || {
        extract::archive::extract("bulk", &bytes)
    })
    .unwrap_err();
    assert!(e.to_string().contains("GNU long name"), "{e}");
    assert!(e.to_string().contains("before reading"), "{e}");
    // A long name of a real member still names it.
    let long = format!("gesetze-abc/{}/index.md", "d".repeat(300));
    let mut b = tar::Builder::new(Vec::new());
    let law = b"# Invented Long Law\n\n## \xc2\xa7 1 Length\n\nNames may be long.\n";
    let mut h = tar::Header::new_gnu();
    h.set_size(law.len() as u64);
    h.set_mode(0o644);
    b.append_data(&mut h, &long, &law[..]).unwrap();
    let docs = extract::archive::extract("bulk", &gz(&b.into_inner().unwrap())).unwrap();
    assert_eq!(docs[0].member.as_deref(), Some("d".repeat(300).as_str()));
}

// ---------------------------------------------------------------------------------------------
// Sniffing and depth limits

#[test]
fn bytes_that_do_not_match_their_format_are_refused() {
    let (doc, _) = pdf(1, |i| Some(text_page(i)), false);
    let pdf_bytes = save(doc);
    let e = extract::extract(&source(Format::Markdown), &pdf_bytes).unwrap_err();
    assert!(e.to_string().contains("are PDF"), "{e}");
    let random = random_bytes(64 * 1024, 17);
    for f in [
        Format::Text,
        Format::Markdown,
        Format::Html,
        Format::Json,
        Format::Xml,
    ] {
        let e = extract::extract(&source(f), &random).unwrap_err();
        assert!(e.to_string().contains("binary"), "{f}: {e}");
    }
    let e = extract::extract(&source(Format::TarGz), b"# not an archive\n").unwrap_err();
    assert!(e.to_string().contains("not a gzip"), "{e}");
    let e = extract::extract(&source(Format::Pdf), &gz(b"x")).unwrap_err();
    assert!(e.to_string().contains("gzip"), "{e}");
    // Text in Windows-1252 and UTF-16 with its BOM stays text.
    let cp1252 = b"Section 3 \x96 an invented caf\xe9 offence.\r\n";
    assert!(extract::extract(&source(Format::Text), cp1252).is_ok());
    let utf16: Vec<u8> = [0xff, 0xfe]
        .into_iter()
        .chain("Invented text.\n".encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    assert!(extract::extract(&source(Format::Text), &utf16).is_ok());
}

#[test]
fn documented_depth_limits_are_exact() {
    let xml = |n: usize| format!("{}invented depth{}", "<a>".repeat(n), "</a>".repeat(n));
    assert!(extract::xml::extract("x", xml(256).as_bytes()).is_ok());
    let e = extract::xml::extract("x", xml(257).as_bytes()).unwrap_err();
    assert!(
        e.to_string().contains("257 levels deep, deeper than 256"),
        "{e}"
    );
    // The root is level 1; siblings and text between levels do not count, only nesting.
    let wide = |n: usize| {
        format!(
            "<r>{}{}{}</r>",
            "<a><b/>t".repeat(n - 2),
            "<c>invented</c>",
            "</a>".repeat(n - 2)
        )
    };
    assert!(extract::xml::extract("x", wide(256).as_bytes()).is_ok());
    assert!(extract::xml::extract("x", wide(257).as_bytes()).is_err());
    let json = |n: usize| format!("{}\"invented depth\"{}", "[".repeat(n), "]".repeat(n));
    assert!(extract::json::extract("x", json(128).as_bytes()).is_ok());
    let e = extract::json::extract("x", json(129).as_bytes()).unwrap_err();
    assert!(
        e.to_string()
            .contains("129 levels deep, over the limit of 128"),
        "{e}"
    );
    // The same at the boundary inside objects, mixed with arrays (the scan counts both).
    let mixed = |n: usize| {
        let open: String = (0..n)
            .map(|i| if i % 2 == 0 { "{\"k\":" } else { "[" })
            .collect();
        let close: String = (0..n)
            .rev()
            .map(|i| if i % 2 == 0 { "}" } else { "]" })
            .collect();
        format!("{open}\"invented depth\"{close}")
    };
    assert!(extract::json::extract("x", mixed(128).as_bytes()).is_ok());
    let e = extract::json::extract("x", mixed(129).as_bytes()).unwrap_err();
    assert!(e.to_string().contains("over the limit of 128"), "{e}");
    // Brackets inside strings are not nesting.
    let s = format!("[\"{}\"]", "[{".repeat(1000));
    assert_eq!(extract::json::nesting_depth(&s), 1);
}

// ---------------------------------------------------------------------------------------------
// Fuzz bodies of the new targets, in-test (cargo-fuzz needs cargo-fuzz installed)

fn fuzz_loop(
    name: &str,
    budget: Duration,
    seeds: &[Vec<u8>],
    dict: &[&[u8]],
    body: fn(&[u8]),
) -> usize {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64 ^ name.len() as u64;
    let mut next = move || {
        rng ^= rng >> 12;
        rng ^= rng << 25;
        rng ^= rng >> 27;
        rng.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let start = Instant::now();
    let mut execs = 0;
    while start.elapsed() < budget {
        let mut input = seeds[next() as usize % seeds.len()].clone();
        for _ in 0..1 + next() % 8 {
            let at = next() as usize % (input.len() + 1);
            match next() % 4 {
                0 => input.insert(at, next() as u8),
                1 if !input.is_empty() => {
                    let k = at.min(input.len() - 1);
                    input[k] ^= 1 << (next() % 8);
                }
                2 if at < input.len() => {
                    input.drain(at..(at + 1 + next() as usize % 16).min(input.len()));
                }
                _ => {
                    let tok = dict[next() as usize % dict.len()];
                    let times = 1 + next() as usize % 64;
                    let rep: Vec<u8> = tok.repeat(times);
                    input.splice(at..at, rep);
                }
            }
        }
        input.truncate(1 << 16);
        if let Err(p) = std::panic::catch_unwind(|| body(&input)) {
            let msg = p
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            panic!(
                "{name} failed after {execs} executions: {msg}\ninput: {:?}",
                String::from_utf8_lossy(&input[..input.len().min(500)])
            );
        }
        execs += 1;
    }
    eprintln!("fuzz {name}: {execs} executions in {:?}", start.elapsed());
    execs
}

fn fuzz_secs() -> Duration {
    Duration::from_secs_f64(
        std::env::var("CYBERLEX_FUZZ_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(1.5),
    )
}

#[test]
fn fuzz_markdown_inline_proximity_and_pdf_structure() {
    let md: Vec<Vec<u8>> = vec![
        b"a [link](url) <b>x</b> &amp; **e** {{< s >}} <!-- c --> [[w|l]]".to_vec(),
        b"<a <a href=x> &#x41; ![i](s) <https://e.org>".to_vec(),
    ];
    let md_dict: &[&[u8]] = &[
        b"<a ", b"&#", b"[", b"](", b")", b"[[", b"]]", b"<", b">", b"<!--", b"-->", b"{{", b"}}",
        b"{%", b"*", b"_", b"~~", b"\\", b"&amp;", b"\n",
    ];
    let n = fuzz_loop(
        "markdown_inline",
        fuzz_secs(),
        &md,
        md_dict,
        fuzz_bodies::markdown_inline,
    );
    assert!(n > 100);
    let prox: Vec<Vec<u8>> = vec![
        b"access w/5 gadget\nan invented access to a gadget without leave".to_vec(),
        b"gadget pre/2 access /s leave\nthe gadget access. leave it.".to_vec(),
    ];
    let prox_dict: &[&[u8]] = &[
        b" w/3 ", b" pre/2 ", b" /s ", b" /p ", b" access", b" gadget", b"\"", b"(", b")", b" OR ",
        b". ",
    ];
    let n = fuzz_loop(
        "proximity",
        fuzz_secs(),
        &prox,
        prox_dict,
        fuzz_bodies::proximity,
    );
    assert!(n > 100);
    let (doc, _) = pdf(3, |i| Some(text_page(i)), false);
    let pdfs = vec![save(doc)];
    let pdf_dict: &[&[u8]] = &[
        b"q ",
        b"Q ",
        b"/Kids [",
        b" 0 R",
        b"/FlateDecode",
        b"stream\n",
        b"endobj",
        b"(",
        b")",
    ];
    let n = fuzz_loop("pdf", fuzz_secs(), &pdfs, pdf_dict, fuzz_bodies::pdf);
    assert!(n > 10);
}

// ---------------------------------------------------------------------------------------------
// Builds through the binary: budget, isolation, index that checks itself, output

const HOST: &str = "budget.example";

struct Fixture {
    _tmp: tempfile::TempDir,
    root: PathBuf,
    mirror: PathBuf,
    index: PathBuf,
}

impl Fixture {
    fn new() -> Fixture {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().to_path_buf();
        Fixture {
            mirror: root.join("mirror"),
            index: root.join("idx"),
            root,
            _tmp: tmp,
        }
    }
    fn file(&self, name: &str, bytes: &[u8]) {
        let p = self.mirror.join(HOST).join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, bytes).unwrap();
    }
    /// A manifest of (id, url path or full URL, format).
    fn manifest(&self, name: &str, docs: &[(&str, &str, &str)]) -> PathBuf {
        let mut m = String::new();
        for (id, file, format) in docs {
            let url = if file.contains("://") {
                file.to_string()
            } else {
                format!("https://{HOST}/{file}")
            };
            m.push_str(&format!(
                "[[source]]\nid = \"{id}\"\nurl = \"{url}\"\ntitle = \"Invented {id}\"\nkind = \"national-law\"\njurisdiction = \"XX\"\nlanguage = \"en\"\nformat = \"{format}\"\n\n"
            ));
        }
        let p = self.root.join(name);
        std::fs::write(&p, m).unwrap();
        p
    }
    fn build(&self, manifest: &Path, extra: &[&str]) -> Output {
        Command::new(bin())
            .args(["build", "--json", "--threads", "2", "--sources"])
            .arg(manifest)
            .arg("--mirror")
            .arg(&self.mirror)
            .arg("--index")
            .arg(&self.index)
            .args(extra)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
    fn cli(&self, args: &[&str]) -> Output {
        Command::new(bin())
            .args(args)
            .arg("--index")
            .arg(&self.index)
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }
}

fn report(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "build failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn reason(r: &serde_json::Value, id: &str) -> String {
    r["failures"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["source_id"] == id)
        .map(|f| f["reason"].as_str().unwrap_or_default().to_string())
        .unwrap_or_else(|| format!("{id} did not fail"))
}

const GOOD: &[u8] = b"# Invented Gadget Act\n\n## Article 1 - Gadgets\n\nNobody may open a zorblatt gadget without leave.\n\n## Article 2 - Leave\n\nLeave is given in writing.\n";

/// The index's current generation directory.
fn current_generation(index: &Path) -> PathBuf {
    let current = std::fs::read_to_string(index.join("CURRENT")).unwrap();
    index.join(current.trim())
}

/// A search of the fixture's index fails (exit 2) with an error saying all of `says`; the next
/// build of `m` is not up to date, and the search works again.
/// A fixture holding the good invented document and a manifest of it.
fn good_fixture() -> (Fixture, PathBuf) {
    let f = Fixture::new();
    f.file("good.md", GOOD);
    let m = f.manifest("m.toml", &[("xx-good", "good.md", "md")]);
    (f, m)
}

fn refused_then_rebuilt(f: &Fixture, m: &Path, says: &[&str], what: &str) {
    let out = f.cli(&["search", "zorblatt"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{what}: {err}");
    assert!(says.iter().all(|s| err.contains(s)), "{what}: {err}");
    let r = report(&f.build(m, &[]));
    assert_eq!(r["up_to_date"], false, "{what}: not up to date");
    assert_eq!(
        f.cli(&["search", "zorblatt"]).status.code(),
        Some(0),
        "{what}: not repaired"
    );
}

fn generations(index: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(index)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("gen-"))
        .collect();
    v.sort();
    v
}

#[test]
fn each_hostile_document_fails_alone_within_its_budget() {
    let f = Fixture::new();
    f.file("good.md", GOOD);
    // 48 MB of paragraphs: more than the 1 s budget given below.
    let slow: Vec<u8> = (0..1_200_000)
        .flat_map(|i| format!("Article {i} a gadget text.\n\n").into_bytes())
        .collect();
    f.file("slow.md", &slow);
    let (doc, _) = pdf(1, |_| Some(b"q ".repeat(2_000_000)), true);
    f.file("q.pdf", &save(doc));
    let (mut doc, pages_id) = pdf(2, |i| Some(text_page(i)), false);
    if let Ok(Object::Dictionary(d)) = doc.get_object_mut(pages_id) {
        if let Ok(Object::Array(kids)) = d.get_mut(b"Kids") {
            kids.push(Object::Reference(pages_id));
        }
    }
    f.file("cycle.pdf", &save(doc));
    let (doc, _) = pdf(1, |i| Some(text_page(i)), false);
    f.file("pdf-as.md", &save(doc));
    f.file("random.txt", &random_bytes(100_000, 5));
    std::fs::write(
        f.mirror.join("secret.md"),
        b"# Invented Secret\n\nzorblatt secret\n",
    )
    .unwrap();
    let m = f.manifest(
        "m.toml",
        &[
            ("xx-good", "good.md", "md"),
            ("xx-slow", "slow.md", "md"),
            ("xx-q", "q.pdf", "pdf"),
            ("xx-cycle", "cycle.pdf", "pdf"),
            ("xx-pdf-as-md", "pdf-as.md", "md"),
            ("xx-random", "random.txt", "txt"),
            ("xx-escape", "https://../secret.md", "md"),
        ],
    );
    let t = Instant::now();
    let r = report(&f.build(&m, &["--doc-timeout", "1"]));
    eprintln!("hostile build: {:?}\n{:#}", t.elapsed(), r["failures"]);
    assert!(
        reason(&r, "xx-slow").contains("time budget"),
        "{}",
        reason(&r, "xx-slow")
    );
    assert!(reason(&r, "xx-q").contains("graphics states"));
    assert!(reason(&r, "xx-cycle").contains("cycle"));
    assert!(reason(&r, "xx-pdf-as-md").contains("are PDF"));
    assert!(reason(&r, "xx-random").contains("binary"));
    assert!(reason(&r, "xx-escape").contains("not in the mirror"));
    assert_eq!(r["passages"], 2, "only the good document is indexed");
    let out = f.cli(&["search", "zorblatt", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["hits"][0]["passage_id"], "xx-good/1");
    assert_eq!(
        v["total_hits"], 1,
        "the secret outside the mirror is not indexed"
    );
}

#[test]
fn a_document_over_its_memory_budget_kills_its_worker_not_the_build() {
    let (f, m) = good_fixture();
    // 16 MiB of address space is less than any process needs: the worker dies at once.
    let out = f.build(&m, &["--doc-memory", "16"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("memory budget is 16 MiB"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        generations(&f.index).is_empty(),
        "a failed build leaves no generation"
    );
    // The same document with the default budget builds.
    report(&f.build(&m, &[]));
}

#[test]
fn the_index_checks_itself_and_build_repairs_it() {
    let (f, m) = good_fixture();
    report(&f.build(&m, &[]));
    let gen = f.index.join(&generations(&f.index)[0]);
    // Readers take no lock: a lock file tantivy could not create does not stop a search.
    let _ = std::fs::remove_file(gen.join(".tantivy-meta.lock"));
    std::fs::create_dir(gen.join(".tantivy-meta.lock")).unwrap();
    assert_eq!(f.cli(&["search", "zorblatt"]).status.code(), Some(0));
    std::fs::remove_dir(gen.join(".tantivy-meta.lock")).unwrap();
    for damage in [
        "truncate .store",
        "flip .idx",
        "delete meta.json",
        "delete .term",
    ] {
        let gen = current_generation(&f.index);
        let file = |ext: &str| {
            std::fs::read_dir(&gen)
                .unwrap()
                .flatten()
                .map(|e| e.path())
                .find(|p| p.to_string_lossy().ends_with(ext))
                .unwrap()
        };
        match damage {
            "truncate .store" => {
                let p = file(".store");
                let len = std::fs::metadata(&p).unwrap().len();
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&p)
                    .unwrap()
                    .set_len(len / 2)
                    .unwrap();
            }
            "flip .idx" => {
                let p = file(".idx");
                let mut b = std::fs::read(&p).unwrap();
                for i in (0..b.len()).step_by(7) {
                    b[i] ^= 0x5a;
                }
                std::fs::write(&p, b).unwrap();
            }
            "delete meta.json" => std::fs::remove_file(gen.join("meta.json")).unwrap(),
            _ => std::fs::remove_file(file(".term")).unwrap(),
        }
        refused_then_rebuilt(
            &f,
            &m,
            &["corrupted", "`cyberlex build` repairs it"],
            damage,
        );
        // The broken generation stays as the previous one until the next build (readers may hold it).
        assert!(generations(&f.index).len() <= 2, "{damage}");
    }
    // Leftovers of a killed build are cleared even by a build that changes nothing.
    let left = f.index.join("gen-1-999999");
    std::fs::create_dir(&left).unwrap();
    std::fs::write(left.join(".cyberlex-generation"), b"").unwrap();
    // A build killed while making its generation leaves `.gen-new-<pid>` with at most the
    // marker in it: removed too; one holding anything else is not ours to remove.
    let making = f.index.join(".gen-new-999998");
    std::fs::create_dir(&making).unwrap();
    std::fs::write(making.join(".cyberlex-generation"), b"").unwrap();
    let empty = f.index.join(".gen-new-999997");
    std::fs::create_dir(&empty).unwrap();
    let foreign = f.index.join(".gen-new-999996");
    std::fs::create_dir(&foreign).unwrap();
    std::fs::write(foreign.join("notes.txt"), b"invented notes").unwrap();
    let r = report(&f.build(&m, &[]));
    assert_eq!(r["up_to_date"], true);
    assert!(!left.exists(), "leftover generation kept");
    assert!(
        !making.exists() && !empty.exists(),
        "generation being made kept"
    );
    assert!(
        foreign.join("notes.txt").is_file(),
        "a directory it did not write was removed"
    );
}

#[test]
fn an_index_of_an_earlier_format_says_so_and_build_rebuilds_it() {
    let (f, m) = good_fixture();
    report(&f.build(&m, &[]));
    let marker = || current_generation(&f.index).join(".cyberlex-generation");
    let written = std::fs::read_to_string(marker()).unwrap();
    assert!(written.contains("index format 4"), "{written}");
    // What builds of formats 3 (pre-tokenized breaks), 2 (a stemmed copy of the text, no stem
    // lexicon) and 1 (the marker without a format line) wrote.
    for (format, line) in [
        ("format 3", "index format 3\n"),
        ("format 2", "index format 2\n"),
        ("format 1", ""),
    ] {
        let first = written.lines().next().unwrap_or_default();
        std::fs::write(marker(), format!("{first}\n{line}")).unwrap();
        refused_then_rebuilt(
            &f,
            &m,
            &["earlier cyberlex", "`cyberlex build` rebuilds it"],
            format,
        );
    }
}

#[test]
fn a_generation_whose_stem_lexicon_is_missing_or_damaged_is_reported_and_rebuilt() {
    let (f, m) = good_fixture();
    report(&f.build(&m, &[]));
    let lexicon = || current_generation(&f.index).join("lexicon.sst");
    assert!(lexicon().is_file());
    std::fs::remove_file(lexicon()).unwrap();
    refused_then_rebuilt(&f, &m, &["lexicon.sst", "corrupted"], "lexicon missing");
    // One flipped byte in the middle of the table.
    let mut bytes = std::fs::read(lexicon()).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0x5a;
    std::fs::write(lexicon(), bytes).unwrap();
    refused_then_rebuilt(&f, &m, &["lexicon.sst", "checksum"], "lexicon damaged");
}

#[test]
fn build_refuses_a_directory_that_is_not_an_index_and_removes_only_its_own() {
    let (f, m) = good_fixture();
    std::fs::create_dir_all(f.index.join("gen-precious")).unwrap();
    std::fs::write(f.index.join("gen-precious/notes.txt"), b"invented notes").unwrap();
    let out = f.build(&m, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("not a cyberlex index"), "{err}");
    assert!(f.index.join("gen-precious/notes.txt").is_file());
    // Inside a real index, a gen-* directory it did not write survives rebuilds.
    std::fs::remove_dir_all(&f.index).unwrap();
    report(&f.build(&m, &[]));
    std::fs::create_dir_all(f.index.join("gen-foreign")).unwrap();
    std::fs::write(f.index.join("gen-foreign/notes.txt"), b"invented notes").unwrap();
    f.file(
        "good.md",
        &[GOOD, b"\n## Article 3 - More\n\nMore gadgets.\n"].concat(),
    );
    let r = report(&f.build(&m, &[]));
    assert_eq!(r["up_to_date"], false);
    assert!(f.index.join("gen-foreign/notes.txt").is_file());
    // A build that fails after creating its generation removes it.
    f.file("broken.pdf", b"%PDF-1.4 broken");
    let bad = f.manifest("bad.toml", &[("xx-broken", "broken.pdf", "pdf")]);
    let before = generations(&f.index);
    let current = std::fs::read_to_string(f.index.join("CURRENT")).unwrap();
    assert_eq!(f.build(&bad, &[]).status.code(), Some(2));
    let after = generations(&f.index);
    assert!(
        after.iter().all(|g| before.contains(g)),
        "{before:?} → {after:?}"
    );
    assert_eq!(
        std::fs::read_to_string(f.index.join("CURRENT")).unwrap(),
        current
    );
    assert!(after.contains(&current.trim().to_string()));
}

#[test]
fn control_characters_stay_away_from_the_terminal_and_csv_formulas_are_defused() {
    let f = Fixture::new();
    let hostile = "# Invented Act\n\n## Article 1 - =HYPERLINK(\"http://x\")\n\nA zorblatt \x1b]0;pwned\x07 gadget \x1b]52;c;Y2xpcA==\x07 with \u{9b}31m colour.\n";
    f.file("h.md", hostile.as_bytes());
    let m = f.manifest("m.toml", &[("xx-h", "h.md", "md")]);
    report(&f.build(&m, &[]));
    for args in [
        &["search", "zorblatt"][..],
        &["search", "zorblatt", "--format", "markdown"],
        &["search", "zorblatt", "--format", "csv"],
        &["show", "xx-h/1"],
    ] {
        let out = f.cli(args);
        let s = String::from_utf8(out.stdout).unwrap();
        assert!(
            !s.chars()
                .any(|c| c == '\x1b' || c == '\x07' || ('\u{80}'..='\u{9f}').contains(&c)),
            "{args:?}: raw control characters in {s:?}"
        );
        assert!(s.contains("\\u001b]0;pwned"), "{args:?}: {s}");
        if args.contains(&"csv") {
            assert!(s.contains(",\"'=HYPERLINK"), "{s}");
        }
    }
    let out = f.cli(&["search", "zorblatt", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let text = v["hits"][0]["text"].as_str().unwrap();
    assert!(
        text.contains("\x1b]0;pwned\x07") && text.contains('\u{9b}'),
        "JSON keeps the text exact: {text:?}"
    );
}
