//! Just enough URL handling for a crawler: split `http(s)` URLs, resolve a `Location` against the
//! current URL, and decide whether a redirect may go to a host (the redirect host policy).

/// An `http`/`https` URL split into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Url {
    /// `http` or `https`, lower case.
    pub scheme: String,
    /// Host name (lower case), without port; IPv6 literals keep their brackets.
    pub host: String,
    /// Explicit port, when the URL has one.
    pub port: Option<u16>,
    /// Path and query, always starting with `/`; no fragment.
    pub path: String,
}

impl Url {
    /// Parse an absolute `http`/`https` URL; `None` for anything else.
    pub fn parse(s: &str) -> Option<Url> {
        let s = s.trim();
        let (scheme, rest) = s.split_once("://")?;
        let scheme = scheme.to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            return None;
        }
        let rest = rest.split('#').next().unwrap_or(rest);
        let end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, path) = rest.split_at(end);
        let authority = authority.rsplit('@').next().unwrap_or(authority);
        let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
            let close = stripped.find(']')?;
            let host = &authority[..close + 2];
            let tail = &stripped[close + 1..];
            let port = match tail.strip_prefix(':') {
                Some(p) if !p.is_empty() => Some(p.parse().ok()?),
                _ => None,
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) if !p.is_empty() => (h.to_string(), Some(p.parse().ok()?)),
                Some((h, _)) => (h.to_string(), None),
                None => (authority.to_string(), None),
            }
        };
        if host.is_empty() {
            return None;
        }
        let path = if path.is_empty() {
            "/".to_string()
        } else if path.starts_with('?') {
            format!("/{path}")
        } else {
            path.to_string()
        };
        Some(Url {
            scheme,
            host: host.to_ascii_lowercase(),
            port,
            path,
        })
    }

    /// 443 for https, 80 otherwise.
    pub fn default_port(&self) -> u16 {
        if self.scheme == "https" {
            443
        } else {
            80
        }
    }

    /// `host` or `host:port` (the port only when it is not the scheme's default): the key of
    /// per-host politeness.
    pub fn authority(&self) -> String {
        match self.port {
            Some(p) if p != self.default_port() => format!("{}:{p}", self.host),
            _ => self.host.clone(),
        }
    }

    /// The URL as sent on the wire: bytes that may not appear raw in a request target
    /// (non-ASCII, spaces, controls, and `"` `<` `>` `\\` `^` backtick `{` `|` `}`) percent-encoded;
    /// existing escapes are kept.
    pub fn to_request_string(&self) -> String {
        let mut out = self.origin();
        for &b in self.path.as_bytes() {
            if b.is_ascii_graphic() && !br#""<>\^`{|}"#.contains(&b) {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// `scheme://authority`.
    pub fn origin(&self) -> String {
        format!("{}://{}", self.scheme, self.authority())
    }

    /// The URL of robots.txt for this URL's host.
    pub fn robots_url(&self) -> String {
        format!("{}/robots.txt", self.origin())
    }

    /// Resolve a `Location` header (absolute, scheme-relative, absolute path, query or relative
    /// path) against this URL. `None` for other schemes or unparsable locations.
    pub fn join(&self, location: &str) -> Option<Url> {
        let loc = location.trim();
        let loc = loc.split('#').next().unwrap_or(loc);
        if let Some(i) = loc.find("://") {
            if loc[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
            {
                return Url::parse(loc).map(|u| u.normalised());
            }
        }
        if loc.starts_with("//") {
            return Url::parse(&format!("{}:{loc}", self.scheme)).map(|u| u.normalised());
        }
        if loc.contains(':') && !loc.starts_with('/') && !loc.starts_with('?') {
            let scheme = loc.split(':').next().unwrap_or("");
            if !scheme.contains('/') && !scheme.is_empty() {
                return None; // mailto:, ftp:, javascript: ...
            }
        }
        let path = if loc.is_empty() {
            self.path.clone()
        } else if loc.starts_with('/') {
            loc.to_string()
        } else if loc.starts_with('?') {
            let base = self.path.split('?').next().unwrap_or("/");
            format!("{base}{loc}")
        } else {
            let base = self.path.split('?').next().unwrap_or("/");
            let dir = &base[..base.rfind('/').map(|i| i + 1).unwrap_or(0)];
            format!("{dir}{loc}")
        };
        Some(
            Url {
                path,
                ..self.clone()
            }
            .normalised(),
        )
    }

    /// Remove `.` and `..` path segments.
    fn normalised(mut self) -> Url {
        let (path, query) = match self.path.split_once('?') {
            Some((p, q)) => (p.to_string(), Some(q.to_string())),
            None => (self.path.clone(), None),
        };
        let mut out: Vec<&str> = Vec::new();
        let segs: Vec<&str> = path.split('/').skip(1).collect();
        let last = segs.len().saturating_sub(1);
        let mut trailing = false;
        for (i, seg) in segs.iter().enumerate() {
            match *seg {
                "." => trailing = i == last,
                ".." => {
                    out.pop();
                    trailing = i == last;
                }
                s => {
                    out.push(s);
                    trailing = false;
                }
            }
        }
        let mut p = format!("/{}", out.join("/"));
        if trailing && !p.ends_with('/') {
            p.push('/');
        }
        if let Some(q) = query {
            p.push('?');
            p.push_str(&q);
        }
        self.path = p;
        self
    }
}

impl std::fmt::Display for Url {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}{}", self.origin(), self.path)
    }
}

