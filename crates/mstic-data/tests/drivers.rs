//! LocalData, OSQueryLogs and VelociraptorLogs drivers on MSTICPy's test data, bad input, and
//! the sample data generator.

use arrow::datatypes::DataType;
use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_data::drivers::{LocalDataDriver, OsQueryDriver, VelociraptorDriver, create_driver};
use mstic_data::{Driver, DriverSettings, QueryOptions, sample};
use std::path::PathBuf;

fn run(driver: &dyn Driver, query: &str) -> mstic_core::Result<Frame> {
    driver.query(query, &QueryOptions::default())
}

/// A fresh, empty folder under the system temp folder.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("mstic-data-drivers-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

fn local_testdata() -> Box<dyn Driver> {
    create_driver("LocalData", &DriverSettings::with_data_paths([fixture("msticpy/testdata").unwrap()])).expect("driver")
}

#[test]
fn local_data_reads_a_file_named_by_the_query_case_insensitively() {
    let driver = local_testdata();
    let logons = run(driver.as_ref(), "Host_Logons.CSV").expect("host_logons.csv");
    assert_eq!((logons.len(), logons.num_columns()), (14, 20));
    let time = logons.schema().field_with_name("TimeGenerated").expect("column").data_type().clone();
    assert!(matches!(time, DataType::Timestamp(_, Some(_))), "{time}");
    assert_eq!(run(driver.as_ref(), "host_hb.csv").expect("heartbeat").len(), 1);
    assert_eq!(run(driver.as_ref(), "linux_events.csv").expect("linux events").len(), 100);
}

#[test]
fn local_data_sql_filters_registered_files() {
    let driver = local_testdata();
    assert!(driver.capabilities().local_sql);
    let service = run(driver.as_ref(), "select * from host_logons where LogonType = 5").expect("sql");
    assert_eq!(service.len(), 11);
    let recent = run(
        driver.as_ref(),
        "select TargetUserName, LogonType from host_logons \
         where TimeGenerated >= '2019-01-15T05:00:00Z' and TimeGenerated <= '2019-01-15T06:00:00Z'",
    )
    .expect("time filter");
    assert_eq!(recent.len(), 5);
    let admin = run(driver.as_ref(), "SELECT count(*) AS n FROM Host_Logons WHERE TargetUserName = 'MSTICAdmin'").expect("count");
    assert_eq!(admin.column_strings("n").expect("n"), vec![Some("2".to_string())]);
}

#[test]
fn local_data_schema_lists_tables_and_columns() {
    let driver = LocalDataDriver::from_paths([fixture("msticpy/testdata/host_logons.csv").unwrap(), fixture("msticpy/testdata/host_hb.csv").unwrap()]);
    let schema = driver.schema().expect("schema");
    assert_eq!(schema.keys().cloned().collect::<Vec<_>>(), vec!["host_hb", "host_logons"]);
    assert!(schema["host_logons"].iter().any(|(c, _)| c == "TargetUserName"));
}

#[test]
fn local_data_unknown_file_and_pickle_give_clear_errors() {
    let driver = local_testdata();
    let err = run(driver.as_ref(), "host_logon.csv").expect_err("unknown");
    assert!(err.to_string().contains("host_logons.csv"), "{err}");
    let dir = temp_dir("pickle");
    std::fs::write(dir.join("alerts_list.pkl"), b"\x80\x04not really").expect("write");
    let driver = LocalDataDriver::from_paths([&dir]);
    let err = run(&driver, "alerts_list.pkl").expect_err("pickle");
    assert!(err.to_string().contains("alerts_list.pkl") && err.to_string().contains("Parquet"), "{err}");
}

#[test]
fn local_data_reads_parquet_and_json_lines_and_caches() {
    let dir = temp_dir("formats");
    let procs = sample::process_events(500, 7);
    procs.write_parquet(dir.join("Procs.parquet")).expect("parquet");
    procs.write_json(dir.join("procs_lines.json")).expect("json");
    let driver = LocalDataDriver::from_paths([&dir]);
    assert_eq!(run(&driver, "procs.parquet").expect("parquet").len(), 500);
    assert_eq!(run(&driver, "PROCS_LINES.json").expect("json").len(), 500);
    let counted = run(&driver, "select count(*) as n from procs where EventID = 4688").expect("sql on parquet");
    assert_eq!(counted.column_strings("n").expect("n"), vec![Some("500".to_string())]);
    // A second query is served from the cache even after the file is gone.
    std::fs::remove_file(dir.join("Procs.parquet")).expect("remove");
    assert_eq!(run(&driver, "procs.parquet").expect("cached").len(), 500);
}

