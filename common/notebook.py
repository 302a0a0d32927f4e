"""What a notebook uses in place of the command line.

tools/make_notebooks.py writes, into a notebook's Helpers cell, the definitions below in
place of the ones of the same name elsewhere in common/: a notebook has no command line to
read and no files to write, so it needs no parser. Scripts never import this module.
"""

import types

from common.cli import quick_run

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
