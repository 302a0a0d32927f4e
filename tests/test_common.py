"""Unit tests of the shared helpers in common/."""

import argparse
import json

import numpy as np
import pytest

import common  # noqa: F401  (quiets TensorFlow before Keras loads)
import keras
from common import cli, data, plots, training


def test_streams_are_reproducible_and_independent():
    a = data.generate_sequences(data.make_rng(3, data.TRAIN), 4, 25, 100)
    b = data.generate_sequences(data.make_rng(3, data.TRAIN), 4, 25, 100)
    c = data.generate_sequences(data.make_rng(3, data.TEST), 4, 25, 100)
    assert a.shape == (4, 25) and a.min() >= 0 and a.max() < 100
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


def test_one_hot_rejects_values_outside_vocab():
    with pytest.raises(ValueError, match="must lie in"):
        data.one_hot_encode(np.array([0, 10]), 10)


def test_frame_pandas_matches_tutorial_example():
    # The tutorial frames [1, 2, 3, 4, 5] with 2 inputs into [1, 2], [2, 3], ...
    x, y = data.frame_pandas(np.array([[1, 2, 3, 4, 5]]), n_in=2, n_out=1)
    np.testing.assert_array_equal(x, [[1, 2], [2, 3], [3, 4], [4, 5]])
    np.testing.assert_array_equal(y, [[1], [2], [3], [4]])
    assert x.dtype == np.int64


@pytest.mark.parametrize("n_in,n_out", [(5, 5), (5, 2), (4, 3), (1, 1), (25, 1)])
def test_frame_pandas_equals_vectorized_numpy(n_in, n_out):
    sequences = data.generate_sequences(data.make_rng(0), 30, 25, 100)
    x_pd, y_pd = data.frame_pandas(sequences, n_in, n_out)
    x_np, y_np = data.frame_numpy(sequences, n_in, n_out)
    assert x_pd.shape == (30 * (25 - n_in + 1), n_in) and y_pd.shape == (len(x_pd), n_out)
    np.testing.assert_array_equal(x_pd, x_np)
    np.testing.assert_array_equal(y_pd, y_np)


def test_windows_never_cross_sequences():
    sequences = np.array([[1, 2, 3], [7, 8, 9]])
    x, _ = data.frame_pandas(sequences, 2, 2)
    np.testing.assert_array_equal(x, [[1, 2], [2, 3], [7, 8], [8, 9]])


@pytest.mark.parametrize("parse,text,message", [
    (cli.int_at_least(1), "0", "at least 1"),
    (cli.int_at_least(1), "-3", "at least 1"),
    (cli.int_at_least(1), "two", "expected an integer"),
    (cli.int_at_least(2), "1", "at least 2"),
    (cli.number_in(above=0), "0", "greater than 0"),
    (cli.number_in(above=0), "x", "expected a number"),
    (cli.number_in(above=0), "inf", "finite"),
    (cli.number_in(above=0), "nan", "finite"),
    (cli.number_in(at_least=0), "-1", "at least 0"),
    (cli.number_in(at_least=0), "-inf", "finite"),
    (cli.int_at_least(0, cli.MAX_SEED), "4294967296", "at most 4294967295"),
    (cli.name_list(("a", "b")), "a,c", "unknown name 'c'"),
    (cli.name_list(("a", "b")), "a,a", "named twice"),
    (cli.name_list(("a", "b")), "a,,b", "empty entry"),
    (cli.one_letter("ABC"), "d", "expected one letter A..C, got 'd'"),
    (cli.one_letter("ABC"), "ab", "expected one letter A..C"),
    (cli.output_path(".json"), "/no/such/folder/m.json", "does not exist"),
    (cli.output_path(".png"), "/proc/nope.png", "cannot write a file in folder"),
    (cli.output_path(".json"), "metrics.txt", "must end in .json"),
])
def test_argument_types_reject(parse, text, message):
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        parse(text)


SETTINGS = {"units": cli.setting(8, "LSTM units", at_least=1, at_most=64),
            "rate": cli.setting(None, "a rate (default: the recipe's)", kind=float, above=0),
            "mode": cli.setting("a", "a mode", choices=("a", "b")),
            "skip": cli.setting(True, "a skip"), "pad": cli.setting(False, "pad it"),
            "epochs": cli.setting(10, "passes (50% of them, say)"), "plot": None}


