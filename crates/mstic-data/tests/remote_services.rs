//! Kusto, Defender (Graph runHuntingQuery and MDE), Microsoft Graph OData, Splunk and the
//! credential chain against a real HTTP server on 127.0.0.1 with recorded responses.

mod remote_support;

use mstic_demo::{RecordedServer, Reply, responses};
use mstic_data::remote::settings::{CloudEndpoints, Options};
use mstic_data::remote::{DefenderDriver, GraphDriver, HuntingApi, KustoDriver, SplunkDriver};
use mstic_data::{Driver, DriverSettings, QueryOptions, QuerySource};
use remote_support::*;

fn with(settings: &[(&str, &str)]) -> QueryOptions {
    QueryOptions { settings: settings.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() }
}

#[test]
fn kusto_queries_the_configured_cluster_and_database() {
    let server = server_with_token();
    server.route("POST", "/v2/rest/query", vec![Reply::json(200, fixture("msticpy/testdata/kusto/kusto_raw_resp.json"))]);
    let mut driver = KustoDriver::with_config("Kusto", &fast_retries(), config(&server.base_url()));
    assert_eq!(driver.clusters().len(), 1);
    driver.connect().unwrap();
    let err = driver.query("DeviceProcessEvents | take 10", &QueryOptions::default()).unwrap_err().to_string();
    assert!(err.contains("'database' setting"), "{err}");
    let frame = driver.query("DeviceProcessEvents | take 10", &with(&[("cluster", "MSTIC"), ("database", "Hunting")])).unwrap();
    assert_eq!(frame.len(), 10);
    let request = &server.requests_to("/v2/rest/query")[0];
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!((body["db"].as_str(), body["csl"].as_str()), (Some("Hunting"), Some("DeviceProcessEvents | take 10")));
    assert_eq!(body["properties"]["Options"]["servertimeout"], "240s");
    let token = &server.requests_to("/oauth2/v2.0/token")[0];
    assert!(token.body.contains(&mstic_data::remote::http::percent_encode(&format!("{}/.default", server.base_url()))));
    let err = driver.query("x", &with(&[("cluster", "MSTIX"), ("database", "d")])).unwrap_err().to_string();
    assert!(err.contains("did you mean: MSTIC"), "{err}");
}

#[test]
fn kusto_has_errors_becomes_warning_or_error() {
    let server = server_with_token();
    let failed = r#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},
      {"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult","Columns":[{"ColumnName":"x","ColumnType":"int"}],"Rows":[[1]]},
      {"FrameType":"DataSetCompletion","HasErrors":true,"Cancelled":false,"OneApiErrors":[{"error":{"code":"LimitsExceeded","message":"Partial query failure: Low memory condition"}}]}]"#;
    server.route("POST", "/v2/rest/query", vec![Reply::json(200, failed)]);
    let mut driver = KustoDriver::with_config("Kusto", &fast_retries().set("database", "db"), config(&server.base_url()));
    driver.connect().unwrap();
    let frame = driver.query("T", &QueryOptions::default()).unwrap();
    assert_eq!(frame.len(), 1);
    assert!(frame.warnings()[0].contains("Low memory condition"), "{:?}", frame.warnings());
    let err = driver.query("T", &QueryOptions { fail_on_partial: true, ..Default::default() }).unwrap_err().to_string();
    assert!(err.contains("Kusto") && err.contains("LimitsExceeded"), "{err}");
}

