#!/usr/bin/env python3
"""Latency and memory of the installed Rust MSTIC kernel, measured through jupyter_client as a frontend sees it.

For each kernelspec given (default: `rust-mstic`; add e.g. a previous build installed as another
kernelspec to compare before/after in one run) and for two kinds of start — a cold start
(`MSTIC_STANDBY=0`: the kernel boots evcxr, loads the crates and rust-analyzer itself) and a start
that adopts a ready standby engine — it prints:

* start -> kernel_info reply; the first cell; start -> first cell done;
* median and p90 of N trivial cells (`x + i`, each one a new cell text);
* the first `let` whose type must be inferred (a `Frame`): after a cold start rust-analyzer's view
  is lean (see `kernel/src/analysis.rs`) and the compiler names the type (`kernel/src/type_probe.rs`);
* the median and p90 of `%%kql` cells (and the median of `%%sql` cells): small queries over a
  1,000-row registered table, run in the cell process without compiling;
* a `let` with a typo (an error found by a type check); a cell that builds and displays a
  100,000-row Frame, and trivial cells after it;
* the median phase breakdown of the trivial cells, from the kernel's `MSTIC_TIMING` log:
  analysis (evcxr before the build: rust-analyzer, code generation), compile, link, load+run,
  kernel (protocol and output handling), and how the cell was built (fast path or cargo);
* resident memory after the cells: the sum over the processes serving the notebook (the kernel or
  the adopted standby engine and its supervisor, plus the process that runs cells), as RSS and as
  PSS (shared pages divided among the processes that map them).

A second cold start times a first cell that infers its variable's type, as a notebook's first cell
usually does (`let events = Frame::…?;`).

With `--settle N`, a cold-started kernel is also left idle for N seconds before its first cell
(the first-cell latency of a user who opens a notebook and runs a cell a little later).

To compare rust-analyzer's pruned view of the crates (the default, see `kernel/src/analysis.rs`) with the whole
graph in one run, install a copy of the kernelspec whose `env` sets `MSTIC_ANALYSIS=full` and name both.

Usage: .venv/bin/python bench/kernel_latency.py [--kernels rust-mstic,rust-mstic-baseline] [--cells 20] [--settle 60]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import tempfile
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

MAGIC_TABLE = """let hosts: Vec<String> = (0..1000).map(|i| format!("ws{}", i % 20)).collect();
let ids = mstic::arrow::array::Int64Array::from((0..1000).map(|i| 4600 + i % 50).collect::<Vec<i64>>());
register_table("magic_events", &Frame::from_columns(vec![
    ("Host".to_string(), std::sync::Arc::new(mstic::arrow::array::StringArray::from(hosts)) as mstic::arrow::array::ArrayRef),
    ("EventID".to_string(), std::sync::Arc::new(ids) as mstic::arrow::array::ArrayRef),
])?);"""

PHASES = ("analysis", "compile", "link", "load+run", "kernel")
PHASE_LINE = re.compile(r"rust-mstic timing: cell (\d+): .*; phases: (.*) \(builds: ([^)]*)\)")


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


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            pass
    return found


def process_tree(pid: int) -> list[int]:
    tree, pending = [], [pid]
    while pending:
        current = pending.pop()
        if Path(f"/proc/{current}").exists():
            tree.append(current)
            pending += children(current)
    return tree


def memory_kb(pids: list[int]) -> tuple[int, int]:
    """(RSS, PSS) in kB summed over `pids`."""
    rss = pss = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            pass
    return rss, pss


def serving_processes(km: KernelManager, log: Path) -> list[int]:
    """The processes serving the notebook: the one Jupyter started (with its children) and, when it
    adopted a standby engine, that engine and its children (not the standby it may start next)."""
    root = km.provisioner.process.pid
    pids = [root] + [p for p in process_tree(root)[1:] if "standby" not in cmdline(p)]
    adopted = re.search(r"adopted standby engine (\d+)", log.read_text(errors="replace"))
    if adopted:
        engine = int(adopted.group(1))
        pids += [p for p in process_tree(engine) if p == engine or "standby" not in cmdline(p)]
    return sorted(set(pids))


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
    except OSError:
        return ""


def phase_medians(log: Path, cells: set[int]) -> dict[str, float]:
    values: dict[str, list[float]] = {p: [] for p in PHASES}
    fast = total = 0
    for match in PHASE_LINE.finditer(log.read_text(errors="replace")):
        if int(match.group(1)) not in cells:
            continue
        total += 1
        fast += match.group(3) == "fast"
        for part in match.group(2).split(", "):
            name, value, _unit = part.rsplit(" ", 2)
            if name in values:
                values[name].append(float(value) / 1000)
    figures = {f"  phase: {name}": statistics.median(v) for name, v in values.items() if v}
    if total:
        figures["  cells built by the fast path (of trivial)"] = float(fast)
    return figures


def measure(kernel_name: str, cells: int, with_frame: bool, env: dict[str, str] | None = None) -> dict[str, float]:
    figures: dict[str, float] = {}
    log = Path(tempfile.mkstemp(prefix="kernel-latency-", suffix=".log")[1])
    start = time.perf_counter()
    km = KernelManager(kernel_name=kernel_name)
    with log.open("w") as stderr:
        km.start_kernel(env=dict(os.environ, MSTIC_TIMING="1", **(env or {})), stderr=stderr)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=600)
        figures["start -> kernel_info reply"] = time.perf_counter() - start
        first_start = time.perf_counter()
        _, reply = run(kc, "let x: i64 = 40;")
        figures["first cell (after start)"] = time.perf_counter() - first_start
        figures["start -> first cell done"] = time.perf_counter() - start
        first_count = reply["content"]["execution_count"]
        trivial = [run(kc, f"x + {i}")[0] for i in range(cells)]
        figures[f"trivial cell median ({cells})"] = statistics.median(trivial)
        figures[f"trivial cell p90 ({cells})"] = p90(trivial)
        figures.update(phase_medians(log, set(range(first_count + 1, first_count + 1 + cells))))
        figures["first `let` whose type is inferred"] = run(
            kc, 'let inferred = Frame::from_string_rows(&["host"], &[vec![Some("ws01")]]).unwrap();')[0]
        # `%%kql` / `%%sql` cells run in the cell process without compiling: a table of 1,000 rows,
        # then small queries (each a new text).
        run(kc, MAGIC_TABLE)
        kql = [run(kc, f"%%kql\nmagic_events | where EventID == {4600 + i % 50} | summarize n = count() by Host")[0] for i in range(cells)]
        figures[f"%%kql cell median ({cells})"] = statistics.median(kql)
        figures[f"%%kql cell p90 ({cells})"] = p90(kql)
        sql = [run(kc, f"%%sql\nSELECT Host, count(*) AS n FROM magic_events WHERE \"EventID\" = {4600 + i % 50} GROUP BY Host")[0] for i in range(cells)]
        figures[f"%%sql cell median ({cells})"] = statistics.median(sql)
        # A typo in a `let`: evcxr cannot infer the type, so it type-checks the cell (`cargo check`).
        figures["`let` with a typo (type-check error)"] = run(kc, "let y = x.no_such_method();", expect_error=True)[0]
        if with_frame:
            figures["100,000-row Frame build + display"] = run(kc, BIG_FRAME)[0]
            after = [run(kc, f"x + {i}")[0] for i in range(5)]
            figures["trivial cell median after the Frame (5)"] = statistics.median(after)
        time.sleep(3)  # the kernel returns free memory after 1.5 s idle
        rss, pss = memory_kb(serving_processes(km, log))
        figures["memory RSS, GB (notebook's processes)"] = rss / 1024 / 1024
        figures["memory PSS, GB (notebook's processes)"] = pss / 1024 / 1024
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
        log.unlink(missing_ok=True)
    return figures


def standby_folder() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rust-mstic" / "standby"


def kernel_cache(kernel_name: str) -> Path:
    """The cache folder a kernelspec's kernels use (a kernelspec may set XDG_CACHE_HOME)."""
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    cache = spec.env.get("XDG_CACHE_HOME") or os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "rust-mstic"


