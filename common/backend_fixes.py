"""Work-arounds for Keras bugs on one backend, applied when ``common`` is imported.

A tutorial script should teach Keras, not a backend's bug, so the fixes live here, out of
the scripts' sight, each with the upstream issue it works around and when it can go. Each
one has a canary in ``tests/test_upstream_canaries.py``: it runs the bug's smallest case
without the fix and fails, saying which fix to delete, the day an installed Keras release
no longer has the bug.

- PyTorch, stateful LSTM/GRU training (:func:`copy_rnn_initial_state_on_torch`).
- Warnings from inside Keras (and PyTorch) a reader cannot act on (:func:`filter_warnings`).
- JAX, ``fit``/``evaluate``/``predict`` not carrying stateful layers' state, and
  ignoring a ``reset_state()`` made by a callback (:func:`carry_stateful_state_on_jax`).
- JAX, a layer called directly (``lstm(x)``, ``model(x)``) compiling its recurrent loop anew
  at every call (:func:`step_eager_rnns_on_jax`), and every new weight shape compiling a
  random-number program of its own (:func:`draw_weights_in_one_size_on_jax`): not wrong
  results, slow ones.
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


def _stateful_rnns(model) -> list:
    """The RNN layers of ``model`` (nested models and Bidirectional wrappers included) that
    keep state between batches."""
    return [layer for layer in model._flatten_layers(include_self=False)
            if isinstance(layer, keras.layers.RNN) and getattr(layer, "stateful", False)]


def _track_states(model, track: bool) -> None:
    """Make the state variables of ``model``'s stateful RNNs tracked (``track=True``), so
    that they are among ``model.non_trainable_variables``, or untracked again."""
    for layer in _stateful_rnns(model):
        tracked = {id(v) for v in layer.non_trainable_variables}
        layer._tracker.unlock()
        for variable in layer.states or []:
            if track != (id(variable) in tracked):
                (layer._track_variable if track else layer._untrack_variable)(variable)
        layer._tracker.lock()


# The models whose fit/evaluate/predict is running now (fit runs evaluate for its
# validation data inside itself: the outer call tracks the state).
_RUNNING: set = set()


def _carrying_state(method):
    """Wrap a JAX trainer's ``fit``/``evaluate``/``predict`` so that, while it runs, the
    model's stateful RNN state variables are tracked (and so carried by the jitted steps
    from batch to batch, and written back at the end)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        if self in _RUNNING:
            return method(self, *args, **kwargs)
        _RUNNING.add(self)
        _track_states(self, True)
        try:
            return method(self, *args, **kwargs)
        finally:
            _RUNNING.discard(self)
            # Untracked again, the state stays out of get_weights() and saved files, as on
            # the other backends.
            _track_states(self, False)

    wrapper.carries_state = True
    return wrapper


def _syncing_reset_state(reset_state):
    """Wrap ``RNN.reset_state`` so that, called from a callback while a JAX ``fit``,
    ``evaluate`` or ``predict`` runs, it first writes the loop's current values back to the
    variables (``jax_state_sync``): the loop then reads the variables again at the next
    batch, the zeroed state included, instead of overwriting them."""

    @functools.wraps(reset_state)
    def wrapper(self, *args, **kwargs):
        for model in list(_RUNNING):
            model.jax_state_sync()
        return reset_state(self, *args, **kwargs)

    wrapper.syncs_jax_state = True
    return wrapper


def carry_stateful_state_on_jax() -> None:
    """Let stateful RNN layers carry and reset their state in ``fit``, ``evaluate`` and
    ``predict`` on JAX, as they do on TensorFlow and PyTorch (Keras 3.15.1 at least).

    The bug: an RNN layer creates its state variables untracked, so they are not among the
    model's ``non_trainable_variables``. JAX's jitted steps thread only tracked variables
    from batch to batch, so on JAX every batch reads the state as it was when the step was
    traced (zeros, unless set before), the state is never written back, and a
    ``layer.reset_state()`` from a callback changes nothing the next batch sees. Calling
    the model directly, ``model(x)``, carries the state as it should.

    The fix: while ``fit``/``evaluate``/``predict`` runs, the state variables are tracked
    (untracked again afterwards, so ``get_weights()`` and saved files are as on the other
    backends); and ``RNN.reset_state`` first asks a running loop to write its values back
    (``jax_state_sync``), which makes the loop read the variables again at the next batch.
    A reset callback in a script is then plain Keras: ``layer.reset_state()``.

    When it can go: when ``tests/test_upstream_canaries.py::test_jax_fit_and_predict_carry_stateful_state``
    fails with "upstream fixed", on the oldest Keras that ``requirements.txt`` allows.
    """
    if keras.backend.backend() != "jax":
        return
    from keras.src.backend.jax.trainer import JAXTrainer

    for name in ("fit", "evaluate", "predict"):
        method = getattr(JAXTrainer, name)
        if not getattr(method, "carries_state", False):
            setattr(JAXTrainer, name, _carrying_state(method))
    if not getattr(keras.layers.RNN.reset_state, "syncs_jax_state", False):
        keras.layers.RNN.reset_state = _syncing_reset_state(keras.layers.RNN.reset_state)


