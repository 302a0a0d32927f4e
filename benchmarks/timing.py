"""How the original recipes are timed: a loop of ``fit`` calls, or the same updates as one ``fit``.

Both take the same share of the recipe's work (``fraction``), time it, and extrapolate to the
whole recipe. The first call (or the first batch of the one ``fit``) traces and compiles the
training step; it is counted once, and the steady cost of the rest is extrapolated linearly
(every later call, or batch, does the same work). So a short timed share neither multiplies
the tracing cost nor hides it.

Plain Keras only (``import common`` in each original applies the backend work-arounds): a
stateful layer's state is reset with ``layer.reset_state()``, as the tutorials did with
Keras 2's ``model.reset_states()``.
"""

import time

import keras


def stateful_layers(model) -> list:
    """The model's stateful layers (the originals' models are flat: no nesting)."""
    return [layer for layer in model.layers if getattr(layer, "stateful", False)]


def reset_states(model) -> None:
    """Keras 2's ``model.reset_states()``."""
    for layer in stateful_layers(model):
        layer.reset_state()


def calls_for(fraction: float, calls_full: int) -> int:
    """The fit calls (or sequences) a share of the recipe runs: at least 2, so that the first
    (tracing) one can be told from the steady ones; at most all of them."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    return min(calls_full, max(2, round(fraction * calls_full)))


class ResetEvery(keras.callbacks.Callback):
    """Reset the stateful layers after every ``n_batches`` batches of fit and predict: the
    loop's reset after each call, inside one ``fit``."""

    def __init__(self, n_batches: int):
        super().__init__()
        self.n_batches, self.seen = n_batches, 0

    def on_train_begin(self, logs=None):
        self.seen = 0
        reset_states(self.model)

    on_predict_begin = on_train_begin

    def on_train_batch_end(self, batch, logs=None):
        self.seen += 1
        if self.seen % self.n_batches == 0:
            reset_states(self.model)

    on_predict_batch_end = on_train_batch_end


class BatchClock(keras.callbacks.Callback):
    """When the first and the last training batch ended, and how many there were."""

    def __init__(self):
        super().__init__()
        self.first = self.last = None
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.last = time.perf_counter()
        self.first = self.first or self.last
        self.batches += 1


def time_loop(fit_call, calls: int, calls_full: int) -> dict:
    """Run ``fit_call(i)`` for i in range(calls), each timed; extrapolate to ``calls_full``
    calls: the first call once, the mean of the others for the rest."""
    seconds = []
    for i in range(calls):
        start = time.perf_counter()
        fit_call(i)
        seconds.append(time.perf_counter() - start)
    steady = sum(seconds[1:]) / (len(seconds) - 1) if len(seconds) > 1 else seconds[0]
    return {"fit_calls": calls, "fit_calls_full": calls_full, "train_seconds": sum(seconds),
            "first_call_seconds": seconds[0],
            "train_seconds_full": seconds[0] + steady * (calls_full - 1)}


def time_one_fit(model, x, y, batches_full: int, **fit_kwargs) -> dict:
    """Time ``model.fit(x, y, **fit_kwargs)`` and extrapolate to ``batches_full`` batches:
    everything measured (tracing, the set-up and end of ``fit``), plus the steady cost of a
    batch (from the first batch's end to the last's) for each batch not run."""
    clock = BatchClock()
    fit_kwargs["callbacks"] = [*fit_kwargs.get("callbacks", []), clock]
    start = time.perf_counter()
    model.fit(x, y, verbose=0, **fit_kwargs)
    seconds = time.perf_counter() - start
    steady = (clock.last - clock.first) / max(1, clock.batches - 1)
    return {"batches": clock.batches, "batches_full": batches_full, "train_seconds": seconds,
            "first_batch_seconds": clock.first - start,
            "train_seconds_full": seconds + steady * (batches_full - clock.batches)}


def sequence_accuracy(y_true, y_pred) -> float:
    """Share of samples right at every step (one-hot or softmax arrays, steps on axis 1)."""
    return float((y_true.argmax(-1) == y_pred.argmax(-1)).all(axis=1).mean())


def main(run, default_fraction: float, one_fit: bool = True) -> None:
    """The command line of an original: --fraction, --seed, and --one-fit where it has a
    one-fit version; prints run's result as JSON."""
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description=sys.modules["__main__"].__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=float, default=default_fraction,
                        help=f"share of the recipe to run and time (default: {default_fraction}; "
                             "1: all of it, and its held-out accuracy where it has one)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    if one_fit:
        parser.add_argument("--one-fit", action="store_true",
                            help="the same recipe as one fit call instead of the loop")
    args = parser.parse_args()
    args.one_fit = getattr(args, "one_fit", False)
    if not 0 < args.fraction <= 1:
        parser.error(f"argument --fraction: must be in (0, 1], got {args.fraction}")
    print(json.dumps(run(args.fraction, args.seed, one_fit=args.one_fit), indent=2))
