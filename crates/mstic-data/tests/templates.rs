//! Query templates: MSTICPy's 50 built-in files load, invalid files are rejected with the file,
//! query and field named, and rendering matches MSTICPy's output for the same parameters
//! (expected strings produced by MSTICPy 3.0.2's `QuerySource.create_query`).

use chrono::{TimeZone, Utc};
use mstic_core::paths::fixture;
use mstic_data::template::{
    FormatStyle, ParamValue, QueryLanguage, QueryTemplate, RenderOptions, load_query_file, parse_query_file, render_query,
};
use std::path::Path;

/// Query counts per built-in file (the number of `sources:` entries).
const BUILTIN_COUNTS: &[(&str, usize)] = &[
    ("cybereason/cybereason_connections.yaml", 1),
    ("cybereason/cybereason_hosts.yaml", 1),
    ("cybereason/cybereason_processes.yaml", 3),
    ("localdata/local_data.yaml", 9),
    ("m365d/kql_m365_alerts.yaml", 13),
    ("m365d/kql_m365_file.yaml", 4),
    ("m365d/kql_m365_hunting.yaml", 20),
    ("m365d/kql_m365_identity.yaml", 3),
    ("m365d/kql_m365_network.yaml", 5),
    ("m365d/kql_m365_process.yaml", 4),
    ("m365d/kql_m365_user.yaml", 4),
    ("mde/kql_mdatp_alerts.yaml", 5),
    ("mde/kql_mdatp_file.yaml", 7),
    ("mde/kql_mdatp_hunting.yaml", 20),
    ("mde/kql_mdatp_network.yaml", 5),
    ("mde/kql_mdatp_process.yaml", 5),
    ("mde/kql_mdatp_user.yaml", 4),
    ("msgraph/graph_alerts.yaml", 7),
    ("mssentinel/kql_sent_alert.yaml", 5),
    ("mssentinel/kql_sent_az_dns.yaml", 3),
    ("mssentinel/kql_sent_az_network.yaml", 1),
    ("mssentinel/kql_sent_azure.yaml", 10),
    ("mssentinel/kql_sent_azuresentinel.yaml", 8),
    ("mssentinel/kql_sent_heartbeat_info.yaml", 2),
    ("mssentinel/kql_sent_lxauditd.yaml", 1),
    ("mssentinel/kql_sent_lxsyslog_activity.yaml", 6),
    ("mssentinel/kql_sent_lxsyslog_apps.yaml", 1),
    ("mssentinel/kql_sent_lxsyslog_logon.yaml", 8),
    ("mssentinel/kql_sent_lxsyslog_sysmon.yaml", 1),
    ("mssentinel/kql_sent_net.yaml", 12),
    ("mssentinel/kql_sent_o365.yaml", 3),
    ("mssentinel/kql_sent_threatintel.yaml", 7),
    ("mssentinel/kql_sent_timeseries.yaml", 5),
    ("mssentinel/kql_sent_winevent.yaml", 9),
    ("mssentinel/kql_sent_winevent_logon.yaml", 8),
    ("mssentinel/kql_sent_winevent_proc.yaml", 6),
    ("openobserve/openobserve_queries.yaml", 2),
    ("prismacloud/rql_asset_search.yaml", 7),
    ("prismacloud/rql_config_resource_aws_ec2.yaml", 17),
    ("prismacloud/rql_config_resource_aws_rds.yaml", 1),
    ("prismacloud/rql_config_resource_aws_s3.yaml", 13),
    ("prismacloud/rql_config_resource_keyvault.yaml", 10),
    ("prismacloud/rql_event_search.yaml", 14),
    ("prismacloud/rql_network_flow_search.yaml", 5),
    ("resourcegraph/resource_graph_queries.yaml", 6),
    ("resourcegraph/sentinel_resources.yaml", 3),
    ("splunk/splunk_alert_queries.yaml", 4),
    ("splunk/splunk_authentication_queries.yaml", 4),
    ("splunk/splunk_queries.yaml", 5),
    ("sumologic/sumologic_queries.yaml", 1),
];

