"""Time this collection's recipes against the original tutorial recipes, in one run.

For each task it trains our default recipe (one ``fit`` call) and the original recipe as
the tutorial wrote it (a Python loop of ``fit(epochs=1)`` calls with manual state resets,
ported to Keras 3, in ``benchmarks/original_*.py``), on each backend, on this machine, and
writes a markdown table: task, recipe, backend, training seconds, held-out accuracy, and
the speed-up of ours over the original with the target the issue set.

The original loops take minutes, so by default they run a fraction of their fit calls and
the time is extrapolated linearly (each call does the same work); the table says so.
``--full`` runs them whole and also measures their accuracy.

    python benchmarks/run.py                       # every installed backend, ~10 min each
    python benchmarks/run.py --backends tensorflow --output /tmp/table.md
    python benchmarks/run.py --update-readme       # refresh benchmarks/README.md

``--backend-table`` measures something else: every script with its default flags on every
backend (TensorFlow, JAX, PyTorch), one run each, and writes one table, script x backend,
of training seconds and held-out accuracy; with ``--update-readme`` it goes into the
Backends section of the top-level README.md:

    python benchmarks/run.py --backend-table --update-readme
"""

import argparse
import importlib
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"
BACKENDS_BEGIN, BACKENDS_END = "<!-- backends: begin -->", "<!-- backends: end -->"
ALL_BACKENDS = ("tensorflow", "jax", "torch")
BACKEND_PACKAGE = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}


def run_lesson(name: str, argv: list[str]) -> dict:
    """Run the tutorial script ``name`` (e.g. "echo_full") with command-line flags ``argv``
    in this process, and return its metrics. Every script run here goes through this."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from common.cli import run_script

    return run_script(ROOT / f"{name}.py", argv)


def _bilstm(m):
    return m["models"]["bilstm"]["train_seconds"], m["models"]["bilstm"]["sequence_accuracy"]


def _stateful(m):
    return m["experiments"]["stateful"]["train_seconds"], m["experiments"]["stateful"]["accuracy"]


# task: our script and flags, how to read (seconds, accuracy) from its metrics, the
# fraction of the original loop to time, and the speed-up the issue asks for.
TASKS = {
    "echo_full": {"args": [], "ours": lambda m: (m["train_seconds"], m["sequence_accuracy"]),
                  "fraction": 0.2, "target": 10, "also": [["--recipe", "tutorial"]]},
    "echo_partial": {"args": [], "ours": lambda m: (m["train_seconds"], m["sequence_accuracy"]),
                     "fraction": 0.05, "target": 20},
    "reverse_bidirectional": {"args": ["--models", "bilstm"], "ours": _bilstm,
                              "fraction": 0.25, "target": 10},
    "stateful_alphabet": {"args": ["--experiments", "stateful"], "ours": _stateful,
                          "fraction": 0.1, "target": 5},
}


def measure(task: str, full: bool, seed: int) -> list[dict]:
    """Rows for one task on the current backend: ours, then the original."""
    spec = TASKS[task]
    metrics = run_lesson(task, [*spec["args"], "--quiet", "--examples", "0", "--seed", str(seed)])
    ours_seconds, ours_accuracy = spec["ours"](metrics)
    original = importlib.import_module(f"benchmarks.original_{task}")
    result = original.run(fraction=1.0 if full else spec["fraction"], seed=seed)
    accuracy = result.get("sequence_accuracy", result.get("accuracy"))
    backend = metrics["backend"]
    rows = [{"task": task, "recipe": "ours (one fit)", "backend": backend, "seconds": ours_seconds,
             "accuracy": ours_accuracy, "note": " ".join(spec["args"])}]
    for extra in spec.get("also", []):
        extra_metrics = run_lesson(task, [*extra, "--quiet", "--examples", "0", "--seed", str(seed)])
        extra_seconds, extra_accuracy = spec["ours"](extra_metrics)
        rows.append({"task": task, "recipe": "ours (one fit)", "backend": backend,
                     "seconds": extra_seconds, "accuracy": extra_accuracy, "note": " ".join(extra)})
    return rows + [
        {"task": task, "recipe": result["recipe"], "backend": backend,
         "seconds": result["train_seconds_full"], "accuracy": accuracy,
         "note": (f"{result['fit_calls']} of {result['fit_calls_full']} calls timed, "
                  "extrapolated" if result["fit_calls"] < result["fit_calls_full"] else ""),
         "speedup": result["train_seconds_full"] / ours_seconds, "target": spec["target"]},
    ]


def _dig(metrics: dict, *keys):
    for key in keys:
        if not isinstance(metrics, dict) or key not in metrics:
            return None
        metrics = metrics[key]
    return metrics


# What the backend table shows of each script's metrics: (label, seconds, accuracy). A
# script not listed shows its top-level train_seconds and sequence_accuracy (or accuracy).
HEADLINES = {
    "reverse_bidirectional": lambda m: ("bilstm, sequences", _dig(m, "train_seconds"),
                                        _dig(m, "models", "bilstm", "sequence_accuracy")),
    "stateful_alphabet": lambda m: (
        "stateful experiment; seconds: all experiments",
        _dig(m, "train_seconds") or sum(e.get("train_seconds", 0)
                                        for e in (_dig(m, "experiments") or {}).values()),
        _dig(m, "experiments", "stateful", "accuracy")),
    "lstm_shapes": lambda m: ("shape checks only, no accuracy", _dig(m, "train_seconds"), None),
}


def headline(script: str, metrics: dict) -> tuple:
    if script in HEADLINES:
        return HEADLINES[script](metrics)
    accuracy = _dig(metrics, "sequence_accuracy")
    label = "sequences"
    if accuracy is None:
        accuracy, label = _dig(metrics, "accuracy"), "accuracy"
    return label, _dig(metrics, "train_seconds"), accuracy


def scripts() -> list[str]:
    return sorted(path.stem for path in ROOT.glob("*.py"))


def backend_rows(seed: int) -> list[dict]:
    """One row per script on this process's backend: its default run, or why it failed."""
    rows = []
    for script in scripts():
        row = {"script": script, "backend": os.environ.get("KERAS_BACKEND", "tensorflow")}
        try:
            metrics = run_lesson(script, ["--quiet", "--examples", "0", "--seed", str(seed)])
        except (Exception, SystemExit) as error:  # the cell says what failed; the run goes on
            row["error"] = f"{type(error).__name__}: {str(error).splitlines()[0][:80]}"
        else:
            row["label"], row["seconds"], row["accuracy"] = headline(script, metrics)
            row["backend"] = metrics.get("backend", row["backend"])
        rows.append(row)
    return rows


