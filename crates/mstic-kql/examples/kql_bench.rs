//! Timing runs for `bench/kql_bench.py`: one query, in KQL or in the equivalent DataFusion SQL,
//! over one input, per invocation. Prints one JSON line with the seconds of the query (parse,
//! plan, run and collect into a [`Frame`]; loading or generating the input is excluded) and the
//! process's resident memory before the query and at its peak during the query.
//!
//! ```text
//! kql_bench <otrf|generated> <summarize|has|join> <kql|sql> [--rows N]
//! kql_bench <otrf|generated> verify  [--rows N]   # both languages, every query: asserts equal results
//! kql_bench <otrf|generated> explain [--rows N]   # the plans of both languages, every query
//! ```
//!
//! `--kql TEXT` / `--sql TEXT` replace the named query's text in a timed run (for finding out
//! which part of a query costs what; the default texts are the benchmark's).
//!
//! Inputs:
//!
//! * `otrf`: the OTRF proxylogon dataset (`otrf/proxylogon_ssrf_rce_poc.zip` under the fixture
//!   folder, `MSTIC_FIXTURES`), read as the project reads it (`mstic_data::drivers::otrf::load_zip`:
//!   JSON lines flattened into 151 columns, ISO times as timestamps);
//! * `generated`: a deterministic Windows-like security log of `--rows` events (10,000,000 by
//!   default) built with Arrow arrays, with the OTRF column names the queries use: `TimeCreated`
//!   over one week, `Hostname` (200 hosts), `EventID`, `SubjectUserName`/`TargetUserName`
//!   (1,000 accounts), `SubjectLogonId`/`TargetLogonId` (each 4624 logon has its own id; process
//!   creations run under a recent logon of their host or under SYSTEM, `0x3e7`),
//!   `NewProcessName` and a `Message` text in which `has "powershell"` selects a few percent
//!   (and `WindowsPowerShell` paths make `contains` differ from `has`).
//!
//! The queries (the same text for both inputs):
//!
//! * `summarize`: events per host per hour;
//! * `has`: `Message has "powershell"` counted — KQL's whole-term match, and in SQL a
//!   case-insensitive regular expression with ASCII-alphanumeric term boundaries (the boundary
//!   rule of the KQL layer's `has`), so both count the same rows;
//! * `join`: process creations (4688) joined with logons (4624) on the logon id, inner join.
//!
//! Peak memory: the kernel's high-water mark (`VmHWM`) is reset after loading (writing `5` to
//! `/proc/self/clear_refs`), so the peak belongs to the query; when the reset is refused the
//! JSON says so (`hwm_reset: false`) and the peak may be the load's.

use arrow::array::{ArrayRef, Int64Builder, RecordBatch, StringBuilder, TimestampNanosecondBuilder};
use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use mstic_core::{Frame, SqlSession};
use mstic_kql::KqlSession;
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

/// The three queries: name, KQL, SQL.
const QUERIES: [(&str, &str, &str); 3] = [
    (
        "summarize",
        "T | summarize count() by Hostname, bin(TimeCreated, 1h)",
        "SELECT \"Hostname\", date_bin(INTERVAL '1 hour', \"TimeCreated\") AS \"TimeCreated\", count(1) AS count_ \
         FROM t GROUP BY \"Hostname\", date_bin(INTERVAL '1 hour', \"TimeCreated\")",
    ),
    (
        "has",
        "T | where Message has \"powershell\" | count",
        "SELECT count(1) AS \"Count\" FROM t \
         WHERE regexp_like(\"Message\", '(^|[^a-zA-Z0-9])powershell([^a-zA-Z0-9]|$)', 'i')",
    ),
    (
        "join",
        "T | where EventID == 4688 | project SubjectLogonId, Hostname, NewProcessName, TimeCreated \
         | join kind=inner (T | where EventID == 4624 | project TargetLogonId, TargetUserName, LogonTime = TimeCreated) \
         on $left.SubjectLogonId == $right.TargetLogonId",
        "SELECT p.\"SubjectLogonId\", p.\"Hostname\", p.\"NewProcessName\", p.\"TimeCreated\", \
         l.\"TargetLogonId\", l.\"TargetUserName\", l.\"TimeCreated\" AS \"LogonTime\" \
         FROM t p JOIN t l ON p.\"SubjectLogonId\" = l.\"TargetLogonId\" \
         WHERE p.\"EventID\" = 4688 AND l.\"EventID\" = 4624",
    ),
];

