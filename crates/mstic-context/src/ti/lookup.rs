//! [`TiLookup`]: runs IoCs through the loaded providers — pre-lookup checks, a cache bounded to
//! [`DEFAULT_CACHE_CAPACITY`] entries (least recently used evicted first), then every
//! (IoC, provider) request concurrently, bounded per provider by its [`RateLimit`]. An interrupt
//! of the cell aborts the requests still running and fails the call with `Error::Interrupted`;
//! answers that arrived before are cached whole.

use super::cache::{DEFAULT_CACHE_CAPACITY, LruCache};
use super::preprocess::{infer_ioc_type, preprocess_observable};
use mstic_core::progress::Progress;
use super::{LookupStatus, RateLimit, TiProvider, TiQuery, TiResult, results_frame};
use mstic_core::config::MsticConfig;
use mstic_core::{Error, Frame, Result, interrupt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use super::gate::Gate;

/// Which providers a lookup uses by default (MSTICPy's `prov_scope`).
///
/// # Example
///
/// Rows for unsupported IoC types are made without asking the providers, so this runs offline:
///
/// ```
/// use mstic_context::{LookupOptions, ProviderScope, TiLookup};
/// use mstic_context::ti::{ProviderOptions, create_provider};
/// let named = |name: &str| ProviderOptions { name: name.into(), ..Default::default() };
/// let mut ti = TiLookup::new();
/// ti.add_provider_with(create_provider("Tor", &named("Tor"))?, true);
/// ti.add_provider_with(create_provider("GreyNoise", &named("GN"))?, false);
/// let url = [("http://example.com/x".to_string(), Some("url".to_string()))];
/// let secondary = LookupOptions { scope: ProviderScope::Secondary, show_not_supported: true, progress: false, ..Default::default() };
/// assert_eq!(ti.lookup_items(&url, &secondary)?.column_strings("Provider")?, [Some("GN".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ProviderScope {
    /// Providers marked `Primary: True` (MSTICPy's default).
    #[default]
    Primary,
    /// Providers not marked primary.
    Secondary,
    /// Every loaded provider.
    All,
}

/// Options of a lookup call ([`TiLookup::lookup_frame`], [`TiLookup::lookup_items`]): which
/// providers, which rows to keep, progress.
///
/// # Example
///
/// An IoC that fails the pre-lookup checks is never sent, so this runs offline:
///
/// ```
/// use mstic_context::{LookupOptions, TiLookup};
/// use mstic_context::ti::{ProviderOptions, create_provider};
/// let mut ti = TiLookup::new();
/// ti.add_provider(create_provider("GreyNoise", &ProviderOptions { name: "GN".into(), ..Default::default() })?);
/// let loopback = [("127.0.0.1".to_string(), Some("ipv4".to_string()))];
/// let keep_bad = LookupOptions { show_bad_item: true, progress: false, ..Default::default() };
/// assert_eq!(ti.lookup_items(&loopback, &keep_bad)?.column_strings("Status")?, [Some("2".to_string())]);
/// assert!(ti.lookup_items(&loopback, &LookupOptions { progress: false, ..Default::default() })?.is_empty());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LookupOptions {
    /// Use only these providers (by name); overrides `scope`.
    pub providers: Option<Vec<String>>,
    /// Provider scope when `providers` is not given.
    pub scope: ProviderScope,
    /// Keep rows for providers that do not handle the IoC type (status 1).
    pub show_not_supported: bool,
    /// Keep rows for IoCs that failed the pre-lookup checks (status 2).
    pub show_bad_item: bool,
    /// Show a progress bar for long lookups (in the notebook).
    pub progress: bool,
    /// A provider query subtype (MSTICPy's `ioc_query_type`, e.g. OTX `passive_dns`).
    pub query_subtype: Option<String>,
}

impl Default for LookupOptions {
    fn default() -> Self {
        LookupOptions {
            providers: None,
            scope: ProviderScope::Primary,
            show_not_supported: false,
            show_bad_item: false,
            progress: true,
            query_subtype: None,
        }
    }
}

