//! What a notebook user sees about queries: the query list (`list_queries`, `search`), one
//! query's help, and the provider summary — each with text and HTML display.

use super::QueryProvider;
use crate::template::QueryTemplate;
use mstic_core::display::escape_html;
use mstic_core::{Frame, MimeBundle, Result};
use regex::RegexBuilder;

/// One line of a query list.
#[derive(Debug, Clone, PartialEq)]
pub struct QuerySummary {
    /// `Family.query`.
    pub name: String,
    /// Description.
    pub description: String,
    /// Required parameter names.
    pub required: Vec<String>,
}

/// A list of queries (from `list_queries` or `search`), shown as a table in a notebook.
///
/// # Example
/// ```
/// use mstic_data::provider::QueryProvider;
/// let list = QueryProvider::new("LocalData")?.list_queries_matching("host_logons");
/// assert!(list.names().contains(&"WindowsSecurity.list_host_logons".to_string()));
/// assert_eq!(list.to_frame()?.len(), list.len());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QueryList {
    /// The queries, sorted by name.
    pub queries: Vec<QuerySummary>,
}

impl QueryList {
    /// The qualified names.
    pub fn names(&self) -> Vec<String> {
        self.queries.iter().map(|q| q.name.clone()).collect()
    }

    /// Number of queries.
    pub fn len(&self) -> usize {
        self.queries.len()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.queries.is_empty()
    }

    /// The list as a Frame (`name`, `description`, `required_params`).
    pub fn to_frame(&self) -> Result<Frame> {
        let required: Vec<String> = self.queries.iter().map(|q| q.required.join(", ")).collect();
        let rows: Vec<Vec<Option<&str>>> = self
            .queries
            .iter()
            .zip(&required)
            .map(|(q, r)| vec![Some(q.name.as_str()), Some(q.description.as_str()), Some(r.as_str())])
            .collect();
        Frame::from_string_rows(&["name", "description", "required_params"], &rows)
    }

    /// HTML table.
    pub fn to_html(&self) -> String {
        let mut html = format!("<div><b>{} queries</b><table><tr><th>query</th><th>description</th><th>required</th></tr>", self.len());
        for q in &self.queries {
            html.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{}</td></tr>",
                escape_html(&q.name),
                escape_html(&q.description),
                escape_html(&q.required.join(", "))
            ));
        }
        html.push_str("</table></div>");
        html
    }

    /// Shows the list in a notebook cell.
    pub fn evcxr_display(&self) {
        MimeBundle::new().with_text("text/html", self.to_html()).with_text("text/plain", self.to_string()).emit_as_result();
    }
}

impl std::fmt::Display for QueryList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for q in &self.queries {
            writeln!(f, "{}", q.name)?;
        }
        Ok(())
    }
}

/// One parameter in query help.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamHelp {
    /// Name.
    pub name: String,
    /// Type name (`str`, `datetime`, `int`, `float`, `list`).
    pub param_type: String,
    /// Whether it must be given.
    pub required: bool,
    /// The default, as Python shows it.
    pub default: Option<String>,
    /// Description.
    pub description: String,
    /// Other accepted names.
    pub aliases: Vec<String>,
}

/// Help for one query (MSTICPy's `query_help`): its parameters with types, defaults and
/// descriptions, and the template text.
///
/// # Example
/// ```
/// use mstic_data::provider::QueryProvider;
/// let help = QueryProvider::new("LocalData")?.query_help("WindowsSecurity.list_host_logons")?;
/// assert_eq!(help.environment, "LocalData");
/// assert!(help.params.iter().any(|p| p.name == "host_name" && p.required && p.aliases == ["host"]));
/// assert!(help.to_string().starts_with("Query:  list_host_logons"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct QueryHelp {
    /// Query name.
    pub name: String,
    /// Environment it runs on.
    pub environment: String,
    /// Description.
    pub description: String,
    /// Parameters sorted by name.
    pub params: Vec<ParamHelp>,
    /// The template text.
    pub query: String,
}

impl QueryHelp {
    pub(crate) fn new(template: &QueryTemplate, environment: &str) -> Self {
        let mut params: Vec<ParamHelp> = template
            .params
            .iter()
            .map(|p| ParamHelp {
                name: p.name.clone(),
                param_type: p.param_type.name().to_string(),
                required: p.is_required(),
                default: p.default.as_ref().map(|d| d.python_str()),
                description: p.description.clone(),
                aliases: p.aliases.clone(),
            })
            .collect();
        params.sort_by(|a, b| a.name.cmp(&b.name));
        QueryHelp {
            name: template.name.clone(),
            environment: environment.to_string(),
            description: template.description.clone(),
            params,
            query: template.query.clone(),
        }
    }

    /// HTML view.
    pub fn to_html(&self) -> String {
        let mut html = format!(
            "<div><b>Query:</b> <code>{}</code> ({})<br/>{}<table><tr><th>parameter</th><th>type</th><th>default</th><th>description</th></tr>",
            escape_html(&self.name),
            escape_html(&self.environment),
            escape_html(&self.description)
        );
        for p in &self.params {
            let default = match &p.default {
                Some(d) => escape_html(&truncate(d)),
                None => "<i>required</i>".to_string(),
            };
            html.push_str(&format!(
                "<tr><td><code>{}</code></td><td>{}</td><td>{default}</td><td>{}</td></tr>",
                escape_html(&p.name),
                p.param_type,
                escape_html(&p.description)
            ));
        }
        html.push_str(&format!("</table><pre>{}</pre></div>", escape_html(&self.query)));
        html
    }

