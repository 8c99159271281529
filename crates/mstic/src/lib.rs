//! Rust MSTIC: security investigation in Rust notebooks. The kernel preloads this crate and runs
//! `use mstic::prelude::*;` so every cell can query, enrich, extract and plot.
//!
//! Dependencies are re-exported because notebook cells cannot name a dependency's dependency.

pub use arrow;
pub use chrono;
pub use datafusion;
pub use evcxr_input;
pub use mstic_analysis as analysis;
pub use mstic_context as context;
pub use mstic_core as core;
pub use mstic_data as data;
/// KQL on local data: `KqlSession`, `frame.kql(…)`, and the `%%kql` cells.
pub use mstic_kql as kql;
/// Demo services and test helpers (not in the prelude): `use mstic::demo::*;` brings
/// `DemoServer`, `DemoTiServer`, the local HTTP server and `fixture`.
pub use mstic_demo as demo;
pub use mstic_pivot as pivot;
pub use mstic_queries as queries;
pub use mstic_transform as transform;
pub use mstic_triage as triage;
pub use mstic_vis as vis;
/// Notebook widgets: ipywidgets controls (`widgets::controls::IntSlider`…) and the investigation
/// widgets also in the prelude (`QueryTime`, `SelectItem`, `SelectSubset`, `OutputArea`).
pub use mstic_widgets as widgets;
pub use serde_json;

/// Everything a notebook cell needs, imported by the kernel at start (`use mstic::prelude::*;`).
///
/// What goes in (see CONTRIBUTING.md, "One notebook API"): the types and functions an
/// investigation uses in most notebooks, under one name each, none of which shadows a name Rust
/// users reach for elsewhere. Entities are reached as `entities::IpAddress` (MSTICPy's
/// `entities.IpAddress`), so `File`, `Process`, `Url` and `Host` stay free for `std::fs::File` and
/// the rest; less common items are behind their module (`analysis::`, `vis::`, `context::`,
/// `transform::`, `triage::`, `data::`, `mstic::core::`).
pub mod prelude {
    /// `evcxr_input::get_string("Name")` asks the notebook user for a value (the stdin channel).
    pub use evcxr_input;
    // The crates by domain, for items outside the prelude: `vis::Chart`, `analysis::Cmd`…
    pub use crate::{analysis, context, data, pivot, queries, transform, triage, vis, widgets};
    /// MSTICPy's entities (`entities::IpAddress`, `entities::Host`, `entities::File`…).
    pub use mstic_pivot::entity as entities;
    pub use mstic_core::display::{clear_output, page};
    // A cell's final value of a standard type shows with one compile (see `plain_display`).
    pub use mstic_core::plain_display::PlainDisplay as _;
    pub use mstic_core::paths::{fixture, fixtures_dir};
    // `register_table("logons", &frame)` makes a frame queryable by `%%sql` and `%%kql` cells.
    pub use mstic_core::{DisplayHandle, Error, Frame, MimeBundle, Result, SqlSession, register_table};
    pub use mstic_core::config::{MsticConfig, ProviderSettings, Setting, WorkspaceSettings};
    pub use mstic_core::timespan::{TimeInput, TimeSpan, TimeSpanSpec, TimeValue, parse_period, resolve_time};
    pub use mstic_data::provider::{DataEnvironment, DriverSettings, QueryCall, QueryHelp, QueryList, QueryProvider};
    pub use mstic_data::template::{ListParam, ParamValue, QueryStore, QueryTemplate};
    // Typed calls of the shipped query library: `qp.windows_security().list_host_logons()…`.
    pub use mstic_queries::{QueryFamilies, TypedQuery};
    pub use mstic_data::drivers::{LocalDataDriver, OsQueryDriver, OtrfCatalog, OtrfDriver, VelociraptorDriver, create_driver};
    pub use mstic_data::sample;
    // Cells that keep a driver in a variable need the trait's name in scope.
    pub use mstic_data::{Capabilities, Driver, DriverQuery, QueryOptions};
    pub use mstic_transform::{
        ExtractOptions, IocExtractor, ProcSchema, ProcessTree, TreeSummary, UnpackOptions, build_process_tree, defang,
        read_zipped_json_lines, refang, unpack, unpack_frame, unpack_with,
    };
    pub use mstic_data::remote::{DefenderDriver, GraphDriver, KustoDriver, SentinelDriver, SplitCall, SplitQuery, SplunkDriver};
    pub use mstic_analysis::{
        Aggregation, ClusterOptions, ClusterResult, IsolationForest, OutlierOptions, PollingResult, SessionKind,
        SessionScorer, StlOptions, add_process_features, aggregate_series, anomaly_periods, create_time_period_kqlfilter,
        dbcluster_events, detect_polling, identify_outliers, kql_periods, sessionize,
        SessionOptions, set_new_anomaly_threshold, ts_anomalies_stl,
    };
    pub use mstic_context::ti::{ProviderOptions, create_provider, preprocess_observable};
    pub use mstic_context::{
        GeoIpLookup, GeoRecord, IpStackLookup, IpType, LookupOptions, ProviderScope, RdapClient, Severity, TiLookup,
        TiProvider, TiResult, dns_resolve, dns_reverse, whois,
    };
    pub use mstic_pivot::containers::{
        DnsTi, DnsUtil, FileTi, HostUtil, IpAddressTi, IpAddressUtil, ProcessUtil, UrlTi, UrlUtil,
    };
    pub use mstic_pivot::{
        Container, Entity, EntityKind, EntityPivots, Pipeline, PipelineStep, PivotFunc, PivotInput, PivotJoin, Pivots,
        entities_from_json, entity_from_json, pivot,
    };
    pub use mstic_triage::resources::AzureResources;
    pub use mstic_triage::sentinel::{IncidentFilter, IncidentUpdate, SentinelApi};
    pub use mstic_triage::triage::Triage;
    // Investigation widgets (MSTICPy's nbwidgets); the controls stay behind `widgets::controls`.
    pub use mstic_widgets::{OutputArea, QueryTime, QueryTimeUnit, SelectItem, SelectSubset};
    pub use mstic_kql::{FrameKql, KqlLocalDriver, KqlSession, LocalTables};
    pub use mstic_vis::{
        AnomaliesPlot, FramePlot, Legend, MatrixPlot, MatrixSort, PidFormat, ProcessTreePlot, Timeline, TimelineDuration,
        TimelineValues, TreePlot, ValueKind,
    };
}
