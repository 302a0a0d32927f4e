"""The reverse question's recipe with the answer's Bidirectional model, ported to Keras 3.

The question cuts a random sequence of 500 integers in 0..9 into its 496 overlapping
windows of 5, one-hot encodes each window and its reverse, and trains with a Python loop of
``fit(epochs=1)`` calls, each on a freshly generated sequence. The answer's model is
``Bidirectional(LSTM(100, return_sequences=True))`` then ``TimeDistributed(Dense(10,
softmax))``, categorical cross-entropy, Adam. The question's code runs N = 50,000 such
calls (its text says batch 16; its code sets ``BATCH_SIZE = 588``, more than the 496
windows of a call). The recipe measured here is this collection's cut, to keep the run
short: 200 calls, batch 16 (31 updates per call, 6,200 in all).

Only what Keras 3 requires changed: ``keras.Input`` instead of ``input_shape=``. Data come
from the project's seeded generators instead of ``random.randint``, and the windows from
``common.data.frame_numpy``. Run from the repository root:
``python -m benchmarks.original_reverse_bidirectional [fraction]``.
"""

import time

import common  # noqa: F401  (quiets TensorFlow before Keras loads)
import keras
from keras import layers

from common.data import TEST, TRAIN, frame_numpy, generate_sequences, make_rng, one_hot_encode
from common.evaluate import sequence_accuracy_report
from common.training import seed_everything

FIT_CALLS, ROWS, LENGTH, VOCAB, UNITS, BATCH = 200, 500, 5, 10, 100, 16


def get_data(rng):
    """One new sequence of ROWS integers as its ROWS-LENGTH+1 one-hot windows and their
    reverses (one-hot too, as in the question)."""
    windows, _ = frame_numpy(generate_sequences(rng, 1, ROWS, VOCAB), LENGTH, LENGTH)
    return one_hot_encode(windows, VOCAB), one_hot_encode(windows[:, ::-1], VOCAB)


def build_answer_model():
    inputs = keras.Input(shape=(LENGTH, VOCAB))
    hidden = layers.Bidirectional(layers.LSTM(UNITS, return_sequences=True))(inputs)
    outputs = layers.TimeDistributed(layers.Dense(VOCAB, activation="softmax"))(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def run(fraction: float = 1.0, seed: int = 7) -> dict:
    calls = max(1, round(fraction * FIT_CALLS))
    seed_everything(seed)
    model = build_answer_model()
    rng = make_rng(seed, TRAIN)
    start = time.perf_counter()
    for _ in range(calls):
        x, y = get_data(rng)
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0)
    seconds = time.perf_counter() - start

    accuracy = None
    if calls == FIT_CALLS:
        x, y = get_data(make_rng(seed, TEST))
        predicted = model.predict(x, batch_size=len(x), verbose=0).argmax(-1)
        accuracy = sequence_accuracy_report(y.argmax(-1), predicted)["sequence_accuracy"]
    return {"task": "reverse_bidirectional", "recipe": f"original ({FIT_CALLS} fit calls)",
            "fit_calls": calls, "fit_calls_full": FIT_CALLS, "train_seconds": seconds,
            "train_seconds_full": seconds * FIT_CALLS / calls, "sequence_accuracy": accuracy}


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(float(sys.argv[1]) if len(sys.argv) > 1 else 1.0), indent=2))
