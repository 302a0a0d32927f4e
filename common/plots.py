"""The pictures ``--plot`` draws, at a size that reads well on a README page (800x450).

They use matplotlib's object-oriented ``Figure`` rather than ``pyplot``: nothing is shown
on screen and no global plotting state changes, so they work in a terminal, in CI and in a
notebook alike. Each function returns its ``Figure``: ``common.cli.show_figure`` shows it
inline in a notebook, and ``common.cli.write_outputs`` saves it for ``--plot``.
"""

import numpy as np
from matplotlib.figure import Figure

SIZE, DPI = (8, 4.5), 100


def moving_average(values, window: int) -> np.ndarray:
    """Mean of each run of ``window`` consecutive values (shorter at the start)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    sums = np.cumsum(np.insert(values, 0, 0.0))
    counts = np.minimum(np.arange(1, len(values) + 1), window)
    return (sums[1:] - sums[np.arange(1, len(values) + 1) - counts]) / counts


def plot_training_curves(curves: dict, title: str, held_out: float | None = None,
                         xlabel: str = "weight update") -> Figure:
    """Loss and accuracy side by side, smoothed: per weight update (``TrainingCurve.history``)
    or per epoch (``history.history``, with ``xlabel="epoch"``); ``held_out`` draws the final
    held-out accuracy as a dashed line."""
    fig = Figure(figsize=SIZE, dpi=DPI)
    steps = len(curves["loss"])
    window = max(1, steps // 50)
    for axis, name in zip(fig.subplots(1, 2), ("loss", "accuracy")):
        values = curves.get(name, [])
        axis.plot(np.arange(1, len(values) + 1), moving_average(values, window), label="training")
        if name == "accuracy":
            axis.set_ylim(0, 1.02)
            if held_out is not None:
                axis.axhline(held_out, color="tab:green", linestyle="--", label="held-out, final")
            axis.legend(loc="lower right")
        axis.set_xlabel(xlabel)
        axis.set_ylabel(name if name == "loss" else "accuracy per element")
        axis.set_title(f"training {name}" + (f" (mean of {window})" if window > 1 else ""))
        axis.grid(alpha=0.3)
    fig.suptitle(title)
    fig.tight_layout()
    return fig


def plot_grouped_bars(groups: list, series: dict, title: str, xlabel: str,
                      ylabel: str = "accuracy (%)", chance: float | None = None) -> Figure:
    """Bars of ``series`` (name -> one value per group, as fractions) in groups side by side;
    ``chance`` draws the accuracy of guessing as a dotted line."""
    fig = Figure(figsize=SIZE, dpi=DPI)
    axis = fig.subplots()
    positions = np.arange(len(groups))
    width = 0.8 / max(1, len(series))
    for i, (name, values) in enumerate(series.items()):
        offset = (i - (len(series) - 1) / 2) * width
        axis.bar(positions + offset, 100 * np.asarray(values, dtype=float), width, label=name)
    if chance is not None:
        axis.axhline(100 * chance, color="grey", linestyle=":", label="chance")
    axis.set_xticks(positions, [str(g) for g in groups])
    # Bars reach 100% at most: the band above holds the legend, clear of every bar.
    axis.set_ylim(0, 122)
    axis.set_yticks(range(0, 101, 20))
    axis.set_xlabel(xlabel)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.legend(loc="upper center", ncol=len(series) + (chance is not None), fontsize="small")
    axis.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


def plot_reversal_accuracy(results: dict, chance: float) -> Figure:
    """reverse_bidirectional's figure: held-out accuracy per output position, one bar per
    model (``results``: name -> {"per_position_accuracy": [...]}), each position labelled
    with the input it must copy, and the accuracy of guessing as a dotted line."""
    length = len(next(iter(results.values()))["per_position_accuracy"])
    return plot_grouped_bars(
        [f"{t} (x{length - 1 - t})" for t in range(length)],
        {name: scores["per_position_accuracy"] for name, scores in results.items()},
        f"Reversing {length} integers: held-out accuracy per output position",
        "output position (the input it must copy)", chance=chance)


def plot_sorting_attention(table, designs: tuple, lengths: list, inputs: np.ndarray,
                           written: list, weights: np.ndarray) -> Figure:
    """seq2seq_attention's figure. Left: held-out whole sequences right against length, one
    line per design in ``designs``: the mean of ``table``'s ``inference_accuracy`` (a pandas
    DataFrame, one row per design, length and seed) over the seeds, the bars from the lowest
    to the highest seed. Right: the attention ``weights`` (sequence, output step, input step)
    of two test sequences, the first of 8 integers and the first of the most: one row per
    word of ``written`` (each sequence's output as words, up to its ``<end>``), one column
    per integer of ``inputs`` (the integers in the order given; padding, below 0, left out)."""
    figure = Figure(figsize=(11, 4.5), dpi=DPI)
    left, *maps = figure.subplots(1, 3, gridspec_kw={"width_ratios": [1.2, 1, 1]})
    for design, style in zip(designs, ("o-", "s-", "^-")):
        rows = table[table.design == design].groupby("length").inference_accuracy
        if len(rows.size()):
            mean, low, high = 100 * rows.mean(), 100 * rows.min(), 100 * rows.max()
            left.errorbar(mean.index, mean, yerr=[mean - low, high - mean], fmt=style,
                          capsize=3, label=design)
    left.set(xlabel="--length (most integers per input)", ylabel="held-out whole sequences (%)",
             title="Sorting, real inference", ylim=(-2, 102), xticks=lengths)
    left.legend(loc="lower left", fontsize="small")
    left.grid(alpha=0.3)
    sizes = (inputs >= 0).sum(1)  # the first test sequence of 8 integers, and of the most
    shown_rows = [int(np.argmax(sizes == min(sizes.max(), 8))), int(np.argmax(sizes))]
    for axis, i in zip(maps, shown_rows):
        real = inputs[i] >= 0
        axis.imshow(weights[i, :len(written[i])][:, real], cmap="Greys", vmin=0, vmax=1,
                    aspect="auto")
        axis.set_xticks(range(int(real.sum())), inputs[i][real], fontsize="x-small", rotation=90)
        axis.set_yticks(range(len(written[i])), written[i], fontsize="x-small")
        axis.set(xlabel="input (in the order given)", ylabel="output step (what it wrote)",
                 title=f"Attention, test sequence {i}")
    figure.suptitle("Sorting with attention: accuracy against length, and where the decoder "
                    "looks (one row per output step)")
    figure.tight_layout()
    return figure


def plot_published_and_measured(results: dict, title: str, chance: float | None = None) -> Figure:
    """Each experiment's published accuracy next to the one this run measured, as grouped
    bars. ``results`` maps an experiment's name to a dict that holds ``tutorial_accuracy``
    (the published figure) and ``accuracy`` (this run's), both fractions; ``chance`` draws
    the accuracy of guessing as a dotted line."""
    series = {"tutorial (published)": [r["tutorial_accuracy"] for r in results.values()],
              "this run": [r["accuracy"] for r in results.values()]}
    return plot_grouped_bars(list(results), series, title, xlabel="experiment", chance=chance)


# The forecasting methods of forecast_real_series.py, each always in the same colour.
FORECAST_COLOURS = {"lstm": "tab:red", "lstm-train-only": "tab:orange", "persistence": "tab:gray",
                    "seasonal-naive": "tab:olive", "autoreg": "tab:green", "ets": "tab:purple"}


def plot_forecasts(series, split: tuple, future: dict, bands: dict, scores: dict, floor: float,
                   title: str) -> Figure:
    """Top: the end of ``series`` (a ``common.series.Series``) with its validation and test
    parts shaded (``split`` = (first validation index, first test index)), and each
    ``future`` forecast (name -> the values of the steps after the series' end, spaced as
    its times are) with its band (``bands``: name -> half-width per step, cut at ``floor``).
    Bottom, per step ahead: each method's RMSE ratio to persistence, its MASE and the
    coverage of its 95% band (``scores``: name -> per-step arrays; dashed, the coverage of a
    rival's own interval where it has ``own_coverage_per_step``), the strip of 85% and up
    shaded."""
    n_train, n_fit = split
    times, values, n = series.time, series.values, len(series.values)
    steps = np.arange(1, len(next(iter(future.values()))) + 1)
    future_times = times[-1] + float(np.median(np.diff(times))) * steps
    fig = Figure(figsize=(12, 7), dpi=DPI)
    grid = fig.add_gridspec(2, 3)
    axis = fig.add_subplot(grid[0, :])
    shown_from = max(0, n - 3 * (n - n_fit))  # the parts before the test part, and the test part
    axis.plot(times[shown_from:], values[shown_from:], color="black", linewidth=0.8,
              label=series.name)
    for left, right, shade in ((max(n_train, shown_from), n_fit, "validation"), (n_fit, n, "test")):
        axis.axvspan(times[left], times[right - 1], alpha=0.1 if shade == "validation" else 0.2,
                     color="tab:blue", label=f"{shade} part")
    for name in future:
        colour = FORECAST_COLOURS[name]
        axis.plot(future_times, future[name], color=colour, linewidth=1.2, label=f"{name} future")
        axis.fill_between(future_times, np.maximum(future[name] - bands[name], floor),
                          future[name] + bands[name], color=colour, alpha=0.15)
    axis.set(xlabel=series.time_unit, ylabel=series.unit, title=f"{series.name}: the split, "
             f"and {len(future_times)} steps past the end (95% bands)")
    axis.legend(fontsize="x-small", ncol=3)
    panels = {"ratio_to_persistence_per_step": "RMSE / persistence's", "mase_per_step": "MASE",
              "coverage_per_step": "coverage of the 95% band (dashed: own)"}
    for column, (key, panel) in enumerate(panels.items()):
        axis = fig.add_subplot(grid[1, column])
        for name in (name for name in FORECAST_COLOURS if name in scores):
            axis.plot(steps, scores[name][key], marker=".", linewidth=2 if name == "lstm" else 1,
                      color=FORECAST_COLOURS[name], label=name)
            if key == "coverage_per_step" and "own_coverage_per_step" in scores[name]:
                axis.plot(steps, scores[name]["own_coverage_per_step"], linestyle="--",
                          linewidth=1, color=FORECAST_COLOURS[name])
        axis.set(xlabel="steps ahead", title=panel)
        axis.grid(alpha=0.3)
    axis.axhspan(0.85, 1.0, color="tab:green", alpha=0.1)
    # One legend for the three panels, below them, where it covers no line.
    fig.legend(*axis.get_legend_handles_labels(), loc="lower center", ncol=6, fontsize="small")
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
