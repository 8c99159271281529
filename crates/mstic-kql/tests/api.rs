//! The public API: sessions over frames and files, `frame.kql`, error text with carets, `render`
//! charts, and the `%%kql` language registered for magic cells.

use mstic_core::Frame;
use mstic_kql::{FrameKql, KqlSession};
use std::path::Path;

fn events() -> Frame {
    Frame::read_csv(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/events.csv")).unwrap()
}

#[test]
fn a_frame_is_table_t() {
    let counts = events().kql("T | summarize n = count() by Computer | top 1 by n").unwrap();
    assert_eq!(counts.columns(), vec!["Computer", "n"]);
    assert_eq!(counts.value::<String>(0, "Computer").unwrap().as_deref(), Some("WS01"));
    assert_eq!(counts.value::<i64>(0, "n").unwrap(), Some(3));
}

#[test]
fn files_register_as_tables() {
    let mut session = KqlSession::new();
    session.register_file("Events", Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/events.csv")).unwrap();
    assert_eq!(session.tables(), vec!["Events"]);
    let failures = session.query("Events | where EventID == 4625 | project Account | sort by Account asc").unwrap();
    assert_eq!(failures.to_vec::<String>("Account").unwrap(), vec![r"CONTOSO\bob", r"CONTOSO\carol"]);
}

#[test]
fn errors_point_at_the_query() {
    let mut session = KqlSession::new();
    session.register("Events", &events()).unwrap();
    let error = session.query("Events\n| where Acount == 'x'").unwrap_err().to_string();
    assert!(error.contains("KQL error at line 2, column 9: unknown column `Acount`; did you mean `Account`?"), "{error}");
    assert!(error.contains("| | where Acount == 'x'\n|         ^^^^^^"), "{error}");
    let syntax = session.query("Events | wher x").unwrap_err().to_string();
    assert!(syntax.contains("KQL syntax error at line 1, column 10"), "{syntax}");
    let unknown = session.query("Event | take 1").unwrap_err().to_string();
    assert!(unknown.contains("unknown table `Event`; did you mean `Events`?"), "{unknown}");
}

#[test]
fn render_draws_a_chart_over_time() {
    let mut session = KqlSession::new();
    session.register("Events", &events()).unwrap();
    let result = session.run("Events | summarize n = count() by bin(TimeGenerated, 1h), Computer | render timechart with (title='Events per hour')").unwrap();
    let render = result.render.clone().unwrap();
    assert_eq!(render.chart, "timechart");
    let chart = result.chart().unwrap().unwrap();
    assert_eq!(chart.title(), "Events per hour");
    assert_eq!(chart.mark_count(), result.frame.len());
    assert!(result.mime_bundle().data.contains_key(mstic_vis::VEGA_LITE_MIME));
    let pie = session.run("Events | summarize n = count() by Computer | render piechart").unwrap();
    let error = pie.chart().unwrap().unwrap_err().to_string();
    assert!(error.contains("`piechart` charts are not drawn"), "{error}");
    assert!(pie.mime_bundle().data.contains_key("text/html"));
    let plain = session.run("Events | take 1").unwrap();
    assert!(plain.chart().is_none());
}

#[test]
fn the_kql_language_runs_on_registered_tables() {
    mstic_kql::install_magic();
    mstic_core::register_table("MagicEvents", &events());
    let result = mstic_core::magic::run("kql", "MagicEvents | where Computer == 'DC01' | count").unwrap();
    assert_eq!(result.value::<i64>(0, "Count").unwrap(), Some(2));
    let error = mstic_core::magic::run("kql", "MagicEvent | count").unwrap_err().to_string();
    assert!(error.contains("unknown table `MagicEvent`"), "{error}");
}
