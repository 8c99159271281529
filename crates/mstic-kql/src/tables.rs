//! Local data presented as the tables Microsoft Sentinel and Microsoft Defender queries read, so
//! the shipped hunting templates (`queries/mssentinel`, `queries/mde`, `queries/m365d`) run on
//! files: OTRF / Mordor Windows event datasets, CSV exports of Sentinel tables (MSTICPy's test
//! data style) and the generated sample logs of `mstic_data::sample`.
//!
//! [`LocalTables`] collects source frames; each frame feeds every table it can be read as (see
//! "Which rows feed which table" below), and [`LocalTables::register`] registers every table
//! provided in a [`KqlSession`] — a table with no source rows is registered empty, with its full schema,
//! so queries over it still plan and run. [`register_otrf`], [`register_export`] and
//! [`register_sample`] do both steps for one source.
//!
//! ```
//! use mstic_core::Frame;
//! use mstic_kql::KqlSession;
//! use mstic_kql::tables::register_export;
//! let export = Frame::from_string_rows(
//!     &["TimeGenerated", "Computer", "EventID", "TargetUserName", "TargetDomainName", "LogonType"],
//!     &[vec![Some("2024-05-01T10:00:00Z"), Some("ws1"), Some("4624"), Some("ann"), Some("CONTOSO"), Some("3")]],
//! )?;
//! let mut session = KqlSession::new();
//! register_export(&mut session, &export)?;
//! let logons = session.query("SecurityEvent | project Account, LogonTypeName, Activity, EventID")?;
//! assert_eq!(logons.column_strings("Account")?, vec![Some("CONTOSO\\ann".to_string())]);
//! assert_eq!(logons.column_strings("LogonTypeName")?, vec![Some("3 - Network".to_string())]);
//! assert_eq!(logons.column_strings("Activity")?, vec![Some("4624 - An account was successfully logged on.".to_string())]);
//! assert_eq!(logons.value::<i32>(0, "EventID")?, Some(4624));
//! # Ok::<(), mstic_core::Error>(())
//! ```
//!
//! # Conversions
//!
//! Every output column has the Kusto type of the service's published table schema (string,
//! int, long, real, bool, datetime; dynamic is JSON text). A source field is converted to that
//! type in DataFusion: text to datetime accepts ISO 8601 and US `M/D/YYYY H:MM[:SS]` forms; text
//! to int/long accepts decimal and `0x` hexadecimal (Windows writes process and logon IDs in
//! hex); a value that does not convert becomes null. A column whose source fields are all absent
//! is the empty string for string columns (Kusto strings are never null) and null for the other
//! types. Unless a table below says otherwise, an output column is read from the source field of
//! the same name. "leaf" below means the last component of a Windows or POSIX path; "domain\user"
//! joins a domain and a user name with a backslash (no domain, or `-`: the user name alone).
//!
//! # Which rows feed which table
//!
//! | table | source rows |
//! |---|---|
//! | `SecurityEvent` | rows with `EventID` and `Computer`/`Hostname`, whose `Channel` is `Security` (a frame with no `Channel` column, such as a CSV export of SecurityEvent, counts as Security) |
//! | `Event` | rows with `EventID` and a `Channel` other than `Security` (Sysmon, PowerShell, System, Application …); the sample's Sysmon network events |
//! | `DeviceProcessEvents` | Sysmon event 1 rows (`Channel` Sysmon, `Image` present); Security 4688 rows (`NewProcessName` present); frames already in Defender's shape (`DeviceName` and `ProcessCommandLine`) |
//! | `DeviceNetworkEvents` | Sysmon event 3 rows (`DestinationIp` present); the sample's network events |
//! | `DeviceFileEvents` | Sysmon event 11 rows (`TargetFilename` present) |
//! | `DeviceRegistryEvents` | Sysmon events 12, 13 and 14 (`TargetObject` present) |
//! | `DeviceImageLoadEvents` | Sysmon event 7 rows (`ImageLoaded` present) |
//! | `DeviceLogonEvents` | Security 4624 and 4625 rows (`TargetUserName` present) |
//! | `Syslog` | rows with `SyslogMessage` |
//! | `SigninLogs` | rows with `UserPrincipalName`, `ResultType` and `AppDisplayName` or `AppId` (a CSV export of SigninLogs; the sample's Entra ID sign-ins) |
//!
//! # SecurityEvent (Windows Security log)
//!
//! | column | type | source field, conversion |
//! |---|---|---|
//! | TimeGenerated | datetime | `TimeGenerated`, else `TimeCreated`, else `@timestamp` |
//! | Computer | string | `Computer`, else `Hostname` |
//! | EventID | int | `EventID` |
//! | Activity | string | `Activity`; when empty, "ID - description" for the common Security event IDs (4624, 4625, 4634, 4647, 4648, 4656, 4658, 4663, 4672, 4688, 4689, 4698, 4720, 4726, 4728, 4732, 4740, 4768, 4769, 4776, 1102 …), else the ID alone |
//! | Account | string | `Account`; when empty, domain\user of `TargetDomainName`/`TargetUserName` when the target user is set (not `-`), else of `SubjectDomainName`/`SubjectUserName` |
//! | AccountType | string | `AccountType`; when empty, `Machine` for an account ending in `$`, else `User` |
//! | EventSourceName | string | `EventSourceName`, else `SourceName` |
//! | Channel | string | `Channel`, else `Security` |
//! | Task | int | `Task` |
//! | Level | string | `Level` |
//! | EventData | string | `EventData`, else the event's fields as `<EventData><Data Name="field">value</Data>…</EventData>` (XML-escaped; every non-null field except `Message` and collector metadata) |
//! | SubjectUserName, SubjectDomainName, SubjectUserSid, SubjectLogonId | string | same name |
//! | TargetUserName, TargetDomainName, TargetUserSid, TargetLogonId, TargetLinkedLogonId | string | same name |
//! | SubjectAccount, TargetAccount | string | same name; when empty, domain\user of the subject / target fields |
//! | TargetUser | string | `TargetUser`, else `TargetUserName` |
//! | LogonType | int | `LogonType` (text such as `"3"` converted) |
//! | LogonTypeName | string | `LogonTypeName`; when empty, "type - name" (2 Interactive, 3 Network, 4 Batch, 5 Service, 7 Unlock, 8 NetworkCleartext, 9 NewCredentials, 10 RemoteInteractive, 11 CachedInteractive) |
//! | IpAddress, IpPort, WorkstationName, LogonProcessName, AuthenticationPackageName, LmPackageName, LogonGuid, ElevatedToken, ImpersonationLevel, VirtualAccount, RestrictedAdminMode, TransmittedServices, KeyLength (int) | | same name |
//! | Status, SubStatus, FailureReason | string | same name |
//! | Process | string | `Process`; when empty, leaf of `NewProcessName`, else leaf of `ProcessName` |
//! | NewProcessName, NewProcessId, CommandLine, ParentProcessName, ProcessId, ProcessName, TokenElevationType, MandatoryLabel | string | same name (`ProcessId` is the creator's ID, hex as Windows writes it) |
//! | ObjectServer, ObjectType, ObjectName, HandleId, AccessMask, AccessList, AccessReason, PrivilegeList, ServiceName, MemberName, MemberSid, SamAccountName, TargetSid, TargetServerName, TargetOutboundUserName, TargetOutboundDomainName, UserPrincipalName, Workstation | string | same name |
//! | CategoryId, SubcategoryGuid, SubcategoryId, AuditPolicyChanges, DisplayName, UserAccountControl, OldUacValue, NewUacValue, ServiceFileName, ServiceType, ServiceStartType, ServiceAccount, ShareName, ShareLocalPath, RelativeTargetName, TargetInfo, Properties, OperationType, TicketEncryptionType, TicketOptions, PreAuthType, CallerProcessId, CallerProcessName, TaskName, TaskContent | string | same name |
//! | TenantId, SourceSystem, SourceComputerId, EventOriginId, MG, ManagementGroupName, _ResourceId, _SubscriptionId | string | same name |
//! | TimeCollected | datetime | same name |
//! | Type | string | `SecurityEvent` |
//!
//! # Event (other Windows channels: Sysmon, PowerShell, System, Application …)
//!
//! | column | type | source field, conversion |
//! |---|---|---|
//! | TimeGenerated | datetime | `TimeGenerated`, else `TimeCreated`, else `@timestamp` |
//! | Computer | string | `Computer`, else `Hostname` |
//! | EventID | int | `EventID` |
//! | Source | string | `Source`, else `SourceName` |
//! | EventLog | string | `EventLog`, else `Channel` |
//! | EventLevel | int | `EventLevel`, else `Level` |
//! | EventLevelName | string | `EventLevelName`; when empty, from the level: 1 Critical, 2 Error, 3 Warning, 0 and 4 Information, 5 Verbose |
//! | EventCategory | int | `EventCategory`, else `Task` |
//! | UserName | string | `UserName`, else `User`, else domain\user of `Domain`/`AccountName` |
//! | RenderedDescription | string | `RenderedDescription`, else `Message` |
//! | EventData | string | `EventData`, else the event's fields as XML, as for SecurityEvent |
//! | ParameterXml | string | same name |
//! | TenantId, SourceSystem, MG, ManagementGroupName, AzureDeploymentID, Role, _ResourceId, _SubscriptionId | string | same name |
//! | Type | string | `Event` |
//!
//! # DeviceProcessEvents (Microsoft Defender process creation)
//!
//! | column | type | Sysmon event 1 | Security 4688 | Defender export |
//! |---|---|---|---|---|
//! | Timestamp | datetime | `TimeCreated`, else `@timestamp`, else `TimeGenerated` | `TimeCreated`, else `@timestamp`, else `TimeGenerated` | `Timestamp` |
//! | DeviceId | string | — | `SourceComputerId` | same name |
//! | DeviceName | string | `Hostname`/`Computer`, lower-cased | `Hostname`/`Computer`, lower-cased | same name |
//! | ActionType | string | `ProcessCreated` | `ProcessCreated` | same name |
//! | FileName | string | leaf of `Image` | leaf of `NewProcessName` | same name |
//! | FolderPath | string | `Image` (full path, as Defender reports it) | `NewProcessName` | same name |
//! | SHA1, SHA256, MD5 | string | from `Hashes` (`SHA1=…,MD5=…,SHA256=…`), lower-cased | — | same name |
//! | ProcessId | long | `ProcessId` | `NewProcessId` (hex) | same name |
//! | ProcessCommandLine | string | `CommandLine` | `CommandLine` | same name |
//! | ProcessIntegrityLevel | string | `IntegrityLevel` | from `MandatoryLabel` (S-1-16-4096 Low, 8192 Medium, 12288 High, 16384 System) | same name |
//! | ProcessTokenElevation | string | — | from `TokenElevationType` (%%1936 TokenElevationTypeDefault, %%1937 TokenElevationTypeFull, %%1938 TokenElevationTypeLimited) | same name |
//! | ProcessCreationTime | datetime | `UtcTime` | the event time | same name |
//! | ProcessVersionInfoCompanyName, ProductName, ProductVersion, OriginalFileName, FileDescription | string | `Company`, `Product`, `FileVersion`, `OriginalFileName`, `Description` | — | same name |
//! | AccountDomain, AccountName | string | the parts of `User` (`DOMAIN\name`) | `TargetDomainName`/`TargetUserName` when the target is set, else the subject's | same name |
//! | AccountSid | string | — | `TargetUserSid` when the target is set, else `SubjectUserSid` | same name |
//! | LogonId | long | `LogonId` (hex) | `TargetLogonId` when not 0x0, else `SubjectLogonId` (hex) | same name |
//! | InitiatingProcessFileName | string | leaf of `ParentImage` | leaf of `ParentProcessName` | same name |
//! | InitiatingProcessFolderPath | string | `ParentImage` | `ParentProcessName` | same name |
//! | InitiatingProcessCommandLine | string | `ParentCommandLine` | — | same name |
//! | InitiatingProcessId | long | `ParentProcessId` | `ProcessId` (hex) | same name |
//! | InitiatingProcessAccountDomain, InitiatingProcessAccountName, InitiatingProcessAccountSid | string | — | `SubjectDomainName`, `SubjectUserName`, `SubjectUserSid` | same name |
//! | InitiatingProcessLogonId | long | — | `SubjectLogonId` (hex) | same name |
//! | other Defender columns (AccountUpn, AccountObjectId, FileSize, InitiatingProcess SHA1/SHA256/MD5, CreationTime, ParentId, ParentFileName, ParentCreationTime, IntegrityLevel, TokenElevation, SignerType, SignatureStatus, VersionInfo…, ReportId, AppGuardContainerId, AdditionalFields) | | — | — | same name |
//!
//! # DeviceNetworkEvents, DeviceFileEvents, DeviceRegistryEvents, DeviceImageLoadEvents (from Sysmon)
//!
//! Common to the four (Sysmon's fields of the process that acted):
//!
//! | column | type | source field, conversion |
//! |---|---|---|
//! | Timestamp | datetime | `TimeCreated`, else `@timestamp`, else `TimeGenerated` |
//! | DeviceName | string | `Hostname`/`Computer`, lower-cased |
//! | InitiatingProcessFolderPath | string | `Image` |
//! | InitiatingProcessFileName | string | leaf of `Image` |
//! | InitiatingProcessId | long | `ProcessId` |
//! | InitiatingProcessAccountDomain, InitiatingProcessAccountName | string | the parts of `User` (`DOMAIN\name`) |
//! | the other InitiatingProcess… columns, DeviceId, ReportId, AppGuardContainerId, AdditionalFields | | empty (no Sysmon field) |
//!
//! DeviceNetworkEvents (event 3): `ActionType` is `InboundConnectionAccepted` when `Initiated`
//! is false, else `ConnectionSuccess`; `RemoteIP`/`RemotePort` are `DestinationIp`/`DestinationPort`
//! for outbound connections and `SourceIp`/`SourcePort` for inbound ones (`LocalIP`/`LocalPort`
//! the other pair; ports int); `RemoteUrl` is `DestinationHostname` of outbound connections
//! (`-` → empty); `Protocol` is `Tcp`/`Udp`.
//!
//! DeviceFileEvents (event 11): `ActionType` `FileCreated`; `FolderPath` `TargetFilename`;
//! `FileName` its leaf.
//!
//! DeviceRegistryEvents (events 12–14): `ActionType` from Sysmon's `EventType` (`CreateKey` →
//! `RegistryKeyCreated`, `DeleteKey` → `RegistryKeyDeleted`, `SetValue` → `RegistryValueSet`,
//! `DeleteValue` → `RegistryValueDeleted`, `RenameKey` → `RegistryKeyRenamed`; by event ID when
//! absent); `RegistryKey` is `TargetObject` (for event 13 without its last component, the value
//! name) with Defender's hive names (`HKLM` → `HKEY_LOCAL_MACHINE`, `HKU` → `HKEY_USERS`, `HKCR` →
//! `HKEY_CLASSES_ROOT`, `HKCU` → `HKEY_CURRENT_USER`); `RegistryValueName` the last component of
//! `TargetObject` for event 13; `RegistryValueData` `Details`.
//!
//! DeviceImageLoadEvents (event 7): `ActionType` `ImageLoaded`; `FolderPath` `ImageLoaded`;
//! `FileName` its leaf; `SHA1`, `SHA256`, `MD5` from `Hashes`.
//!
//! # DeviceLogonEvents (from Security 4624 / 4625)
//!
//! | column | type | source field, conversion |
//! |---|---|---|
//! | Timestamp | datetime | `TimeCreated`, else `@timestamp`, else `TimeGenerated` |
//! | DeviceId | string | `SourceComputerId` |
//! | DeviceName | string | `Hostname`/`Computer`, lower-cased |
//! | ActionType | string | `LogonSuccess` (4624) or `LogonFailed` (4625) |
//! | LogonType | string | the name of `LogonType` (`Interactive`, `Network`, `Batch`, `Service`, `Unlock`, `NetworkCleartext`, `NewCredentials`, `RemoteInteractive`, `CachedInteractive`) |
//! | AccountDomain, AccountName, AccountSid | string | `TargetDomainName`, `TargetUserName`, `TargetUserSid` |
//! | Protocol | string | `AuthenticationPackageName` |
//! | FailureReason | string | `FailureReason`, else `Status` |
//! | LogonId | long | `TargetLogonId` (hex) |
//! | RemoteDeviceName, RemoteIP | string | `WorkstationName`, `IpAddress` (`-` → empty) |
//! | RemotePort | int | `IpPort` |
//! | InitiatingProcessFolderPath, InitiatingProcessFileName | string | `ProcessName`, its leaf (`-` → empty) |
//! | InitiatingProcessId | long | `ProcessId` (hex) |
//! | IsLocalAdmin, RemoteIPType, other InitiatingProcess… columns, ReportId, AppGuardContainerId, AdditionalFields | | empty / null |
//!
//! # Syslog (Linux syslog)
//!
//! | column | type | source field, conversion |
//! |---|---|---|
//! | TimeGenerated | datetime | `TimeGenerated`, else `EventTime` (ISO or US `M/D/YYYY H:MM`) |
//! | EventTime | datetime | `EventTime`, else `TimeGenerated` |
//! | Computer | string | `Computer`, else `HostName` |
//! | HostName | string | `HostName`, else `Computer` |
//! | Facility, SeverityLevel, ProcessName, SyslogMessage, HostIP, SourceSystem, CollectorHostName, TenantId, MG, _ResourceId, _SubscriptionId | string | same name |
//! | ProcessID | int | `ProcessID` |
//! | Type | string | `Syslog` |
//!
//! # SigninLogs (Microsoft Entra ID interactive sign-ins)
//!
//! | column | type | source field, conversion |
//! |---|---|---|
//! | TimeGenerated | datetime | `TimeGenerated`, else `CreatedDateTime` |
//! | CreatedDateTime | datetime | `CreatedDateTime`, else `TimeGenerated` |
//! | UserPrincipalName, UserDisplayName, UserId, UserType, AlternateSignInName, SignInIdentifier, SignInIdentifierType | string | same name |
//! | Identity | string | `Identity`, else `UserDisplayName` |
//! | IPAddress, Location, AutonomousSystemNumber (int), NetworkLocationDetails | | same name |
//! | LocationDetails, DeviceDetail, Status, ConditionalAccessPolicies, MfaDetail | dynamic | same name (JSON text); `Status` when absent: `{"errorCode": ResultType}` |
//! | AppDisplayName, AppId, ResourceDisplayName, ResourceIdentity, ResourceTenantId, HomeTenantId, ClientAppUsed, UserAgent | string | same name |
//! | ResultType | string | `ResultType` (a number read from a CSV file becomes its text) |
//! | ResultDescription, ResultSignature | string | same name |
//! | ConditionalAccessStatus, AuthenticationRequirement, AuthenticationRequirementPolicies, AuthenticationDetails, AuthenticationMethodsUsed, AuthenticationProcessingDetails, AuthenticationProtocol, AuthenticationContextClassReferences | string | same name |
//! | RiskDetail, RiskEventTypes, RiskEventTypes_V2, RiskLevelAggregated, RiskLevelDuringSignIn, RiskState | string | same name |
//! | IsInteractive, IsRisky | bool | same name (`true`/`false` text converted) |
//! | CorrelationId, Id, OriginalRequestId, UniqueTokenIdentifier, CrossTenantAccessType, TokenIssuerName, TokenIssuerType, ServicePrincipalId, ServicePrincipalName, SessionLifetimePolicies, ProcessingTimeInMilliseconds, OperationVersion, Level, ResourceId, Resource, ResourceGroup, ResourceProvider, TenantId, SourceSystem | string | same name |
//! | DurationMs | long | same name |
//! | Category | string | `Category`, else `SignInLogs` |
//! | OperationName | string | `OperationName`, else `Sign-in activity` |
//! | Type | string | `SigninLogs` |

