"""Turn every tutorial script into a Jupyter notebook that runs on its own.

Each script is already a notebook in jupytext's "percent" format (`# %%` cells), which
VS Code, PyCharm and JupyterLab with jupytext open directly. For a plain `.ipynb`:

    python tools/make_notebooks.py              # writes notebooks/NAME.ipynb, no outputs
    python tools/make_notebooks.py --execute    # ... each run in full, outputs kept
    python tools/make_notebooks.py --execute --only echo_full,lstm_shapes
    python tools/make_notebooks.py --keep-outputs   # prose changed, code not: keep the outputs

`--execute` runs each notebook top to bottom with the script's default flags (the full
run, not the quick budget) on TensorFlow, on the CPU, in a fresh kernel started in an empty
temporary folder: the committed notebooks in notebooks/ are made that way, and
tests/test_notebooks.py fails when one no longer matches its script.

A generated notebook needs no copy of this repository: the helpers its script imports from
`common/` are written into one collapsed "Helpers" cell, and only those: the functions,
classes and constants the script names and what they use in turn (found by reading the
source, not by running it), without their docstrings and comments. Where common/notebook.py
defines a name, its definition is used instead: a notebook reads no command line (its
settings are the defaults written in the script's settings dict) and writes no files. In
place of what `import common` does in a script, the cell runs common/notebook.py's own
statements (choose a backend where TensorFlow is missing, load Keras with TensorFlow's
start-up notes filtered out) and, for a script that builds stateful layers, applies the
work-arounds for them (docs/notebooks.md says what a notebook leaves out, and why).
Open it in Jupyter
(`jupyter lab notebooks/`) or upload the one file to Colab; it needs only the packages of
requirements.txt.
"""

import argparse
import ast
import io
import os
import re
import sys
import tempfile
import time
import tokenize
from pathlib import Path

import jupytext
import nbformat

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(ROOT.glob("*.py"))
COMMON = ROOT / "common"
NOTEBOOKS = ROOT / "notebooks"

NOTEBOOK = "notebook"  # common/notebook.py: its names replace those of common/'s other modules
# What `import common` runs in a script (choose a backend, load Keras quietly, apply every
# work-around), which common/notebook.py's own statements replace in a notebook.
REPLACED = ("__init__", "backend_fixes")
# The work-arounds that change results, for stateful layers (on PyTorch and JAX): applied at
# the end of the Helpers cell of a script that passes `stateful=` to a layer.
STATEFUL_FIXES = ("copy_rnn_initial_state_on_torch", "carry_stateful_state_on_jax")
HELPERS_TITLE = ("#@title Helpers: the plumbing this notebook needs from the collection's "
                 "common/ package (generated; not the lesson)")
HELPERS_NOTE = ("*Helpers.* The cell below this note (collapsed in Jupyter and Colab, left out of "
                "the site's page) holds the parts of this collection's `common/` package that this "
                "tutorial uses (choosing a backend, its settings' defaults, data, tables and plots, "
                "backend work-arounds), copied by `tools/make_notebooks.py` without their docstrings "
                "and comments (`common/` documents each) so that the notebook runs on its own. It is "
                "not the lesson: read on below it.")


# ---- reading common/ ------------------------------------------------------------------------

def _module_of(node, package_modules) -> list:
    """For an import statement of ``common``: [(bound name, module, name or None)] where a
    None name means the whole module (``from common import data``, ``import common``)."""
    found = []
    if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "common":
        parts = node.module.split(".")
        for alias in node.names:
            bound = alias.asname or alias.name
            if len(parts) == 1 and alias.name in package_modules:  # from common import data
                found.append((bound, alias.name, None))
            elif len(parts) == 1:  # from common import NAME (defined in __init__)
                found.append((bound, "__init__", alias.name))
            else:  # from common.data import NAME
                found.append((bound, parts[1], alias.name))
    elif isinstance(node, ast.Import):
        for alias in node.names:
            parts = alias.name.split(".")
            if parts[0] == "common":
                module = parts[1] if len(parts) > 1 else "__init__"
                found.append((alias.asname or "common", module if alias.asname else "__init__", None))
                if len(parts) > 1:
                    found.append((None, module, None))  # imported, so it runs
    return found