    /// Shows the help in a notebook cell.
    pub fn evcxr_display(&self) {
        MimeBundle::new().with_text("text/html", self.to_html()).with_text("text/plain", self.to_string()).emit_as_result();
    }
}

fn truncate(text: &str) -> String {
    if text.chars().count() > 50 { format!("{}...", text.chars().take(50).collect::<String>()) } else { text.to_string() }
}

impl std::fmt::Display for QueryHelp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "Query:  {}\nData source:  {}\n{}\n\nParameters\n----------", self.name, self.environment, self.description)?;
        for p in &self.params {
            writeln!(f, "{}: {}{}", p.name, p.param_type, if p.required { "" } else { " (optional)" })?;
            writeln!(f, "    {}", p.description)?;
            if let Some(d) = p.default.as_ref().filter(|d| !d.is_empty()) {
                writeln!(f, "    (default value is: {})", truncate(d))?;
            }
            if !p.aliases.is_empty() {
                let aliases: Vec<String> = p.aliases.iter().map(|a| format!("'{a}'")).collect();
                writeln!(f, "    Aliases: {}", aliases.join(", "))?;
            }
        }
        write!(f, "Query:\n{}", self.query)
    }
}

impl QueryProvider {
    /// Every query as `Family.query`, sorted (`list_queries_matching` filters by a substring).
    pub fn list_queries(&self) -> QueryList {
        self.collect(|_, _| true)
    }

    /// Queries whose name contains `substring` (case-insensitive).
    pub fn list_queries_matching(&self, substring: &str) -> QueryList {
        let wanted = substring.to_lowercase();
        self.collect(|name, _| name.to_lowercase().contains(&wanted))
    }

    /// Queries matching the regular expression `pattern` (case-insensitive) in their name,
    /// description, parameter names, `table` default or query text. An invalid pattern is
    /// searched for as plain text.
    pub fn search(&self, pattern: &str) -> QueryList {
        let regex = RegexBuilder::new(pattern)
            .case_insensitive(true)
            .build()
            .or_else(|_| RegexBuilder::new(&regex::escape(pattern)).case_insensitive(true).build())
            .expect("an escaped pattern is a valid regex");
        self.collect(|name, q| {
            regex.is_match(name)
                || regex.is_match(&q.description)
                || regex.is_match(&q.query)
                || q.table().is_some_and(|t| regex.is_match(&t))
                || q.params.iter().any(|p| regex.is_match(&p.name))
        })
    }

    /// Queries whose `table` parameter default matches `pattern` (case-insensitive regex).
    pub fn search_table(&self, pattern: &str) -> QueryList {
        let regex = RegexBuilder::new(&regex::escape(pattern)).case_insensitive(true).build().expect("escaped");
        self.collect(|_, q| q.table().is_some_and(|t| regex.is_match(&t)))
    }

    /// Help for query `name` (parameters with types, defaults and descriptions).
    pub fn query_help(&self, name: &str) -> Result<QueryHelp> {
        let template = self.store.get(name)?;
        Ok(QueryHelp::new(&template, self.environment()))
    }

    /// The queries `keep` selects, less those the connected driver refuses (MSTICPy filters the
    /// list on connect, e.g. to the connected Kusto cluster's queries).
    fn collect(&self, keep: impl Fn(&str, &QueryTemplate) -> bool) -> QueryList {
        let connected = self.driver.as_deref().filter(|d| d.is_connected());
        let queries = self
            .store
            .iter()
            .filter(|(name, q)| keep(name, q) && connected.is_none_or(|d| d.accepts(&q.source())))
            .map(|(name, q)| QuerySummary {
                name: name.to_string(),
                description: q.description.clone(),
                required: q.required_params().map(|p| p.name.clone()).collect(),
            })
            .collect();
        QueryList { queries }
    }

    /// HTML summary: environment, connection, query counts per family, load warnings.
    pub fn to_html(&self) -> String {
        let mut families: std::collections::BTreeMap<String, usize> = Default::default();
        for (name, _) in self.store.iter() {
            if let Some((family, _)) = name.rsplit_once('.') {
                *families.entry(family.to_string()).or_default() += 1;
            }
        }
        let mut html = format!(
            "<div><b>QueryProvider</b> {} &mdash; {} &mdash; {} queries<ul>",
            escape_html(self.environment()),
            if self.connected() { "connected" } else { "not connected" },
            self.store.len()
        );
        for (family, count) in &families {
            html.push_str(&format!("<li><code>{}</code>: {count}</li>", escape_html(family)));
        }
        html.push_str("</ul>");
        for warning in &self.warnings {
            html.push_str(&format!("<div style=\"color:#a60\">{}</div>", escape_html(warning)));
        }
        for note in self.notes() {
            html.push_str(&format!("<div style=\"color:#555\">note: {}</div>", escape_html(&note)));
        }
        html.push_str("</div>");
        html
    }

    /// Shows the provider summary in a notebook cell.
    pub fn evcxr_display(&self) {
        MimeBundle::new().with_text("text/html", self.to_html()).with_text("text/plain", self.summary_text()).emit_as_result();
    }

    /// Plain-text summary: environment, query count, connection, then warnings and notes.
    pub fn summary_text(&self) -> String {
        let mut text = format!("QueryProvider({}, {} queries, connected: {})", self.environment(), self.store.len(), self.connected());
        for warning in &self.warnings {
            text.push_str(&format!("\nwarning: {warning}"));
        }
        for note in self.notes() {
            text.push_str(&format!("\nnote: {note}"));
        }
        text
    }
}
