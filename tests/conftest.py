"""Shared test helpers.

Each tutorial script ``NAME.py`` has a test module ``tests/test_NAME.py`` that defines:

- ``SMOKE_ARGS``: the flags of a run that takes a few seconds (``test_scripts.py`` runs
  the script with them as a subprocess, the way a user would);
- ``BAD_INPUTS``: ``(flags, text the error line must contain)`` pairs, each of which must
  stop the script with exit status 2 and one argparse ``error:`` line.

``test_scripts.py`` fails if a top-level script has no such module.
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

# JAX's compilation cache (common.cache_jax_programs): one folder per test process, so two
# xdist workers never read a program the other is still writing (JAX locks its cache only
# with the filelock package installed); the scripts the tests start share their worker's.
os.environ.setdefault("JAX_COMPILATION_CACHE_DIR", str(
    Path(tempfile.gettempdir()) / f"lstm-tutorials-jax-{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"))

# Before any test module imports Keras: common picks the backend (JAX where TensorFlow is
# not installed) and quiets TensorFlow's start-up notes, as it does for the scripts.
import common  # noqa: E402, F401


def run_script(script: str, *args: str, timeout: float = 600, env: dict | None = None):
    """Run ``python script args...`` from the repo root, as a user would; returns the
    CompletedProcess with text stdout and stderr."""
    full_env = {**os.environ, "PYTHONWARNINGS": "default", **(env or {})}
    return subprocess.run([sys.executable, str(ROOT / script), *args], cwd=ROOT, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def run_namespace(script: str, *args: str) -> dict:
    """Run ``python script args...`` in this process and return every top-level name the
    script defined (its functions, ``args``, ``model``, ``metrics``)."""
    from common.cli import run_namespace as run_in_process

    return run_in_process(ROOT / script, [str(arg) for arg in args])


def run_and_save(script: str, folder, *args: str) -> dict:
    """:func:`run_namespace` with ``--save`` to a model file in ``folder``, whose path the
    returned namespace holds as ``saved``: one training serves a test module's inference,
    claim and reload tests."""
    saved = folder / "model.keras"
    ns = run_namespace(script, *args, "--save", saved)
    ns["saved"] = saved
    return ns


LOAD_AND_PREDICT = r"""
import sys
import numpy as np
import keras

model = keras.saving.load_model(sys.argv[1])
with np.load(sys.argv[2]) as arrays:
    inputs = [arrays[f"x{i}"] for i in range(len(arrays.files))]
batch_size = None if sys.argv[4] == "none" else int(sys.argv[4])
outputs = model.predict(inputs[0] if len(inputs) == 1 else inputs, batch_size=batch_size, verbose=0)
outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
assert not [name for name in sys.modules if name.split(".")[0] in ("common", "conftest")]
np.savez(sys.argv[3], **{f"y{i}": np.asarray(y) for i, y in enumerate(outputs)})
"""


def predict_in_fresh_process(path, x, batch_size=None):
    """Load the ``.keras`` file at ``path`` with plain ``keras.saving.load_model`` in a new
    Python that imports nothing from this repository (isolated mode, run from an empty
    folder), predict ``x`` (an array, or a list of arrays for a model with several inputs)
    with ``batch_size``, and return the predictions (a list when the model has several
    outputs). A file that needs this repository's code to load fails here."""
    import tempfile

    import numpy as np

    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        np.savez(folder / "x.npz", **{f"x{i}": np.asarray(a) for i, a in enumerate(xs)})
        done = subprocess.run(
            [sys.executable, "-I", "-c", LOAD_AND_PREDICT, str(Path(path).resolve()),
             str(folder / "x.npz"), str(folder / "y.npz"), str(batch_size or "none")],
            cwd=folder, capture_output=True, text=True, timeout=600,
            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
        assert done.returncode == 0, done.stderr[-3000:]
        with np.load(folder / "y.npz") as arrays:
            outputs = [arrays[f"y{i}"] for i in range(len(arrays.files))]
    return outputs[0] if len(outputs) == 1 else outputs


def slow_except(items, quick):
    """Parameters for a costly test: those in ``quick`` run in the README's command, the
    others are slow-marked (CI's slow step runs them)."""
    return [item if item in quick else pytest.param(item, marks=pytest.mark.slow) for item in items]


@pytest.fixture(autouse=True)
def _environment_unchanged():
    """No test leaves KERAS_BACKEND changed: every later subprocess (a script run, a model
    reloaded in a fresh process) of this worker would silently run on another backend."""
    before = os.environ.get("KERAS_BACKEND")
    yield
    after = os.environ.get("KERAS_BACKEND")
    assert after == before, f"the test changed KERAS_BACKEND from {before!r} to {after!r}"


@pytest.fixture
def run():
    return run_script


# Tests that need a script's full default run (the convergence checks: accuracies over the
# default budget, the same seed twice) are slow-marked by the fixture they use, so the
# README's test command stays within minutes; CI runs them in its slow step. The tests of a
# module that use its shared default run (these fixtures, and echo's ``default``) are put in
# one xdist group (pytest.ini: --dist loadgroup), so that the module-scoped run happens on
# one worker, once, instead of once on each worker that needs it.
DEFAULT_RUN_FIXTURES = {"default_run", "default_runs"}
SHARED_RUN_FIXTURES = DEFAULT_RUN_FIXTURES | {"default"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if DEFAULT_RUN_FIXTURES & fixtures:
            item.add_marker(pytest.mark.slow)
        if SHARED_RUN_FIXTURES & fixtures:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))


