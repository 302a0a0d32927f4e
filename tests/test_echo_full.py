"""echo_full.py: shapes, the TimeDistributed equivalence, the stop-at-target recipe over its
checked range, the tutorial's stateful recipe, the variations' claims, and bad input."""


import keras
import numpy as np
import pytest

from conftest import run_namespace as run_script_namespace, pretend_notebook, run_main, run_script

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
TARGET = 0.995


def run_namespace(*args):
    """Run the script in this process and return all its top-level names (its functions,
    `args`, `model`, the data), not just `metrics`."""
    return run_script_namespace("echo_full.py", *args)


@pytest.fixture(scope="module")
def quick():
    return run_namespace("--epochs", "1", "--sequences", "20", *QUIET)


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


@pytest.fixture(scope="module")
def default_runs():
    """The default recipe twice with the default seed, and once with another seed."""
    return run_main("echo_full.py", *QUIET), run_main("echo_full.py", *QUIET), \
        run_main("echo_full.py", *QUIET, "--seed", "8")


def test_default_recipe_reaches_target(default_runs):
    metrics = default_runs[0]
    assert metrics["recipe"] == "fast" and metrics["backend"] == keras.backend.backend()
    assert metrics["reached_target"] and 1 <= metrics["epochs_run"] <= 3
    assert metrics["sequence_accuracy"] >= TARGET
    assert metrics["test_windows"] == 2100 and len(metrics["per_position_accuracy"]) == 5


def test_same_seed_same_results_other_seed_other_run(default_runs):
    first, second, other = default_runs
    for key in ("element_accuracy", "sequence_accuracy", "train_loss", "epochs_run"):
        assert first[key] == second[key]
    assert first["train_loss"] != other["train_loss"]


def test_tutorial_recipe_reaches_target():
    """The original stateful recipe, as one fit call with the script's reset callback."""
    metrics = run_main("echo_full.py", "--recipe", "tutorial", *QUIET)
    assert metrics["units"] == 20 and metrics["batch_size"] == 7 and metrics["epochs_run"] == 1
    assert metrics["train_windows"] == 500 * 21
    assert metrics["sequence_accuracy"] >= 0.99


def test_stateful_callback_resets_where_each_sequence_ends():
    """The reset callback zeroes the state after every 3rd batch (21 windows, batch 7) and
    not in between, in predict as in fit."""
    ns = run_namespace("--recipe", "tutorial", "--sequences", "2", *QUIET)
    model, lstm = ns["model"], ns["model"].layers[1]
    norms = []

    class Watch(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            if hasattr(model, "jax_state_sync"):
                model.jax_state_sync()
            norms.append(float(keras.ops.sum(keras.ops.abs(lstm.states[0]))))

    # The watcher runs after the reset callback: a zero state right after batches 3 and 6.
    model.predict(ns["x_test"][:42], batch_size=7, verbose=0, callbacks=[*ns["resets"], Watch()])
    assert [n == 0 for n in norms] == [False, False, True, False, False, True]


def test_outside_the_checked_range_warns_before_training(capsys):
    metrics = run_main("echo_full.py", "--window", "12", "--epochs", "1", "--sequences", "50", *QUIET)
    out = capsys.readouterr().out
    assert "warning: this recipe was checked for --window 1..10 and --vocab 10..200" in out
    assert out.index("warning:") < out.index("did not reach" if not metrics["reached_target"]
                                             else "Reached")


def test_a_run_below_target_says_so_and_which_flag(capsys):
    metrics = run_main("echo_full.py", "--epochs", "1", "--sequences", "5", *QUIET)
    out = capsys.readouterr().out
    assert not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "WARNING: did not reach 99.50% validation sequence accuracy" in out and "--epochs" in out
    assert "did NOT reach" in out


def test_a_loss_that_turns_nan_stops_and_says_so(capsys):
    metrics = run_main("echo_full.py", "--learning-rate", "1e38", "--epochs", "3",
                       "--sequences", "20", *QUIET)
    out = capsys.readouterr().out
    assert metrics["diverged"] and not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "ERROR: the loss became nan" in out and "--learning-rate" in out


def test_pad_gives_every_position_a_window():
    """--pad keeps the windows a sequence's first integers end, padded in front and masked:
    25 windows per sequence instead of 21, and the model gets those right too."""
    metrics = run_main("echo_full.py", "--pad", *QUIET)
    assert metrics["test_windows"] % 25 == 0 and metrics["test_windows"] >= 2100
    assert metrics["reached_target"] and metrics["sequence_accuracy"] >= TARGET
    assert metrics["incomplete_window_accuracy"] >= TARGET


def test_regression_framing_claims():
    """One number per step: far fewer weights, and (see the script's "Variations") far from
    the target after 5 passes, where the classes framing needs 1."""
    metrics = run_main("echo_full.py", "--framing", "regression", "--epochs", "5", *QUIET)
    assert metrics["parameters"] < 10_000 and metrics["epochs_run"] == 5
    assert not metrics["reached_target"] and metrics["sequence_accuracy"] < 0.9


def test_help_states_the_checked_range():
    result = run_script("echo_full.py", "--help")
    assert result.returncode == 0, result.stderr[-2000:]
    assert "--window 1..10 and --vocab 10..200" in " ".join(result.stdout.split())
    assert "reaches 99.5% (fast: 20" in " ".join(result.stdout.split())


def test_notebook_kernel_arguments_are_ignored(monkeypatch):
    """In Jupyter, sys.argv holds the kernel's arguments: the script must not read them."""
    pretend_notebook(monkeypatch)
    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    args = run_namespace("-f", "/tmp/kernel.json")["args"]
    assert args.recipe == "fast" and args.epochs == 1 and args.window == 5


# The checked range (--window 1..10, --vocab 10..200): its corners and points inside, with
# several seeds at the hardest corner (the longest window, the largest vocabulary).
SWEEP = [(1, 10, 1), (1, 200, 1), (10, 10, 1), (10, 200, 1), (10, 200, 2), (10, 200, 3),
         (5, 100, 2), (3, 50, 3), (7, 150, 4), (8, 30, 5), (2, 120, 6), (5, 200, 7), (10, 100, 8)]


@pytest.mark.slow
@pytest.mark.parametrize("window,vocab,seed", SWEEP)
def test_default_recipe_reaches_target_over_the_checked_range(window, vocab, seed):
    metrics = run_main("echo_full.py", "--window", window, "--vocab", vocab, "--seed", seed, *QUIET)
    assert metrics["reached_target"], metrics
    assert metrics["sequence_accuracy"] >= TARGET, metrics


@pytest.mark.slow
@pytest.mark.parametrize("window", [15, 20])
def test_longer_echoes_still_reach_the_target_in_one_pass(window):
    """The script's "Longer echoes" paragraph: the full echo needs no memory of earlier
    steps, so windows beyond the checked range still reach the target after 1 pass."""
    metrics = run_main("echo_full.py", "--window", window, *QUIET)
    assert metrics["reached_target"] and metrics["epochs_run"] == 1
    assert metrics["sequence_accuracy"] >= TARGET
