#!/usr/bin/env python3
"""Latency of the installed Rust MSTIC kernel, measured through jupyter_client as a frontend sees it.

Prints: start -> kernel_info reply; first cell; median and p90 of 20 trivial cells; a `let` with a
typo (an error found by a type check); a cell that builds and displays a 100,000-row Frame; and,
when an `evcxr_jupyter` kernel ("rust") is installed, its trivial-cell figures side by side. Two
Rust MSTIC columns: a cold start (`MSTIC_STANDBY=0`: the kernel boots evcxr, loads the crates and
rust-analyzer itself) and a start that adopts a ready standby engine (what a kernel start or
restart gets once an earlier kernel, or the install, left one warming).

With `--settle N`, a second kernel is started and left idle for N seconds (time for the preload and
rust-analyzer's first analysis, which the kernel does while idle) before its first cell is timed: the
first-cell latency a user sees who opens a notebook and runs a cell a little later.
Set MSTIC_TIMING=1 to get per-cell phase lines (evcxr phases, cargo build, output flush) in the
kernel's stderr.

Usage: .venv/bin/python bench/kernel_latency.py [--cells 20] [--settle 60]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import time
from pathlib import Path

from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import KernelManager

BIG_FRAME = """let n: i64 = 100_000;
let ids = mstic::arrow::array::Int64Array::from((0..n).collect::<Vec<i64>>());
let ports = mstic::arrow::array::Int64Array::from((0..n).map(|i| 1024 + i % 50_000).collect::<Vec<i64>>());
let big = Frame::from_columns(vec![
    ("id".to_string(), std::sync::Arc::new(ids) as mstic::arrow::array::ArrayRef),
    ("port".to_string(), std::sync::Arc::new(ports) as mstic::arrow::array::ArrayRef),
]).unwrap();
big.display();
big.len()"""


def run(kc, code: str, timeout: float = 1800, expect_error: bool = False) -> tuple[float, dict]:
    start = time.perf_counter()
    msg_id = kc.execute(code)
    while True:
        reply = kc.get_shell_msg(timeout=timeout)
        if reply["parent_header"].get("msg_id") == msg_id:
            break
    while True:  # wait for idle so all outputs have arrived
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") == msg_id and msg["msg_type"] == "status" \
                and msg["content"]["execution_state"] == "idle":
            break
    elapsed = time.perf_counter() - start
    if (reply["content"]["status"] == "ok") == expect_error:
        raise RuntimeError(f"cell {'succeeded' if expect_error else 'failed'}: {code!r}: {reply['content'].get('evalue')}")
    return elapsed, reply


def p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def measure(kernel_name: str, cells: int, with_frame: bool, env: dict[str, str] | None = None) -> dict[str, float]:
    figures: dict[str, float] = {}
    start = time.perf_counter()
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(env=dict(os.environ, **(env or {})))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=600)
        figures["start -> kernel_info reply"] = time.perf_counter() - start
        first_start = time.perf_counter()
        run(kc, "let x: i64 = 40;")
        figures["first cell (after start)"] = time.perf_counter() - first_start
        figures["start -> first cell done"] = time.perf_counter() - start
        trivial = [run(kc, f"x + {i}")[0] for i in range(cells)]
        figures[f"trivial cell median ({cells})"] = statistics.median(trivial)
        figures[f"trivial cell p90 ({cells})"] = p90(trivial)
        # A typo in a `let`: evcxr cannot infer the type, so it type-checks the cell (`cargo check`).
        figures["`let` with a typo (type-check error)"] = run(kc, "let y = x.no_such_method();", expect_error=True)[0]
        if with_frame:
            figures["100,000-row Frame build + display"] = run(kc, BIG_FRAME)[0]
            after = [run(kc, f"x + {i}")[0] for i in range(5)]
            figures["trivial cell median after the Frame (5)"] = statistics.median(after)
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
    return figures


def standby_folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rust-mstic" / "standby"


def ready_standby(timeout: float = 600) -> float:
    """Makes sure a standby engine is ready (starting one if none is warming); returns the wait."""
    start = time.perf_counter()
    if not list(standby_folder().glob("*.sock")):
        argv = KernelSpecManager().get_kernel_spec("rust-mstic").argv
        workspace = argv[argv.index("--workspace") + 1]
        subprocess.Popen([argv[0], "standby", "--workspace", workspace], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not list(standby_folder().glob("*.sock")):
        if time.perf_counter() - start > timeout:
            raise RuntimeError("no standby engine became ready")
        time.sleep(0.5)
    return time.perf_counter() - start


def first_cell_after_settling(kernel_name: str, settle: float) -> float:
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(env=dict(os.environ, MSTIC_STANDBY="0"))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=600)
        time.sleep(settle)
        return run(kc, "let x: i64 = 40;")[0]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--settle", type=float, default=0, help="also time a first cell sent N s after start")
    args = parser.parse_args()
    specs = KernelSpecManager().find_kernel_specs()
    cold = "rust-mstic, cold start"
    columns = {cold: measure("rust-mstic", args.cells, with_frame=True, env={"MSTIC_STANDBY": "0"})}
    if args.settle > 0:
        label = f"first cell after {args.settle:.0f} s idle"
        columns[cold][label] = first_cell_after_settling("rust-mstic", args.settle)
    waited = ready_standby()
    print(f"(a standby engine was ready after waiting {waited:.1f} s)")
    columns["rust-mstic, standby adopted"] = measure("rust-mstic", args.cells, with_frame=True)
    if "rust" in specs:
        columns["evcxr_jupyter (rust)"] = measure("rust", args.cells, with_frame=False)
    else:
        print("(evcxr_jupyter kernel 'rust' not installed: no side-by-side column)")
    rows = list(dict.fromkeys(k for figures in columns.values() for k in figures))
    names = list(columns)
    print(f"{'seconds':42}" + "".join(f"{n:>30}" for n in names))
    for row in rows:
        cells = "".join(f"{columns[n][row]:>30.3f}" if row in columns[n] else f"{'-':>30}" for n in names)
        print(f"{row:42}{cells}")


if __name__ == "__main__":
    main()
