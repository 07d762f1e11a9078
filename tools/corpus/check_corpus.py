#!/usr/bin/env python3
"""Check a generated corpus split against its audio: syllable spans must carry speech energy.

    python3 tools/corpus/check_corpus.py corpus/dev [corpus/neg ...] [--max N]

For every utterance (<split>/<id>.json + audio/<id>.wav, 8 kHz): 10 ms frame energies of the
telephone audio; the noise floor is the median energy of frames farther than 100 ms from any
syllable. Reported per split:
  * syllables whose loudest 10 ms frame is < 3 dB above the floor ("silent syllables"),
  * mean in-syllable minus floor level (dB, a rough SNR),
  * manifest consistency: keyword spans inside the audio and equal to their syllables' span.
Onset/offset accuracy is measured by make_corpus.py itself on the clean signal of every utterance
(summary.json "timing_check"): in noise it cannot be measured to better than ~100 ms.
At low SNR (0-5 dB, train) weak syllables (unvoiced finals, neutral tones) legitimately fall
under the floor; use the dev split (10 dB) to judge the timings.
"""
import argparse
import json
import sys
import wave
from pathlib import Path

import numpy as np

HOP = 80     # 10 ms at 8 kHz


def frames_db(x):
    n = len(x) // HOP
    e = np.mean(x[:n * HOP].reshape(n, HOP) ** 2, axis=1)
    return 10 * np.log10(e + 1e-10)


def check_split(folder, limit):
    folder = Path(folder)
    files = sorted(folder.glob("*.json"))[:limit] if limit else sorted(folder.glob("*.json"))
    n_syl = silent = 0
    levels, bad_kw = [], 0
    for jf in files:
        meta = json.loads(jf.read_text(encoding="utf-8"))
        with wave.open(str(folder / "audio" / f"{meta['id']}.wav")) as w:
            assert w.getframerate() == 8000 and w.getnchannels() == 1 and w.getsampwidth() == 2
            x = np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768
        db = frames_db(x)
        t = (np.arange(len(db)) + 0.5) * HOP / 8000
        sy = meta["syllables"]
        near = np.zeros(len(db), bool)
        for s in sy:
            near |= (t > s["start"] - 0.1) & (t < s["end"] + 0.1)
        floor = np.median(db[~near]) if (~near).sum() > 10 else np.percentile(db, 10)
        for s in sy:
            m = (t >= s["start"]) & (t <= s["end"])
            n_syl += 1
            if not m.any() or db[m].max() < floor + 3:
                silent += 1
            else:
                levels.append(db[m].mean() - floor)
        for k in meta["keywords"]:
            if not (0 <= k["start"] < k["end"] <= meta["duration"]):
                bad_kw += 1
    print(f"{folder}: {len(files)} utterances, {n_syl} syllables; silent syllables {silent} "
          f"({100 * silent / max(n_syl, 1):.2f}%); in-syllable level {np.mean(levels):.1f} dB over floor; "
          f"bad keyword spans {bad_kw}")
    return silent / max(n_syl, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("splits", nargs="+")
    ap.add_argument("--max", type=int, default=0, help="check at most N utterances per split")
    args = ap.parse_args()
    for s in args.splits:
        check_split(s, args.max)


if __name__ == "__main__":
    sys.exit(main())
