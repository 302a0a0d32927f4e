"""reverse_bidirectional.py: which models can reverse a sequence, position by position."""

import numpy as np
import pytest

import keras
import reverse_bidirectional as rb

SMOKE_ARGS = ["--epochs", "1", "--samples", "1024", "--examples", "2"]
BAD_INPUTS = [
    (["--length", "1"], "argument --length"),
    (["--vocab", "1"], "argument --vocab"),
    (["--models", "lstm,,dense"], "argument --models"),
    (["--models", "gru"], "argument --models"),
    (["--models", ""], "argument --models"),
    (["--models", "lstm,lstm"], "argument --models"),
    (["--units", "0"], "argument --units"),
    (["--samples", "-5"], "argument --samples"),
    (["--epochs", "0"], "argument --epochs"),
    (["--batch-size", "0"], "argument --batch-size"),
    (["--learning-rate", "0"], "argument --learning-rate"),
    (["--length", "five"], "argument --length"),
    (["--seed", "-1"], "argument --seed"),
    (["--save", "no/such/folder/m.keras"], "argument --save"),
]
QUIET = ["--quiet", "--examples", "0"]
CHANCE_MARGIN = 0.05  # 2000 held-out sequences: chance is 10% +- 0.7% (one std)


def assert_reversal_pattern(metrics, bilstm_floor=0.99):
    """The result the script teaches: per position, who can write x[L-1-t] at step t."""
    length, chance = metrics["length"], 1 / metrics["vocab"]
    middle = length // 2
    models = metrics["models"]
    for t in range(length):
        if "bilstm" in models:
            assert models["bilstm"]["per_position_accuracy"][t] >= bilstm_floor, t
        if "lstm" in models:
            accuracy = models["lstm"]["per_position_accuracy"][t]
            if t >= middle:  # the target x[L-1-t] has been read already
                assert accuracy >= 0.95, t
            else:  # the target is still in the future
                assert abs(accuracy - chance) < CHANCE_MARGIN, t
        if "dense" in models:
            accuracy = models["dense"]["per_position_accuracy"][t]
            if t == middle:
                assert accuracy >= 0.99
            else:
                assert abs(accuracy - chance) < CHANCE_MARGIN, t


@pytest.fixture(scope="module")
def default_run():
    return rb.main(QUIET)


def test_default_run_shows_the_pattern(default_run):
    metrics = default_run
    assert list(metrics["models"]) == ["dense", "lstm", "bilstm", "encdec"]
    assert metrics["length"] == 5 and metrics["vocab"] == 10 and metrics["seed"] == 7
    assert metrics["backend"] == keras.backend.backend()
    assert_reversal_pattern(metrics)
    assert metrics["models"]["bilstm"]["sequence_accuracy"] >= 0.99
    # The other fix: read everything, then write. Slower to learn, but far above the lstm.
    assert metrics["models"]["encdec"]["element_accuracy"] >= 0.9
    assert metrics["models"]["lstm"]["sequence_accuracy"] < 0.05
    seconds = [m["train_seconds"] for m in metrics["models"].values()]
    assert metrics["train_seconds"] == pytest.approx(sum(seconds), abs=0.01)


def test_same_seed_same_accuracies_whatever_else_is_trained(default_run):
    # Each model starts from the seed, so bilstm alone repeats bilstm among the four.
    alone = rb.main([*QUIET, "--models", "bilstm"])
    first, second = default_run["models"]["bilstm"], alone["models"]["bilstm"]
    for key in ("element_accuracy", "sequence_accuracy", "per_position_accuracy"):
        assert first[key] == second[key]


def test_same_seed_identical_other_seed_different():
    args = [*QUIET, "--models", "lstm", "--epochs", "1", "--samples", "2048"]
    first, second, other = (rb.main(a) for a in (args, args, [*args, "--seed", "8"]))

    def accuracies(metrics):
        return {k: v for k, v in metrics["models"]["lstm"].items() if k != "train_seconds"}

    assert accuracies(first) == accuracies(second)
    assert accuracies(first) != accuracies(other)


def test_length_7_shows_the_pattern(capsys):
    metrics = rb.main(["--length", "7", "--models", "dense,lstm,bilstm", "--quiet", "--examples", "2"])
    assert len(metrics["models"]["lstm"]["per_position_accuracy"]) == 7
    # Seven integers are harder to learn in the same budget: a slightly lower floor.
    assert_reversal_pattern(metrics, bilstm_floor=0.97)
    out = capsys.readouterr().out
    assert out.count("target  [") == 2 and out.count("bilstm  [") == 2
    assert "copies " in out and "chance (guessing 1 of 10 integers): 10.00%" in out


@pytest.mark.parametrize("kind", rb.KINDS)
def test_build_model_shapes(kind):
    model = rb.build_model(kind, length=6, vocab=12, units=8)
    assert model.input_shape == (None, 6, 12) and model.output_shape == (None, 6, 12)
    probabilities = keras.ops.convert_to_numpy(model(np.zeros((3, 6, 12), "float32")))
    np.testing.assert_allclose(probabilities.sum(-1), 1, rtol=1e-5)


def test_build_model_details():
    bilstm = rb.build_model("bilstm", 5, 10, 16)
    assert bilstm.layers[1].output.shape == (None, 5, 32)  # both directions, side by side
    with pytest.raises(ValueError, match="unknown kind"):
        rb.build_model("gru", 5, 10, 16)


def test_make_reversal_data():
    x, y, ints = rb.make_reversal_data(np.random.default_rng(0), 4, 6, 9)
    assert x.shape == (4, 6, 9) and y.shape == (4, 6)
    np.testing.assert_array_equal(x.argmax(-1), ints)
    np.testing.assert_array_equal(y, ints[:, ::-1])


def test_models_flag_and_saved_model(tmp_path):
    assert rb.parse(["--models", " lstm, dense"]).models == ["lstm", "dense"]
    path = tmp_path / "m.keras"
    rb.main([*QUIET, "--models", "bilstm,dense", "--epochs", "1", "--samples", "256",
             "--save", str(path)])
    assert keras.saving.load_model(path).name == "bilstm"
    rb.main([*QUIET, "--models", "lstm,dense", "--epochs", "1", "--samples", "256",
             "--save", str(path)])
    assert keras.saving.load_model(path).name == "dense"  # no bilstm: the last one


def test_original_recipe_benchmark_runs():
    from benchmarks.original_reverse_bidirectional import run

    result = run(fraction=0.01)
    assert result["task"] == "reverse_bidirectional" and result["fit_calls"] == 2
    assert result["fit_calls_full"] == 200 and result["sequence_accuracy"] is None
    assert result["train_seconds_full"] == pytest.approx(result["train_seconds"] * 100)


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_pattern_holds_across_seeds(seed):
    metrics = rb.main([*QUIET, "--seed", str(seed)])
    assert_reversal_pattern(metrics)
    assert metrics["models"]["encdec"]["element_accuracy"] >= 0.9
