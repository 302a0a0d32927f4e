"""lstm_shapes.py: every shape the tour checks, the stateful, window and stream comparisons,
the float32 tolerance of its checks, its flags, and its saved model."""

import contextlib
import io
import json
import struct

import keras
import numpy as np
import pytest

from common import cli
from conftest import predict_in_fresh_process, pretend_notebook, run_namespace

SCRIPT = "lstm_shapes.py"
SMOKE_ARGS = ["--quiet"]
BAD_INPUTS = [
    (["--units", "0"], "argument --units"),
    (["--timesteps", "-1"], "argument --timesteps"),
    (["--features", "two"], "argument --features"),
    (["--batch-size", "0"], "argument --batch-size"),
    (["--out-steps", "0"], "argument --out-steps"),
    (["--chunks", "1"], "argument --chunks"),
    (["--units", "2.5"], "argument --units"),
    (["--timesteps", ""], "argument --timesteps"),
    (["--epochs", "3"], "unrecognized arguments"),  # a tour that trains nothing has no --epochs
    (["--seed", "-1"], "argument --seed"),
    (["--plot", "no/such/folder/p.png"], "argument --plot"),
    (["--save", "shapes.h5"], "argument --save"),
    (["--no-such-flag"], "unrecognized arguments"),
    # Sizes that parse but would not fit in memory: refused before any array is made.
    (["--timesteps", "5000", "--chunks", "5000"], "argument --batch-size, --timesteps"),
    (["--units", "100000"], "argument --batch-size, --timesteps"),
]

# Every number in the script's prose (tests/test_claims.py checks these tables).
CLAIMS = {
    "0.0": ("many_to_many.time_distributed_difference", "stateful.max_abs_difference",
            "stream.final_output_difference"),
    "0.25": "stateful.reset_difference",
    "0.056": "windows.last_window_difference",
}


def expected_shapes(b, t, f, u, n, c, stream=10):
    """Every shape the tour checks, for any sizes (batch, timesteps, features, units,
    out-steps, chunks)."""
    return {
        "input_and_units": {"input": (b, t, f), "output": (b, u), "kernel": (f, 4 * u),
                            "recurrent_kernel": (u, 4 * u), "bias": (4 * u,),
                            "longer_input": (b, 3 * t, f), "longer_output": (b, u)},
        "many_to_one": {"input": (b, t, f), "lstm": (b, u), "output": (b, 1)},
        "many_to_many": {"input": (b, t, f), "lstm": (b, t, u), "output": (b, t, f)},
        "one_to_many_repeat": {"input": (b, f), "repeated": (b, n, f), "output": (b, n, u)},
        "one_to_many_feedback": {"input": (b, 1, f), "step": (b, 1, f), "output": (b, n, f)},
        "encoder_decoder": {"input": (b, t, f), "encoded": (b, u), "repeated": (b, n, u),
                            "decoded": (b, n, u), "output": (b, n, f)},
        "return_state": {"input": (b, t, f), "output": (b, u), "hidden": (b, u), "cell": (b, u),
                         "second_input": (b, n, f), "second_output": (b, n, u)},
        "bidirectional": {"input": (b, t, f), "output": (b, 2 * u), "output_sum": (b, u),
                          "output_sequences": (b, t, 2 * u)},
        "stateful": {"input": (b, t * c, f), "output": (b, t * c, u), "batch": (b, t, f),
                     "state_0": (b, u), "state_1": (b, u)},
        "windows": {"input": (t * (c - 1) + 1, t, f), "output": (t * (c - 1) + 1, u)},
        "stream": {"chunk": (b, t, f), "chunk_output": (b, t, u), "input": (b, t * stream, f),
                   "output": (b, t * stream, u)},
    }


def only_shapes(section):
    return {key: value for key, value in section.items() if isinstance(value, (tuple, list))
            and key != "series"}


