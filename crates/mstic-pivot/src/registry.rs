//! [`Pivots`]: the registry of pivot functions by entity and container (MSTICPy's `Pivot`).
//! Creating one registers the `util` functions and makes it the current registry that entity
//! types use (`IpAddress::util().ip_type(…)`); TI, GeoIP and query providers are added to it.

use crate::entity::EntityKind;
use crate::func::{PivotAction, PivotFunc, ResultRow, ValueFn};
use crate::input::PivotInput;
use crate::query::query_pivots;
use arrow::array::{ArrayRef, StringArray};
use mstic_core::timespan::TimeInput;
use mstic_core::{Error, Frame, Result};
use mstic_data::provider::QueryProvider;
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};

type Key = (EntityKind, String, String);

#[derive(Default)]
struct Registry {
    funcs: BTreeMap<Key, PivotFunc>,
    shortcuts: BTreeMap<(EntityKind, String), (String, String)>,
    providers: BTreeMap<String, Arc<QueryProvider>>,
    tees: BTreeMap<String, Frame>,
}

/// The pivot registry. Cloning shares it (a handle), so a clone kept in a notebook variable and
/// the current registry used by entity types are the same.
///
/// # Example
/// ```
/// use mstic_pivot::{EntityKind, Pivots};
/// let pivots = Pivots::new();
/// pivots.add_value_function(EntityKind::Host, "custom", "shout", "HostName", |name| Ok(vec![("loud".to_string(), Some(name.to_uppercase()))]));
/// let result = pivots.call("Host", "custom.shout", "ws1")?;
/// assert_eq!(result.column_strings("loud")?, vec![Some("WS1".to_string())]);
/// assert!(pivots.get("Host", "custom.whisper").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct Pivots {
    registry: Arc<RwLock<Registry>>,
    timespan: Arc<RwLock<Option<(TimeInput, TimeInput)>>>,
}

/// The current registry, shared by every notebook cell.
fn current_slot() -> Arc<RwLock<Option<Pivots>>> {
    mstic_core::session::get_or_init("mstic-pivot.current", || RwLock::new(None))
}

impl Default for Pivots {
    fn default() -> Self {
        Pivots::new()
    }
}

impl Pivots {
    /// A registry with the `util` pivots, made the current one (MSTICPy's `Pivot()`).
    pub fn new() -> Pivots {
        let pivots = Pivots { registry: Arc::default(), timespan: Arc::default() };
        crate::util::register(&pivots);
        *current_slot().write().unwrap_or_else(|e| e.into_inner()) = Some(pivots.clone());
        pivots
    }

    /// The current registry (the last one created), creating one if there is none.
    pub fn current() -> Pivots {
        if let Some(p) = current_slot().read().unwrap_or_else(|e| e.into_inner()).as_ref() {
            return p.clone();
        }
        Pivots::new()
    }

    /// Adds (or replaces) a pivot function.
    pub fn add(&self, func: PivotFunc) {
        let key = (func.entity, func.container.clone(), func.name.clone());
        self.write().funcs.insert(key, func);
    }

    /// Adds a per-value function as pivot `container.name` of `entity` (MSTICPy's
    /// `add_pivot_function`); `attribute` is the entity property it takes. The function returns
    /// the result row as `(column, value)` pairs.
    pub fn add_value_function(
        &self,
        entity: EntityKind,
        container: &str,
        name: &str,
        attribute: &str,
        function: impl Fn(&str) -> Result<ResultRow> + Send + Sync + 'static,
    ) {
        let f: ValueFn = Arc::new(function);
        self.add(PivotFunc::new(entity, container, name, attribute, "value", "value", "user function", PivotAction::Value(f)));
    }

    /// Adds a shortcut `Entity.shortcut` for `container.function` (MSTICPy's `make_pivot_shortcut`).
    pub fn make_shortcut(&self, entity: EntityKind, path: &str, shortcut: &str) -> Result<()> {
        let func = self.get(entity.name(), path)?;
        self.write().shortcuts.insert((entity, shortcut.to_string()), (func.container, func.name));
        Ok(())
    }

    /// Adds the queries of `provider` as pivots in a container named after its environment
    /// (`LocalData`, `MSSentinel`…); returns how many were added. The provider is kept by the
    /// registry ([`Pivots::provider`] gives it back).
    pub fn add_query_provider(&self, provider: QueryProvider) -> Result<usize> {
        let container = provider.environment().to_string();
        self.add_query_provider_as(provider, &container)
    }

    /// As [`Pivots::add_query_provider`], with an explicit container name.
    pub fn add_query_provider_as(&self, provider: QueryProvider, container: &str) -> Result<usize> {
        let provider = Arc::new(provider);
        let funcs = query_pivots(&provider, container, &self.timespan);
        let count = funcs.len();
        let mut registry = self.write();
        registry.funcs.retain(|(_, c, _), _| c != container);
        for func in funcs {
            registry.funcs.insert((func.entity, func.container.clone(), func.name.clone()), func);
        }
        registry.providers.insert(container.to_string(), provider);
        Ok(count)
    }

    /// A query provider added with [`Pivots::add_query_provider`], by container name.
    pub fn provider(&self, container: &str) -> Result<Arc<QueryProvider>> {
        let registry = self.read();
        registry.providers.get(container).cloned().ok_or_else(|| {
            Error::unknown("query provider", container, registry.providers.keys().map(String::as_str).collect::<Vec<_>>())
        })
    }

    /// Sets the time range of query pivots (days from now, datetimes or text), unless a call gives its own.
    pub fn set_timespan(&self, start: impl Into<TimeInput>, end: impl Into<TimeInput>) {
        *self.timespan.write().unwrap_or_else(|e| e.into_inner()) = Some((start.into(), end.into()));
    }

