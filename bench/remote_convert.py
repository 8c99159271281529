#!/usr/bin/env python3
"""Benchmark: convert a 100,000-row Log Analytics query response (JSON) into a table.

Rust MSTIC: a release build of `crates/mstic-data/examples/remote_bench.rs` (it also writes the
response file, deterministically, when it does not exist), timed in-process over several runs.
pandas, where present: what MSTICPy's AzureMonitorDriver does with the same bytes — the
azure-monitor-query SDK parses the JSON and converts `datetime` cells to Python datetimes (and
`timespan` to timedelta) row by row, then MSTICPy builds `pd.DataFrame(table.rows,
columns=table.columns)`. The SDK's row conversion is reproduced here with the standard library,
so only pandas is needed. Prints rows/s for both and the ratio.

Usage: python3 bench/remote_convert.py [response.json] [runs]
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def rust(path: Path, runs: int) -> float:
    subprocess.run(["cargo", "build", "--release", "-q", "-p", "mstic-data", "--example", "remote_bench"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    out = subprocess.run([str(target / "release" / "examples" / "remote_bench"), str(path), str(runs)],
                         check=True, capture_output=True, text=True).stdout
    print(out.strip())
    return float(re.search(r"best: (\d+) rows/s", out).group(1))


def parse_timespan(text: str) -> timedelta:
    """Kusto `[-][d.]hh:mm:ss[.fffffff]`."""
    sign = -1 if text.startswith("-") else 1
    first, minutes, seconds = text.lstrip("-").split(":")
    days, _, hours = first.rpartition(".")
    return sign * timedelta(days=int(days or 0), hours=int(hours), minutes=int(minutes), seconds=float(seconds))


def pandas_convert(body: bytes):
    import pandas as pd
    response = json.loads(body)
    table = response["tables"][0]
    names = [c["name"] for c in table["columns"]]
    kinds = [c["type"] for c in table["columns"]]
    converters = {i: (lambda v: datetime.fromisoformat(v)) for i, k in enumerate(kinds) if k == "datetime"}
    converters.update({i: parse_timespan for i, k in enumerate(kinds) if k == "timespan"})
    rows = []
    for row in table["rows"]:
        row = list(row)
        for i, convert in converters.items():
            if row[i] is not None:
                row[i] = convert(row[i])
        rows.append(row)
    return pd.DataFrame(rows, columns=names)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.gettempdir()) / "la_100k_response.json"
    runs = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rust_rate = rust(path, runs)
    try:
        import pandas  # noqa: F401
    except ImportError:
        print("pandas: not installed; Rust figure only")
        return
    body = path.read_bytes()
    best = float("inf")
    for _ in range(max(1, min(runs, 3))):
        started = time.perf_counter()
        frame = pandas_convert(body)
        best = min(best, time.perf_counter() - started)
    rate = len(frame) / best
    print(f"pandas: rows {len(frame)}, columns {frame.shape[1]}, best {best:.3f} seconds, {rate:.0f} rows/s")
    print(f"ratio: Rust MSTIC is {rust_rate / rate:.1f}x pandas (MSTICPy path)")


if __name__ == "__main__":
    main()
