"""The original stateful-alphabet recipe, as the tutorial wrote it, ported to Keras 3.

A stateful LSTM(50) built for batch 1 learns A -> B ... Y -> Z from a loop of 300
``model.fit(X, y, epochs=1, batch_size=1, shuffle=False)`` calls with a state reset after
each, Adam at its default learning rate, letters as index/26, one-hot targets.
``stateful_alphabet.py --experiments stateful`` does the same job with one ``fit`` call;
this file measures what the loop costs.

    python benchmarks/original_stateful_alphabet.py --fraction 0.1

runs 30 of the 300 fit calls and extrapolates the time of all 300 (a full run, fraction 1,
also reports the accuracy on the 25 pairs).
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import common  # noqa: E402,F401  (first: quiets TensorFlow before Keras loads)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from common.training import reset_model_state, seed_everything  # noqa: E402

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


def run(fraction: float = 1.0, seed: int = 7) -> dict:
    """Run round(fraction * 300) of the original fit calls; time them and extrapolate."""
    if not 0 < fraction <= 1:
        raise ValueError(f"fraction must be in (0, 1], got {fraction}")
    seed_everything(seed)
    x, y = alphabet_pairs()
    model = build_original_model()
    calls = max(1, round(fraction * FIT_CALLS))
    start = time.perf_counter()
    for _ in range(calls):  # the tutorial's loop: one epoch per call, reset after each
        model.fit(x, y, epochs=1, batch_size=1, verbose=0, shuffle=False)
        reset_model_state(model)  # Keras 2: model.reset_states()
    seconds = time.perf_counter() - start
    accuracy = None
    if calls == FIT_CALLS:
        accuracy = float(model.evaluate(x, y, batch_size=1, verbose=0)[1])
        reset_model_state(model)
    return {"task": "stateful_alphabet", "recipe": "original (300 fit calls)", "fit_calls": calls,
            "fit_calls_full": FIT_CALLS, "train_seconds": round(seconds, 3),
            "train_seconds_full": round(seconds * FIT_CALLS / calls, 3), "accuracy": accuracy,
            "backend": keras.backend.backend(), "seed": seed}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fraction", type=float, default=0.1,
                        help="share of the 300 fit calls to run (default: 0.1)")
    parser.add_argument("--seed", type=int, default=7, help="random seed (default: 7)")
    options = parser.parse_args()
    if not 0 < options.fraction <= 1:
        parser.error(f"argument --fraction: must be in (0, 1], got {options.fraction}")
    print(json.dumps(run(options.fraction, options.seed), indent=2))
