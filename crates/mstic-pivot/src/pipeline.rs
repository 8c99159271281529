//! Pivot pipelines: chained steps over a Frame, in code or in MSTICPy's YAML format
//! (`pipelines: <name>: {description, steps: [{name, step_type, function, entity, comment,
//! pos_params, params}]}`), printable as MSTICPy's pandas code (`print_pipeline`).
//!
//! Step types: `pivot` (run `Entity.container.function` on a column, `join` optional),
//! `pivot_display` (show `cols`/`head` with a `title`, pass through), `pivot_tee` (keep the
//! frame as `var_name`, see [`Pivots::teed`]), and `pivot_tee_exec`/`pd_accessor` for the Frame
//! methods `sql`, `head`, `tail`, `select` and `count_by`.

use crate::input::{PivotJoin, PivotInput};
use crate::registry::Pivots;
use mstic_core::{Error, Frame, Result};
use mstic_data::template::{ParamValue, python_float};
use serde_yaml_ng::{Mapping, Value};

/// The step types of MSTICPy's pipelines and the accessor each prints as.
const STEP_TYPES: [(&str, &str); 5] = [
    ("pivot", "mp_pivot.run"),
    ("pivot_display", "mp_pivot.display"),
    ("pivot_tee", "mp_pivot.tee"),
    ("pivot_tee_exec", "mp_pivot.tee_exec"),
    ("pd_accessor", ""),
];

/// Parameter names that name the input column of a pivot step (MSTICPy's list).
const COLUMN_PARAMS: [&str; 5] = ["column", "input_column", "input_col", "src_column", "src_col"];

/// One pipeline step: a pivot, a display, a tee or a Frame method.
///
/// # Example
/// ```
/// use mstic_pivot::PipelineStep;
/// let step = PipelineStep::pivot("ip types", "IpAddress", "util.ip_type", "SourceIP", Some("left"));
/// assert_eq!(step.step_type, "pivot");
/// assert_eq!(step.code_text(), ".mp_pivot.run(IpAddress.util.ip_type, column='SourceIP', join='left')");
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineStep {
    /// Step name.
    pub name: String,
    /// `pivot`, `pivot_display`, `pivot_tee`, `pivot_tee_exec` or `pd_accessor`.
    pub step_type: String,
    /// Pivot path (`util.whois`) or Frame method.
    pub function: Option<String>,
    /// Entity of a pivot step.
    pub entity: Option<String>,
    /// Comment printed above the step.
    pub comment: Option<String>,
    /// Positional parameters.
    pub pos_params: Vec<Value>,
    /// Named parameters, in order.
    pub params: Mapping,
}

impl PipelineStep {
    /// A `pivot` step: `entity.function` on `column`, joined with `join` when given.
    pub fn pivot(name: &str, entity: &str, function: &str, column: &str, join: Option<&str>) -> Self {
        let mut params = Mapping::new();
        params.insert("column".into(), column.into());
        if let Some(join) = join {
            params.insert("join".into(), join.into());
        }
        PipelineStep {
            name: name.into(),
            step_type: "pivot".into(),
            function: Some(function.into()),
            entity: Some(entity.into()),
            comment: None,
            pos_params: Vec::new(),
            params,
        }
    }

    /// A step from its YAML mapping; unknown step types are errors naming the step.
    pub fn from_yaml_value(value: &Value) -> Result<Self> {
        let map = value.as_mapping().ok_or_else(|| Error::invalid("pipeline step", "each step must be a mapping"))?;
        let text = |key: &str| map.get(key).and_then(Value::as_str).map(str::to_string);
        let name = text("name").ok_or_else(|| Error::invalid("pipeline step", "a step needs a 'name'"))?;
        let step_type = text("step_type").ok_or_else(|| Error::invalid(format!("pipeline step '{name}'"), "'step_type' is missing"))?;
        if !STEP_TYPES.iter().any(|(t, _)| *t == step_type) {
            return Err(Error::unknown("pipeline step type", &step_type, STEP_TYPES.iter().map(|(t, _)| *t)));
        }
        Ok(PipelineStep {
            name,
            step_type,
            function: text("function"),
            entity: text("entity"),
            comment: text("comment"),
            pos_params: map.get("pos_params").and_then(Value::as_sequence).cloned().unwrap_or_default(),
            params: map.get("params").and_then(Value::as_mapping).cloned().unwrap_or_default(),
        })
    }

