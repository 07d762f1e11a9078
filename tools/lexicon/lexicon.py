"""Read Models/lexicon/{chars,words}.tsv and Models/keywords.tsv (helper for the Python tools;
the pipeline itself reads these files in Swift).

    from lexicon import Lexicon, read_keywords
    lex = Lexicon.load(REPO / "Models" / "lexicon")
    lex.reading("银行卡")          -> ['yin2', 'hang2', 'ka3']   (words.tsv longest match, else 1st char reading)
    lex.alternatives("行长")       -> [{'xing2','hang2',...}, {'zhang3','chang2'}]  (toneless sets per char)
"""
import re
from pathlib import Path

HAN = re.compile("[\u4e00-\u9fa5]")
CHARS_HEADER = "# calltriage-lexicon chars v1"
WORDS_HEADER = "# calltriage-lexicon words v1"
KEYWORDS_HEADER = "# calltriage-keywords v1"


def _rows(path, header, columns):
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    if not lines or lines[0] != header:
        raise ValueError(f"{path}: first line must be {header!r}")
    if len(lines) < 2 or lines[1].split("\t") != columns:
        raise ValueError(f"{path}: second line must be {chr(9).join(columns)!r}")
    for n, line in enumerate(lines[2:], start=3):
        if not line.strip() or line.startswith("#"):
            continue
        yield n, line.split("\t")


def toneless(s):
    return s.rstrip("12345")


class Lexicon:
    def __init__(self, chars, words):
        self.chars = chars          # char -> [TONE3 readings], most common first
        self.words = words          # word -> [TONE3 syllables]
        self.max_word = max((len(w) for w in words), default=1)

    @classmethod
    def load(cls, folder):
        folder = Path(folder)
        chars, words = {}, {}
        for n, f in _rows(folder / "chars.tsv", CHARS_HEADER, ["char", "readings"]):
            chars[f[0]] = f[1].split(",")
        for n, f in _rows(folder / "words.tsv", WORDS_HEADER, ["word", "pinyin"]):
            words[f[0]] = f[1].split(" ")
        return cls(chars, words)

    def reading(self, text):
        """Canonical TONE3 syllables of the Chinese characters of text (others skipped):
        greedy longest match in words.tsv, else each character's first reading."""
        out = []
        for run in re.findall("[\u4e00-\u9fa5]+", text):
            i = 0
            while i < len(run):
                for L in range(min(self.max_word, len(run) - i), 1, -1):
                    w = self.words.get(run[i:i + L])
                    if w:
                        out += w
                        i += L
                        break
                else:
                    out.append(self.chars[run[i]][0] if run[i] in self.chars else "?")
                    i += 1
        return out

    def alternatives(self, text):
        """Per character of text, the set of toneless syllables it may be read as (all char
        readings plus the word reading)."""
        sets = [{toneless(r) for r in self.chars.get(c, ["?"])} for c in text if HAN.match(c)]
        for k, r in enumerate(self.reading(text)):
            if k < len(sets):
                sets[k].add(toneless(r))
        return sets


def read_keywords(path):
    """[(keyword, [topics], category, weight, line number)] from a keywords.tsv."""
    out = []
    for n, f in _rows(path, KEYWORDS_HEADER, ["keyword", "topics", "category", "weight"]):
        if len(f) != 4:
            raise ValueError(f"{path}:{n}: expected 4 tab-separated columns, got {len(f)}")
        topics = [] if f[1] in ("", "-") else f[1].split(",")
        out.append((f[0], topics, f[2], float(f[3]), n))
    return out
