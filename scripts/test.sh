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

# The review page in a real browser (headless Chromium + Selenium). Installs what is missing;
# skips loudly (exit 77 from the script) only when the browser cannot be installed or started.
echo "==> review page in a real browser"
if ! command -v chromedriver >/dev/null 2>&1 || ! fc-list 2>/dev/null | grep -qi "wqy\|noto sans cjk"; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-wqy-zenhei >/dev/null 2>&1 \
    || { DEBIAN_FRONTEND=noninteractive $SUDO apt-get update -qq >/dev/null 2>&1 && \
         DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium chromium-driver fonts-wqy-zenhei >/dev/null 2>&1; } || true
fi
python3 -c "import selenium" 2>/dev/null || python3 -m pip install -q selenium >/dev/null 2>&1 || true
set +e
python3 tools/review/browser_test.py --bin "$(swift build --show-bin-path)/calltriage" --shots out/review-screens
browser=$?
set -e
case $browser in
  0) echo "review browser test: passed" ;;
  77) echo "review browser test: SKIPPED (see the message above)" ;;
  *) echo "review browser test: FAILED"; status=1 ;;
esac
exit "$status"
