//! Zip members are read under the decompressed-size cap, and the size a zip header declares is
//! never trusted: a member inflating past the cap, or a header claiming an impossible size, gives
//! an error or the real bytes — never an allocation sized from the header.

use mstic_core::limits::ReadLimits;
use mstic_transform::read_zip_member_with_limits;
use std::io::Write;
use std::path::{Path, PathBuf};

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-transform-zip-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A zip at `path` with one deflated member `name` holding `content`; `large_file` writes ZIP64
/// size fields.
fn write_zip(path: &Path, name: &str, content: &[u8], large_file: bool) {
    let mut writer = zip::ZipWriter::new(std::fs::File::create(path).unwrap());
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated).large_file(large_file);
    writer.start_file(name, options).unwrap();
    writer.write_all(content).unwrap();
    writer.finish().unwrap();
}

const SMALL: ReadLimits = ReadLimits { max_response_bytes: 1024, max_download_bytes: 4096, max_decompressed_bytes: 100_000 };

#[test]
fn member_inflating_past_the_cap_names_archive_member_and_cap() {
    let path = scratch("bomb").join("bomb.zip");
    write_zip(&path, "zeros.bin", &vec![0u8; 16 << 20], false);
    assert!(std::fs::metadata(&path).unwrap().len() < 64 * 1024, "16 MiB of zeros compress to a few KiB");
    let error = read_zip_member_with_limits(&path, None, SMALL).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "{}!zeros.bin is larger than the decompressed-size cap of 100000 bytes (97.7 KiB); set MSTIC_MAX_DECOMPRESSED_BYTES to raise it",
            path.display()
        )
    );
    let (name, bytes) = read_zip_member_with_limits(&path, Some("zeros.bin"), ReadLimits::default()).unwrap();
    assert_eq!((name.as_str(), bytes.len()), ("zeros.bin", 16 << 20));
}

#[test]
fn header_claiming_an_impossible_size_is_not_trusted() {
    let path = scratch("header").join("claims.zip");
    let content = b"{\"EventID\": 4688}\n".repeat(10);
    write_zip(&path, "events.json", &content, true);
    // Both ZIP64 extra fields (local and central headers: id 0x0001, 16 bytes of sizes) get an
    // uncompressed size of nearly 2^64 bytes: reserving the declared size would abort the process.
    let mut bytes = std::fs::read(&path).unwrap();
    let starts: Vec<usize> = bytes.windows(4).enumerate().filter(|(_, w)| *w == [1, 0, 16, 0]).map(|(i, _)| i + 4).collect();
    assert_eq!(starts.len(), 2, "one ZIP64 field in the local header, one in the central directory");
    for start in starts {
        bytes[start..start + 8].copy_from_slice(&(u64::MAX - 255).to_le_bytes());
    }
    std::fs::write(&path, &bytes).unwrap();
    let mut archive = zip::ZipArchive::new(std::fs::File::open(&path).unwrap()).unwrap();
    assert_eq!(archive.by_index(0).unwrap().size(), u64::MAX - 255, "the archive claims the impossible size");
    let (name, read) = read_zip_member_with_limits(&path, None, SMALL).unwrap();
    assert_eq!((name.as_str(), read), ("events.json", content), "the real bytes are read, nothing is reserved from the header");
}
