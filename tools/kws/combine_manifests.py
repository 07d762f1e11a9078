#!/usr/bin/env python3
"""Combine labelled-set manifests into one, rewriting `audio` (and adding `alignment`, the
corpus generator's `<id>.json` timing file) relative to the output's folder, so
`calltriage model train` can read several corpora at once.

    python3 tools/kws/combine_manifests.py OUT.jsonl corpus/train/manifest.jsonl corpus2/train/manifest.jsonl
"""
import json
import os
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    out = os.path.abspath(sys.argv[1])
    base = os.path.dirname(out)
    n = 0
    with open(out, "w", encoding="utf-8") as f:
        for m in sys.argv[2:]:
            folder = os.path.dirname(os.path.abspath(m))
            tag = os.path.basename(os.path.dirname(folder))          # e.g. corpus2
            for line in open(m, encoding="utf-8"):
                e = json.loads(line)
                e["id"] = f"{tag}-{e['id']}"
                ident = os.path.splitext(os.path.basename(e["audio"]))[0]
                e["audio"] = os.path.relpath(os.path.join(folder, e["audio"]), base)
                timing = os.path.join(folder, ident + ".json")
                if "alignment" in e:
                    e["alignment"] = os.path.relpath(os.path.join(folder, e["alignment"]), base)
                elif os.path.exists(timing):
                    e["alignment"] = os.path.relpath(timing, base)
                f.write(json.dumps(e, ensure_ascii=False) + "\n")
                n += 1
    print(f"{n} entries -> {out}")


if __name__ == "__main__":
    main()
