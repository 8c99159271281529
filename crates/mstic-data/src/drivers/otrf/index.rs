//! Building the OTRF catalogue when no metadata is at hand, as MSTICPy's `QueryProvider("Mordor")`
//! does: the repository's file list from GitHub's git-trees API, then every metadata YAML below
//! `datasets/…/_metadata/`, saved as one `mordor_cache.json` in the save folder. Later drivers read
//! that file and do not download again; `OtrfDriver::refresh_catalogue` builds it anew.
//!
//! All or nothing: a failed request, a listing that is not the documented shape or a metadata file
//! that is not YAML stops the download with an error naming the URL, and leaves no cache file.

use super::catalog::{CACHE_FILE_NAME, DATASETS_PREFIX};
use mstic_core::limits::{CappedReadError, ReadLimits, read_response};
use mstic_core::progress::Progress;
use mstic_core::{Error, Result, interrupt};
use serde_json::{Map, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// GitHub's listing of every file of the OTRF Security-Datasets repository.
pub const TREE_URL: &str = "https://api.github.com/repos/OTRF/Security-Datasets/git/trees/master?recursive=1";

/// How long one request of the catalogue download may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(60);

/// Metadata files fetched at the same time.
const CONCURRENT_REQUESTS: usize = 8;

/// Where the catalogue comes from: the tree listing and the prefix metadata paths are fetched from.
#[derive(Debug, Clone)]
pub struct CatalogueSource {
    /// The git-trees listing ([`TREE_URL`] by default).
    pub tree_url: String,
    /// The URL of the repository's `datasets/` folder, ending in `/` ([`DATASETS_PREFIX`] by default).
    pub datasets_url: String,
}

impl Default for CatalogueSource {
    fn default() -> Self {
        CatalogueSource { tree_url: TREE_URL.to_string(), datasets_url: DATASETS_PREFIX.to_string() }
    }
}

/// The metadata files of a git-trees listing (`{"tree": [{"path", "type"}, …]}`): blobs below
/// `datasets/` in a `_metadata` folder, with a YAML extension, as paths below `datasets/`.
pub fn metadata_paths(listing: &Value, source: &str) -> Result<Vec<String>> {
    let tree = listing.get("tree").and_then(Value::as_array).ok_or_else(|| Error::Remote {
        service: "OTRF catalogue".into(),
        message: format!("{source}: expected a git-trees listing with a \"tree\" array"),
    })?;
    let mut paths: Vec<String> = tree
        .iter()
        .filter(|item| item.get("type").and_then(Value::as_str) == Some("blob"))
        .filter_map(|item| item.get("path").and_then(Value::as_str))
        .filter_map(|path| path.strip_prefix("datasets/"))
        .filter(|path| path.split('/').any(|part| part == "_metadata"))
        .filter(|path| {
            let lower = path.to_ascii_lowercase();
            lower.ends_with(".yaml") || lower.ends_with(".yml")
        })
        .map(str::to_string)
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err(Error::Remote {
            service: "OTRF catalogue".into(),
            message: format!("{source}: the listing has no metadata files (datasets/…/_metadata/*.yaml)"),
        });
    }
    Ok(paths)
}

