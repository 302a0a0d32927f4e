"""Which Keras backend the scripts get, with or without TensorFlow (common.choose_backend),
and the requirement files that install one on every Python from 3.10.

Keras' default backend is TensorFlow, which publishes no wheel for Python 3.14; there
requirements.txt installs JAX, and the scripts pick it by themselves. A backend someone
names that Keras does not know, or that is not installed, stops a script with one error
line instead of a traceback from inside Keras.
"""

import json
import os
import re

import pytest
from packaging.markers import Marker

import common
from conftest import ROOT, run_script
from test_scripts import SCRIPTS, smoke_args

TF_FREE = not common.backend_installed("tensorflow")


# --- common.choose_backend, with the installed backends and keras.json faked ---------------

@pytest.fixture
def choose(monkeypatch, tmp_path, capsys):
    """choose_backend() with the given backends installed, KERAS_BACKEND and keras.json as
    given; returns (backend or exit status, KERAS_BACKEND after, stderr lines)."""

    def run(installed, env=None, config=None):
        monkeypatch.setattr(common, "backend_installed", lambda backend: backend in installed)
        monkeypatch.setenv("KERAS_HOME", str(tmp_path))
        # choose_backend() may set KERAS_BACKEND itself: set it here first, so monkeypatch
        # restores it after the test (a variable it only deleted, it would leave set, and
        # this worker's later subprocesses would run on the backend chosen here).
        monkeypatch.setenv("KERAS_BACKEND", "")
        monkeypatch.delenv("KERAS_BACKEND")
        if env is not None:
            monkeypatch.setenv("KERAS_BACKEND", env)
        (tmp_path / "keras.json").unlink(missing_ok=True)
        if config is not None:
            (tmp_path / "keras.json").write_text(json.dumps(config))
        try:
            outcome = common.choose_backend()
        except SystemExit as stop:
            outcome = stop.code
        return outcome, os.environ.get("KERAS_BACKEND"), capsys.readouterr().err.splitlines()

    return run


def test_tensorflow_installed_and_nothing_chosen_keeps_keras_default(choose):
    assert choose({"tensorflow", "jax"}) == ("tensorflow", None, [])


@pytest.mark.parametrize("installed,fallback", [({"jax", "torch"}, "jax"), ({"torch"}, "torch")])
def test_without_tensorflow_picks_jax_then_torch_and_says_so(choose, installed, fallback):
    outcome, env, lines = choose(installed)
    assert outcome == fallback and env == fallback  # set before Keras is imported
    name = {"jax": "JAX", "torch": "PyTorch"}[fallback]
    assert lines == [f"TensorFlow is not installed: using the {name} backend "
                     "(set KERAS_BACKEND to one of tensorflow, jax, torch to choose)"]


def test_keras_own_default_in_keras_json_does_not_block_the_fallback(choose):
    """Keras writes "backend": "tensorflow" into a new keras.json the first time it is
    imported, so that line is no one's choice: a new TensorFlow-free venv still gets JAX."""
    outcome, env, lines = choose({"jax"}, config={"backend": "tensorflow", "floatx": "float32"})
    assert (outcome, env, len(lines)) == ("jax", "jax", 1)


def test_a_chosen_backend_is_kept(choose):
    assert choose({"jax", "torch"}, env="torch") == ("torch", "torch", [])
    assert choose({"jax", "torch"}, config={"backend": "torch"}) == ("torch", None, [])
    # An empty KERAS_BACKEND counts as unset, as in Keras.
    assert choose({"tensorflow"}, env="") == ("tensorflow", "", [])


@pytest.mark.parametrize("env,config,installed,expected", [
    ("tensorflw", None, {"tensorflow"},
     "KERAS_BACKEND=tensorflw is not a Keras backend; use one of tensorflow, jax, torch"),
    ("numpy", None, {"tensorflow"}, "Keras' numpy backend cannot train models; use one of"),
    ("tensorflow", None, {"jax"}, "KERAS_BACKEND=tensorflow asks for TensorFlow, which is "
                                  "not installed: pip install tensorflow"),
    (None, {"backend": "jaks"}, {"jax"}, 'keras.json is not a Keras backend; use one of'),
    (None, {"backend": "torch"}, {"jax"}, "asks for PyTorch, which is not installed"),
    (None, None, set(), "no Keras backend is installed (TensorFlow, JAX or PyTorch): "
                        "pip install -r requirements.txt"),
])
def test_a_backend_that_cannot_run_stops_with_one_line(choose, env, config, installed, expected):
    outcome, _, lines = choose(installed, env=env, config=config)
    assert outcome == 2 and len(lines) == 1, lines
    assert re.match(r"\S+: error: ", lines[0]) and expected in lines[0], lines


# --- the scripts, run as a user runs them ------------------------------------------------------

@pytest.mark.parametrize("script", SCRIPTS)
def test_unknown_keras_backend_is_one_error_line(script):
    """Before Keras is imported, so no traceback from inside it, on every script."""
    result = run_script(script, env={"KERAS_BACKEND": "tensorflw"}, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"{script}: error: KERAS_BACKEND=tensorflw is not a Keras backend; "
        "use one of tensorflow, jax, torch"]
    assert result.stdout == ""


@pytest.mark.skipif(not TF_FREE, reason="needs an environment without TensorFlow (CI builds one)")
def test_without_tensorflow_a_script_runs_on_jax_and_says_so(tmp_path):
    """The newcomer's first command on Python 3.14: no KERAS_BACKEND, no TensorFlow."""
    env = {"KERAS_BACKEND": "", "KERAS_HOME": str(tmp_path)}
    metrics = tmp_path / "m.json"
    result = run_script("echo_full.py", *smoke_args("echo_full.py"), "--metrics", str(metrics),
                        env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stderr.splitlines()[0].startswith(
        "TensorFlow is not installed: using the JAX backend")
    assert json.loads(metrics.read_text())["backend"] == "jax"


# --- the requirement files -----------------------------------------------------------------

def _requirements(name):
    """[(package, requirement, marker or None)] of a requirements file's own lines."""
    found = []
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            requirement, _, marker = (part.strip() for part in line.partition(";"))
            package = re.match(r"[A-Za-z0-9_.-]+", requirement).group()
            found.append((package, requirement, marker or None))
    return found


@pytest.mark.parametrize("python", ["3.10", "3.11", "3.12", "3.13", "3.14", "3.15"])
def test_requirements_install_exactly_one_backend_on_every_python(python):
    """TensorFlow where it publishes wheels (3.10-3.13 for 2.21), JAX on newer Pythons."""
    backends = [package for package, _, marker in _requirements("requirements.txt")
                if package in common.BACKENDS
                and (marker is None or Marker(marker).evaluate({"python_version": python}))]
    assert backends == (["tensorflow"] if python < "3.14" else ["jax"])


def test_tensorflow_free_requirements_are_requirements_txt_minus_tensorflow():
    """requirements-notf.txt (what CI's TensorFlow-free step installs) stays in step with
    requirements.txt: the same lines but TensorFlow's, JAX on every Python, and pytest with
    pytest-xdist (pytest.ini runs the tests in parallel)."""
    expected = [(package, requirement, None if package == "jax" else marker)
                for package, requirement, marker in _requirements("requirements.txt")
                if package != "tensorflow"]
    test_tools = ("pytest", "pytest-xdist")
    notf = [line for line in _requirements("requirements-notf.txt") if line[0] not in test_tools]
    assert sorted(notf, key=str) == sorted(expected, key=str)
    assert set(test_tools) <= {package for package, _, _ in _requirements("requirements-notf.txt")}
