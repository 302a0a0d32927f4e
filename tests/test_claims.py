"""Every number in a script's prose is tied to a run, so that prose cannot drift.

A script's prose is its header docstring and its markdown cells. Every decimal number or
percentage in it (``99.90%``, ``0.129``; code in backticks and fenced blocks aside) must be
listed in the script's test module, ``tests/test_NAME.py``, in exactly one of:

- ``CLAIMS``: ``{"99.90%": "sequence_accuracy"}``, a result of the default run, as a dot
  path into ``docs/NAME.json`` (the gallery's metrics of the default run, written by
  ``tools/make_gallery.py``). The value, printed at the literal's precision (``%``: times
  100), must be the literal. A tuple of paths: each must print as the literal.
- ``MEASURED``: ``{"99.19%": (["--recipe", "tutorial"], "sequence_accuracy")}``, a result
  of another run: its flags and the path into that run's metrics. The slow step runs each
  command (TensorFlow, the script's default seed) and checks the literal.
- ``UNMEASURED``: ``{"99.5%": "the validation target"}``: settings, targets, figures
  published by the original tutorials, arithmetic; with the reason.

Training times are never typed into prose: only tools write them (gallery captions, the
benchmark and backend tables).
"""

import json
import re

import pytest

from conftest import ROOT, default_metrics
from test_scripts import SCRIPTS, script_tests
from test_time_promises import PROMISE

NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?%|\d+\.\d+)(?![\d])(?!\.\d)")
SECONDS = re.compile(r"(?<![\w.])\d+(?:\.\d+)?\s?(?:s|seconds?|min|minutes?)\b(?! of (?:the|a))")


def prose(script: str) -> str:
    """The header docstring and the markdown cells of ``script``, without code spans."""
    import ast

    source = (ROOT / script).read_text()
    parts = [ast.get_docstring(ast.parse(source)) or ""]
    lines = source.splitlines()
    inside = False
    for line in lines:
        if line.startswith("# %%"):
            inside = "[markdown]" in line
            continue
        if inside:
            if line.startswith("#"):
                parts.append(line[1:].strip())
            else:
                inside = False
    text = "\n".join(parts)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)  # fenced code
    return re.sub(r"`[^`\n]*`", " ", text)  # inline code


def numbers(text: str) -> set:
    return set(NUMBER.findall(text))


def tables(script: str) -> tuple[dict, dict, dict]:
    module = script_tests(script)
    return (getattr(module, "CLAIMS", {}), getattr(module, "MEASURED", {}),
            getattr(module, "UNMEASURED", {}))


def dig(metrics: dict, path: str):
    value = metrics
    for key in path.split("."):
        value = value[int(key)] if isinstance(value, list) else value[key]
    return value


def printed(value, literal: str) -> str:
    """``value`` printed the way ``literal`` is: ``99.90%`` -> 2 decimals of value x 100."""
    number = literal.rstrip("%")
    decimals = len(number.split(".")[1]) if "." in number else 0
    if literal.endswith("%"):
        return f"{100 * float(value):.{decimals}f}%"
    return f"{float(value):.{decimals}f}"


def misquoted(metrics: dict, claims: dict) -> list:
    """The literals of ``claims`` ({literal: path or paths}) that ``metrics`` does not print
    as the prose writes them, each as "LITERAL (PATH = WHAT THE RUN PRINTS)"."""
    return [f"{literal} ({path} = {printed(dig(metrics, path), literal)})"
            for literal, paths in claims.items()
            for path in ((paths,) if isinstance(paths, str) else paths)
            if printed(dig(metrics, path), literal) != literal]


def prose_with_code(script: str) -> str:
    """The script's markdown cells as written, code spans and all."""
    lines, inside = [], False
    for line in (ROOT / script).read_text().splitlines():
        if line.startswith("# %%"):
            inside = "[markdown]" in line
        elif inside and line.startswith("#"):
            lines.append(line[1:].strip().strip("`"))
    return "\n".join(lines)


