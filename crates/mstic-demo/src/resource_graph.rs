//! Recorded Azure Resource Graph and Resource Manager answers for the demo services: a resource
//! inventory query answered in two pages (`$skipToken`, `resultFormat` `table`), and the virtual machine `soc-vm01` of the
//! demo subscription with its network interface, public IP address and network security group
//! (one rule allows RDP from anywhere) and its subnet's group (SSH from the Internet denied) — in
//! the documented shapes of
//! `Microsoft.ResourceGraph/resources` (2022-10-01), `Microsoft.Compute/virtualMachines`
//! (2024-07-01) and `Microsoft.Network` (2024-05-01).
//!
//! ```
//! use mstic_demo::{RecordedServer, resource_graph};
//! let server = RecordedServer::start()?;
//! resource_graph::install_resource_graph_routes(&server);
//! assert!(resource_graph::DEMO_VM_ID.ends_with("/virtualMachines/soc-vm01"));
//! # Ok::<(), mstic_core::Error>(())
//! ```

use crate::recorded::{RecordedServer, Reply};
use crate::services::{DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION_ID};
use serde_json::{Value, json};

macro_rules! demo_group {
    () => {
        "/subscriptions/3c1bb38c-82e3-4f8d-a115-a7110ba70d05/resourceGroups/soc-rg"
    };
}

/// The resource group path of the demo workspace (`/subscriptions/{DEMO_SUBSCRIPTION_ID}/resourceGroups/{DEMO_RESOURCE_GROUP}`).
pub const DEMO_GROUP_PATH: &str = demo_group!();
/// The demo virtual machine's name (also its `computerName`).
pub const DEMO_VM_NAME: &str = "soc-vm01";
/// The demo virtual machine's resource ID.
pub const DEMO_VM_ID: &str = concat!(demo_group!(), "/providers/Microsoft.Compute/virtualMachines/soc-vm01");
/// The resource ID of the demo VM's network interface.
pub const DEMO_NIC_ID: &str = concat!(demo_group!(), "/providers/Microsoft.Network/networkInterfaces/soc-vm01-nic");
/// The resource ID of the demo VM's public IP address resource.
pub const DEMO_PUBLIC_IP_ID: &str = concat!(demo_group!(), "/providers/Microsoft.Network/publicIPAddresses/soc-vm01-ip");
/// The resource ID of the network security group on the demo VM's network interface.
pub const DEMO_NSG_ID: &str = concat!(demo_group!(), "/providers/Microsoft.Network/networkSecurityGroups/soc-vm01-nsg");
/// The demo VM's private IP address.
pub const DEMO_VM_PRIVATE_IP: &str = "10.1.0.4";
/// The demo VM's public IP address.
pub const DEMO_VM_PUBLIC_IP: &str = "20.51.10.7";
/// The `$skipToken` of the first inventory page.
pub const DEMO_SKIP_TOKEN: &str = "ew0KICAiJGlkIjogIjEiLA0KICAiTWF4Um93cyI6IDMsDQogICJSb3dzVG9Ta2lwIjogMw0KfQ==";

/// The resource ID of the demo VM's subnet.
pub const DEMO_SUBNET_ID: &str = concat!(demo_group!(), "/providers/Microsoft.Network/virtualNetworks/soc-vnet/subnets/default");
/// The resource ID of the network security group on the demo VM's subnet.
pub const DEMO_SUBNET_NSG_ID: &str = concat!(demo_group!(), "/providers/Microsoft.Network/networkSecurityGroups/soc-vnet-default-nsg");
const WORKSPACE_ID: &str = concat!(demo_group!(), "/providers/Microsoft.OperationalInsights/workspaces/soc-workspace");

