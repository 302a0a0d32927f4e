"""echo_partial.py: shapes, data, the stop-at-target recipe over its checked range, the
tutorial's stateful recipe and why its state does nothing, determinism, saved models, and
bad input."""

import json
import math
import re

import keras
import numpy as np
import pytest

import conftest
from conftest import default_metrics, run_namespace, run_script

SMOKE_ARGS = ["--epochs", "1", "--sequences", "50", "--examples", "2"]
BAD_INPUTS = [
    (["--n-out", "6"], "argument --n-out"),  # more than --n-in
    (["--n-in", "3", "--n-out", "4"], "argument --n-out"),
    (["--n-in", "0"], "argument --n-in"),
    (["--n-out", "-1"], "argument --n-out"),
    (["--units", "0"], "argument --units"),
    (["--units", "100000"], "argument --units"),  # would not fit in memory
    (["--length", "0"], "argument --length"),
    (["--vocab", "0"], "argument --vocab"),
    (["--vocab", "1"], "argument --vocab"),  # one integer: nothing to learn
    (["--n-in", "30"], "argument --n-in"),  # longer than the sequence
    (["--sequences", "0"], "argument --sequences"),
    (["--sequences", "10000000"], "argument --sequences/--length/--n-in/--vocab"),  # terabytes
    (["--vocab", "100000"], "argument --sequences/--length/--n-in/--vocab"),
    (["--epochs", "0"], "argument --epochs"),
    (["--batch-size", "-1"], "argument --batch-size"),
    (["--learning-rate", "0"], "argument --learning-rate"),
    (["--learning-rate", "inf"], "argument --learning-rate"),
    (["--recipe", "slow"], "argument --recipe"),
    (["--recipe", "tutorial", "--batch-size", "5"], "argument --batch-size"),  # 21 windows
    (["--metrics", "no/such/folder/m.json"], "argument --metrics"),
    (["--no-such-flag"], "unrecognized arguments"),
]
QUIET = ["--quiet", "--examples", "0"]
TARGET = 0.995  # the held-out sequence accuracy the lesson promises (99.5%)

# The lesson cells: they run in a namespace holding only Keras, NumPy, the data and the flags.
LIFT_SECTIONS = ("Build the model", "Train")


def lifted(ns):
    """The lifted Build and Train cells built a model and trained it to a finite loss."""
    assert isinstance(ns["model"], keras.Model)
    assert ns["history"].history["loss"] and all(map(math.isfinite, ns["history"].history["loss"]))
    assert "val_exact_match_accuracy" in ns["history"].history


# Numbers in the script's prose (see tests/test_claims.py).
CLAIMS = {"99.76%": "sequence_accuracy", "0.0": "state_check.reset_vs_stateless",
          "0.024": "state_check.carried_vs_stateless"}
MEASURED = {"99.10%": (["--recipe", "tutorial"], "sequence_accuracy")}
UNMEASURED = {
    "99.5%": "the target: held-out sequence accuracy a run must reach",
    "99.7%": "the validation target the fast recipe stops at, a margin over 99.5%",
    "2.0": "the Keras version since which Dense acts on the last axis of 3-D input",
}


@pytest.fixture(scope="module")
def quick():
    return run_namespace("echo_partial.py", "--epochs", "1", "--sequences", "20", *QUIET)


def test_build_model_shapes(quick):
    build_model = quick["build_model"]
    model = build_model(n_in=5, n_out=2, vocab=100, units=16)
    assert model.input_shape == (None, 5, 100) and model.output_shape == (None, 2, 100)
    assert not model.get_layer("encoder").return_sequences
    stateful = build_model(5, 2, 100, 16, batch_size=21, stateful=True, time_distributed=True)
    assert stateful.input_shape == (21, 5, 100) and stateful.output_shape == (21, 2, 100)
    assert stateful.get_layer("encoder").stateful and stateful.get_layer("decoder").stateful
    assert isinstance(stateful.layers[-1], keras.layers.TimeDistributed)


def test_data_shapes_and_targets_are_the_first_n_out_inputs(quick):
    assert quick["x_train"].shape == (20 * 21, 5, 100) and quick["y_train"].shape == (20 * 21, 2)
    np.testing.assert_array_equal(quick["x_train"].argmax(-1)[:, :2], quick["y_train"])
    assert len(quick["x_val"]) == len(quick["x_test"]) == 2100


def test_exact_match_accuracy_counts_windows_with_every_output_right(quick):
    y_true = np.array([[1, 2], [1, 2], [3, 4]])
    y_pred = np.eye(5, dtype="float32")[[[1, 2], [1, 3], [0, 0]]]
    values = keras.ops.convert_to_numpy(quick["exact_match_accuracy"](y_true, y_pred))
    np.testing.assert_array_equal(values, [1, 0, 0])


