"""What a notebook uses in place of the command line and of ``import common``.

tools/make_notebooks.py writes, into a notebook's Helpers cell, the definitions below in
place of the ones of the same name elsewhere in common/, and this module's own statements in
place of what ``import common`` does in a script. A notebook has no command line to read
and no files to write, so it needs no parser; it loads Keras once, in its Helpers cell, so
it needs no import hook; and it shows every table and figure where it runs. Scripts never
import this module.
"""

import os
import types

import numpy as np
import pandas as pd

from common import _quiet_retracing_warning, _StartupNotesFiltered, backend_installed
from common.cli import display_figure as show_figure  # a figure: always inline
from common.cli import display_table as show_table  # a table: always HTML
from common.cli import quick_run
from common.series import Series, _fill, decimal_years

# What `import common` does in a script, done here once: where TensorFlow is not installed
# and nothing chose a backend, take JAX or PyTorch (Keras would fail to load), then load
# Keras with TensorFlow's start-up notes filtered out of the notebook's output. The
# work-arounds that change results on a backend (for stateful layers, on JAX and PyTorch)
# are applied at the end of the Helpers cell of the notebooks that build stateful layers;
# the JAX speed-ups of common/backend_fixes.py are left out (on JAX a notebook calling
# layers directly runs slower than its script, with the same results).
if not os.environ.get("KERAS_BACKEND") and not backend_installed("tensorflow"):
    fallback = next((name for name in ("jax", "torch") if backend_installed(name)), "tensorflow")
    os.environ["KERAS_BACKEND"] = fallback
    print(f"TensorFlow is not installed: using Keras' {fallback} backend")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
with _StartupNotesFiltered():
    import keras

    if backend_installed("tensorflow"):
        import tensorflow as tf

        tf.config.list_physical_devices()  # logs a CUDA error without a driver
_quiet_retracing_warning()

# The shared flags' defaults (common.cli.SHARED_SETTINGS; tests/test_common.py checks they agree).
SHARED_DEFAULTS = {"epochs": None, "batch_size": None, "seed": 7, "quiet": False, "examples": 5,
                   "metrics": None, "plot": None, "save": None}


class _Stop:
    """Stands in for the parser a script's ``finish`` reports to: raises instead of exiting."""

    def error(self, message):
        raise ValueError(message)


def read_settings(script, doc, settings, finish=None, *, quick=None, epilog=None, argv=None):
    """The settings' defaults as written in the script's settings dict (edit them there),
    each checked against its range or choices; then the script's ``finish``."""
    values = dict(SHARED_DEFAULTS)
    for name, spec in settings.items():  # a script's settings redefine or drop shared ones
        if spec is None:
            values.pop(name, None)
        elif spec["default"] is not None or name not in values:  # None keeps the shared default
            values[name] = spec["default"]
    if quick and quick_run():
        values |= quick
    for name, spec in settings.items():
        value = values.get(name)
        if spec is None or value is None or isinstance(value, bool):
            continue
        if ((spec["at_least"] is not None and value < spec["at_least"])
                or (spec["above"] is not None and value <= spec["above"])
                or (spec["at_most"] is not None and value > spec["at_most"])
                or (spec["choices"] is not None and value not in spec["choices"])):
            raise ValueError(f"{name} = {value!r} is outside what it accepts: {spec['help']}")
    args = types.SimpleNamespace(**values)
    if finish is not None:
        finish(args, _Stop())
    return args


def write_outputs(args, metrics, model=None, figure=None):
    """Nothing to write: a notebook shows its results where it runs."""


# A setting's `kind` parses its flag's text: a notebook reads no flags, so it needs none.
def int_at_least(minimum, maximum=None):
    """No flag to parse: no kind."""
    return None


def name_list(choices):
    """No flag to parse: no kind."""
    return None


def one_letter(letters):
    """No flag to parse: no kind."""
    return None


def load_csv(parser, path, column, time_column=None):
    """A column of a CSV, read the way pandas reads it: where the file does not serve, the
    error is pandas' own (the script's --csv names the problem and the flag to change). The
    times are ``time_column``'s numbers or dates, else the row order."""
    if column is None:
        parser.error("argument --column: required with --csv (the column to forecast)")
    frame = pd.read_csv(path)
    if time_column is None:
        time, unit = np.arange(len(frame), dtype=float), "row"
    elif pd.api.types.is_numeric_dtype(frame[time_column]):
        time, unit = frame[time_column].to_numpy(float), time_column
    else:
        time, unit = decimal_years(pd.to_datetime(frame[time_column], format="mixed")), "year"
    values, time, filled, dropped = _fill(pd.to_numeric(frame[column]), time)
    return Series(column, values, time, unit, column, filled, dropped, time_column)
