//! The connection file Jupyter passes to a kernel (`{connection_file}` in kernel.json).

use serde::Deserialize;
use std::path::Path;

/// Ports, address and signing key of one kernel connection.
#[derive(Debug, Clone, Deserialize)]
pub struct ConnectionInfo {
    /// `tcp` (the only transport this kernel binds).
    pub transport: String,
    /// Address to bind, e.g. `127.0.0.1`.
    pub ip: String,
    /// Shell ROUTER port.
    pub shell_port: u16,
    /// IOPub (X)PUB port.
    pub iopub_port: u16,
    /// Stdin ROUTER port.
    pub stdin_port: u16,
    /// Control ROUTER port.
    pub control_port: u16,
    /// Heartbeat REP port.
    pub hb_port: u16,
    /// HMAC key (empty: no signing).
    #[serde(default)]
    pub key: String,
    /// Must be `hmac-sha256` (or empty with an empty key).
    #[serde(default)]
    pub signature_scheme: String,
}

impl ConnectionInfo {
    /// Reads and checks a connection file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read connection file {}: {e}", path.display()))?;
        let info: ConnectionInfo = serde_json::from_str(&text)
            .map_err(|e| anyhow::anyhow!("connection file {} is not valid: {e}", path.display()))?;
        if info.transport != "tcp" {
            anyhow::bail!("connection file {}: transport {:?} is not supported (use tcp)", path.display(), info.transport);
        }
        if !info.key.is_empty() && !info.signature_scheme.is_empty() && info.signature_scheme != "hmac-sha256" {
            anyhow::bail!("connection file {}: signature scheme {:?} is not supported", path.display(), info.signature_scheme);
        }
        Ok(info)
    }

    /// The `tcp://ip:port` endpoint for a port.
    pub fn endpoint(&self, port: u16) -> String {
        format!("{}://{}:{}", self.transport, self.ip, port)
    }
}
