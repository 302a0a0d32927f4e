"""reverse_bidirectional.py: which models can reverse a sequence, position by position;
the recipe that stops at its target; the per-step and stateful lessons."""

import math
import re

import keras
import numpy as np
import pytest

from conftest import default_metrics, predict_in_fresh_process, run_namespace

SCRIPT = "reverse_bidirectional.py"
SMOKE_ARGS = ["--epochs", "1", "--samples", "1024", "--examples", "2", "--units", "16",
              "--batch-size", "128"]
BAD_INPUTS = [
    (["--length", "1"], "argument --length"),
    (["--vocab", "1"], "argument --vocab"),
    (["--models", "lstm,,dense"], "argument --models"),
    (["--models", "gru"], "argument --models"),
    (["--models", ""], "argument --models"),
    (["--models", "lstm,lstm"], "argument --models"),
    (["--units", "0"], "argument --units"),
    (["--units", "5000"], "argument --units"),
    (["--samples", "-5"], "argument --samples"),
    (["--learning-rate", "-inf"], "argument --learning-rate"),
    (["--length", "five"], "argument --length"),
    (["--data", "sorted"], "argument --data"),
    (["--lessons", "per-step,per-step"], "argument --lessons"),
    (["--lessons", "masking"], "argument --lessons"),
    # Values that parse but cannot train: the one-hot data would not fit in memory.
    (["--vocab", "1000000"], "argument --vocab"),
    (["--samples", "100000000"], "argument --samples"),
]
QUIET = ["--quiet", "--examples", "0"]
CHANCE_MARGIN = 0.05  # 2000 held-out sequences: chance is 10% +- 0.7% (one std)
TARGET = 0.99  # the lesson's promise: 99% of held-out sequences right at every position
STOP_AT = "99.50%"  # the validation target the script prints
LESSONS_ARGS = ["--models", "dense", "--epochs", "1", "--samples", "256",
                "--lessons", "per-step,stateful"]

# Every number in the script's prose (tests/test_claims.py checks these three tables).
CLAIMS = {
    "10.05%": "models.lstm.per_position_accuracy.0",
    "9.15%": "models.lstm.per_position_accuracy.1",
    "99.85%": "models.lstm.per_position_accuracy.4",
    "99.90%": "models.bilstm.per_position_accuracy.4",
    "99.55%": "models.encdec.per_position_accuracy.4",
}
MEASURED = {
    # the per-step lesson's table
    "0.0229": (LESSONS_ARGS, "per_step.dense, 1 step.loss"),
    "99.05%": (LESSONS_ARGS, "per_step.dense, 1 step.accuracy"),
    "0.6113": (LESSONS_ARGS, "per_step.dense, 2 steps.loss"),
    "71.82%": (LESSONS_ARGS, "per_step.dense, 2 steps.accuracy"),
    "0.0001": (LESSONS_ARGS, "per_step.dense, 2 steps, labels fixed.loss"),
    "100.00%": (LESSONS_ARGS, "per_step.dense, 2 steps, labels fixed.accuracy"),
    "0.0826": (LESSONS_ARGS, "per_step.bilstm, 2 steps.loss"),
    "97.00%": (LESSONS_ARGS, "per_step.bilstm, 2 steps.accuracy"),
    # the floor a per-step model cannot beat, computed (not trained) in the same run
    "0.5595": (LESSONS_ARGS, "per_step.floor.loss"),
    "75.16%": (LESSONS_ARGS, "per_step.floor.accuracy"),
    "0.6032": (LESSONS_ARGS, "per_step.floor.linear_loss"),
    # the stateful lesson's table
    "9.88%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateful.0"),
    "10.48%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateful.1"),
    "68.75%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateful.2"),
    "33.27%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateful.3"),
    "18.55%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateful.4"),
    "9.48%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateless.0"),
    "11.49%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateless.1"),
    "98.99%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateless.2"),
    "96.77%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateless.3"),
    "94.96%": (LESSONS_ARGS, "stateful.per_position_accuracy.stateless.4"),
}
# The default run on seeds 7, 8 and 9 (docs/reverse_bidirectional_seeds.json), checked below.
SEEDS_JSON_PATH = ("docs", "reverse_bidirectional_seeds.json")
SEEDS_COMMAND = ["python", "reverse_bidirectional.py", "--seed", "8"]
SEEDS_CLAIMS = {
    "10.05%": "runs.7.models.lstm.per_position_accuracy.0",
    "9.15%": "runs.7.models.lstm.per_position_accuracy.1",
    "8.65%": "runs.9.models.lstm.per_position_accuracy.1",
    "10.40%": "runs.8.models.lstm.per_position_accuracy.0",
    "99.90%": "runs.7.models.bilstm.per_position_accuracy.4",
    "99.65%": ("runs.9.models.bilstm.per_position_accuracy.2",
               "runs.9.models.bilstm.per_position_accuracy.3"),
    "99.55%": "runs.7.models.encdec.per_position_accuracy.4",
    "99.35%": "runs.8.models.encdec.per_position_accuracy.3",
}
UNMEASURED = {
    **{literal: "the default run on seeds 7-9 (docs/reverse_bidirectional_seeds.json): SEEDS_CLAIMS"
       for literal in SEEDS_CLAIMS if literal not in CLAIMS},
    "99.5%": "STOP_AT, the validation target",
    "99%": "TARGET, the held-out target (the slow sweep checks it over the recipe's range)",
    "80%": "arithmetic: 4 of 5 positions right",
    "10%": "chance with 10 integers",
    "64%": "arithmetic: 3/5 + 2/5 x 10%",
    "0.605": "the loss the second source question reported",
    "2.0": "a Keras version (since Keras 2.0 Dense acts on every step)",
    "100%": "the forward LSTM on consecutive integers: test_related_numbers_let_the_forward_lstm_reverse",
}