const INLINE_CASES: &str = r#"metadata:
  version: 1
  description: Inline rendering cases
  data_environments: [LocalData]
  data_families: [Cases]
defaults:
  parameters:
    table:
      description: Table name
      type: str
      default: Events
    top:
      description: Row limit
      type: int
      default: 10
sources:
  format_specs:
    description: Python format specs and escapes
    args:
      query: '{table} | take {top:05d} | extend score = {score:.2f}, name = "{name:>8}", pct = "{ratio:.1%}", obj = dynamic({{"k": "{name}"}})'
    parameters:
      score:
        description: A float score
        type: float
        default: 3.14159
      name:
        description: A short name
        type: str
      ratio:
        description: A ratio value
        type: float
        default: 0.256
  custom_format:
    description: Parameter format templates
    args:
      query: "{table}\n\n| where Account in ({accounts})\n   \n| where Time > {since}\n| where Id == {event_id}"
    parameters:
      accounts:
        description: Account names
        type: list
        format: "[{}]"
      since:
        description: Start time
        type: datetime
        format: "datetime('{}')"
      event_id:
        description: Event identifier
        type: int
        aliases: [eid, id]
"#;

const EXP0: &str = " SecurityEvent | where EventID == 4624  | project TenantId, Account, EventID, TimeGenerated, SourceComputerId, Computer, SubjectUserName, SubjectDomainName, SubjectUserSid, TargetUserName, TargetDomainName, TargetUserSid, TargetLogonId, LogonProcessName, LogonType, LogonTypeName, AuthenticationPackageName, Status, IpAddress, WorkstationName | extend TimeCreatedUtc=TimeGenerated | where true | where Computer has \"h1\" | where TimeGenerated >= datetime(2024-01-01T00:00:00+00:00) | where TimeGenerated <= datetime(2024-01-02T03:04:05Z) ";
const EXP1: &str = " AzureNetworkAnalytics_CL | where SubType_s == \"FlowLog\" | where FlowStartTime_t >= datetime(2024-01-01T00:00:00+00:00) | where FlowEndTime_t <= datetime(2024-01-02T12:30:00.500000+00:00) | where (VMIP_s in ('10.0.0.1', '10.0.0.2') or SrcIP_s in ('10.0.0.1', '10.0.0.2') or DestIP_s in ('10.0.0.1', '10.0.0.2') ) | where (AllowedOutFlows_d > 0 or AllowedInFlows_d > 0) | project TenantId, TimeGenerated, FlowStartTime = FlowStartTime_t, FlowEndTime = FlowEndTime_t, FlowIntervalEndTime = FlowIntervalEndTime_t, FlowType = FlowType_s, ResourceGroup = split(VM_s, \"/\")[0], VMName = split(VM_s, \"/\")[1], VMIPAddress = VMIP_s, PublicIPs = extractall(@\"([\\d\\.]+)[|\\d]+\", dynamic([1]), PublicIPs_s), SrcIP = SrcIP_s, DestIP = DestIP_s, ExtIP = iif(FlowDirection_s == \"I\", SrcIP_s, DestIP_s), L4Protocol = L4Protocol_s, L7Protocol = L7Protocol_s, DestPort = DestPort_d, FlowDirection = FlowDirection_s, AllowedOutFlows = AllowedOutFlows_d, AllowedInFlows = AllowedInFlows_d, DeniedInFlows = DeniedInFlows_d, DeniedOutFlows = DeniedOutFlows_d, RemoteRegion = AzureRegion_s, VMRegion = Region_s | extend AllExtIPs = iif(isempty(PublicIPs), pack_array(ExtIP), iif(isempty(ExtIP), PublicIPs, array_concat(PublicIPs, pack_array(ExtIP))) ) | project-away ExtIP | mvexpand AllExtIPs ";
const EXP2: &str = " AzureNetworkAnalytics_CL | where SubType_s == \"FlowLog\" | where FlowStartTime_t >= datetime(2024-01-01T00:00:00Z) | where FlowEndTime_t <= datetime(2024-01-02T00:00:00Z) | where (VMIP_s in ('10.0.0.1', '10.0.0.2', '10.0.0.3') or SrcIP_s in ('10.0.0.1', '10.0.0.2', '10.0.0.3') or DestIP_s in ('10.0.0.1', '10.0.0.2', '10.0.0.3') ) | where (AllowedOutFlows_d > 0 or AllowedInFlows_d > 0) | project TenantId, TimeGenerated, FlowStartTime = FlowStartTime_t, FlowEndTime = FlowEndTime_t, FlowIntervalEndTime = FlowIntervalEndTime_t, FlowType = FlowType_s, ResourceGroup = split(VM_s, \"/\")[0], VMName = split(VM_s, \"/\")[1], VMIPAddress = VMIP_s, PublicIPs = extractall(@\"([\\d\\.]+)[|\\d]+\", dynamic([1]), PublicIPs_s), SrcIP = SrcIP_s, DestIP = DestIP_s, ExtIP = iif(FlowDirection_s == \"I\", SrcIP_s, DestIP_s), L4Protocol = L4Protocol_s, L7Protocol = L7Protocol_s, DestPort = DestPort_d, FlowDirection = FlowDirection_s, AllowedOutFlows = AllowedOutFlows_d, AllowedInFlows = AllowedInFlows_d, DeniedInFlows = DeniedInFlows_d, DeniedOutFlows = DeniedOutFlows_d, RemoteRegion = AzureRegion_s, VMRegion = Region_s | extend AllExtIPs = iif(isempty(PublicIPs), pack_array(ExtIP), iif(isempty(ExtIP), PublicIPs, array_concat(PublicIPs, pack_array(ExtIP))) ) | project-away ExtIP | mvexpand AllExtIPs ";
const EXP3: &str = " DeviceNetworkEvents | where Timestamp >= datetime(2024-02-01T10:00:00+02:00) | where Timestamp <= datetime(2024-02-02T00:00:00Z) | where DeviceName has \"web01\" ";
const EXP4: &str = "{\n  \"querymetadata\" :\n      {\n          \"queryType\": \"asset_query_relative\",\n          \"unit\": \"minute\",\n          \"amount\": \"1440\",\n          \"endpoint\": \"assets\",\n          \"query_by_user\": \"asset where cloud.service IN ('azure_sql_database')\",\n          \"isParsedinDriver\": true\n      }\n}";
const EXP5: &str = "{\n  \"querymetadata\" :\n      {\n          \"queryType\": \"asset_query_relative\",\n          \"unit\": \"day\",\n          \"amount\": \"30\",\n          \"endpoint\": \"assets\",\n          \"query_by_user\": \"x\",\n          \"isParsedinDriver\": true\n      }\n}";
const EXP6: &str = " SecurityAlert  | project-rename StartTimeUtc = StartTime, EndTimeUtc = EndTime, AlertDisplayName = DisplayName, Severity = AlertSeverity | extend AlertType = iif(isempty(AlertType), AlertName, AlertType) | where true | where TimeGenerated >= datetime(2024-03-01T00:00:00Z) | where TimeGenerated <= datetime(2024-03-02T00:00:00Z) | extend extendedProps = parse_json(ExtendedProperties) | extend CompromisedEntity = tostring(extendedProps[\"Compromised Host\"]) | project-away extendedProps | take 5";
const EXP7: &str = "Events | take 00010 | extend score = 3.14, name = \"     bob\", pct = \"25.6%\", obj = dynamic({\"k\": \"bob\"})";
const EXP8: &str = "Events | take 00007 | extend score = -2.50, name = \"   alice\", pct = \"100.0%\", obj = dynamic({\"k\": \"alice\"})";
const EXP9: &str = "Events\n| where Account in ([['adm', 'svc', 3]])\n| where Time > datetime('2024-05-06 07:08:09')\n| where Id == 4624";
const EXP10: &str = "Events\n| where Account in ([['root']])\n| where Time > datetime('2024-05-06 00:00:00+00:00')\n| where Id == 1";

