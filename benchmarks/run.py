"""Time this collection's recipes against the original tutorial recipes, in one run.

For each task it trains our default recipe (one ``fit`` call) and the original recipe as
the tutorial wrote it (a Python loop of ``fit(epochs=1)`` calls with manual state resets,
ported to Keras 3, in ``benchmarks/original_*.py``), on each backend, on this machine, and
writes a markdown table: task, recipe, backend, training seconds, held-out accuracy, and
the speed-up of ours over the original with the target the issue set.

The original loops take minutes, so by default they run a fraction of their fit calls and
the time is extrapolated linearly (each call does the same work); the table says so.
``--full`` runs them whole and also measures their accuracy.

    python benchmarks/run.py                       # TF and JAX, ~10 minutes on 2 cores
    python benchmarks/run.py --backends tensorflow --output /tmp/table.md
    python benchmarks/run.py --update-readme       # refresh benchmarks/README.md
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
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "<!-- results: begin -->", "<!-- results: end -->"
# The backends timed by default: TensorFlow and JAX, where installed (Python 3.14 has no
# TensorFlow wheel).
DEFAULT_BACKENDS = ",".join(b for b in ("tensorflow", "jax") if importlib.util.find_spec(b))


def _version(package: str) -> str:
    try:
        return version(package)
    except PackageNotFoundError:
        return "not installed"


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
    sys.path.insert(0, str(ROOT))
    script = importlib.import_module(task)
    metrics = script.main([*spec["args"], "--quiet", "--examples", "0", "--seed", str(seed)])
    ours_seconds, ours_accuracy = spec["ours"](metrics)
    original = importlib.import_module(f"benchmarks.original_{task}")
    result = original.run(fraction=1.0 if full else spec["fraction"], seed=seed)
    accuracy = result.get("sequence_accuracy", result.get("accuracy"))
    backend = metrics["backend"]
    rows = [{"task": task, "recipe": "ours (one fit)", "backend": backend, "seconds": ours_seconds,
             "accuracy": ours_accuracy, "note": " ".join(spec["args"])}]
    for extra in spec.get("also", []):
        extra_metrics = script.main([*extra, "--quiet", "--examples", "0", "--seed", str(seed)])
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


def worker(args) -> None:
    """Run the tasks on this process's backend; print one JSON row per line."""
    for task in args.tasks:
        for row in measure(task, args.full, args.seed):
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


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", default=DEFAULT_BACKENDS,
                        help="comma list of Keras backends (default: those of tensorflow,jax "
                             f"installed here: {DEFAULT_BACKENDS})")
    parser.add_argument("--tasks", default=",".join(TASKS),
                        help=f"comma list of tasks (default: all: {','.join(TASKS)})")
    parser.add_argument("--full", action="store_true",
                        help="run the original loops whole (tens of minutes)")
    parser.add_argument("--seed", type=int, default=7, help="seed for both recipes (default: 7)")
    parser.add_argument("--output", type=Path, default=None,
                        help="also write the markdown table to this file")
    parser.add_argument("--update-readme", action="store_true",
                        help="put the table in benchmarks/README.md, between its results markers")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.tasks = [t for t in args.tasks.split(",") if t]
    unknown = sorted(set(args.tasks) - set(TASKS))
    if unknown:
        parser.error(f"argument --tasks: unknown task(s) {', '.join(unknown)}")
    if args.worker:
        return worker(args)

    rows, start = [], time.perf_counter()
    for backend in [b for b in args.backends.split(",") if b]:
        print(f"Running {', '.join(args.tasks)} on {backend} ...", flush=True)
        command = [sys.executable, __file__, "--worker", "--tasks", ",".join(args.tasks),
                   "--seed", str(args.seed)] + (["--full"] if args.full else [])
        env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            sys.exit(f"benchmark worker failed on {backend}")
        rows += [json.loads(line[4:]) for line in done.stdout.splitlines() if line.startswith("ROW ")]
    versions = ", ".join(f"{name} {_version(name)}" for name in ("keras", "tensorflow", "jax"))
    header = (f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} CPU cores "
              f"({platform.machine()}), Python {platform.python_version()}, {versions}; "
              f"whole run {time.perf_counter() - start:.0f} s.")
    text = header + "\n\n" + table(rows) + "\n"
    print("\n" + text)
    if args.output:
        args.output.write_text(text)
    if args.update_readme:
        readme = Path(__file__).with_name("README.md")
        before, rest = readme.read_text().split(BEGIN, 1)
        after = rest.split(END, 1)[1]
        readme.write_text(f"{before}{BEGIN}\n{text}{END}{after}")


if __name__ == "__main__":
    main()