/// Downloads the catalogue from `source` and writes it to `save_folder/mordor_cache.json` (MSTICPy's
/// format: metadata path → document); returns the file written. Shows a progress bar in the
/// notebook when `show_progress`; an interrupt stops it with `Error::Interrupted`.
pub fn download_catalogue(source: &CatalogueSource, save_folder: &Path, show_progress: bool) -> Result<PathBuf> {
    let limits = ReadLimits::from_env();
    let what = format!("the OTRF catalogue download from {}", source.tree_url);
    let documents = interrupt::block_on(&what, async {
        let client = super::dataset::http_client(REQUEST_TIMEOUT)
            .map_err(|e| Error::Other(format!("OTRF catalogue: cannot build the HTTP client: {e}")))?;
        let listing_bytes = get(&client, &source.tree_url, limits).await?;
        let listing: Value = serde_json::from_slice(&listing_bytes).map_err(|e| Error::Remote {
            service: "OTRF catalogue".into(),
            message: format!("{}: not JSON: {e}", source.tree_url),
        })?;
        let paths = metadata_paths(&listing, &source.tree_url)?;
        let progress = Arc::new(Progress::start("OTRF catalogue", paths.len(), show_progress));
        let slots = Arc::new(tokio::sync::Semaphore::new(CONCURRENT_REQUESTS));
        let mut tasks = tokio::task::JoinSet::new();
        for path in paths {
            let (client, slots, progress) = (client.clone(), slots.clone(), progress.clone());
            let url = format!("{}{path}", source.datasets_url);
            tasks.spawn(async move {
                let _slot = slots.acquire_owned().await.map_err(|e| Error::Other(e.to_string()))?;
                let bytes = get(&client, &url, limits).await?;
                let document: Value = serde_yaml_ng::from_slice(&bytes).map_err(|e| Error::Remote {
                    service: "OTRF catalogue".into(),
                    message: format!("{url}: not a metadata YAML file: {e}"),
                })?;
                progress.advance();
                Ok::<_, Error>((format!("datasets/{path}"), document))
            });
        }
        let mut documents = Map::new();
        while let Some(joined) = tasks.join_next().await {
            let (path, document) = joined.map_err(|e| Error::Other(format!("OTRF catalogue download task failed: {e}")))??;
            documents.insert(path, document);
        }
        progress.finish();
        Ok(documents)
    })?;
    std::fs::create_dir_all(save_folder).map_err(|e| Error::file(save_folder, format!("cannot create the save folder: {e}")))?;
    let target = save_folder.join(CACHE_FILE_NAME);
    let partial = target.with_extension("part");
    let text = serde_json::to_string(&Value::Object(documents)).map_err(|e| Error::Other(e.to_string()))?;
    std::fs::write(&partial, text).map_err(|e| Error::file(&partial, e))?;
    std::fs::rename(&partial, &target).map_err(|e| Error::file(&target, e))?;
    Ok(target)
}

/// The body of a successful GET of `url`, within the response cap.
async fn get(client: &reqwest::Client, url: &str, limits: ReadLimits) -> Result<Vec<u8>> {
    let fail = |message: String| Error::Remote { service: "OTRF catalogue".into(), message: format!("{url}: {message}") };
    let response = client
        .get(url)
        .header("Accept", "application/vnd.github+json, */*")
        .send()
        .await
        .map_err(|e| fail(super::dataset::error_chain(&e)))?;
    let status = response.status();
    if !status.is_success() {
        return Err(fail(format!("HTTP {status}")));
    }
    read_response(response, limits.response(), url).await.map_err(|e| match e {
        CappedReadError::TooLarge(e) => fail(e.to_string()),
        CappedReadError::Failed(e) => fail(super::dataset::error_chain(&e)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn metadata_paths_keep_yaml_blobs_below_metadata_folders() {
        let listing = json!({"tree": [
            {"path": "datasets/atomic/_metadata", "type": "tree"},
            {"path": "datasets/atomic/_metadata/SDWIN-1.yaml", "type": "blob"},
            {"path": "datasets/atomic/_metadata/README.md", "type": "blob"},
            {"path": "datasets/atomic/windows/x.zip", "type": "blob"},
            {"path": "docs/_metadata/other.yaml", "type": "blob"},
            {"path": "datasets/compound/_metadata/SDWIN-2.yml", "type": "blob"}
        ]});
        let paths = metadata_paths(&listing, "listing").expect("paths");
        assert_eq!(paths, ["atomic/_metadata/SDWIN-1.yaml", "compound/_metadata/SDWIN-2.yml"]);
    }

    #[test]
    fn a_listing_without_metadata_or_tree_is_an_error_naming_the_source() {
        let err = metadata_paths(&json!({"message": "API rate limit exceeded"}), "https://api.example/tree").expect_err("no tree");
        assert!(err.to_string().contains("https://api.example/tree"), "{err}");
        let err = metadata_paths(&json!({"tree": []}), "listing").expect_err("empty");
        assert!(err.to_string().contains("no metadata files"), "{err}");
    }
}
