//! The OTRF Security Datasets catalogue: dataset metadata from the repository's `_metadata`
//! YAML files and from MSTICPy's `mordor_cache.json`, with text search (MSTICPy's `a, b` = OR,
//! `a + b` = AND) and indexes by ATT&CK technique and tactic.

use mstic_core::{Error, Frame, Result};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Where dataset links point; query names are built from the path after it.
pub const DATASETS_PREFIX: &str = "https://raw.githubusercontent.com/OTRF/Security-Datasets/master/datasets/";

/// The file name MSTICPy gives its metadata cache.
pub const CACHE_FILE_NAME: &str = "mordor_cache.json";

/// MITRE ATT&CK enterprise tactic names by ID.
pub const TACTICS: &[(&str, &str)] = &[
    ("TA0001", "Initial Access"),
    ("TA0002", "Execution"),
    ("TA0003", "Persistence"),
    ("TA0004", "Privilege Escalation"),
    ("TA0005", "Defense Evasion"),
    ("TA0006", "Credential Access"),
    ("TA0007", "Discovery"),
    ("TA0008", "Lateral Movement"),
    ("TA0009", "Collection"),
    ("TA0010", "Exfiltration"),
    ("TA0011", "Command and Control"),
    ("TA0040", "Impact"),
    ("TA0042", "Resource Development"),
    ("TA0043", "Reconnaissance"),
];

/// The name of an ATT&CK tactic ID (`TA0003` → `Persistence`).
pub fn tactic_name(id: &str) -> Option<&'static str> {
    TACTICS.iter().find(|(t, _)| t.eq_ignore_ascii_case(id)).map(|(_, n)| *n)
}

/// One ATT&CK mapping of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct AttackMapping {
    /// Technique ID, e.g. `T1505`.
    pub technique: String,
    /// Sub-technique number, e.g. `003`.
    pub sub_technique: Option<String>,
    /// Tactic IDs, e.g. `TA0003`.
    pub tactics: Vec<String>,
}

impl AttackMapping {
    /// `T1505.003`, or just `T1505` without a sub-technique.
    pub fn full_technique(&self) -> String {
        match &self.sub_technique {
            Some(sub) => format!("{}.{sub}", self.technique),
            None => self.technique.clone(),
        }
    }
}

/// One data file of a dataset.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetFile {
    /// `Host`, `Network` or `Cloud`.
    pub file_type: String,
    /// Download URL of the zip.
    pub link: String,
    /// The query name MSTICPy builds from the link (`atomic.windows.persistence.host.proxylogon_ssrf_rce_poc`).
    pub query_path: String,
}

/// Metadata of one OTRF dataset (MSTICPy's `MordorEntry`).
#[derive(Debug, Clone)]
pub struct DatasetEntry {
    /// Dataset ID, e.g. `SDWIN-210314014019`.
    pub id: String,
    /// Title.
    pub title: String,
    /// Description.
    pub description: String,
    /// Platforms (`Windows`, `Linux`, `AWS`).
    pub platform: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
    /// Contributors.
    pub contributors: Vec<String>,
    /// Creation date as written (`2021/03/14`).
    pub creation_date: String,
    /// ATT&CK mappings.
    pub attack_mappings: Vec<AttackMapping>,
    /// Data files.
    pub files: Vec<DatasetFile>,
    /// The whole metadata document.
    pub raw: Value,
    search_text: String,
}

impl DatasetEntry {
    /// An entry from a metadata document (YAML or the cache's JSON); `None` without an `id`.
    pub fn from_value(mut raw: Value) -> Option<DatasetEntry> {
        if let Value::Object(map) = &mut raw {
            map.remove("mp_last_updated");
        }
        let id = text(&raw["id"])?;
        let attack_mappings = list(&raw["attack_mappings"])
            .iter()
            .filter_map(|m| {
                Some(AttackMapping {
                    technique: text(&m["technique"])?,
                    sub_technique: text(&m["sub-technique"]),
                    tactics: strings(&m["tactics"]),
                })
            })
            .collect();
        let files = list(&raw["files"])
            .iter()
            .filter_map(|f| {
                let link = text(&f["link"])?;
                Some(DatasetFile { file_type: text(&f["type"]).unwrap_or_default(), query_path: query_path(&link), link })
            })
            .collect();
        Some(DatasetEntry {
            title: text(&raw["title"]).unwrap_or_default(),
            description: text(&raw["description"]).unwrap_or_default(),
            platform: strings(&raw["platform"]),
            tags: strings(&raw["tags"]),
            contributors: strings(&raw["contributors"]),
            creation_date: text(&raw["creation_date"]).unwrap_or_default(),
            attack_mappings,
            files,
            search_text: raw.to_string(),
            raw,
            id,
        })
    }

