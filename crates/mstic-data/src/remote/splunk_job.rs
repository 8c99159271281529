//! Splunk search jobs, MSTICPy's default way of running a search: `POST /services/search/jobs`
//! (`exec_mode=normal`) gives a `sid`; `GET /services/search/jobs/{sid}` is polled until the job
//! is done (progress shown in the notebook), then `GET …/{sid}/results` is read `page_size`
//! results at a time. `exec_mode=oneshot` returns the results of a blocking search directly.
//! When the user interrupts the cell while the job runs, the job is cancelled on the server
//! (`POST …/{sid}/control` with `action=cancel`) and the call returns `Error::Interrupted`.

use super::common::run;
use super::http::{Method, ServiceClient, ServiceRequest, form_body, percent_encode};
use mstic_core::progress::Progress;
use mstic_core::{Error, Result, interrupt};
use serde_json::Value;
use std::time::{Duration, Instant};

/// How a search job runs.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// Results fetched per request (MSTICPy `page_size`, default 100).
    pub page_size: usize,
    /// Longest wait for the job to finish (MSTICPy `timeout`, default 60 s).
    pub timeout: Duration,
    /// Most results the job keeps (`count`; 0: no limit).
    pub count: u64,
    /// Pause between status requests.
    pub poll_interval: Duration,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings { page_size: 100, timeout: Duration::from_secs(60), count: 0, poll_interval: Duration::from_secs(1) }
    }
}

/// Runs a search as a job and returns its result pages, one JSON document per line.
pub(crate) fn run_job(client: &ServiceClient, base: &str, fields: &[(&str, &str)], settings: &JobSettings) -> Result<Vec<u8>> {
    let count = settings.count.to_string();
    let mut create = fields.to_vec();
    create.extend([("exec_mode", "normal"), ("count", count.as_str())]);
    let created = call(client, post(&format!("{base}/services/search/jobs"), &create, "creating a search job"))?;
    let sid = created
        .get("sid")
        .and_then(Value::as_str)
        .ok_or_else(|| remote(format!("creating a search job: no sid in the reply: {}", short(&created))))?
        .to_string();
    let job_url = format!("{base}/services/search/jobs/{}", percent_encode(&sid));
    let results = match wait_for(client, &job_url, &sid, settings) {
        Err(e) if e.is_interrupted() => {
            cancel(client, &job_url, &sid);
            return Err(Error::interrupted(format!("Splunk job {sid} (cancelled on the server)")));
        }
        other => other?,
    };
    let mut pages = Vec::new();
    let mut offset = 0;
    while offset < results {
        let url = format!("{job_url}/results?output_mode=json&count={}&offset={offset}", settings.page_size);
        let page = call(client, get(&url, &format!("results {offset}.. of Splunk job {sid}")))?;
        pages.extend_from_slice(page.to_string().as_bytes());
        pages.push(b'\n');
        offset += settings.page_size.max(1);
    }
    Ok(pages)
}

/// Runs a blocking search (`exec_mode=oneshot`) and returns its results document.
pub(crate) fn run_oneshot(client: &ServiceClient, base: &str, fields: &[(&str, &str)], settings: &JobSettings) -> Result<Vec<u8>> {
    let count = settings.count.to_string();
    let mut oneshot = fields.to_vec();
    oneshot.extend([("exec_mode", "oneshot"), ("count", count.as_str())]);
    let mut request = post(&format!("{base}/services/search/jobs"), &oneshot, "oneshot search");
    request.timeout = Some(settings.timeout);
    Ok(call(client, request)?.to_string().into_bytes())
}

/// Polls the job until it is done; returns its result count. A failed job or the time-out (the
/// job is then cancelled) is an error naming the job and its progress.
fn wait_for(client: &ServiceClient, job_url: &str, sid: &str, settings: &JobSettings) -> Result<usize> {
    let started = Instant::now();
    let progress = Progress::start(&format!("Splunk job {sid} (% done)"), 100, true);
    loop {
        let status = call(client, get(&format!("{job_url}?output_mode=json"), &format!("status of Splunk job {sid}")))?;
        let content = &status["entry"][0]["content"];
        let done_fraction = number(&content["doneProgress"]);
        progress.set((done_fraction * 100.0).round() as usize);
        if truthy(&content["isFailed"]) || content["dispatchState"] == "FAILED" {
            progress.finish();
            return Err(remote(format!("Splunk job {sid} failed: {}", job_messages(content))));
        }
        if truthy(&content["isDone"]) {
            progress.set(100);
            progress.finish();
            return Ok(number(&content["resultCount"]) as usize);
        }
        if started.elapsed() >= settings.timeout {
            progress.finish();
            cancel(client, job_url, sid);
            return Err(Error::Remote {
                service: "Splunk".into(),
                message: format!(
                    "Splunk job {sid} did not finish within {:.1} s ({:.0}% done, {} events scanned); it was cancelled — raise the 'timeout' setting",
                    settings.timeout.as_secs_f64(),
                    done_fraction * 100.0,
                    number(&content["scanCount"])
                ),
            });
        }
        interrupt::sleep(settings.poll_interval, &format!("waiting for Splunk job {sid}"))?;
    }
}

