"""forecast_real_series.py (issue 22): the bars (the LSTM beats persistence at every step
on both built-in series, in under a minute of training), the test part cannot change
what the model trains on, a CSV that cannot serve stops with one error line, a CSV that
can is forecast, runs repeat exactly, and a saved model reloads anywhere."""

import json

import numpy as np
import pytest

import conftest
from conftest import default_metrics, run_namespace

SCRIPT = "forecast_real_series.py"
QUICK = ["--quiet", "--examples", "0", "--epochs", "40", "--no-pitfalls"]
SMOKE_ARGS = ["--epochs", "2", "--horizon", "5", "--look-back", "12", "--examples", "1",
              "--units", "8", "--batch-size", "16", "--learning-rate", "0.01", "--no-pitfalls"]
BAD_INPUTS = [
    (["--horizon", "0"], "argument --horizon"),
    (["--horizon", "50"], "argument --horizon"),  # sunspots: 46 validation, 47 test values
    (["--look-back", "1"], "argument --look-back"),
    (["--look-back", "190"], "argument --look-back"),  # 216 training values, horizon 10
    (["--data", "co2", "--look-back", "300000"], "argument --look-back and --horizon"),  # memory
    (["--data", "gdp"], "argument --data"),
    (["--csv", "no_such_file.csv", "--column", "value"], "argument --csv"),
    (["--csv", "no_such_file.csv"], "argument --column"),
    (["--column", "value"], "argument --column"),  # only with --csv
    (["--time-column", "date"], "argument --time-column"),
    (["--season", "-1"], "argument --season"),
    (["--units", "0"], "argument --units"),
]
LIFT_SECTIONS = ("Build the model", "Train")

# Every decimal number and percentage in the script's prose (tests/test_claims.py).
CLAIMS = {
    "17.817": "methods.autoreg.rmse_per_step.0", "26.649": "methods.autoreg.rmse_per_step.7",
    "0.387": "methods.autoreg.rmse_ratio", "0.82": "methods.autoreg.change_correlation",
    "19.700": "methods.lstm.rmse_per_step.0", "34.100": "methods.lstm.rmse_per_step.7",
    "0.501": "methods.lstm.rmse_ratio", "0.83": "methods.lstm.change_correlation",
    "30.481": "methods.persistence.rmse_per_step.0", "66.736": "methods.persistence.rmse_per_step.7",
    "0.581": "methods.seasonal-naive.rmse_ratio", "0.805": "methods.ets.rmse_ratio",
    "0.49": "methods.lstm-values.change_correlation", "30.847": "methods.lstm-values.rmse_per_step.0",
    "0.645": "methods.lstm-values.rmse_ratio", "111.6": "pitfalls.forecast_max.lstm-values",
    "0.827": "methods.lstm-leaky-scale.rmse_ratio", "157.6": "pitfalls.test_max", "1.28": "pitfalls.inputs_moved_by_test_part.whole-series",
}
CO2 = ["--data", "co2"]
MEASURED = {
    "0.399": (CO2, "methods.lstm.rmse_per_step.0"), "0.942": (CO2, "methods.lstm.rmse_per_step.51"),
    "0.381": (CO2, "methods.autoreg.rmse_per_step.0"), "0.936": (CO2, "methods.autoreg.rmse_per_step.51"),
    "0.453": (CO2, "methods.ets.rmse_per_step.0"), "1.387": (CO2, "methods.ets.rmse_per_step.51"),
    "0.508": (CO2, "methods.persistence.rmse_per_step.0"),
    "1.870": (CO2, "methods.persistence.rmse_per_step.51"),
    "365.5": (CO2, "pitfalls.forecast_max.lstm-values"), "2.952": (CO2, "methods.lstm-values.rmse_ratio"), "373.9": (CO2, "pitfalls.test_max"),
}
UNMEASURED = {
    "70%": "the training part's share of the series (SHARED['train'])",
    "15%": "the validation and test parts' share of the series",
    "0.05": "the KPSS test's significance level",
    "52.18": "arithmetic: 365.25 / 7 weeks in a year",
    "1.96": "the standard normal's 97.5% quantile",
    "95%": "the nominal coverage of a +-1.96 sigma band",
}


def lifted(ns):
    """The Build and Train cells, run alone, trained a model."""
    assert np.isfinite(ns["history"].history["loss"]).all()
    assert ns["model"].output_shape == (None, ns["args"].horizon)