def _is_common_import(node) -> bool:
    return (isinstance(node, ast.ImportFrom) and node.level == 0
            and (node.module or "").split(".")[0] == "common") or (
        isinstance(node, ast.Import) and any(a.name.split(".")[0] == "common" for a in node.names))


def _loads(node) -> set:
    """Every name ``node`` reads (function bodies, defaults, decorators and annotations too)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _binds(node) -> set:
    """The module-level names a top-level statement defines."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return {node.name}
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return {(a.asname or a.name).split(".")[0] for a in node.names}
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target]
        return {n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)}
    return set()


def _defines_only(node) -> bool:
    """True for statements that only define names (run only when a name is needed); False
    for those run for their effect (calls, ``if`` blocks), which always come along."""
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return True  # a docstring
    return isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Import,
                             ast.ImportFrom, ast.Assign, ast.AnnAssign, ast.AugAssign))


class _Module:
    def __init__(self, name: str, path: Path, package_modules):
        self.name, self.source = name, path.read_text()
        self.lines = self.source.splitlines()
        self.body = ast.parse(self.source).body
        self.binders = {}  # name -> indices of the statements that bind it
        for index, node in enumerate(self.body):
            for bound in _binds(node):
                self.binders.setdefault(bound, []).append(index)
        # bound name -> (module, name or None) for the imports of common at the top level
        self.common_names = {bound: (module, name) for node in self.body
                             for bound, module, name in _module_of(node, package_modules) if bound}
        self.imports_modules = {module for node in self.body
                                for _, module, _ in _module_of(node, package_modules)}

    def text(self, index: int) -> str:
        """The source of statement ``index`` with the comment lines right above it."""
        node = self.body[index]
        start = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])]) - 1
        while start > 0 and self.lines[start - 1].lstrip().startswith("#"):
            start -= 1
        return "\n".join(self.lines[start:node.end_lineno])


def _common_modules() -> dict:
    names = {path.stem for path in COMMON.glob("*.py")}
    return {path.stem: _Module(path.stem, path, names) for path in sorted(COMMON.glob("*.py"))}


def _module_order(modules) -> list:
    """common/'s module names, each after the ones it imports. ``__init__`` comes first
    whatever it imports: it picks the backend and quiets TensorFlow's start-up before
    anything imports Keras."""
    needs = {name: set() if name == "__init__" else (m.imports_modules & set(modules)) - {name}
             for name, m in modules.items()}
    order = []
    while len(order) < len(modules):
        ready = sorted((n for n in modules if n not in order and needs[n] <= set(order)),
                       key=lambda n: (n != "__init__", n))
        if not ready:
            raise RuntimeError(f"circular imports in common/: {needs}")
        order.append(ready[0])
    return order


def _script_imports(source: str, package_modules) -> list:
    """The (bound name, module, name) triples of every import of common in a script."""
    return [triple for node in ast.walk(ast.parse(source)) if _is_common_import(node)
            for triple in _module_of(node, package_modules)]


