"""The time each script promises, measured.

Every script's header promises how long its default run takes, in one phrase a test can
read: "under N s on 2 CPU cores" (N seconds of training, from the run's own
``train_seconds``; for a script that trains nothing, the whole run as a process). The README
promises the longest of them for the collection.

The README's command checks that the promises are there and agree; CI's timing step
(``python -m pytest -m timing -n 0``, nothing else running beside it) runs every default run
alone, one after another, and fails where a run takes more than 25% over its promise. Those
runs are kept for the slow step's bars (``conftest.default_metrics``), so each default run
trains once in CI.
"""

import ast
import re

import pytest

from conftest import ROOT, default_metrics
from test_scripts import SCRIPTS, trains

PROMISE = re.compile(r"under (\d+) s on 2 CPU cores")
SLACK = 1.25  # how far over its promise a run may go before the promise is called broken


def header(script: str) -> str:
    """The script's docstring, its header."""
    return ast.get_docstring(ast.parse((ROOT / script).read_text()))


def promised_seconds(script: str) -> int:
    """The N of the header's "under N s on 2 CPU cores" (exactly one such phrase)."""
    found = PROMISE.findall(" ".join(header(script).split()))
    assert len(found) == 1, f"{script}'s header states its time as 'under N s on 2 CPU cores' once"
    return int(found[0])


@pytest.mark.parametrize("script", SCRIPTS)
def test_every_header_promises_a_measured_time(script):
    assert promised_seconds(script) > 0
    assert "laptop" not in header(script), "a time measured on 2 CPU cores, not on an unmeasured laptop"


def test_the_readme_promises_the_longest():
    readme = " ".join((ROOT / "README.md").read_text().split())
    longest = max(promised_seconds(name) for name in SCRIPTS)
    assert f"under {longest} s on 2 CPU cores" in readme
    assert "laptop" not in readme


def measured_seconds(script: str, metrics: dict) -> float:
    """Seconds of training, or, for a script that trains nothing, of the whole process."""
    return metrics["train_seconds"] if trains(script) else metrics["wall_seconds"]


@pytest.mark.timing
@pytest.mark.parametrize("script", SCRIPTS)
def test_default_run_keeps_its_time_promise(script):
    promise = promised_seconds(script)
    metrics = default_metrics(script, fresh=True)
    seconds = measured_seconds(script, metrics)
    print(f"{script}: {seconds:.1f} s against a promise of under {promise} s")
    assert seconds <= SLACK * promise, (
        f"{script}'s default run took {seconds:.1f} s, more than {SLACK:g}x its promise of "
        f"under {promise} s on 2 CPU cores: make it faster or promise what it takes")