def run_tour(*args):
    """Run the script in this process as `python lstm_shapes.py ARGS`; return its namespace
    (its functions and `metrics`) and what it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        namespace = run_namespace(SCRIPT, *args)
    return namespace, out.getvalue()


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """The default run, printing everything, drawing its plot and saving its model."""
    folder = tmp_path_factory.mktemp("shapes")
    namespace, out = run_tour("--plot", str(folder / "stateful.png"),
                              "--save", str(folder / "encoder_decoder.keras"))
    return namespace, out, folder / "stateful.png", folder / "encoder_decoder.keras"


def test_default_run_checks_every_shape(tour):
    metrics = tour[0]["metrics"]
    assert {"script", "backend", "seed"} <= metrics.keys() and metrics["script"] == "lstm_shapes"
    assert "train_seconds" not in metrics  # it trains nothing
    for name, shapes in expected_shapes(4, 5, 2, 8, 3, 4).items():
        assert only_shapes(metrics[name]) == shapes, name
    json.dumps(metrics)  # what --metrics writes


def test_other_sizes_including_the_smallest():
    metrics = run_tour("--quiet", "--batch-size", "1", "--timesteps", "1", "--features", "3",
                       "--units", "1", "--out-steps", "1", "--chunks", "2")[0]["metrics"]
    for name, shapes in expected_shapes(1, 1, 3, 1, 1, 2).items():
        assert only_shapes(metrics[name]) == shapes, name
    metrics = run_tour("--quiet", "--batch-size", "3", "--timesteps", "7", "--features", "5",
                       "--units", "6", "--out-steps", "4", "--chunks", "3")[0]["metrics"]
    for name, shapes in expected_shapes(3, 7, 5, 6, 4, 3).items():
        assert only_shapes(metrics[name]) == shapes, name


def test_echo_partial_shape(tour):
    model = tour[0]["build_encoder_decoder"](5, 100, 150, 2)
    assert model.input_shape == (None, 5, 100) and model.output_shape == (None, 2, 100)


def test_same_numbers_where_the_tour_says_so(tour):
    """Each comparison the tour calls equal is equal to float32 rounding on this machine."""
    metrics = tour[0]["metrics"]
    for section, name in [("many_to_many", "time_distributed_difference"),
                          ("return_state", "output_vs_hidden"), ("bidirectional", "forward_half"),
                          ("bidirectional", "backward_half"), ("stateful", "max_abs_difference"),
                          ("windows", "first_window_difference"),
                          ("stream", "final_output_difference")]:
        assert metrics[section][name] < 1e-5, (section, name)


def test_stateful_batches_equal_the_whole_sequence_and_resets_differ(tour):
    stateful = tour[0]["metrics"]["stateful"]
    series = stateful["series"]
    assert len(series["whole"]) == 20
    np.testing.assert_allclose(series["in_batches"], series["whole"], atol=1e-5)
    # Resetting before every batch: the first batch is the same, the later ones are not.
    np.testing.assert_allclose(series["reset_each_batch"][:5], series["whole"][:5], atol=1e-5)
    assert stateful["reset_difference"] > 1e-2
    assert np.abs(np.subtract(series["reset_each_batch"][5:], series["whole"][5:])).max() > 1e-3


def test_a_window_cannot_see_before_its_start(tour):
    assert tour[0]["metrics"]["windows"]["last_window_difference"] > 1e-2


def test_reset_state_starts_over(tour):
    model = tour[0]["build_stateful"](batch=2, features=3, units=4)
    assert model.input_shape == (2, None, 3)
    x = np.random.default_rng(1).random((2, 6, 3), dtype=np.float32)
    lstm, numpy = model.layers[1], keras.ops.convert_to_numpy
    lstm.reset_state()
    first = numpy(model(x))
    carried = numpy(model(x))  # continues from where the first call stopped
    lstm.reset_state()
    again = numpy(model(x))
    np.testing.assert_allclose(first, again, rtol=1e-6, atol=1e-6)
    assert np.abs(first - carried).max() > 1e-3
    assert [tuple(state.shape) for state in lstm.states] == [(2, 4), (2, 4)]


def tf32(values):
    """``values`` rounded to TF32 (10 bits of mantissa), as a GPU's tensor cores read float32."""
    bits = np.asarray(values, dtype=np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x1000) & 0xFFFFE000).astype(np.uint32).view(np.float32)


