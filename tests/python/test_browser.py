"""Charts and tables render in a real browser: JupyterLab is served on 127.0.0.1, an executed
notebook is opened in headless Chromium (Debian's `chromium`, driven by Playwright), and the Vega
charts (a non-empty canvas or SVG) and the HTML table rows must appear. Screenshots are saved under
build/ as test artefacts.

* `test_chart_bundle_renders_in_jupyterlab` uses only what every Rust MSTIC kernel has: a Frame
  table, and a chart bundle (Vega-Lite + SVG, written by the `write_specs` example of mstic-vis)
  shown with `MimeBundle::display`.
* `test_visualization_notebook_renders_in_jupyterlab` executes examples/visualization.ipynb.
* `test_query_time_slider_in_jupyterlab` runs cells in the browser on a live kernel: JupyterLab's
  widget manager renders a `QueryTime`, the test moves its slider with the keyboard, and the next
  cell reads the changed start.
"""

from __future__ import annotations

import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME, REPO, run_example

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
BUILD = REPO / "build"
VEGA_MIME = "application/vnd.vegalite.v5+json"
# The kernel finds the shared fixtures through MSTIC_FIXTURES (scripts/test.sh sets it too).
if (REPO.parent / "shared" / "fixtures").is_dir():
    os.environ.setdefault("MSTIC_FIXTURES", str((REPO.parent / "shared" / "fixtures").resolve()))

playwright_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install playwright)")
if not Path(CHROMIUM).exists():
    pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)", allow_module_level=True)


def execute(notebook_path: Path) -> nbformat.NotebookNode:
    """Runs the notebook on the Rust MSTIC kernel, writes it back with outputs, and trusts it."""
    notebook = nbformat.read(notebook_path, as_version=4)
    client = NotebookClient(
        notebook, kernel_name=KERNEL_NAME, timeout=1800, startup_timeout=300, resources={"metadata": {"path": str(REPO / "examples")}}
    )
    client.execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    nbformat.write(notebook, notebook_path)
    subprocess.run([sys.executable, "-m", "jupyter", "trust", str(notebook_path)], check=True, capture_output=True)
    return notebook


def vega_outputs(notebook) -> int:
    return sum(1 for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", []) if VEGA_MIME in o.get("data", {}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class JupyterLab:
    """A JupyterLab server on 127.0.0.1 serving `root`, that starts no kernel on opening a notebook."""

    def __init__(self, root: Path, starts_kernel: bool = False):
        self.root = root
        self.port = free_port()
        self.token = secrets.token_hex(16)
        settings = root / ".lab-settings" / "@jupyterlab" / "notebook-extension"
        settings.mkdir(parents=True)
        # Every cell rendered at once, so charts below the fold are checked too.
        (settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}))
        # No "get news?" prompt over the page (and no news fetched from the network).
        notification = root / ".lab-settings" / "@jupyterlab" / "apputils-extension"
        notification.mkdir(parents=True)
        (notification / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false"}))
        self.log = (root / "jupyterlab.log").open("w")
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "jupyter", "lab", "--no-browser",
                "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={self.port}", "--ServerApp.port_retries=0",
                f"--IdentityProvider.token={self.token}", f"--ServerApp.root_dir={root}",
                f"--LabApp.notebook_starts_kernel={starts_kernel}", "--LabApp.news_url=",
                "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
                f"--LabApp.user_settings_dir={root / '.lab-settings'}", f"--LabApp.workspaces_dir={root / '.lab-workspaces'}",
                # Containers and CI machines often run tests as root.
                *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else []),
            ],
            env={**os.environ, "JUPYTER_RUNTIME_DIR": str(root / ".runtime")},
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                with urllib.request.urlopen(f"{self.base}/api/status?token={self.token}", timeout=5) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.5)
        self.stop()
        raise RuntimeError(f"JupyterLab did not start; log: {(root / 'jupyterlab.log').read_text()[-2000:]}")

    def url(self, name: str) -> str:
        return f"{self.base}/lab/tree/{name}?token={self.token}&reset"

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.log.close()


def check_in_browser(lab: JupyterLab, name: str, charts: int, screenshot: Path) -> dict:
    """Opens notebook `name`, waits for `charts` rendered Vega charts and a table; saves a screenshot."""
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(lab.url(name), wait_until="domcontentloaded", timeout=120_000)
            page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
            page.wait_for_function(
                """(wanted) => [...document.querySelectorAll('.vega-embed')].filter(e => {
                       const c = e.querySelector('canvas'); const s = e.querySelector('svg.marks');
                       return (c && c.width > 0 && c.height > 0) || (s && s.querySelectorAll('path, line').length > 0);
                   }).length >= wanted""",
                arg=charts,
                timeout=180_000,
            )
            rows = page.locator(".jp-OutputArea-output table tbody tr").count()
            rendered = page.evaluate(
                """() => [...document.querySelectorAll('.vega-embed')].map(e => {
                       const c = e.querySelector('canvas'); const s = e.querySelector('svg.marks');
                       return c ? {kind: 'canvas', width: c.width, height: c.height} : {kind: 'svg', items: s ? s.querySelectorAll('path, line').length : 0};
                   })"""
            )
            errors = page.locator(".jp-RenderedText[data-mime-type='application/vnd.jupyter.stderr']").count()
            BUILD.mkdir(exist_ok=True)
            # The notebook scrolls inside the page: show the first chart, and save it on its own too.
            first_chart = page.locator(".vega-embed").first
            first_chart.scroll_into_view_if_needed()
            page.screenshot(path=str(screenshot))
            first_chart.screenshot(path=str(screenshot.with_name(screenshot.stem + "-chart.png")))
            return {"rows": rows, "charts": rendered, "stderr_outputs": errors}
        finally:
            browser.close()