def helpers_source(script_source: str) -> str:
    """One code cell's source: what ``script_source`` uses from common/ (the names it
    imports and, transitively, what they read), plus every statement that common/'s
    imported modules run for their effect, in import order; imports of common dropped."""
    modules = _common_modules()
    keep = {name: set() for name in modules}  # module -> indices of statements to keep
    aliases = []  # (bound, module name, name) where a name is imported under another
    namespaces = {}  # a module imported whole (from common import data) -> {attribute: name}
    reached, pending = set(), []

    def attributes_of(node, bound: str, module: str) -> None:
        """``bound.NAME`` in ``node``, where ``bound`` is the module ``module`` of common/:
        NAME is needed, and ``bound`` becomes a namespace holding it."""
        for inner in ast.walk(node):
            if (isinstance(inner, ast.Attribute) and isinstance(inner.value, ast.Name)
                    and inner.value.id == bound and isinstance(inner.ctx, ast.Load)):
                namespaces.setdefault(bound, {})[inner.attr] = inner.attr
                pending.append((module, inner.attr))

    def reach(module: str) -> None:
        if module not in reached:
            reached.add(module)
            m = modules[module]
            for target in m.imports_modules:
                reach(target)
            for index, node in enumerate(m.body):
                if not _defines_only(node) and module not in REPLACED:
                    include(module, index)

    def need(module: str, name: str) -> None:
        # A name notebook.py defines, or imports under that name from elsewhere in common/
        # (`from common.cli import display_table as show_table`), replaces common/'s own.
        replaced = modules[NOTEBOOK].common_names.get(name, (None, None))[1] != name
        if module != NOTEBOOK and name in modules[NOTEBOOK].binders and replaced:
            module = NOTEBOOK  # what a notebook uses in place of the command line
        reach(module)
        m = modules[module]
        if name in m.common_names:  # imported into this module from another of common/
            target_module, target = m.common_names[name]
            if target is None:  # a module: its attributes were needed where it is read
                return
            if target != name:
                aliases.append((name, target_module, target))
            need(target_module, target)
            return
        if name not in m.binders:
            raise RuntimeError(f"common/{module}.py defines no {name!r}")
        for index in m.binders[name]:
            include(module, index)

    def include(module: str, index: int) -> None:
        if index in keep[module]:
            return
        keep[module].add(index)
        node = modules[module].body[index]
        if _is_common_import(node):
            return
        for inner in ast.walk(node):  # an import of common inside a function
            if inner is not node and _is_common_import(inner):
                for bound, target_module, target in _module_of(inner, set(modules)):
                    if target is None or bound != target:
                        raise RuntimeError(f"common/{module}.py: write `{ast.unparse(inner)}` at "
                                           "the top level, names only, for the notebooks")
                    pending.append((target_module, target))
        m = modules[module]
        for name in sorted(_loads(node)):
            if name in m.common_names and m.common_names[name][1] is None:
                attributes_of(node, name, m.common_names[name][0])
            elif name in m.binders:
                pending.append((module, name))

    reach(NOTEBOOK)  # in place of what `import common` runs, whatever the script imports
    script_tree = ast.parse(script_source)
    stateful = any(isinstance(node, ast.keyword) and node.arg == "stateful" for node in ast.walk(script_tree))
    fixes = STATEFUL_FIXES if stateful else ()
    pending.extend(("backend_fixes", name) for name in fixes)
    for bound, module, name in _script_imports(script_source, set(modules)):
        if name is None:
            reach(NOTEBOOK if module == "__init__" else module)
            if bound:
                attributes_of(script_tree, bound, module)
        else:
            pending.append((module, name))
            if bound != name:
                aliases.append((bound, module, name))
    while pending:
        need(*pending.pop())

    parts, emitted, owner = [HELPERS_TITLE], set(), {}
    for module in ["__init__", NOTEBOOK] + [m for m in _module_order(modules) if m not in ("__init__", NOTEBOOK)]:
        m = modules[module]
        chunk = []
        for index in sorted(keep[module]):
            node = m.body[index]
            if _is_common_import(node):
                continue
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                text = ast.unparse(node)
                if text in emitted:
                    continue
                emitted.add(text)
            else:
                for bound in _binds(node):
                    if owner.setdefault(bound, module) != module:
                        raise RuntimeError(f"common/{owner[bound]}.py and common/{module}.py both "
                                           f"define {bound!r}: one notebook cell cannot hold both")
            chunk.append(m.text(index))
        if chunk:
            parts.append(f"\n# ---- common/{module}.py (documented there) " + "-" * max(0, 50 - len(module))
                         + "\n" + _code_only("\n".join(chunk)))
    alias_lines = sorted({f"{bound} = {name}" for bound, _, name in aliases})
    if namespaces:  # modules imported whole: a namespace of the names read from each
        alias_lines = ["import types"] + alias_lines + [
            f"{bound} = types.SimpleNamespace({', '.join(f'{a}={n}' for a, n in sorted(names.items()))})"
            for bound, names in sorted(namespaces.items())]
    ending = alias_lines + [f"{name}()" for name in fixes]
    if ending:
        parts.append("\n# ---- the names a notebook uses" + (", and the work-arounds for stateful layers "
                     "(on PyTorch and JAX)" if fixes else "") + "\n" + "\n".join(ending))
    return "\n".join(parts) + "\n"


