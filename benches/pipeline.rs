//! Criterion benches on small inputs written for the purpose: extraction, segmentation, indexing,
//! querying. (`cyberlex bench` measures whole builds on the real corpus.)

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use cyberlex::corpus::{Format, Source};
use cyberlex::extract;
use cyberlex::pipeline::{self, BuildOptions};
use cyberlex::search::{Engine, SearchRequest};
use cyberlex::segment::{self, Profiles};

/// An invented statute in the German markdown dialect: 300 sections of invented sentences.
fn invented_code() -> String {
    let mut s = String::from("---\nTitle: Erfundenes Gesetz\n---\n\n# Erfundenes Gesetz\n\n");
    for i in 1..=300 {
        s.push_str(&format!(
            "### Abschnitt {i}\n\n#### § {i}a Erfundene Vorschrift Nummer {i}\n\n(1) Wer ein erfundenes Gerät Nummer {i} ohne Erlaubnis benutzt, handelt ordnungswidrig.\n\n(2) Der Versuch ist strafbar, wenn das Gerät vernetzt ist.\n\n"
        ));
    }
    s
}

fn source(id: &str) -> Source {
    let toml = format!(
        "[[source]]\nid = \"{id}\"\nurl = \"https://example.org/{id}.md\"\ntitle = \"Invented code\"\nkind = \"national-law\"\njurisdiction = \"DE\"\nlanguage = \"de\"\nformat = \"md\"\nprofile = \"de-gesetze\"\n"
    );
    cyberlex::corpus::Manifest::parse(std::path::Path::new("bench.toml"), &toml)
        .unwrap()
        .sources
        .remove(0)
}

fn bench(c: &mut Criterion) {
    let text = invented_code();
    let src = source("xx-invented");
    let profiles = Profiles::builtin();
    assert_eq!(src.format, Format::Markdown);

    let mut g = c.benchmark_group("pipeline");
    g.throughput(Throughput::Bytes(text.len() as u64));
    g.bench_function("extract/markdown", |b| {
        b.iter(|| extract::extract(&src, black_box(text.as_bytes())).unwrap())
    });
    let docs = extract::extract(&src, text.as_bytes()).unwrap();
    g.bench_function("segment/de-gesetze", |b| {
        b.iter(|| segment::segment(&src, black_box(&docs[0]), &profiles))
    });
    g.finish();

    // Index and query: a small mirror in a temp dir.
    let dir = tempfile::tempdir().unwrap();
    let mirror = dir.path().join("mirror");
    let file = cyberlex::crawl::mirror_path(&mirror, &src.url).unwrap();
    std::fs::create_dir_all(file.parent().unwrap()).unwrap();
    std::fs::write(&file, &text).unwrap();
    let manifest = cyberlex::corpus::Manifest {
        path: "bench.toml".into(),
        sources: vec![src.clone()],
    };
    let opts = BuildOptions {
        index_dir: dir.path().join("index"),
        crawl: cyberlex::crawl::CrawlOptions {
            mirror: Some(mirror.clone()),
            ..Default::default()
        },
        threads: 1,
        memory_budget: 50_000_000,
        include_bulk: false,
        only: vec![],
        progress: false,
        budget: Default::default(),
    };
    let mut g = c.benchmark_group("index");
    g.sample_size(10);
    g.bench_function("build/300-sections", |b| {
        b.iter(|| pipeline::build(&manifest, &opts).unwrap())
    });
    g.finish();

    let engine = Engine::open(&opts.index_dir).unwrap();
    let mut g = c.benchmark_group("query");
    for q in [
        "Gerät",
        "erfundenes Gerät",
        "\"ohne Erlaubnis\"",
        "Gerät w/3 Erlaubnis",
        "§ 42a",
        "vernetz*",
    ] {
        let req = SearchRequest {
            query: q.into(),
            limit: 10,
            ..Default::default()
        };
        g.bench_function(q, |b| b.iter(|| engine.search(black_box(&req)).unwrap()));
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