struct Registered {
    provider: Arc<dyn TiProvider>,
    primary: bool,
    gate: Arc<Gate>,
}

type CacheKey = (String, String, String, Option<String>);
/// What an interrupted lookup reports as stopped.
const LOOKUPS: &str = "the threat-intel lookup";
/// A request to make: the query, the provider's index, and the result slots (with their IoC text) it fills.
type PendingLookup = (TiQuery, usize, Vec<(usize, String)>);

/// Threat-intel lookups across providers (MSTICPy's `TILookup`).
///
/// ```no_run
/// use mstic_context::TiLookup;
/// let ti = TiLookup::from_config(&mstic_core::config::MsticConfig::discover()?)?;
/// let results = ti.lookup_ioc("185.92.220.35", None)?; // one row per primary provider
/// # Ok::<(), mstic_core::Error>(())
/// ```
///
/// # Example
///
/// Providers can also be added one by one; this part runs offline:
///
/// ```
/// use mstic_context::TiLookup;
/// use mstic_context::ti::{ProviderOptions, create_provider};
/// let named = |name: &str| ProviderOptions { name: name.into(), ..Default::default() };
/// let mut ti = TiLookup::new();
/// ti.add_provider_with(create_provider("OTX", &named("OTX"))?, true);
/// ti.add_provider_with(create_provider("Tor", &named("Tor"))?, false);
/// assert_eq!(ti.provider_names(), ["OTX", "Tor"]);
/// assert_eq!(ti.primary_providers(), ["OTX"]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub struct TiLookup {
    providers: Vec<Registered>,
    skipped: Vec<(String, String)>,
    cache: Arc<Mutex<LruCache<CacheKey, TiResult>>>,
    cache_enabled: bool,
    max_concurrency: Option<usize>,
    progress_threshold: usize,
}

impl Default for TiLookup {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for TiLookup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TiLookup").field("providers", &self.provider_names()).field("skipped", &self.skipped).finish()
    }
}

impl TiLookup {
    /// A lookup with no providers; add them with [`TiLookup::add_provider`].
    pub fn new() -> Self {
        TiLookup {
            providers: Vec::new(),
            skipped: Vec::new(),
            cache: Arc::new(Mutex::new(LruCache::new(DEFAULT_CACHE_CAPACITY))),
            cache_enabled: true,
            max_concurrency: None,
            progress_threshold: 10,
        }
    }

    /// Loads every `TIProviders` entry of the config that this crate implements; entries that
    /// cannot load (unknown kind, unresolvable key) are listed by [`TiLookup::skipped_providers`].
    pub fn from_config(config: &MsticConfig) -> Result<TiLookup> {
        let mut lookup = TiLookup::new();
        for entry in config.ti_providers() {
            match super::config::provider_from_settings(&entry) {
                Ok(provider) => {
                    let primary = provider.is_primary();
                    lookup.add_provider_with(provider, primary);
                }
                Err(reason) => lookup.skipped.push((entry.name.clone(), reason.to_string())),
            }
        }
        Ok(lookup)
    }

    /// Adds a provider (primary if the provider says so; [`TiProvider::is_primary`] defaults to true).
    pub fn add_provider(&mut self, provider: Box<dyn TiProvider>) {
        let primary = provider.is_primary();
        self.add_provider_with(provider, primary);
    }

    /// Adds a provider as primary or secondary; a provider of the same name is replaced.
    pub fn add_provider_with(&mut self, provider: Box<dyn TiProvider>, primary: bool) {
        let provider: Arc<dyn TiProvider> = Arc::from(provider);
        let gate = Gate::new(self.limit_for(provider.as_ref()));
        self.providers.retain(|p| p.provider.name() != provider.name());
        self.providers.push(Registered { provider, primary, gate });
    }

    /// Names of the loaded providers, in load order.
    pub fn provider_names(&self) -> Vec<String> {
        self.providers.iter().map(|p| p.provider.name().to_string()).collect()
    }

    /// Names of the primary providers.
    pub fn primary_providers(&self) -> Vec<String> {
        self.providers.iter().filter(|p| p.primary).map(|p| p.provider.name().to_string()).collect()
    }

