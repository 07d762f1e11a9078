#!/usr/bin/env python3
"""Validate a CallTriage keyword file (default Models/keywords.tsv) and print its statistics.

    python3 tools/lexicon/check_keywords.py [KEYWORDS.tsv] [--lexicon DIR] [--domain DIR] [--quiet]

Format (tab-separated, UTF-8):
    # calltriage-keywords v1
    keyword<TAB>topics<TAB>category<TAB>weight
    暖气不热<TAB>heating<TAB>topic<TAB>1.0
  keyword   2-8 Chinese characters (U+4E00-U+9FA5 only: no digits, Latin, punctuation)
  topics    comma-separated topic ids of topics.tsv that the keyword supports, or '-'
  category  topic | type:consult|help|complain|report|suggest | urgency | handoff:<handoffs.tsv id>
            | out_of_scope | place
  weight    0.2-1.0, how strongly the keyword indicates its topics/category

Errors (exit status 1): bad header/columns, bad keyword text or length, duplicate keyword, unknown
topic/category, weight out of range, 'topic' category without topics, a character missing from
Models/lexicon/chars.tsv, a topic of topics.tsv with fewer than 3 keywords, a request type or
hand-off without cues, a gazetteer district/street name missing (or not category 'place').
Warnings (reported, not fatal): keywords that are exact homophones of each other (same toneless
pinyin, indistinguishable in audio), and keywords of one syllable-pair pronunciation shared by
many others.
"""
import argparse
import collections
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from lexicon import Lexicon, read_keywords, toneless  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
KEYWORD_RE = re.compile("[\u4e00-\u9fa5]{2,8}")
TYPES = ["consult", "help", "complain", "report", "suggest"]
MIN_PER_TOPIC = 3


def read_tsv_column(path, col):
    rows = [l.split("\t") for l in Path(path).read_text(encoding="utf-8").splitlines()[1:] if l.strip()]
    return [r[col] for r in rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("keywords", nargs="?", type=Path, default=REPO / "Models" / "keywords.tsv")
    ap.add_argument("--lexicon", type=Path, default=REPO / "Models" / "lexicon")
    ap.add_argument("--domain", type=Path, default=REPO.parent / "shared" / "domain",
                    help="folder with topics.tsv, handoffs.tsv, gazetteer.tsv")
    ap.add_argument("--quiet", action="store_true", help="only errors and the summary line")
    args = ap.parse_args()

    errors, warnings = [], []
    topics = read_tsv_column(args.domain / "topics.tsv", 0)
    handoffs = read_tsv_column(args.domain / "handoffs.tsv", 0)
    gaz = args.domain / "gazetteer.tsv"
    places = list(dict.fromkeys(read_tsv_column(gaz, 0) + read_tsv_column(gaz, 1)))
    categories = {"topic", "urgency", "out_of_scope", "place"} | {f"type:{t}" for t in TYPES} \
        | {f"handoff:{h}" for h in handoffs}
    lex = Lexicon.load(args.lexicon)

    try:
        entries = read_keywords(args.keywords)
    except ValueError as e:
        sys.exit(f"error: {e}")
    seen = {}
    for kw, tps, cat, w, n in entries:
        where = f"{args.keywords.name}:{n} {kw}"
        if not KEYWORD_RE.fullmatch(kw):
            errors.append(f"{where}: keyword must be 2-8 characters U+4E00-U+9FA5")
        if kw in seen:
            errors.append(f"{where}: duplicate of line {seen[kw]}")
        seen.setdefault(kw, n)
        for t in tps:
            if t not in topics:
                errors.append(f"{where}: unknown topic {t!r}")
        if len(set(tps)) != len(tps):
            errors.append(f"{where}: repeated topic")
        if cat not in categories:
            errors.append(f"{where}: unknown category {cat!r}")
        if cat == "topic" and not tps:
            errors.append(f"{where}: category 'topic' needs at least one topic")
        if not 0.2 <= w <= 1.0:
            errors.append(f"{where}: weight {w} outside 0.2-1.0")
        missing = [c for c in kw if c not in lex.chars]
        if missing:
            errors.append(f"{where}: not in chars.tsv: {''.join(missing)}")

    per_topic = collections.Counter(t for _, tps, _, _, _ in entries for t in tps)
    per_topic_primary = collections.Counter(tps[0] for _, tps, cat, _, _ in entries if tps)
    for t in topics:
        if per_topic[t] < MIN_PER_TOPIC:
            errors.append(f"topic {t}: {per_topic[t]} keywords (< {MIN_PER_TOPIC})")
    per_cat = collections.Counter(cat for _, _, cat, _, _ in entries)
    for c in [f"type:{t}" for t in TYPES] + [f"handoff:{h}" for h in handoffs] + ["urgency", "out_of_scope"]:
        if per_cat[c] == 0:
            errors.append(f"category {c}: no keywords")
    cat_of = {kw: cat for kw, _, cat, _, _ in entries}
    for p in places:
        if p not in cat_of:
            errors.append(f"gazetteer name {p} missing")
        elif cat_of[p] != "place":
            errors.append(f"gazetteer name {p} has category {cat_of[p]}, expected place")

    # homophones: same toneless canonical reading
    by_sound = collections.defaultdict(list)
    for kw, *_ in entries:
        by_sound[" ".join(toneless(s) for s in lex.reading(kw))].append(kw)
    for sound, kws in sorted(by_sound.items()):
        if len(kws) > 1:
            warnings.append(f"homophones ({sound}): {' '.join(kws)}")

    # statistics
    nsyl = collections.Counter(len(kw) for kw, *_ in entries)
    print(f"{args.keywords}: {len(entries)} keywords")
    if not args.quiet:
        print("per category: " + ", ".join(f"{c} {n}" for c, n in sorted(per_cat.items(), key=lambda x: (-x[1], x[0]))))
        print("length (characters): " + ", ".join(f"{k}: {v}" for k, v in sorted(nsyl.items())))
        print(f"topics covered: {sum(1 for t in topics if per_topic[t] >= MIN_PER_TOPIC)}/{len(topics)}; "
              f"keywords per topic (any listing / as first topic):")
        for t in topics:
            print(f"  {t:24s} {per_topic[t]:3d} {per_topic_primary[t]:3d}")
        print(f"places: {sum(1 for p in places if p in cat_of)}/{len(places)} gazetteer names present")
        for w in warnings:
            print(f"warning: {w}")
    for e in errors:
        print(f"error: {e}", file=sys.stderr)
    print(f"{'FAILED' if errors else 'OK'}: {len(errors)} errors, {len(warnings)} warnings")
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
