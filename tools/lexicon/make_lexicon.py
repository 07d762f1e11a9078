#!/usr/bin/env python3
"""Generate the pronunciation lexicon Models/lexicon/{chars,words}.tsv from pypinyin's data.

    python3 tools/lexicon/make_lexicon.py                 # rewrite Models/lexicon/ (run from anywhere)
    python3 tools/lexicon/make_lexicon.py --check         # regenerate in memory, compare, write nothing
    python3 tools/lexicon/make_lexicon.py --out DIR       # write somewhere else

Sources (pip install -r tools/lexicon/requirements.txt: pypinyin==0.55.0, MIT licence):
  * chars.tsv  <- pypinyin.pinyin_dict.pinyin_dict (from Unihan kHanyuPinyin/kMandarin/...):
    every character U+4E00-U+9FA5 pypinyin knows (20,892 of 20,902), readings in TONE3 with tone 5
    for the neutral tone, u-umlaut written v, in pypinyin's order (its first reading is the one it
    uses for a character on its own, i.e. the most common). The 'ê' interjection readings of
    欸/誒 are dropped (not ASCII, not a syllable the acoustic units model; both characters keep
    their other readings). Syllabic nasals (嗯 n2/ng2, 呣 m2, 哼 hng) are kept as pypinyin spells
    them.
  * words.tsv  <- pypinyin.phrases_dict.phrases_dict, first reading of each syllable: every phrase
    of 2-4 characters that contains at least one polyphonic character (one with two or more
    readings in chars.tsv) and occurs as a substring of
      (a) the keywords of Models/keywords.tsv, (b) the gazetteer's district/street names,
      (c) the transcripts of ../shared/data/dev_calls.jsonl and ../shared/data/jiamusi_letters.jsonl
    (read here only; none of their text is written), plus MUST_HAVE (domain words, written out
    below, added whether or not they are in the sources) and CORRECTIONS (where pypinyin's phrase
    reading is wrong for the hotline domain; these win over phrases_dict). Readings are citation
    tones: the 一/不 tone sandhi that phrases_dict writes in some phrases is undone (yi1, bu4).
Output is sorted (chars by code point, words by code points), so reruns are byte-identical.
"""
import argparse
import json
import re
import sys
from pathlib import Path

