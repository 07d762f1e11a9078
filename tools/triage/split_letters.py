#!/usr/bin/env python3
"""Split ../shared/data/jiamusi_letters.jsonl into a fitting part and a held-out part.

The split is by a hash of each letter's id (stable whatever the file order): 1 in 5 letters is
held out and never used for fitting. Labels keep only `units` (where the letter was answered)
and `type` when the letter was filed as a consultation. Text is not copied into the repository:
the output goes to a git-ignored folder.

    python3 tools/triage/split_letters.py ../shared/data/jiamusi_letters.jsonl corpus_triage/
"""
import hashlib, json, os, sys

src, outdir = sys.argv[1], sys.argv[2]
os.makedirs(outdir, exist_ok=True)
fit = open(os.path.join(outdir, 'letters_fit.jsonl'), 'w', encoding='utf-8')
held = open(os.path.join(outdir, 'letters_heldout.jsonl'), 'w', encoding='utf-8')
n = [0, 0]
for line in open(src, encoding='utf-8'):
    r = json.loads(line)
    if not r.get('transcript') or not r.get('labels', {}).get('units'):
        continue
    h = int(hashlib.sha256(r['id'].encode()).hexdigest()[:8], 16)
    out = {'id': r['id'], 'transcript': r['transcript'], 'labels': {'units': r['labels']['units']}}
    if h % 5 == 0:
        held.write(json.dumps(out, ensure_ascii=False) + '\n'); n[1] += 1
    else:
        fit.write(json.dumps(out, ensure_ascii=False) + '\n'); n[0] += 1
print(f'fit {n[0]}, held out {n[1]}', file=sys.stderr)