# Eager RNN calls on JAX whose cell step is compiled once per cell configuration (the
# compiled steps, by cell class, config, weight shapes and training flag).
_COMPILED_STEPS: dict = {}
_MAX_STEPPED = 1000  # longer sequences take the compiled loop: its compile costs less


def _is_traced(tree) -> bool:
    import jax

    return any(isinstance(leaf, jax.core.Tracer) for leaf in jax.tree_util.tree_leaves(tree))


def _compiled_step(cell, training: bool):
    """One jitted step of ``cell`` as a function of (weights, inputs, states), shared by every
    cell with the same class, config and weight shapes (the weights are arguments, not
    constants, so one compiled step serves them all; JAX compiles it again per input
    shape)."""
    import json

    import jax
    from keras.src.backend.common.stateless_scope import StatelessScope

    config = {k: v for k, v in cell.get_config().items() if k != "name"}
    key = (type(cell), json.dumps(config, sort_keys=True, default=str), training,
           tuple((tuple(v.shape), str(v.dtype)) for v in cell.variables))
    if key not in _COMPILED_STEPS:
        variables = list(cell.variables)

        def step(values, inputs, states):
            with StatelessScope(state_mapping=list(zip(variables, values))):
                output, new_states = cell(inputs, states, training=training)
            return output, list(new_states) if isinstance(new_states, (list, tuple)) else [new_states]

        _COMPILED_STEPS[key] = jax.jit(step)
    return _COMPILED_STEPS[key]


def _steps_eagerly(layer, sequences, initial_state, mask, training) -> bool:
    """Whether an RNN call takes the compiled step (see :func:`_stepping_eagerly`)."""
    from keras.src.backend.common.stateless_scope import in_stateless_scope

    cell = layer.cell
    return not (
        type(layer) not in (keras.layers.LSTM, keras.layers.GRU, keras.layers.SimpleRNN)
        or mask is not None or layer.unroll or in_stateless_scope()
        or len(sequences.shape) != 3 or not 0 < sequences.shape[1] <= _MAX_STEPPED
        or (training and (getattr(cell, "dropout", 0) or getattr(cell, "recurrent_dropout", 0)))
        or _is_traced((sequences, initial_state, [v.value for v in cell.variables])))


def _reading_numpy(call):
    """Wrap ``RNN.call`` so that a call that takes the compiled step reads its input as a
    NumPy array: Keras slices the first step of it before the loop, which on a JAX array
    compiles a program for every new input shape."""

    @functools.wraps(call)
    def wrapper(self, sequences, initial_state=None, mask=None, training=False):
        if _steps_eagerly(self, sequences, initial_state, mask, training):
            import numpy as np

            sequences = np.asarray(sequences)
        return call(self, sequences, initial_state=initial_state, mask=mask, training=training)

    wrapper.reads_numpy = True
    return wrapper


def _stepping_eagerly(inner_loop):
    """Wrap an RNN class's ``inner_loop`` so that, called eagerly on JAX, it runs the
    compiled step of :func:`_compiled_step` once per time step from Python; traced calls
    (``fit``, ``predict``, a jitted function), masks, ``unroll``, dropout in training and
    long sequences take Keras' own loop."""

    @functools.wraps(inner_loop)
    def wrapper(self, sequences, initial_state, mask, training=False):
        import numpy as np

        cell = self.cell
        if not _steps_eagerly(self, sequences, initial_state, mask, training):
            return inner_loop(self, sequences, initial_state, mask, training=training)
        step = _compiled_step(cell, bool(training))
        values = [v.value for v in cell.variables]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        # Slicing and stacking in NumPy: as JAX operations each new index or length would
        # compile a program of its own.
        steps = np.asarray(sequences)
        outputs = []
        for t in (reversed if self.go_backwards else iter)(range(steps.shape[1])):
            output, states = step(values, steps[:, t], states)
            outputs.append(output)
        # As Keras' loop returns them: the outputs in the order read, the last one read.
        if self.return_sequences:
            stacked = np.stack([np.asarray(output) for output in outputs], axis=1)
        else:
            stacked = np.asarray(outputs[-1])[:, None]
        return outputs[-1], keras.ops.convert_to_tensor(stacked), states

    wrapper.steps_eagerly = True
    return wrapper


