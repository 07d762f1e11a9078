#!/usr/bin/env bash
# Spotting speed (issue 3 target: ≥ 500x real time per core for 300 keywords, release build,
# decoding and feature extraction included): `calltriage spot` over the first 200 dev utterances
# of a corpus, once with the first 300 keywords of Models/keywords.tsv and once with the whole
# list, both at their calibrated thresholds (Models/acoustic/thresholds.tsv: the decoder prunes
# against the threshold, so a higher one would flatter the speed). Prints audio seconds, CPU
# seconds and x real time: best and median of REPEAT runs (default 5).
# Usage: bash tools/kws/bench_spot.sh [CORPUS_DIR]   (default corpus3, else corpus)
set -euo pipefail
cd "$(dirname "$0")/../.."
CORPUS=${1:-corpus3}; [ -d "$CORPUS/dev" ] || CORPUS=corpus
BIN=.build/release/calltriage
[ -x "$BIN" ] || swift build -c release --product calltriage
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
python3 - "$tmp/kw300.txt" <<'PY'
import sys
th = {}
for l in open('Models/acoustic/thresholds.tsv', encoding='utf-8'):
    if l.startswith('#') or l.startswith('keyword\t'): continue
    k, v = l.rstrip('\n').split('\t'); th[k] = v
rows = [l.split('\t')[0] for l in open('Models/keywords.tsv', encoding='utf-8') if l.strip() and not l.startswith('#')][1:301]
open(sys.argv[1], 'w', encoding='utf-8').write(''.join(f"{k} #{th.get(k, '0.5')}\n" for k in rows))
PY
head -200 "$CORPUS/dev/manifest.jsonl" | python3 -c "
import sys, json
for l in sys.stdin: print('$CORPUS/dev/' + json.loads(l)['audio'])" > "$tmp/files.txt"
secs=$(python3 -c "
import soundfile as sf, sys
print(sum(sf.info(l.strip()).duration for l in open('$tmp/files.txt')))" 2>/dev/null || sox --i -D $(cat "$tmp/files.txt") | paste -sd+ | bc)
export OPENBLAS_NUM_THREADS=1
REPEAT=${REPEAT:-5}
[ "$REPEAT" -ge 1 ] 2>/dev/null || { echo "REPEAT must be a whole number >= 1" >&2; exit 2; }
run() {  # label, args...: REPEAT runs, CPU time of the fastest and the median (a VM's neighbours add noise)
  local label=$1; shift
  : > "$tmp/cpus"
  for _ in $(seq "$REPEAT"); do
    /usr/bin/time -f "%U %S %M" -o "$tmp/time" "$BIN" spot "$@" $(cat "$tmp/files.txt") > "$tmp/hits.jsonl" 2>/dev/null
    cat "$tmp/time" >> "$tmp/cpus"
  done
  python3 - "$tmp/cpus" "$label" "$secs" "$(wc -l < "$tmp/hits.jsonl")" <<'PY2'
import sys, statistics
path, label, secs, hits = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
rows = [tuple(map(float, l.split())) for l in open(path) if l.strip()]
cpus = sorted(u + s for u, s, _ in rows)
best, med = cpus[0], statistics.median(cpus)
rss = max(m for _, _, m in rows)
print(f"{label}: {secs:.1f} s of audio, CPU best {best:.2f} s / median {med:.2f} s of {len(cpus)} runs, "
      f"{secs / best:.0f}x (best) / {secs / med:.0f}x (median) real time per core, peak RSS {rss / 1024:.0f} MB, {hits} hits")
PY2
}
run "300 keywords (calibrated)" --keywords "$tmp/kw300.txt"
run "whole list ($(grep -v '^#' Models/keywords.tsv | sed 1d | grep -c .) keywords, calibrated)"
