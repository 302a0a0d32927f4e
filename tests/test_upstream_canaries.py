"""Canaries: one per upstream Keras bug that this collection works around.

Each test runs the bug's smallest case in a fresh Python, on the bug's backend and
*without* our work-around (it never imports ``common``), and reads what the installed Keras
does:

- bug still there: the test is reported as xfail ("x" in the summary, with the Keras
  version and the work-around that is still needed); the suite passes;
- bug gone: the test FAILS with "upstream fixed: ..." naming the work-around to delete
  (after raising the Keras floor in requirements.txt to a release without the bug);
- anything else (the smallest case crashes another way): the test fails with the output.

So the day a Keras release fixes a bug, the suite says so, and which code can go.
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT


def probe(backend: str, code: str) -> dict:
    """Run ``code`` with ``KERAS_BACKEND=backend`` in a fresh Python and return the JSON
    object it printed last. JAX's persistent compilation cache is off: a program it loads
    from disk is not compiled, and the JAX canary counts compiles."""
    env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "3",
           "JAX_ENABLE_COMPILATION_CACHE": "false"}
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(found: dict, bug: str, workaround: str) -> None:
    """xfail while any symptom in ``found`` (name -> still there?) remains; fail once none
    does, saying which work-around can go."""
    keras = found.pop("keras")
    present = [name for name, there in found.items() if there]
    if present:
        pytest.xfail(f"{bug} still present in keras {keras} ({'; '.join(present)}): "
                     f"{workaround} is still needed")
    pytest.fail(f"upstream fixed: keras {keras} no longer has {bug}. Remove {workaround} once "
                f"requirements.txt asks for keras>={keras}, and delete this canary.")


JAX_STATE = """
    import json
    import numpy as np
    import keras

    inputs = keras.Input(batch_shape=(1, 1, 1))
    model = keras.Model(inputs, keras.layers.LSTM(3, stateful=True)(inputs))
    lstm = model.layers[1]
    steps = np.array([0.5, -1.0], dtype="float32").reshape(2, 1, 1)

    def state():
        return keras.ops.convert_to_numpy(lstm.states[0].value)[0]

    # What carrying the state means: calling the model directly carries it.
    direct = [keras.ops.convert_to_numpy(model(step[None]))[0] for step in steps]
    lstm.reset_state()
    predicted = model.predict(steps, batch_size=1, verbose=0)
    after_predict = state()
    lstm.reset_state()
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    model.fit(steps, np.zeros((2, 3)), batch_size=1, shuffle=False, verbose=0)
    after_fit = state()
    print(json.dumps({
        "keras": keras.__version__,
        "predict does not carry state between batches":
            not np.allclose(predicted[1], direct[1], atol=1e-5),
        "predict does not write the state back": not np.allclose(after_predict, direct[1], atol=1e-5),
        "fit does not write the state back": bool(np.all(after_fit == 0)),
    }))
"""


def test_jax_fit_and_predict_carry_stateful_state():
    """Keras on JAX runs ``fit``/``predict`` as jitted steps that thread only *tracked*
    variables; a stateful RNN's state variables are untracked, so every batch starts from
    a zero state and the final state is never written back (seen on Keras 3.15.1; no
    upstream issue filed from here). Work-around:
    ``common.backend_fixes.carry_stateful_state_on_jax``, applied by ``import common``."""
    found = probe("jax", JAX_STATE)
    report(found, "JAX fit/predict ignoring stateful RNN state",
           "common.backend_fixes.carry_stateful_state_on_jax")


TORCH_BACKWARD = """
    import json
    import torch
    import keras

    def fails(layer_class, device):
        with keras.device(device):
            layer = layer_class(5, stateful=True)
            inputs = torch.randn(2, 3, 4)
            try:
                for _ in range(2):  # the second backward pass meets the state written in place
                    layer(inputs).sum().backward()
            except RuntimeError as error:
                if "modified by an inplace operation" in str(error):
                    return True
                raise
        return False

    found = {"keras": keras.__version__}
    for device in ["cpu"] + (["cuda"] if torch.cuda.is_available() else []):
        for layer_class in (keras.layers.LSTM, keras.layers.GRU):
            found[f"stateful {layer_class.__name__} backward fails on {device}"] = fails(
                layer_class, device)
    print(json.dumps(found))
"""


@pytest.mark.skipif(importlib.util.find_spec("torch") is None,
                    reason="PyTorch is not installed (pip install -r requirements-torch.txt)")
def test_torch_stateful_backward():
    """keras-team/keras#20875 again: on PyTorch (Keras 3.14+ on the CPU; GRU since 3.15) a
    stateful LSTM/GRU writes its new state in place into the tensor autograd saved, so the
    second ``backward()`` fails with "modified by an inplace operation". #23464 (not in a
    release as of 2026-11) fixes the CUDA path. This canary tries the CPU, and CUDA where
    there is a GPU; the bug counts as gone only when it is gone on both. Work-around: ``common.backend_fixes.copy_rnn_initial_state_on_torch``."""
    found = probe("torch", TORCH_BACKWARD)
    report(found, "keras-team/keras#20875 (torch stateful RNN backward, in-place state)",
           "common.backend_fixes.copy_rnn_initial_state_on_torch")


JAX_EAGER_LOOP = """
    import json
    import logging

    import jax
    import numpy as np
    import keras

    jax.config.update("jax_log_compiles", True)
    compiled = []
    handler = logging.Handler()
    handler.emit = lambda record: compiled.append(record.getMessage())
    logging.getLogger("jax").addHandler(handler)

    lstm = keras.layers.LSTM(3)
    x = np.ones((2, 4, 1), dtype="float32")
    lstm(x)
    compiled.clear()
    lstm(x)  # the same layer on the same shape again
    print(json.dumps({
        "keras": keras.__version__,
        "an eager LSTM call compiles its loop again": any(
            m.startswith("Finished XLA") and "scan" in m for m in compiled),
    }))
"""


def test_jax_eager_rnn_compiles_every_call():
    """Not a wrong result, a slow one: called directly on JAX (not in ``fit``/``predict``),
    Keras' ``rnn`` builds a new step function at every call, so JAX compiles its whole
    ``lax.scan`` again each time, even for the same layer and shape (about 0.3 s on one CPU
    core; seen on Keras 3.15.1 with JAX 0.10.2). Work-around:
    ``common.backend_fixes.step_eager_rnns_on_jax``, applied by ``import common``."""
    found = probe("jax", JAX_EAGER_LOOP)
    report(found, "JAX eager RNN calls compiling their loop at every call",
           "common.backend_fixes.step_eager_rnns_on_jax")