# The lesson cells, pasted into a notebook next to the data, train (tests/test_lessons.py).
LIFT_SECTIONS = ("Build the model", "Train")


def lifted(ns):
    assert set(ns["histories"]) == set(ns["args"].models)
    for history in ns["histories"].values():
        assert all(math.isfinite(loss) for loss in history.history["loss"])
        assert "val_min_position_accuracy" in history.history


def run(*args):
    return run_namespace(SCRIPT, *QUIET, *args)["metrics"]


def worst(metrics, kind):
    return min(metrics["models"][kind]["per_position_accuracy"])


def assert_reversal_pattern(metrics):
    """The result the script teaches: per position, who can write x[L-1-t] at step t."""
    length, chance = metrics["length"], 1 / metrics["vocab"]
    middle = length // 2
    models = metrics["models"]
    if "bilstm" in models:
        assert models["bilstm"]["reached_target"] and worst(metrics, "bilstm") >= TARGET
    for t in range(length):
        if "lstm" in models:
            accuracy = models["lstm"]["per_position_accuracy"][t]
            if t >= middle:  # the target x[L-1-t] has been read already
                assert accuracy >= 0.95, t
            else:  # the target is still in the future
                assert abs(accuracy - chance) < CHANCE_MARGIN, t
        if "dense" in models:
            accuracy = models["dense"]["per_position_accuracy"][t]
            if t == middle and length % 2:
                assert accuracy >= 0.99
            else:
                assert abs(accuracy - chance) < CHANCE_MARGIN, t
    for kind in ("dense", "lstm"):  # they cannot reach it: the budget runs out, by design
        if kind in models:
            assert not models[kind]["reached_target"]
            assert models[kind]["epochs_run"] == metrics["epochs"]


def test_forward_lstm_gets_only_what_it_has_read_bilstm_gets_all():
    """The main claim, on a small shape (3 integers of 5) to stay quick: the forward LSTM is
    at chance where the integer to write is unread and right where it is read; the
    Bidirectional LSTM reaches 99% at every position and stops early."""
    metrics = run("--models", "lstm,bilstm", "--length", "3", "--vocab", "5")
    assert metrics["epochs"] == 12  # the recipe's budget at length 3: max(10, 4 x 3)
    assert_reversal_pattern(metrics)
    assert metrics["models"]["bilstm"]["epochs_run"] < 12


@pytest.fixture(scope="module")
def default_run():
    return {"metrics": default_metrics(SCRIPT)}


def test_default_run_shows_the_pattern_and_stops_at_the_target(default_run):
    metrics = default_run["metrics"]
    assert list(metrics["models"]) == ["dense", "lstm", "bilstm", "encdec"]
    assert metrics["length"] == 5 and metrics["vocab"] == 10 and metrics["seed"] == 7
    assert metrics["backend"] == keras.backend.backend()
    assert metrics["epochs"] == 20  # 4 per integer of the sequence
    samples = {kind: scores["samples"] for kind, scores in metrics["models"].items()}
    assert samples == {"dense": 8200, "lstm": 8200, "bilstm": 8200, "encdec": 32800}
    assert_reversal_pattern(metrics)
    bilstm = metrics["models"]["bilstm"]
    assert bilstm["epochs_run"] < 20  # it stopped early, at the target
    # The other fix: read everything, then write. Slower to learn, but it gets there.
    assert metrics["models"]["encdec"]["reached_target"] and worst(metrics, "encdec") >= TARGET
    assert metrics["models"]["lstm"]["sequence_accuracy"] < 0.05
    seconds = [m["train_seconds"] for m in metrics["models"].values()]
    assert metrics["train_seconds"] == pytest.approx(sum(seconds), abs=0.01)
    assert metrics["headline"].startswith("reversing 5 integers, worst position: dense ")
    assert "s " not in metrics["headline"] and "seconds" not in metrics["headline"]