    /// Technique IDs with sub-technique (`T1505.003`).
    pub fn techniques(&self) -> Vec<String> {
        self.attack_mappings.iter().map(AttackMapping::full_technique).collect()
    }

    /// Tactic IDs, without repeats, in order of appearance.
    pub fn tactics(&self) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for tactic in self.attack_mappings.iter().flat_map(|m| &m.tactics) {
            if !out.contains(tactic) {
                out.push(tactic.clone());
            }
        }
        out
    }

    /// Whether the entry's text contains `term` (case-sensitive, as MSTICPy).
    pub fn contains(&self, term: &str) -> bool {
        self.search_text.contains(term)
    }
}

/// The query name MSTICPy builds from a dataset link: the path after [`DATASETS_PREFIX`], parts
/// joined with `.`, extension dropped.
pub fn query_path(link: &str) -> String {
    let relative = link.strip_prefix(DATASETS_PREFIX).unwrap_or(link);
    let relative = match relative.rsplit_once('.') {
        Some((stem, ext)) if !ext.contains('/') => stem,
        _ => relative,
    };
    relative.split('/').filter(|p| !p.is_empty()).collect::<Vec<_>>().join(".")
}

fn text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn list(value: &Value) -> Vec<Value> {
    match value {
        Value::Array(items) => items.clone(),
        Value::Null => Vec::new(),
        other => vec![other.clone()],
    }
}

fn strings(value: &Value) -> Vec<String> {
    list(value).iter().filter_map(text).collect()
}

/// All known datasets, by ID, with technique and tactic indexes.
///
/// # Example
/// ```
/// use mstic_data::drivers::otrf::{DatasetEntry, OtrfCatalog};
/// let metadata = serde_json::json!({"id": "SDWIN-1", "title": "Web shell",
///     "attack_mappings": [{"technique": "T1505", "sub-technique": "003", "tactics": ["TA0003"]}]});
/// let mut catalog = OtrfCatalog::default();
/// catalog.insert(DatasetEntry::from_value(metadata).ok_or(mstic_core::Error::Other("no id".into()))?);
/// assert_eq!(catalog.by_tactic("Persistence"), vec!["SDWIN-1"]);
/// assert_eq!(catalog.by_technique("T1505"), vec!["SDWIN-1"]);
/// assert_eq!(catalog.search("Web + shell"), vec!["SDWIN-1"]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct OtrfCatalog {
    entries: BTreeMap<String, Arc<DatasetEntry>>,
    by_technique: BTreeMap<String, BTreeSet<String>>,
    by_tactic: BTreeMap<String, BTreeSet<String>>,
    /// Files the catalogue was read from.
    pub sources: Vec<PathBuf>,
}

impl OtrfCatalog {
    /// Reads every metadata source found under `paths`: `mordor_cache.json` files (MSTICPy's cache:
    /// metadata path → document) and metadata YAML files (`SDWIN-….yaml`, anything with an `id`).
    /// YAML files win over cache entries with the same ID.
    pub fn load(paths: &[PathBuf]) -> Result<OtrfCatalog> {
        let mut catalog = OtrfCatalog::default();
        let files = super::super::find_files(paths, &["json", "yaml", "yml"]);
        for file in files.iter().filter(|f| is_cache_file(f)) {
            catalog.add_cache_file(file)?;
        }
        for file in files.iter().filter(|f| !is_cache_file(f) && is_yaml(f)) {
            catalog.add_yaml_file(file)?;
        }
        Ok(catalog)
    }