    fn to_yaml_value(&self) -> Value {
        let mut map = Mapping::new();
        let opt = |v: &Option<String>| v.clone().map(Value::String).unwrap_or(Value::Null);
        map.insert("name".into(), self.name.clone().into());
        map.insert("step_type".into(), self.step_type.clone().into());
        map.insert("function".into(), opt(&self.function));
        map.insert("entity".into(), opt(&self.entity));
        map.insert("comment".into(), opt(&self.comment));
        map.insert("pos_params".into(), Value::Sequence(self.pos_params.clone()));
        map.insert("params".into(), Value::Mapping(self.params.clone()));
        Value::Mapping(map)
    }

    /// The parameters as MSTICPy prints them: positional, then text, then other values.
    fn param_text(&self) -> String {
        let mut parts: Vec<String> = self.pos_params.iter().map(python_repr).collect();
        parts.extend(self.params.iter().filter(|(_, v)| v.is_string()).map(|(k, v)| format!("{}={}", key_text(k), python_repr(v))));
        parts.extend(self.params.iter().filter(|(_, v)| !v.is_string()).map(|(k, v)| format!("{}={}", key_text(k), python_repr(v))));
        parts.join(", ")
    }

    /// The step as MSTICPy's pandas code (`.mp_pivot.run(IpAddress.util.whois, column='IpAddress')`).
    pub fn code_text(&self) -> String {
        let accessor = STEP_TYPES.iter().find(|(t, _)| *t == self.step_type).map_or("", |(_, a)| a);
        let function = self.function.clone().unwrap_or_default();
        match self.step_type.as_str() {
            "pivot" => format!(".{accessor}({}.{function}, {})", self.entity.clone().unwrap_or_default(), self.param_text()),
            "pivot_tee_exec" => format!(".{accessor}({}, {})", python_str(&function), self.param_text()),
            "pd_accessor" => format!(".{function}({})", self.param_text()),
            _ => format!(".{accessor}({})", self.param_text()),
        }
    }
}

fn key_text(key: &Value) -> String {
    key.as_str().map(str::to_string).unwrap_or_else(|| python_repr(key))
}

/// A YAML value as Python's `repr` shows it (strings quoted with `'`, `True`, `None`, lists).
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(b) => if *b { "True" } else { "False" }.into(),
        Value::Number(n) => n.as_i64().map(|i| i.to_string()).unwrap_or_else(|| python_float(n.as_f64().unwrap_or(0.0))),
        Value::String(s) => python_str(s),
        Value::Sequence(items) => format!("[{}]", items.iter().map(python_repr).collect::<Vec<_>>().join(", ")),
        Value::Mapping(map) => {
            format!("{{{}}}", map.iter().map(|(k, v)| format!("{}: {}", python_repr(k), python_repr(v))).collect::<Vec<_>>().join(", "))
        }
        Value::Tagged(tagged) => python_repr(&tagged.value),
    }
}

/// A string literal as Python's `repr` writes it: in `'…'`, or in `"…"` when the text has a `'` and
/// no `"`; backslashes, the chosen quote and control characters escaped, so the printed code runs.
fn python_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') { '"' } else { '\'' };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// A named sequence of steps run over a Frame (MSTICPy's pivot pipelines).
///
/// # Example
/// ```
/// use mstic_core::Frame;
/// use mstic_pivot::{Pipeline, PipelineStep, Pivots};
/// let data = Frame::from_string_rows(&["SourceIP"], &[vec![Some("10.0.0.1")], vec![Some("8.8.8.8")]])?;
/// let pipeline = Pipeline::new("ip_types", Some("The type of each address"))
///     .step(PipelineStep::pivot("types", "IpAddress", "util.ip_type", "SourceIP", Some("left")));
/// let result = pipeline.run(&Pivots::new(), &data)?;
/// assert_eq!(result.column_strings("result")?, vec![Some("Private".to_string()), Some("Public".to_string())]);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// Pipeline name.
    pub name: String,
    /// Description (printed as the first comment).
    pub description: Option<String>,
    /// The steps, in order.
    pub steps: Vec<PipelineStep>,
}

impl Pipeline {
    /// An empty pipeline.
    pub fn new(name: &str, description: Option<&str>) -> Self {
        Pipeline { name: name.into(), description: description.map(str::to_string), steps: Vec::new() }
    }

