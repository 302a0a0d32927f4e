"""Every script opens as a notebook that runs on its own, and the committed notebooks in
notebooks/ are the scripts as they are now.

- The quick run: each script, converted, runs top to bottom in a fresh Jupyter kernel
  started in an empty folder (the repository is not on the path: the helpers from common/
  are inlined), and each section shows its result where it runs (two scripts in the
  README's command, every script in the slow step).
- The Helpers cell is lean (every name it defines is used) and collapsed.
- Never stale: each committed notebook's cells (prose and code, outputs aside) are what
  `tools/make_notebooks.py` makes from its script today, and its outputs hold no machine
  path, start-up log line, warning or traceback. Both compare files only: no kernel runs.
"""

import ast
import sys

import nbformat
import pytest

from conftest import ROOT, slow_except

sys.path.insert(0, str(ROOT / "tools"))
import make_notebooks  # noqa: E402

SCRIPTS = [path.name for path in make_notebooks.SCRIPTS]
SHOWN = ("Generate the data", "Build the model", "Train")  # sections that must show output
COMMITTED = ROOT / "notebooks"
REGENERATE = "python tools/make_notebooks.py --execute --only {}"


def helpers_cell(notebook):
    cells = [cell for cell in notebook.cells if "helpers" in cell.metadata.get("tags", [])]
    assert len(cells) == 1, "one Helpers cell"
    return cells[0]


# The most lines a Helpers cell may have, where it is not 250.
HELPERS_LINES = {"forecast_real_series.py": 320}

# A kernel runs two notebooks in the README's command (one that trains, the tour); the slow
# step runs every one. The committed notebooks, executed in full, are checked below.
RUN_QUICKLY = {"echo_full.py", "lstm_shapes.py"}


@pytest.mark.parametrize("script", slow_except(SCRIPTS, RUN_QUICKLY))
def test_notebook_runs_alone_and_shows_each_section(script, tmp_path):
    path = tmp_path / script.replace(".py", ".ipynb")
    nbformat.write(make_notebooks.to_notebook(ROOT / script), path)
    notebook = nbformat.read(path, as_version=4)  # what a user opens
    assert not any("import common" in cell.source or "from common" in cell.source
                   for cell in notebook.cells if cell.cell_type == "code")
    kinds = [cell.cell_type for cell in notebook.cells]
    assert kinds[0] == "markdown" and kinds.count("markdown") >= 5 and kinds.count("code") >= 4

    make_notebooks.execute(notebook, timeout=300, cwd=tmp_path, quick=True)

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
    else:  # a tour without training: every code cell after the flags and the imports shows something
        code = [cell for cell in notebook.cells if cell.cell_type == "code"]
        flags = next(i for i, cell in enumerate(code) if "args = read_settings(" in cell.source)
        start = 1 + next(i for i, cell in enumerate(code)
                         if i > flags and "\nimport keras\n" in f"\n{cell.source}")
        silent = [cell.source.splitlines()[0] for cell in code[start:] if not cell.get("outputs")]
        assert not silent, f"cells of {script} that show nothing: {silent}"
    assert any("image/png" in out.get("data", {}) for out in outputs), "no plot shown inline"
    # The Helpers cell ran without a word: it is plumbing.
    assert not helpers_cell(notebook).outputs