fn query(relative: &str, name: &str) -> QueryTemplate {
    let file = load_query_file(fixture(&format!("msticpy/{relative}")).unwrap()).unwrap();
    file.queries.into_iter().find(|q| q.name == name).unwrap()
}

fn inline(name: &str) -> QueryTemplate {
    let file = parse_query_file(INLINE_CASES, Path::new("inline.yaml")).unwrap();
    file.queries.into_iter().find(|q| q.name == name).unwrap()
}

fn render(template: &QueryTemplate, params: Vec<(&str, ParamValue)>) -> String {
    let values: Vec<(String, ParamValue)> = params.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
    render_query(template, &values, &RenderOptions::default()).unwrap()
}

#[test]
fn all_builtin_query_files_load_with_their_query_counts() {
    let root = fixture("msticpy/queries").unwrap();
    let mut files = Vec::new();
    for family_dir in std::fs::read_dir(&root).unwrap().flatten() {
        for file in std::fs::read_dir(family_dir.path()).unwrap().flatten() {
            files.push(file.path());
        }
    }
    files.sort();
    assert_eq!(files.len(), 50);
    let mut total = 0;
    for path in &files {
        let relative = path.strip_prefix(&root).unwrap().to_string_lossy().replace('\\', "/");
        let loaded = load_query_file(path).unwrap_or_else(|e| panic!("{relative}: {e}"));
        let expected = BUILTIN_COUNTS.iter().find(|(name, _)| *name == relative).map(|(_, n)| *n);
        assert_eq!(Some(loaded.queries.len()), expected, "{relative}");
        total += loaded.queries.len();
    }
    assert_eq!(total, 308);
}

