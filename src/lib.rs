//! cyberlex: full-text search over cybercrime law, provision by provision.
pub mod bench;
pub mod cli;
pub mod corpus;
pub mod crawl;
pub mod extract;
pub mod index;
pub mod pipeline;
pub mod search;
pub mod segment;
