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
    """A script's stateful training (echo_full's tutorial recipe, 2 passes) on torch, which
    needs common.backend_fixes (keras-team/keras#20875)."""
    metrics_path = tmp_path / "m.json"
    result = run_script("echo_full.py", "--recipe", "tutorial", "--epochs", "2", "--quiet",
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


JAX_EAGER_RNN = """
import json
import logging

import jax
import numpy as np

import common  # applies common.backend_fixes
import keras
from keras import layers

jax.config.update("jax_log_compiles", True)
compiled = []
handler = logging.Handler()
handler.emit = lambda record: compiled.append(record.getMessage())
logging.getLogger("jax").addHandler(handler)

rng = np.random.default_rng(0)
x = rng.random((3, 6, 2), dtype=np.float32)
worst = 0.0
for layer in [cls(4, **options) for cls in (layers.LSTM, layers.GRU, layers.SimpleRNN)
              for options in ({}, {"return_sequences": True}, {"go_backwards": True},
                              {"return_sequences": True, "go_backwards": True})] + [
        layers.Bidirectional(layers.LSTM(4, return_sequences=True)),
        layers.LSTM(4, return_state=True)]:
    eager = layer(x)  # the fix's compiled step
    traced = jax.jit(lambda x: layer(x))(x)  # Keras' own loop (lax.scan)
    for a, b in zip(jax.tree_util.tree_leaves(eager), jax.tree_util.tree_leaves(traced)):
        worst = max(worst, float(np.abs(np.asarray(a) - np.asarray(b)).max()))
# Stateful, called step by step: the state carries, as in one call on the whole sequence.
inputs = keras.Input(batch_shape=(3, None, 2))
model = keras.Model(inputs, layers.LSTM(4, stateful=True, return_sequences=True)(inputs))
whole = np.asarray(model(x))
model.layers[1].reset_state()
steps = np.concatenate([np.asarray(model(x[:, t:t + 1])) for t in range(6)], axis=1)
# Another layer of the same configuration, on new lengths: nothing new to compile.
layers.LSTM(4)(x[:, :5])
compiled.clear()
for length in (1, 3, 7):
    layers.LSTM(4)(rng.random((3, length, 2), dtype=np.float32))
# (Only compiled loops and steps count: copying a new shape may still compile a little.)
loops = [m for m in compiled if m.startswith("Finished XLA") and ("step" in m or "scan" in m)]
print(json.dumps({"worst": worst, "stateful": float(np.abs(whole - steps).max()),
                  "loops_compiled_again": loops}))
"""


def test_eager_rnn_calls_on_jax_compile_a_step_once_and_match_keras_loop():
    """common.backend_fixes.step_eager_rnns_on_jax: LSTM, GRU and SimpleRNN called directly on
    JAX give Keras' own loop's numbers (every option lstm_shapes.py shows), a stateful layer
    fed step by step matches one call on the whole sequence, and a new layer of a known
    configuration compiles nothing, whatever the length."""
    result = subprocess.run([sys.executable, "-c", JAX_EAGER_RNN], cwd=ROOT,
                            env={**os.environ, "KERAS_BACKEND": "jax"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["worst"] < 1e-5 and found["stateful"] < 1e-5, found
    assert found["loops_compiled_again"] == [], found


JAX_WEIGHTS = """
import numpy as np

import common  # applies common.backend_fixes
import keras
from keras.src.backend.jax import random as jax_random

assert jax_random.uniform.draws_in_one_size and jax_random.normal.draws_in_one_size
same = True
for init in (keras.initializers.GlorotUniform(seed=3), keras.initializers.Orthogonal(seed=4),
             keras.initializers.RandomNormal(seed=5), keras.initializers.HeNormal(seed=6)):
    for shape in ((2, 32), (8, 32), (8, 1), (7, 3, 5)):
        if isinstance(init, keras.initializers.Orthogonal) and len(shape) != 2:
            continue
        fixed = np.asarray(init(shape))
        jax_random.uniform, jax_random.normal = (jax_random.uniform.__wrapped__,
                                                 jax_random.normal.__wrapped__)
        plain = np.asarray(init(shape))  # JAX's own draw of this shape
        common.backend_fixes.draw_weights_in_one_size_on_jax()
        same = same and np.array_equal(fixed, plain)
print("same" if same else "different")
"""


def test_weights_drawn_in_one_size_on_jax_are_the_same_numbers():
    """common.backend_fixes.draw_weights_in_one_size_on_jax: the first numbers of one large
    draw, reshaped, are bit for bit what JAX draws for the shape itself, for the
    initializers the scripts use (uniform and normal draws, seeded)."""
    result = subprocess.run([sys.executable, "-c", JAX_WEIGHTS], cwd=ROOT,
                            env={**os.environ, "KERAS_BACKEND": "jax"},
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "same"


def test_jax_reuses_compiled_programs_on_a_second_run(tmp_path):
    """common.cache_jax_programs: on JAX the tour's programs go to a cache folder under
    XDG_CACHE_HOME on the first run, a second run takes every one of them from there
    (docs/backends.md: that is most of the tour's time), and the results are the same."""
    env = {"KERAS_BACKEND": "jax", "XDG_CACHE_HOME": str(tmp_path / "cache"),
           "JAX_LOG_COMPILES": "1"}
    outside = {k: v for k, v in os.environ.items() if k != "JAX_COMPILATION_CACHE_DIR"}
    runs = []
    for n in (1, 2):
        metrics = tmp_path / f"run{n}.json"
        result = subprocess.run(
            [sys.executable, str(ROOT / "lstm_shapes.py"), "--quiet", "--metrics", str(metrics),
             "--plot", str(tmp_path / f"run{n}.png")],
            cwd=ROOT, env={**outside, **env}, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        runs.append((result.stderr, json.loads(metrics.read_text())))
        if n == 1:
            assert any((tmp_path / "cache" / "lstm-tutorials" / "jax").iterdir())
    (first_log, first), (second_log, second) = runs
    compiled = first_log.count("Finished XLA compilation")
    assert compiled > 20, first_log[-2000:]
    assert "Persistent compilation cache hit" not in first_log
    assert second_log.count("Persistent compilation cache hit") == compiled, second_log[-2000:]
    first.pop("seconds"), second.pop("seconds")
    assert first == second
