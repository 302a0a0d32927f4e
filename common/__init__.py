"""Helpers shared by the LSTM tutorials in this collection.

Each tutorial script shows the model it teaches; the plumbing that every script needs
lives here, written once:

- ``common.data``: random integer sequences, one-hot encoding, framing into windows.
- ``common.series``: the real series (sunspots, CO2, a CSV column) for forecast_real_series.
- ``common.training``: seeding and fit verbosity.
- ``common.backend_fixes``: work-arounds for Keras bugs on one backend, applied on import.
- ``common.cli``: the flags every script accepts, their validation, and the outputs
  (metrics JSON, plot, saved model).
- ``common.plots``: the pictures ``--plot`` draws.
"""

import importlib.util
import json
import os
import sys
from typing import NoReturn

# Keras reads its backend once, when it is first imported: KERAS_BACKEND if set, else the
# "backend" in ~/.keras/keras.json, else TensorFlow. These tutorials train on three of them.
BACKENDS = ("tensorflow", "jax", "torch")
# What each backend needs installed: JAX is two packages (jaxlib holds the compiled part).
_BACKEND_MODULES = {"tensorflow": ("tensorflow",), "jax": ("jax", "jaxlib"), "torch": ("torch",)}
_BACKEND_NAMES = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}


def backend_installed(backend: str) -> bool:
    """Whether ``backend``'s packages are installed, found without importing them (importing
    TensorFlow alone takes seconds)."""
    return all(importlib.util.find_spec(module) is not None
               for module in _BACKEND_MODULES[backend])


def _keras_config_backend() -> tuple[str | None, str]:
    """The backend Keras' config file names, and the file's path, found the way Keras 3
    finds it: $KERAS_HOME/keras.json, else ~/.keras/keras.json (/tmp/.keras when the home
    folder is not writable). (None, path) when there is no file or it names no backend."""
    if "KERAS_HOME" in os.environ:
        folder = os.environ["KERAS_HOME"]
    else:
        home = os.path.expanduser("~")
        folder = os.path.join(home if os.access(home, os.W_OK) else "/tmp", ".keras")
    path = os.path.expanduser(os.path.join(folder, "keras.json"))
    try:
        with open(path) as file:
            config = json.load(file)
    except (OSError, ValueError):
        return None, path
    backend = config.get("backend") if isinstance(config, dict) else None
    return (backend or None), path


def _stop(message: str) -> NoReturn:
    """One argparse-style error line, exit status 2, as for a bad flag."""
    prog = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else "python"
    print(f"{prog}: error: {message}", file=sys.stderr)
    raise SystemExit(2)


def _problem_with(backend: str, where: str, instead: str) -> str | None:
    """Why ``backend`` (named by ``where``) cannot train these tutorials, or None;
    ``instead`` says how to choose another."""
    choices = "use one of " + ", ".join(BACKENDS)
    if backend in ("numpy", "openvino"):
        return f"{where}: Keras' {backend} backend cannot train models; {choices}"
    if backend not in BACKENDS:
        return f"{where} is not a Keras backend; {choices}"
    if not backend_installed(backend):
        return (f"{where} asks for {_BACKEND_NAMES[backend]}, which is not installed: "
                f"pip install {backend}, or {instead}")
    return None


def choose_backend() -> str:
    """Check the backend Keras will use, or pick one when nothing chose it and TensorFlow,
    Keras' default, is not installed; returns its name.

    A newcomer on a Python that TensorFlow publishes no wheel for (3.14) gets JAX from
    requirements.txt and should not have to know about backends: with KERAS_BACKEND unset
    we set it to JAX (or PyTorch, if JAX is missing too) before Keras is imported, and say
    so in one line. A backend someone chose (KERAS_BACKEND, keras.json) is kept; a name
    Keras does not know, or a backend that is not installed, stops with one error line
    instead of a traceback from inside Keras.
    """
    chosen = os.environ.get("KERAS_BACKEND")
    if chosen:  # an empty KERAS_BACKEND counts as unset, as in Keras
        problem = _problem_with(chosen, f"KERAS_BACKEND={chosen}",
                                "unset KERAS_BACKEND to use an installed backend")
        if problem:
            _stop(problem)
        return chosen
    configured, config_path = _keras_config_backend()
    # Keras writes "tensorflow" into a new keras.json itself, the first time it is imported
    # anywhere on the machine, so that value is no one's choice: treat it as unset.
    if configured and configured != "tensorflow":
        problem = _problem_with(configured, f'"backend": "{configured}" in {config_path}',
                                "set KERAS_BACKEND to an installed backend")
        if problem:
            _stop(problem)
        return configured
    if backend_installed("tensorflow"):
        return "tensorflow"
    for fallback in ("jax", "torch"):
        if backend_installed(fallback):
            os.environ["KERAS_BACKEND"] = fallback
            print(f"TensorFlow is not installed: using the {_BACKEND_NAMES[fallback]} backend "
                  f"(set KERAS_BACKEND to one of {', '.join(BACKENDS)} to choose)",
                  file=sys.stderr, flush=True)
            return fallback
    _stop("no Keras backend is installed (TensorFlow, JAX or PyTorch): "
          "pip install -r requirements.txt")


