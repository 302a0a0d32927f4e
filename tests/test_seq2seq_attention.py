"""seq2seq_attention.py: the three designs' shapes, inference models that share the trained
layers (the loop fed the true tokens IS the teacher-forced model, attention weights and
all), the stopping rule, a quick run's claim, determinism, a saved model that reloads
anywhere, bad input; slow: the default run's bars, the checked range of --length, and a
reduced curve that re-derives the lesson's conclusion."""

import json

import numpy as np
import pytest

from conftest import (ROOT, default_metrics, predict_in_fresh_process, run_and_save,
                      run_namespace)

SCRIPT = "seq2seq_attention.py"
SMOKE_ARGS = ["--length", "4", "--epochs", "1", "--sequences", "200", "--examples", "2",
              "--designs", "repeat_vector,encoder_state,attention"]
BAD_INPUTS = [
    (["--length", "0"], "argument --length"),
    (["--length", "30", "--vocab", "20"], "argument --length"),  # more integers than --vocab
    (["--vocab", "1"], "argument --vocab"),
    (["--curve", "5,0"], "argument --curve"),
    (["--curve", "5,,10"], "argument --curve"),
    (["--curve", "10", "--vocab", "8", "--length", "5"], "argument --curve"),  # beyond --vocab
    (["--designs", "transformer"], "argument --designs"),
    (["--designs", "attention,attention"], "argument --designs"),
    (["--designs", "none"], "argument --designs"),  # not a design
    (["--seeds", "0"], "argument --seeds"),
    (["--patience", "0"], "argument --patience"),
    (["--units", "0"], "argument --units"),
    (["--sequences", "0"], "argument --sequences"),
    (["--sequences", "100000000"], "argument --sequences/--length/--vocab"),  # terabytes
    (["--learning-rate", "0"], "argument --learning-rate"),
]
QUIET = ["--quiet", "--examples", "0"]
TARGET = 0.99  # the bar: attention with real inference at the default --length
QUICK_BAR = 0.9  # the quick configuration below (seed 7: 93.80% after its 12 passes)

# Every number in the script's prose: a result of the default run (docs/NAME.json), of
# another run, or a setting.
ATT = "results.attention.30.7."
CLAIMS = {
    "99.50%": (ATT + "inference_accuracy", ATT + "teacher_forced_accuracy"),
    "99.57%": "attention_on_its_integer",
}
MEASURED = {}
# The curve's numbers: docs/seq2seq_attention_curve.json, checked below (CURVE_CLAIMS).
RV, ES, AT = "results.repeat_vector.", "results.encoder_state.", "results.attention."
CURVE_CLAIMS = {
    "99.10%": AT + "5.8.inference_accuracy",  # the lowest at 5 and 15
    "99.40%": (ES + "20.9.inference_accuracy", AT + "30.9.inference_accuracy"),
    "99.60%": ES + "20.7.inference_accuracy",
    "85.60%": RV + "20.8.inference_accuracy", "98.15%": RV + "20.9.inference_accuracy",
    "0.00%": tuple(RV + f"30.{seed}.inference_accuracy" for seed in (7, 8, 9)),
    "78.15%": ES + "30.7.inference_accuracy", "96.40%": ES + "30.8.inference_accuracy",
    "97.05%": ES + "30.9.inference_accuracy",
    "99.55%": AT + "30.7.inference_accuracy", "99.30%": AT + "30.8.inference_accuracy",
}
# The second look at 30 (seeds 7-9, patience 10): docs/seq2seq_attention_second_look.json.
SECOND_LOOK_CLAIMS = {
    "51.15%": RV + "30.7.inference_accuracy", "76.05%": RV + "30.8.inference_accuracy",
    "85.50%": RV + "30.9.inference_accuracy",
    "97.60%": ES + "30.7.inference_accuracy", "97.45%": ES + "30.8.inference_accuracy",
    "97.70%": ES + "30.9.inference_accuracy",
    "99.55%": AT + "30.7.inference_accuracy", "99.35%": AT + "30.8.inference_accuracy",
    "99.25%": AT + "30.9.inference_accuracy",
}
UNMEASURED = {**{literal: "the curve (docs/seq2seq_attention_curve.json): CURVE_CLAIMS"
                 for literal in CURVE_CLAIMS if literal not in CLAIMS},
              **{literal: "the second look (docs/seq2seq_attention_second_look.json)"
                 for literal in SECOND_LOOK_CLAIMS if literal not in CURVE_CLAIMS}}

# The lesson cells, run by tests/test_lessons.py in a fresh namespace (quick budget).
LIFT_SECTIONS = ("Build the model", "Train", "Run inference")
LIFT_ARGS = ["--length", "4"]