def _code_only(source: str) -> str:
    """``source`` without its docstrings, comments and blank lines: a notebook's Helpers cell
    is plumbing, documented in common/, and GitHub shows every line of it."""
    tree = ast.parse(source)
    drop = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and len(body) > 1 and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str)):
            drop.update(range(body[0].lineno, body[0].end_lineno + 1))
    comments = {token.start[0]: token.start[1] for token in
                tokenize.generate_tokens(io.StringIO(source).readline) if token.type == tokenize.COMMENT}
    kept = []
    for number, line in enumerate(source.splitlines(), 1):
        line = line[:comments[number]].rstrip() if number in comments else line
        if number in drop or not line.strip():
            continue
        kept.append(line)
    return "\n".join(kept)


def _without_common_imports(source: str) -> str:
    """``source`` with every import of ``common`` removed (whole statements)."""
    tree = ast.parse(source)
    drop = {line for node in ast.walk(tree) if _is_common_import(node)
            for line in range(node.lineno, node.end_lineno + 1)}
    lines = source.splitlines()
    return "\n".join(line for number, line in enumerate(lines, 1) if number not in drop).strip("\n")


# ---- the notebook ---------------------------------------------------------------------------

def to_notebook(script: Path, standalone: bool = True):
    """The script as an nbformat notebook with a Python 3 kernel. The header docstring becomes
    the opening markdown cell (its Title as the heading); with ``standalone`` the helpers from
    common/ are inlined in a collapsed cell right before the first cell that imports them.
    Cell ids come from the cells' positions, so the same script gives the same notebook."""
    source = script.read_text()
    notebook = jupytext.reads(source, fmt="py:percent")
    first = notebook.cells[0]
    if first.cell_type == "code" and first.source.startswith('"""'):
        lines = first.source.strip().strip('"').strip().splitlines()
        text = "\n".join(f"# {line[len('Title:'):].strip()}" if line.startswith("Title:")
                         else line.replace("Description:", "").strip() if line.startswith("Description:")
                         else line for line in lines)
        notebook.cells[0] = nbformat.v4.new_markdown_cell(text)
    if standalone:
        first_import = None
        for index, cell in enumerate(notebook.cells):
            if cell.cell_type == "code" and any(_is_common_import(n) for n in ast.walk(ast.parse(cell.source))):
                cell.source = _without_common_imports(cell.source)
                first_import = index if first_import is None else first_import
        if first_import is not None:
            if first_import and notebook.cells[first_import - 1].cell_type == "markdown" and \
                    notebook.cells[first_import - 1].source.startswith("## "):
                first_import -= 1  # before the heading of the section that imports them
            helpers = nbformat.v4.new_code_cell(helpers_source(source))
            helpers.metadata.update({"jupyter": {"source_hidden": True}, "cellView": "form",
                                     "collapsed": False, "tags": ["helpers"]})
            notebook.cells[first_import:first_import] = [nbformat.v4.new_markdown_cell(HELPERS_NOTE),
                                                         helpers]
    notebook.metadata = nbformat.NotebookNode({
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    notebook.nbformat, notebook.nbformat_minor = 4, 5
    for index, cell in enumerate(notebook.cells):
        cell.metadata.pop("lines_to_next_cell", None)
        cell.id = f"{script.stem}-{index:02d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def cells_of(notebook) -> list:
    """What the freshness test compares: each cell's id, type, source and metadata (outputs,
    execution counts and the kernel's own notebook metadata aside)."""
    return [(cell.get("id"), cell.cell_type, cell.source, dict(cell.metadata)) for cell in notebook.cells]


def keep_outputs(notebook, committed) -> list:
    """Copy each code cell's outputs and execution count from ``committed`` (the notebook as
    executed before) into ``notebook``, matching cells by id and source. Only a change of
    prose (markdown cells) keeps a notebook's outputs true: returns the ids of code cells
    that changed or are new, which need ``--execute``."""
    before = {cell.get("id"): cell for cell in committed.cells if cell.cell_type == "code"}
    changed = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        old = before.get(cell.get("id"))
        if old is None or old.source != cell.source:
            changed.append(cell.get("id"))
            continue
        cell.outputs, cell.execution_count = old.get("outputs", []), old.get("execution_count")
    return changed


def kernel_env(quick: bool) -> dict:
    """The environment a notebook's kernel starts with: this one, without the repository on
    the path, on TensorFlow's CPU, and the quick budget only when asked for."""
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "LSTM_TUTORIALS_QUICK", "KERAS_BACKEND", "PYTEST_CURRENT_TEST")}
    env.update({"KERAS_BACKEND": "tensorflow", "CUDA_VISIBLE_DEVICES": "-1",
                "TF_CPP_MIN_LOG_LEVEL": "3", "PYDEVD_DISABLE_FILE_VALIDATION": "1"})
    if quick:
        env["LSTM_TUTORIALS_QUICK"] = "1"
    return env


