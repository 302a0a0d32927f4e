"""stateful_alphabet.py: the data, the models, the reset callback, the six experiments'
outcomes against literal bars, the whole-sequence demo (windows cap what a model learns;
stateful chunks equal the whole sequence), a saved model reloaded elsewhere, determinism."""

import json
import re

import numpy as np
import pytest

import keras
from common import cli
from common.data import TEST, TRAIN, make_rng
from conftest import default_metrics, run_namespace

SCRIPT = "stateful_alphabet.py"
SMOKE_ARGS = ["--experiments", "naive,stateful,variable-length", "--epochs", "2", "--examples", "2",
              "--batch-size", "8", "--start", "C"]
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
    (["--epochs", "1000000"], "argument --epochs"),  # every pass laid out: too big for memory
    (["--examples", "-1"], "argument --examples"),
    (["--save", "no/such/folder/m.keras"], "argument --save"),
    (["--no-such-flag"], "unrecognized arguments"),
]
QUIET = ["--quiet", "--examples", "0"]

# Every number in the script's prose (tests/test_claims.py checks these tables).
CLAIMS = {  # results of the default run: paths into docs/stateful_alphabet.json
    "100.00%": ("experiments.naive.accuracy", "experiments.window-steps.accuracy",
                "experiments.batch-state.accuracy", "experiments.stateful.accuracy",
                "whole_sequence.stateful_accuracy"),
    "95.65%": "experiments.window-features.accuracy",
    "99.40%": "experiments.variable-length.accuracy",
    "50.00%": "whole_sequence.stateless_accuracy",
}
MEASURED = {  # results of other runs (TensorFlow): bucketing's lowest, on seed 4 (the masked
    # runs' 100.00% there: test_on_seed_4_bucketing_falls_short_where_the_mask_does_not)
    "98.10%": (["--experiments", "variable-length,variable-length-masked", "--seed", "4"],
               "experiments.variable-length.accuracy"),
}
UNMEASURED = {
    "84.00%": "published in the original tutorial (machinelearningmastery.com, 'Understanding "
              "Stateful LSTM Recurrent Neural Networks in Python with Keras'): naive",
    "84%": "the same published naive figure, rounded",
    "86.96%": "published in the original tutorial: window-features",
    "98.90%": "published in the original tutorial: variable-length",
    "0.001": "the tutorial's learning rate: Adam's default in Keras",
    "50%": "arithmetic: a stateless model fed 2 identical chunks gets at most 13 of 26 letters",
}

# The bars the lesson promises, literal (issue 19): the previous default run's accuracies
# (TensorFlow, seed 7), and the lowest each recipe scored on seeds 1-3 and 7 (and 4, for
# variable-length: MEASURED).
DEFAULT_RUN = {"naive": 1.0, "window-features": 22 / 23, "window-steps": 1.0, "batch-state": 1.0,
               "stateful": 1.0, "variable-length": 0.994}
ANY_SEED = {"naive": 1.0, "window-features": 0.95, "window-steps": 1.0, "batch-state": 1.0,
            "stateful": 1.0, "variable-length": 0.981}
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"

# The lift test (tests/test_lessons.py): the Build and Train cells, pasted into a notebook
# that holds only the data arrays and the configuration, build and train the models.
LIFT_SECTIONS = ("Build the model", "Train")
LIFT_ARGS = ("--experiments", "stateful,variable-length")


def lifted(ns):
    assert set(ns["models"]) == {"stateful", "variable-length"}
    for name, history in ns["histories"].items():
        assert np.isfinite(history.history["loss"]).all(), name
    stateful = ns["models"]["stateful"].layers[-2]
    assert stateful.stateful  # reset after its last alphabet: the state is zeros again
    assert not np.any(keras.ops.convert_to_numpy(stateful.states[0]))


@pytest.fixture(scope="module")
def sa():
    """The script's namespace (functions, tables) after a tiny run."""
    return run_namespace(SCRIPT, *QUIET, "--experiments", "naive", "--epochs", "1")


