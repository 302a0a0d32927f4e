"""Helpers shared by the LSTM tutorials in this collection.

Each tutorial script shows the model it teaches; the plumbing that every script needs
lives here, written once:

- ``common.data``: random integer sequences, one-hot encoding, framing into windows.
- ``common.evaluate``: held-out accuracy (per element, per sequence, per position) and
  Expected/Predicted printing.
- ``common.training``: seeding, fit verbosity, and callbacks that reset LSTM state and
  record training curves.
- ``common.cli``: the flags every script accepts, their validation, and the outputs
  (metrics JSON, plot, saved model).
- ``common.plots``: the pictures ``--plot`` draws.
"""

import os

# TensorFlow's C++ core logs notes a tutorial reader does not need (CPU features, missing
# CUDA, a harmless tf.data attribute mismatch in TF 2.21 at every fit). Level 3 keeps them
# out; C++ failures still surface as Python exceptions, and Python warnings still show.
# It must be set before Keras imports TensorFlow; set it yourself to see everything.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


_STARTUP_NOTES = ("before absl::InitializeLog()", "oneDNN custom operations", "cuda drivers",
                  "failed call to cuInit", "cpu_feature_guard", "rebuild TensorFlow with")


def _import_keras_without_startup_logs() -> None:
    """Import Keras (and so TensorFlow) with TensorFlow's C++ start-up notes filtered out.

    TensorFlow 2.21 logs "oneDNN custom operations are on" and "Could not find cuda
    drivers" through absl before its log level is read, so TF_CPP_MIN_LOG_LEVEL cannot
    hide them. We send the C++ standard error to a file during the import and pass on
    every line except those known notes, so a real error or warning still shows.
    """
    import sys
    import tempfile

    if "keras" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    with tempfile.TemporaryFile(mode="w+b") as captured:
        os.dup2(captured.fileno(), 2)
        try:
            import keras  # noqa: F401

            # Keras uses TensorFlow on every backend when it is installed (tf.data feeds
            # fit and predict on JAX too), so load it now, while the notes are filtered.
            # Looking for GPUs logs an error on machines without a CUDA driver: do it now.
            try:
                import tensorflow as tf
            except ImportError:
                pass
            else:
                tf.config.list_physical_devices()
        finally:
            os.dup2(saved, 2)
            os.close(saved)
            captured.seek(0)
            for line in captured.read().decode(errors="replace").splitlines(keepends=True):
                if not any(note in line for note in _STARTUP_NOTES):
                    sys.stderr.write(line)


_import_keras_without_startup_logs()

from common import backend_fixes  # noqa: E402,F401  (backend bugs' work-arounds, on import)
