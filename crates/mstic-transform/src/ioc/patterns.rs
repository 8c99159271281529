//! The built-in IoC patterns, written for the `regex` crate (no look-around): where MSTICPy's
//! rules need look-around (IPv6 boundaries, DNS label length) the check runs after the match.
//! Every pattern is case-insensitive and multi-line, like MSTICPy's.

use super::prefilter::Prefilter;

/// One built-in type: its plain and defang-tolerant patterns, priority (0 best) and the capture
/// group that holds the observable (`None`: the whole match), and the cheap test that must
/// pass before its regex runs.
pub struct BuiltinPattern {
    pub name: &'static str,
    pub plain: String,
    pub defanged: String,
    pub priority: u8,
    pub group: Option<&'static str>,
    pub prefilter: Prefilter,
}

const IPV4: &str = r"(?P<ipaddress>(?:[0-9]{1,3}\.){3}[0-9]{1,3})";
const IPV4_DEFANGED: &str = r"(?P<ipaddress>(?:[0-9]{1,3}\[?\.\]?){3}[0-9]{1,3})";
/// The IPv6 core; the caller rejects matches preceded or followed by `:`, `.` or a word character.
const IPV6: &str = r"(?:[a-f0-9]{0,4}:){2,7}[a-f0-9]{0,4}";
/// The DNS core; the caller rejects labels longer than 63 characters and unknown suffixes.
const DNS: &str = r"(?:[a-z0-9]+(?:-[a-z0-9]+)*\.){1,126}[a-z]{2,63}";
const DNS_DEFANGED: &str = r"(?:[a-z0-9]+(?:-[a-z0-9]+)*\[?\.\]?){1,126}[a-z]{2,63}";
const EMAIL_USER: &str = r"[a-z0-9.!#$%&'*+/=?^_`{|}~\-]+";

fn url(defanged: bool) -> String {
    let scheme = if defanged {
        r"(?:https?|hxxps?|s?ftps?|s?fxps?|telnet|ldap|file)://"
    } else {
        r"(?:https?|s?ftps?|telnet|ldap|file)://"
    };
    let host_chars = if defanged { r"[a-z0-9\-._~!$&'()*+,;=\[\]]" } else { r"[a-z0-9\-._~!$&'()*+,;=]" };
    let pct = r"%[0-9a-f]{2}";
    let query_chars = r"[a-z0-9\-._~!$&'()*+,;=:/?@]";
    format!(
        concat!(
            r"(?P<protocol>{scheme})",
            r"(?P<userinfo>(?:[a-z0-9\-._~!$&'()*+,;=:]|{pct})*@)?",
            r"(?P<host>(?:{host}|{pct})*)",
            r"(?::(?P<port>\d*))?",
            r#"(?:/(?P<path>(?:[^?#"<>\s]|{pct})*/?))?"#,
            r"(?:\?(?P<query>(?:{q}|{pct})*))?",
            r"(?:\#(?P<fragment>(?:{q}|{pct})*))?",
        ),
        scheme = scheme,
        host = host_chars,
        pct = pct,
        q = query_chars,
    )
}

const WINDOWS_PATH: &str = concat!(
    r"(?P<root>[a-z]:|\\\\[a-z0-9_.$\-]+|(?:)|\.+)",
    r#"(?P<folder>\\(?:[^/:*?"'<>|\r\n]+\\)*)"#,
    r#"(?P<file>[^\\/*?"<>|\r\n ]+)"#,
);
const LINUX_PATH: &str = concat!(
    r"(?P<root>/+|(?:)|\.+)",
    r"(?P<folder>/(?:[^\\/:*?<>|\r\n]+/)*)",
    r"(?P<file>[^/\x00<>|\r\n ]+)",
);

fn hash(len: usize) -> String {
    format!(r"(?:^|[^a-f0-9])(?P<hash>[a-f0-9]{{{len}}})(?:$|[^a-f0-9])")
}

/// Wraps a pattern with MSTICPy's flags (case-insensitive, multi-line).
pub fn with_flags(pattern: &str) -> String {
    format!("(?im){pattern}")
}

/// The built-in patterns, in scan order.
pub fn builtin() -> Vec<BuiltinPattern> {
    let email = |defanged: bool| {
        let at = if defanged { r"(?:@|\[at\])" } else { "@" };
        let dns = if defanged { DNS_DEFANGED } else { DNS };
        format!("(?P<user>{EMAIL_USER}){at}(?P<domain>{dns})")
    };
    let two = |name, plain: String, defanged: String, priority, group, prefilter| BuiltinPattern {
        name,
        plain,
        defanged,
        priority,
        group,
        prefilter,
    };
    let same = |name, pattern: &str, priority, group, prefilter| two(name, pattern.into(), pattern.into(), priority, group, prefilter);
    vec![
        two("ipv4", IPV4.into(), IPV4_DEFANGED.into(), 0, Some("ipaddress"), Prefilter::Ipv4),
        same("ipv6", IPV6, 0, None, Prefilter::Ipv6),
        two("dns", DNS.into(), DNS_DEFANGED.into(), 2, None, Prefilter::Dot),
        two("url", url(false), url(true), 0, None, Prefilter::SchemeSeparator),
        two("email", email(false), email(true), 1, None, Prefilter::At),
        same("windows_path", WINDOWS_PATH, 3, None, Prefilter::Backslash),
        same("linux_path", LINUX_PATH, 4, None, Prefilter::Slash),
        same("md5_hash", &hash(32), 1, Some("hash"), Prefilter::HexRun(32)),
        same("sha1_hash", &hash(40), 1, Some("hash"), Prefilter::HexRun(40)),
        same("sha256_hash", &hash(64), 1, Some("hash"), Prefilter::HexRun(64)),
    ]
}