/// One line of `/proc/self/status` in MiB (`VmHWM`, `VmRSS`).
fn status_mib(key: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with(key)).map(str::to_string))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Resets the peak resident set size to the current one (Linux 4.0+); false when refused.
fn reset_peak_rss() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

/// A small deterministic random number generator (xorshift64).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const BATCH_ROWS: usize = 8192;
const HOSTS: u64 = 200;
const ACCOUNTS: u64 = 1000;
const WEEK_NS: i64 = 7 * 86_400 * 1_000_000_000;
/// 2024-03-04T00:00:00Z in nanoseconds.
const START_NS: i64 = 1_709_510_400 * 1_000_000_000;

const IMAGES: [&str; 10] = [
    "C:\\Windows\\System32\\cmd.exe",
    "C:\\Windows\\System32\\conhost.exe",
    "C:\\Windows\\explorer.exe",
    "C:\\Windows\\System32\\svchost.exe",
    "C:\\Program Files\\Agent\\agent.exe",
    "C:\\Windows\\System32\\whoami.exe",
    "C:\\Windows\\System32\\net.exe",
    "C:\\Windows\\System32\\rundll32.exe",
    "C:\\Windows\\System32\\taskhostw.exe",
    "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
];

/// A generated security log of `rows` events in batches of 8,192 rows (see the module docs).
fn generate(rows: usize) -> Res<Frame> {
    let utc: Arc<str> = "UTC".into();
    let schema = Arc::new(Schema::new(vec![
        Field::new("TimeCreated", DataType::Timestamp(TimeUnit::Nanosecond, Some(utc.clone())), true),
        Field::new("Hostname", DataType::Utf8, true),
        Field::new("EventID", DataType::Int64, true),
        Field::new("SubjectUserName", DataType::Utf8, true),
        Field::new("SubjectLogonId", DataType::Utf8, true),
        Field::new("TargetUserName", DataType::Utf8, true),
        Field::new("TargetLogonId", DataType::Utf8, true),
        Field::new("NewProcessName", DataType::Utf8, true),
        Field::new("Message", DataType::Utf8, true),
    ]));
    let mut rng = Rng(0x2545_F491_4F6C_DD1D);
    // The latest logon ids of each host: process creations run under one of them.
    let mut logons: Vec<Vec<(u64, u64)>> = vec![Vec::new(); HOSTS as usize];
    let mut next_logon: u64 = 0x4e0_0000;
    let mut batches = Vec::with_capacity(rows.div_ceil(BATCH_ROWS));
    let mut done = 0;
    while done < rows {
        let n = BATCH_ROWS.min(rows - done);
        let mut time = TimestampNanosecondBuilder::with_capacity(n).with_timezone(utc.clone());
        let mut host = StringBuilder::with_capacity(n, n * 24);
        let mut event = Int64Builder::with_capacity(n);
        let mut subject = StringBuilder::with_capacity(n, n * 8);
        let mut subject_id = StringBuilder::with_capacity(n, n * 9);
        let mut target = StringBuilder::with_capacity(n, n * 8);
        let mut target_id = StringBuilder::with_capacity(n, n * 9);
        let mut image = StringBuilder::with_capacity(n, n * 10);
        let mut message = StringBuilder::with_capacity(n, n * 110);
        let mut text = String::with_capacity(256);
        for i in done..done + n {
            time.append_value(START_NS + (i as i64) * (WEEK_NS / rows as i64) + rng.below(1_000_000_000) as i64);
            let h = rng.below(HOSTS);
            let host_name = format!("HOST{h:03}.contoso.com");
            host.append_value(&host_name);
            let account = rng.below(ACCOUNTS);
            let user = format!("user{account:04}");
            text.clear();
            let roll = rng.below(1000);
            let id = match roll {
                // 4624: a logon with a new logon id.
                0..=49 => {
                    next_logon += 1 + rng.below(64);
                    let list = &mut logons[h as usize];
                    list.push((next_logon, account));
                    if list.len() > 16 {
                        list.remove(0);
                    }
                    subject.append_value("SYSTEM");
                    subject_id.append_value("0x3e7");
                    target.append_value(&user);
                    target_id.append_value(format!("0x{next_logon:x}"));
                    image.append_null();
                    let kind = [2, 3, 3, 3, 5, 10][rng.below(6) as usize];
                    let _ = write!(text, "An account was successfully logged on. Logon Type: {kind} Account Name: {user} Workstation Name: HOST{h:03} Logon ID: 0x{next_logon:x}");
                    4624
                }
                // 4688: a process creation under a recent logon of the host, or SYSTEM.
                50..=349 => {
                    let list = &logons[h as usize];
                    let (logon, owner) =
                        if list.is_empty() || rng.below(5) == 0 { (0x3e7, u64::MAX) } else { list[rng.below(list.len() as u64) as usize] };
                    let owner = if owner == u64::MAX { "SYSTEM".to_string() } else { format!("user{owner:04}") };
                    subject.append_value(&owner);
                    subject_id.append_value(format!("0x{logon:x}"));
                    target.append_null();
                    target_id.append_value("0x0");
                    // PowerShell in about 1 process in 12; its command line names it again.
                    let exe = if rng.below(12) == 0 { IMAGES[9] } else { IMAGES[rng.below(9) as usize] };
                    image.append_value(exe);
                    let command = match rng.below(6) {
                        0 if exe == IMAGES[9] => "powershell -nop -w hidden -enc SQBFAFgA",
                        1 => "/c whoami /all",
                        2 => "-k netsvcs -p",
                        _ => "",
                    };
                    let _ = write!(text, "A new process has been created. Creator Subject: {owner} New Process Name: {exe} Process Command Line: {command} Token Elevation Type: %%1936");
                    4688
                }
                // 4663 on PowerShell module files: `WindowsPowerShell` only (contains, not has).
                350..=379 => {
                    subject.append_value(&user);
                    subject_id.append_value("0x3e7");
                    target.append_null();
                    target_id.append_null();
                    image.append_null();
                    let _ = write!(text, "An attempt was made to access an object. Object Name: C:\\Program Files\\WindowsPowerShell\\Modules\\PSReadline\\{account}.psd1 Accesses: ReadData");
                    4663
                }
                // 4104 script block logging that names PowerShell as a term.
                380..=389 => {
                    subject.append_value(&user);
                    subject_id.append_null();
                    target.append_null();
                    target_id.append_null();
                    image.append_null();
                    let _ = write!(text, "Creating Scriptblock text (1 of 1): Get-Process | Out-File log{account}.txt Path: PowerShell_ISE session");
                    4104
                }
                // Everything else: handle and privilege events, sysmon-like noise.
                _ => {
                    let id = [4656, 4658, 4690, 4672, 4634, 10, 7, 11, 5156][rng.below(9) as usize];
                    subject.append_value(&user);
                    subject_id.append_value("0x3e7");
                    target.append_null();
                    target_id.append_null();
                    image.append_null();
                    let _ = match id {
                        4656 | 4658 | 4690 => write!(text, "A handle to an object was requested or closed. Handle ID: 0x{:x} Process Name: C:\\Windows\\System32\\lsass.exe", rng.below(1 << 16)),
                        4672 => write!(text, "Special privileges assigned to new logon. Account Name: {user} Privileges: SeDebugPrivilege"),
                        4634 => write!(text, "An account was logged off. Account Name: {user} Logon Type: 3"),
                        10 => write!(text, "Process accessed: SourceImage: C:\\Windows\\System32\\svchost.exe TargetImage: C:\\Windows\\System32\\lsass.exe GrantedAccess: 0x1000"),
                        7 => write!(text, "Image loaded: ImageLoaded: C:\\Windows\\System32\\ntdll.dll Signed: true Signature: Microsoft Windows"),
                        11 => write!(text, "File created: TargetFilename: C:\\Users\\{user}\\AppData\\Local\\Temp\\tmp{:x}.tmp", rng.below(1 << 20)),
                        _ => write!(text, "The Windows Filtering Platform has permitted a connection. Source Port: {} Protocol: 6", rng.below(65536)),
                    };
                    id
                }
            };
            event.append_value(id);
            message.append_value(&text);
        }
        let columns: Vec<ArrayRef> = vec![
            Arc::new(time.finish()),
            Arc::new(host.finish()),
            Arc::new(event.finish()),
            Arc::new(subject.finish()),
            Arc::new(subject_id.finish()),
            Arc::new(target.finish()),
            Arc::new(target_id.finish()),
            Arc::new(image.finish()),
            Arc::new(message.finish()),
        ];
        batches.push(RecordBatch::try_new(schema.clone(), columns)?);
        done += n;
    }
    Ok(Frame::from_batches(schema, batches))
}

