//! The scan of one text: cheap byte tests (and, for user-added types, a `RegexSet` pass) say
//! which types can occur at all, then only those types' patterns are run for their positions;
//! each substring keeps the best-priority type.

use super::prefilter::TextFacts;
use super::{Check, ExtractOptions, IocExtractor, IocPattern, IocResults, refang};
use regex::Regex;
use rustc_hash::FxHashMap;
use std::borrow::Cow;

/// Types whose results are refanged when the extractor does not match defanged forms.
const REFANGED_TYPES: [&str; 5] = ["ipv4", "ipv6", "url", "dns", "email"];

/// Top-level domains the public suffix list knows but MSTICPy's results do not accept: `web` is
/// listed as an ICANN gTLD, while the suffix list MSTICPy's `tldextract` carries lacks it, and
/// accepting it turns .NET namespaces such as `System.Web` (common in Windows event text) into
/// dns IoCs.
const UNACCEPTED_TLDS: [&str; 1] = ["web"];

/// Whether `domain` (possibly defanged) ends in a suffix the public suffix list knows (its
/// default rule, which makes any last label a suffix, does not count) and its top-level domain
/// is not one of [`UNACCEPTED_TLDS`].
pub(super) fn has_public_suffix(domain: &str) -> bool {
    // Most domains are plain lower case: only defanged or upper-case ones are rewritten.
    let domain: Cow<str> = if domain.bytes().any(|b| b == b'[' || b.is_ascii_uppercase()) {
        Cow::Owned(domain.replace("[.]", ".").to_ascii_lowercase())
    } else {
        Cow::Borrowed(domain)
    };
    let domain = domain.trim_end_matches('.');
    let tld = domain.rsplit('.').next().unwrap_or(domain);
    !UNACCEPTED_TLDS.contains(&tld) && psl::suffix(domain.as_bytes()).is_some_and(|s| s.is_known())
}

/// Every label at most 63 characters (`[.]` separates labels like `.`).
fn labels_fit(domain: &str) -> bool {
    domain.split(['.', '[', ']']).all(|label| label.len() <= 63)
}

fn is_ipv6_neighbour(c: char) -> bool {
    c == ':' || c == '.' || c == '_' || c.is_alphanumeric()
}

/// Every match of `re` in `text`, honouring the type's post-match check: the observable and the
/// byte offset where the whole match ends.
fn for_each_match<'t>(pattern: &IocPattern, re: &Regex, text: &'t str, mut emit: impl FnMut(&'t str, usize)) {
    match (&pattern.group, pattern.check) {
        (Some(group), _) => {
            for caps in re.captures_iter(text) {
                if let (Some(m), Some(whole)) = (caps.name(group), caps.get(0)) {
                    emit(m.as_str(), whole.end());
                }
            }
        }
        (None, Check::Ipv6Boundary) => {
            let mut pos = 0;
            while pos <= text.len() {
                let Some(m) = re.find_at(text, pos) else { break };
                let before_ok = !text[..m.start()].chars().next_back().is_some_and(is_ipv6_neighbour);
                let after_ok = !text[m.end()..].chars().next().is_some_and(is_ipv6_neighbour);
                if before_ok && after_ok {
                    emit(m.as_str(), m.end());
                    pos = m.end().max(m.start() + 1);
                } else {
                    pos = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
                }
            }
        }
        (None, _) => re.find_iter(text).for_each(|m| emit(m.as_str(), m.end())),
    }
}

/// The part of a percent-decoded URL that MSTICPy re-scans: it passes the position where the
/// previous URL of the text ended (0 for the first URL), counted in characters of the text, as the
/// start position into the decoded URL. So the first URL of a text is re-scanned whole (its host
/// becomes a dns IoC even without a dot or a known suffix, e.g. `mxs01`), while a later URL shorter
/// than that position is not re-scanned at all.
fn rescanned_part<'d>(decoded: &'d str, text: &str, previous_url_end: usize) -> Option<&'d str> {
    let start_chars = text[..previous_url_end].chars().count();
    decoded.char_indices().nth(start_chars).map(|(start, _)| &decoded[start..])
}

