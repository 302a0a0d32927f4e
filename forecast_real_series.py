"""
Title: Forecast a real series with an LSTM, against the models a statistician tries first
Description: An LSTM with a linear skip reads how the yearly sunspot number changed over
the last 24 years (or a year of weekly CO2, or a column of your own CSV) and writes the
next 8 values at once; five seeds make an ensemble. Persistence, seasonal naive,
statsmodels' AutoReg and exponential smoothing are fitted on the same data and scored on
the same forecast origins, each with its own 95% interval and one calibrated on the
validation part, and the coverage of both is measured.

You will learn to forecast a real series honestly: a chronological train / validation /
test split, scaling fitted on the training part only, a direct multi-step LSTM whose
epoch count early stopping chooses before it is refitted on the same data as its rivals,
the baselines and classical models it must match, scored per step ahead (RMSE, its ratio
to persistence, MASE), intervals checked on the test part, and a forecast that only looks
right on a plot. It ends with a forecast past the end of the data, with bands, and a
saved model that reads values and writes values.
The default run trains in under 60 s on 2 CPU cores (CI checks it); `--data co2`, with
eight times as many training windows, trains for a few minutes.
"""

# %% [markdown]
# ## Introduction
#
# Generated series are kind: they never trend out of the range the model trained on, and
# nothing in them tempts you to scale with statistics of the future. Real series are not.
# We forecast two that ship inside statsmodels, so this runs offline:
#
# - `--data sunspots` (the default): the yearly mean sunspot number, 1700-2008. It rises
#   and falls in a cycle of roughly 11 years whose length and height vary.
# - `--data co2`: the weekly mean CO2 at Mauna Loa, March 1958 to December 2001: a rising
#   trend with a yearly season.
#
# or `--csv FILE --column NAME` for your own. We follow *Forecasting: Principles and
# Practice* (Hyndman and Athanasopoulos, FPP): the simple rivals first, every method
# fitted on the same data and scored from the same forecast origins, the error at each
# step ahead, and prediction intervals whose coverage is checked. A forecast that does not
# beat repeating the last value (*persistence*) has not learned anything worth its
# training time.

# %% [markdown]
# ## Configuration
#
# One table per series. `look_back` values go into the LSTM; it writes `horizon` values.
# The split is chronological: the first 70% of the series trains, the next 15%
# validates (early stopping, the intervals' calibration), the last 15% tests. `SETTINGS`
# holds every setting with its default: `python forecast_real_series.py --help` lists them
# as flags (`data` is `--data co2`); in a notebook, edit the defaults here. The series'
# settings (`data` or `csv`, `horizon`, `look_back`, `season`) come from
# `common.series.Series.settings`; those left at None take the series' recipe.

# %%
from common.cli import print_settings, read_settings, setting
from common.series import Series, show_forecast_results

RECIPES = {"sunspots": {"horizon": 8, "look_back": 24, "season": 0, "batch_size": 32},
           "co2": {"horizon": 52, "look_back": 52, "season": 52, "batch_size": 64},  # 52 weeks a year
           "csv": {"horizon": 10, "look_back": 24, "season": 0, "batch_size": 32}}
SHARED = {"units": 32, "learning_rate": 0.005, "epochs": 200, "patience": 10, "seeds": 5,
          "train": 0.70, "validation": 0.15, "min_windows": 20, "min_values": 40, "max_lag": 30,
          "level": 0.95}  # the intervals' nominal coverage
SETTINGS = Series.settings(RECIPES) | {
    "units": setting(SHARED["units"], "LSTM units", at_least=1, at_most=4096),
    "learning_rate": setting(SHARED["learning_rate"], "Adam's", above=0),
    "seeds": setting(SHARED["seeds"], "LSTMs in the ensemble, seeds --seed, --seed + 1, ...",
                     at_least=1, at_most=50),
    "skip": setting(True, "add a linear map of the input window to the LSTM's output"),
    "epochs": setting(SHARED["epochs"], f"most passes over the training windows; training stops "
                      f"earlier when the validation loss has not improved for {SHARED['patience']} "
                      f"epochs"),
    "batch_size": setting(None, "windows per weight update (default: sunspots 32, co2 64, csv 32)"),
    "examples": setting(3, "print the LSTM's forecasts from N test origins"),
    "save": setting(None, "save the LSTM ensemble, its scaling inside, to PATH: it reads look_back + "
                    "1 values and writes the next horizon"),
}