#[test]
fn every_invalid_file_is_rejected_naming_file_query_and_field() {
    let expectations = [
        ("sample_minimal_empty_parameter_default.yaml", "defaults.parameters.parameter1.default"),
        ("sample_minimal_incorrect_version.yaml", "metadata.version"),
        ("sample_minimal_invalid_parameter_type.yaml", "defaults.parameters.parameter1.type"),
        ("sample_minimal_long_parameter_description.yaml", "defaults.parameters.parameter1.description"),
        ("sample_minimal_missing_metadata.yaml", "metadata"),
        ("sample_minimal_missing_sources.yaml", "sources"),
        ("sample_minimal_short_parameter_description.yaml", "defaults.parameters.parameter1.description"),
    ];
    let dir = fixture("msticpy/testdata/queries/invalid").unwrap();
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), expectations.len());
    for (file, field) in expectations {
        let message = load_query_file(dir.join(file)).unwrap_err().to_string();
        assert!(message.contains(file), "{message}");
        assert!(message.contains(&format!("field '{field}'")), "{message}");
        if file != "sample_minimal_missing_sources.yaml" {
            assert!(message.contains("query1"), "{message}");
        }
    }
    let message = load_query_file(dir.join("sample_minimal_invalid_parameter_type.yaml")).unwrap_err().to_string();
    assert!(message.contains("line 13") && message.contains("'string' is not a parameter type"), "{message}");
}

#[test]
fn valid_samples_and_loader_fixtures() {
    let complete = load_query_file(fixture("msticpy/testdata/queries/valid/sample_complete.yaml").unwrap()).unwrap();
    let q = &complete.queries[0];
    assert_eq!(q.families, ["SecurityAlert"]);
    assert_eq!(q.params.len(), 5);
    assert_eq!(q.param("p1").unwrap().name, "parameter1");
    assert_eq!(q.param("param2").unwrap().name, "parameter2");
    assert!(q.param("parameter3").unwrap().is_required());
    assert_eq!(load_query_file(fixture("msticpy/testdata/queries/valid/sample_minimal.yaml").unwrap()).unwrap().queries.len(), 1);

    let success = load_query_file(fixture("msticpy/testdata/data_q_success.yaml").unwrap()).unwrap();
    assert_eq!(success.queries.len(), 3);
    let meta = load_query_file(fixture("msticpy/testdata/data_q_meta_fail.yaml").unwrap()).unwrap_err().to_string();
    assert!(meta.contains("data_q_meta_fail.yaml") && meta.contains("field 'metadata.data_families'"), "{meta}");
    let param = load_query_file(fixture("msticpy/testdata/data_q_source_fail_param.yaml").unwrap()).unwrap_err().to_string();
    assert!(param.contains("data_q_source_fail_param.yaml") && param.contains("query '") && param.contains("no definition"), "{param}");
    let kind = load_query_file(fixture("msticpy/testdata/data_q_source_fail_type.yaml").unwrap()).unwrap_err().to_string();
    assert!(kind.contains("data_q_source_fail_type.yaml") && kind.contains(".type'"), "{kind}");

    let hierarchy = load_query_file(fixture("msticpy/testdata/data_q_hierarchy.yaml").unwrap()).unwrap();
    let families: Vec<(String, Vec<String>)> = hierarchy.queries.iter().map(|q| (q.name.clone(), q.families.clone())).collect();
    assert_eq!(families[0], ("query1".to_string(), vec!["Alerts.type1".to_string()]));
    assert_eq!(families[1], ("query2".to_string(), vec!["Alerts.type2".to_string()]));
    assert_eq!(families[2], ("query3".to_string(), vec!["Alerts.type3".to_string()]));
}

