#!/usr/bin/env python3
"""Speed and size of Rust MSTIC charts, with MSTICPy/Bokeh beside them when a Python with msticpy
and bokeh is available.

Runs the release example `vis_bench` of crates/mstic-vis (built on first use):

* a timeline of 100,000 network-flow events grouped by protocol — as drawn by default (aggregated
  past 5,000 points) and with every point;
* the process tree of `mde_proc_cs1.csv` (1,642 processes, MDE internal schema) — plot of a built
  tree, and build + plot from raw events.

For each: median time to produce the display bundle, marks drawn and bundle size (Vega-Lite, SVG,
total). With `--python PY` (default /tmp/mpvenv/bin/python when it exists) the same data go
through MSTICPy's `display_timeline` and `plot_process_tree` (Bokeh, hidden) and the size of the
Bokeh JSON document is reported.

Usage: python3 bench/vis_bench.py [--repeat 5] [--python /path/to/python]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", Path.home() / ".cache/rust-mstic/target"))
BINARY = TARGET / "release" / "examples" / "vis_bench"
FIXTURES = Path(os.environ.get("MSTIC_FIXTURES", REPO.parent / "shared" / "fixtures"))

MSTICPY_SCRIPT = r"""
import json, sys, time
import pandas as pd
from bokeh.embed import json_item
from msticpy.vis.timeline import display_timeline
from msticpy.vis.process_tree import plot_process_tree
from msticpy.transform.proc_tree_builder import build_process_tree
from msticpy.transform.proc_tree_schema import MDE_INT_EVENT_SCH
fixtures, repeat = sys.argv[1], int(sys.argv[2])

def median(f):
    times, out = [], None
    for _ in range(repeat):
        start = time.perf_counter(); out = f(); times.append(time.perf_counter() - start)
    return sorted(times)[len(times) // 2], out

flows = pd.read_csv(f"{fixtures}/msticpy/testdata/az_net_flows.csv", parse_dates=["FlowStartTime"])
events = pd.concat([flows] * (100_000 // len(flows) + 1)).head(100_000)
def timeline():
    fig = display_timeline(events, time_column="FlowStartTime", group_by="L7Protocol",
                           source_columns=["SrcIP", "DestIP", "AllExtIPs"], hide=True)
    return len(json.dumps(json_item(fig)))
secs, size = median(timeline)
print(json.dumps({"name": "timeline_100k", "seconds": secs, "bundle_bytes": size}))
mde = pd.read_csv(f"{fixtures}/msticpy/testdata/mde_proc_cs1.csv")
tree = build_process_tree(mde, schema=MDE_INT_EVENT_SCH)
def plot():
    fig, _ = plot_process_tree(tree, schema=MDE_INT_EVENT_SCH, show_table=False, hide_legend=False)
    return len(json.dumps(json_item(fig)))
secs, size = median(plot)
print(json.dumps({"name": "process_tree_mde_plot", "seconds": secs, "bundle_bytes": size}))
"""


def rust_figures(repeat: int) -> list[dict]:
    if not BINARY.exists():
        print(f"building {BINARY.name} (release)…", file=sys.stderr)
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "mstic-vis", "--example", "vis_bench"], cwd=REPO, check=True)
    out = subprocess.run([str(BINARY), str(repeat)], cwd=REPO, check=True, capture_output=True, text=True).stdout
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


def msticpy_figures(python: str, repeat: int) -> tuple[list[dict], str]:
    probe = subprocess.run([python, "-c", "import msticpy, bokeh"], capture_output=True, text=True)
    if probe.returncode != 0:
        return [], f"MSTICPy/Bokeh not measured: {python} lacks msticpy or bokeh ({probe.stderr.strip().splitlines()[-1]})"
    run = subprocess.run([python, "-c", MSTICPY_SCRIPT, str(FIXTURES), str(repeat)], capture_output=True, text=True)
    if run.returncode != 0:
        return [], f"MSTICPy/Bokeh run failed: {run.stderr.strip().splitlines()[-1]}"
    return [json.loads(line) for line in run.stdout.splitlines() if line.startswith("{")], ""


def kib(n: int) -> str:
    return f"{n / 1024:,.0f} KiB" if n < 1024 * 1024 else f"{n / 1024 / 1024:,.1f} MiB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=5)
    default_python = "/tmp/mpvenv/bin/python" if Path("/tmp/mpvenv/bin/python").exists() else ""
    parser.add_argument("--python", default=default_python, help="a Python with msticpy and bokeh")
    args = parser.parse_args()

    print(f"{'Rust MSTIC':<34} {'rows':>8} {'time':>9} {'marks':>7} {'Vega-Lite':>10} {'SVG':>10} {'bundle':>10}")
    for f in rust_figures(args.repeat):
        print(f"{f['name']:<34} {f['rows']:>8,} {f['seconds'] * 1000:>7.1f}ms {f['marks']:>7,} "
              f"{kib(f['vega_bytes']):>10} {kib(f['svg_bytes']):>10} {kib(f['bundle_bytes']):>10}")
        for note in f["notes"]:
            print(f"{'':<34} note: {note}")
    if args.python:
        figures, problem = msticpy_figures(args.python, args.repeat)
        if problem:
            print(problem)
        for f in figures:
            print(f"MSTICPy {f['name']:<26} {'':>8} {f['seconds'] * 1000:>7.1f}ms {'':>7} {'':>10} {'':>10} {kib(f['bundle_bytes']):>10} (Bokeh JSON)")
    else:
        print("MSTICPy/Bokeh not measured: pass --python with a Python that has msticpy and bokeh")


if __name__ == "__main__":
    main()
