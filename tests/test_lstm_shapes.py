"""lstm_shapes.py: every shape the tour checks, the stateful equivalence, and its flags."""

import json
import struct

import numpy as np
import pytest

import lstm_shapes
from common.data import make_rng

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
    (["--epochs", "0"], "argument --epochs"),
    (["--seed", "-1"], "argument --seed"),
    (["--plot", "no/such/folder/p.png"], "argument --plot"),
    (["--save", "shapes.h5"], "argument --save"),
    (["--no-such-flag"], "unrecognized arguments"),
]

# The default sizes: batch 4, timesteps 5, features 2, units 8, out-steps 3, chunks 4.
DEFAULT_SHAPES = {
    "input_and_units": {"input": (4, 5, 2), "output": (4, 8), "kernel": (2, 32),
                        "recurrent_kernel": (8, 32), "bias": (32,), "longer_input": (4, 15, 2),
                        "longer_output": (4, 8)},
    "many_to_one": {"input": (4, 5, 2), "lstm": (4, 8), "output": (4, 1)},
    "many_to_many": {"input": (4, 5, 2), "lstm": (4, 5, 8), "output": (4, 5, 2)},
    "one_to_many_repeat": {"input": (4, 2), "repeated": (4, 3, 2), "output": (4, 3, 8)},
    "one_to_many_feedback": {"input": (4, 1, 2), "step": (4, 1, 2), "output": (4, 3, 2)},
    "forecast_feedback": {"input": (4, 5, 2), "primed": (4, 5, 2), "output": (4, 3, 2)},
    "encoder_decoder": {"input": (4, 5, 2), "encoded": (4, 8), "repeated": (4, 3, 8),
                        "decoded": (4, 3, 8), "output": (4, 3, 2)},
    "stateful": {"input": (4, 20, 2), "output": (4, 20, 8), "batch": (4, 5, 2),
                 "state_0": (4, 8), "state_1": (4, 8)},
    "return_state": {"input": (4, 5, 2), "output": (4, 8), "hidden": (4, 8), "cell": (4, 8),
                     "second_input": (4, 3, 2), "second_output": (4, 3, 8)},
    "bidirectional": {"input": (4, 5, 2), "output": (4, 16), "output_sum": (4, 8),
                      "output_sequences": (4, 5, 16)},
}
NUMBERS = {"time_distributed_difference", "max_abs_difference", "reset_difference", "series"}


def only_shapes(section):
    return {key: value for key, value in section.items() if key not in NUMBERS}


def expected_shapes(b, t, f, u, n, c):
    """The same table for any sizes."""
    return {
        "input_and_units": {"input": (b, t, f), "output": (b, u), "kernel": (f, 4 * u),
                            "recurrent_kernel": (u, 4 * u), "bias": (4 * u,),
                            "longer_input": (b, 3 * t, f), "longer_output": (b, u)},
        "many_to_one": {"input": (b, t, f), "lstm": (b, u), "output": (b, 1)},
        "many_to_many": {"input": (b, t, f), "lstm": (b, t, u), "output": (b, t, f)},
        "one_to_many_repeat": {"input": (b, f), "repeated": (b, n, f), "output": (b, n, u)},
        "one_to_many_feedback": {"input": (b, 1, f), "step": (b, 1, f), "output": (b, n, f)},
        "forecast_feedback": {"input": (b, t, f), "primed": (b, t, f), "output": (b, n, f)},
        "encoder_decoder": {"input": (b, t, f), "encoded": (b, u), "repeated": (b, n, u),
                            "decoded": (b, n, u), "output": (b, n, f)},
        "stateful": {"input": (b, t * c, f), "output": (b, t * c, u), "batch": (b, t, f),
                     "state_0": (b, u), "state_1": (b, u)},
        "return_state": {"input": (b, t, f), "output": (b, u), "hidden": (b, u), "cell": (b, u),
                         "second_input": (b, n, f), "second_output": (b, n, u)},
        "bidirectional": {"input": (b, t, f), "output": (b, 2 * u), "output_sum": (b, u),
                          "output_sequences": (b, t, 2 * u)},
    }


TOUR = [
    (lstm_shapes.input_and_units, ()), (lstm_shapes.many_to_one, ()), (lstm_shapes.many_to_many, ()),
    (lstm_shapes.one_to_many_repeat, (3,)), (lstm_shapes.one_to_many_feedback, (3,)),
    (lstm_shapes.different_lengths, (3,)), (lstm_shapes.stateful_batches, (4,)),
    (lstm_shapes.return_state, (3,)), (lstm_shapes.bidirectional, ()),
]


@pytest.fixture(scope="module")
def default_run():
    return lstm_shapes.main(["--quiet", "--examples", "0"])


@pytest.mark.parametrize("step,extra", TOUR, ids=[step.__name__ for step, _ in TOUR])
def test_each_step_checks_the_shapes_of_the_tutorial(step, extra):
    sections = step(make_rng(0), 4, 5, 2, 8, *extra)
    assert sections
    for name, section in sections.items():
        assert only_shapes(section) == DEFAULT_SHAPES[name]


