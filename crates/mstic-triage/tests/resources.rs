//! Azure Resource Graph driver and Azure resource lookups against a real HTTP server on 127.0.0.1
//! speaking the token endpoint, `Microsoft.ResourceGraph/resources` and the Compute / Network
//! Resource Manager APIs with recorded answers in their documented shapes.

mod resources_support;

use mstic_data::provider::QueryProvider;
use mstic_data::remote::ResourceGraphDriver;
use mstic_data::{Driver, DriverSettings, QueryOptions};
use mstic_demo::resource_graph::*;
use mstic_demo::{DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION_ID, DemoServer, RecordedServer, Reply};
use mstic_pivot::entity::{AzureResource, Host};
use mstic_pivot::registry::Pivots;
use mstic_triage::resources::{AzureResources, VirtualMachine};
use resources_support::*;
use serde_json::json;

fn connected_driver(server: &RecordedServer, settings: DriverSettings) -> ResourceGraphDriver {
    let mut driver = ResourceGraphDriver::with_config("ResourceGraph", &settings, config(&server.base_url()));
    driver.connect().expect("connects");
    driver
}

fn strings(values: &[&str]) -> Vec<Option<String>> {
    values.iter().map(|v| Some(v.to_string())).collect()
}

#[test]
fn driver_sends_query_scope_and_options_and_pages_through_skip_tokens() {
    let server = demo_server();
    let driver = connected_driver(&server, fast_retries());
    let frame = driver.query("Resources | take 5", &QueryOptions::default()).unwrap();

    assert_eq!(frame.column_strings("name").unwrap(), strings(&["soc-vm01", "soc-vm01-nic", "soc-vm01-ip", "soc-vm01-nsg", "soc-workspace"]));
    assert_eq!(frame.columns(), ["id", "name", "type", "location", "resourceGroup", "subscriptionId", "tags"], "the answer's column order");
    assert_eq!(frame.column_strings("id").unwrap()[0].as_deref(), Some(DEMO_VM_ID));
    assert_eq!(frame.column_strings("resourceGroup").unwrap()[4].as_deref(), Some(DEMO_RESOURCE_GROUP));
    let tags: serde_json::Value = serde_json::from_str(frame.column_strings("tags").unwrap()[0].as_deref().unwrap()).unwrap();
    assert_eq!(tags, json!({"env": "prod", "owner": "soc"}), "nested objects are kept as JSON text");

    let requests = server.requests_to(GRAPH);
    assert_eq!(requests.len(), 2, "one request per page");
    assert!(requests.iter().all(|r| r.method == "POST" && r.path == format!("{GRAPH}?api-version=2022-10-01")), "{:?}", requests[0].path);
    assert_eq!(requests[0].header("authorization"), Some("Bearer arm-access-token"));
    let bodies = graph_bodies(&server);
    assert_eq!(bodies[0], json!({"subscriptions": [DEMO_SUBSCRIPTION_ID], "query": "Resources | take 5", "options": {"resultFormat": "table", "$top": 1000}}));
    assert_eq!(bodies[1]["options"]["$skipToken"], DEMO_SKIP_TOKEN);
    assert_eq!(bodies[1]["query"], "Resources | take 5");

    let token = &server.requests_to("/oauth2/v2.0/token")[0];
    assert!(token.body.contains("scope=") && token.body.contains(&mstic_data::remote::http::percent_encode(&format!("{}/.default", server.base_url()))), "{}", token.body);
    assert!(token.body.contains("client_secret="), "the Default workspace's credentials sign in");
}

#[test]
fn scope_and_paging_settings_reach_the_request() {
    let server = demo_server();
    let settings = fast_retries().set("subscriptions", "sub-a, sub-b").set("management_groups", "mg-soc").set("max_rows", "2");
    let driver = connected_driver(&server, settings);
    let frame = driver.query("Resources | project id, name", &QueryOptions::default()).unwrap();
    assert_eq!(frame.column_strings("name").unwrap(), strings(&["soc-vm01", "soc-vm01-nic"]));
    let bodies = graph_bodies(&server);
    assert_eq!(bodies.len(), 1, "no further page once max_rows rows are read");
    assert_eq!(bodies[0]["subscriptions"], json!(["sub-a", "sub-b"]));
    assert_eq!(bodies[0]["managementGroups"], json!(["mg-soc"]));
    assert_eq!(bodies[0]["options"]["$top"], 2);

    let mut options = QueryOptions::default();
    options.settings.insert("subscription_id".into(), "sub-c".into());
    options.settings.insert("max_rows".into(), "10".into());
    assert_eq!(driver.query("Resources", &options).unwrap().len(), 5);
    let last = graph_bodies(&server).pop().unwrap();
    assert_eq!((last["subscriptions"].clone(), last["options"]["$skipToken"].clone()), (json!(["sub-c"]), json!(DEMO_SKIP_TOKEN)));
}

#[test]
fn connect_signs_in_so_a_refused_credential_fails_there() {
    let server = RecordedServer::start().unwrap();
    let refused = r#"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#;
    server.route("POST", "/oauth2/v2.0/token", vec![Reply::json(401, refused)]);
    let mut driver = ResourceGraphDriver::with_config("ResourceGraph", &fast_retries(), config(&server.base_url()));
    let error = driver.connect().unwrap_err().to_string();
    assert!(error.contains("AADSTS7000215"), "{error}");
    assert!(!error.contains(CLIENT_SECRET), "{error}");
    assert!(!driver.is_connected());
    assert!(server.requests_to(GRAPH).is_empty(), "no query is sent");
}

#[test]
fn an_empty_result_is_an_empty_frame() {
    let server = server_with_token();
    server.route("POST", GRAPH, vec![Reply::json(200, json!({"totalRecords": 0, "count": 0, "data": [], "facets": [], "resultTruncated": "false"}))]);
    let frame = connected_driver(&server, fast_retries()).query("Resources | where name == 'none'", &QueryOptions::default()).unwrap();
    assert_eq!((frame.len(), frame.num_columns()), (0, 0));
    assert_eq!(server.requests_to(GRAPH).len(), 1);
}

#[test]
fn a_truncated_answer_without_skip_token_warns() {
    let server = server_with_token();
    let answer = json!({"totalRecords": 2500, "count": 1, "resultTruncated": "true", "facets": [], "data": [{"name": "vm-1", "location": "eastus"}]});
    server.route("POST", GRAPH, vec![Reply::json(200, answer)]);
    let frame = connected_driver(&server, fast_retries()).query("Resources | project name, location", &QueryOptions::default()).unwrap();
    assert_eq!(frame.column_strings("name").unwrap(), strings(&["vm-1"]));
    assert_eq!(frame.column_strings("location").unwrap(), strings(&["eastus"]), "an objectArray answer is read too");
    assert!(frame.warnings().iter().any(|w| w.contains("resultTruncated") && w.contains("'id'")), "{:?}", frame.warnings());
}

#[test]
fn a_table_row_of_the_wrong_width_is_an_error_naming_it() {
    let server = server_with_token();
    let data = json!({"columns": [{"name": "name", "type": "string"}, {"name": "location", "type": "string"}], "rows": [["vm-1", "eastus"], ["vm-2"]]});
    server.route("POST", GRAPH, vec![Reply::json(200, json!({"totalRecords": 2, "count": 2, "resultTruncated": "false", "data": data}))]);
    let error = connected_driver(&server, fast_retries()).query("Resources | project name, location", &QueryOptions::default()).unwrap_err().to_string();
    assert!(error.contains("row 1 that is not a list of 2 values"), "{error}");
}