def rmse(metrics, name):
    return np.array(metrics["methods"][name]["rmse_per_step"])


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    """A quick sunspots run in-process that saves its model: every method, its arrays and
    functions."""
    path = tmp_path_factory.mktemp("quick") / "forecaster.keras"
    return run_namespace(SCRIPT, *QUICK, "--save", path)


def test_quick_run_scores_every_method_on_the_same_origins(quick):
    m = quick["metrics"]
    assert m["script"] == "forecast_real_series" and m["data"] == "sunspots" and m["horizon"] == 8
    assert set(m["methods"]) == {"lstm", "persistence", "seasonal-naive", "autoreg", "ets"}
    for name, method in m["methods"].items():
        for key in ("rmse_per_step", "mae_per_step"):
            assert len(method[key]) == 8 and np.isfinite(method[key]).all(), (name, key)
    assert m["methods"]["persistence"]["rmse_ratio"] == 1.0
    assert m["methods"]["persistence"]["best_lag"] == 1  # the last value is the truth 1 step late
    assert m["train_seconds"] > 0 and m["split"] == {"train": 216, "validation": 46, "test": 47}
    assert m["origins"] == 47 - 8 + 1 and m["season"] == 11  # the autocorrelation peak
    assert m["trend"] is False and len(m["future"]["lstm"]) == 8 and len(m["future_band"]) == 8


def test_main_claim_at_a_quick_configuration(quick):
    """The lesson's main claim: the LSTM beats persistence at every step ahead (here after
    at most 40 epochs); the AR model, chosen by AIC, also does."""
    m = quick["metrics"]
    assert (rmse(m, "lstm") < rmse(m, "persistence")).all()
    assert (rmse(m, "autoreg") < rmse(m, "persistence")).all()


def test_the_test_part_cannot_change_what_the_model_trains_on(quick):
    """Change every value of the test part: the plan (differencing, scale), the training and
    validation arrays and the classical models' fitted parameters stay identical."""
    values, n_fit = quick["values"], quick["n_fit"]
    changed = values.copy()
    changed[n_fit:] = 1000 - 3 * changed[n_fit:]
    before, after = quick["make_arrays"](values), quick["make_arrays"](changed)
    assert before[0] == after[0]
    for a, b in zip(before[1:], after[1:]):
        assert np.array_equal(a, b)
    ar_before, ar_after = quick["fit_autoreg"](values, n_fit), quick["fit_autoreg"](changed, n_fit)
    assert np.array_equal(ar_before[0].params, ar_after[0].params)
    # ... while a scaler fitted on the whole series moves every training input.
    whole_before, whole_after = quick["plan"](values), quick["plan"](changed)
    assert whole_before["scale"] != whole_after["scale"]


def test_pitfall_measurements(tmp_path):
    """With --pitfalls: the LSTM on values and its twin scaled with the whole series are
    trained and scored; the twin's training inputs move with the test part, the others' do
    not."""
    path = tmp_path / "m.json"
    run_namespace(SCRIPT, "--quiet", "--examples", "0", "--epochs", "2", "--pitfalls",
                  "--seed", "3", "--metrics", path, "--plot", tmp_path / "p.png")
    m = json.loads(path.read_text())
    moved = m["pitfalls"]["inputs_moved_by_test_part"]
    assert moved["train-only"] == 0 and moved["whole-series"] > 0.01
    assert {"lstm-values", "lstm-leaky-scale"} <= set(m["methods"]) and m["seed"] == 3
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.slow
def test_same_seed_same_numbers():
    args = [*QUICK, "--epochs", "3"]
    first = run_namespace(SCRIPT, *args)["metrics"]
    second = run_namespace(SCRIPT, *args)["metrics"]
    def numbers(metrics):  # everything the run measured, except how long it took
        return {name: {k: v for k, v in method.items() if k != "train_seconds"}
                for name, method in metrics["methods"].items()}
    assert numbers(first) == numbers(second) and first["future"] == second["future"]
    assert numbers(first)["lstm"]["rmse_per_step"]  # the comparison saw the LSTM's errors


def test_saved_model_reloads_in_a_fresh_process(quick, tmp_path):
    ns = quick
    path = ns["args"].save
    x = ns["x_test"][:8]
    expected = np.asarray(ns["model"].predict(x, verbose=0))
    got = conftest.predict_in_fresh_process(path, x, batch_size=None)
    np.testing.assert_allclose(got, expected, atol=1e-5)


