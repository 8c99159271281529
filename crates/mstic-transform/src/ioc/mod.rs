//! IoC extraction with MSTICPy's rules: ipv4, ipv6, dns, url, email, md5/sha1/sha256 hashes and
//! Windows/Linux paths, defanged forms, public-suffix validation of domains, and priorities so a
//! substring claimed by several types goes to the most specific one.
//!
//! ```
//! use mstic_transform::ioc::IocExtractor;
//! let iocs = IocExtractor::new().extract("curl 'https://www.virustotal.com/en/ip-address/90.156.201.27/'");
//! assert!(iocs["ipv4"].contains("90.156.201.27"));
//! assert!(iocs["dns"].contains("www.virustotal.com"));
//! ```

mod defang;
mod frame;
mod patterns;
mod prefilter;
mod scan;
#[cfg(test)]
mod tests;

pub use defang::{defang, refang};
pub use frame::observables_of;

use mstic_core::{Error, Result};
use regex::{Regex, RegexSet};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

/// Observables found in one text: IoC type name → distinct observables.
pub type IocResults = BTreeMap<String, BTreeSet<String>>;

/// Post-match checks that stand in for MSTICPy's look-around.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Check {
    None,
    Ipv6Boundary,
    Domain,
}

/// One registered IoC type.
struct IocPattern {
    name: String,
    plain: Regex,
    defanged: Regex,
    priority: u8,
    group: Option<String>,
    check: Check,
    prefilter: prefilter::Prefilter,
    anchored: OnceLock<(Option<Regex>, Option<Regex>)>,
}

/// Options of one extraction (MSTICPy's `ioc_types`, `include_paths`, `ignore_tlds`, `defanged`).
///
/// # Example
///
/// ```
/// use mstic_transform::{ExtractOptions, IocExtractor};
/// let only_ips = ExtractOptions::new().types(&["ipv4"]);
/// let iocs = IocExtractor::new().extract_with("ping 10.1.2.3 then fetch www.microsoft.com", &only_ips)?;
/// assert_eq!(iocs.keys().collect::<Vec<_>>(), ["ipv4"]);
/// assert!(iocs["ipv4"].contains("10.1.2.3"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug, Default)]
pub struct ExtractOptions {
    /// Only these types (default: every type for a string; for a frame every type except
    /// `linux_path`, and `windows_path` only with `include_paths`).
    pub ioc_types: Option<Vec<String>>,
    /// Frame extraction: also look for Windows paths.
    pub include_paths: bool,
    /// Accept domains whose suffix is not in the public suffix list.
    pub ignore_tlds: bool,
    /// Override the extractor's defanged setting for this call.
    pub defanged: Option<bool>,
}

impl ExtractOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }
    /// Restrict the scan to these types.
    pub fn types(mut self, types: &[&str]) -> Self {
        self.ioc_types = Some(types.iter().map(|t| t.to_string()).collect());
        self
    }
    /// Include Windows paths in frame extraction.
    pub fn include_paths(mut self, include: bool) -> Self {
        self.include_paths = include;
        self
    }
    /// Skip the public-suffix check of domains.
    pub fn ignore_tlds(mut self, ignore: bool) -> Self {
        self.ignore_tlds = ignore;
        self
    }
    /// Match defanged forms (`true`) or only plain ones, refanging results (`false`).
    pub fn defanged(mut self, defanged: bool) -> Self {
        self.defanged = Some(defanged);
        self
    }
}

