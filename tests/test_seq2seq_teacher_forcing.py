"""seq2seq_teacher_forcing.py: the sorting data, both designs' shapes, inference models that
share the trained layers (the loop fed the true tokens IS the teacher-forced model), the
main claim on a quick configuration, determinism, a saved model that reloads anywhere, bad
input, the committed curve read as the prose reads it; slow: the default run's bars, the
checked range of --length, and three seeds at length 15 that re-derive the conclusion."""

import json

import numpy as np
import pytest

from conftest import (ROOT, default_metrics, predict_in_fresh_process, run_and_save,
                      run_namespace)

SCRIPT = "seq2seq_teacher_forcing.py"
SMOKE_ARGS = ["--length", "3", "--compare", "none", "--epochs", "1", "--sequences", "200",
              "--examples", "2"]
BAD_INPUTS = [
    (["--length", "0"], "argument --length"),
    (["--length", "25"], "argument --length"),  # more distinct integers than --vocab 20 holds
    (["--vocab", "1"], "argument --vocab"),  # one integer: nothing to sort
    (["--vocab", "8"], "argument --length"),  # too few integers for --length 12
    (["--compare", "5,30"], "argument --compare"),  # beyond --vocab
    (["--compare", "0"], "argument --compare"),
    (["--compare", "5,,15"], "argument --compare"),
    (["--compare", "ten"], "argument --compare"),
    (["--units", "0"], "argument --units"),
    (["--sequences", "0"], "argument --sequences"),
    (["--sequences", "100000000"], "argument --sequences/--length/--vocab"),  # terabytes
    (["--learning-rate", "0"], "argument --learning-rate"),
    (["--epochs", "0"], "argument --epochs"),
    (["--no-such-flag"], "unrecognized arguments"),
]
QUIET = ["--quiet", "--examples", "0"]
TARGET = 0.99  # the bar: teacher forcing with real inference, default --length
QUICK_BAR = 0.95  # the quick configuration below, at --length 4

# Every number in the script's prose: a result of the default run (docs/NAME.json), of
# another run, or a setting.
RV, TF = "designs.repeat_vector.", "designs.teacher_forcing."
CLAIMS = {
    "99.80%": (TF + "12.7.inference_accuracy", TF + "12.7.teacher_forced_accuracy"),
    "99.93%": TF + "12.7.inference_element_accuracy",
    "99.97%": TF + "12.7.teacher_forced_element_accuracy",
}
MEASURED = {}
# The curve's numbers: docs/seq2seq_teacher_forcing_curve.json, checked below (CURVE_CLAIMS).
CURVE_CLAIMS = {
    "99.05%": (RV + "3.8.inference_accuracy", TF + "3.8.inference_accuracy"),  # the lowest
    "8.10%": RV + "20.7.validation_accuracy.7", "1.25%": RV + "20.7.validation_accuracy.8",
}
UNMEASURED = {"99.5%": "the validation target (VALIDATION_TARGET)",
              **{literal: "the curve (docs/seq2seq_teacher_forcing_curve.json): CURVE_CLAIMS"
                 for literal in CURVE_CLAIMS}}

# The lesson cells, run by tests/test_lessons.py in a fresh namespace (quick budget).
LIFT_SECTIONS = ("Build the model", "Train", "Run inference")
LIFT_ARGS = ["--length", "3"]


def lifted(ns):
    for name in ("repeat_vector_stop", "teacher_forcing_stop"):
        assert len(ns[name].accuracy) >= 1 and ns[name].stopped_by in ("target", "patience", "cap")
    assert ns["same_tokens"] and ns["largest_difference"] < 1e-4
    assert ns["inferred"].shape == ns["y_test"].shape


# Teacher forcing learns to sort 1..4 integers below 8 in a few passes; the same run saves
# its model, so one training serves the inference, claim and reload tests.
QUICK = ["--length", "4", "--vocab", "8", "--compare", "none", "--sequences", "1500",
         "--epochs", "8", "--units", "32", "--learning-rate", "0.01", "--batch-size", "128",
         *QUIET]


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    return run_and_save(SCRIPT, tmp_path_factory.mktemp("quick"), *QUICK, "--seed", "7")


def test_the_data_are_sorted_inputs_with_markers(quick):
    x, decoder_in, y, x_int = quick["make_sorting_data"](np.random.default_rng(0), 300, 6, 10)
    assert x.shape == (300, 6, 10) and decoder_in.shape == (300, 7, 12) and y.shape == (300, 7)
    for row, target, fed in zip(x_int, y, decoder_in.argmax(-1)):
        given = row[row >= 0]
        assert 1 <= len(given) <= 6 and len(set(given)) == len(given)  # distinct integers
        assert (row[:6 - len(given)] == -1).all()  # padding first
        assert target[:len(given)].tolist() == sorted(given) and (target[len(given):] == 11).all()
        assert fed[0] == 10 and (fed[1:] == target[:-1]).all()  # <start>, then the target
    assert (x.sum(-1) == (x_int >= 0)).all()  # one-hot; padding all zeros