def test_checks_pass_gpu_rounding_and_fail_real_differences_clearly(tour):
    """The tolerance takes what a GPU's TF32 matrix products do to a Dense layer, and still
    stops, with a message that says what differs, on a difference as large as a reset's."""
    namespace = tour[0]
    difference = namespace["difference"]
    rng = np.random.default_rng(0)
    h = rng.uniform(-1, 1, (64, 128)).astype(np.float32)  # LSTM outputs
    kernel = rng.uniform(-0.2, 0.2, (128, 16)).astype(np.float32)
    cpu, gpu = h @ kernel, (tf32(h).astype(np.float64) @ tf32(kernel)).astype(np.float32)
    assert np.abs(cpu - gpu).max() > 1e-5  # what the old `< 1e-5` check failed on
    difference("test", "gpu_rounding", cpu, gpu)
    with pytest.raises(AssertionError, match=r"test/reset: should agree up to float32 rounding"):
        difference("test", "reset", cpu, cpu + 0.01)
    with pytest.raises(AssertionError, match=r"output: expected shape \(4, 5, 8\), got \(4, 8\)"):
        namespace["check"]("test", "output", np.zeros((4, 8)), (4, 5, 8))


def test_same_seed_same_numbers_other_seed_other_numbers(tour):
    again = run_tour("--quiet")[0]["metrics"]
    other = run_tour("--quiet", "--seed", "8")[0]["metrics"]
    series = tour[0]["metrics"]["stateful"]["series"]
    assert again["stateful"]["series"] == series and other["stateful"]["series"] != series


def test_printed_tour_examples_and_plot(tour):
    metrics, out, plot = tour[0]["metrics"], tour[1], tour[2]
    for name in expected_shapes(4, 5, 2, 8, 3, 4):
        assert f"\n{name}\n" in out  # one printed block per section
    assert out.count('Model: "') == 2  # the summaries of the two models the tour builds
    assert "stateful batches vs whole: max |diff|" in out
    rows = [line.split() for line in out.splitlines() if line[:4].strip() in {"5", "6", "7"}
            and len(line.split()) == 4]
    assert [row[0] for row in rows] == ["5", "6", "7"]
    assert rows[0][1] == rows[0][2] == rows[0][3] and rows[1][1] == rows[1][2] != rows[1][3]
    header = plot.read_bytes()[:24]
    assert header[:4] == b"\x89PNG" and struct.unpack(">II", header[16:24]) == (800, 450)
    assert metrics["stateful"]["series"]["whole"][4] == float(rows[0][1])


def test_quiet_prints_only_the_summary():
    _, out = run_tour("--quiet")
    assert "recurrent_kernel" not in out and "Model:" not in out
    assert "(4, 5, 2) -> (4, 16)" in out and out.count("Settings: ") == 1


def test_notebook_kernel_arguments_are_ignored(tour, monkeypatch):
    pretend_notebook(monkeypatch)
    args = cli.read_settings(SCRIPT, None, tour[0]["SETTINGS"], tour[0]["finish"])  # no argv given
    assert (args.batch_size, args.timesteps, args.features, args.units) == (4, 5, 2, 8)


def test_saved_model_loads_anywhere_and_predicts_the_same(tour):
    """--save writes the (untrained) encoder-decoder; a Python that imports nothing from this
    repository loads it with keras.saving.load_model and predicts what the tour's model does."""
    namespace, saved = tour[0], tour[3]
    x = np.random.default_rng(3).random((4, 5, 2), dtype=np.float32)
    expected = keras.ops.convert_to_numpy(namespace["encoder_decoder"](x))
    np.testing.assert_allclose(predict_in_fresh_process(saved, x), expected, atol=1e-5)


def test_headline_quotes_the_stateful_comparison(tour):
    metrics = tour[0]["metrics"]
    assert metrics["headline"] == (
        f"stateful batches vs the whole sequence: max difference "
        f"{metrics['stateful']['max_abs_difference']:.1e}; reset every batch: "
        f"{metrics['stateful']['reset_difference']:.2f}; last 5-step window: "
        f"{metrics['windows']['last_window_difference']:.3f}")
