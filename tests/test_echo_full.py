"""echo_full.py: shapes, the TimeDistributed equivalence, convergence and determinism."""

import numpy as np
import pytest

import echo_full
import keras

SMOKE_ARGS = ["--epochs", "1", "--examples", "2"]
BAD_INPUTS = [
    (["--epochs", "0"], "argument --epochs"),
    (["--batch-size", "-1"], "argument --batch-size"),
    (["--units", "0"], "argument --units"),
    (["--length", "0"], "argument --length"),
    (["--window", "-5"], "argument --window"),
    (["--vocab", "1"], "argument --vocab"),
    (["--window", "30"], "argument --window"),
    (["--recipe", "slow"], "argument --recipe"),
    (["--epochs", "three"], "argument --epochs"),
    (["--learning-rate", "0"], "argument --learning-rate"),
    (["--recipe", "tutorial", "--batch-size", "5"], "argument --batch-size"),
    (["--metrics", "no/such/folder/m.json"], "argument --metrics"),
    (["--plot", "no/such/folder/p.png"], "argument --plot"),
    (["--save", "no/such/folder/m.keras"], "argument --save"),
    (["--no-such-flag"], "unrecognized arguments"),
]


def test_build_model_shapes():
    model = echo_full.build_model(window=5, vocab=100, units=20)
    assert model.input_shape == (None, 5, 100)
    assert model.output_shape == (None, 5, 100)
    stateful = echo_full.build_model(5, 100, 20, batch_size=7, stateful=True)
    assert stateful.input_shape == (7, 5, 100) and stateful.layers[1].stateful


def test_dense_on_3d_equals_time_distributed():
    plain = echo_full.build_model(5, 10, 8)
    wrapped = echo_full.build_model(5, 10, 8, time_distributed=True)
    assert isinstance(wrapped.layers[-1], keras.layers.TimeDistributed)
    wrapped.set_weights(plain.get_weights())
    x = np.random.default_rng(0).random((4, 5, 10)).astype("float32")
    np.testing.assert_allclose(plain.predict(x, verbose=0), wrapped.predict(x, verbose=0),
                               rtol=1e-5, atol=1e-6)


def test_make_windows():
    x, y = echo_full.make_windows(np.random.default_rng(0), 3, 25, 5, 100)
    assert x.shape == (63, 5, 100) and y.shape == (63, 5)
    np.testing.assert_array_equal(x.argmax(-1), y)


@pytest.fixture(scope="module")
def default_runs():
    """The default recipe twice with the default seed, and once with another seed."""
    args = ["--quiet", "--examples", "0"]
    return echo_full.main(args), echo_full.main(args), echo_full.main([*args, "--seed", "8"])


def test_default_recipe_reaches_target(default_runs):
    metrics = default_runs[0]
    assert metrics["recipe"] == "fast" and metrics["backend"] == keras.backend.backend()
    assert metrics["sequence_accuracy"] >= 0.995
    assert metrics["test_windows"] == 2100 and len(metrics["per_position_accuracy"]) == 5


def test_same_seed_same_results_other_seed_other_run(default_runs):
    first, second, other = default_runs
    for key in ("element_accuracy", "sequence_accuracy", "train_loss"):
        assert first[key] == second[key]
    assert first["train_loss"] != other["train_loss"]


def test_tutorial_recipe_reaches_target():
    metrics = echo_full.main(["--recipe", "tutorial", "--quiet", "--examples", "0"])
    assert metrics["units"] == 20 and metrics["batch_size"] == 7 and metrics["epochs"] == 500
    assert metrics["train_windows"] == 500 * 21
    assert metrics["sequence_accuracy"] >= 0.99


def test_other_shapes_and_examples(capsys):
    metrics = echo_full.main(["--length", "10", "--window", "3", "--vocab", "20", "--epochs", "2",
                              "--quiet", "--examples", "2"])
    assert metrics["test_windows"] == 100 * 8 and len(metrics["per_position_accuracy"]) == 3
    out = capsys.readouterr().out
    assert out.count("Expected [") == 2 and "held-out sequence accuracy" in out


def test_notebook_kernel_arguments_are_ignored(monkeypatch):
    monkeypatch.setattr("sys.argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel.json"])
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    args = echo_full.parse()
    assert args.recipe == "fast" and args.epochs == 3


@pytest.mark.slow
def test_default_recipe_converges_on_most_seeds():
    """The issue's target: >= 99.5% held-out sequence accuracy on at least 4 of 5 seeds."""
    scores = [echo_full.main(["--quiet", "--examples", "0", "--seed", str(seed)])["sequence_accuracy"]
              for seed in range(1, 6)]
    assert sum(score >= 0.995 for score in scores) >= 4, scores
