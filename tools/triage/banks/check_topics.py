#!/usr/bin/env python3
"""Sanity check for topics/<id>.json phrase banks (see SCHEMA.md).

Usage: python3 check_topics.py [topic_id ...]   (default: every topics/*.json)
"""
import csv, glob, json, os, re, sys

HERE = os.path.dirname(os.path.abspath(__file__))
DOMAIN = os.path.normpath(os.path.join(HERE, "../../../../shared/domain"))
if not os.path.isdir(DOMAIN):
    DOMAIN = "/work/shared/domain"
TYPES = ["complain", "help", "report", "suggest", "consult"]
TRAIL = tuple("，。！？；、,.!?;:：…")
# words that would turn a non-emergency topic into an emergency / another topic
FORBIDDEN = {
    "gas_supply": ["味", "漏", "泄", "着火", "爆炸"],
    "elevator": ["困在", "被困", "关在里面出不来"],
    "fire_hazard": ["着火了", "起火了", "烧起来了", "正在烧"],
}


def load_topics():
    with open(os.path.join(DOMAIN, "topics.tsv"), encoding="utf-8") as f:
        return [r["id"] for r in csv.DictReader(f, delimiter="\t")]


def load_places():
    names = set()
    with open(os.path.join(DOMAIN, "gazetteer.tsv"), encoding="utf-8") as f:
        for r in csv.DictReader(f, delimiter="\t"):
            for v in r.values():
                v = (v or "").strip()
                if v:
                    names.add(v)
                    names.add(re.sub(r"(街道|区|市|县|镇)$", "", v))
    return {n for n in names if len(n) >= 2}


def check(path, topic_ids, places):
    errs = []
    tid = os.path.splitext(os.path.basename(path))[0]
    d = json.load(open(path, encoding="utf-8"))
    e = errs.append
    if set(d) != {"topic", "problems", "details", "types", "asks"}:
        e(f"keys {sorted(d)}")
    if d.get("topic") != tid:
        e(f"topic {d.get('topic')!r} != file name")
    if tid not in topic_ids:
        e("topic id not in topics.tsv")
    probs, dets = d.get("problems", []), d.get("details", [])
    types, asks = d.get("types", {}), d.get("asks", {})
    if len(probs) < 30: e(f"problems {len(probs)} < 30")
    if len(dets) < 12: e(f"details {len(dets)} < 12")
    if not set(types) <= set(TYPES): e(f"unknown types {set(types) - set(TYPES)}")
    if any(not isinstance(v, (int, float)) or v <= 0 for v in types.values()):
        e("type shares must be > 0 (omit types that never occur)")
    if abs(sum(types.values()) - 1) > 0.01: e(f"types sum {sum(types.values()):.3f}")
    if set(asks) != set(types): e(f"asks keys {sorted(asks)} != types {sorted(types)}")
    for t, lst in asks.items():
        need = 10 if t == "consult" else 6
        if len(lst) < need: e(f"asks[{t}] {len(lst)} < {need}")
    strings = [("problems", s) for s in probs] + [("details", s) for s in dets]
    strings += [(f"asks.{t}", s) for t, lst in asks.items() for s in lst]
    seen = {}
    for where, s in strings:
        if not isinstance(s, str) or not s.strip():
            e(f"{where}: empty/non-string {s!r}"); continue
        if s != s.strip(): e(f"{where}: whitespace around {s!r}")
        if s in seen: e(f"duplicate {s!r} ({seen[s]} / {where})")
        seen[s] = where
        if where == "asks.consult":
            if not s.endswith("？"): e(f"{where}: consult must end with ？: {s!r}")
            if s[:-1].endswith(TRAIL): e(f"{where}: doubled punctuation {s!r}")
        elif s.endswith(TRAIL):
            e(f"{where}: trailing punctuation {s!r}")
        if re.search(r"[,?!;]", s): e(f"{where}: half-width punctuation {s!r}")
        for p in places:
            if p in s: e(f"{where}: place name {p!r} in {s!r}")
        if where in ("problems", "details"):
            for w in FORBIDDEN.get(tid, []):
                if w in s: e(f"{where}: forbidden word {w!r} in {s!r}")
    counts = dict(problems=len(probs), details=len(dets),
                  asks={t: len(v) for t, v in asks.items()}, types=types)
    return errs, counts


def main():
    topic_ids = load_topics()
    places = load_places()
    files = ([os.path.join(HERE, "topics", a + ".json") for a in sys.argv[1:]]
             or sorted(glob.glob(os.path.join(HERE, "topics", "*.json"))))
    bad = 0
    for p in files:
        errs, c = check(p, topic_ids + ["out_of_scope"], places)
        status = "OK " if not errs else "ERR"
        print(f"{status} {os.path.basename(p):28s} problems={c['problems']:3d} details={c['details']:3d} asks={c['asks']}")
        for x in errs:
            print("     -", x)
        bad += bool(errs)
    print(f"{len(files)} files, {bad} with errors")
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
