//! robots.txt (RFC 9309): groups selected by user-agent product token, `Allow`/`Disallow` rules with
//! `*` and `$`, longest match wins (a tie goes to `Allow`), and the non-standard `Crawl-delay`.
//!
//! How a host's robots.txt is *obtained* decides the policy (see [`Robots::from_status`]):
//! - 2xx: parsed;
//! - 4xx (404 and the like): "unavailable" in RFC 9309 terms: everything is allowed;
//! - 5xx, or the host cannot be reached after the retries: "unreachable": the whole host is treated
//!   as **disallowed for the rest of this run** (RFC 9309 §2.3.1.4). A later run asks again.

/// The rules of one robots.txt that apply to our user agent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Robots {
    rules: Vec<Rule>,
    crawl_delay: Option<f64>,
    /// Set when robots.txt was unreachable: nothing may be fetched.
    disallow_all: bool,
    /// Why the host is disallowed, or where the rules came from (for messages).
    note: String,
}

#[derive(Debug, Clone, PartialEq)]
struct Rule {
    allow: bool,
    /// The pattern as written (percent-escapes normalised to upper case), `*` and `$` included.
    pattern: String,
}

/// The verdict for one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The path may be fetched.
    Allowed,
    /// Disallowed, with the rule (or reason) that decided it.
    Disallowed(String),
}

impl Robots {
    /// Everything allowed (no robots.txt, or a 4xx answer).
    pub fn allow_all(note: impl Into<String>) -> Robots {
        Robots {
            note: note.into(),
            ..Robots::default()
        }
    }

    /// Nothing allowed (robots.txt unreachable: 5xx or network failure).
    pub fn disallow_all(note: impl Into<String>) -> Robots {
        Robots {
            disallow_all: true,
            note: note.into(),
            ..Robots::default()
        }
    }

    /// The policy that follows from fetching robots.txt with HTTP `status` and `body`.
    pub fn from_status(status: u16, body: &[u8], agent_token: &str) -> Robots {
        match status {
            200..=299 => Robots::parse(&String::from_utf8_lossy(body), agent_token),
            400..=499 => Robots::allow_all(format!("robots.txt answered {status}: all allowed")),
            _ => Robots::disallow_all(format!(
                "robots.txt answered {status}: host treated as disallowed for this run"
            )),
        }
    }

    /// Parse robots.txt and keep the groups that apply to `agent_token` (`cyberlex`): the groups
    /// naming it, else the `*` groups. Unknown lines (Sitemap, Host, ...) are ignored.
    pub fn parse(text: &str, agent_token: &str) -> Robots {
        struct Group {
            agents: Vec<String>,
            rules: Vec<Rule>,
            delay: Option<f64>,
        }
        let token = agent_token.trim().to_ascii_lowercase();
        let mut groups: Vec<Group> = Vec::new();
        // true while the current group is still collecting `User-agent` lines.
        let mut in_agents = false;
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for raw in text.lines() {
            let line = raw.split('#').next().unwrap_or("").trim();
            let Some((key, value)) = line.split_once(':') else {
                continue;
            };
            let key = key.trim().to_ascii_lowercase();
            let value = value.trim();
            match key.as_str() {
                "user-agent" => {
                    if !in_agents {
                        groups.push(Group {
                            agents: Vec::new(),
                            rules: Vec::new(),
                            delay: None,
                        });
                        in_agents = true;
                    }
                    let name = value
                        .split(|c: char| c == '/' || c.is_whitespace())
                        .next()
                        .unwrap_or("")
                        .to_ascii_lowercase();
                    if let Some(g) = groups.last_mut() {
                        g.agents.push(name);
                    }
                }
                "allow" | "disallow" => {
                    in_agents = false;
                    let Some(g) = groups.last_mut() else { continue };
                    if value.is_empty() {
                        // `Disallow:` with no path allows everything; an empty Allow says nothing.
                        continue;
                    }
                    g.rules.push(Rule {
                        allow: key == "allow",
                        pattern: normalise_pattern(value),
                    });
                }
                "crawl-delay" => {
                    in_agents = false;
                    let Some(g) = groups.last_mut() else { continue };
                    if let Ok(d) = value.parse::<f64>() {
                        if d.is_finite() && d >= 0.0 && g.delay.is_none() {
                            g.delay = Some(d);
                        }
                    }
                }
                _ => {}
            }
        }
        let named: Vec<&Group> = groups
            .iter()
            .filter(|g| g.agents.iter().any(|a| !token.is_empty() && *a == token))
            .collect();
        let chosen = if named.is_empty() {
            groups
                .iter()
                .filter(|g| g.agents.iter().any(|a| a == "*"))
                .collect()
        } else {
            named
        };
        let note = if chosen.is_empty() {
            "robots.txt has no group for us: all allowed".to_string()
        } else {
            "robots.txt".to_string()
        };
        Robots {
            rules: chosen
                .iter()
                .flat_map(|g| g.rules.iter().cloned())
                .collect(),
            crawl_delay: chosen.iter().find_map(|g| g.delay),
            disallow_all: false,
            note,
        }
    }