    /// Adds the entries of an MSTICPy `mordor_cache.json`.
    pub fn add_cache_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
        let doc: Value = serde_json::from_str(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: Some(e.line()),
            message: format!("invalid JSON: {e}"),
        })?;
        let Value::Object(map) = doc else {
            return Err(Error::Parse { path: path.to_path_buf(), line: None, message: "expected an object of metadata documents".into() });
        };
        for (_, entry) in map {
            if let Some(entry) = DatasetEntry::from_value(entry) {
                self.insert(entry);
            }
        }
        self.sources.push(path.to_path_buf());
        Ok(())
    }

    /// Adds one metadata YAML file (files without an `id` are ignored).
    pub fn add_yaml_file(&mut self, path: &Path) -> Result<()> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::file(path, e))?;
        let doc: Value = serde_yaml_ng::from_str(&text).map_err(|e| Error::Parse {
            path: path.to_path_buf(),
            line: e.location().map(|l| l.line()),
            message: format!("invalid YAML: {e}"),
        })?;
        if let Some(entry) = DatasetEntry::from_value(doc) {
            self.insert(entry);
            self.sources.push(path.to_path_buf());
        }
        Ok(())
    }

    /// Adds (or replaces) one entry and indexes it.
    pub fn insert(&mut self, entry: DatasetEntry) {
        for mapping in &entry.attack_mappings {
            self.by_technique.entry(mapping.technique.to_uppercase()).or_default().insert(entry.id.clone());
            self.by_technique.entry(mapping.full_technique().to_uppercase()).or_default().insert(entry.id.clone());
            for tactic in &mapping.tactics {
                self.by_tactic.entry(tactic.to_uppercase()).or_default().insert(entry.id.clone());
            }
        }
        self.entries.insert(entry.id.clone(), Arc::new(entry));
    }

    /// Number of datasets.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the catalogue is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// All entries, by ID.
    pub fn entries(&self) -> impl Iterator<Item = &Arc<DatasetEntry>> {
        self.entries.values()
    }

    /// The entry with this ID; an unknown ID lists the closest ones.
    pub fn get(&self, id: &str) -> Result<&Arc<DatasetEntry>> {
        self.entries.get(id).ok_or_else(|| Error::unknown("OTRF dataset", id, self.entries.keys().map(String::as_str)))
    }

    /// IDs of entries matching `terms`: `a, b` matches either, `a + b` both; each term is a
    /// case-sensitive substring of the entry's metadata (MSTICPy's `search_mdr_data`).
    pub fn search(&self, terms: &str) -> Vec<String> {
        let (parts, all): (Vec<&str>, bool) = if terms.contains(',') {
            (terms.split(',').collect(), false)
        } else if terms.contains('+') {
            (terms.split('+').collect(), true)
        } else {
            (vec![terms], false)
        };
        self.entries
            .values()
            .filter(|e| {
                let mut hits = parts.iter().map(|t| e.contains(t.trim()));
                if all { hits.all(|h| h) } else { hits.any(|h| h) }
            })
            .map(|e| e.id.clone())
            .collect()
    }

    /// IDs of datasets mapped to a technique (`T1505` includes its sub-techniques; `T1505.003` is exact).
    pub fn by_technique(&self, technique: &str) -> Vec<String> {
        self.by_technique.get(&technique.trim().to_uppercase()).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// IDs of datasets mapped to a tactic, by ID (`TA0003`) or name (`Persistence`, any case).
    pub fn by_tactic(&self, tactic: &str) -> Vec<String> {
        let tactic = tactic.trim();
        let id = TACTICS.iter().find(|(_, name)| name.eq_ignore_ascii_case(tactic)).map(|(id, _)| *id).unwrap_or(tactic);
        self.by_tactic.get(&id.to_uppercase()).map(|s| s.iter().cloned().collect()).unwrap_or_default()
    }

    /// Technique IDs known in the catalogue, with the number of datasets for each.
    pub fn techniques(&self) -> Vec<(String, usize)> {
        self.by_technique.iter().map(|(t, ids)| (t.clone(), ids.len())).collect()
    }

    /// The dataset file behind a query name (`atomic.windows.….proxylogon_ssrf_rce_poc`).
    pub fn file_for_query(&self, query_path: &str) -> Option<(&Arc<DatasetEntry>, &DatasetFile)> {
        self.entries.values().find_map(|e| e.files.iter().find(|f| f.query_path == query_path).map(|f| (e, f)))
    }

    /// The catalogue as a table (id, title, platform, techniques, tactics, queries) for display.
    pub fn to_frame(&self) -> Result<Frame> {
        self.frame_of(self.entries.keys())
    }

    /// The listed entries as a table (unknown IDs are skipped).
    pub fn frame_of<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> Result<Frame> {
        let rows: Vec<Value> = ids
            .into_iter()
            .filter_map(|id| self.entries.get(id))
            .map(|e| {
                serde_json::json!({
                    "id": e.id,
                    "title": e.title,
                    "platform": e.platform.join(", "),
                    "techniques": e.techniques().join(", "),
                    "tactics": e.tactics().iter().map(|t| match tactic_name(t) {
                        Some(name) => format!("{t} ({name})"),
                        None => t.clone(),
                    }).collect::<Vec<_>>().join(", "),
                    "queries": e.files.iter().map(|f| f.query_path.clone()).collect::<Vec<_>>().join("\n"),
                })
            })
            .collect();
        if rows.is_empty() {
            return Frame::from_string_rows(&["id", "title", "platform", "techniques", "tactics", "queries"], &[]);
        }
        Frame::from_json_rows(&rows)
    }
}

fn is_cache_file(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.eq_ignore_ascii_case(CACHE_FILE_NAME))
}

fn is_yaml(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_path_from_link() {
        let link = format!("{DATASETS_PREFIX}atomic/aws/collection/ec2_proxy_s3_exfiltration.zip");
        assert_eq!(query_path(&link), "atomic.aws.collection.ec2_proxy_s3_exfiltration");
    }
}
