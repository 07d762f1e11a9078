#!/usr/bin/env python3
"""Synthetic *audio* benchmark set for `calltriage bench`: labelled call transcripts spoken by the
keyword-corpus TTS voices that the acoustic model never trained on, through a telephone channel,
with keyword reference times. The output is regenerated, never committed (bench-out/ is
git-ignored). See tools/bench/README.md.

    # full documented run: 240 held-out + 40 dev + 40 synthetic calls = 320, all 40 topic ids
    python3 tools/bench/make_bench_set.py tools/triage/data/heldout_calls.jsonl \\
        ../shared/data/dev_calls.jsonl --synthetic 40 --out bench-out/benchset --jobs 1
    # smoke test (a few seconds)
    python3 tools/bench/make_bench_set.py tools/triage/data/heldout_calls.jsonl --limit 5 --out /tmp/bs_smoke
    # espeak-ng only, 5 dB SNR, audio-only manifest (no transcripts: the bench scores audio alone)
    python3 tools/bench/make_bench_set.py tools/triage/data/heldout_calls.jsonl --no-zhvoice --snr 5 \\
        --no-transcript --out bench-out/benchset-5db
    # then
    calltriage bench bench-out/benchset/manifest.jsonl --out bench-out/report
    python3 tools/corpus/check_corpus.py bench-out/benchset/calls      # syllable spans vs audio energy

Inputs: labelled-set JSONL files (../shared/domain/LABELLED_SETS.md); each line needs "id",
"transcript" and "labels" (other fields are ignored; a line without a transcript is reported
and skipped). ../shared/data/dev_calls.jsonl is read at generation time only: its text lands
only in the uncommitted output. --synthetic N adds N calls from tools/triage/make_calls.py with
--synthetic-seed (never 1, the training seed); candidates whose transcript is in the triage
training data (make_calls --seed 1 --n 12000 as in tools/triage/fit.sh, and
tools/triage/data/calls_*.jsonl) or already in the set are passed over.

How the audio is made (functions of tools/corpus/make_corpus.py, imported, not copied):
  * the whole transcript is spoken in one TTS request (both engines pause at 、，。！？；：,
    zhvoice 0.2 s x speed, espeak ~170/330 ms); digits, Latin letters and spaces are first
    rewritten into speakable Chinese (phone/ID numbers digit by digit with 幺, short numbers as
    cardinals, letters by their Chinese-style names: KTV -> 开踢维), keeping a map from every
    spoken character back to the transcript;
  * voices: make_corpus's held-out (dev/neg) configurations only -- espeak-ng variants
    Andy aunty belinda edward2 f3 grandpa iven2 klatt3 linda m4 robert steph2 (wpm 150-205,
    pitch 30-70) and, for 45 % of the calls, zhvoice at speed 1.05, f0 0.95, sox pitch -500 cents;
  * channel: make_corpus's dev channel (lead/trail 0.3-0.6 s, 300-3400 Hz, pink or babble from
    the other bench calls at --snr dB, -30...-22 dBFS, mu-law or A-law round trip), 8 kHz 16-bit
    mono PCM;
  * keyword references: every occurrence in the transcript of every keyword of --keywords,
    nested ones too, from the spoken syllables' timings (make_corpus's convention), channel caller.
Voice and channel of a call are drawn from generators seeded by (--seed, call id), so a call
sounds the same whatever else is in the set (except its babble, drawn from the other calls).

Output (DIR = --out):
  DIR/manifest.jsonl       {"id", "audio", "transcript", "labels", "keywords", "voice", "snr_db"}
  DIR/audio/<id>.wav       8 kHz 16-bit mono PCM (the caller)
  DIR/calls/<id>.json      everything about one call (make_corpus's per-utterance JSON plus
                           transcript, labels, source; syllable "src" indexes spoken_text,
                           "tsrc" the transcript); DIR/calls/audio -> ../audio for check_corpus.py
  DIR/summary.json         counts, hours, per-topic counts, keyword references, voices, failures
  DIR/synthetic_calls.jsonl  the --synthetic calls (labelled text)
  DIR/.cache/              TTS outputs and clean 8 kHz speech (make_corpus's cache layout;
                           --cache to share one between output folders); reruns reuse it
"""
import argparse
import collections
import json
import multiprocessing as mp
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tools" / "corpus"))
import make_corpus as mc  # noqa: E402  (also puts tools/lexicon on sys.path, sets OMP_NUM_THREADS)
from lexicon import Lexicon, read_keywords, toneless  # noqa: E402
import numpy as np  # noqa: E402