    /// A pivot function by entity name (or alias) and `container.function` path, or a shortcut
    /// name; unknown names list the closest ones.
    pub fn get(&self, entity: &str, path: &str) -> Result<PivotFunc> {
        let kind = EntityKind::parse(entity)?;
        let registry = self.read();
        let (container, name) = match path.split_once('.') {
            Some((c, n)) => (c.to_string(), n.to_string()),
            None => match registry.shortcuts.get(&(kind, path.to_string())) {
                Some(target) => target.clone(),
                None => (String::new(), path.to_string()),
            },
        };
        if let Some(func) = registry.funcs.get(&(kind, container.clone(), name.clone())) {
            return Ok(func.clone());
        }
        let mut valid: Vec<String> =
            registry.funcs.keys().filter(|(k, _, _)| *k == kind).map(|(_, c, n)| format!("{c}.{n}")).collect();
        valid.extend(registry.shortcuts.keys().filter(|(k, _)| *k == kind).map(|(_, s)| s.clone()));
        Err(Error::unknown("pivot function", path, valid.iter().map(String::as_str))
            .with_kind_hint(&format!("{kind}.")))
    }

    /// Calls pivot `path` of `entity` (string lookup): `pivots.call("IpAddress", "util.ip_type", "10.0.0.1")`.
    pub fn call(&self, entity: &str, path: &str, input: impl Into<PivotInput>) -> Result<Frame> {
        self.get(entity, path)?.call(input)
    }

    /// Every pivot function of `entity` (all entities for `None`).
    pub fn functions(&self, entity: Option<EntityKind>) -> Vec<PivotFunc> {
        self.read().funcs.values().filter(|f| entity.is_none_or(|k| f.entity == k)).cloned().collect()
    }

    /// Container names of `entity`.
    pub fn containers(&self, entity: EntityKind) -> Vec<String> {
        let mut names: Vec<String> = self.functions(Some(entity)).into_iter().map(|f| f.container).collect();
        names.dedup();
        names
    }

    /// The pivots as a table (entity, container, function, attribute, description); `entity` may
    /// be a name or alias, or `""` for all.
    pub fn list(&self, entity: &str) -> Result<Frame> {
        let kind = if entity.is_empty() { None } else { Some(EntityKind::parse(entity)?) };
        let funcs = self.functions(kind);
        let registry = self.read();
        let shortcuts = |f: &PivotFunc| {
            registry
                .shortcuts
                .iter()
                .filter(|((k, _), (c, n))| *k == f.entity && *c == f.container && *n == f.name)
                .map(|((_, s), _)| s.clone())
                .collect::<Vec<_>>()
                .join(", ")
        };
        let column = |name: &str, values: Vec<String>| (name.to_string(), Arc::new(StringArray::from(values)) as ArrayRef);
        Frame::from_columns(vec![
            column("entity", funcs.iter().map(|f| f.entity.to_string()).collect()),
            column("container", funcs.iter().map(|f| f.container.clone()).collect()),
            column("function", funcs.iter().map(|f| f.name.clone()).collect()),
            column("shortcut", funcs.iter().map(shortcuts).collect()),
            column("attribute", funcs.iter().map(|f| f.attribute.clone()).collect()),
            column("description", funcs.iter().map(|f| f.description.clone()).collect()),
        ])
    }

    /// Removes the pivots of one container (all entities), e.g. a query provider's.
    pub fn remove_container(&self, container: &str) {
        let mut registry = self.write();
        registry.funcs.retain(|(_, c, _), _| c != container);
        registry.shortcuts.retain(|_, (c, _)| c != container);
        registry.providers.remove(container);
    }

    /// Keeps `frame` under `name` (a pipeline's `pivot_tee`); an existing one is replaced only with `clobber`.
    pub fn tee(&self, name: &str, frame: &Frame, clobber: bool) {
        let mut registry = self.write();
        if clobber || !registry.tees.contains_key(name) {
            registry.tees.insert(name.to_string(), frame.clone());
        }
    }

    /// A frame kept by a pipeline's `pivot_tee` step.
    pub fn teed(&self, name: &str) -> Result<Frame> {
        let registry = self.read();
        registry.tees.get(name).cloned().ok_or_else(|| Error::unknown("teed frame", name, registry.tees.keys().map(String::as_str).collect::<Vec<_>>()))
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Registry> {
        self.registry.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Registry> {
        self.registry.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Shows the list of every pivot as the cell's result.
    pub fn evcxr_display(&self) {
        if let Ok(frame) = self.list("") {
            frame.evcxr_display();
        }
    }
}

trait KindHint {
    fn with_kind_hint(self, prefix: &str) -> Error;
}

impl KindHint for Error {
    /// The name and suggestions are shown with the entity prefix.
    fn with_kind_hint(self, prefix: &str) -> Error {
        match self {
            Error::Unknown { kind, name, suggestions } => Error::Unknown {
                kind,
                name: format!("{prefix}{name}"),
                suggestions: suggestions.into_iter().map(|s| format!("{prefix}{s}")).collect(),
            },
            other => other,
        }
    }
}

/// A pivot function of the current registry, by entity and `container.function` (or shortcut):
/// `pivot("IpAddress", "util.ip_type")?.call("10.0.0.1")?`.
///
/// # Example
/// ```
/// use mstic_pivot::pivot;
/// let dns_components = pivot("Dns", "util.dns_components")?;
/// let parts = dns_components.call("mail.contoso.co.uk")?;
/// assert_eq!(parts.column_strings("suffix")?, vec![Some("co.uk".to_string())]);
/// assert!(pivot("Dns", "util.no_such_function").is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
pub fn pivot(entity: &str, path: &str) -> Result<PivotFunc> {
    Pivots::current().get(entity, path)
}
