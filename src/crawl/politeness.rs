//! Being polite: retry schedule (exponential backoff with jitter), `Retry-After` (delta seconds or
//! HTTP date), and the per-host state of a run (robots.txt fetched once, time of the last request).

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The wait before retry number `attempt + 1` ("equal jitter"): the exponential step
/// `base * 2^attempt`, capped at `cap`, of which the first half is fixed and the second half is
/// scaled by `jitter` (in `[0, 1)`). So attempt 0 waits in `[base/2, base)`, attempt 1 in
/// `[base, 2·base)`, ... never more than `cap`.
pub fn backoff_delay(attempt: u32, base: Duration, cap: Duration, jitter: f64) -> Duration {
    let factor = 2f64.powi(attempt.min(30) as i32);
    let step = (base.as_secs_f64() * factor).min(cap.as_secs_f64());
    let jitter = jitter.clamp(0.0, 1.0);
    Duration::from_secs_f64(step / 2.0 + step / 2.0 * jitter)
}

/// A uniform number in `[0, 1)` from the process's random hasher keys (no RNG dependency needed).
pub fn random_unit() -> f64 {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    h.write_u128(
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    (h.finish() >> 11) as f64 / (1u64 << 53) as f64
}

/// `Retry-After`: delta seconds (`120`) or an HTTP date; a date in the past means "now".
/// `None` when the value is neither.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        return Some(Duration::from_secs(v.parse::<u64>().unwrap_or(u64::MAX)));
    }
    let when = parse_http_date(v)?;
    Some(when.duration_since(now).unwrap_or(Duration::ZERO))
}

/// An HTTP date in any of the three formats of RFC 9110 §5.6.7: IMF-fixdate
/// (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
/// (`Sun Nov  6 08:49:37 1994`).
pub fn parse_http_date(s: &str) -> Option<SystemTime> {
    const MONTHS: [&str; 12] = [
        "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
    ];
    let cleaned: String = s
        .chars()
        .map(|c| if c == ',' || c == '-' { ' ' } else { c })
        .collect();
    let mut month = None;
    let mut time = None;
    let mut numbers = Vec::new();
    for (i, tok) in cleaned.split_whitespace().enumerate() {
        if tok.contains(':') {
            let parts: Vec<&str> = tok.split(':').collect();
            if parts.len() != 3 {
                return None;
            }
            let p = |x: &str| x.parse::<u64>().ok();
            time = Some((p(parts[0])?, p(parts[1])?, p(parts[2])?));
        } else if tok.bytes().all(|b| b.is_ascii_digit()) {
            numbers.push(tok);
        } else if let Some(m) = MONTHS
            .iter()
            .position(|m| tok.len() == 3 && tok.eq_ignore_ascii_case(m))
        {
            month = Some(m as u64 + 1);
        } else if i == 0 || tok.eq_ignore_ascii_case("GMT") || tok.eq_ignore_ascii_case("UTC") {
            // day name or zone
        } else {
            return None;
        }
    }
    let (month, (hh, mm, ss)) = (month?, time?);
    if numbers.len() != 2 {
        return None;
    }
    let day: u64 = numbers[0].parse().ok()?;
    let mut year: i64 = numbers[1].parse().ok()?;
    if numbers[1].len() == 2 {
        year += if year < 70 { 2000 } else { 1900 };
    }
    if !(1..=31).contains(&day) || hh > 23 || mm > 59 || ss > 60 || year < 1970 {
        return None;
    }
    let days = days_from_civil(year, month as i64, day as i64);
    let secs = days as u64 * 86_400 + hh * 3600 + mm * 60 + ss;
    Some(UNIX_EPOCH + Duration::from_secs(secs))
}

/// Format a time as an IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`).
pub fn format_http_date(t: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let secs = t
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let rfc = super::format_rfc3339(secs); // YYYY-MM-DDTHH:MM:SSZ
    let (y, m, d) = (&rfc[0..4], &rfc[5..7], &rfc[8..10]);
    let m: usize = m.parse().unwrap_or(1);
    format!(
        "{}, {d} {} {y} {} GMT",
        DAYS[(secs / 86_400 % 7) as usize],
        MONTHS[m - 1],
        &rfc[11..19]
    )
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// What a run knows about one host.
#[derive(Debug, Default)]
pub(crate) struct HostState {
    /// Start of the last request to this host.
    pub last_request: Option<Instant>,
    /// Least time between the starts of two requests (min_host_delay, or Crawl-delay within
    /// bounds), whatever connection they use; a slow request only postpones the next when
    /// every connection the host is given is busy.
    pub delay: Duration,
    /// Set by a `Retry-After`: nobody asks this host again before then.
    pub not_before: Option<Instant>,
    /// Requests in a row that stalled (timed out or too slow); reset by any answer.
    pub stalls: u32,
}

impl HostState {
    /// Sleep until the host may be asked again.
    pub fn wait_turn(&self) {
        let ready = self.last_request.map(|last| last + self.delay);
        let ready = match (ready, self.not_before) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        if let Some(ready) = ready {
            let now = Instant::now();
            if ready > now {
                std::thread::sleep(ready - now);
            }
        }
    }
}

/// One host of a run: its state, and the requests in flight to it.
#[derive(Debug, Default)]
pub(crate) struct Host {
    state: Mutex<HostState>,
    in_flight: Mutex<usize>,
    freed: Condvar,
}

/// A connection to a host, held for the length of one request (see [`Host::connection`]).
pub(crate) struct Connection<'a> {
    host: &'a Host,
}