def test_read_settings_builds_the_command_line_from_the_settings(monkeypatch, capsys):
    """Each setting becomes a flag with its type, range, choices and default; a shared flag
    redefined keeps what the redefinition leaves unset (its range); a shared flag set to
    None is gone; quick defaults yield to explicit flags; finish sees every value."""
    seen = []
    args = cli.read_settings("x.py", "doc", SETTINGS, lambda args, parser: seen.append(args), argv=[
        "--units", "9", "--rate", "0.5", "--mode", "b", "--no-skip", "--pad"])
    assert (args.units, args.rate, args.mode, args.skip, args.pad) == (9, 0.5, "b", False, True)
    assert args.epochs == 10 and args.seed == 7 and args.examples == 5 and seen == [args]
    assert not hasattr(args, "plot")
    monkeypatch.setenv(cli.QUICK_ENV, "1")
    assert cli.read_settings("x.py", None, SETTINGS, quick={"epochs": 1}, argv=[]).epochs == 1
    assert cli.read_settings("x.py", None, SETTINGS, quick={"epochs": 1}, argv=["--epochs", "5"]).epochs == 5
    for bad, message in ((["--units", "65"], "--units: must be at most 64"), (["--rate", "0"], "greater than 0"),
                         (["--mode", "c"], "invalid choice"), (["--epochs", "0"], "--epochs: must be at least 1"),
                         (["--plot", "p.png"], "unrecognized arguments")):
        with pytest.raises(SystemExit) as stop:
            cli.read_settings("x.py", None, SETTINGS, argv=bad)
        assert stop.value.code == 2 and message in capsys.readouterr().err, bad
    text = cli.build_parser("x.py", None, SETTINGS).format_help()
    assert "50% of them" in " ".join(text.split()) and "(default: 8)" in text


def test_a_notebook_reads_the_defaults_as_written(monkeypatch):
    """common/notebook.py's read_settings: the same values a command line without flags
    gives, no parser; a value outside its range is an error, and so is finish's."""
    from common import notebook

    assert notebook.SHARED_DEFAULTS == {name: spec["default"] for name, spec in cli.SHARED_SETTINGS.items()}
    monkeypatch.delenv(cli.QUICK_ENV, raising=False)
    assert vars(notebook.read_settings("x.py", None, SETTINGS)) == vars(
        cli.read_settings("x.py", None, SETTINGS, argv=[]))
    with pytest.raises(ValueError, match="units = 0"):
        notebook.read_settings("x.py", None, SETTINGS | {"units": cli.setting(0, "units", at_least=1)})
    def finish(args, parser):
        parser.error("argument --units: too many")
    with pytest.raises(ValueError, match="too many"):
        notebook.read_settings("x.py", None, SETTINGS, finish)


def test_atomic_write_leaves_nothing_when_writing_fails(tmp_path):
    target = tmp_path / "m.json"

    def fail(path):
        path.write_text("half")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        cli.atomic_write(target, fail)
    assert list(tmp_path.iterdir()) == []
    cli.atomic_write(target, lambda p: p.write_text(json.dumps({"a": 1})))
    assert json.loads(target.read_text()) == {"a": 1} and len(list(tmp_path.iterdir())) == 1


def test_moving_average():
    np.testing.assert_allclose(plots.moving_average([1, 3, 5, 7], 2), [1, 2, 4, 6])


def test_plots_return_figures_that_write_png(tmp_path):
    curves = {"loss": list(np.linspace(2, 0, 40)), "accuracy": list(np.linspace(0, 1, 40))}
    figures = {"c": plots.plot_training_curves(curves, "curves", held_out=0.9),
               "b": plots.plot_grouped_bars([0, 1, 2], {"a": [0.1, 0.5, 1.0], "b": [1, 1, 1]},
                                            "bars", xlabel="position", chance=0.1)}
    args = argparse.Namespace(metrics=None, save=None)
    for name, figure in figures.items():
        args.plot = tmp_path / f"{name}.png"
        cli.write_outputs(args, {}, figure=figure)
        assert args.plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    cli.show_figure(figures["c"])  # outside a notebook: shows nothing, raises nothing


def test_show_table_takes_a_frame_rows_or_a_summary(capsys, monkeypatch):
    """In a terminal: a dict of rows is a table with a column per key, a summary an aligned
    block; in a notebook both are DataFrames (HTML), rows as rows."""
    import pandas as pd

    cli.show_table({"naive": {"x": (25, 1, 1), "weights": "5,210"}, "stateful": {"x": (1, 1, 1), "weights": "11,726"}},
                   "models")
    out = capsys.readouterr().out.splitlines()
    assert out[1:3] == ["models", "------"] and out[3].split() == ["x", "weights"]
    assert out[5].split() == ["stateful", "(1,", "1,", "1)", "11,726"]
    cli.show_table({"input": "(4, 5, 2)", "output": "(4, 8)"}, "shapes")
    assert capsys.readouterr().out.splitlines()[3:] == ["input   (4, 5, 2)", "output  (4, 8)"]
    shown = []
    monkeypatch.setattr(cli, "running_in_notebook", lambda: True)
    monkeypatch.setattr("IPython.display.display", shown.append)
    cli.show_table({"a": {"x": 1}, "b": {"x": 2}})
    cli.show_table({"a": 1})
    assert list(shown[0].index) == ["a", "b"] and list(shown[0].columns) == ["x"]
    assert isinstance(shown[1], pd.DataFrame) and list(shown[1]["value"]) == [1]
    cli.show_table({"a": 1}, "right up to <end>")  # the title: Markdown, and <end> not a tag
    assert shown[2].data == "**right up to &lt;end&gt;**"