/// The input table.
fn load(input: &str, rows: usize) -> Res<Frame> {
    match input {
        "otrf" => {
            let path = mstic_core::paths::fixture("otrf/proxylogon_ssrf_rce_poc.zip")?;
            Ok(mstic_data::drivers::otrf::load_zip(&path)?)
        }
        "generated" => generate(rows),
        other => Err(format!("unknown input `{other}` (otrf or generated)").into()),
    }
}

fn query_texts(name: &str) -> Res<(&'static str, &'static str)> {
    QUERIES
        .iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, k, s)| (*k, *s))
        .ok_or_else(|| format!("unknown query `{name}` (summarize, has, join, verify or explain)").into())
}

/// Runs one query in one language on a table registered as `T`.
fn run(frame: &Frame, language: &str, kql: &str, sql: &str) -> Res<(Frame, f64)> {
    match language {
        "kql" => {
            let mut session = KqlSession::new();
            session.register("T", frame)?;
            let started = Instant::now();
            let result = session.query(kql)?;
            Ok((result, started.elapsed().as_secs_f64()))
        }
        "sql" => {
            let mut session = SqlSession::new();
            // Lower case: DataFusion's table registration normalizes an unquoted name.
            session.register("t", frame)?;
            let started = Instant::now();
            let result = session.sql(sql)?;
            Ok((result, started.elapsed().as_secs_f64()))
        }
        other => Err(format!("unknown language `{other}` (kql or sql)").into()),
    }
}

