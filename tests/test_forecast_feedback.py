"""forecast_feedback.py: the bars of issue 14 (the feedback forecast beats both baselines,
its 1-step error is at most half the last-value one's), the two state-carrying loops agree,
runs repeat exactly, and bad flags stop with one error line."""

import json

import numpy as np
import pytest

from conftest import run_main, run_script

SCRIPT = "forecast_feedback.py"
SMOKE_ARGS = ["--epochs", "3", "--series", "256", "--batch-size", "64", "--examples", "1"]
BAD_INPUTS = [
    (["--horizon", "0"], "argument --horizon"),
    (["--horizon", "x"], "argument --horizon"),
    (["--length", "20"], "argument --length"),  # not above the default horizon (20)
    (["--length", "22"], "argument --length"),  # 2 known values: fewer than --look-back 3
    (["--length", "30", "--horizon", "40"], "argument --length"),
    (["--noise", "-1"], "argument --noise"),
    (["--noise", "inf"], "argument --noise"),
    (["--noise", "nan"], "argument --noise"),
    (["--methods", "feedback,lstm"], "argument --methods"),
    (["--methods", ""], "argument --methods"),
    (["--methods", "window,window"], "argument --methods"),
    (["--look-back", "0"], "argument --look-back"),
    (["--series", "0"], "argument --series"),
    (["--units", "0"], "argument --units"),
]
QUIET = ["--quiet", "--examples", "0"]


def steps(metrics, name, upto=None):
    return np.array(metrics["methods"][name]["rmse_per_step"][:upto])


@pytest.fixture(scope="module")
def default_run():
    return run_main(SCRIPT, *QUIET)


def test_metrics_have_every_method_and_step(default_run):
    m = default_run
    assert m["script"] == "forecast_feedback" and m["horizon"] == 20 and m["seed"] == 7
    assert set(m["baselines"]) == {"last-value", "last-period"}
    assert set(m["methods"]) == {"feedback", "feedback-no-warmup", "window", "direct", *m["baselines"]}
    for name, method in m["methods"].items():
        assert len(method["rmse_per_step"]) == 20 and np.isfinite(method["rmse_per_step"]).all(), name
    trained = ("feedback", "window", "direct")
    assert all(m["methods"][name]["train_seconds"] > 0 for name in trained)
    assert m["train_seconds"] == pytest.approx(sum(m["methods"][n]["train_seconds"] for n in trained),
                                               abs=0.01)


def test_feedback_beats_both_baselines_up_to_10_steps(default_run):
    feedback = steps(default_run, "feedback", 10)
    for baseline in default_run["baselines"]:
        assert (feedback < steps(default_run, baseline, 10)).all(), baseline
    assert feedback[0] <= 0.5 * steps(default_run, "last-value")[0]


def test_stateful_and_return_state_loops_agree(default_run):
    assert default_run["stateful_max_difference"] < 1e-3  # float32, GPU included


def test_warm_up_helps(default_run):
    """Reading the known values first beats starting from one value and a zero state."""
    assert steps(default_run, "feedback", 1)[0] < steps(default_run, "feedback-no-warmup", 1)[0]


@pytest.mark.slow
def test_same_seed_same_numbers_other_seed_other_numbers():
    args = [*QUIET, "--epochs", "2", "--series", "100"]
    first, second = run_main(SCRIPT, *args), run_main(SCRIPT, *args)
    other = run_main(SCRIPT, *args, "--seed", "8")
    for name, method in first["methods"].items():
        assert method["rmse_per_step"] == second["methods"][name]["rmse_per_step"], name
    assert first["methods"]["feedback"]["rmse_per_step"] != other["methods"]["feedback"]["rmse_per_step"]


def test_methods_flag_and_shapes(tmp_path):
    m = run_main(SCRIPT, *QUIET, "--methods", "direct", "--epochs", "1", "--series", "50",
                 "--horizon", "5", "--length", "15")
    assert set(m["methods"]) == {"direct", "last-value", "last-period"} and m["horizon"] == 5
    assert len(m["methods"]["direct"]["rmse_per_step"]) == 5


def test_a_nan_loss_stops_and_says_so(capsys):
    m = run_main(SCRIPT, *QUIET, "--methods", "feedback", "--series", "100", "--learning-rate", "1e30")
    out = capsys.readouterr().out
    assert "ERROR: the feedback model's loss became NaN" in out and "--learning-rate" in out
    assert m["methods"]["feedback"]["diverged"] is True


@pytest.mark.slow
def test_bars_hold_on_jax(tmp_path):
    path = tmp_path / "m.json"
    result = run_script(SCRIPT, *QUIET, "--metrics", str(path), env={"KERAS_BACKEND": "jax"})
    assert result.returncode == 0, result.stderr[-3000:]
    m = json.loads(path.read_text())
    assert m["backend"] == "jax" and m["stateful_max_difference"] < 1e-3
    feedback = steps(m, "feedback", 10)
    assert all((feedback < steps(m, b, 10)).all() for b in m["baselines"])
    assert feedback[0] <= 0.5 * steps(m, "last-value")[0]


@pytest.mark.slow
@pytest.mark.parametrize("flags", [["--seed", "1"], ["--seed", "2"], ["--horizon", "5", "--length", "45"],
                                   ["--horizon", "30", "--length", "70"], ["--noise", "0"],
                                   ["--noise", "0.05", "--seed", "3"]])
def test_bars_hold_across_the_checked_range(flags):
    m = run_main(SCRIPT, *QUIET, "--methods", "feedback", *flags)
    feedback = steps(m, "feedback", 10)
    assert all((feedback < steps(m, b, 10)).all() for b in m["baselines"]), flags
    assert feedback[0] <= 0.5 * steps(m, "last-value")[0], flags

