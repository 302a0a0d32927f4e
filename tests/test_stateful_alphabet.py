"""stateful_alphabet.py: the data, the models, the six experiments' outcomes, the whole-sequence
demo (windows cap what a model learns; stateful chunks equal the whole sequence), determinism."""

import contextlib
import io
import runpy
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import keras
from conftest import ROOT, run_main

SCRIPT = "stateful_alphabet.py"
SMOKE_ARGS = ["--experiments", "naive,stateful,variable-length", "--epochs", "2", "--examples", "2"]
BAD_INPUTS = [
    (["--experiments", "lookup"], "argument --experiments"),
    (["--experiments", "naive,stateless"], "argument --experiments"),
    (["--experiments", "naive,naive"], "argument --experiments"),  # a repeated name
    (["--experiments", ""], "argument --experiments"),
    (["--experiments", " , "], "argument --experiments"),
    (["--start", "Z"], "argument --start"),
    (["--start", "KK"], "argument --start"),
    (["--start", "1"], "argument --start"),
    (["--start", ""], "argument --start"),
    (["--epochs", "-5"], "argument --epochs"),
    (["--examples", "-1"], "argument --examples"),
    (["--save", "no/such/folder/m.keras"], "argument --save"),
    (["--no-such-flag"], "unrecognized arguments"),
]
QUIET = ["--quiet", "--examples", "0"]
TARGETS = ("window-steps", "stateful", "variable-length")


def run_printing(*args):
    """Run the script in this process; return (metrics, what it printed)."""
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        metrics = run_main(SCRIPT, *args)
    return metrics, printed.getvalue()


@pytest.fixture(scope="module")
def sa():
    """The script's functions and tables, from its namespace after a tiny run."""
    saved = sys.argv
    sys.argv = [str(ROOT / SCRIPT), *QUIET, "--experiments", "naive", "--epochs", "1"]
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            namespace = runpy.run_path(str(ROOT / SCRIPT), run_name="__main__")
    finally:
        sys.argv = saved
    return SimpleNamespace(**namespace)


def test_pairs_windows_and_their_two_shapes(sa):
    x, y = sa.make_pairs(1)
    assert x.shape == (25, 1) and list(y) == list(range(1, 26))
    x3, y3 = sa.make_pairs(3)
    assert x3.shape == (23, 3) and list(x3[0]) == [0, 1, 2] and y3[0] == 3 and y3[-1] == 25
    encoded = sa.encode(x3)
    assert encoded.min() == pytest.approx(1 / 26) and encoded.max() < 1
    assert sa.shape_input(encoded, "steps").shape == (23, 3, 1)
    assert sa.shape_input(encoded, "features").shape == (23, 1, 3)


def test_variable_length_runs_are_consecutive_and_left_padded(sa):
    runs, targets = sa.make_patterns(np.random.default_rng(0), 500)
    lengths = {len(run) for run in runs}
    assert lengths == {1, 2, 3, 4, 5}
    for run, target in zip(runs, targets):
        assert run == list(range(run[0], run[0] + len(run))) and target == run[-1] + 1 <= 25
    padded = sa.pad_patterns([[10], [0, 1, 2, 3, 4]])
    assert padded.shape == (2, 5, 1)
    np.testing.assert_allclose(padded[0, :, 0], [0, 0, 0, 0, 11 / 26])
    np.testing.assert_allclose(padded[1, :, 0], np.arange(1, 6) / 26)


def test_probe_inputs_hold_one_letter_padded_to_each_shape(sa):
    for name, shape in (("naive", (1, 1, 1)), ("window-steps", (1, 3, 1)),
                        ("window-features", (1, 1, 3)), ("variable-length", (1, 5, 1))):
        probe = sa.probe_input(sa.EXPERIMENTS[name], "K")
        assert probe.shape == shape
        assert probe.ravel()[-1] == pytest.approx(11 / 26) and not probe.ravel()[:-1].any()


def test_build_model_stateful_masking_and_every_step(sa):
    stateful = sa.build_model(1, 1, 50, batch_size=1, stateful=True)
    assert stateful.input_shape == (1, 1, 1) and stateful.output_shape == (1, 26)
    chunks = sa.build_model(13, 1, 8, batch_size=1, stateful=True, every_step=True)
    assert chunks.output_shape == (1, 13, 26)
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