#[test]
fn defender_graph_and_mde_hunting() {
    let server = server_with_token();
    server.route("POST", "/v1.0/security/runHuntingQuery", vec![Reply::json(200, responses::GRAPH_HUNTING)]);
    server.route("POST", "/api/advancedqueries/run", vec![Reply::json(200, responses::MDE_HUNTING)]);
    let mut graph = DefenderDriver::with_config("M365D", &fast_retries(), config(&server.base_url()));
    assert_eq!(graph.api(), HuntingApi::Graph);
    graph.connect().unwrap();
    let frame = graph.query("DeviceProcessEvents | take 2", &with(&[("timespan", "P7D")])).unwrap();
    assert_eq!(frame.len(), 2);
    let body: serde_json::Value = serde_json::from_str(&server.requests_to("runHuntingQuery")[0].body).unwrap();
    assert_eq!(body, serde_json::json!({"Query": "DeviceProcessEvents | take 2", "Timespan": "P7D"}));

    let mut mde = DefenderDriver::with_config("MDE", &fast_retries(), config(&server.base_url()));
    assert_eq!(mde.api(), HuntingApi::Mde);
    mde.connect().unwrap();
    let frame = mde.query("DeviceNetworkEvents | take 2", &QueryOptions::default()).unwrap();
    assert_eq!(frame.column_strings("RemoteIP").unwrap()[1].as_deref(), Some("198.51.100.20"));
    let token_bodies: Vec<String> = server.requests_to("/oauth2/v2.0/token").into_iter().map(|r| r.body).collect();
    assert_eq!(token_bodies.len(), 1, "both APIs answer at one address here, so one scope: the session's token serves both");
    assert!(token_bodies.iter().all(|b| b.contains("client_id=66b9818a-26cd-4584-8eb0-7f7a499242aa")));
}

#[test]
fn msticpy_defender_templates_run_through_the_mde_driver() {
    let server = server_with_token();
    server.route("POST", "/api/advancedqueries/run", vec![Reply::json(200, responses::MDE_HUNTING)]);
    let driver = DefenderDriver::with_config("MDE", &fast_retries(), config(&server.base_url()));
    let mut qp = mstic_data::provider::QueryProvider::with_driver(Box::new(driver));
    qp.add_query_path(&msticpy_queries("mde")).unwrap();
    qp.add_query_path(&msticpy_queries("m365d")).unwrap();
    qp.connect().unwrap();
    let mde = run_every_template(&qp, "mde", 2);
    let m365d = run_every_template(&qp, "m365d", 2);
    assert!(mde > 20 && m365d > 20, "mde {mde}, m365d {m365d}");
    let body: serde_json::Value = serde_json::from_str(&server.requests_to("/api/advancedqueries/run")[0].body).unwrap();
    assert!(body["Query"].as_str().is_some_and(|q| q.contains("Timestamp >= datetime(2024-05-01")), "{body}");
    println!("{mde} mde and {m365d} m365d templates ran");
}

