#!/usr/bin/env bash
# The whole test suite: install what is missing, build, run every test.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
swift build --build-tests 2>&1 | tail -n 3
# The suite is XCTest; Swift Testing would add a misleading "0 tests" closing line.
log=$(mktemp)
set +e
swift test --disable-swift-testing 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain closing line: "N passed, N failed".
total=$(grep -E "^\s*Executed [0-9]+ tests?, with [0-9]+ failures?" "$log" | tail -n 1)
if [ -n "$total" ]; then
  n=$(echo "$total" | sed -E 's/.*Executed ([0-9]+) tests?.*/\1/')
  f=$(echo "$total" | sed -E 's/.*with ([0-9]+) failures?.*/\1/')
  echo "tests: $((n - f)) passed, $f failed"
fi
rm -f "$log"
exit "$status"