use crate::KqlSession;
use arrow::array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use datafusion::common::ScalarValue;
use datafusion::dataframe::DataFrame;
use datafusion::datasource::MemTable;
use datafusion::functions::expr_fn as df;
use datafusion::logical_expr::{
    Expr, ExprSchemable, ScalarUDF, cast, ident, lit, try_cast, when,
};
use mstic_core::{Error, Frame, Result};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

/// The names of the tables this module provides, in registration order.
pub const TABLES: &[&str] = &[
    "SecurityEvent",
    "Event",
    "DeviceProcessEvents",
    "DeviceNetworkEvents",
    "DeviceFileEvents",
    "DeviceRegistryEvents",
    "DeviceImageLoadEvents",
    "DeviceLogonEvents",
    "Syslog",
    "SigninLogs",
];

/// A Kusto column type of a mapped table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KustoType {
    /// `string`.
    String,
    /// `int` (32 bits).
    Int,
    /// `long` (64 bits).
    Long,
    /// `real`.
    Real,
    /// `bool`.
    Bool,
    /// `datetime` (UTC, nanoseconds).
    DateTime,
    /// `dynamic`, as JSON text.
    Dynamic,
}

impl KustoType {
    /// The Arrow type a column of this Kusto type has (the KQL planner's convention).
    pub fn arrow_type(self) -> DataType {
        match self {
            KustoType::String | KustoType::Dynamic => DataType::Utf8,
            KustoType::Int => DataType::Int32,
            KustoType::Long => DataType::Int64,
            KustoType::Real => DataType::Float64,
            KustoType::Bool => DataType::Boolean,
            KustoType::DateTime => DataType::Timestamp(TimeUnit::Nanosecond, Some("UTC".into())),
        }
    }
}

use KustoType::{DateTime as Dt, Dynamic as Dyn, Int, Long, String as Str};

/// The columns of `SecurityEvent`.
const SECURITY_EVENT: &[(&str, KustoType)] = &[
    ("TenantId", Str), ("TimeGenerated", Dt), ("SourceSystem", Str), ("Account", Str), ("AccountType", Str),
    ("Computer", Str), ("EventSourceName", Str), ("Channel", Str), ("Task", Int), ("Level", Str),
    ("EventData", Str), ("EventID", Int), ("Activity", Str), ("SourceComputerId", Str), ("EventOriginId", Str),
    ("MG", Str), ("TimeCollected", Dt), ("ManagementGroupName", Str), ("AccessList", Str), ("AccessMask", Str),
    ("AccessReason", Str), ("AuthenticationPackageName", Str), ("CommandLine", Str), ("ElevatedToken", Str),
    ("FailureReason", Str), ("HandleId", Str), ("ImpersonationLevel", Str), ("IpAddress", Str), ("IpPort", Str),
    ("KeyLength", Int), ("LmPackageName", Str), ("LogonGuid", Str), ("LogonProcessName", Str), ("LogonType", Int),
    ("LogonTypeName", Str), ("MandatoryLabel", Str), ("MemberName", Str), ("MemberSid", Str), ("NewProcessId", Str),
    ("NewProcessName", Str), ("ObjectName", Str), ("ObjectServer", Str), ("ObjectType", Str),
    ("ParentProcessName", Str), ("PrivilegeList", Str), ("Process", Str), ("ProcessId", Str), ("ProcessName", Str),
    ("RestrictedAdminMode", Str), ("SamAccountName", Str), ("ServiceName", Str), ("Status", Str), ("SubStatus", Str),
    ("SubjectAccount", Str), ("SubjectDomainName", Str), ("SubjectLogonId", Str), ("SubjectUserName", Str),
    ("SubjectUserSid", Str), ("TargetAccount", Str), ("TargetDomainName", Str), ("TargetLinkedLogonId", Str),
    ("TargetLogonGuid", Str), ("TargetLogonId", Str), ("TargetOutboundDomainName", Str),
    ("TargetOutboundUserName", Str), ("TargetServerName", Str), ("TargetSid", Str), ("TargetUser", Str),
    ("TargetUserName", Str), ("TargetUserSid", Str), ("TokenElevationType", Str), ("TransmittedServices", Str),
    ("UserPrincipalName", Str), ("VirtualAccount", Str), ("Workstation", Str), ("WorkstationName", Str),
    ("CategoryId", Str), ("SubcategoryGuid", Str), ("SubcategoryId", Str), ("AuditPolicyChanges", Str),
    ("DisplayName", Str), ("UserAccountControl", Str), ("OldUacValue", Str), ("NewUacValue", Str),
    ("ServiceFileName", Str), ("ServiceType", Str), ("ServiceStartType", Str), ("ServiceAccount", Str),
    ("ShareName", Str), ("ShareLocalPath", Str), ("RelativeTargetName", Str), ("TargetInfo", Str),
    ("Properties", Str), ("OperationType", Str), ("TicketEncryptionType", Str), ("TicketOptions", Str),
    ("PreAuthType", Str), ("CallerProcessId", Str), ("CallerProcessName", Str), ("TaskName", Str),
    ("TaskContent", Str), ("Type", Str), ("_ResourceId", Str), ("_SubscriptionId", Str),
];

