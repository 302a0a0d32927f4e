"""forecast_feedback.py: the lesson's bars (issues 14 and 22: the feedback forecast beats the
last-value, last-period and mean forecasts up to 10 steps ahead, its 1-step error is at most
half the last-value one's; a linear AR model on noise-free series is exact), the two
state-carrying loops agree, the saved model reloads, runs repeat exactly, and bad flags
stop with one error line."""

import json
import re

import numpy as np
import pytest

from conftest import default_metrics, predict_in_fresh_process, run_namespace, run_script

SCRIPT = "forecast_feedback.py"
SMOKE_ARGS = ["--epochs", "3", "--series", "256", "--batch-size", "64", "--examples", "1"]
BAD_INPUTS = [
    (["--horizon", "0"], "argument --horizon"),
    (["--horizon", "x"], "argument --horizon"),
    (["--length", "20"], "argument --length"),  # not above the default horizon (20)
    (["--length", "23"], "argument --length"),  # 3 known values: the AR baseline needs 4
    (["--length", "30", "--horizon", "40"], "argument --length"),
    (["--length", "30", "--look-back", "12"], "argument --length"),  # 10 known, fewer than 12
    (["--noise", "-1"], "argument --noise"),
    (["--noise", "inf"], "argument --noise"),
    (["--noise", "nan"], "argument --noise"),
    (["--methods", "feedback,lstm"], "argument --methods"),
    (["--methods", ""], "argument --methods"),
    (["--methods", "window,window"], "argument --methods"),
    (["--look-back", "0"], "argument --look-back"),
    (["--series", "0"], "argument --series"),
    (["--units", "0"], "argument --units"),
    (["--learning-rate", "0"], "argument --learning-rate"),
    (["--series", "100000000"], "argument --series/--length/--look-back"),  # 8+ GB: refused
    (["--length", "100000000"], "argument --series/--length/--look-back"),
]
QUIET = ["--quiet", "--examples", "0"]

# Numbers in the script's prose (rule 4 of the brief): results of the default run (paths
# into docs/forecast_feedback.json), results of other runs, and numbers that are settings.
CLAIMS = {
    "0.079": "methods.feedback.rmse_per_step.0", "0.250": "methods.feedback.rmse_per_step.9",
    "0.385": "methods.feedback.rmse_per_step.19",
    "0.244": ("methods.last-value.rmse_per_step.0", "methods.feedback-no-warmup.rmse_per_step.0"),
    "0.932": "methods.last-value.rmse_per_step.9", "0.970": "methods.last-value.rmse_per_step.19",
    "0.103": ("methods.autoregressive.rmse_per_step.0", "methods.direct.rmse_per_step.0"),
    "0.432": ("methods.autoregressive.rmse_per_step.9", "methods.direct.rmse_per_step.19"),
    "0.674": "methods.autoregressive.rmse_per_step.19",
    "0.628": "methods.mean.rmse_per_step.19",
    "0.136": "methods.window.rmse_per_step.0", "0.567": "methods.window.rmse_per_step.9",
    "0.653": "methods.window.rmse_per_step.19",
    "0.0": "stateful_max_difference",
}
MEASURED = {
    # Noise-free series are an exact linear recurrence: the AR baseline's 20-step RMSE.
    "0.000": (["--noise", "0", "--methods", "direct", "--epochs", "1"],
              "methods.autoregressive.rmse_per_step.19"),
}
# The default run and the second look (--patience 30) on seeds 7, 8 and 9
# (docs/forecast_feedback_seeds.json), checked in test_the_two_budgets_on_three_seeds.
SEEDS_JSON = ("docs", "forecast_feedback_seeds.json")
SEEDS_COMMAND = ["python", "forecast_feedback.py", "--patience", "30", "--epochs", "1000", "--seed", "8"]
SEEDS_CLAIMS = {
    "0.425": "runs.9.methods.feedback.rmse_per_step.19",
    "0.372": "runs.8.methods.direct.rmse_per_step.19",
    "0.421": "runs.8.methods.feedback.rmse_per_step.19",
    "0.246": "second_look.7.methods.feedback.rmse_per_step.19",
    "0.380": "second_look.9.methods.feedback.rmse_per_step.19",
    "0.263": "second_look.8.methods.feedback.rmse_per_step.19",
    "0.386": "second_look.7.methods.direct.rmse_per_step.19",
    "0.397": "second_look.8.methods.direct.rmse_per_step.19",
    "0.448": "second_look.9.methods.direct.rmse_per_step.19",
}
UNMEASURED = {
    **{literal: "the two budgets on seeds 7-9 (docs/forecast_feedback_seeds.json): SEEDS_CLAIMS"
       for literal in SEEDS_CLAIMS},
    "0.01": "the no-warm-up model's 1-step RMSE against the last value's, on every seed: "
             "test_the_two_budgets_on_three_seeds",
    "0.05": "the default --noise",
    "0.2": "the smallest amplitude the data generator draws",
}

