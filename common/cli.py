"""The command line every tutorial shares: common flags, validation, and outputs.

Every script accepts the same flags with the same meaning::

    --epochs N --batch-size N --seed N --quiet --examples N
    --metrics PATH.json --plot PATH.png --save PATH.keras

Bad values stop the script before any training, the argparse way: one ``error:`` line
that names the flag, exit status 2, no traceback, and no file written.
"""

import argparse
import json
import os
import sys
import warnings
from pathlib import Path

# Set this environment variable (to anything but "" or "0") for a quick run with a small
# training budget: the notebook tests use it, and so can a reader in a hurry.
QUICK_ENV = "LSTM_TUTORIALS_QUICK"


def positive_int(text: str) -> int:
    """argparse type: an integer >= 1."""
    return int_at_least(1)(text)


def int_at_least(minimum: int):
    """argparse type: an integer >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


def positive_float(text: str) -> float:
    """argparse type: a number > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be greater than 0, got {text}")
    return value


def output_path(suffix: str):
    """argparse type: a file path ending in ``suffix`` whose folder exists and is writable."""

    def parse(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() != suffix:
            raise argparse.ArgumentTypeError(f"the file name must end in {suffix}, got {text!r}")
        folder = path.parent
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(f"folder {str(folder)!r} does not exist")
        if not os.access(folder, os.W_OK):
            raise argparse.ArgumentTypeError(f"folder {str(folder)!r} is not writable")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder")
        return path

    parse.__name__ = f"{suffix} path"
    return parse


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show each flag's default (where it has one), and keep the description's line breaks."""

    def _get_help_string(self, action):
        if action.default in (None, False):
            return action.help
        return super()._get_help_string(action)


def _description(doc: str | None) -> str:
    """The header docstring without its "Title:" and "Description:" labels."""
    lines = (doc or "").strip().splitlines()
    return "\n".join(line.split(":", 1)[1].strip() if line.startswith(("Title:", "Description:"))
                     else line for line in lines)


def make_parser(prog: str, doc: str, *, epochs: int | None, batch_size: int | None, seed: int = 7,
                examples: int = 5, helps: dict | None = None) -> argparse.ArgumentParser:
    """A parser with the flags every script shares; the script adds its own.

    ``prog`` is the script's file name (errors start with it; ``__file__`` does not exist
    in a notebook). ``doc`` is the script's module docstring: it becomes the description
    (in a notebook made by tools/make_notebooks.py it is a markdown cell, and ``None``). A default of
    ``None`` means the script chooses one (for example per recipe); say so in the help.
    ``helps`` rewords shared flags whose meaning differs in a script, by destination,
    e.g. ``{"epochs": "...", "batch_size": "...", "plot": "draw ... at PATH"}``.
    """
    parser = argparse.ArgumentParser(prog=prog, description=_description(doc),
                                     formatter_class=_HelpFormatter)
    shared = parser.add_argument_group("common flags")
    shared.add_argument("--epochs", type=positive_int, default=epochs, help="passes over the training data")
    shared.add_argument("--batch-size", type=positive_int, default=batch_size,
                        help="samples per weight update")
    shared.add_argument("--seed", type=int_at_least(0), default=seed,
                        help="random seed for data, weights and shuffling")
    shared.add_argument("--quiet", action="store_true",
                        help="no progress bars (the summary still prints)")
    shared.add_argument("--examples", type=int_at_least(0), default=examples, metavar="N",
                        help="print N held-out predictions next to their targets")
    shared.add_argument("--metrics", type=output_path(".json"), metavar="PATH",
                        help="write the results as JSON to PATH")
    shared.add_argument("--plot", type=output_path(".png"), metavar="PATH",
                        help="draw the results as a PNG image at PATH")
    shared.add_argument("--save", type=output_path(".keras"), metavar="PATH",
                        help="save the trained model to PATH (keras.saving.load_model reads it)")
    for action in shared._group_actions:
        action.help = (helps or {}).get(action.dest, action.help)
    return parser


def running_in_notebook() -> bool:
    """True inside a Jupyter kernel, whose ``sys.argv`` holds the kernel's own arguments."""
    return "ipykernel" in sys.modules


def quick_run() -> bool:
    """True when the environment asks for a quick run (see QUICK_ENV)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


def parse_args(parser: argparse.ArgumentParser, argv=None, quick_defaults: dict | None = None):
    """Parse ``argv`` (default: the command line; nothing in a notebook).

    In a quick run the defaults are replaced by ``quick_defaults``; flags given explicitly
    still win.
    """
    if argv is None:
        argv = [] if running_in_notebook() else sys.argv[1:]
    if quick_defaults and quick_run():
        parser.set_defaults(**quick_defaults)
    return parser.parse_args(argv)


def apply_recipe(args, recipes: dict) -> None:
    """Fill every flag left unset (``None``) from the chosen ``--recipe``'s settings."""
    for name, value in recipes[args.recipe].items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)


def check_sequence_batches(parser, args, windows_per_sequence: int) -> None:
    """A stateful recipe resets the state where a sequence ends, so its batches must not
    straddle two sequences: the batch size must divide the windows of a sequence."""
    if windows_per_sequence % args.batch_size:
        parser.error(f"argument --batch-size: with --recipe {args.recipe} it must divide the "
                     f"{windows_per_sequence} windows of a sequence, got {args.batch_size}")


def atomic_write(path: Path, write) -> None:
    """Call ``write(temporary_path)``, then move the result to ``path``: a run that fails
    halfway never leaves a half-written file behind."""
    path = Path(path)
    temporary = path.with_name(f".{path.stem}.partial{path.suffix}")
    try:
        write(temporary)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def write_outputs(args, metrics: dict, model=None, draw=None) -> None:
    """Write what the flags asked for: ``--metrics`` JSON, ``--plot`` (by calling
    ``draw(path)``) and ``--save`` (the model, in the ``.keras`` format)."""
    if args.metrics:
        atomic_write(args.metrics, lambda p: p.write_text(json.dumps(metrics, indent=2) + "\n"))
        print(f"Metrics written to {args.metrics}")
    if args.plot and draw is not None:
        atomic_write(args.plot, draw)
        print(f"Plot written to {args.plot}")
    if args.save and model is not None:
        atomic_write(args.save, save_model(model))
        print(f"Model saved to {args.save}")


def save_model(model):
    """A writer for :func:`atomic_write` that saves ``model`` in the ``.keras`` format.

    Keras 3.15 on TensorFlow converts variables with ``np.array(tensor)`` while saving,
    which makes NumPy 2 emit a DeprecationWarning about the ``copy`` keyword from inside
    Keras. It is not ours to fix and not the reader's concern, so only that warning is
    silenced, only while saving.
    """

    def write(path):
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=DeprecationWarning,
                                    message="__array__ implementation doesn't accept a copy")
            model.save(path)

    return write


def percent(fraction: float) -> str:
    """0.98765 -> '98.77%'."""
    return f"{100 * fraction:.2f}%"


def print_summary(title: str, rows: dict) -> None:
    """Print one aligned block of ``label: value`` rows under a title."""
    width = max(len(label) for label in rows)
    print(f"\n{title}\n{'-' * len(title)}")
    for label, value in rows.items():
        print(f"{label:<{width}}  {value}")
