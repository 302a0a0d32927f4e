"""The command line every tutorial shares: common flags, validation, and outputs.

Every script accepts the same flags with the same meaning::

    --epochs N --batch-size N --seed N --quiet --examples N
    --metrics PATH.json --plot PATH.png --save PATH.keras

Bad values stop the script before any training, the argparse way: one ``error:`` line
that names the flag, exit status 2, no traceback, and no file written.
"""

import argparse
import json
import math
import os
import runpy
import sys
from pathlib import Path

# Set this environment variable (to anything but "" or "0") for a quick run with a small
# training budget: the notebook tests use it, and so can a reader in a hurry.
QUICK_ENV = "LSTM_TUTORIALS_QUICK"


def int_at_least(minimum: int, maximum: int | None = None):
    """argparse type: an integer >= ``minimum`` (and <= ``maximum``, if given)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
        return value

    parse.__name__ = f"integer >= {minimum}"
    return parse


# NumPy and keras.utils.set_random_seed take seeds in 0 .. 2**32 - 1.
MAX_SEED = 2**32 - 1


def _finite(text: str) -> float:
    """A finite number, or an argparse error: "inf" and "nan" parse as floats but cannot train."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a finite number, got {text}")
    return value


def name_list(choices):
    """argparse type: a comma-separated list of names from ``choices``, each named once.

    An empty entry, an unknown name or a name given twice is an error: a list that says
    ``lstm,lstm`` most likely meant something else, so we ask rather than guess.
    """
    choices = tuple(choices)

    def parse(text: str) -> list:
        names = [name.strip() for name in text.split(",")]
        if any(not name for name in names):
            raise argparse.ArgumentTypeError(f"empty entry in {text!r}")
        unknown = [name for name in names if name not in choices]
        if unknown:
            raise argparse.ArgumentTypeError(
                f"unknown name {unknown[0]!r} (choose from {', '.join(choices)})")
        twice = sorted({name for name in names if names.count(name) > 1})
        if twice:
            raise argparse.ArgumentTypeError(f"{twice[0]!r} is named twice in {text!r}")
        return names

    parse.__name__ = "comma-separated list"
    return parse


def one_letter(letters: str):
    """argparse type: one letter of ``letters`` (a run such as "ABC...Y"), in either case,
    returned in upper case; anything else is one short error naming the range."""
    def parse(text: str) -> str:
        if len(text) != 1 or text.upper() not in letters:
            raise argparse.ArgumentTypeError(
                f"expected one letter {letters[0]}..{letters[-1]}, got {text!r}")
        return text.upper()

    parse.__name__ = "letter"
    return parse


def _can_write_in(folder: Path) -> bool:
    """Whether a new file can be written in ``folder``, found by writing one (and removing
    it): ``os.access`` says yes to root for folders such as /proc where nothing can be
    written, so we try, before any training time is spent."""
    import tempfile

    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".write-check-"):
            return True
    except OSError:
        return False


def output_path(suffix: str):
    """argparse type: a file path ending in ``suffix`` whose folder exists and is writable."""

    def parse(text: str) -> Path:
        path = Path(text)
        if path.suffix.lower() != suffix:
            raise argparse.ArgumentTypeError(f"the file name must end in {suffix}, got {text!r}")
        folder = path.parent
        if not folder.is_dir():
            raise argparse.ArgumentTypeError(f"folder {str(folder)!r} does not exist")
        if path.is_dir():
            raise argparse.ArgumentTypeError(f"{text!r} is a folder")
        if not _can_write_in(folder):
            raise argparse.ArgumentTypeError(f"cannot write a file in folder {str(folder)!r}")
        return path

    parse.__name__ = f"{suffix} path"
    return parse


class _HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """Show each flag's default (where it has one), and keep the description's line breaks."""

    def _get_help_string(self, action):
        if action.default in (None, False) or "(default: " in (action.help or ""):
            return action.help  # nothing to show, or the help states it already
        if isinstance(action.default, (list, tuple)):  # a list flag's default, as it is typed
            return f"{action.help} (default: {','.join(map(str, action.default)) or 'none'})"
        return super()._get_help_string(action)


def _description(doc: str | None) -> str:
    """The header docstring without its "Title:" and "Description:" labels."""
    lines = (doc or "").strip().splitlines()
    return "\n".join(line.split(":", 1)[1].strip() if line.startswith(("Title:", "Description:"))
                     else line for line in lines)


