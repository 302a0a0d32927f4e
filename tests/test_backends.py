"""The same scripts on JAX: they run, they record the backend, and stateful layers really
carry and reset their state there (Keras 3.15 needs help for that on JAX; see
common.training.track_state_variables)."""

import json
import subprocess
import sys

import pytest

from conftest import ROOT, run_script
from test_scripts import SCRIPTS, smoke_args

JAX = {"KERAS_BACKEND": "jax"}


@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_run_on_jax(script, tmp_path):
    metrics_path = tmp_path / "m.json"
    result = run_script(script, *smoke_args(script), "--metrics", str(metrics_path),
                        env=JAX)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    assert json.loads(metrics_path.read_text())["backend"] == "jax"


def test_stateful_state_carries_and_resets_on_jax():
    """tests/test_common.py's state tests (fit and predict, with resets), run on JAX."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_common.py", "-k", "state"],
        cwd=ROOT, env={**__import__("os").environ, **JAX}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout
