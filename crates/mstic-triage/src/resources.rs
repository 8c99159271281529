//! Azure resource lookups for investigations: the virtual machine behind a host (by resource ID,
//! VM name or computer name, found with Azure Resource Graph), its network interfaces, public IP
//! addresses and the security rules of the network security groups on its interfaces and their
//! subnets — read with Azure Resource
//! Manager (`Microsoft.Compute/virtualMachines` 2024-07-01, `Microsoft.Network` 2024-05-01).
//! [`AzureResources::add_pivots`] makes them pivots of `Host` and `AzureResource` entities
//! (`Host.azure.vm`, `AzureResource.azure.vm_details`).
//!
//! Sign-in and scope are the `ResourceGraph` driver's: the `Azure` section of
//! `msticpyconfig.yaml`, the `Default` workspace's credentials, and the `subscriptions` setting
//! (default: every workspace's `SubscriptionId`).

use mstic_core::config::MsticConfig;
use mstic_core::display::escape_html;
use mstic_core::{Error, Frame, MimeBundle, Result};
use mstic_data::DriverSettings;
use mstic_data::remote::ArmClient;
use mstic_data::remote::convert::{ColumnSpec, TableBuilder};
use mstic_data::remote::resource_graph::{READER_ROLE, ResourceGraphQuery, arm_client, subscriptions_from};
use mstic_data::remote::settings::current_config;
use mstic_pivot::entity::EntityKind;
use mstic_pivot::func::{PivotAction, PivotFunc, ResultRow, ValueFn};
use mstic_pivot::registry::Pivots;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

/// API version of `Microsoft.Compute/virtualMachines`.
pub const COMPUTE_API_VERSION: &str = "2024-07-01";
/// API version of the `Microsoft.Network` resources.
pub const NETWORK_API_VERSION: &str = "2024-05-01";

/// An Azure virtual machine as an investigation sees it: where it is, what runs on it, whether it
/// is running, and its addresses.
///
/// # Example
/// ```
/// use mstic_triage::resources::VirtualMachine;
/// let document = serde_json::json!({"id": "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.Compute/virtualMachines/vm1",
///     "name": "vm1", "location": "westeurope", "tags": {"env": "prod"},
///     "properties": {"hardwareProfile": {"vmSize": "Standard_B2s"}, "osProfile": {"computerName": "VM1"},
///         "storageProfile": {"osDisk": {"osType": "Linux"}},
///         "instanceView": {"statuses": [{"code": "PowerState/deallocated"}]}}});
/// let vm = VirtualMachine::from_arm(&document)?;
/// assert_eq!((vm.subscription_id.as_str(), vm.resource_group.as_str()), ("sub-1", "rg-1"));
/// assert_eq!((vm.power_state.as_deref(), vm.computer_name.as_deref()), (Some("deallocated"), Some("VM1")));
/// assert!(vm.mime_bundle().data["text/html"].as_str().is_some_and(|html| html.contains("Standard_B2s")));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Default)]
pub struct VirtualMachine {
    /// The resource ID (`/subscriptions/…/virtualMachines/name`).
    pub id: String,
    /// The VM resource name.
    pub name: String,
    /// Its resource group.
    pub resource_group: String,
    /// Its subscription ID.
    pub subscription_id: String,
    /// Azure region (`eastus`).
    pub location: String,
    /// `hardwareProfile.vmSize` (`Standard_D2s_v3`).
    pub size: Option<String>,
    /// `Windows` or `Linux` (`storageProfile.osDisk.osType`).
    pub os_type: Option<String>,
    /// The OS name the guest agent reports, else the image (`WindowsServer 2022-datacenter`).
    pub os_name: Option<String>,
    /// The OS version the guest agent reports.
    pub os_version: Option<String>,
    /// `running`, `stopped`, `deallocated`… (from the instance view, when read).
    pub power_state: Option<String>,
    /// `provisioningState`.
    pub provisioning_state: Option<String>,
    /// The guest's host name (`osProfile.computerName`).
    pub computer_name: Option<String>,
    /// The VM's unique ID (`vmId`), as agents report it.
    pub vm_id: Option<String>,
    /// Resource tags.
    pub tags: BTreeMap<String, String>,
    /// Resource IDs of its network interfaces.
    pub network_interface_ids: Vec<String>,
    /// Private IP addresses (filled once the network interfaces are read).
    pub private_ips: Vec<String>,
    /// Public IP addresses (filled once the public IP resources are read).
    pub public_ips: Vec<String>,
}