FORMAT = "calltriage-benchset v1"
SPLIT = "dev"                 # make_corpus's held-out voices and channel
MAKE_CALLS = REPO / "tools" / "triage" / "make_calls.py"
TRAIN_CALLS_SEED, TRAIN_CALLS_N = 1, 12000          # as in tools/triage/fit.sh
HUMAN_TRAIN_GLOB = "tools/triage/data/calls_*.jsonl"
TOPICS_TSV = REPO / "Models" / "triage" / "topics.tsv"

# ------------------------------------------------------------------------------------------
# Transcript -> speakable text (Chinese characters and pause punctuation only)
# ------------------------------------------------------------------------------------------
HAN = re.compile("[\u4e00-\u9fa5]")
KEEP_PUNCT = set("、，。！？；：")
ASCII_PUNCT = {",": "，", ".": "。", "!": "！", "?": "？", ";": "；", ":": "：", "…": "。"}
DIGITS = "零一二三四五六七八九"
PHONE_DIGITS = "零幺二三四五六七八九"       # digit-by-digit, as callers read numbers out
SERVICE_NUMBERS = {"110", "112", "114", "119", "120", "122"}
LETTER_NAMES = {"A": "诶", "B": "比", "C": "西", "D": "迪", "E": "伊", "F": "艾弗", "G": "吉",
                "H": "艾尺", "I": "爱", "J": "杰", "K": "开", "L": "艾乐", "M": "艾姆", "N": "恩",
                "O": "欧", "P": "批", "Q": "丘", "R": "阿尔", "S": "艾斯", "T": "踢", "U": "优",
                "V": "维", "W": "达布溜", "X": "艾克斯", "Y": "歪", "Z": "贼"}
ALNUM = re.compile(r"[0-9A-Za-z\uff10-\uff19\uff21-\uff3a\uff41-\uff5a]+")


def _ascii(c):
    o = ord(c)
    return chr(o - 0xFEE0) if 0xFF10 <= o <= 0xFF5A else c


def cardinal(n):
    """0..9999 as spoken Chinese (十八, 一百零八, 两千零二十)."""
    if n == 0:
        return "零"
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        d = n // value % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        if unit == "十" and d == 1 and not out:
            out += "十"
        elif unit in ("千", "百") and d == 2 and not out:
            out += "两" + unit
        else:
            out += DIGITS[d] + unit
    return out


def read_digits(s, one="幺"):
    return "".join((one if c == "1" else PHONE_DIGITS[int(c)]) for c in s)


def read_number(run, after):
    """A run of ASCII digits: phone/ID/service numbers digit by digit, others as cardinals."""
    if run in SERVICE_NUMBERS or len(run) >= 5 or (len(run) >= 2 and run[0] == "0"):
        return read_digits(run)
    if len(run) == 4 and after == "年":
        return read_digits(run, "一")
    return cardinal(int(run))


