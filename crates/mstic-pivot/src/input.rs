//! What a pivot function is called with: a value, a list, an entity, or a Frame and column —
//! plus the join back onto the input and extra query parameters.
//!
//! ```
//! # use mstic_pivot::{PivotInput, PivotJoin};
//! # use mstic_core::Frame;
//! let df = Frame::from_string_rows(&["ip"], &[vec![Some("10.0.0.1")]]).unwrap();
//! let single: PivotInput = "104.211.30.1".into();
//! let many: PivotInput = vec!["104.211.30.1", "192.168.0.1"].into();
//! let column = PivotInput::column(&df, "ip").join(PivotJoin::Left);
//! ```

use crate::entity::Entity;
use mstic_core::timespan::TimeInput;
use mstic_core::{Error, Frame, Result};
use mstic_data::template::ParamValue;

/// How pivot results are joined back onto the input rows (pandas' `merge(how=…)`).
///
/// # Example
/// ```
/// use mstic_core::Frame;
/// use mstic_pivot::{IpAddress, PivotInput, PivotJoin, Pivots};
/// let df = Frame::from_string_rows(&["host", "ip"], &[vec![Some("ws1"), Some("10.0.0.1")]])?;
/// let joined = IpAddress::util_in(&Pivots::new()).ip_type(PivotInput::column(&df, "ip").join(PivotJoin::Left))?;
/// assert_eq!(joined.column_strings("host")?, vec![Some("ws1".to_string())]);
/// assert_eq!(joined.column_strings("result")?, vec![Some("Private".to_string())]);
/// assert_eq!(PivotJoin::parse("full")?, PivotJoin::Outer);
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PivotJoin {
    /// Input rows with a result only.
    Inner,
    /// Every input row, with results where found.
    Left,
    /// Every result row, with input where matched.
    Right,
    /// Every row of both.
    Outer,
}

/// The former name of [`PivotJoin`] (it shadowed other `Join`s in notebook cells).
#[deprecated(note = "renamed PivotJoin")]
pub type Join = PivotJoin;

impl PivotJoin {
    /// Parses `inner`, `left`, `right` or `outer`.
    pub fn parse(name: &str) -> Result<PivotJoin> {
        match name.to_ascii_lowercase().as_str() {
            "inner" => Ok(PivotJoin::Inner),
            "left" => Ok(PivotJoin::Left),
            "right" => Ok(PivotJoin::Right),
            "outer" | "full" => Ok(PivotJoin::Outer),
            _ => Err(Error::unknown("join type", name, ["inner", "left", "right", "outer"])),
        }
    }

    /// The SQL join keyword.
    pub fn sql(self) -> &'static str {
        match self {
            PivotJoin::Inner => "INNER JOIN",
            PivotJoin::Left => "LEFT JOIN",
            PivotJoin::Right => "RIGHT JOIN",
            PivotJoin::Outer => "FULL OUTER JOIN",
        }
    }
}

impl From<&str> for PivotJoin {
    /// Unknown names fall back to `inner`; use [`PivotJoin::parse`] to validate.
    fn from(name: &str) -> PivotJoin {
        PivotJoin::parse(name).unwrap_or(PivotJoin::Inner)
    }
}

/// The values a pivot is applied to.
#[derive(Clone, Debug)]
pub enum PivotSource {
    /// One value.
    Value(String),
    /// Several values.
    Values(Vec<String>),
    /// An entity: the pivot uses the entity attribute it is registered for.
    Entity(Entity),
    /// Several entities (each gives its attribute value).
    Entities(Vec<Entity>),
    /// The values of a column of a Frame.
    Column(Frame, String),
}

/// A pivot call's input and options. Build it from a value, a list, an entity or
/// `(&frame, "column")`, then chain [`PivotInput::join`], [`PivotInput::param`]…
///
/// # Example
/// ```
/// use mstic_pivot::{IpAddress, PivotInput, PivotJoin, input::PivotSource};
/// let many: PivotInput = vec!["10.0.0.1", "8.8.8.8"].into();
/// assert!(matches!(&many.source, PivotSource::Values(v) if v.len() == 2));
/// let entity = PivotInput::from(IpAddress::new("10.0.0.1")).join("left").param("limit", 10);
/// assert!(matches!(entity.source, PivotSource::Entity(_)));
/// assert_eq!((entity.join, entity.params.len()), (Some(PivotJoin::Left), 1));
/// ```
#[derive(Clone, Debug)]
pub struct PivotInput {
    /// The values.
    pub source: PivotSource,
    /// Join the result back onto the input.
    pub join: Option<PivotJoin>,
    /// Input column to join on (default: the input column).
    pub left_on: Option<String>,
    /// Result column to join on (default: the function's output key column).
    pub right_on: Option<String>,
    /// Join case-insensitively.
    pub join_ignore_case: bool,
    /// Extra parameters (query pivots: other query parameters).
    pub params: Vec<(String, ParamValue)>,
    /// Query start (query pivots; default the registry's time span).
    pub start: Option<TimeInput>,
    /// Query end.
    pub end: Option<TimeInput>,
}

