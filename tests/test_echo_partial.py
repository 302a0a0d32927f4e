"""echo_partial.py: shapes, data, convergence, determinism and the tutorial recipe."""

import numpy as np
import pytest

import echo_partial
import keras

SMOKE_ARGS = ["--epochs", "1", "--examples", "2"]
BAD_INPUTS = [
    (["--n-out", "6"], "argument --n-out"),
    (["--n-in", "3", "--n-out", "4"], "argument --n-out"),
    (["--n-in", "0"], "argument --n-in"),
    (["--n-out", "-1"], "argument --n-out"),
    (["--units", "0"], "argument --units"),
    (["--length", "0"], "argument --length"),
    (["--vocab", "0"], "argument --vocab"),
    (["--vocab", "1"], "argument --vocab"),
    (["--n-in", "30"], "argument --n-in"),
    (["--epochs", "0"], "argument --epochs"),
    (["--batch-size", "-1"], "argument --batch-size"),
    (["--learning-rate", "0"], "argument --learning-rate"),
    (["--recipe", "slow"], "argument --recipe"),
    (["--recipe", "tutorial", "--batch-size", "5"], "argument --batch-size"),
    (["--metrics", "no/such/folder/m.json"], "argument --metrics"),
    (["--no-such-flag"], "unrecognized arguments"),
]
QUIET = ["--quiet", "--examples", "0"]


def test_build_model_shapes():
    model = echo_partial.build_model(n_in=5, n_out=2, vocab=100, units=16)
    assert model.input_shape == (None, 5, 100)
    assert model.output_shape == (None, 2, 100)
    assert isinstance(model.get_layer("encoder"), keras.layers.LSTM)
    assert not model.get_layer("encoder").return_sequences
    stateful = echo_partial.build_model(5, 2, 100, 16, batch_size=21, stateful=True,
                                        time_distributed=True)
    assert stateful.input_shape == (21, 5, 100) and stateful.output_shape == (21, 2, 100)
    assert stateful.get_layer("encoder").stateful and stateful.get_layer("decoder").stateful
    assert isinstance(stateful.layers[-1], keras.layers.TimeDistributed)


def test_make_windows_targets_are_the_first_n_out_inputs():
    x, y = echo_partial.make_windows(np.random.default_rng(0), 3, 25, 5, 2, 100)
    assert x.shape == (63, 5, 100) and y.shape == (63, 2)
    np.testing.assert_array_equal(x.argmax(-1)[:, :2], y)


@pytest.fixture(scope="module")
def default_runs():
    """The default recipe twice with the default seed, and once with another seed."""
    return echo_partial.main(QUIET), echo_partial.main(QUIET), echo_partial.main([*QUIET, "--seed", "8"])


def test_default_recipe_reaches_target(default_runs):
    metrics = default_runs[0]
    assert metrics["recipe"] == "fast" and metrics["backend"] == keras.backend.backend()
    assert (metrics["n_in"], metrics["n_out"]) == (5, 2)
    assert metrics["test_windows"] == 2100 and len(metrics["per_position_accuracy"]) == 2
    assert metrics["sequence_accuracy"] >= 0.995


def test_same_seed_same_results_other_seed_other_run(default_runs):
    first, second, other = default_runs
    for key in ("element_accuracy", "sequence_accuracy", "per_position_accuracy", "train_loss"):
        assert first[key] == second[key]
    assert first["train_loss"] != other["train_loss"]


def test_other_shape_trains_and_evaluates(capsys, tmp_path):
    saved = tmp_path / "model.keras"
    metrics = echo_partial.main(["--n-in", "4", "--n-out", "3", "--length", "12", "--vocab", "20",
                                 "--quiet", "--examples", "2", "--save", str(saved)])
    assert (metrics["n_in"], metrics["n_out"]) == (4, 3)
    assert metrics["test_windows"] == 100 * 9 and len(metrics["per_position_accuracy"]) == 3
    assert metrics["element_accuracy"] > 0.5  # chance is 0.05: it learned (measured 0.74)
    assert keras.saving.load_model(saved).output_shape == (None, 3, 20)
    out = capsys.readouterr().out
    assert out.count("Expected [") == 2 and "held-out sequence accuracy" in out


def test_tutorial_recipe_runs_stateful():
    # 300 of the 5000 sequences: the full recipe takes minutes (see the script's header).
    metrics = echo_partial.main(["--recipe", "tutorial", "--epochs", "300", *QUIET])
    assert metrics["units"] == 150 and metrics["batch_size"] == 21 and metrics["learning_rate"] == 0.001
    assert metrics["train_windows"] == 300 * 21
    assert metrics["element_accuracy"] > 0.2  # chance is 0.01 (measured 0.45)


@pytest.mark.slow
def test_default_recipe_on_five_seeds():
    accuracies = [echo_partial.main([*QUIET, "--seed", str(seed)])["sequence_accuracy"]
                  for seed in range(1, 6)]
    assert sum(a >= 0.995 for a in accuracies) >= 4, accuracies
