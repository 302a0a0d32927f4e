"""echo_partial.py: shapes, data, the stop-at-target recipe over its checked range, the
tutorial's stateful recipe and why its state does nothing, determinism, and bad input."""


import keras
import numpy as np
import pytest

from conftest import run_namespace as run_script_namespace, run_main

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
TARGET = 0.995


def run_namespace(*args):
    """Run the script in this process and return all its top-level names (its functions,
    `args`, `model`, the data), not just `metrics`."""
    return run_script_namespace("echo_partial.py", *args)


@pytest.fixture(scope="module")
def quick():
    return run_namespace("--epochs", "1", "--sequences", "20", *QUIET)


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


def test_the_fast_recipe_grows_with_the_shape(quick):
    fast_recipe = quick["fast_recipe"]
    small, large = fast_recipe(5, 2, 100, 25), fast_recipe(8, 4, 100, 25)
    assert large["units"] > small["units"] and large["sequences"] > small["sequences"]
    assert fast_recipe(5, 2, 10, 25)["sequences"] < small["sequences"]
    assert small["epochs"] == large["epochs"] == 20  # the checked range: the full budget
    assert fast_recipe(8, 8, 100, 25)["epochs"] < 5  # beyond it: passes cost more, fewer of them
    assert fast_recipe(5, 2, 100, 25, units=10, sequences=7)["units"] == 10


@pytest.fixture(scope="module")
def default_runs():
    """The default recipe twice with the default seed, and once with another seed."""
    return (run_main("echo_partial.py", *QUIET), run_main("echo_partial.py", *QUIET),
            run_main("echo_partial.py", *QUIET, "--seed", "8"))


def test_default_recipe_reaches_target(default_runs):
    metrics = default_runs[0]
    assert metrics["recipe"] == "fast" and metrics["backend"] == keras.backend.backend()
    assert (metrics["n_in"], metrics["n_out"]) == (5, 2)
    assert metrics["reached_target"] and metrics["epochs_run"] <= 6
    assert metrics["test_windows"] == 2100 and len(metrics["per_position_accuracy"]) == 2
    assert metrics["sequence_accuracy"] >= TARGET


def test_same_seed_same_results_other_seed_other_run(default_runs):
    first, second, other = default_runs
    for key in ("element_accuracy", "sequence_accuracy", "per_position_accuracy", "train_loss",
                "epochs_run"):
        assert first[key] == second[key]
    assert first["train_loss"] != other["train_loss"]


def test_the_tutorial_state_does_nothing(default_runs):
    """With batch 21 and a reset after every batch, the stateful tutorial model trains to the
    same weights as a stateless one; carrying the state between sequences does change them,
    so the comparison can see a state that is used."""
    check = default_runs[0]["state_check"]
    assert check["moved"] > 1e-3  # the copies did train
    assert check["reset_vs_stateless"] <= 1e-5
    assert check["carried_vs_stateless"] > 100 * max(check["reset_vs_stateless"], 1e-6)


def test_the_tutorial_state_is_zero_at_the_start_of_every_batch():
    """In the tutorial recipe, the state the encoder starts each batch from is all zeros."""
    ns = run_namespace("--recipe", "tutorial", "--sequences", "3", *QUIET)
    model, encoder = ns["model"], ns["model"].get_layer("encoder")
    norms = []

    class Watch(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if hasattr(model, "jax_state_sync"):
                model.jax_state_sync()
            norms.append(sum(float(keras.ops.sum(keras.ops.abs(s))) for s in encoder.states))

        on_train_batch_end = on_train_batch_begin

    # The watcher runs before the reset callback: it sees the state each batch ends with
    # (not zero: the state exists) and the one the next batch starts from (zero).
    model.fit(ns["x_train"], ns["y_train"], batch_size=21, epochs=1, shuffle=False, verbose=0,
              callbacks=[Watch(), *ns["resets"]])
    assert len(norms) == 6
    assert norms[0::2] == [0.0] * 3 and all(norm > 0 for norm in norms[1::2]), norms


def test_tutorial_recipe_runs_stateful():
    # 300 of the 5000 sequences: the full recipe takes minutes (see the script's prose).
    metrics = run_main("echo_partial.py", "--recipe", "tutorial", "--sequences", "300", *QUIET)
    assert metrics["units"] == 150 and metrics["batch_size"] == 21 and metrics["epochs_run"] == 1
    assert metrics["train_windows"] == 300 * 21
    assert metrics["element_accuracy"] > 0.2  # chance is 0.01


@pytest.mark.slow
def test_outside_the_checked_range_warns_before_training(capsys):
    run_main("echo_partial.py", "--n-in", "10", "--n-out", "2", "--epochs", "1",
             "--sequences", "20", *QUIET)
    out = capsys.readouterr().out
    assert "warning: this recipe was checked for --n-in 2..8 and --vocab 10..100" in out
    assert out.index("warning:") < out.index("validation sequence accuracy")
    run_main("echo_partial.py", "--n-in", "5", "--n-out", "4", "--epochs", "1", "--sequences", "20",
             *QUIET)
    out = capsys.readouterr().out
    assert "--n-out 4 with --n-in 5 is beyond" in out
    assert out.index("warning:") < out.index("validation sequence accuracy")


def test_a_run_below_target_says_so_and_which_flag(capsys):
    metrics = run_main("echo_partial.py", "--epochs", "1", "--sequences", "5", *QUIET)
    out = capsys.readouterr().out
    assert not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "WARNING: did not reach 99.70% validation sequence accuracy" in out and "--epochs" in out
    assert "did NOT reach" in out


def test_a_loss_that_turns_nan_stops_and_says_so(capsys):
    metrics = run_main("echo_partial.py", "--learning-rate", "1e38", "--epochs", "3",
                       "--sequences", "20", *QUIET)
    out = capsys.readouterr().out
    assert metrics["diverged"] and not metrics["reached_target"] and metrics["epochs_run"] == 1
    assert "ERROR: the loss became nan" in out and "--learning-rate" in out


def test_other_shape_trains_and_saves(tmp_path):
    saved = tmp_path / "model.keras"
    metrics = run_main("echo_partial.py", "--n-in", "4", "--n-out", "3", "--length", "12",
                       "--vocab", "20", "--epochs", "2", *QUIET, "--save", saved)
    assert (metrics["n_in"], metrics["n_out"]) == (4, 3)
    assert metrics["test_windows"] % 9 == 0 and len(metrics["per_position_accuracy"]) == 3
    assert keras.saving.load_model(saved).output_shape == (None, 3, 20)


# The checked range: --n-in 2..8 with --n-out 1..ceil(n_in / 2), --vocab 10..100. Its
# corners, points inside, and more seeds at the hardest corner (8 -> 4, vocab 100).
SWEEP = [(2, 1, 10, 1), (2, 1, 100, 1), (8, 1, 10, 1), (8, 1, 100, 1), (8, 4, 10, 1),
         (8, 4, 100, 1), (8, 4, 100, 2), (5, 3, 100, 1), (5, 3, 10, 2), (6, 3, 50, 3),
         (7, 2, 30, 4), (4, 2, 70, 5), (3, 2, 100, 6)]


@pytest.mark.slow
@pytest.mark.parametrize("n_in,n_out,vocab,seed", SWEEP)
def test_default_recipe_reaches_target_over_the_checked_range(n_in, n_out, vocab, seed):
    metrics = run_main("echo_partial.py", "--n-in", n_in, "--n-out", n_out, "--vocab", vocab,
                       "--seed", seed, *QUIET)
    assert metrics["reached_target"], metrics
    assert metrics["sequence_accuracy"] >= TARGET, metrics