def test_same_seed_same_accuracies_whatever_else_is_trained(default_run, capsys):
    # Each model starts from the seed, so bilstm alone repeats bilstm among the four.
    alone = run("--models", "bilstm")
    first, second = default_run["metrics"]["models"]["bilstm"], alone["models"]["bilstm"]
    for key in ("element_accuracy", "sequence_accuracy", "per_position_accuracy", "epochs_run"):
        assert first[key] == second[key]
    out = capsys.readouterr().out
    assert f"bilstm: reached {STOP_AT} validation accuracy at its worst position after" in out


def test_same_seed_identical_other_seed_different():
    args = ["--models", "lstm", "--epochs", "1", "--samples", "2048"]
    first, second, other = (run(*a) for a in (args, args, [*args, "--seed", "8"]))

    def accuracies(metrics):
        return {k: v for k, v in metrics["models"]["lstm"].items() if k != "train_seconds"}

    assert accuracies(first) == accuracies(second)
    assert accuracies(first) != accuracies(other)


def test_blind_models_say_the_budget_ran_out_by_design(capsys):
    metrics = run_namespace(SCRIPT, "--models", "lstm,bilstm", "--epochs", "1", "--samples", "512",
                            "--examples", "2", "--quiet")["metrics"]
    out = capsys.readouterr().out
    assert "lstm: used its whole budget of 1 epochs" in out and "the lesson, not a failure" in out
    # bilstm can do it, so missing the target is a warning with the flags to raise.
    assert not metrics["models"]["bilstm"]["reached_target"]
    assert f"bilstm: WARNING: did not reach {STOP_AT}" in out and "raise --epochs (now 1)" in out
    # The examples table: per test sequence its input, the expected output, then each model's,
    # marked right or wrong (the accuracy table's rows start at the margin: not matched).
    rows = re.findall(r"^(?:\d+)? +(\w+) +\[[\d, ]+\] *([\u2611\u2612]?) *$", out, re.M)
    assert [label for label, _ in rows] == ["input", "expected", "lstm", "bilstm"] * 2
    assert [bool(mark) for _, mark in rows] == [False, False, True, True] * 2


def test_outside_the_checked_range_warns_before_training(capsys):
    run("--models", "dense", "--length", "9", "--epochs", "1", "--samples", "256")
    out = capsys.readouterr().out
    assert "warning: this recipe was checked for --length 3..8 and --vocab 5..20; --length 9" in out
    assert out.index("warning: this recipe") < out.index("Training dense")


def test_a_loss_that_turns_nan_stops_and_says_so(capsys):
    metrics = run("--models", "lstm", "--learning-rate", "1e38", "--samples", "512")
    lstm = metrics["models"]["lstm"]
    assert lstm["diverged"] and not lstm["reached_target"] and lstm["epochs_run"] == 1
    assert "lstm: ERROR: the loss became nan in epoch 1" in capsys.readouterr().out


def test_related_numbers_let_the_forward_lstm_reverse():
    """Seed 000: "if the numbers were related it would do better". With consecutive integers
    the forward LSTM can work out the integers it has not read yet (100% at every
    position); a per-step Dense cannot (it does not know which step it is at, so now it
    loses even the middle)."""
    metrics = run("--data", "consecutive", "--models", "dense,lstm", "--epochs", "5")
    assert metrics["models"]["lstm"]["reached_target"]
    assert metrics["models"]["lstm"]["per_position_accuracy"] == [1.0] * 5
    assert metrics["models"]["lstm"]["epochs_run"] <= 2
    assert max(metrics["models"]["dense"]["per_position_accuracy"]) < 0.5


@pytest.fixture(scope="module")
def lessons():
    """The two lessons from the source questions (a minute of training): slow-marked."""
    return run_namespace(SCRIPT, *QUIET, *LESSONS_ARGS)


@pytest.fixture(scope="module")
def ns():
    """The script's functions, from a run that trains one small model for one epoch."""
    return run_namespace(SCRIPT, *QUIET, "--models", "dense", "--epochs", "1", "--samples", "256")