def execute(notebook, timeout: int = 1800, cwd: Path | None = None, quick: bool = True):
    """Run ``notebook`` top to bottom in a fresh kernel started in ``cwd`` (default: a new
    empty temporary folder), with the quick training budget unless ``quick`` is False."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    with tempfile.TemporaryDirectory(prefix="notebook-") as scratch:
        folder = Path(cwd or scratch)
        env = kernel_env(quick)
        # Keras writes keras.json under $KERAS_HOME: keep it inside the scratch folder.
        env["KERAS_HOME"] = str(Path(scratch) / ".keras")
        # Kernel and client talk over local sockets in the scratch folder (not TCP, about
        # which the kernel would warn on every start).
        kernel = KernelManager(kernel_name="python3", transport="ipc", ip=str(Path(scratch) / "kernel"))
        client = NotebookClient(notebook, km=kernel, timeout=timeout, kernel_name="python3",
                                record_timing=False, resources={"metadata": {"path": str(folder)}})
        try:
            client.execute(env=env, cwd=str(folder))
        finally:  # nbclient shuts down only the kernels it made itself
            if kernel.has_kernel:
                kernel.shutdown_kernel(now=True)
    return notebook


def section_outputs(notebook) -> dict:
    """Each ``## heading`` of the notebook -> the outputs of the code cells under it."""
    sections, heading = {}, None
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^## (.+)$", cell.source, flags=re.MULTILINE)
            if match:
                heading = match.group(1).strip()
                sections.setdefault(heading, [])
        elif heading is not None:
            sections[heading].extend(cell.get("outputs", []))
    return sections


# What committed outputs must not hold: a machine's paths, TensorFlow's start-up notes, a
# warning, a traceback (tests/test_notebooks.py checks each committed notebook).
FORBIDDEN = {
    "an absolute path": re.compile(r"/work/|/tmp/|/home/|/root/|site-packages|/usr/lib/"),
    "a start-up log line": re.compile(r"^[IWEF]\d{4} |oneDNN custom operations|cuda drivers|"
                                      r"cpu_feature_guard|absl::InitializeLog|TF-TRT", re.MULTILINE),
    "a warning": re.compile(r"Warning\b|^WARNING", re.MULTILINE),
    "a traceback": re.compile(r"Traceback \(most recent call last\)|^\w+Error: ", re.MULTILINE),
}


# A tensor or array a cell's last line returned: random numbers that teach nothing.
TENSOR = re.compile(r"<tf\.Tensor|tensor\(|Array\(|array\(")


