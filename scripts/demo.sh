#!/usr/bin/env bash
# The main job end to end on the committed AudioFixtures: install what is missing, build in
# release mode, analyse every recording and print the summary. (Until the batch command lands,
# the main job is `calltriage inspect`; bad-input fixtures are expected to fail, one line each.)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/deps.sh
echo "==> swift build -c release"
swift build -c release 2>&1 | tail -n 3
BIN=.build/release/calltriage
echo "==> calltriage inspect AudioFixtures/audio/*"
set +e
"$BIN" inspect AudioFixtures/audio/*
status=$?
set -e
echo "==> exit status $status (1 = some files failed: the fixtures include 10 deliberately broken files)"
echo "==> calltriage spot AudioFixtures/audio/speech_*.wav   (keyword spotting, calibrated thresholds)"
"$BIN" spot AudioFixtures/audio/speech_*.wav || true
echo "==> calltriage triage --format text AudioFixtures/audio/speech_*.wav   (ticket drafts from audio alone; --format json is the draft schema)"
"$BIN" triage --format text AudioFixtures/audio/speech_*.wav || true
