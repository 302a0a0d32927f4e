"""The original stateful-alphabet recipe, as the tutorial wrote it, ported to Keras 3.

A stateful LSTM(50) built for batch 1 learns A -> B ... Y -> Z from a loop of 300
``model.fit(X, y, epochs=1, batch_size=1, shuffle=False)`` calls with a state reset after
each, Adam at its default learning rate, letters as index/26, one-hot targets. Only what
Keras 3 requires changed: ``keras.Input(batch_shape=...)`` instead of
``batch_input_shape=``, and a ``reset_state()`` per stateful layer instead of
``model.reset_states()``.

``one_fit=True`` trains the same recipe as ONE ``fit(epochs=300)`` call with a callback that
resets the state after each pass over the 25 pairs: what removing the loop alone gains.
(``stateful_alphabet.py --experiments stateful`` is our recipe: a larger learning rate that
decays, fewer epochs, several updates per compiled call.)

    python benchmarks/original_stateful_alphabet.py --fraction 0.05 [--one-fit]

runs 15 of the 300 passes and extrapolates the time of all 300 (a whole run, fraction 1,
also reports the accuracy on the 25 pairs).
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for common/

import common  # noqa: E402,F401  (first: quiets TensorFlow, applies the backend fixes)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from benchmarks.timing import ResetEvery, calls_for, reset_states, time_loop  # noqa: E402
from benchmarks.timing import time_one_fit  # noqa: E402

FIT_CALLS = 300
LETTERS = 26


def alphabet_pairs():
    """The tutorial's data: X = index/26, shape (25, 1, 1); y one-hot over 26 letters."""
    index = np.arange(LETTERS - 1)
    x = (index / LETTERS).astype("float32").reshape(-1, 1, 1)
    return x, keras.utils.to_categorical(index + 1, LETTERS)


def build_original_model():
    inputs = keras.Input(batch_shape=(1, 1, 1))  # Keras 2: batch_input_shape=(1, 1, 1)
    hidden = layers.LSTM(50, stateful=True)(inputs)
    model = keras.Model(inputs, layers.Dense(LETTERS, activation="softmax")(hidden))
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(fraction: float = 1.0, seed: int = 7, one_fit: bool = False) -> dict:
    """Run round(fraction * 300) of the original passes, as fit calls or (one_fit) as epochs
    of one fit; time them and extrapolate to all 300 (a whole run also scores the pairs)."""
    calls = calls_for(fraction, FIT_CALLS)
    keras.utils.set_random_seed(seed)
    x, y = alphabet_pairs()
    model = build_original_model()
    if one_fit:
        timing = time_one_fit(model, x, y, FIT_CALLS * len(x), epochs=calls, batch_size=1,
                              shuffle=False, callbacks=[ResetEvery(len(x))])
    else:
        def fit_call(_):  # the tutorial's loop: one epoch per call, reset after each
            model.fit(x, y, epochs=1, batch_size=1, verbose=0, shuffle=False)
            reset_states(model)  # Keras 2: model.reset_states()

        timing = time_loop(fit_call, calls, FIT_CALLS)
    accuracy = None
    if calls == FIT_CALLS:
        accuracy = float(model.evaluate(x, y, batch_size=1, verbose=0)[1])
        reset_states(model)
    recipe = "one fit, same recipe" if one_fit else f"original ({FIT_CALLS} fit calls)"
    return {"task": "stateful_alphabet", "recipe": recipe, "calls": calls,
            "calls_full": FIT_CALLS, **timing, "accuracy": accuracy}


if __name__ == "__main__":
    from benchmarks.timing import main

    main(run, default_fraction=0.05)
