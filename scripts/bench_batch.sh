#!/usr/bin/env bash
# Batch throughput benchmark (issue 5): 1,000 synthetic 3-minute 8 kHz calls with 1 and 2
# workers, and peak memory for one 3-minute call versus one 4-hour recording.
#   bash scripts/bench_batch.sh [CALLS] [LONG_HOURS]
# Needs a corpus from tools/corpus/make_corpus.py in ./corpus (the utterance pool). Figures go
# to bench-out/batch/results.jsonl and are printed; copy them into BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
CALLS=${1:-1000}
HOURS=${2:-4}
OUT=bench-out/batch
bash scripts/deps.sh >&2
for d in /opt/swift/usr/bin /usr/share/swift/usr/bin; do [ -x "$d/swift" ] && export PATH="$d:$PATH"; done
swift build -c release --product calltriage >&2
BIN=$(swift build -c release --show-bin-path)/calltriage
python3 tools/bench/make_batch_set.py --corpus corpus --out "$OUT" --calls "$CALLS" --long-hours "$HOURS" >&2
RES="$OUT/results.jsonl"
: > "$RES"
one() {  # label workers inputs...
  local label=$1 workers=$2; shift 2
  rm -f "$OUT/$label.sqlite"*
  "$BIN" run "$@" --db "$OUT/$label.sqlite" --workers "$workers" --quiet --summary-json "$OUT/$label.json" >&2 || true
  python3 - "$OUT/$label.json" "$label" >> "$RES" <<'PY'
import json, sys
s = json.load(open(sys.argv[1])); s["label"] = sys.argv[2]
print(json.dumps(s, sort_keys=True))
PY
}
one calls_w1 1 "$OUT/calls"
one calls_w2 2 "$OUT/calls"
mkdir -p "$OUT/single" && ln -sf "$(realpath "$OUT/calls/call00000.wav")" "$OUT/single/call00000.wav"
one single_3min 1 "$OUT/single"
one long 1 "$OUT/long"
python3 - "$RES" <<'PY'
import json, sys
rows = {r["label"]: r for r in map(json.loads, open(sys.argv[1]))}
print(f"{'run':<12} {'files':>6} {'audio h':>8} {'wall s':>8} {'×RT':>7} {'×RT/worker':>11} {'peak RSS MB':>12}")
for k, r in rows.items():
    print(f"{k:<12} {r['drafted']:>6} {r['audio_seconds']/3600:>8.2f} {r['wall_seconds']:>8.1f} {r['x_real_time']:>7.0f} "
          f"{r['x_real_time_per_worker']:>11.0f} {r['peak_rss_bytes']/2**20:>12.1f}")
if "calls_w1" in rows and "calls_w2" in rows:
    print(f"scaling 2 workers / 1: {rows['calls_w2']['x_real_time'] / rows['calls_w1']['x_real_time']:.2f}×")
PY