def test_pairs_windows_and_their_two_shapes(sa):
    x, y = sa["make_pairs"](1)
    assert x.shape == (25, 1) and list(y) == list(range(1, 26))
    x3, y3 = sa["make_pairs"](3)
    assert x3.shape == (23, 3) and list(x3[0]) == [0, 1, 2] and y3[0] == 3 and y3[-1] == 25
    encoded = sa["encode"](x3)
    assert encoded.min() == pytest.approx(1 / 26) and encoded.max() < 1
    assert sa["shape_input"](encoded, "steps").shape == (23, 3, 1)
    assert sa["shape_input"](encoded, "features").shape == (23, 1, 3)


def test_variable_length_runs_are_consecutive_and_left_padded(sa):
    runs, targets = sa["make_patterns"](np.random.default_rng(0), 500)
    assert {len(run) for run in runs} == {1, 2, 3, 4, 5}
    for run, target in zip(runs, targets):
        assert run == list(range(run[0], run[0] + len(run))) and target == run[-1] + 1 <= 25
    padded = sa["pad_patterns"]([[10], [0, 1, 2, 3, 4]])
    assert padded.shape == (2, 5, 1)
    np.testing.assert_allclose(padded[0, :, 0], [0, 0, 0, 0, 11 / 26])
    np.testing.assert_allclose(padded[1, :, 0], np.arange(1, 6) / 26)


def test_only_114_runs_exist_so_test_draws_repeat_training_runs(sa):
    """Why the script says "test draws", not held-out questions: 1000 draws of 1..5 letters
    hit nearly all of the 114 possible runs, in training and in the test alike."""
    possible = {(start, length) for start in range(24) for length in range(1, 6)
                if start + length <= 25}
    assert len(possible) == 114
    train, _ = sa["make_patterns"](make_rng(7, TRAIN), 1000)
    test, _ = sa["make_patterns"](make_rng(7, TEST), 1000)
    assert {(run[0], len(run)) for run in train} <= possible
    assert {tuple(run) for run in test} <= {tuple(run) for run in train}  # seed 7: all seen


def test_probe_inputs_hold_one_letter_padded_to_each_shape(sa):
    for name, shape in (("naive", (1, 1, 1)), ("window-steps", (1, 3, 1)),
                        ("window-features", (1, 1, 3)), ("variable-length", (1, 1, 1)),
                        ("variable-length-masked", (1, 5, 1))):
        probe = sa["probe_input"](sa["EXPERIMENTS"][name], "K")
        assert probe.shape == shape
        assert probe.ravel()[-1] == pytest.approx(11 / 26) and not probe.ravel()[:-1].any()


def test_build_model_stateful_masking_and_every_step(sa):
    build_model = sa["build_model"]
    stateful = build_model(1, 1, 50, batch_size=1, stateful=True)
    assert stateful.input_shape == (1, 1, 1) and stateful.output_shape == (1, 26)
    chunks = build_model(13, 1, 8, batch_size=1, stateful=True, every_step=True)
    assert chunks.output_shape == (1, 13, 26)
    masked = build_model(5, 1, 32, masking=True)
    assert isinstance(masked.layers[1], keras.layers.Masking)
    # Masking: a lone letter padded to 5 steps reads like the same letter as 1 step. Nonzero
    # biases make the zeros move the state, so without the mask the answers would differ.
    lstm, dense = masked.layers[-2], masked.layers[-1]
    lstm.cell.bias.assign(np.random.default_rng(0).normal(size=lstm.cell.bias.shape))
    one_step_in, unmasked_in = keras.Input(shape=(1, 1)), keras.Input(shape=(5, 1))
    one_step = keras.Model(one_step_in, dense(lstm(one_step_in)))
    unmasked = keras.Model(unmasked_in, dense(lstm(unmasked_in)))
    k = sa["pad_patterns"]([[10]])
    np.testing.assert_allclose(masked(k), one_step(k[:, -1:]), rtol=1e-5, atol=1e-6)
    assert not np.allclose(unmasked(k), one_step(k[:, -1:]), atol=1e-4)