    /// `Crawl-delay` of the applicable group, in seconds, as written (clamp it with [`Robots::delay`]).
    pub fn crawl_delay(&self) -> Option<f64> {
        self.crawl_delay
    }

    /// The delay to keep between two requests to this host: `Crawl-delay` clamped to
    /// `[min, max]`, or `min` without one.
    pub fn delay(&self, min: std::time::Duration, max: std::time::Duration) -> std::time::Duration {
        let max = max.max(min);
        match self.crawl_delay {
            Some(d) => std::time::Duration::from_secs_f64(d.min(max.as_secs_f64())).clamp(min, max),
            None => min,
        }
    }

    /// Whether everything is disallowed because robots.txt was unreachable.
    pub fn is_disallow_all(&self) -> bool {
        self.disallow_all
    }

    /// May `path` (path and query of the URL, starting with `/`) be fetched?
    pub fn check(&self, path: &str) -> Verdict {
        if path == "/robots.txt" {
            return Verdict::Allowed;
        }
        if self.disallow_all {
            return Verdict::Disallowed(self.note.clone());
        }
        let path = if path.is_empty() { "/" } else { path };
        let path = normalise_pattern(path);
        let mut best: Option<&Rule> = None;
        for rule in &self.rules {
            if !pattern_matches(rule.pattern.as_bytes(), path.as_bytes()) {
                continue;
            }
            best = match best {
                None => Some(rule),
                Some(b) => {
                    let (lr, lb) = (rule.pattern.len(), b.pattern.len());
                    if lr > lb || (lr == lb && rule.allow && !b.allow) {
                        Some(rule)
                    } else {
                        Some(b)
                    }
                }
            };
        }
        match best {
            Some(r) if !r.allow => {
                Verdict::Disallowed(format!("robots.txt rule `Disallow: {}`", r.pattern))
            }
            _ => Verdict::Allowed,
        }
    }

    /// Shorthand for `check(path) == Allowed`.
    pub fn allows(&self, path: &str) -> bool {
        self.check(path) == Verdict::Allowed
    }
}

/// Percent-encode non-ASCII bytes and upper-case existing escapes, so patterns and paths compare
/// byte for byte (`/ä` and `/%c3%a4` are the same path).
fn normalise_pattern(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'%'
            && i + 2 < bytes.len()
            && bytes[i + 1].is_ascii_hexdigit()
            && bytes[i + 2].is_ascii_hexdigit()
        {
            out.push('%');
            out.push(bytes[i + 1].to_ascii_uppercase() as char);
            out.push(bytes[i + 2].to_ascii_uppercase() as char);
            i += 3;
            continue;
        }
        if b.is_ascii() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
        i += 1;
    }
    out
}

