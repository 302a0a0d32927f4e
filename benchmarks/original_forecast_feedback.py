"""The question's forecasting recipe (seed 002), as it was written, ported to Keras 3.

Windows of ``look_back = 3`` values labelled with the value after each, a stateful LSTM(4)
built for batch 1 and a Dense(1), mean squared error and Adam, trained by a Python loop of
100 ``fit(epochs=1, batch_size=1, shuffle=False)`` calls with a state reset after each.
Only what Keras 3 requires changed: ``keras.Input(batch_shape=...)`` instead of
``batch_input_shape=``, ``epochs`` instead of ``nb_epoch``, and ``reset_model_state``
instead of ``model.reset_states()``. The data are forecast_feedback.py's training series
(1000 series of 60 values, 57,000 windows) instead of the question's one series.

At batch 1 the whole loop is 5.7 million weight updates (hours on 2 CPU cores), so ``run``
times the first ``fraction`` of ONE call's windows and extrapolates linearly (each update
does the same work): ``train_seconds_full`` is the estimate for all 100 calls.
"""

import time

import common  # noqa: F401  (quiets TensorFlow before Keras loads)
import keras
import numpy as np
from keras import layers

from common.data import TRAIN, make_rng
from common.training import reset_model_state, seed_everything

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


def run(fraction: float = 0.0005, seed: int = 7) -> dict:
    seed_everything(seed)
    x, y = make_windows(make_rng(seed, TRAIN))
    inputs = keras.Input(batch_shape=(BATCH, LOOK_BACK, 1))
    hidden = layers.LSTM(UNITS, stateful=True)(inputs)
    model = keras.Model(inputs, layers.Dense(1)(hidden))
    model.compile(loss="mean_squared_error", optimizer="adam")

    updates_full = FIT_CALLS * len(x)
    updates = max(1, min(len(x), round(fraction * updates_full)))
    model.fit(x[:1], y[:1], epochs=1, batch_size=BATCH, verbose=0, shuffle=False)  # build, trace
    reset_model_state(model)
    start = time.perf_counter()
    model.fit(x[:updates], y[:updates], epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
    reset_model_state(model)
    seconds = time.perf_counter() - start
    return {"task": "forecast_feedback", "recipe": f"original ({FIT_CALLS} fit calls, batch 1)",
            "fit_calls": updates / len(x), "fit_calls_full": FIT_CALLS, "updates": updates,
            "updates_full": updates_full, "train_seconds": seconds,
            "train_seconds_full": seconds * updates_full / updates, "accuracy": None}


if __name__ == "__main__":
    print(run())