def lifted(ns):
    assert ns["attention_stop"].stopped_by in ("target", "patience", "cap")
    assert ns["same_tokens"] and ns["largest_difference"] < 1e-4
    assert ns["inferred"].shape == ns["y_test"].shape
    assert ns["attention_weights"].shape == (*ns["y_test"].shape, 4)


# Attention learns to sort 1..6 integers below 20 in a few passes; the same run saves its
# model, so one training serves the inference, claim and reload tests.
QUICK = ["--length", "6", "--sequences", "4000", "--epochs", "12", "--units", "32",
         "--designs", "encoder_state,attention", "--patience", "4", "--learning-rate", "0.01",
         "--batch-size", "256", *QUIET]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return run_and_save(SCRIPT, tmp_path_factory.mktemp("quick"), *QUICK, "--seed", "7")


def test_the_designs_shapes(quick):
    build = quick["build"]
    repeat_vector = build("repeat_vector", 6, 12, 16)
    assert repeat_vector.input_shape == (None, 6, 12)
    assert repeat_vector.output_shape == (None, 7, 14)
    for design in ("encoder_state", "attention"):
        model = build(design, 6, 12, 16)
        assert model.input_shape == [(None, 6, 12), (None, None, 14)]
        assert model.output_shape == (None, None, 14)
        encoder, decoder = quick["inference_models"](model, 6, 12, 16)
        memory = [(None, 6, 16 + 12), (None, 6, 16)] if design == "attention" else []
        assert [tuple(s) for s in encoder.output_shape] == [(None, 16), (None, 16), *memory]
        assert decoder.output_shape[0] == (None, 1, 14)
        if design == "attention":
            assert decoder.output_shape[3] == (None, 1, 6)  # one weight per input step
        # The inference models own no weights of their own: they are the trained layers.
        trained = {id(v) for v in model.weights}
        assert {id(v) for v in encoder.weights + decoder.weights} <= trained
    # Attention adds to encoder_state the key's projection (vocab x units, no bias) and the
    # tanh layer over [context, decoded] (context: units + vocab); the softmax reads units.
    extra = build("attention", 6, 12, 16).count_params() - build(
        "encoder_state", 6, 12, 16).count_params()
    assert extra == 12 * 16 + (16 + 12 + 16) * 16 + 16


def test_the_loop_fed_true_tokens_is_the_teacher_forced_model(quick):
    ns = quick
    x, fed = ns["x_test"][:300], ns["decoder_test"][:300]
    looped, probabilities, weights = ns["greedy_decode"](
        ns["encoder_model"], ns["decoder_model"], x, fed.shape[1], teacher=fed)
    forced = ns["attention"].predict([x, fed], verbose=0)
    np.testing.assert_array_equal(looped, forced.argmax(-1))  # every token, after <end> too
    np.testing.assert_allclose(probabilities, forced, atol=1e-5)
    np.testing.assert_allclose(weights.sum(-1), 1, atol=1e-5)  # a softmax over input steps
    assert ns["metrics"]["inference_check"]["same_tokens"]


def test_the_attention_map_reading_is_what_the_weights_say(quick):
    """attention_on_its_integer: the share of the integers written whose largest weight falls
    on the input step that holds them, recomputed one sequence at a time."""
    ns = quick
    x_int, predicted, weights = ns["x_test_int"], ns["inferred"], ns["attention_weights"]
    hits, total = 0, 0
    for row, out, w in zip(x_int, predicted, weights):
        for t, token in enumerate(out):
            if token < ns["VOCAB"]:
                hits += int(row[w[t].argmax()] == token)
                total += 1
    assert ns["metrics"]["attention_on_its_integer"] == pytest.approx(hits / total)


class _Scripted:
    """A stand-in model whose validation predictions are right on a set share of sequences,
    pass after pass, and whose "weights" are the pass number."""

    def __init__(self, shares, y):
        self.shares, self.y, self.passes = shares, y, 0
        self.stop_training, self.restored = False, None

    def predict(self, x, batch_size=None, verbose=0):
        right = round(self.shares[self.passes - 1] * len(self.y))
        predicted = np.where(np.arange(len(self.y))[:, None] < right, self.y, 0)
        return np.eye(self.y.max() + 1)[predicted]

    def get_weights(self):
        return [self.passes]

    def set_weights(self, weights):
        self.restored = weights[0]