/// The rows of a result as sorted text lines (an order-independent comparison of two results).
fn canonical_rows(frame: &Frame) -> Res<Vec<String>> {
    let options = FormatOptions::default().with_null("<null>");
    let mut rows = Vec::with_capacity(frame.len());
    for batch in frame.batches() {
        let formatters =
            batch.columns().iter().map(|c| ArrayFormatter::try_new(c.as_ref(), &options)).collect::<Result<Vec<_>, _>>()?;
        for row in 0..batch.num_rows() {
            let mut line = String::new();
            for f in &formatters {
                let _ = write!(line, "{}\u{1f}", f.value(row));
            }
            rows.push(line);
        }
    }
    rows.sort_unstable();
    Ok(rows)
}

/// The single value of a one-row `Count`-style result, or its row count.
fn result_value(name: &str, frame: &Frame) -> Res<i64> {
    if name == "has" {
        Ok(frame.value::<i64>(0, "Count")?.ok_or("no count")?)
    } else {
        Ok(frame.len() as i64)
    }
}

/// Both languages on every query, untimed: asserts the same columns and the same rows.
fn verify(frame: &Frame) -> Res<()> {
    for (name, kql, sql) in QUERIES {
        let (k, _) = run(frame, "kql", kql, sql)?;
        let (s, _) = run(frame, "sql", kql, sql)?;
        assert_eq!(k.columns(), s.columns(), "{name}: KQL and SQL give different columns");
        assert_eq!(k.len(), s.len(), "{name}: KQL and SQL give different row counts");
        let (kv, sv) = (result_value(name, &k)?, result_value(name, &s)?);
        assert_eq!(kv, sv, "{name}: KQL and SQL give different results");
        assert!(canonical_rows(&k)? == canonical_rows(&s)?, "{name}: KQL and SQL give different rows");
        let what = if name == "has" { "count" } else { "rows" };
        println!("{name}: KQL and SQL agree: {what} {kv} (columns {})", k.columns().join(", "));
    }
    Ok(())
}

