"""benchmarks/: the timing arithmetic, the tables, the sentence and where they are written.

Nothing here trains more than a few batch-1 updates; the benchmark itself is run by hand
(`python benchmarks/run.py`), as its README says.
"""

import importlib
import importlib.util
import json
import os
import subprocess
import sys
import time

import pytest

from benchmarks import run as bench
from conftest import ROOT
from benchmarks.timing import calls_for, time_loop


def row(task, backend, original, one_fit, ours, accuracy=0.999, target=10):
    return {"task": task, "backend": backend, "flags": "", "recipe": "original (5 fit calls)",
            "target": target, "original_seconds": original, "original_accuracy": None,
            "one_fit_seconds": one_fit, "one_fit_accuracy": None, "ours_seconds": ours,
            "ours_accuracy": accuracy, "note": "original 1 of 5 calls"}


ROWS = [row("echo_full", "tensorflow", 40.0, 8.0, 2.0),
        row("stateful_alphabet", "tensorflow", 30.0, 20.0, 2.0, target=20),
        row("forecast_feedback", "tensorflow", 5000.0, None, 2.5, accuracy=None, target=None),
        row("echo_full", "torch", 60.0, 6.0, 1.0)]


def test_the_loop_counts_the_first_call_once_and_extrapolates_the_rest():
    durations = iter([0.05, 0.01, 0.01])
    result = time_loop(lambda i: time.sleep(next(durations)), 3, 11)
    assert result["fit_calls"] == 3 and result["first_call_seconds"] >= 0.05
    steady = (result["train_seconds"] - result["first_call_seconds"]) / 2
    assert result["train_seconds_full"] == pytest.approx(result["first_call_seconds"] + 10 * steady)
    assert calls_for(0.001, 500) == 2 and calls_for(0.2, 500) == 100 and calls_for(1, 5) == 5
    with pytest.raises(ValueError):
        calls_for(0, 500)


def test_table_splits_each_speedup_into_loop_and_recipe():
    text = bench.table(ROWS)
    echo = next(line for line in text.splitlines() if line.startswith("| echo_full | TensorFlow"))
    # loop 40/8, recipe 8/2, whole 40/2 against the target 10
    assert "| 5.0x | 4.0x | 20.0x (10x, met) |" in echo
    alphabet = next(line for line in text.splitlines() if "stateful_alphabet" in line)
    assert "15.0x (20x, **missed**)" in alphabet
    forecast = next(line for line in text.splitlines() if "forecast_feedback" in line)
    assert "no one-fit version" in forecast and "2000x (no target)" in forecast
    assert "not measured" in forecast


def test_the_sentence_gives_loop_recipe_and_whole_ranges_per_backend():
    sentence = bench.summary(ROWS, ["tensorflow", "torch"])
    assert "1.5-5.0x on TensorFlow and 10.0x on PyTorch" in sentence  # the loop
    assert "4.0-10.0x on TensorFlow and 6.0x on PyTorch" in sentence  # the recipe
    assert "15.0-2000x on TensorFlow and 60.0x on PyTorch" in sentence  # in all
    assert "forecast_feedback" in sentence and "over echo_full" in sentence  # a part only
    assert "loop alone (the same recipe as one `fit` call with a reset callback) gave nothing " \
           "measured" in bench.summary(ROWS[2:3], ["tensorflow"])


def test_the_readme_gets_a_table_per_backend_from_the_last_run():
    text = bench.speedup_table(ROWS, ["tensorflow", "torch"])
    assert "| TensorFlow | 1.5-5.0x | 4.0-10.0x | 15.0-2000x |" in text  # loop, recipe, in all
    assert "| PyTorch | 10.0x | 6.0x | 60.0x |" in text
    assert "forecast_feedback counts only in the last column" in text
    assert "[benchmarks/](benchmarks/README.md)" in text
    # The README's block is what the tool makes from benchmarks/README.md's table, read back.
    readme = (ROOT / "README.md").read_text()
    block = readme.split(bench.SPEEDUP_BEGIN)[1].split(bench.SPEEDUP_END)[0]
    assert block.strip() == bench.speedup_table(bench.rows_from_readme(), list(bench.ALL_BACKENDS)).strip()