/// `value` at a `/`-separated path of keys (`properties/hardwareProfile/vmSize`).
fn at<'a>(value: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('/').try_fold(value, |v, key| v.get(key)).filter(|v| !v.is_null())
}

/// Text at `path`, if it is a non-empty string.
fn text_at(value: &Value, path: &str) -> Option<String> {
    at(value, path).and_then(Value::as_str).filter(|s| !s.is_empty()).map(str::to_string)
}

/// The segment after `key` in a resource ID (`resourceGroups` → the group), ignoring case.
fn id_part(id: &str, key: &str) -> Option<String> {
    let segments: Vec<&str> = id.split('/').collect();
    segments.windows(2).find(|w| w[0].eq_ignore_ascii_case(key)).map(|w| w[1].to_string())
}

/// The last segment of a resource ID (the resource's name).
fn id_name(id: &str) -> String {
    id.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_string()
}

fn is_resource_id(text: &str) -> bool {
    text.trim().to_ascii_lowercase().starts_with("/subscriptions/")
}

/// The `id` of every object in the list at `path`.
fn ids_at(value: &Value, path: &str) -> Vec<String> {
    at(value, path).and_then(Value::as_array).map(|items| items.iter().filter_map(|i| text_at(i, "id")).collect()).unwrap_or_default()
}

impl VirtualMachine {
    /// Reads a `Microsoft.Compute/virtualMachines` document (with or without its instance view);
    /// IP addresses stay empty until the network interfaces are read.
    pub fn from_arm(document: &Value) -> Result<VirtualMachine> {
        let id = text_at(document, "id").ok_or_else(|| Error::invalid("virtual machine document", "it has no 'id'"))?;
        let image = |key: &str| text_at(document, &format!("properties/storageProfile/imageReference/{key}"));
        let image_name = match (image("offer"), image("sku")) {
            (Some(offer), Some(sku)) => Some(format!("{offer} {sku}")),
            (offer, sku) => offer.or(sku),
        };
        let statuses = at(document, "properties/instanceView/statuses").and_then(Value::as_array).cloned().unwrap_or_default();
        let power_state = statuses.iter().filter_map(|s| text_at(s, "code")).find_map(|code| code.strip_prefix("PowerState/").map(str::to_string));
        let tags = at(document, "tags")
            .and_then(Value::as_object)
            .map(|tags| tags.iter().map(|(k, v)| (k.clone(), v.as_str().map_or_else(|| v.to_string(), str::to_string))).collect())
            .unwrap_or_default();
        Ok(VirtualMachine {
            name: text_at(document, "name").unwrap_or_else(|| id_name(&id)),
            resource_group: id_part(&id, "resourceGroups").unwrap_or_default(),
            subscription_id: id_part(&id, "subscriptions").unwrap_or_default(),
            location: text_at(document, "location").unwrap_or_default(),
            size: text_at(document, "properties/hardwareProfile/vmSize"),
            os_type: text_at(document, "properties/storageProfile/osDisk/osType"),
            os_name: text_at(document, "properties/instanceView/osName").or(image_name),
            os_version: text_at(document, "properties/instanceView/osVersion"),
            power_state,
            provisioning_state: text_at(document, "properties/provisioningState"),
            computer_name: text_at(document, "properties/osProfile/computerName").or_else(|| text_at(document, "properties/instanceView/computerName")),
            vm_id: text_at(document, "properties/vmId"),
            tags,
            network_interface_ids: ids_at(document, "properties/networkProfile/networkInterfaces"),
            private_ips: Vec::new(),
            public_ips: Vec::new(),
            id,
        })
    }

