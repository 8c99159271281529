"""Every notebook in examples/ runs top to bottom on the Rust MSTIC kernel; a failing cell fails."""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from conftest import KERNEL_NAME, REPO

NOTEBOOKS = sorted((REPO / "examples").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_runs(path, tmp_path):
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        kernel_name=KERNEL_NAME,
        timeout=1800,
        startup_timeout=300,
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors, errors
    nbformat.write(notebook, tmp_path / path.name)
