//! KQL on local data: Kusto queries planned onto DataFusion over [`Frame`]s, with Kusto's
//! semantics (`has` on whole terms, `==` case-sensitive and `=~` not, `innerunique` joins,
//! `summarize` output names such as `count_` and `dcount_Account`).
//!
//! ```
//! use mstic_core::Frame;
//! use mstic_kql::{FrameKql, KqlSession};
//! let logons = Frame::from_string_rows(
//!     &["Account", "Computer"],
//!     &[vec![Some("ann"), Some("ws1")], vec![Some("bob"), Some("ws1")], vec![Some("ann"), Some("ws2")]],
//! ).unwrap();
//! let mut session = KqlSession::new();
//! session.register("Logons", &logons).unwrap();
//! let per_account = session.query("Logons | summarize dcount(Computer) by Account | sort by Account asc").unwrap();
//! assert_eq!(per_account.columns(), vec!["Account", "dcount_Computer"]);
//! // A single frame is the table `T`:
//! assert_eq!(logons.kql("T | where Account =~ 'ANN' | count").unwrap().value::<i64>(0, "Count").unwrap(), Some(2));
//! ```
//!
//! Every error points at the query: a syntax error or an unknown column shows the line with a
//! caret and the closest valid names; an operator or function this front end does not handle is
//! named as such (never silently answered).

mod aggregate;
mod calls;
mod functions;
mod plan;
mod scalar;
mod series;
mod sources;
pub mod driver;
pub mod tables;

pub use driver::KqlLocalDriver;
pub use plan::RenderSpec;
pub use tables::LocalTables;

use datafusion::datasource::{MemTable, TableProvider};
use datafusion::logical_expr::{Expr as DfExpr, ScalarUDF};
use datafusion::prelude::SessionContext;
use mstic_core::{Error, Frame, Result, SqlSession};
use mstic_kql_syntax::ast::Span;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A place to run KQL: tables registered by name (frames, or files read into frames), and the
/// Kusto functions registered on a DataFusion context.
pub struct KqlSession {
    context: SessionContext,
    tables: BTreeMap<String, Arc<dyn TableProvider>>,
}

impl Default for KqlSession {
    fn default() -> Self {
        Self::new()
    }
}

/// The result of a query: the rows, and the chart a `render` operator asked for.
#[derive(Debug, Clone)]
pub struct KqlResult {
    /// The rows.
    pub frame: Frame,
    /// The `render` request, if the query ended with one.
    pub render: Option<RenderSpec>,
}

impl KqlResult {
    /// The chart a `render` asked for, drawn with `mstic-vis`: `timechart`, `linechart` and
    /// `areachart` as lines, `columnchart` and `barchart` as bars, `scatterchart` as points,
    /// over the first datetime column (or `xcolumn`), for the first numeric column (or the first
    /// of `ycolumns`), one series per value of the first text column (or `series`), titled by
    /// `title`. `None` without a `render`; an error names a chart kind or columns it cannot draw.
    pub fn chart(&self) -> Option<Result<mstic_vis::Chart>> {
        let render = self.render.as_ref()?;
        Some(render_chart(&self.frame, render))
    }

    /// What a notebook shows: the chart when the query asked for one that can be drawn, else the
    /// table (with a note saying why the chart is missing).
    pub fn mime_bundle(&self) -> mstic_core::MimeBundle {
        match self.chart() {
            Some(Ok(chart)) => chart.mime_bundle(),
            Some(Err(e)) => self.frame.with_warning(format!("render: {e}; the table is shown instead")).mime_bundle(),
            None => self.frame.mime_bundle(),
        }
    }
}

