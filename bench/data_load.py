#!/usr/bin/env python3
"""Benchmark: load an OTRF dataset zip (JSON lines) into a table and count events by EventID.

Rust MSTIC: a release build of `crates/mstic-data/examples/otrf_bench.rs`, timed over several
runs (the binary reports each run's time, excluding process start). pandas, where present:
`pd.read_json(lines=True)` on the zip member plus `value_counts()`, timed the same way in the same
run. Prints both figures (best and median of the runs) and the ratio; the target is >= 5x.

Usage: python3 bench/data_load.py [zip] [runs]
"""
import os
import re
import statistics
import subprocess
import sys
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def fixtures_dir() -> Path:
    env = os.environ.get("MSTIC_FIXTURES")
    return Path(env) if env else REPO.parent / "shared" / "fixtures"


def rust_times(zip_path: Path, runs: int) -> list[float]:
    subprocess.run(
        ["cargo", "build", "--release", "-q", "-p", "mstic-data", "--example", "otrf_bench"],
        cwd=REPO, check=True,
    )
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    binary = target / "release" / "examples" / "otrf_bench"
    out = subprocess.run([str(binary), str(zip_path), str(runs)], check=True, capture_output=True, text=True).stdout
    times = [float(m) for m in re.findall(r"([0-9.]+) seconds", out)]
    rows = re.findall(r"rows (\d+), event ids (\d+)", out)
    print(f"rust: rows {rows[-1][0]}, distinct EventIDs {rows[-1][1]}")
    return times


def pandas_times(zip_path: Path, runs: int) -> list[float] | None:
    try:
        import pandas as pd
    except ImportError:
        print("pandas: not installed, skipped")
        return None
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        with zipfile.ZipFile(zip_path) as archive:
            member = next(n for n in archive.namelist() if n.lower().endswith(".json"))
            with archive.open(member) as handle:
                frame = pd.read_json(handle, lines=True)
        counts = frame["EventID"].value_counts()
        times.append(time.perf_counter() - started)
    print(f"pandas {pd.__version__}: rows {len(frame)}, distinct EventIDs {len(counts)}")
    return times


def main() -> None:
    zip_path = Path(sys.argv[1]) if len(sys.argv) > 1 else fixtures_dir() / "otrf" / "proxylogon_ssrf_rce_poc.zip"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    print(f"dataset: {zip_path} ({zip_path.stat().st_size:,} bytes zipped), {runs} runs each")
    rust = rust_times(zip_path, runs)
    print(f"rust   load + count_by(EventID): best {min(rust):.3f} s, median {statistics.median(rust):.3f} s")
    pandas = pandas_times(zip_path, runs)
    if pandas:
        print(f"pandas load + value_counts:      best {min(pandas):.3f} s, median {statistics.median(pandas):.3f} s")
        ratio = statistics.median(pandas) / statistics.median(rust)
        print(f"ratio (pandas / rust, median): {ratio:.1f}x  (target >= 5x: {'met' if ratio >= 5 else 'NOT met'})")


if __name__ == "__main__":
    main()
