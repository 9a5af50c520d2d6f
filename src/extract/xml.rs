//! Placeholder during development; replaced by the real extractor.

use super::{Document, ExtractError};

pub fn extract(id: &str, bytes: &[u8]) -> Result<Document, ExtractError> {
    super::text::extract(id, bytes)
}
