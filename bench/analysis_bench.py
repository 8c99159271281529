#!/usr/bin/env python3
"""Speed of STL time-series anomalies (the analysis crate), with MSTICPy's `ts_anomalies_stl`
beside ours when a Python with msticpy (and its statsmodels/scipy extras) is available.

Runs the release example `stl_bench` (crates/mstic-analysis/examples/stl_bench.rs) with `--json`:

* MSTICPy's `time_series.csv` (840 hourly points): one call, frame in and frame out, and the vector
  core alone (mean of 50 runs);
* a batch of 1,000 synthetic hourly series of 2,000 points (daily and weekly cycles, trend, noise,
  spikes), one thread.

MSTICPy runs the same 840-point frame (mean of several calls) and the same synthetic series, built
here with the example's generator; for the batch it times a sample of series and extrapolates to
1,000 (the output says so).

Usage: python3 bench/analysis_bench.py [--python /tmp/mpvenv/bin/python] [--sample 25] [--no-build]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
BINARY = TARGET / "release" / "examples" / "stl_bench"
DEFAULT_PYTHON = "/tmp/mpvenv/bin/python"

# Runs inside the msticpy Python: prints one JSON line of timings.
MSTICPY_SCRIPT = r"""
import json, sys, time, warnings
warnings.filterwarnings("ignore")
import numpy as np, pandas as pd
from msticpy.analysis.timeseries import ts_anomalies_stl

fixture, sample = sys.argv[1], int(sys.argv[2])
series = pd.read_csv(fixture, parse_dates=["TimeGenerated"])[["TimeGenerated", "TotalBytesSent"]]
ts_anomalies_stl(series, time_column="TimeGenerated", data_column="TotalBytesSent")  # warm-up
runs = 10
start = time.perf_counter()
for _ in range(runs):
    result = ts_anomalies_stl(series, time_column="TimeGenerated", data_column="TotalBytesSent")
fixture_ms = (time.perf_counter() - start) / runs * 1e3
anomalies = int((result["anomalies"] != 0).sum())

MASK = (1 << 64) - 1
A, C = 6364136223846793005, 1442695040888963407

def synthetic(seed, points):  # the same generator as stl_bench.rs
    state = (seed * A + C) & MASK
    values = []
    for i in range(points):
        state = (state * A + C) & MASK
        noise = (state >> 33) / float(1 << 31) - 0.5
        t = float(i)
        daily = np.sin(t / 24.0 * 2 * np.pi) * 200.0
        weekly = np.sin(t / 168.0 * 2 * np.pi) * 100.0
        spike = 2000.0 if i % 577 == 300 else 0.0
        values.append(1000.0 + 0.05 * t + daily + weekly + 60.0 * noise + spike)
    return values

times = pd.date_range("2024-01-01", periods=2000, freq="h", tz="UTC")
frames = [pd.DataFrame({"TimeGenerated": times, "Total": synthetic(seed, 2000)}) for seed in range(sample)]
flagged = 0
start = time.perf_counter()
for frame in frames:
    out = ts_anomalies_stl(frame, time_column="TimeGenerated", data_column="Total")
    flagged += int((out["anomalies"] != 0).sum())
sample_ms = (time.perf_counter() - start) * 1e3
print(json.dumps({"fixture_ms": fixture_ms, "fixture_anomalies": anomalies, "sample": sample,
                  "sample_ms": sample_ms, "sample_anomalies": flagged}))
"""


def fixtures() -> Path:
    if "MSTIC_FIXTURES" in os.environ:
        return Path(os.environ["MSTIC_FIXTURES"])
    return (REPO / ".." / "shared" / "fixtures").resolve()


def build() -> None:
    print("building the release example (cargo build --release -p mstic-analysis --example stl_bench)…", flush=True)
    subprocess.run(["cargo", "build", "--release", "-p", "mstic-analysis", "--example", "stl_bench"], cwd=REPO, check=True)


def ours() -> dict:
    out = subprocess.run([str(BINARY), "--json"], cwd=REPO, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def theirs(python: str, sample: int) -> dict | None:
    """MSTICPy's timings, or None when that Python cannot import msticpy's time-series module."""
    if not Path(python).exists():
        print(f"MSTICPy figures: not available ({python} not found)")
        return None
    check = subprocess.run([python, "-c", "import msticpy.analysis.timeseries"], capture_output=True, text=True)
    if check.returncode != 0:
        last = (check.stderr.strip().splitlines() or ["import failed"])[-1]
        print(f"MSTICPy figures: not available ({last})")
        return None
    fixture = fixtures() / "msticpy" / "testdata" / "time_series.csv"
    out = subprocess.run([python, "-c", MSTICPY_SCRIPT, str(fixture), str(sample)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=os.environ.get("MSTICPY_PYTHON", DEFAULT_PYTHON),
                        help="a Python with msticpy installed (default %(default)s)")
    parser.add_argument("--sample", type=int, default=25, help="series MSTICPy runs before extrapolating")
    parser.add_argument("--no-build", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        build()

    rust = ours()
    other = theirs(args.python, args.sample)

    print()
    print("Rust MSTIC STL anomalies (seasonal 7, period 24, threshold 3; one thread)")
    print("-" * 92)
    print(f"{'step':<52}{'ours':>12}{'MSTICPy':>14}{'speed-up':>12}")
    fixture_label = f"time_series.csv, {rust['fixture_points']} points (frame in/out)"
    if other:
        speed = other["fixture_ms"] / rust["fixture_frame_ms"]
        print(f"{fixture_label:<52}{rust['fixture_frame_ms']:>9.3f} ms{other['fixture_ms']:>11.2f} ms{speed:>11.0f}x")
    else:
        print(f"{fixture_label:<52}{rust['fixture_frame_ms']:>9.3f} ms{'n/a':>14}")
    print(f"{'  vector core only':<52}{rust['fixture_vector_ms']:>9.3f} ms")
    batch_label = f"{rust['series']:,} series x {rust['points']:,} points"
    rust_batch_s = rust["batch_ms"] / 1e3
    if other:
        extrapolated_s = other["sample_ms"] / other["sample"] * rust["series"] / 1e3
        speed = extrapolated_s / rust_batch_s
        print(f"{batch_label:<52}{rust_batch_s:>10.2f} s{extrapolated_s:>12.1f} s*{speed:>10.0f}x")
        print(f"  * MSTICPy timed on {other['sample']} of the {rust['series']:,} series "
              f"({other['sample_ms'] / 1e3:.2f} s) and extrapolated linearly.")
    else:
        print(f"{batch_label:<52}{rust_batch_s:>10.2f} s{'n/a':>14}")
    print(f"  per series: ours {rust['batch_ms'] / rust['series']:.3f} ms"
          + (f", MSTICPy {other['sample_ms'] / other['sample']:.1f} ms" if other else ""))
    print()
    anomalies = f"anomalies flagged: fixture ours {rust['fixture_anomalies']}"
    if other:
        anomalies += f", MSTICPy {other['fixture_anomalies']}"
        anomalies += (f"; batch sample MSTICPy {other['sample_anomalies']} in {other['sample']} series")
    anomalies += f"; batch ours {rust['batch_anomalies']} in {rust['series']:,} series"
    print(anomalies)
    return 0


if __name__ == "__main__":
    sys.exit(main())
