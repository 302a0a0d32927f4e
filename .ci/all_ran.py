"""Fail a CI step unless every test its pytest command selected ran and passed.

    python .ci/all_ran.py --report R.xml --exit-code RC [--allow-skip TEXT] -- PYTEST-ARGS

.ci/run runs each step's pytest command with a JUnit report (PYTEST_ADDOPTS=--junitxml=R.xml,
so the command itself is the one the docs give) under `timeout`, then calls this with the
same arguments and the command's exit code. It collects what those arguments select
(`pytest --collect-only`, in one process) and reads the report, and it fails when:

- pytest was stopped by the time limit (exit code 124 or 137), or failed;
- the report is missing or unreadable;
- a selected test is not in the report (it never ran), or was skipped, unless the skip's
  message holds an --allow-skip text (an expected failure, xfail, counts as run).

It prints one line with the counts either way, so a green step says how many tests ran.
"""

import argparse
import re
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

TIMED_OUT = (124, 137)  # timeout's own exit codes: stopped at the limit, killed after it


def selected(python: str, pytest_args: list) -> list:
    """The node ids the arguments select, from ``pytest --collect-only -q`` in one process
    (the arguments' own verbosity flags aside: they change how the list is printed)."""
    verbosity = re.compile(r"^(-q+|-v+|--quiet|--verbose)$")
    kept = [arg for arg in pytest_args if not verbosity.match(arg)]
    done = subprocess.run([python, "-m", "pytest", "--collect-only", "-q", *kept,
                           "-n", "0", "-p", "no:cacheprovider"],
                          capture_output=True, text=True)
    if done.returncode not in (0, 5):  # 5: nothing selected
        sys.exit(f"all_ran: collecting the tests failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return [line.strip() for line in done.stdout.splitlines() if "::" in line]


def node_id(case) -> str:
    """A JUnit <testcase>'s pytest node id: classname tests.test_x(.Class) and name."""
    parts = case.get("classname", "").split(".")
    module = next((i for i in range(len(parts), 0, -1) if parts[i - 1].startswith("test_")), None)
    if module is None:  # not a test module's case (an interrupted session's own entry, say)
        return f"{case.get('classname', '')}::{case.get('name', '')}"
    return "::".join(["/".join(parts[:module]) + ".py", *parts[module:], case.get("name", "")])


def outcomes(report: Path) -> dict:
    """Node id -> 'passed', 'failed', 'xfailed' or 'skipped: MESSAGE', from a JUnit report."""
    found = {}
    for case in ElementTree.parse(report).getroot().iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            outcome = "failed"
        elif (skipped := case.find("skipped")) is not None:
            message = skipped.get("message", "")
            outcome = "xfailed" if skipped.get("type") == "pytest.xfail" else f"skipped: {message}"
        else:
            outcome = "passed"
        # A test whose setup or teardown failed has two entries: the worse one counts.
        if found.get(node_id(case)) != "failed":
            found[node_id(case)] = outcome
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--report", type=Path, required=True)
    parser.add_argument("--exit-code", type=int, required=True, help="the pytest command's")
    parser.add_argument("--allow-skip", action="append", default=[], metavar="TEXT",
                        help="a skip whose message holds TEXT counts as expected (several: "
                             "TEXT|TEXT)")
    parser.add_argument("--python", default=sys.executable, help="the Python that ran pytest")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    pytest_args = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args

    allowed = [text for texts in args.allow_skip for text in texts.split("|") if text]
    wanted = selected(args.python, pytest_args)
    problems = []
    if args.exit_code in TIMED_OUT:
        problems.append("pytest was stopped by the step's time limit")
    elif args.exit_code not in (0, 5):
        problems.append(f"pytest exited with {args.exit_code}")
    try:
        ran = outcomes(args.report)
    except (OSError, ElementTree.ParseError) as error:
        ran = {}
        problems.append(f"no readable JUnit report at {args.report} ({error})")
    missing = [test for test in wanted if test not in ran]
    skipped = [f"{test} ({outcome})" for test, outcome in ran.items()
               if test in wanted and outcome.startswith("skipped")
               and not any(text in outcome for text in allowed)]
    counts = {name: sum(1 for test in wanted if ran.get(test, "").startswith(name))
              for name in ("passed", "failed", "xfailed", "skipped")}
    print(f"all_ran: {len(wanted)} selected; " + ", ".join(f"{n} {name}" for name, n in counts.items())
          + f"; {len(missing)} never ran")
    if missing:
        problems.append(f"{len(missing)} selected tests never ran, e.g. " + "; ".join(missing[:5]))
    if skipped:
        problems.append(f"{len(skipped)} selected tests were skipped: " + "; ".join(skipped[:5]))
    if counts["failed"]:
        problems.append(f"{counts['failed']} tests failed")
    if not wanted:
        problems.append("the command selected no test")
    for problem in problems:
        print(f"all_ran: FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