#[test]
fn msgraph_follows_next_links() {
    let server = server_with_token();
    let next = format!(
        r#"{{"value":[{{"id":"1","title":"first","createdDateTime":"2024-05-01T09:00:00Z"}}],"@odata.nextLink":"{}/v1.0/security/alerts_v2?$skiptoken=2"}}"#,
        server.base_url()
    );
    server.route("GET", "/v1.0/security/alerts_v2", vec![Reply::json(200, next)]);
    server.route("GET", "skiptoken=2", vec![Reply::json(200, r#"{"value":[{"id":"2","title":"second","createdDateTime":"2024-05-01T10:00:00Z"}]}"#)]);
    let mut driver = GraphDriver::with_config("MSGraph", &fast_retries(), config(&server.base_url()));
    driver.connect().unwrap();
    let frame = driver.query("security/alerts_v2?$filter=severity eq 'high'", &QueryOptions::default()).unwrap();
    assert_eq!(frame.column_strings("title").unwrap(), vec![Some("first".to_string()), Some("second".to_string())]);
    let first = &server.requests_to("/v1.0/security/alerts_v2")[0];
    assert_eq!(first.path, "/v1.0/security/alerts_v2?$filter=severity%20eq%20%27high%27");
    assert_eq!(first.header("authorization"), Some("Bearer test-access-token"));
}

#[test]
fn splunk_export_with_basic_or_bearer_auth() {
    let server = RecordedServer::start().unwrap();
    server.route("POST", "/services/search/v2/jobs/export", vec![Reply::json(200, responses::SPLUNK_EXPORT)]);
    let port = server.base_url().rsplit(':').next().unwrap().to_string();
    let settings = DriverSettings::default()
        .set("host", "127.0.0.1")
        .set("port", port.as_str())
        .set("http_scheme", "http")
        .set("username", "admin")
        .set("password", CLIENT_SECRET);
    let mut driver = SplunkDriver::new("Splunk", &settings);
    driver.connect().unwrap();
    let frame = driver.query("index=web status>=400", &with(&[("earliest_time", "-24h")])).unwrap();
    assert_eq!(frame.len(), 3);
    let request = &server.requests()[0];
    assert!(request.body.starts_with("search=search%20index%3Dweb%20status%3E%3D400&output_mode=json&earliest_time=-24h"), "{}", request.body);
    assert!(request.header("authorization").unwrap().starts_with("Basic "));
    assert!(!format!("{driver:?}").contains(CLIENT_SECRET));

    let mut bearer = SplunkDriver::new("Splunk", &DriverSettings::default().set("base_url", server.base_url()).set("bearer_token", "tok-123"));
    bearer.connect().unwrap();
    bearer.query("| tstats count where index=* by sourcetype", &QueryOptions::default()).unwrap();
    let request = server.requests().pop().unwrap();
    assert_eq!(request.header("authorization"), Some("Bearer tok-123"));
    assert!(request.body.starts_with("search=%7C%20tstats"), "{}", request.body);

    let mut qp = mstic_data::provider::QueryProvider::with_driver(Box::new(bearer));
    qp.add_query_path(&msticpy_queries("splunk")).unwrap();
    qp.connect().unwrap();
    let count = run_every_template(&qp, "splunk", 3);
    assert_eq!(count, 13, "every template of MSTICPy's splunk folder");
    assert!(server.requests().iter().all(|r| r.body.starts_with("search=search") || r.body.starts_with("search=%7C")));

    let err = SplunkDriver::new("Splunk", &DriverSettings::default().set("host", "h")).connect().unwrap_err().to_string();
    assert!(err.contains("bearer_token, or username and password"), "{err}");
}

#[test]
fn sovereign_cloud_endpoints() {
    let cfg = mstic_core::config::MsticConfig::from_yaml_str("Azure:\n  cloud: usgov\n", "c.yaml").unwrap();
    let endpoints = CloudEndpoints::resolve(&cfg, &Options::default());
    assert_eq!(endpoints.authority_host, "https://login.microsoftonline.us");
    assert_eq!(endpoints.log_analytics, "https://api.loganalytics.us");
    let mut options = Options::default();
    options.add_one("log_analytics_endpoint", "https://example.test/");
    assert_eq!(CloudEndpoints::resolve(&cfg, &options).log_analytics, "https://example.test");
}

#[test]
fn create_driver_knows_the_remote_environments() {
    for (name, environment) in [("MSSentinel", "MSSentinel"), ("LogAnalytics", "MSSentinel"), ("Kusto", "Kusto"), ("M365D", "M365DGraph"), ("MDE", "MDE"), ("Splunk", "Splunk"), ("MSGraph", "MSGraph")] {
        let driver = mstic_data::create_driver(name, &DriverSettings::default()).unwrap();
        assert_eq!(driver.environment(), environment);
        assert!(driver.capabilities().remote && !driver.is_connected());
    }
}

/// Clusters for MSTICPy's Kusto routing fixtures (`testdata/kusto/T1…T6`): three clusters, each in
/// one cluster group, and one with a default database.
fn routing_config(mde: &str, ti: &str, help: &str) -> mstic_core::config::MsticConfig {
    let yaml = format!(
        "KustoClusters:\n  MDE:\n    Args:\n      Cluster: {mde}\n    ClusterGroups: [group1]\n  MSTICTI:\n    Args:\n      Cluster: {ti}\n      Database: TIDB\n    ClusterGroups: [group2]\n  Help:\n    Args:\n      Cluster: {help}\n    ClusterGroups: [group3]\n"
    );
    mstic_core::config::MsticConfig::from_yaml_str(&yaml, "routing msticpyconfig.yaml").unwrap()
}

/// The `list_host_processes` query of routing fixture `file`, as the provider passes it.
fn routed(file: &str, settings: &[(&str, &str)]) -> QueryOptions {
    let path = mstic_core::paths::fixture(&format!("msticpy/testdata/kusto/{file}.yaml")).unwrap();
    let loaded = mstic_data::template::load_query_file(&path).unwrap();
    let query = loaded.queries.iter().find(|q| q.name == "list_host_processes").unwrap();
    QueryOptions { source: Some(QuerySource { name: format!("{file}.list_host_processes"), metadata: query.metadata.clone() }), ..with(settings) }
}

#[test]
fn kusto_queries_go_to_the_cluster_their_file_names() {
    let config = routing_config("https://test.kusto.windows.net", "https://msticti.kusto.windows.net", "https://help.kusto.windows.net");
    let driver = KustoDriver::with_config("Kusto", &DriverSettings::default(), config.clone());
    assert_eq!(driver.clusters().iter().map(|c| c.groups.join(",")).collect::<Vec<_>>(), ["group1", "group2", "group3"]);
    let target = |file: &str, settings: &[(&str, &str)]| {
        driver.query_target(&routed(file, settings)).map(|(cluster, database)| (cluster.name, database)).map_err(|e| e.to_string())
    };
    let expect = |name: &str, db: &str| Ok((name.to_string(), db.to_string()));
    assert_eq!(target("T1_MDE_Cluster", &[]), expect("MDE", "AppDB"), "cluster: URL");
    assert_eq!(target("T2_MDE_Clusters", &[]), expect("MDE", "AppDB"), "clusters: the first configured");
    assert_eq!(target("T3_MDE_Cluster_Group1", &[]), expect("MDE", "AppDB"), "cluster_groups");
    assert_eq!(target("T5_Help_Cluster_Group1", &[]), expect("Help", "AppDB"));
    assert_eq!(target("T6_Group2_Cluster", &[]), expect("MSTICTI", "AppDB"));
    let err = target("T4_NoCluster_Info", &[]).unwrap_err();
    assert!(err.contains("choose a Kusto cluster") && err.contains("MDE, MSTICTI, Help"), "{err}");
    // The call's own settings win.
    assert_eq!(target("T1_MDE_Cluster", &[("cluster", "help"), ("database", "Other")]), expect("Help", "Other"));

    // Connected to MSTICTI, as MSTICPy: queries for other clusters or groups are refused.
    let connected = KustoDriver::with_config("Kusto", &DriverSettings::default().set("cluster", "MSTICTI"), config);
    let target = |file: &str| connected.query_target(&routed(file, &[])).map(|(c, d)| (c.name, d)).map_err(|e| e.to_string());
    assert_eq!(target("T2_MDE_Clusters"), expect("MSTICTI", "AppDB"), "msticti is one of its clusters");
    assert_eq!(target("T6_Group2_Cluster"), expect("MSTICTI", "AppDB"), "group2 is MSTICTI's group");
    assert_eq!(target("T4_NoCluster_Info"), expect("MSTICTI", "AppDB"), "no cluster keys: runs anywhere");
    for refused in ["T1_MDE_Cluster", "T3_MDE_Cluster_Group1", "T5_Help_Cluster_Group1"] {
        let err = target(refused).unwrap_err();
        assert!(err.contains(&format!("query '{refused}.list_host_processes' is for")) && err.contains("MSTICTI"), "{err}");
    }
    let raw = connected.query_target(&QueryOptions::default()).unwrap();
    assert_eq!((raw.0.name.as_str(), raw.1.as_str()), ("MSTICTI", "TIDB"), "raw text: the cluster's default database");
}

#[test]
fn provider_runs_a_grouped_query_on_its_cluster() {
    let server = server_with_token();
    server.route("POST", "/grp2/v2/rest/query", vec![Reply::json(200, fixture("msticpy/testdata/kusto/kusto_raw_resp.json"))]);
    let base = server.base_url();
    let mut config_yaml = config_text(&base);
    config_yaml = config_yaml.replacen("KustoClusters:", &format!("KustoClusters:\n  Grouped:\n    Args:\n      Cluster: {base}/grp2\n    ClusterGroups: [group2]"), 1);
    let config = mstic_core::config::MsticConfig::from_yaml_str(&config_yaml, "test msticpyconfig.yaml").unwrap();
    let driver = KustoDriver::with_config("Kusto", &fast_retries().set("cluster", "Grouped"), config);
    assert_eq!(driver.clusters().len(), 2);
    let mut qp = mstic_data::provider::QueryProvider::with_driver(Box::new(driver));
    qp.add_query_path(&mstic_core::paths::fixture("msticpy/testdata/kusto").unwrap()).unwrap();
    let listed = |qp: &mstic_data::provider::QueryProvider| -> Vec<String> {
        qp.list_queries().queries.into_iter().map(|q| q.name).filter(|n| n.starts_with('T')).collect()
    };
    let before = listed(&qp);
    assert_eq!(before.len(), 42, "before connecting: every routing fixture query, under each of its families");
    qp.connect().unwrap();
    // Connected to a group2 cluster, MSTICPy's list keeps: the group2 file (T6, whose queries
    // keep the file's group even when they name another cluster), and the queries that name no
    // cluster (T4's file-level ones); queries with an empty `cluster:` key match no cluster.
    let kept = [
        "T4_NoCluster_Info.list_host_processes", "T4_NoCluster_Info.process_cmd_line", "T4_NoCluster_Info.process_creations",
        "T4_NoCluster_Info.process_paths", "T6_Group2_Cluster.list_host_processes", "T6_Group2_Cluster.process_cmd_line",
        "T6_Group2_Cluster.process_creations", "T6_Group2_Cluster.process_paths", "T6_Group2_Cluster_item1.query_new_alias",
        "T6_Group2_Cluster_item2.bad_query_fam_no_dot", "T6_Group2_Cluster_item3.bad_query_no_cluster",
    ];
    assert_eq!(listed(&qp), kept);
    let frame = qp.query("T6_Group2_Cluster.list_host_processes").param("host_name", "host1").run().unwrap();
    assert_eq!(frame.len(), 10);
    let request = &server.requests_to("/grp2/v2/rest/query")[0];
    let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
    assert_eq!(body["db"], "AppDB");
    assert!(body["csl"].as_str().unwrap().contains("DeviceProcessEvents"), "{body}");
}

/// `.show databases` as a Kusto v1 management response.
const SHOW_DATABASES: &str = r#"{"Tables":[{"TableName":"Table_0","Columns":[
  {"ColumnName":"DatabaseName","DataType":"String","ColumnType":"string"},{"ColumnName":"PersistentStorage","DataType":"String","ColumnType":"string"},
  {"ColumnName":"Version","DataType":"String","ColumnType":"string"},{"ColumnName":"IsCurrent","DataType":"Boolean","ColumnType":"bool"},
  {"ColumnName":"DatabaseAccessMode","DataType":"String","ColumnType":"string"},{"ColumnName":"PrettyName","DataType":"String","ColumnType":"string"}],
  "Rows":[["AppDB","https://kstrg.blob.core.windows.net/appdb","v7.1",false,"ReadWrite",null],["Samples","https://kstrg.blob.core.windows.net/samples","v7.1",false,"ReadOnly","Samples"]]}]}"#;

