"""stateful_alphabet.py: the data, the models, the six experiments' outcomes, determinism."""

import numpy as np
import pytest

import keras
import stateful_alphabet as sa

SMOKE_ARGS = ["--experiments", "naive,stateful,variable-length", "--epochs", "2", "--examples", "2"]
BAD_INPUTS = [
    (["--experiments", "lookup"], "argument --experiments"),
    (["--experiments", "naive,stateless"], "argument --experiments"),
    (["--experiments", ""], "argument --experiments"),
    (["--experiments", " , "], "argument --experiments"),
    (["--start", "Z"], "argument --start"),
    (["--start", "KK"], "argument --start"),
    (["--start", "1"], "argument --start"),
    (["--start", ""], "argument --start"),
    (["--epochs", "0"], "argument --epochs"),
    (["--epochs", "-5"], "argument --epochs"),
    (["--batch-size", "0"], "argument --batch-size"),
    (["--examples", "-1"], "argument --examples"),
    (["--seed", "-1"], "argument --seed"),
    (["--save", "no/such/folder/m.keras"], "argument --save"),
    (["--no-such-flag"], "unrecognized arguments"),
]
QUIET = ["--quiet", "--examples", "0"]
TARGETS = ("window-steps", "stateful", "variable-length")


def test_pairs_windows_and_their_two_shapes():
    x, y = sa.make_pairs(1)
    assert x.shape == (25, 1) and list(y) == list(range(1, 26))
    x3, y3 = sa.make_pairs(3)
    assert x3.shape == (23, 3) and list(x3[0]) == [0, 1, 2] and y3[0] == 3 and y3[-1] == 25
    encoded = sa.encode(x3)
    assert encoded.min() == pytest.approx(1 / 26) and encoded.max() < 1
    assert sa.shape_input(encoded, "steps").shape == (23, 3, 1)
    assert sa.shape_input(encoded, "features").shape == (23, 1, 3)


def test_variable_length_runs_are_consecutive_and_left_padded():
    runs, targets = sa.make_patterns(np.random.default_rng(0), 500)
    lengths = {len(run) for run in runs}
    assert lengths == {1, 2, 3, 4, 5}
    for run, target in zip(runs, targets):
        assert run == list(range(run[0], run[0] + len(run))) and target == run[-1] + 1 <= 25
    padded = sa.pad_patterns([[10], [0, 1, 2, 3, 4]])
    assert padded.shape == (2, 5, 1)
    np.testing.assert_allclose(padded[0, :, 0], [0, 0, 0, 0, 11 / 26])
    np.testing.assert_allclose(padded[1, :, 0], np.arange(1, 6) / 26)


def test_probe_inputs_hold_one_letter_padded_to_each_shape():
    for name, shape in (("naive", (1, 1, 1)), ("window-steps", (1, 3, 1)),
                        ("window-features", (1, 1, 3)), ("variable-length", (1, 5, 1))):
        probe = sa.probe_input(sa.EXPERIMENTS[name], "K")
        assert probe.shape == shape
        assert probe.ravel()[-1] == pytest.approx(11 / 26) and not probe.ravel()[:-1].any()


def test_build_model_stateful_and_masking():
    stateful = sa.build_model(1, 1, 50, batch_size=1, stateful=True)
    assert stateful.input_shape == (1, 1, 1) and stateful.output_shape == (1, 26)
    masked = sa.build_model(5, 1, 32, masking=True)
    assert isinstance(masked.layers[1], keras.layers.Masking)
    # Masking: a lone letter padded to 5 steps reads like the same letter as 1 step. Nonzero
    # biases make the zeros move the state, so without the mask the answers would differ.
    lstm, dense = masked.layers[-2], masked.layers[-1]
    lstm.cell.bias.assign(np.random.default_rng(0).normal(size=lstm.cell.bias.shape))
    one_step_in, unmasked_in = keras.Input(shape=(1, 1)), keras.Input(shape=(5, 1))
    one_step = keras.Model(one_step_in, dense(lstm(one_step_in)))
    unmasked = keras.Model(unmasked_in, dense(lstm(unmasked_in)))
    k = sa.pad_patterns([[10]])
    np.testing.assert_allclose(masked(k), one_step(k[:, -1:]), rtol=1e-5, atol=1e-6)
    assert not np.allclose(unmasked(k), one_step(k[:, -1:]), atol=1e-4)


def test_parse_experiments_start_and_epochs():
    args = sa.parse(["--experiments", " stateful , naive,stateful", "--start", "c"])
    assert args.experiments == ["stateful", "naive"] and args.start == "C" and args.epochs is None
    assert sa.parse([]).experiments == list(sa.EXPERIMENTS)


@pytest.fixture(scope="module")
def default_run():
    return sa.main(QUIET)


def test_default_run_reaches_the_targets(default_run):
    results = default_run["experiments"]
    assert list(results) == list(sa.EXPERIMENTS)
    for name in TARGETS:
        assert results[name]["accuracy"] >= 0.98, (name, results[name])
    assert default_run["generated"] == sa.ALPHABET
    assert default_run["backend"] == keras.backend.backend() and default_run["start"] == "K"
    published = {name: spec["tutorial"] for name, spec in sa.EXPERIMENTS.items()}
    assert {name: r["tutorial_accuracy"] for name, r in results.items()} == published
    assert default_run["train_seconds"] == pytest.approx(
        sum(r["train_seconds"] for r in results.values()), abs=0.01)


def test_probe_lookup_tables_say_the_next_letter_stateful_does_not(default_run):
    results = default_run["experiments"]
    for name in ("naive", "batch-state", "variable-length"):
        assert results[name]["probe"] == "L", (name, results[name])
    assert results["stateful"]["probe"] != "L"
    assert default_run["cold_start"][0] == results["stateful"]["probe"]
    assert len(default_run["cold_start"]) == 5


def test_same_seed_same_results_alone_or_after_others(default_run):
    alone = sa.main([*QUIET, "--experiments", "stateful"])
    for key in ("generated", "cold_start"):
        assert alone[key] == default_run[key]
    with_others = default_run["experiments"]["stateful"]
    for key in ("accuracy", "train_loss", "probe", "generated", "cold_start"):
        assert alone["experiments"]["stateful"][key] == with_others[key]
    assert list(alone["experiments"]) == ["stateful"]


def without_seconds(metrics):
    return {name: {key: value for key, value in result.items() if key != "train_seconds"}
            for name, result in metrics["experiments"].items()}


def test_same_seed_same_metrics_and_other_start():
    args = [*QUIET, "--experiments", "naive,window-features,batch-state", "--epochs", "60",
            "--start", "c"]
    first, second = sa.main(args), sa.main(args)
    assert without_seconds(first) == without_seconds(second) and first["epochs"] == 60
    other_seed = sa.main([*QUIET, "--experiments", "naive", "--epochs", "60", "--seed", "8"])
    naive = first["experiments"]["naive"]
    assert naive["train_loss"] != other_seed["experiments"]["naive"]["train_loss"]
    assert "generated" not in first
    full = sa.main([*QUIET, "--experiments", "naive", "--start", "c"])
    assert full["experiments"]["naive"]["probe"] == "D"


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_targets_on_other_seeds(seed):
    metrics = sa.main([*QUIET, "--experiments", ",".join(TARGETS), "--seed", str(seed)])
    for name in TARGETS:
        assert metrics["experiments"][name]["accuracy"] >= 0.98, (seed, name)
    assert metrics["generated"] == sa.ALPHABET
    assert metrics["experiments"]["stateful"]["probe"] != "L"
