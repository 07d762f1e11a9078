#!/usr/bin/env bash
# Reproduces Models/acoustic/ and the keyword-spotting numbers in BENCHMARKS.md:
#   1. generate the corpus (tools/corpus/make_corpus.py; ~12 min at --jobs 1),
#   2. train the acoustic model (calltriage model train; ~15 min, deterministic for the seed), make a
#      second training set and fine-tune on both (~25 min),
#   3. calibrate per-keyword thresholds on the first half of the negative audio,
#   4. evaluate recall / false alarms per hour on the held-out dev set plus the other half of the
#      negative audio (never used for calibration).
# Usage: bash tools/kws/train_and_evaluate.sh [CORPUS_DIR]   (skips step 1 when CORPUS_DIR exists)
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=${1:-corpus}
BIN=.build/release/calltriage
[ -x "$BIN" ] || swift build -c release
letters=(); [ -f ../shared/data/jiamusi_letters.jsonl ] && letters=(--letters ../shared/data/jiamusi_letters.jsonl)
if [ ! -f "$CORPUS/train/manifest.jsonl" ]; then
  python3 tools/corpus/make_corpus.py --out "$CORPUS" --jobs 1 "${letters[@]}"
fi
# Split the negative audio: odd lines calibrate, even lines evaluate.
awk 'NR % 2 == 1' "$CORPUS/neg/manifest.jsonl" > "$CORPUS/neg/calibrate.jsonl"
awk 'NR % 2 == 0' "$CORPUS/neg/manifest.jsonl" > "$CORPUS/neg/evaluate.jsonl"
"$BIN" model train "$CORPUS/train/manifest.jsonl" --dev "$CORPUS/dev/manifest.jsonl" \
  --seed 1 --epochs 14 --hidden 256,256,256 --out Models/acoustic/kws.ctkws
# A second training set (same held-out voices and sentence frames, another seed), then fine-tuning on both.
CORPUS2=${CORPUS}2
if [ ! -f "$CORPUS2/train/manifest.jsonl" ]; then
  python3 tools/corpus/make_corpus.py --out "$CORPUS2" --seed 777 --train-utts 4000 --dev-utts 10 \
    --neg-hours 0.01 --jobs 1 "${letters[@]}"
fi
python3 tools/kws/combine_manifests.py "${CORPUS}_train_all.jsonl" "$CORPUS/train/manifest.jsonl" "$CORPUS2/train/manifest.jsonl"
"$BIN" model train "${CORPUS}_train_all.jsonl" --dev "$CORPUS/dev/manifest.jsonl" \
  --init Models/acoustic/kws.ctkws --epochs 6 --learning-rate 5e-4 --out Models/acoustic/kws.ctkws
"$BIN" model calibrate "$CORPUS/neg/calibrate.jsonl" --out Models/acoustic/thresholds.tsv
"$BIN" model evaluate "$CORPUS/dev/manifest.jsonl" --negatives "$CORPUS/neg/evaluate.jsonl" \
  --json "$CORPUS/kws_eval.json"