/// `.show database AppDB schema` as a Kusto v1 management response: a database row, then a row
/// per table and one per column.
const SHOW_SCHEMA: &str = r#"{"Tables":[{"TableName":"Table_0","Columns":[
  {"ColumnName":"DatabaseName","DataType":"String","ColumnType":"string"},{"ColumnName":"TableName","DataType":"String","ColumnType":"string"},
  {"ColumnName":"ColumnName","DataType":"String","ColumnType":"string"},{"ColumnName":"ColumnType","DataType":"String","ColumnType":"string"},
  {"ColumnName":"IsDefaultTable","DataType":"Boolean","ColumnType":"bool"},{"ColumnName":"IsDefaultColumn","DataType":"Boolean","ColumnType":"bool"},
  {"ColumnName":"PrettyName","DataType":"String","ColumnType":"string"},{"ColumnName":"Version","DataType":"String","ColumnType":"string"},
  {"ColumnName":"Folder","DataType":"String","ColumnType":"string"},{"ColumnName":"DocString","DataType":"String","ColumnType":"string"}],
  "Rows":[["AppDB",null,null,null,false,false,null,"v7.1",null,null],
          ["AppDB","DeviceProcessEvents",null,null,false,false,null,null,"",""],
          ["AppDB","DeviceProcessEvents","Timestamp","System.DateTime",false,false,null,null,null,null],
          ["AppDB","DeviceProcessEvents","DeviceName","System.String",false,false,null,null,null,null],
          ["AppDB","DeviceProcessEvents","ProcessId","System.Int64",false,false,null,null,null,null],
          ["AppDB","SigninLogs",null,null,false,false,null,null,"",""],
          ["AppDB","SigninLogs","Status","System.Object",false,false,null,null,null,null]]}]}"#;

