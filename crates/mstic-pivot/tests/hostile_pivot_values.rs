//! Hostile values from a Frame column stay data when a query pivot substitutes them: each value
//! is run as one SQL literal on DataFusion (LocalData) and finds exactly its own row - a value
//! shaped like an injection neither fails the query nor widens it.

use mstic_core::Frame;
use mstic_data::DriverSettings;
use mstic_data::provider::QueryProvider;
use mstic_pivot::*;

/// Names as they come out of logs an attacker writes to.
const HOSTILE: &[&str] = &[
    "o'brien",
    "' or '1'='1",
    "x'; drop table people; --",
    r"C:\Users\admin\",
    "say \"hi\"",
    "a | take 1",
    "union select * from people --",
    "line1\nline2",
    "''",
];

const QUERIES: &str = r#"
metadata:
  version: 1
  description: Queries over a table of hostile names
  data_environments: [LocalData]
  data_families: [Hostile]
sources:
  people_by_name:
    description: The row of one name
    args:
      query: "select id, name from people where name = '{account_name}' order by id"
    parameters:
      account_name: {description: Account, type: str}
  people_by_names:
    description: The rows of several names
    args:
      query: "select id, name from people where name in ({account_list}) order by id"
    parameters:
      account_list: {description: Accounts, type: list}
"#;

fn csv_field(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

fn provider(dir: &std::path::Path) -> QueryProvider {
    std::fs::create_dir_all(dir).unwrap();
    let mut csv = String::from("id,name\n");
    for (id, name) in HOSTILE.iter().enumerate() {
        csv.push_str(&format!("{id},{}\n", csv_field(name)));
    }
    csv.push_str(&format!("{},plain\n", HOSTILE.len()));
    std::fs::write(dir.join("people.csv"), csv).unwrap();
    let queries = dir.join("hostile_queries.yaml");
    std::fs::write(&queries, QUERIES).unwrap();
    let driver = mstic_data::create_driver("LocalData", &DriverSettings::with_data_paths([dir.to_path_buf()])).unwrap();
    let mut provider = QueryProvider::with_driver(driver);
    provider.add_query_path(&queries).unwrap();
    provider.connect().unwrap();
    provider
}

fn strings(frame: &Frame, column: &str) -> Vec<String> {
    frame.column_strings(column).unwrap().into_iter().map(Option::unwrap_or_default).collect()
}

#[test]
fn each_hostile_value_from_a_frame_finds_exactly_its_own_row() {
    let dir = std::env::temp_dir().join(format!("mstic-hostile-pivot-{}", std::process::id()));
    let pivots = Pivots::new();
    pivots.add_query_provider(provider(&dir)).unwrap();
    let names = Frame::from_string_rows(&["user"], &HOSTILE.iter().map(|n| vec![Some(*n)]).collect::<Vec<_>>()).unwrap();
    let by_name = pivots.get("Account", "LocalData.people_by_name").unwrap();
    let found = by_name.call(PivotInput::column(&names, "user").join("left")).unwrap();
    assert_eq!(strings(&found, "user"), HOSTILE.iter().map(|n| n.to_string()).collect::<Vec<_>>());
    assert_eq!(strings(&found, "name"), strings(&found, "user"), "each value matched itself only");
    let ids: Vec<String> = (0..HOSTILE.len()).map(|i| i.to_string()).collect();
    assert_eq!(strings(&found, "id"), ids);

    // A list parameter: every value in one query, each quoted on its own.
    let all = provider(&dir).query("Hostile.people_by_names").param("account_list", HOSTILE.to_vec()).run().unwrap();
    assert_eq!(strings(&all, "id"), ids, "the 'plain' row is not matched");
    std::fs::remove_dir_all(&dir).ok();
}