def output_problems(notebook) -> list:
    """(cell id, what) for each output that holds something in FORBIDDEN, is an error, or is
    a bare True/False/None or a tensor a cell's last line returned (a helper's return value,
    not meant for the reader)."""
    problems = []
    for cell in notebook.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                problems.append((cell.get("id"), f"an error: {out.get('ename')}"))
                continue
            shown = "".join(out.get("data", {}).get("text/plain", ""))
            if out.get("output_type") == "execute_result" and shown in ("True", "False", "None"):
                problems.append((cell.get("id"), f"a helper's return value, {shown}, shown by "
                                                 f"Jupyter below the cell's last line"))
            if out.get("output_type") == "execute_result" and TENSOR.match(shown):
                problems.append((cell.get("id"), "a tensor's numbers, shown by Jupyter below the "
                                                 "cell's last line (assign it to a name)"))
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                problems.append((cell.get("id"), "standard error: " + out.get("text", "")[:200]))
            texts = [out.get("text", "")] + [value for key, value in out.get("data", {}).items()
                                             if key.startswith("text/") and isinstance(value, str)]
            for what, pattern in FORBIDDEN.items():
                for text in texts:
                    match = pattern.search(text)
                    if match:
                        start = max(0, match.start() - 60)
                        problems.append((cell.get("id"), f"{what}: ...{text[start:match.end() + 60]}..."))
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=NOTEBOOKS,
                        help="folder for the .ipynb files (default: notebooks/)")
    parser.add_argument("--execute", action="store_true",
                        help="run each notebook in full (default flags, TensorFlow, CPU) and keep its outputs")
    parser.add_argument("--quick", action="store_true",
                        help="with --execute: the quick budget (LSTM_TUTORIALS_QUICK=1), for trying the tool")
    parser.add_argument("--keep-outputs", action="store_true",
                        help="without running anything, rewrite each notebook from its script and keep "
                             "the outputs of the committed one: for a change of prose only (refused "
                             "where a code cell changed)")
    parser.add_argument("--only", default="",
                        help="comma-separated script names (echo_full,lstm_shapes); default: every script")
    parser.add_argument("--timeout", type=int, default=1800, help="seconds per cell (default: 1800)")
    args = parser.parse_args(argv)
    wanted = {name.strip().removesuffix(".py") for name in args.only.split(",") if name.strip()}
    scripts = [s for s in SCRIPTS if not wanted or s.stem in wanted]
    unknown = wanted - {s.stem for s in SCRIPTS}
    if unknown:
        parser.error(f"--only: no script named {', '.join(sorted(unknown))}")
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    failed = []
    for script in scripts:
        notebook = to_notebook(script)
        target = args.out / f"{script.stem}.ipynb"
        shown = target.relative_to(ROOT) if target.is_relative_to(ROOT) else target
        if args.keep_outputs and not args.execute:
            if not target.exists():
                print(f"{shown} does not exist yet: run with --execute", file=sys.stderr)
                failed.append(script.name)
                continue
            committed = nbformat.read(target, as_version=4)
            changed = keep_outputs(notebook, committed)
            if changed:
                print(f"{script.name}: code cells changed ({', '.join(changed[:5])}): run with "
                      f"--execute", file=sys.stderr)
                failed.append(script.name)
                continue
            notebook.metadata = committed.metadata
        if args.execute:
            print(f"executing {script.name} ...", flush=True)
            began = time.perf_counter()
            execute(notebook, timeout=args.timeout, quick=args.quick)
            problems = output_problems(notebook)
            for cell_id, what in problems:
                print(f"  {cell_id}: {what}", file=sys.stderr)
            if problems:
                failed.append(script.name)
            print(f"  {time.perf_counter() - began:.0f} s", flush=True)
        nbformat.write(notebook, target)
        print(f"wrote {shown}", flush=True)
    if args.execute:
        print(f"{len(scripts)} notebooks in {time.perf_counter() - started:.0f} s")
    if failed:
        print(f"outputs to fix at their source in: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
