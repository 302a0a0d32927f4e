"""The same scripts on JAX and PyTorch: they run, they record the backend, print no library
warning, and stateful layers really carry and reset their state there (Keras 3.15 needs
help for that: common/backend_fixes.py, applied by ``import common``).

PyTorch is optional: without it the torch tests are skipped. ``.ci/run`` installs
requirements-torch.txt and runs them (``python -m pytest -k torch``).
"""

import importlib.util
import json
import os
import subprocess
import sys

import pytest

from conftest import ROOT, run_script
from test_scripts import SCRIPTS, smoke_args

# Their own step in CI and their own command: python -m pytest -m backends
pytestmark = pytest.mark.backends

needs_torch = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="PyTorch is not installed: pip install -r requirements-torch.txt")
BACKENDS = ["jax", pytest.param("torch", marks=needs_torch)]

# Scripts that cannot run on torch yet, and why. Strict: once a script is fixed, its test
# fails (XPASS) until its line here goes.
TORCH_PENDING = {}


@pytest.mark.parametrize("script", SCRIPTS)
@pytest.mark.parametrize("backend", BACKENDS)
def test_quick_run_on_backend(backend, script, tmp_path, request):
    if backend == "torch" and script in TORCH_PENDING:
        request.applymarker(pytest.mark.xfail(reason=TORCH_PENDING[script], strict=True))
    metrics_path = tmp_path / "m.json"
    result = run_script(script, *smoke_args(script), "--metrics", str(metrics_path),
                        env={"KERAS_BACKEND": backend})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    assert json.loads(metrics_path.read_text())["backend"] == backend


@needs_torch
def test_stateful_recipe_trains_on_torch(tmp_path):
    """A script's stateful training (echo_full's tutorial recipe, 10 sequences) on torch,
    which needs common.backend_fixes (keras-team/keras#20875)."""
    metrics_path = tmp_path / "m.json"
    result = run_script("echo_full.py", "--recipe", "tutorial", "--epochs", "10", "--quiet",
                        "--examples", "0", "--metrics", str(metrics_path),
                        env={"KERAS_BACKEND": "torch"})
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr[-3000:]
    metrics = json.loads(metrics_path.read_text())
    assert metrics["backend"] == "torch" and metrics["recipe"] == "tutorial"


@pytest.mark.parametrize("backend", BACKENDS)
def test_stateful_state_carries_and_resets(backend):
    """tests/test_common.py's state tests (fit and predict, with resets), run on JAX and
    PyTorch as they run on TensorFlow in the suite itself."""
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
         "tests/test_common.py", "-k", "state"],
        cwd=ROOT, env={**os.environ, "KERAS_BACKEND": backend}, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "2 passed" in result.stdout


TORCH_STATEFUL_BACKWARD = """
import common  # applies common.backend_fixes
import torch
import keras

for layer_class in (keras.layers.LSTM, keras.layers.GRU):
    layer = layer_class(5, stateful=True)
    inputs = torch.randn(2, 3, 4)
    states = []
    for _ in range(3):
        layer(inputs).sum().backward()
        states.append(keras.ops.convert_to_numpy(layer.states[0].value).copy())
    assert layer.cell.kernel.value.grad is not None
    assert not (states[0] == states[1]).all(), "the state must carry from call to call"
print("ok")
"""


@needs_torch
def test_stateful_lstm_and_gru_train_on_torch():
    """The smallest case of keras-team/keras#20875 (see tests/test_upstream_canaries.py)
    passes with common imported: backward works call after call, and the state still
    carries."""
    result = subprocess.run([sys.executable, "-c", TORCH_STATEFUL_BACKWARD], cwd=ROOT,
                            env={**os.environ, "KERAS_BACKEND": "torch",
                                 "PYTHONWARNINGS": "default"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "ok" and "Warning" not in result.stderr, result.stderr[-3000:]