#[test]
fn an_invalid_query_shows_resource_graphs_message() {
    let server = server_with_token();
    let answer = json!({"error": {"code": "BadRequest", "message": "Please provide below info when asking for support: timestamp = 2024-05-01T10:00:00Z, correlationId = 6f1c.",
        "details": [{"code": "InvalidQuery", "message": "Query is invalid. Please refer to the documentation for the Azure Resource Graph service and fix the error before retrying."},
                    {"code": "UnknownTable", "message": "Table 'Resourcez' does not exist."}]}});
    server.route("POST", GRAPH, vec![Reply::json(400, answer)]);
    let error = connected_driver(&server, fast_retries()).query("Resourcez | take 1", &QueryOptions::default()).unwrap_err().to_string();
    assert!(error.contains(&format!("POST {GRAPH}")) && error.contains("400"), "{error}");
    assert!(error.contains("InvalidQuery: Query is invalid") && error.contains("Table 'Resourcez' does not exist."), "{error}");
    assert!(error.contains(&format!("searched subscriptions {DEMO_SUBSCRIPTION_ID}")), "{error}");
    assert_eq!(server.requests_to(GRAPH).len(), 1, "a 400 is not retried");
}

#[test]
fn forbidden_names_the_reader_role_and_never_the_secret() {
    let server = server_with_token();
    let answer = json!({"error": {"code": "AuthorizationFailed", "message": "The client does not have authorization to perform action 'Microsoft.ResourceGraph/resources/read'."}});
    server.route("POST", GRAPH, vec![Reply::json(403, answer)]);
    let error = connected_driver(&server, fast_retries()).query("Resources", &QueryOptions::default()).unwrap_err().to_string();
    assert!(error.contains("403") && error.contains("the identity needs the 'Reader' role"), "{error}");
    assert!(error.contains("AuthorizationFailed"), "{error}");
    assert!(!error.contains(CLIENT_SECRET) && !error.contains("arm-access-token"), "{error}");
}

#[test]
fn query_provider_runs_resource_graph_queries() {
    let server = demo_server();
    let mut qp = QueryProvider::with_config("AzureResourceGraph", &config(&server.base_url()), &[]).unwrap();
    qp.connect().unwrap();
    let frame = qp.exec_query("Resources | take 5").unwrap();
    assert_eq!(frame.len(), 5);
    assert_eq!(frame.column_strings("type").unwrap()[3].as_deref(), Some("microsoft.network/networksecuritygroups"));
}

fn resources(server: &RecordedServer) -> AzureResources {
    AzureResources::with_config(&fast_retries(), &config(&server.base_url())).unwrap()
}

fn assert_demo_vm(vm: &VirtualMachine) {
    assert_eq!((vm.id.as_str(), vm.name.as_str()), (DEMO_VM_ID, DEMO_VM_NAME));
    assert_eq!((vm.subscription_id.as_str(), vm.resource_group.as_str(), vm.location.as_str()), (DEMO_SUBSCRIPTION_ID, DEMO_RESOURCE_GROUP, "eastus"));
    assert_eq!((vm.size.as_deref(), vm.os_type.as_deref()), (Some("Standard_D2s_v3"), Some("Windows")));
    assert_eq!(vm.os_name.as_deref(), Some("Windows Server 2022 Datacenter Azure Edition"));
    assert_eq!((vm.power_state.as_deref(), vm.computer_name.as_deref()), (Some("running"), Some("soc-vm01")));
    assert_eq!(vm.tags.get("owner").map(String::as_str), Some("soc"));
    assert_eq!(vm.network_interface_ids, vec![DEMO_NIC_ID.to_string()]);
    assert_eq!((vm.private_ips.clone(), vm.public_ips.clone()), (vec![DEMO_VM_PRIVATE_IP.to_string()], vec![DEMO_VM_PUBLIC_IP.to_string()]));
}

