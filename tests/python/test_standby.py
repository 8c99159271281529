"""Standby engines: an idle kernel starts one; the next kernel start adopts it warm, with that
start's working directory and environment; the standby ends with the process Jupyter started."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager, start_new_kernel

from conftest import KERNEL_NAME, WARMUP_TIMEOUT, run_cell, stream_text

# Booting a standby (evcxr, the mstic crates, rust-analyzer) at low priority on two cores.
STANDBY_READY_TIMEOUT = 420


def standby_folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rust-mstic" / "standby"


def kernel_binary() -> str:
    return KernelSpecManager().get_kernel_spec(KERNEL_NAME).argv[0]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()


def test_an_idle_kernel_prepares_a_standby_that_the_next_start_adopts(tmp_path):
    subprocess.run([kernel_binary(), "standby", "--stop"], check=True, capture_output=True)
    first_km, first_kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120)
    adopter = None
    try:
        run_cell(first_kc, "let warm: u8 = 1;", timeout=WARMUP_TIMEOUT)
        # The idle kernel starts a standby; it is ready once its socket exists.
        wait_for(lambda: list(standby_folder().glob("*.sock")), STANDBY_READY_TIMEOUT, "a ready standby engine")

        log = tmp_path / "adopter.log"
        env = dict(os.environ, MSTIC_STANDBY_PROBE="from the adopting start")
        adopter = KernelManager(kernel_name=KERNEL_NAME)
        with log.open("w") as stderr:
            adopter.start_kernel(cwd=str(tmp_path), env=env, stderr=stderr)
        kc = adopter.client()
        kc.start_channels()
        kc.wait_for_ready(timeout=60)
        # Warm: no preload to wait for (a cold start spends half a minute here).
        reply, outputs = run_cell(
            kc,
            'println!("{}|{}", std::env::current_dir().unwrap().display(), '
            'std::env::var("MSTIC_STANDBY_PROBE").unwrap_or_default());\n'
            "let rows = Frame::from_string_rows(&[\"host\"], &[vec![Some(\"ws01\")]]).unwrap();\nrows.len()",
            timeout=120,
        )
        assert reply["content"]["status"] == "ok", reply["content"]
        assert stream_text(outputs).strip() == f"{tmp_path}|from the adopting start"
        results = [m for m in outputs if m["msg_type"] == "execute_result"]
        assert results and results[0]["content"]["data"]["text/plain"] == "1"
        reply, outputs = run_cell(kc, "rows.len() + 1")
        assert reply["content"]["status"] == "ok"
        kc.stop_channels()

        adopted = re.search(r"adopted standby engine (\d+)", log.read_text())
        assert adopted, log.read_text()
        standby_pid = int(adopted.group(1))
        assert pid_alive(standby_pid)
        # The process Jupyter started being killed ends the standby serving it.
        supervisor_pid = adopter.provisioner.pid
        assert supervisor_pid != standby_pid
        os.kill(supervisor_pid, signal.SIGKILL)
        wait_for(lambda: not pid_alive(standby_pid), 30, f"standby {standby_pid} to end with its supervisor")
    finally:
        if adopter is not None:
            adopter.shutdown_kernel(now=True)
        first_kc.stop_channels()
        first_km.shutdown_kernel(now=True)
        subprocess.run([kernel_binary(), "standby", "--stop"], check=False, capture_output=True)
