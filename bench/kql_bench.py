#!/usr/bin/env python3
"""What the KQL layer (crates/mstic-kql) costs over DataFusion SQL: the same three queries written
in KQL and in the equivalent SQL, on the same DataFusion session settings, timed side by side.

Queries (see crates/mstic-kql/examples/kql_bench.rs for the exact texts):

* summarize — events per host per hour (`summarize count() by Hostname, bin(TimeCreated, 1h)`);
* has       — `where Message has "powershell" | count` (whole-term match; the SQL uses a
              case-insensitive regex with the same term boundaries, and gives the same count);
* join      — process creations (4688) joined with logons (4624) on the logon id, inner join.

Inputs: the OTRF proxylogon dataset (10,487 events, read as the project reads it, from
`MSTIC_FIXTURES`, default ../shared/fixtures) and a generated log of `--rows` events (10,000,000
by default; generated in Rust with Arrow arrays, generation time excluded).

Each (input, query, language) is measured `--repeat` times (KQL and SQL runs alternated, so
load from other work on the machine falls on both alike), each in a fresh process of the release
example binary `kql_bench` (so the peak resident memory belongs to that measurement: the binary
resets the kernel's high-water mark after loading the input). The table shows the minimum and
the median time, the resident memory before the query and its peak during the query, and the
KQL/SQL ratio of the minimum times; the target is that KQL adds under 10% (ratio < 1.10). Before
timing, the binary's `verify` mode runs every query in both languages once per input and asserts
that they give the same rows (and prints the `has` count). One JSON line per measurement follows
the table.

Usage: python3 bench/kql_bench.py [--rows 10000000] [--repeat 5] [--inputs otrf,generated]
                                   [--queries summarize,has,join] [--no-build] [--no-verify]
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
BINARY = TARGET / "release" / "examples" / "kql_bench"
TARGET_RATIO = 1.10


def environment() -> dict[str, str]:
    """The binary's environment: MSTIC_FIXTURES defaults to ../shared/fixtures beside the repo."""
    env = dict(os.environ)
    env.setdefault("MSTIC_FIXTURES", str((REPO / ".." / "shared" / "fixtures").resolve()))
    return env


def build() -> None:
    print(f"building the release example (cargo build --release -p mstic-kql --example kql_bench; target {TARGET})…", flush=True)
    subprocess.run(
        ["cargo", "build", "--release", "-p", "mstic-kql", "--example", "kql_bench"],
        cwd=REPO, check=True, env={**environment(), "CARGO_TARGET_DIR": str(TARGET)},
    )


def run(*args: str) -> dict:
    out = subprocess.run([str(BINARY), *args], cwd=REPO, check=True, capture_output=True, text=True, env=environment())
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure_pair(repeat: int, input_name: str, query: str, rows: str) -> dict[str, dict]:
    """KQL and SQL runs alternated (KQL, SQL, KQL, SQL …), so load from other work on the machine
    falls on both languages alike; `summary` of each language's runs."""
    runs: dict[str, list[dict]] = {"kql": [], "sql": []}
    for _ in range(repeat):
        for language in ("kql", "sql"):
            runs[language].append(run(input_name, query, language, "--rows", rows))
    return {language: summary(runs[language], repeat) for language in runs}


def summary(runs: list[dict], repeat: int) -> dict:
    """The fastest of `repeat` fresh-process runs, with the median time and the largest peak."""
    runs = sorted(runs, key=lambda r: r["seconds"])
    best = dict(runs[0])
    best["repeat"] = repeat
    best["min"] = runs[0]["seconds"]
    best["median"] = runs[len(runs) // 2]["seconds"]
    best["times"] = [r["seconds"] for r in runs]
    best["peak_rss_mib"] = max(r["peak_rss_mib"] for r in runs)
    best["rss_before_mib"] = max(r["rss_before_mib"] for r in runs)
    return best


def verify(input_name: str, rows: str) -> None:
    print(f"verifying that KQL and SQL agree on {input_name}…", flush=True)
    out = subprocess.run([str(BINARY), input_name, "verify", "--rows", rows], cwd=REPO, check=True,
                         capture_output=True, text=True, env=environment())
    for line in out.stdout.strip().splitlines():
        print(f"  {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", default="10000000", help="events in the generated input")
    parser.add_argument("--repeat", type=int, default=5, help="fresh processes per measurement")
    parser.add_argument("--inputs", default="otrf,generated")
    parser.add_argument("--queries", default="summarize,has,join")
    parser.add_argument("--no-build", action="store_true")
    parser.add_argument("--no-verify", action="store_true")
    args = parser.parse_args()
    if not args.no_build:
        build()
    inputs = [i for i in args.inputs.split(",") if i]
    queries = [q for q in args.queries.split(",") if q]

    if not args.no_verify:
        for input_name in inputs:
            verify(input_name, args.rows)

    results: list[dict] = []
    for input_name in inputs:
        for query in queries:
            print(f"measuring {input_name} {query} (KQL and SQL alternated, {args.repeat} runs each)…", flush=True)
            pair = measure_pair(args.repeat, input_name, query, args.rows)
            if pair["kql"]["result"] != pair["sql"]["result"]:
                raise SystemExit(f"{input_name} {query}: KQL gives {pair['kql']['result']}, SQL {pair['sql']['result']}")
            ratio = pair["kql"]["min"] / pair["sql"]["min"]
            median_ratio = pair["kql"]["median"] / pair["sql"]["median"]
            for language in ("kql", "sql"):
                pair[language]["kql_sql_ratio"] = ratio
                pair[language]["kql_sql_median_ratio"] = median_ratio
                results.append(pair[language])

    print()
    print(f"KQL layer vs DataFusion SQL ({args.repeat} fresh processes each: minimum and median; "
          "times are parse + plan + run + collect, loading excluded)")
    header = (f"{'input':<26}{'query':<11}{'lang':<6}{'result':>12}{'min (s)':>11}{'median':>10}"
              f"{'RSS before':>13}{'peak RSS':>12}{'KQL/SQL':>9}  {'<10%?':<5}")
    print(header)
    print("-" * len(header))
    for r in results:
        label = "otrf proxylogon" if r["input"] == "otrf" else "generated"
        label = f"{label} ({r['rows_in']:,})"
        ratio = f"{r['kql_sql_ratio']:>9.2f}" if r["language"] == "kql" else f"{'':>9}"
        holds = ("yes" if r["kql_sql_ratio"] < TARGET_RATIO else "NO") if r["language"] == "kql" else ""
        print(f"{label:<26}{r['query']:<11}{r['language']:<6}{r['result']:>12,}{r['min']:>11.4f}{r['median']:>10.4f}"
              f"{r['rss_before_mib']:>9.1f} MiB{r['peak_rss_mib']:>8.1f} MiB{ratio}  {holds:<5}")
    print("(result: the count for `has`, the result's rows for the others; KQL/SQL: ratio of the minimum times; "
          f"target < {TARGET_RATIO:.2f})")
    kql_rows = [r for r in results if r["language"] == "kql"]
    failing = [r for r in kql_rows if r["kql_sql_ratio"] >= TARGET_RATIO]
    if failing:
        print("KQL adds 10% or more on: " + ", ".join(f"{r['input']} {r['query']} ({r['kql_sql_ratio']:.2f}x)" for r in failing))
    else:
        print("KQL adds under 10% on every query and input.")
    if any(not r.get("hwm_reset", True) for r in results):
        print("note: the kernel refused to reset the peak-memory mark; peaks may include loading the input.")
    print()
    for r in results:
        print(json.dumps({k: v for k, v in r.items() if k != "seconds"}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