def test_reset_callback_zeroes_the_state_where_an_alphabet_ends(sa):
    """The script's ResetAfterAlphabet on its own stateful model and steps_per_execution
    (25 on TensorFlow and JAX, 1 on PyTorch): fit ends after whole alphabets, so the state is
    zeros after a reset every alphabet, and not after 1 alphabet of a 2-alphabet period."""
    model = sa["build_model"](1, 1, 8, batch_size=1, stateful=True)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  steps_per_execution=sa["STEPS_PER_EXECUTION"])
    x, y = sa["make_pairs"](1)
    x = sa["shape_input"](sa["encode"](x), "steps")

    def state():
        return keras.ops.convert_to_numpy(model.layers[-2].states[0])

    for alphabets, period, zeros in ((2, 25, True), (1, 50, False), (2, 50, True)):
        order = np.tile(np.arange(25), alphabets)
        model.fit(x[order], y[order], batch_size=1, epochs=1, shuffle=False, verbose=0,
                  callbacks=[sa["ResetAfterAlphabet"](period)])
        assert (not state().any()) == zeros, (alphabets, period, state())
        sa["reset_states"](model)
        assert not state().any()


def test_parse_experiments_start_and_help_defaults_from_the_table(sa, capsys):
    def parse(argv):
        return cli.read_settings(SCRIPT, None, sa["SETTINGS"], sa["finish"], argv=argv)

    args = parse(["--experiments", " stateful , naive", "--start", "c"])
    assert args.experiments == ["stateful", "naive"] and args.start == "C" and args.epochs is None
    defaults = parse([]).experiments
    assert defaults == [name for name in sa["EXPERIMENTS"] if name != "variable-length-masked"]
    with pytest.raises(SystemExit):
        parse(["--help"])
    shown = " ".join(capsys.readouterr().out.split())
    for name, spec in sa["EXPERIMENTS"].items():
        assert f"{name}: {spec['epochs']}" in shown
    assert f"whole-sequence: {sa['WHOLE_SEQUENCE']['epochs']}" in shown


def test_stateful_counts_where_a_lookup_table_looks_up():
    """The lesson, quick (default test command): at the stateful recipe's own budget it
    recites the alphabet from A and, from a cold K, answers B; the naive lookup table
    answers L."""
    metrics = run_namespace(SCRIPT, *QUIET, "--experiments", "naive,stateful",
                            "--epochs", "100")["metrics"]
    results = metrics["experiments"]
    assert metrics["generated"] == ALPHABET
    assert results["stateful"]["accuracy"] == 1.0 and results["stateful"]["probe"] == "B"
    assert results["naive"]["probe"] == "L"


def test_outputs_and_a_saved_model_that_reloads_anywhere(tmp_path, capsys):
    """--metrics, --plot and --save: the saved stateful model loads with plain Keras in a
    fresh process and predicts the 25 pairs, in order from a fresh state, as trained."""
    from conftest import predict_in_fresh_process

    paths = {flag: tmp_path / name for flag, name in
             (("--metrics", "m.json"), ("--plot", "p.png"), ("--save", "m.keras"))}
    ns = run_namespace(SCRIPT, *QUIET, "--experiments", "stateful", "--epochs", "2",
                       *[str(part) for pair in paths.items() for part in pair])
    metrics = json.loads(paths["--metrics"].read_text())
    assert metrics["experiments"]["stateful"]["measured_on"] == "25 training pairs"
    assert metrics["headline"].startswith("Next-letter accuracy")
    assert not re.search(r"\d s\b|seconds", metrics["headline"])  # no times in the caption
    assert paths["--plot"].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    model, x = ns["models"]["stateful"], ns["data"]["stateful"]["x_test"]
    ns["reset_states"](model)
    expected = model.predict(x, batch_size=1, verbose=0)
    np.testing.assert_allclose(predict_in_fresh_process(paths["--save"], x, batch_size=1),
                               expected, atol=1e-5)


def test_test_draws_are_spelled_in_letters_and_aligned(capsys):
    run_namespace(SCRIPT, "--quiet", "--experiments", "variable-length", "--epochs", "1",
                  "--examples", "3")
    printed = capsys.readouterr().out
    assert "different runs among the 1000 test draws" in printed
    table = printed.split("variable-length, the first 3 test draws\n", 1)[1].splitlines()
    header, *lines = table[1:5]  # under the title's rule: the header, then one row per draw
    assert header.split() == ["input", "expected", "predicted", "right?"], header
    assert len(lines) == 3, lines
    for number, line in enumerate(lines, 1):
        label, run, expected, predicted, right = line.split()
        assert label == str(number) and right == ("\u2611" if predicted == expected else "\u2612")
        assert run.isalpha() and expected == chr(ord(run[-1]) + 1), line
        # the inputs right-aligned under their header
        assert line.index(f" {run} ") + 1 + len(run) == header.index("input") + len("input"), line