/// How long cancelling a stopped job may take, retries included (an interrupted cell should end
/// within the kernel's grace period).
const CANCEL_TIMEOUT: Duration = Duration::from_secs(5);

/// Asks Splunk to cancel the job (best effort: a job that cannot be cancelled ends on its own).
/// Sent even after an interrupt, so a stopped cell leaves no search running on the server.
fn cancel(client: &ServiceClient, job_url: &str, sid: &str) {
    let mut request = post(&format!("{job_url}/control"), &[("action", "cancel")], &format!("cancelling Splunk job {sid}"));
    request.timeout = Some(CANCEL_TIMEOUT);
    let _ = run(async { tokio::time::timeout(CANCEL_TIMEOUT, client.send_uninterruptible(&request)).await });
}

/// A form POST of `fields` with `output_mode=json` (added when missing).
pub(crate) fn post(url: &str, fields: &[(&str, &str)], context: &str) -> ServiceRequest {
    let mut with_json = fields.to_vec();
    if !with_json.iter().any(|(k, _)| *k == "output_mode") {
        with_json.push(("output_mode", "json"));
    }
    ServiceRequest {
        method: Method::Post,
        url: url.to_string(),
        body: Some(("application/x-www-form-urlencoded", form_body(&with_json))),
        headers: Vec::new(),
        timeout: None,
        context: context.to_string(),
    }
}

fn get(url: &str, context: &str) -> ServiceRequest {
    ServiceRequest { method: Method::Get, url: url.to_string(), body: None, headers: Vec::new(), timeout: None, context: context.to_string() }
}

fn call(client: &ServiceClient, request: ServiceRequest) -> Result<Value> {
    let bytes = run(client.send(&request))?;
    serde_json::from_slice(&bytes).map_err(|e| remote(format!("{}: the reply is not JSON: {e}", request.context)))
}

fn remote(message: String) -> Error {
    Error::Remote { service: "Splunk".into(), message }
}

/// Splunk gives flags as `true`, `1` or `"1"`.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => matches!(s.as_str(), "1" | "true" | "True"),
        _ => false,
    }
}

/// A number given as a JSON number or text.
fn number(value: &Value) -> f64 {
    match value {
        Value::Number(n) => n.as_f64().unwrap_or(0.0),
        Value::String(s) => s.trim().parse().unwrap_or(0.0),
        _ => 0.0,
    }
}

fn job_messages(content: &Value) -> String {
    let texts: Vec<String> = content["messages"]
        .as_array()
        .map(|items| items.iter().filter_map(|m| m["text"].as_str().map(|t| format!("{}: {t}", m["type"].as_str().unwrap_or("message")))).collect())
        .unwrap_or_default();
    if texts.is_empty() { format!("dispatch state {}", content["dispatchState"].as_str().unwrap_or("unknown")) } else { texts.join("; ") }
}

fn short(value: &Value) -> String {
    value.to_string().chars().take(200).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_numbers_in_every_spelling() {
        assert!(truthy(&serde_json::json!(true)) && truthy(&serde_json::json!(1)) && truthy(&serde_json::json!("1")));
        assert!(!truthy(&serde_json::json!(false)) && !truthy(&serde_json::json!("0")) && !truthy(&Value::Null));
        assert_eq!((number(&serde_json::json!(0.25)), number(&serde_json::json!("12"))), (0.25, 12.0));
        let failed = serde_json::json!({"dispatchState": "FAILED", "messages": [{"type": "FATAL", "text": "Unknown search command 'serch'."}]});
        assert_eq!(job_messages(&failed), "FATAL: Unknown search command 'serch'.");
        assert_eq!(job_messages(&serde_json::json!({"dispatchState": "FAILED"})), "dispatch state FAILED");
    }
}
