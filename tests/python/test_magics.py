"""`%%sql` and `%%kql` cells through jupyter_client: a query over tables registered from Rust runs in
the cell process without compiling anything, shows its result table, becomes a table for later
magics and a `Frame` variable for the next Rust cell; errors name what is wrong (unknown table with
the registered ones, unavailable language, bad result name, empty query) and keep the session's
variables; an interrupt stops a long query and keeps them too; completion in a magic cell offers
table names."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from jupyter_client.manager import start_new_kernel

from conftest import KERNEL_NAME, WARMUP_TIMEOUT, collect_iopub, drain, result_text, run_cell, stream_text

LOGONS = """register_table("logons", &Frame::from_string_rows(&["Account", "Host"], &[
    vec![Some("ann"), Some("ws1")],
    vec![Some("bob"), Some("ws1")],
    vec![Some("ann"), Some("ws2")],
    vec![Some("cy"), Some("ws3")],
    vec![Some("ann"), Some("ws1")],
])?);"""

COUNTS = """%%sql counts
SELECT Account, count(*) AS logon_count
FROM logons
GROUP BY Account
ORDER BY logon_count DESC, Account"""

# About 10^12 rows: runs for hours on two cores unless interrupted.
ENDLESS = """%%sql
SELECT sum(a.value * b.value) AS total
FROM generate_series(1, 1000000) a CROSS JOIN generate_series(1, 1000000) b"""


@pytest.fixture(scope="module")
def session():
    """A warmed kernel with `kept` (41) and the `logons` table registered; also the path of the
    source file evcxr writes for every compiled cell (its modification time tells of a compile)."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120, env=dict(os.environ))
    try:
        reply, _ = run_cell(kc, "let kept: u64 = 41;", timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        reply, outputs = run_cell(kc, LOGONS)
        assert reply["content"]["status"] == "ok", (reply["content"], outputs)
        reply, outputs = run_cell(kc, 'println!("{}", std::env::var("EVCXR_TMPDIR").unwrap());')
        scratch = Path(stream_text(outputs).strip())
        cell_source = scratch / "src" / "lib.rs"
        assert cell_source.is_file(), f"no cell source in {scratch}"
        yield km, kc, cell_source
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


def error_of(reply, outputs):
    """The error of a failed cell: the reply's content, after checking the published error matches."""
    content = reply["content"]
    assert content["status"] == "error", content
    errors = [m["content"] for m in outputs if m["msg_type"] == "error"]
    assert len(errors) == 1, outputs
    assert errors[0]["evalue"] == content["evalue"]
    return content


def test_a_sql_cell_shows_its_table_without_compiling_and_binds_its_result(session):
    km, kc, cell_source = session
    compiled_before = cell_source.stat().st_mtime_ns
    reply, outputs = run_cell(kc, COUNTS)
    assert reply["content"]["status"] == "ok", (reply["content"], outputs)
    (result,) = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
    assert result["execution_count"] == reply["content"]["execution_count"]
    text = result["data"]["text/plain"]
    lines = [line.split() for line in text.splitlines()]
    # Rows in the query's order, each after its index.
    assert ["0", "ann", "3"] in lines and ["1", "bob", "1"] in lines and ["2", "cy", "1"] in lines, text
    assert "[3 rows × 2 columns]" in text, text
    html = result["data"]["text/html"]
    assert "<table" in html and "logon_count" in html and ">ann<" in html, html
    assert cell_source.stat().st_mtime_ns == compiled_before, "the magic cell compiled Rust"

    # The next Rust cell sees the result as a Frame variable named by the magic line.
    assert result_text(kc, "counts.len()") == "3"
    assert result_text(kc, 'counts.value::<i64>(0, "logon_count")?') == "Some(3)"
    assert cell_source.stat().st_mtime_ns != compiled_before, "a Rust cell compiles (so the check above means something)"


def test_a_named_result_is_a_table_for_later_magics_and_replaced_by_name(session):
    _, kc, cell_source = session
    run_cell(kc, COUNTS)
    reply, outputs = run_cell(kc, "%%sql\nSELECT sum(logon_count) AS total, count(*) AS accounts FROM counts")
    assert reply["content"]["status"] == "ok", reply["content"]
    (result,) = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
    assert ["0", "5", "3"] in [line.split() for line in result["data"]["text/plain"].splitlines()], result["data"]["text/plain"]

    reply, _ = run_cell(kc, "%%sql counts\nSELECT Host FROM logons WHERE Account = 'ann'")
    assert reply["content"]["status"] == "ok", reply["content"]
    assert result_text(kc, 'counts.to_vec::<String>("Host")?') == '["ws1", "ws2", "ws1"]'
    reply, _ = run_cell(kc, COUNTS)
    assert result_text(kc, "counts.len()") == "3"


def test_an_unknown_table_is_named_with_the_registered_ones_and_variables_stay(session):
    _, kc, _ = session
    reply, outputs = run_cell(kc, "%%sql\nSELECT * FROM nowhere")
    error = error_of(reply, outputs)
    assert error["ename"] == "QueryError"
    assert "nowhere" in error["evalue"] and "not found" in error["evalue"], error["evalue"]
    assert "registered tables: counts, logons" in error["evalue"], error["evalue"]
    assert "registered tables: counts, logons" in "\n".join(error["traceback"])
    assert result_text(kc, "kept + 1") == "42"


def test_a_syntax_error_shows_the_engines_message(session):
    _, kc, _ = session
    reply, outputs = run_cell(kc, "%%sql\nSELEC Account FROM logons")
    error = error_of(reply, outputs)
    assert error["ename"] == "QueryError"
    assert "SELEC" in error["evalue"], error["evalue"]
    assert result_text(kc, "kept + 1") == "42"


def test_a_kql_cell_runs_with_kusto_semantics_and_binds_its_result(session):
    _, kc, cell_source = session
    compiled_before = cell_source.stat().st_mtime_ns
    cell = "%%kql per_host\nlogons\n| summarize Logons = count(), Accounts = dcount(Account) by Host\n| sort by Host asc"
    reply, outputs = run_cell(kc, cell)
    assert reply["content"]["status"] == "ok", (reply["content"], outputs)
    (result,) = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
    lines = [line.split() for line in result["data"]["text/plain"].splitlines()]
    assert ["0", "ws1", "3", "2"] in lines and ["1", "ws2", "1", "1"] in lines and ["2", "ws3", "1", "1"] in lines, lines
    assert cell_source.stat().st_mtime_ns == compiled_before, "the KQL cell compiled Rust"
    # `=~` ignores case, `==` does not; `has` matches whole terms.
    reply, outputs = run_cell(kc, "%%kql\nlogons | where Account =~ 'ANN' and Host has 'ws1' | count")
    (result,) = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
    assert ["0", "2"] in [line.split() for line in result["data"]["text/plain"].splitlines()], result["data"]["text/plain"]
    assert result_text(kc, 'per_host.to_vec::<String>("Host")?') == '["ws1", "ws2", "ws3"]'


def test_a_kql_error_points_at_the_query_and_variables_stay(session):
    _, kc, _ = session
    reply, outputs = run_cell(kc, "%%kql\nlogons\n| where Acount == 'ann'")
    error = error_of(reply, outputs)
    assert error["ename"] == "QueryError"
    assert "KQL error at line 2, column 9: unknown column `Acount`; did you mean `Account`?" in error["evalue"], error["evalue"]
    assert "| | where Acount == 'ann'\n|         ^^^^^^" in error["evalue"], error["evalue"]
    reply, outputs = run_cell(kc, "%%kql\nlogons | evaluate bag_unpack(Account)")
    assert "`evaluate` is not supported by local KQL" in error_of(reply, outputs)["evalue"]
    assert result_text(kc, "kept + 1") == "42"


def test_a_kql_render_shows_the_chart(session):
    _, kc, _ = session
    cell = ("%%kql\ndatatable(t:datetime, n:long) [datetime(2024-01-01 00:00), 1, datetime(2024-01-01 01:00), 3]"
            "\n| render timechart with (title='Logons per hour')")
    reply, outputs = run_cell(kc, cell)
    assert reply["content"]["status"] == "ok", (reply["content"], outputs)
    (result,) = [m["content"] for m in outputs if m["msg_type"] == "execute_result"]
    spec = result["data"]["application/vnd.vegalite.v5+json"]
    assert "Logons per hour" in json.dumps(spec.get("title")), spec.get("title")
    assert "text/plain" in result["data"]


@pytest.mark.parametrize(
    ("cell", "message"),
    [
        ("%%sql 1counts\nSELECT 1", "Rust identifier"),
        ('%%sql x");std::process::exit(1);("\nSELECT 1', "Rust identifier"),
        ("%%sql fn\nSELECT 1", "Rust identifier"),
        ("%%sql --limit 5\nSELECT 1", "%%sql [NAME]"),
        ("%%sql counts extra\nSELECT 1", "%%sql [NAME]"),
        ("%%sql", "the cell has no query"),
        ("%%sql named\n  \n", "the cell has no query"),
        ("%%python\nprint(1)", "this kernel knows %%sql and %%kql"),
    ],
)
def test_wrong_magic_lines_are_refused_before_running(session, cell, message):
    _, kc, _ = session
    reply, outputs = run_cell(kc, cell)
    error = error_of(reply, outputs)
    assert error["ename"] == "MagicError"
    assert message in error["evalue"], error["evalue"]


def test_interrupting_a_long_query_keeps_the_variables(session):
    km, kc, _ = session
    drain(kc.get_iopub_msg)
    msg_id = kc.execute(ENDLESS)
    time.sleep(2)
    interrupted_at = time.monotonic()
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=60)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=60)
    took = time.monotonic() - interrupted_at
    outputs = collect_iopub(kc, msg_id)
    error = error_of(reply, outputs)
    assert error["ename"] == "Interrupted", error
    assert "interrupted" in error["evalue"].lower(), error["evalue"]
    assert took < 5, f"the query took {took:.1f} s to stop"
    assert result_text(kc, "kept + 1") == "42"
    assert result_text(kc, "counts.len()") == "3"
    # The session answers magics again at once.
    reply, _ = run_cell(kc, "%%sql\nSELECT count(*) AS n FROM logons")
    assert reply["content"]["status"] == "ok", reply["content"]