def test_print_settings_is_one_line(capsys):
    args = argparse.Namespace(window=5, learning_rate=0.03, models=["a", "b"], quiet=True,
                              metrics=None, plot=None, save=None, examples=3)
    cli.print_settings(args)
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.startswith("Settings: window=5, learning_rate=0.03, models=a,b")
    assert f"(backend: {keras.backend.backend()})" in out and "quiet" not in out


def test_show_steps_prints_one_column_per_step_ahead(capsys):
    """Forecast paths as a table (issue 26: no hand-aligned rows): steps as columns, up to `first`."""
    cli.show_steps({"truth": [1.0, 2.5, 3.0], "model": np.array([1.25, 2.0, 4.0])}, "paths", first=2)
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0] == "paths" and lines[2].split() == ["steps", "ahead", "1", "2"]
    assert lines[3].split() == ["truth", "1", "2.5"] and lines[4].split() == ["model", "1.25", "2"]


def test_warn_outside_range(capsys):
    ranges = {"window": (1, 10), "vocab": (10, 200)}
    assert not cli.warn_outside_range(ranges, argparse.Namespace(window=10, vocab=10))
    assert capsys.readouterr().out == ""
    assert cli.warn_outside_range(ranges, argparse.Namespace(window=12, vocab=50))
    out = capsys.readouterr().out
    assert out.startswith("warning: this recipe was checked for --window 1..10 and --vocab 10..200")
    assert "--window 12 is outside" in out and "it still runs" in out


def test_run_script_returns_metrics_and_passes_flags(tmp_path):
    script = tmp_path / "tiny.py"
    script.write_text("import sys\nmetrics = {'argv': sys.argv[1:]}\n")
    assert cli.run_script(script, ["--a", 1]) == {"argv": ["--a", "1"]}


def _stateful_lstm(batch):
    inputs = keras.Input(batch_shape=(batch, 1, 1))
    return keras.Model(inputs, keras.layers.LSTM(3, stateful=True)(inputs))


class ResetEvery(keras.callbacks.Callback):
    """Plain Keras, as a script writes it: zero the stateful layers' state at the start of
    each pass and of each predict run, and after every ``n``-th batch. On JAX this works
    only because ``import common`` applied ``common.backend_fixes.carry_stateful_state_on_jax``."""

    def __init__(self, n):
        super().__init__()
        self.n = n

    def reset(self):
        for layer in self.model.layers:
            if getattr(layer, "stateful", False):
                layer.reset_state()

    def on_epoch_begin(self, epoch, logs=None):
        self.reset()

    def on_predict_begin(self, logs=None):
        self.reset()

    def on_train_batch_end(self, batch, logs=None):
        if (batch + 1) % self.n == 0:
            self.reset()

    on_predict_batch_end = on_train_batch_end