def spoken_form(transcript):
    """(spoken text, src) where src[k] is the transcript index spoken character k comes from.
    Chinese characters and pause punctuation are kept one to one; digits, Latin letters and
    spaces are rewritten; anything else (quotes, brackets, symbols) is dropped."""
    out, src = [], []

    def emit(text, i):
        for c in text:
            out.append(c)
            src.append(i)

    def pause(i):
        if out and out[-1] not in KEEP_PUNCT:
            emit("，", i)

    i, n = 0, len(transcript)
    while i < n:
        c = transcript[i]
        if HAN.match(c) or c in KEEP_PUNCT:
            emit(c, i)
            i += 1
            continue
        m = ALNUM.match(transcript, i)
        if m:
            tok = "".join(_ascii(ch) for ch in m.group())
            after = transcript[m.end()] if m.end() < n else ""
            if after in ".:" and after and tok.isdigit():     # 3.5 -> 三点五, 10:30 -> 十点三十
                m2 = re.match(r"[.:](\d+)", transcript[m.end():])
                if m2:
                    emit(read_number(tok, "") if len(tok) < 5 else read_digits(tok), i)
                    emit("点", m.end())
                    frac = m2.group(1)
                    if after == ":" and len(frac) == 2:
                        emit(("零" if frac[0] == "0" and frac != "00" else "") + (cardinal(int(frac)) if frac != "00" else ""),
                             m.end() + 1)
                    else:
                        for k, d in enumerate(frac):
                            emit(DIGITS[int(d)], m.end() + 1 + k)
                    i = m.end() + len(m2.group())
                    continue
            has_digit = any(ch.isdigit() for ch in tok)
            has_alpha = any(ch.isalpha() for ch in tok)
            for part in re.finditer(r"\d+|[A-Za-z]+", tok):
                p, pi = part.group(), i + part.start()
                if p.isdigit():
                    nxt = tok[part.end()] if part.end() < len(tok) else after
                    if has_alpha:       # plate / model numbers: digit by digit
                        for k, d in enumerate(p):
                            emit(read_digits(d), pi + k)
                    else:
                        spoken = read_number(p, nxt)
                        if len(spoken) == len(p):       # digit by digit: map one to one
                            for k, ch in enumerate(spoken):
                                emit(ch, pi + k)
                        else:
                            emit(spoken, pi)
                else:
                    prev_digit = part.start() > 0 and tok[part.start() - 1].isdigit()
                    for k, L in enumerate(p.upper()):
                        # the X closing an ID number is read 叉
                        emit("叉" if (L == "X" and prev_digit and has_digit and len(p) == 1) else LETTER_NAMES[L], pi + k)
            i = m.end()
            continue
        if c.isspace():
            pause(i)
        elif c in ASCII_PUNCT:
            if out and out[-1] in KEEP_PUNCT:
                pass
            else:
                emit(ASCII_PUNCT[c], i)
        i += 1                                  # other symbols: dropped
    return "".join(out), src


# ------------------------------------------------------------------------------------------
# Inputs
# ------------------------------------------------------------------------------------------
def read_calls(path, log):
    calls, skipped = [], 0
    with open(path, encoding="utf-8-sig") as f:
        for lineno, line in enumerate(f, 1):
            if not line.strip() or line.lstrip().startswith(("#", "//")):
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                log(f"  {path}:{lineno}: not JSON ({e}), skipped")
                skipped += 1
                continue
            if not isinstance(obj, dict) or not isinstance(obj.get("id"), str) or not obj["id"]:
                log(f"  {path}:{lineno}: no id, skipped")
                skipped += 1
                continue
            t = obj.get("transcript")
            if not isinstance(t, str) or not t.strip():
                log(f"  {path}:{lineno}: call {obj['id']!r} has no transcript, skipped")
                skipped += 1
                continue
            if obj.get("labels") is None:
                log(f"  {path}:{lineno}: call {obj['id']!r} has no labels (kept: keyword references only)")
            calls.append({"id": obj["id"], "transcript": t.strip(), "labels": obj.get("labels"),
                          "source": str(path)})
    return calls, skipped


def transcripts_of(path):
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                t = json.loads(line).get("transcript")
                if t:
                    out.add(t.strip())
    return out