def test_the_fast_recipe_grows_with_the_shape(quick):
    fast_recipe = quick["fast_recipe"]
    small, large = fast_recipe(5, 2, 100, 25), fast_recipe(8, 4, 100, 25)
    assert large["units"] > small["units"] and large["sequences"] > small["sequences"]
    assert fast_recipe(5, 2, 10, 25)["sequences"] < small["sequences"]
    assert small["epochs"] == large["epochs"] == 20  # the checked range: the full budget
    assert fast_recipe(8, 8, 100, 25)["epochs"] < 5  # beyond it: passes cost more, fewer of them
    assert fast_recipe(5, 2, 100, 25, units=10, sequences=7)["units"] == 10


@pytest.fixture(scope="module")
def default():
    """The default run (fast recipe, 5 -> 2, seed 7): its metrics. The tests that use it are
    slow-marked (a convergence check, half a minute)."""
    return default_metrics("echo_partial.py")


@pytest.mark.slow
def test_default_recipe_reaches_target(default):
    assert default["recipe"] == "fast" and default["backend"] == keras.backend.backend()
    assert (default["n_in"], default["n_out"]) == (5, 2)
    assert default["reached_target"] and default["epochs_run"] <= 6
    assert default["test_windows"] == 2100 and len(default["per_position_accuracy"]) == 2
    assert default["sequence_accuracy"] >= TARGET
    assert f"{default['sequence_accuracy']:.2%} of 2100 held-out windows" in default["headline"]
    assert not re.search(r"\d s\b|second", default["headline"])  # no training time in it


@pytest.fixture(scope="module")
def default_runs(default):
    """The default run, the same again, and one with another seed."""
    return (default, run_namespace("echo_partial.py", *QUIET)["metrics"],
            run_namespace("echo_partial.py", *QUIET, "--seed", "8")["metrics"])


def test_same_seed_same_results_other_seed_other_run(default_runs):
    first, second, other = default_runs
    for key in ("element_accuracy", "sequence_accuracy", "per_position_accuracy", "train_loss",
                "epochs_run"):
        assert first[key] == second[key]
    assert first["train_loss"] != other["train_loss"]


@pytest.mark.slow
def test_the_tutorial_state_does_nothing(default):
    """With batch 21 and a reset after every batch, the stateful tutorial model trains to the
    same weights as a stateless one; carrying the state between sequences does change them,
    so the comparison can see a state that is used."""
    check = default["state_check"]
    assert check["moved"] > 1e-3  # the copies did train
    assert check["reset_vs_stateless"] <= 1e-5
    assert check["carried_vs_stateless"] > 100 * max(check["reset_vs_stateless"], 1e-6)


def test_the_tutorial_model_starts_every_batch_from_a_zero_state():
    """With the tutorial's reset callback (after every batch of 21 windows, one sequence),
    predict gives each batch what it gives that batch alone; without resets inside the run,
    the state carried from one batch changes the next one's outputs."""
    ns = run_namespace("echo_partial.py", "--recipe", "tutorial", "--sequences", "3", *QUIET)
    model, x = ns["model"], ns["x_test"][:63]

    def predict(windows, callbacks):
        return model.predict(windows, batch_size=21, verbose=0, callbacks=callbacks)

    reset_every_batch = predict(x, ns["resets"])
    alone = np.concatenate([predict(x[i:i + 21], ns["resets"]) for i in (0, 21, 42)])
    np.testing.assert_allclose(reset_every_batch, alone, atol=1e-6)
    carried = predict(x, [ns["ResetAtSequenceEnds"](None)])  # a reset at the start only
    assert np.abs(carried[21:] - reset_every_batch[21:]).max() > 1e-4


@pytest.mark.slow
def test_tutorial_recipe_runs_stateful():
    """The tutorial's whole recipe, the MEASURED run (tests/test_claims.py reads the same run,
    kept by conftest.default_metrics, so it trains once): its model, one pass over 5000
    sequences of 21 windows, well above chance."""
    metrics = default_metrics("echo_partial.py", *MEASURED["99.10%"][0])
    assert metrics["recipe"] == "tutorial" and metrics["epochs_run"] == 1
    assert metrics["units"] == 150 and metrics["batch_size"] == 21
    assert metrics["train_windows"] == 5000 * 21
    assert metrics["element_accuracy"] > 0.2  # chance is 0.01


@pytest.mark.slow
def test_outside_the_checked_range_warns_before_training(capsys):
    run_namespace("echo_partial.py", "--n-in", "10", "--n-out", "2", "--epochs", "1",
                  "--sequences", "20", *QUIET)
    out = capsys.readouterr().out
    assert "warning: this recipe was checked for --n-in 2..8 and --vocab 10..100" in out
    assert out.index("warning:") < out.index("validation sequence accuracy")
    run_namespace("echo_partial.py", "--n-in", "5", "--n-out", "4", "--epochs", "1",
                  "--sequences", "20", *QUIET)
    out = capsys.readouterr().out
    assert "--n-out 4 with --n-in 5 is beyond" in out
    assert out.index("warning:") < out.index("validation sequence accuracy")


