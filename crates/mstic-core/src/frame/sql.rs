//! SQL over frames with DataFusion, and schema unification for concatenation.

use super::Frame;
use crate::{Error, Result, interrupt};
use arrow::array::RecordBatch;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::datasource::MemTable;
use datafusion::execution::session_state::SessionStateBuilder;
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;
use datafusion::prelude::{SessionConfig, SessionContext};
use std::sync::Arc;

/// A SQL session in which several frames are registered under table names.
///
/// ```
/// # use mstic_core::{Frame, SqlSession};
/// let logons = Frame::from_string_rows(&["Account", "Host"], &[vec![Some("ann"), Some("h1")]]).unwrap();
/// let mut session = SqlSession::new();
/// session.register("logons", &logons).unwrap();
/// let counts = session.sql("select Host, count(*) as n from logons group by Host").unwrap();
/// assert_eq!(counts.len(), 1);
/// ```
pub struct SqlSession {
    context: SessionContext,
}

impl Default for SqlSession {
    fn default() -> Self {
        Self::new()
    }
}

impl SqlSession {
    /// An empty session. Identifiers keep their case (`select Computer from t` works without
    /// quotes), as security data's column names are CamelCase.
    ///
    /// Queries run in one partition, so results are the same on every run: filters and
    /// projections keep the table's row order, groups come out in the order their first rows
    /// appear, and only `order by` reorders rows.
    pub fn new() -> Self {
        let mut config = SessionConfig::new().with_target_partitions(1);
        config.options_mut().sql_parser.enable_ident_normalization = false;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(YieldEveryBatch))
            .build();
        SqlSession { context: SessionContext::new_with_state(state) }
    }

    /// Registers `frame` as table `name` (replacing a table of that name).
    pub fn register(&mut self, name: &str, frame: &Frame) -> Result<()> {
        let table = MemTable::try_new(frame.schema(), vec![frame.batches().to_vec()])?;
        let _ = self.context.deregister_table(name)?;
        self.context.register_table(name, Arc::new(table))?;
        Ok(())
    }

    /// Names of the registered tables.
    pub fn tables(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .context
            .catalog("datafusion")
            .and_then(|c| c.schema("public"))
            .map(|s| s.table_names())
            .unwrap_or_default();
        names.sort();
        names
    }

    /// Runs one SQL statement and collects its result. An interrupt of the cell stops the query
    /// (its plan is dropped) with `Error::Interrupted`.
    pub fn sql(&self, query: &str) -> Result<Frame> {
        let context = self.context.clone();
        let query = query.to_string();
        interrupt::block_on("the SQL query", async move {
            let df = context.sql(&query).await.map_err(|e| Error::Query(format!("{e}\n  in: {query}")))?;
            let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
            let batches = df.collect().await?;
            Ok(Frame::from_batches(schema, batches))
        })
    }

    /// The underlying DataFusion context, for work beyond plain SQL.
    pub fn context(&self) -> &SessionContext {
        &self.context
    }
}

/// Makes every operator of a plan give way after each batch it produces, once its task's budget
/// is spent. In one partition nothing else would: a join whose output multiplies its input, read
/// by an aggregate, runs to the end inside one poll, and an interrupt could not stop it.
#[derive(Debug)]
struct YieldEveryBatch;

impl PhysicalOptimizerRule for YieldEveryBatch {
    fn optimize(&self, plan: Arc<dyn ExecutionPlan>, _config: &ConfigOptions) -> datafusion::error::Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if node.children().is_empty() || node.name() == "CooperativeExec" {
                return Ok(Transformed::no(node));
            }
            Ok(Transformed::yes(Arc::new(CooperativeExec::new(node)) as Arc<dyn ExecutionPlan>))
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "YieldEveryBatch"
    }

    fn schema_check(&self) -> bool {
        true
    }
}

impl Frame {
    /// Runs SQL with this frame registered as table `t`:
    /// `frame.sql("select EventID, count(*) from t group by EventID")`.
    pub fn sql(&self, query: &str) -> Result<Frame> {
        let mut session = SqlSession::new();
        session.register("t", self)?;
        session.sql(query).map(|f| f.with_warnings(self.warnings().to_vec()))
    }

    /// Row counts per distinct value of `column`, most frequent first (pandas' `value_counts`).
    pub fn count_by(&self, column: &str) -> Result<Frame> {
        self.column_index(column)?;
        let quoted = format!("\"{}\"", column.replace('"', "\"\""));
        self.sql(&format!("select {quoted}, count(*) as count from t group by {quoted} order by count desc, {quoted}"))
    }
}

/// A schema with the columns of all frames (first appearance order); a column whose types differ
/// between frames becomes the common numeric type or text.
pub(super) fn unified_schema(frames: &[Frame]) -> Result<SchemaRef> {
    let mut fields: Vec<Field> = Vec::new();
    for frame in frames {
        for field in frame.schema().fields() {
            match fields.iter_mut().find(|f| f.name() == field.name()) {
                None => fields.push(field.as_ref().clone().with_nullable(true)),
                Some(existing) if existing.data_type() == field.data_type() => {}
                Some(existing) => {
                    let common = common_type(existing.data_type(), field.data_type());
                    *existing = existing.clone().with_data_type(common);
                }
            }
        }
    }
    Ok(Arc::new(Schema::new(fields)))
}

fn common_type(a: &DataType, b: &DataType) -> DataType {
    use DataType::*;
    match (a, b) {
        (Null, other) | (other, Null) => other.clone(),
        (x, y) if x.is_integer() && y.is_integer() => Int64,
        (x, y) if x.is_numeric() && y.is_numeric() => Float64,
        _ => Utf8,
    }
}

/// `batch` with the columns of `schema` (missing ones null, types cast).
pub(super) fn conform_batch(batch: &RecordBatch, schema: &SchemaRef) -> Result<RecordBatch> {
    let columns = schema
        .fields()
        .iter()
        .map(|field| match batch.schema().index_of(field.name()) {
            Ok(i) => Ok(arrow::compute::cast(batch.column(i), field.data_type())?),
            Err(_) => Ok(arrow::array::new_null_array(field.data_type(), batch.num_rows())),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new(schema.clone(), columns)?)
}