/// Finds indicators of compromise (IPs, domains, URLs, hashes…) in text or in Frame columns. Each
/// extractor has its own set of types: types added with [`IocExtractor::add_ioc_type`] belong to
/// that extractor only.
///
/// # Example
///
/// ```
/// use mstic_core::Frame;
/// use mstic_transform::{ExtractOptions, IocExtractor};
/// let events = Frame::from_string_rows(&["CommandLine"], &[vec![Some("curl http://203.0.113.7/a.ps1")], vec![Some("whoami")]])?;
/// let found = IocExtractor::new().extract_frame(&events, &["CommandLine"], &ExtractOptions::new())?;
/// assert!(found.column_strings("Observable")?.contains(&Some("203.0.113.7".to_string())));
/// assert_eq!(found.column_strings("SourceIndex")?.iter().flatten().collect::<std::collections::BTreeSet<_>>().len(), 1);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct IocExtractor {
    patterns: Vec<IocPattern>,
    defanged: bool,
    /// `RegexSet`s over the patterns without a byte-level prefilter (user-added types), plain
    /// and defanged, with the pattern index of each member.
    gate_plain: RegexSet,
    gate_defanged: RegexSet,
    gated: Vec<usize>,
}

impl Default for IocExtractor {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for IocExtractor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IocExtractor(types: {:?}, defanged: {})", self.ioc_types(), self.defanged)
    }
}

impl IocExtractor {
    /// An extractor with the built-in types that also matches defanged forms (MSTICPy's default).
    pub fn new() -> Self {
        Self::with_defanged(true)
    }

    /// An extractor with the built-in types; with `defanged = false` only plain forms match and
    /// ipv4/ipv6/url/dns/email results are refanged.
    pub fn with_defanged(defanged: bool) -> Self {
        let patterns = patterns::builtin()
            .into_iter()
            .map(|p| {
                let check = match p.name {
                    "ipv6" => Check::Ipv6Boundary,
                    "dns" => Check::Domain,
                    _ => Check::None,
                };
                IocPattern {
                    name: p.name.to_string(),
                    plain: Regex::new(&patterns::with_flags(&p.plain)).expect("built-in IoC pattern compiles"),
                    defanged: Regex::new(&patterns::with_flags(&p.defanged)).expect("built-in IoC pattern compiles"),
                    priority: p.priority,
                    group: p.group.map(str::to_string),
                    check,
                    prefilter: p.prefilter,
                    anchored: OnceLock::new(),
                }
            })
            .collect();
        let mut extractor = IocExtractor {
            patterns,
            defanged,
            gate_plain: RegexSet::empty(),
            gate_defanged: RegexSet::empty(),
            gated: Vec::new(),
        };
        extractor.rebuild_gates();
        extractor
    }

    fn rebuild_gates(&mut self) {
        self.gated = (0..self.patterns.len()).filter(|&i| self.patterns[i].prefilter == prefilter::Prefilter::Gate).collect();
        let plain = self.gated.iter().map(|&i| self.patterns[i].plain.as_str());
        let defanged = self.gated.iter().map(|&i| self.patterns[i].defanged.as_str());
        self.gate_plain = RegexSet::new(plain).expect("IoC patterns compile as a set");
        self.gate_defanged = RegexSet::new(defanged).expect("IoC patterns compile as a set");
    }

    /// Registered type names, in scan order.
    pub fn ioc_types(&self) -> Vec<String> {
        self.patterns.iter().map(|p| p.name.clone()).collect()
    }

    /// Adds (or replaces) a type on this extractor. `regex` uses the `regex` crate's syntax
    /// (no look-around) and is matched case-insensitively; `priority` 0 is the best; `group` names
    /// the capture group holding the observable (`None`: the whole match).
    pub fn add_ioc_type(&mut self, name: &str, regex: &str, priority: u8, group: Option<&str>) -> Result<()> {
        if name.trim().is_empty() {
            return Err(Error::invalid("ioc_type", "the type name is empty"));
        }
        let compiled = Regex::new(&patterns::with_flags(regex))
            .map_err(|e| Error::invalid(format!("regex of IoC type '{name}'"), e.to_string()))?;
        if let Some(group) = group
            && !compiled.capture_names().flatten().any(|n| n == group)
        {
            return Err(Error::invalid(
                format!("group of IoC type '{name}'"),
                format!("the pattern has no capture group named '{group}'"),
            ));
        }
        let pattern = IocPattern {
            name: name.to_string(),
            plain: compiled.clone(),
            defanged: compiled,
            priority,
            group: group.map(str::to_string),
            check: Check::None,
            prefilter: prefilter::Prefilter::Gate,
            anchored: OnceLock::new(),
        };
        match self.patterns.iter_mut().find(|p| p.name == name) {
            Some(existing) => *existing = pattern,
            None => self.patterns.push(pattern),
        }
        self.rebuild_gates();
        Ok(())
    }

