# shellcheck shell=bash
# all_ran NAME LIMIT PYTEST-ARGS...
#
# Runs `python -m pytest PYTEST-ARGS` (with $PY, default python) under a time limit of LIMIT
# seconds, with a JUnit report in .ci-reports/NAME.xml, then fails (returns non-zero) unless
# every test those arguments select ran and passed (.ci/all_ran.py): a time-out, a missing
# report, a test that never ran or that was skipped all fail it. ALLOW_SKIP names a skip
# message that is expected in that step. .ci/run sources this file; so does tests/test_ci.py,
# which breaks a step on purpose to show that it fails.
all_ran() {
  local name=$1 limit=$2 rc
  shift 2
  local report=".ci-reports/$name.xml" py=${PY:-python}
  mkdir -p .ci-reports
  rm -f "$report"
  PYTEST_ADDOPTS="--junitxml=$report" \
    timeout --signal=INT --kill-after=60 "$limit" "$py" -m pytest "$@" && rc=0 || rc=$?
  "$py" "$(dirname "${BASH_SOURCE[0]}")/all_ran.py" --report "$report" --exit-code "$rc" \
    --python "$py" ${ALLOW_SKIP:+--allow-skip "$ALLOW_SKIP"} -- "$@"
}