impl Drop for Connection<'_> {
    fn drop(&mut self) {
        let mut n = self
            .host
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        *n = n.saturating_sub(1);
        self.host.freed.notify_one();
    }
}

impl Host {
    /// The host's state (delay, turn, `Retry-After`, stalls). Held only to read or update it,
    /// or to wait for a turn: never for the length of a request.
    pub fn state(&self) -> MutexGuard<'_, HostState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wait until fewer than `max` requests to the host are in flight and take a connection.
    /// With `max` = 1 requests to one host never overlap; with 2 (RFC 2616 §8.1.4's old
    /// limit), a request that stalls does not hold every other source of the host behind it.
    pub fn connection(&self, max: usize) -> Connection<'_> {
        let mut n = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        while *n >= max.max(1) {
            n = self.freed.wait(n).unwrap_or_else(|e| e.into_inner());
        }
        *n += 1;
        Connection { host: self }
    }
}

/// The hosts of one run, by authority.
#[derive(Debug, Default)]
pub(crate) struct Hosts {
    map: Mutex<HashMap<String, Arc<Host>>>,
}

impl Hosts {
    pub fn slot(&self, authority: &str) -> Arc<Host> {
        let mut map = self.map.lock().unwrap_or_else(|e| e.into_inner());
        map.entry(authority.to_ascii_lowercase())
            .or_default()
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_exponentially_within_jitter_and_cap() {
        let base = Duration::from_millis(100);
        let cap = Duration::from_secs(1);
        let lo: Vec<_> = (0..6).map(|a| backoff_delay(a, base, cap, 0.0)).collect();
        let hi: Vec<_> = (0..6)
            .map(|a| backoff_delay(a, base, cap, 0.999_999))
            .collect();
        assert_eq!(lo[0], Duration::from_millis(50));
        assert_eq!(lo[1], Duration::from_millis(100));
        assert_eq!(lo[2], Duration::from_millis(200));
        assert_eq!(lo[3], Duration::from_millis(400));
        assert_eq!(
            lo[4],
            Duration::from_millis(500),
            "capped at cap/2 + jitter"
        );
        for a in 0..6 {
            assert!(lo[a] <= hi[a]);
            assert!(hi[a] <= cap);
        }
        assert!(hi[0] < Duration::from_millis(101) && hi[0] > Duration::from_millis(99));
        for _ in 0..100 {
            let j = random_unit();
            assert!((0.0..1.0).contains(&j));
            let d = backoff_delay(2, base, cap, j);
            assert!(d >= Duration::from_millis(200) && d < Duration::from_millis(400));
        }
        assert_eq!(
            backoff_delay(1000, base, cap, 0.0),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:51:37 GMT", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(
            parse_retry_after("Sunday, 06-Nov-94 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun Nov  6 08:49:47 1994", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sat, 05 Nov 1994 08:49:37 GMT", now),
            Some(Duration::ZERO),
            "a past date means now"
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
        assert_eq!(parse_retry_after("", now), None);
    }

    #[test]
    fn http_dates_round_trip() {
        let t = UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(format_http_date(t), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(parse_http_date(&format_http_date(t)), Some(t));
        let t2 = UNIX_EPOCH + Duration::from_secs(1_709_251_199); // 2024-02-29T23:59:59Z
        assert_eq!(format_http_date(t2), "Thu, 29 Feb 2024 23:59:59 GMT");
        assert_eq!(parse_http_date(&format_http_date(t2)), Some(t2));
        assert_eq!(parse_http_date("Thu, 32 Feb 2024 23:59:59 GMT"), None);
    }

    #[test]
    fn host_slots_are_shared_per_authority() {
        let hosts = Hosts::default();
        let a = hosts.slot("Example.org");
        let b = hosts.slot("example.org");
        assert!(Arc::ptr_eq(&a, &b));
        assert!(!Arc::ptr_eq(&a, &hosts.slot("example.org:8080")));
        let mut st = a.state();
        st.delay = Duration::from_millis(30);
        st.last_request = Some(Instant::now());
        let t = Instant::now();
        st.wait_turn();
        assert!(t.elapsed() >= Duration::from_millis(25));
        st.not_before = Some(Instant::now() + Duration::from_millis(40));
        let t = Instant::now();
        st.wait_turn();
        assert!(
            t.elapsed() >= Duration::from_millis(35),
            "Retry-After holds the host"
        );
    }

    #[test]
    fn a_host_gives_at_most_its_connections() {
        let host = Arc::new(Host::default());
        let peak = Arc::new(AtomicU64::new(0));
        let now = Arc::new(AtomicU64::new(0));
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let (host, peak, now) = (host.clone(), peak.clone(), now.clone());
                std::thread::spawn(move || {
                    let _c = host.connection(2);
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    std::thread::sleep(Duration::from_millis(20));
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert_eq!(
            *host.in_flight.lock().unwrap(),
            0,
            "every connection was given back"
        );
    }
}
