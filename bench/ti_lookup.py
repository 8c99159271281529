#!/usr/bin/env python3
"""Benchmark: threat-intel lookups of 1,000 IoCs against a local provider server with 20 ms latency.

Runs a release build of `crates/mstic-context/examples/ti_bench.rs`, which looks the IoCs up in three
providers (OTX, AbuseIPDB and GreyNoise response shapes) served on 127.0.0.1: first in MSTICPy's model
(providers in parallel, IoCs one at a time inside each provider), then with Rust MSTIC's concurrency
(50 requests in flight per provider), then again with the cache warm. Prints the figures and checks the
target (concurrent >= 10x faster than the sequential-per-provider model).

Usage: python3 bench/ti_lookup.py
"""
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def main() -> int:
    run = subprocess.run(
        ["cargo", "run", "--release", "-q", "-p", "mstic-context", "--example", "ti_bench"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    print(run.stdout, end="")
    if run.returncode != 0:
        print(run.stderr, file=sys.stderr)
        return run.returncode
    match = re.search(r"speed-up concurrent vs sequential: ([\d.]+)x", run.stdout)
    if not match:
        print("could not read the speed-up figure", file=sys.stderr)
        return 1
    speedup = float(match.group(1))
    verdict = "meets" if speedup >= 10 else "MISSES"
    print(f"target >= 10x: {verdict} ({speedup:.1f}x)")
    return 0 if speedup >= 10 else 1


if __name__ == "__main__":
    sys.exit(main())