def check_a_stated_run(script: str, metrics: dict, command: list, claims: dict) -> None:
    """A committed run beside the default one (a curve, a second look): its prose states the
    command that made it, and every number it quotes from it is what the run printed."""
    assert " ".join(command) in " ".join(prose_with_code(script).split())
    wrong = misquoted(metrics, claims)
    assert not wrong, wrong
    assert set(claims) <= numbers(prose(script))


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_number_in_prose_is_tied_to_a_run(script):
    claims, measured, unmeasured = tables(script)
    listed = [set(claims), set(measured), set(unmeasured)]
    twice = (listed[0] & listed[1]) | (listed[0] & listed[2]) | (listed[1] & listed[2])
    assert not twice, f"{script}: {sorted(twice)} listed in more than one table"
    found = numbers(prose(script))
    untied = sorted(found - set().union(*listed))
    assert not untied, (f"{script}: numbers in its prose that tests/test_{script[:-3]}.py ties "
                        f"to no run (add them to CLAIMS, MEASURED or UNMEASURED): {untied}")
    stale = sorted(set().union(*listed) - found)
    assert not stale, f"{script}: tests/test_{script[:-3]}.py lists numbers its prose lacks: {stale}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_no_training_times_in_prose(script):
    """Seconds drift with every machine and every change: only tools write them. The one
    exception is the header's promise, "under N s on 2 CPU cores", which CI's timing step
    measures (tests/test_time_promises.py)."""
    found = SECONDS.findall(PROMISE.sub(" ", " ".join(prose(script).split())))
    assert not found, f"{script}: times typed into its prose: {found}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_claims_equal_the_default_runs_metrics(script):
    """The prose quotes docs/NAME.json, the gallery's metrics of the default run."""
    claims, _, _ = tables(script)
    if not claims:
        pytest.skip(f"{script} quotes no result of its default run")
    metrics = json.loads((ROOT / "docs" / f"{script[:-3]}.json").read_text())
    wrong = misquoted(metrics, claims)
    assert not wrong, (f"{script}: prose and the default run (docs/{script[:-3]}.json) "
                       f"disagree: {wrong}")


MEASURED_RUNS = sorted({(script, tuple(flags)) for script in SCRIPTS
                        for flags, _ in tables(script)[1].values()})


@pytest.mark.slow
@pytest.mark.parametrize("script,flags", MEASURED_RUNS,
                         ids=[f"{s[:-3]}:{' '.join(f)}" for s, f in MEASURED_RUNS])
def test_measured_numbers_equal_their_runs(script, flags):
    """Each number the prose quotes from a run other than the default: run it, compare."""
    metrics = default_metrics(script, *flags)  # shared with any other test of the same run
    wrong = []
    for literal, (wanted_flags, path) in tables(script)[1].items():
        if tuple(wanted_flags) == flags:
            shown = printed(dig(metrics, path), literal)
            if shown != literal:
                wrong.append(f"{literal} ({path} = {shown})")
    assert not wrong, f"python {script} {' '.join(flags)}: the prose says otherwise: {wrong}"


def test_the_number_finder_finds_what_prose_quotes():
    text = "reached 99.90% (0.129 RMSE, 9.2x faster, 100% of 2,100) in `--noise 0.05` v3"
    assert numbers(prose_of(text)) == {"99.90%", "0.129", "9.2", "100%"}
    assert printed(0.99904, "99.90%") == "99.90%" and printed(0.1294, "0.129") == "0.129"
    assert SECONDS.findall("took 4.1 s and 12 seconds, 3 min") == ["4.1 s", "12 seconds", "3 min"]


def prose_of(text: str) -> str:
    return re.sub(r"`[^`\n]*`", " ", text)


# The README quotes no result of a run: the gallery captions and the speed-up sentence
# between their markers are written by tools (tools/make_gallery.py, benchmarks/run.py).
README_UNMEASURED = {
    "99.5%": "echo_full's and echo_partial's validation target",
    "99%": "reverse_bidirectional's and seq2seq_teacher_forcing's target",
    "0.1": "forecast_feedback's noise level that sets the floor (arithmetic: noise adds in quadrature)",
    "3.10": "a Python version", "3.13": "a Python version",
    "95%": "forecast_real_series' intervals' nominal coverage (SHARED[\"level\"])",
}


def test_the_readme_quotes_only_what_tools_write():
    text = (ROOT / "README.md").read_text()
    text = re.sub(r"<!-- (gallery|speedup): begin -->.*?<!-- \1: end -->", " ", text, flags=re.S)
    text = re.sub(r"`[^`\n]*`", " ", re.sub(r"```.*?```", " ", text, flags=re.S))
    found = numbers(text)
    assert found == set(README_UNMEASURED), (
        f"README numbers not in README_UNMEASURED: {sorted(found - set(README_UNMEASURED))}; "
        f"listed but gone: {sorted(set(README_UNMEASURED) - found)}")
    text = PROMISE.sub(" ", " ".join(text.split()))  # the promise CI's timing step checks
    assert not SECONDS.findall(text), SECONDS.findall(text)
