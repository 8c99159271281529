//! Archive members (zip, gzip, tar) and hashes of decoded bytes, under the unpack limits.

use super::Budget;
use md5::Digest;
use std::io::{Cursor, Read};

/// md5, sha1 and sha256 of `bytes`, as lower-case hex.
pub fn get_hashes(bytes: &[u8]) -> (String, String, String) {
    (
        hex::encode(md5::Md5::digest(bytes)),
        hex::encode(sha1::Sha1::digest(bytes)),
        hex::encode(sha2::Sha256::digest(bytes)),
    )
}

/// Reads at most the remaining byte budget from `reader`; `None` (with a note) when the member
/// is larger than that, so a decompression bomb stops instead of filling memory.
fn read_limited(mut reader: impl Read, member: &str, budget: &mut Budget) -> Option<Vec<u8>> {
    let allowance = budget.remaining_bytes();
    let mut bytes = Vec::new();
    match reader.by_ref().take(allowance as u64 + 1).read_to_end(&mut bytes) {
        Ok(_) if bytes.len() > allowance => {
            budget.exhaust(format!(
                "stopped expanding '{member}': decoded output passed the limit of {} bytes (max_total_bytes); \
                 the archive may be a decompression bomb",
                budget.limit
            ));
            None
        }
        Ok(_) => {
            budget.spend(bytes.len());
            Some(bytes)
        }
        Err(e) => {
            budget.note(format!("could not read '{member}': {e}"));
            None
        }
    }
}

fn member_allowed(count: usize, archive: &str, budget: &mut Budget) -> bool {
    if count >= budget.max_members {
        budget.note(format!(
            "{archive} archive has more than {} members (max_archive_members); the rest were skipped",
            budget.max_members
        ));
        return false;
    }
    true
}

/// The members of an archive of `archive_type` ("zip", "gz" or "tar") as (name, bytes); `None`
/// when the bytes are not such an archive.
pub(super) fn members(bytes: &[u8], archive_type: &str, budget: &mut Budget) -> Option<Vec<(String, Vec<u8>)>> {
    match archive_type {
        "zip" => zip_members(bytes, budget),
        "gz" => {
            let decoder = flate2::read::MultiGzDecoder::new(Cursor::new(bytes));
            read_limited(decoder, "gzip_file", budget).map(|b| vec![("gzip_file".to_string(), b)])
        }
        "tar" => tar_members(bytes, budget),
        _ => None,
    }
}

fn zip_members(bytes: &[u8], budget: &mut Budget) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = match zip::ZipArchive::new(Cursor::new(bytes)) {
        Ok(archive) => archive,
        Err(e) => {
            budget.note(format!("zip-like data could not be opened: {e}"));
            return None;
        }
    };
    let mut out = Vec::new();
    for index in 0..archive.len() {
        if !member_allowed(out.len(), "zip", budget) || budget.exhausted {
            break;
        }
        let Ok(entry) = archive.by_index(index) else { continue };
        let name = entry.name().map(|n| n.into_owned()).unwrap_or_else(|_| format!("member {index}"));
        match read_limited(entry, &name, budget) {
            Some(content) => out.push((name, content)),
            None if budget.exhausted => break,
            None => {}
        }
    }
    Some(out)
}

fn tar_members(bytes: &[u8], budget: &mut Budget) -> Option<Vec<(String, Vec<u8>)>> {
    let mut archive = tar::Archive::new(Cursor::new(bytes));
    let entries = archive.entries().ok()?;
    let mut out = Vec::new();
    for entry in entries {
        if !member_allowed(out.len(), "tar", budget) || budget.exhausted {
            break;
        }
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                budget.note(format!("tar member could not be read: {e}"));
                break;
            }
        };
        let name = entry.path().map(|p| p.to_string_lossy().into_owned()).unwrap_or_default();
        match read_limited(entry, &name, budget) {
            Some(content) => out.push((name, content)),
            None if budget.exhausted => break,
            None => {}
        }
    }
    (!out.is_empty()).then_some(out)
}
