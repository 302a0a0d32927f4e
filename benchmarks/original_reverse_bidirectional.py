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
``common.data.frame_numpy``, generated before the timed loop.

``one_fit=True`` trains the same recipe as ONE ``fit`` call over all the sequences' windows,
each sequence's windows shuffled among themselves as each call's ``fit`` shuffled them:
what removing the loop alone gains. Run from the repository root:

    python benchmarks/original_reverse_bidirectional.py --fraction 0.1 [--one-fit]
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the repo root, for common/

import common  # noqa: E402,F401  (first: quiets TensorFlow, applies the backend fixes)
import keras  # noqa: E402
import numpy as np  # noqa: E402
from keras import layers  # noqa: E402

from benchmarks.timing import calls_for, sequence_accuracy, time_loop, time_one_fit  # noqa: E402
from common.data import TEST, TRAIN, frame_numpy, generate_sequences, make_rng  # noqa: E402
from common.data import one_hot_encode  # noqa: E402

FIT_CALLS, ROWS, LENGTH, VOCAB, UNITS, BATCH = 200, 500, 5, 10, 100, 16
BATCHES_PER_CALL = -(-(ROWS - LENGTH + 1) // BATCH)  # 496 windows: 31 batches


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


def run(fraction: float = 1.0, seed: int = 7, one_fit: bool = False) -> dict:
    """Train round(fraction * 200) sequences' worth of the recipe, as a loop of fit calls or
    (one_fit) as one fit; time it, extrapolate to all 200, and for a whole run measure the
    held-out sequence accuracy."""
    calls = calls_for(fraction, FIT_CALLS)
    keras.utils.set_random_seed(seed)
    model = build_answer_model()
    rng = make_rng(seed, TRAIN)
    data = [get_data(rng) for _ in range(calls)]
    if one_fit:
        order = [rng.permutation(len(x)) for x, _ in data]  # fit's shuffle, within each sequence
        x = np.concatenate([x[o] for (x, _), o in zip(data, order)])
        y = np.concatenate([y[o] for (_, y), o in zip(data, order)])
        timing = time_one_fit(model, x, y, FIT_CALLS * BATCHES_PER_CALL, epochs=1,
                              batch_size=BATCH, shuffle=False)
    else:
        timing = time_loop(lambda i: model.fit(*data[i], epochs=1, batch_size=BATCH, verbose=0),
                           calls, FIT_CALLS)

    accuracy = None
    if calls == FIT_CALLS:
        x, y = get_data(make_rng(seed, TEST))
        accuracy = sequence_accuracy(y, model.predict(x, batch_size=len(x), verbose=0))
    recipe = "one fit, same recipe" if one_fit else f"original ({FIT_CALLS} fit calls)"
    return {"task": "reverse_bidirectional", "recipe": recipe, "calls": calls,
            "calls_full": FIT_CALLS, **timing, "sequence_accuracy": accuracy}


if __name__ == "__main__":
    from benchmarks.timing import main

    main(run, default_fraction=0.1)