/// The columns of `Event`.
const EVENT: &[(&str, KustoType)] = &[
    ("TenantId", Str), ("TimeGenerated", Dt), ("SourceSystem", Str), ("Source", Str), ("EventLog", Str),
    ("Computer", Str), ("EventLevel", Int), ("EventLevelName", Str), ("ParameterXml", Str), ("EventData", Str),
    ("EventID", Int), ("RenderedDescription", Str), ("AzureDeploymentID", Str), ("Role", Str),
    ("EventCategory", Int), ("UserName", Str), ("MG", Str), ("ManagementGroupName", Str), ("Type", Str),
    ("_ResourceId", Str), ("_SubscriptionId", Str),
];

/// The columns of `DeviceProcessEvents`.
const DEVICE_PROCESS_EVENTS: &[(&str, KustoType)] = &[
    ("Timestamp", Dt), ("DeviceId", Str), ("DeviceName", Str), ("ActionType", Str), ("FileName", Str),
    ("FolderPath", Str), ("SHA1", Str), ("SHA256", Str), ("MD5", Str), ("FileSize", Long),
    ("ProcessVersionInfoCompanyName", Str), ("ProcessVersionInfoProductName", Str),
    ("ProcessVersionInfoProductVersion", Str), ("ProcessVersionInfoInternalFileName", Str),
    ("ProcessVersionInfoOriginalFileName", Str), ("ProcessVersionInfoFileDescription", Str), ("ProcessId", Long),
    ("ProcessCommandLine", Str), ("ProcessIntegrityLevel", Str), ("ProcessTokenElevation", Str),
    ("ProcessCreationTime", Dt), ("AccountDomain", Str), ("AccountName", Str), ("AccountSid", Str),
    ("AccountUpn", Str), ("AccountObjectId", Str), ("LogonId", Long), ("InitiatingProcessAccountDomain", Str),
    ("InitiatingProcessAccountName", Str), ("InitiatingProcessAccountSid", Str), ("InitiatingProcessAccountUpn", Str),
    ("InitiatingProcessAccountObjectId", Str), ("InitiatingProcessLogonId", Long),
    ("InitiatingProcessIntegrityLevel", Str), ("InitiatingProcessTokenElevation", Str),
    ("InitiatingProcessSHA1", Str), ("InitiatingProcessSHA256", Str), ("InitiatingProcessMD5", Str),
    ("InitiatingProcessFileName", Str), ("InitiatingProcessFileSize", Long),
    ("InitiatingProcessVersionInfoCompanyName", Str), ("InitiatingProcessVersionInfoProductName", Str),
    ("InitiatingProcessVersionInfoProductVersion", Str), ("InitiatingProcessVersionInfoInternalFileName", Str),
    ("InitiatingProcessVersionInfoOriginalFileName", Str), ("InitiatingProcessVersionInfoFileDescription", Str),
    ("InitiatingProcessId", Long), ("InitiatingProcessCommandLine", Str), ("InitiatingProcessCreationTime", Dt),
    ("InitiatingProcessFolderPath", Str), ("InitiatingProcessParentId", Long),
    ("InitiatingProcessParentFileName", Str), ("InitiatingProcessParentCreationTime", Dt),
    ("InitiatingProcessSignerType", Str), ("InitiatingProcessSignatureStatus", Str), ("ReportId", Long),
    ("AppGuardContainerId", Str), ("AdditionalFields", Dyn),
];

/// The initiating-process columns shared by Defender's device tables.
const INITIATING_PROCESS: &[(&str, KustoType)] = &[
    ("InitiatingProcessAccountDomain", Str), ("InitiatingProcessAccountName", Str),
    ("InitiatingProcessAccountSid", Str), ("InitiatingProcessAccountUpn", Str),
    ("InitiatingProcessAccountObjectId", Str), ("InitiatingProcessSHA1", Str), ("InitiatingProcessSHA256", Str),
    ("InitiatingProcessMD5", Str), ("InitiatingProcessFileName", Str), ("InitiatingProcessFileSize", Long),
    ("InitiatingProcessVersionInfoCompanyName", Str), ("InitiatingProcessVersionInfoProductName", Str),
    ("InitiatingProcessVersionInfoProductVersion", Str), ("InitiatingProcessVersionInfoInternalFileName", Str),
    ("InitiatingProcessVersionInfoOriginalFileName", Str), ("InitiatingProcessVersionInfoFileDescription", Str),
    ("InitiatingProcessId", Long), ("InitiatingProcessCommandLine", Str), ("InitiatingProcessCreationTime", Dt),
    ("InitiatingProcessFolderPath", Str), ("InitiatingProcessParentId", Long),
    ("InitiatingProcessParentFileName", Str), ("InitiatingProcessParentCreationTime", Dt),
    ("InitiatingProcessIntegrityLevel", Str), ("InitiatingProcessTokenElevation", Str),
];

/// The last columns of Defender's device tables.
const DEFENDER_TAIL: &[(&str, KustoType)] = &[("ReportId", Long), ("AppGuardContainerId", Str), ("AdditionalFields", Dyn)];

/// The own columns of `DeviceNetworkEvents` (then the initiating process and the tail).
const DEVICE_NETWORK_EVENTS: &[(&str, KustoType)] = &[
    ("Timestamp", Dt), ("DeviceId", Str), ("DeviceName", Str), ("ActionType", Str), ("RemoteIP", Str),
    ("RemotePort", Int), ("RemoteUrl", Str), ("LocalIP", Str), ("LocalPort", Int), ("Protocol", Str),
    ("LocalIPType", Str), ("RemoteIPType", Str),
];

/// The own columns of `DeviceFileEvents` (then the initiating process, the request fields and
/// the tail).
const DEVICE_FILE_EVENTS: &[(&str, KustoType)] = &[
    ("Timestamp", Dt), ("DeviceId", Str), ("DeviceName", Str), ("ActionType", Str), ("FileName", Str),
    ("FolderPath", Str), ("SHA1", Str), ("SHA256", Str), ("MD5", Str), ("FileOriginUrl", Str),
    ("FileOriginReferrerUrl", Str), ("FileOriginIP", Str), ("PreviousFolderPath", Str), ("PreviousFileName", Str),
    ("FileSize", Long),
];

/// The request columns of `DeviceFileEvents`.
const DEVICE_FILE_REQUEST: &[(&str, KustoType)] = &[
    ("RequestProtocol", Str), ("RequestSourceIP", Str), ("RequestSourcePort", Int), ("RequestAccountName", Str),
    ("RequestAccountDomain", Str), ("RequestAccountSid", Str), ("ShareName", Str), ("SensitivityLabel", Str),
    ("SensitivitySubLabel", Str), ("IsAzureInfoProtectionApplied", KustoType::Bool),
];

/// The own columns of `DeviceRegistryEvents`.
const DEVICE_REGISTRY_EVENTS: &[(&str, KustoType)] = &[
    ("Timestamp", Dt), ("DeviceId", Str), ("DeviceName", Str), ("ActionType", Str), ("RegistryKey", Str),
    ("RegistryValueType", Str), ("RegistryValueName", Str), ("RegistryValueData", Str),
    ("PreviousRegistryKey", Str), ("PreviousRegistryValueName", Str), ("PreviousRegistryValueData", Str),
];

/// The own columns of `DeviceImageLoadEvents`.
const DEVICE_IMAGE_LOAD_EVENTS: &[(&str, KustoType)] = &[
    ("Timestamp", Dt), ("DeviceId", Str), ("DeviceName", Str), ("ActionType", Str), ("FileName", Str),
    ("FolderPath", Str), ("SHA1", Str), ("SHA256", Str), ("MD5", Str), ("FileSize", Long),
];

/// The own columns of `DeviceLogonEvents`.
const DEVICE_LOGON_EVENTS: &[(&str, KustoType)] = &[
    ("Timestamp", Dt), ("DeviceId", Str), ("DeviceName", Str), ("ActionType", Str), ("LogonType", Str),
    ("AccountDomain", Str), ("AccountName", Str), ("AccountSid", Str), ("Protocol", Str), ("FailureReason", Str),
    ("IsLocalAdmin", KustoType::Bool), ("LogonId", Long), ("RemoteDeviceName", Str), ("RemoteIP", Str),
    ("RemoteIPType", Str), ("RemotePort", Int),
];

/// The columns of `SigninLogs`.
const SIGNIN_LOGS: &[(&str, KustoType)] = &[
    ("TenantId", Str), ("SourceSystem", Str), ("TimeGenerated", Dt), ("ResourceId", Str), ("OperationName", Str),
    ("OperationVersion", Str), ("Category", Str), ("ResultType", Str), ("ResultSignature", Str),
    ("ResultDescription", Str), ("DurationMs", Long), ("CorrelationId", Str), ("Resource", Str),
    ("ResourceGroup", Str), ("ResourceProvider", Str), ("Identity", Str), ("Level", Str), ("Location", Str),
    ("AlternateSignInName", Str), ("AppDisplayName", Str), ("AppId", Str),
    ("AuthenticationContextClassReferences", Str), ("AuthenticationDetails", Str),
    ("AuthenticationMethodsUsed", Str), ("AuthenticationProcessingDetails", Str), ("AuthenticationProtocol", Str),
    ("AuthenticationRequirement", Str), ("AuthenticationRequirementPolicies", Str),
    ("AutonomousSystemNumber", Int), ("ClientAppUsed", Str), ("ConditionalAccessPolicies", Dyn),
    ("ConditionalAccessStatus", Str), ("CreatedDateTime", Dt), ("CrossTenantAccessType", Str),
    ("DeviceDetail", Dyn), ("HomeTenantId", Str), ("Id", Str), ("IPAddress", Str),
    ("IsInteractive", KustoType::Bool), ("IsRisky", KustoType::Bool), ("LocationDetails", Dyn), ("MfaDetail", Dyn),
    ("NetworkLocationDetails", Str), ("OriginalRequestId", Str), ("ProcessingTimeInMilliseconds", Str),
    ("ResourceDisplayName", Str), ("ResourceIdentity", Str), ("ResourceTenantId", Str), ("RiskDetail", Str),
    ("RiskEventTypes", Str), ("RiskEventTypes_V2", Str), ("RiskLevelAggregated", Str),
    ("RiskLevelDuringSignIn", Str), ("RiskState", Str), ("ServicePrincipalId", Str), ("ServicePrincipalName", Str),
    ("SessionLifetimePolicies", Str), ("SignInIdentifier", Str), ("SignInIdentifierType", Str), ("Status", Dyn),
    ("TokenIssuerName", Str), ("TokenIssuerType", Str), ("UniqueTokenIdentifier", Str), ("UserAgent", Str),
    ("UserDisplayName", Str), ("UserId", Str), ("UserPrincipalName", Str), ("UserType", Str), ("Type", Str),
];