@pytest.mark.slow
def test_per_step_model_plateaus_at_the_floor(lessons):
    """Seed 004: with the question's labels, 1 step trains to ~0 loss and 2 steps plateau at
    the best a per-step model can do; fixing the labels, or a Bidirectional LSTM, fixes it."""
    runs = lessons["metrics"]["per_step"]
    floor = runs["floor"]
    assert floor["loss"] == pytest.approx(0.5595, abs=1e-3)
    assert floor["linear_loss"] == pytest.approx(0.6032, abs=1e-3)
    assert floor["accuracy"] == pytest.approx(0.7516, abs=1e-3)
    assert runs["dense, 1 step"]["loss"] < 0.1
    plateau = runs["dense, 2 steps"]
    assert 0.5595 - 0.01 <= plateau["loss"] <= 0.6032 + 0.03
    assert plateau["accuracy"] <= 0.7516 + 0.02
    assert runs["dense, 2 steps, labels fixed"]["loss"] < 0.1
    assert runs["bilstm, 2 steps"]["loss"] < 0.5595 / 2
    assert runs["bilstm, 2 steps"]["accuracy"] > 0.7516 + 0.15


def test_per_step_floor_formula_matches_a_simulation(ns):
    """The floor is the entropy of what each input's target can be; check it by counting."""
    rng = np.random.default_rng(0)
    x, y = ns["question_data"](rng, 200_000, 2, 100)
    below = (x.sum(-1) + 50) > 50  # each step's own class
    # Best per-step guess: P(target = 1 | own class), pooled over both steps.
    q = np.array([y[below == c].mean() for c in (False, True)])
    share = np.array([(~below).mean(), below.mean()])
    entropy = -(q * np.log(q) + (1 - q) * np.log(1 - q))
    floor, _, _ = ns["per_step_floors"](2, 100)
    assert (share * entropy).sum() == pytest.approx(floor, abs=5e-3)


@pytest.mark.slow
def test_stateful_windows_are_not_continuations(lessons):
    """Seed 000: the question's overlapping windows, fed in stateful batches of 16, never
    continue each other, and the carried state does not help the first positions."""
    stateful = lessons["metrics"]["stateful"]
    assert stateful["continuing_pairs"] == 0 and stateful["pairs"] == 480
    scores = stateful["per_position_accuracy"]
    for kind in ("stateful", "stateless"):
        assert all(abs(a - 0.1) < CHANCE_MARGIN for a in scores[kind][:2]), kind
    assert min(scores["stateless"][2:]) >= 0.9
    assert max(scores["stateful"][:2]) <= max(scores["stateless"][:2]) + CHANCE_MARGIN


@pytest.mark.parametrize("kind", ["dense", "lstm", "bilstm", "encdec"])
def test_build_model_shapes(kind, ns):
    model = ns["build_model"](kind, length=6, vocab=12, units=8)
    assert model.input_shape == (None, 6, 12) and model.output_shape == (None, 6, 12)
    probabilities = keras.ops.convert_to_numpy(model(np.zeros((3, 6, 12), "float32")))
    np.testing.assert_allclose(probabilities.sum(-1), 1, rtol=1e-5)


def test_build_model_details(ns):
    bilstm = ns["build_model"]("bilstm", 5, 10, 16)
    assert bilstm.layers[1].output.shape == (None, 5, 32)  # both directions, side by side
    with pytest.raises(ValueError, match="unknown kind"):
        ns["build_model"]("gru", 5, 10, 16)


def test_make_reversal_data(ns):
    make = ns["make_reversal_data"]
    x, y, ints = make(np.random.default_rng(0), 4, 6, 9)
    assert x.shape == (4, 6, 9) and y.shape == (4, 6)
    np.testing.assert_array_equal(x.argmax(-1), ints)
    np.testing.assert_array_equal(y, ints[:, ::-1])
    _, y, ints = make(np.random.default_rng(0), 50, 6, 9, "consecutive")
    np.testing.assert_array_equal(np.diff(ints, axis=1) % 9, 1)
    np.testing.assert_array_equal(y, ints[:, ::-1])


def test_budget_grows_with_the_shape(ns):
    budget = ns["budget"]
    assert budget(3, 5) == (2460, 12) and budget(5, 10) == (8200, 20) and budget(8, 20) == (26240, 32)
    assert budget(5, 10, "encdec") == (32800, 20)