try:
    import pypinyin
    from pypinyin.contrib.tone_convert import to_tone3
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict
except ImportError:
    sys.exit("error: pypinyin is missing: pip install -r tools/lexicon/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
SHARED = REPO.parent / "shared"
PYPINYIN_VERSION = "0.55.0"
CJK_FIRST, CJK_LAST = 0x4E00, 0x9FA5
SYLLABLE = re.compile(r"[a-z]+[1-5]")
CHARS_HEADER = "# calltriage-lexicon chars v1"
WORDS_HEADER = "# calltriage-lexicon words v1"
MAX_WORDS_BYTES = 2_000_000

# Domain words that must be in words.tsv even if no source text contains them (reading: TONE3).
# Not all contain a polyphone (物业, 业主): the issue lists them, and a word entry also pins the
# reading used for keyword compilation.
MUST_HAVE = {
    "银行": "yin2 hang2", "长大": "zhang3 da4", "重庆": "chong2 qing4", "行业": "hang2 ye4",
    "供暖": "gong1 nuan3", "供热": "gong1 re4", "供水": "gong1 shui3", "供电": "gong1 dian4",
    "供气": "gong1 qi4", "调解": "tiao2 jie3", "物业": "wu4 ye4", "业主": "ye4 zhu3",
    "空调": "kong1 tiao2", "调查": "diao4 cha2", "着火": "zhao2 huo3", "着急": "zhao2 ji2",
    "睡不着": "shui4 bu4 zhao2", "还钱": "huan2 qian2", "还款": "huan2 kuan3",
    "退还": "tui4 huan2", "重新": "chong2 xin1", "严重": "yan2 zhong4", "单位": "dan1 wei4",
    "处理": "chu3 li3", "长江": "chang2 jiang1", "长期": "chang2 qi1", "行人": "xing2 ren2",
    "人行道": "ren2 xing2 dao4", "不行": "bu4 xing2", "便宜": "pian2 yi5", "方便": "fang1 bian4",
    "了解": "liao3 jie3", "流血": "liu2 xie3", "占道": "zhan4 dao4", "还有": "hai2 you3",
    "还是": "hai2 shi4", "都是": "dou1 shi4", "地方": "di4 fang1", "出差": "chu1 chai1",
    "差不多": "cha4 bu5 duo1", "银行卡": "yin2 hang2 ka3", "调解员": "tiao2 jie3 yuan2",
    "网吧": "wang3 ba1", "不还": "bu4 huan2", "借钱不还": "jie4 qian2 bu4 huan2",
    "欠钱不还": "qian4 qian2 bu4 huan2",
}
# pypinyin phrase readings that are wrong here (TONE3). Checked: each differs from phrases_dict.
CORRECTIONS = {
    "还款": "huan2 kuan3",      # phrases_dict: hai2 kuan3 (还款 = repay)
    "乡长": "xiang1 zhang3",    # phrases_dict: xiang1 chang2 (township head)
    "无处": "wu2 chu4",         # phrases_dict: wu2 chu3 (nowhere)
    "大夫": "dai4 fu5",         # phrases_dict: da4 fu1 (an ancient official); callers mean "doctor"
    "上行": "shang4 xing2",     # phrases_dict: shang4 hang2 (a rare sense); "going up / upbound"
}


# phrases_dict writes the tone sandhi of 一 and 不 in some phrases (一个 yi2 ge4, 一些 yi1 xie1,
# 不要 bu2 yao4 ...) but not in others; words.tsv gives citation tones throughout (sandhi, like
# third-tone sandhi, is left to whoever compiles keywords). The neutral tone (差不多 bu5) is kept.
CITATION = {("一", "yi2"): "yi1", ("一", "yi4"): "yi1", ("不", "bu2"): "bu4"}


def tone3(reading):
    """pypinyin tone-mark reading -> TONE3 (neutral = 5, ü = v)."""
    return to_tone3(reading, v_to_u=False, neutral_tone_with_five=True)


def char_table():
    """{char: [readings in TONE3, pypinyin order, deduplicated]} for U+4E00-U+9FA5."""
    table, dropped = {}, 0
    for cp in range(CJK_FIRST, CJK_LAST + 1):
        raw = pinyin_dict.get(cp)
        if not raw:
            continue
        out = []
        for r in raw.split(","):
            t = tone3(r.strip())
            if not SYLLABLE.fullmatch(t):
                dropped += 1          # 'ê' readings of 欸/誒
                continue
            if t not in out:
                out.append(t)
        if out:
            table[chr(cp)] = out
    return table, dropped


def read_keywords(path):
    words = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#") or line.startswith("keyword\t"):
            continue
        words.append(line.split("\t")[0])
    return words


def read_gazetteer(path):
    names = []
    for i, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
        if i == 0 or not line.strip():
            continue
        names += [f for f in line.split("\t") if f]
    return names


def read_transcripts(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line).get("transcript") or ""


def make_words(chars, texts):
    """Select phrases_dict entries; returns ({word: reading}, stats)."""
    poly = {c for c, rs in chars.items() if len(rs) > 1}
    cand = {}
    sandhi = 0
    for w, syls in phrases_dict.items():
        if 2 <= len(w) <= 4 and all(c in chars for c in w) and any(c in poly for c in w):
            reading = [tone3(s[0]) for s in syls]
            cit = [CITATION.get((c, r), r) for c, r in zip(w, reading)]
            sandhi += cit != reading
            cand[w] = " ".join(cit)
    found = set()
    for text in texts:
        n = len(text)
        for i in range(n - 1):
            for L in (2, 3, 4):
                if i + L <= n:
                    s = text[i:i + L]
                    if s in cand:
                        found.add(s)
    words = {w: cand[w] for w in found}
    stats = {"candidates": len(cand), "from_sources": len(found), "must_have_added": 0,
             "must_have_disagree": [], "corrected": [], "sandhi_undone": sandhi}
    for w, r in MUST_HAVE.items():
        if w not in words:
            if w in cand and cand[w] != r and w not in CORRECTIONS:
                stats["must_have_disagree"].append((w, cand[w], r))
            stats["must_have_added"] += 1
            words[w] = r
    for w, r in CORRECTIONS.items():
        old = words.get(w) or cand.get(w)
        if old != r:
            stats["corrected"].append((w, old, r))
        words[w] = r
    return words, stats


def validate(chars, words):
    """Every word syllable must be one of its character's readings (or a neutral-tone variant)."""
    problems = []
    for w, r in words.items():
        syls = r.split(" ")
        if len(syls) != len(w):
            problems.append(f"{w}: {len(syls)} syllables for {len(w)} characters")
            continue
        for c, s in zip(w, syls):
            if not SYLLABLE.fullmatch(s):
                problems.append(f"{w}: bad syllable {s!r}")
            elif s not in chars[c] and not (s.endswith("5") and any(x[:-1] == s[:-1] for x in chars[c])):
                problems.append(f"{w}: {c}={s} not among {','.join(chars[c])}")
    return problems


def render(chars, words):
    ctext = CHARS_HEADER + "\nchar\treadings\n" + "".join(
        f"{c}\t{','.join(rs)}\n" for c, rs in sorted(chars.items()))
    wtext = WORDS_HEADER + "\nword\tpinyin\n" + "".join(
        f"{w}\t{r}\n" for w, r in sorted(words.items()))
    return ctext, wtext


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "Models" / "lexicon")
    ap.add_argument("--keywords", type=Path, default=REPO / "Models" / "keywords.tsv")
    ap.add_argument("--gazetteer", type=Path, default=SHARED / "domain" / "gazetteer.tsv")
    ap.add_argument("--text", type=Path, nargs="*",
                    default=[SHARED / "data" / "dev_calls.jsonl", SHARED / "data" / "jiamusi_letters.jsonl"],
                    help="JSONL files whose 'transcript' texts select the phrases (read only)")
    ap.add_argument("--check", action="store_true", help="compare with the files in --out, write nothing")
    args = ap.parse_args()

    if pypinyin.__version__ != PYPINYIN_VERSION:
        print(f"warning: pypinyin {pypinyin.__version__}, the committed files were made with "
              f"{PYPINYIN_VERSION}; output may differ", file=sys.stderr)
    for p in [args.keywords, args.gazetteer, *args.text]:
        if not p.is_file():
            sys.exit(f"error: {p} not found (the word selection depends on it; see --help)")

    chars, dropped = char_table()
    texts = read_keywords(args.keywords) + read_gazetteer(args.gazetteer)
    n_src = len(texts)
    for p in args.text:
        texts += list(read_transcripts(p))
    words, st = make_words(chars, texts)
    problems = validate(chars, words)
    if problems:
        sys.exit("error: word readings not in chars.tsv:\n  " + "\n  ".join(problems))
    ctext, wtext = render(chars, words)
    if len(wtext.encode()) > MAX_WORDS_BYTES:
        sys.exit(f"error: words.tsv would be {len(wtext.encode())} bytes (> {MAX_WORDS_BYTES})")

    poly = sum(1 for rs in chars.values() if len(rs) > 1)
    print(f"chars.tsv: {len(chars)} characters ({poly} polyphonic, {dropped} non-ASCII 'ê' readings dropped), "
          f"{len(ctext.encode())} bytes")
    print(f"words.tsv: {len(words)} words ({st['from_sources']} of {st['candidates']} polyphone phrases of "
          f"2-4 characters found in {n_src} keywords/place names + {len(texts) - n_src} transcripts; "
          f"{st['must_have_added']} must-haves added, {len(st['corrected'])} corrections; "
          f"一/不 sandhi undone in {st['sandhi_undone']} candidate phrases), "
          f"{len(wtext.encode())} bytes")
    for w, old, new in st["corrected"]:
        print(f"  corrected {w}: pypinyin {old} -> {new}")
    for w, old, new in st["must_have_disagree"]:
        print(f"  note: must-have {w} = {new}, pypinyin phrases_dict has {old}")

    if args.check:
        bad = [n for n, t in (("chars.tsv", ctext), ("words.tsv", wtext))
               if not (args.out / n).is_file() or (args.out / n).read_text(encoding="utf-8") != t]
        if bad:
            sys.exit(f"check FAILED: differs from {args.out}: {', '.join(bad)}")
        print(f"check ok: {args.out} is up to date")
        return
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "chars.tsv").write_text(ctext, encoding="utf-8")
    (args.out / "words.tsv").write_text(wtext, encoding="utf-8")
    print(f"wrote {args.out / 'chars.tsv'} ({len(chars)} entries) and {args.out / 'words.tsv'} ({len(words)} entries)")


if __name__ == "__main__":
    main()
