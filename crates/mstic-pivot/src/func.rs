//! [`PivotFunc`]: one pivot function attached to an entity — how its input (value, list, entity,
//! Frame column) becomes a table, how the wrapped function runs, and how the result is joined
//! back onto the input.

use crate::entity::EntityKind;
use crate::input::{PivotInput, PivotSource};
use crate::join::{SOURCE_ROW, drop_column, join_by_row, join_frames};
use crate::query::QueryPivot;
use arrow::array::{ArrayRef, StringArray, UInt64Array};
use mstic_core::display::escape_html;
use mstic_core::{Error, Frame, MimeBundle, Result};
use mstic_data::template::ParamValue;
use std::sync::Arc;

/// A function over a table: `(input frame, input column, extra parameters) -> result frame`.
pub type FrameFn = Arc<dyn Fn(&Frame, &str, &[(String, ParamValue)]) -> Result<Frame> + Send + Sync>;
/// One result row of a per-value function: `(column, value)` pairs.
pub type ResultRow = Vec<(String, Option<String>)>;
/// A function over one value: returns its result row.
pub type ValueFn = Arc<dyn Fn(&str) -> Result<ResultRow> + Send + Sync>;

/// What a pivot function runs.
#[derive(Clone)]
pub enum PivotAction {
    /// Called once with the whole input table (MSTICPy `input_type: dataframe`).
    Frame(FrameFn),
    /// Called once per input value (MSTICPy `input_type: value`); rows get `src_row_index`.
    Value(ValueFn),
    /// A data query of a QueryProvider.
    Query(QueryPivot),
}

/// One pivot function: `IpAddress.util.ip_type`, `Dns.ti.lookup_dns`, `Host.LocalData.list_host_logons`…
///
/// # Example
/// ```
/// use mstic_pivot::Pivots;
/// let ip_type = Pivots::new().get("IpAddress", "util.ip_type")?;
/// assert_eq!(ip_type.full_name(), "IpAddress.util.ip_type");
/// assert_eq!(ip_type.attribute, "Address");
/// assert_eq!(ip_type.call("127.0.0.1")?.column_strings("result")?, vec![Some("Loopback".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct PivotFunc {
    /// Function name within its container.
    pub name: String,
    /// Container name (`util`, `ti`, or the data environment of a query provider).
    pub container: String,
    /// The entity it is attached to.
    pub entity: EntityKind,
    /// The entity attribute used when called with an entity (`Address`, `fqdn`…).
    pub attribute: String,
    /// The column name given to values that are not already in a Frame.
    pub input_column: String,
    /// The result column that holds the input value (join key).
    pub out_key: String,
    /// What it does.
    pub description: String,
    /// The function it wraps (for help).
    pub wraps: String,
    pub(crate) action: PivotAction,
}