def test_parse_experiments_start_and_help_defaults_from_the_table(sa, capsys):
    args = sa.parse(["--experiments", " stateful , naive", "--start", "c"])
    assert args.experiments == ["stateful", "naive"] and args.start == "C" and args.epochs is None
    assert sa.parse([]).experiments == list(sa.EXPERIMENTS)
    with pytest.raises(SystemExit):
        sa.parse(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for name, spec in sa.EXPERIMENTS.items():
        assert f"{name}: {spec['epochs']}" in shown
    assert f"whole-sequence: {sa.WHOLE_SEQUENCE['epochs']}" in shown


def test_stateful_resets_once_per_alphabet_on_every_backend(sa):
    """One alphabet is 25 batches; Keras calls batch callbacks once per compiled call."""
    assert sa.STEPS_PER_EXECUTION == (1 if keras.backend.backend() == "torch" else 25)
    assert (len(sa.ALPHABET) - 1) % sa.STEPS_PER_EXECUTION == 0


@pytest.fixture(scope="module")
def default_run():
    return run_printing(*QUIET)


def test_default_run_reaches_the_targets_and_warns_of_nothing(default_run):
    metrics, printed = default_run
    results = metrics["experiments"]
    assert list(results) == ["naive", "window-features", "window-steps", "batch-state",
                             "stateful", "variable-length"]
    for name, result in results.items():
        assert result["accuracy"] >= result["expected_accuracy"], (name, result)
    for name in TARGETS:
        assert results[name]["accuracy"] >= 0.98, (name, results[name])
    assert "WARNING" not in printed and "Settings: " in printed
    assert metrics["generated"] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert metrics["backend"] == keras.backend.backend() and metrics["start"] == "K"
    assert results["variable-length"]["measured_on"] == "1000 held-out runs"
    assert results["naive"]["measured_on"] == "25 training pairs"
    seconds = sum(r["train_seconds"] for r in results.values())
    whole = metrics["whole_sequence"]
    seconds += whole["stateless_train_seconds"] + whole["stateful_train_seconds"]
    assert metrics["train_seconds"] == pytest.approx(seconds, abs=0.01)


def test_a_window_caps_what_is_learned_a_stateful_layer_sees_the_sequence_whole(default_run):
    """Seed 002: 26 ticks fed as 2 chunks of 13. Stateless, chunk 2 looks like chunk 1 (at most
    13 of 26 letters); stateful, the model counts to 26; its weights reading all 26 ticks at
    once give the same probabilities as the chunks."""
    whole = default_run[0]["whole_sequence"]
    assert whole["chunk"] == 13
    assert whole["stateless_accuracy"] <= 0.5
    assert whole["stateless_answer"][:13] == whole["stateless_answer"][13:]
    assert whole["stateful_accuracy"] == 1.0
    assert whole["stateful_answer"] == whole["whole_answer"] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert whole["max_difference_whole_vs_chunks"] < 1e-4  # float32 on a GPU meets it too


def test_probe_lookup_tables_say_the_next_letter_stateful_does_not(default_run):
    metrics = default_run[0]
    results = metrics["experiments"]
    for name in ("naive", "batch-state", "variable-length"):
        assert results[name]["probe"] == "L", (name, results[name])
    assert results["stateful"]["probe"] != "L"
    assert metrics["cold_start"][0] == results["stateful"]["probe"]
    assert len(metrics["cold_start"]) == 5


def test_same_seed_same_results_alone_or_after_others(default_run):
    alone = run_main(SCRIPT, *QUIET, "--experiments", "stateful")
    for key in ("generated", "cold_start"):
        assert alone[key] == default_run[0][key]
    with_others = default_run[0]["experiments"]["stateful"]
    for key in ("accuracy", "mean_train_loss", "probe", "generated", "cold_start"):
        assert alone["experiments"]["stateful"][key] == with_others[key]
    assert list(alone["experiments"]) == ["stateful"]


def without_seconds(metrics):
    return {name: {key: value for key, value in result.items() if key != "train_seconds"}
            for name, result in metrics["experiments"].items()}


def test_held_out_examples_are_spelled_in_letters_and_aligned():
    """The variable-length runs print through the collection's one example printer."""
    _, printed = run_printing("--quiet", "--experiments", "variable-length", "--epochs", "1",
                              "--examples", "3")
    lines = printed.split("held-out runs (first 3):\n", 1)[1].splitlines()[:3]
    assert all(line.startswith("Input ") and ("\u2611" in line or "\u2612" in line) for line in lines)
    assert len({line.index("Expected") for line in lines}) == 1, lines  # inputs right-aligned
    for line in lines:
        run, expected = line.split()[1], line.split()[3]
        assert run.isalpha() and expected == chr(ord(run[-1]) + 1), line


@pytest.mark.slow
def test_same_seed_same_metrics_other_start_and_a_warning_when_short():
    args = [*QUIET, "--experiments", "naive,window-features,batch-state", "--epochs", "60",
            "--start", "c"]
    first, second = run_main(SCRIPT, *args), run_main(SCRIPT, *args)
    assert without_seconds(first) == without_seconds(second) and first["epochs"] == 60
    assert {k: v for k, v in first["whole_sequence"].items() if "seconds" not in k} == \
        {k: v for k, v in second["whole_sequence"].items() if "seconds" not in k}
    other_seed = run_main(SCRIPT, *QUIET, "--experiments", "naive", "--epochs", "60", "--seed", "8")
    naive = first["experiments"]["naive"]
    assert naive["mean_train_loss"] != other_seed["experiments"]["naive"]["mean_train_loss"]
    assert "generated" not in first
    short, printed = run_printing(*QUIET, "--experiments", "naive", "--epochs", "2", "--start", "c")
    assert short["experiments"]["naive"]["accuracy"] < 1
    assert "WARNING: naive scored" in printed and "raise --epochs (it ran 2 passes)" in printed


@pytest.mark.slow
@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_targets_on_other_seeds(seed):
    metrics = run_main(SCRIPT, *QUIET, "--seed", str(seed))
    for name, result in metrics["experiments"].items():
        assert result["accuracy"] >= result["expected_accuracy"], (seed, name)
    assert metrics["generated"] == "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    assert metrics["experiments"]["stateful"]["probe"] != "L"
    whole = metrics["whole_sequence"]
    assert whole["stateless_accuracy"] <= 0.5 and whole["stateful_accuracy"] == 1.0
