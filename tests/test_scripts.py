"""Every top-level script, run the way a user runs it.

One list of scripts (every ``*.py`` at the top of the repo), and for each: the collection's
shape, a quick run as a subprocess with every output flag, each of its bad inputs, and every
command line of its "Try next" cell. A new script without a ``tests/test_NAME.py`` that
defines SMOKE_ARGS and BAD_INPUTS fails here.
"""

import argparse
import ast
import importlib
import json
import re
import shlex
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_namespace, run_script, slow_except

SCRIPTS = sorted(path.name for path in ROOT.glob("*.py"))
METRIC_KEYS = {"script", "backend", "seed"}
SECTIONS = ("## Setup", "## Configuration", "## What we learned", "## Try next")


def script_tests(script):
    """The script's own test module, or None if it has none (a failure, reported below)."""
    try:
        return importlib.import_module(f"test_{script[:-3]}")
    except ModuleNotFoundError:
        return None


def smoke_args(script):
    module = script_tests(script)
    if module is None:
        pytest.fail(f"{script} has no tests/test_{script[:-3]}.py")
    return module.SMOKE_ARGS


def trains(script) -> bool:
    """Whether the script trains a model (it has a "## Train" section)."""
    return "# ## Train\n" in (ROOT / script).read_text()


def try_next_commands(script) -> list:
    """The flags of each ``python SCRIPT ...`` line in the script's "Try next" cell."""
    source = (ROOT / script).read_text()
    cell = source.split("# ## Try next", 1)[-1] if "# ## Try next" in source else ""
    commands = []
    for line in cell.splitlines():
        match = re.match(rf"#\s+python {re.escape(script)}(.*)$", line)
        if match:
            commands.append(shlex.split(match.group(1).split("  #")[0].split(" # ")[0]))
    return commands