    /// The facts as `(field, value)` pairs, in display order (lists comma-separated, tags as JSON).
    pub fn summary(&self) -> ResultRow {
        let some = |v: &str| (!v.is_empty()).then(|| v.to_string());
        let joined = |v: &[String]| (!v.is_empty()).then(|| v.join(", "));
        let tags = (!self.tags.is_empty()).then(|| json!(self.tags).to_string());
        [
            ("name", some(&self.name)),
            ("computer_name", self.computer_name.clone()),
            ("power_state", self.power_state.clone()),
            ("os_type", self.os_type.clone()),
            ("os_name", self.os_name.clone()),
            ("os_version", self.os_version.clone()),
            ("size", self.size.clone()),
            ("location", some(&self.location)),
            ("resource_group", some(&self.resource_group)),
            ("subscription_id", some(&self.subscription_id)),
            ("private_ips", joined(&self.private_ips)),
            ("public_ips", joined(&self.public_ips)),
            ("tags", tags),
            ("provisioning_state", self.provisioning_state.clone()),
            ("vm_id", self.vm_id.clone()),
            ("network_interface_ids", joined(&self.network_interface_ids)),
            ("id", some(&self.id)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
    }

    /// The summary as a one-row table.
    pub fn to_frame(&self) -> Result<Frame> {
        let summary = self.summary();
        let names: Vec<&str> = summary.iter().map(|(k, _)| k.as_str()).collect();
        Frame::from_string_rows(&names, &[summary.iter().map(|(_, v)| v.as_deref()).collect()])
    }

    /// Rich display: an HTML table of the facts (every value escaped) and a plain-text list.
    pub fn mime_bundle(&self) -> MimeBundle {
        let rows: Vec<(String, String)> = self.summary().into_iter().filter_map(|(k, v)| v.map(|v| (k, v))).collect();
        let html_rows: String =
            rows.iter().map(|(k, v)| format!("<tr><th style=\"text-align:left\">{}</th><td>{}</td></tr>", escape_html(k), escape_html(v))).collect();
        let html = format!("<div><b>Azure VM {}</b><table>{html_rows}</table></div>", escape_html(&self.name));
        let width = rows.iter().map(|(k, _)| k.len()).max().unwrap_or(0);
        let text: String = rows.iter().map(|(k, v)| format!("\n  {k:<width$}  {v}")).collect();
        MimeBundle::new().with_text("text/html", html).with_text("text/plain", format!("Azure VM {}{text}", self.name))
    }

    /// Shows the VM as the cell's result.
    pub fn evcxr_display(&self) {
        self.mime_bundle().emit_as_result();
    }
}

/// Azure resource lookups: virtual machines and their network context, through Resource Graph
/// and Resource Manager.
///
/// # Example
/// ```
/// use mstic_data::DriverSettings;
/// use mstic_demo::{DemoServer, resource_graph::{DEMO_VM_PRIVATE_IP, DEMO_VM_PUBLIC_IP}};
/// use mstic_triage::resources::AzureResources;
/// let _demo = DemoServer::start()?;
/// let azure = AzureResources::new(&DriverSettings::default())?;
/// let vm = azure.vm("soc-vm01")?;
/// assert_eq!((vm.power_state.as_deref(), vm.os_type.as_deref()), (Some("running"), Some("Windows")));
/// assert_eq!((vm.private_ips.clone(), vm.public_ips.clone()), (vec![DEMO_VM_PRIVATE_IP.to_string()], vec![DEMO_VM_PUBLIC_IP.to_string()]));
/// let rules = azure.network_security_groups(&vm)?;
/// assert_eq!(rules.column_strings("destination_ports")?[0].as_deref(), Some("3389"));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone)]
pub struct AzureResources {
    client: ArmClient,
    subscriptions: Vec<String>,
    instance_view: bool,
}

impl std::fmt::Debug for AzureResources {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AzureResources").field("endpoint", &self.client.endpoint()).field("subscriptions", &self.subscriptions).finish()
    }
}

impl AzureResources {
    /// Lookups configured from `settings` (`subscriptions`, `instance_view` = `false` to skip the
    /// power state, sign-in settings) and the session's `msticpyconfig.yaml`.
    pub fn new(settings: &DriverSettings) -> Result<AzureResources> {
        Self::with_config(settings, &current_config())
    }

