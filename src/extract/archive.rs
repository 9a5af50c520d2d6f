//! Placeholder during development; replaced by the real extractor.

use super::{Document, ExtractError};

pub fn extract(id: &str, _bytes: &[u8]) -> Result<Vec<Document>, ExtractError> {
    Err(ExtractError::Malformed { id: id.to_string(), format: crate::corpus::Format::TarGz, reason: "archive extraction not written yet".into() })
}
