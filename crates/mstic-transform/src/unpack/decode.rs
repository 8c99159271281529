//! The decode passes: find candidates left to right, decode and replace them, then scan the
//! result again one level deeper while the last candidate of a pass decoded.

use super::archive::{get_hashes, members};
use super::{Budget, DecodedItem, UnpackOptions, Unpacked};
use base64::Engine;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use regex::Regex;
use std::collections::HashSet;
use std::sync::OnceLock;

/// Base64 prefixes of known file types (MSTICPy's table).
const PREFIX_TYPES: [(&str, &str); 11] = [
    ("TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+AAAAA4fug", "exe"),
    ("TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA8AAAAA4fug", "dll"),
    ("TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA6AAAAA4fug", "sys"),
    ("UEsDBBQAAAAIA", "zip"),
    ("UEsDBBQAAQAIA", "zip (pwd protected)"),
    ("H4sI", "gz"),
    ("N3q8ryccAAR", "7z"),
    ("UmFyIRoHAM", "rar"),
    ("JVBERi0xLjcNC", "pdf"),
    ("0M8R4KGxGuE", "msi"),
    ("TVNXSU0AAADQ", "wim"),
];
/// Found anywhere in the first 160 characters: the base64 of a tar header's mode/uid fields.
const TAR_MARKER: &str = "DAxMDA3NzcAMDAwMDAwM";

fn candidate_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[A-Za-z0-9+/\n\r]{30,}={0,2}").expect("base64 candidate pattern"))
}

fn engine() -> &'static GeneralPurpose {
    static ENGINE: OnceLock<GeneralPurpose> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let config = GeneralPurposeConfig::new()
            .with_decode_allow_trailing_bits(true)
            .with_decode_padding_mode(DecodePaddingMode::RequireCanonical);
        GeneralPurpose::new(&base64::alphabet::STANDARD, config)
    })
}

/// The file type suggested by the first 160 base64 characters.
fn known_type(candidate: &str) -> Option<&'static str> {
    let head: String = candidate.chars().filter(|c| *c != '\n' && *c != '\r').take(160).collect();
    PREFIX_TYPES
        .iter()
        .find(|(prefix, _)| head.starts_with(prefix))
        .map(|(_, t)| *t)
        .or_else(|| head.to_ascii_lowercase().contains(&TAR_MARKER.to_ascii_lowercase()).then_some("tar"))
}

struct Pass<'o> {
    options: &'o UnpackOptions,
    budget: Budget,
    undecodable: HashSet<String>,
    items: Vec<DecodedItem>,
}

pub(super) fn run(input: &str, options: &UnpackOptions) -> Unpacked {
    let mut pass = Pass { options, budget: Budget::new(options), undecodable: HashSet::new(), items: Vec::new() };
    let decoded = pass.decode_level(input.to_string(), options.max_depth, 1, String::new());
    Unpacked { decoded, items: pass.items, notes: pass.budget.notes }
}

/// One decoded output before it gets its reference.
struct Output {
    key: String,
    item: DecodedItem,
}

