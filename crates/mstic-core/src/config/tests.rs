//! Config loading on MSTICPy's fixture configs.

use super::*;
use crate::paths::fixture;

fn testdata(name: &str) -> MsticConfig {
    MsticConfig::load(fixture(&format!("msticpy/testdata/{name}")).unwrap()).unwrap()
}

#[test]
fn every_fixture_config_loads() {
    let dir = fixture("msticpy/testdata").unwrap();
    let mut loaded = 0;
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.starts_with("msticpyconfig") && name.ends_with(".yaml") {
            let config = MsticConfig::load(entry.path()).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(!config.sections().is_empty(), "{name}");
            loaded += 1;
        }
    }
    assert_eq!(loaded, 7);
}

#[test]
fn workspaces_and_synthesized_data_providers() {
    let config = testdata("msticpyconfig.yaml");
    let names: Vec<String> = config.workspaces().iter().map(|w| w.name.clone()).collect();
    assert_eq!(names, ["Default", "MyTestWS"]);
    let ws = config.workspace("mytestws").unwrap();
    assert_eq!(ws.workspace_id.as_deref(), Some("a927809c-8142-43e1-96b3-4ad87cfe95a3"));
    assert_eq!(ws.tenant_id.as_deref(), Some("69d28fd7-42a5-48bc-a619-af56397b9f28"));
    assert!(config.workspace("Defualt").unwrap_err().to_string().contains("did you mean: Default"));
    let providers: Vec<String> = config.data_providers().iter().map(|p| p.name.clone()).collect();
    assert_eq!(
        providers,
        ["Kusto-MSTIC1", "Kusto-MSTIC2", "AzureCLI", "MicrosoftDefender", "MicrosoftGraph", "Cybereason", "AzureSentinel_Default", "AzureSentinel_MyTestWS"]
    );
    let kusto = config.data_provider("kusto-mstic1").unwrap();
    assert_eq!(kusto.arg("Cluster").unwrap().as_deref(), Some("https://mstic.kusto.windows.net"));
    assert_eq!(kusto.arg("IntegratedAuth").unwrap().as_deref(), Some("true"));
    // The MSSentinel section name is an alias of AzureSentinel.
    assert!(config.get("MSSentinel.Workspaces.Default.WorkspaceId").is_some());
}

#[test]
fn ti_providers_with_args_primary_and_provider() {
    let config = testdata("msticpyconfig.yaml");
    let ti = config.ti_providers();
    assert_eq!(ti.len(), 13);
    let otx = ti.iter().find(|p| p.name == "OTX").unwrap();
    assert_eq!(otx.provider.as_deref(), Some("OTX"));
    assert!(otx.primary);
    assert_eq!(otx.arg("AuthKey").unwrap().as_deref(), Some("987654321"));
    let xforce = ti.iter().find(|p| p.name == "XForce").unwrap();
    assert!(!xforce.primary);
    let tor = ti.iter().find(|p| p.name == "TorExitNodes").unwrap();
    assert!(tor.args.is_empty());
    let geo = config.other_providers().into_iter().find(|p| p.name == "GeoIPLite").unwrap();
    assert_eq!(geo.provider.as_deref(), Some("GeoLiteLookup"));
    assert_eq!(geo.arg("DBFolder").unwrap().as_deref(), Some("~/.msticpy"));
    assert_eq!(config.context_providers()[0].arg("Instance").unwrap().as_deref(), Some("test"));
}

#[test]
fn secrets_resolve_from_environment_and_never_print() {
    let config = testdata("msticpyconfig.yaml");
    // SAFETY: only this test reads or writes this variable.
    unsafe { std::env::set_var("VTAUTHKEY", "vt-secret-value") };
    let vt = config.ti_providers().into_iter().find(|p| p.name == "VirusTotal").unwrap();
    assert_eq!(vt.arg("AuthKey").unwrap().as_deref(), Some("vt-secret-value"));
    let shown = format!("{vt:?} {}", vt.args["AuthKey"]);
    assert!(!shown.contains("vt-secret-value"), "{shown}");
    assert!(shown.contains("$env:VTAUTHKEY"));
    let otx = config.ti_providers().into_iter().find(|p| p.name == "OTX").unwrap();
    assert!(!format!("{otx:?}").contains("987654321"));
    let err = config.setting("OtherProviders.GeoIPLite.Args.AuthKey").unwrap();
    if std::env::var("MAXMIND_AUTH").is_err() {
        let message = err.resolve().unwrap_err().to_string();
        assert!(message.contains("OtherProviders.GeoIPLite.Args.AuthKey") && message.contains("MAXMIND_AUTH"), "{message}");
    }
}