#[test]
fn renders_datetime_aware_and_naive_like_msticpy() {
    let q = query("queries/mssentinel/kql_sent_winevent_logon.yaml", "list_host_logons");
    let start = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
    let text = render(&q, vec![("host_name", "h1".into()), ("start", start.into()), ("end", "2024-01-02 03:04:05".into())]);
    assert_eq!(text, EXP0);
}

#[test]
fn renders_list_parameters_from_macros_like_msticpy() {
    let q = query("queries/mssentinel/kql_sent_net.yaml", "list_azure_network_flows_by_ip");
    let end = Utc.with_ymd_and_hms(2024, 1, 2, 12, 30, 0).unwrap() + chrono::Duration::microseconds(500_000);
    let text = render(&q, vec![("ip_address_list", vec!["10.0.0.1", "10.0.0.2"].into()), ("start", "2024-01-01T00:00:00Z".into()), ("end", end.into())]);
    assert_eq!(text, EXP1);
    let text = render(&q, vec![("ip_address_list", "10.0.0.1, 10.0.0.2,10.0.0.3".into()), ("start", "2024-01-01".into()), ("end", "2024-01-02".into())]);
    assert_eq!(text, EXP2);
}

#[test]
fn renders_aliases_and_offsets_like_msticpy() {
    let q = query("queries/m365d/kql_m365_network.yaml", "host_connections");
    let text = render(&q, vec![("hostname", "web01".into()), ("start", "2024-02-01T10:00:00+02:00".into()), ("end", "2024-02-02".into())]);
    assert_eq!(text, EXP3);
}

#[test]
fn renders_escaped_braces_defaults_and_ints_like_msticpy() {
    let q = query("queries/prismacloud/rql_asset_search.yaml", "search_asset_relative");
    assert_eq!(render(&q, vec![("query_condition", "asset where cloud.service IN ('azure_sql_database')".into())]), EXP4);
    let text = render(&q, vec![("query_condition", "x".into()), ("amount_value", 30.into()), ("unit_type", "day".into())]);
    assert_eq!(text, EXP5);
}

#[test]
fn renders_dotted_family_query_with_default_params_like_msticpy() {
    let q = query("testdata/data_q_hierarchy.yaml", "query1");
    let text = render(&q, vec![("start", "2024-03-01".into()), ("end", "2024-03-02".into()), ("add_query_items", "| take 5".into())]);
    assert_eq!(text, EXP6);
}

#[test]
fn renders_format_specs_like_msticpy() {
    let q = inline("format_specs");
    assert_eq!(render(&q, vec![("name", "bob".into())]), EXP7);
    let text = render(&q, vec![("name", "alice".into()), ("top", 7.into()), ("score", (-2.5).into()), ("ratio", 1.into())]);
    assert_eq!(text, EXP8);
}

#[test]
fn renders_format_templates_blank_lines_and_aliases_like_msticpy() {
    let q = inline("custom_format");
    let accounts = ParamValue::List(vec!["adm".into(), "svc".into(), 3.into()]);
    let text = render(&q, vec![("accounts", accounts), ("since", "2024-05-06 07:08:09".into()), ("eid", 4624.into())]);
    assert_eq!(text, EXP9);
    let since = Utc.with_ymd_and_hms(2024, 5, 6, 0, 0, 0).unwrap();
    assert_eq!(render(&q, vec![("accounts", "root".into()), ("since", since.into()), ("id", 1.into())]), EXP10);
}

