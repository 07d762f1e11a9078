#!/usr/bin/env bash
# Reproduces Models/triage/weights.tsv: synthetic calls from the phrase banks + the hand-written
# labelled calls, fitted by `calltriage model fit-triage` (deterministic), then scored on the
# held-out calls (heldout_calls.jsonl … heldout6_calls.jsonl, never fitted on) and, when ../shared is present, on its 40 dev calls.
# The hand-written calls are also spoken (tools/bench/make_bench_set.py, held-out voices, seed 777,
# ~11 minutes the first time, cached in bench-out/trainaudio) and spotted with the shipped acoustic model, keyword
# list, thresholds and verifier (--spot): those hits are each call's second audio view, so the
# heads learn what the spotter really hears. Refit after changing any of those.
#   bash tools/triage/fit.sh            # ~13 minutes on 2 cores (4 once the audio exists)
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build -c release 2>&1 | tail -n 1
BIN=.build/release/calltriage
python3 tools/triage/make_calls.py --n 12000 --seed 1 --out corpus_triage/train_calls.jsonl
HUMAN=(tools/triage/data/calls_*.jsonl)
# Speech is cached in bench-out/trainaudio/.cache: a rerun only synthesises new or changed calls.
python3 tools/bench/make_bench_set.py "${HUMAN[@]}" --seed 777 --jobs 2 --out bench-out/trainaudio | tail -n 3
# bench-out/trainaudio/manifest.jsonl holds the same calls (transcripts, labels) plus their audio.
"$BIN" model fit-triage corpus_triage/train_calls.jsonl bench-out/trainaudio/manifest.jsonl --weights 1,3 --spot \
    --l2 1e-5 --epochs 6 --seed 20261123 --ensemble 5 --version "${VERSION:-triage-$(date +%Y-%m-%d)}" \
    --out Models/triage/weights.tsv
"$BIN" model evaluate-triage tools/triage/data/heldout_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout2_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout3_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout4_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout5_calls.jsonl
"$BIN" model evaluate-triage tools/triage/data/heldout6_calls.jsonl
if [ -f ../shared/data/dev_calls.jsonl ]; then "$BIN" model evaluate-triage ../shared/data/dev_calls.jsonl; fi
