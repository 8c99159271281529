"""The shipped query library as an analyst's machine has it: the installed kernel, started with no
`MSTIC_FIXTURES`, no `MSTIC_QUERIES`, no `MSTICPYCONFIG` and a working directory in an empty temp
folder, lists the Sentinel and Defender queries and renders one through the typed calls."""

from __future__ import annotations

import os
from pathlib import Path

from jupyter_client.manager import KernelManager

from conftest import KERNEL_NAME, REPO, WARMUP_TIMEOUT, result_text, run_cell, stream_text

LISTING = """use mstic::data::provider::QueryProvider;
let sentinel = QueryProvider::new("MSSentinel")?;
let defender = QueryProvider::new("MDE")?;
let names = sentinel.list_queries().names();
println!("{}|{}|{}", names.iter().filter(|n| !n.starts_with("M365D.")).count(), defender.list_queries().len(),
    ["WindowsSecurity.list_host_logons", "SecurityAlert.list_alerts", "Azure.list_aad_signins_for_account", "M365D.list_host_processes"]
        .iter().filter(|n| names.contains(&n.to_string())).count());
println!("{}", std::env::current_dir()?.display());"""

RENDERED = """sentinel.windows_security().list_host_logons().host_name("WS1; drop")
    .start("2024-03-01 00:00:00").end("2024-03-02 00:00:00").render()?"""


def test_a_kernel_without_checkout_or_fixtures_lists_and_renders_the_shipped_queries(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("MSTIC_FIXTURES", "MSTIC_QUERIES", "MSTICPYCONFIG")}
    km = KernelManager(kernel_name=KERNEL_NAME)
    km.start_kernel(cwd=str(tmp_path), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        # The installed kernel runs from its own copy of the workspace, not from this checkout.
        argv = km.kernel_spec.argv
        assert Path(argv[argv.index("--workspace") + 1]).resolve() != REPO.resolve()
        reply, outputs = run_cell(kc, LISTING, timeout=WARMUP_TIMEOUT)
        assert reply["content"]["status"] == "ok", reply["content"]
        counts, cwd = stream_text(outputs).strip().splitlines()
        sentinel, defender, known = (int(n) for n in counts.split("|"))
        assert sentinel >= 150, counts
        assert defender >= 60, counts
        assert known == 4, counts
        assert cwd == str(tmp_path)
        text = result_text(kc, RENDERED)
        assert "SecurityEvent" in text and "WS1; drop" in text, text
        assert "datetime(2024-03-01" in text and "datetime(2024-03-02" in text, text
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