@pytest.mark.parametrize("shares,passes,stopped_by,best", [
    ((0.5, 0.6, 0.55, 0.58, 0.59, 0.7), 5, "patience", 2),  # 3 passes without a better one
    ((0.5, 0.96, 0.9), 2, "target", 2),
    ((0.5, 0.6, 0.55, 0.7), 4, "cap", 4),  # the epochs ran out first
])
def test_the_stopping_rule_says_why_it_stopped_and_keeps_the_best(quick, shares, passes,
                                                                   stopped_by, best):
    y = np.tile([1, 2, 5], (100, 1))  # <end> (5) ends every target
    model = _Scripted(shares, y)
    stop = quick["StopAtTarget"](None, y, 0.95, 3)
    stop.set_model(model)
    for epoch in range(4 if stopped_by == "cap" else len(shares)):
        model.passes = epoch + 1
        stop.on_epoch_begin(epoch)
        stop.on_epoch_end(epoch, {"loss": 1.0})
        if model.stop_training:
            break
    stop.on_train_end()
    assert (len(stop.accuracy), stop.stopped_by, model.restored) == (passes, stopped_by, best)


def test_quick_run_shows_the_main_claim(quick):
    metrics = quick["metrics"]
    attention = metrics["results"]["attention"]["6"]["7"]
    assert attention["inference_accuracy"] >= QUICK_BAR, attention
    assert attention["inference_accuracy"] == attention["teacher_forced_accuracy"]
    assert attention["inference_element_accuracy"] <= attention["teacher_forced_element_accuracy"]
    assert metrics["lengths"] == [6] and metrics["test_sequences"] == 2000
    assert metrics["results"]["repeat_vector"]["6"] == {}


def test_same_seed_same_numbers(quick):
    again = run_namespace(SCRIPT, *QUICK, "--seed", "7")["metrics"]
    first = quick["metrics"]
    for design in ("encoder_state", "attention"):
        a, b = first["results"][design]["6"]["7"], again["results"][design]["6"]["7"]
        timing = ("train_seconds", "seconds_per_pass")
        assert {k: v for k, v in a.items() if k not in timing} == {
            k: v for k, v in b.items() if k not in timing}


def test_saved_model_reloads_and_predicts_the_same_anywhere(quick):
    x, fed = quick["x_test"][:64], quick["decoder_test"][:64]
    expected = quick["attention"].predict([x, fed], verbose=0)
    np.testing.assert_allclose(predict_in_fresh_process(quick["saved"], [x, fed]), expected,
                               atol=1e-5)


@pytest.fixture(scope="module")
def default_run():
    return default_metrics(SCRIPT)  # its time bar: tests/test_time_promises.py


def test_default_run_clears_its_bars(default_run):
    metrics = default_run
    length, seed = str(metrics["length"]), str(metrics["seed"])
    results = metrics["results"]
    for design in metrics["designs_at_length"]:
        row = results[design][length][seed]
        assert {"inference_accuracy", "teacher_forced_accuracy", "epochs_run",
                "stopped_by"} <= row.keys()
    attention = results["attention"][length][seed]
    assert attention["inference_accuracy"] >= TARGET and metrics["reached_target"]
    assert attention["stopped_by"] == "target"
    assert metrics["inference_check"]["same_tokens"]
    assert metrics["length"] == 30 and metrics["designs_at_length"] == ["attention"]


# The checked range: --length 5..30 at the default --vocab (its low end, a point between; the
# default run is its high end).
SWEEP = [5, 15]


@pytest.mark.slow
@pytest.mark.parametrize("length", SWEEP)
def test_attention_reaches_the_target_over_the_checked_range(length):
    metrics = run_namespace(SCRIPT, "--length", length, "--designs", "attention",
                            *QUIET)["metrics"]
    assert metrics["results"]["attention"][str(length)]["7"]["inference_accuracy"] >= TARGET


# The curve (this collection's Figure 2): the command the script's prose states, and the
# numbers its prose quotes from docs/seq2seq_attention_curve.json (an hour's run: the
# reduced curve below re-derives its conclusion in the slow step instead).
CURVE_JSON = ROOT / "docs" / "seq2seq_attention_curve.json"
CURVE_COMMAND = ["--curve", "5,15,20,30", "--seeds", "3", "--epochs", "60", "--quiet",
                 "--examples", "0", "--plot", "docs/seq2seq_attention_curve.png",
                 "--metrics", "docs/seq2seq_attention_curve.json"]


