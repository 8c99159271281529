//! MSTICPy's unpack cases (`tests/transform/test_b64unpack.py`) and the limits.

use super::*;
use base64::Engine;
use mstic_core::Frame;
use mstic_core::paths::fixture;
use std::io::Write;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn base64msg() -> String {
    std::fs::read_to_string(fixture("msticpy/testdata/base64msg.txt").unwrap()).unwrap()
}

#[test]
fn base64msg_gives_eight_items() {
    let result = unpack(&base64msg());
    assert_eq!(result.items.len(), 8, "{:#?}", result.items.iter().map(|i| (&i.reference, &i.file_name, &i.file_type)).collect::<Vec<_>>());
    let frame = result.to_frame().unwrap();
    assert_eq!((frame.len(), frame.num_columns()), (8, 12));
    let types: Vec<_> = result.items.iter().filter_map(|i| i.file_type.clone()).collect();
    for archive in ["zip", "tar"] {
        assert!(types.iter().any(|t| t == archive), "{archive} in {types:?}");
    }
    assert!(result.decoded.contains("<decoded"));
    assert!(result.notes.is_empty(), "{:?}", result.notes);
}

#[test]
fn base64msg_as_two_rows() {
    let text = base64msg();
    let frame = Frame::from_string_rows(&["input"], &[vec![Some(text.as_str())], vec![Some(text.as_str())]]).unwrap();
    let out = unpack_frame(&frame, "input", &UnpackOptions::default()).unwrap();
    assert_eq!((out.len(), out.num_columns()), (16, 15));
    assert_eq!(out.columns()[12..], ["src_index", "input", "full_decoded_string"]);
}

#[test]
fn base64_zip_inside_pem_block_decodes() {
    let text = std::fs::read_to_string(fixture("msticpy/testdata/b64text_inzip.txt").unwrap()).unwrap();
    let result = unpack(&text);
    let member = result.items.iter().find(|i| i.file_type.as_deref() == Some("zip")).expect("zip member");
    assert_eq!(member.file_name, "txtenc.txt");
    assert!(result.decoded.contains("[zip] Filename: txtenc.txt"));
}

#[test]
fn nested_base64_is_decoded_recursively() {
    let inner = b64(b"cmd.exe /c whoami && net user administrator /domain");
    let outer = b64(format!("powershell -nop -enc {inner}").as_bytes());
    let result = unpack(&format!("run {outer} now"));
    assert!(result.decoded.contains("net user administrator"), "{}", result.decoded);
    assert_eq!(result.items.len(), 2);
    assert_eq!(result.items[0].reference, "1.1");
    assert_eq!(result.items[1].reference, "1.2.1");
    let (md5, _, sha256) = get_hashes(b"abc");
    assert_eq!(md5, "900150983cd24fb0d6963f7d28e17f72");
    assert_eq!(sha256, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

#[test]
fn binary_and_utf16_content() {
    let binary = unpack(&b64(&[0xff, 0xfe, 0x00, 0x81, 0x90, 0xa0, 0xb0, 0xc0, 0xd0, 0xe0, 0xf0, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d]));
    assert_eq!(binary.items[0].encoding_type, "binary");
    assert!(binary.items[0].printable_bytes.starts_with("ff fe 00 81"));
    assert!(binary.decoded.contains("value='binary'"));
    let wide: Vec<u8> = "net user hacker P@ssw0rd /add".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let options = UnpackOptions { utf16: true, ..UnpackOptions::default() };
    let result = unpack_with(&b64(&wide), &options);
    assert_eq!(result.items[0].encoding_type, "utf-16");
    assert_eq!(result.items[0].decoded_string.as_deref(), Some("net user hacker P@ssw0rd /add"));
}

/// A zip whose one member inflates to `size` zero bytes.
fn zip_bomb(size: usize) -> Vec<u8> {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    writer.start_file("zeros.bin", options).unwrap();
    let chunk = vec![0u8; 1 << 20];
    for _ in 0..size / chunk.len() {
        writer.write_all(&chunk).unwrap();
    }
    writer.finish().unwrap();
    buffer.into_inner()
}

#[test]
fn zip_bomb_stops_with_a_note() {
    let bomb = zip_bomb(64 << 20);
    assert!(bomb.len() < 200_000, "compressed size {}", bomb.len());
    let options = UnpackOptions { max_total_bytes: 8 << 20, ..UnpackOptions::default() };
    let result = unpack_with(&b64(&bomb), &options);
    assert!(result.notes.iter().any(|n| n.contains("zeros.bin") && n.contains("decompression bomb")), "{:?}", result.notes);
    let decoded: usize = result.items.iter().map(|i| i.input_bytes.len()).sum();
    assert!(decoded <= 8 << 20);
    let frame = result.to_frame().unwrap();
    assert!(frame.warnings().iter().any(|w| w.contains("max_total_bytes")));
}

#[test]
fn archive_member_limit() {
    let mut buffer = std::io::Cursor::new(Vec::new());
    let mut writer = zip::ZipWriter::new(&mut buffer);
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for i in 0..20 {
        writer.start_file(format!("f{i}.txt"), options).unwrap();
        writer.write_all(format!("member {i}").as_bytes()).unwrap();
    }
    writer.finish().unwrap();
    let options = UnpackOptions { max_archive_members: 5, ..UnpackOptions::default() };
    let result = unpack_with(&b64(&buffer.into_inner()), &options);
    assert_eq!(result.items.len(), 5);
    assert!(result.notes.iter().any(|n| n.contains("max_archive_members")));
}

#[test]
fn depth_limit_and_text_without_base64() {
    let mut text = "the innermost message is here".to_string();
    for _ in 0..5 {
        text = b64(text.as_bytes());
    }
    let options = UnpackOptions { max_depth: 2, ..UnpackOptions::default() };
    let result = unpack_with(&text, &options);
    assert_eq!(result.items.len(), 3);
    assert!(result.notes.iter().any(|n| n.contains("maximum decode depth")));
    let plain = unpack("nothing to see here");
    assert!(plain.items.is_empty() && plain.decoded == "nothing to see here");
}
