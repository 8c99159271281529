//! DNS forward and reverse resolution through the system resolver (`getaddrinfo`/`getnameinfo`,
//! so `/etc/hosts` and the configured name servers apply), as MSTICPy's `dns_resolve` and
//! `ip_rev_resolve` pivots. The resolver runs on a blocking-pool thread while the call waits for
//! it or for an interrupt of the cell; an interrupted call returns `Error::Interrupted` at once and
//! the resolver thread ends on its own when the system resolver answers or times out.

use arrow::array::{ArrayRef, StringArray};
use mstic_core::{Error, Frame, Result, interrupt};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;

/// The addresses `name` resolves to: one row per address with columns `qname`, `rdtype` (`A` or
/// `AAAA`) and `response`. A name that does not resolve gives one row whose `response` is null
/// and whose `rdtype` is `NXDOMAIN`.
///
/// # Example
///
/// Resolving asks the system resolver, so this part is only compiled:
///
/// ```no_run
/// use mstic_context::dns_resolve;
/// let answers = dns_resolve("www.microsoft.com")?;
/// assert!(answers.column_strings("rdtype")?.iter().flatten().all(|t| t == "A" || t == "AAAA"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// An empty name is refused before any query:
///
/// ```
/// use mstic_context::dns_resolve;
/// assert!(dns_resolve(" . ").unwrap_err().to_string().contains("empty name"));
/// ```
pub fn dns_resolve(name: &str) -> Result<Frame> {
    let qname = name.trim().trim_end_matches('.');
    if qname.is_empty() {
        return Err(Error::invalid("name", "an empty name cannot be resolved"));
    }
    let mut rows: Vec<(String, Option<String>)> = Vec::new();
    let owned = qname.to_string();
    let resolved = resolve_interruptibly(&format!("resolving {qname}"), move || {
        (owned.as_str(), 0u16).to_socket_addrs().map(|addrs| addrs.collect::<Vec<_>>()).ok()
    })?;
    if let Some(addrs) = resolved {
        for addr in addrs {
            let ip = addr.ip().to_string();
            let rdtype = if addr.is_ipv4() { "A" } else { "AAAA" };
            if !rows.iter().any(|(t, r)| t == rdtype && r.as_deref() == Some(ip.as_str())) {
                rows.push((rdtype.to_string(), Some(ip)));
            }
        }
    }
    if rows.is_empty() {
        rows.push(("NXDOMAIN".to_string(), None));
    }
    frame(&[
        ("qname", rows.iter().map(|_| Some(qname.to_string())).collect()),
        ("rdtype", rows.iter().map(|(t, _)| Some(t.clone())).collect()),
        ("response", rows.iter().map(|(_, r)| r.clone()).collect()),
    ])
}

/// The host name of `ip` (PTR lookup): one row with `IpAddress`, `qname` (the `in-addr.arpa`
/// or `ip6.arpa` name), `rdtype` (`PTR`) and `response` (null when there is no name).
///
/// # Example
///
/// The lookup asks the system resolver, so this part is only compiled:
///
/// ```no_run
/// use mstic_context::dns_reverse;
/// let answer = dns_reverse("8.8.8.8")?;
/// assert_eq!(answer.column_strings("qname")?, [Some("8.8.8.8.in-addr.arpa".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// Text that is not an address is refused before any query:
///
/// ```
/// use mstic_context::dns_reverse;
/// assert!(dns_reverse("not-an-ip").unwrap_err().to_string().contains("'not-an-ip' is not an IP address"));
/// ```
pub fn dns_reverse(ip: &str) -> Result<Frame> {
    let addr: IpAddr = ip.trim().parse().map_err(|_| Error::invalid("ip", format!("'{}' is not an IP address", ip.trim())))?;
    let host = resolve_interruptibly(&format!("the reverse lookup of {addr}"), move || reverse_name(addr))?;
    frame(&[
        ("IpAddress", vec![Some(addr.to_string())]),
        ("qname", vec![Some(arpa_name(addr))]),
        ("rdtype", vec![Some("PTR".to_string())]),
        ("response", vec![host]),
    ])
}

/// Runs a blocking resolver call on the runtime's blocking pool and waits for it, or for an
/// interrupt of the cell (then `Error::Interrupted` naming `what`).
fn resolve_interruptibly<T: Send + 'static>(what: &str, resolve: impl FnOnce() -> T + Send + 'static) -> Result<T> {
    interrupt::block_on(what, async move {
        tokio::task::spawn_blocking(resolve).await.map_err(|e| Error::Other(format!("the resolver thread failed: {e}")))
    })
}

/// The reverse-lookup domain of an address (`1.0.0.127.in-addr.arpa`).
pub fn arpa_name(addr: IpAddr) -> String {
    match addr {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            format!("{}.{}.{}.{}.in-addr.arpa", o[3], o[2], o[1], o[0])
        }
        IpAddr::V6(v6) => {
            let hex: String = v6.octets().iter().map(|b| format!("{b:02x}")).collect();
            let nibbles: Vec<String> = hex.chars().rev().map(|c| c.to_string()).collect();
            format!("{}.ip6.arpa", nibbles.join("."))
        }
    }
}

/// `getnameinfo` with `NI_NAMEREQD`: the name, or `None` when the address has none.
fn reverse_name(addr: IpAddr) -> Option<String> {
    let socket = SocketAddr::new(addr, 0);
    let mut host = [0 as libc::c_char; 1025];
    // SAFETY: the sockaddr is built from a valid SocketAddr with its exact length, and `host` is a
    // writable buffer whose length is passed; getnameinfo writes a NUL-terminated string into it.
    let code = unsafe {
        match socket {
            SocketAddr::V4(v4) => {
                let mut raw: libc::sockaddr_in = std::mem::zeroed();
                raw.sin_family = libc::AF_INET as libc::sa_family_t;
                raw.sin_addr = libc::in_addr { s_addr: u32::from_ne_bytes(v4.ip().octets()) };
                libc::getnameinfo(
                    &raw as *const libc::sockaddr_in as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t,
                    host.as_mut_ptr(),
                    host.len() as libc::socklen_t,
                    std::ptr::null_mut(),
                    0,
                    libc::NI_NAMEREQD,
                )
            }
            SocketAddr::V6(v6) => {
                let mut raw: libc::sockaddr_in6 = std::mem::zeroed();
                raw.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                raw.sin6_addr = libc::in6_addr { s6_addr: v6.ip().octets() };
                libc::getnameinfo(
                    &raw as *const libc::sockaddr_in6 as *const libc::sockaddr,
                    std::mem::size_of::<libc::sockaddr_in6>() as libc::socklen_t,
                    host.as_mut_ptr(),
                    host.len() as libc::socklen_t,
                    std::ptr::null_mut(),
                    0,
                    libc::NI_NAMEREQD,
                )
            }
        }
    };
    if code != 0 {
        return None;
    }
    // SAFETY: on success getnameinfo stored a NUL-terminated string in `host`.
    let name = unsafe { std::ffi::CStr::from_ptr(host.as_ptr()) };
    Some(name.to_string_lossy().into_owned())
}

fn frame(columns: &[(&str, Vec<Option<String>>)]) -> Result<Frame> {
    Frame::from_columns(
        columns
            .iter()
            .map(|(name, values)| (name.to_string(), Arc::new(values.iter().cloned().collect::<StringArray>()) as ArrayRef))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arpa_names() {
        assert_eq!(arpa_name("127.0.0.1".parse().unwrap()), "1.0.0.127.in-addr.arpa");
        assert!(arpa_name("::1".parse().unwrap()).starts_with("1.0.0.0."));
    }
}
