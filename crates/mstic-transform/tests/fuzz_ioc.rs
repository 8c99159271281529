//! Fuzzing IoC extraction: random text and text built from fragments of URLs, IPs, hashes,
//! domains, defanging brackets and unicode, plain and defanged, from strings and Frame columns.
//! Extraction never panics; addresses found have the address shape, and other observables
//! (paths aside) hold a letter or digit.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use fuzz_config::{fuzz_config, ok_or_message};
use mstic_core::Frame;
use mstic_transform::ioc::observables_of;
use mstic_transform::{ExtractOptions, IocExtractor, defang, refang};
use proptest::prelude::*;
use std::sync::LazyLock;

static EXTRACTOR: LazyLock<IocExtractor> = LazyLock::new(IocExtractor::new);

/// Pieces of observables and of the text around them.
const FRAGMENTS: &[&str] = &[
    "http://", "https://", "hxxp://", "hxxps[:]//", "ftp://", "://", "www.", "example.com", "evil.co.uk", "xn--bcher-kva.ch", "bücher.de",
    ".com", ".", "[.]", "(.)", "{.}", "[dot]", " dot ", "@", "[@]", "[at]", "/", "\\", "\\\\", "C:\\Windows\\System32\\", "/etc/passwd", "/tmp/",
    "?q=", "&a=b", "#frag", ":8080", ":", "[:]", "10.0.0.1", "192.168.1.255", "256.1.1.1", "1.2.3", "999999999999", "::1", "fe80::1%eth0",
    "2001:db8::ff00:42:8329", "::ffff:1.2.3.4", "[", "]", "(", ")", "<", ">", "\"", "'", "`", "d41d8cd98f00b204e9800998ecf8427e",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "0123456789abcdef",
    "user@mail.example.org", "CVE-2021-44228", " ", "\t", "\n", "\r\n", "\u{0}", "\u{200b}", "\u{202e}", "\u{feff}", "é", "𝔘", "ー", "\u{3002}",
    "\u{ff0e}", "%2e", "%00", "-", "_", "a", "0", "-.", ".-", "..", "....",
];

/// Text made of fragments and random characters.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        ".{0,120}",
        "[ -~]{0,200}",
        prop::collection::vec(prop_oneof![4 => prop::sample::select(FRAGMENTS).prop_map(str::to_string), 1 => ".{1,4}"], 0..60)
            .prop_map(|parts| parts.concat()),
    ]
}

fn options() -> impl Strategy<Value = ExtractOptions> {
    let types = prop::option::weighted(
        0.3,
        prop::collection::vec(
            prop::sample::select(vec!["ipv4", "ipv6", "dns", "url", "windows_path", "linux_path", "md5_hash", "sha1_hash", "sha256_hash", "email", "no_such_type"]),
            0..4,
        ),
    );
    (types, any::<bool>(), any::<bool>(), prop::option::of(any::<bool>())).prop_map(|(types, include_paths, ignore_tlds, defanged)| {
        let mut options = ExtractOptions::new().include_paths(include_paths).ignore_tlds(ignore_tlds);
        if let Some(types) = types {
            options = options.types(&types);
        }
        options.defanged = defanged;
        options
    })
}

/// Every observable is non-empty; addresses have the address shape, and the others (paths aside)
/// hold a letter or digit (URLs are percent-decoded, so an observable need not be text of the
/// input). The type and validation queries answer for each.
fn check_found(input: &str, results: &mstic_transform::IocResults) -> Result<(), TestCaseError> {
    for (ioc_type, observables) in results {
        for observable in observables {
            // Defanged matches (`1.2.3[.]4`) are checked refanged.
            let plain = refang(observable);
            let well_formed = match ioc_type.as_str() {
                // MSTICPy's address patterns: four groups of one to three digits (octets are not
                // range-checked), and hex groups between colons.
                "ipv4" => plain.split('.').count() == 4 && plain.split('.').all(|g| (1..=3).contains(&g.len()) && g.bytes().all(|b| b.is_ascii_digit())),
                "ipv6" => plain.matches(':').count() >= 2 && plain.chars().all(|c| c == ':' || c.is_ascii_hexdigit()),
                "windows_path" | "linux_path" => true,
                _ => observable.chars().any(char::is_alphanumeric),
            };
            prop_assert!(well_formed, "{ioc_type} {observable:?} found in {input:?}");
            prop_assert!(!observable.is_empty(), "an empty {ioc_type} found in {input:?}");
            let _ = EXTRACTOR.get_ioc_type(observable);
            let _ = EXTRACTOR.validate(observable, ioc_type, true);
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config(300))]

    #[test]
    fn plain_extraction_finds_observables(input in text()) {
        check_found(&input, &EXTRACTOR.extract(&input))?;
        let _ = EXTRACTOR.get_ioc_type(&input);
    }

    #[test]
    fn extraction_with_any_options_returns(input in text(), options in options()) {
        ok_or_message(EXTRACTOR.extract_with(&input, &options))?;
    }

    #[test]
    fn defanged_text_extracts(input in text()) {
        let defanged = defang(&input);
        let _ = refang(&defanged);
        let _ = refang(&input);
        let extractor = IocExtractor::with_defanged(true);
        let _ = extractor.extract(&defanged);
        let _ = extractor.extract(&input);
    }

    #[test]
    fn frame_columns_extract(values in prop::collection::vec(prop::option::of(text()), 1..8), options in options()) {
        let rows: Vec<Vec<Option<&str>>> = values.iter().map(|v| vec![v.as_deref(), Some("fixed")]).collect();
        let frame = Frame::from_string_rows(&["Text", "Other"], &rows).expect("a string frame builds");
        if let Some(found) = ok_or_message(EXTRACTOR.extract_frame(&frame, &["Text"], &options))? {
            for ioc_type in ["ipv4", "dns", "url"] {
                ok_or_message(observables_of(&found, ioc_type))?;
            }
        }
    }
}

// Regressions: inputs the harness found.

#[test]
fn a_url_host_without_letters_or_digits_gives_no_domain() {
    for input in ["http://%2e", "http://[::ffff:1.2.3.4"] {
        let found = EXTRACTOR.extract(input);
        let domains = found.get("dns").cloned().unwrap_or_default();
        assert!(domains.iter().all(|d| d.chars().any(char::is_alphanumeric)), "{input}: {found:?}");
    }
}
