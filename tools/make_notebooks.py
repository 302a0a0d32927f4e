"""Turn every tutorial script into a Jupyter notebook.

Each script is already a notebook in jupytext's "percent" format (`# %%` cells), which
VS Code, PyCharm and JupyterLab with jupytext open directly. For a plain `.ipynb`:

    python tools/make_notebooks.py              # writes notebooks/NAME.ipynb
    python tools/make_notebooks.py --execute    # ... and runs each one (quick budget)

Then `jupyter lab notebooks/` (or upload a file to Colab, next to a copy of common/).
"""

import argparse
import os
import sys
from pathlib import Path

import jupytext

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(ROOT.glob("*.py"))


def to_notebook(script: Path):
    """The script as an nbformat notebook with a Python 3 kernel; the header docstring
    becomes the opening markdown cell (its Title as the heading)."""
    notebook = jupytext.read(script, fmt="py:percent")
    first = notebook.cells[0]
    if first.cell_type == "code" and first.source.startswith('"""'):
        lines = first.source.strip().strip('"').strip().splitlines()
        text = "\n".join(f"# {line[len('Title:'):].strip()}" if line.startswith("Title:")
                         else line.replace("Description:", "").strip() if line.startswith("Description:")
                         else line for line in lines)
        notebook.cells[0] = jupytext.reads(f"# %% [markdown]\n" + "\n".join(
            "# " + line if line else "#" for line in text.splitlines()), fmt="py:percent").cells[0]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                       "language": "python"}
    notebook.metadata.pop("jupytext", None)
    return notebook


def execute(notebook, timeout: int = 600):
    """Run ``notebook`` top to bottom in a fresh kernel started in the repo root (so
    ``import common`` works), with the quick training budget."""
    from nbclient import NotebookClient

    os.environ.setdefault("LSTM_TUTORIALS_QUICK", "1")
    NotebookClient(notebook, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    return notebook


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "notebooks",
                        help="folder for the .ipynb files (default: notebooks/)")
    parser.add_argument("--execute", action="store_true",
                        help="run each notebook with LSTM_TUTORIALS_QUICK=1 and keep its outputs")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for script in SCRIPTS:
        notebook = to_notebook(script)
        if args.execute:
            print(f"executing {script.name} ...", flush=True)
            execute(notebook)
        target = args.out / f"{script.stem}.ipynb"
        jupytext.write(notebook, target, fmt="ipynb")
        print(f"wrote {target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}")


if __name__ == "__main__":
    sys.exit(main())
