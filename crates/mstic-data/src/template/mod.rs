//! MSTICPy-compatible query templates: the YAML schema (metadata / defaults / sources /
//! parameters / query_macros), loading with validation that names the file, query and field, and
//! rendering by MSTICPy's rules (Python `str.format`, datetime and list formatting, blank-line
//! collapsing). [`builtin`] holds the shipped query library compiled into the crate.

pub mod builtin;
pub mod escape;
mod load;
mod pyformat;
mod render;
mod store;
mod value;

pub use load::{load_query_file, parse_query_file};
pub use pyformat::{python_format, substitute_placeholders, template_fields};
pub use escape::QueryLanguage;
pub use render::{FormatStyle, RenderOptions, render_query};
pub use store::{QueryOverride, QueryStore};
pub use builtin::BuiltinFile;
pub use value::{ListParam, ParamValue, python_float};

use serde_yaml_ng::Value;
use std::path::PathBuf;

/// The type of a template parameter (`type:` in YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ParamType {
    /// `str`: substituted as text.
    Str,
    /// `datetime`: resolved by the time-range rules and formatted for the environment.
    DateTime,
    /// `int`.
    Int,
    /// `float`.
    Float,
    /// `list`: a list, or a comma-separated string, formatted for the environment.
    List,
    /// `raw`: query text written as it is, not escaped - only for a template that takes a piece
    /// of query (a `where` clause, `add_query_items`); never fill one from data.
    Raw,
}

impl ParamType {
    /// The YAML names, in schema order.
    pub const NAMES: [&'static str; 6] = ["str", "datetime", "int", "float", "list", "raw"];

    /// Parses a YAML type name.
    pub fn parse(name: &str) -> Option<ParamType> {
        Some(match name {
            "str" => ParamType::Str,
            "datetime" => ParamType::DateTime,
            "int" => ParamType::Int,
            "float" => ParamType::Float,
            "list" => ParamType::List,
            "raw" => ParamType::Raw,
            _ => return None,
        })
    }

    /// The YAML name.
    pub fn name(&self) -> &'static str {
        match self {
            ParamType::Str => "str",
            ParamType::DateTime => "datetime",
            ParamType::Int => "int",
            ParamType::Float => "float",
            ParamType::List => "list",
            ParamType::Raw => "raw",
        }
    }
}

impl std::fmt::Display for ParamType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The parameter MSTICPy's query files use for extra query text, taken as `raw` whatever its
/// declared type.
pub const RAW_BY_NAME: &str = "add_query_items";

/// One parameter definition.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    /// Parameter name as used in the template (`{host_name}`).
    pub name: String,
    /// Declared type.
    pub param_type: ParamType,
    /// Description shown in help.
    pub description: String,
    /// Default value; `None` means the parameter is required.
    pub default: Option<ParamValue>,
    /// Other names accepted for this parameter.
    pub aliases: Vec<String>,
    /// Custom `format:` template applied to the value (`"{}"`-style).
    pub format: Option<String>,
}

impl ParamDef {
    /// Whether the caller must supply a value.
    pub fn is_required(&self) -> bool {
        self.default.is_none()
    }

    /// Whether the value is query text written unescaped: `type: raw`, and MSTICPy's
    /// `add_query_items` (which MSTICPy's own query files declare as `str`).
    pub fn is_raw(&self) -> bool {
        self.param_type == ParamType::Raw || self.name == RAW_BY_NAME
    }
}

/// One query (a `sources:` entry), with defaults and file metadata merged in.
///
/// # Example
/// ```
/// use mstic_data::provider::QueryProvider;
/// let qp = QueryProvider::new("LocalData")?;
/// let template = qp.store().get("WindowsSecurity.list_host_logons")?;
/// assert_eq!(template.table().as_deref(), Some("host_logons"));
/// assert_eq!(template.param("host").map(|p| p.name.as_str()), Some("host_name"));
/// assert!(template.required_params().any(|p| p.name == "host_name"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QueryTemplate {
    /// Query name (the `sources:` key).
    pub name: String,
    /// Description.
    pub description: String,
    /// Data families it belongs to (may be dotted, e.g. `Alerts.type1`).
    pub families: Vec<String>,
    /// The file's `data_environments`.
    pub environments: Vec<String>,
    /// The template text, with `$<macro>$` substitutions applied.
    pub query: String,
    /// Parameters: file defaults first, overridden/extended by the query's own.
    pub params: Vec<ParamDef>,
    /// Merged metadata (file, defaults, query), as YAML.
    pub metadata: Value,
    /// `args.uri`, if any.
    pub uri: Option<String>,
    /// The file it came from (empty for queries added in code).
    pub file: PathBuf,
}

impl QueryTemplate {
    /// What a driver is told about this template when it runs (its name and metadata).
    pub fn source(&self) -> crate::QuerySource {
        let name = match self.families.first() {
            Some(family) => format!("{family}.{}", self.name),
            None => self.name.clone(),
        };
        crate::QuerySource { name, metadata: self.metadata.clone() }
    }

    /// A parameter by name or alias.
    pub fn param(&self, name: &str) -> Option<&ParamDef> {
        self.params
            .iter()
            .find(|p| p.name == name)
            .or_else(|| self.params.iter().find(|p| p.aliases.iter().any(|a| a == name)))
    }

    /// The parameters without defaults.
    pub fn required_params(&self) -> impl Iterator<Item = &ParamDef> {
        self.params.iter().filter(|p| p.is_required())
    }

    /// The default of the `table` parameter, if any (used by search).
    pub fn table(&self) -> Option<String> {
        self.param("table").and_then(|p| p.default.as_ref()).map(ParamValue::python_str)
    }

    /// `Family.name` for each family.
    pub fn qualified_names(&self) -> Vec<String> {
        self.families.iter().map(|f| format!("{f}.{}", self.name)).collect()
    }
}

/// A loaded query file.
#[derive(Debug, Clone, PartialEq)]
pub struct QueryFile {
    /// Where it was read from.
    pub path: PathBuf,
    /// File-level `metadata.description`.
    pub description: String,
    /// File-level `metadata.data_environments`.
    pub environments: Vec<String>,
    /// File-level `metadata.data_families`.
    pub families: Vec<String>,
    /// The queries, in file order.
    pub queries: Vec<QueryTemplate>,
}