def test_the_curve_says_what_the_prose_says_on_every_seed():
    """The prose's readings of the curve, each on every seed; a design fails only where
    patience stopped it below the target."""
    r = json.loads(CURVE_JSON.read_text())["results"]
    at = lambda design, length, key="inference_accuracy": [  # noqa: E731
        r[design][str(length)][seed][key] for seed in ("7", "8", "9")]
    lowest = min(min(at(d, n)) for d in r for n in (5, 15))
    assert lowest >= 0.99 and lowest == r["attention"]["5"]["8"]["inference_accuracy"]
    assert min(at("encoder_state", 20)) >= 0.99 > max(at("repeat_vector", 20))
    assert at("repeat_vector", 20, "stopped_by") == ["patience"] * 3
    assert at("repeat_vector", 30) == [0, 0, 0]
    assert at("repeat_vector", 30, "stopped_by") == ["patience"] * 3
    assert at("encoder_state", 30, "stopped_by") == ["patience"] * 3
    assert max(at("encoder_state", 30)) < 0.99
    assert (min(at("encoder_state", 30, "epochs_run")), max(at("encoder_state", 30, "epochs_run"))
            ) == (26, 60)
    assert at("attention", 30, "stopped_by") == ["target"] * 3 and min(at("attention", 30)) >= 0.99
    passes = at("attention", 30, "epochs_run")
    assert (min(passes), max(passes)) == (9, 10)
    assert all(2 * a < e for a, e in zip(passes, at("encoder_state", 30, "epochs_run")))
    weights = {d: r[d]["30"]["7"]["parameters"] for d in ("encoder_state", "attention")}
    assert weights == {"encoder_state": 68542, "attention": 84478}


def test_the_committed_curve_is_the_stated_command_and_the_prose_quotes_it():
    from test_claims import check_a_stated_run

    curve = json.loads(CURVE_JSON.read_text())
    assert curve["curve"] == [5, 15, 20, 30] and curve["seed"] == 7 and curve["seeds"] == 3
    assert set(curve["results"]["attention"]["30"]) == {"7", "8", "9"}
    assert curve["backend"] == "tensorflow" and curve["epochs"] == 60
    assert curve["sequences"] == 10000 and curve["batch_size"] == 128
    check_a_stated_run(SCRIPT, curve, CURVE_COMMAND, CURVE_CLAIMS)
    assert set(CURVE_CLAIMS) <= set(UNMEASURED) | set(CLAIMS)


SECOND_LOOK_JSON = ROOT / "docs" / "seq2seq_attention_second_look.json"
SECOND_LOOK_COMMAND = ["--length", "30", "--designs", "repeat_vector,encoder_state,attention",
                       "--patience", "10", "--epochs", "150", "--quiet", "--examples", "0",
                       "--metrics", "docs/seq2seq_attention_second_look.json"]


def test_the_second_look_is_the_stated_command_and_says_what_the_prose_says():
    """Seeds 7-9 at 30 with 10 passes of patience: on every seed both fixed-state designs
    went on past where a patience of 4 stopped them on the curve, and stopped by patience
    below the target, and attention reached the target."""
    from test_claims import check_a_stated_run

    look = json.loads(SECOND_LOOK_JSON.read_text())
    assert look["patience"] == 10 and look["epochs"] == 150 and look["length"] == 30
    assert look["seed"] == 7 and look["backend"] == "tensorflow"
    check_a_stated_run(SCRIPT, look, SECOND_LOOK_COMMAND, SECOND_LOOK_CLAIMS)
    curve = json.loads(CURVE_JSON.read_text())["results"]
    assert set(look["seeds_run"]) == {"7", "8", "9"}
    for design, passes in (("repeat_vector", {"7": 66, "8": 108, "9": 117}),
                           ("encoder_state", {"7": 81, "8": 94, "9": 63})):
        assert set(look["results"][design]["30"]) == set(passes)
        for seed, result in look["results"][design]["30"].items():
            assert result["stopped_by"] == "patience" and result["epochs_run"] == passes[seed]
            assert result["epochs_run"] < look["epochs"]  # a plateau, not the cap
            before = curve[design]["30"][seed]
            assert before["inference_accuracy"] < result["inference_accuracy"] < 0.99
            assert before["epochs_run"] < result["epochs_run"]
    for seed, result in look["results"]["attention"]["30"].items():
        assert result["inference_accuracy"] >= 0.99 and result["epochs_run"] < 20


# A reduced curve for the slow step: the long end only, three seeds, 6 passes each (the
# lesson's curve, with its full budget, is an hour's run). The direction it re-derives on
# every seed: at 30, attention ahead of both fixed-state designs after the same passes.
REDUCED_CURVE = ["--curve", "30", "--seeds", "3", "--epochs", "6", *QUIET]


@pytest.mark.slow
def test_a_reduced_curve_rederives_the_conclusion():
    results = run_namespace(SCRIPT, *REDUCED_CURVE)["metrics"]["results"]
    for seed in ("7", "8", "9"):
        attention = results["attention"]["30"][seed]["inference_accuracy"]
        for design in ("repeat_vector", "encoder_state"):
            assert attention > results[design]["30"][seed]["inference_accuracy"], (seed, design)
