//! The Kusto Query Language (KQL) as Rust MSTIC reads it: [`parse`] turns a query into a
//! [`ast::Query`]; a [`SyntaxError`] points at the text with a caret and says what was expected.
//! Planning onto DataFusion lives in `mstic-kql`.
//!
//! - [`lexer`] splits the text into tokens (it never fails; bad text becomes an error token),
//! - [`parser`] builds the [`ast`] tree (`let` statements, then one tabular expression),
//! - [`error`] holds [`SyntaxError`] and [`caret`], which renders any message under the text.
//!
//! ```
//! use mstic_kql_syntax::{ast::Operator, parse};
//!
//! let query = parse("SecurityEvent | where EventID == 4624 | summarize count() by Computer").unwrap();
//! assert!(matches!(query.body.ops[1].kind, Operator::Summarize { .. }));
//!
//! let text = "SecurityEvent\n| where EventID ==";
//! let error = parse(text).unwrap_err();
//! assert_eq!(
//!     error.render(text),
//!     "KQL syntax error at line 2, column 19: expected an expression after `==`\n\
//!      | | where EventID ==\n\
//!      |                   ^"
//! );
//! ```

// `LetValue::Tabular` holds a `Tabular` inline by design of the tree's contract.
#[allow(clippy::large_enum_variant)]
pub mod ast;
pub mod error;
pub mod lexer;
pub mod parser;

pub use error::{SyntaxError, caret};
pub use parser::{parse, parse_expr};
