"""Plumbing around training that teaches nothing: seeding and Keras' verbosity.

What a lesson uses (callbacks that stop at a target or reset the state, metrics, timing)
is written in each script, where the reader sees it.
"""

import sys


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the backend, and make TensorFlow's ops deterministic, so the
    same seed gives the same weights, batches and results on the CPU."""
    import keras

    keras.utils.set_random_seed(seed)
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()


def fit_verbosity(quiet: bool) -> int:
    """Keras ``verbose`` for fit: a live progress bar in a terminal, one line per epoch in a
    log file or CI, nothing with ``--quiet``."""
    if quiet:
        return 0
    return 1 if sys.stdout.isatty() else 2