def finish(args, parser):
    """Read the series (a --horizon or --look-back it is too short for stops the run at once,
    before Keras loads), fill the settings left at None from its recipe, and split it."""
    args.series = Series.load(parser, args, RECIPES)
    n = len(args.series.values)
    args.n_train = int(SHARED["train"] * n)
    args.n_fit = args.n_train + int(SHARED["validation"] * n)  # train + validation
    args.series.check_split(parser, args, args.n_train, args.n_fit, SHARED["min_values"],
                            SHARED["min_windows"])


args = read_settings("forecast_real_series.py", __doc__, SETTINGS, finish,
                     quick={"epochs": 3, "seeds": 2})  # in a notebook: the defaults above
series, n_train, n_fit = args.series, args.n_train, args.n_fit
values, times, n = series.values, series.time, len(series.values)
print_settings(args, skip=("series", "n_train", "n_fit"))

# %% [markdown]
# ## Setup

# %%
import common  # picks the backend; as Keras loads, quiets TensorFlow's notes and fixes its bugs
import time
import warnings

import keras
import numpy as np
from keras import layers
from scipy.stats import norm
from statsmodels.tsa.ar_model import AutoReg, ar_select_order
from statsmodels.tsa.arima_process import arma2ma
from statsmodels.tsa.holtwinters import ExponentialSmoothing
from statsmodels.tsa.stattools import acf, kpss

from common.cli import show_figure, show_steps, write_outputs
from common.plots import plot_forecasts
from common.training import fit_verbosity, seed_everything

seed_everything(args.seed)
VERBOSE = fit_verbosity(args.quiet)

# %% [markdown]
# ## Generate the data
#
# Nothing to generate here: the series was loaded with the flags (for CO2, the 59 missing
# weeks are filled by linear interpolation between the weeks on either side, and counted),
# and is split in time order. Forecast *origins* are the last known time steps: from origin
# `t` every method forecasts `t+1 .. t+horizon`. The training and validation origins are
# those whose whole horizon lies inside their part; the *fit* origins are those whose
# horizon lies inside train + validation, the data every model is finally fitted on.

# %%
steps = np.arange(1, args.horizon + 1)
origins = {"train": np.arange(args.look_back, n_train - args.horizon),
           "validation": np.arange(n_train - 1, n_fit - args.horizon),
           "fit": np.arange(args.look_back, n_fit - args.horizon),
           "test": np.arange(n_fit - 1, n - args.horizon)}
print(series.describe())
print(f"train {n_train} values, validation {n_fit - n_train}, test {n - n_fit}; forecast "
      f"origins: " + ", ".join(f"{part} {len(o)}" for part, o in origins.items()))

# %% [markdown]
# ## Decide from the training part only
#
# Every choice made about the data is made on the training part, so the test part cannot
# change what the models train on (`tests/test_forecast_real_series.py` changes the test
# part and checks that the training arrays and fitted parameters stay identical):
#
# - **What the LSTM reads and writes.** As in TensorFlow's time-series tutorial (its
#   "residual" models), the LSTM reads the last `look_back` *changes* (value minus the
#   value before) and writes each future value as a change from the last known one, so a
#   trend cannot take the series out of the range it trained on.
# - **Scaling.** The mean and standard deviation of the training part's changes.
# - **Differencing the classical models.** The KPSS test asks whether the training part
#   is stationary around a mean; where it finds a trend (p < 0.05), AutoReg models the
#   changes and exponential smoothing gets a trend (Hyndman's `ndiffs` rule).
# - **The cycle.** Seasonal naive repeats the last season. CO2 has a calendar season
#   (52 weeks); for sunspots we take the lag, between 2 and a third of the training
#   part, at which the training part's autocorrelation peaks.
# - **The domain.** A series that never went below zero in the training part (a count,
#   an amount) gets forecasts and intervals clipped at zero.


# %%
def has_trend(known):
    """The KPSS test: is `known` stationary around a mean (p >= 0.05), or does it trend?"""
    with warnings.catch_warnings():  # KPSS warns when p lies outside its table
        warnings.simplefilter("ignore")
        p_value = float(kpss(known, regression="c", nlags="auto")[1])
    return p_value < 0.05, p_value


def plan(known):
    """The LSTM's scaling, learned from `known` (the training part): its changes' mean and std."""
    return {"mean": float(np.diff(known).mean()), "scale": float(np.diff(known).std())}


def make_windows(y, at, prep):
    """Inputs (the last look_back scaled changes up to each origin `at`) and targets (the
    next horizon values' changes from the value at the origin, scaled)."""
    x = np.diff(y, prepend=np.nan)[at[:, None] + np.arange(1 - args.look_back, 1)]
    target = (y[at[:, None] + steps] - y[at, None]) / prep["scale"]
    x = (x - prep["mean"]) / prep["scale"]
    return x[..., None].astype("float32"), target.astype("float32")