    /// Config entries that were not loaded, with the reason.
    pub fn skipped_providers(&self) -> &[(String, String)] {
        &self.skipped
    }

    /// The IoC types each provider handles.
    pub fn provider_types(&self) -> Vec<(String, Vec<String>)> {
        self.providers.iter().map(|p| (p.provider.name().to_string(), p.provider.supported_types())).collect()
    }

    /// One row per configured provider: `Provider`, `Kind`, `Loaded`, `Primary`, `IocTypes`,
    /// `MaxConcurrent`, `RequestsPerSecond`, and `Reason` for entries that did not load.
    pub fn provider_status(&self) -> Result<Frame> {
        let mut rows: Vec<Vec<Option<String>>> = self
            .providers
            .iter()
            .map(|p| {
                let limit = self.limit_for(p.provider.as_ref());
                vec![
                    Some(p.provider.name().to_string()),
                    Some(p.provider.kind().to_string()),
                    Some("true".to_string()),
                    Some(p.primary.to_string()),
                    Some(p.provider.supported_types().join(", ")),
                    Some(limit.max_concurrent.to_string()),
                    Some(limit.per_second.to_string()),
                    None,
                ]
            })
            .collect();
        for (name, reason) in &self.skipped {
            rows.push(vec![Some(name.clone()), None, Some("false".into()), None, None, None, None, Some(reason.clone())]);
        }
        let rows: Vec<Vec<Option<&str>>> = rows.iter().map(|r| r.iter().map(Option::as_deref).collect()).collect();
        Frame::from_string_rows(
            &["Provider", "Kind", "Loaded", "Primary", "IocTypes", "MaxConcurrent", "RequestsPerSecond", "Reason"],
            &rows,
        )
    }

    /// Caps requests in flight per provider (`Some(1)` reproduces MSTICPy's one-at-a-time
    /// lookups inside each provider); `None` restores each provider's own limit.
    pub fn set_max_concurrency(&mut self, per_provider: Option<usize>) {
        self.max_concurrency = per_provider;
        for registered in &mut self.providers {
            let mut limit = registered.provider.rate_limit();
            if let Some(cap) = per_provider {
                limit.max_concurrent = cap.max(1);
            }
            registered.gate = Gate::new(limit);
        }
    }

    /// Turns the result cache on or off (on by default).
    pub fn set_cache_enabled(&mut self, enabled: bool) {
        self.cache_enabled = enabled;
    }

    /// Empties the result cache.
    pub fn clear_cache(&self) {
        self.locked_cache().clear();
    }

    /// Number of cached results.
    pub fn cache_len(&self) -> usize {
        self.locked_cache().len()
    }

    /// The most results the cache keeps (default [`DEFAULT_CACHE_CAPACITY`]).
    pub fn cache_capacity(&self) -> usize {
        self.locked_cache().capacity()
    }

    /// Sets the most results the cache keeps; when full, the least recently used result (neither
    /// stored nor served for the longest) is evicted. Lowering it evicts at once; 0 keeps nothing.
    pub fn set_cache_capacity(&self, results: usize) {
        self.locked_cache().set_capacity(results);
    }

    /// Lookups needed before a progress bar is shown (default 10).
    pub fn set_progress_threshold(&mut self, lookups: usize) {
        self.progress_threshold = lookups;
    }

    /// Looks up one IoC with the primary providers; `ioc_type` is inferred when `None`.
    pub fn lookup_ioc(&self, ioc: &str, ioc_type: Option<&str>) -> Result<Frame> {
        self.lookup_iocs(&[ioc.to_string()], ioc_type)
    }

    /// Looks up many IoCs (all of `ioc_type`, or each inferred) with the primary providers.
    pub fn lookup_iocs(&self, iocs: &[String], ioc_type: Option<&str>) -> Result<Frame> {
        let items: Vec<(String, Option<String>)> = iocs.iter().map(|i| (i.clone(), ioc_type.map(str::to_string))).collect();
        self.lookup_items(&items, &LookupOptions::default())
    }