    /// The same, reading `config`.
    pub fn with_config(settings: &DriverSettings, config: &MsticConfig) -> Result<AzureResources> {
        let instance_view = !settings.option("instance_view").is_some_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "false" | "0" | "no"));
        Ok(AzureResources { client: arm_client(settings, config)?, subscriptions: subscriptions_from(settings, config), instance_view })
    }

    /// The subscriptions searched by name (empty: every subscription the identity can read).
    pub fn subscriptions(&self) -> &[String] {
        &self.subscriptions
    }

    /// The virtual machine with this resource ID, VM name or computer name (a host name's first
    /// label also matches), with its private and public IP addresses resolved.
    pub fn vm(&self, resource_id_or_name: &str) -> Result<VirtualMachine> {
        let wanted = resource_id_or_name.trim();
        let id = self.resolve_id(wanted)?.ok_or_else(|| self.not_found(wanted))?;
        self.vm_by_id(&id)
    }

    /// `wanted` itself when it is a resource ID, else the ID found by name.
    fn resolve_id(&self, wanted: &str) -> Result<Option<String>> {
        if is_resource_id(wanted) { Ok(Some(wanted.to_string())) } else { self.find_vm_id(wanted) }
    }

    /// The VM document at `id`, with its IP addresses resolved.
    fn vm_by_id(&self, id: &str) -> Result<VirtualMachine> {
        let expand: &[(&str, &str)] = if self.instance_view { &[("$expand", "instanceView")] } else { &[] };
        let mut vm = VirtualMachine::from_arm(&self.client.get(id, COMPUTE_API_VERSION, expand, READER_ROLE)?)?;
        let interfaces = self.interface_documents(&vm)?;
        vm.private_ips = interfaces.iter().flat_map(|nic| ip_configurations(nic)).filter_map(|c| text_at(c, "properties/privateIPAddress")).collect();
        vm.public_ips = self.public_ip_documents(&interfaces)?.iter().filter_map(|ip| text_at(ip, "properties/ipAddress")).collect();
        Ok(vm)
    }

    /// The resource ID of the VM named (or with computer name) `name`, found with Resource Graph;
    /// `None` when there is none, an error when several match.
    pub fn find_vm_id(&self, name: &str) -> Result<Option<String>> {
        let rows = ResourceGraphQuery::new(&vm_lookup_query(name)).subscriptions(self.subscriptions.clone()).max_rows(50).run(&self.client)?.rows;
        let ids: Vec<String> = rows.iter().filter_map(|row| text_at(row, "id")).collect();
        match ids.as_slice() {
            [] => Ok(None),
            [one] => Ok(Some(one.clone())),
            several => Err(Error::invalid(
                format!("virtual machine '{name}'"),
                format!("{} virtual machines match: {}; pass the resource ID of the one you mean", several.len(), several.join(", ")),
            )),
        }
    }

    fn not_found(&self, name: &str) -> Error {
        let scope = ResourceGraphQuery::new("").subscriptions(self.subscriptions.clone()).scope_text();
        Error::Remote {
            service: "Azure Resource Graph".into(),
            message: format!("no virtual machine named or with computer name '{name}' in {scope} (the identity needs the '{READER_ROLE}' role to see it)"),
        }
    }

    /// The VM's network interfaces, one row per IP configuration: `nic_name`, `primary`,
    /// `mac_address`, `ip_configuration`, `private_ip`, `private_ip_allocation`, `subnet`,
    /// `public_ip_id`, `network_security_group_id`, `nic_id`.
    pub fn network_interfaces(&self, vm: &VirtualMachine) -> Result<Frame> {
        let mut rows = Vec::new();
        for nic in self.interface_documents(vm)? {
            for config in ip_configurations(&nic) {
                rows.push(vec![
                    json!(vm.name),
                    json!(text_at(&nic, "name")),
                    at(&nic, "properties/primary").cloned().unwrap_or(Value::Null),
                    json!(text_at(&nic, "properties/macAddress")),
                    json!(text_at(config, "name")),
                    json!(text_at(config, "properties/privateIPAddress")),
                    json!(text_at(config, "properties/privateIPAllocationMethod")),
                    json!(text_at(config, "properties/subnet/id").map(|id| id_name(&id))),
                    json!(text_at(config, "properties/publicIPAddress/id")),
                    json!(text_at(&nic, "properties/networkSecurityGroup/id")),
                    json!(text_at(&nic, "id")),
                ]);
            }
        }
        let columns = [
            ("vm_name", "string"), ("nic_name", "string"), ("primary", "bool"), ("mac_address", "string"), ("ip_configuration", "string"),
            ("private_ip", "string"), ("private_ip_allocation", "string"), ("subnet", "string"), ("public_ip_id", "string"),
            ("network_security_group_id", "string"), ("nic_id", "string"),
        ];
        table(&columns, &rows)
    }

    /// The VM's public IP addresses: `name`, `ip_address`, `allocation`, `version`, `sku`, `fqdn`, `id`.
    pub fn public_ips(&self, vm: &VirtualMachine) -> Result<Frame> {
        let rows: Vec<Vec<Value>> = self
            .public_ip_documents(&self.interface_documents(vm)?)?
            .iter()
            .map(|ip| {
                ["name", "properties/ipAddress", "properties/publicIPAllocationMethod", "properties/publicIPAddressVersion", "sku/name", "properties/dnsSettings/fqdn", "id"]
                    .iter()
                    .map(|path| json!(text_at(ip, path)))
                    .collect()
            })
            .collect();
        let columns = [("name", "string"), ("ip_address", "string"), ("allocation", "string"), ("version", "string"), ("sku", "string"), ("fqdn", "string"), ("id", "string")];
        table(&columns, &rows)
    }

    /// The security rules that filter the VM's traffic — of the network security groups on its
    /// network interfaces and on their subnets (Azure applies both) — by direction and priority:
    /// `nsg`, `attached_to` (`network interface soc-vm01-nic`, `subnet soc-vnet/default`), `name`,
    /// `direction`, `priority`, `access`, `protocol`, `source_prefixes`, `source_ports`,
    /// `destination_prefixes`, `destination_ports`, `default_rule` (Azure's built-in rules, when
    /// the answer lists them).
    pub fn network_security_groups(&self, vm: &VirtualMachine) -> Result<Frame> {
        let mut rows: Vec<Vec<Value>> = Vec::new();
        for (id, attached_to) in self.security_group_ids(vm)? {
            let group = self.client.get(&id, NETWORK_API_VERSION, &[], READER_ROLE)?;
            let nsg = text_at(&group, "name").unwrap_or_else(|| id_name(&id));
            for (list, default) in [("properties/securityRules", false), ("properties/defaultSecurityRules", true)] {
                for rule in at(&group, list).and_then(Value::as_array).into_iter().flatten() {
                    rows.push(rule_row(&nsg, &attached_to, rule, default));
                }
            }
        }
        let key = |row: &Vec<Value>| (row[3].as_str().unwrap_or_default().to_string(), row[4].as_i64().unwrap_or(i64::MAX));
        rows.sort_by_key(key);
        let columns = [
            ("nsg", "string"), ("attached_to", "string"), ("name", "string"), ("direction", "string"), ("priority", "long"), ("access", "string"),
            ("protocol", "string"), ("source_prefixes", "string"), ("source_ports", "string"), ("destination_prefixes", "string"),
            ("destination_ports", "string"), ("default_rule", "bool"),
        ];
        table(&columns, &rows)
    }

    /// The network security groups on the VM's network interfaces and on their subnets, each
    /// once: (resource ID, where it is attached).
    fn security_group_ids(&self, vm: &VirtualMachine) -> Result<Vec<(String, String)>> {
        let mut groups: Vec<(String, String)> = Vec::new();
        let mut add = |id: Option<String>, attached_to: String| {
            if let Some(id) = id.filter(|id| !groups.iter().any(|(known, _)| known.eq_ignore_ascii_case(id))) {
                groups.push((id, attached_to));
            }
        };
        let mut subnets: Vec<String> = Vec::new();
        for nic in self.interface_documents(vm)? {
            add(text_at(&nic, "properties/networkSecurityGroup/id"), format!("network interface {}", text_at(&nic, "name").unwrap_or_default()));
            for subnet in ip_configurations(&nic).into_iter().filter_map(|c| text_at(c, "properties/subnet/id")) {
                if !subnets.contains(&subnet) {
                    subnets.push(subnet);
                }
            }
        }
        for subnet_id in &subnets {
            let subnet = self.client.get(subnet_id, NETWORK_API_VERSION, &[], READER_ROLE)?;
            let network = id_part(subnet_id, "virtualNetworks").unwrap_or_default();
            add(text_at(&subnet, "properties/networkSecurityGroup/id"), format!("subnet {network}/{}", id_name(subnet_id)));
        }
        Ok(groups)
    }

    /// The network interface documents of `vm`.
    fn interface_documents(&self, vm: &VirtualMachine) -> Result<Vec<Value>> {
        vm.network_interface_ids.iter().map(|id| self.client.get(id, NETWORK_API_VERSION, &[], READER_ROLE)).collect()
    }

    /// The public IP address documents referenced by `interfaces`.
    fn public_ip_documents(&self, interfaces: &[Value]) -> Result<Vec<Value>> {
        let ids: Vec<String> = interfaces.iter().flat_map(|nic| ip_configurations(nic)).filter_map(|c| text_at(c, "properties/publicIPAddress/id")).collect();
        ids.iter().map(|id| self.client.get(id, NETWORK_API_VERSION, &[], READER_ROLE)).collect()
    }

    /// Adds the `azure` pivots: `Host.azure.vm` (by `HostName`) and
    /// `AzureResource.azure.vm_details` (by `ResourceId`), each giving the VM summary of
    /// [`VirtualMachine::summary`] (a host with no VM gets a row with an `error` column).
    pub fn add_pivots(&self, pivots: &Pivots) {
        let specs = [
            (EntityKind::Host, "vm", "HostName", "The Azure virtual machine with this VM or computer name (Resource Graph and Resource Manager)"),
            (EntityKind::AzureResource, "vm_details", "ResourceId", "The Azure virtual machine with this resource ID: size, OS, power state, IP addresses"),
        ];
        for (entity, name, attribute, description) in specs {
            let resources = self.clone();
            let action: ValueFn = Arc::new(move |value: &str| resources.vm_row(value));
            let mut func = PivotFunc::new(entity, "azure", name, attribute, attribute, attribute, description, PivotAction::Value(action));
            func.wraps = "mstic_triage::resources::AzureResources::vm".to_string();
            pivots.add(func);
        }
    }

    /// A pivot's result row: the VM summary, or an `error` row when no VM has that name.
    fn vm_row(&self, value: &str) -> Result<ResultRow> {
        match self.resolve_id(value.trim())? {
            Some(id) => Ok(self.vm_by_id(&id)?.summary()),
            None => Ok(vec![("error".to_string(), Some(self.not_found(value.trim()).to_string()))]),
        }
    }
}