def test_main_returns_every_section(default_run):
    assert {"script", "backend", "seed", "train_seconds"} <= default_run.keys()
    assert default_run["script"] == "lstm_shapes" and default_run["train_seconds"] == 0.0
    for name, shapes in DEFAULT_SHAPES.items():
        assert only_shapes(default_run[name]) == shapes, name
    json.dumps(default_run)  # what --metrics writes


def test_other_sizes_including_the_smallest():
    metrics = lstm_shapes.main(["--quiet", "--examples", "0", "--batch-size", "1", "--timesteps", "1",
                                "--features", "3", "--units", "1", "--out-steps", "1", "--chunks", "2"])
    for name, shapes in expected_shapes(1, 1, 3, 1, 1, 2).items():
        assert only_shapes(metrics[name]) == shapes, name
    metrics = lstm_shapes.main(["--quiet", "--examples", "0", "--batch-size", "3", "--timesteps", "7",
                                "--features", "5", "--units", "6", "--out-steps", "4", "--chunks", "3"])
    for name, shapes in expected_shapes(3, 7, 5, 6, 4, 3).items():
        assert only_shapes(metrics[name]) == shapes, name


def test_echo_partial_shape():
    shapes = lstm_shapes.different_lengths(make_rng(0), 21, 5, 100, 150, 2)["encoder_decoder"]
    assert shapes["input"] == (21, 5, 100) and shapes["output"] == (21, 2, 100)
    model = lstm_shapes.build_encoder_decoder(5, 100, 150, 2)
    assert model.input_shape == (None, 5, 100) and model.output_shape == (None, 2, 100)


def test_stateful_batches_equal_the_whole_sequence(default_run):
    stateful = default_run["stateful"]
    assert stateful["max_abs_difference"] < 1e-5
    series = stateful["series"]
    assert len(series["whole"]) == 20
    np.testing.assert_allclose(series["in_batches"], series["whole"], atol=1e-5)
    # Resetting before every batch: the first batch is the same, the later ones are not.
    np.testing.assert_allclose(series["reset_each_batch"][:5], series["whole"][:5], atol=1e-5)
    assert stateful["reset_difference"] > 1e-3
    assert np.abs(np.subtract(series["reset_each_batch"][5:], series["whole"][5:])).max() > 1e-3


def test_reset_state_starts_over():
    model = lstm_shapes.build_stateful(batch=2, features=3, units=4)
    assert model.input_shape == (2, None, 3)
    x = make_rng(1).random((2, 6, 3), dtype=np.float32)
    first = lstm_shapes.run(model, x, reset=True)
    carried = lstm_shapes.run(model, x)  # continues from where the first call stopped
    again = lstm_shapes.run(model, x, reset=True)
    np.testing.assert_array_equal(first, again)
    assert np.abs(first - carried).max() > 1e-3
    assert [tuple(state.shape) for state in model.layers[-1].states] == [(2, 4), (2, 4)]


def test_dense_on_3d_equals_time_distributed(default_run):
    assert default_run["many_to_many"]["time_distributed_difference"] < 1e-6


def test_check_catches_a_wrong_shape():
    shapes = {}
    with pytest.raises(AssertionError, match="expected shape"):
        lstm_shapes.check(shapes, "output", np.zeros((4, 8)), (4, 5, 8))
    assert shapes == {}


def test_same_seed_same_numbers_other_seed_other_numbers(default_run):
    again = lstm_shapes.main(["--quiet", "--examples", "0"])
    other = lstm_shapes.main(["--quiet", "--examples", "0", "--seed", "8"])
    assert again["stateful"]["series"] == default_run["stateful"]["series"]
    assert other["stateful"]["series"] != default_run["stateful"]["series"]


def test_printed_tour_examples_and_plot(tmp_path, capsys):
    plot = tmp_path / "stateful.png"
    lstm_shapes.main(["--examples", "3", "--plot", str(plot)])
    out = capsys.readouterr().out
    for name in DEFAULT_SHAPES:
        assert f"\n{name}\n" in out  # one printed block per section
    assert "stateful vs whole: max |diff|" in out
    rows = [line.split() for line in out.splitlines() if line[:4].strip() in {"5", "6", "7"}
            and len(line.split()) == 4]
    assert [row[0] for row in rows] == ["5", "6", "7"]
    assert rows[0][1] == rows[0][2] == rows[0][3] and rows[1][1] == rows[1][2] != rows[1][3]
    header = plot.read_bytes()[:24]
    assert header[:4] == b"\x89PNG" and struct.unpack(">II", header[16:24]) == (800, 450)


def test_quiet_prints_only_the_summary(capsys):
    lstm_shapes.main(["--quiet", "--examples", "0"])
    out = capsys.readouterr().out
    assert "recurrent_kernel" not in out and "bidirectional" in out and "(4, 5, 2) -> (4, 16)" in out


def test_notebook_kernel_arguments_are_ignored(monkeypatch):
    monkeypatch.setattr("sys.argv", ["ipykernel_launcher.py", "-f", "/tmp/kernel.json"])
    monkeypatch.setitem(__import__("sys").modules, "ipykernel", object())
    args = lstm_shapes.parse()
    assert (args.batch_size, args.timesteps, args.features, args.units) == (4, 5, 2, 8)
