"""Work-arounds for Keras bugs on one backend, applied when ``common`` is imported.

A tutorial script should teach Keras, not a backend's bug, so the fixes live here, out of
the scripts' sight, each with the upstream issue it works around and when it can go. Each
one has a canary in ``tests/test_upstream_canaries.py``: it runs the bug's smallest case
without the fix and fails, saying which fix to delete, the day an installed Keras release
no longer has the bug.

- PyTorch, stateful LSTM/GRU training (:func:`copy_rnn_initial_state_on_torch`).
- Warnings from inside Keras (and PyTorch) a reader cannot act on (:func:`filter_warnings`).
- JAX ``fit``/``predict`` not carrying stateful state: that one needs the model, so it is
  ``common.training.track_state_variables``, used by ``ResetStatesEvery``.
"""

import functools
import warnings

import keras

# Warnings that come from inside Keras, not from anything a reader wrote: (start of the
# message, category, module that triggers it). Each is filtered by its own message only, so
# every other warning still shows.
KERAS_WARNINGS = (
    # NumPy 2 deprecates objects whose __array__ takes no `copy` argument, as Keras'
    # variables (on every backend: get_weights, saving, callbacks that read weights) and
    # PyTorch 2.13's tensors (at every predict) do. (Shown only when deprecation warnings are
    # turned on, as the tests do.)
    ("__array__ implementation doesn't accept a copy keyword", DeprecationWarning, r"keras\."),
)
TORCH_WARNINGS = (
    # On CUDA, Keras hands cuDNN an LSTM's weights as separate tensors (it transposes the
    # Keras kernels at every call), so PyTorch warns at every call that it has to compact
    # them first. Nothing in the model can change that; it costs one copy.
    ("RNN module weights are not part of single contiguous chunk of memory", UserWarning, ""),
)


def filter_warnings(table) -> None:
    """Hide the warnings in ``table``, matched by message (and module)."""
    for message, category, module in table:
        warnings.filterwarnings("ignore", message=message, category=category, module=module)


def _copying_initial_state(rnn_function, n_states: int):
    """Wrap the torch backend's fused ``lstm``/``gru`` so that they compute from copies of
    their initial states."""

    @functools.wraps(rnn_function)
    def wrapper(inputs, *args, **kwargs):
        states = [keras.ops.copy(state) for state in args[:n_states]]
        return rnn_function(inputs, *states, *args[n_states:], **kwargs)

    wrapper.copies_initial_state = True
    return wrapper


def copy_rnn_initial_state_on_torch() -> None:
    """Let stateful ``LSTM`` and ``GRU`` layers train on PyTorch (Keras 3.14 to 3.15.1 at
    least).

    The bug, keras-team/keras#20875 back again: a stateful layer starts each call from its
    state variable and, after the call, writes the new state into that same tensor in
    place. Autograd saved the old tensor for the backward pass, so ``backward()`` fails
    with "one of the variables needed for gradient computation has been modified by an
    inplace operation". Keras 3.0 fixed it (#20916) by copying the state in the generic
    RNN loop, but Keras 3.14 (#22470, LSTM) and 3.15 (#22913, GRU) send these layers
    through the fused ``keras.src.backend.torch.rnn.lstm``/``gru`` instead (``_fallback_lstm``
    on the CPU, cuDNN on CUDA), which skip that copy. #23464 fixes the CUDA path in a
    later release.

    The fix: the layers call the fused function as ``backend.lstm``/``backend.gru``; we
    put a wrapper there that passes copies of the initial states, the copy #20916 made. A
    copy of a (batch, units) tensor per call costs nothing measurable, gradients flow
    through it as before, and the layers still take their fast path. Nothing changes on
    TensorFlow or JAX.

    When it can go: when ``tests/test_upstream_canaries.py::test_torch_stateful_backward``
    fails with "upstream fixed", on the oldest Keras that ``requirements.txt`` allows.
    """
    if keras.backend.backend() != "torch":
        return
    from keras.src import backend

    for name, n_states in (("lstm", 2), ("gru", 1)):
        function = getattr(backend, name)
        if not getattr(function, "copies_initial_state", False):
            setattr(backend, name, _copying_initial_state(function, n_states))


def apply() -> None:
    """Apply every fix for the current backend (idempotent)."""
    filter_warnings(KERAS_WARNINGS)
    if keras.backend.backend() == "torch":
        filter_warnings(TORCH_WARNINGS)
        copy_rnn_initial_state_on_torch()


apply()