    /// Looks up the values of `column` of `data` (types inferred, or read from `type_column`).
    pub fn lookup_frame(&self, data: &Frame, column: &str, type_column: Option<&str>, options: &LookupOptions) -> Result<Frame> {
        let values = data.column_strings(column)?;
        let types = match type_column {
            Some(col) => data.column_strings(col)?,
            None => vec![None; values.len()],
        };
        let items: Vec<(String, Option<String>)> =
            values.into_iter().zip(types).filter_map(|(v, t)| v.filter(|v| !v.trim().is_empty()).map(|v| (v, t))).collect();
        self.lookup_items(&items, options)
    }

    /// Looks up `(ioc, type)` pairs with `options`; dropped rows (unsupported types, failed
    /// checks) are summarised in the Frame's warnings.
    pub fn lookup_items(&self, items: &[(String, Option<String>)], options: &LookupOptions) -> Result<Frame> {
        // Not `interrupt::block_on`: its race would drop the lookups at once, letting a lookup
        // waiting for its turn start its request while the others are aborted. `lookup_results`
        // handles the interrupt itself.
        interrupt::check(LOOKUPS)?;
        let rows = mstic_core::runtime::block_on(self.lookup_results(items, options))?;
        let mut warnings = Vec::new();
        let kept: Vec<TiResult> = rows
            .into_iter()
            .filter(|row| {
                let drop = (row.status == LookupStatus::NotSupported.code() && !options.show_not_supported)
                    || (row.status == LookupStatus::BadFormat.code() && !options.show_bad_item);
                if drop && row.status == LookupStatus::BadFormat.code() {
                    let message = format!("{} ({}): {}", row.ioc, row.ioc_type, row.details.as_str().unwrap_or_default());
                    if !warnings.contains(&message) {
                        warnings.push(message);
                    }
                }
                !drop
            })
            .collect();
        let mut frame = results_frame(&kept)?;
        for warning in warnings {
            frame = frame.with_warning(format!("not looked up: {warning}"));
        }
        Ok(frame)
    }

    /// The result rows for `(ioc, type)` pairs, all rows kept (async form). Stops with
    /// `Error::Interrupted` (the requests in flight aborted) when the user interrupts the cell.
    pub async fn lookup_results(&self, items: &[(String, Option<String>)], options: &LookupOptions) -> Result<Vec<TiResult>> {
        interrupt::check(LOOKUPS)?;
        let selected = self.select(options)?;
        let mut slots: Vec<Option<TiResult>> = Vec::new();
        let mut pending: HashMap<CacheKey, PendingLookup> = HashMap::new();
        for (ioc, given_type) in items {
            let ioc_type = given_type.clone().filter(|t| !t.is_empty()).unwrap_or_else(|| infer_ioc_type(ioc));
            let checked = preprocess_observable(ioc, &ioc_type);
            let query = TiQuery {
                ioc: ioc.clone(),
                ioc_type: ioc_type.clone(),
                safe_ioc: checked.observable.clone().unwrap_or_default(),
                query_subtype: options.query_subtype.clone(),
            };
            for &index in &selected {
                let provider = &self.providers[index].provider;
                let row = TiResult::new(&query, provider.name());
                if !checked.is_ok() {
                    slots.push(Some(row.failed(LookupStatus::BadFormat.code(), checked.status.clone())));
                } else if !provider.supports(&ioc_type) {
                    let message = format!("IoC type {ioc_type} not supported by {}", provider.name());
                    slots.push(Some(row.failed(LookupStatus::NotSupported.code(), message)));
                } else {
                    let key = cache_key(provider.name(), &query);
                    match self.cached(&key) {
                        Some(hit) => slots.push(Some(TiResult { ioc: query.ioc.clone(), ..hit })),
                        None => {
                            slots.push(None);
                            let entry = pending.entry(key).or_insert_with(|| (query.clone(), index, Vec::new()));
                            entry.2.push((slots.len() - 1, query.ioc.clone()));
                        }
                    }
                }
            }
        }
        let mut tasks = tokio::task::JoinSet::new();
        // Set when the call is interrupted: a lookup that gets its turn afterwards sends nothing.
        let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        for (key, (query, index, targets)) in pending {
            let provider = self.providers[index].provider.clone();
            let gate = self.providers[index].gate.clone();
            let stopped = stopped.clone();
            tasks.spawn(async move {
                let _permit = gate.enter().await;
                if stopped.load(std::sync::atomic::Ordering::SeqCst) {
                    return None;
                }
                let result = provider.lookup(&query).await;
                Some((key, result, targets))
            });
        }
        let progress = Progress::start("TI lookups", tasks.len(), options.progress && tasks.len() >= self.progress_threshold);
        // On an interrupt the loop is dropped, every lookup still running or waiting for its turn
        // is aborted, and the call returns only once they have all ended; the progress display
        // then ends as interrupted.
        let outcome = interrupt::race(LOOKUPS, async {
            while let Some(joined) = tasks.join_next().await {
                progress.advance();
                let Some((key, result, targets)) = joined.map_err(|e| Error::Other(format!("TI lookup task failed: {e}")))? else {
                    continue;
                };
                if self.cache_enabled && is_cacheable(&result) {
                    self.locked_cache().insert(key, result.clone());
                }
                for (target, ioc) in targets {
                    slots[target] = Some(TiResult { ioc, ..result.clone() });
                }
            }
            Ok(())
        })
        .await;
        if outcome.is_err() {
            stopped.store(true, std::sync::atomic::Ordering::SeqCst);
            tasks.abort_all();
            while tasks.join_next().await.is_some() {}
        }
        outcome?;
        progress.finish();
        Ok(slots.into_iter().flatten().collect())
    }

