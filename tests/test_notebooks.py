"""Every script opens as a notebook and runs top to bottom in a fresh Jupyter kernel."""

import sys

import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import make_notebooks  # noqa: E402

SCRIPTS = [path.name for path in make_notebooks.SCRIPTS]


@pytest.mark.parametrize("script", SCRIPTS)
def test_script_runs_as_a_notebook(script, monkeypatch):
    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    notebook = make_notebooks.to_notebook(ROOT / script)
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds.count("markdown") >= 3 and kinds.count("code") >= 3
    assert notebook.cells[0].cell_type == "markdown" or "Title:" in notebook.cells[0].source
    make_notebooks.execute(notebook, timeout=300)
    outputs = [out for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    # The kernel's own arguments were not taken for the script's flags, and main() ran.
    assert "error:" not in text
    assert "Traceback" not in text
    assert text.strip(), "the notebook printed nothing"


def test_make_notebooks_writes_ipynb(tmp_path):
    make_notebooks.main(["--out", str(tmp_path)])
    written = sorted(path.name for path in tmp_path.glob("*.ipynb"))
    assert written == sorted(name.replace(".py", ".ipynb") for name in SCRIPTS)