# --- your own series: a CSV ---------------------------------------------------------------

def write_csv(path, n=200, missing=(), text_at=None, shuffle=False):
    """A monthly series: trend + a 12-month season + noise, with some cells left empty."""
    rng = np.random.default_rng(0)
    t = np.arange(n)
    value = 10 + 0.05 * t + 2 * np.sin(2 * np.pi * t / 12) + 0.3 * rng.standard_normal(n)
    dates = [f"{2000 + i // 12}-{i % 12 + 1:02d}-01" for i in t]
    cells = [f"{v:.3f}" for v in value]
    for i in missing:
        cells[i] = ""
    if text_at is not None:
        cells[text_at] = "n/a?"
    rows = [f"{d},{c},x" for d, c in zip(dates, cells)]
    if shuffle:
        rows[5], rows[6] = rows[6], rows[5]
    path.write_text("date,value,label\n" + "\n".join(rows) + "\n")
    return path


def test_a_csv_series_is_forecast(tmp_path):
    csv = write_csv(tmp_path / "monthly.csv", missing=(40, 41, 90))
    path = tmp_path / "m.json"
    run_namespace(SCRIPT, "--csv", csv, "--column", "value", "--time-column", "date",
                  "--season", "12", "--horizon", "6", "--look-back", "24", "--epochs", "2",
                  "--quiet", "--examples", "0", "--no-pitfalls", "--metrics", path)
    m = json.loads(path.read_text())
    assert m["data"] == "value" and m["values"] == 200 and m["missing_filled"] == 3
    assert m["season"] == 12 and m["trend"] is True  # found by the KPSS test
    assert len(m["methods"]["autoreg"]["rmse_per_step"]) == 6


CSV_ERRORS = [
    ({}, ["--column", "price"], "argument --column: ", "has no column 'price'"),
    ({}, ["--column", "value", "--time-column", "when"], "argument --time-column: ", "no column 'when'"),
    ({"text_at": 17}, ["--column", "value"], "argument --column: ", "holds text"),
    ({"n": 30}, ["--column", "value"], "argument --column: ", "at least 40"),
    ({"n": 90}, ["--column", "value", "--horizon", "20"], "argument --horizon: ", "use at most 13"),
    ({"n": 90}, ["--column", "value", "--look-back", "40"], "argument --look-back: ", "training windows"),
    ({"shuffle": True}, ["--column", "value", "--time-column", "date"], "argument --time-column: ",
     "increasing time order"),
    ({}, ["--column", "label"], "argument --column: ", "holds text"),
]


@pytest.mark.parametrize("shape,flags,start,text", CSV_ERRORS, ids=[c[3] for c in CSV_ERRORS])
def test_a_csv_that_cannot_serve_stops_with_one_error_line(shape, flags, start, text, tmp_path,
                                                          capsys):
    csv = write_csv(tmp_path / "series.csv", **shape)
    with pytest.raises(SystemExit) as stop:
        run_namespace(SCRIPT, "--csv", csv, *flags, "--quiet")
    assert stop.value.code == 2
    errors = [line for line in capsys.readouterr().err.splitlines() if "error:" in line]
    assert len(errors) == 1 and errors[0].startswith(f"{SCRIPT}: error: {start}"), errors
    assert text in errors[0]


# --- the bars, on the default runs of both built-in series (slow) -------------------------

@pytest.fixture(scope="module")
def default_runs():
    return {"sunspots": default_metrics(SCRIPT), "co2": default_metrics(SCRIPT, "--data", "co2")}


@pytest.mark.parametrize("data", ["sunspots", "co2"])
def test_default_run_bars(default_runs, data):
    m = default_runs[data]
    assert (rmse(m, "lstm") < rmse(m, "persistence")).all(), data
    assert m["methods"]["persistence"]["best_lag"] == 1
    assert m["pitfalls"]["inputs_moved_by_test_part"]["train-only"] == 0


def test_co2_missing_weeks_and_trend(default_runs):
    m = default_runs["co2"]
    assert m["values"] == 2284 and m["missing_filled"] == 59
    assert m["trend"] is True and m["season"] == 52 and m["horizon"] == 52
    # On values the LSTM cannot reach the test part's levels; on changes it can.
    pitfalls = m["pitfalls"]
    assert pitfalls["forecast_max"]["lstm-values"] < pitfalls["test_max"]
    assert (rmse(m, "lstm") < rmse(m, "lstm-values")).all()