/// `Resources | where … name or computer name matches …`; a host name's first label also matches.
fn vm_lookup_query(name: &str) -> String {
    let mut names = vec![name.to_string()];
    if let Some((short, _)) = name.split_once('.').filter(|(short, _)| !short.is_empty()) {
        names.push(short.to_string());
    }
    let quoted: Vec<String> = names.iter().map(|n| format!("'{}'", n.replace('\\', "\\\\").replace('\'', "\\'"))).collect();
    let list = quoted.join(", ");
    format!(
        "Resources | where type =~ 'microsoft.compute/virtualmachines' | extend computerName = tostring(properties.osProfile.computerName) \
         | where name in~ ({list}) or computerName in~ ({list}) | project id, name, resourceGroup, subscriptionId, location, computerName"
    )
}

fn ip_configurations(nic: &Value) -> Vec<&Value> {
    at(nic, "properties/ipConfigurations").and_then(Value::as_array).map(|c| c.iter().collect()).unwrap_or_default()
}

/// One security rule as a row: singular and plural prefix/port fields joined.
fn rule_row(nsg: &str, attached_to: &str, rule: &Value, default: bool) -> Vec<Value> {
    let joined = |single: &str, plural: &str| {
        let mut values: Vec<String> = text_at(rule, &format!("properties/{single}")).into_iter().collect();
        if let Some(items) = at(rule, &format!("properties/{plural}")).and_then(Value::as_array) {
            values.extend(items.iter().filter_map(Value::as_str).map(str::to_string));
        }
        json!((!values.is_empty()).then(|| values.join(", ")))
    };
    vec![
        json!(nsg),
        json!(attached_to),
        json!(text_at(rule, "name")),
        json!(text_at(rule, "properties/direction")),
        at(rule, "properties/priority").cloned().unwrap_or(Value::Null),
        json!(text_at(rule, "properties/access")),
        json!(text_at(rule, "properties/protocol")),
        joined("sourceAddressPrefix", "sourceAddressPrefixes"),
        joined("sourcePortRange", "sourcePortRanges"),
        joined("destinationAddressPrefix", "destinationAddressPrefixes"),
        joined("destinationPortRange", "destinationPortRanges"),
        json!(default),
    ]
}

/// A typed table from `(name, type)` columns and rows of JSON values.
fn table(columns: &[(&str, &str)], rows: &[Vec<Value>]) -> Result<Frame> {
    let specs = columns.iter().map(|(name, kind)| ColumnSpec::new(*name, kind)).collect();
    let mut builder = TableBuilder::new(specs, rows.len());
    for row in rows {
        builder.push_array(row);
    }
    builder.finish()
}
