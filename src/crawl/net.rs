//! Is there a network at all? A run resolves its hosts once (all at once, bounded in time) and
//! watches which hosts answer: when no host of the manifest resolves, or the first hosts tried
//! all fail to connect while none has answered, the network is declared down for the run and
//! every remaining request fails at once with that one reason, instead of each source spending
//! its retries and blaming robots.txt.

use std::collections::HashMap;
use std::net::ToSocketAddrs;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

/// How many unreachable hosts (with none reached) make the network "down", at most.
const DOWN_AFTER_HOSTS: usize = 3;

/// Whether a name resolved (an error message when it did not).
type Resolved = Result<(), String>;

/// What a run knows about the network.
#[derive(Debug, Default)]
pub(crate) struct Net {
    /// `host:port` → resolution result (an error message when it does not resolve).
    resolved: Mutex<HashMap<String, Arc<OnceLock<Resolved>>>>,
    /// Some host answered something (any HTTP status).
    reached: AtomicBool,
    /// Hosts that could not be connected to, with the first reason.
    unreachable: Mutex<Vec<(String, String)>>,
    /// Distinct hosts of the run (0: unknown).
    hosts: AtomicUsize,
    /// Why the network is down, once decided.
    down: OnceLock<String>,
}

impl Net {
    /// The run has `n` distinct hosts (bounds how many must fail before the network is down).
    pub fn set_hosts(&self, n: usize) {
        self.hosts.store(n, Ordering::Relaxed);
    }

    /// Why the network is down, when it is.
    pub fn down(&self) -> Option<&str> {
        self.down.get().map(String::as_str)
    }

    /// A host answered.
    pub fn reached(&self) {
        self.reached.store(true, Ordering::Relaxed);
    }

    /// `authority` could not be connected to (DNS, refused, unreachable, connect timeout).
    pub fn unreachable(&self, authority: &str, reason: &str) {
        let mut u = self.unreachable.lock().unwrap_or_else(|e| e.into_inner());
        if !u.iter().any(|(h, _)| h == authority) {
            u.push((authority.to_string(), reason.to_string()));
        }
        let hosts = self.hosts.load(Ordering::Relaxed);
        let needed = if hosts == 0 {
            DOWN_AFTER_HOSTS
        } else {
            hosts.min(DOWN_AFTER_HOSTS)
        };
        if !self.reached.load(Ordering::Relaxed) && u.len() >= needed {
            let (h, r) = &u[0];
            let _ = self.down.set(format!(
                "no network: {} host{} of this run cannot be reached and none answered ({h}: {r})",
                u.len(),
                if u.len() == 1 { "" } else { "s" }
            ));
        }
    }

    /// Resolve `host:port` (once per run; bounded by `timeout`).
    pub fn resolve(&self, host_port: &str, timeout: Duration) -> Result<(), String> {
        let cell = {
            let mut map = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(host_port.to_string()).or_default().clone()
        };
        cell.get_or_init(|| resolve_bounded(host_port, timeout))
            .clone()
    }

    /// Resolve every host of a run at once, waiting at most `timeout`: when not one resolves,
    /// the network is down (and this says why).
    pub fn probe(&self, host_ports: &[String], timeout: Duration) -> Result<(), String> {
        if host_ports.is_empty() {
            return Ok(());
        }
        let (tx, rx) = mpsc::channel();
        for hp in host_ports {
            let cell = {
                let mut map = self.resolved.lock().unwrap_or_else(|e| e.into_inner());
                map.entry(hp.clone()).or_default().clone()
            };
            if let Some(r) = cell.get() {
                let _ = tx.send((hp.clone(), r.clone()));
                continue;
            }
            let (tx, hp) = (tx.clone(), hp.clone());
            // A lookup cannot be cancelled: a thread per host, which ends with its lookup.
            std::thread::spawn(move || {
                let r = cell.get_or_init(|| lookup(&hp)).clone();
                let _ = tx.send((hp, r));
            });
        }
        drop(tx);
        let deadline = Instant::now() + timeout;
        let mut first_error = None;
        let mut answered = 0;
        while answered < host_ports.len() {
            let left = deadline.saturating_duration_since(Instant::now());
            match rx.recv_timeout(left) {
                Ok((_, Ok(()))) => return Ok(()),
                Ok((hp, Err(e))) => {
                    answered += 1;
                    first_error.get_or_insert(format!("{hp}: {e}"));
                }
                Err(_) => break,
            }
        }
        let n = host_ports.len();
        let why = match first_error {
            Some(e) if answered == n => format!(
                "no network: {} of this run resolves ({e})",
                if n == 1 {
                    "the one host".to_string()
                } else {
                    format!("none of the {n} hosts")
                }
            ),
            Some(e) => format!(
                "no network: no host of this run resolved within {:.0} s ({e})",
                timeout.as_secs_f64()
            ),
            None => format!(
                "no network: the name server did not answer within {:.0} s for any of the {n} hosts",
                timeout.as_secs_f64()
            ),
        };
        let _ = self.down.set(why.clone());
        Err(why)
    }
}

fn lookup(host_port: &str) -> Result<(), String> {
    match host_port.to_socket_addrs() {
        Ok(addrs) => match addrs.count() {
            0 => Err("no address".into()),
            _ => Ok(()),
        },
        Err(e) => Err(e.to_string()),
    }
}

fn resolve_bounded(host_port: &str, timeout: Duration) -> Result<(), String> {
    let (tx, rx) = mpsc::channel();
    let hp = host_port.to_string();
    std::thread::spawn(move || {
        let _ = tx.send(lookup(&hp));
    });
    rx.recv_timeout(timeout).unwrap_or_else(|_| {
        Err(format!(
            "the name server did not answer within {:.0} s",
            timeout.as_secs_f64()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_resolves_and_invalid_names_do_not() {
        let net = Net::default();
        assert_eq!(net.resolve("127.0.0.1:80", Duration::from_secs(5)), Ok(()));
        assert!(net
            .probe(&["127.0.0.1:80".into()], Duration::from_secs(5))
            .is_ok());
        assert!(net.down().is_none());
        // `.invalid` never resolves (RFC 6761), with or without a network.
        let net = Net::default();
        let hosts = vec![
            "cyberlex-a.invalid:443".to_string(),
            "cyberlex-b.invalid:443".to_string(),
        ];
        let e = net.probe(&hosts, Duration::from_secs(20)).unwrap_err();
        assert!(e.starts_with("no network:"), "{e}");
        assert!(e.contains(".invalid"), "{e}");
        assert_eq!(net.down(), Some(e.as_str()));
    }

    #[test]
    fn down_after_the_first_hosts_fail_with_none_reached() {
        let net = Net::default();
        net.set_hosts(5);
        net.unreachable("a.example:443", "connection refused");
        net.unreachable("a.example:443", "connection refused");
        net.unreachable("b.example:443", "connection refused");
        assert!(net.down().is_none(), "two distinct hosts are not enough");
        net.unreachable("c.example:443", "connection refused");
        let d = net.down().unwrap();
        assert!(d.contains("3 hosts") && d.contains("a.example"), "{d}");

        let net = Net::default();
        net.set_hosts(5);
        net.reached();
        for h in ["a", "b", "c", "d"] {
            net.unreachable(h, "refused");
        }
        assert!(net.down().is_none(), "one host answered: the network is up");

        let net = Net::default();
        net.set_hosts(1);
        net.unreachable("only.example:443", "refused");
        assert!(net.down().is_some(), "a run of one host");
    }
}