@pytest.mark.parametrize("script", SCRIPTS)
def test_helpers_cell_is_lean_and_collapsed(script):
    """The Helpers cell holds what its script uses from common/, not all of it: every
    function, class and constant it defines is read somewhere in the notebook (by the
    script's cells or by another helper), and it is collapsed in JupyterLab and Colab."""
    notebook = make_notebooks.to_notebook(ROOT / script)
    cell = helpers_cell(notebook)
    assert cell.metadata["jupyter"] == {"source_hidden": True} and cell.metadata["cellView"] == "form"
    assert cell.source.startswith("#@title Helpers")  # what Colab shows for a collapsed cell
    tree = ast.parse(cell.source)
    defined = {node.name: node for node in tree.body
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    defined.update({target.id: node for node in tree.body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name)})
    # A name counts as used when something other than its own definition reads it.
    unused = [name for name, node in defined.items()
              if name not in {n.id for other in tree.body if other is not node for n in ast.walk(other)
                              if isinstance(n, ast.Name)}
              and name not in {n.id for c in notebook.cells if c.cell_type == "code" and c is not cell
                               for n in ast.walk(ast.parse(c.source)) if isinstance(n, ast.Name)}]
    assert not unused, f"the Helpers cell of {script} defines names nothing reads: {unused}"
    # Short: GitHub's notebook view, where many readers first open a tutorial, shows every
    # line of it (issue 26). forecast_real_series' also holds the series' loading and checks,
    # and its forecast report and figure.
    lines = len(cell.source.splitlines())
    assert lines <= HELPERS_LINES.get(script, 250), f"the Helpers cell of {script} has {lines} lines"
    # Code only: common/ documents it (a definition whose body is its docstring keeps it).
    assert not [line for line in cell.source.splitlines()[1:]
                if line.lstrip().startswith("#") and not line.startswith("# ---- ")]


def test_make_notebooks_writes_ipynb(tmp_path):
    assert make_notebooks.main(["--out", str(tmp_path)]) == 0
    written = sorted(path.name for path in tmp_path.glob("*.ipynb"))
    assert written == sorted(name.replace(".py", ".ipynb") for name in SCRIPTS)
    # Deterministic: the same script gives the same file, ids included.
    again = tmp_path / "again"
    make_notebooks.main(["--out", str(again)])
    assert all((tmp_path / name).read_text() == (again / name).read_text() for name in written)


def test_every_script_has_a_committed_notebook_and_no_other():
    committed = sorted(path.stem for path in COMMITTED.glob("*.ipynb"))
    scripts = sorted(name.removesuffix(".py") for name in SCRIPTS)
    missing = sorted(set(scripts) - set(committed))
    assert not missing, f"no committed notebook for {missing}: run {REGENERATE.format(','.join(missing))}"
    assert committed == scripts, f"notebooks without a script: {sorted(set(committed) - set(scripts))}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_committed_notebook_matches_its_script(script):
    """Never stale: the committed notebook's cells, prose and code (outputs aside), are
    what the tool makes from the script now; so a script cannot change without its
    notebook being executed again."""
    path = COMMITTED / script.replace(".py", ".ipynb")
    if not path.exists():
        pytest.fail(f"no {path.relative_to(ROOT)}: run {REGENERATE.format(script[:-3])}")
    committed = make_notebooks.cells_of(nbformat.read(path, as_version=4))
    expected = make_notebooks.cells_of(make_notebooks.to_notebook(ROOT / script))
    if committed != expected:
        changed = [f"cell {i} ({(c or e)[1]})" for i, (c, e) in
                   enumerate(zip(committed + [None] * len(expected), expected + [None] * len(committed)))
                   if c != e][:5]
        pytest.fail(f"{path.relative_to(ROOT)} is stale ({', '.join(changed)} differ from "
                    f"{script}): run {REGENERATE.format(script[:-3])}")


@pytest.mark.parametrize("script", SCRIPTS)
def test_committed_outputs_are_clean_and_complete(script):
    """What a reader sees on GitHub or the site: every code cell after the Helpers ran (an
    execution count), a figure inline, a compact training log (no progress bars), and
    nothing from the machine that made it: no absolute path, start-up log line, warning,
    traceback or standard-error output."""
    path = COMMITTED / script.replace(".py", ".ipynb")
    if not path.exists():
        pytest.fail(f"no {path.relative_to(ROOT)}: run {REGENERATE.format(script[:-3])}")
    notebook = nbformat.read(path, as_version=4)
    problems = make_notebooks.output_problems(notebook)
    assert not problems, f"{path.name}: " + "; ".join(f"{cell}: {what}" for cell, what in problems)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert all(cell.execution_count for cell in code), f"{path.name} was not executed: run {REGENERATE.format(script[:-3])}"
    outputs = [out for cell in code for out in cell.get("outputs", [])]
    assert any("image/png" in out.get("data", {}) for out in outputs), "no figure inline"
    text = "".join(out.get("text", "") for out in outputs if out.output_type == "stream")
    assert "\r" not in text and "\b" not in text, "a progress bar (verbose=1) in the outputs"
