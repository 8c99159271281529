//! Loading OTRF dataset zips (JSON lines or CSV members) into a [`Frame`], and downloading them.
//! Both stop with `Error::Interrupted` when the user interrupts the cell; an interrupted download
//! leaves nothing in the cache folder.

use super::catalog::DATASETS_PREFIX;
use mstic_core::interruptible::{InterruptibleReader, after_failure};
use mstic_core::limits::{CappedReadError, ReadLimits, read_capped, read_response_reporting};
use mstic_core::progress::Progress;
use mstic_core::{Error, Frame, Result, interrupt};
use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a dataset download may take.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Reads every JSON-lines (`.json`) and CSV member of a dataset zip into one frame. A file that is
/// not a readable zip, a malformed member (named with its line), or a zip without JSON/CSV data
/// gives an error naming the file. A member decompressing past the cap of
/// [`ReadLimits::from_env`] fails with an error naming the member and the cap.
pub fn load_zip(path: &Path) -> Result<Frame> {
    load_zip_with_limits(path, ReadLimits::from_env())
}

/// [`load_zip`] with explicit size caps (the decompressed cap bounds each member).
pub fn load_zip_with_limits(path: &Path, limits: ReadLimits) -> Result<Frame> {
    let bytes = std::fs::read(path).map_err(|e| Error::file(path, e))?;
    read_zip_members(&bytes, path, limits)
}

/// [`load_zip`] for zip data already in memory; `source` names it in errors.
pub fn load_zip_bytes(bytes: &[u8], source: &Path) -> Result<Frame> {
    read_zip_members(bytes, source, ReadLimits::from_env())
}

fn read_zip_members(bytes: &[u8], source: &Path, limits: ReadLimits) -> Result<Frame> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes))
        .map_err(|e| Error::file(source, format!("not a readable zip archive (corrupt or not a zip): {e}")))?;
    let mut frames = Vec::new();
    let mut skipped = Vec::new();
    let stopped = format!("loading {}", source.display());
    for index in 0..archive.len() {
        interrupt::check(&stopped)?;
        let member = archive
            .by_index(index)
            .map_err(|e| Error::file(source, format!("cannot read zip member {index}: {e}")))?;
        if member.is_dir() {
            continue;
        }
        let name = member
            .name()
            .map(|n| n.to_string())
            .map_err(|e| Error::file(source, format!("zip member {index} has an unreadable name: {e}")))?;
        let member_source = PathBuf::from(format!("{}!{name}", source.display()));
        let lower = name.to_ascii_lowercase();
        let is_json = lower.ends_with(".json") || lower.ends_with(".jsonl") || lower.ends_with(".ndjson");
        if !is_json && !lower.ends_with(".csv") {
            skipped.push(name);
            continue;
        }
        let data = read_capped(InterruptibleReader::new(member), limits.decompressed(), &member_source.display().to_string()).map_err(|e| match e {
            CappedReadError::TooLarge(e) => e.into(),
            CappedReadError::Failed(e) => after_failure(&stopped, Error::file(&member_source, format!("cannot decompress (corrupt zip?): {e}"))),
        })?;
        let frame = if is_json {
            Frame::read_json_lines_bytes(&data, &member_source)?
        } else {
            Frame::read_csv_from(Cursor::new(data), &member_source)?
        };
        frames.push(frame);
    }
    if frames.is_empty() {
        let what = if skipped.is_empty() { "it is empty".to_string() } else { format!("it holds only {}", skipped.join(", ")) };
        return Err(Error::file(source, format!("no JSON-lines or CSV data in this zip ({what}); network captures are not loaded")));
    }
    let mut frame = if frames.len() == 1 { frames.pop().unwrap_or_else(|| unreachable!()) } else { Frame::concat(&frames)? };
    if !skipped.is_empty() {
        frame = frame.with_warning(format!("skipped zip members that are not JSON or CSV: {}", skipped.join(", ")));
    }
    Ok(frame)
}

/// The file name MSTICPy saves a dataset under: the link's path after the datasets prefix, with
/// `/` replaced by `-` (`atomic-windows-persistence-host-proxylogon_ssrf_rce_poc.zip`).
pub fn cache_file_name(link: &str) -> String {
    let relative = link.strip_prefix(DATASETS_PREFIX).unwrap_or(link);
    let relative = relative.split("://").last().unwrap_or(relative);
    relative.split('/').filter(|p| !p.is_empty()).collect::<Vec<_>>().join("-")
}

/// Downloads of at least this size show a progress bar in the notebook.
const PROGRESS_FROM_BYTES: u64 = 1 << 20;

/// Downloads `url` to `target` (written to a temporary name first, so a failed download leaves
/// nothing behind). Errors name the URL and the target. A file larger than the download cap of
/// [`ReadLimits::from_env`] fails with an error naming the URL and the cap.
pub fn download(url: &str, target: &Path) -> Result<()> {
    download_with_limits(url, target, ReadLimits::from_env())
}

/// [`download`] with explicit size caps (the download cap bounds the file).
pub fn download_with_limits(url: &str, target: &Path, limits: ReadLimits) -> Result<()> {
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(|e| Error::file(parent, format!("cannot create the cache folder: {e}")))?;
    }
    let fail = |message: String| Error::Remote { service: "OTRF download".into(), message: format!("{url}: {message}") };
    let bytes = interrupt::block_on(&format!("the download of {url}"), async {
        let client = http_client(DOWNLOAD_TIMEOUT).map_err(|e| fail(e.to_string()))?;
        let response = client.get(url).send().await.map_err(|e| fail(error_chain(&e)))?;
        let status = response.status();
        if !status.is_success() {
            return Err(fail(format!("HTTP {status}")));
        }
        // A large file shows its download in the notebook, in KiB of the declared length.
        let name = url.rsplit('/').next().unwrap_or(url);
        let total_kib = response.content_length().filter(|n| *n >= PROGRESS_FROM_BYTES).map(|n| n.div_ceil(1024) as usize);
        let progress = Progress::start(&format!("Downloading {name} (KiB)"), total_kib.unwrap_or(0), total_kib.is_some());
        let body = read_response_reporting(response, limits.download(), url, |read, _| progress.set((read / 1024) as usize)).await;
        if body.is_ok() {
            progress.finish();
        }
        body.map_err(|e| match e {
            CappedReadError::TooLarge(e) => Error::Remote { service: "OTRF download".into(), message: e.to_string() },
            CappedReadError::Failed(e) => fail(error_chain(&e)),
        })
    })?;
    let partial = target.with_extension("part");
    std::fs::write(&partial, &bytes).map_err(|e| Error::file(&partial, e))?;
    std::fs::rename(&partial, target).map_err(|e| Error::file(target, e))?;
    Ok(())
}

/// The HTTP client of OTRF downloads (datasets and the catalogue), with `timeout` per request.
pub(super) fn http_client(timeout: Duration) -> reqwest::Result<reqwest::Client> {
    reqwest::Client::builder().timeout(timeout).user_agent(concat!("rust-mstic/", env!("CARGO_PKG_VERSION"))).build()
}

/// An error with its causes (reqwest's top-level message alone hides e.g. "connection refused").
pub(super) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_name_joins_path_parts() {
        let link = format!("{DATASETS_PREFIX}atomic/windows/persistence/host/proxylogon_ssrf_rce_poc.zip");
        assert_eq!(cache_file_name(&link), "atomic-windows-persistence-host-proxylogon_ssrf_rce_poc.zip");
    }
}
