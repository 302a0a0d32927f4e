"""Real series for the forecasting tutorial: two that ship inside statsmodels, or a CSV.

:meth:`Series.load` reads the series the settings ask for (:meth:`Series.settings` declares them):
the values as a float64 array, their times as numbers (decimal years where the data has
dates), and what was done to get there (missing values filled).
A CSV that cannot serve stops the script the argparse way: one ``error:`` line that names
the problem, exit status 2.
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from common.cli import check_memory, setting, show_table

BUILT_IN = ("sunspots", "co2")


@dataclass
class Series:
    name: str  # "sunspots", "co2" or the CSV's column
    values: np.ndarray  # float64, no missing values
    time: np.ndarray  # float64: decimal years for dated data, else the row number
    time_unit: str  # "year" or "row" (or the time column's name)
    unit: str  # what one value measures
    filled: int  # missing values filled by linear interpolation in time
    dropped: int  # missing values at either end, left out
    time_column: str | None = None  # a CSV's column of times, given or found

    @staticmethod
    def settings(recipes: dict) -> dict:
        """The forecasting settings about the series, as data for common.cli.read_settings:
        which one (``data``, or ``csv`` with ``column`` and ``time_column``), and
        ``horizon``, ``look_back`` and ``season``. Those three default to None, the script's
        ``recipes`` (series name -> {"horizon", "look_back", "season"}) filling them in;
        their help lists the recipes'."""
        def defaults(key):
            return ", ".join(f"{name} {recipe[key]}" for name, recipe in recipes.items())

        seasons = ", ".join(f"{name} {recipe['season']}" for name, recipe in recipes.items()
                            if recipe["season"])
        return {
            "data": setting("sunspots", "a series that ships inside statsmodels", choices=BUILT_IN,
                            exclusive="series"),
            "csv": setting(None, "forecast a column of this CSV file instead", metavar="PATH",
                           exclusive="series"),
            "column": setting(None, "with --csv: the column to forecast", metavar="NAME"),
            "time_column": setting(None, "with --csv: the column of times or dates (default: the "
                                   "first column that holds dates, else the row order)", metavar="NAME"),
            "horizon": setting(None, f"steps to forecast (default: {defaults('horizon')})",
                               kind=int, at_least=1, metavar="N"),
            "look_back": setting(None, f"values the LSTM reads (default: {defaults('look_back')})",
                                 kind=int, at_least=2, metavar="N"),
            "season": setting(None, f"steps in one season of a calendar (default: {seasons}, else "
                              "0 = none; without one, seasonal naive repeats the cycle the training "
                              "part's autocorrelation peaks at)", kind=int, at_least=0, metavar="N"),
        }

    @staticmethod
    def load(parser, args, recipes: dict) -> "Series":
        """The series the flags ask for: ``--csv`` with ``--column``, or ``--data``. The flags
        left unset (None) are set from the series' entry in ``recipes`` (name -> {flag
        destination: value}, "csv" for a CSV), and ``args.data`` to "csv" for a CSV. For a
        CSV whose time column was found rather than given, ``args.time_column`` is set to
        it, so that the settings line says what was read."""
        args.data = "csv" if args.csv else args.data
        vars(args).update({name: value for name, value in recipes[args.data].items()
                           if getattr(args, name) is None})
        if args.csv is None:
            for flag, value in (("--column", args.column), ("--time-column", args.time_column)):
                if value is not None:
                    parser.error(f"argument {flag}: only with --csv")
            return load_built_in(args.data)
        series = load_csv(parser, args.csv, args.column, args.time_column)
        args.time_column = series.time_column
        return series

    def describe(self) -> str:
        """One line: what the values measure, how many, from when to when, and what was
        filled or left out."""
        return (f"{self.unit}: {len(self.values)} values, {self.time[0]:g} to {self.time[-1]:g} "
                f"({self.time_unit}); missing values filled by linear interpolation: "
                f"{self.filled}, left out at the ends: {self.dropped}")

    def check_split(self, parser, args, n_train: int, n_fit: int, min_values: int,
                    min_windows: int) -> None:
        """Stop with one argparse error line when the flags ask for more than this series
        holds: windows of ``--look-back`` + ``--horizon`` values too big for memory, fewer
        than ``min_values`` values, a ``--horizon`` longer than the validation part (values
        ``n_train`` to ``n_fit``) or the test part (the rest), or a ``--look-back`` that
        leaves fewer than ``min_windows`` training windows in the first ``n_train`` values."""
        n = len(self.values)
        check_memory(parser, "--look-back and --horizon", n * (args.look_back + args.horizon + 1))
        if n < min_values:
            parser.error(f"argument {'--csv' if args.csv else '--data'}: the series has {n} "
                         f"numbers; at least {min_values} are needed")
        if args.horizon > min(n_fit - n_train, n - n_fit):
            parser.error(f"argument --horizon: ({args.horizon}) is longer than the validation "
                         f"part ({n_fit - n_train} values) or the test part ({n - n_fit} values) "
                         f"of this {n}-value series; use at most {min(n_fit - n_train, n - n_fit)}")
        if n_train - args.look_back - args.horizon < min_windows:
            parser.error(f"argument --look-back: ({args.look_back}) with --horizon {args.horizon} "
                         f"leaves fewer than {min_windows} training windows in the {n_train} "
                         f"training values; use at most {n_train - args.horizon - min_windows}")


