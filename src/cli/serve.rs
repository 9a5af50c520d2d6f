//! `cyberlex serve`: the web app and JSON API over an index (see `serve/`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Args;

use super::Outcome;
use crate::serve::{self, ServeOptions};

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[arg(long, value_name = "DIR", default_value_os_t = super::default_index())]
    pub index: PathBuf,
    /// Address to listen on. Loopback by default; 0.0.0.0:PORT makes the server reachable
    /// from other machines (it has no authentication). Port 0 picks a free port.
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// Threads for engine work (0 = one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub threads: usize,
}

pub fn run(a: ServeArgs) -> anyhow::Result<Outcome> {
    serve::run(ServeOptions {
        index: a.index,
        addr: a.addr,
        threads: a.threads,
    })?;
    Ok(Outcome::Found)
}