class BatchLosses(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.losses = []

    def on_train_batch_end(self, batch, logs=None):
        self.losses.append(float(logs["loss"]))  # the running mean over the pass so far


def _direct_outputs(model, sequence):
    """The stateful model's output after feeding ``sequence`` step by step from a fresh
    state, calling the model directly (which carries state on every backend)."""
    model.layers[1].reset_state()
    for value in sequence:
        out = model(np.array(value, dtype="float32").reshape(1, 1, 1))
    return keras.ops.convert_to_numpy(out)[0]


def test_fit_carries_state_between_batches_and_resets_it(tmp_path):
    """With a learning rate of 0 the model is fixed, so a zero running loss after every batch
    means fit fed each batch the state the previous batch left (on JAX too), and the plain
    callback's ``reset_state()`` after 2 batches gave batch 3 a fresh state. The state fit
    ends with is kept, and the saved file holds the usual weights only."""
    keras.utils.set_random_seed(0)
    model = _stateful_lstm(1)
    steps = [0.5, -1.0, 2.0]
    targets = np.stack([_direct_outputs(model, steps[:1]), _direct_outputs(model, steps[:2]),
                        _direct_outputs(model, steps[2:3])])
    model.compile(optimizer=keras.optimizers.SGD(0.0), loss="mse")
    losses = BatchLosses()
    model.fit(np.array(steps, dtype="float32").reshape(3, 1, 1), targets, batch_size=1,
              shuffle=False, verbose=0, callbacks=[ResetEvery(2), losses])
    np.testing.assert_allclose(losses.losses, 0, atol=1e-10)
    assert len(losses.losses) == 3
    state = keras.ops.convert_to_numpy(model.layers[1].states[0].value + 0)[0]
    np.testing.assert_allclose(state, targets[2], atol=1e-6)
    assert len(model.get_weights()) == 3  # kernel, recurrent kernel, bias: no state
    model.save(tmp_path / "s.keras")
    assert len(keras.saving.load_model(tmp_path / "s.keras").weights) == len(model.weights)


def test_predict_carries_state_and_resets_every_n_batches():
    """Feeding 4 one-step batches with a reset every 2 batches must equal two runs over a
    2-step sequence from a fresh state; and the state predict ends with is written back."""
    keras.utils.set_random_seed(0)
    model = _stateful_lstm(1)
    steps = np.array([0.5, -1.0, 2.0, 0.3], dtype="float32").reshape(4, 1, 1)
    carried = model.predict(steps, batch_size=1, verbose=0, callbacks=[ResetEvery(2)])
    stateless_inputs = keras.Input(shape=(None, 1))
    stateless = keras.Model(stateless_inputs, keras.layers.LSTM(3)(stateless_inputs))
    stateless.set_weights(model.get_weights())
    expected = [stateless.predict(steps[i:i + k].reshape(1, k, 1), verbose=0)[0]
                for i, k in [(0, 1), (0, 2), (2, 1), (2, 2)]]
    np.testing.assert_allclose(carried, np.stack(expected), atol=1e-5)
    # The last batch ended a pair, so the callback zeroed the state; without the reset
    # predict leaves the last output as the state (h of an LSTM is its output).
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.layers[1].states[0].value),
                               0, atol=1e-7)
    last = model.predict(steps[:3], batch_size=1, verbose=0)
    np.testing.assert_allclose(keras.ops.convert_to_numpy(model.layers[1].states[0].value)[0],
                               last[-1], atol=1e-5)


def test_one_hot_any_shape():
    values = np.array([[0, 3, 9], [9, 1, 2]])
    encoded = data.one_hot_encode(values, 10)
    assert encoded.shape == (2, 3, 10) and encoded.dtype == np.float32
    assert encoded.sum() == values.size and encoded[0, 1, 3] == 1
    np.testing.assert_array_equal(encoded.argmax(-1), values)


def test_argument_types_accept(tmp_path):
    assert cli.int_at_least(1)("3") == 3 and cli.number_in(above=0)("0.5") == 0.5
    assert cli.number_in(at_least=0)("0") == 0.0 and cli.number_in(at_most=2)("2") == 2.0
    assert cli.name_list(("a", "b", "c"))(" c, a ") == ["c", "a"]
    assert cli.one_letter("ABC")("b") == "B"
    assert cli.int_at_least(0, cli.MAX_SEED)("4294967295") == 2**32 - 1
    assert cli.output_path(".png")(str(tmp_path / "p.png")) == tmp_path / "p.png"


def test_reversal_table_and_figure(capsys):
    """reverse_bidirectional's reporting: a column per output position named after the
    input it copies, the summary columns, and a figure with a bar group per position."""
    results = {"lstm": {"per_position_accuracy": [0.1, 0.5, 1.0], "element_accuracy": 0.5333,
                        "sequence_accuracy": 0.05, "epochs_run": 3, "train_seconds": 1.234}}
    cli.show_reversal_table(results, "title")
    out = capsys.readouterr().out
    assert out.startswith("\ntitle\n") and "pos 0 (x2)" in out and "pos 2 (x0)" in out
    assert "10.00%" in out and "53.33%" in out and "1.2" in out
    axis = plots.plot_reversal_accuracy(results, chance=0.1).axes[0]
    assert [label.get_text() for label in axis.get_xticklabels()] == ["0 (x2)", "1 (x1)", "2 (x0)"]
    assert axis.get_title() == "Reversing 3 integers: held-out accuracy per output position"


def test_published_and_measured_bars_pair_each_experiment():
    results = {"naive": {"tutorial_accuracy": 0.84, "accuracy": 1.0},
               "stateful": {"tutorial_accuracy": 1.0, "accuracy": 0.5}}
    axis = plots.plot_published_and_measured(results, "bars", chance=1 / 26).axes[0]
    assert [bar.get_height() for bar in axis.patches] == pytest.approx([84, 100, 100, 50])
    assert [label.get_text() for label in axis.get_xticklabels()] == ["naive", "stateful"]
    assert {text.get_text() for text in axis.get_legend().get_texts()} == {
        "tutorial (published)", "this run", "chance"}