#[test]
fn key_vault_references_name_vault_and_secret() {
    let config = testdata("msticpyconfig-kv.yaml");
    let ti = config.ti_providers();
    let arg = |provider: &str, name: &str| ti.iter().find(|p| p.name == provider).unwrap().args[name].clone();
    assert_eq!(arg("OTX", "AuthKey").key_vault_secret(), (Some("myvault".into()), "OTX_AuthKey".into()));
    assert_eq!(arg("VirusTotal", "AuthKey").key_vault_secret(), (Some("myvault".into()), "TIProviders-VirusTotal-Args-AuthKey".into()));
    assert_eq!(arg("XForce", "AuthKey").key_vault_secret(), (Some("myvault".into()), "XForce_AuthKey".into()));
    assert_eq!(format!("{:?}", arg("OTX", "AuthKey")), "KeyVault:myvault/OTX_AuthKey");
    assert!(arg("OTX", "AuthKey").is_secret());
    let kv = config.key_vault().unwrap();
    assert_eq!(kv.vault_name.as_deref(), Some("myvault"));
    assert!(kv.use_keyring);
    assert_eq!(config.key_vault_access().vault_url("myvault").unwrap().as_str(), "https://myvault.vault.azure.net/");
    // A vault given as a URL keeps its '/'s; the secret name is the last part.
    let by_url = MsticConfig::from_yaml_str("TIProviders:\n  OTX:\n    Args:\n      AuthKey:\n        KeyVault: https://kv.example.net/otx-key\n", "url.yaml").unwrap();
    assert_eq!(by_url.ti_providers()[0].args["AuthKey"].key_vault_secret(), (Some("https://kv.example.net".into()), "otx-key".into()));
    // Without any vault name the error says what to configure (no sign-in is attempted).
    let unnamed = MsticConfig::from_yaml_str("TIProviders:\n  OTX:\n    Args:\n      AuthKey:\n        KeyVault:\n", "none.yaml").unwrap();
    let message = unnamed.ti_providers()[0].arg("AuthKey").unwrap_err().to_string();
    assert!(message.contains("TIProviders.OTX.Args.AuthKey") && message.contains("KeyVault.VaultName"), "{message}");
}

#[test]
fn query_definitions_and_defaults() {
    let config = testdata("msticpyconfig.yaml");
    let defs = config.query_definitions();
    assert_eq!(defs.default, ["queries"]);
    assert_eq!(defs.custom, [std::path::PathBuf::from("testdata")]);
    let empty = MsticConfig::default();
    assert_eq!(empty.query_definitions().default, ["queries"]);
    assert!(empty.local_data_paths().is_empty());
    let local = MsticConfig::from_yaml_str("DataProviders:\n  LocalData:\n    data_paths: [/data/a, ~/b]\n", "inline").unwrap();
    let paths = local.local_data_paths();
    assert_eq!(paths[0], std::path::PathBuf::from("/data/a"));
    assert!(!paths[1].to_string_lossy().starts_with('~'));
}

#[test]
fn discovery_order_env_then_cwd_then_home() {
    let base = std::env::temp_dir().join(format!("mstic-config-test-{}", std::process::id()));
    let (cwd, home, explicit) = (base.join("cwd"), base.join("home"), base.join("explicit.yaml"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(home.join(".msticpy")).unwrap();
    std::fs::write(home.join(".msticpy").join(CONFIG_FILE_NAME), "Azure: {cloud: global}\n").unwrap();
    assert_eq!(find_config_file(None, &cwd, Some(&home)), Some(home.join(".msticpy").join(CONFIG_FILE_NAME)));
    std::fs::write(cwd.join(CONFIG_FILE_NAME), "Azure: {cloud: usgov}\n").unwrap();
    assert_eq!(find_config_file(None, &cwd, Some(&home)), Some(cwd.join(CONFIG_FILE_NAME)));
    std::fs::write(&explicit, "Azure: {cloud: cn}\n").unwrap();
    assert_eq!(find_config_file(Some(&explicit), &cwd, Some(&home)), Some(explicit.clone()));
    // A variable naming a missing file is skipped, as in MSTICPy.
    assert_eq!(find_config_file(Some(&base.join("missing.yaml")), &cwd, Some(&home)), Some(cwd.join(CONFIG_FILE_NAME)));
    std::fs::remove_dir_all(&base).unwrap();
}

#[test]
fn malformed_yaml_names_file_and_line() {
    let err = MsticConfig::from_yaml_str("a: [1, 2\nb: c\n", "bad.yaml").unwrap_err().to_string();
    assert!(err.starts_with("bad.yaml, line"), "{err}");
}

#[test]
fn one_setting_changes_in_place() {
    let mut config = MsticConfig::from_yaml_str("Azure:\n  cloud: global\n  auth_methods: [clientsecret]\n", "c.yaml").unwrap();
    config.set_yaml("azure.auth_methods", "[devicecode, cli]").unwrap();
    config.set_yaml("KeyVault.VaultName", "mstic-kv").unwrap();
    assert_eq!(config.setting("Azure.cloud").unwrap().resolve().unwrap(), "global");
    let methods: Vec<String> = config.get("Azure.auth_methods").unwrap().as_sequence().unwrap().iter().filter_map(setting::scalar_text).collect();
    assert_eq!(methods, ["devicecode", "cli"]);
    assert_eq!(config.key_vault().unwrap().vault_name.as_deref(), Some("mstic-kv"));
    assert!(config.set_yaml("Azure.cloud.name", "x").unwrap_err().to_string().contains("inside a value"));
    let mut empty = MsticConfig::default();
    empty.set_yaml("Azure.cloud", "usgov").unwrap();
    assert_eq!(empty.setting("Azure.cloud").unwrap().resolve().unwrap(), "usgov");
}
