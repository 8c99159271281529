//! Recorded responses in each service's documented shape, written for the demo services and
//! tests (the demo serves MSTICPy's recorded Log Analytics alerts and Kusto response instead when
//! the fixture folder is present).

/// Log Analytics: logon events (`EventID == 4624`) with 7-digit fractional times, a timespan and
/// a `dynamic` column sent as JSON text.
pub const LOGONS: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[
 {"name":"TimeGenerated","type":"datetime"},{"name":"Computer","type":"string"},{"name":"EventID","type":"int"},
 {"name":"Account","type":"string"},{"name":"LogonType","type":"int"},{"name":"IpAddress","type":"string"},
 {"name":"TargetLogonId","type":"string"},{"name":"SessionLength","type":"timespan"},{"name":"EventCount","type":"long"},
 {"name":"AdditionalFields","type":"dynamic"}],
 "rows":[
 ["2024-05-01T08:00:00.1234567Z","WORKSTATION5.contoso.com",4624,"CONTOSO\\wardog",2,"-","0x3e7","01:12:30.5000000",1,"{\"ElevatedToken\":\"%%1842\"}"],
 ["2024-05-01T08:15:10.0000001Z","WORKSTATION5.contoso.com",4624,"CONTOSO\\pgustavo",3,"10.0.1.12","0x4f1a2","00:05:00",3,"{\"ElevatedToken\":\"%%1843\"}"],
 ["2024-05-01T09:02:44.9876543Z","WORKSTATION5.contoso.com",4624,"NT AUTHORITY\\SYSTEM",5,"-","0x3e7","1.02:00:00",12,null],
 ["2024-05-01T09:30:00Z","WORKSTATION5.contoso.com",4624,"CONTOSO\\wardog",10,"203.0.113.7","0x5b7c1","00:42:07.2500000",1,"{\"ElevatedToken\":\"%%1842\",\"RemoteHost\":\"203.0.113.7\"}"]
 ]}]}"#;

/// Log Analytics: a `PartialError` result (HTTP 200 with rows and an `error` object).
pub const PARTIAL_HEARTBEAT: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[
 {"name":"TimeGenerated","type":"datetime"},{"name":"Computer","type":"string"},{"name":"OSType","type":"string"}],
 "rows":[["2024-05-01T10:00:00Z","WORKSTATION5.contoso.com","Windows"],["2024-05-01T10:00:30Z","web01.contoso.com","Linux"]]}],
 "error":{"code":"PartialError","message":"There were some errors when processing your query.",
  "details":[{"code":"EngineError","message":"Something went wrong processing your query on the server.",
   "innererror":{"code":"-2133196797","message":"The results of this query exceed the set limit of 64 MB, so not all records were returned.","severity":2,"severityName":"Error"}}]}}"#;

/// Graph `runHuntingQuery` (lower-case `schema`/`results`, .NET type names).
pub const GRAPH_HUNTING: &str = r#"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#microsoft.graph.security.huntingQueryResults",
 "schema":[{"name":"Timestamp","type":"DateTime"},{"name":"DeviceName","type":"String"},{"name":"FileName","type":"String"},
  {"name":"ProcessCommandLine","type":"String"},{"name":"InitiatingProcessId","type":"Int64"},{"name":"IsElevated","type":"Boolean"},
  {"name":"AdditionalFields","type":"Object"}],
 "results":[
  {"Timestamp":"2024-03-26T09:39:50.7688641Z","DeviceName":"workstation5","FileName":"cmd.exe","ProcessCommandLine":"cmd.exe /c whoami","InitiatingProcessId":4312,"IsElevated":false,"AdditionalFields":{"Signer":"Microsoft Windows"}},
  {"Timestamp":"2024-03-26T09:40:02.0000001Z","DeviceName":"workstation5","FileName":"reg.exe","ProcessCommandLine":"reg query HKLM\\Software\\Microsoft\\Internet Explorer /v svcVersion","InitiatingProcessId":4388,"IsElevated":true,"AdditionalFields":null}]}"#;

/// Defender for Endpoint `advancedqueries/run` (capitalised `Schema`/`Results`/`Name`/`Type`).
pub const MDE_HUNTING: &str = r#"{"Schema":[{"Name":"Timestamp","Type":"DateTime"},{"Name":"DeviceName","Type":"String"},
 {"Name":"RemoteIP","Type":"String"},{"Name":"RemotePort","Type":"Int32"}],
 "Results":[{"Timestamp":"2024-03-26T09:41:00.5Z","DeviceName":"workstation5","RemoteIP":"203.0.113.7","RemotePort":443},
  {"Timestamp":"2024-03-26T09:41:05Z","DeviceName":"workstation5","RemoteIP":"198.51.100.20","RemotePort":8080}]}"#;

