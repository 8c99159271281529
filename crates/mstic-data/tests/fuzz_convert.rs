//! Fuzzing the response converters (Log Analytics, Kusto v1/v2, Defender and Graph hunting,
//! Graph OData, Splunk JSON lines) on recorded responses mutated as JSON trees (wrong types,
//! missing fields, huge numbers, odd datetimes and timespans) and as text. Every converter
//! returns a frame or an error with a message — never a panic.

#[path = "../../../tests/fuzz_config.rs"]
mod fuzz_config;

use fuzz_config::{fuzz_config, ok_or_message};
use mstic_data::remote::convert::{hunting_to_frame, kusto_to_frame, log_analytics_to_frame, odata_to_frame, splunk_lines_to_frame};
use mstic_demo::responses;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// The recorded responses the mutations start from.
const SEEDS: [&str; 6] =
    [responses::LOGONS, responses::PARTIAL_HEARTBEAT, responses::GRAPH_HUNTING, responses::MDE_HUNTING, responses::GRAPH_ALERTS, responses::KUSTO_V2];

/// Values that stress the typed columns.
fn odd_value() -> impl Strategy<Value = Value> {
    let text = prop::sample::select(vec![
        "0001-01-01T00:00:00Z", "9999-12-31T23:59:59.9999999Z", "1677-09-21T00:12:43.145224191Z", "2262-04-11T23:47:16.854775808Z",
        "2024-13-45T25:61:61Z", "2024-05-01T08:00:00.12345678901234Z", "2024-05-01T08:00:00+99:99", "-1", "", " ", "NaN", "Infinity", "-0",
        "10675199.02:48:05.4775807", "-10675199.02:48:05.4775808", "99999999.00:00:00", "1.00:00:00", "00:00:60", "true", "TRUE", "1e999",
        "99999999999999999999999", "[1,2", "{\"a\":", "PrimaryResult", "DataTable", "TableHeader", "TableFragment", "TableCompletion",
        "DataSetCompletion", "datetime", "timespan", "dynamic", "int", "long", "real", "decimal", "bool", "guid", "string", "Int32", "DateTime",
    ]);
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        prop::sample::select(vec![i64::MIN, i64::MAX, i32::MIN as i64, i32::MAX as i64 + 1]).prop_map(Value::from),
        text.prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec(("[A-Za-z]{1,10}", inner), 0..4).prop_map(|pairs| Value::Object(pairs.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// One change to a JSON tree, at the `target`-th node (depth-first, modulo the count).
#[derive(Debug, Clone)]
enum Change {
    Replace(Value),
    Remove,
    Duplicate,
}

fn change() -> impl Strategy<Value = (usize, Change)> {
    (any::<usize>(), prop_oneof![3 => odd_value().prop_map(Change::Replace), 1 => Just(Change::Remove), 1 => Just(Change::Duplicate)])
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

/// Applies `change` to the node numbered `target` (node 0 is `value` itself); true once applied.
fn apply(value: &mut Value, target: &mut usize, change: &Change) -> bool {
    match value {
        Value::Array(items) => {
            for i in 0..items.len() {
                if *target == 1 {
                    match change {
                        Change::Replace(new) => items[i] = new.clone(),
                        Change::Remove => drop(items.remove(i)),
                        Change::Duplicate => items.insert(i, items[i].clone()),
                    }
                    return true;
                }
                *target -= 1;
                if apply(&mut items[i], target, change) {
                    return true;
                }
            }
        }
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                if *target == 1 {
                    match change {
                        Change::Replace(new) => drop(map.insert(key, new.clone())),
                        Change::Remove => drop(map.remove(&key)),
                        Change::Duplicate => drop(map.insert(key.to_uppercase(), map[&key].clone())),
                    }
                    return true;
                }
                *target -= 1;
                if apply(map.get_mut(&key).expect("key present"), target, change) {
                    return true;
                }
            }
        }
        _ => {}
    }
    false
}

/// A recorded response with its tree changed, as JSON text.
fn mutated_document() -> impl Strategy<Value = Vec<u8>> {
    (0..SEEDS.len(), prop::collection::vec(change(), 1..5)).prop_map(|(seed, changes)| {
        let mut root: Value = serde_json::from_str(SEEDS[seed]).expect("recorded responses are JSON");
        for (target, change) in changes {
            let mut target = target % count(&root);
            if target == 0 {
                if let Change::Replace(new) = change {
                    root = new;
                }
                continue;
            }
            apply(&mut root, &mut target, &change);
        }
        serde_json::to_vec(&root).expect("a JSON tree serialises")
    })
}

/// Response text with byte-level damage: truncated, or a fragment spliced in.
fn damaged_text() -> impl Strategy<Value = Vec<u8>> {
    let all = [&SEEDS[..], &[responses::SPLUNK_EXPORT]].concat();
    (prop::sample::select(all), any::<prop::sample::Index>(), prop::option::of(prop_oneof![".{0,6}", Just("1e999".to_string()), Just("\n".to_string())]))
        .prop_map(|(seed, at, insert)| {
            let at = at.index(seed.len() + 1);
            let mut bytes = seed.as_bytes()[..at].to_vec();
            if let Some(insert) = insert {
                bytes.extend(insert.as_bytes());
                bytes.extend(&seed.as_bytes()[at..]);
            }
            bytes
        })
}

/// Splunk export lines with their `result` values replaced by odd ones.
fn splunk_lines() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(prop::collection::vec(("[a-z_]{1,6}", odd_value()), 0..5), 0..6).prop_map(|rows| {
        let lines: Vec<String> = rows
            .into_iter()
            .map(|fields| json!({"preview": false, "result": fields.into_iter().collect::<Map<_, _>>()}).to_string())
            .collect();
        lines.join("\n").into_bytes()
    })
}

/// Every converter on `body`: a frame, or an error with a message.
fn convert_all(body: &[u8]) -> Result<(), TestCaseError> {
    ok_or_message(log_analytics_to_frame(body))?;
    ok_or_message(kusto_to_frame(body))?;
    ok_or_message(hunting_to_frame(body, "Microsoft Defender"))?;
    ok_or_message(odata_to_frame(body))?;
    ok_or_message(splunk_lines_to_frame(body))?;
    Ok(())
}

proptest! {
    #![proptest_config(fuzz_config(300))]

    #[test]
    fn mutated_responses_convert_or_fail(body in mutated_document()) {
        convert_all(&body)?;
    }

    #[test]
    fn damaged_response_text_converts_or_fails(body in damaged_text()) {
        convert_all(&body)?;
    }

    #[test]
    fn splunk_lines_of_any_values_convert_or_fail(body in splunk_lines()) {
        convert_all(&body)?;
    }
}

// Regressions: inputs the harness found.

#[test]
fn a_bad_value_with_multibyte_text_is_reported_shortened() {
    let value = format!("a{}", "é".repeat(80));
    let body = json!({"tables": [{"name": "PrimaryResult", "columns": [{"name": "TimeGenerated", "type": "datetime"}], "rows": [[value]]}]});
    let frame = log_analytics_to_frame(body.to_string().as_bytes()).unwrap().frame;
    assert_eq!(frame.len(), 1);
    let warning = frame.warnings().join("\n");
    assert!(warning.contains(&format!("a{}", "é".repeat(59))) && !warning.contains(&"é".repeat(60)), "{warning}");
}
