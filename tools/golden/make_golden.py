#!/usr/bin/env python3
"""Generate golden Kaldi-compatible feature files for the Swift SignalKit tests.

The script synthesises its own deterministic input signals (it does not read
AudioFixtures/), writes them as 16-bit PCM WAV files, runs kaldi-native-fbank
(knf) on them with explicitly set, Kaldi-default options, and writes the
features as float32 .npy matrices (frames x bins) plus an index golden.json.

Every knf result is cross-checked against an independent NumPy (float64)
re-implementation of Kaldi's compute-fbank-feats / compute-mfcc-feats
pipeline; the run fails if they disagree by more than --tol.

    python3 tools/golden/make_golden.py                 # writes Tests/SignalKitTests/Golden/
    python3 tools/golden/make_golden.py --out /tmp/g    # somewhere else
    python3 tools/golden/make_golden.py --check         # regenerate in a temp dir, compare
                                                        # with the committed files, write nothing

Requirements: tools/golden/requirements.txt
"""
import argparse
import hashlib
import json
import math
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

try:
    import kaldi_native_fbank as knf
    import soundfile as sf
except ImportError as e:  # pragma: no cover
    sys.exit(f"error: {e}. Install: pip install -r tools/golden/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
DEFAULT_OUT = REPO / "Tests" / "SignalKitTests" / "Golden"
FLT_EPSILON = float(np.finfo(np.float32).eps)  # 1.1920929e-07, Kaldi's log floor


# --------------------------------------------------------------------------------------
# Input signals (deterministic)
# --------------------------------------------------------------------------------------

def _to_int16(x: np.ndarray, peak: float) -> np.ndarray:
    """Scale so that max |x| == peak (in int16 units) and round to int16."""
    x = x / np.max(np.abs(x)) * peak
    return np.clip(np.rint(x), -32768, 32767).astype(np.int16)


def signal_mix8k() -> np.ndarray:
    """8 kHz, 2.0 s: linear chirp 100->3600 Hz + harmonic tone (f0 140 Hz with vibrato,
    8 harmonics) + white noise (numpy default_rng(1)) + a small DC offset."""
    sr, dur = 8000, 2.0
    rng = np.random.default_rng(1)
    t = np.arange(int(sr * dur)) / sr
    f0, f1 = 100.0, 3600.0
    chirp = np.sin(2 * np.pi * (f0 * t + 0.5 * (f1 - f0) / dur * t * t))
    vib = 140.0 + 10.0 * np.sin(2 * np.pi * 3.0 * t)
    phase = 2 * np.pi * np.cumsum(vib) / sr
    harm = sum((0.8 / k) * np.sin(k * phase + 0.3 * k) for k in range(1, 9))
    env = 0.5 + 0.5 * np.sin(2 * np.pi * 1.5 * t) ** 2
    noise = rng.standard_normal(t.size)
    x = 0.6 * chirp + env * harm + 0.15 * noise + 0.05
    return _to_int16(x, 16000.0)


def signal_mix16k() -> np.ndarray:
    """16 kHz, 1.5 s: exponential chirp 60->7500 Hz + two-tone harmonic mix (f0 210 Hz and
    333 Hz, 12 harmonics, AM at 4 Hz) + white noise (default_rng(2)); one sample clipped at
    -32768 and one at +32767 to exercise the int16 extremes."""
    sr, dur = 16000, 1.5
    rng = np.random.default_rng(2)
    t = np.arange(int(sr * dur)) / sr
    fa, fb = 60.0, 7500.0
    k = math.log(fb / fa) / dur
    chirp = np.sin(2 * np.pi * fa * (np.exp(k * t) - 1) / k)
    harm = np.zeros_like(t)
    for f0, amp in ((210.0, 1.0), (333.0, 0.5)):
        for h in range(1, 13):
            if h * f0 < sr / 2:
                harm += amp / h * np.sin(2 * np.pi * h * f0 * t + 0.7 * h)
    am = 0.6 + 0.4 * np.sin(2 * np.pi * 4.0 * t)
    noise = rng.standard_normal(t.size)
    x = 0.5 * chirp + am * harm + 0.25 * noise
    y = _to_int16(x, 20000.0)
    y[1234] = -32768
    y[5678] = 32767
    return y


def signal_zeros8k() -> np.ndarray:
    """8 kHz, 1.2 s: harmonic tone + noise (default_rng(3)) with exactly 0.3 s (2400 samples,
    0.45 s .. 0.75 s) of digital zeros in the middle: frames fully inside the gap hit the
    log floor log(FLT_EPSILON) = -15.942385."""
    sr, dur = 8000, 1.2
    rng = np.random.default_rng(3)
    t = np.arange(int(sr * dur)) / sr
    harm = sum((1.0 / k) * np.sin(2 * np.pi * 180.0 * k * t) for k in range(1, 11))
    noise = rng.standard_normal(t.size)
    y = _to_int16(harm + 0.2 * noise, 12000.0)
    y[int(0.45 * sr):int(0.75 * sr)] = 0
    return y


SIGNALS = {
    # name: (function, sample rate)
    "mix8k": (signal_mix8k, 8000),
    "mix16k": (signal_mix16k, 16000),
    "zeros8k": (signal_zeros8k, 8000),
}


# --------------------------------------------------------------------------------------
# Options (all set explicitly; knf's own defaults differ from Kaldi's in places:
# MelBanksOptions().num_bins == 25, FrameExtractionOptions().dither == 3e-5)
# --------------------------------------------------------------------------------------

def frame_opts_dict(sr: int, window_type: str = "povey") -> dict:
    return {
        "samp_freq": float(sr),
        "frame_shift_ms": 10.0,
        "frame_length_ms": 25.0,
        "dither": 0.0,
        "preemph_coeff": 0.97,
        "remove_dc_offset": True,
        "window_type": window_type,
        "round_to_power_of_two": True,
        "blackman_coeff": 0.42,
        "snip_edges": True,
    }


def mel_opts_dict(num_bins: int) -> dict:
    return {
        "num_bins": num_bins,
        "low_freq": 20.0,
        "high_freq": 0.0,      # 0 => Nyquist (negative => Nyquist + value)
        "vtln_low": 100.0,
        "vtln_high": -500.0,
        "debug_mel": False,
        "htk_mode": False,
        "is_librosa": False,   # knf extension; False = Kaldi's mel banks
    }


def fbank_options(sr: int, num_bins: int, window_type: str = "povey") -> dict:
    return {
        "frame_opts": frame_opts_dict(sr, window_type),
        "mel_opts": mel_opts_dict(num_bins),
        "use_energy": False,
        "energy_floor": 0.0,
        "raw_energy": True,
        "htk_compat": False,
        "use_log_fbank": True,
        "use_power": True,
        "use_log_floor": True,    # knf extension: log(max(x, eps)) as in Kaldi
        "eps": FLT_EPSILON,       # knf extension
    }


def mfcc_options(sr: int) -> dict:
    return {
        "frame_opts": frame_opts_dict(sr),
        "mel_opts": mel_opts_dict(23),
        "num_ceps": 13,
        "use_energy": True,
        "energy_floor": 0.0,
        "raw_energy": True,
        "cepstral_lifter": 22.0,
        "htk_compat": False,
    }


def _apply(obj, d: dict):
    """Set every attribute of a knf options object from a dict and check it was taken."""
    for key, val in d.items():
        if isinstance(val, dict):
            _apply(getattr(obj, key), val)
            continue
        setattr(obj, key, val)
        got = getattr(obj, key)
        ok = math.isclose(got, val, rel_tol=1e-6) if isinstance(val, float) else got == val
        if not ok:
            raise RuntimeError(f"knf option {key}={val!r} read back as {got!r}")
    return obj


def knf_features(kind: str, opts: dict, samples_int16: np.ndarray) -> np.ndarray:
    if kind == "fbank":
        o = _apply(knf.FbankOptions(), opts)
        comp = knf.OnlineFbank(o)
    elif kind == "mfcc":
        o = _apply(knf.MfccOptions(), opts)
        comp = knf.OnlineMfcc(o)
    else:
        raise ValueError(kind)
    # Kaldi reads 16-bit WAVs as the integer values: feed int16 values as float.
    comp.accept_waveform(opts["frame_opts"]["samp_freq"], samples_int16.astype(np.float32))
    comp.input_finished()
    n = comp.num_frames_ready
    if n == 0:
        return np.zeros((0, comp.dim), np.float32)
    return np.stack([comp.get_frame(i) for i in range(n)]).astype(np.float32)


# --------------------------------------------------------------------------------------
# Independent NumPy reference of Kaldi's pipeline (float64), used only for cross-checking
# --------------------------------------------------------------------------------------

def kaldi_window(window_type: str, n: int, blackman_coeff: float = 0.42) -> np.ndarray:
    a = 2 * np.pi / (n - 1)
    i = np.arange(n)
    if window_type == "povey":
        return (0.5 - 0.5 * np.cos(a * i)) ** 0.85
    if window_type == "hamming":
        return 0.54 - 0.46 * np.cos(a * i)
    if window_type in ("hanning", "hann"):
        return 0.5 - 0.5 * np.cos(a * i)
    if window_type == "rectangular":
        return np.ones(n)
    if window_type == "sine":
        return np.sin(0.5 * a * i)
    if window_type == "blackman":
        return blackman_coeff - 0.5 * np.cos(a * i) + (0.5 - blackman_coeff) * np.cos(2 * a * i)
    raise ValueError(window_type)


def mel_scale(f):
    return 1127.0 * np.log(1.0 + np.asarray(f, dtype=np.float64) / 700.0)


def kaldi_mel_banks(num_bins: int, sr: float, padded: int, low: float, high: float) -> np.ndarray:
    """(num_bins, padded//2 + 1) weights; the Nyquist column is always 0 as in Kaldi."""
    nyq = 0.5 * sr
    if high <= 0.0:
        high = nyq + high
    n_fft_bins = padded // 2
    bin_width = sr / padded
    mel_lo, mel_hi = mel_scale(low), mel_scale(high)
    delta = (mel_hi - mel_lo) / (num_bins + 1)
    mel = mel_scale(bin_width * np.arange(n_fft_bins))
    w = np.zeros((num_bins, n_fft_bins + 1))
    for b in range(num_bins):
        left, center, right = mel_lo + b * delta, mel_lo + (b + 1) * delta, mel_lo + (b + 2) * delta
        up = (mel > left) & (mel <= center)
        down = (mel > center) & (mel < right)
        w[b, :n_fft_bins][up] = (mel[up] - left) / (center - left)
        w[b, :n_fft_bins][down] = (right - mel[down]) / (right - center)
    return w


def reference_features(kind: str, opts: dict, samples_int16: np.ndarray) -> np.ndarray:
    fo, mo = opts["frame_opts"], opts["mel_opts"]
    sr = fo["samp_freq"]
    wlen = int(sr * 0.001 * fo["frame_length_ms"])
    shift = int(sr * 0.001 * fo["frame_shift_ms"])
    padded = 1 << (wlen - 1).bit_length() if fo["round_to_power_of_two"] else wlen
    x = samples_int16.astype(np.float64)
    n = x.size
    assert fo["snip_edges"]
    nf = 0 if n < wlen else 1 + (n - wlen) // shift
    idx = np.arange(nf)[:, None] * shift + np.arange(wlen)[None, :]
    fr = x[idx]
    if fo["remove_dc_offset"]:
        fr = fr - fr.mean(axis=1, keepdims=True)
    log_energy = np.log(np.maximum((fr ** 2).sum(axis=1), FLT_EPSILON))  # raw energy
    c = fo["preemph_coeff"]
    if c != 0.0:
        fr = np.concatenate([fr[:, :1] * (1.0 - c), fr[:, 1:] - c * fr[:, :-1]], axis=1)
    fr = fr * kaldi_window(fo["window_type"], wlen, fo["blackman_coeff"])[None, :]
    spec = np.fft.rfft(fr, n=padded, axis=1)
    power = spec.real ** 2 + spec.imag ** 2
    if kind == "fbank" and not opts["use_power"]:
        power = np.sqrt(power)
    banks = kaldi_mel_banks(mo["num_bins"], sr, padded, mo["low_freq"], mo["high_freq"])
    mel = np.log(np.maximum(power @ banks.T, FLT_EPSILON))
    if kind == "fbank":
        assert not opts["use_energy"]
        return mel
    # MFCC: orthonormal DCT-II (Kaldi ComputeDctMatrix), first num_ceps rows, liftering,
    # then C0 replaced by the raw log energy (use_energy, raw_energy, energy_floor 0).
    nb, nc, q = mo["num_bins"], opts["num_ceps"], opts["cepstral_lifter"]
    k = np.arange(nc)[:, None]
    j = np.arange(nb)[None, :]
    dct = np.sqrt(2.0 / nb) * np.cos(np.pi / nb * (j + 0.5) * k)
    dct[0, :] = np.sqrt(1.0 / nb)
    ceps = mel @ dct.T
    if q != 0.0:
        ceps *= 1.0 + 0.5 * q * np.sin(np.pi * np.arange(nc) / q)
    if opts["use_energy"]:
        ceps[:, 0] = log_energy
    return ceps


# --------------------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------------------

def cases():
    """(case id, signal name, kind, options) -- output file is <case id>.npy"""
    return [
        ("fbank23_mix8k", "mix8k", "fbank", fbank_options(8000, 23)),
        ("fbank23_mix16k", "mix16k", "fbank", fbank_options(16000, 23)),
        ("fbank80_mix16k", "mix16k", "fbank", fbank_options(16000, 80)),
        ("fbank40_hamming_mix8k", "mix8k", "fbank", fbank_options(8000, 40, "hamming")),
        ("fbank40_hanning_mix8k", "mix8k", "fbank", fbank_options(8000, 40, "hanning")),
        ("fbank23_zeros8k", "zeros8k", "fbank", fbank_options(8000, 23)),
        ("mfcc13_mix8k", "mix8k", "mfcc", mfcc_options(8000)),
        ("mfcc13_mix16k", "mix16k", "mfcc", mfcc_options(16000)),
        ("mfcc13_zeros8k", "zeros8k", "mfcc", mfcc_options(8000)),
    ]


def expected_frames(n: int, sr: int) -> int:
    wlen, shift = sr * 25 // 1000, sr * 10 // 1000
    return 0 if n < wlen else 1 + (n - wlen) // shift


def _dist_version(name: str) -> str:
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:
        return "unknown"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check_knf_windows():
    """knf's windows must equal Kaldi's formulas (documented in README)."""
    for wt in ("povey", "hamming", "hanning"):
        fo = knf.FrameExtractionOptions()
        fo.samp_freq = 8000
        fo.window_type = wt
        got = np.asarray(knf.FeatureWindowFunction(fo).window, dtype=np.float64)
        ref = kaldi_window(wt, 200)
        err = float(np.max(np.abs(got - ref)))
        if err > 1e-6:
            raise RuntimeError(f"knf {wt} window differs from Kaldi formula by {err}")


def generate(out: Path, tol: float, verbose: bool = True) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    check_knf_windows()
    index = {
        "generator": "tools/golden/make_golden.py",
        "reference": "kaldi-native-fbank (Kaldi compute-fbank-feats / compute-mfcc-feats semantics)",
        "knf_version": _dist_version("kaldi-native-fbank"),
        "numpy_version": np.__version__,
        "sample_scale": "int16 values as float (Kaldi WAV reading), not [-1, 1]",
        "log_floor": FLT_EPSILON,
        "inputs": {},
        "cases": [],
    }
    sigs = {}
    for name, (fn, sr) in SIGNALS.items():
        y = fn()
        wav = out / f"{name}.wav"
        sf.write(str(wav), y, sr, subtype="PCM_16", format="WAV")
        back, sr2 = sf.read(str(wav), dtype="int16")
        assert sr2 == sr and np.array_equal(back, y), f"WAV round trip failed for {wav}"
        sigs[name] = (y, sr)
        index["inputs"][name] = {
            "wav": wav.name, "sample_rate": sr, "num_samples": int(y.size),
            "duration_s": y.size / sr, "subtype": "PCM_16",
            "description": " ".join(fn.__doc__.split()), "sha256": sha256(wav),
        }
    for cid, sig, kind, opts in cases():
        y, sr = sigs[sig]
        feats = knf_features(kind, opts, y)
        ref = reference_features(kind, opts, y)
        nf = expected_frames(y.size, sr)
        dim = opts["num_ceps"] if kind == "mfcc" else opts["mel_opts"]["num_bins"]
        if feats.shape != (nf, dim):
            raise RuntimeError(f"{cid}: shape {feats.shape}, expected {(nf, dim)}")
        if not np.all(np.isfinite(feats)):
            raise RuntimeError(f"{cid}: non-finite values")
        diff = float(np.max(np.abs(feats.astype(np.float64) - ref)))
        if diff > tol:
            raise RuntimeError(f"{cid}: knf vs NumPy reference max |diff| {diff:.3g} > {tol}")
        npy = out / f"{cid}.npy"
        np.save(npy, feats.astype("<f4"))
        floor_frames = int(np.sum(np.all(np.isclose(feats, np.log(FLT_EPSILON), atol=1e-4), axis=1))) \
            if kind == "fbank" else None
        entry = {
            "id": cid, "input": index["inputs"][sig]["wav"], "kind": kind,
            "tool_equivalent": "compute-fbank-feats" if kind == "fbank" else "compute-mfcc-feats",
            "options": opts, "output": npy.name, "dtype": "float32", "shape": list(feats.shape),
            "max_abs_diff_vs_numpy_reference": diff, "sha256": sha256(npy),
            "min": float(feats.min()), "max": float(feats.max()),
        }
        if floor_frames is not None:
            entry["frames_at_log_floor"] = floor_frames
        index["cases"].append(entry)
        if verbose:
            extra = f", {floor_frames} frames at log floor" if floor_frames else ""
            print(f"{cid:24s} {kind:5s} {str(feats.shape):10s} "
                  f"range [{feats.min():8.3f}, {feats.max():8.3f}]  |knf-numpy| {diff:.2e}{extra}")
    (out / "golden.json").write_text(json.dumps(index, indent=2, ensure_ascii=False) + "\n")
    return index


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT,
                    help=f"output folder (default: {DEFAULT_OUT.relative_to(REPO)})")
    ap.add_argument("--tol", type=float, default=2e-3,
                    help="max |knf - NumPy reference| allowed (default 2e-3)")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and compare with the files in --out "
                         "(exit 1 on any difference); writes nothing to --out")
    args = ap.parse_args()
    if args.check:
        with tempfile.TemporaryDirectory() as tmp:
            new = generate(Path(tmp), args.tol, verbose=False)
            bad = 0
            for name, meta in new["inputs"].items():
                p = args.out / meta["wav"]
                if not p.exists() or sha256(p) != meta["sha256"]:  # inputs must be bit-exact
                    print(f"DIFFERS: {p}"); bad += 1
            for c in new["cases"]:
                p = args.out / c["output"]
                if not p.exists():
                    print(f"MISSING: {p}"); bad += 1
                    continue
                d = float(np.max(np.abs(np.load(p) - np.load(Path(tmp) / c["output"]))))
                if d > 1e-5:  # allow float noise from a different CPU/knf build
                    print(f"DIFFERS: {p} max |diff| {d:.3g}"); bad += 1
            print("golden files up to date" if not bad else f"{bad} golden file(s) differ")
            sys.exit(1 if bad else 0)
    idx = generate(args.out, args.tol)
    print(f"wrote {len(idx['inputs'])} WAVs, {len(idx['cases'])} .npy files and golden.json to {args.out}")


if __name__ == "__main__":
    main()
