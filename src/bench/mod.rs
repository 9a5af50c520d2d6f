//! `bench`: what `cyberlex bench` and `cyberlex eval` measure, as a library.
//!
//! - [`metrics`]: nDCG@k, Recall@k, MRR@k over graded judgements;
//! - [`qrels`]: the judged query set (`eval/qrels.toml`);
//! - [`truth`]: the judged truth table of `compare`/`matrix` (`eval/truth.toml`);
//! - [`raw`]: a minimal tantivy indexer (tantivy-cli's default schema) to compare builds with;
//! - here: summary statistics, peak memory, and the scaled manifest of `bench build --scale K`.

pub mod metrics;
pub mod qrels;
pub mod raw;
pub mod truth;

use std::io::Read;
use std::path::Path;

use serde::Serialize;

use crate::corpus::{Format, Manifest, Source};

/// Output format of `bench` and `eval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

/// Median, minimum and maximum of some runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Stat {
    pub median: f64,
    pub min: f64,
    pub max: f64,
}

impl Stat {
    /// The median (mean of the two middle values for an even count), min and max.
    pub fn of(values: &[f64]) -> Stat {
        if values.is_empty() {
            return Stat::default();
        }
        let mut v = values.to_vec();
        v.sort_by(f64::total_cmp);
        let n = v.len();
        let median = if n % 2 == 1 {
            v[n / 2]
        } else {
            (v[n / 2 - 1] + v[n / 2]) / 2.0
        };
        Stat {
            median,
            min: v[0],
            max: v[n - 1],
        }
    }
}

/// The `p`-th percentile (0-100) of sorted values, nearest-rank method.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Peak resident memory of this process (`VmHWM` of `/proc/self/status`), in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        let rest = l.strip_prefix("VmHWM:")?;
        let kb: u64 = rest.trim().trim_end_matches("kB").trim().parse().ok()?;
        Some(kb * 1024)
    })
}

/// The manifest of a build `k` times the size: every source of `sources` once under its own id
/// and `k - 1` more times under `<id>-x<n>` (same URL, so the same mirror file). Bulk flags are
/// cleared so a default selection takes them all.
pub fn scaled_manifest(sources: &[Source], k: usize) -> Manifest {
    let mut out = Vec::with_capacity(sources.len() * k.max(1));
    for n in 1..=k.max(1) {
        for s in sources {
            let mut c = s.clone();
            if n > 1 {
                c.id = format!("{}-x{n}", s.id);
            }
            c.bulk = false;
            out.push(c);
        }
    }
    Manifest {
        path: format!("scaled-x{k}.toml").into(),
        sources: out,
    }
}

/// A manifest as TOML, in the format of `corpus/sources.toml` (for `build --sources FILE`).
pub fn manifest_toml(m: &Manifest) -> anyhow::Result<String> {
    #[derive(Serialize)]
    struct File<'a> {
        source: &'a [Source],
    }
    Ok(toml::to_string(&File { source: &m.sources })?)
}

/// Bytes a `tar.gz` source unpacks to (the size of what the extractor really reads); the file
/// size for every other format.
pub fn unpacked_bytes(source: &Source, path: &Path) -> std::io::Result<u64> {
    let f = std::fs::File::open(path)?;
    if source.format != Format::TarGz {
        return Ok(f.metadata()?.len());
    }
    let mut gz = flate2::read::GzDecoder::new(std::io::BufReader::new(f));
    let mut buf = vec![0u8; 1 << 20];
    let mut total = 0u64;
    loop {
        let n = gz.read(&mut buf)?;
        if n == 0 {
            return Ok(total);
        }
        total += n as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stats_and_percentiles() {
        let s = Stat::of(&[3.0, 1.0, 2.0]);
        assert_eq!((s.median, s.min, s.max), (2.0, 1.0, 3.0));
        assert_eq!(Stat::of(&[4.0, 1.0, 2.0, 3.0]).median, 2.5);
        let v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&v, 50.0), 50.0);
        assert_eq!(percentile(&v, 95.0), 95.0);
        assert_eq!(percentile(&v, 99.0), 99.0);
        assert_eq!(percentile(&[7.0], 99.0), 7.0);
    }

    #[test]
    fn scaled_manifest_has_distinct_ids_and_round_trips() {
        let m = Manifest::builtin();
        let picked: Vec<Source> = m.sources.iter().take(2).cloned().collect();
        let s = scaled_manifest(&picked, 3);
        assert_eq!(s.sources.len(), 6);
        let text = manifest_toml(&s).unwrap();
        let back = Manifest::parse(Path::new("x.toml"), &text).unwrap();
        assert_eq!(back.sources, s.sources);
        assert!(back.get(&format!("{}-x3", picked[0].id)).is_some());
    }
}
