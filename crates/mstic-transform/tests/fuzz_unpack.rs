//! Fuzzing base64 and archive unpacking: zip, gzip and tar archives built here (random members,
//! nested base64, highly compressible members), corrupted as bytes and as base64 text, inside
//! random text, with random limits. Unpacking returns within its limits — never a panic.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use fuzz_config::{fuzz_config, ok_or_message};
use mstic_transform::{UnpackOptions, unpack_with};
use proptest::prelude::*;
use std::io::Write;

/// One archive member: name and content.
type Member = (String, Vec<u8>);

fn member() -> impl Strategy<Value = Member> {
    let name = prop_oneof![Just("a.txt".to_string()), Just("../../etc/passwd".to_string()), Just("dir/".to_string()), "[a-zA-Z0-9./\\\\é]{0,20}"];
    let content = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        "[ -~]{0,100}".prop_map(String::into_bytes),
        // Base64 inside a member: one more level to decode.
        "[ -~]{16,60}".prop_map(|text| format!("run {}", STANDARD.encode(text)).into_bytes()),
        // Compresses well: what a bomb is made of.
        (0usize..200_000).prop_map(|n| vec![0u8; n]),
    ];
    (name, content)
}

fn zip(members: &[Member]) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, content) in members {
        if writer.start_file(name.as_str(), options).is_ok() {
            writer.write_all(content).expect("zip member writes");
        }
    }
    writer.finish().expect("zip finishes");
    buffer.into_inner()
}

fn gzip(members: &[Member]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for (_, content) in members {
        encoder.write_all(content).expect("gzip writes");
    }
    encoder.finish().expect("gzip finishes")
}

fn tar(members: &[Member]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in members {
        let mut header = tar::Header::new_gnu();
        header.set_size(content.len() as u64);
        header.set_mode(0o644);
        if header.set_path(name).is_ok() {
            header.set_cksum();
            builder.append(&header, content.as_slice()).expect("tar member writes");
        }
    }
    builder.into_inner().expect("tar finishes")
}

/// A corruption of archive bytes or of base64 text.
#[derive(Debug, Clone)]
enum Damage {
    Flip { at: prop::sample::Index, bits: u8 },
    Truncate { at: prop::sample::Index },
    Insert { at: prop::sample::Index, bytes: Vec<u8> },
}

fn damage() -> impl Strategy<Value = Damage> {
    prop_oneof![
        (any::<prop::sample::Index>(), 1u8..=255).prop_map(|(at, bits)| Damage::Flip { at, bits }),
        any::<prop::sample::Index>().prop_map(|at| Damage::Truncate { at }),
        (any::<prop::sample::Index>(), prop::collection::vec(prop::sample::select(b"=+/ \n-_%A0\x00".to_vec()), 1..4))
            .prop_map(|(at, bytes)| Damage::Insert { at, bytes }),
    ]
}

fn apply(mut bytes: Vec<u8>, damage: &Damage) -> Vec<u8> {
    if bytes.is_empty() {
        return bytes;
    }
    match damage {
        Damage::Flip { at, bits } => {
            let at = at.index(bytes.len());
            bytes[at] ^= bits;
        }
        Damage::Truncate { at } => bytes.truncate(at.index(bytes.len())),
        Damage::Insert { at, bytes: inserted } => {
            let at = at.index(bytes.len());
            bytes.splice(at..at, inserted.iter().copied());
        }
    }
    bytes
}

/// Base64 of a (possibly damaged) archive, itself possibly damaged, inside random text.
fn input() -> impl Strategy<Value = String> {
    let kind = prop::sample::select(vec!["zip", "gz", "tar", "raw"]);
    (kind, prop::collection::vec(member(), 0..4), prop::collection::vec(damage(), 0..3), prop::collection::vec(damage(), 0..3), "[ -~]{0,20}", "[ -~]{0,20}")
        .prop_map(|(kind, members, byte_damage, text_damage, before, after)| {
            let bytes = match kind {
                "zip" => zip(&members),
                "gz" => gzip(&members),
                "tar" => tar(&members),
                _ => members.into_iter().flat_map(|(_, content)| content).collect(),
            };
            let bytes = byte_damage.iter().fold(bytes, apply);
            let encoded = text_damage.iter().fold(STANDARD.encode(bytes).into_bytes(), apply);
            format!("{before} {} {after}", String::from_utf8_lossy(&encoded))
        })
}

fn options() -> impl Strategy<Value = UnpackOptions> {
    (any::<bool>(), 0usize..6, 1usize..300_000, 0usize..8, 0usize..8).prop_map(|(utf16, max_depth, max_total_bytes, max_archive_members, max_fragments)| {
        UnpackOptions { utf16, max_depth, max_total_bytes, max_archive_members, max_fragments }
    })
}

proptest! {
    #![proptest_config(fuzz_config(200))]

    #[test]
    fn archives_unpack_within_the_limits(input in input(), options in options()) {
        let unpacked = unpack_with(&input, &options);
        for item in &unpacked.items {
            prop_assert!(item.input_bytes.len() <= options.max_total_bytes, "an item of {} bytes, limit {}", item.input_bytes.len(), options.max_total_bytes);
            prop_assert_eq!(item.sha256.len(), 64);
        }
        let frame = unpacked.to_frame();
        prop_assert!(frame.is_ok_and(|f| f.len() == unpacked.items.len()));
    }

    #[test]
    fn random_text_unpacks(input in prop_oneof![".{0,200}", "[A-Za-z0-9+/=]{0,300}"], options in options()) {
        let unpacked = unpack_with(&input, &options);
        let frame = ok_or_message(unpacked.to_frame())?;
        prop_assert!(frame.is_some_and(|f| f.len() == unpacked.items.len()));
    }
}