def test_the_collection_has_its_scripts():
    assert {"echo_full.py", "echo_partial.py", "reverse_bidirectional.py",
            "stateful_alphabet.py", "lstm_shapes.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_smoke_and_bad_input_cases(script):
    module = script_tests(script)
    assert module is not None, f"{script} has no tests/test_{script[:-3]}.py"
    assert isinstance(module.SMOKE_ARGS, list)
    assert len(module.BAD_INPUTS) >= 3, f"{script}: list its bad inputs in BAD_INPUTS"


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_the_collection_shape(script):
    """A header a reader sees first; notebook cells with the shared sections; flags parsed at
    the top level; the lesson's own Keras calls in the script; no main() to hide them."""
    source = (ROOT / script).read_text()
    tree = ast.parse(source)
    doc = ast.get_docstring(tree)
    assert doc.startswith("Title: ") and "Description: " in doc
    assert source.count("# %% [markdown]") >= 5
    missing = [section for section in SECTIONS if f"# {section}\n" not in source]
    assert not missing, f"{script} lacks the sections {missing}"
    assert source.index("# ## What we learned") < source.index("# ## Try next")
    top_level = [ast.unparse(node) for node in tree.body]
    assert any(line.startswith("args = read_settings(") for line in top_level), \
        "read the settings at the top (common.cli.read_settings)"
    assert any(line.startswith("SETTINGS = ") for line in top_level), "the settings as data"
    assert any(line.startswith("metrics = ") for line in top_level), "a top-level metrics dict"
    assert "def main(" not in source and "__name__" not in source
    assert 2 <= len(try_next_commands(script)) <= 4, "2-4 command lines under Try next"
    if trains(script):
        for heading in ("## Generate the data", "## Build the model", "## Train", "## Evaluate"):
            assert f"# {heading}\n" in source, f"{script} lacks {heading}"
        # The calls the lesson is about are in the script, not in a helper.
        assert ".compile(" in source and ".fit(" in source
        assert ".predict(" in source or "model(" in source


@pytest.mark.parametrize("script", SCRIPTS)
def test_quick_run_writes_every_output(script, tmp_path):
    outputs = {"--metrics": tmp_path / "m.json", "--plot": tmp_path / "p.png",
               "--save": tmp_path / "m.keras"}
    flags = [str(part) for flag, path in outputs.items() for part in (flag, path)]
    result = run_script(script, *smoke_args(script), *flags)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    # No Python warnings (PYTHONWARNINGS=default shows deprecations too), and none of
    # TensorFlow's logged ones ("WARNING:tensorflow:... retracing").
    assert "Warning" not in result.stderr and "WARNING:" not in result.stderr, result.stderr[-3000:]
    assert result.stdout.count("Settings: ") == 1, "print the run's settings once"
    metrics = json.loads(outputs["--metrics"].read_text())
    assert METRIC_KEYS <= metrics.keys() and metrics["script"] == script[:-3]
    if trains(script):
        assert "train_seconds" in metrics
    assert_picture(outputs["--plot"])
    assert outputs["--save"].exists(), "--save wrote no model"  # tests/test_NAME.py reloads it


def assert_picture(path, smallest=(300, 500)):
    """A PNG of a readable size that shows something: not one flat colour, and not almost
    all background."""
    import matplotlib.image

    assert path.read_bytes()[:4] == b"\x89PNG"
    pixels = matplotlib.image.imread(path)[..., :3]
    height, width = pixels.shape[:2]
    assert height >= smallest[0] and width >= smallest[1], f"{path.name} is {width}x{height} px"
    background = np.all(np.isclose(pixels, pixels[0, 0]), axis=-1)
    assert background.mean() < 0.99, f"{path.name} is blank"
    assert pixels.std() > 0.01


class _Parsed(Exception):
    pass


def parser_of(script):
    """The script's argparse parser, caught when the script parses its command line (before
    anything trains)."""
    import argparse

    caught = {}
    original = argparse.ArgumentParser.parse_args

    def catch(self, *args, **kwargs):
        caught["parser"] = self
        raise _Parsed

    argparse.ArgumentParser.parse_args = catch
    try:
        run_namespace(script)
    except _Parsed:
        pass
    finally:
        argparse.ArgumentParser.parse_args = original
    assert "parser" in caught, f"{script} parsed no command line"
    return caught["parser"]


def flags_of(script) -> dict:
    """Every flag of the script (its long option) -> its argparse action, --help aside."""
    return {next(o for o in action.option_strings if o.startswith("--")): action
            for action in parser_of(script)._actions if action.option_strings
            and "--help" not in action.option_strings}


def assert_help_names_every_flag(script, text):
    """``--help``'s text lists each flag with its default; every help string formats
    (argparse expands %-codes in them)."""
    text = " ".join(text.split())
    assert text.startswith(f"usage: {script}")
    parser = parser_of(script)
    formatter = parser._get_formatter()
    for flag, action in flags_of(script).items():
        assert flag in text, f"--help does not name {flag}"
        expanded = " ".join(formatter._expand_help(action).split()) if action.help else ""
        assert "{'option_strings'" not in expanded, f"{flag}'s help shows argparse internals"
        assert expanded in text, f"{flag}'s help is not shown as written: {expanded!r}"
        if action.default not in (None, False, argparse.SUPPRESS) and action.help:
            assert "(default: " in expanded, f"--help shows no default for {flag}"


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_names_every_flag_with_its_default(script):
    assert_help_names_every_flag(script, parser_of(script).format_help())


# Each subprocess spends most of its time importing Keras: the README's command runs one
# script from the shell, the slow step all of them.
FROM_THE_SHELL = slow_except(SCRIPTS, {"echo_full.py"})


@pytest.mark.parametrize("script", FROM_THE_SHELL)
def test_help_from_the_shell(script):
    """``python SCRIPT --help`` works as a user types it."""
    result = run_script(script, "--help")
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert_help_names_every_flag(script, result.stdout)


SHARED_FLAGS_EXERCISED = {"--metrics", "--plot", "--save"}  # test_quick_run_writes_every_output


def exercised_flags(script) -> set:
    """The flag strings that the script's test module passes with a valid value (anywhere
    but in BAD_INPUTS), plus those of its Try next commands, which test_try_next runs."""
    module = script_tests(script)
    tree = ast.parse(Path(module.__file__).read_text())
    bad = [node.value for node in ast.walk(tree) if isinstance(node, ast.Assign)
           and any(isinstance(t, ast.Name) and t.id == "BAD_INPUTS" for t in node.targets)]
    in_bad = {id(n) for value in bad for n in ast.walk(value)}
    found = {node.value.split("=")[0] for node in ast.walk(tree)
             if isinstance(node, ast.Constant) and isinstance(node.value, str)
             and node.value.startswith("--") and id(node) not in in_bad}
    for args in try_next_commands(script):
        found |= {arg.split("=")[0] for arg in args if arg.startswith("--")}
    return found | SHARED_FLAGS_EXERCISED


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_flag_is_exercised_with_a_valid_value(script):
    never = sorted(set(flags_of(script)) - exercised_flags(script))
    assert not never, (f"{script}: flags no test runs with a valid value (use each in "
                       f"tests/test_{script[:-3]}.py outside BAD_INPUTS, or in Try next): {never}")


@pytest.mark.parametrize("flag", slow_except(["--plot", "--metrics", "--save"], {"--plot"}))
def test_an_output_path_that_cannot_be_written_stops_before_training(flag, tmp_path):
    """A folder that exists but cannot take a file (/proc) is refused at parse time, with one
    error line and exit 2, before any training time is spent."""
    suffix = {"--plot": "png", "--metrics": "json", "--save": "keras"}[flag]
    result = run_script("echo_full.py", flag, f"/proc/nope.{suffix}", "--epochs", "1")
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr and "Settings:" not in result.stdout
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("echo_full.py: error: argument " + flag) and "cannot write" in last


TRY_NEXT = [(script, args) for script in SCRIPTS for args in try_next_commands(script)]


@pytest.mark.slow  # a run per "Try next" line, up to a minute each
@pytest.mark.parametrize("script,args", TRY_NEXT, ids=[f"{s[:-3]}:{' '.join(a)}" for s, a in TRY_NEXT])
def test_try_next_commands_run(script, args, monkeypatch):
    """Every command a script suggests under "Try next" runs (with the quick budget)."""
    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    metrics = run_namespace(script, *args, "--quiet")["metrics"]
    assert metrics["script"] == script[:-3]


# Bad inputs every script must reject the same way, on top of its own BAD_INPUTS.
SHARED_BAD_INPUTS = [
    (["--seed", "x"], "argument --seed"),
    (["--seed", "-1"], "argument --seed"),
    (["--seed", "4294967296"], "argument --seed"),  # NumPy takes seeds below 2**32
    (["--unknown-flag"], "unrecognized arguments"),
    (["--metrics", "README.md/m.json"], "argument --metrics"),  # a file is not a folder
    (["--plot", "plot.jpg"], "argument --plot"),
    (["--save", "model.h5"], "argument --save"),
    (["--metrics", "tests"], "argument --metrics"),
]
# ... and every script with such a flag.
FLAG_BAD_INPUTS = {
    "--epochs": [(["--epochs", "1.5"], "argument --epochs"), (["--epochs", "0"], "argument --epochs")],
    "--batch-size": [(["--batch-size", "0"], "argument --batch-size")],
    "--learning-rate": [(["--learning-rate", "inf"], "argument --learning-rate"),
                        (["--learning-rate", "nan"], "argument --learning-rate"),
                        (["--learning-rate", "0"], "argument --learning-rate")],
}


def bad_inputs(script):
    source = (ROOT / script).read_text()
    flagged = [case for flag, cases in FLAG_BAD_INPUTS.items()
               if f'"{flag}"' in source or (flag in ("--epochs", "--batch-size") and trains(script))
               for case in cases]
    return getattr(script_tests(script), "BAD_INPUTS", []) + SHARED_BAD_INPUTS + flagged


BAD_CASES = [(script, args, text) for script in SCRIPTS for args, text in bad_inputs(script)]


def _output_flags(folder, args):
    """Ask for every output too (unless the case is about one), so a test can check that a
    rejected run writes nothing."""
    wanted = {"--metrics": "m.json", "--plot": "p.png", "--save": "m.keras"}
    return [part for flag, name in wanted.items() if flag not in args
            for part in (flag, str(folder / name))]


@pytest.mark.parametrize("script,args,text", BAD_CASES,
                         ids=[f"{s[:-3]}:{' '.join(a)}" for s, a, _ in BAD_CASES])
def test_bad_input_exits_2_with_one_error_line(script, args, text, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        run_namespace(script, *args, *_output_flags(tmp_path, args))
    assert stop.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"{script}: error: "), errors
    assert text in errors[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("script", FROM_THE_SHELL)
def test_bad_input_from_the_shell_has_no_traceback(script, tmp_path):
    args, text = bad_inputs(script)[0]
    result = run_script(script, *args, *_output_flags(tmp_path, args))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"{script}: error: ")
    assert text in result.stderr
    assert list(tmp_path.iterdir()) == []


# The command line answers before a backend loads: `--help` and every bad input of a
# script, each in a fresh Python, as a user types them (issue 26: under 2 s and 200 MB).
# The wrapper runs the script as `python SCRIPT ARGS` would and then reports, on its last
# line of standard error, whether Keras was imported and the process's peak memory.
_MEASURED = (  # peak memory from /proc (Linux): getrusage's survives exec, from pytest's
    "import json, re, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    peak = re.search(r'VmHWM:\\s+(\\d+) kB', open('/proc/self/status').read())\n"
    "    sys.stderr.write('\\n' + json.dumps({'keras': 'keras' in sys.modules,\n"
    "                                        'peak_mb': int(peak.group(1)) / 1024}) + '\\n')\n")
FAST_SECONDS, FAST_MB = 2.0, 200


def _run_measured(script, args, tmp_path):
    import subprocess
    import sys
    import time

    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", _MEASURED, str(ROOT / script), *args],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    seconds = time.perf_counter() - start
    *lines, report = done.stderr.rstrip("\n").splitlines()
    return done, seconds, json.loads(report), "\n".join(lines)


@pytest.mark.parametrize("script", SCRIPTS)
def test_help_answers_before_keras_loads(script, tmp_path):
    done, seconds, report, _ = _run_measured(script, ["--help"], tmp_path)
    assert done.returncode == 0 and "usage:" in done.stdout
    assert not report["keras"], f"{script} --help imported Keras"
    assert seconds < FAST_SECONDS and report["peak_mb"] < FAST_MB, (seconds, report)


@pytest.mark.parametrize("script,args,text", BAD_CASES,
                         ids=[f"{s[:-3]}:{' '.join(a)}" for s, a, _ in BAD_CASES])
def test_bad_input_answers_before_keras_loads(script, args, text, tmp_path):
    done, seconds, report, stderr = _run_measured(
        script, [*args, *_output_flags(tmp_path, args)], tmp_path)
    assert done.returncode == 2, stderr[-2000:]
    assert done.stdout == "", f"printed before the error: {done.stdout[:300]!r}"
    assert stderr.splitlines()[-1].startswith(f"{script}: error: ") and text in stderr
    assert not report["keras"], f"{script} {' '.join(args)}: Keras loaded before the error"
    assert seconds < FAST_SECONDS and report["peak_mb"] < FAST_MB, (seconds, report)