/// The columns of `Syslog`.
const SYSLOG: &[(&str, KustoType)] = &[
    ("TenantId", Str), ("SourceSystem", Str), ("TimeGenerated", Dt), ("Computer", Str), ("EventTime", Dt),
    ("Facility", Str), ("HostName", Str), ("SeverityLevel", Str), ("SyslogMessage", Str), ("ProcessID", Int),
    ("HostIP", Str), ("ProcessName", Str), ("CollectorHostName", Str), ("MG", Str), ("Type", Str),
    ("_ResourceId", Str), ("_SubscriptionId", Str),
];

/// The schema of a provided table, as `(column, Kusto type)` pairs; `None` for other names.
///
/// ```
/// use mstic_kql::tables::{KustoType, schema};
/// let columns = schema("DeviceProcessEvents").unwrap();
/// assert!(columns.contains(&("ProcessId", KustoType::Long)));
/// assert!(schema("SigninLogs").unwrap().contains(&("LocationDetails", KustoType::Dynamic)));
/// assert!(schema("AADNonInteractiveUserSignInLogs").is_none());
/// ```
pub fn schema(table: &str) -> Option<&'static [(&'static str, KustoType)]> {
    type Schemas = BTreeMap<&'static str, Vec<(&'static str, KustoType)>>;
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    let schemas = SCHEMAS.get_or_init(|| {
        let device = |own: &[(&'static str, KustoType)], middle: &[(&'static str, KustoType)]| {
            own.iter().chain(INITIATING_PROCESS).chain(middle).chain(DEFENDER_TAIL).copied().collect::<Vec<_>>()
        };
        BTreeMap::from([
            ("SecurityEvent", SECURITY_EVENT.to_vec()),
            ("Event", EVENT.to_vec()),
            ("DeviceProcessEvents", DEVICE_PROCESS_EVENTS.to_vec()),
            ("DeviceNetworkEvents", device(DEVICE_NETWORK_EVENTS, &[])),
            ("DeviceFileEvents", device(DEVICE_FILE_EVENTS, DEVICE_FILE_REQUEST)),
            ("DeviceRegistryEvents", device(DEVICE_REGISTRY_EVENTS, &[])),
            ("DeviceImageLoadEvents", device(DEVICE_IMAGE_LOAD_EVENTS, &[])),
            ("DeviceLogonEvents", device(DEVICE_LOGON_EVENTS, &[])),
            ("Syslog", SYSLOG.to_vec()),
            ("SigninLogs", SIGNIN_LOGS.to_vec()),
        ])
    });
    schemas.get(table).map(Vec::as_slice)
}