def test_a_run_below_target_says_so_and_which_flag(capsys):
    metrics = run_namespace("echo_partial.py", "--epochs", "1", "--sequences", "5",
                            *QUIET)["metrics"]
    out = capsys.readouterr().out
    assert not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "WARNING: did not reach 99.70% validation sequence accuracy" in out and "--epochs" in out
    assert "did NOT reach" in out


def test_a_loss_that_turns_nan_stops_and_says_so(capsys):
    metrics = run_namespace("echo_partial.py", "--learning-rate", "1e38", "--epochs", "3",
                            "--sequences", "20", *QUIET)["metrics"]
    out = capsys.readouterr().out
    assert metrics["diverged"] and not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "ERROR: the loss became nan" in out and "--learning-rate" in out


def test_other_shape_trains_saves_and_reloads_in_a_fresh_process(tmp_path):
    """Every size flag and --time-distributed with valid values: the run uses them, writes
    the outputs it was asked for, and its saved model predicts the same in a fresh process."""
    paths = {"--save": tmp_path / "model.keras", "--metrics": tmp_path / "m.json",
             "--plot": tmp_path / "p.png"}
    ns = run_namespace("echo_partial.py", "--n-in", "4", "--n-out", "3", "--length", "12",
                       "--vocab", "20", "--units", "24", "--batch-size", "64",
                       "--learning-rate", "0.01", "--time-distributed", "--epochs", "2",
                       "--seed", "3", *QUIET, *[str(p) for kv in paths.items() for p in kv])
    metrics = ns["metrics"]
    assert (metrics["n_in"], metrics["n_out"], metrics["units"]) == (4, 3, 24)
    assert (metrics["batch_size"], metrics["learning_rate"], metrics["seed"]) == (64, 0.01, 3)
    assert metrics["test_windows"] % 9 == 0 and len(metrics["per_position_accuracy"]) == 3
    assert isinstance(ns["model"].layers[-1], keras.layers.TimeDistributed)
    assert json.loads(paths["--metrics"].read_text()) == metrics
    assert paths["--plot"].read_bytes()[:4] == b"\x89PNG"
    x = ns["x_test"][:64]
    fresh = conftest.predict_in_fresh_process(paths["--save"], x)
    assert fresh.shape == (64, 3, 20)
    np.testing.assert_allclose(fresh, ns["model"].predict(x, verbose=0), atol=1e-5)


def test_saved_stateful_model_reloads_and_predicts_the_same(tmp_path):
    """The tutorial recipe's stateful model, fed one sequence's 21 windows at its built batch
    size 21: the reloaded model predicts what the trained one does."""
    saved = tmp_path / "tutorial.keras"
    ns = run_namespace("echo_partial.py", "--recipe", "tutorial", "--sequences", "2", *QUIET,
                       "--save", saved)
    x = ns["x_test"][:21]
    fresh = conftest.predict_in_fresh_process(saved, x, batch_size=21)
    trained = ns["model"].predict(x, batch_size=21, verbose=0, callbacks=ns["resets"])
    np.testing.assert_allclose(fresh, trained, atol=1e-5)


def test_help_works_and_shows_the_targets():
    result = run_script("echo_partial.py", "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    text = " ".join(result.stdout.split())
    assert "reaches 99.7% (fast: 20" in text and "--n-in 2..8" in text


# The checked range: --n-in 2..8 with --n-out 1..ceil(n_in / 2), --vocab 10..100. Its
# corners, a second seed at the hardest one (8 -> 4, vocab 100), and one point inside where
# n_out is ceil(n_in / 2) (5 -> 3). Five more inside points (6 -> 3, 7 -> 2, 4 -> 2, 3 -> 2,
# 5 -> 3 at vocab 10) passed on every run from 2026-11 to 2026-12-03 and went to keep CI
# under 50 minutes: the sweep was its slow step's largest cost (issue 30).
SWEEP = [(2, 1, 10, 1), (2, 1, 100, 1), (8, 1, 10, 1), (8, 1, 100, 1), (8, 4, 10, 1),
         (8, 4, 100, 1), (8, 4, 100, 2), (5, 3, 100, 1)]


@pytest.mark.slow
@pytest.mark.parametrize("n_in,n_out,vocab,seed", SWEEP)
def test_default_recipe_reaches_target_over_the_checked_range(n_in, n_out, vocab, seed):
    metrics = run_namespace("echo_partial.py", "--n-in", n_in, "--n-out", n_out, "--vocab", vocab,
                            "--seed", seed, *QUIET)["metrics"]
    assert metrics["reached_target"], metrics
    assert metrics["sequence_accuracy"] >= TARGET, metrics
