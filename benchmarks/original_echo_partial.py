"""The original partial-echo recipe, timed: what echo_partial.py's `--recipe tutorial` replaces.

The tutorial trains a stateful encoder-decoder (LSTM(150) -> RepeatVector(2) -> LSTM(150)
-> TimeDistributed(Dense softmax)) on one-hot targets with categorical cross-entropy, in a
Python loop of 5000 `fit(epochs=1, batch_size=21, shuffle=False)` calls, each on the 21
windows of one freshly generated 25-step sequence, resetting the LSTM state after each call.
This file keeps that loop and ports only what Keras 3 no longer accepts
(`keras.Input(batch_shape=...)`, a state reset per layer instead of `model.reset_states()`).

    python benchmarks/original_echo_partial.py --fraction 0.05   # 250 fit calls, extrapolated
"""

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for common/

import common  # before Keras: it quiets TensorFlow's start-up notes
import keras
from keras import layers

from common.data import TEST, TRAIN, frame_pandas, generate_sequences, make_rng, one_hot_encode
from common.evaluate import sequence_accuracy_report
from common.training import ResetStatesEvery, reset_model_state, seed_everything

N_IN, N_OUT, VOCAB, LENGTH, UNITS, BATCH, FIT_CALLS = 5, 2, 100, 25, 150, 21, 5000


def get_data(rng, n_sequences=1):
    """One-hot windows of fresh sequences and their one-hot targets, as the tutorial feeds them."""
    x, y = frame_pandas(generate_sequences(rng, n_sequences, LENGTH, VOCAB), N_IN, N_OUT)
    return one_hot_encode(x, VOCAB), one_hot_encode(y, VOCAB)


def run(fraction: float = 1.0, seed: int = 7) -> dict:
    """Run round(fraction * 5000) of the tutorial's fit calls; return their time, extrapolated
    to all 5000, and (for a full run) the held-out sequence accuracy."""
    seed_everything(seed)
    model = keras.Sequential([
        keras.Input(batch_shape=(BATCH, N_IN, VOCAB)),
        layers.LSTM(UNITS, stateful=True),
        layers.RepeatVector(N_OUT),
        layers.LSTM(UNITS, return_sequences=True, stateful=True),
        layers.TimeDistributed(layers.Dense(VOCAB, activation="softmax")),
    ])
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    rng = make_rng(seed, TRAIN)
    fit_calls = max(1, round(fraction * FIT_CALLS))
    start = time.perf_counter()
    for _ in range(fit_calls):
        x, y = get_data(rng)
        model.fit(x, y, epochs=1, batch_size=BATCH, shuffle=False, verbose=0)
        reset_model_state(model)
    seconds = time.perf_counter() - start

    accuracy = None
    if fraction >= 1:
        x, y = get_data(make_rng(seed, TEST), n_sequences=100)
        # One sequence is one batch of 21 windows: reset the state after each.
        predicted = model.predict(x, batch_size=BATCH, verbose=0, callbacks=[ResetStatesEvery(1)])
        accuracy = sequence_accuracy_report(y.argmax(-1), predicted.argmax(-1))["sequence_accuracy"]
    return {"task": "echo_partial", "recipe": f"original ({FIT_CALLS} fit calls)",
            "fit_calls": fit_calls, "fit_calls_full": FIT_CALLS, "train_seconds": round(seconds, 3),
            "train_seconds_full": round(seconds * FIT_CALLS / fit_calls, 1),
            "sequence_accuracy": accuracy}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="share of the 5000 fit calls to run")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    print(json.dumps(run(args.fraction, args.seed), indent=2))