/// `a == b` at compile time.
const fn same(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// The literal group path must name the demo subscription and resource group.
const _: () = assert!(same(DEMO_SUBSCRIPTION_ID, "3c1bb38c-82e3-4f8d-a115-a7110ba70d05") && same(DEMO_RESOURCE_GROUP, "soc-rg"));

/// Answers Resource Graph queries and the demo VM's Resource Manager GETs on `server`: any query
/// gets the two-page inventory (the second page for the request carrying [`DEMO_SKIP_TOKEN`]); a
/// query naming `'soc-vm01'` gets the VM's row.
pub fn install_resource_graph_routes(server: &RecordedServer) {
    const GRAPH: &str = "/providers/Microsoft.ResourceGraph/resources";
    server.route("POST", GRAPH, vec![Reply::json(200, inventory_page_one())]);
    server.route_body("POST", GRAPH, DEMO_SKIP_TOKEN, vec![Reply::json(200, inventory_page_two())]);
    server.route_body("POST", GRAPH, "'soc-vm01'", vec![Reply::json(200, vm_lookup())]);
    server.route("GET", "/providers/Microsoft.Compute/virtualMachines/soc-vm01", vec![Reply::json(200, virtual_machine())]);
    server.route("GET", "/providers/Microsoft.Network/networkInterfaces/soc-vm01-nic", vec![Reply::json(200, network_interface())]);
    server.route("GET", "/providers/Microsoft.Network/publicIPAddresses/soc-vm01-ip", vec![Reply::json(200, public_ip())]);
    server.route("GET", "/providers/Microsoft.Network/networkSecurityGroups/soc-vm01-nsg", vec![Reply::json(200, security_group())]);
    server.route("GET", "/providers/Microsoft.Network/virtualNetworks/soc-vnet/subnets/default", vec![Reply::json(200, subnet())]);
    server.route("GET", "/providers/Microsoft.Network/networkSecurityGroups/soc-vnet-default-nsg", vec![Reply::json(200, subnet_security_group())]);
}

/// The columns of the inventory answers, in the order a `project` of them would give.
const INVENTORY_COLUMNS: [(&str, &str); 7] = [
    ("id", "string"),
    ("name", "string"),
    ("type", "string"),
    ("location", "string"),
    ("resourceGroup", "string"),
    ("subscriptionId", "string"),
    ("tags", "object"),
];

fn resource_row(id: &str, name: &str, kind: &str, tags: Value) -> Value {
    json!([id, name, kind, "eastus", DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION_ID, tags])
}

/// A Resource Graph answer in the `table` result format: `data` lists the columns (name and
/// type) and the rows as arrays in that order.
fn table_answer(total: u64, skip_token: Option<&str>, columns: &[(&str, &str)], rows: Vec<Value>) -> Value {
    let columns: Vec<Value> = columns.iter().map(|(name, kind)| json!({"name": name, "type": kind})).collect();
    let mut answer = json!({"totalRecords": total, "count": rows.len(), "resultTruncated": "false", "facets": [],
                            "data": {"columns": columns, "rows": rows}});
    if let Some(token) = skip_token {
        answer["$skipToken"] = json!(token);
    }
    answer
}

/// The first inventory page: three resources and a `$skipToken`.
pub fn inventory_page_one() -> Value {
    let rows = vec![
        resource_row(DEMO_VM_ID, DEMO_VM_NAME, "microsoft.compute/virtualmachines", json!({"env": "prod", "owner": "soc"})),
        resource_row(DEMO_NIC_ID, "soc-vm01-nic", "microsoft.network/networkinterfaces", json!({})),
        resource_row(DEMO_PUBLIC_IP_ID, "soc-vm01-ip", "microsoft.network/publicipaddresses", json!({})),
    ];
    table_answer(5, Some(DEMO_SKIP_TOKEN), &INVENTORY_COLUMNS, rows)
}

/// The second (last) inventory page: two resources, no `$skipToken`.
pub fn inventory_page_two() -> Value {
    let rows = vec![
        resource_row(DEMO_NSG_ID, "soc-vm01-nsg", "microsoft.network/networksecuritygroups", json!({})),
        resource_row(WORKSPACE_ID, "soc-workspace", "microsoft.operationalinsights/workspaces", json!({"env": "prod"})),
    ];
    table_answer(5, None, &INVENTORY_COLUMNS, rows)
}

/// The answer to a lookup of `soc-vm01` by name or computer name.
fn vm_lookup() -> Value {
    let columns = [("id", "string"), ("name", "string"), ("resourceGroup", "string"), ("subscriptionId", "string"), ("location", "string"), ("computerName", "string")];
    let row = json!([DEMO_VM_ID, DEMO_VM_NAME, DEMO_RESOURCE_GROUP, DEMO_SUBSCRIPTION_ID, "eastus", DEMO_VM_NAME]);
    table_answer(1, None, &columns, vec![row])
}

/// `GET virtualMachines/soc-vm01?$expand=instanceView`.
fn virtual_machine() -> Value {
    json!({
        "name": DEMO_VM_NAME, "id": DEMO_VM_ID, "type": "Microsoft.Compute/virtualMachines", "location": "eastus",
        "tags": {"env": "prod", "owner": "soc"},
        "properties": {
            "vmId": "0f4a7f3e-5d4c-4b8e-9a51-3c5b2f0e8d11",
            "hardwareProfile": {"vmSize": "Standard_D2s_v3"},
            "storageProfile": {
                "imageReference": {"publisher": "MicrosoftWindowsServer", "offer": "WindowsServer", "sku": "2022-datacenter-azure-edition", "version": "latest"},
                "osDisk": {"osType": "Windows", "name": "soc-vm01_OsDisk_1", "createOption": "FromImage", "diskSizeGB": 127}
            },
            "osProfile": {"computerName": DEMO_VM_NAME, "adminUsername": "socadmin", "windowsConfiguration": {"provisionVMAgent": true}},
            "networkProfile": {"networkInterfaces": [{"id": DEMO_NIC_ID, "properties": {"primary": true}}]},
            "provisioningState": "Succeeded",
            "instanceView": {
                "computerName": DEMO_VM_NAME, "osName": "Windows Server 2022 Datacenter Azure Edition", "osVersion": "10.0.20348.2655",
                "statuses": [
                    {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded", "time": "2024-05-01T07:58:12.5Z"},
                    {"code": "PowerState/running", "level": "Info", "displayStatus": "VM running"}
                ]
            }
        }
    })
}

/// `GET networkInterfaces/soc-vm01-nic`.
fn network_interface() -> Value {
    json!({
        "name": "soc-vm01-nic", "id": DEMO_NIC_ID, "type": "Microsoft.Network/networkInterfaces", "location": "eastus",
        "properties": {
            "provisioningState": "Succeeded", "macAddress": "00-0D-3A-1B-2C-3D", "primary": true, "enableAcceleratedNetworking": false,
            "ipConfigurations": [{
                "name": "ipconfig1", "id": format!("{DEMO_NIC_ID}/ipConfigurations/ipconfig1"),
                "properties": {
                    "privateIPAddress": DEMO_VM_PRIVATE_IP, "privateIPAllocationMethod": "Dynamic", "privateIPAddressVersion": "IPv4",
                    "publicIPAddress": {"id": DEMO_PUBLIC_IP_ID}, "subnet": {"id": DEMO_SUBNET_ID}, "primary": true
                }
            }],
            "networkSecurityGroup": {"id": DEMO_NSG_ID},
            "virtualMachine": {"id": DEMO_VM_ID}
        }
    })
}

/// `GET publicIPAddresses/soc-vm01-ip`.
fn public_ip() -> Value {
    json!({
        "name": "soc-vm01-ip", "id": DEMO_PUBLIC_IP_ID, "type": "Microsoft.Network/publicIPAddresses", "location": "eastus",
        "sku": {"name": "Standard", "tier": "Regional"},
        "properties": {
            "provisioningState": "Succeeded", "ipAddress": DEMO_VM_PUBLIC_IP, "publicIPAddressVersion": "IPv4",
            "publicIPAllocationMethod": "Static", "idleTimeoutInMinutes": 4,
            "dnsSettings": {"domainNameLabel": "soc-vm01", "fqdn": "soc-vm01.eastus.cloudapp.azure.com"},
            "ipConfiguration": {"id": format!("{DEMO_NIC_ID}/ipConfigurations/ipconfig1")}
        }
    })
}

/// One security rule: name, priority, direction, access, protocol, source prefix, destination port.
type RuleSpec<'a> = (&'a str, u32, &'a str, &'a str, &'a str, &'a str, &'a str);

/// The `securityRules` of the group `group_id`.
fn rules(group_id: &str, specs: &[RuleSpec]) -> Value {
    specs.iter().map(|spec| rule(group_id, spec)).collect()
}

fn rule(group_id: &str, &(name, priority, direction, access, protocol, source, port): &RuleSpec) -> Value {
    json!({
        "name": name, "id": format!("{group_id}/securityRules/{name}"), "type": "Microsoft.Network/networkSecurityGroups/securityRules",
        "properties": {
            "provisioningState": "Succeeded", "protocol": protocol, "sourcePortRange": "*", "destinationPortRange": port,
            "sourceAddressPrefix": source, "destinationAddressPrefix": "*", "access": access, "priority": priority, "direction": direction,
            "sourcePortRanges": [], "destinationPortRanges": [], "sourceAddressPrefixes": [], "destinationAddressPrefixes": []
        }
    })
}

/// `GET networkSecurityGroups/soc-vm01-nsg`: RDP open to anywhere, HTTPS from the VNet, and a
/// deny of outbound SMB.
fn security_group() -> Value {
    json!({
        "name": "soc-vm01-nsg", "id": DEMO_NSG_ID, "type": "Microsoft.Network/networkSecurityGroups", "location": "eastus",
        "properties": {
            "provisioningState": "Succeeded",
            "securityRules": rules(DEMO_NSG_ID, &[
                ("RDP", 300, "Inbound", "Allow", "Tcp", "*", "3389"),
                ("AllowHttpsFromVnet", 310, "Inbound", "Allow", "Tcp", "VirtualNetwork", "443"),
                ("DenySmbOutbound", 400, "Outbound", "Deny", "*", "*", "445"),
            ]),
            "networkInterfaces": [{"id": DEMO_NIC_ID}]
        }
    })
}

/// `GET virtualNetworks/soc-vnet/subnets/default`: the VM's subnet, with a network security group.
fn subnet() -> Value {
    json!({
        "name": "default", "id": DEMO_SUBNET_ID, "type": "Microsoft.Network/virtualNetworks/subnets",
        "properties": {
            "provisioningState": "Succeeded", "addressPrefix": "10.1.0.0/24",
            "networkSecurityGroup": {"id": DEMO_SUBNET_NSG_ID},
            "ipConfigurations": [{"id": format!("{DEMO_NIC_ID}/ipConfigurations/ipconfig1")}]
        }
    })
}

/// `GET networkSecurityGroups/soc-vnet-default-nsg`: the subnet's group, denying SSH from the Internet.
fn subnet_security_group() -> Value {
    json!({
        "name": "soc-vnet-default-nsg", "id": DEMO_SUBNET_NSG_ID, "type": "Microsoft.Network/networkSecurityGroups", "location": "eastus",
        "properties": {
            "provisioningState": "Succeeded",
            "securityRules": rules(DEMO_SUBNET_NSG_ID, &[("DenySshFromInternet", 4000, "Inbound", "Deny", "Tcp", "Internet", "22")]),
            "subnets": [{"id": DEMO_SUBNET_ID}]
        }
    })
}
