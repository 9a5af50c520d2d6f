//! cyberlex: full-text search over cybercrime law, provision by provision.
pub mod corpus;
pub mod extract;
pub mod segment;
pub mod crawl;
pub mod pipeline;
