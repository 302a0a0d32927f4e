"""Training helpers: seeding, fit verbosity, timing, a metric, and callbacks.

``ResetStatesEvery`` is how this collection writes the Keras 2 loop::

    for sequence in sequences:             # hundreds of fit calls
        model.fit(X, y, epochs=1, shuffle=False)
        model.reset_states()

as one ``fit`` over all the windows, resetting the LSTM state every few batches.
"""

import math
import sys
import time

import keras


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic, so the
    same seed gives the same weights, batches and results on the CPU."""
    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def fit_verbosity(quiet: bool) -> int:
    """Keras ``verbose`` for fit: a live progress bar in a terminal, one line per epoch in a
    log file or CI, nothing with ``--quiet``."""
    if quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


def stateful_layers(model: keras.Model) -> list:
    """The layers of ``model`` (nested models and Bidirectional wrappers included) that keep
    state between batches."""
    found = []
    for layer in model._flatten_layers(include_self=False):
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
            found.append(layer)
    return found


def reset_model_state(model: keras.Model) -> None:
    """Zero the state of every stateful layer: what Keras 2's ``model.reset_states()`` did
    (Keras 3 models have no such method; each stateful layer has ``reset_state()``).

    Safe inside ``fit``/``predict`` callbacks on every backend. On JAX the loop keeps the
    variables' values in its own state and writes them back only at the end, so a plain
    ``reset_state()`` in a callback would be overwritten; ``jax_state_sync()`` writes them
    back now and makes the next batch read the variables again, zeros included.
    """
    if hasattr(model, "jax_state_sync"):
        model.jax_state_sync()
    for layer in stateful_layers(model):
        layer.reset_state()


class ResetStatesEvery(keras.callbacks.Callback):
    """Reset the model's stateful layers every ``n_batches`` batches.

    It acts in ``fit``, ``evaluate`` and ``predict`` alike, and also at the start of every
    epoch and of every evaluate/predict run. With ``n_batches=None`` it resets only then.
    Feed the data unshuffled (``shuffle=False``) so that consecutive batches are
    consecutive pieces of the same sequences. (On JAX, ``import common`` makes the state
    carry at all: see ``common.backend_fixes.carry_stateful_state_on_jax``.) With ``steps_per_execution``
    above 1, Keras calls batch callbacks once per execution, so ``n_batches`` then counts
    executions.
    """

    def __init__(self, n_batches: int | None = None):
        super().__init__()
        self.n_batches = n_batches
        self._batches = 0

    def _start(self, *_args, **_kwargs):
        reset_model_state(self.model)
        self._batches = 0

    def _after_batch(self, *_args, **_kwargs):
        self._batches += 1
        if self.n_batches and self._batches % self.n_batches == 0:
            reset_model_state(self.model)

    on_epoch_begin = on_test_begin = on_predict_begin = _start
    on_train_batch_end = on_test_batch_end = on_predict_batch_end = _after_batch


class TrainingCurve(keras.callbacks.Callback):
    """Record the loss and accuracy of every weight update.

    Keras logs means over the epoch so far, weighted by batch size. Undoing the averaging
    gives each batch's own value: with ``N_k`` samples seen after batch ``k``, its value is
    ``(N_k * mean_k - N_(k-1) * mean_(k-1)) / (N_k - N_(k-1))``. So the curve shows progress
    within a long single epoch too. Give ``samples`` and ``batch_size`` so that a smaller
    last batch is weighted right; without them all batches count as equal.
    """

    def __init__(self, names=("loss", "accuracy"), samples: int | None = None,
                 batch_size: int | None = None):
        super().__init__()
        self.names, self.samples, self.batch_size = names, samples, batch_size
        self.history = {name: [] for name in names}

    def _seen(self, batches: int) -> int:
        if self.samples and self.batch_size:
            return min(batches * self.batch_size, self.samples)
        return batches

    def on_epoch_begin(self, epoch, logs=None):
        self._means = {name: 0.0 for name in self.names}

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        seen, before = self._seen(batch + 1), self._seen(batch)
        for name in self.names:
            if name in logs:
                mean = float(logs[name])
                self.history[name].append((seen * mean - before * self._means[name]) / (seen - before))
                self._means[name] = mean


class Timer:
    """Seconds spent inside a ``with`` block: ``with Timer() as timer: model.fit(...)``,
    then ``timer.seconds``."""

    def __enter__(self):
        self.start = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc):
        self.seconds = time.perf_counter() - self.start
        return False


@keras.saving.register_keras_serializable(package="lstm_tutorials")
def sequence_accuracy(y_true, y_pred):
    """Keras metric: 1 for each sample whose predicted class is right at EVERY step, else 0.

    ``y_true`` holds class numbers, shape (batch, steps); ``y_pred`` class probabilities,
    shape (batch, steps, classes). Keras averages it, so it logs the share of whole
    sequences right (``sequence_accuracy``, and ``val_sequence_accuracy`` on the validation
    data), where Keras' own ``accuracy`` counts single steps. The sample's value is repeated
    at each of its steps, so a mask (``Masking``) can weigh steps as Keras does for its own
    metrics; registered, so a saved model that was compiled with it loads again.
    """
    ops = keras.ops
    predicted = ops.argmax(y_pred, axis=-1)
    right = ops.equal(ops.cast(predicted, "int32"), ops.cast(y_true, "int32"))
    whole = ops.all(right, axis=-1, keepdims=True)
    return ops.cast(ops.broadcast_to(whole, ops.shape(right)), "float32")


class StopAtTarget(keras.callbacks.Callback):
    """Stop training as soon as ``logs[monitor]`` reaches ``target`` at the end of an epoch.

    Give ``fit`` a generous ``epochs`` budget and validation data: training stops at the
    target instead of at a fixed count. Afterwards ``reached`` says whether it got there,
    ``epochs_run`` how many epochs ran and ``best`` the best value seen. An epoch whose loss
    is NaN or infinite stops training (``diverged``): nothing after it can learn.
    """

    def __init__(self, monitor: str, target: float):
        super().__init__()
        self.monitor, self.target = monitor, target
        self.reached, self.diverged, self.diverged_loss = False, False, None
        self.epochs_run, self.best = 0, -math.inf

    def on_train_begin(self, logs=None):
        self.reached, self.diverged, self.diverged_loss = False, False, None
        self.epochs_run, self.best = 0, -math.inf

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_run = epoch + 1
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.diverged, self.diverged_loss = True, float(loss)
            self.model.stop_training = True
            return
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise KeyError(f"StopAtTarget: no {self.monitor!r} in the logs "
                           f"({', '.join(sorted(logs or {}))}); pass validation data to fit")
        self.best = max(self.best, float(value))
        if float(value) >= self.target:
            self.reached = True
            self.model.stop_training = True


@keras.saving.register_keras_serializable(package="lstm_tutorials")
class MinPositionAccuracy(keras.metrics.Metric):
    """Keras metric: the accuracy of the WORST output step, for targets of shape (batch, steps).

    It counts the right predictions at each step over the whole epoch (or validation set)
    and reports the lowest of those per-step accuracies, so ``val_min_position_accuracy``
    >= 0.99 means "99% right at every position". Keras' own ``accuracy`` averages the steps,
    so one hopeless step among ten would still read 90%. A model compiled with it loads with
    ``keras.saving.load_model`` once this module is imported (or with ``compile=False``).
    """

    def __init__(self, steps: int, name: str = "min_position_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.steps = steps
        self.right = self.add_variable(shape=(steps,), initializer="zeros", name="right")
        self.seen = self.add_variable(shape=(), initializer="zeros", name="seen")

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        right = ops.cast(ops.equal(predicted, ops.cast(y_true, "int32")), "float32")
        self.right.assign_add(ops.sum(right, axis=0))
        self.seen.assign_add(ops.cast(ops.shape(right)[0], "float32"))

    def result(self):
        return keras.ops.min(self.right / keras.ops.maximum(self.seen, 1.0))

    def reset_state(self):
        self.right.assign(keras.ops.zeros((self.steps,)))
        self.seen.assign(0.0)

    def get_config(self):
        return {**super().get_config(), "steps": self.steps}