/// Does `pat` (with `*` = any sequence, trailing `$` = end of path) match a prefix of `path`?
fn pattern_matches(pat: &[u8], path: &[u8]) -> bool {
    let (pat, anchored) = match pat.strip_suffix(b"$") {
        Some(p) => (p, true),
        None => (pat, false),
    };
    let n = path.len();
    // reach[j]: the pattern read so far matches path[..j].
    let mut reach = vec![false; n + 1];
    reach[0] = true;
    for &c in pat {
        if c == b'*' {
            let mut seen = false;
            for r in reach.iter_mut() {
                seen |= *r;
                *r = seen;
            }
        } else {
            let mut next = vec![false; n + 1];
            for j in 0..n {
                if reach[j] && path[j] == c {
                    next[j + 1] = true;
                }
            }
            reach = next;
        }
        if !reach.iter().any(|&r| r) {
            return false;
        }
    }
    if anchored {
        reach[n]
    } else {
        reach.iter().any(|&r| r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    const TXT: &str = "\
# invented robots.txt
User-agent: otherbot
Disallow: /

User-agent: *
Disallow: /private/
Allow: /private/open-
Crawl-delay: 2

User-agent: Cyberlex
User-agent: friendbot
Disallow: /drafts
Allow: /drafts/public$
Disallow: /*.pdf$
Disallow:
Crawl-delay: 0.5
Sitemap: https://example.org/sitemap.xml
";

    #[test]
    fn named_group_wins_over_star() {
        let r = Robots::parse(TXT, "cyberlex");
        assert!(r.allows("/private/x"), "the * group does not apply to us");
        assert!(!r.allows("/drafts/2024"));
        assert!(r.allows("/drafts/public"));
        assert!(!r.allows("/drafts/public/more"), "`$` anchors");
        assert!(!r.allows("/docs/law.pdf"));
        assert!(r.allows("/docs/law.pdf?x=1"));
        assert_eq!(r.crawl_delay(), Some(0.5));
    }

    #[test]
    fn star_group_and_longest_match() {
        let r = Robots::parse(TXT, "unknownbot");
        assert!(!r.allows("/private/secret"));
        assert!(
            r.allows("/private/open-data"),
            "longer Allow beats shorter Disallow"
        );
        assert!(r.allows("/public"));
        assert!(r.allows("/robots.txt"));
        assert_eq!(r.crawl_delay(), Some(2.0));
        let other = Robots::parse(TXT, "otherbot");
        assert!(!other.allows("/anything"));
        match other.check("/x") {
            Verdict::Disallowed(why) => assert!(why.contains("Disallow: /"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn ties_go_to_allow_and_wildcards_match() {
        let r = Robots::parse(
            "User-agent: *\nDisallow: /a\nAllow: /a\nDisallow: /*/secret*\n",
            "x",
        );
        assert!(r.allows("/a"));
        assert!(!r.allows("/b/c/secret-plans"));
        assert!(r.allows("/b/c/public"));
    }

    #[test]
    fn percent_encoding_is_normalised() {
        let r = Robots::parse("User-agent: *\nDisallow: /gesetz/ä\n", "x");
        assert!(!r.allows("/gesetz/%c3%a4/1"));
        assert!(!r.allows("/gesetz/%C3%A4"));
    }

    #[test]
    fn empty_and_missing_files_allow_all() {
        assert!(Robots::parse("", "cyberlex").allows("/x"));
        assert!(Robots::parse("User-agent: *\nDisallow:\n", "cyberlex").allows("/x"));
        assert!(Robots::from_status(404, b"", "cyberlex").allows("/x"));
        assert!(Robots::from_status(403, b"", "cyberlex").allows("/x"));
    }

    #[test]
    fn server_errors_disallow_everything_but_robots_txt() {
        let r = Robots::from_status(503, b"", "cyberlex");
        assert!(r.is_disallow_all());
        assert!(!r.allows("/x"));
        assert!(r.allows("/robots.txt"));
        match r.check("/x") {
            Verdict::Disallowed(why) => assert!(why.contains("503"), "{why}"),
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn crawl_delay_is_clamped() {
        let min = Duration::from_millis(100);
        let max = Duration::from_secs(10);
        let slow = Robots::parse("User-agent: *\nCrawl-delay: 3600\n", "x");
        assert_eq!(slow.delay(min, max), max);
        let fast = Robots::parse("User-agent: *\nCrawl-delay: 0\n", "x");
        assert_eq!(fast.delay(min, max), min);
        let mid = Robots::parse("User-agent: *\nCrawl-delay: 1.5\n", "x");
        assert_eq!(mid.delay(min, max), Duration::from_millis(1500));
        let none = Robots::parse("User-agent: *\nCrawl-delay: soon\n", "x");
        assert_eq!(none.delay(min, max), min);
    }
}
