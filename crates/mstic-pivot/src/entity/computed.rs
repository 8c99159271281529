//! Computed entity properties, as MSTICPy's entity properties: `Host.fqdn`, `File.file_hash`,
//! `File.path`, `Account.qualified_name`, `Process.ProcessFilePath`, and the URL components of
//! `Url` (`host`, `scheme`, `path`, `query`, `fragment`, `netloc`, `port`).

use super::{Entity, EntityKind};

pub(super) fn property(entity: &Entity, name: &str) -> Option<String> {
    let text = |p: &str| entity.props.get(p).and_then(|v| v.as_str()).filter(|s| !s.is_empty()).map(str::to_string);
    match (entity.kind, name) {
        (EntityKind::Host, "fqdn") => {
            let host = text("HostName")?;
            Some(match text("DnsDomain") {
                Some(domain) if !host.contains('.') => format!("{host}.{domain}"),
                _ => host,
            })
        }
        (EntityKind::File, "file_hash") => ["Sha256", "Sha1", "Md5", "Sha256Ac"].iter().find_map(|p| text(p)).or_else(|| {
            // FileHashes: a list of FileHash entities; MSTICPy prefers SHA256, SHA1, MD5, SHA256AC.
            let hashes = entity.props.get("FileHashes")?.as_array()?.clone();
            let by_algorithm = |wanted: &str| {
                hashes.iter().find_map(|h| {
                    let algorithm = h.get("Algorithm")?.as_str()?;
                    algorithm.eq_ignore_ascii_case(wanted).then(|| h.get("Value")?.as_str().map(str::to_string)).flatten()
                })
            };
            ["SHA256", "SHA1", "MD5", "SHA256AC"].iter().find_map(|a| by_algorithm(a))
        }),
        (EntityKind::File, "path") => text("FullPath").or_else(|| {
            let name = text("Name")?;
            Some(match text("Directory") {
                Some(dir) => {
                    let separator = text("PathSeparator").unwrap_or_else(|| if dir.contains('/') { "/".into() } else { "\\".into() });
                    format!("{}{separator}{name}", dir.trim_end_matches(['\\', '/']))
                }
                None => name,
            })
        }),
        (EntityKind::Account, "qualified_name") => {
            let name = text("Name")?;
            Some(if let Some(upn) = text("UPNSuffix") {
                format!("{name}@{upn}")
            } else if let Some(domain) = text("NTDomain") {
                format!("{domain}\\{name}")
            } else {
                name
            })
        }
        (EntityKind::Process, "ProcessFilePath") => entity.get_entity("ImageFile").and_then(|f| property(&f, "path")),
        (EntityKind::Process, "ProcessName") => entity.get_entity("ImageFile").and_then(|f| f.get_str("Name")),
        (EntityKind::Url, component) => {
            let parts = UrlParts::parse(&text("Url")?);
            match component {
                "host" => parts.host(),
                "scheme" => Some(parts.scheme),
                "netloc" => Some(parts.netloc),
                "path" => Some(parts.path),
                "params" => Some(parts.params),
                "query" => Some(parts.query),
                "fragment" => Some(parts.fragment),
                "port" => parts.port(),
                _ => None,
            }
        }
        _ => None,
    }
}

/// The six parts of a URL as Python's `urllib.parse.urlparse` splits it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct UrlParts {
    /// `https`.
    pub scheme: String,
    /// `user@host:port`.
    pub netloc: String,
    /// `/a/b`.
    pub path: String,
    /// `;params` of the last path segment (without `;`).
    pub params: String,
    /// The query string (without `?`).
    pub query: String,
    /// The fragment (without `#`); a `?` after `#` stays in the fragment.
    pub fragment: String,
}

impl UrlParts {
    /// Splits `url` like `urlparse`.
    pub fn parse(url: &str) -> UrlParts {
        let mut parts = UrlParts::default();
        let mut rest = url;
        if let Some(colon) = rest.find(':') {
            let scheme = &rest[..colon];
            let valid = scheme.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && scheme.chars().all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
            if valid {
                parts.scheme = scheme.to_ascii_lowercase();
                rest = &rest[colon + 1..];
            }
        }
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            parts.netloc = after[..end].to_string();
            rest = &after[end..];
        }
        if let Some((before, fragment)) = rest.split_once('#') {
            parts.fragment = fragment.to_string();
            rest = before;
        }
        if let Some((before, query)) = rest.split_once('?') {
            parts.query = query.to_string();
            rest = before;
        }
        let last_segment = rest.rfind('/').map_or(0, |i| i + 1);
        if let Some(semicolon) = rest[last_segment..].find(';') {
            let at = last_segment + semicolon;
            parts.params = rest[at + 1..].to_string();
            rest = &rest[..at];
        }
        parts.path = rest.to_string();
        parts
    }

    /// The host name: `netloc` without user info and port, lower-cased.
    pub fn host(&self) -> Option<String> {
        let host = self.netloc.rsplit('@').next()?;
        let host = if let Some(v6) = host.strip_prefix('[') { v6.split(']').next()? } else { host.split(':').next()? };
        (!host.is_empty()).then(|| host.to_ascii_lowercase())
    }

    /// The port, if one is given.
    pub fn port(&self) -> Option<String> {
        let host = self.netloc.rsplit('@').next()?;
        let after = host.rsplit_once(']').map_or(host, |(_, a)| a);
        after.rsplit_once(':').map(|(_, p)| p.to_string()).filter(|p| !p.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::UrlParts;

    #[test]
    fn urls_split_as_python_urlparse() {
        let p = UrlParts::parse("HTTPS://user:pw@[2001:db8::1]:8443/a/b;x=1?q=2#f");
        assert_eq!(
            (p.scheme.as_str(), p.netloc.as_str(), p.path.as_str(), p.params.as_str(), p.query.as_str(), p.fragment.as_str()),
            ("https", "user:pw@[2001:db8::1]:8443", "/a/b", "x=1", "q=2", "f")
        );
        assert_eq!((p.host().as_deref(), p.port().as_deref()), (Some("2001:db8::1"), Some("8443")));
        let bare = UrlParts::parse("www.contoso.com/path");
        assert_eq!((bare.scheme.as_str(), bare.netloc.as_str(), bare.path.as_str()), ("", "", "www.contoso.com/path"));
        assert_eq!(bare.host(), None);
    }
}