    /// The same pipeline with one more step.
    pub fn step(mut self, step: PipelineStep) -> Self {
        self.steps.push(step);
        self
    }

    /// Every pipeline of a YAML document with a top-level `pipelines:` mapping.
    pub fn from_yaml(text: &str) -> Result<Vec<Pipeline>> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::invalid("pipeline YAML", e.to_string()))?;
        let Some(pipelines) = doc.get("pipelines").and_then(Value::as_mapping) else {
            return Err(Error::invalid("pipeline YAML", "expected a top-level 'pipelines:' mapping"));
        };
        pipelines.iter().map(|(name, body)| Self::parse_named(name, body)).collect()
    }

    /// One pipeline from YAML of the form `<name>: {description, steps}`.
    pub fn parse_pipeline(text: &str) -> Result<Pipeline> {
        let doc: Value = serde_yaml_ng::from_str(text).map_err(|e| Error::invalid("pipeline YAML", e.to_string()))?;
        let (name, body) = doc
            .as_mapping()
            .and_then(|m| m.iter().next())
            .ok_or_else(|| Error::invalid("pipeline YAML", "expected '<name>: {description, steps}'"))?;
        Self::parse_named(name, body)
    }

    fn parse_named(name: &Value, body: &Value) -> Result<Pipeline> {
        let name = key_text(name);
        let map = body.as_mapping().ok_or_else(|| Error::invalid(format!("pipeline '{name}'"), "could not be parsed: expected a mapping"))?;
        let steps = map
            .get("steps")
            .and_then(Value::as_sequence)
            .map(|s| s.iter().map(PipelineStep::from_yaml_value).collect::<Result<Vec<_>>>())
            .transpose()
            .map_err(|e| Error::invalid(format!("pipeline '{name}'"), e.to_string()))?
            .unwrap_or_default();
        let description = map.get("description").and_then(Value::as_str).map(str::to_string);
        Ok(Pipeline { name, description, steps })
    }

    /// The pipeline as YAML (`<name>: {description, steps}`), readable by [`Pipeline::parse_pipeline`].
    pub fn to_yaml(&self) -> String {
        let mut body = Mapping::new();
        body.insert("description".into(), self.description.clone().map(Value::String).unwrap_or(Value::Null));
        body.insert("steps".into(), Value::Sequence(self.steps.iter().map(PipelineStep::to_yaml_value).collect()));
        let mut doc = Mapping::new();
        doc.insert(self.name.clone().into(), Value::Mapping(body));
        serde_yaml_ng::to_string(&Value::Mapping(doc)).unwrap_or_default()
    }

    /// Prints the pipeline as MSTICPy's pandas code (with step comments when `comments` is
    /// true) to the cell's output, as MSTICPy's `print_pipeline` does; [`Pipeline::pipeline_code`]
    /// returns the text instead.
    pub fn print_pipeline(&self, df_name: &str, comments: bool) {
        println!("{}", self.pipeline_code(df_name, comments));
    }

    /// The pipeline as MSTICPy's pandas code, applied to the data frame named `df_name`, with step
    /// comments when `comments` is true.
    ///
    /// # Example
    /// ```
    /// use mstic_pivot::Pipeline;
    /// let yaml = "urls:\n  description: Pivot on URLs\n  steps:\n    - name: filter\n      step_type: pd_accessor\n      function: query\n      pos_params: [\"Url == 'a'\"]\n";
    /// let pipeline = Pipeline::parse_pipeline(yaml)?;
    /// assert_eq!(pipeline.pipeline_code("df", false), "(\n    df\n    .query(\"Url == 'a'\")\n)");
    /// # Ok::<(), mstic_core::Error>(())
    /// ```
    pub fn pipeline_code(&self, df_name: &str, comments: bool) -> String {
        let mut lines = Vec::new();
        if comments {
            lines.push(format!("# {}", self.description.clone().unwrap_or_else(|| self.name.clone())));
        }
        lines.push("(".to_string());
        lines.push(format!("    {df_name}"));
        for step in &self.steps {
            if comments {
                lines.push(format!("    # {}", step.comment.clone().unwrap_or_else(|| step.name.clone())));
            }
            lines.push(format!("    {}", step.code_text()));
        }
        lines.push(")".to_string());
        lines.join("\n")
    }

    /// Runs the steps on `data` with the pivots of `pivots`; errors name the failing step.
    pub fn run(&self, pivots: &Pivots, data: &Frame) -> Result<Frame> {
        let mut frame = data.clone();
        for step in &self.steps {
            frame = run_step(pivots, step, &frame).map_err(|e| Error::Other(format!("pipeline '{}', step '{}': {e}", self.name, step.name)))?;
        }
        Ok(frame)
    }
}

