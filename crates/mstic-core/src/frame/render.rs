//! HTML and text renderings of a frame (row-capped, column types in the header), and its
//! notebook display.

use super::Frame;
use crate::display::{MimeBundle, escape_html};
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// Rows shown by default; a longer frame shows the first and last half of this.
pub const DEFAULT_MAX_ROWS: usize = 20;
const MAX_CELL_CHARS_TEXT: usize = 40;
const MAX_CELL_CHARS_HTML: usize = 300;

/// The rows to render: `(row index, cells)` for the head and tail, and whether rows were skipped.
struct Window {
    head: Vec<(usize, Vec<String>)>,
    tail: Vec<(usize, Vec<String>)>,
    skipped: bool,
}

fn format_options() -> FormatOptions<'static> {
    FormatOptions::default()
        .with_null("")
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
}

fn rows_of(frame: &Frame, offset: usize) -> Vec<(usize, Vec<String>)> {
    let options = format_options();
    let mut rows = Vec::new();
    let mut index = offset;
    for batch in frame.batches() {
        let formatters: Vec<Option<ArrayFormatter>> =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options).ok()).collect();
        for row in 0..batch.num_rows() {
            let cells = formatters
                .iter()
                .map(|f| f.as_ref().map(|f| f.value(row).to_string()).unwrap_or_else(|| "?".into()))
                .collect();
            rows.push((index, cells));
            index += 1;
        }
    }
    rows
}

fn window(frame: &Frame, max_rows: usize) -> Window {
    let len = frame.len();
    if len <= max_rows {
        return Window { head: rows_of(frame, 0), tail: Vec::new(), skipped: false };
    }
    let head_n = max_rows.div_ceil(2);
    let tail_n = max_rows / 2;
    Window {
        head: rows_of(&frame.head(head_n), 0),
        tail: rows_of(&frame.tail(tail_n), len - tail_n),
        skipped: true,
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max.saturating_sub(1)).collect();
        format!("{cut}…")
    }
}

fn short_type(data_type: &arrow::datatypes::DataType) -> String {
    use arrow::datatypes::DataType::*;
    match data_type {
        Timestamp(_, Some(tz)) => format!("datetime[{tz}]"),
        Timestamp(_, None) => "datetime".into(),
        Utf8 | LargeUtf8 | Utf8View => "str".into(),
        other => other.to_string().to_lowercase(),
    }
}

impl Frame {
    /// The frame as an HTML table showing at most `max_rows` rows (head and tail of longer frames).
    pub fn to_html(&self, max_rows: usize) -> String {
        let mut html = String::from(
            "<div class=\"mstic-frame\"><style>.mstic-frame table{border-collapse:collapse;font-size:12px}\
             .mstic-frame th,.mstic-frame td{border:1px solid #ddd;padding:2px 6px;text-align:left;vertical-align:top}\
             .mstic-frame th small{font-weight:normal;color:#888}.mstic-frame .warn{background:#fff3cd;padding:4px}</style>",
        );
        for warning in self.warnings() {
            html.push_str(&format!("<div class=\"warn\">⚠ {}</div>", escape_html(warning)));
        }
        html.push_str("<table class=\"dataframe\"><thead><tr><th></th>");
        for field in self.schema().fields() {
            html.push_str(&format!(
                "<th>{}<br><small>{}</small></th>",
                escape_html(field.name()),
                escape_html(&short_type(field.data_type()))
            ));
        }
        html.push_str("</tr></thead><tbody>");
        let window = window(self, max_rows);
        let push_rows = |html: &mut String, rows: &[(usize, Vec<String>)]| {
            for (index, cells) in rows {
                html.push_str(&format!("<tr><th>{index}</th>"));
                for cell in cells {
                    html.push_str(&format!("<td>{}</td>", escape_html(&truncate(cell, MAX_CELL_CHARS_HTML))));
                }
                html.push_str("</tr>");
            }
        };
        push_rows(&mut html, &window.head);
        if window.skipped {
            html.push_str(&format!("<tr><th>…</th>{}</tr>", "<td>…</td>".repeat(self.num_columns())));
        }
        push_rows(&mut html, &window.tail);
        html.push_str(&format!(
            "</tbody></table><p>{} rows × {} columns</p></div>",
            self.len(),
            self.num_columns()
        ));
        html
    }

    /// The frame as an aligned text table showing at most `max_rows` rows.
    pub fn to_text(&self, max_rows: usize) -> String {
        let schema = self.schema();
        let headers: Vec<String> = schema.fields().iter().map(|f| f.name().clone()).collect();
        let types: Vec<String> = schema.fields().iter().map(|f| short_type(f.data_type())).collect();
        let window = window(self, max_rows);
        let mut lines: Vec<Vec<String>> = vec![
            std::iter::once(String::new()).chain(headers.iter().cloned()).collect(),
            std::iter::once(String::new()).chain(types.iter().cloned()).collect(),
        ];
        let to_line = |(index, cells): &(usize, Vec<String>)| {
            std::iter::once(index.to_string()).chain(cells.iter().map(|c| truncate(c, MAX_CELL_CHARS_TEXT))).collect()
        };
        lines.extend(window.head.iter().map(to_line));
        if window.skipped {
            lines.push(vec!["…".to_string(); headers.len() + 1]);
        }
        lines.extend(window.tail.iter().map(to_line));
        let widths: Vec<usize> = (0..=headers.len())
            .map(|c| lines.iter().map(|l| l.get(c).map(|s| s.chars().count()).unwrap_or(0)).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for warning in self.warnings() {
            out.push_str(&format!("WARNING: {warning}\n"));
        }
        for line in &lines {
            let padded: Vec<String> = line
                .iter()
                .zip(&widths)
                .map(|(cell, width)| format!("{cell}{}", " ".repeat(width - cell.chars().count())))
                .collect();
            out.push_str(padded.join("  ").trim_end());
            out.push('\n');
        }
        out.push_str(&format!("[{} rows × {} columns]", self.len(), self.num_columns()));
        out
    }

    /// The frame's MIME bundle: `text/html` and `text/plain`.
    pub fn mime_bundle(&self) -> MimeBundle {
        MimeBundle::new()
            .with_text("text/html", self.to_html(DEFAULT_MAX_ROWS))
            .with_text("text/plain", self.to_text(DEFAULT_MAX_ROWS))
    }

    /// Shows the frame as the cell's result (called by evcxr for a cell's final value).
    pub fn evcxr_display(&self) {
        self.mime_bundle().emit_as_result();
    }

    /// Shows the frame now as its own output; several frames per cell each get one.
    pub fn display(&self) {
        self.mime_bundle().display();
    }
}