def worker(args) -> None:
    """Run the tasks on this process's backend; print one JSON row per line."""
    if args.backend_table:
        rows = backend_rows(args.seed)
    else:
        rows = [row for task in args.tasks for row in measure(task, args.full, args.seed)]
    for row in rows:
        print("ROW " + json.dumps(row), flush=True)


def table(rows: list[dict]) -> str:
    lines = ["| task | recipe | backend | training s | held-out accuracy | speed-up (target) | note |",
             "|---|---|---|---:|---:|---:|---|"]
    for r in rows:
        accuracy = "not measured" if r["accuracy"] is None else f"{100 * r['accuracy']:.2f}%"
        speedup = ""
        if "speedup" in r:
            verdict = "met" if r["speedup"] >= r["target"] else "**missed**"
            speedup = f"{r['speedup']:.1f}x ({r['target']}x, {verdict})"
        lines.append(f"| {r['task']} | {r['recipe']} | {r['backend']} | {r['seconds']:.1f} | "
                     f"{accuracy} | {speedup} | {r['note']} |")
    return "\n".join(lines)


def backend_table(rows: list[dict], backends: list[str]) -> str:
    """Script x backend: training seconds and held-out accuracy of one default run."""
    cells = {(r["script"], r["backend"]): r for r in rows}
    labels = {r["script"]: r["label"] for r in rows if "label" in r}
    lines = ["| script (accuracy shown) | " + " | ".join(backends) + " |",
             "|---|" + "---:|" * len(backends)]
    for script in sorted({r["script"] for r in rows}):
        row = [f"{script} ({labels[script]})" if script in labels else script]
        for backend in backends:
            cell = cells.get((script, backend))
            if cell is None:
                row.append("not run")
            elif "error" in cell:
                row.append(f"fails: {cell['error']}")
            else:
                accuracy = "" if cell["accuracy"] is None else f", {100 * cell['accuracy']:.2f}%"
                seconds = "?" if cell["seconds"] is None else f"{cell['seconds']:.1f} s"
                row.append(seconds + accuracy)
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)