def make_arrays(y):
    """Everything the LSTM trains, stops and is refitted on, from the series y."""
    prep = plan(y[:n_train])
    return prep, *(array for part in ("train", "validation", "fit")
                   for array in make_windows(y, origins[part], prep))


def find_cycle(known):
    z = np.diff(known) if TREND else known
    correlations = acf(z, nlags=len(z) // 3)
    lag = 2 + int(np.argmax(correlations[2:]))
    return lag, float(correlations[lag])


TREND, KPSS_P = has_trend(values[:n_train])  # the classical models difference where True
FLOOR = 0.0 if values[:n_train].min() >= 0 else -np.inf  # the domain's lower edge
prep, x_train, y_train, x_val, y_val, x_fit, y_fit = make_arrays(values)
cycle, cycle_r = (args.season, None) if args.season else find_cycle(values[:n_train])
print(f"KPSS p-value on the training part: {KPSS_P:.3f} -> " + ("a trend: the classical models difference "
      "it" if TREND else "no trend") + f"; the LSTM reads changes scaled by mean {prep['mean']:.3g} and "
      f"scale {prep['scale']:.3g}; forecasts clipped at {FLOOR:g}\nseason for seasonal naive: {cycle} "
      f"steps" + (f" (autocorrelation {cycle_r:.2f}, the highest on the training part)" if cycle_r else ""))
print(f"windows: x_train {x_train.shape}, x_val {x_val.shape}, x_fit {x_fit.shape} (test: made per origin)")

# %% [markdown]
# ## Baselines and the statistician's models
#
# - **persistence**: every future value equals the last known one.
# - **seasonal-naive**: every future value equals the one a season (or cycle) earlier.
# - **autoreg**: statsmodels' `AutoReg`, a linear regression on the last `p` values (or
#   changes) with an intercept; `ar_select_order` picks `p` up to 30 by AIC on the
#   training and validation parts, the data it is fitted on. With a calendar season it
#   also gets two pairs of sine and cosine terms of the season's exact length (52.18 weeks
#   for CO2).
# - **ets**: statsmodels' `ExponentialSmoothing`, with a damped additive trend where the
#   KPSS test found a trend and an additive season where the calendar has one. A cycle is
#   not a season: the sunspot cycle's length varies from 9 to 14 years, and a seasonal ETS
#   given the mean length fits a random walk plus a fixed pattern that drifts out of
#   phase. ETS has no form for a cycle of varying length, so on sunspots it is simple
#   exponential smoothing, and AutoReg is the classical model that can follow the cycle.
#
# **One fit, rolling origins.** Every model, the LSTM included, is fitted once on the
# training and validation parts; from each test origin it forecasts with those fixed
# parameters from the data up to that origin (AutoReg: the regression, fed back; ETS: the
# smoothing filter run with fixed parameters). This is a rolling forecast origin with
# fixed parameters, not FPP's time-series cross-validation, which refits at every origin:
# refitting five LSTMs at each of 40 origins would multiply the training time by 40. The
# first test forecast equals statsmodels' own `forecast()` (the tests check it).
#
# **Each rival's own interval** (95%): AutoReg's from its residual variance carried
# through the recursion, as statsmodels' `get_prediction` computes it (summed over the
# changes where it models changes); ETS's from statsmodels' simulation of the fitted
# model; the baselines' from FPP's formulas (the residual standard deviation times the
# square root of the number of steps, or of seasons, ahead). Each is a half-width per step
# ahead, and each assumes its model is the right one: we score them, but the bands we
# draw are calibrated on data (see Evaluate).

# %%
PERIOD = {"co2": 365.25 / 7}.get(args.data, args.season)  # the season's exact length
Z = norm.ppf(0.5 + SHARED["level"] / 2)  # 1.96


def seasonal_terms(t):
    """Two sine/cosine pairs of the calendar season at time steps t (AutoReg's exog)."""
    angle = 2 * np.pi * np.asarray(t, float)[:, None] * np.arange(1, 3) / PERIOD
    return np.concatenate([np.sin(angle), np.cos(angle)], axis=1)


def persistence(y, at):
    return np.repeat(y[at, None], args.horizon, axis=1)


def seasonal_naive(y, at, season):
    return y[at[:, None] + steps - season * np.ceil(steps / season).astype(int)]


def naive_band(y, lag):
    """FPP's interval of a naive forecast repeating the value `lag` steps back."""
    sigma = np.sqrt(np.mean((y[lag:n_fit] - y[:n_fit - lag]) ** 2))
    return Z * sigma * np.sqrt(np.floor((steps - 1) / lag) + 1)


def fit_autoreg(y, end):
    """AutoReg on the values (or changes) before `end`, order chosen by AIC."""
    z = np.diff(y[:end]) if TREND else y[:end]
    exog = seasonal_terms(np.arange(end - len(z), end)) if args.season else None  # z's time steps
    max_lag = min(SHARED["max_lag"], len(z) // 4)
    lags = ar_select_order(z, maxlag=max_lag, ic="aic", trend="c", exog=exog).ar_lags or []
    return AutoReg(z, lags=lags or 0, trend="c", exog=exog).fit(), lags


def autoreg_forecast(result, lags, y, at):
    """Apply the fitted regression from each origin, feeding its forecasts back."""
    params = np.asarray(result.params)
    const, phi, beta = params[0], params[1:1 + len(lags)], params[1 + len(lags):]
    z = np.diff(y, prepend=np.nan) if TREND else y  # z[t] goes with y[t]
    depth = max(lags, default=0)
    buffer = np.concatenate([z[at[:, None] + np.arange(-depth, 0) + 1], np.zeros((len(at), args.horizon))], axis=1)
    for h in range(args.horizon):
        step = const + sum(phi[i] * buffer[:, depth + h - lag] for i, lag in enumerate(lags))
        if len(beta):
            step = step + seasonal_terms(at + h + 1) @ beta
        buffer[:, depth + h] = step
    return y[at, None] + np.cumsum(buffer[:, depth:], axis=1) if TREND else buffer[:, depth:]


def autoreg_band(result, lags):
    """AutoReg's interval: sigma times the root of the summed squared psi weights."""
    phi = np.zeros(max(lags, default=0) + 1)
    phi[lags] = np.asarray(result.params)[1:1 + len(lags)]
    psi = arma2ma(np.r_[1, -phi[1:]], [1], args.horizon)
    psi = np.cumsum(psi) if TREND else psi  # a change's error stays in every later value
    return Z * np.sqrt(result.sigma2 * np.cumsum(psi ** 2))


def fit_ets(y, end):
    with warnings.catch_warnings():  # convergence notes from the optimizer
        warnings.simplefilter("ignore")
        return ExponentialSmoothing(y[:end], trend="add" if TREND else None, damped_trend=TREND,
                                    seasonal="add" if args.season else None,
                                    seasonal_periods=args.season or None,
                                    initialization_method="estimated").fit()


def ets_forecast(fitted, y, at):
    """Run the smoothing filter with the fitted parameters over y; forecast from each origin."""
    p, model = fitted.params, fitted.model
    fixed = {name: p[name] for name in ("smoothing_level", "smoothing_trend", "damping_trend",
                                        "smoothing_seasonal") if not np.isnan(p[name])}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = ExponentialSmoothing(
            y, trend=model.trend, damped_trend=model.damped_trend, seasonal=model.seasonal,
            seasonal_periods=model.seasonal_periods, initialization_method="known",
            initial_level=p["initial_level"], initial_trend=p["initial_trend"] if model.trend else None,
            initial_seasonal=p["initial_seasons"] if model.seasonal else None).fit(**fixed, optimized=False)
    forecast = np.repeat(full.level[at, None], args.horizon, axis=1)
    if model.trend:
        forecast += full.trend[at, None] * np.cumsum(p["damping_trend"] ** steps)
    if model.seasonal:  # the last season's pattern, repeated as seasonal naive repeats values
        forecast += seasonal_naive(full.season, at, model.seasonal_periods)
    return forecast


def ets_band(fitted):
    """ETS's interval: statsmodels simulates 2,000 futures of the fitted model."""
    paths = fitted.simulate(args.horizon, repetitions=2000, error="add",
                           rng=np.random.default_rng(args.seed))
    return np.quantile(np.abs(paths - fitted.forecast(args.horizon)[:, None]), SHARED["level"], axis=1)


def rivals(at, autoreg, lags, ets):
    """The four rivals' forecasts from the origins `at`, AutoReg and ETS as fitted."""
    return {"persistence": persistence(values, at), "seasonal-naive": seasonal_naive(values, at, cycle),
            "autoreg": autoreg_forecast(autoreg, lags, values, at), "ets": ets_forecast(ets, values, at)}


autoreg, ar_lags = fit_autoreg(values, n_fit)
ets = fit_ets(values, n_fit)
forecasts = rivals(origins["test"], autoreg, ar_lags, ets)
own_bands = {"persistence": naive_band(values, 1), "seasonal-naive": naive_band(values, cycle),
             "autoreg": autoreg_band(autoreg, ar_lags), "ets": ets_band(ets)}
# The same rivals fitted on the training part only, from the validation origins: their
# errors there calibrate the bands we score (see Evaluate).
checks = rivals(origins["validation"], *fit_autoreg(values, n_train), fit_ets(values, n_train))
ets_name = f"ETS(A,{'Ad' if ets.model.trend else 'N'},{'A' if ets.model.seasonal else 'N'})"
print(f"autoreg: lags {ar_lags[:3]}{'...' if len(ar_lags) > 3 else ''} ({len(ar_lags)} chosen by "
      f"AIC); ets: {ets_name}, smoothing level {ets.params['smoothing_level']:.2f}")

# %% [markdown]
# ## Build the model
#
# The TensorFlow tutorial's "single-shot" multi-step model: an LSTM reads the window and
# one `Dense` layer writes all `horizon` future values at once. Nothing is fed back, so
# an early mistake does not feed the next step. With `--skip` (the default) a second
# `Dense` maps the window itself, linearly, to the same outputs, and the two are added: the
# linear part is an autoregression inside the network, and the LSTM learns what a linear
# recurrence misses (the "wide and deep" idea, and LSTNet's autoregressive
# highway). `build_model` seeds Keras first, so a seed fixes the initial weights.


# %%
def build_model(seed):
    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(args.look_back, 1))
    memory = layers.LSTM(args.units)(inputs)  # (batch, units): the window read into one vector
    outputs = layers.Dense(args.horizon)(memory)  # (batch, horizon): every step ahead at once
    if args.skip:
        outputs = layers.Add()([outputs, layers.Dense(args.horizon)(layers.Flatten()(inputs))])
    model = keras.Model(inputs, outputs, name=f"lstm_seed_{seed}")
    model.compile(optimizer=keras.optimizers.Adam(args.learning_rate), loss="mse")
    return model


build_model(args.seed).summary()

# %% [markdown]
# ## Train
#
# Each seed trains twice from the same initial weights. First on the training windows,
# with `EarlyStopping` watching the loss on the validation windows: that chooses the
# number of epochs. Then on the training and validation windows together, for exactly
# that many epochs (nothing left to watch): the refitted model has seen the data AutoReg
# and ETS were fitted on, no more. `TerminateOnNaN` stops a run whose loss turns NaN.


# %%
def train(model, x, y, x_val=None, y_val=None, epochs=args.epochs):
    stop = keras.callbacks.EarlyStopping(patience=SHARED["patience"], restore_best_weights=True)
    callbacks = [keras.callbacks.TerminateOnNaN()] + ([stop] if x_val is not None else [])
    start = time.perf_counter()
    history = model.fit(x, y, batch_size=args.batch_size, epochs=epochs, shuffle=True,
                        validation_data=None if x_val is None else (x_val, y_val),
                        callbacks=callbacks, verbose=VERBOSE)
    return history, time.perf_counter() - start


seeds = list(range(args.seed, args.seed + args.seeds))
stopped, refitted, best_epochs, train_seconds = [], [], [], 0.0
for seed in seeds:
    model = build_model(seed)
    history, seconds = train(model, x_train, y_train, x_val, y_val)
    best_epochs.append(1 + int(np.argmin(history.history["val_loss"])))
    refitted.append(build_model(seed))  # the same initial weights
    _, more = train(refitted[-1], x_fit, y_fit, epochs=best_epochs[-1])
    stopped.append(model)
    train_seconds += seconds + more
    print(f"seed {seed}: best validation MSE {min(history.history['val_loss']):.4f} at epoch "
          f"{best_epochs[-1]} of {len(history.history['loss'])}; refitted for {best_epochs[-1]}")

# %% [markdown]
# ## Evaluate
#
# Every method forecasts from the same test origins. The LSTM's forecast is the mean of
# its seeds' (the *ensemble*); `lstm-train-only` is the ensemble of the early-stopped
# models, before the refit, to show what the refit buys. We score the error at each step
# ahead in the series' own units: RMSE; its ratio to persistence's at the same step
# (below 1 beats it); and MASE, the MAE divided by persistence's mean absolute one-step
# error on the fitted data (Hyndman's scale-free error). Every model's band is
# *split-conformal*: the same model fitted on the training part alone (for the LSTM, the
# early-stopped ensemble) forecasts from the validation origins, whose outcomes it never
# saw, and at each step the band's half-width is the 95% quantile of its absolute errors
# there. It assumes nothing about the model, only that the test years err as the
# validation years did. The *coverage* of a band is the share of test origins whose true
# value fell inside it, per step; the rivals' own intervals are scored the same way.


# %%
def lstm_forecast(models, y, at):
    """Each model's forecasts from origins `at` in the series' units: (models, origins, horizon)."""
    x, _ = make_windows(y, at, prep)
    return np.stack([y[at, None] + model.predict(x, batch_size=1024, verbose=0) * prep["scale"]
                     for model in models])


truth = values[origins["test"][:, None] + steps]
by_seed = {"lstm": lstm_forecast(refitted, values, origins["test"]),
           "lstm-train-only": lstm_forecast(stopped, values, origins["test"])}
forecasts |= {name: path.mean(axis=0) for name, path in by_seed.items()}


def conformal_band(forecast, at):
    """Split conformal: per step, the ceil((n + 1) 95%)-th smallest of n absolute errors."""
    misses = np.sort(np.abs(np.maximum(forecast, FLOOR) - values[at[:, None] + steps]), axis=0)
    return misses[min(len(misses), int(np.ceil((len(misses) + 1) * SHARED["level"]))) - 1]


checks["lstm"] = checks["lstm-train-only"] = lstm_forecast(stopped, values, origins["validation"]).mean(axis=0)
bands = {name: conformal_band(check, origins["validation"]) for name, check in checks.items()}
naive_mae = float(np.mean(np.abs(np.diff(values[:n_fit]))))


def score(forecast, band):
    forecast = np.maximum(forecast, FLOOR)
    rmse = np.sqrt(np.mean((forecast - truth) ** 2, axis=0))
    mae = np.mean(np.abs(forecast - truth), axis=0)
    covered = (truth >= np.maximum(forecast - band, FLOOR)) & (truth <= forecast + band)
    return {"rmse_per_step": rmse, "mase_per_step": mae / naive_mae,
            "coverage_per_step": covered.mean(axis=0), "bias_per_step": np.mean(forecast - truth, axis=0)}


def ratio(found):
    """The RMSE ratio to persistence, averaged over the steps ahead."""
    return float(np.mean(found["rmse_per_step"] / scores["persistence"]["rmse_per_step"]))


scores = {name: score(forecast, bands[name]) for name, forecast in forecasts.items()}
for name, found in scores.items():
    found["ratio_to_persistence_per_step"] = found["rmse_per_step"] / scores["persistence"]["rmse_per_step"]
for name, band in own_bands.items():  # each rival's own interval, scored the same way
    scores[name] |= {"own_band_per_step": band,
                     "own_coverage_per_step": score(forecasts[name], band)["coverage_per_step"]}
seed_scores = {name: [score(path, bands[name]) for path in paths] for name, paths in by_seed.items()}

# %% [markdown]
# ## Pitfall: a forecast that is the last value, one step late
#
# Plotted over a long test part, a 1-step forecast that merely repeats the last value
# looks like a good fit: the same curve, shifted right by one step. Persistence does
# exactly that and lies close to the truth on a plot. What tells a forecast from a shifted
# copy is whether it predicts the *change*: the *change correlation* correlates each
# method's predicted change one step ahead (forecast minus last value) with the change
# that came. Persistence predicts no change (0); a model that only echoes the last value
# scores near 0 however good its plot looks.


# %%
def change_correlation(forecast):
    last = values[origins["test"]]
    predicted, actual = forecast[:, 0] - last, truth[:, 0] - last
    # A forecast whose changes are rounding noise (ETS with a smoothing level of 1) predicts none.
    return float(np.corrcoef(predicted, actual)[0, 1]) if predicted.std() > 1e-6 * actual.std() else 0.0


for name, found in scores.items():
    found["change_correlation"] = change_correlation(forecasts[name])  # in the Results table

# %% [markdown]
# ## The future
#
# From the last value, every model forecasts `horizon` steps past the end with the
# parameters scored above (fitted on train + validation), so each forecast's band is the
# one whose coverage we measured. The LSTM ensemble is wrapped into one model that reads
# values and writes values: the last `look_back + 1` values in, their changes (a fixed
# `Conv1D` with weights -1, 1) scaled with the training part's numbers, the seeds' outputs
# averaged, scaled back and added to the last value. It uses built-in layers only, so
# `--save` writes it and `keras.saving.load_model` reads it anywhere, scaling included.


# %%
def make_forecaster(models):
    raw = keras.Input(shape=(args.look_back + 1, 1))
    changes = layers.Conv1D(1, 2, use_bias=False, trainable=False, name="changes")
    scaled = layers.Rescaling(1 / prep["scale"], offset=-prep["mean"] / prep["scale"])(changes(raw))
    outputs = [model(scaled) for model in models]
    mean = layers.Average()(outputs) if len(outputs) > 1 else outputs[0]
    last = layers.Flatten()(layers.Cropping1D((args.look_back, 0))(raw))  # (batch, 1)
    forecaster = keras.Model(raw, layers.Add()([layers.Rescaling(prep["scale"])(mean), last]),
                             name="forecaster")
    changes.set_weights([np.array([-1.0, 1.0]).reshape(2, 1, 1)])
    return forecaster


forecaster = make_forecaster(refitted)
end = np.array([n - 1])
padded = np.concatenate([values, np.full(args.horizon, np.nan)])  # room for the future
future = {"lstm": forecaster.predict(values[None, -args.look_back - 1:, None], verbose=0)[0],
          "autoreg": autoreg_forecast(autoreg, ar_lags, padded, end)[0],
          "ets": ets_forecast(ets, padded, end)[0]}
future = {name: np.maximum(path, FLOOR) for name, path in future.items()}

# %% [markdown]
# ## Results

# %%
names = ["lstm", "lstm-train-only", "persistence", "seasonal-naive", "autoreg", "ets"]
rounded = lambda v: round(float(v), 6) if np.ndim(v) == 0 else [rounded(x) for x in v]  # noqa: E731
for name, found in scores.items():
    found |= {"band_per_step": bands[name], "rmse_ratio": ratio(found), "mase": found["mase_per_step"].mean()}
beats = bool((scores["lstm"]["rmse_per_step"] < scores["persistence"]["rmse_per_step"]).all())
metrics = {
    "script": "forecast_real_series", "backend": keras.backend.backend(), "seed": args.seed,
    "seeds": seeds, "skip": args.skip, "data": series.name, "values": n,
    "missing_filled": series.filled, "horizon": args.horizon, "look_back": args.look_back,
    "split": {"train": n_train, "validation": n_fit - n_train, "test": n - n_fit},
    "origins": len(origins["test"]), "trend": TREND, "kpss_p": KPSS_P, "season": cycle,
    "season_autocorrelation": cycle_r, "autoreg_lags": len(ar_lags), "ets": ets_name,
    "ets_smoothing_level": float(ets.params["smoothing_level"]),
    "train_seconds": round(train_seconds, 3), "best_epochs": best_epochs,
    "methods": {name: {key: rounded(value) for key, value in scores[name].items()} for name in names},
    "lstm_beats_persistence": beats, "future": {name: rounded(future[name]) for name in future},
    "future_band": {name: rounded(bands[name]) for name in future}}
for name in by_seed:
    metrics["methods"][name]["seeds"] = [
        {"seed": seed, "best_epoch": epoch, "rmse_per_step": rounded(found["rmse_per_step"]),
         "rmse_ratio": round(ratio(found), 6)}
        for seed, epoch, found in zip(seeds, best_epochs, seed_scores[name])]
# The tables: every method per step ahead, and the LSTM's seeds; the headline sums them up.
metrics["headline"] = show_forecast_results(metrics)
show_steps(future, f"the forecasts past the end ({times[-1]:g})"
           + (f", the first 8 of {args.horizon} steps" if args.horizon > 8 else ""))
for i in np.linspace(0, len(origins["test"]) - 1, args.examples).astype(int) if args.examples else []:
    show_steps({"truth": truth[i], "lstm": np.maximum(forecasts["lstm"][i], FLOOR)},
               f"from test origin {times[origins['test'][i]]:g}")

# %% [markdown]
# ## Plot
#
# Top: the series, its split, and the forecasts past its end with their 95% bands.
# Bottom: per step ahead over the test origins, each method's RMSE ratio to persistence,
# its MASE, and the coverage of its conformal 95% band (the shaded strip: 85% and up),
# dashed the coverage of a rival's own interval. On sunspots ETS's lines hide
# persistence's: they are the same forecast.

# %%
figure = plot_forecasts(series, (n_train, n_fit), future, bands, scores, FLOOR,
                        f"forecast_real_series: {series.name}, LSTM seeds {seeds[0]}-{seeds[-1]}, "
                        f"{keras.backend.backend()}")
show_figure(figure)
write_outputs(args, metrics, forecaster, figure)  # built-in layers only: loads anywhere

# %% [markdown]
# ## What we learned
#
# Numbers of the default run (sunspots, 8 years ahead, LSTM seeds 7 to 11, TensorFlow on
# 2 CPU cores; one core gave the same numbers): RMSE in sunspot numbers over the 40 test origins (forecasts made in 1961
# to 2000), and its ratio to persistence's at the same step, averaged over the 8 steps
# ("ratio", lower is better). Every model was fitted on the same 262 years.
#
# - **One LSTM loses to AutoReg; five of them do not.** AutoReg (9 lags chosen by AIC)
#   scored 0.386. A single refitted LSTM scored 0.414 to 0.499 depending on its seed:
#   behind AutoReg on every seed. The mean of the five seeds' forecasts scored 0.377,
#   better than every one of its seeds and level with AutoReg (40 overlapping origins
#   cannot tell 0.377 from 0.386 apart). Per step the two trade places: the ensemble's
#   ratio was 0.583 one year ahead and 0.371 eight years ahead, AutoReg's 0.585 and 0.399;
#   AutoReg was ahead 3 and 4 years out (0.326 against 0.372 at 4). Quote an LSTM over
#   seeds: one draw says little.
# - **Equal data.** Before the refit, the ensemble of the early-stopped LSTMs (trained on
#   216 years) scored 0.399; refitted on the 262 years AutoReg saw, for the epochs early
#   stopping chose, 0.377. Comparing an LSTM trained on less data with a refitted AutoReg
#   would have handed AutoReg a win it did not earn.
# - **The linear skip.** Without it (`--no-skip`, the same seeds), the ensemble scored
#   0.431 and its seeds 0.429 to 0.450: the LSTM alone does not reach AutoReg. The skip
#   did not improve every seed (seeds 8 and 9 scored worse with it); it improved the
#   ensemble.
# - **An interval is only as good as what it assumes.** A rival's own interval assumes
#   its model is right. AutoReg's covered 85.0% to 95.0% of the test origins per step,
#   seasonal naive's 90% to 92.5%; persistence's (FPP's random-walk formula, growing with
#   the square root of the steps ahead) covered only 62.5% four years ahead and ETS's
#   60.0%: a cycle does not wander like a random walk. The conformal bands assume only that
#   the test years err as the validation years did, and every model's covered 87.5% to
#   100.0% per step, persistence's included. They are wide (the LSTM's 97.0 four years
#   ahead, AutoReg's 92.4 where its own was 54.9): the validation years hold the highest
#   cycle on record.
# - **Exponential smoothing has nothing to offer a cycle.** Without a season, ETS fits a
#   smoothing level of 1.00: it forecasts the last value, exactly persistence (ratio
#   1.000), and its own simulated interval undercovers as persistence's does.
# - **The lag trap.** Persistence's change correlation is 0 by construction, and ETS's
#   with it (its predicted changes are rounding noise); the
#   ensemble's was 0.83 and AutoReg's 0.82: their predicted changes track the changes
#   that came. Seasonal naive, whose plot also follows the curve, managed 0.44.
# - **CO2** (`--data co2`: 52 weeks ahead, 293 test origins, the same five seeds): a tie
#   again. The ensemble scored 0.268 (its seeds 0.261 to 0.285), AutoReg (13 lags plus
#   the yearly sine and cosine terms) 0.269, ETS with a damped trend and the season
#   0.535, seasonal naive 0.767. One week ahead the ensemble's RMSE was 0.389 ppm,
#   AutoReg's 0.381, ETS's 0.453 and persistence's 0.508; 52 weeks ahead 0.922, 0.936,
#   1.387 and 1.870: the ensemble beat persistence at every step. Here no conformal band
#   held 85% at every step: the LSTM's fell to 83.3% at its worst step, AutoReg's to
#   80.5%, seasonal naive's to 75.8%. CO2 rose faster in the test years than in the
#   validation years the bands were measured on, and 52 weeks ahead every model's
#   forecasts fell short on average. Of the own intervals only AutoReg's held (88.7% or
#   more at every step); persistence's fell to 54.9%. A band calibrated on one stretch of
#   a series promises nothing about a stretch that behaves differently: check its
#   coverage, as here, before you trust it.

# %% [markdown]
# ## Try next
#
# ```bash
# python forecast_real_series.py --data co2             # a trend and a season: the LSTM models changes
# python forecast_real_series.py --no-skip              # the LSTM alone: what the linear skip buys
# python forecast_real_series.py --horizon 11           # a whole cycle ahead: persistence comes back
# ```
