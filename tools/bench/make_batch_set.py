#!/usr/bin/env python3
"""Synthetic call set for the batch throughput benchmark (issue 5).

Builds N calls of a fixed length (default 1,000 x 180 s, 8 kHz 16-bit mono WAV) by joining
telephone-channel utterances from a corpus made by tools/corpus/make_corpus.py, with pauses of
low background noise between them, plus optionally one long recording (default 4 hours) for the
memory-versus-length check. Every call differs in content (seeded noise), so none is skipped as
a duplicate. Deterministic given --seed.

    python3 tools/bench/make_batch_set.py --corpus corpus --out bench-out/batch --calls 1000 --long-hours 4

The output is regenerated, never committed (bench-out/ is git-ignored).
"""
import argparse
import glob
import os
import sys
import wave

import numpy as np

RATE = 8000


def read_wav(path):
    with wave.open(path, "rb") as w:
        if w.getframerate() != RATE or w.getsampwidth() != 2 or w.getnchannels() != 1:
            return None
        return np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(np.float32)


def write_wav(path, x, channels=1):
    y = np.clip(np.round(x), -32768, 32767).astype("<i2")
    with wave.open(path, "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(y.tobytes())


def build(pool, seconds, rng, stereo):
    """One call: utterances separated by 0.3-1.5 s of quiet noise; stereo alternates speakers."""
    total = int(seconds * RATE)
    chans = [np.zeros(total, np.float32) for _ in range(2 if stereo else 1)]
    pos, turn = 0, 0
    while pos < total:
        u = pool[rng.integers(len(pool))]
        gain = 10 ** (rng.uniform(-6, 3) / 20)
        n = min(len(u), total - pos)
        chans[turn % len(chans)][pos:pos + n] += u[:n] * gain
        pos += n + int(rng.uniform(0.3, 1.5) * RATE)
        turn += 1
    for c in chans:
        c += rng.normal(0, 6.0, total).astype(np.float32)   # about -75 dBFS floor, unique per call
    if stereo:
        return np.stack(chans, axis=1).reshape(-1)
    return chans[0]


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="corpus", help="corpus root (its */audio/*.wav are the utterance pool)")
    ap.add_argument("--out", default="bench-out/batch")
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--long-hours", type=float, default=4, help="one long recording of this length (0: none)")
    ap.add_argument("--stereo", action="store_true", help="caller and agent on two channels")
    ap.add_argument("--pool", type=int, default=600, help="utterances loaded into the pool")
    ap.add_argument("--seed", type=int, default=20261123)
    a = ap.parse_args()

    files = sorted(glob.glob(os.path.join(a.corpus, "*", "audio", "*.wav")))
    if not files:
        sys.exit(f"error: no utterances under {a.corpus}/*/audio/ (run tools/corpus/make_corpus.py first)")
    rng = np.random.default_rng(a.seed)
    pick = rng.choice(len(files), size=min(a.pool, len(files)), replace=False)
    pool = [x for x in (read_wav(files[i]) for i in sorted(pick)) if x is not None and len(x) > 0]
    print(f"pool: {len(pool)} utterances, {sum(map(len, pool)) / RATE / 60:.1f} min", file=sys.stderr)

    calls = os.path.join(a.out, "calls")
    os.makedirs(calls, exist_ok=True)
    ch = 2 if a.stereo else 1
    for i in range(a.calls):
        path = os.path.join(calls, f"call{i:05d}.wav")
        if not os.path.exists(path):
            write_wav(path, build(pool, a.seconds, rng, a.stereo), ch)
        else:
            rng.normal(size=1)  # keep the stream deterministic only for fresh sets; existing files are kept
        if (i + 1) % 100 == 0:
            print(f"{i + 1}/{a.calls} calls", file=sys.stderr)
    if a.long_hours > 0:
        longdir = os.path.join(a.out, "long")
        os.makedirs(longdir, exist_ok=True)
        path = os.path.join(longdir, f"long_{a.long_hours:g}h.wav")
        if not os.path.exists(path):
            # Written in 10-minute pieces so this script's own memory stays small.
            y = None
            with wave.open(path, "wb") as w:
                w.setnchannels(ch)
                w.setsampwidth(2)
                w.setframerate(RATE)
                remaining = a.long_hours * 3600
                while remaining > 0:
                    piece = min(600, remaining)
                    y = build(pool, piece, rng, a.stereo)
                    w.writeframes(np.clip(np.round(y), -32768, 32767).astype("<i2").tobytes())
                    remaining -= piece
        print(f"long: {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
