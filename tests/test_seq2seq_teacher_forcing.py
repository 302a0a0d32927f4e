"""seq2seq_teacher_forcing.py: the sorting data, both designs' shapes, inference models that
share the trained layers (the loop fed the true tokens IS the teacher-forced model), the
main claim on a quick configuration, determinism, a saved model that reloads anywhere, bad
input; slow: the default run's bars and the checked range of --length."""

import numpy as np
import pytest

from conftest import default_metrics, predict_in_fresh_process, run_and_save, run_namespace

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
    "99.60%": (RV + "3.inference_accuracy", TF + "12.inference_accuracy",
               TF + "12.teacher_forced_accuracy"),
    "99.95%": (TF + "3.inference_accuracy", TF + "12.teacher_forced_element_accuracy"),
    "79.10%": RV + "12.inference_accuracy",
    "96.85%": RV + "12.inference_element_accuracy",
    "99.89%": TF + "12.inference_element_accuracy",
}
MEASURED = {}
UNMEASURED = {"99%": "the target the issue sets for teacher forcing with real inference"}

# The lesson cells, run by tests/test_lessons.py in a fresh namespace (quick budget).
LIFT_SECTIONS = ("Build the model", "Train", "Run inference")
LIFT_ARGS = ["--length", "3"]


def lifted(ns):
    for name in ("repeat_vector_stop", "teacher_forcing_stop"):
        assert ns[name].epochs_run >= 1 and not ns[name].diverged
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
    teacher = metrics["designs"]["teacher_forcing"]["4"]
    assert teacher["inference_accuracy"] >= QUICK_BAR, teacher
    assert teacher["inference_accuracy"] == teacher["teacher_forced_accuracy"]
    assert teacher["inference_element_accuracy"] <= teacher["teacher_forced_element_accuracy"]
    assert metrics["designs"]["repeat_vector"]["4"]["teacher_forced_accuracy"] is None
    assert metrics["lengths"] == [4] and metrics["test_sequences"] == 2000


def test_same_seed_same_numbers(quick):
    again = run_namespace(SCRIPT, *QUICK, "--seed", "7")["metrics"]
    first = quick["metrics"]
    for design in ("repeat_vector", "teacher_forcing"):
        a, b = first["designs"][design]["4"], again["designs"][design]["4"]
        assert {k: v for k, v in a.items() if k != "train_seconds"} == {
            k: v for k, v in b.items() if k != "train_seconds"}


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
    assert metrics["length"] == 12 and metrics["lengths"] == [3, 12]
    for design in ("repeat_vector", "teacher_forcing"):
        for length in ("3", "12"):
            result = metrics["designs"][design][length]
            assert {"teacher_forced_accuracy", "inference_accuracy"} <= result.keys()
    teacher = metrics["designs"]["teacher_forcing"]
    assert teacher["12"]["inference_accuracy"] >= TARGET
    assert metrics["reached_target"] and metrics["inference_check"]["same_tokens"]
    # Where RepeatVector gives out within the same budget, teacher forcing still works.
    repeat_vector = metrics["designs"]["repeat_vector"]
    assert repeat_vector["3"]["inference_accuracy"] >= TARGET
    assert repeat_vector["12"]["inference_accuracy"] < 0.9
    # "stopped before its budget of passes ran out; RepeatVector spent the whole budget"
    assert teacher["12"]["epochs_run"] < metrics["epochs"] == repeat_vector["12"]["epochs_run"]
    assert teacher["12"]["reached_validation_target"]
    assert not repeat_vector["12"]["reached_validation_target"]


# The checked range: --length 2..20 at --vocab 20 (the ends, and points between).
SWEEP = [2, 7, 17, 20]


@pytest.mark.slow
@pytest.mark.parametrize("length", SWEEP)
def test_teacher_forcing_reaches_the_target_over_the_checked_range(length):
    metrics = run_namespace(SCRIPT, "--length", length, "--compare", "none", *QUIET)["metrics"]
    assert metrics["designs"]["teacher_forcing"][str(length)]["inference_accuracy"] >= TARGET


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
