"""Data for the sequence tutorials: random integers, one-hot vectors, and windows.

Everything random draws from a ``numpy.random.Generator`` made by :func:`make_rng`, so a
seed fixes the data, and training and held-out data come from separate streams.
"""

import numpy as np
import pandas as pd

# Independent random streams for one seed: the held-out data never repeats training data
# by construction of the generator, not by luck.
TRAIN, VALIDATION, TEST = 0, 1, 2


def make_rng(seed: int, stream: int = TRAIN) -> np.random.Generator:
    """A random generator for one stream (TRAIN, VALIDATION or TEST) of a seed."""
    return np.random.default_rng([seed, stream])


def generate_sequences(rng: np.random.Generator, n: int, length: int, vocab: int) -> np.ndarray:
    """``n`` sequences of ``length`` random integers in ``[0, vocab)``, shape (n, length)."""
    return rng.integers(0, vocab, size=(n, length))


def one_hot_encode(values: np.ndarray, vocab: int, dtype: str = "float32") -> np.ndarray:
    """One-hot encode integers of any shape: (...,) -> (..., vocab).

    Row ``v`` of the identity matrix is the one-hot vector of ``v``, so indexing the
    identity with the whole array encodes every value at once.
    """
    values = np.asarray(values)
    if values.size and (values.min() < 0 or values.max() >= vocab):
        raise ValueError(f"values must lie in [0, {vocab}), got [{values.min()}, {values.max()}]")
    return np.eye(vocab, dtype=dtype)[values]


def frame_pandas(sequences: np.ndarray, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Frame sequences into (input window, output window) pairs with pandas ``shift``.

    This is the echo tutorial's technique: put a sequence in a column, make ``n_in``
    lagged copies with ``shift``, place them side by side with ``concat`` and drop the
    rows that a shift left empty. Row ``t`` then holds ``x[t-n_in+1] .. x[t]``; the output
    is its oldest ``n_out`` values. ``groupby`` shifts every sequence at once without
    letting one sequence's values leak into the next one's windows.

    sequences: integers, shape (n_sequences, length).
    Returns x of shape (windows, n_in) and y of shape (windows, n_out), where
    windows = n_sequences * (length - n_in + 1).
    """
    n_sequences, length = sequences.shape
    column = pd.Series(sequences.ravel(), index=np.repeat(np.arange(n_sequences), length))
    by_sequence = column.groupby(level=0)
    lagged = pd.concat([by_sequence.shift(n_in - 1 - i) for i in range(n_in)], axis=1)
    x = lagged.dropna().to_numpy().astype(sequences.dtype)
    return x, x[:, :n_out].copy()


def frame_numpy(sequences: np.ndarray, n_in: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """The same windows as :func:`frame_pandas`, as one vectorized numpy view."""
    windows = np.lib.stride_tricks.sliding_window_view(sequences, n_in, axis=1)
    x = windows.reshape(-1, n_in)
    return x.copy(), x[:, :n_out].copy()


def sorting_data(rng: np.random.Generator, n: int, length: int, vocab: int):
    """The sorting task of seq2seq_teacher_forcing.py and seq2seq_attention.py: ``n`` inputs
    of 1..``length`` distinct integers below ``vocab`` in random order, padded in front;
    targets the integers sorted, then ``<end>`` (token ``vocab + 1``) up to ``length + 1``
    steps; the teacher's decoder inputs are the targets shifted right by ``<start>``
    (token ``vocab``).

    Returns inputs (n, length, vocab) one-hot (padding: all-zero steps), decoder inputs
    (n, length + 1, vocab + 2) one-hot, targets (n, length + 1) integers, and the integer
    inputs (n, length), -1 = padding.
    """
    sizes = rng.integers(1, length + 1, n)
    drawn = rng.random((n, vocab)).argsort(axis=1)[:, :length]  # distinct, in random order
    steps = np.arange(length)
    first = length - sizes[:, None]  # the first step that holds an integer
    x_int = np.where(steps >= first, np.take_along_axis(drawn, (steps - first) % length, 1), -1)
    # Sorting with the padding read as <end> (vocab + 1, larger than every integer) puts the
    # integers first, in order, and the <end> markers after them.
    y = np.sort(np.where(x_int >= 0, x_int, vocab + 1), axis=1)
    y = np.concatenate([y, np.full((n, 1), vocab + 1)], axis=1)
    decoder_in = np.concatenate([np.full((n, 1), vocab), y[:, :-1]], axis=1)  # <start>, y[:-1]
    x = np.eye(vocab + 1, dtype="float32")[x_int][..., :vocab]  # -1 (padding): all zeros
    return x, np.eye(vocab + 2, dtype="float32")[decoder_in], y, x_int
