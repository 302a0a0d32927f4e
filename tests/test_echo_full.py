"""echo_full.py: shapes, the TimeDistributed equivalence, the stop-at-target recipe over its
checked range, the tutorial's stateful recipe, the variations' claims, saved models, and bad
input."""

import json
import math
import re

import keras
import numpy as np
import pytest

import conftest
from conftest import ROOT, default_metrics, pretend_notebook, run_namespace, run_script

SMOKE_ARGS = ["--epochs", "1", "--examples", "2"]
BAD_INPUTS = [
    (["--epochs", "0"], "argument --epochs"),
    (["--batch-size", "-1"], "argument --batch-size"),
    (["--units", "0"], "argument --units"),
    (["--units", "100000"], "argument --units"),  # would not fit in memory
    (["--length", "0"], "argument --length"),
    (["--window", "-5"], "argument --window"),
    (["--vocab", "1"], "argument --vocab"),  # one integer: nothing to learn
    (["--window", "30"], "argument --window"),  # longer than the sequence
    (["--sequences", "0"], "argument --sequences"),
    (["--length", "100000000"], "argument --length/--window/--vocab/--sequences"),  # terabytes
    (["--vocab", "1000000"], "argument --length/--window/--vocab/--sequences"),
    (["--recipe", "slow"], "argument --recipe"),
    (["--framing", "ordinal"], "argument --framing"),
    (["--epochs", "three"], "argument --epochs"),
    (["--learning-rate", "-0.1"], "argument --learning-rate"),
    (["--recipe", "tutorial", "--batch-size", "5"], "argument --batch-size"),
    (["--recipe", "tutorial", "--pad"], "argument --batch-size"),  # 25 windows, batch 7
    (["--metrics", "no/such/folder/m.json"], "argument --metrics"),
    (["--plot", "no/such/folder/p.png"], "argument --plot"),
    (["--save", "no/such/folder/m.keras"], "argument --save"),
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
    assert "val_whole_window_accuracy" in ns["history"].history


# Numbers in the script's prose (see tests/test_claims.py).
CLAIMS = {"99.90%": "sequence_accuracy", "99.98%": "element_accuracy"}
MEASURED = {}
# The two framings on seeds 7-9 (docs/echo_full_framings.json), checked below.
FRAMINGS_CLAIMS = {
    "99.90%": "runs.classes.7.sequence_accuracy",
    "100.00%": ("runs.classes.8.sequence_accuracy", "runs.classes.9.sequence_accuracy"),
    "99.33%": "runs.regression.7.sequence_accuracy",
    "99.81%": "runs.regression.8.sequence_accuracy",
}
UNMEASURED = {
    **{literal: "the framings on seeds 7-9 (docs/echo_full_framings.json): FRAMINGS_CLAIMS"
       for literal in FRAMINGS_CLAIMS if literal not in CLAIMS},
    "99.5%": "the target: held-out sequence accuracy a run must reach",
    "0.005": "arithmetic: half a step between integers at vocab 100 (0.5 / 100)",
    "0.05": "arithmetic: half a step between integers at vocab 10 (0.5 / 10)",
    "2.0": "the Keras version since which Dense acts on the last axis of 3-D input",
}


@pytest.fixture(scope="module")
def quick():
    return run_namespace("echo_full.py", "--epochs", "1", "--sequences", "20", *QUIET)


def test_build_model_shapes(quick):
    build_model = quick["build_model"]
    model = build_model(window=5, features=100, units=20)
    assert model.input_shape == (None, 5, 100) and model.output_shape == (None, 5, 100)
    stateful = build_model(5, 100, 20, batch_size=7, stateful=True)
    assert stateful.input_shape == (7, 5, 100) and stateful.layers[1].stateful
    regression = build_model(5, 1, 20, mask=True)
    assert isinstance(regression.layers[1], keras.layers.Masking)
    assert regression.output_shape == (None, 5, 1)


def test_dense_on_3d_equals_time_distributed(quick):
    plain = quick["build_model"](5, 10, 8)
    wrapped = quick["build_model"](5, 10, 8, time_distributed=True)
    assert isinstance(wrapped.layers[-1], keras.layers.TimeDistributed)
    wrapped.set_weights(plain.get_weights())
    x = np.random.default_rng(0).random((4, 5, 10)).astype("float32")
    np.testing.assert_allclose(plain.predict(x, verbose=0), wrapped.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_data_shapes_and_targets(quick):
    assert quick["x_train"].shape == (20 * 21, 5, 100) and quick["y_train"].shape == (20 * 21, 5)
    np.testing.assert_array_equal(quick["x_train"].argmax(-1), quick["y_train"])
    assert len(quick["x_val"]) == len(quick["x_test"]) == 2100


def test_whole_window_accuracy_counts_windows_with_every_step_right(quick):
    y_true = np.array([[1, 2, 3], [1, 2, 3]])
    y_pred = np.eye(5, dtype="float32")[[[1, 2, 3], [1, 2, 4]]]
    values = keras.ops.convert_to_numpy(quick["whole_window_accuracy"](y_true, y_pred))
    np.testing.assert_array_equal(values, [[1, 1, 1], [0, 0, 0]])


@pytest.fixture(scope="module")
def default():
    """The default run (fast recipe, seed 7): its metrics (run once, shared with CI's timing step)."""
    return default_metrics("echo_full.py")


def test_default_recipe_reaches_target(default):
    assert default["recipe"] == "fast" and default["backend"] == keras.backend.backend()
    assert default["reached_target"] and 1 <= default["epochs_run"] <= 3
    assert default["sequence_accuracy"] >= TARGET
    assert default["test_windows"] == 2100 and len(default["per_position_accuracy"]) == 5
    assert default["parameters"] == 33_508 and default["train_windows"] == 5_250
    assert f"{default['sequence_accuracy']:.2%} of 2100 held-out windows" in default["headline"]
    assert not re.search(r"\d s\b|second", default["headline"])  # no training time in it


@pytest.fixture(scope="module")
def default_runs(default):
    """The default run, the same again, and one with another seed."""
    return (default, run_namespace("echo_full.py", *QUIET)["metrics"],
            run_namespace("echo_full.py", *QUIET, "--seed", "8")["metrics"])


def test_same_seed_same_results_other_seed_other_run(default_runs):
    first, second, other = default_runs
    for key in ("element_accuracy", "sequence_accuracy", "train_loss", "epochs_run"):
        assert first[key] == second[key]
    assert first["train_loss"] != other["train_loss"]


def test_tutorial_recipe_reaches_target():
    """The original stateful recipe, as one fit call with the script's reset callback."""
    metrics = run_namespace("echo_full.py", "--recipe", "tutorial", *QUIET)["metrics"]
    assert metrics["units"] == 20 and metrics["batch_size"] == 7 and metrics["epochs_run"] == 1
    assert metrics["train_windows"] == 500 * 21
    assert metrics["sequence_accuracy"] >= TARGET


def test_stateful_predict_resets_where_each_sequence_ends_and_carries_within():
    """With the reset callback, predict zeroes the state after every 3rd batch (21 windows,
    batch 7): the second sequence comes out as if predicted alone. Within a sequence the
    state carries: its second batch comes out otherwise than alone."""
    ns = run_namespace("echo_full.py", "--recipe", "tutorial", "--sequences", "2", *QUIET)
    model, x, resets = ns["model"], ns["x_test"][:42], ns["resets"]

    def predict(windows):
        return model.predict(windows, batch_size=7, verbose=0, callbacks=resets)

    both = predict(x)
    np.testing.assert_allclose(both[21:], predict(x[21:]), atol=1e-6)
    assert np.abs(both[7:14] - predict(x[7:14])).max() > 1e-4


def test_saved_model_reloads_in_a_fresh_process_and_predicts_the_same(tmp_path):
    saved = tmp_path / "echo_full.keras"
    ns = run_namespace("echo_full.py", "--epochs", "1", "--sequences", "20", *QUIET, "--save", saved)
    x = ns["x_test"][:64]
    fresh = conftest.predict_in_fresh_process(saved, x)
    np.testing.assert_allclose(fresh, ns["model"].predict(x, verbose=0), atol=1e-5)


def test_saved_stateful_model_reloads_and_predicts_the_same(tmp_path):
    """The tutorial recipe's stateful model, fed one sequence's 21 windows at its built
    batch size 7 (the first 7 on JAX): the reloaded model starts from a zero state, as the
    trained one does after its reset callback, and predicts the same."""
    saved = tmp_path / "echo_full_tutorial.keras"
    ns = run_namespace("echo_full.py", "--recipe", "tutorial", "--sequences", "5", *QUIET,
                       "--save", saved)
    # Plain Keras on JAX does not carry a stateful layer's state from batch to batch (the
    # bug common/backend_fixes.py works around, which the fresh process must not import):
    # there, compare the first batch only.
    x = ns["x_test"][:7 if keras.backend.backend() == "jax" else 21]
    fresh = conftest.predict_in_fresh_process(saved, x, batch_size=7)
    trained = ns["model"].predict(x, batch_size=7, verbose=0, callbacks=ns["resets"])
    np.testing.assert_allclose(fresh, trained, atol=1e-5)


def test_other_settings_train_and_write_every_output(tmp_path):
    """Every size flag and --time-distributed with valid values: the run uses them and writes
    the metrics and the plot it was asked for."""
    paths = {"--metrics": tmp_path / "m.json", "--plot": tmp_path / "p.png"}
    ns = run_namespace("echo_full.py", "--time-distributed", "--units", "16", "--batch-size", "64",
                       "--length", "12", "--window", "4", "--vocab", "20", "--sequences", "30",
                       "--learning-rate", "0.01", "--epochs", "2", "--seed", "3",
                       "--examples", "2", "--quiet", *[str(p) for kv in paths.items() for p in kv])
    metrics = ns["metrics"]
    assert (metrics["units"], metrics["batch_size"], metrics["learning_rate"]) == (16, 64, 0.01)
    assert metrics["train_windows"] == 30 * 9 and metrics["seed"] == 3
    assert isinstance(ns["model"].layers[-1], keras.layers.TimeDistributed)
    assert json.loads(paths["--metrics"].read_text()) == metrics
    assert paths["--plot"].read_bytes()[:4] == b"\x89PNG"


def test_outside_the_checked_range_warns_before_training(capsys):
    metrics = run_namespace("echo_full.py", "--window", "12", "--epochs", "1", "--sequences", "50",
                            *QUIET)["metrics"]
    out = capsys.readouterr().out
    assert "warning: this recipe was checked for --window 1..10 and --vocab 10..200" in out
    assert out.index("warning:") < out.index("did not reach" if not metrics["reached_target"]
                                             else "Reached")


def test_a_run_below_target_says_so_and_which_flag(capsys):
    metrics = run_namespace("echo_full.py", "--epochs", "1", "--sequences", "5", *QUIET)["metrics"]
    out = capsys.readouterr().out
    assert not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "WARNING: did not reach 99.50% validation sequence accuracy" in out and "--epochs" in out
    assert "did NOT reach" in out


def test_a_loss_that_turns_nan_stops_and_says_so(capsys):
    metrics = run_namespace("echo_full.py", "--learning-rate", "1e38", "--epochs", "3",
                            "--sequences", "20", *QUIET)["metrics"]
    out = capsys.readouterr().out
    assert metrics["diverged"] and not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "ERROR: the loss became nan" in out and "--learning-rate" in out


def test_pad_gives_every_position_a_window():
    """--pad keeps the windows a sequence's first integers end, padded in front and masked:
    25 windows per sequence instead of 21; the run reaches the target, on those incomplete
    windows too."""
    metrics = run_namespace("echo_full.py", "--pad", *QUIET)["metrics"]
    assert metrics["test_windows"] % 25 == 0 and metrics["test_windows"] >= 2100
    assert metrics["reached_target"] and metrics["sequence_accuracy"] >= TARGET
    assert metrics["incomplete_window_accuracy"] >= TARGET


def test_regression_framing_has_fewer_weights_and_misses_the_target_in_5_passes():
    """One number per step: 9,649 weights instead of 33,508, and far from the target after 5
    passes, where the classes framing needs 1."""
    metrics = run_namespace("echo_full.py", "--framing", "regression", "--epochs", "5",
                            *QUIET)["metrics"]
    assert metrics["parameters"] == 9_649 and metrics["epochs_run"] == 5
    assert not metrics["reached_target"] and metrics["sequence_accuracy"] < 0.9


FRAMINGS_JSON = ROOT / "docs" / "echo_full_framings.json"
FRAMINGS_COMMAND = ["python", "echo_full.py", "--framing", "regression", "--epochs", "300",
                    "--patience", "20", "--seed", "7", "--quiet", "--examples", "0"]


def test_the_committed_framings_are_the_stated_command_and_say_what_the_prose_says():
    """Both framings, seeds 7-9, to the target or a 20-pass plateau under a 300-pass cap: the
    runs are the stated command's, and the prose's passes and accuracies are theirs."""
    from test_claims import check_a_stated_run, prose

    framings = json.loads(FRAMINGS_JSON.read_text())
    assert framings["backend"] == "tensorflow" and framings["cores"] == 1
    runs = framings["runs"]
    assert set(runs) == {"classes", "regression"}
    for framing, by_seed in runs.items():
        assert set(by_seed) == {"7", "8", "9"}
        for seed, run in by_seed.items():
            assert (run["framing"], run["seed"], run["epochs"], run["patience"]) == (
                framing, int(seed), 300, 20)
            assert run["backend"] == "tensorflow" and run["recipe"] == "fast" and not run["pad"]
            assert run["stopped_by"] == "target" and run["reached_target"]  # none plateaued
            assert len(run["validation_curve"]) == run["epochs_run"] < run["epochs"]
    check_a_stated_run("echo_full.py", framings, FRAMINGS_COMMAND, FRAMINGS_CLAIMS)
    passes = {framing: {seed: run["epochs_run"] for seed, run in by_seed.items()}
              for framing, by_seed in runs.items()}
    assert passes == {"classes": {"7": 1, "8": 1, "9": 1},
                      "regression": {"7": 99, "8": 66, "9": 76}}  # the prose: 1; 66 to 99
    # "still climbing" at the default cap: on every seed its 20th pass was its best so far
    for run in runs["regression"].values():
        curve = run["validation_curve"]
        assert max(curve[:20]) == curve[19] < TARGET
    below = sorted(seed for seed, run in runs["regression"].items()
                   if run["sequence_accuracy"] < TARGET)
    assert below == ["7", "9"]  # "seeds 7 and 9 just under the 99.5% target" (test windows)
    text = " ".join(prose("echo_full.py").split())
    for words in ("after 66 to 99 (seed 8: 66, seed 9: 76, seed 7: 99)", "seeds 7, 8 and 9",
                  "regression after 66 to 99"):
        assert words in text
    # The default run is the classes run of seed 7 on 2 cores: the same numbers.
    default = json.loads((ROOT / "docs" / "echo_full.json").read_text())
    for key in ("sequence_accuracy", "element_accuracy", "epochs_run", "train_loss"):
        assert default[key] == runs["classes"]["7"][key]


@pytest.mark.slow
def test_regression_framing_reaches_the_target_given_the_passes():
    """The framings' conclusion, re-derived on one seed (8, the quickest): with a cap of 300
    regression reaches the target, by the target and not by patience, after many passes
    (the committed run: 66), where the classes framing needs 1."""
    metrics = run_namespace("echo_full.py", "--framing", "regression", "--epochs", "300",
                            "--patience", "20", "--seed", "8", *QUIET)["metrics"]
    assert metrics["stopped_by"] == "target" and metrics["reached_target"]
    assert 20 < metrics["epochs_run"] < 300


@pytest.mark.slow
def test_regression_framing_reaches_the_target_with_10_integers():
    """The "Variations" claim: with --vocab 10 (half a step is 0.05) regression gets there."""
    metrics = run_namespace("echo_full.py", "--framing", "regression", "--vocab", "10",
                            *QUIET)["metrics"]
    assert metrics["reached_target"] and metrics["sequence_accuracy"] >= TARGET


def test_help_states_the_checked_range():
    result = run_script("echo_full.py", "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--window 1..10 and --vocab 10..200" in " ".join(result.stdout.split())
    assert "reaches 99.5% (fast: 20" in " ".join(result.stdout.split())


def test_notebook_kernel_arguments_are_ignored(monkeypatch):
    """In Jupyter, sys.argv holds the kernel's arguments: the script must not read them."""
    pretend_notebook(monkeypatch)
    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    args = run_namespace("echo_full.py", "-f", "/tmp/kernel.json")["args"]
    assert args.recipe == "fast" and args.epochs == 1 and args.window == 5


# The checked range (--window 1..10, --vocab 10..200): its corners and points inside, with
# several seeds at the hardest corner (the longest window, the largest vocabulary).
SWEEP = [(1, 10, 1), (1, 200, 1), (10, 10, 1), (10, 200, 1), (10, 200, 2), (10, 200, 3),
         (5, 100, 2), (3, 50, 3), (7, 150, 4), (8, 30, 5), (2, 120, 6), (5, 200, 7), (10, 100, 8)]


@pytest.mark.slow
@pytest.mark.parametrize("window,vocab,seed", SWEEP)
def test_default_recipe_reaches_target_over_the_checked_range(window, vocab, seed):
    metrics = run_namespace("echo_full.py", "--window", window, "--vocab", vocab, "--seed", seed,
                            *QUIET)["metrics"]
    assert metrics["reached_target"], metrics
    assert metrics["sequence_accuracy"] >= TARGET, metrics


@pytest.mark.slow
@pytest.mark.parametrize("window", [10, 15, 20])
def test_longer_echoes_reach_the_target_in_one_pass(window):
    """The script's "Longer echoes" paragraph: the full echo needs no memory of earlier
    steps, so windows 10, 15 and 20 reach the target after 1 pass, as window 5 does."""
    metrics = run_namespace("echo_full.py", "--window", window, *QUIET)["metrics"]
    assert metrics["reached_target"] and metrics["epochs_run"] == 1
    assert metrics["sequence_accuracy"] >= TARGET