@pytest.fixture()
def lab(tmp_path):
    server = JupyterLab(tmp_path)
    try:
        yield server
    finally:
        server.stop()


def test_chart_bundle_renders_in_jupyterlab(lab, tmp_path):
    specs = tmp_path / "specs"
    run_example("write_specs", str(specs))
    table = 'Frame::read_csv(fixture("msticpy/testdata/az_net_flows.csv")?).expect("flows").head(8)'
    chart = f"""let spec = std::fs::read_to_string(r#"{specs / 'timeline.vl.json'}"#).expect("spec");
let svg = std::fs::read_to_string(r#"{specs / 'timeline.svg'}"#).expect("svg");
MimeBundle::new()
    .with_json("{VEGA_MIME}", mstic::serde_json::from_str(&spec).expect("json"))
    .with_text("image/svg+xml", svg)
    .with_text("text/plain", "Network flows timeline")
    .display();"""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Rust MSTIC", "language": "rust"}
    notebook.cells = [nbformat.v4.new_code_cell(table), nbformat.v4.new_code_cell(chart)]
    path = tmp_path / "chart_bundle.ipynb"
    nbformat.write(notebook, path)
    executed = execute(path)
    assert vega_outputs(executed) == 1
    # nbconvert's HTML ignores Vega-Lite: the chart must appear as its static SVG.
    html = subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", "--to", "html", "--stdout", str(path)], capture_output=True, text=True, check=True
    ).stdout
    images = re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(images) == 1, "the chart is exported as one SVG image"
    svg = base64.b64decode(images[0]).decode()
    assert "Event Timeline" in svg and "Alert" in svg
    result = check_in_browser(lab, path.name, 1, BUILD / "browser-chart-bundle.png")
    assert result["rows"] >= 8, result
    assert len(result["charts"]) == 1, result
    assert (BUILD / "browser-chart-bundle.png").stat().st_size > 10_000


def test_visualization_notebook_renders_in_jupyterlab(lab, tmp_path):
    path = tmp_path / "visualization.ipynb"
    shutil.copy(REPO / "examples" / "visualization.ipynb", path)
    executed = execute(path)
    charts = vega_outputs(executed)
    assert charts >= 14, charts
    result = check_in_browser(lab, path.name, charts, BUILD / "browser-visualization.png")
    assert result["rows"] >= 5, result
    assert len(result["charts"]) == charts, result
    # Every chart bundle carried its SVG too (what nbconvert's HTML export shows).
    svgs = sum(1 for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", []) if "image/svg+xml" in o.get("data", {}))
    assert svgs == charts


def run_cell_in_page(page, index: int) -> None:
    """Selects cell `index` of the open notebook and runs it with Shift+Enter."""
    cell = page.locator(".jp-Notebook .jp-Cell").nth(index)
    cell.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")


def test_query_time_slider_in_jupyterlab(tmp_path):
    origin = "2024-05-01T12:00:00Z"
    setup = f"""let qt = QueryTime::new()
    .origin("{origin}")?
    .units("day")?
    .before(1)
    .after(0);
qt"""
    read = 'println!("START {}", qt.start().to_rfc3339());'
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Rust MSTIC", "language": "rust"}
    notebook.cells = [nbformat.v4.new_code_cell(setup), nbformat.v4.new_code_cell(read)]
    path = tmp_path / "widgets.ipynb"
    nbformat.write(notebook, path)
    lab = JupyterLab(tmp_path, starts_kernel=True)
    try:
        with playwright_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                page.goto(lab.url(path.name), wait_until="domcontentloaded", timeout=120_000)
                page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
                # The kernel has started and the widget manager has talked to it.
                page.wait_for_function("() => document.body.innerText.includes('Rust MSTIC | Idle')", timeout=300_000)
                run_cell_in_page(page, 0)
                handle = page.locator(".jp-Notebook .jp-Cell").nth(0).locator(".widget-slider .noUi-handle-lower")
                handle.wait_for(timeout=600_000)
                # The readout shows the range with typographic signs: "−1 – 0".
                slider_text = page.locator(".jp-Notebook .jp-Cell").nth(0).locator(".widget-readout").first
                assert slider_text.inner_text().replace("\u2212", "-").strip().startswith("-1"), slider_text.inner_text()
                # Move the lower handle one step left: one more day before the origin.
                handle.focus()
                page.keyboard.press("ArrowLeft")
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.widget-readout')].some(e => e.innerText.replace('\u2212', '-').trim().startsWith('-2'))",
                    timeout=30_000,
                )
                # The start shown in the widget follows (the kernel updated it).
                page.wait_for_function(
                    """() => [...document.querySelectorAll('.jp-Notebook input')].some(i => i.value.includes('2024-04-29'))
                             || document.querySelector('.jp-Notebook').innerText.includes('2024-04-29')""",
                    timeout=30_000,
                )
                BUILD.mkdir(exist_ok=True)
                page.screenshot(path=str(BUILD / "browser-widgets.png"))
                run_cell_in_page(page, 1)
                output = page.locator(".jp-Notebook .jp-Cell").nth(1).locator(".jp-OutputArea-output")
                output.wait_for(timeout=300_000)
                page.wait_for_function(
                    "() => document.querySelectorAll('.jp-Notebook .jp-Cell')[1].innerText.includes('START ')", timeout=300_000
                )
                text = output.first.inner_text()
                assert "START 2024-04-29T12:00:00+00:00" in text, text
            finally:
                browser.close()
    finally:
        lab.stop()