def test_both_designs_shapes(quick):
    repeat_vector = quick["build_repeat_vector"](6, 10, 16)
    assert repeat_vector.input_shape == (None, 6, 10)
    assert repeat_vector.output_shape == (None, 7, 12)
    teacher = quick["build_teacher_forcing"](6, 10, 16)
    assert teacher.input_shape == [(None, 6, 10), (None, None, 12)]
    assert teacher.output_shape == (None, None, 12)
    encoder, decoder = quick["inference_models"](teacher, 6, 10, 16)
    assert [tuple(s) for s in encoder.output_shape] == [(None, 16), (None, 16)]
    assert decoder.output_shape[0] == (None, 1, 12)
    # The inference models own no weights of their own: they are the trained layers.
    trained = {id(v) for v in teacher.weights}
    assert {id(v) for v in encoder.weights + decoder.weights} <= trained


def test_the_loop_fed_true_tokens_is_the_teacher_forced_model(quick):
    ns = quick
    x, fed = ns["x_test"][:300], ns["decoder_test"][:300]
    looped, probabilities = ns["greedy_decode"](ns["encoder_model"], ns["decoder_model"], x,
                                                fed.shape[1], teacher=fed)
    forced = ns["teacher_forcing"].predict([x, fed], verbose=0)
    np.testing.assert_array_equal(looped, forced.argmax(-1))
    np.testing.assert_allclose(probabilities, forced, atol=1e-5)
    assert ns["metrics"]["inference_check"]["same_tokens"]


def test_quick_run_shows_the_main_claim(quick):
    """Teacher forcing with real inference sorts short inputs; whole-sequence accuracy under
    greedy inference equals the teacher-forced one, and per token it is no higher."""
    metrics = quick["metrics"]
    teacher = metrics["designs"]["teacher_forcing"]["4"]["7"]
    assert teacher["inference_accuracy"] >= QUICK_BAR, teacher
    assert teacher["inference_accuracy"] == teacher["teacher_forced_accuracy"]
    assert teacher["inference_element_accuracy"] <= teacher["teacher_forced_element_accuracy"]
    assert metrics["designs"]["repeat_vector"]["4"]["7"]["teacher_forced_accuracy"] is None
    assert metrics["lengths"] == [4] and metrics["seeds"] == 1
    assert metrics["test_sequences"] == 2000


def test_same_seed_same_numbers(quick):
    again = run_namespace(SCRIPT, *QUICK, "--seed", "7")["metrics"]
    first = quick["metrics"]
    for design in ("repeat_vector", "teacher_forcing"):
        a, b = first["designs"][design]["4"]["7"], again["designs"][design]["4"]["7"]
        assert {k: v for k, v in a.items() if k != "seconds"} == {
            k: v for k, v in b.items() if k != "seconds"}


def test_saved_model_reloads_and_predicts_the_same_anywhere(quick):
    x, fed = quick["x_test"][:64], quick["decoder_test"][:64]
    expected = quick["teacher_forcing"].predict([x, fed], verbose=0)
    np.testing.assert_allclose(predict_in_fresh_process(quick["saved"], [x, fed]), expected,
                               atol=1e-5)


@pytest.fixture(scope="module")
def default_run():
    return default_metrics(SCRIPT)


def test_default_run_clears_its_bars(default_run):
    metrics = default_run
    assert metrics["length"] == 12 and metrics["lengths"] == [3, 12] and metrics["seeds"] == 1
    for design in ("repeat_vector", "teacher_forcing"):
        for length in ("3", "12"):
            result = metrics["designs"][design][length]["7"]
            assert {"inference_accuracy", "teacher_forced_accuracy", "epochs_run", "seconds",
                    "stopped_by"} <= result.keys()
            # The prose: both designs reach the target at both lengths in the default run.
            assert result["stopped_by"] == "target" and result["inference_accuracy"] >= TARGET
    teacher = metrics["designs"]["teacher_forcing"]["12"]["7"]
    assert metrics["reached_target"] and metrics["inference_check"]["same_tokens"]
    assert teacher["inference_accuracy"] == teacher["teacher_forced_accuracy"]
    # "teacher forcing needed fewer passes" (the curve checks it on every seed)
    assert teacher["epochs_run"] < metrics["designs"]["repeat_vector"]["12"]["7"]["epochs_run"]


# The checked range: --length 2..20 at --vocab 20, which the committed curve covers from 3
# to 20 over three seeds; here the short end, a point the curve skips, and length 15 over
# three seeds, where the lesson's conclusion is re-derived (below).
SWEEP = [2, 7]


@pytest.mark.slow
@pytest.mark.parametrize("length", SWEEP)
def test_teacher_forcing_reaches_the_target_over_the_checked_range(length):
    metrics = run_namespace(SCRIPT, "--length", length, "--compare", "none", *QUIET)["metrics"]
    assert metrics["designs"]["teacher_forcing"][str(length)]["7"]["inference_accuracy"] >= TARGET