fn render_chart(frame: &Frame, render: &RenderSpec) -> Result<mstic_vis::Chart> {
    use arrow::datatypes::DataType;
    use mstic_vis::ValueKind;
    let kind = match render.chart.as_str() {
        "timechart" | "linechart" | "areachart" => ValueKind::Line,
        "columnchart" | "barchart" => ValueKind::Vbar,
        "scatterchart" => ValueKind::Circle,
        other => {
            return Err(Error::Invalid { what: "render".into(), message: format!("`{other}` charts are not drawn by local KQL") });
        }
    };
    let property = |name: &str| render.properties.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let schema = frame.schema();
    let first = |test: fn(&DataType) -> bool, skip: Option<&str>| {
        schema.fields().iter().find(|f| test(f.data_type()) && Some(f.name().as_str()) != skip).map(|f| f.name().clone())
    };
    let x = property("xcolumn").or_else(|| first(|t| matches!(t, DataType::Timestamp(_, _)), None)).ok_or_else(|| Error::Invalid {
        what: "render".into(),
        message: "the result has no datetime column to draw over".into(),
    })?;
    let y = property("ycolumns")
        .and_then(|v| v.split(',').next().map(|s| s.trim().to_string()))
        .or_else(|| first(|t| t.is_numeric(), Some(&x)))
        .ok_or_else(|| Error::Invalid { what: "render".into(), message: "the result has no numeric column to draw".into() })?;
    let series = property("series").or_else(|| first(scalar::is_text, Some(&x)));
    let mut builder = mstic_vis::TimelineValues::new(frame, &y).kind(kind).time_column(&x);
    if let Some(series) = series {
        builder = builder.group_by(&series);
    }
    if let Some(title) = property("title") {
        builder = builder.title(&title);
    }
    builder.build()
}

impl KqlSession {
    /// An empty session (queries run in one partition, so results are deterministic, as in
    /// [`SqlSession`]).
    pub fn new() -> Self {
        let context = SqlSession::new().context().clone();
        for udf in functions::all() {
            context.register_udf(udf);
        }
        context.register_udaf(functions::percentile_udaf());
        KqlSession { context, tables: BTreeMap::new() }
    }

    /// Registers `frame` as table `name` (replacing a table of that name).
    pub fn register(&mut self, name: &str, frame: &Frame) -> Result<()> {
        let table = MemTable::try_new(frame.schema(), vec![frame.batches().to_vec()])?;
        self.tables.insert(name.to_string(), Arc::new(table));
        Ok(())
    }

    /// Reads a file (CSV, TSV, JSON lines, Parquet — see [`Frame::read_file`]) and registers it
    /// as table `name`.
    pub fn register_file(&mut self, name: &str, path: impl AsRef<std::path::Path>) -> Result<()> {
        let frame = Frame::read_file(path)?;
        self.register(name, &frame)
    }