#[test]
fn malformed_csv_and_json_name_the_file_and_line() {
    let dir = temp_dir("malformed");
    std::fs::write(dir.join("bad.csv"), "a,b\n1,2\n3,4,5\n").expect("write");
    std::fs::write(dir.join("bad.json"), "{\"a\": 1}\n{\"a\": 2}\n{\"a\": \n").expect("write");
    let driver = LocalDataDriver::from_paths([&dir]);
    let csv = run(&driver, "bad.csv").expect_err("bad csv").to_string();
    assert!(csv.contains("bad.csv") && csv.contains("line 3"), "{csv}");
    let json = run(&driver, "bad.json").expect_err("bad json").to_string();
    assert!(json.contains("bad.json") && json.contains("line 3"), "{json}");
}

#[test]
fn osquery_driver_reads_logs_as_msticpy() {
    let mut driver = OsQueryDriver::new(&DriverSettings::with_data_paths([fixture("msticpy/testdata/osquery").unwrap()]));
    driver.connect().expect("connect");
    let queries = driver.driver_queries();
    assert_eq!(queries.len(), 19);
    assert!(queries.iter().all(|q| q.family == "osquery"));
    assert!(queries.iter().any(|q| q.name == "processes" && q.description == "OS Query processes table."));
    let processes = run(&driver, "processes").expect("processes");
    assert_eq!(processes.len(), 21);
    for column in ["pid", "cmdline", "parent", "host_uuid", "hostIdentifier", "name", "name_"] {
        assert!(processes.has_column(column), "missing {column} in {:?}", processes.columns());
    }
    assert!(!processes.has_column("columns_pid"));
    let unix_time = processes.schema().field_with_name("unixTime").expect("unixTime").data_type().clone();
    assert!(matches!(unix_time, DataType::Timestamp(_, Some(_))), "{unix_time}");
    // Two packs both query osquery_info and mounts; their rows are combined.
    assert_eq!(run(&driver, "osquery_info").expect("osquery_info").len(), 23);
    assert_eq!(run(&driver, "mounts").expect("mounts").len(), 42);
    assert_eq!(run(&driver, "python_packages").expect("snapshots").len(), 40);
    assert_eq!(driver.schema().expect("schema").len(), 19);
    let err = run(&driver, "proceses").expect_err("unknown");
    assert!(err.to_string().contains("processes"), "{err}");
}

#[test]
fn osquery_bad_log_line_names_file_and_line() {
    let dir = temp_dir("osquery-bad");
    std::fs::write(dir.join("osqueryd.results.log"), "{\"name\":\"pack_x_processes\",\"columns\":{\"pid\":\"1\"}}\nnot json\n")
        .expect("write");
    let driver = OsQueryDriver::new(&DriverSettings::with_data_paths([&dir]));
    let err = run(&driver, "processes").expect_err("bad line").to_string();
    assert!(err.contains("osqueryd.results.log") && err.contains("line 2"), "{err}");
}

#[test]
fn velociraptor_driver_names_queries_by_artifact() {
    let mut driver = VelociraptorDriver::new(&DriverSettings::with_data_paths([fixture("msticpy/testdata/velociraptor").unwrap()]));
    driver.connect().expect("connect");
    let names: Vec<String> = driver.driver_queries().into_iter().map(|q| q.name).collect();
    assert_eq!(names.len(), 12);
    assert!(names.contains(&"Windows_System_Pslist".to_string()) && names.contains(&"Windows_Forensics_Lnk".to_string()));
    assert_eq!(run(&driver, "Windows_Forensics_Lnk").expect("lnk").len(), 10);
    assert_eq!(run(&driver, "Windows_Forensics_ProcessInfo").expect("procinfo").len(), 10);
    assert_eq!(run(&driver, "Windows_Sys_Users").expect("users").len(), 7);
    assert_eq!(driver.schema().expect("schema").len(), 12);
    let err = run(&driver, "Windows_System_PsList").expect_err("unknown").to_string();
    assert!(err.contains("Windows_System_Pslist"), "{err}");
}

#[test]
fn velociraptor_without_files_says_where_it_looked() {
    let dir = temp_dir("velociraptor-empty");
    let mut driver = create_driver("Velociraptor", &DriverSettings::with_data_paths([&dir])).expect("driver");
    let err = driver.connect().expect_err("no files").to_string();
    assert!(err.contains(&dir.display().to_string()), "{err}");
}

#[test]
fn environment_names_and_aliases_create_drivers() {
    for (name, environment) in [("localdata", "LocalData"), ("OSQuery", "OSQueryLogs"), ("VelociraptorLogs", "VelociraptorLogs"), ("OTRF", "Mordor")] {
        let driver = create_driver(name, &DriverSettings::default()).expect(name);
        assert_eq!(driver.environment(), environment);
    }
}
