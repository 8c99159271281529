"""Interrupts and faults, as a frontend sees them through jupyter_client: an interrupt stops a long
library operation and keeps the session's variables; a tight loop that ignores the request is
stopped by ending the cell process (after a kernel prepared its own standby engine, which must
survive); an engine that dies reports errors and comes back."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, WARMUP_TIMEOUT, collect_iopub, drain, result_text, run_cell

# Printed by a cell once it has compiled and runs; the tests interrupt only after they saw it, so a
# slow build on a busy machine is never what gets interrupted.
STARTED = "cell-started"
ANNOUNCE_START = f'println!("{STARTED}");\n'

# A self-join over generated data that takes minutes on two cores, unless interrupted.
SLOW_QUERY = """let rows: i64 = 200_000;
let ids = mstic::arrow::array::Int64Array::from((0..rows).collect::<Vec<i64>>());
let table = Frame::from_columns(vec![("id".to_string(), std::sync::Arc::new(ids) as mstic::arrow::array::ArrayRef)])?;
""" + ANNOUNCE_START + """let pairs = table.sql("SELECT count(*) AS n FROM t a JOIN t b ON (a.id + b.id) % 7 = 3")?;
pairs.len()"""


def start_kernel(**env: str):
    """A kernel started with extra environment variables, warmed by a first cell."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120, env=dict(os.environ, **env))
    run_cell(kc, "let warm: u8 = 1;", timeout=WARMUP_TIMEOUT)
    return km, kc


def stop(km, kc) -> None:
    kc.stop_channels()
    km.shutdown_kernel(now=False)


def reply_of(kc, msg_id: str, timeout: float):
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    return reply


def wait_for_started(kc, msg_id: str, timeout: float = 600) -> None:
    """Waits until the cell `msg_id` printed STARTED, that is, it compiled and runs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        msg = kc.get_iopub_msg(timeout=deadline - time.monotonic())
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream" and STARTED in msg["content"]["text"]:
            return
        if msg["msg_type"] in ("error", "execute_result"):
            raise AssertionError(f"the cell ended before it started its work: {msg['content']}")
    raise AssertionError(f"the cell did not start within {timeout} s")


def interrupt_after(km, kc, code: str, delay: float, timeout: float = 120):
    """Runs `code` (which prints STARTED when it runs), interrupts it `delay` seconds after that;
    returns (reply, seconds from interrupt to reply)."""
    drain(kc.get_iopub_msg)
    msg_id = kc.execute(code)
    wait_for_started(kc, msg_id)
    time.sleep(delay)
    interrupted_at = time.monotonic()
    km.interrupt_kernel()
    reply = reply_of(kc, msg_id, timeout)
    took = time.monotonic() - interrupted_at
    collect_iopub(kc, msg_id)
    return reply, took


def test_interrupting_a_query_keeps_earlier_variables():
    km, kc = start_kernel()
    try:
        assert result_text(kc, "let before_query: u64 = 7;\nbefore_query") == "7"
        reply, took = interrupt_after(km, kc, SLOW_QUERY, delay=6)
        content = reply["content"]
        assert content["status"] == "error"
        assert content["ename"] == "Interrupted", content
        assert "SQL" in content["evalue"] or "query" in content["evalue"], content["evalue"]
        assert "Variables lost" not in content["evalue"]
        assert took < 30, f"the query took {took:.1f} s to stop"
        # The session survived: earlier variables are there and new cells run.
        assert result_text(kc, "before_query + 1") == "8"
    finally:
        stop(km, kc)


def test_a_tight_loop_is_stopped_even_after_the_kernel_prepared_its_own_standby():
    subprocess.run([KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0], "standby", "--stop"], check=True, capture_output=True)
    km, kc = start_kernel(MSTIC_INTERRUPT_GRACE_SECONDS="3")
    try:
        # Idle long enough for the kernel to start a standby engine of its own (a child process).
        deadline = time.monotonic() + 120
        standbys: list[int] = []
        while not standbys and time.monotonic() < deadline:
            time.sleep(2)
            standbys = [int(p.read_text()) for p in standby_folder().glob("*.pid") if p.read_text().strip().isdigit()]
        assert standbys, "the idle kernel did not start a standby engine"
        result_text(kc, "let kept_before_loop: u32 = 5;\nkept_before_loop")
        reply, took = interrupt_after(km, kc, ANNOUNCE_START + "let counter = 0u64;\nloop { std::hint::black_box(counter); }", delay=3)
        content = reply["content"]
        assert content["status"] == "error" and content["ename"] == "Interrupted", content
        assert "did not stop within 3 s" in content["evalue"] and "Variables lost" in content["evalue"], content["evalue"]
        assert took < 30
        # The loop is gone: the next cell runs at once; the standby was not taken for a build.
        assert result_text(kc, "40 + 2", timeout=60) == "42"
        assert all(Path(f"/proc/{pid}").exists() for pid in standbys), "the standby engine was killed"
    finally:
        stop(km, kc)
        subprocess.run([KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0], "standby", "--stop"], capture_output=True)


def test_interrupting_a_sleep_in_library_code_keeps_variables():
    km, kc = start_kernel(MSTIC_INTERRUPT_GRACE_SECONDS="20")
    try:
        result_text(kc, "let kept_before_sleep: u32 = 11;\nkept_before_sleep")
        code = ANNOUNCE_START + 'mstic::core::interrupt::sleep(std::time::Duration::from_secs(600), "the wait")?;'
        reply, took = interrupt_after(km, kc, code, delay=3)
        content = reply["content"]
        assert content["ename"] == "Interrupted", content
        assert "the wait was stopped" in content["evalue"]
        assert took < 15
        assert result_text(kc, "kept_before_sleep * 2") == "22"
    finally:
        stop(km, kc)


def test_a_dead_engine_reports_errors_and_comes_back():
    km, kc = start_kernel(MSTIC_FAULT_INJECTION="1", MSTIC_STANDBY="0")
    try:
        reply, outputs = run_cell(kc, ":mstic_fault engine_panic")
        assert reply["content"]["status"] == "error"
        assert reply["content"]["ename"] == "KernelError", reply["content"]
        assert "stopped unexpectedly" in reply["content"]["evalue"]
        assert any(m["msg_type"] == "error" for m in outputs)
        # The engine restarts by itself; the first cell on it says the variables were lost.
        reply, outputs = run_cell(kc, "6 * 7", timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        notes = "".join(m["content"].get("text", "") for m in outputs if m["msg_type"] == "stream")
        assert re.search(r"restarted: variables of earlier cells were lost", notes), notes
        assert result_text(kc, "6 * 7") == "42"
    finally:
        stop(km, kc)


def test_a_cell_process_that_dies_is_reported_and_replaced():
    km, kc = start_kernel()
    try:
        result_text(kc, "let doomed: u8 = 1;\ndoomed")
        reply, _ = run_cell(kc, "std::process::abort();")
        assert reply["content"]["ename"] == "ProcessEnded", reply["content"]
        assert "Variables lost" in reply["content"]["evalue"]
        assert result_text(kc, "2 + 2") == "4"
    finally:
        stop(km, kc)


def standby_folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rust-mstic" / "standby"
