"""Lesson cells lift: pasted into a notebook next to the data, they run with Keras alone.

A *lesson cell* is a code cell of a script that builds a model, compiles, trains,
evaluates or predicts, or defines a callback, metric or layer. What such a cell uses (and
what the functions and classes of the script that it uses use in turn) must be Keras,
NumPy, the standard library, configuration values, data, or names the script defines:
never a name imported from ``common/``, which holds only plumbing (the command line, data
generation, outputs, plots, backend work-arounds).
"""

import argparse
import ast
import re

import numpy as np
import pytest

from conftest import ROOT, run_namespace, slow_except
from test_scripts import SCRIPTS, script_tests, trains

# 13: the scripts take show_table (results as a real table, issue 26) besides what they took;
# 14: seq2seq_attention's figure moved to common/ (issue 26's MAX_LOC), one name more.
MOST_NAMES_FROM_COMMON = 14
LESSON_CALLS = re.compile(r"\.(compile|fit|predict|evaluate|reset_state|train_on_batch|"
                          r"predict_on_batch)\(|keras\.(Model|Sequential|Input)\(|\blayers\.[A-Z]")
KERAS_BASES = re.compile(r"^(keras\.)?(callbacks\.Callback|metrics\.Metric|layers\.Layer|Model)$")


def cells(script: str) -> list[dict]:
    """The script's cells in order: {"kind": "markdown"|"code", "source", "section"}, where
    section is the last ``## `` heading above the cell."""
    found, section = [], ""
    current = None
    for line in (ROOT / script).read_text().splitlines():
        if line.startswith("# %%"):
            current = {"kind": "markdown" if "[markdown]" in line else "code",
                       "lines": [], "section": section}
            found.append(current)
            continue
        if current is None:
            continue
        current["lines"].append(line)
        heading = re.match(r"#\s*## (.+)$", line)
        if current["kind"] == "markdown" and heading:
            section = heading.group(1).strip()
            current["section"] = section
    for cell in found:
        cell["source"] = "\n".join(cell.pop("lines")).strip("\n")
    return found