impl PivotInput {
    fn of(source: PivotSource) -> Self {
        PivotInput { source, join: None, left_on: None, right_on: None, join_ignore_case: false, params: Vec::new(), start: None, end: None }
    }

    /// The values of `column` of `frame` (the frame is shared, not copied).
    pub fn column(frame: &Frame, column: &str) -> Self {
        PivotInput::of(PivotSource::Column(frame.clone(), column.to_string()))
    }

    /// Joins the result back onto the input (`"inner"`, `"left"`, `"right"`, `"outer"` or [`PivotJoin`]).
    pub fn join(mut self, how: impl Into<PivotJoin>) -> Self {
        self.join = Some(how.into());
        self
    }

    /// Joins on these columns instead of the defaults (input column, function output key).
    pub fn join_on(mut self, left_on: &str, right_on: &str) -> Self {
        self.left_on = Some(left_on.to_string());
        self.right_on = Some(right_on.to_string());
        self
    }

    /// Joins ignoring case.
    pub fn ignore_case(mut self, ignore: bool) -> Self {
        self.join_ignore_case = ignore;
        self
    }

    /// Adds a parameter passed to the function (query pivots: any query parameter).
    pub fn param(mut self, name: &str, value: impl Into<ParamValue>) -> Self {
        self.params.retain(|(n, _)| n != name);
        self.params.push((name.to_string(), value.into()));
        self
    }

    /// Query start time (days from now, datetime or text).
    pub fn start(mut self, start: impl Into<TimeInput>) -> Self {
        self.start = Some(start.into());
        self
    }

    /// Query end time.
    pub fn end(mut self, end: impl Into<TimeInput>) -> Self {
        self.end = Some(end.into());
        self
    }
}

impl From<&str> for PivotInput {
    fn from(value: &str) -> Self {
        PivotInput::of(PivotSource::Value(value.to_string()))
    }
}
impl From<String> for PivotInput {
    fn from(value: String) -> Self {
        PivotInput::of(PivotSource::Value(value))
    }
}
impl From<&String> for PivotInput {
    fn from(value: &String) -> Self {
        PivotInput::of(PivotSource::Value(value.clone()))
    }
}
impl From<Vec<String>> for PivotInput {
    fn from(values: Vec<String>) -> Self {
        PivotInput::of(PivotSource::Values(values))
    }
}
impl From<Vec<&str>> for PivotInput {
    fn from(values: Vec<&str>) -> Self {
        PivotInput::of(PivotSource::Values(values.into_iter().map(str::to_string).collect()))
    }
}
impl From<&[&str]> for PivotInput {
    fn from(values: &[&str]) -> Self {
        PivotInput::of(PivotSource::Values(values.iter().map(|v| v.to_string()).collect()))
    }
}
impl From<&[String]> for PivotInput {
    fn from(values: &[String]) -> Self {
        PivotInput::of(PivotSource::Values(values.to_vec()))
    }
}
impl<const N: usize> From<[&str; N]> for PivotInput {
    fn from(values: [&str; N]) -> Self {
        PivotInput::of(PivotSource::Values(values.iter().map(|v| v.to_string()).collect()))
    }
}
impl From<Entity> for PivotInput {
    fn from(entity: Entity) -> Self {
        PivotInput::of(PivotSource::Entity(entity))
    }
}
impl From<Vec<Entity>> for PivotInput {
    fn from(entities: Vec<Entity>) -> Self {
        PivotInput::of(PivotSource::Entities(entities))
    }
}
impl From<&Entity> for PivotInput {
    fn from(entity: &Entity) -> Self {
        PivotInput::of(PivotSource::Entity(entity.clone()))
    }
}
impl From<(&Frame, &str)> for PivotInput {
    fn from((frame, column): (&Frame, &str)) -> Self {
        PivotInput::column(frame, column)
    }
}
impl From<(Frame, &str)> for PivotInput {
    fn from((frame, column): (Frame, &str)) -> Self {
        PivotInput::column(&frame, column)
    }
}

macro_rules! entity_inputs {
    ($($t:ident),*) => {$(
        impl From<crate::entity::$t> for PivotInput {
            fn from(entity: crate::entity::$t) -> Self {
                PivotInput::of(PivotSource::Entity(entity.0))
            }
        }
        impl From<&crate::entity::$t> for PivotInput {
            fn from(entity: &crate::entity::$t) -> Self {
                PivotInput::of(PivotSource::Entity(entity.0.clone()))
            }
        }
        impl From<Vec<crate::entity::$t>> for PivotInput {
            fn from(entities: Vec<crate::entity::$t>) -> Self {
                PivotInput::of(PivotSource::Entities(entities.into_iter().map(|e| e.0).collect()))
            }
        }
        impl From<&[crate::entity::$t]> for PivotInput {
            fn from(entities: &[crate::entity::$t]) -> Self {
                PivotInput::of(PivotSource::Entities(entities.iter().map(|e| e.0.clone()).collect()))
            }
        }
    )*};
}
entity_inputs!(IpAddress, Host, Account, Url, Dns, File, FileHash, Process, Alert, GeoLocation, AzureResource, HostLogonSession);