fn param<'a>(step: &'a PipelineStep, name: &str) -> Option<&'a Value> {
    step.params.get(name)
}

fn text_list(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::Sequence(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        Some(Value::String(s)) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn run_step(pivots: &Pivots, step: &PipelineStep, frame: &Frame) -> Result<Frame> {
    match step.step_type.as_str() {
        "pivot" => {
            let entity = step.entity.as_deref().ok_or_else(|| Error::invalid("step", "a pivot step needs 'entity'"))?;
            let function = step.function.as_deref().ok_or_else(|| Error::invalid("step", "a pivot step needs 'function'"))?;
            let column = COLUMN_PARAMS
                .iter()
                .find_map(|p| param(step, p).and_then(Value::as_str))
                .ok_or_else(|| Error::invalid("step", "give the input column as 'column'"))?;
            let mut input = PivotInput::column(frame, column);
            for (key, value) in &step.params {
                let key = key_text(key);
                match key.as_str() {
                    "join" => input = input.join(PivotJoin::parse(value.as_str().unwrap_or_default())?),
                    "left_on" | "right_on" => {}
                    "join_ignore_case" => input = input.ignore_case(value.as_bool().unwrap_or(false)),
                    k if COLUMN_PARAMS.contains(&k) => {}
                    k => input = input.param(k, ParamValue::from_yaml(value)),
                }
            }
            if let (Some(l), Some(r)) = (param(step, "left_on").and_then(Value::as_str), param(step, "right_on").and_then(Value::as_str)) {
                input = input.join_on(l, r);
            }
            pivots.get(entity, function)?.call(input)
        }
        "pivot_display" => {
            if let Some(title) = param(step, "title").and_then(Value::as_str) {
                mstic_core::MimeBundle::new()
                    .with_text("text/html", format!("<h3>{}</h3>", mstic_core::display::escape_html(title)))
                    .with_text("text/plain", title)
                    .display();
            }
            let mut shown = frame.clone();
            let cols = text_list(param(step, "cols"));
            if !cols.is_empty() {
                shown = shown.select(&cols.iter().map(String::as_str).collect::<Vec<_>>())?;
            }
            if let Some(n) = param(step, "head").and_then(Value::as_u64) {
                shown = shown.head(n as usize);
            }
            shown.display();
            Ok(frame.clone())
        }
        "pivot_tee" => {
            let name = param(step, "var_name").and_then(Value::as_str).ok_or_else(|| Error::invalid("step", "pivot_tee needs 'var_name'"))?;
            let clobber = param(step, "clobber").and_then(Value::as_bool).unwrap_or(false);
            pivots.tee(name, frame, clobber);
            Ok(frame.clone())
        }
        "pivot_tee_exec" => {
            frame_method(step, frame)?.display();
            Ok(frame.clone())
        }
        _ => frame_method(step, frame),
    }
}

/// The Frame methods a `pd_accessor`/`pivot_tee_exec` step can name.
fn frame_method(step: &PipelineStep, frame: &Frame) -> Result<Frame> {
    let function = step.function.as_deref().unwrap_or_default();
    let first = step.pos_params.first().and_then(Value::as_str).map(str::to_string);
    let arg = |name: &str| first.clone().or_else(|| param(step, name).and_then(Value::as_str).map(str::to_string));
    let count = step.pos_params.first().and_then(Value::as_u64).or_else(|| param(step, "n").and_then(Value::as_u64)).unwrap_or(5) as usize;
    match function {
        "sql" => frame.sql(&arg("query").ok_or_else(|| Error::invalid("step", "sql needs a query"))?),
        "head" => Ok(frame.head(count)),
        "tail" => Ok(frame.tail(count)),
        "count_by" => frame.count_by(&arg("column").ok_or_else(|| Error::invalid("step", "count_by needs a column"))?),
        "select" => {
            let cols = text_list(param(step, "cols").or(step.pos_params.first()));
            frame.select(&cols.iter().map(String::as_str).collect::<Vec<_>>())
        }
        other => Err(Error::unknown("frame method", other, ["sql", "head", "tail", "count_by", "select"])),
    }
}