/// Python's `urllib.parse.unquote`: `%XX` escapes decoded as UTF-8 (invalid bytes replaced).
pub(super) fn percent_decode(text: &str) -> String {
    if !text.contains('%') {
        return text.to_string();
    }
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let (Some(h), Some(l)) = (hex_value(bytes[i + 1]), hex_value(bytes[i + 2]))
        {
            out.push(h * 16 + l);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_value(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

struct Found<'t> {
    claims: FxHashMap<Cow<'t, str>, (usize, u8)>,
    order: Vec<Cow<'t, str>>,
}

impl<'t> Found<'t> {
    fn claim(&mut self, observable: Cow<'t, str>, type_index: usize, priority: u8) {
        match self.claims.get_mut(&observable) {
            Some(existing) if priority >= existing.1 => {}
            Some(existing) => *existing = (type_index, priority),
            None => {
                self.order.push(observable.clone());
                self.claims.insert(observable, (type_index, priority));
            }
        }
    }
}

impl IocExtractor {
    /// Scans `text` for the `enabled` types (indexes into the registered patterns).
    pub(super) fn scan_text(&self, text: &str, enabled: &[bool], options: &ExtractOptions) -> IocResults {
        let mut results = IocResults::new();
        for (type_index, observable) in self.scan_pairs(text, enabled, options) {
            results.entry(self.patterns[type_index].name.clone()).or_default().insert(observable);
        }
        results
    }

    /// Which of the patterns can match `text`: the byte tests of the built-in types, the
    /// `RegexSet` for user-added ones (run only when one of them is enabled).
    fn candidates(&self, text: &str, enabled: &[bool], defanged: bool) -> Vec<bool> {
        let mut facts = TextFacts::new(text);
        let mut candidate: Vec<bool> = self
            .patterns
            .iter()
            .zip(enabled)
            .map(|(pattern, &on)| on && facts.allows(pattern.prefilter).unwrap_or(true))
            .collect();
        if self.gated.iter().any(|&i| enabled[i]) {
            let gate = if defanged { &self.gate_defanged } else { &self.gate_plain };
            let present = gate.matches(text);
            for (member, &i) in self.gated.iter().enumerate() {
                candidate[i] &= present.matched(member);
            }
        }
        candidate
    }

    /// `(type index, observable)` pairs found in `text`, each observable once.
    pub(super) fn scan_pairs(&self, text: &str, enabled: &[bool], options: &ExtractOptions) -> Vec<(usize, String)> {
        if text.trim().is_empty() {
            return Vec::new();
        }
        let defanged = options.defanged.unwrap_or(self.defanged);
        let candidate = self.candidates(text, enabled, defanged);
        if !candidate.contains(&true) {
            return Vec::new();
        }
        let dns_index = self.patterns.iter().position(|p| p.name == "dns");
        let mut found = Found { claims: FxHashMap::default(), order: Vec::new() };
        for (type_index, pattern) in self.patterns.iter().enumerate() {
            if !candidate[type_index] {
                continue;
            }
            let re = if defanged { &pattern.defanged } else { &pattern.plain };
            let mut urls = Vec::new();
            for_each_match(pattern, re, text, |observable, end| {
                if pattern.check == Check::Domain
                    && (!labels_fit(observable) || (!options.ignore_tlds && !has_public_suffix(observable)))
                {
                    return;
                }
                found.claim(observable.into(), type_index, pattern.priority);
                if pattern.name == "url" {
                    urls.push((observable, end));
                }
            });
            let mut previous_url_end = 0;
            for (url, end) in urls {
                let decoded = percent_decode(url);
                let rescanned = rescanned_part(&decoded, text, previous_url_end);
                previous_url_end = end;
                let Some(rescanned) = rescanned else { continue };
                for caps in re.captures_iter(rescanned) {
                    let whole = caps.get(0).map_or("", |m| m.as_str());
                    found.claim(whole.to_string().into(), type_index, pattern.priority);
                    // A host with no letter or digit (`%2e` decoded, a lone `[`) is no domain.
                    if let (Some(host), Some(dns)) = (caps.name("host"), dns_index)
                        && host.as_str().chars().any(char::is_alphanumeric)
                    {
                        found.claim(host.as_str().to_string().into(), dns, self.patterns[dns].priority);
                    }
                }
            }
        }
        found
            .order
            .into_iter()
            .map(|observable| {
                let (type_index, _) = found.claims[&observable];
                let name = self.patterns[type_index].name.as_str();
                let value = if !defanged && REFANGED_TYPES.contains(&name) {
                    refang(&observable)
                } else {
                    observable.into_owned()
                };
                (type_index, value)
            })
            .collect()
    }
}
