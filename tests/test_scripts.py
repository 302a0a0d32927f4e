"""Every top-level script, run the way a user runs it.

One list of scripts (every ``*.py`` at the top of the repo), and for each: a quick run as a
subprocess with every output flag, and each of its bad inputs. A new script without a
``tests/test_NAME.py`` that defines SMOKE_ARGS and BAD_INPUTS fails here.
"""

import importlib
import json

import pytest

from conftest import ROOT, run_script

SCRIPTS = sorted(path.name for path in ROOT.glob("*.py"))
METRIC_KEYS = {"script", "backend", "seed", "train_seconds"}


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


def test_the_collection_has_its_scripts():
    assert {"echo_full.py"} <= set(SCRIPTS)


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_smoke_and_bad_input_cases(script):
    module = script_tests(script)
    assert module is not None, f"{script} has no tests/test_{script[:-3]}.py"
    assert isinstance(module.SMOKE_ARGS, list)
    assert len(module.BAD_INPUTS) >= 3, f"{script}: list its bad inputs in BAD_INPUTS"


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_script_has_the_collection_shape(script):
    """A header a reader sees first, notebook cells, and an importable main(argv)."""
    module = importlib.import_module(script[:-3])
    source = (ROOT / script).read_text()
    assert module.__doc__.lstrip().startswith("Title: ") and "Description: " in module.__doc__
    assert source.count("# %% [markdown]") >= 3 and callable(module.main)
    assert source.rstrip().endswith('if __name__ == "__main__":\n    main()')


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
    assert "Warning" not in result.stderr and "WARNING" not in result.stderr, result.stderr[-3000:]
    metrics = json.loads(outputs["--metrics"].read_text())
    assert METRIC_KEYS <= metrics.keys() and metrics["script"] == script[:-3]
    assert outputs["--plot"].read_bytes()[:4] == b"\x89PNG"
    if "--save" in result.stdout or outputs["--save"].exists():
        import keras

        assert isinstance(keras.saving.load_model(outputs["--save"]), keras.Model)


# Bad inputs every script must reject the same way, on top of its own BAD_INPUTS.
SHARED_BAD_INPUTS = [
    (["--seed", "x"], "argument --seed"),
    (["--seed", "-1"], "argument --seed"),
    (["--epochs", "1.5"], "argument --epochs"),
    (["--unknown-flag"], "unrecognized arguments"),
    (["--metrics", "README.md/m.json"], "argument --metrics"),  # a file is not a folder
    (["--plot", "plot.jpg"], "argument --plot"),
    (["--save", "model.h5"], "argument --save"),
    (["--metrics", "tests"], "argument --metrics"),
]
BAD_CASES = [(script, args, text) for script in SCRIPTS
             for args, text in getattr(script_tests(script), "BAD_INPUTS", []) + SHARED_BAD_INPUTS]


def _output_flags(folder, args):
    """Ask for every output too (unless the case is about one), so a test can check that a
    rejected run writes nothing."""
    wanted = {"--metrics": "m.json", "--plot": "p.png", "--save": "m.keras"}
    return [part for flag, name in wanted.items() if flag not in args
            for part in (flag, str(folder / name))]


@pytest.mark.parametrize("script,args,text", BAD_CASES,
                         ids=[f"{s[:-3]}:{' '.join(a)}" for s, a, _ in BAD_CASES])
def test_bad_input_exits_2_with_one_error_line(script, args, text, tmp_path, capsys):
    module = importlib.import_module(script[:-3])
    with pytest.raises(SystemExit) as stop:
        module.main([*args, *_output_flags(tmp_path, args)])
    assert stop.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"{script}: error: "), errors
    assert text in errors[0]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("script", SCRIPTS)
def test_bad_input_from_the_shell_has_no_traceback(script, tmp_path):
    args, text = (getattr(script_tests(script), "BAD_INPUTS", None) or SHARED_BAD_INPUTS)[0]
    result = run_script(script, *args, *_output_flags(tmp_path, args))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"{script}: error: ")
    assert text in result.stderr
    assert list(tmp_path.iterdir()) == []