# ---- settings as data ---------------------------------------------------------------------
#
# A script declares its settings as a dict of ``name: setting(default, help, ...)`` at the top
# of its Configuration cell; :func:`read_settings` builds the command line from it. In a
# notebook made by tools/make_notebooks.py no command line runs: common/notebook.py's
# ``read_settings`` takes the defaults as written (edit them in the dict).

def setting(default, help, *, at_least=None, at_most=None, above=None, choices=None,
            kind=None, metavar=None, exclusive=None) -> dict:
    """One setting as data: its ``default``, what it sets (``help``), and the values it
    takes: an integer or number range (``at_least``, ``at_most``, ``above``), ``choices``,
    or ``kind`` (an argparse type: a function from the flag's text to its value, or
    ``int``/``float`` where the default is None). A True/False default makes an on/off
    flag. Settings that share an ``exclusive`` tag cannot be given together."""
    return {"default": default, "help": help, "at_least": at_least, "at_most": at_most,
            "above": above, "choices": choices, "kind": kind, "metavar": metavar,
            "exclusive": exclusive}


# The flags every script shares, in the order --help lists them. A script's own settings
# dict may redefine one (another default or help; what it leaves at None stays as here) or
# drop it (``"epochs": None``).
SHARED_SETTINGS = {
    "epochs": setting(None, "passes over the training data", kind=int, at_least=1),
    "batch_size": setting(None, "samples per weight update", kind=int, at_least=1),
    "seed": setting(7, "random seed for data, weights and shuffling", at_least=0, at_most=MAX_SEED),
    "quiet": setting(False, "no progress bars (the summary still prints)"),
    "examples": setting(5, "print N held-out predictions next to their targets", at_least=0,
                        metavar="N"),
    "metrics": setting(None, "write the results as JSON to PATH", kind=output_path(".json"),
                       metavar="PATH"),
    "plot": setting(None, "draw the results as a PNG image at PATH", kind=output_path(".png"),
                    metavar="PATH"),
    "save": setting(None, "save the trained model to PATH (keras.saving.load_model reads it)",
                    kind=output_path(".keras"), metavar="PATH"),
}


def _flag_type(spec: dict):
    """The argparse type that accepts what ``spec`` allows, or None (a plain string)."""
    kind, default = spec["kind"], spec["default"]
    if callable(kind) and kind not in (int, float):
        return kind
    if kind is int or (isinstance(default, int) and not isinstance(default, bool)):
        return int_at_least(spec["at_least"] if spec["at_least"] is not None else -math.inf,
                            spec["at_most"])
    if kind is float or isinstance(default, float):
        return number_in(spec["at_least"], spec["above"], spec["at_most"])
    return None


def number_in(at_least=None, above=None, at_most=None):
    """argparse type: a finite number >= ``at_least`` (or > ``above``), <= ``at_most``."""

    def parse(text: str) -> float:
        value = _finite(text)
        if above is not None and not value > above:
            raise argparse.ArgumentTypeError(f"must be greater than {above:g}, got {text}")
        if at_least is not None and value < at_least:
            raise argparse.ArgumentTypeError(f"must be at least {at_least:g}, got {text}")
        if at_most is not None and value > at_most:
            raise argparse.ArgumentTypeError(f"must be at most {at_most:g}, got {text}")
        return value

    parse.__name__ = "number"
    return parse


def all_settings(settings: dict) -> dict:
    """The shared flags, redefined or dropped by ``settings`` (what a redefinition leaves at
    None, its range or path type, say, stays the shared flag's), then the script's own."""
    merged = {name: spec if name not in settings else settings[name] and
              spec | {key: value for key, value in settings[name].items() if value is not None}
              for name, spec in SHARED_SETTINGS.items()}
    merged |= {name: spec for name, spec in settings.items() if name not in SHARED_SETTINGS}
    return {name: spec for name, spec in merged.items() if spec is not None}