/// The logical plans of both languages (KQL: the plan the KQL planner builds, before
/// DataFusion's optimizer; SQL: `EXPLAIN VERBOSE`'s initial and final logical plans).
fn explain(frame: &Frame) -> Res<()> {
    let mut kql_session = KqlSession::new();
    kql_session.register("T", frame)?;
    let mut sql_session = SqlSession::new();
    sql_session.register("t", frame)?;
    for (name, kql, sql) in QUERIES {
        println!("=== {name}: KQL ===\n{kql}\n--- KQL planner's logical plan ---\n{}", kql_session.explain(kql)?);
        let plans = sql_session.sql(&format!("EXPLAIN VERBOSE {sql}"))?;
        let types = plans.column_strings("plan_type")?;
        let texts = plans.column_strings("plan")?;
        println!("=== {name}: SQL ===\n{sql}");
        for (t, p) in types.iter().zip(&texts) {
            let t = t.as_deref().unwrap_or("");
            if matches!(t, "initial_logical_plan" | "logical_plan" | "physical_plan") {
                println!("--- {t} ---\n{}", p.as_deref().unwrap_or(""));
            }
        }
    }
    Ok(())
}

fn main() -> Res<()> {
    let mut positional = Vec::new();
    let mut rows = 10_000_000usize;
    let (mut kql_override, mut sql_override) = (None, None);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "--kql" {
            kql_override = Some(args.next().ok_or("--kql needs a query")?);
        } else if arg == "--sql" {
            sql_override = Some(args.next().ok_or("--sql needs a query")?);
        } else if arg == "--rows" {
            rows = args.next().ok_or("--rows needs a number")?.replace('_', "").parse()?;
        } else {
            positional.push(arg);
        }
    }
    let usage = "usage: kql_bench <otrf|generated> <summarize|has|join|verify|explain> [kql|sql] [--rows N]";
    let input = positional.first().ok_or(usage)?.as_str();
    let query = positional.get(1).ok_or(usage)?.as_str();

    let started = Instant::now();
    let frame = load(input, rows)?;
    let load_seconds = started.elapsed().as_secs_f64();
    match query {
        "verify" => return verify(&frame),
        "explain" => return explain(&frame),
        _ => {}
    }
    let language = positional.get(2).ok_or(usage)?.as_str();
    let (kql, sql) = query_texts(query)?;
    let kql = kql_override.as_deref().unwrap_or(kql);
    let sql = sql_override.as_deref().unwrap_or(sql);

    let rss_before = status_mib("VmRSS:");
    let hwm_reset = reset_peak_rss();
    let (result, seconds) = run(&frame, language, kql, sql)?;
    let peak = status_mib("VmHWM:");
    let value = result_value(query, &result)?;
    println!(
        "{}",
        serde_json::json!({
            "input": input,
            "query": query,
            "language": language,
            "rows_in": frame.len(),
            "rows_out": result.len(),
            "result": value,
            "seconds": seconds,
            "load_seconds": load_seconds,
            "rss_before_mib": rss_before,
            "peak_rss_mib": peak,
            "hwm_reset": hwm_reset,
        })
    );
    Ok(())
}