def test_completion_in_a_magic_cell_offers_table_names(session):
    _, kc, _ = session
    code = "%%sql\nSELECT * FROM lo"
    kc.complete(code, len(code))
    reply = kc.get_shell_msg(timeout=30)
    assert reply["content"]["matches"] == ["logons"], reply["content"]
    assert (reply["content"]["cursor_start"], reply["content"]["cursor_end"]) == (len(code) - 2, len(code))
    code = "%%sql\nSELECT * FROM "
    kc.complete(code, len(code))
    # Every registered table, sorted (earlier tests of this module registered `per_host` too).
    assert kc.get_shell_msg(timeout=30)["content"]["matches"] == ["counts", "logons", "per_host"]
    kc.inspect("%%sql\nSELECT * FROM logons", 20)
    assert kc.get_shell_msg(timeout=30)["content"]["found"] is False
    kc.is_complete("%%sql counts")
    assert kc.get_shell_msg(timeout=30)["content"]["status"] == "incomplete"
    kc.is_complete("%%sql counts\nSELECT 1")
    assert kc.get_shell_msg(timeout=30)["content"]["status"] == "complete"


def test_magics_reach_a_restarted_cell_process_in_a_kernel_started_cold():
    """A kernel started without a standby engine, whose cell process ends: the new process connects
    at its start and answers magics (its tables are new: the old ones went with the old process)."""
    km, kc = start_new_kernel(kernel_name=KERNEL_NAME, startup_timeout=120, env=dict(os.environ, MSTIC_STANDBY="0"))
    try:
        reply, _ = run_cell(kc, "let warm: u8 = 1;", timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        assert run_cell(kc, LOGONS)[0]["content"]["status"] == "ok"
        reply, _ = run_cell(kc, "%%sql before\nSELECT count(*) AS n FROM logons")
        assert reply["content"]["status"] == "ok", reply["content"]
        reply, _ = run_cell(kc, "std::process::exit(3);")
        assert reply["content"]["ename"] == "ProcessEnded", reply["content"]

        reply, outputs = run_cell(kc, "%%sql\nSELECT * FROM logons")
        error = error_of(reply, outputs)
        assert "no tables are registered" in error["evalue"], error["evalue"]
        assert run_cell(kc, LOGONS)[0]["content"]["status"] == "ok"
        reply, outputs = run_cell(kc, "%%sql again\nSELECT count(*) AS n FROM logons")
        assert reply["content"]["status"] == "ok", reply["content"]
        assert result_text(kc, 'again.value::<i64>(0, "n")?') == "Some(5)"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)