    fn select(&self, options: &LookupOptions) -> Result<Vec<usize>> {
        if self.providers.is_empty() {
            let skipped: Vec<String> = self.skipped.iter().map(|(n, why)| format!("{n} ({why})")).collect();
            return Err(Error::Config(format!(
                "no threat-intel providers are loaded; add TIProviders entries to msticpyconfig.yaml{}",
                if skipped.is_empty() { String::new() } else { format!(" (not loaded: {})", skipped.join("; ")) }
            )));
        }
        if let Some(names) = &options.providers {
            let all = self.provider_names();
            return names
                .iter()
                .map(|name| {
                    self.providers
                        .iter()
                        .position(|p| p.provider.name().eq_ignore_ascii_case(name))
                        .ok_or_else(|| Error::unknown("TI provider", name, all.iter().map(String::as_str)))
                })
                .collect();
        }
        let chosen: Vec<usize> = (0..self.providers.len())
            .filter(|&i| match options.scope {
                ProviderScope::Primary => self.providers[i].primary,
                ProviderScope::Secondary => !self.providers[i].primary,
                ProviderScope::All => true,
            })
            .collect();
        // A config without primary providers still answers with all of them.
        Ok(if chosen.is_empty() && options.scope == ProviderScope::Primary { (0..self.providers.len()).collect() } else { chosen })
    }

    fn limit_for(&self, provider: &dyn TiProvider) -> RateLimit {
        let mut limit = provider.rate_limit();
        if let Some(cap) = self.max_concurrency {
            limit.max_concurrent = cap.max(1);
        }
        limit
    }

    fn cached(&self, key: &CacheKey) -> Option<TiResult> {
        if !self.cache_enabled {
            return None;
        }
        self.locked_cache().get(key)
    }

    fn locked_cache(&self) -> std::sync::MutexGuard<'_, LruCache<CacheKey, TiResult>> {
        self.cache.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn cache_key(provider: &str, query: &TiQuery) -> CacheKey {
    (provider.to_string(), query.ioc_type.clone(), query.safe_ioc.clone(), query.query_subtype.clone())
}

/// Answers worth keeping: found, not found, or 404. Failures (429, 5xx, network) are retried.
fn is_cacheable(result: &TiResult) -> bool {
    result.status == LookupStatus::Ok.code() || result.status == LookupStatus::NoData.code() || result.status == 404
}