    /// Finds every type in `text` (MSTICPy's `extract(src)`: all types, paths included).
    pub fn extract(&self, text: &str) -> IocResults {
        self.extract_with(text, &ExtractOptions::default()).unwrap_or_default()
    }

    /// Finds the types selected by `options` in `text`; an unknown type name is an error.
    pub fn extract_with(&self, text: &str, options: &ExtractOptions) -> Result<IocResults> {
        let enabled = self.enabled_types(options, false)?;
        Ok(self.scan_text(text, &enabled, options))
    }

    fn enabled_types(&self, options: &ExtractOptions, frame_defaults: bool) -> Result<Vec<bool>> {
        match &options.ioc_types {
            Some(types) => {
                let names = self.ioc_types();
                for t in types {
                    if !names.iter().any(|n| n == t) {
                        return Err(Error::unknown("IoC type", t, names.iter().map(String::as_str)));
                    }
                }
                Ok(self.patterns.iter().map(|p| types.contains(&p.name)).collect())
            }
            None if frame_defaults => Ok(self
                .patterns
                .iter()
                .map(|p| p.name != "linux_path" && (options.include_paths || p.name != "windows_path"))
                .collect()),
            None => Ok(vec![true; self.patterns.len()]),
        }
    }

    /// Whether the whole of `input` is an observable of `ioc_type` (`file_hash` picks the hash
    /// type by length, `hostname` means `dns`); domains must have a public suffix unless
    /// `ignore_tlds`.
    pub fn validate(&self, input: &str, ioc_type: &str, ignore_tlds: bool) -> Result<bool> {
        let wanted = match ioc_type {
            "file_hash" => Self::file_hash_type(input).to_string(),
            "hostname" => "dns".to_string(),
            other => other.to_string(),
        };
        let Some(pattern) = self.patterns.iter().find(|p| p.name == wanted) else {
            if ioc_type == "file_hash" {
                return Ok(false);
            }
            let names = self.ioc_types();
            return Err(Error::unknown("IoC type", ioc_type, names.iter().map(String::as_str)));
        };
        let (plain, defanged) = pattern.anchored.get_or_init(|| {
            let anchor = |re: &Regex| Regex::new(&format!(r"\A(?:{})\z", re.as_str())).ok();
            (anchor(&pattern.plain), anchor(&pattern.defanged))
        });
        let anchored = if self.defanged { defanged } else { plain };
        let matched = anchored.as_ref().is_some_and(|re| re.is_match(input));
        let domain_ok = pattern.check != Check::Domain || ignore_tlds || scan::has_public_suffix(input);
        Ok(matched && domain_ok)
    }

    /// The hash type of a hex digest by its length: `md5_hash`, `sha1_hash`, `sha256_hash` or `unknown`.
    pub fn file_hash_type(hash: &str) -> &'static str {
        match hash.trim().len() {
            32 => "md5_hash",
            40 => "sha1_hash",
            64 => "sha256_hash",
            _ => "unknown",
        }
    }

    /// The type of an observable (the type that claims the whole string), or `unknown`.
    pub fn get_ioc_type(&self, observable: &str) -> String {
        let results = self.extract(observable);
        results
            .iter()
            .find(|(_, found)| found.contains(observable))
            .map(|(name, _)| name.clone())
            .unwrap_or_else(|| "unknown".to_string())
    }
}