def build_parser(script: str, doc: str | None, settings: dict, epilog: str | None = None):
    """The argparse parser of ``settings`` (see :func:`setting`): the shared flags under
    "common flags", the script's own under "options", each help with its default."""
    parser = argparse.ArgumentParser(prog=script, description=_description(doc), epilog=epilog,
                                     formatter_class=_HelpFormatter)
    groups = {True: parser.add_argument_group("common flags"), False: parser}
    exclusive = {}
    for name, spec in all_settings(settings).items():
        group = groups[name in SHARED_SETTINGS]
        if spec["exclusive"]:
            if spec["exclusive"] not in exclusive:
                exclusive[spec["exclusive"]] = group.add_mutually_exclusive_group()
            group = exclusive[spec["exclusive"]]
        flag = "--" + name.replace("_", "-")
        options = {"default": spec["default"], "help": spec["help"].replace("%", "%%")}
        if spec["default"] is True:
            options["action"] = argparse.BooleanOptionalAction
        elif spec["default"] is False:
            options["action"] = "store_true"
        else:
            options |= {"type": _flag_type(spec), "metavar": spec["metavar"]}
            if spec["choices"] is not None:
                options["choices"] = list(spec["choices"])
        group.add_argument(flag, **{key: value for key, value in options.items() if value is not None
                                    or key == "default"})
    return parser


def read_settings(script: str, doc: str | None, settings: dict, finish=None, *,
                  quick: dict | None = None, epilog: str | None = None, argv=None):
    """The run's settings: ``settings``' defaults (with ``quick``'s in a quick run, see
    QUICK_ENV) and the command line ``argv`` (default: ``sys.argv``; none in a notebook) over them, every value
    checked against its setting. Then ``finish(args, parser)``, where given, checks what
    spans several flags and fills in the ones left unset, stopping with ``parser.error``.
    ``--help`` and a bad value answer here, before any backend is imported."""
    parser = build_parser(script, doc, settings, epilog)
    if quick and quick_run():
        parser.set_defaults(**quick)
    if argv is None:  # a notebook's sys.argv holds the kernel's own arguments
        argv = [] if running_in_notebook() else sys.argv[1:]
    args = parser.parse_args(argv)
    if finish is not None:
        finish(args, parser)
    return args


