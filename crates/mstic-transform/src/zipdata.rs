//! Reading data sets shipped as zip archives (e.g. OTRF Security Datasets): one member's bytes, or
//! a JSON-lines member straight into a [`Frame`].

use mstic_core::limits::{CappedReadError, ReadLimits, read_capped};
use mstic_core::{Error, Frame, Result};
use std::path::Path;

/// The bytes of a zip member: the named one, or the first file when `member` is `None`. A member
/// decompressing past the cap of [`ReadLimits::from_env`] fails with an error naming it and the cap.
pub fn read_zip_member(path: impl AsRef<Path>, member: Option<&str>) -> Result<(String, Vec<u8>)> {
    read_zip_member_with_limits(path, member, ReadLimits::from_env())
}

/// [`read_zip_member`] with explicit size caps (the decompressed cap bounds the member; the size
/// the zip declares is never trusted for allocation).
pub fn read_zip_member_with_limits(path: impl AsRef<Path>, member: Option<&str>, limits: ReadLimits) -> Result<(String, Vec<u8>)> {
    let path = path.as_ref();
    let file = std::fs::File::open(path).map_err(|e| Error::file(path, e))?;
    let mut archive = zip::ZipArchive::new(file).map_err(|e| Error::file(path, format!("not a zip archive: {e}")))?;
    let index = match member {
        Some(name) => archive.index_for_name(name).ok_or_else(|| {
            let names: Vec<String> = archive.file_names().filter_map(|n| n.ok().map(|n| n.into_owned())).collect();
            Error::unknown("zip member", name, names.iter().map(String::as_str))
        })?,
        None => (0..archive.len())
            .find(|&i| archive.by_index(i).is_ok_and(|f| f.is_file()))
            .ok_or_else(|| Error::file(path, "the archive holds no file"))?,
    };
    let entry = archive.by_index(index).map_err(|e| Error::file(path, e))?;
    let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("member {index}"));
    let source = format!("{}!{name}", path.display());
    let bytes = read_capped(entry, limits.decompressed(), &source).map_err(|e| match e {
        CappedReadError::TooLarge(e) => e.into(),
        CappedReadError::Failed(e) => Error::file(path, format!("{name}: {e}")),
    })?;
    Ok((name, bytes))
}

/// A JSON-lines member of a zip archive (the first file when `member` is `None`) as a Frame.
///
/// # Example
///
/// ```
/// use std::io::Write;
/// use mstic_transform::read_zipped_json_lines;
/// let path = std::env::temp_dir().join(format!("mstic-doc-events-{}.zip", std::process::id()));
/// let mut zip = zip::ZipWriter::new(std::fs::File::create(&path)?);
/// zip.start_file("events.json", zip::write::SimpleFileOptions::default())?;
/// zip.write_all(b"{\"EventID\": 4624}\n{\"EventID\": 4625}\n")?;
/// zip.finish()?;
/// let events = read_zipped_json_lines(&path, None);
/// std::fs::remove_file(&path)?;
/// assert_eq!(events?.values::<i64>("EventID")?, [Some(4624), Some(4625)]);
/// assert!(read_zipped_json_lines(&path, None).is_err()); // gone now
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// With the OTRF data sets of the fixture folder (only compiled here):
///
/// ```no_run
/// use mstic_transform::read_zipped_json_lines;
/// let events = read_zipped_json_lines(mstic_core::paths::fixture("otrf/proxylogon_ssrf_rce_poc.zip").unwrap(), None).unwrap();
/// ```
pub fn read_zipped_json_lines(path: impl AsRef<Path>, member: Option<&str>) -> Result<Frame> {
    let path = path.as_ref();
    let (name, bytes) = read_zip_member(path, member)?;
    Frame::read_json_lines_bytes(&bytes, &path.join(name))
}