def ready_standby(kernel_name: str, timeout: float = 900) -> float:
    """Makes sure a standby engine is ready (starting one if none is warming); returns the wait."""
    start = time.perf_counter()
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    folder = kernel_cache(kernel_name) / "standby"
    if not list(folder.glob("*.sock")):
        argv = spec.argv
        workspace = argv[argv.index("--workspace") + 1]
        subprocess.Popen([argv[0], "standby", "--workspace", workspace], start_new_session=True,
                         env=dict(os.environ, **spec.env), stdin=subprocess.DEVNULL,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    while not list(folder.glob("*.sock")):
        if time.perf_counter() - start > timeout:
            raise RuntimeError("no standby engine became ready")
        time.sleep(0.5)
    return time.perf_counter() - start


def stop_standbys(kernel_name: str) -> None:
    spec = KernelSpecManager().get_kernel_spec(kernel_name)
    subprocess.run([spec.argv[0], "standby", "--stop"], env=dict(os.environ, **spec.env), capture_output=True)


INFERRED_FIRST_CELL = 'let events = Frame::from_string_rows(&["host"], &[vec![Some("ws01")]])?;\nevents.len()'


def cold_first_cell(kernel_name: str, code: str, settle: float = 0) -> float:
    """A cold start (no standby engine); `code` is sent `settle` s after the kernel_info reply."""
    km = KernelManager(kernel_name=kernel_name)
    km.start_kernel(env=dict(os.environ, MSTIC_STANDBY="0"))
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=600)
        time.sleep(settle)
        return run(kc, code)[0]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kernels", default="rust-mstic", help="comma-separated kernelspec names")
    parser.add_argument("--cells", type=int, default=20)
    parser.add_argument("--settle", type=float, default=0, help="also time a first cell sent N s after start")
    parser.add_argument("--no-frame", action="store_true", help="skip the 100,000-row Frame cell")
    args = parser.parse_args()
    columns: dict[str, dict[str, float]] = {}
    for name in args.kernels.split(","):
        stop_standbys(name)
        cold = f"{name}, cold"
        columns[cold] = measure(name, args.cells, with_frame=not args.no_frame, env={"MSTIC_STANDBY": "0"})
        columns[cold]["first cell inferring a type (after start)"] = cold_first_cell(name, INFERRED_FIRST_CELL)
        if args.settle > 0:
            columns[cold][f"first cell after {args.settle:.0f} s idle"] = cold_first_cell(name, "let x: i64 = 40;", args.settle)
        waited = ready_standby(name)
        print(f"({name}: a standby engine was ready after waiting {waited:.1f} s)", flush=True)
        columns[f"{name}, standby"] = measure(name, args.cells, with_frame=not args.no_frame)
        stop_standbys(name)
    rows = list(dict.fromkeys(k for figures in columns.values() for k in figures))
    names = list(columns)
    width = max(26, *(len(n) + 2 for n in names))
    print(f"{'seconds (memory in GB)':46}" + "".join(f"{n:>{width}}" for n in names))
    for row in rows:
        cells = "".join(f"{columns[n][row]:>{width}.3f}" if row in columns[n] else f"{'-':>{width}}" for n in names)
        print(f"{row:46}{cells}")


if __name__ == "__main__":
    main()
