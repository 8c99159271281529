//! Entities from values, Frame rows and MSTICPy's Sentinel entity JSON (`entities.json`).

use mstic_core::Frame;
use mstic_core::paths::fixture;
use mstic_pivot::*;

fn sentinel_entities() -> Vec<Entity> {
    let text = std::fs::read_to_string(fixture("msticpy/testdata/entities.json").unwrap()).expect("entities.json");
    entities_from_json(&text).expect("parsed")
}

#[test]
fn entities_json_gives_typed_entities_with_links_resolved() {
    let entities = sentinel_entities();
    assert_eq!(entities.len(), 7);
    let kinds: Vec<EntityKind> = entities.iter().map(Entity::kind).collect();
    assert_eq!(
        kinds,
        vec![
            EntityKind::Host,
            EntityKind::File,
            EntityKind::Process,
            EntityKind::Account,
            EntityKind::File,
            EntityKind::Process,
            EntityKind::HostLogonSession
        ]
    );
    let host = Host::from_entity(entities[0].clone()).unwrap();
    assert_eq!(host.host_name().as_deref(), Some("MSTICALERTSWIN1"));
    assert_eq!(host.os_family().as_deref(), Some("Windows"));
    // DnsDomain is empty, so fqdn is the host name.
    assert_eq!(host.fqdn().as_deref(), Some("MSTICALERTSWIN1"));

    let mimikatz = Process::from_entity(entities[5].clone()).unwrap();
    assert_eq!(mimikatz.process_id().as_deref(), Some("0x6b8"));
    assert_eq!(mimikatz.command_line().as_deref(), Some(".\\mimikatz.exe"));
    assert_eq!(
        mimikatz.process_file_path().as_deref(),
        Some("c:\\windows\\servic~2\\networ~1\\appdata\\local\\temp\\mimikatz.exe")
    );
    // $ref links: the account, parent process and host are the full entities.
    let account = Account::from_entity(mimikatz.get_entity("Account").unwrap()).unwrap();
    assert_eq!(account.name().as_deref(), Some("MSTICAlertsWin1$"));
    assert_eq!(account.qualified_name().as_deref(), Some("WORKGROUP\\MSTICAlertsWin1$"));
    assert_eq!(account.sid().as_deref(), Some("S-1-5-20"));
    let parent = mimikatz.get_entity("ParentProcess").unwrap();
    assert_eq!(parent.get_str("ProcessId").as_deref(), Some("0x1558"));
    assert_eq!(mimikatz.get_entity("Host").unwrap().get_str("HostName").as_deref(), Some("MSTICALERTSWIN1"));

    let session = HostLogonSession::from_entity(entities[6].clone()).unwrap();
    assert_eq!(session.session_id().as_deref(), Some("0x3e4"));
    let file = File::from_entity(entities[1].clone()).unwrap();
    assert_eq!(file.name().as_deref(), Some("cmd.exe"));
    assert_eq!(file.path().as_deref(), Some("c:\\windows\\system32\\cmd.exe"));
}

#[test]
fn entities_display_as_html_and_text() {
    let entities = sentinel_entities();
    let bundle = entities[5].mime_bundle();
    let text = bundle.plain_text().unwrap();
    assert!(text.starts_with("Process: c:\\windows\\servic~2"), "{text}");
    assert!(text.contains("  Account: Account: WORKGROUP\\MSTICAlertsWin1$"), "{text}");
    let html = bundle.data["text/html"].as_str().unwrap();
    assert!(html.contains("<th>ProcessId</th><td>0x6b8</td>"), "{html}");
}