def test_markers_are_written_in_place_and_a_missing_pair_writes_nothing(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("a <!-- s: begin --><!-- s: end --> b\n<!-- t: begin -->\nold\n<!-- t: end -->\n")
    assert bench.write_between(page, "<!-- s: begin -->", "<!-- s: end -->", "Inline.", block=False)
    assert bench.write_between(page, "<!-- t: begin -->", "<!-- t: end -->", "| new |\n")
    assert page.read_text() == ("a <!-- s: begin -->Inline.<!-- s: end --> b\n"
                                "<!-- t: begin -->\n| new |\n<!-- t: end -->\n")
    assert bench.write_between(page, "<!-- s: begin -->", "<!-- s: end -->", "Again.", block=False)
    assert "<!-- s: begin -->Again.<!-- s: end -->" in page.read_text()
    before = page.read_text()
    assert not bench.write_between(page, "<!-- u: begin -->", "<!-- u: end -->", "x")
    assert page.read_text() == before


def test_the_backend_table_goes_where_its_markers_are(tmp_path, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (tmp_path / "README.md").write_text("no markers\n")
    (docs / "other.md").write_text(f"{bench.BACKENDS_BEGIN}\n{bench.BACKENDS_END}\n")
    monkeypatch.setattr(bench, "ROOT", tmp_path)
    monkeypatch.setattr(bench, "TOP_README", tmp_path / "README.md")
    found = bench.marked_file(bench.BACKENDS_BEGIN, bench.BACKENDS_END, docs / "backends.md")
    assert found == docs / "other.md"


def test_the_backend_table_covers_every_script_with_a_generic_row():
    assert {"echo_full", "lstm_shapes", "stateful_alphabet"} <= set(bench.scripts())
    assert "run" not in bench.scripts()
    new = {"train_seconds": 3.0, "headline": "teacher forcing: 99% of sequences"}
    assert bench.headline("new_script", new) == ("its headline", 3.0, new["headline"])
    assert bench.headline("new_script", {"train_seconds": 1.0, "accuracy": 0.5})[2] == 0.5
    rows = [{"script": "new_script", "backend": b, "label": "its headline", "seconds": s,
             "accuracy": new["headline"]} for b, s in (("tensorflow", 2.0), ("torch", 5.0))]
    text = bench.backend_table(rows, ["tensorflow", "jax", "torch"])
    assert "| 2.0 s, teacher forcing" in text and "5.0 s (2.5x TF)" in text
    assert "not run" in text


def test_update_readme_refuses_a_part_or_quick_runs(monkeypatch):
    monkeypatch.setenv("LSTM_TUTORIALS_QUICK", "1")
    with pytest.raises(SystemExit) as stop:
        bench.main(["--backend-table", "--update-readme"])
    assert stop.value.code == 2
    monkeypatch.delenv("LSTM_TUTORIALS_QUICK")
    with pytest.raises(SystemExit) as stop:
        bench.main(["--tasks", "echo_full", "--backends", "tensorflow", "--update-readme"])
    assert stop.value.code == 2
    with pytest.raises(SystemExit) as stop:
        bench.main(["--tasks", "echo_full", "--cpus", "0"])
    assert stop.value.code == 2


def test_an_original_runs_as_a_loop_and_as_one_fit():
    from benchmarks.original_stateful_alphabet import run

    loop = run(fraction=0.007, seed=7)
    one_fit = run(fraction=0.007, seed=7, one_fit=True)
    assert loop["fit_calls"] == 2 and one_fit["batches"] == 50
    assert loop["train_seconds_full"] > loop["train_seconds"]
    assert one_fit["train_seconds_full"] > one_fit["train_seconds"]


# The smallest share of each original: 2 calls (or 2 updates), so the first call counts once
# and the second gives the steady cost.
SMALLEST = {"echo_full": 0.004, "echo_partial": 0.0004, "reverse_bidirectional": 0.01,
            "stateful_alphabet": 0.007, "forecast_feedback": 1e-7}


@pytest.mark.slow
@pytest.mark.parametrize("task", list(bench.TASKS))
def test_every_original_extrapolates_from_its_first_and_steady_calls(task):
    module = importlib.import_module(f"benchmarks.original_{task}")
    modes = [False, True] if bench.TASKS[task]["one_fit"] else [False]
    for one_fit in modes:
        result = module.run(fraction=SMALLEST[task], seed=7, one_fit=one_fit)
        assert result["task"] == task  # a share: not scored
        assert result.get("sequence_accuracy", result.get("accuracy")) is None
        if "fit_calls" in result:  # a loop: first call once, the second for the other calls
            first, total, calls = (result["first_call_seconds"], result["train_seconds"],
                                   result["fit_calls_full"])
            assert result["fit_calls"] == 2
            assert result["train_seconds_full"] == pytest.approx(first + (total - first) * (calls - 1))
        else:  # one fit: all it ran, plus the steady cost of each batch not run
            assert result["batches"] < result["batches_full"]
            assert result["train_seconds_full"] > result["train_seconds"]
    if not bench.TASKS[task]["one_fit"]:
        with pytest.raises(ValueError, match="no one-fit version"):
            module.run(fraction=SMALLEST[task], seed=7, one_fit=True)


@pytest.mark.backends
@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_the_originals_run_on_every_backend(backend):
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    code = ("import json\n"
            "from benchmarks import original_echo_full as e, original_stateful_alphabet as a\n"
            "from benchmarks import original_forecast_feedback as f\n"
            "print(json.dumps([e.run(0.004, one_fit=False), e.run(0.004, one_fit=True),\n"
            "                  a.run(0.007, one_fit=False), a.run(0.007, one_fit=True),\n"
            "                  f.run(1e-7)]))\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)},
                          timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    results = json.loads(done.stdout.strip().splitlines()[-1])
    assert all(r["train_seconds_full"] > r["train_seconds"] > 0 for r in results)


def test_some_rows_measured_again_replace_theirs_and_keep_the_rest():
    """--backend-table --scripts A,B --update-readme: rows A and B come from the new run, with
    a note saying when; the other rows and the first run's header stay."""
    def rows(seconds):
        return [{"script": script, "backend": backend, "label": "x", "seconds": seconds,
                 "accuracy": None} for script in ("echo_full", "lstm_shapes")
                for backend in ("tensorflow", "jax")]

    old = "Measured before.\n\n" + bench.backend_table(rows(9.0), ["tensorflow", "jax"]) + "\n"
    new = bench.backend_table(rows(2.0), ["tensorflow", "jax"])
    note = f"{bench.NOTE_START} `lstm_shapes`, measured now."
    merged = bench.merge_rows(old, new, ["lstm_shapes"], note)
    assert merged.startswith("Measured before.\n\n" + note + "\n\n| script")
    assert "| echo_full (x) | 9.0 s |" in merged and "| lstm_shapes (x) | 2.0 s |" in merged
    again = bench.merge_rows(merged, new, ["lstm_shapes"], note)  # the old note goes
    assert again.count(bench.NOTE_START) == 1 and again == merged
    both = bench.merge_rows(old, new, ["echo_full", "lstm_shapes"],
                            f"{bench.NOTE_START} `echo_full`, `lstm_shapes`, measured then.")
    one = bench.merge_rows(both, new, ["lstm_shapes"], note)  # a note on more rows stays
    assert one.count(bench.NOTE_START) == 2
    with pytest.raises(ValueError):
        bench.merge_rows(old, new, ["stateful_alphabet"], note)
    with pytest.raises(SystemExit):
        bench.main(["--backend-table", "--scripts", "no_such_script"])
    with pytest.raises(SystemExit):
        bench.main(["--scripts", "lstm_shapes"])  # the benchmark takes --tasks