/// How an output column is computed from a source frame: the first candidate whose source
/// fields are all present is used.
#[derive(Clone, Copy)]
enum Candidate {
    /// A source field, converted to the column's type.
    Field(&'static str),
    /// A SQL expression over source fields (all of `needs` must be present).
    Sql(&'static str, &'static [&'static str]),
    /// A constant text.
    Text(&'static str),
    /// The event's fields as `<EventData>` XML.
    EventDataXml,
}

use Candidate::{Field as F, Sql, Text};

/// One way of reading a source frame as a table.
struct View {
    table: &'static str,
    /// Source fields the frame must have for this view to apply (each entry: any one of them).
    requires: &'static [&'static [&'static str]],
    /// Row filters: the first whose fields are all present is applied (none present: all rows).
    filter: &'static [(&'static str, &'static [&'static str])],
    /// Columns computed otherwise than from the same-named source field.
    columns: &'static [(&'static str, &'static [Candidate])],
    /// A shared group of such columns (e.g. the initiating process of Sysmon events), read
    /// after `columns`.
    extra: &'static [(&'static str, &'static [Candidate])],
}

const SECURITY_VIEW: View = View {
    table: "SecurityEvent",
    requires: &[&["EventID"], &["Computer", "Hostname"]],
    filter: &[(r#""Channel" = 'Security'"#, &["Channel"])],
    columns: &[
        ("TimeGenerated", &[F("TimeGenerated"), F("TimeCreated"), F("@timestamp")]),
        ("Computer", &[F("Computer"), F("Hostname")]),
        ("EventSourceName", &[F("EventSourceName"), F("SourceName")]),
        ("Channel", &[F("Channel"), Text("Security")]),
        ("EventData", &[F("EventData"), Candidate::EventDataXml]),
        ("TargetUser", &[F("TargetUser"), F("TargetUserName")]),
        ("Type", &[Text("SecurityEvent")]),
    ],
    extra: &[],
};

const EVENT_VIEW: View = View {
    table: "Event",
    requires: &[&["EventID"], &["Channel", "EventLog"], &["Computer", "Hostname"]],
    filter: &[(r#""Channel" <> 'Security'"#, &["Channel"]), (r#""EventLog" <> 'Security'"#, &["EventLog"])],
    columns: &[
        ("TimeGenerated", &[F("TimeGenerated"), F("TimeCreated"), F("@timestamp")]),
        ("Computer", &[F("Computer"), F("Hostname")]),
        ("Source", &[F("Source"), F("SourceName")]),
        ("EventLog", &[F("EventLog"), F("Channel")]),
        ("EventLevel", &[F("EventLevel"), F("Level")]),
        ("EventCategory", &[F("EventCategory"), F("Task")]),
        ("UserName", &[
            F("UserName"),
            F("User"),
            Sql(r#"CASE WHEN "Domain" IS NULL OR "Domain" IN ('', '-') THEN "AccountName" ELSE concat("Domain", '\', "AccountName") END"#, &["Domain", "AccountName"]),
        ]),
        ("RenderedDescription", &[F("RenderedDescription"), F("Message")]),
        ("EventData", &[F("EventData"), Candidate::EventDataXml]),
        ("Type", &[Text("Event")]),
    ],
    extra: &[],
};

const LEAF_OF_IMAGE: &str = r#"regexp_replace("Image", '^.*[\\/]', '')"#;

const SYSMON_PROCESS_VIEW: View = View {
    table: "DeviceProcessEvents",
    requires: &[&["EventID"], &["Image"], &["Channel"]],
    filter: &[(r#""Channel" = 'Microsoft-Windows-Sysmon/Operational' AND "EventID" = 1"#, &["Channel", "EventID"])],
    columns: &[
        ("Timestamp", &[F("TimeCreated"), F("@timestamp"), F("TimeGenerated")]),
        ("DeviceName", &[Sql(r#"lower("Hostname")"#, &["Hostname"]), Sql(r#"lower("Computer")"#, &["Computer"])]),
        ("ActionType", &[Text("ProcessCreated")]),
        ("FileName", &[Sql(LEAF_OF_IMAGE, &["Image"])]),
        ("FolderPath", &[F("Image")]),
        ("SHA1", &[Sql(SHA1_OF_HASHES, &["Hashes"])]),
        ("SHA256", &[Sql(SHA256_OF_HASHES, &["Hashes"])]),
        ("MD5", &[Sql(MD5_OF_HASHES, &["Hashes"])]),
        ("ProcessId", &[F("ProcessId")]),
        ("ProcessCommandLine", &[F("CommandLine")]),
        ("ProcessIntegrityLevel", &[F("IntegrityLevel")]),
        ("ProcessCreationTime", &[F("UtcTime")]),
        ("ProcessVersionInfoCompanyName", &[F("Company")]),
        ("ProcessVersionInfoProductName", &[F("Product")]),
        ("ProcessVersionInfoProductVersion", &[F("FileVersion")]),
        ("ProcessVersionInfoOriginalFileName", &[F("OriginalFileName")]),
        ("ProcessVersionInfoFileDescription", &[F("Description")]),
        ("AccountDomain", &[Sql(DOMAIN_OF_USER, &["User"])]),
        ("AccountName", &[Sql(NAME_OF_USER, &["User"])]),
        ("LogonId", &[F("LogonId")]),
        ("InitiatingProcessFileName", &[Sql(r#"regexp_replace("ParentImage", '^.*[\\/]', '')"#, &["ParentImage"])]),
        ("InitiatingProcessFolderPath", &[F("ParentImage")]),
        ("InitiatingProcessCommandLine", &[F("ParentCommandLine")]),
        ("InitiatingProcessId", &[F("ParentProcessId")]),
        // Sysmon's own `ProcessGuid`-style fields have no Defender column; the rest stay empty.
        ("DeviceId", &[]),
        ("FileSize", &[]),
        ("AdditionalFields", &[]),
    ],
    extra: &[],
};

const SECURITY_PROCESS_VIEW: View = View {
    table: "DeviceProcessEvents",
    requires: &[&["EventID"], &["NewProcessName"]],
    filter: &[
        (r#""Channel" = 'Security' AND "EventID" = 4688"#, &["Channel", "EventID"]),
        (r#""EventID" = 4688"#, &["EventID"]),
    ],
    columns: &[
        ("Timestamp", &[F("TimeCreated"), F("@timestamp"), F("TimeGenerated")]),
        ("ProcessCreationTime", &[F("TimeCreated"), F("@timestamp"), F("TimeGenerated")]),
        ("DeviceId", &[F("SourceComputerId")]),
        ("DeviceName", &[Sql(r#"lower("Hostname")"#, &["Hostname"]), Sql(r#"lower("Computer")"#, &["Computer"])]),
        ("ActionType", &[Text("ProcessCreated")]),
        ("FileName", &[Sql(r#"regexp_replace("NewProcessName", '^.*[\\/]', '')"#, &["NewProcessName"])]),
        ("FolderPath", &[F("NewProcessName")]),
        ("SHA1", &[]),
        ("SHA256", &[]),
        ("MD5", &[]),
        ("ProcessId", &[F("NewProcessId")]),
        ("ProcessCommandLine", &[F("CommandLine")]),
        ("ProcessIntegrityLevel", &[Sql(
            r#"CASE "MandatoryLabel" WHEN 'S-1-16-4096' THEN 'Low' WHEN 'S-1-16-8192' THEN 'Medium' WHEN 'S-1-16-12288' THEN 'High' WHEN 'S-1-16-16384' THEN 'System' ELSE '' END"#,
            &["MandatoryLabel"],
        )]),
        ("ProcessTokenElevation", &[Sql(
            r#"CASE "TokenElevationType" WHEN '%%1936' THEN 'TokenElevationTypeDefault' WHEN '%%1937' THEN 'TokenElevationTypeFull' WHEN '%%1938' THEN 'TokenElevationTypeLimited' ELSE '' END"#,
            &["TokenElevationType"],
        )]),
        ("AccountDomain", &[
            Sql(concat_target_or_subject_domain(), &["TargetUserName", "TargetDomainName", "SubjectDomainName"]),
            F("SubjectDomainName"),
        ]),
        ("AccountName", &[
            Sql(concat_target_or_subject_user(), &["TargetUserName", "SubjectUserName"]),
            F("SubjectUserName"),
        ]),
        ("AccountSid", &[
            Sql(r#"CASE WHEN ("TargetUserName" IS NOT NULL AND "TargetUserName" NOT IN ('', '-')) THEN "TargetUserSid" ELSE "SubjectUserSid" END"#, &["TargetUserName", "TargetUserSid", "SubjectUserSid"]),
            F("SubjectUserSid"),
        ]),
        ("LogonId", &[
            Sql(r#"CASE WHEN "TargetLogonId" IS NOT NULL AND "TargetLogonId" NOT IN ('', '0x0', '-') THEN "TargetLogonId" ELSE "SubjectLogonId" END"#, &["TargetLogonId", "SubjectLogonId"]),
            F("SubjectLogonId"),
        ]),
        ("InitiatingProcessAccountDomain", &[F("SubjectDomainName")]),
        ("InitiatingProcessAccountName", &[F("SubjectUserName")]),
        ("InitiatingProcessAccountSid", &[F("SubjectUserSid")]),
        ("InitiatingProcessLogonId", &[F("SubjectLogonId")]),
        ("InitiatingProcessFileName", &[Sql(r#"regexp_replace("ParentProcessName", '^.*[\\/]', '')"#, &["ParentProcessName"])]),
        ("InitiatingProcessFolderPath", &[F("ParentProcessName")]),
        ("InitiatingProcessCommandLine", &[]),
        ("InitiatingProcessId", &[F("ProcessId")]),
        ("FileSize", &[]),
        ("AdditionalFields", &[]),
    ],
    extra: &[],
};

/// `AccountDomain` of a 4688 event: the target's domain when a target user is set.
const fn concat_target_or_subject_domain() -> &'static str {
    r#"CASE WHEN ("TargetUserName" IS NOT NULL AND "TargetUserName" NOT IN ('', '-')) THEN "TargetDomainName" ELSE "SubjectDomainName" END"#
}

/// `AccountName` of a 4688 event: the target user when set, else the subject.
const fn concat_target_or_subject_user() -> &'static str {
    r#"CASE WHEN ("TargetUserName" IS NOT NULL AND "TargetUserName" NOT IN ('', '-')) THEN "TargetUserName" ELSE "SubjectUserName" END"#
}

const DEFENDER_PROCESS_VIEW: View = View {
    table: "DeviceProcessEvents",
    requires: &[&["DeviceName"], &["ProcessCommandLine"]],
    filter: &[],
    columns: &[],
    extra: &[],
};

const SYSLOG_VIEW: View = View {
    table: "Syslog",
    requires: &[&["SyslogMessage"]],
    filter: &[],
    columns: &[
        ("TimeGenerated", &[F("TimeGenerated"), F("EventTime")]),
        ("EventTime", &[F("EventTime"), F("TimeGenerated")]),
        ("Computer", &[F("Computer"), F("HostName")]),
        ("HostName", &[F("HostName"), F("Computer")]),
        ("Type", &[Text("Syslog")]),
    ],
    extra: &[],
};

const SIGNIN_VIEW: View = View {
    table: "SigninLogs",
    requires: &[&["UserPrincipalName"], &["ResultType"], &["AppDisplayName", "AppId"]],
    filter: &[],
    columns: &[
        ("TimeGenerated", &[F("TimeGenerated"), F("CreatedDateTime")]),
        ("CreatedDateTime", &[F("CreatedDateTime"), F("TimeGenerated")]),
        ("Identity", &[F("Identity"), F("UserDisplayName")]),
        ("Status", &[F("Status"), Sql(r#"concat('{"errorCode": ', CAST("ResultType" AS VARCHAR), '}')"#, &["ResultType"])]),
        ("Category", &[F("Category"), Text("SignInLogs")]),
        ("OperationName", &[F("OperationName"), Text("Sign-in activity")]),
        ("Type", &[Text("SigninLogs")]),
    ],
    extra: &[],
};

/// Every view, in the order frames are read.
const VIEWS: &[View] = &[
    SECURITY_VIEW,
    EVENT_VIEW,
    SYSMON_PROCESS_VIEW,
    SECURITY_PROCESS_VIEW,
    DEFENDER_PROCESS_VIEW,
    SYSMON_NETWORK_VIEW,
    SYSMON_FILE_VIEW,
    SYSMON_REGISTRY_VIEW,
    SYSMON_IMAGE_LOAD_VIEW,
    SECURITY_LOGON_VIEW,
    SYSLOG_VIEW,
    SIGNIN_VIEW,
];

const SYSMON_CHANNEL: &str = "Microsoft-Windows-Sysmon/Operational";
const SHA1_OF_HASHES: &str = r#"CASE WHEN "Hashes" LIKE '%SHA1=%' THEN lower(regexp_replace("Hashes", '^.*SHA1=([0-9A-Fa-f]+).*$', '\1')) ELSE '' END"#;
const SHA256_OF_HASHES: &str = r#"CASE WHEN "Hashes" LIKE '%SHA256=%' THEN lower(regexp_replace("Hashes", '^.*SHA256=([0-9A-Fa-f]+).*$', '\1')) ELSE '' END"#;
const MD5_OF_HASHES: &str = r#"CASE WHEN "Hashes" LIKE '%MD5=%' THEN lower(regexp_replace("Hashes", '^.*MD5=([0-9A-Fa-f]+).*$', '\1')) ELSE '' END"#;
const DOMAIN_OF_USER: &str = r#"CASE WHEN strpos("User", '\') > 0 THEN split_part("User", '\', 1) ELSE '' END"#;
const NAME_OF_USER: &str = r#"CASE WHEN strpos("User", '\') > 0 THEN split_part("User", '\', 2) ELSE "User" END"#;
const EVENT_TIME: &[Candidate] = &[F("TimeCreated"), F("@timestamp"), F("TimeGenerated")];
const DEVICE_NAME: &[Candidate] = &[Sql(r#"lower("Hostname")"#, &["Hostname"]), Sql(r#"lower("Computer")"#, &["Computer"])];

/// The device, time and initiating process of a Sysmon event (`Image`, `ProcessId`, `User`).
const SYSMON_INITIATING: &[(&str, &[Candidate])] = &[
    ("Timestamp", EVENT_TIME),
    ("DeviceName", DEVICE_NAME),
    ("InitiatingProcessFolderPath", &[F("Image")]),
    ("InitiatingProcessFileName", &[Sql(LEAF_OF_IMAGE, &["Image"])]),
    ("InitiatingProcessId", &[F("ProcessId")]),
    ("InitiatingProcessAccountDomain", &[Sql(DOMAIN_OF_USER, &["User"])]),
    ("InitiatingProcessAccountName", &[Sql(NAME_OF_USER, &["User"])]),
    ("FileSize", &[]),
    ("AdditionalFields", &[]),
];

const SYSMON_NETWORK_VIEW: View = View {
    table: "DeviceNetworkEvents",
    requires: &[&["EventID"], &["Channel"], &["DestinationIp"]],
    filter: &[(r#""Channel" = 'Microsoft-Windows-Sysmon/Operational' AND "EventID" = 3"#, &["Channel", "EventID"])],
    columns: &[
        ("ActionType", &[
            Sql(r#"CASE WHEN lower(CAST("Initiated" AS VARCHAR)) = 'false' THEN 'InboundConnectionAccepted' ELSE 'ConnectionSuccess' END"#, &["Initiated"]),
            Text("ConnectionSuccess"),
        ]),
        ("RemoteIP", &[
            Sql(r#"CASE WHEN lower(CAST("Initiated" AS VARCHAR)) = 'false' THEN "SourceIp" ELSE "DestinationIp" END"#, &["Initiated", "SourceIp", "DestinationIp"]),
            F("DestinationIp"),
        ]),
        ("RemotePort", &[
            Sql(r#"CASE WHEN lower(CAST("Initiated" AS VARCHAR)) = 'false' THEN CAST("SourcePort" AS VARCHAR) ELSE CAST("DestinationPort" AS VARCHAR) END"#, &["Initiated", "SourcePort", "DestinationPort"]),
            F("DestinationPort"),
        ]),
        ("LocalIP", &[
            Sql(r#"CASE WHEN lower(CAST("Initiated" AS VARCHAR)) = 'false' THEN "DestinationIp" ELSE "SourceIp" END"#, &["Initiated", "SourceIp", "DestinationIp"]),
            F("SourceIp"),
        ]),
        ("LocalPort", &[
            Sql(r#"CASE WHEN lower(CAST("Initiated" AS VARCHAR)) = 'false' THEN CAST("DestinationPort" AS VARCHAR) ELSE CAST("SourcePort" AS VARCHAR) END"#, &["Initiated", "SourcePort", "DestinationPort"]),
            F("SourcePort"),
        ]),
        ("RemoteUrl", &[Sql(
            r#"CASE WHEN lower(CAST("Initiated" AS VARCHAR)) = 'false' OR "DestinationHostname" IS NULL OR "DestinationHostname" = '-' THEN '' ELSE "DestinationHostname" END"#,
            &["Initiated", "DestinationHostname"],
        )]),
        ("Protocol", &[Sql(r#"CASE lower("Protocol") WHEN 'tcp' THEN 'Tcp' WHEN 'udp' THEN 'Udp' ELSE "Protocol" END"#, &["Protocol"])]),
    ],
    extra: SYSMON_INITIATING,
};

const SYSMON_FILE_VIEW: View = View {
    table: "DeviceFileEvents",
    requires: &[&["EventID"], &["Channel"], &["TargetFilename"]],
    filter: &[(r#""Channel" = 'Microsoft-Windows-Sysmon/Operational' AND "EventID" = 11"#, &["Channel", "EventID"])],
    columns: &[
        ("ActionType", &[Text("FileCreated")]),
        ("FileName", &[Sql(r#"regexp_replace("TargetFilename", '^.*[\\/]', '')"#, &["TargetFilename"])]),
        ("FolderPath", &[F("TargetFilename")]),
        ("ShareName", &[]),
    ],
    extra: SYSMON_INITIATING,
};

/// A Sysmon registry path with Defender's hive names (`HKLM` → `HKEY_LOCAL_MACHINE` …).
macro_rules! full_hive {
    ($path:literal) => {
        concat!(
            "regexp_replace(regexp_replace(regexp_replace(regexp_replace(",
            $path,
            ", '^HKLM', 'HKEY_LOCAL_MACHINE'), '^HKU', 'HKEY_USERS'), '^HKCR', 'HKEY_CLASSES_ROOT'), '^HKCU', 'HKEY_CURRENT_USER')"
        )
    };
}

const SYSMON_REGISTRY_VIEW: View = View {
    table: "DeviceRegistryEvents",
    requires: &[&["EventID"], &["Channel"], &["TargetObject"]],
    filter: &[(r#""Channel" = 'Microsoft-Windows-Sysmon/Operational' AND "EventID" IN (12, 13, 14)"#, &["Channel", "EventID"])],
    columns: &[
        ("ActionType", &[
            Sql(r#"CASE "EventType" WHEN 'CreateKey' THEN 'RegistryKeyCreated' WHEN 'DeleteKey' THEN 'RegistryKeyDeleted' WHEN 'SetValue' THEN 'RegistryValueSet' WHEN 'DeleteValue' THEN 'RegistryValueDeleted' WHEN 'RenameKey' THEN 'RegistryKeyRenamed' ELSE CASE "EventID" WHEN 13 THEN 'RegistryValueSet' WHEN 14 THEN 'RegistryKeyRenamed' ELSE 'RegistryKeyCreated' END END"#, &["EventType", "EventID"]),
            Sql(r#"CASE "EventID" WHEN 13 THEN 'RegistryValueSet' WHEN 14 THEN 'RegistryKeyRenamed' ELSE 'RegistryKeyCreated' END"#, &["EventID"]),
        ]),
        ("RegistryKey", &[Sql(full_hive!(r#"CASE WHEN "EventID" = 13 THEN regexp_replace("TargetObject", '\\[^\\]*$', '') ELSE "TargetObject" END"#), &["TargetObject", "EventID"])]),
        ("RegistryValueName", &[Sql(r#"CASE WHEN "EventID" = 13 THEN regexp_replace("TargetObject", '^.*\\', '') ELSE '' END"#, &["TargetObject", "EventID"])]),
        ("RegistryValueData", &[F("Details")]),
        ("RegistryValueType", &[]),
    ],
    extra: SYSMON_INITIATING,
};

const SYSMON_IMAGE_LOAD_VIEW: View = View {
    table: "DeviceImageLoadEvents",
    requires: &[&["EventID"], &["Channel"], &["ImageLoaded"]],
    filter: &[(r#""Channel" = 'Microsoft-Windows-Sysmon/Operational' AND "EventID" = 7"#, &["Channel", "EventID"])],
    columns: &[
        ("ActionType", &[Text("ImageLoaded")]),
        ("FileName", &[Sql(r#"regexp_replace("ImageLoaded", '^.*[\\/]', '')"#, &["ImageLoaded"])]),
        ("FolderPath", &[F("ImageLoaded")]),
        ("SHA1", &[Sql(SHA1_OF_HASHES, &["Hashes"])]),
        ("SHA256", &[Sql(SHA256_OF_HASHES, &["Hashes"])]),
        ("MD5", &[Sql(MD5_OF_HASHES, &["Hashes"])]),
    ],
    extra: SYSMON_INITIATING,
};

const SECURITY_LOGON_VIEW: View = View {
    table: "DeviceLogonEvents",
    requires: &[&["EventID"], &["TargetUserName"], &["Computer", "Hostname"]],
    filter: &[
        (r#""Channel" = 'Security' AND "EventID" IN (4624, 4625)"#, &["Channel", "EventID"]),
        (r#""EventID" IN (4624, 4625)"#, &["EventID"]),
    ],
    columns: &[
        ("Timestamp", &[F("TimeCreated"), F("@timestamp"), F("TimeGenerated")]),
        ("DeviceId", &[F("SourceComputerId")]),
        ("DeviceName", DEVICE_NAME),
        ("ActionType", &[Sql(r#"CASE WHEN "EventID" = 4625 THEN 'LogonFailed' ELSE 'LogonSuccess' END"#, &["EventID"])]),
        ("LogonType", &[Sql(
            r#"CASE CAST("LogonType" AS VARCHAR) WHEN '2' THEN 'Interactive' WHEN '3' THEN 'Network' WHEN '4' THEN 'Batch' WHEN '5' THEN 'Service' WHEN '7' THEN 'Unlock' WHEN '8' THEN 'NetworkCleartext' WHEN '9' THEN 'NewCredentials' WHEN '10' THEN 'RemoteInteractive' WHEN '11' THEN 'CachedInteractive' ELSE '' END"#,
            &["LogonType"],
        )]),
        ("AccountDomain", &[F("TargetDomainName")]),
        ("AccountName", &[F("TargetUserName")]),
        ("AccountSid", &[F("TargetUserSid")]),
        ("Protocol", &[F("AuthenticationPackageName")]),
        ("FailureReason", &[F("FailureReason"), F("Status")]),
        ("LogonId", &[F("TargetLogonId")]),
        ("RemoteDeviceName", &[Sql(r#"CASE WHEN "WorkstationName" = '-' THEN '' ELSE "WorkstationName" END"#, &["WorkstationName"])]),
        ("RemoteIP", &[Sql(r#"CASE WHEN "IpAddress" = '-' THEN '' ELSE "IpAddress" END"#, &["IpAddress"])]),
        ("RemotePort", &[F("IpPort")]),
        ("InitiatingProcessFolderPath", &[Sql(r#"CASE WHEN "ProcessName" = '-' THEN '' ELSE "ProcessName" END"#, &["ProcessName"])]),
        ("InitiatingProcessFileName", &[Sql(r#"CASE WHEN "ProcessName" = '-' THEN '' ELSE regexp_replace("ProcessName", '^.*[\\/]', '') END"#, &["ProcessName"])]),
        ("InitiatingProcessId", &[F("ProcessId")]),
        ("AdditionalFields", &[]),
    ],
    extra: &[],
};

/// Columns filled from other output columns when the source left them empty, in order (a
/// later one may read an earlier one).
fn derived_columns(table: &str) -> Vec<(&'static str, &'static str)> {
    match table {
        "SecurityEvent" => vec![
            ("Account", r#"CASE WHEN ("TargetUserName" <> '' AND "TargetUserName" <> '-') THEN concat(CASE WHEN "TargetDomainName" IN ('', '-') THEN '' ELSE concat("TargetDomainName", '\') END, "TargetUserName") WHEN ("SubjectUserName" <> '' AND "SubjectUserName" <> '-') THEN concat(CASE WHEN "SubjectDomainName" IN ('', '-') THEN '' ELSE concat("SubjectDomainName", '\') END, "SubjectUserName") ELSE '' END"#),
            ("SubjectAccount", r#"CASE WHEN "SubjectUserName" IN ('', '-') THEN '' ELSE concat(CASE WHEN "SubjectDomainName" IN ('', '-') THEN '' ELSE concat("SubjectDomainName", '\') END, "SubjectUserName") END"#),
            ("TargetAccount", r#"CASE WHEN "TargetUserName" IN ('', '-') THEN '' ELSE concat(CASE WHEN "TargetDomainName" IN ('', '-') THEN '' ELSE concat("TargetDomainName", '\') END, "TargetUserName") END"#),
            ("Process", r#"CASE WHEN "NewProcessName" <> '' THEN regexp_replace("NewProcessName", '^.*[\\/]', '') WHEN "ProcessName" NOT IN ('', '-') THEN regexp_replace("ProcessName", '^.*[\\/]', '') ELSE '' END"#),
            ("LogonTypeName", LOGON_TYPE_NAME),
            ("Activity", security_activity_sql()),
            ("AccountType", r#"CASE WHEN "Account" = '' THEN '' WHEN "Account" LIKE '%$' THEN 'Machine' ELSE 'User' END"#),
        ],
        "Event" => vec![(
            "EventLevelName",
            r#"CASE "EventLevel" WHEN 1 THEN 'Critical' WHEN 2 THEN 'Error' WHEN 3 THEN 'Warning' WHEN 4 THEN 'Information' WHEN 0 THEN 'Information' WHEN 5 THEN 'Verbose' ELSE '' END"#,
        )],
        _ => Vec::new(),
    }
}

const LOGON_TYPE_NAME: &str = r#"CASE "LogonType" WHEN 2 THEN '2 - Interactive' WHEN 3 THEN '3 - Network' WHEN 4 THEN '4 - Batch' WHEN 5 THEN '5 - Service' WHEN 7 THEN '7 - Unlock' WHEN 8 THEN '8 - NetworkCleartext' WHEN 9 THEN '9 - NewCredentials' WHEN 10 THEN '10 - RemoteInteractive' WHEN 11 THEN '11 - CachedInteractive' ELSE '' END"#;

/// Short descriptions of common Security event IDs (our wording).
const SECURITY_ACTIVITIES: &[(i32, &str)] = &[
    (1102, "The audit log was cleared."),
    (4608, "Windows is starting up."),
    (4624, "An account was successfully logged on."),
    (4625, "An account failed to log on."),
    (4627, "Group membership information."),
    (4634, "An account was logged off."),
    (4647, "User initiated logoff."),
    (4648, "A logon was attempted using explicit credentials."),
    (4656, "A handle to an object was requested."),
    (4658, "The handle to an object was closed."),
    (4662, "An operation was performed on an object."),
    (4663, "An attempt was made to access an object."),
    (4672, "Special privileges assigned to new logon."),
    (4673, "A privileged service was called."),
    (4674, "An operation was attempted on a privileged object."),
    (4688, "A new process has been created."),
    (4689, "A process has exited."),
    (4690, "An attempt was made to duplicate a handle to an object."),
    (4697, "A service was installed in the system."),
    (4698, "A scheduled task was created."),
    (4702, "A scheduled task was updated."),
    (4703, "A token right was adjusted."),
    (4720, "A user account was created."),
    (4722, "A user account was enabled."),
    (4724, "An attempt was made to reset an account's password."),
    (4726, "A user account was deleted."),
    (4728, "A member was added to a security-enabled global group."),
    (4732, "A member was added to a security-enabled local group."),
    (4738, "A user account was changed."),
    (4740, "A user account was locked out."),
    (4756, "A member was added to a security-enabled universal group."),
    (4768, "A Kerberos authentication ticket (TGT) was requested."),
    (4769, "A Kerberos service ticket was requested."),
    (4771, "Kerberos pre-authentication failed."),
    (4776, "The computer attempted to validate the credentials for an account."),
    (4798, "A user's local group membership was enumerated."),
    (4799, "A security-enabled local group membership was enumerated."),
    (4985, "The state of a transaction has changed."),
    (5140, "A network share object was accessed."),
    (5145, "A network share object was checked to see whether client can be granted desired access."),
    (5156, "The Windows Filtering Platform has permitted a connection."),
    (5158, "The Windows Filtering Platform has permitted a bind to a local port."),
];

/// `Activity` from `EventID`: "ID - description", or the ID alone for other events.
fn security_activity_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let cases: String = SECURITY_ACTIVITIES
            .iter()
            .map(|(id, text)| format!(" WHEN {id} THEN '{id} - {}'", text.replace('\'', "''")))
            .collect();
        format!(r#"CASE WHEN "EventID" IS NULL THEN '' ELSE CASE "EventID"{cases} ELSE CAST("EventID" AS VARCHAR) END END"#)
    })
}

/// Source fields left out of the generated `EventData` XML (collector metadata and the message).
const NOT_EVENT_DATA: &[&str] = &[
    "Message", "@timestamp", "@version", "tags", "host", "port", "EventReceivedTime", "SourceModuleName",
    "SourceModuleType", "Keywords", "ProviderGuid", "TimeCreated", "Hostname", "Channel", "EventID", "Level",
    "Task", "SourceName", "Opcode", "OpcodeValue", "Severity", "SeverityValue", "RecordNumber", "EventType",
    "EventTypeOrignal", "ExecutionProcessID", "ThreadID", "Version", "ActivityID", "EventIdx", "EventCountTotal",
];

/// Source frames read as Sentinel and Defender tables, ready to be registered in a
/// [`KqlSession`].
///
/// ```
/// use mstic_kql::KqlSession;
/// use mstic_kql::tables::LocalTables;
/// let mut tables = LocalTables::new();
/// let fed = tables.add_sample(&mstic_data::sample::SampleData::new(7), 200)?;
/// assert_eq!(fed, vec!["SecurityEvent", "Event", "DeviceProcessEvents", "DeviceNetworkEvents", "DeviceLogonEvents", "SigninLogs"]);
/// let mut session = KqlSession::new();
/// tables.register(&mut session)?;
/// let processes = session.query("DeviceProcessEvents | count")?;
/// assert_eq!(processes.value::<i64>(0, "Count")?, Some(200));
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Default)]
pub struct LocalTables {
    frames: BTreeMap<&'static str, Vec<Frame>>,
}

impl LocalTables {
    /// No data yet (registering gives every table of [`TABLES`], empty).
    pub fn new() -> Self {
        LocalTables::default()
    }

    /// Reads `events` as every table it can feed (see the module docs) and returns the names of
    /// the tables that received rows. Works for OTRF / Mordor event frames, CSV exports of
    /// Sentinel and Defender tables, and LocalData frames with the same fields.
    pub fn add_events(&mut self, events: &Frame) -> Result<Vec<String>> {
        let mut fed = Vec::new();
        for view in VIEWS {
            let Some(frame) = apply_view(view, events)? else { continue };
            if frame.is_empty() {
                continue;
            }
            self.frames.entry(view.table).or_default().push(frame);
            if !fed.iter().any(|t| t == view.table) {
                fed.push(view.table.to_string());
            }
        }
        Ok(fed)
    }

    /// Reads a file (an OTRF dataset `.zip`, or CSV / JSON lines / Parquet as
    /// [`Frame::read_file`] reads them) and adds its events as [`LocalTables::add_events`] does.
    /// A file of which no row feeds a table is an error naming it.
    pub fn add_file(&mut self, path: impl AsRef<Path>) -> Result<Vec<String>> {
        let path = path.as_ref();
        let is_zip = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("zip"));
        let frame = if is_zip { mstic_data::drivers::otrf::load_zip(path)? } else { Frame::read_file(path)? };
        let fed = self.add_events(&frame)?;
        if fed.is_empty() {
            return Err(Error::file(path, format!("no row maps to any of the tables {} (see mstic_kql::tables for the fields each needs)", TABLES.join(", "))));
        }
        Ok(fed)
    }

    /// Adds `rows` rows each of the sample's logon events (SecurityEvent, DeviceLogonEvents),
    /// process events (SecurityEvent 4688, DeviceProcessEvents), Sysmon network events (Event,
    /// DeviceNetworkEvents) and Entra ID sign-ins (SigninLogs).
    pub fn add_sample(&mut self, sample: &mstic_data::sample::SampleData, rows: usize) -> Result<Vec<String>> {
        let mut fed = self.add_events(&sample.logon_events(rows))?;
        fed.extend(self.add_events(&sample.process_events(rows))?);
        fed.extend(self.add_events(&sample.sign_in_events(rows))?);
        let network = with_text_column(&sample.network_events(rows), "Channel", SYSMON_CHANNEL)?;
        fed.extend(self.add_events(&network)?);
        let mut unique: Vec<String> = Vec::new();
        for table in TABLES {
            if fed.iter().any(|t| t == table) {
                unique.push(table.to_string());
            }
        }
        Ok(unique)
    }

    /// The rows of `table` gathered so far (the table's full schema; no rows if none was fed).
    pub fn table(&self, table: &str) -> Result<Frame> {
        let columns = schema(table).ok_or_else(|| Error::unknown("mapped table", table, TABLES.iter().copied()))?;
        let target = table_schema(columns);
        let batches: Vec<RecordBatch> = self
            .frames
            .get(table)
            .into_iter()
            .flatten()
            .flat_map(|frame| frame.batches().iter().cloned())
            .map(|batch| {
                RecordBatch::try_new(target.clone(), batch.columns().to_vec())
                    .map_err(|e| Error::Query(format!("mapped table {table}: {e}")))
            })
            .collect::<Result<_>>()?;
        Ok(Frame::from_batches(target, batches))
    }

    /// Registers every table of [`TABLES`] (each with its full schema, empty when no source fed it) in
    /// `session` and returns their names.
    pub fn register(&self, session: &mut KqlSession) -> Result<Vec<String>> {
        for table in TABLES {
            session.register(table, &self.table(table)?)?;
        }
        Ok(TABLES.iter().map(|t| t.to_string()).collect())
    }

    /// Registers every table of [`TABLES`] for the notebook's `%%kql` and `%%sql` cells (see
    /// [`mstic_core::register_table`]) and returns their names.
    pub fn register_for_cells(&self) -> Result<Vec<String>> {
        for table in TABLES {
            mstic_core::register_table(table, &self.table(table)?);
        }
        Ok(TABLES.iter().map(|t| t.to_string()).collect())
    }
}

/// Registers the tables an OTRF / Mordor event frame (e.g. a dataset loaded by the `Mordor`
/// driver) feeds, plus the other provided tables empty; returns the names of the tables that
/// received rows.
pub fn register_otrf(session: &mut KqlSession, events: &Frame) -> Result<Vec<String>> {
    register_one(session, |tables| tables.add_events(events))
}

/// Registers the tables a CSV export of Sentinel or Defender data feeds (SecurityEvent logons
/// or processes, Syslog, DeviceProcessEvents — see the module docs), plus the other provided
/// tables empty; returns the names of the tables that received rows.
pub fn register_export(session: &mut KqlSession, export: &Frame) -> Result<Vec<String>> {
    register_one(session, |tables| tables.add_events(export))
}

/// Registers the provided tables over `rows` rows of each kind of the generated sample data;
/// returns the names of the tables the sample fed.
pub fn register_sample(session: &mut KqlSession, sample: &mstic_data::sample::SampleData, rows: usize) -> Result<Vec<String>> {
    register_one(session, |tables| tables.add_sample(sample, rows))
}

fn register_one(session: &mut KqlSession, add: impl FnOnce(&mut LocalTables) -> Result<Vec<String>>) -> Result<Vec<String>> {
    let mut tables = LocalTables::new();
    let fed = add(&mut tables)?;
    tables.register(session)?;
    Ok(fed)
}

/// The Arrow schema of a table (every column nullable).
fn table_schema(columns: &[(&str, KustoType)]) -> SchemaRef {
    Arc::new(Schema::new(
        columns.iter().map(|(name, kind)| Field::new(*name, kind.arrow_type(), true)).collect::<Vec<_>>(),
    ))
}

/// `frame` with a constant text column added (replacing one of that name).
fn with_text_column(frame: &Frame, name: &str, value: &str) -> Result<Frame> {
    let mut columns: Vec<(String, ArrayRef)> = Vec::new();
    let schema = frame.schema();
    let whole = arrow::compute::concat_batches(&schema, frame.batches())?;
    for (field, column) in schema.fields().iter().zip(whole.columns()) {
        if field.name() != name {
            columns.push((field.name().clone(), column.clone()));
        }
    }
    let constant: ArrayRef = Arc::new(StringArray::from(vec![Some(value); whole.num_rows()]));
    columns.push((name.to_string(), constant));
    Frame::from_columns(columns)
}

/// The frame's rows read as `view.table`, or `None` when the frame lacks the fields the view
/// requires.
fn apply_view(view: &View, source: &Frame) -> Result<Option<Frame>> {
    let source_schema = source.schema();
    let has = |name: &str| source_schema.field_with_name(name).is_ok();
    if !view.requires.iter().all(|any| any.iter().any(|name| has(name))) {
        return Ok(None);
    }
    let columns = schema(view.table).ok_or_else(|| Error::Query(format!("no schema for table {}", view.table)))?;
    let context = mstic_core::SqlSession::new().context().clone();
    let provider = MemTable::try_new(source_schema.clone(), vec![source.batches().to_vec()])?;
    let mut frame: DataFrame = context.read_table(Arc::new(provider))?;
    let describe = |e: datafusion::error::DataFusionError| Error::Query(format!("mapping a frame to {}: {e}", view.table));
    if let Some((filter, _)) = view.filter.iter().find(|(_, needs)| needs.iter().all(|n| has(n))) {
        let predicate = frame.parse_sql_expr(filter).map_err(describe)?;
        frame = frame.filter(predicate).map_err(describe)?;
    }
    let mut projection = Vec::with_capacity(columns.len());
    for (name, kind) in columns {
        let listed_as = view.columns.iter().chain(view.extra).find(|(n, _)| n == name);
        let candidates: &[Candidate] = listed_as.map(|(_, c)| *c).unwrap_or(&[]);
        let listed = listed_as.is_some();
        let chosen = if listed { candidates.iter().copied().find(|c| usable(c, &has)) } else if has(name) { Some(F(name)) } else { None };
        let value = match chosen {
            Some(candidate) => {
                let raw = candidate_expr(candidate, &frame, source_schema.as_ref()).map_err(describe)?;
                convert(raw, *kind, &frame).map_err(describe)?
            }
            None => missing(*kind),
        };
        projection.push(value.alias(*name));
    }
    frame = frame.select(projection).map_err(describe)?;
    for (derived, sql) in derived_columns(view.table) {
        let fill = frame.parse_sql_expr(sql).map_err(describe)?;
        let mut next = Vec::with_capacity(columns.len());
        for (name, _) in columns {
            let value = if *name == derived {
                let filled = when(df::coalesce(vec![ident(*name), lit("")]).eq(lit("")), fill.clone()).otherwise(ident(*name)).map_err(describe)?;
                cast(filled, DataType::Utf8)
            } else {
                ident(*name)
            };
            next.push(value.alias(*name));
        }
        frame = frame.select(next).map_err(describe)?;
    }
    let table = view.table;
    let target = table_schema(columns);
    let batches = mstic_core::interrupt::block_on("mapping local data to tables", async move {
        frame.collect().await.map_err(|e| Error::Query(format!("mapping a frame to {table}: {e}")))
    })?;
    let batches = batches
        .into_iter()
        .map(|batch| RecordBatch::try_new(target.clone(), batch.columns().to_vec()))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| Error::Query(format!("mapping a frame to {table}: {e}")))?;
    Ok(Some(Frame::from_batches(target, batches)))
}

fn usable(candidate: &Candidate, has: &impl Fn(&str) -> bool) -> bool {
    match candidate {
        Candidate::Field(name) => has(name),
        Candidate::Sql(_, needs) => needs.iter().all(|n| has(n)),
        Candidate::Text(_) | Candidate::EventDataXml => true,
    }
}

fn candidate_expr(candidate: Candidate, frame: &DataFrame, source: &Schema) -> datafusion::error::Result<Expr> {
    Ok(match candidate {
        Candidate::Field(name) => ident(name),
        Candidate::Sql(sql, _) => frame.parse_sql_expr(sql)?,
        Candidate::Text(text) => lit(text),
        Candidate::EventDataXml => event_data_xml(source)?,
    })
}

/// A column of the given type with no value: the empty string for text, null otherwise.
fn missing(kind: KustoType) -> Expr {
    match kind {
        KustoType::String | KustoType::Dynamic => lit(""),
        other => cast(lit(ScalarValue::Null), other.arrow_type()),
    }
}

/// `value` converted to `kind` (see "Conversions" in the module docs).
fn convert(value: Expr, kind: KustoType, frame: &DataFrame) -> datafusion::error::Result<Expr> {
    let source = value.get_type(frame.schema())?;
    let is_text = crate::scalar::is_text(&source);
    let target = kind.arrow_type();
    if source == target {
        return Ok(value);
    }
    Ok(match kind {
        KustoType::String | KustoType::Dynamic => {
            if matches!(source, DataType::Timestamp(_, _)) {
                df::to_char(value, lit("%Y-%m-%dT%H:%M:%S%.fZ"))
            } else {
                cast(value, DataType::Utf8)
            }
        }
        KustoType::Int | KustoType::Long if is_text => try_cast(number_udf().call(vec![value]), target),
        KustoType::DateTime if is_text => {
            let us_form = df::regexp_like(value.clone(), lit(r"^\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}"), None);
            let parsed = df::to_timestamp(vec![value.clone(), lit("%m/%d/%Y %H:%M:%S"), lit("%m/%d/%Y %H:%M")]);
            when(us_form, cast(parsed, target.clone())).otherwise(try_cast(value, target))?
        }
        _ => try_cast(value, target),
    })
}

/// Text to a 64-bit integer: decimal, or hexadecimal with a `0x` prefix; anything else null.
fn number_udf() -> &'static ScalarUDF {
    static UDF: OnceLock<ScalarUDF> = OnceLock::new();
    UDF.get_or_init(|| {
        crate::functions::array_udf("mstic_text_to_number", vec![DataType::Utf8], DataType::Int64, |arrays: &[ArrayRef]| {
            let numbers: Int64Array = crate::functions::utf8(&arrays[0])?.iter().map(|t| t.and_then(parse_number)).collect();
            Ok(Arc::new(numbers) as ArrayRef)
        })
    })
}

/// `"0x1f"` → 31, `" 42 "` → 42, anything else `None`.
fn parse_number(text: &str) -> Option<i64> {
    let text = text.trim();
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => i64::from_str_radix(hex, 16).ok(),
        None => text.parse().ok(),
    }
}

/// Text escaped for XML content (`&`, `<`, `>`, `"`).
fn xml_escape_udf() -> &'static ScalarUDF {
    static UDF: OnceLock<ScalarUDF> = OnceLock::new();
    UDF.get_or_init(|| {
        crate::functions::array_udf("mstic_xml_escape", vec![DataType::Utf8], DataType::Utf8, |arrays: &[ArrayRef]| {
            let escaped: StringArray = crate::functions::utf8(&arrays[0])?
                .iter()
                .map(|t| t.map(|t| t.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")))
                .collect();
            Ok(Arc::new(escaped) as ArrayRef)
        })
    })
}

/// `<EventData><Data Name="field">value</Data>…</EventData>` over the source's fields.
fn event_data_xml(source: &Schema) -> datafusion::error::Result<Expr> {
    let mut parts = Vec::new();
    for field in source.fields() {
        let name = field.name();
        if NOT_EVENT_DATA.contains(&name.as_str()) || name.contains(['"', '<', '>', '&']) {
            continue;
        }
        let text = if matches!(field.data_type(), DataType::Timestamp(_, _)) {
            df::to_char(ident(name), lit("%Y-%m-%dT%H:%M:%S%.fZ"))
        } else {
            cast(ident(name), DataType::Utf8)
        };
        let element = df::concat(vec![lit(format!("<Data Name=\"{name}\">")), xml_escape_udf().call(vec![text]), lit("</Data>")]);
        parts.push(when(ident(name).is_not_null(), element).end()?);
    }
    if parts.is_empty() {
        return Ok(lit("<EventData></EventData>"));
    }
    Ok(df::concat(vec![lit("<EventData>"), df::concat_ws(lit(""), parts), lit("</EventData>")]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session_with(frame: &Frame) -> KqlSession {
        let mut session = KqlSession::new();
        register_export(&mut session, frame).expect("mapped");
        session
    }

    #[test]
    fn numbers_read_hex_and_decimal() {
        assert_eq!(parse_number("0x898"), Some(0x898));
        assert_eq!(parse_number(" 3616 "), Some(3616));
        assert_eq!(parse_number("-"), None);
    }

    #[test]
    fn otrf_security_and_sysmon_rows_split_into_tables() {
        let events = Frame::from_string_rows(
            &["@timestamp", "Hostname", "Channel", "EventID", "NewProcessName", "NewProcessId", "ProcessId", "ParentProcessName", "CommandLine", "SubjectUserName", "SubjectDomainName", "TargetUserName", "Image", "ParentImage", "Hashes", "User", "LogonId", "Message"],
            &[
                vec![Some("2020-10-21T11:28:11.220Z"), Some("WORKSTATION5"), Some("Security"), Some("4688"), Some("C:\\Windows\\System32\\reg.exe"), Some("0x898"), Some("0x2844"), Some("C:\\Windows\\System32\\cmd.exe"), Some("reg query x"), Some("wardog"), Some("WORKSTATION5"), Some("-"), None, None, None, None, None, Some("A new process")],
                vec![Some("2020-10-21T11:28:11.300Z"), Some("WORKSTATION5"), Some("Microsoft-Windows-Sysmon/Operational"), Some("1"), None, None, Some("3616"), None, Some("reg query x"), None, None, None, Some("C:\\Windows\\System32\\reg.exe"), Some("C:\\Windows\\System32\\cmd.exe"), Some("SHA1=AA,MD5=BB,SHA256=CC01,IMPHASH=DD"), Some("WORKSTATION5\\wardog"), Some("0xc61d9"), Some("Process Create: <x>")],
            ],
        )
        .expect("frame");
        let session = session_with(&events);
        let security = session.query("SecurityEvent | project Account, AccountType, Process, Activity, EventID, TimeGenerated").expect("query");
        assert_eq!(security.len(), 1);
        assert_eq!(security.column_strings("Account").expect("Account"), vec![Some("WORKSTATION5\\wardog".to_string())]);
        assert_eq!(security.column_strings("AccountType").expect("AccountType"), vec![Some("User".to_string())]);
        assert_eq!(security.column_strings("Process").expect("Process"), vec![Some("reg.exe".to_string())]);
        assert_eq!(security.column_strings("Activity").expect("Activity"), vec![Some("4688 - A new process has been created.".to_string())]);
        let event = session.query("Event | project Source, EventLog, RenderedDescription, EventData, EventID").expect("query");
        assert_eq!(event.len(), 1);
        assert_eq!(event.column_strings("EventLog").expect("EventLog"), vec![Some("Microsoft-Windows-Sysmon/Operational".to_string())]);
        let data = event.column_strings("EventData").expect("EventData")[0].clone().unwrap_or_default();
        assert!(data.contains("<Data Name=\"Image\">C:\\Windows\\System32\\reg.exe</Data>"), "{data}");
        assert!(!data.contains("Message"), "{data}");
        let processes = session
            .query("DeviceProcessEvents | sort by ProcessId asc | project DeviceName, FileName, FolderPath, ProcessId, InitiatingProcessFileName, InitiatingProcessId, AccountName, AccountDomain, SHA256, LogonId")
            .expect("query");
        assert_eq!(processes.len(), 2);
        assert_eq!(processes.value::<i64>(0, "ProcessId").expect("ProcessId"), Some(0x898));
        assert_eq!(processes.value::<i64>(0, "InitiatingProcessId").expect("pid"), Some(0x2844));
        assert_eq!(processes.value::<i64>(1, "ProcessId").expect("ProcessId"), Some(3616));
        assert_eq!(processes.column_strings("FileName").expect("FileName"), vec![Some("reg.exe".to_string()), Some("reg.exe".to_string())]);
        assert_eq!(processes.column_strings("DeviceName").expect("DeviceName")[1], Some("workstation5".to_string()));
        assert_eq!(processes.column_strings("SHA256").expect("SHA256")[1], Some("cc01".to_string()));
        assert_eq!(processes.column_strings("AccountName").expect("AccountName"), vec![Some("wardog".to_string()), Some("wardog".to_string())]);
        assert_eq!(processes.value::<i64>(1, "LogonId").expect("LogonId"), Some(0xc61d9));
        let syslog = session.query("Syslog | count").expect("query");
        assert_eq!(syslog.value::<i64>(0, "Count").expect("Count"), Some(0));
    }

    #[test]
    fn syslog_export_reads_us_dates() {
        let export = Frame::from_string_rows(
            &["TimeGenerated", "Computer", "Facility", "SeverityLevel", "SyslogMessage", "ProcessID", "ProcessName"],
            &[vec![Some("7/8/2019 16:08"), Some("squid"), Some("authpriv"), Some("info"), Some("session opened"), Some("412"), Some("sudo")]],
        )
        .expect("frame");
        let session = session_with(&export);
        let rows = session.query("Syslog | where TimeGenerated == datetime(2019-07-08 16:08:00) | project HostName, ProcessID, Type").expect("query");
        assert_eq!(rows.column_strings("HostName").expect("HostName"), vec![Some("squid".to_string())]);
        assert_eq!(rows.value::<i32>(0, "ProcessID").expect("ProcessID"), Some(412));
        assert_eq!(rows.column_strings("Type").expect("Type"), vec![Some("Syslog".to_string())]);
    }

    #[test]
    fn signin_export_maps_columns() {
        let text = |values: &[&str]| Arc::new(StringArray::from(values.to_vec())) as ArrayRef;
        let export = Frame::from_columns(vec![
            ("CreatedDateTime".to_string(), text(&["2024-05-01T08:00:00Z", "2024-05-01T08:05:00Z"])),
            ("UserPrincipalName".to_string(), text(&["ann@contoso.com", "ann@contoso.com"])),
            ("AppDisplayName".to_string(), text(&["Azure Portal", "Azure Portal"])),
            ("ResultType".to_string(), Arc::new(Int64Array::from(vec![50126, 0])) as ArrayRef),
            ("IsInteractive".to_string(), text(&["true", "False"])),
            ("LocationDetails".to_string(), text(&[r#"{"countryOrRegion": "NL"}"#, r#"{"countryOrRegion": "US"}"#])),
        ])
        .expect("frame");
        let session = session_with(&export);
        let rows = session
            .query("SigninLogs | sort by TimeGenerated asc | project ResultType, Status, IsInteractive, Country = tostring(LocationDetails.countryOrRegion), Type, Category, OperationName")
            .expect("query");
        assert_eq!(rows.column_strings("ResultType").expect("ResultType"), vec![Some("50126".to_string()), Some("0".to_string())]);
        assert_eq!(rows.column_strings("Status").expect("Status")[0], Some(r#"{"errorCode": 50126}"#.to_string()));
        assert_eq!(rows.value::<bool>(0, "IsInteractive").expect("IsInteractive"), Some(true));
        assert_eq!(rows.value::<bool>(1, "IsInteractive").expect("IsInteractive"), Some(false));
        assert_eq!(rows.column_strings("Country").expect("Country"), vec![Some("NL".to_string()), Some("US".to_string())]);
        assert_eq!(rows.column_strings("Type").expect("Type")[1], Some("SigninLogs".to_string()));
        assert_eq!(rows.column_strings("Category").expect("Category")[1], Some("SignInLogs".to_string()));
        assert_eq!(rows.column_strings("OperationName").expect("OperationName")[1], Some("Sign-in activity".to_string()));
        let security = session.query("SecurityEvent | count").expect("query");
        assert_eq!(security.value::<i64>(0, "Count").expect("Count"), Some(0));
    }

    #[test]
    fn sample_sign_ins_show_the_seeded_attacks() {
        let mut session = KqlSession::new();
        let fed = register_sample(&mut session, &mstic_data::sample::SampleData::new(42), 2_000).expect("sample");
        assert!(fed.iter().any(|t| t == "SigninLogs"), "{fed:?}");
        let all = session.query("SigninLogs | count").expect("query");
        assert_eq!(all.value::<i64>(0, "Count").expect("Count"), Some(2_000));
        let spray = session
            .query(r#"SigninLogs | where ResultType in ("50126", "50053") and ClientAppUsed == "IMAP4" | summarize AccountsTried = dcount(UserPrincipalName), Apps = make_set(ClientAppUsed) by IPAddress"#)
            .expect("query");
        assert_eq!(spray.column_strings("IPAddress").expect("IPAddress"), vec![Some("91.219.236.174".to_string())]);
        assert_eq!(spray.value::<i64>(0, "AccountsTried").expect("AccountsTried"), Some(12));
        assert_eq!(spray.column_strings("Apps").expect("Apps"), vec![Some(r#"["IMAP4"]"#.to_string())]);
        let compromised = session
            .query(r#"SigninLogs | where IPAddress == "91.219.236.174" and ResultType == "0" | project UserPrincipalName, AuthenticationRequirement"#)
            .expect("query");
        assert_eq!(compromised.column_strings("UserPrincipalName").expect("upn"), vec![Some("erin@contoso.com".to_string())]);
        assert_eq!(compromised.column_strings("AuthenticationRequirement").expect("req"), vec![Some("singleFactorAuthentication".to_string())]);
        let fatigue = session
            .query(r#"SigninLogs | where ResultType == "500121" | mv-expand Step = todynamic(AuthenticationDetails) | where tostring(Step.succeeded) == "false" | summarize Denials = count() by UserPrincipalName, Country = tostring(LocationDetails.countryOrRegion)"#)
            .expect("query");
        assert_eq!(fatigue.column_strings("UserPrincipalName").expect("upn"), vec![Some("alice@contoso.com".to_string())]);
        assert_eq!(fatigue.column_strings("Country").expect("Country"), vec![Some("SG".to_string())]);
        assert_eq!(fatigue.value::<i64>(0, "Denials").expect("Denials"), Some(6));
    }

    #[test]
    fn empty_tables_keep_their_schema() {
        let mut session = KqlSession::new();
        LocalTables::new().register(&mut session).expect("registered");
        let mut expected: Vec<&str> = TABLES.to_vec();
        expected.sort();
        assert_eq!(session.tables(), expected);
        let schema = session.query("SecurityEvent | getschema | where ColumnName in ('EventID', 'TimeGenerated', 'Account') | project ColumnName, ColumnType").expect("schema");
        assert_eq!(schema.column_strings("ColumnType").expect("types"), vec![Some("datetime".into()), Some("string".into()), Some("int".into())]);
    }
}