# The lesson cells (build, forecast loops, train), lifted into a namespace with Keras,
# NumPy, the data arrays and the configuration alone.
LIFT_SECTIONS = ("Build the model", "Forecast by feeding predictions back", "Train",
                 "The question's framing: a window of values -> the next value",
                 "Direct: all future steps at once")


def lifted(ns):
    for name in ("feedback", "window", "direct"):
        logs = ns["fits"][name].history
        assert np.isfinite(logs["loss"]).all() and np.isfinite(logs["val_forecast_mse"]).all(), name
        assert ns["forecasts"][name].shape == ns["future"].shape, name


def steps(metrics, name, upto=None):
    return np.array(metrics["methods"][name]["rmse_per_step"][:upto])


def assert_feedback_beats_the_baselines(m, flags=()):
    """The lesson's bar: up to 10 steps ahead, feeding back beats repeating the last value,
    repeating the last period, and the mean; 1 step ahead, by half the last-value error.
    (Not the AR model: on noise-free series it is exact, see the MEASURED claim.)"""
    feedback = steps(m, "feedback", 10)
    for baseline in ("last-value", "last-period", "mean"):
        assert (feedback < steps(m, baseline, 10)).all(), (baseline, flags)
    assert feedback[0] <= 0.5 * steps(m, "last-value")[0], flags


@pytest.fixture(scope="module")
def default_run():
    return default_metrics(SCRIPT)


def test_metrics_have_every_method_and_step(default_run):
    m = default_run
    assert m["script"] == "forecast_feedback" and m["horizon"] == 20 and m["seed"] == 7
    assert m["baselines"] == ["last-value", "last-period", "mean", "autoregressive"]
    assert set(m["methods"]) == {"feedback", "feedback-no-warmup", "window", "direct", *m["baselines"]}
    for name, method in m["methods"].items():
        assert len(method["rmse_per_step"]) == 20 and np.isfinite(method["rmse_per_step"]).all(), name
    trained = ("feedback", "window", "direct")
    assert all(m["methods"][name]["train_seconds"] > 0 for name in trained)
    assert m["train_seconds"] == pytest.approx(sum(m["methods"][n]["train_seconds"] for n in trained),
                                               abs=0.01)
    assert all(m["methods"][n]["stopped_by"] == "patience" for n in trained)  # none reached the cap
    assert "feedback LSTM" in m["headline"]
    assert not re.search(r"\d s\b", m["headline"]), "a time in the headline would drift"


def assert_what_we_learned_holds(m, converged=False):
    """The comparisons of What we learned, on one run (a seed and a budget)."""
    assert_feedback_beats_the_baselines(m)
    feedback, direct, ar = steps(m, "feedback"), steps(m, "direct"), steps(m, "autoregressive")
    assert (feedback < ar).all()  # the linear rival, at every one of the 20 steps
    assert (direct[1:] < ar[1:]).all()  # from 2 steps ahead on
    if converged:
        assert (feedback < direct).all()  # trained until neither improved
    mean = steps(m, "mean")
    assert mean[-1] < steps(m, "last-value")[-1] and steps(m, "window")[-1] > mean[-1]
    assert feedback[-1] > feedback[0] and direct[-1] > direct[0]  # error grows with the distance
    assert abs(steps(m, "feedback-no-warmup")[0] - steps(m, "last-value")[0]) < 0.01
    assert 5 <= m["methods"]["window"]["best_epoch"] <= 8  # the window model's plateau
    assert m["stateful_max_difference"] < 1e-3  # float32, GPU included