#[test]
fn vm_by_resource_id_with_network_context() {
    let server = demo_server();
    let azure = resources(&server);
    let vm = azure.vm(DEMO_VM_ID).unwrap();
    assert_demo_vm(&vm);
    assert!(server.requests_to(GRAPH).is_empty(), "a resource ID needs no search");
    let summary = vm.to_frame().unwrap();
    assert_eq!(summary.len(), 1);
    assert_eq!(summary.column_strings("private_ips").unwrap(), strings(&[DEMO_VM_PRIVATE_IP]));
    assert_eq!(summary.column_strings("tags").unwrap(), strings(&[r#"{"env":"prod","owner":"soc"}"#]));
    let vm_get = &server.requests_to("/virtualMachines/soc-vm01")[0];
    assert_eq!(vm_get.path, format!("{DEMO_VM_ID}?api-version=2024-07-01&$expand=instanceView"));
    assert_eq!(server.requests_to("/networkInterfaces/soc-vm01-nic")[0].path, format!("{DEMO_NIC_ID}?api-version=2024-05-01"));

    let nics = azure.network_interfaces(&vm).unwrap();
    assert_eq!(nics.len(), 1);
    assert_eq!(nics.column_strings("nic_name").unwrap(), strings(&["soc-vm01-nic"]));
    assert_eq!(nics.column_strings("private_ip").unwrap(), strings(&[DEMO_VM_PRIVATE_IP]));
    assert_eq!(nics.column_strings("subnet").unwrap(), strings(&["default"]));
    assert_eq!(nics.column_strings("public_ip_id").unwrap(), strings(&[DEMO_PUBLIC_IP_ID]));
    assert_eq!(nics.values::<bool>("primary").unwrap(), vec![Some(true)]);

    let ips = azure.public_ips(&vm).unwrap();
    assert_eq!(ips.column_strings("ip_address").unwrap(), strings(&[DEMO_VM_PUBLIC_IP]));
    assert_eq!(ips.column_strings("fqdn").unwrap(), strings(&["soc-vm01.eastus.cloudapp.azure.com"]));
    assert_eq!(ips.column_strings("allocation").unwrap(), strings(&["Static"]));

    // The rules of the interface's group and of the subnet's, by direction and priority.
    let rules = azure.network_security_groups(&vm).unwrap();
    assert_eq!(rules.column_strings("name").unwrap(), strings(&["RDP", "AllowHttpsFromVnet", "DenySshFromInternet", "DenySmbOutbound"]));
    assert_eq!(rules.values::<i64>("priority").unwrap(), vec![Some(300), Some(310), Some(4000), Some(400)]);
    assert_eq!(rules.column_strings("direction").unwrap(), strings(&["Inbound", "Inbound", "Inbound", "Outbound"]));
    assert_eq!(rules.column_strings("access").unwrap(), strings(&["Allow", "Allow", "Deny", "Deny"]));
    assert_eq!(rules.column_strings("source_prefixes").unwrap(), strings(&["*", "VirtualNetwork", "Internet", "*"]));
    assert_eq!(rules.column_strings("destination_ports").unwrap(), strings(&["3389", "443", "22", "445"]));
    assert_eq!(rules.column_strings("nsg").unwrap(), strings(&["soc-vm01-nsg", "soc-vm01-nsg", "soc-vnet-default-nsg", "soc-vm01-nsg"]));
    let attached = rules.column_strings("attached_to").unwrap();
    assert_eq!((attached[0].as_deref(), attached[2].as_deref()), (Some("network interface soc-vm01-nic"), Some("subnet soc-vnet/default")));
    assert_eq!(rules.values::<bool>("default_rule").unwrap(), vec![Some(false); 4]);
}

#[test]
fn vm_by_computer_name_is_found_with_resource_graph() {
    let server = demo_server();
    let vm = resources(&server).vm("soc-vm01.contoso.com").unwrap();
    assert_demo_vm(&vm);
    let bodies = graph_bodies(&server);
    assert_eq!(bodies.len(), 1);
    let query = bodies[0]["query"].as_str().unwrap();
    assert!(query.starts_with("Resources | where type =~ 'microsoft.compute/virtualmachines'"), "{query}");
    assert!(query.contains("computerName in~ ('soc-vm01.contoso.com', 'soc-vm01')"), "{query}");
    assert_eq!(bodies[0]["subscriptions"], json!([DEMO_SUBSCRIPTION_ID]));
}

#[test]
fn a_missing_vm_names_what_was_searched_and_where() {
    let server = demo_server();
    for name in ["ghost-vm", "brien-pc"] {
        server.route_body("POST", GRAPH, name, vec![Reply::json(200, json!({"totalRecords": 0, "count": 0, "data": [], "facets": [], "resultTruncated": "false"}))]);
    }
    let error = resources(&server).vm("ghost-vm").unwrap_err().to_string();
    assert!(error.contains("no virtual machine named or with computer name 'ghost-vm'"), "{error}");
    assert!(error.contains(&format!("subscriptions {DEMO_SUBSCRIPTION_ID}")), "{error}");
    let quoted = resources(&server).vm("o'brien-pc").unwrap_err().to_string();
    assert!(quoted.contains("no virtual machine named or with computer name 'o'brien-pc'"), "{quoted}");
    let query = graph_bodies(&server).pop().unwrap()["query"].as_str().unwrap().to_string();
    assert!(query.contains(r"name in~ ('o\'brien-pc')"), "the name is escaped in the KQL string: {query}");
}

#[test]
fn host_and_azure_resource_pivots_return_the_vm() {
    let server = demo_server();
    let pivots = Pivots::new();
    resources(&server).add_pivots(&pivots);
    let by_host = pivots.call("Host", "azure.vm", Host::new("soc-vm01").entity()).unwrap();
    assert_eq!(by_host.column_strings("HostName").unwrap(), strings(&["soc-vm01"]));
    assert_eq!(by_host.column_strings("private_ips").unwrap(), strings(&[DEMO_VM_PRIVATE_IP]));
    assert_eq!(by_host.column_strings("public_ips").unwrap(), strings(&[DEMO_VM_PUBLIC_IP]));
    assert_eq!(by_host.column_strings("power_state").unwrap(), strings(&["running"]));
    assert_eq!(by_host.column_strings("id").unwrap(), strings(&[DEMO_VM_ID]));

    let by_id = pivots.call("AzureResource", "azure.vm_details", AzureResource::new(DEMO_VM_ID).entity()).unwrap();
    assert_eq!(by_id.column_strings("computer_name").unwrap(), strings(&["soc-vm01"]));
    assert_eq!(by_id.column_strings("os_type").unwrap(), strings(&["Windows"]));

    server.route_body("POST", GRAPH, "laptop7", vec![Reply::json(200, json!({"totalRecords": 0, "count": 0, "data": [], "facets": [], "resultTruncated": "false"}))]);
    let mixed = pivots.call("Host", "azure.vm", vec!["soc-vm01", "laptop7"]).unwrap();
    assert_eq!(mixed.column_strings("name").unwrap(), vec![Some("soc-vm01".to_string()), None]);
    let errors = mixed.column_strings("error").unwrap();
    assert!(errors[0].is_none() && errors[1].as_deref().is_some_and(|e| e.contains("'laptop7'")), "{errors:?}");
}

#[test]
fn vm_display_escapes_every_value() {
    let document = json!({"id": DEMO_VM_ID, "name": "vm<b>", "location": "eastus", "tags": {"note": "<script>alert(1)</script>"}});
    let bundle = VirtualMachine::from_arm(&document).unwrap().mime_bundle();
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(!html.contains("<script>") && !html.contains("vm<b>"), "{html}");
    assert!(html.contains("&lt;script&gt;") && html.contains("vm&lt;b&gt;"), "{html}");
    let text = bundle.plain_text().unwrap();
    assert!(text.starts_with("Azure VM vm<b>") && text.contains("resource_group") && text.contains(DEMO_RESOURCE_GROUP), "{text}");
}

#[test]
fn demo_services_answer_the_provider_and_the_lookups() {
    let _demo = DemoServer::start().unwrap();
    let mut qp = QueryProvider::new("ResourceGraph").unwrap();
    qp.connect().unwrap();
    let inventory = qp.exec_query("Resources | take 5").unwrap();
    assert_eq!(inventory.column_strings("name").unwrap()[4].as_deref(), Some("soc-workspace"));
    let azure = AzureResources::new(&DriverSettings::default()).unwrap();
    let vm = azure.vm("soc-vm01").unwrap();
    assert_demo_vm(&vm);
    let rdp = azure.network_security_groups(&vm).unwrap();
    assert_eq!((rdp.column_strings("destination_ports").unwrap()[0].as_deref(), rdp.column_strings("source_prefixes").unwrap()[0].as_deref()), (Some("3389"), Some("*")));
}
