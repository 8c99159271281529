//! Downloading the GeoLite2 databases from MaxMind as MSTICPy's `GeoLiteLookup` does: HTTP Basic
//! with the account id and license key (`OtherProviders.GeoIPLite.Args.AccountID`/`AuthKey`),
//! a `.tar.gz` whose `.mmdb` member is written into `DBFolder`; refreshed after 30 days.

use crate::ti::http::{describe_error, http_client, read_body, redact_secrets};
use mstic_core::interruptible::{InterruptibleReader, after_failure};
use mstic_core::limits::{ByteCap, ReadLimits, read_capped};
use mstic_core::{Error, Result, interrupt};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// MaxMind's download endpoint (`{base}/{edition}/download?suffix=tar.gz`).
pub const MAXMIND_DOWNLOAD_URL: &str = "https://download.maxmind.com/geoip/databases";
/// Age after which a database is refreshed (MSTICPy: 30 days).
pub const MAX_DB_AGE: Duration = Duration::from_secs(30 * 24 * 3600);

/// MaxMind credentials and where to download from. `Debug` hides the key.
#[derive(Clone)]
pub struct MaxMindDownload {
    /// MaxMind account id.
    pub account_id: String,
    /// License key.
    pub license_key: String,
    /// Download base URL (MaxMind's unless configured).
    pub base_url: String,
}

impl std::fmt::Debug for MaxMindDownload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MaxMindDownload").field("account_id", &self.account_id).field("base_url", &self.base_url).finish()
    }
}

impl MaxMindDownload {
    /// Downloads `edition` (`GeoLite2-City`, `GeoLite2-ASN`) into `folder` as `<edition>.mmdb`. An
    /// interrupt of the cell stops the download with `Error::Interrupted` and writes nothing.
    pub fn fetch(&self, edition: &str, folder: &Path) -> Result<PathBuf> {
        self.fetch_with_limits(edition, folder, ReadLimits::from_env())
    }

    /// [`fetch`](Self::fetch) under explicit size caps: the archive is bounded by the download
    /// cap, the `.mmdb` member by the decompressed cap; past either, the error names the URL or
    /// member and the cap.
    pub fn fetch_with_limits(&self, edition: &str, folder: &Path, limits: ReadLimits) -> Result<PathBuf> {
        let url = format!("{}/{edition}/download?suffix=tar.gz", self.base_url.trim_end_matches('/'));
        let remote = |message: String| Error::Remote {
            service: format!("MaxMind download of {edition}"),
            message: redact_secrets(&message, &[&self.license_key]),
        };
        let stopped = format!("the MaxMind download of {edition}");
        let download = async {
            let response = http_client()
                .get(&url)
                .basic_auth(&self.account_id, Some(&self.license_key))
                .timeout(Duration::from_secs(300))
                .send()
                .await
                .map_err(|e| describe_error(&e))?;
            let status = response.status();
            if !status.is_success() {
                return Err(format!("HTTP {} from {url}", status.as_u16()));
            }
            read_body(response, limits.download(), &url).await
        };
        let archive = interrupt::block_on(&stopped, async { download.await.map_err(remote) })?;
        let wanted = format!("{edition}.mmdb");
        let mmdb = extract_member(&archive, &wanted, limits.decompressed(), &url).map_err(|e| after_failure(&stopped, remote(format!("archive: {e}"))))?;
        std::fs::create_dir_all(folder).map_err(|e| Error::file(folder, e))?;
        let target = folder.join(&wanted);
        let partial = folder.join(format!(".{wanted}.partial"));
        std::fs::write(&partial, &mmdb).map_err(|e| Error::file(&partial, e))?;
        std::fs::rename(&partial, &target).map_err(|e| Error::file(&target, e))?;
        Ok(target)
    }
}

/// The bytes of the member of a `.tar.gz` (downloaded from `url`) whose file name is `name`, up
/// to `cap` (stops when the user interrupts the cell).
fn extract_member(archive: &[u8], name: &str, cap: ByteCap, url: &str) -> std::result::Result<Vec<u8>, String> {
    let mut tar = tar::Archive::new(flate2::read::GzDecoder::new(InterruptibleReader::new(archive)));
    for entry in tar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let matches = entry.path().map_err(|e| e.to_string())?.file_name().is_some_and(|f| f == name);
        if matches {
            return read_capped(&mut entry, cap, &format!("{url}!{name}")).map_err(|e| e.to_string());
        }
    }
    Err(format!("no {name} in the downloaded archive"))
}

/// Whether `path` is missing or older than [`MAX_DB_AGE`].
pub fn needs_download(path: &Path) -> bool {
    let age = std::fs::metadata(path).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
    age.is_none_or(|age| age > MAX_DB_AGE)
}