    /// Names of the registered tables, sorted.
    pub fn tables(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// Runs a query and collects its rows. An interrupt of the cell stops it with
    /// `Error::Interrupted`.
    pub fn query(&self, kql: &str) -> Result<Frame> {
        self.run(kql).map(|r| r.frame)
    }

    /// Runs a query and also returns its `render` request.
    pub fn run(&self, kql: &str) -> Result<KqlResult> {
        let parsed = mstic_kql_syntax::parse(kql).map_err(|e| Error::Query(e.render(kql)))?;
        let mut planner = plan::Planner::new(self);
        let frame = planner.query(&parsed).map_err(|e| Error::Query(e.render(kql)))?;
        let render = planner.render.take();
        let frame = mstic_core::interrupt::block_on("the KQL query", async move {
            let schema = Arc::new(frame.schema().as_arrow().clone());
            let batches = frame.collect().await.map_err(|e| Error::Query(format!("KQL query failed while running: {e}")))?;
            Ok(Frame::from_batches(schema, batches))
        })?;
        Ok(KqlResult { frame, render })
    }

    /// The DataFusion plan of a query, as text (for tests and for understanding a query).
    pub fn explain(&self, kql: &str) -> Result<String> {
        let parsed = mstic_kql_syntax::parse(kql).map_err(|e| Error::Query(e.render(kql)))?;
        let mut planner = plan::Planner::new(self);
        let frame = planner.query(&parsed).map_err(|e| Error::Query(e.render(kql)))?;
        Ok(frame.logical_plan().display_indent().to_string())
    }

    /// A call of a registered scalar function.
    fn call(&self, name: &str, args: Vec<DfExpr>, span: Span) -> PResult<DfExpr> {
        let udf: Arc<ScalarUDF> = datafusion::execution::FunctionRegistry::udf(&self.context, name)
            .map_err(|e| PlanError::datafusion(e, span))?;
        Ok(udf.call(args))
    }

    /// A call of a registered aggregate function.
    fn aggregate(&self, name: &str, args: Vec<DfExpr>, span: Span) -> PResult<DfExpr> {
        let udaf = datafusion::execution::FunctionRegistry::udaf(&self.context, name).map_err(|e| PlanError::datafusion(e, span))?;
        Ok(udaf.call(args))
    }
}

/// Makes `%%kql` cells available in this process: they run on the tables registered with
/// `register_table` (the kernel calls this in every cell process).
pub fn install_magic() {
    mstic_core::magic::register_language("kql", |query, tables| {
        let mut session = KqlSession::new();
        for (name, frame) in tables {
            session.register(name, frame)?;
        }
        let result = session.run(query)?;
        let display = result.render.is_some().then(|| result.mime_bundle());
        Ok(mstic_core::magic::LanguageOutput { frame: result.frame, display })
    });
}

/// KQL on a single frame: the frame is the table `T`.
pub trait FrameKql {
    /// Runs `kql` with this frame as table `T`:
    /// `frame.kql("T | summarize count() by EventID")`.
    fn kql(&self, kql: &str) -> Result<Frame>;
}

impl FrameKql for Frame {
    fn kql(&self, kql: &str) -> Result<Frame> {
        let mut session = KqlSession::new();
        session.register("T", self)?;
        let result = session.query(kql)?;
        Ok(self.warnings().iter().fold(result, |frame, warning| frame.with_warning(warning.clone())))
    }
}

/// A planning error: what is wrong and where in the query.
#[derive(Debug)]
pub(crate) struct PlanError {
    message: String,
    span: Span,
}

pub(crate) type PResult<T> = std::result::Result<T, PlanError>;

impl PlanError {
    pub(crate) fn new(message: impl Into<String>, span: Span) -> Self {
        PlanError { message: message.into(), span }
    }

    pub(crate) fn datafusion(error: datafusion::error::DataFusionError, span: Span) -> Self {
        let text = error.to_string();
        let text = text.strip_prefix("Error during planning: ").unwrap_or(&text).to_string();
        PlanError::new(text, span)
    }

    pub(crate) fn unknown(kind: &str, name: &str, known: &[String], span: Span) -> Self {
        let close = closest(name, known);
        let hint = if !close.is_empty() {
            format!("; did you mean {}?", close.iter().map(|c| format!("`{c}`")).collect::<Vec<_>>().join(", "))
        } else if known.len() <= 12 && !known.is_empty() {
            format!("; known: {}", known.join(", "))
        } else {
            String::new()
        };
        PlanError::new(format!("unknown {kind} `{name}`{hint}"), span)
    }

    pub(crate) fn unsupported(what: &str, span: Span) -> Self {
        PlanError::new(format!("`{what}` is not supported by local KQL yet"), span)
    }

    fn render(&self, query: &str) -> String {
        let text = mstic_kql_syntax::caret(query, self.span, &self.message);
        match text.strip_prefix("KQL syntax error") {
            Some(rest) => format!("KQL error{rest}"),
            None => text,
        }
    }
}

/// Up to three names close to `name` (edit distance, case-insensitive match first).
pub(crate) fn closest(name: &str, known: &[String]) -> Vec<String> {
    let lower = name.to_lowercase();
    let mut scored: Vec<(f64, &String)> = known
        .iter()
        .map(|k| {
            let score = if k.to_lowercase() == lower { 2.0 } else { strsim::jaro_winkler(&lower, &k.to_lowercase()) };
            (score, k)
        })
        .filter(|(score, _)| *score >= 0.85)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, k)| k.clone()).collect()
}