def cache_jax_programs(backend: str) -> None:
    """On JAX, keep compiled programs on disk (JAX's persistent compilation cache), so a
    second run of a script reuses them instead of compiling them again.

    JAX compiles a program for every new operation and input shape it runs, some 10-300 ms
    each on a CPU; lstm_shapes.py's tour alone compiles about 75 and spends most of its
    time doing it (docs/backends.md). The cache lives in ~/.cache/lstm-tutorials/jax (under
    XDG_CACHE_HOME if set); set JAX_COMPILATION_CACHE_DIR to put it elsewhere, or
    JAX_ENABLE_COMPILATION_CACHE=false to turn it off. JAX reads these when it is imported,
    so a JAX imported before ``common`` is left as it is.
    """
    if backend != "jax" or "jax" in sys.modules:
        return
    if "JAX_COMPILATION_CACHE_DIR" not in os.environ:
        from pathlib import Path

        home = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
        folder = home / "lstm-tutorials" / "jax"
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:  # a read-only home: run without the cache
            return
        os.environ["JAX_COMPILATION_CACHE_DIR"] = str(folder)
    # JAX caches only programs that took 1 s or more to compile; the tour's take less.
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS", "0")
    os.environ.setdefault("JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES", "0")


# TensorFlow's C++ core logs notes a tutorial reader does not need (CPU features, missing
# CUDA, a harmless tf.data attribute mismatch in TF 2.21 at every fit). Level 3 keeps them
# out; C++ failures still surface as Python exceptions, and Python warnings still show.
# It must be set before Keras imports TensorFlow; set it yourself to see everything.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


_STARTUP_NOTES = ("before absl::InitializeLog()", "oneDNN custom operations", "cuda drivers",
                  "failed call to cuInit", "cpu_feature_guard", "rebuild TensorFlow with")


class _StartupNotesFiltered:
    """A context in which TensorFlow's C++ start-up notes are filtered out of standard error.

    TensorFlow 2.21 logs "oneDNN custom operations are on" and "Could not find cuda
    drivers" through absl before its log level is read, so TF_CPP_MIN_LOG_LEVEL cannot
    hide them. We send the C++ standard error to a file while Keras loads and pass on
    every line except those known notes, so a real error or warning still shows.
    """

    def __enter__(self):
        import tempfile

        sys.stderr.flush()
        self.saved, self.captured = os.dup(2), tempfile.TemporaryFile(mode="w+b")
        os.dup2(self.captured.fileno(), 2)

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.captured.seek(0)
        for line in self.captured.read().decode(errors="replace").splitlines(keepends=True):
            if not any(note in line for note in _STARTUP_NOTES):
                sys.stderr.write(line)
        self.captured.close()


def _quiet_retracing_warning() -> None:
    """Filter one TensorFlow warning out of its logger, by message.

    A script that trains several models one after another (stateful_alphabet.py's
    experiments, a quick run of any script comparing models) traces a new step function for
    each model, and TensorFlow then logs "5 out of the last 5 calls to <function ...>
    triggered tf.function retracing". That is expected and not the reader's to fix; every
    other TensorFlow message still shows.
    """
    import logging

    logging.getLogger("tensorflow").addFilter(
        lambda record: "triggered tf.function retracing" not in record.getMessage())


def _keras_loaded() -> None:
    """What Keras needs once it has loaded: the work-arounds of common/backend_fixes.py (a
    notebook made by tools/make_notebooks.py loads Keras in its Helpers cell instead, the way
    common/notebook.py does, with the work-arounds its script needs)."""
    if __name__ == "common":
        importlib.import_module("common.backend_fixes")
    _quiet_retracing_warning()


class _WhenKerasLoads:
    """An import hook: the first ``import keras`` loads Keras (and TensorFlow, which Keras
    uses on every backend when it is installed: tf.data feeds fit and predict on JAX too)
    with the start-up notes filtered, then applies the work-arounds.

    Importing common itself loads no Keras, so a script can read its flags first: ``--help``
    and a mistyped flag answer in a fraction of a second instead of after TensorFlow has
    loaded (several seconds and most of a gigabyte)."""

    def find_spec(self, name, path=None, target=None):
        if name != "keras":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            return spec
        load = spec.loader.exec_module

        def exec_module(module):
            with _StartupNotesFiltered():
                load(module)
                if backend_installed("tensorflow"):
                    import tensorflow as tf

                    tf.config.list_physical_devices()  # logs a CUDA error without a driver
            _keras_loaded()

        spec.loader.exec_module = exec_module
        return spec


if "keras" in sys.modules:  # once Keras is imported, its backend is fixed
    _keras_loaded()
else:
    cache_jax_programs(choose_backend())
    if not any(isinstance(finder, _WhenKerasLoads) for finder in sys.meta_path):
        sys.meta_path.insert(0, _WhenKerasLoads())