impl PivotFunc {
    /// A pivot function; `action` does the work.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        entity: EntityKind,
        container: &str,
        name: &str,
        attribute: &str,
        input_column: &str,
        out_key: &str,
        description: &str,
        action: PivotAction,
    ) -> Self {
        PivotFunc {
            name: name.to_string(),
            container: container.to_string(),
            entity,
            attribute: attribute.to_string(),
            input_column: input_column.to_string(),
            out_key: out_key.to_string(),
            description: description.to_string(),
            wraps: String::new(),
            action,
        }
    }

    /// `Entity.container.name`.
    pub fn full_name(&self) -> String {
        format!("{}.{}.{}", self.entity, self.container, self.name)
    }

    /// Runs the function on a value, list, entity or `(&frame, "column")`, joining back onto
    /// the input when the input says so (`PivotInput::column(&df, "ip").join("left")`).
    pub fn call(&self, input: impl Into<PivotInput>) -> Result<Frame> {
        let input = input.into();
        let (frame, column) = self.input_frame(&input)?;
        let result = match &self.action {
            PivotAction::Frame(f) => f(&frame, &column, &input.params)?,
            PivotAction::Value(f) => self.per_value(f, &frame, &column)?,
            PivotAction::Query(q) => q.run(&frame, &column, &input)?,
        };
        let Some(how) = input.join else { return Ok(result) };
        let joined = match (&input.left_on, &input.right_on) {
            (None, None) if matches!(self.action, PivotAction::Query(_)) && result.has_column(SOURCE_ROW) => {
                join_by_row(&frame, &result, how)?
            }
            // Per-value results map one-to-one onto input rows: join by row, without repeating
            // the input value.
            (None, None) if matches!(self.action, PivotAction::Value(_)) => {
                join_by_row(&frame, &drop_column(&result, &self.out_key)?, how)?
            }
            (left, right) => {
                let left = left.clone().unwrap_or_else(|| column.clone());
                let right = right.clone().unwrap_or_else(|| self.out_key.clone());
                join_frames(&frame, &result, &left, &right, how, input.join_ignore_case)?
            }
        };
        drop_column(&joined, SOURCE_ROW)
    }

    /// The input as a table and the column holding the values.
    fn input_frame(&self, input: &PivotInput) -> Result<(Frame, String)> {
        let values = match &input.source {
            PivotSource::Column(frame, column) => {
                frame.column_index(column)?;
                return Ok((frame.clone(), column.clone()));
            }
            PivotSource::Value(v) => vec![v.clone()],
            PivotSource::Values(vs) => vs.clone(),
            PivotSource::Entity(entity) => vec![self.entity_value(entity)?],
            PivotSource::Entities(entities) => entities.iter().map(|e| self.entity_value(e)).collect::<Result<Vec<_>>>()?,
        };
        let array: ArrayRef = Arc::new(StringArray::from(values));
        Ok((Frame::from_columns(vec![(self.input_column.clone(), array)])?, self.input_column.clone()))
    }

    /// The value of the entity attribute this function takes.
    fn entity_value(&self, entity: &crate::entity::Entity) -> Result<String> {
        entity.get_str(&self.attribute).ok_or_else(|| {
            Error::invalid(self.full_name(), format!("the {} entity has no '{}' value to pivot on", entity.kind(), self.attribute))
        })
    }

    /// Calls a value function for each row; the result rows carry the input value in `out_key`.
    fn per_value(&self, f: &ValueFn, frame: &Frame, column: &str) -> Result<Frame> {
        let mut names: Vec<String> = vec![self.out_key.clone()];
        let mut rows: Vec<(u64, String, ResultRow)> = Vec::new();
        // Each distinct value is computed once (columns repeat values a lot).
        let mut computed: std::collections::HashMap<String, ResultRow> = std::collections::HashMap::new();
        for (index, value) in frame.column_strings(column)?.into_iter().enumerate() {
            let Some(value) = value else { continue };
            let fields = match computed.get(&value) {
                Some(fields) => fields.clone(),
                None => {
                    let fields = f(&value)?;
                    computed.insert(value.clone(), fields.clone());
                    fields
                }
            };
            for (name, _) in &fields {
                if !names.contains(name) {
                    names.push(name.clone());
                }
            }
            rows.push((index as u64, value, fields));
        }
        let mut columns: Vec<(String, ArrayRef)> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let values: Vec<Option<String>> = rows
                    .iter()
                    .map(|(_, input, fields)| {
                        if i == 0 {
                            Some(input.clone())
                        } else {
                            fields.iter().find(|(n, _)| n == name).and_then(|(_, v)| v.clone())
                        }
                    })
                    .collect();
                (name.clone(), Arc::new(StringArray::from(values)) as ArrayRef)
            })
            .collect();
        columns.push((SOURCE_ROW.to_string(), Arc::new(UInt64Array::from_iter_values(rows.iter().map(|r| r.0)))));
        Frame::from_columns(columns)
    }

    /// A help text: name, description, input attribute and call forms.
    pub fn help(&self) -> String {
        let mut text = format!("{}\n  {}\n", self.full_name(), self.description);
        if !self.wraps.is_empty() {
            text.push_str(&format!("  wraps: {}\n", self.wraps));
        }
        text.push_str(&format!(
            "  entity attribute: {}   input column: {}   result key column: {}\n",
            self.attribute, self.input_column, self.out_key
        ));
        text.push_str(
            "  call with: a value, a list (vec![…]), an entity, or (&frame, \"column\");\n  \
             PivotInput::column(&frame, \"column\").join(\"left\") joins the result back onto the input",
        );
        text
    }

    /// Shows the help as the cell's result.
    pub fn evcxr_display(&self) {
        let html = format!("<pre>{}</pre>", escape_html(&self.help()));
        MimeBundle::new().with_text("text/html", html).with_text("text/plain", self.help()).emit_as_result();
    }
}

impl std::fmt::Debug for PivotFunc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.full_name())
    }
}