#[test]
fn environment_styles_for_lists_and_datetimes() {
    let q = query("queries/mssentinel/kql_sent_net.yaml", "list_azure_network_flows_by_ip");
    let values = vec![
        ("ip_address_list".to_string(), ParamValue::from(vec!["o'brien"])),
        ("start".to_string(), "2024-01-01".into()),
        ("end".to_string(), "2024-01-02".into()),
    ];
    let sentinel = render_query(&q, &values, &RenderOptions { style: FormatStyle::Sentinel, language: QueryLanguage::Kql, now: None }).unwrap();
    assert!(sentinel.contains(r"VMIP_s in ('o\'brien')"), "{sentinel}");
    let splunk = render_query(&q, &values, &RenderOptions { style: FormatStyle::Splunk, language: QueryLanguage::Spl, now: None }).unwrap();
    assert!(splunk.contains(r#"VMIP_s in ("o'brien")"#) && splunk.contains(r#"datetime("2024-01-01 00:00:00.000000")"#), "{splunk}");
}

#[test]
fn relative_times_render_with_injected_now() {
    let q = query("queries/mssentinel/kql_sent_winevent_logon.yaml", "list_host_logons");
    let now = Utc.with_ymd_and_hms(2024, 3, 15, 10, 30, 45).unwrap();
    let values = vec![("host_name".to_string(), "h1".into()), ("start".to_string(), "-1w@d".into()), ("end".to_string(), 0.into())];
    let text = render_query(&q, &values, &RenderOptions { style: FormatStyle::Sentinel, language: QueryLanguage::Kql, now: Some(now) }).unwrap();
    assert!(text.contains("TimeGenerated >= datetime(2024-03-08T00:00:00Z)"), "{text}");
    assert!(text.contains("TimeGenerated <= datetime(2024-03-15T10:30:45+00:00)"), "{text}");
}

#[test]
fn missing_and_unknown_parameters_are_named() {
    let q = query("queries/mssentinel/kql_sent_winevent_logon.yaml", "list_host_logons");
    let err = render_query(&q, &[], &RenderOptions::default()).unwrap_err().to_string();
    assert!(err.contains("query 'list_host_logons'") && err.contains("'host_name' (str: Name of host)"), "{err}");
    let values = vec![("hostname".to_string(), ParamValue::from("h1"))];
    let err = render_query(&q, &values, &RenderOptions::default()).unwrap_err().to_string();
    assert_eq!(err, "unknown parameter 'hostname'; did you mean: host_name?");
    let values = vec![("host_name".to_string(), "h".into()), ("start".to_string(), "soon-ish".into()), ("end".to_string(), 0.into())];
    let err = render_query(&q, &values, &RenderOptions::default()).unwrap_err().to_string();
    assert!(err.contains("parameter 'start'") && err.contains("'soon-ish'"), "{err}");
}

#[test]
fn splunk_times_match_the_timeformat_our_splunk_queries_declare() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../queries/splunk/splunk_general.yaml");
    let file = load_query_file(path).unwrap();
    let q = file.queries.into_iter().find(|q| q.name == "list_all_datatypes").unwrap();
    let start = Utc.with_ymd_and_hms(2024, 3, 14, 8, 0, 0).unwrap();
    let end = start + chrono::Duration::microseconds(1_500_042);
    let values = vec![("start".to_string(), ParamValue::from(start)), ("end".to_string(), ParamValue::from(end))];
    let text = render_query(&q, &values, &RenderOptions { style: FormatStyle::Splunk, language: QueryLanguage::Spl, now: None }).unwrap();
    assert!(
        text.contains(r#"earliest="2024-03-14 08:00:00.000000" latest="2024-03-14 08:00:01.500042" timeformat="%Y-%m-%d %H:%M:%S.%6N""#),
        "{text}"
    );
}
