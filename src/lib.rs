//! cyberlex: full-text search over cybercrime law, provision by provision.
//!
//! The modules are the rooms of the pipeline, and data flows one way through them:
//! [`corpus`] (what sources exist) → [`crawl`] (how bytes arrive) → [`extract`] (bytes → text
//! with structure) → [`segment`] (text → passages with citations) → [`index`] (tantivy) →
//! [`search`] (query language, ranking, snippets, compare) → [`cli`]. [`pipeline`] runs a build
//! end to end; [`bench`] measures builds and rankings.
//!
//! A whole build and a search, on an invented statute served from a local mirror:
//!
//! ```
//! use cyberlex::corpus::Manifest;
//! use cyberlex::crawl::{mirror_path, CrawlOptions};
//! use cyberlex::pipeline::{build, BuildOptions};
//! use cyberlex::search::{Engine, SearchRequest};
//!
//! # fn main() -> anyhow::Result<()> {
//! let dir = tempfile::tempdir()?;
//! let manifest = Manifest::parse(
//!     "sources.toml".as_ref(),
//!     r#"[[source]]
//! id = "xx-gadget-act"
//! url = "https://example.org/gadget-act.md"
//! title = "Invented Gadget Act"
//! kind = "national-law"
//! jurisdiction = "DE"
//! language = "en"
//! format = "md"
//! "#,
//! )?;
//! // The mirror holds the bytes at <host><path> of their URL, as `wget -x` stores them.
//! let mirror = dir.path().join("mirror");
//! let file = mirror_path(&mirror, &manifest.sources[0].url).unwrap();
//! std::fs::create_dir_all(file.parent().unwrap())?;
//! std::fs::write(&file, "# Invented Gadget Act\n\n### Article 1 - Entering gadgets\n\nNobody may enter a gadget without leave.\n\n### Article 2 - Fines\n\nEntering a gadget is fined.\n")?;
//!
//! let report = build(&manifest, &BuildOptions {
//!     index_dir: dir.path().join("index"),
//!     crawl: CrawlOptions::with_mirror(&mirror),
//!     threads: 1,
//!     memory_budget: 50_000_000,
//!     include_bulk: false,
//!     only: vec![],
//!     progress: false,
//!     budget: Default::default(),
//! })?;
//! assert_eq!(report.passages, 2); // Art. 1 and Art. 2
//!
//! let engine = Engine::open(&dir.path().join("index"))?;
//! let found = engine.search(&SearchRequest { query: "enter w/3 gadget".into(), limit: 5, ..Default::default() })?;
//! assert_eq!(found.hits[0].citation, "Art. 1");
//! assert_eq!(found.hits[0].heading, "Entering gadgets");
//! # Ok(())
//! # }
//! ```
pub mod bench;
pub mod cli;
pub mod corpus;
pub mod crawl;
pub mod extract;
pub mod index;
pub mod logging;
pub mod pipeline;
pub mod search;
pub mod segment;
pub mod serve;
pub mod worker;