#[test]
fn entities_from_values_fill_main_and_derived_properties() {
    assert_eq!(IpAddress::new("104.211.30.1").address().as_deref(), Some("104.211.30.1"));
    let host = Host::new("msticalertswin1.contoso.com");
    assert_eq!(host.host_name().as_deref(), Some("msticalertswin1"));
    assert_eq!(host.dns_domain().as_deref(), Some("contoso.com"));
    assert_eq!(host.fqdn().as_deref(), Some("msticalertswin1.contoso.com"));
    let user = Account::new("ian@contoso.com");
    assert_eq!((user.name().as_deref(), user.upn_suffix().as_deref()), (Some("ian"), Some("contoso.com")));
    assert_eq!(user.qualified_name().as_deref(), Some("ian@contoso.com"));
    let url = Url::new("https://www.contoso.com/path#frag?query=xxx");
    assert_eq!(url.host().as_deref(), Some("www.contoso.com"));
    assert_eq!(url.scheme().as_deref(), Some("https"));
    assert_eq!(url.path().as_deref(), Some("/path"));
    assert_eq!(url.fragment().as_deref(), Some("frag?query=xxx"));
    let file = File::new("c:\\windows\\system32\\cmd.exe");
    assert_eq!((file.directory().as_deref(), file.name().as_deref()), (Some("c:\\windows\\system32"), Some("cmd.exe")));
    let hashed = File::from_hash("00236a2ae558018ed13b5222ef1bd987");
    assert_eq!(hashed.md5().as_deref(), Some("00236a2ae558018ed13b5222ef1bd987"));
    assert_eq!(hashed.file_hash().as_deref(), Some("00236a2ae558018ed13b5222ef1bd987"));
    let hashes = File::empty().with(
        "FileHashes",
        serde_json::json!([{"Type": "filehash", "Algorithm": "MD5", "Value": "aa"}, {"Type": "filehash", "Algorithm": "SHA256", "Value": "bb"}]),
    );
    assert_eq!(hashes.file_hash().as_deref(), Some("bb"));
    assert_eq!(AzureResource::new("/subscriptions/1/rg").resource_id().as_deref(), Some("/subscriptions/1/rg"));
    assert_eq!(FileHash::new("a".repeat(64)).algorithm().as_deref(), Some("SHA256"));
}

#[test]
fn entity_names_and_aliases_resolve() {
    for (name, kind) in [
        ("IpAddress", EntityKind::IpAddress),
        ("ip", EntityKind::IpAddress),
        ("User", EntityKind::Account),
        ("Machine", EntityKind::Host),
        ("dnsresolve", EntityKind::Dns),
        ("host-logon-session", EntityKind::HostLogonSession),
        ("azure-resource", EntityKind::AzureResource),
        ("location", EntityKind::GeoLocation),
    ] {
        assert_eq!(EntityKind::parse(name).unwrap(), kind, "{name}");
    }
    let err = EntityKind::parse("IpAdress").unwrap_err().to_string();
    assert!(err.contains("did you mean: IpAddress"), "{err}");
}

#[test]
fn entities_from_frame_rows_map_columns_to_properties() {
    let frame = Frame::from_string_rows(
        &["Computer", "HostName", "OSFamily"],
        &[vec![Some("a.contoso.com"), Some("a"), Some("Windows")], vec![Some("b.contoso.com"), Some("b"), Some("Linux")]],
    )
    .unwrap();
    let hosts = Host::from_frame(&frame, &[("DnsDomain", "Computer")]).unwrap();
    assert_eq!(hosts.len(), 2);
    assert_eq!(hosts[1].os_family().as_deref(), Some("Linux"));
    assert_eq!(hosts[0].host_name().as_deref(), Some("a"));
    let ips = IpAddress::from_column(&Frame::from_string_rows(&["ip"], &[vec![Some("10.0.0.1")], vec![None]]).unwrap(), "ip").unwrap();
    assert_eq!(ips.len(), 1);
    assert_eq!(ips[0].to_json()["Type"], "ip");
}

/// MSTICPy's alias names still compile for one release (deprecated) and are the same types.
#[test]
#[allow(deprecated)]
fn deprecated_alias_names_are_the_same_entity_types() {
    let user: mstic_pivot::User = Account::new("ian@contoso.com");
    assert_eq!(user.name().as_deref(), Some("ian"));
    assert_eq!(mstic_pivot::Ip::new("10.0.0.1").address().as_deref(), Some("10.0.0.1"));
    assert_eq!(mstic_pivot::Machine::new("ws1.contoso.com").host_name().as_deref(), Some("ws1"));
    assert_eq!(mstic_pivot::Join::parse("left").unwrap(), PivotJoin::Left);
}