def patience_stop(accuracy, patience):
    """Where a run with this validation history would have stopped with `patience`: the
    pass it stopped after and the best accuracy by then (None: it never stopped early)."""
    for passes in range(1, len(accuracy) + 1):
        seen = accuracy[:passes]
        if passes - 1 - int(np.argmax(seen)) >= patience:
            return passes, max(seen)
    return None


def both_reach_the_target(r, length, seeds=("7", "8", "9")):
    """The lesson's first two readings at one length, on every seed: both designs reach the
    target (with real inference too), RepeatVector after more passes."""
    for seed in seeds:
        rv, tf = r["repeat_vector"][length][seed], r["teacher_forcing"][length][seed]
        assert rv["stopped_by"] == tf["stopped_by"] == "target", (length, seed)
        assert min(rv["inference_accuracy"], tf["inference_accuracy"]) >= TARGET, (length, seed)
        assert rv["epochs_run"] > tf["epochs_run"], (length, seed)
        assert tf["inference_accuracy"] == tf["teacher_forced_accuracy"], (length, seed)


@pytest.mark.slow
def test_three_seeds_at_length_15_rederive_the_conclusion():
    """The slow step's re-run of the comparison (the whole curve takes a quarter of an hour):
    at 15, where RepeatVector needed about twice teacher forcing's passes on the curve."""
    metrics = run_namespace(SCRIPT, "--length", "15", "--compare", "none", "--seeds", "3",
                            *QUIET)["metrics"]
    both_reach_the_target(metrics["designs"], "15")


# The curve: the command the script's prose states, and the numbers its prose quotes from
# docs/seq2seq_teacher_forcing_curve.json (about a quarter of an hour on one core: the
# slow test above re-derives its reading at 15 instead).
CURVE_JSON = ROOT / "docs" / "seq2seq_teacher_forcing_curve.json"
CURVE_COMMAND = ["--compare", "3,6,9,15,20", "--seeds", "3", "--quiet", "--examples", "0",
                 "--plot", "docs/seq2seq_teacher_forcing_curve.png",
                 "--metrics", "docs/seq2seq_teacher_forcing_curve.json"]


def test_the_curve_says_what_the_prose_says_on_every_seed():
    r = json.loads(CURVE_JSON.read_text())["designs"]
    seeds = ("7", "8", "9")
    for length in ("3", "6", "9", "12", "15", "20"):
        both_reach_the_target(r, length)
    # The passes the prose quotes, lowest to highest over the seeds: RepeatVector, teacher forcing
    for length, quoted in {"3": [(6, 7), (3, 4)], "12": [(13, 19), (8, 11)],
                           "20": [(32, 55), (13, 14)]}.items():
        passes = [[r[design][length][seed]["epochs_run"] for seed in seeds]
                  for design in ("repeat_vector", "teacher_forcing")]
        assert [(min(p), max(p)) for p in passes] == quoted, length
    # "a pause is not a plateau": with a patience of 4, RepeatVector at 20 would have stopped
    # below the validation target on every seed; with 10 it reached it on every seed.
    for seed in seeds:
        early = patience_stop(r["repeat_vector"]["20"][seed]["validation_accuracy"], 4)
        assert early is not None and early[1] < 0.995, (seed, early)
    rv7 = r["repeat_vector"]["20"]["7"]  # "8.10% after 8 passes, 1.25% after 9, ... after 32"
    assert np.argmax(rv7["validation_accuracy"][:9]) == 7 and rv7["epochs_run"] == 32


def test_the_committed_curve_is_the_stated_command_and_the_prose_quotes_it():
    from test_claims import check_a_stated_run

    curve = json.loads(CURVE_JSON.read_text())
    assert curve["lengths"] == [3, 6, 9, 12, 15, 20] and curve["seed"] == 7 and curve["seeds"] == 3
    assert curve["backend"] == "tensorflow" and curve["epochs"] == 100
    assert curve["patience"] == 10 and curve["sequences"] == 5000 and curve["vocab"] == 20
    check_a_stated_run(SCRIPT, curve, CURVE_COMMAND, CURVE_CLAIMS)
    assert set(CURVE_CLAIMS) <= set(UNMEASURED) | set(CLAIMS)


def test_the_check_reports_a_mismatch_only_where_there_is_one(quick):
    """An untrained decoder writes <end> early and at random. Fed the true tokens, the loop
    must keep every token it predicts after one, as the teacher-forced model does; blanking
    them made the check report "NOT all tokens equal" for any weak model (issue 27)."""
    model = quick["build_teacher_forcing"](6, 10, 16)
    encoder, decoder = quick["inference_models"](model, 6, 10, 16)
    x, fed, _, _ = quick["make_sorting_data"](np.random.default_rng(1), 300, 6, 10)
    forced = model.predict([x, fed], verbose=0).argmax(-1)
    assert (forced[:, :-1] == 11).any(), "the untrained model should write <end> early somewhere"
    looped, _ = quick["greedy_decode"](encoder, decoder, x, fed.shape[1], teacher=fed)
    np.testing.assert_array_equal(looped, forced)
