//! A set of loaded queries addressed as `Family.query_name` (families may be dotted), with lookup
//! by full name, by unique bare name, or case-insensitively.

use super::{QueryFile, QueryTemplate, load_query_file};
use mstic_core::{Error, Result};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Loaded queries by qualified name. Later additions replace earlier ones of the same name, and
/// each replacement by a query from another file is recorded ([`QueryStore::overrides`]).
///
/// # Example
/// ```
/// use mstic_data::template::{QueryStore, parse_query_file};
/// let yaml = r#"
/// metadata: {version: 1, description: Demo queries, data_environments: [LocalData], data_families: [Demo]}
/// sources:
///   by_host:
///     description: Rows of one host
///     args: {query: "select * from events where host = '{host}'"}
///     parameters: {host: {description: Host name, type: str}}
/// "#;
/// let mut store = QueryStore::new();
/// store.add_file(parse_query_file(yaml, std::path::Path::new("demo.yaml"))?);
/// assert_eq!(store.names(), vec!["Demo.by_host"]);
/// assert_eq!(store.get("by_host")?.description, "Rows of one host");
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Default)]
pub struct QueryStore {
    by_name: BTreeMap<String, Arc<QueryTemplate>>,
    files: Vec<PathBuf>,
    overrides: Vec<QueryOverride>,
}

/// A query that replaced one of the same `Family.name` from another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryOverride {
    /// `Family.name`.
    pub name: String,
    /// The file of the query now used.
    pub file: PathBuf,
    /// The file of the query it replaced.
    pub replaced: PathBuf,
}

impl QueryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds every query of a loaded file under each of its families.
    pub fn add_file(&mut self, file: QueryFile) {
        self.files.push(file.path.clone());
        for query in file.queries {
            self.add_template(query);
        }
    }

    /// Adds one query under each of its families.
    pub fn add_template(&mut self, template: QueryTemplate) {
        let template = Arc::new(template);
        for name in template.qualified_names() {
            let old = self.by_name.insert(name.clone(), Arc::clone(&template));
            if let Some(old) = old.filter(|old| !old.file.as_os_str().is_empty() && old.file != template.file) {
                self.overrides.push(QueryOverride { name, file: template.file.clone(), replaced: old.file.clone() });
            }
        }
    }

    /// Replacements so far, in order: queries whose `Family.name` was already loaded from another
    /// file.
    pub fn overrides(&self) -> &[QueryOverride] {
        &self.overrides
    }

    /// Loads every `*.yaml`/`*.yml` under `dir` (recursively) for which `accept` is true. Returns
    /// the files that failed to load (each error names the file); the good ones are added.
    pub fn load_dir(&mut self, dir: &Path, accept: &dyn Fn(&QueryFile) -> bool) -> Result<Vec<Error>> {
        if !dir.is_dir() {
            return Err(Error::file(dir, "query folder not found"));
        }
        let mut failures = Vec::new();
        for path in yaml_files(dir) {
            match load_query_file(&path) {
                Ok(file) if accept(&file) => self.add_file(file),
                Ok(_) => {}
                Err(e) => failures.push(e),
            }
        }
        Ok(failures)
    }

    /// Files loaded so far.
    pub fn files(&self) -> &[PathBuf] {
        &self.files
    }

    /// Number of `Family.query` entries.
    pub fn len(&self) -> usize {
        self.by_name.len()
    }

    /// Whether the store has no queries.
    pub fn is_empty(&self) -> bool {
        self.by_name.is_empty()
    }

    /// Sorted `Family.query` names.
    pub fn names(&self) -> Vec<String> {
        self.by_name.keys().cloned().collect()
    }

    /// `(qualified name, query)` pairs, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &QueryTemplate)> {
        self.by_name.iter().map(|(name, query)| (name.as_str(), query.as_ref()))
    }

    /// Sorted family names.
    pub fn families(&self) -> Vec<String> {
        let mut families: Vec<String> =
            self.by_name.keys().filter_map(|n| n.rsplit_once('.').map(|(family, _)| family.to_string())).collect();
        // Keys are sorted by full name, so a dotted family can come apart (`A.list`, `A.b.q`, `A.z`).
        families.sort();
        families.dedup();
        families
    }

    /// A query by `Family.query`, by a bare query name that is unique, or case-insensitively;
    /// otherwise an error listing the closest names.
    pub fn get(&self, name: &str) -> Result<Arc<QueryTemplate>> {
        if let Some(q) = self.by_name.get(name) {
            return Ok(Arc::clone(q));
        }
        let bare: Vec<&Arc<QueryTemplate>> =
            self.by_name.iter().filter(|(full, _)| full.rsplit_once('.').is_some_and(|(_, q)| q == name)).map(|(_, q)| q).collect();
        if let Some(first) = bare.first()
            && bare.iter().all(|q| Arc::ptr_eq(q, first))
        {
            return Ok(Arc::clone(first));
        }
        let folded: Vec<&Arc<QueryTemplate>> =
            self.by_name.iter().filter(|(full, _)| full.eq_ignore_ascii_case(name)).map(|(_, q)| q).collect();
        if folded.len() == 1 {
            return Ok(Arc::clone(folded[0]));
        }
        Err(Error::unknown("query", name, self.by_name.keys().map(String::as_str)))
    }
}

/// Every `*.yaml`/`*.yml` file below `dir`, sorted.
pub(crate) fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(folder) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml")) {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(family: &str, name: &str) -> QueryTemplate {
        QueryTemplate {
            name: name.into(),
            description: String::new(),
            families: vec![family.into()],
            environments: vec!["LocalData".into()],
            query: "select 1".into(),
            params: Vec::new(),
            metadata: Default::default(),
            uri: None,
            file: PathBuf::new(),
        }
    }

    #[test]
    fn families_are_listed_once_each_even_when_dotted_families_interleave() {
        let mut store = QueryStore::new();
        for (family, name) in [("Alerts", "list"), ("Alerts.type1", "q"), ("Alerts", "zeta"), ("Azure", "a")] {
            store.add_template(template(family, name));
        }
        assert_eq!(store.families(), ["Alerts", "Alerts.type1", "Azure"]);
    }
}
