"""Rust MSTIC charts render in Vega-Lite: every chart kind's spec (written by the `write_specs`
example of crates/mstic-vis from the shared fixtures) renders offline with vl-convert, and the
rendered SVG has the expected number of marks."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from conftest import REPO, run_example

vl_convert = pytest.importorskip("vl_convert", reason="vl-convert-python is not installed (pip install vl-convert-python)")

SVG_NS = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def specs(tmp_path_factory):
    """The folder of specs, SVGs and manifest.json written by the example."""
    out = tmp_path_factory.mktemp("vis-specs")
    run_example("write_specs", str(out))
    return out


def vega_lite_5() -> str:
    """The newest Vega-Lite 5 that vl-convert bundles (our specs declare the v5 schema)."""
    versions = [v for v in vl_convert.get_vegalite_versions() if v.startswith("5.")]
    return sorted(versions, key=lambda v: tuple(int(p) for p in v.split(".")))[-1]


def mark_items(svg: str, mark: str) -> int:
    """Items drawn by every Vega mark group of type `mark` (`symbol`, `rect`, `rule`, `line`)."""
    root = ET.fromstring(svg)
    total = 0
    for group in root.iter(f"{SVG_NS}g"):
        classes = group.get("class", "").split()
        if f"mark-{mark}" in classes and "role-mark" in classes:
            total += sum(1 for child in group if child.tag in (f"{SVG_NS}path", f"{SVG_NS}line"))
    return total


def manifest(folder):
    return json.loads((folder / "manifest.json").read_text())


CHARTS = [
    "timeline",
    "timeline_otrf",
    "timeline_aggregated",
    "timeline_values_vbar",
    "timeline_values_circle",
    "timeline_values_line",
    "timeline_duration",
    "matrix",
    "process_tree",
    "anomalies",
]


def test_every_chart_kind_is_written(specs):
    written = manifest(specs)
    assert sorted(written) == sorted(CHARTS)
    kinds = {entry["kind"] for entry in written.values()}
    assert kinds == {"timeline", "timeline_values", "timeline_duration", "matrix", "process_tree", "anomalies"}


@pytest.mark.parametrize("name", CHARTS)
def test_spec_renders_with_expected_marks(specs, name):
    entry = manifest(specs)[name]
    spec = json.loads((specs / f"{name}.vl.json").read_text())
    assert spec["$schema"].endswith("/vega-lite/v5.json")
    svg = vl_convert.vegalite_to_svg(spec, vl_version=vega_lite_5())
    assert mark_items(svg, entry["mark"]) == entry["expected"], (name, entry)
    # The title is drawn.
    assert entry["title"] in svg


@pytest.mark.parametrize("name", CHARTS)
def test_static_svg_is_valid_and_titled(specs, name):
    entry = manifest(specs)[name]
    text = (specs / f"{name}.svg").read_text()
    root = ET.fromstring(text)
    assert root.tag == f"{SVG_NS}svg"
    titles = [t.text.strip() for t in root.iter(f"{SVG_NS}text") if t.text]
    assert entry["title"] in titles
    # The static SVG also converts to a PNG (what nbconvert's PDF export would need).
    assert vl_convert.svg_to_png(text)[:4] == b"\x89PNG"


def test_time_axes_are_interactive(specs):
    # Timelines carry MSTICPy's range tool: dragging on the overview strip sets the chart's range.
    spec = json.loads((specs / "timeline.vl.json").read_text())
    chart, overview = spec["vconcat"]
    assert overview["params"][0]["select"] == {"type": "interval", "encodings": ["x"]}
    assert chart["layer"][0]["encoding"]["x"]["scale"]["domain"] == {"param": overview["params"][0]["name"]}
    assert chart["layer"][0]["encoding"]["tooltip"][1]["title"] == "Time (UTC)"
    # Charts without it zoom and pan with the mouse.
    spec = json.loads((specs / "timeline_duration.vl.json").read_text())
    params = spec["layer"][0]["params"]
    assert params[0]["bind"] == "scales" and params[0]["select"]["encodings"] == ["x"]


def test_range_tool_selection_narrows_the_chart(specs):
    # A selection on the overview (what a drag makes) becomes the chart's time domain: rendered with
    # an initial selection of the first three hours, only those events fall inside the plot width.
    spec = json.loads((specs / "timeline.vl.json").read_text())
    chart, overview = spec["vconcat"]
    times = sorted(row["__time"] for row in spec["data"]["values"])
    window = [times[0], times[0] + 3 * 3_600_000]
    inside = sum(1 for t in times if window[0] <= t <= window[1])
    assert 0 < inside < len(times)

    def event_positions(spec) -> list[float]:
        svg = vl_convert.vegalite_to_svg(spec, vl_version=vega_lite_5())
        start = svg.index("concat_0_layer_0_marks")
        group = svg[start:svg.index("</g>", start)]
        return [float(x) for x in re.findall(r"translate\(([-0-9.e]+),", group)]

    def within_plot(positions: list[float]) -> int:
        return sum(1 for x in positions if 0 <= x <= chart["width"])

    assert within_plot(event_positions(spec)) == len(times)
    overview["params"][0]["value"] = {"x": window}
    narrowed = event_positions(spec)
    assert len(narrowed) == len(times), "marks outside the range are clipped, not dropped"
    assert within_plot(narrowed) == inside
