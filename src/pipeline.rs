//! The build, end to end: sources → bytes → documents → passages → index.
//!
//! This is the only module that reaches every room; it runs them in order (data flows one way:
//! corpus → crawl → extract → segment → index) and keeps going when one document fails.

use crate::corpus::Source;
use crate::extract::{self, ExtractError};
use crate::segment::{self, Profiles, Segmented};

/// Extract and segment the bytes of one source: one [`Segmented`] per document it holds.
pub fn passages_of(
    source: &Source,
    bytes: &[u8],
    profiles: &Profiles,
) -> Result<Vec<Segmented>, ExtractError> {
    let docs = extract::extract(source, bytes)?;
    Ok(docs
        .iter()
        .map(|d| segment::segment(source, d, profiles))
        .collect())
}
