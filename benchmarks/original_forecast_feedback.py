"""The question's forecasting recipe (seed 002), as it was written, ported to Keras 3.

Windows of ``look_back = 3`` values labelled with the value after each, a stateful LSTM(4)
built for batch 1 and a Dense(1), mean squared error and Adam, trained by a Python loop of
100 ``fit(epochs=1, batch_size=1, shuffle=False)`` calls with a state reset after each.
Only what Keras 3 requires changed: ``keras.Input(batch_shape=...)`` instead of
``batch_input_shape=``, ``epochs`` instead of ``nb_epoch``, and a ``reset_state()`` per
stateful layer instead of ``model.reset_states()``. The data are forecast_feedback.py's
training series (1000 series of 60 values, 57,000 windows) instead of the question's one
series.

At batch 1 the whole loop is 5.7 million weight updates (hours on 2 CPU cores), so ``run``
times the first ``fraction`` of them, as the start of the first call, and extrapolates: the
first update (which traces the step) once, the steady cost of an update for the rest.
``train_seconds_full`` is the estimate for all 100 calls; it leaves out the set-up of the 99
later calls, a few seconds against hours. For the same reason there is no one-fit version
to time: with 57,000 updates per call, the loop costs nothing measurable here, and all of the
speed-up is the recipe's (batch 1, and a window model instead of the feedback).

    python benchmarks/original_forecast_feedback.py --fraction 0.0002
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for common/

import common  # noqa: E402,F401  (first: quiets TensorFlow, applies the backend fixes)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from benchmarks.timing import reset_states, time_one_fit  # noqa: E402
from common.data import TRAIN, make_rng  # noqa: E402

FIT_CALLS, LOOK_BACK, UNITS, BATCH = 100, 3, 4, 1
SERIES, LENGTH, NOISE = 1000, 60, 0.05  # forecast_feedback.py's defaults


def make_windows(rng):
    """forecast_feedback.py's training series, cut into (3 values -> the next one) windows."""
    t = np.arange(LENGTH)
    period = rng.uniform(8, 40, size=(SERIES, 2, 1))
    phase = rng.uniform(0, 2 * np.pi, size=(SERIES, 2, 1))
    amplitude = rng.uniform(0.2, 1.0, size=(SERIES, 2, 1))
    series = (amplitude * np.sin(2 * np.pi * t / period + phase)).sum(axis=1)
    series = (series + NOISE * rng.standard_normal((SERIES, LENGTH))).astype("float32")
    windows = np.lib.stride_tricks.sliding_window_view(series, LOOK_BACK + 1, axis=1)
    windows = windows.reshape(-1, LOOK_BACK + 1)
    return windows[:, :-1, None], windows[:, -1:]


def run(fraction: float = 0.0002, seed: int = 7, one_fit: bool = False) -> dict:
    if one_fit:
        raise ValueError("forecast_feedback has no one-fit version: its loop of 100 calls of "
                         "57,000 updates each costs nothing measurable beside the updates")
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    keras.utils.set_random_seed(seed)
    x, y = make_windows(make_rng(seed, TRAIN))
    inputs = keras.Input(batch_shape=(BATCH, LOOK_BACK, 1))  # Keras 2: batch_input_shape
    hidden = layers.LSTM(UNITS, stateful=True)(inputs)
    model = keras.Model(inputs, layers.Dense(1)(hidden))
    model.compile(loss="mean_squared_error", optimizer="adam")

    updates_full = FIT_CALLS * len(x)
    updates = max(2, min(len(x), round(fraction * updates_full)))
    timing = time_one_fit(model, x[:updates], y[:updates], updates_full, epochs=1,
                          batch_size=BATCH, shuffle=False)
    reset_states(model)  # Keras 2: model.reset_states()
    return {"task": "forecast_feedback", "recipe": f"original ({FIT_CALLS} fit calls, batch 1)",
            "calls": updates / len(x), "calls_full": FIT_CALLS, **timing, "accuracy": None}


if __name__ == "__main__":
    from benchmarks.timing import main

    main(run, default_fraction=0.0002, one_fit=False)
