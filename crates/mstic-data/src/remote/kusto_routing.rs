//! Which Kusto cluster and database a template query goes to, from the query file's metadata as
//! MSTICPy reads it: `cluster` (one cluster), `clusters` (several), `cluster_groups` (matched
//! against each configured cluster's `ClusterGroups`) and `database`, or a dotted data family
//! (`Family.Database`).

use crate::QuerySource;
use serde_yaml_ng::Value;

/// The routing keys of one template query.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryRouting {
    /// The query's name, for messages.
    pub query: String,
    /// `cluster` and then every entry of `clusters` (entry names, URLs or host names).
    pub clusters: Vec<String>,
    /// `cluster_groups`.
    pub groups: Vec<String>,
    /// `database`.
    pub database: Option<String>,
    /// The first data family's part after its first dot (`Hunting.SecurityDB` → `SecurityDB`).
    pub family_database: Option<String>,
    /// Whether the metadata has a `cluster`, `clusters` or `cluster_groups` key at all; as in
    /// MSTICPy, a key left empty still ties the query to clusters (and so matches none).
    pub declares_clusters: bool,
}

impl QueryRouting {
    /// Reads the routing keys of `source`'s metadata.
    pub fn of(source: &QuerySource) -> Self {
        let meta = &source.metadata;
        let mut clusters: Vec<String> = text(meta.get("cluster")).into_iter().collect();
        clusters.extend(texts(meta.get("clusters")));
        let family_database = texts(meta.get("data_families"))
            .first()
            .and_then(|family| family.split_once('.'))
            .map(|(_, database)| database.to_string());
        QueryRouting {
            query: source.name.clone(),
            clusters,
            groups: texts(meta.get("cluster_groups")),
            database: text(meta.get("database")),
            family_database,
            declares_clusters: ["cluster", "clusters", "cluster_groups"].iter().any(|key| meta.get(key).is_some()),
        }
    }

    /// Whether the query is tied to clusters or cluster groups.
    pub fn names_clusters(&self) -> bool {
        self.declares_clusters || !self.clusters.is_empty() || !self.groups.is_empty()
    }

    /// Whether a cluster known by `ids` (URL, host name, entry name) in `groups` may run the
    /// query: a shared cluster group, or one of the query's clusters (case-insensitive). A query
    /// that names no clusters runs anywhere.
    pub fn accepts(&self, ids: &[&str], groups: &[String]) -> bool {
        if !self.names_clusters() {
            return true;
        }
        let same = |a: &str, b: &str| a.trim_end_matches('/').eq_ignore_ascii_case(b.trim_end_matches('/'));
        self.groups.iter().any(|g| groups.iter().any(|own| same(g, own)))
            || self.clusters.iter().any(|c| ids.iter().any(|id| same(c, id)))
    }

    /// What the query names, for error messages.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if !self.clusters.is_empty() {
            parts.push(format!("cluster(s) {}", self.clusters.join(", ")));
        }
        if !self.groups.is_empty() {
            parts.push(format!("cluster group(s) {}", self.groups.join(", ")));
        }
        if parts.is_empty() {
            return "a cluster its query file leaves empty".to_string();
        }
        parts.join(" and ")
    }
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}

fn texts(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
        other => text(other).into_iter().collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routing(yaml: &str) -> QueryRouting {
        QueryRouting::of(&QuerySource { name: "T.q".into(), metadata: serde_yaml_ng::from_str(yaml).unwrap() })
    }

    #[test]
    fn reads_clusters_groups_and_databases() {
        let r = routing("{cluster: https://help.kusto.windows.net, clusters: [mde, msticti], cluster_groups: [group3], database: AppDB, data_families: [Hunting.SecurityDB]}");
        assert_eq!(r.clusters, ["https://help.kusto.windows.net", "mde", "msticti"]);
        assert_eq!(r.groups, ["group3"]);
        assert_eq!((r.database.as_deref(), r.family_database.as_deref()), (Some("AppDB"), Some("SecurityDB")));
        assert_eq!(r.describe(), "cluster(s) https://help.kusto.windows.net, mde, msticti and cluster group(s) group3");
        assert_eq!(routing("{data_families: [Undotted]}").family_database, None);
    }

    #[test]
    fn a_cluster_is_accepted_by_id_or_shared_group() {
        let r = routing("{clusters: [https://Test.kusto.windows.net/, msticti], cluster_groups: [Group1]}");
        assert!(r.accepts(&["https://test.kusto.windows.net", "test", "MDE"], &[]));
        assert!(r.accepts(&["https://x.kusto.windows.net", "x", "MSTICTI"], &[]));
        assert!(r.accepts(&["https://y.kusto.windows.net", "y", "Y"], &["group1".into()]));
        assert!(!r.accepts(&["https://y.kusto.windows.net", "y", "Y"], &["group2".into()]));
        assert!(routing("{database: AppDB}").accepts(&["anything"], &[]), "no cluster keys: any cluster");
        let empty = routing("{cluster: null}");
        assert!(empty.names_clusters() && !empty.accepts(&["anything"], &["group1".into()]), "an empty cluster key matches nothing");
        assert_eq!(empty.describe(), "a cluster its query file leaves empty");
    }
}
