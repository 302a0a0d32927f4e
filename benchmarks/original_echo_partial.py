"""The original partial-echo recipe, timed: what echo_partial.py's `--recipe tutorial` replaces.

The tutorial trains a stateful encoder-decoder (LSTM(150) -> RepeatVector(2) -> LSTM(150)
-> TimeDistributed(Dense softmax)) on one-hot targets with categorical cross-entropy, in a
Python loop of 5000 `fit(epochs=1, batch_size=21, shuffle=False)` calls, each on the 21
windows of one freshly generated 25-step sequence, resetting the LSTM state after each call.
This file keeps that loop and ports only what Keras 3 no longer accepts
(`keras.Input(batch_shape=...)`, a state reset per layer instead of `model.reset_states()`).
The sequences are generated before the timed loop.

``one_fit=True`` trains the same recipe as ONE ``fit`` call with a callback that resets
the state after each sequence's batch: what removing the loop alone gains
(``echo_partial.py --recipe tutorial`` is the script's version of it).

    python benchmarks/original_echo_partial.py --fraction 0.02 [--one-fit]   # 100 sequences
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for common/

import common  # noqa: E402,F401  (first: quiets TensorFlow, applies the backend fixes)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from benchmarks.timing import ResetEvery, calls_for, reset_states, sequence_accuracy  # noqa: E402
from benchmarks.timing import time_loop, time_one_fit  # noqa: E402
from common.data import TEST, TRAIN, frame_pandas, generate_sequences, make_rng  # noqa: E402
from common.data import one_hot_encode  # noqa: E402

N_IN, N_OUT, VOCAB, LENGTH, UNITS, BATCH, FIT_CALLS = 5, 2, 100, 25, 150, 21, 5000


def get_data(rng, n_sequences=1):
    """One-hot windows of fresh sequences and their one-hot targets, as the tutorial feeds them."""
    x, y = frame_pandas(generate_sequences(rng, n_sequences, LENGTH, VOCAB), N_IN, N_OUT)
    return one_hot_encode(x, VOCAB), one_hot_encode(y, VOCAB)


def build_model():
    model = keras.Sequential([
        keras.Input(batch_shape=(BATCH, N_IN, VOCAB)),  # Keras 2: batch_input_shape
        layers.LSTM(UNITS, stateful=True),
        layers.RepeatVector(N_OUT),
        layers.LSTM(UNITS, return_sequences=True, stateful=True),
        layers.TimeDistributed(layers.Dense(VOCAB, activation="softmax")),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(fraction: float = 1.0, seed: int = 7, one_fit: bool = False) -> dict:
    """Train round(fraction * 5000) sequences' worth of the recipe, as a loop of fit calls or
    (one_fit) as one fit; time it, extrapolate to all 5000, and for a whole run measure the
    held-out sequence accuracy."""
    calls = calls_for(fraction, FIT_CALLS)
    keras.utils.set_random_seed(seed)
    model = build_model()
    data = get_data(make_rng(seed, TRAIN), n_sequences=calls)  # 21 windows, one batch each
    if one_fit:
        timing = time_one_fit(model, *data, FIT_CALLS, epochs=1, batch_size=BATCH,
                              shuffle=False, callbacks=[ResetEvery(1)])
    else:
        def fit_call(i):
            part = slice(i * BATCH, (i + 1) * BATCH)
            model.fit(data[0][part], data[1][part], epochs=1, batch_size=BATCH, shuffle=False,
                      verbose=0)
            reset_states(model)  # Keras 2: model.reset_states()

        timing = time_loop(fit_call, calls, FIT_CALLS)

    accuracy = None
    if calls == FIT_CALLS:
        x, y = get_data(make_rng(seed, TEST), n_sequences=100)
        # One sequence is one batch of 21 windows: reset the state after each.
        predicted = model.predict(x, batch_size=BATCH, verbose=0, callbacks=[ResetEvery(1)])
        accuracy = sequence_accuracy(y, predicted)
    recipe = "one fit, same recipe" if one_fit else f"original ({FIT_CALLS} fit calls)"
    return {"task": "echo_partial", "recipe": recipe, "calls": calls, "calls_full": FIT_CALLS,
            **timing, "sequence_accuracy": accuracy}


if __name__ == "__main__":
    from benchmarks.timing import main

    main(run, default_fraction=0.02)