def synthetic_calls(n, seed, exclude, out_path, log):
    """n calls from make_calls.py --seed seed whose transcripts are not in exclude (training
    data and the calls already in the set). Deterministic for (n, seed, exclude)."""
    want = n * 3 + 20
    while True:
        subprocess.run([sys.executable, str(MAKE_CALLS), "--n", str(want), "--seed", str(seed),
                        "--out", str(out_path)], check=True, capture_output=True, text=True)
        rows = [json.loads(l) for l in out_path.read_text(encoding="utf-8").splitlines() if l.strip()]
        kept = [r for r in rows if r["transcript"].strip() not in exclude]
        if len(kept) >= n or want > n * 50:
            break
        want *= 2
    kept = kept[:n]
    last = rows.index(kept[-1]) + 1 if kept else len(rows)
    passed_over = last - len(kept)            # candidates before the last kept one, excluded
    out_path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8")
    if len(kept) < n:
        log(f"warning: only {len(kept)} synthetic calls not in the training data")
    return [{"id": r["id"], "transcript": r["transcript"], "labels": r["labels"], "source": f"make_calls --seed {seed}"}
            for r in kept], passed_over


def topic_ids():
    rows = [l.split("\t") for l in TOPICS_TSV.read_text(encoding="utf-8").splitlines()
            if l.strip() and not l.startswith("#")]
    return [r[0] for r in rows[1:]] + ["out_of_scope"]


# ------------------------------------------------------------------------------------------
# Channel worker (make_corpus.apply_channel with the bench SNR)
# ------------------------------------------------------------------------------------------
def _init_worker(snr, pools):
    mc.DEV_SNR = snr
    mc._init_babble(pools)


def _clean(job):
    try:
        return mc.make_clean(job)
    except Exception as e:          # noqa: BLE001  one bad call must not stop the run
        return job["utt"]["id"], None, f"{type(e).__name__}: {e}"


def _channel(job):
    try:
        return mc.apply_channel(job), None
    except Exception as e:          # noqa: BLE001
        return {"id": job["utt"]["id"]}, f"{type(e).__name__}: {e}"


def _map(fn, jobs, n_jobs, initializer=None, initargs=()):
    """Ordered-by-completion results of fn over jobs, in-process for --jobs 1."""
    if n_jobs <= 1:
        if initializer:
            initializer(*initargs)
        yield from map(fn, jobs)
        return
    with mp.Pool(n_jobs, initializer=initializer, initargs=initargs) as pool:
        yield from pool.imap_unordered(fn, jobs, chunksize=2)


def write_call_json(path, meta):
    sylls = meta.pop("syllables")
    body = ",\n  ".join(json.dumps(s, ensure_ascii=False) for s in sylls)
    head = json.dumps(meta, ensure_ascii=False)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(f'{head[:-1]}, "syllables": [\n  {body}\n]}}\n', encoding="utf-8")
    os.replace(tmp, path)