def decimal_years(dates) -> np.ndarray:
    """Dates -> years with a fraction (2001-07-02 -> about 2001.5)."""
    dates = pd.DatetimeIndex(dates)
    start = pd.to_datetime(dates.year.astype(str) + "-01-01")
    days = np.where(dates.is_leap_year, 366.0, 365.0)
    return dates.year.to_numpy(float) + (dates - start).days.to_numpy(float) / days


def _fill(column: pd.Series, time: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Fill interior gaps by linear interpolation in time; leave out gaps at either end."""
    values = column.to_numpy(float)
    known = ~np.isnan(values)
    first, last = np.argmax(known), len(values) - np.argmax(known[::-1])
    dropped = first + len(values) - last
    values, time, known = values[first:last], time[first:last], known[first:last]
    filled = int((~known).sum())
    if filled:
        values = values.copy()
        values[~known] = np.interp(time[~known], time[known], values[known])
    return values, time, filled, int(dropped)


def load_built_in(name: str) -> Series:
    """The yearly sunspot numbers 1700-2008, or the weekly Mauna Loa CO2 1958-2001."""
    from statsmodels import datasets  # not statsmodels.api: a third of the time and memory

    if name == "sunspots":
        frame = datasets.sunspots.load_pandas().data
        return Series("sunspots", frame["SUNACTIVITY"].to_numpy(float), frame["YEAR"].to_numpy(float),
                      "year", "yearly mean sunspot number", 0, 0)
    frame = datasets.co2.load_pandas().data
    values, time, filled, dropped = _fill(frame["co2"], decimal_years(frame.index))
    return Series("co2", values, time, "year", "CO2, ppm (weekly mean)", filled, dropped)


def load_csv(parser, path, column: str | None, time_column: str | None = None) -> Series:
    """One numeric column of a CSV file, in time order. Each problem is one parser.error."""
    if column is None:
        parser.error("argument --column: required with --csv (the column to forecast)")
    path = Path(path)
    if not path.is_file():
        parser.error(f"argument --csv: no file {str(path)!r}")
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as problem:
        parser.error(f"argument --csv: {str(path)!r} is not a readable CSV file "
                     f"({str(problem).splitlines()[0] if str(problem) else type(problem).__name__})")
    columns = ", ".join(map(str, frame.columns))
    for flag, name in (("--column", column), ("--time-column", time_column)):
        if name is not None and name not in frame.columns:
            parser.error(f"argument {flag}: {str(path)!r} has no column {name!r} (it has: {columns})")
    numbers = pd.to_numeric(frame[column], errors="coerce")
    text = frame[column].notna() & numbers.isna()
    if text.any():
        row = int(np.argmax(text.to_numpy()))
        parser.error(f"argument --column: column {column!r} holds text, not a number: "
                     f"{frame[column].iloc[row]!r} in data row {row + 1}")
    time_column = time_column or _date_column(frame, column)
    if time_column is None:
        time, unit = np.arange(len(frame), dtype=float), "row"
    else:
        time, unit = _time_values(parser, frame[time_column], time_column)
        if not (np.diff(time) > 0).all():
            parser.error(f"argument --time-column: {time_column!r} is not in increasing time "
                         f"order (sort the file, or leave the flag out to use the row order)")
    if numbers.notna().sum() == 0:
        parser.error(f"argument --column: column {column!r} holds no numbers")
    values, time, filled, dropped = _fill(numbers, time)
    return Series(column, values, time, unit, column, filled, dropped, time_column)


def _date_column(frame: pd.DataFrame, column: str) -> str | None:
    """The first column besides ``column`` whose every cell is a date (not a number)."""
    import warnings

    for name in frame.columns:
        cells = frame[name]
        if name == column or cells.isna().any() or pd.to_numeric(cells, errors="coerce").notna().any():
            continue
        with warnings.catch_warnings():  # pandas guessing a format
            warnings.simplefilter("ignore")
            if pd.to_datetime(cells, format="mixed", errors="coerce").notna().all():
                return name
    return None


def _time_values(parser, column: pd.Series, name: str) -> tuple[np.ndarray, str]:
    """A time column as numbers: itself if numeric, decimal years if it holds dates."""
    numbers = pd.to_numeric(column, errors="coerce")
    if numbers.notna().all():
        return numbers.to_numpy(float), name
    try:
        dates = pd.to_datetime(column, format="mixed")
    except (ValueError, TypeError):
        parser.error(f"argument --time-column: {name!r} holds neither numbers nor dates "
                     f"(e.g. {column.iloc[int(np.argmax(numbers.isna().to_numpy()))]!r})")
    if dates.isna().any():
        parser.error(f"argument --time-column: {name!r} has an empty cell in data row "
                     f"{int(np.argmax(dates.isna().to_numpy())) + 1}")
    return decimal_years(dates), "year"


def show_forecast_results(metrics: dict) -> str:
    """Show what forecast_real_series.py measured, from its ``metrics``: a table of every
    method's RMSE, ratio to persistence, MASE and band coverage at the first, middle and
    last step ahead, with the worst step's coverage of the rival's own interval, the mean
    ratio and the change correlation; a table of the LSTM's
    seeds (best epoch, ratio to persistence); and whether the LSTM ensemble beat
    persistence at every step. Returns the headline: the ratios of the LSTM ensemble,
    AutoReg and ETS, and the coverage of the LSTM's band."""
    methods, horizon = metrics["methods"], metrics["horizon"]
    shown = sorted({1, (horizon + 1) // 2, horizon})
    columns = {"RMSE": "rmse_per_step", "ratio": "ratio_to_persistence_per_step",
               "MASE": "mase_per_step", "cover": "coverage_per_step"}
    table = pd.DataFrame({name: {f"{label} {step}": found[key][step - 1]
                                 for label, key in columns.items() for step in shown}
                          | {"own cover, worst": min(found.get("own_coverage_per_step", [np.nan])),
                             "ratio": found["rmse_ratio"], "change r": found["change_correlation"]}
                          for name, found in methods.items()}).T.astype(float).round(3)
    show_table(table.rename_axis("method"), f"{metrics['data']}, {metrics['origins']} test "
               f"origins, steps ahead {', '.join(map(str, shown))} ({metrics['backend']})")
    ratios = {f"ratio, {name}": [seed["rmse_ratio"] for seed in found["seeds"]]
              for name, found in methods.items() if "seeds" in found}
    show_table(pd.DataFrame({"best epoch": metrics["best_epochs"], **ratios},
                            index=pd.Index(metrics["seeds"], name="seed")).round(3),
               "the LSTM's seeds (ratio to persistence)")
    print(f"\nthe LSTM ensemble beats persistence at every step: "
          f"{metrics['lstm_beats_persistence']}; lowest ratio: "
          f"{min(methods, key=lambda name: methods[name]['rmse_ratio'])}")
    coverage = methods["lstm"]["coverage_per_step"]
    return (f"{metrics['data']}: RMSE ratio to persistence: lstm (ensemble of "
            f"{len(metrics['seeds'])}) {methods['lstm']['rmse_ratio']:.3f}, autoreg "
            f"{methods['autoreg']['rmse_ratio']:.3f}, ets {methods['ets']['rmse_ratio']:.3f}; the "
            f"lstm's 95% band covered {min(coverage):.1%}-{max(coverage):.1%} per step")
