"""Shared helpers for the Rust MSTIC kernel tests: start the installed `rust-mstic` kernel through
jupyter_client and run cells with generous timeouts (the first cell may wait for the preload)."""

from __future__ import annotations

import os
import queue
import subprocess
from contextlib import contextmanager
from pathlib import Path

import pytest
from jupyter_client.manager import KernelManager, start_new_kernel

KERNEL_NAME = "rust-mstic"
REPO = Path(__file__).resolve().parents[2]
# The first cell of a kernel waits for the preloaded crates; later cells compile in about a second.
WARMUP_TIMEOUT = 900
CELL_TIMEOUT = 120


def run_example(name: str, *args: str, timeout: float = 1800) -> subprocess.CompletedProcess:
    """Runs the crate example `name` (e.g. `write_specs`): the binary `cargo test --workspace` built
    in scripts/test.sh (`MSTIC_EXAMPLES_DIR`), else through `cargo run` when run by hand."""
    examples = os.environ.get("MSTIC_EXAMPLES_DIR")
    if examples and (Path(examples) / name).is_file():
        env = dict(os.environ)
        library_path = os.environ.get("MSTIC_EXAMPLES_LIBRARY_PATH", "")
        env["LD_LIBRARY_PATH"] = ":".join(p for p in (library_path, env.get("LD_LIBRARY_PATH", "")) if p)
        command = [str(Path(examples) / name), *args]
    else:
        env = dict(os.environ)
        env.setdefault("CARGO_TARGET_DIR", os.path.expanduser("~/.cache/rust-mstic/target"))
        command = ["cargo", "run", "--quiet", "--example", name, "--", *args]
    return subprocess.run(command, cwd=REPO, env=env, check=True, timeout=timeout, capture_output=True)


def run_cell(kc, code: str, timeout: float = CELL_TIMEOUT, **kwargs):
    """Executes `code`; returns (execute_reply, iopub messages of that request up to idle)."""
    msg_id = kc.execute(code, **kwargs)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = collect_iopub(kc, msg_id, timeout)
    return reply, outputs


def result_text(kc, code: str, timeout: float = CELL_TIMEOUT, **kwargs) -> str:
    """Runs `code`, which must succeed, and returns the text/plain of its execute_result."""
    reply, outputs = run_cell(kc, code, timeout, **kwargs)
    assert reply["content"]["status"] == "ok", reply["content"]
    results = [m for m in outputs if m["msg_type"] == "execute_result"]
    assert results, f"no execute_result for {code!r}"
    return results[0]["content"]["data"]["text/plain"]


def collect_iopub(kc, msg_id: str, timeout: float = CELL_TIMEOUT):
    """IOPub messages caused by `msg_id` (status messages left out), until its `idle` status."""
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status":
            if msg["content"]["execution_state"] == "idle":
                return outputs
            continue
        outputs.append(msg)


def stream_text(outputs, name: str = "stdout") -> str:
    return "".join(m["content"]["text"] for m in outputs if m["msg_type"] == "stream" and m["content"]["name"] == name)


def drain(channel_get, wait: float = 0.2) -> None:
    while True:
        try:
            channel_get(timeout=wait)
        except queue.Empty:
            return


@contextmanager
def cold_kernel(log: Path, **env: str):
    """A kernel started without standby engines (it boots itself), its stderr in `log`, with `env`
    added: (KernelManager, client), shut down on exit."""
    km = KernelManager(kernel_name=KERNEL_NAME)
    with log.open("w") as stderr:
        km.start_kernel(env=dict(os.environ, MSTIC_STANDBY="0", **env), stderr=stderr)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        yield km, kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


@pytest.fixture(scope="module")
def kernel():
    """A running, warmed Rust MSTIC kernel: (KernelManager, BlockingKernelClient, first reply)."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    try:
        first, _ = run_cell(kc, "let kept: u64 = 41;", timeout=WARMUP_TIMEOUT)
        yield km, kc, first
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