@pytest.fixture(scope="module")
def default_run():
    return default_metrics(SCRIPT)


def test_default_run_reaches_the_bars(default_run):
    results = default_run["experiments"]
    assert list(results) == list(DEFAULT_RUN)
    for name, bar in DEFAULT_RUN.items():
        assert results[name]["accuracy"] >= bar - 1e-9, (name, results[name])
    assert default_run["generated"] == ALPHABET
    assert default_run["backend"] == keras.backend.backend() and default_run["start"] == "K"
    assert results["variable-length"]["measured_on"] == "1000 test draws"
    assert results["naive"]["measured_on"] == "25 training pairs"
    seconds = sum(r["train_seconds"] for r in results.values())
    whole = default_run["whole_sequence"]
    seconds += whole["stateless_train_seconds"] + whole["stateful_train_seconds"]
    assert default_run["train_seconds"] == pytest.approx(seconds, abs=0.01)


def test_a_window_caps_what_is_learned_a_stateful_layer_sees_the_sequence_whole(default_run):
    """26 ticks fed as 2 chunks of 13. Stateless, chunk 2 looks like chunk 1 (at most 13 of
    26 letters); stateful, the model counts to 26; its weights reading all 26 ticks at once
    give the same probabilities as the chunks."""
    whole = default_run["whole_sequence"]
    assert whole["chunk"] == 13
    assert whole["stateless_accuracy"] <= 0.5
    assert whole["stateless_answer"][:13] == whole["stateless_answer"][13:]
    assert whole["stateful_accuracy"] == 1.0
    assert whole["stateful_answer"] == whole["whole_answer"] == ALPHABET
    assert whole["max_difference_whole_vs_chunks"] < 1e-4  # float32 on a GPU meets it too


def test_probe_lookup_tables_say_the_next_letter_stateful_does_not(default_run):
    results = default_run["experiments"]
    for name in ("naive", "batch-state", "variable-length"):
        assert results[name]["probe"] == "L", (name, results[name])
    assert results["stateful"]["probe"] == "B"
    assert default_run["cold_start"] == "BCDEF"


def test_same_seed_same_results_alone_or_after_others(default_run):
    alone = run_namespace(SCRIPT, *QUIET, "--experiments", "stateful")["metrics"]
    with_others = default_run["experiments"]["stateful"]
    for key in ("accuracy", "mean_train_loss", "probe", "generated", "cold_start"):
        assert alone["experiments"]["stateful"][key] == with_others[key]
    assert list(alone["experiments"]) == ["stateful"]


def without_seconds(metrics):
    return {name: {key: value for key, value in result.items() if key != "train_seconds"}
            for name, result in metrics["experiments"].items()}


@pytest.mark.slow
def test_same_seed_same_metrics_other_start_and_a_warning_when_short(capsys):
    args = [*QUIET, "--experiments", "naive,window-features,batch-state", "--epochs", "60",
            "--start", "c"]
    first = run_namespace(SCRIPT, *args)["metrics"]
    second = run_namespace(SCRIPT, *args)["metrics"]
    assert without_seconds(first) == without_seconds(second) and first["epochs"] == 60
    assert {k: v for k, v in first["whole_sequence"].items() if "seconds" not in k} == \
        {k: v for k, v in second["whole_sequence"].items() if "seconds" not in k}
    other_seed = run_namespace(SCRIPT, *QUIET, "--experiments", "naive", "--epochs", "60",
                               "--seed", "8")["metrics"]
    naive = first["experiments"]["naive"]
    assert naive["mean_train_loss"] != other_seed["experiments"]["naive"]["mean_train_loss"]
    assert "generated" not in first
    capsys.readouterr()
    short = run_namespace(SCRIPT, *QUIET, "--experiments", "naive", "--epochs", "2",
                          "--start", "c")["metrics"]
    printed = capsys.readouterr().out
    assert short["experiments"]["naive"]["accuracy"] < 1
    assert "WARNING: naive scored" in printed and "raise --epochs (it ran 2 passes)" in printed