/// Graph OData `security/alerts_v2` page.
pub const GRAPH_ALERTS: &str = r##"{"@odata.context":"https://graph.microsoft.com/v1.0/$metadata#security/alerts_v2",
 "value":[{"id":"da637551227677560813_-961444813","title":"Suspicious execution of hidden file","severity":"high","status":"new",
   "createdDateTime":"2024-05-01T09:00:00.1234567Z","serviceSource":"microsoftDefenderForEndpoint","evidence":[{"@odata.type":"#microsoft.graph.security.deviceEvidence","deviceDnsName":"workstation5"}]},
  {"id":"da637551227677560813_-961444814","title":"Unusual sign-in","severity":"medium","status":"inProgress",
   "createdDateTime":"2024-05-01T09:05:00Z","serviceSource":"azureAdIdentityProtection","evidence":[]}]}"##;

/// Splunk search export: JSON lines, every value a string, a multivalue field, and an info
/// message line.
pub const SPLUNK_EXPORT: &str = concat!(
    r#"{"preview":false,"offset":0,"result":{"_time":"2024-05-01T10:00:00.000+00:00","host":"web1","status":"404","bytes":"512","uri":["/a","/b"],"response_time":"0.25"}}"#, "\n",
    r#"{"preview":false,"offset":1,"result":{"_time":"2024-05-01T10:00:01.000+00:00","host":"web2","status":"200","bytes":"10240","uri":"/index.html","response_time":"1.5"}}"#, "\n",
    r#"{"preview":false,"offset":2,"lastrow":true,"result":{"_time":"2024-05-01T10:00:02.500+00:00","host":"web1","status":"500","bytes":"0","uri":"/api","response_time":"3"}}"#, "\n",
    r#"{"messages":[{"type":"INFO","text":"Your timerange was substituted based on your search string"}]}"#, "\n",
);

/// A Kusto v2 response used when MSTICPy's recorded one is not available.
pub const KUSTO_V2: &str = r#"[{"FrameType":"DataSetHeader","IsProgressive":false,"Version":"v2.0"},
 {"FrameType":"DataTable","TableId":1,"TableKind":"PrimaryResult","TableName":"PrimaryResult",
  "Columns":[{"ColumnName":"Timestamp","ColumnType":"datetime"},{"ColumnName":"DeviceName","ColumnType":"string"},
   {"ColumnName":"Duration","ColumnType":"timespan"},{"ColumnName":"Count","ColumnType":"long"},{"ColumnName":"Extra","ColumnType":"dynamic"}],
  "Rows":[["2023-04-11T16:19:50.7862004Z","workstation5","00:00:01.5000000",3,{"a":1}],["2023-04-11T16:20:00Z","web01","1.00:00:00",7,null]]},
 {"FrameType":"DataSetCompletion","HasErrors":false,"Cancelled":false}]"#;

/// The OAuth2 client-credential token response.
pub const TOKEN: &str = r#"{"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,"access_token":"demo-access-token"}"#;

/// Log Analytics: process creations (`SecurityEvent` 4688) on the demo incident's host `soc-vm01`,
/// an encoded PowerShell download among them.
pub const PROCESSES: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[
 {"name":"TimeGenerated","type":"datetime"},{"name":"Computer","type":"string"},{"name":"EventID","type":"int"},
 {"name":"SubjectUserName","type":"string"},{"name":"NewProcessName","type":"string"},{"name":"CommandLine","type":"string"},
 {"name":"ParentProcessName","type":"string"},{"name":"NewProcessId","type":"string"},{"name":"ProcessId","type":"string"}],
 "rows":[
 ["2024-05-02T08:02:10Z","soc-vm01",4688,"ann.lee","C:\\Windows\\System32\\cmd.exe","cmd.exe /c whoami /all","C:\\Windows\\explorer.exe","0x1a2c","0x0f10"],
 ["2024-05-02T08:03:29Z","soc-vm01",4688,"ann.lee","C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQAIABOAGUAdAAuAFcAZQBiAEMAbABpAGUAbgB0ACkA","C:\\Windows\\System32\\cmd.exe","0x1b40","0x1a2c"],
 ["2024-05-02T08:11:40Z","soc-vm01",4688,"ann.lee","C:\\Windows\\System32\\net.exe","net group \"Domain Admins\" /domain","C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe","0x1c08","0x1b40"]
 ]}]}"#;

/// Log Analytics: Entra ID sign-ins (`SigninLogs`) of the demo incident's account, two of them from
/// a Tor exit node.
pub const SIGNINS: &str = r#"{"tables":[{"name":"PrimaryResult","columns":[
 {"name":"TimeGenerated","type":"datetime"},{"name":"UserPrincipalName","type":"string"},{"name":"AppDisplayName","type":"string"},
 {"name":"IPAddress","type":"string"},{"name":"Location","type":"string"},{"name":"ResultType","type":"string"},
 {"name":"ResultDescription","type":"string"},{"name":"ClientAppUsed","type":"string"}],
 "rows":[
 ["2024-05-02T07:40:00Z","ann.lee@contoso.com","Azure Portal","20.51.10.99","US","0","","Browser"],
 ["2024-05-02T07:57:31Z","ann.lee@contoso.com","Azure Portal","185.220.101.7","DE","50126","Invalid username or password","Browser"],
 ["2024-05-02T07:58:12Z","ann.lee@contoso.com","Azure Portal","185.220.101.7","DE","0","","Browser"]
 ]}]}"#;
