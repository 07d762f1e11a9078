#!/usr/bin/env bash
# Reproduces Models/triage/weights.tsv: synthetic calls from the phrase banks + the hand-written
# labelled calls, fitted by `calltriage model fit-triage` (deterministic), then scored on the
# held-out calls (heldout_calls.jsonl, heldout2_calls.jsonl, heldout3_calls.jsonl, never fitted on) and, when ../shared is present, on its 40 dev calls.
#   bash tools/triage/fit.sh            # ~2 minutes on 2 cores
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release 2>&1 | tail -n 1
BIN=.build/release/calltriage
python3 tools/triage/make_calls.py --n 12000 --seed 1 --out corpus_triage/train_calls.jsonl
HUMAN=(tools/triage/data/calls_*.jsonl)
W="1"; for _ in "${HUMAN[@]}"; do W="$W,3"; done
"$BIN" model fit-triage corpus_triage/train_calls.jsonl "${HUMAN[@]}" --weights "$W" \
    --l2 1e-5 --epochs 6 --seed 20261123 --ensemble 5 --version "${VERSION:-triage-$(date +%Y-%m-%d)}" \
    --out Models/triage/weights.tsv
"$BIN" model evaluate-triage tools/triage/data/heldout_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout2_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout3_calls.jsonl
if [ -f ../shared/data/dev_calls.jsonl ]; then "$BIN" model evaluate-triage ../shared/data/dev_calls.jsonl; fi