# ------------------------------------------------------------------------------------------
# Main
# ------------------------------------------------------------------------------------------
def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("inputs", nargs="*", type=Path, help="labelled-set JSONL files (id, transcript, labels)")
    ap.add_argument("--out", type=Path, default=REPO / "bench-out" / "benchset")
    ap.add_argument("--snr", type=float, default=10.0, help="SNR in dB (active speech / noise, in band)")
    ap.add_argument("--seed", type=int, default=20261123)
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--limit", type=int, default=0, help="first N calls only (smoke tests)")
    ap.add_argument("--synthetic", type=int, default=0, metavar="N", help="add N calls from tools/triage/make_calls.py")
    ap.add_argument("--synthetic-seed", type=int, default=2026, metavar="S",
                    help="make_calls.py seed for --synthetic (not 1: training used --seed 1)")
    ap.add_argument("--no-transcript", action="store_true", help="omit transcripts from the manifest (audio only)")
    ap.add_argument("--no-zhvoice", action="store_true", help="espeak-ng only")
    ap.add_argument("--zhvoice-venv", type=Path, default=Path.home() / ".cache" / "zhvoice")
    ap.add_argument("--cache", type=Path, help="TTS/clean-speech cache (default OUT/.cache)")
    ap.add_argument("--keywords", type=Path, default=REPO / "Models" / "keywords.tsv")
    ap.add_argument("--lexicon", type=Path, default=REPO / "Models" / "lexicon")
    args = ap.parse_args()
    if not args.inputs and not args.synthetic:
        ap.error("give at least one labelled JSONL file or --synthetic N")
    if args.synthetic and args.synthetic_seed == TRAIN_CALLS_SEED:
        ap.error(f"--synthetic-seed {TRAIN_CALLS_SEED} is the triage training seed; pick another")

    t_start = time.time()

    def log(msg):
        print(f"[{time.time() - t_start:7.1f}s] {msg}", flush=True)

    if not shutil.which("sox"):
        sys.exit("error: sox not found: apt-get install sox libsox-fmt-all")
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    cache = args.cache or out / ".cache"
    use_zh = not args.no_zhvoice
    zh_python = str(args.zhvoice_venv / "bin" / "python")
    if use_zh and not Path(zh_python).is_file():
        log(f"zhvoice venv {args.zhvoice_venv} missing (bash tools/tts/zhvoice/setup.sh): espeak-ng only")
        use_zh = False

    lex = Lexicon.load(args.lexicon)
    keywords = read_keywords(args.keywords)
    kwi = mc.KeywordIndex(keywords, lex)
    _, v_dev = mc.espeak_variants()
    log(f"{len(kwi.keywords)} keywords; held-out voices: espeak {' '.join(v_dev)}"
        + (f"; zhvoice {mc.ZH_DEV}" if use_zh else "; zhvoice off"))

    # ---- calls
    calls, inputs_info = [], []
    for p in args.inputs:
        c, skipped = read_calls(p, log)
        calls += c
        inputs_info.append({"path": str(p), "calls": len(c), "skipped": skipped})
        log(f"{p}: {len(c)} calls" + (f", {skipped} skipped" if skipped else ""))
    training = set()
    with tempfile.TemporaryDirectory() as td:
        subprocess.run([sys.executable, str(MAKE_CALLS), "--n", str(TRAIN_CALLS_N), "--seed", str(TRAIN_CALLS_SEED),
                        "--out", str(Path(td) / "train.jsonl")], check=True, capture_output=True, text=True)
        training |= transcripts_of(Path(td) / "train.jsonl")
    for f in sorted(REPO.glob(HUMAN_TRAIN_GLOB)):
        training |= transcripts_of(f)
    in_training = [c["id"] for c in calls if c["transcript"] in training]
    if in_training:
        log(f"note: {len(in_training)} input calls have a transcript that is in the triage training data: "
            f"{' '.join(in_training[:10])}")
    synth_info = None
    if args.synthetic:
        exclude = training | {c["transcript"] for c in calls}
        sc, passed = synthetic_calls(args.synthetic, args.synthetic_seed, exclude, out / "synthetic_calls.jsonl", log)
        calls += sc
        synth_info = {"n": len(sc), "seed": args.synthetic_seed, "passed_over_in_training_or_set": passed,
                      "file": "synthetic_calls.jsonl"}
        log(f"synthetic: {len(sc)} calls from make_calls.py --seed {args.synthetic_seed}"
            f" ({passed} candidates passed over: in the training data or the set)")
    # unique ids usable as file names; duplicate transcripts are skipped
    seen_ids, seen_text, dup_text, uniq = set(), {}, [], []
    for c in calls:
        if c["transcript"] in seen_text:
            dup_text.append(c["id"])
            log(f"  {c['id']}: same transcript as {seen_text[c['transcript']]}, skipped")
            continue
        seen_text[c["transcript"]] = c["id"]
        base = re.sub(r"[^\w.-]", "_", c["id"], flags=re.A).lstrip(".") or "call"
        uid, k = base, 2
        while uid in seen_ids:
            uid, k = f"{base}-{k}", k + 1
        seen_ids.add(uid)
        uniq.append({**c, "uid": uid})
    calls = uniq[:args.limit] if args.limit else uniq
    log(f"calls: {len(calls)}")

    # ---- spoken text, voices, TTS requests
    utts = []
    normalised = 0
    for c in calls:
        spoken, src = spoken_form(c["transcript"])
        if spoken != c["transcript"]:
            normalised += 1
        rng = random.Random(f"{args.seed}:bench:voice:{c['uid']}")
        voice = mc.pick_voice(rng, SPLIT, use_zh, [], v_dev)
        req = mc.tts_request(c["uid"], spoken, voice)
        fx = mc.hashlib.sha1(json.dumps([voice.get("shift"), voice.get("tempo")]).encode()).hexdigest()[:8]
        # keyword occurrences in the transcript -> spans of spoken characters
        kws, lost = [], []
        for k, i, j in kwi.occurrences(c["transcript"]):
            ks = [p for p, s in enumerate(src) if i <= s < j]
            if ks and ks == list(range(ks[0], ks[-1] + 1)) and {src[p] for p in ks} == set(range(i, j)):
                kws.append((k, ks[0], ks[-1] + 1))
            else:
                lost.append(k)
        utts.append({"id": c["uid"], "split": SPLIT, "index": mc.stable_hash(f"{args.seed}:{c['uid']}"),
                     "text": spoken, "voice": voice, "tts": req, "tts_id": req["id"], "fx_key": fx,
                     "keywords": kws, "call": c, "src": src, "kw_lost_text": lost})
    log(f"spoken text: {normalised} transcripts rewritten (digits, Latin letters, spaces, symbols)")

    failures = []
    t0 = time.time()
    tts_errors = {}

    def tts_log(msg):
        m = re.search(r"\(id ([^)]*)\): (.*)", msg)
        if m:
            tts_errors[m.group(1)] = m.group(2)
        log(msg)

    for engine in ("espeak", "zhvoice"):
        reqs = [u["tts"] for u in utts if u["voice"]["engine"] == engine]
        if reqs:
            mc.run_tts(reqs, engine, cache, args.jobs, zh_python, tts_log)
    t_tts = time.time() - t0
    ok = []
    for u in utts:
        if (cache / "tts" / u["voice"]["engine"] / f"{u['tts_id']}.wav").is_file():
            ok.append(u)
        else:
            reason = tts_errors.get(u["tts_id"], "TTS produced no output")
            failures.append({"id": u["id"], "stage": "tts", "voice": mc.voice_label(u["voice"]), "error": reason})
            log(f"  {u['id']}: TTS failed ({mc.voice_label(u['voice'])}): {reason}; skipped")

    # ---- clean 8 kHz speech
    clean = {}
    for uid, path, err in _map(_clean, [{"utt": u, "cache": str(cache)} for u in ok], args.jobs):
        if err:
            failures.append({"id": uid, "stage": "clean", "error": err})
            log(f"  {uid}: clean speech failed: {err}; skipped")
        else:
            clean[uid] = path
    ok = [u for u in ok if u["id"] in clean]
    t_clean = time.time() - t0 - t_tts

    # ---- channel (babble from the other bench calls)
    work = out / ".work"
    shutil.rmtree(work, ignore_errors=True)
    (work / SPLIT / "audio").mkdir(parents=True)
    (out / "audio").mkdir(exist_ok=True)
    (out / "calls").mkdir(exist_ok=True)
    link = out / "calls" / "audio"
    if not link.is_symlink() and not link.exists():
        link.symlink_to(Path("..") / "audio")
    pools = {SPLIT: [clean[u["id"]] for u in sorted(ok, key=lambda u: u["id"])][:600]}
    jobs = [{"utt": {k: v for k, v in u.items() if k not in ("call", "src")}, "clean": clean[u["id"]],
             "seed": args.seed, "out": str(work)} for u in ok]
    by_id = {u["id"]: u for u in ok}
    results = {}
    for k, (r, err) in enumerate(_map(_channel, jobs, args.jobs, _init_worker, (args.snr, pools))):
        if err:
            failures.append({"id": r["id"], "stage": "channel", "error": err})
            log(f"  {r['id']}: channel failed: {err}; skipped")
            continue
        results[r["id"]] = r
        u = by_id[r["id"]]
        os.replace(work / SPLIT / "audio" / f"{u['id']}.wav", out / "audio" / f"{u['id']}.wav")
        meta = json.loads((work / SPLIT / f"{u['id']}.json").read_text(encoding="utf-8"))
        c = u["call"]
        meta["format"] = FORMAT
        meta["split"] = "bench"
        meta = {**{k2: meta[k2] for k2 in ("format", "id")}, "transcript": c["transcript"], "labels": c["labels"],
                "source": c["source"], "source_id": c["id"], "tts_text": u["text"],
                **{k2: v for k2, v in meta.items() if k2 not in ("format", "id", "text")}}
        for s in meta["syllables"]:
            s["tsrc"] = u["src"][s["src"]] if s.get("src") is not None else None
        write_call_json(out / "calls" / f"{u['id']}.json", meta)
        if (k + 1) % 50 == 0:
            log(f"[channel] {k + 1}/{len(jobs)}")
    shutil.rmtree(work, ignore_errors=True)
    t_chan = time.time() - t0 - t_tts - t_clean

    # ---- manifest
    written = [u for u in utts if u["id"] in results]
    lines, kw_counts, voices, engines = [], collections.Counter(), collections.Counter(), collections.Counter()
    topics, types, handoffs = collections.Counter(), collections.Counter(), collections.Counter()
    refs_lost, mism = 0, collections.Counter()
    for u in written:
        r, c = results[u["id"]], u["call"]
        refs = [{"text": kw["text"], "start": kw["start"], "end": kw["end"], "channel": "caller"} for kw in r["keywords"]]
        refs_lost += len(u["kw_lost_text"]) + len(u["keywords"]) - len(refs)
        line = {"id": u["id"], "audio": f"audio/{u['id']}.wav"}
        if not args.no_transcript:
            line["transcript"] = c["transcript"]
        line.update({"labels": c["labels"], "keywords": refs, "voice": r["manifest"]["voice"],
                     "snr_db": r["manifest"]["snr_db"]})
        lines.append(json.dumps(line, ensure_ascii=False))
        kw_counts.update(k["text"] for k in refs)
        voices[line["voice"]] += 1
        engines[r["engine"]] += 1
        lab = c["labels"] or {}
        topics[lab.get("topic")] += 1
        types[lab.get("type")] += 1
        handoffs[lab.get("handoff") or "none"] += 1
        for kw in r["keywords"]:
            sets = kwi.alts[kw["text"]]
            said = [toneless(p) for p in kw["pinyin"].split()]
            if len(said) != len(sets) or any(s not in a for s, a in zip(said, sets)):
                mism[(kw["text"], kw["pinyin"])] += 1
    (out / "manifest.jsonl").write_text("".join(l + "\n" for l in lines), encoding="utf-8")
    keep = {u["id"] for u in written}
    for f in (out / "audio").glob("*.wav"):
        if f.stem not in keep:
            f.unlink()
    for f in (out / "calls").glob("*.json"):
        if f.stem not in keep:
            f.unlink()

    # ---- summary
    res = [results[u["id"]] for u in written]
    seconds = sum(r["duration"] for r in res)
    all_topics = topic_ids()
    per_topic = {t: topics.get(t, 0) for t in all_topics}
    extra_topics = {str(t): n for t, n in topics.items() if t not in per_topic}
    missing = [t for t in all_topics if not per_topic[t]]
    timing = mc.timing_summary(res)
    elapsed = time.time() - t_start
    summary = {
        "format": FORMAT, "seed": args.seed, "args": {k: str(v) for k, v in vars(args).items()},
        "inputs": inputs_info, "synthetic": synth_info,
        "calls_requested": len(calls), "calls": len(written), "failures": failures,
        "duplicate_transcripts_skipped": dup_text, "input_calls_in_training_data": in_training,
        "audio_seconds": round(seconds, 2), "hours": round(seconds / 3600, 4),
        "mean_call_seconds": round(seconds / max(1, len(res)), 2),
        "syllables": sum(r["n_syll"] for r in res),
        "keyword_references": sum(kw_counts.values()), "distinct_keywords": len(kw_counts),
        "keyword_references_lost": refs_lost,
        "keywords_never_referenced": len(set(kwi.keywords) - set(kw_counts)),
        "per_topic": per_topic, "topics_covered": sum(1 for t in all_topics if per_topic[t]),
        "topics_total": len(all_topics), "topics_missing": missing, "labels_other_topics": extra_topics,
        "per_type": {str(k): v for k, v in sorted(types.items(), key=lambda kv: str(kv[0]))},
        "per_handoff": dict(sorted(handoffs.items())),
        "snr_db": args.snr, "engines": dict(engines),
        "voice_families": dict(collections.Counter(v.split(":")[1] if v.startswith("espeak:") else "zhvoice"
                                                   for v in voices.elements()).most_common()),
        "voices": dict(sorted(voices.items())),
        "heldout_voices": {"espeak_variants": v_dev, "espeak_wpm": mc.ESPEAK_DEV["wpm"],
                           "espeak_pitch": mc.ESPEAK_DEV["pitch"], "zhvoice": mc.ZH_DEV if use_zh else None},
        "transcripts_rewritten_for_tts": normalised,
        "timing_check": timing, "quiet_syllables": sum(r["quiet"] for r in res),
        "tts_keyword_readings_not_in_lexicon": [{"keyword": k, "tts": p, "count": n} for (k, p), n in sorted(mism.items())],
        "keyword_counts": dict(kw_counts.most_common()),
        "seconds": {"tts": round(t_tts, 1), "clean": round(t_clean, 1), "channel": round(t_chan, 1),
                    "total": round(elapsed, 1)},
    }
    (out / "summary.json").write_text(json.dumps(summary, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")

    print("\nper topic:")
    w = max(len(t) for t in all_topics)
    for k, t in enumerate(all_topics):
        print(f"  {t:<{w}} {per_topic[t]:4d}", end="\n" if k % 3 == 2 else "")
    print()
    print(f"summary: {len(written)}/{len(calls)} calls, {seconds / 3600:.3f} h ({seconds / max(1, len(res)):.1f} s per call), "
          f"{summary['keyword_references']} keyword references ({len(kw_counts)} distinct keywords), "
          f"topics {summary['topics_covered']}/{len(all_topics)}"
          + (f" (missing {len(missing)}: {' '.join(missing[:8])}{' ...' if len(missing) > 8 else ''})" if missing else ""))
    print(f"  engines {dict(engines)}, {len(voices)} voice settings, SNR {args.snr:g} dB; failures {len(failures)}"
          + (f" ({' '.join(f['id'] for f in failures[:10])})" if failures else ""))
    for eng, t in timing.items():
        print(f"  timing check {eng}: onset - first syllable median {t['onset_ms_median']} ms "
              f"(p95 |.| {t['onset_ms_p95_abs']}), offset - last syllable median {t['offset_ms_median']} ms "
              f"(p95 |.| {t['offset_ms_p95_abs']}); quiet syllables {summary['quiet_syllables']}")
    if refs_lost:
        print(f"  keyword references lost (no syllables): {refs_lost}")
    if mism:
        print(f"  TTS keyword readings outside the lexicon: {sum(mism.values())} references, e.g. "
              + ", ".join(f"{k}={p}" for (k, p) in list(mism)[:6]))
    print(f"  tts {t_tts:.0f} s, clean {t_clean:.0f} s, channel {t_chan:.0f} s; total {elapsed:.0f} s (--jobs {args.jobs})")
    print(f"  written: {out}/manifest.jsonl, audio/, calls/, summary.json")


if __name__ == "__main__":
    main()