/// The redirect host policy: a redirect may lead to the source URL's own host (any scheme, same
/// port unless both are defaults) or to a host listed in the source's `allow_hosts` (`host`, which
/// allows the default ports, or `host:port`). Everything else is refused with a reason.
pub fn redirect_allowed(source: &Url, allow_hosts: &[String], target: &Url) -> Result<(), String> {
    if target.authority() == source.authority() {
        return Ok(());
    }
    let allowed = allow_hosts.iter().any(|h| {
        let h = h.trim().to_ascii_lowercase();
        h == target.authority() || (h == target.host && target.authority() == target.host)
    });
    if allowed {
        return Ok(());
    }
    Err(format!(
        "redirect to host `{}` refused: it is neither the source's host `{}` nor in its allow_hosts [{}]",
        target.authority(),
        source.authority(),
        allow_hosts.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(s: &str) -> Url {
        Url::parse(s).unwrap()
    }

    #[test]
    fn parses_and_prints() {
        let x = u("HTTPS://Raw.Example.org:443/a/b?c=1#frag");
        assert_eq!(x.host, "raw.example.org");
        assert_eq!(x.authority(), "raw.example.org");
        assert_eq!(x.path, "/a/b?c=1");
        assert_eq!(x.to_string(), "https://raw.example.org/a/b?c=1");
        let y = u("http://127.0.0.1:8080");
        assert_eq!(y.authority(), "127.0.0.1:8080");
        assert_eq!(y.path, "/");
        assert_eq!(y.robots_url(), "http://127.0.0.1:8080/robots.txt");
        assert_eq!(u("http://[::1]:81/x").authority(), "[::1]:81");
        assert_eq!(
            u("http://h.org/a b/刑法?q=x|y").to_request_string(),
            "http://h.org/a%20b/%E5%88%91%E6%B3%95?q=x%7Cy"
        );
        assert_eq!(
            u("http://h.org/%E5%88%91").to_request_string(),
            "http://h.org/%E5%88%91"
        );
        assert!(Url::parse("ftp://h/x").is_none());
        assert!(Url::parse("http:///x").is_none());
        assert!(Url::parse("http://h:port/x").is_none());
    }

    #[test]
    fn resolves_locations() {
        let base = u("http://h.org/a/b/c.html?q=1");
        assert_eq!(
            base.join("d.html").unwrap().to_string(),
            "http://h.org/a/b/d.html"
        );
        assert_eq!(base.join("../d").unwrap().to_string(), "http://h.org/a/d");
        assert_eq!(base.join("/x/./y").unwrap().to_string(), "http://h.org/x/y");
        assert_eq!(
            base.join("?z=2").unwrap().to_string(),
            "http://h.org/a/b/c.html?z=2"
        );
        assert_eq!(
            base.join("//other.org/p").unwrap().to_string(),
            "http://other.org/p"
        );
        assert_eq!(
            base.join("https://h.org/secure").unwrap().to_string(),
            "https://h.org/secure"
        );
        assert_eq!(
            base.join("../../../../x").unwrap().to_string(),
            "http://h.org/x"
        );
        assert!(base.join("mailto:someone@h.org").is_none());
        assert!(base.join("ftp://h.org/file").is_none());
    }

    #[test]
    fn redirect_host_policy() {
        let src = u("https://raw.example.org/file.md");
        let allow = vec!["cdn.example.net".to_string(), "127.0.0.1:9000".to_string()];
        assert!(redirect_allowed(&src, &allow, &u("https://raw.example.org/other")).is_ok());
        assert!(
            redirect_allowed(&src, &allow, &u("http://raw.example.org/other")).is_ok(),
            "scheme change on the same host"
        );
        assert!(redirect_allowed(&src, &allow, &u("https://CDN.example.net/x")).is_ok());
        assert!(redirect_allowed(&src, &allow, &u("http://127.0.0.1:9000/x")).is_ok());
        let e = redirect_allowed(&src, &allow, &u("https://evil.example.com/x")).unwrap_err();
        assert!(
            e.contains("evil.example.com") && e.contains("refused"),
            "{e}"
        );
        assert!(
            redirect_allowed(&src, &allow, &u("https://cdn.example.net:8443/x")).is_err(),
            "an allowed host name does not allow any port"
        );
        assert!(
            redirect_allowed(&src, &allow, &u("https://raw.example.org:8443/x")).is_err(),
            "another port of the same host is another server"
        );
        assert!(redirect_allowed(&src, &[], &u("https://sub.raw.example.org/x")).is_err());
    }
}