def test_default_run_bars(default_run):
    assert_what_we_learned_holds(default_run)
    assert default_run["ar_order"] == 9  # chosen on the validation series; the prose counts its equations
    # Reading the known values first beats starting from one value and a zero state.
    assert steps(default_run, "feedback")[0] < steps(default_run, "feedback-no-warmup")[0]


def test_the_two_budgets_on_three_seeds():
    """What we learned compares the models at two budgets on seeds 7-9: each conclusion
    holds on every seed of the committed runs, seed 7's default is the gallery's run, and
    every number the prose quotes from them is theirs."""
    from conftest import ROOT
    from test_claims import check_a_stated_run

    seeds = json.loads(ROOT.joinpath(*SEEDS_JSON).read_text())
    assert seeds["backend"] == "tensorflow"
    assert set(seeds["runs"]) == set(seeds["second_look"]) == {"7", "8", "9"}
    assert seeds["runs"]["7"] == json.loads((ROOT / "docs" / "forecast_feedback.json").read_text())
    trained = ("feedback", "window", "direct")
    for seed in ("7", "8", "9"):
        default, longer = seeds["runs"][seed], seeds["second_look"][seed]
        assert default["seed"] == longer["seed"] == int(seed)
        assert default["patience"] == 10 and longer["patience"] == 30
        for run in (default, longer):
            assert all(run["methods"][name]["stopped_by"] == "patience" for name in trained)
            assert_what_we_learned_holds(run, converged=run is longer)
        epochs = {name: (default["methods"][name]["epochs"], longer["methods"][name]["epochs"])
                  for name in trained}
        assert 64 <= epochs["feedback"][0] <= 79 and 133 <= epochs["feedback"][1] <= 334
        assert epochs["feedback"][1] > epochs["direct"][1]  # "more epochs to get there"
        assert 102 <= epochs["direct"][1] <= 157
        assert steps(longer, "feedback")[-1] < steps(default, "feedback")[-1]  # it was still learning
        assert steps(longer, "window") == pytest.approx(steps(default, "window"))  # nothing better
    # 1 step ahead the direct model beat AR on seed 8's second look only.
    ahead = {(seed, budget): steps(run, "direct")[0] < steps(run, "autoregressive")[0]
             for budget in ("runs", "second_look") for seed, run in seeds[budget].items()}
    assert {key for key, won in ahead.items() if won} == {("8", "second_look")}
    # The budget decides the ranking: at the default, the direct model led on seed 8 from 4 ahead.
    direct_ahead = steps(seeds["runs"]["8"], "direct") < steps(seeds["runs"]["8"], "feedback")
    assert not direct_ahead[:3].any() and direct_ahead[3:].all()
    for seed in ("7", "9"):
        assert (steps(seeds["runs"][seed], "feedback") < steps(seeds["runs"][seed], "direct")).all()
    check_a_stated_run(SCRIPT, seeds, SEEDS_COMMAND, SEEDS_CLAIMS)


def test_main_claim_quick():
    """The README's test command checks the lesson's main claim on a small run."""
    ns = run_namespace(SCRIPT, *QUIET, "--methods", "feedback", "--series", "200", "--epochs", "20",
                       "--units", "16", "--batch-size", "32", "--noise", "0.02")
    assert_feedback_beats_the_baselines(ns["metrics"])
    assert ns["metrics"]["stateful_max_difference"] < 1e-3


def test_autoregressive_baseline_is_exact_on_a_pure_recurrence():
    """A sum of two sines obeys a linear recurrence of order 4: fitted on 12 noise-free
    values, AR(4) continues it to float64 precision; AR(2) (one sine's order) cannot."""
    ns = run_namespace(SCRIPT, *QUIET, "--methods", "direct", "--epochs", "1", "--series", "8",
                       "--length", "25", "--horizon", "5", "--noise", "0")  # 20 known: AR(6) at most
    t = np.arange(40.0)
    series = (np.sin(2 * np.pi * t / 11 + 1) + 0.5 * np.sin(2 * np.pi * t / 23))[None, :, None]
    exact = ns["autoregressive"](series[:, :28], 12, 4)
    np.testing.assert_allclose(exact, series[:, 28:, 0], atol=1e-8)
    assert np.abs(ns["autoregressive"](series[:, :28], 12, 2) - series[:, 28:, 0]).max() > 0.1
    assert ns["metrics"]["methods"]["autoregressive"]["rmse_per_step"][-1] < 1e-3  # float32 data