# --- Default runs, run once and shared ----------------------------------------------------
# CI's timing step runs every script's default run alone (tests/test_time_promises.py) and
# keeps each run's metrics in the folder this variable names; the slow step's bars then read
# those same runs instead of training again. Without it, a folder of this test session is
# used (made by the xdist controller, shared by its workers: PYTEST_XDIST_TESTRUNUID).
RUNS_ENV = "LSTM_TUTORIALS_RUNS"
_SESSION_RUNS = Path(tempfile.gettempdir()) / f"default-runs-{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}"
DEFAULT_FLAGS = ("--quiet", "--examples", "0")


def _fingerprint(script: str, flags: tuple) -> str:
    """What a run's result depends on: the script, common/, the flags and the backend. A
    stored run whose fingerprint differs is never reused."""
    digest = hashlib.sha256()
    for path in [ROOT / script, *sorted((ROOT / "common").glob("*.py"))]:
        digest.update(path.read_bytes())
    digest.update(repr((flags, os.environ.get("KERAS_BACKEND", ""))).encode())
    return digest.hexdigest()[:16]


def default_metrics(script: str, *flags: str, fresh: bool = False) -> dict:
    """The metrics of ``python SCRIPT --quiet --examples 0 FLAGS``, run as a subprocess, with
    ``wall_seconds`` (the whole process) added. A run stored by an earlier test or CI step
    for the same fingerprint is reused unless ``fresh``; a fresh run is stored for later."""
    import fcntl

    flags = DEFAULT_FLAGS + tuple(map(str, flags))
    folder = Path(os.environ.get(RUNS_ENV) or _SESSION_RUNS)
    folder.mkdir(parents=True, exist_ok=True)
    stored = folder / f"{Path(script).stem}-{_fingerprint(script, flags)}.json"
    # One run at a time per fingerprint: a test on another xdist worker that asks for the
    # same run waits for it here, then reads it, instead of training beside it.
    with open(stored.with_suffix(".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if stored.exists() and not fresh:
            return json.loads(stored.read_text())
        written = stored.with_name(f".{stored.stem}.{os.getpid()}.json")
        start = time.perf_counter()
        result = run_script(script, *flags, "--metrics", str(written))
        wall_seconds = time.perf_counter() - start
        assert result.returncode == 0, result.stderr[-3000:]
        metrics = {**json.loads(written.read_text()), "wall_seconds": round(wall_seconds, 3)}
        written.write_text(json.dumps(metrics))
        os.replace(written, stored)
    return metrics


def pretend_notebook(monkeypatch) -> None:
    """Make ``common.cli.running_in_notebook()`` true, as inside a Jupyter kernel: an IPython
    shell with a kernel, and the kernel's own arguments in ``sys.argv``."""
    import types

    import IPython

    shell = types.SimpleNamespace(kernel=object())
    monkeypatch.setattr(IPython, "get_ipython", lambda: shell)
    monkeypatch.setattr(sys, "argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel.json"])