impl Pass<'_> {
    fn decode_level(&mut self, input: String, remaining_depth: usize, depth: usize, prefix: String) -> String {
        let mut text = input;
        let mut fragment_index = 0usize;
        let mut position = 0usize;
        let mut last_decoded = false;
        loop {
            if self.budget.exhausted {
                break;
            }
            while position < text.len() && !text.is_char_boundary(position) {
                position += 1;
            }
            let Some(found) = candidate_regex().find_at(&text, position.min(text.len())) else { break };
            let (start, end, candidate) = (found.start(), found.end(), found.as_str().to_string());
            if self.undecodable.contains(&candidate) {
                position = end;
                continue;
            }
            fragment_index += 1;
            match self.decode_candidate(&candidate, &prefix, fragment_index, depth) {
                Some((markup, outputs)) => {
                    last_decoded = true;
                    for output in outputs {
                        let mut item = output.item;
                        item.reference = format!("{prefix}{depth}.{fragment_index}");
                        item.original_string = candidate.clone();
                        self.items.push(item);
                    }
                    text = text.replace(&candidate, &markup);
                    // Go on after the replacement (its decoded text is scanned in the next pass).
                    position = start + markup.len();
                }
                None => {
                    last_decoded = false;
                    self.undecodable.insert(candidate);
                    position = end;
                }
            }
            if fragment_index > self.options.max_fragments {
                break;
            }
        }
        if remaining_depth == 0 {
            if last_decoded {
                self.budget.note(format!("stopped at the maximum decode depth ({})", self.options.max_depth));
            }
            return text;
        }
        if last_decoded && !self.budget.exhausted {
            let next_prefix = if prefix.is_empty() { format!("{fragment_index}.") } else { format!("{prefix}.{fragment_index}.") };
            return self.decode_level(text, remaining_depth - 1, depth + 1, next_prefix);
        }
        text
    }

    /// Decodes one candidate: its inline markup and items, or `None` if it is not base64.
    fn decode_candidate(&mut self, candidate: &str, prefix: &str, index: usize, depth: usize) -> Option<(String, Vec<Output>)> {
        let file_type = known_type(candidate);
        let clean: String = candidate.chars().filter(|c| *c != '\n' && *c != '\r').collect();
        if clean.len() / 4 * 3 > self.budget.remaining_bytes() {
            self.budget.exhaust(format!(
                "stopped decoding: a {}-character fragment would pass the limit of {} decoded bytes (max_total_bytes)",
                clean.len(),
                self.budget.limit
            ));
            return None;
        }
        let bytes = engine().decode(clean.as_bytes()).ok().filter(|b| !b.is_empty())?;
        self.budget.spend(bytes.len());
        let mut outputs = Vec::new();
        if let Some(archive_type) = file_type.filter(|t| ["zip", "gz", "tar"].contains(t))
            && let Some(found) = members(&bytes, archive_type, &mut self.budget)
        {
            for (name, content) in found {
                let mut item = self.describe(content, Some(archive_type));
                item.file_name = name.clone();
                outputs.push(Output { key: format!("[{archive_type}] Filename: {name}"), item });
            }
        }
        if outputs.is_empty() {
            let mut item = self.describe(bytes, file_type);
            item.file_name = "unknown".to_string();
            outputs.push(Output { key: format!("[{}]", file_type.unwrap_or("None")), item });
        }
        let markup = if outputs.len() == 1 {
            single_markup(&outputs[0], prefix, depth, &index.to_string())
        } else {
            let children: String = outputs
                .iter()
                .enumerate()
                .map(|(i, o)| single_markup(o, prefix, depth + 1, &format!("{prefix}{index}.{}", i + 1)))
                .collect();
            format!("<decoded value='multiple binary' type='multiple' index='{prefix}{index}' depth='{depth}'>{children}</decoded>")
        };
        Some((markup, outputs))
    }

    /// Encoding, text, hashes and printable hex of decoded bytes.
    fn describe(&self, bytes: Vec<u8>, file_type: Option<&str>) -> DecodedItem {
        let (md5, sha1, sha256) = get_hashes(&bytes);
        let printable_bytes = bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(" ");
        let (decoded_string, encoding_type) = match text_of(&bytes, self.options.utf16) {
            Some((text, encoding)) => (Some(text), encoding),
            None => (None, "binary"),
        };
        DecodedItem {
            reference: String::new(),
            original_string: String::new(),
            file_name: String::new(),
            file_type: file_type.map(str::to_string),
            input_bytes: bytes,
            decoded_string,
            encoding_type: encoding_type.to_string(),
            md5,
            sha1,
            sha256,
            printable_bytes,
        }
    }
}

/// Text of decoded bytes: UTF-16 (with a BOM or little-endian, only when asked), else UTF-8.
fn text_of(bytes: &[u8], utf16: bool) -> Option<(String, &'static str)> {
    if utf16 && bytes.len().is_multiple_of(2) {
        let (body, big_endian) = match bytes {
            [0xFE, 0xFF, rest @ ..] => (rest, true),
            [0xFF, 0xFE, rest @ ..] => (rest, false),
            _ => (bytes, false),
        };
        let units = body.chunks_exact(2).map(|p| if big_endian { u16::from_be_bytes([p[0], p[1]]) } else { u16::from_le_bytes([p[0], p[1]]) });
        if let Ok(text) = char::decode_utf16(units).collect::<Result<String, _>>() {
            return Some((text, "utf-16"));
        }
    }
    std::str::from_utf8(bytes).ok().map(|t| (t.to_string(), "utf-8"))
}

fn single_markup(output: &Output, prefix: &str, depth: usize, index: &str) -> String {
    let item = &output.item;
    match &item.decoded_string {
        Some(text) => format!("<decoded type='string' name='{}' index='{prefix}{index}' depth='{depth}'>{text}</decoded>", output.key),
        None => format!(
            "<decoded value='binary'  name='{}' type='{}' index='{prefix}{index}' depth='{depth}'>{}</decoded>",
            output.key,
            item.file_type.as_deref().unwrap_or("None"),
            item.printable_bytes
        ),
    }
}