def step_eager_rnns_on_jax() -> None:
    """Make a recurrent layer called directly on JAX (``lstm(x)``, ``model(x)``, not in
    ``fit``/``predict``) cost a compiled step per new cell shape, not a compiled loop per
    call (Keras 3.15.1 with JAX 0.10 at least).

    The cost: called eagerly, Keras' JAX ``rnn`` runs a ``lax.scan`` over a step function
    it builds anew at every call, so JAX traces and compiles the whole loop every time,
    even for the same layer on the same shape: about 0.3 s per call on one CPU core.
    lstm_shapes.py, which calls LSTMs directly 41 times to show their shapes, took 20 s on
    JAX against 1.6 s on TensorFlow; a feedback loop calling ``model(step)`` pays it at
    every step. Nothing is wrong but the wait.

    The fix: for the built-in ``LSTM``, ``GRU`` and ``SimpleRNN``, an eager call runs the
    cell one step at a time from Python through a jitted step that takes the weights as
    arguments, so it compiles once per cell configuration and input shape and every later
    call, of any length and by any layer of that configuration, reuses it. The step is the
    same cell computation the loop runs (outputs agree to float32 rounding), and such a
    call reads its input as a NumPy array, so that Keras' slicing of its first step compiles
    nothing either. Everything
    traced (``fit``, ``evaluate``, ``predict``, a user's ``jax.jit``) and masks,
    ``unroll=True``, dropout in training and sequences over 1000 steps keep Keras' loop.

    When it can go: when ``tests/test_upstream_canaries.py::test_jax_eager_rnn_compiles_every_call``
    fails with "upstream fixed".
    """
    if keras.backend.backend() != "jax":
        return
    for layer_class in (keras.layers.RNN, keras.layers.LSTM, keras.layers.GRU):
        inner_loop = layer_class.__dict__["inner_loop"]
        if not getattr(inner_loop, "steps_eagerly", False):
            layer_class.inner_loop = _stepping_eagerly(inner_loop)
    if not getattr(keras.layers.RNN.call, "reads_numpy", False):
        keras.layers.RNN.call = _reading_numpy(keras.layers.RNN.call)


_ONE_SIZE = 2**16  # random draws up to this many numbers share one compiled program


def _drawing_in_one_size(draw):
    """Wrap the JAX backend's ``uniform``/``normal`` so that an eager draw of up to
    ``_ONE_SIZE`` numbers draws ``_ONE_SIZE`` of them and keeps the first ones, reshaped."""

    @functools.wraps(draw)
    def wrapper(shape, *args, **kwargs):
        import math

        import jax
        import numpy as np

        from keras.src.backend.common.stateless_scope import in_stateless_scope

        count = math.prod(int(n) for n in shape)
        seed = kwargs.get("seed", args[-1] if len(args) == 4 else None)
        state = getattr(getattr(seed, "state", None), "value", None)  # a SeedGenerator's
        if count > _ONE_SIZE or in_stateless_scope() or _is_traced((args, kwargs, state)):
            return draw(shape, *args, **kwargs)
        first = np.asarray(draw((_ONE_SIZE,), *args, **kwargs))[:count]
        return jax.numpy.asarray(first.reshape(tuple(shape)))

    wrapper.draws_in_one_size = True
    return wrapper


def draw_weights_in_one_size_on_jax() -> None:
    """Make a new weight shape cost no compilation on JAX (JAX 0.10 at least).

    The cost: Keras initializes weights with ``jax.random.uniform``/``normal``, which JAX
    compiles for each shape, and compiling its random-number generator (threefry) is slow:
    in lstm_shapes.py, whose 16 small layers have 7 weight shapes, the initializers took
    about half of the tour's time on JAX. Training scripts pay it once per model.

    The fix: with JAX's default generator (threefry, ``jax_threefry_partitionable``), the
    i-th number a key draws does not depend on how many are drawn, so the first n of a draw
    of ``_ONE_SIZE`` numbers, reshaped, are the very numbers of a draw of that shape (checked
    bit for bit in ``tests/test_backends.py``). Draws up to that size take the one compiled
    size; larger draws, draws inside ``fit`` or a ``jax.jit``, and any other generator are
    left alone. The weights, and so every result, stay what they were.

    When it can go: when JAX compiles a draw fast enough that lstm_shapes.py on JAX stays
    within twice TensorFlow's time without it (``python benchmarks/run.py --backend-table
    --scripts lstm_shapes``).
    """
    if keras.backend.backend() != "jax":
        return
    import jax
    from keras.src.backend.jax import random as jax_random

    if not (jax.config.jax_threefry_partitionable
            and jax.config.jax_default_prng_impl == "threefry2x32"):
        return
    for name in ("uniform", "normal"):
        draw = getattr(jax_random, name)
        if not getattr(draw, "draws_in_one_size", False):
            setattr(jax_random, name, _drawing_in_one_size(draw))


def apply() -> None:
    """Apply every fix for the current backend (idempotent)."""
    filter_warnings(KERAS_WARNINGS)
    if keras.backend.backend() == "torch":
        filter_warnings(TORCH_WARNINGS)
        copy_rnn_initial_state_on_torch()
    carry_stateful_state_on_jax()
    step_eager_rnns_on_jax()
    draw_weights_in_one_size_on_jax()


apply()
