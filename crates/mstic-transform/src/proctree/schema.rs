//! Process event schemas: which columns hold the process name, id, parent id and time (plus
//! optional columns), for every log source MSTICPy knows and for user-given mappings.

use mstic_core::{Error, Result};

/// The column mapping of process-creation events, which tells the process tree builder where
/// names, ids and times are. Only the four required columns must exist; optional columns that are
/// missing from the data are ignored.
///
/// # Example
///
/// ```
/// use mstic_transform::ProcSchema;
/// let sysmon = ProcSchema::sysmon_process_create();
/// let columns: Vec<String> = sysmon.columns().iter().map(|c| c.to_string()).collect();
/// assert_eq!(ProcSchema::infer(&columns)?.name, "sysmon_1");
/// let custom = ProcSchema::new("Image", "PID", "PPID", "Time").with_cmd_line("CommandLine");
/// assert_eq!((custom.name.as_str(), custom.required_columns()), ("custom", ["Image", "PID", "PPID", "Time"]));
/// assert!(ProcSchema::infer(&["a".to_string(), "b".to_string()]).is_err());
/// # Ok::<(), mstic_core::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcSchema {
    /// A short name for messages (`windows_4688`, `sysmon_1`, `custom`…).
    pub name: String,
    /// Process file name or path.
    pub process_name: String,
    /// Process id (decimal, hex `0x…` or GUID text).
    pub process_id: String,
    /// Parent process id.
    pub parent_id: String,
    /// Event time.
    pub time_stamp: String,
    /// Parent process name; when present parents are matched on id *and* name.
    pub parent_name: Option<String>,
    /// Command line.
    pub cmd_line: Option<String>,
    /// User name.
    pub user_name: Option<String>,
    /// User id / SID.
    pub user_id: Option<String>,
    /// Logon id of the creating session.
    pub logon_id: Option<String>,
    /// Target logon id (Windows 4688), used when not `0x0`.
    pub target_logon_id: Option<String>,
    /// Host name column.
    pub host_name: Option<String>,
    /// Column holding the event type, and the value of process-creation events.
    pub event_filter: Option<(String, String)>,
    /// Separator of path parts in `process_name`.
    pub path_separator: String,
}

fn s(v: &str) -> Option<String> {
    Some(v.to_string())
}

impl ProcSchema {
    /// A user-given mapping of the four required columns (`\` as path separator).
    pub fn new(process_name: &str, process_id: &str, parent_id: &str, time_stamp: &str) -> Self {
        ProcSchema {
            name: "custom".into(),
            process_name: process_name.into(),
            process_id: process_id.into(),
            parent_id: parent_id.into(),
            time_stamp: time_stamp.into(),
            parent_name: None,
            cmd_line: None,
            user_name: None,
            user_id: None,
            logon_id: None,
            target_logon_id: None,
            host_name: None,
            event_filter: None,
            path_separator: "\\".into(),
        }
    }

    /// Sets the parent name column.
    pub fn with_parent_name(mut self, column: &str) -> Self {
        self.parent_name = s(column);
        self
    }
    /// Sets the command line column.
    pub fn with_cmd_line(mut self, column: &str) -> Self {
        self.cmd_line = s(column);
        self
    }
    /// Sets the host name column.
    pub fn with_host_name(mut self, column: &str) -> Self {
        self.host_name = s(column);
        self
    }
    /// Sets the user name column.
    pub fn with_user_name(mut self, column: &str) -> Self {
        self.user_name = s(column);
        self
    }
    /// Sets the logon id column.
    pub fn with_logon_id(mut self, column: &str) -> Self {
        self.logon_id = s(column);
        self
    }
    /// Keeps only events whose `column` equals `value`.
    pub fn with_event_filter(mut self, column: &str, value: &str) -> Self {
        self.event_filter = Some((column.into(), value.into()));
        self
    }
    /// Sets the path separator (`/` for Linux).
    pub fn with_path_separator(mut self, separator: &str) -> Self {
        self.path_separator = separator.into();
        self
    }

    #[allow(clippy::too_many_arguments)]
    fn known(name: &str, time: &str, process: &str, pid: &str, ppid: &str, parent: Option<&str>, cmd: Option<&str>) -> Self {
        let mut schema = Self::new(process, pid, ppid, time);
        schema.name = name.into();
        schema.parent_name = parent.map(str::to_string);
        schema.cmd_line = cmd.map(str::to_string);
        schema
    }