def test_methods_flag_and_shapes(tmp_path):
    ns = run_namespace(SCRIPT, *QUIET, "--methods", "direct,window", "--epochs", "1", "--series", "50",
                       "--horizon", "5", "--length", "15", "--look-back", "5", "--units", "8",
                       "--batch-size", "16")
    m = ns["metrics"]
    assert set(m["methods"]) == {"direct", "window", *m["baselines"]} and m["horizon"] == 5
    assert all(len(method["rmse_per_step"]) == 5 for method in m["methods"].values())
    assert ns["models"]["window"].input_shape == (None, 5, 1)  # --look-back
    assert "feedback" not in m["headline"]


def test_save_reloads_in_a_fresh_process(tmp_path):
    """--save writes the trained next-step model; a process that imports nothing from this
    repository loads it and predicts the same. --plot and --metrics write their files."""
    path, plot, metrics = tmp_path / "model.keras", tmp_path / "plot.png", tmp_path / "m.json"
    ns = run_namespace(SCRIPT, *QUIET, "--methods", "feedback", "--epochs", "1", "--series", "40",
                       "--seed", "3", "--save", path, "--plot", plot, "--metrics", metrics)
    assert json.loads(metrics.read_text())["seed"] == 3 and plot.stat().st_size > 10_000
    x = ns["history"][:16]
    expected = ns["keras"].ops.convert_to_numpy(ns["models"]["feedback"].predict(x, verbose=0))
    np.testing.assert_allclose(predict_in_fresh_process(path, x), expected, atol=1e-5)


def test_a_nan_loss_stops_and_says_so(capsys):
    m = run_namespace(SCRIPT, *QUIET, "--methods", "feedback", "--series", "100", "--learning-rate",
                      "1e30")["metrics"]
    out = capsys.readouterr().out
    assert "ERROR: the feedback model's loss became NaN" in out and "--learning-rate" in out
    assert m["methods"]["feedback"]["diverged"] is True


@pytest.mark.slow
def test_same_seed_same_numbers_other_seed_other_numbers():
    args = [*QUIET, "--epochs", "2", "--series", "100"]
    first, second = (run_namespace(SCRIPT, *args)["metrics"] for _ in range(2))
    other = run_namespace(SCRIPT, *args, "--seed", "8")["metrics"]
    for name, method in first["methods"].items():
        assert method["rmse_per_step"] == second["methods"][name]["rmse_per_step"], name
    assert first["methods"]["feedback"]["rmse_per_step"] != other["methods"]["feedback"]["rmse_per_step"]


@pytest.mark.slow
def test_bars_hold_on_jax(tmp_path):
    path = tmp_path / "m.json"
    result = run_script(SCRIPT, *QUIET, "--metrics", str(path), env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    m = json.loads(path.read_text())
    assert m["backend"] == "jax" and m["stateful_max_difference"] < 1e-3
    assert_feedback_beats_the_baselines(m)


@pytest.mark.slow
@pytest.mark.parametrize("flags", [["--seed", "1"], ["--seed", "2"], ["--horizon", "5", "--length", "45"],
                                   ["--horizon", "30", "--length", "70"], ["--noise", "0"],
                                   ["--noise", "0.05", "--seed", "3"]])
def test_bars_hold_across_the_checked_range(flags):
    m = run_namespace(SCRIPT, *QUIET, "--methods", "feedback", *flags)["metrics"]
    assert_feedback_beats_the_baselines(m, flags)


@pytest.mark.slow
def test_trained_until_neither_improves_feedback_beats_direct():
    """The comparison the page draws from the second look, re-derived (seed 8, where the
    default budget ranks them the other way from 4 steps on): with a patience of 30 both
    stop by patience, and the feedback model is ahead at every step."""
    m = run_namespace(SCRIPT, *QUIET, "--methods", "feedback,direct", "--seed", "8",
                      "--patience", "30", "--epochs", "1000")["metrics"]
    assert all(m["methods"][name]["stopped_by"] == "patience" for name in ("feedback", "direct"))
    assert (steps(m, "feedback") < steps(m, "direct")).all()
