"""Every script opens as a notebook that runs on its own, top to bottom, in a fresh Jupyter
kernel started in an empty folder (the repository is not on the path: the helpers from
common/ are inlined), and each section shows its result where it runs."""

import sys

import nbformat
import pytest

from conftest import ROOT

sys.path.insert(0, str(ROOT / "tools"))
import make_notebooks  # noqa: E402

SCRIPTS = [path.name for path in make_notebooks.SCRIPTS]
SHOWN = ("Generate the data", "Build the model", "Train")  # sections that must show output


@pytest.mark.parametrize("script", SCRIPTS)
def test_notebook_runs_alone_and_shows_each_section(script, tmp_path, monkeypatch):
    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    path = tmp_path / script.replace(".py", ".ipynb")
    nbformat.write(make_notebooks.to_notebook(ROOT / script), path)
    notebook = nbformat.read(path, as_version=4)  # what a user opens
    assert not any("import common" in cell.source or "from common" in cell.source
                   for cell in notebook.cells if cell.cell_type == "code")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and kinds.count("markdown") >= 5 and kinds.count("code") >= 4

    make_notebooks.execute(notebook, timeout=300, cwd=tmp_path)

    outputs = [out for cell in notebook.cells if cell.cell_type == "code"
               for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    # The kernel's own arguments were not taken for the script's flags.
    assert "error:" not in text and "Traceback" not in text
    sections = make_notebooks.section_outputs(notebook)
    if "Train" in sections:
        for heading in SHOWN:
            assert sections.get(heading), f"the {heading!r} section of {script} shows nothing"
    else:  # a tour without training: every code cell after the flags shows something
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        start = next(i for i, cell in enumerate(code) if "args = parse(" in cell.source)
        silent = [cell.source.splitlines()[0] for cell in code[start:] if not cell.get("outputs")]
        assert not silent, f"cells of {script} that show nothing: {silent}"
    assert any("image/png" in out.get("data", {}) for out in outputs), "no plot shown inline"


def test_make_notebooks_writes_ipynb(tmp_path):
    make_notebooks.main(["--out", str(tmp_path)])
    written = sorted(path.name for path in tmp_path.glob("*.ipynb"))
    assert written == sorted(name.replace(".py", ".ipynb") for name in SCRIPTS)