def common_names(tree) -> set:
    """Names a module binds by importing from ``common`` (``common`` itself included)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "common":
            names |= {alias.asname or alias.name for alias in node.names}
        elif isinstance(node, ast.Import):
            names |= {(alias.asname or alias.name).split(".")[0] for alias in node.names
                      if alias.name.split(".")[0] == "common"}
    return names


def loaded_names(node) -> set:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def definitions(tree) -> dict:
    """Top-level functions and classes of the script: name -> node."""
    return {node.name: node for node in tree.body
            if isinstance(node, (ast.FunctionDef, ast.ClassDef))}


def is_lesson(source: str) -> bool:
    if LESSON_CALLS.search(source):
        return True
    tree = ast.parse(source)
    return any(isinstance(node, ast.ClassDef) and any(KERAS_BASES.match(ast.unparse(b)) for b in node.bases)
               for node in tree.body)


def lesson_uses(script: str) -> dict:
    """For each lesson cell (by its first line): every name it loads, through the script's
    own functions and classes that it uses, transitively."""
    source = (ROOT / script).read_text()
    defined = definitions(ast.parse(source))
    uses = {}
    for cell in cells(script):
        if cell["kind"] != "code" or not is_lesson(cell["source"]):
            continue
        seen, todo, names = set(), [ast.parse(cell["source"])], set()
        while todo:
            node = todo.pop()
            found = loaded_names(node)
            names |= found
            for name in found & set(defined) - seen:
                seen.add(name)
                todo.append(defined[name])
        uses[cell["source"].splitlines()[0][:60]] = names
    return uses


@pytest.mark.parametrize("script", SCRIPTS)
def test_lesson_cells_use_nothing_from_common(script):
    source = (ROOT / script).read_text()
    from_common = common_names(ast.parse(source))
    uses = lesson_uses(script)
    if trains(script):
        assert uses, f"{script}: no lesson cell found"
    leaks = {cell: sorted(names & from_common) for cell, names in uses.items() if names & from_common}
    assert not leaks, (f"{script}: lesson cells use names imported from common/ (write them in "
                       f"the script, or move reporting to a cell of its own): {leaks}")


def names_used_from_common(tree) -> set:
    """What a script takes from common/: each name imported from it, and for a module
    imported whole (``import common``, ``from common import cli``) each attribute used
    (``cli.read_settings``)."""
    modules = {path.stem for path in (ROOT / "common").glob("*.py")} | {"common"}
    bound = common_names(tree)
    whole = {name for name in bound if name in modules}
    used = {f"{n.value.id}.{n.attr}" for n in ast.walk(tree) if isinstance(n, ast.Attribute)
            and isinstance(n.value, ast.Name) and n.value.id in whole}
    return (bound - whole) | used


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_import_few_names_from_common(script):
    names = names_used_from_common(ast.parse((ROOT / script).read_text()))
    assert len(names) <= MOST_NAMES_FROM_COMMON, (
        f"{script} imports {len(names)} names from common/: {sorted(names)}")


def code_lines(source: str) -> int:
    """Lines of code as keras-io's tutobooks count them for MAX_LOC: not blank, not a
    comment (so not a markdown cell), not the module docstring at the top."""
    tree = ast.parse(source)
    first = tree.body[0] if tree.body else None
    docstring = (set(range(first.lineno, first.end_lineno + 1)) if isinstance(first, ast.Expr)
                 and isinstance(first.value, ast.Constant) else set())
    return sum(1 for number, line in enumerate(source.splitlines(), 1) if number not in docstring
               and line.strip() and not line.lstrip().startswith("#"))


def test_code_lines_counts_code_only():
    assert code_lines('"""Title\n\nMore."""\n# %% [markdown]\n# prose\n\nx = 1\n# note\ny = 2\n') == 2


@pytest.mark.parametrize("script", SCRIPTS)
def test_lessons_stay_within_300_lines_of_code(script):
    """keras-io refuses an example over 300 lines of code (MAX_LOC); so does this collection
    (issue 26): what is reporting, not lesson, belongs in common/."""
    assert code_lines((ROOT / script).read_text()) <= 300


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_private_keras_api_in_scripts(script):
    source = (ROOT / script).read_text()
    assert not re.search(r"\._flatten_layers|keras\.src\b|\.jax_state_sync\(", source)


def plain(value) -> bool:
    """Data or a configuration value: what a reader's notebook holds before the lesson."""
    if value is None or isinstance(value, (bool, int, float, str, np.ndarray, np.generic,
                                           argparse.Namespace)):
        return True
    if isinstance(value, (list, tuple)):
        return all(plain(item) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and plain(v) for k, v in value.items())
    return False


LIFTED = [script for script in SCRIPTS if hasattr(script_tests(script), "LIFT_SECTIONS")]


def test_every_training_script_has_a_lift_test():
    missing = [script for script in SCRIPTS if trains(script) and script not in LIFTED]
    assert not missing, f"define LIFT_SECTIONS and lifted(ns) in the test modules of {missing}"


# The README's command lifts the cheapest script's lessons; the slow step lifts every one.
LIFTED_QUICKLY = {"echo_full.py"}


@pytest.mark.parametrize("script", slow_except(LIFTED, LIFTED_QUICKLY))
def test_lesson_cells_run_in_a_fresh_namespace(script, monkeypatch):
    """Run the script (quick budget), keep only its data arrays and configuration values,
    then run its Build and Train cells, as pasted into a new notebook, with only Keras and
    NumPy imported: the model they build must train."""
    import keras

    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    module = script_tests(script)
    ran = run_namespace(script, *getattr(module, "LIFT_ARGS", ()), "--quiet", "--examples", "0")
    skip = common_names(ast.parse((ROOT / script).read_text()))
    notebook = {name: value for name, value in ran.items()
                if not name.startswith("__") and name not in skip and plain(value)}
    notebook.update(keras=keras, np=np, numpy=np, layers=keras.layers, ops=keras.ops,
                    time=__import__("time"), math=__import__("math"))
    wanted = [cell for cell in cells(script)
              if cell["kind"] == "code" and cell["section"] in module.LIFT_SECTIONS]
    assert wanted, f"{script}: no code cells under {module.LIFT_SECTIONS}"
    for cell in wanted:
        exec(compile(cell["source"], f"{script} [{cell['section']}]", "exec"), notebook)
    module.lifted(notebook)
