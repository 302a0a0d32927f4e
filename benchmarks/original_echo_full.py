"""The echo tutorial's full-echo recipe, as the tutorial wrote it, ported to Keras 3.

A stateful LSTM(20) with TimeDistributed(Dense(100, softmax)), batch 7, one-hot targets
and categorical cross-entropy, trained by a Python loop of 500 ``fit(epochs=1)`` calls,
each on the 21 windows of one freshly generated 25-step sequence, with a state reset
after each call. Only what Keras 3 requires changed: ``keras.Input(batch_shape=...)``
instead of ``batch_input_shape=``, and ``reset_model_state`` instead of
``model.reset_states()``. Data come from the project's seeded generators instead of
``random.randint``.
"""

import time

import common  # noqa: F401  (quiets TensorFlow before Keras loads)
import keras
import numpy as np
from keras import layers

from common.data import TEST, TRAIN, frame_pandas, generate_sequences, make_rng, one_hot_encode
from common.evaluate import sequence_accuracy_report
from common.training import ResetStatesEvery, reset_model_state, seed_everything

FIT_CALLS, LENGTH, WINDOW, VOCAB, UNITS, BATCH = 500, 25, 5, 100, 20, 7


def get_data(rng):
    """One new sequence as 21 one-hot windows, targets one-hot too, as in the tutorial."""
    x, y = frame_pandas(generate_sequences(rng, 1, LENGTH, VOCAB), WINDOW, WINDOW)
    return one_hot_encode(x, VOCAB), one_hot_encode(y, VOCAB)


def run(fraction: float = 1.0, seed: int = 7) -> dict:
    calls = max(1, round(fraction * FIT_CALLS))
    seed_everything(seed)
    inputs = keras.Input(batch_shape=(BATCH, WINDOW, VOCAB))
    hidden = layers.LSTM(UNITS, return_sequences=True, stateful=True)(inputs)
    outputs = layers.TimeDistributed(layers.Dense(VOCAB, activation="softmax"))(hidden)
    model = keras.Model(inputs, outputs)
    model.compile(optimizer="adam", loss="categorical_crossentropy", metrics=["accuracy"])

    rng = make_rng(seed, TRAIN)
    start = time.perf_counter()
    for _ in range(calls):
        x, y = get_data(rng)
        model.fit(x, y, epochs=1, batch_size=BATCH, verbose=0, shuffle=False)
        reset_model_state(model)
    seconds = time.perf_counter() - start

    accuracy = None
    if calls == FIT_CALLS:
        test = make_rng(seed, TEST)
        x, y = (np.concatenate(part) for part in zip(*(get_data(test) for _ in range(100))))
        predicted = model.predict(x, batch_size=BATCH, verbose=0,
                                  callbacks=[ResetStatesEvery((LENGTH - WINDOW + 1) // BATCH)])
        report = sequence_accuracy_report(y.argmax(-1), predicted.argmax(-1))
        accuracy = report["sequence_accuracy"]
    return {"task": "echo_full", "recipe": f"original ({FIT_CALLS} fit calls)", "fit_calls": calls,
            "fit_calls_full": FIT_CALLS, "train_seconds": seconds,
            "train_seconds_full": seconds * FIT_CALLS / calls, "sequence_accuracy": accuracy}


if __name__ == "__main__":
    print(run())
