"""CI's guard, broken on purpose: a step passes only when every test it selected ran and
passed (.ci/all_ran.sh and .ci/all_ran.py). Each case runs a tiny pytest project of its own
in a temporary folder through the same bash function .ci/run uses."""

import os
import subprocess
import sys

import pytest

from conftest import ROOT

TESTS = '''
import os, time
import pytest

def test_quick():
    pass

@pytest.mark.skipif(os.environ.get("SKIP_ONE") == "1", reason="PyTorch is not installed")
def test_maybe_skipped():
    pass

def test_sleeps():
    time.sleep(float(os.environ.get("SLEEP", "0")))

def test_maybe_fails():
    assert os.environ.get("FAIL") != "1"
'''


def outside_pytest() -> dict:
    """This environment without what the running pytest put there (PYTEST_ADDOPTS from CI's
    own guard would send the tiny project's report elsewhere)."""
    return {key: value for key, value in os.environ.items() if not key.startswith("PYTEST_")}


def tiny_project(folder):
    (folder / "test_tiny.py").write_text(TESTS)
    (folder / "pytest.ini").write_text("[pytest]\n")  # none of the repository's options


def all_ran(tmp_path, limit, *, env=(), allow_skip=""):
    """Run the step function on the tiny project; returns the CompletedProcess."""
    tiny_project(tmp_path)
    script = (f". {ROOT / '.ci' / 'all_ran.sh'}\n"
              f"PY={sys.executable} ALLOW_SKIP='{allow_skip}' all_ran tiny {limit} -n 0 -q\n")
    return subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True,
                          env={**outside_pytest(), **dict(env)}, timeout=300)


def test_a_step_where_every_test_ran_and_passed_passes_and_says_how_many(tmp_path):
    done = all_ran(tmp_path, 120)
    assert done.returncode == 0, done.stderr
    assert "4 selected; 4 passed, 0 failed, 0 xfailed, 0 skipped; 0 never ran" in done.stdout


def test_a_step_stopped_by_its_time_limit_fails(tmp_path):
    done = all_ran(tmp_path, 5, env={"SLEEP": "60"})
    assert done.returncode != 0
    assert "stopped by the step's time limit" in done.stderr


def test_a_failing_test_fails_the_step(tmp_path):
    done = all_ran(tmp_path, 120, env={"FAIL": "1"})
    assert done.returncode != 0 and "1 tests failed" in done.stderr


def test_a_skipped_test_fails_the_step_unless_its_reason_is_expected(tmp_path):
    done = all_ran(tmp_path, 120, env={"SKIP_ONE": "1"})
    assert done.returncode != 0 and "1 selected tests were skipped" in done.stderr
    done = all_ran(tmp_path, 120, env={"SKIP_ONE": "1"}, allow_skip="PyTorch is not installed")
    assert done.returncode == 0, done.stderr


def test_a_missing_report_fails_the_step(tmp_path):
    # pytest said it passed, but wrote no report (a crash, a full disk, a step that never
    # started its tests): the check alone, with no report where it looks.
    tiny_project(tmp_path)
    done = subprocess.run(
        [sys.executable, str(ROOT / ".ci" / "all_ran.py"), "--report", str(tmp_path / "none.xml"),
         "--exit-code", "0", "--", "-n", "0", "-q"],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, env=outside_pytest())
    assert done.returncode != 0
    assert "no readable JUnit report" in done.stderr and "4 selected tests never ran" in done.stderr


@pytest.mark.parametrize("step", ["readme", "timing", "browser", "jax", "torch", "notf", "slow"])
def test_every_ci_step_runs_through_the_guard(step):
    run = (ROOT / ".ci" / "run").read_text()
    assert f"all_ran {step} " in run
    plain = [line for line in run.splitlines()
             if "-m pytest" in line and not line.lstrip().startswith("#")]
    assert not plain, f"a pytest command outside the guard: {plain}"