def installed_backends() -> list[str]:
    return [b for b in ALL_BACKENDS if importlib.util.find_spec(BACKEND_PACKAGE[b]) is not None]


def write_between(path: Path, begin: str, end: str, text: str) -> None:
    """Replace what lies between the markers ``begin`` and ``end`` in ``path``."""
    content = path.read_text()
    if begin not in content or end not in content:
        sys.exit(f"{path} has no {begin} ... {end} markers")
    before, rest = content.split(begin, 1)
    path.write_text(f"{before}{begin}\n{text}{end}{rest.split(end, 1)[1]}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=None,
                        help="comma list of Keras backends (default: those installed of "
                             f"{','.join(ALL_BACKENDS)})")
    parser.add_argument("--backend-table", action="store_true",
                        help="instead: every script's default run on every backend, one table "
                             "(with --update-readme: into README.md's Backends section)")
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help=f"comma list of tasks (default: all: {','.join(TASKS)})")
    parser.add_argument("--full", action="store_true",
                        help="run the original loops whole (tens of minutes)")
    parser.add_argument("--seed", type=int, default=7, help="seed for both recipes (default: 7)")
    parser.add_argument("--output", type=Path, default=None,
                        help="also write the markdown table to this file")
    parser.add_argument("--update-readme", action="store_true",
                        help="put the table in benchmarks/README.md (README.md with "
                             "--backend-table), between its markers")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(args.tasks) - set(TASKS))
    if unknown:
        parser.error(f"argument --tasks: unknown task(s) {', '.join(unknown)}")
    if args.worker:
        return worker(args)
    installed = installed_backends()
    if args.backends is None:
        backends = installed
        missing = sorted(set(ALL_BACKENDS) - set(installed))
        if missing:
            print(f"Skipping {', '.join(missing)}: not installed (see README, Backends).")
    else:
        backends = [b for b in args.backends.split(",") if b]
        unknown = sorted(set(backends) - set(ALL_BACKENDS))
        if unknown:
            parser.error(f"argument --backends: unknown backend(s) {', '.join(unknown)}")
        absent = sorted(set(backends) - set(installed))
        if absent:
            parser.error(f"argument --backends: not installed: {', '.join(absent)} "
                         "(PyTorch: pip install -r requirements-torch.txt)")

    rows, start = [], time.perf_counter()
    for backend in backends:
        what = "every script" if args.backend_table else ", ".join(args.tasks)
        print(f"Running {what} on {backend} ...", flush=True)
        command = [sys.executable, __file__, "--worker", "--tasks", ",".join(args.tasks),
                   "--seed", str(args.seed)] + (["--full"] if args.full else [])
        command += ["--backend-table"] if args.backend_table else []
        env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            sys.exit(f"benchmark worker failed on {backend}")
        rows += [json.loads(line[4:]) for line in done.stdout.splitlines() if line.startswith("ROW ")]
    packages = ["keras"] + [BACKEND_PACKAGE[b] for b in backends if b in installed]
    versions = ", ".join(f"{name} {version(name)}" for name in packages)
    header = (f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU cores "
              f"({platform.machine()}), Python {platform.python_version()}, {versions}; "
              f"whole run {time.perf_counter() - start:.0f} s.")
    if args.backend_table:
        header += (" One run per cell, default flags, seed "
                   f"{args.seed}: `python benchmarks/run.py --backend-table`.")
        text = header + "\n\n" + backend_table(rows, backends) + "\n"
    else:
        text = header + "\n\n" + table(rows) + "\n"
    print("\n" + text)
    if args.output:
        args.output.write_text(text)
    if args.update_readme and args.backend_table:
        write_between(ROOT / "README.md", BACKENDS_BEGIN, BACKENDS_END, text)
    elif args.update_readme:
        write_between(Path(__file__).with_name("README.md"), BEGIN, END, text)


if __name__ == "__main__":
    main()