#[test]
fn kusto_database_names_and_schema() {
    let server = server_with_token();
    server.route_body("POST", "/v1/rest/mgmt", ".show databases", vec![Reply::json(200, SHOW_DATABASES)]);
    server.route_body("POST", "/v1/rest/mgmt", "schema", vec![Reply::json(200, SHOW_SCHEMA)]);
    let mut driver = KustoDriver::with_config("Kusto", &fast_retries().set("database", "AppDB"), config(&server.base_url()));
    assert!(driver.schema().unwrap_err().to_string().contains("connect"), "not connected yet");
    driver.connect().unwrap();
    assert_eq!(driver.database_names(None).unwrap(), ["AppDB", "Samples"]);
    let schema = driver.schema().unwrap();
    assert_eq!(schema.keys().collect::<Vec<_>>(), ["DeviceProcessEvents", "SigninLogs"]);
    let columns = |table: &str| schema[table].iter().map(|(c, t)| format!("{c}:{t}")).collect::<Vec<_>>();
    assert_eq!(columns("DeviceProcessEvents"), ["Timestamp:DateTime", "DeviceName:String", "ProcessId:Int64"]);
    assert_eq!(columns("SigninLogs"), ["Status:Object"]);
    let bodies: Vec<serde_json::Value> = server.requests_to("/v1/rest/mgmt").iter().map(|r| serde_json::from_str(&r.body).unwrap()).collect();
    assert_eq!((bodies[0]["db"].as_str(), bodies[0]["csl"].as_str()), (Some("NetDefaultDB"), Some(".show databases")));
    assert_eq!((bodies[1]["db"].as_str(), bodies[1]["csl"].as_str()), (Some("AppDB"), Some(".show database ['AppDB'] schema")));
    let err = driver.database_schema(None, Some("x'; .drop table")).unwrap_err().to_string();
    assert!(err.contains("not a Kusto database name"), "{err}");
    // Through a provider, as MSTICPy's `qry_prov.schema`.
    let qp = mstic_data::provider::QueryProvider::with_driver(Box::new(driver));
    assert_eq!(qp.schema().unwrap()["SigninLogs"], [("Status".to_string(), "Object".to_string())]);
}

#[test]
fn provider_with_config_gives_remote_drivers_that_config() {
    let server = server_with_token();
    server.route("POST", "/v2/rest/query", vec![Reply::json(200, fixture("msticpy/testdata/kusto/kusto_raw_resp.json"))]);
    let base = server.base_url();
    let text = config_text(&base).replacen(&format!("Cluster: \"{base}\""), &format!("Cluster: \"{base}\"\n      Database: Hunting"), 1);
    let config = mstic_core::config::MsticConfig::from_yaml_str(&text, "given msticpyconfig.yaml").unwrap();
    // No session configuration and no discovered file point here: only the given config does.
    let mut qp = mstic_data::provider::QueryProvider::with_config("Kusto", &config, &[]).unwrap();
    qp.connect().unwrap();
    assert_eq!(qp.exec_query("DeviceProcessEvents | take 10").unwrap().len(), 10);
    let body: serde_json::Value = serde_json::from_str(&server.requests_to("/v2/rest/query")[0].body).unwrap();
    assert_eq!(body["db"], "Hunting");
}