# Seeds 1-3 run every experiment, the masked one too, in one run each (until 2026-12-03
# seeds 1-5, with the masked runs apart: 10 minutes of CI's slow step).
OTHER_SEEDS = [1, 2, 3]


@pytest.mark.slow
@pytest.mark.parametrize("seed", OTHER_SEEDS)
def test_bars_on_other_seeds(seed, sa):
    """The bars, and What we learned's seed facts: window-steps gets all 23 windows on every
    seed; window-features misses one of 23 on seed 2 and none on 1 and 3; padded and masked,
    the runs of 1..5 letters score 100.00% and answer L to a lone K."""
    every_experiment = ",".join(sa["EXPERIMENTS"])  # the script's own list, the masked one too
    metrics = default_metrics(SCRIPT, "--seed", str(seed), "--experiments", every_experiment)
    results = metrics["experiments"]
    masked = results.pop("variable-length-masked")
    assert masked["accuracy"] == 1.0 and masked["probe"] == "L"
    for name, bar in ANY_SEED.items():
        assert results[name]["accuracy"] >= bar, (seed, name)
    assert results["window-steps"]["accuracy"] == 1.0
    assert results["window-features"]["accuracy"] == pytest.approx(
        22 / 23 if seed == 2 else 1.0)
    assert metrics["generated"] == ALPHABET
    assert results["stateful"]["probe"] != "L"
    whole = metrics["whole_sequence"]
    assert whole["stateless_accuracy"] <= 0.5 and whole["stateful_accuracy"] == 1.0


def test_bucketing_batches_hold_one_length_and_every_run_once_a_pass(sa):
    """length_batches: each batch one length, each pass every run once, the first two
    batches of different lengths (TensorFlow reads the data's shape from them), and the
    PyDataset hands them to fit unpadded."""
    runs, targets = sa["make_patterns"](np.random.default_rng(0), 300)
    batches = sa["length_batches"](runs, np.random.default_rng(1), 32, 2)
    assert all(len({len(runs[i]) for i in batch}) == 1 and len(batch) <= 32 for batch in batches)
    assert len(runs[batches[0][0]]) != len(runs[batches[1][0]])
    counts = np.bincount(np.concatenate(batches), minlength=len(runs))
    assert (counts == 2).all()
    x, y = sa["LengthBatches"](runs, targets, batches)[0]
    assert x.shape == (len(batches[0]), len(runs[batches[0][0]]), 1) and x.min() > 0
    assert list(y) == list(targets[batches[0]])
    grouped = sa["by_length"](runs)
    assert [x.shape[1] for _, x in grouped] == [1, 2, 3, 4, 5]
    assert sorted(np.concatenate([where for where, _ in grouped])) == list(range(len(runs)))


@pytest.mark.slow
def test_on_seed_4_bucketing_falls_short_where_the_mask_does_not():
    """What we learned: at 300 passes on seed 4, bucketing 98.10% and the mask 100.00% (the
    MEASURED run, kept by conftest.default_metrics and shared with tests/test_claims.py)."""
    results = default_metrics(SCRIPT, *MEASURED["98.10%"][0])["experiments"]
    assert results["variable-length"]["accuracy"] == pytest.approx(0.981)
    assert results["variable-length-masked"]["accuracy"] == 1.0


@pytest.mark.slow
def test_padding_and_masking_on_the_default_seed():
    """What we learned's comparison: the same runs padded and masked, at the same 300 passes,
    scored 99.40% on seed 7 (and 100.00% on seeds 1-3: test_bars_on_other_seeds)."""
    metrics = run_namespace(SCRIPT, *QUIET, "--experiments", "variable-length-masked")["metrics"]
    masked = metrics["experiments"]["variable-length-masked"]
    assert metrics["seed"] == 7 and masked["accuracy"] == pytest.approx(0.994)
    assert masked["probe"] == "L" and masked["measured_on"] == "1000 test draws"