    /// Windows security event 4688 (Sentinel `SecurityEvent`).
    pub fn windows_4688() -> Self {
        let mut x = Self::known("windows_4688", "TimeGenerated", "NewProcessName", "NewProcessId", "ProcessId", s("ParentProcessName").as_deref(), Some("CommandLine"));
        (x.user_name, x.user_id, x.logon_id, x.target_logon_id) = (s("SubjectUserName"), s("SubjectUserSid"), s("SubjectLogonId"), s("TargetLogonId"));
        x.host_name = s("Computer");
        x.event_filter = Some(("EventID".into(), "4688".into()));
        x
    }
    /// Linux auditd process events (`SYSCALL_EXECVE`).
    pub fn linux_auditd() -> Self {
        let mut x = Self::known("linux_auditd", "TimeGenerated", "exe", "pid", "ppid", None, Some("cmdline"));
        (x.user_name, x.user_id, x.logon_id, x.host_name) = (s("acct"), s("uid"), s("ses"), s("Computer"));
        x.event_filter = Some(("EventType".into(), "SYSCALL_EXECVE".into()));
        x.path_separator = "/".into();
        x
    }
    /// Microsoft Defender for Endpoint internal schema (`CreatedProcess*` / `InitiatingProcess*`).
    pub fn mde_internal() -> Self {
        let mut x = Self::known("mde_internal", "CreatedProcessCreationTime", "CreatedProcessName", "CreatedProcessId", "CreatedProcessParentId", Some("ParentProcessName"), Some("CreatedProcessCommandLine"));
        (x.user_name, x.user_id, x.logon_id, x.target_logon_id) = (s("CreatedProcessAccountName"), s("CreatedProcessAccountSid"), s("InitiatingProcessLogonId"), s("LogonId"));
        x.host_name = s("ComputerDnsName");
        x
    }
    /// Microsoft 365 Defender `DeviceProcessEvents`.
    pub fn mde_device_process_events() -> Self {
        let mut x = Self::known("mde_device_process_events", "Timestamp", "FileName", "ProcessId", "InitiatingProcessId", Some("InitiatingProcessFileName"), Some("ProcessCommandLine"));
        (x.user_name, x.user_id, x.logon_id, x.target_logon_id) = (s("AccountName"), s("AccountSid"), s("InitiatingProcessLogonId"), s("LogonId"));
        x.host_name = s("DeviceName");
        x.event_filter = Some(("ActionType".into(), "ProcessCreated".into()));
        x
    }
    /// Sysmon event 1 (process create).
    pub fn sysmon_process_create() -> Self {
        let mut x = Self::known("sysmon_1", "UtcTime", "Image", "ProcessId", "ParentProcessId", Some("ParentImage"), Some("CommandLine"));
        (x.user_name, x.logon_id, x.host_name) = (s("User"), s("LogonId"), s("Computer"));
        x.event_filter = Some(("EventID".into(), "1".into()));
        x
    }
    /// OSQuery process events.
    pub fn osquery() -> Self {
        let mut x = Self::known("osquery", "calendarTime", "name", "pid", "parent", Some("pcmdline"), Some("cmdline"));
        (x.user_name, x.user_id) = (s("username"), s("uid"));
        x.path_separator = "/".into();
        x
    }
    /// FireEye HX process events.
    pub fn fireeye_hx() -> Self {
        let mut x = Self::known("fireeye_hx", "starttime", "process", "pid", "parentpid", Some("parentprocess"), Some("processcmdline"));
        (x.user_name, x.host_name) = (s("username"), s("hostname"));
        x.event_filter = Some(("eventtype".into(), "start".into()));
        x
    }

    /// Every built-in schema, in inference order (on a tie the later one wins, as in MSTICPy).
    pub fn supported() -> Vec<ProcSchema> {
        vec![
            Self::windows_4688(),
            Self::linux_auditd(),
            Self::mde_internal(),
            Self::mde_device_process_events(),
            Self::sysmon_process_create(),
            Self::osquery(),
            Self::fireeye_hx(),
        ]
    }

    /// The four required columns.
    pub fn required_columns(&self) -> [&str; 4] {
        [&self.process_name, &self.process_id, &self.parent_id, &self.time_stamp]
    }

    /// Every column the schema names.
    pub fn columns(&self) -> Vec<&str> {
        let optional = [&self.parent_name, &self.cmd_line, &self.user_name, &self.user_id, &self.logon_id, &self.target_logon_id, &self.host_name];
        let mut out: Vec<&str> = self.required_columns().to_vec();
        out.extend(optional.iter().filter_map(|c| c.as_deref()));
        if let Some((column, _)) = &self.event_filter {
            out.push(column);
        }
        out
    }

    /// The built-in schema sharing most column names with `columns` (at least 4), else an error
    /// that lists, per schema, the required columns that were missing.
    pub fn infer(columns: &[String]) -> Result<ProcSchema> {
        // Schemas whose four required columns are all present rank first (mixed logs, such as
        // OTRF datasets holding both 4688 and Sysmon events, name columns of several schemas).
        let mut best: Option<((bool, usize), ProcSchema)> = None;
        for schema in Self::supported() {
            let has = |c: &str| columns.iter().any(|have| have == c);
            let matches = schema.columns().iter().filter(|c| has(c)).count();
            let score = (schema.required_columns().iter().all(|c| has(c)), matches);
            if best.as_ref().is_none_or(|(n, _)| score >= *n) {
                best = Some((score, schema));
            }
        }
        match best {
            Some(((_, n), schema)) if n >= 4 => Ok(schema),
            _ => {
                let detail: Vec<String> = Self::supported()
                    .iter()
                    .map(|schema| {
                        let missing: Vec<&str> = schema.required_columns().into_iter().filter(|c| !columns.iter().any(|h| h == c)).collect();
                        format!("{} (missing {})", schema.name, missing.join(", "))
                    })
                    .collect();
                Err(Error::invalid(
                    "process schema",
                    format!(
                        "no known schema matches at least 4 of the columns [{}]; tried {}. Give a mapping with \
                         ProcSchema::new(process_name, process_id, parent_id, time_stamp)",
                        columns.join(", "),
                        detail.join("; ")
                    ),
                ))
            }
        }
    }

    /// Whether this is one of the MDE schemas (built from explicit parent creation times).
    pub fn is_mde(&self) -> bool {
        self.name.starts_with("mde_")
    }
}