def running_in_notebook() -> bool:
    """True inside a Jupyter kernel (Colab's too), whose ``sys.argv`` holds the kernel's own
    arguments. Asks the running IPython shell: a module that merely imported ipykernel (a
    test runner executing notebooks, say) is not in a notebook."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    return getattr(shell, "kernel", None) is not None


def quick_run() -> bool:
    """True when the environment asks for a quick run (see QUICK_ENV)."""
    return os.environ.get(QUICK_ENV, "") not in ("", "0")


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


def write_outputs(args, metrics: dict, model=None, figure=None) -> None:
    """Write what the flags asked for: ``--metrics`` JSON, ``--plot`` (the matplotlib
    ``figure``, as PNG) and ``--save`` (the model, in the ``.keras`` format)."""
    if args.metrics:
        atomic_write(args.metrics, lambda p: p.write_text(json.dumps(metrics, indent=2) + "\n"))
        print(f"Metrics written to {args.metrics}")
    if args.plot and figure is not None:
        atomic_write(args.plot, lambda p: figure.savefig(p, format="png"))
        print(f"Plot written to {args.plot}")
    if args.save and model is not None:
        atomic_write(args.save, save_model(model))
        print(f"Model saved to {args.save}")


def save_model(model):
    """A writer for :func:`atomic_write` that saves ``model`` in the ``.keras`` format.
    (The NumPy 2 deprecation Keras raises while saving is filtered in
    ``common.backend_fixes``, with the other warnings from inside Keras.)"""

    def write(path):
        model.save(path)

    return write


def percent(value: float) -> str:
    """0.98765 -> '98.77%'."""
    return f"{100 * value:.2f}%"


def show_table(table, title: str | None = None) -> None:
    """Show a table: HTML in a notebook (Jupyter, Colab and the site render it, and no row
    wraps), aligned text in a terminal. ``table`` is a pandas DataFrame, with its numbers
    formatted the way the reader should see them and an index that names the rows
    (``set_index("design")``); or a dict of rows, ``{label: {column: value}}``; or a dict of
    ``label: value`` (a summary: a two-column table in a notebook, an aligned block in a
    terminal)."""
    rows = isinstance(table, dict) and all(isinstance(row, dict) for row in table.values())
    if running_in_notebook():
        display_table(table, title)
    elif isinstance(table, dict) and not rows:
        print_summary(title or "", table)
    else:
        import pandas as pd

        text = (pd.DataFrame.from_dict(table, orient="index") if rows else table).to_string()
        if title:
            print(f"\n{title}\n{'-' * min(len(title), max(map(len, text.splitlines())))}")
        print(text)


def display_table(table, title: str | None = None) -> None:
    """Display ``table`` (see :func:`show_table`) as HTML in the running notebook."""
    import html

    import pandas as pd
    from IPython.display import Markdown, display

    if isinstance(table, dict) and all(isinstance(row, dict) for row in table.values()):
        table = pd.DataFrame.from_dict(table, orient="index")
    elif isinstance(table, dict):
        table = pd.DataFrame({"value": list(table.values())}, index=pd.Index(table, name=""))
    if title:  # escaped: Markdown would take a `<end>` in it for an HTML tag and drop it
        display(Markdown(f"**{html.escape(title, quote=False)}**"))
    display(table)


def show_steps(rows: dict, title: str, first: int = 8, fmt: str = "{:.4g}") -> None:
    """Show paths per step ahead (a truth, forecasts), a row each, as a table whose columns
    are the steps 1, 2, ... up to ``first``: :func:`show_table` renders it."""
    import pandas as pd

    table = pd.DataFrame({name: list(path)[:first] for name, path in rows.items()}).T
    table.columns = range(1, table.shape[1] + 1)
    show_table(table.map(fmt.format).rename_axis("steps ahead", axis=1), title)


def print_summary(title: str, rows: dict) -> None:
    """Print one aligned block of ``label: value`` rows under a title."""
    width = max(len(label) for label in rows)
    print(f"\n{title}\n{'-' * len(title)}")
    for label, value in rows.items():
        print(f"{label:<{width}}  {value}")


def print_settings(args, skip=()) -> None:
    """Print, on one line, every setting this run uses (the flags after defaults and recipe
    tables are applied), and the backend: what to quote when you compare two runs."""
    import keras

    hidden = {"quiet", "examples", "metrics", "plot", "save", *skip}
    shown = ", ".join(f"{name}={_setting(value)}" for name, value in vars(args).items()
                      if name not in hidden and not name.startswith("_"))
    print(f"Settings: {shown} (backend: {keras.backend.backend()})")


def _setting(value) -> str:
    if isinstance(value, (list, tuple)):
        return ",".join(map(str, value))
    return f"{value:g}" if isinstance(value, float) else str(value)


def warn_outside_range(ranges: dict, args) -> bool:
    """Warn, before training, when a flag lies outside the range the recipe was checked on.

    ``ranges`` maps a flag's destination (``"window"``) to the (lowest, highest) value the
    tests sweep. The run goes on: outside the range the recipe may still work, we just have
    not measured it. Returns True if a warning was printed.
    """
    checked = " and ".join(f"--{name.replace('_', '-')} {low}..{high}"
                           for name, (low, high) in ranges.items())
    outside = [f"--{name.replace('_', '-')} {getattr(args, name)}"
               for name, (low, high) in ranges.items() if not low <= getattr(args, name) <= high]
    if outside:
        print(f"warning: this recipe was checked for {checked}; {', '.join(outside)} "
              f"{'is' if len(outside) == 1 else 'are'} outside, so it may not reach its target "
              f"(it still runs)", flush=True)
    return bool(outside)


def show_figure(figure) -> None:
    """Show a matplotlib figure inline in a notebook (as a PNG); in a terminal, do nothing
    (``--plot PATH`` writes it to a file)."""
    if running_in_notebook():
        display_figure(figure)


def display_figure(figure) -> None:
    """Display a matplotlib figure in the running notebook, as a PNG."""
    import io

    from IPython.display import Image, display

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    display(Image(buffer.getvalue()))


def run_namespace(path, argv=()) -> dict:
    """Run a tutorial script as ``python path *argv`` would, in this process, and return
    every top-level name it defined (its functions, ``args``, ``model``, ``metrics``). A bad
    flag raises ``SystemExit(2)`` as on the command line."""
    saved = sys.argv
    sys.argv = [str(path), *map(str, argv)]
    try:
        return runpy.run_path(str(path), run_name="__main__")
    finally:
        sys.argv = saved


def run_script(path, argv=()) -> dict:
    """:func:`run_namespace`, returning only the script's ``metrics`` dict. Tests, the
    gallery and the benchmarks use it."""
    return run_namespace(path, argv)["metrics"]


# The most memory we let a script's data take: beyond it a run cannot train on an
# ordinary machine, and Python would fail late with a MemoryError instead of a clear line.
MEMORY_LIMIT = 2e9


def check_memory(parser, flags: str, floats: float) -> None:
    """Stop with one error line naming ``flags`` when ``floats`` float32 numbers (the data
    these flags ask for) would take more than MEMORY_LIMIT bytes."""
    if 4 * floats > MEMORY_LIMIT:
        parser.error(f"argument {flags}: the data would take {4 * floats / 1e9:.1f} GB "
                     f"(limit {MEMORY_LIMIT / 1e9:.0f} GB); make one of them smaller")


def show_reversal_table(results: dict, title: str) -> None:
    """Show reverse_bidirectional's results: a row per model with its held-out accuracy at
    each output position (the column ``pos t (xL-1-t)`` names the input it must copy
    there), then element and sequence accuracy, epochs run and training seconds."""
    import pandas as pd

    table = pd.DataFrame({name: {
        **{f"pos {t} (x{len(scores['per_position_accuracy']) - 1 - t})": f"{a:.2%}"
           for t, a in enumerate(scores["per_position_accuracy"])},
        "element": f"{scores['element_accuracy']:.2%}",
        "sequence": f"{scores['sequence_accuracy']:.2%}",
        "epochs": scores["epochs_run"], "train s": round(scores["train_seconds"], 1)}
        for name, scores in results.items()}).T.rename_axis("model")
    show_table(table, title)


def show_sorting_table(results: dict, vocabs: dict, title: str):
    """seq2seq_attention's results table: one row per ``(design, length, seed)`` key of
    ``results`` (each a dict of that model's scores, as fractions; its ``predicted`` tokens
    left out), with ``vocabs[length]``, the vocabulary at that length. Shows the whole-sequence
    accuracies in % under short column names, indexed by length, design and seed, and returns
    the rows as they were (a pandas DataFrame, accuracies as fractions), for the plot."""
    import pandas as pd

    table = pd.DataFrame([{"design": design, "length": length, "vocab": vocabs[length],
                           "seed": seed, **{k: v for k, v in row.items() if k != "predicted"}}
                          for (design, length, seed), row in results.items()])
    table = table.sort_values(["length", "design", "seed"], ignore_index=True)
    show_table(table.assign(**{column: (100 * table[column]).round(2) for column in (
        "inference_accuracy", "teacher_forced_accuracy")}).drop(columns=[
        "inference_element_accuracy", "teacher_forced_element_accuracy"]).rename(columns={
        "inference_accuracy": "inference", "teacher_forced_accuracy": "teacher-forced",
        "epochs_run": "passes", "stopped_by": "stopped by", "train_seconds": "train s",
        "parameters": "weights", "seconds_per_pass": "s per pass"}).set_index(
        ["length", "design", "seed"]), title)
    return table


def show_alphabet_results(results: dict, start: str, batch_size_flag=None) -> None:
    """stateful_alphabet's results: a row per experiment with the tutorial's accuracy, this
    run's, what it was measured on, its training seconds and its answer to the probe letter
    ``start``; the stateful model's recitations, when it ran; then a WARNING for each
    experiment that scored below what its recipe scored at its default budget
    (``expected_accuracy``), naming the flag to change."""
    import pandas as pd

    table = pd.DataFrame.from_dict({name: {
        "tutorial": f"{r['tutorial_accuracy']:.2%}", "this run": f"{r['accuracy']:.2%}",
        "measured on": r["measured_on"], "train s": round(r["train_seconds"], 1),
        f"probe {start} ->": r["probe"]} for name, r in results.items()}, orient="index")
    show_table(table.rename_axis("experiment"))
    if "stateful" in results:  # its recitations: from A, and from the probe letter
        print(f"stateful, seeded with A: {results['stateful']['generated']}\nstateful, cold start "
              f"{start}: {' -> '.join(start + results['stateful']['cold_start'])}   (the next "
              f"letter is {chr(ord(start) + 1)}: it counts with its state)")
    for name, r in results.items():
        if r["accuracy"] < r["expected_accuracy"]:
            print(f"WARNING: {name} scored {r['accuracy']:.2%}, below the "
                  f"{r['expected_accuracy']:.2%} its recipe scored at its default budget on "
                  f"seeds 1-3 and 7: raise --epochs (it ran {r['epochs']} passes)"
                  f"{' or drop --batch-size' if batch_size_flag else ''}")
