"""The echo tutorial's full-echo recipe, as the tutorial wrote it, ported to Keras 3.

A stateful LSTM(20) with TimeDistributed(Dense(100, softmax)), batch 7, one-hot targets
and categorical cross-entropy, trained by a Python loop of 500 ``fit(epochs=1)`` calls,
each on the 21 windows of one freshly generated 25-step sequence, with a state reset
after each call. Only what Keras 3 requires changed: ``keras.Input(batch_shape=...)``
instead of ``batch_input_shape=``, and a ``reset_state()`` per stateful layer instead of
``model.reset_states()``. Data come from the project's seeded generators instead of
``random.randint``, generated before the timed loop.

``one_fit=True`` trains the same recipe (model, data, order, batches, resets) as ONE
``fit`` call with a callback that resets the state after each sequence's 3 batches:
what removing the loop alone gains. (``echo_full.py --recipe tutorial`` is the script's
version of it.)

    python benchmarks/original_echo_full.py --fraction 0.1 [--one-fit]
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

FIT_CALLS, LENGTH, WINDOW, VOCAB, UNITS, BATCH = 500, 25, 5, 100, 20, 7
BATCHES_PER_CALL = (LENGTH - WINDOW + 1) // BATCH  # 21 windows, 3 batches


def get_data(rng):
    """One new sequence as 21 one-hot windows, targets one-hot too, as in the tutorial."""
    x, y = frame_pandas(generate_sequences(rng, 1, LENGTH, VOCAB), WINDOW, WINDOW)
    return one_hot_encode(x, VOCAB), one_hot_encode(y, VOCAB)


def build_model():
    inputs = keras.Input(batch_shape=(BATCH, WINDOW, VOCAB))  # Keras 2: batch_input_shape
    hidden = layers.LSTM(UNITS, return_sequences=True, stateful=True)(inputs)
    outputs = layers.TimeDistributed(layers.Dense(VOCAB, activation="softmax"))(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(fraction: float = 1.0, seed: int = 7, one_fit: bool = False) -> dict:
    """Train round(fraction * 500) sequences' worth of the recipe, as a loop of fit calls or
    (one_fit) as one fit; time it, extrapolate to all 500, and for a whole run measure the
    held-out sequence accuracy."""
    calls = calls_for(fraction, FIT_CALLS)
    keras.utils.set_random_seed(seed)
    model = build_model()
    rng = make_rng(seed, TRAIN)
    data = [get_data(rng) for _ in range(calls)]
    if one_fit:
        x, y = (np.concatenate(part) for part in zip(*data))
        timing = time_one_fit(model, x, y, FIT_CALLS * BATCHES_PER_CALL, epochs=1,
                              batch_size=BATCH, shuffle=False,
                              callbacks=[ResetEvery(BATCHES_PER_CALL)])
    else:
        def fit_call(i):
            model.fit(*data[i], epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
            reset_states(model)  # Keras 2: model.reset_states()

        timing = time_loop(fit_call, calls, FIT_CALLS)

    accuracy = None
    if calls == FIT_CALLS:
        test = make_rng(seed, TEST)
        x, y = (np.concatenate(part) for part in zip(*(get_data(test) for _ in range(100))))
        predicted = model.predict(x, batch_size=BATCH, verbose=0,
                                  callbacks=[ResetEvery(BATCHES_PER_CALL)])
        accuracy = sequence_accuracy(y, predicted)
    recipe = "one fit, same recipe" if one_fit else f"original ({FIT_CALLS} fit calls)"
    return {"task": "echo_full", "recipe": recipe, "calls": calls, "calls_full": FIT_CALLS,
            **timing, "sequence_accuracy": accuracy}


if __name__ == "__main__":
    from benchmarks.timing import main

    main(run, default_fraction=0.1)