def test_stop_at_worst_position_logs_and_stops(ns):
    """The callback logs the worst position's validation accuracy and stops at the target,
    here on a model whose predictions are fixed: right everywhere but one position."""
    stop_class = ns["StopAtWorstPosition"]
    y_val = np.array([[0, 1, 2], [2, 1, 0]])
    inputs = keras.Input(shape=(3, 3))
    model = keras.Model(inputs, keras.layers.Identity()(inputs))  # predicts its input
    x_val = np.eye(3, dtype="float32")[y_val]
    x_val[0, 2] = np.eye(3)[0]  # sample 0 wrong at step 2: that position is 1 of 2 right
    for target, stops in ((0.5, True), (0.6, False)):
        stop = stop_class(x_val, y_val, target)
        stop.set_model(model)
        model.stop_training, logs = False, {}
        stop.on_epoch_end(0, logs)
        assert logs == {"val_min_position_accuracy": 0.5} and model.stop_training == stops


def test_models_flag_and_saved_model_reloads_anywhere(tmp_path):
    """--save writes the bilstm (or, without one, the last model); a Python that imports
    nothing from this repository loads it and predicts what the trained model predicts."""
    path = tmp_path / "m.keras"
    ns = run_namespace(SCRIPT, *QUIET, "--models", "dense, bilstm", "--epochs", "1",
                       "--samples", "256", "--save", str(path))
    x = ns["x_test"][:64]
    expected = ns["models"]["bilstm"].predict(x, verbose=0)
    np.testing.assert_allclose(predict_in_fresh_process(path, x), expected, atol=1e-5)
    assert keras.saving.load_model(path).name == "bilstm"
    run_namespace(SCRIPT, *QUIET, "--models", "lstm,dense", "--epochs", "1", "--samples", "256",
                  "--save", str(path))
    assert keras.saving.load_model(path).name == "dense"  # no bilstm: the last one


# The checked range (VALIDATED in the script): its corners, points inside, two seeds where cheap.
SWEEP = [(3, 5, 7), (3, 5, 1), (3, 20, 7), (3, 20, 1), (8, 5, 7), (8, 20, 7), (5, 10, 1),
         (6, 15, 7), (4, 8, 1), (7, 12, 7)]


@pytest.mark.slow
@pytest.mark.parametrize("length,vocab,seed", SWEEP)
def test_bilstm_reaches_99_percent_at_every_position_over_the_checked_range(length, vocab, seed):
    metrics = run("--models", "bilstm", "--length", str(length), "--vocab", str(vocab),
                  "--seed", str(seed))
    bilstm = metrics["models"]["bilstm"]
    print(f"length {length}, vocab {vocab}, seed {seed}: {bilstm['epochs_run']} epochs, "
          f"{bilstm['train_seconds']:.1f} s, worst position {worst(metrics, 'bilstm'):.4f}")
    assert bilstm["reached_target"]
    assert worst(metrics, "bilstm") >= TARGET, bilstm["per_position_accuracy"]


def test_the_default_run_on_three_seeds_says_what_the_prose_says():
    """What we learned compares the four models over seeds 7-9: each conclusion holds on
    every seed of the committed runs, seed 7's is the default run, and every number the
    prose quotes from them is theirs."""
    import json

    from conftest import ROOT
    from test_claims import check_a_stated_run

    seeds = json.loads(ROOT.joinpath(*SEEDS_JSON_PATH).read_text())
    assert seeds["backend"] == "tensorflow" and set(seeds["runs"]) == {"7", "8", "9"}
    default = json.loads((ROOT / "docs" / "reverse_bidirectional.json").read_text())
    assert seeds["runs"]["7"] == default
    for seed, run in seeds["runs"].items():
        assert run["seed"] == int(seed) and run["epochs"] == 20 and run["length"] == 5
        models = run["models"]
        lstm = models["lstm"]["per_position_accuracy"]
        assert max(lstm[:2]) < 0.12 and min(lstm[2:]) >= 0.9985  # chance where it has not read
        assert models["lstm"]["epochs_run"] == 20
        for name in ("bilstm", "encdec"):
            assert models[name]["reached_target"] and min(models[name]["per_position_accuracy"]) >= 0.99
        assert models["bilstm"]["epochs_run"] in (5, 6) and 8 <= models["encdec"]["epochs_run"] <= 11
        assert models["encdec"]["epochs_run"] > models["bilstm"]["epochs_run"]  # "more epochs"
        assert models["encdec"]["samples"] == 4 * models["bilstm"]["samples"]  # "4x the data"
    check_a_stated_run(SCRIPT, seeds, SEEDS_COMMAND, SEEDS_CLAIMS)
