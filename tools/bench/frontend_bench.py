#!/usr/bin/env python3
"""Front-end throughput benchmark: decode + 23-bin Kaldi fbank, kaldi-native-fbank vs calltriage.

Generates N deterministic 8 kHz G.711 mu-law WAV "calls" in a temporary folder (deleted at the
end unless --keep), then measures on the same files, one after the other, single-threaded:

  1. knf:        soundfile decodes mu-law -> int16 scale -> knf.OnlineFbank (23 bins, Kaldi
                 defaults, dither 0) -> (frames x 23) float32 matrix, per file, in this process.
  2. CLI:        `calltriage features FILE --out X.npy` once per file (wall time incl. process
                 start-up); start-up is measured separately on a 0.1 s file and reported.
  3. --internal: `calltriage bench-frontend FILES...` (the CLI times itself and prints one JSON
                 line {"audio_seconds": .., "wall_seconds": ..}); skipped if the subcommand fails.

The .npy files the CLI writes are compared with knf (max |diff|, must be <= --tol).
Speed is reported as x real time = audio seconds / wall seconds. Output: a Markdown table.

    python3 tools/bench/frontend_bench.py                          # 20 x 60 s, CLI at .build/release/calltriage
    python3 tools/bench/frontend_bench.py -n 5 --seconds 30 --calltriage /path/to/calltriage --internal
    python3 tools/bench/frontend_bench.py --source espeak          # espeak-ng Mandarin instead of synthetic speech
"""
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse
import json
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

try:
    import kaldi_native_fbank as knf
    import soundfile as sf
except ImportError as e:  # pragma: no cover
    sys.exit(f"error: {e}. Install: pip install -r tools/golden/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
SR = 8000

ESPEAK_TEXTS = [
    "你好，我想投诉一下我们小区的暖气问题，已经好几天不热了。",
    "物业说明天派人来修，可是到现在还没有人来。",
    "楼下的商铺半夜施工，噪音特别大，孩子都睡不着觉。",
    "请问这个问题多久能够解决，能不能给我一个准确的答复。",
    "我上个月已经打过电话了，一直没有人处理。",
    "路灯坏了很久，晚上出门很不安全，希望尽快修好。",
]


# --------------------------------------------------------------------------------------
# Test audio
# --------------------------------------------------------------------------------------

def _bandpass(x: np.ndarray, lo: float = 300.0, hi: float = 3400.0) -> np.ndarray:
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1.0 / SR)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, n=x.size)


def speech_like(seconds: float, seed: int) -> np.ndarray:
    """Deterministic speech-like signal in [-1, 1): talk spurts of 'syllables' (glottal pulse
    train + noise, shaped by random formants, Hann-enveloped) separated by pauses, plus a faint
    background noise, telephone band-limited, about -20 dBFS RMS during speech."""
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    out = np.zeros(n)
    pos = int(rng.uniform(0.2, 1.0) * SR)
    while pos < n:
        spurt_end = min(n, pos + int(rng.uniform(1.0, 4.0) * SR))
        f0 = rng.uniform(90, 240)
        while pos < spurt_end:
            L = int(rng.uniform(0.12, 0.28) * SR)
            t = np.arange(L) / SR
            f0t = f0 * (1 + 0.08 * np.sin(2 * np.pi * rng.uniform(2, 5) * t + rng.uniform(0, 6)))
            ph = np.cumsum(f0t) / SR
            src = (np.mod(ph, 1.0) < 0.5 * f0t / SR * 10).astype(float)  # narrow pulses
            src += 0.3 * rng.standard_normal(L)
            spec = np.fft.rfft(src)
            fr = np.fft.rfftfreq(L, 1.0 / SR)
            env = np.zeros_like(fr)
            for fc, bw, g in ((rng.uniform(300, 900), 120, 1.0), (rng.uniform(900, 2300), 180, 0.6),
                              (rng.uniform(2300, 3300), 250, 0.3)):
                env += g * np.exp(-0.5 * ((fr - fc) / bw) ** 2)
            syl = np.fft.irfft(spec * env, n=L) * np.hanning(L)
            end = min(n, pos + L)
            out[pos:end] += syl[: end - pos] * rng.uniform(0.5, 1.0)
            pos += int(L * rng.uniform(0.85, 1.1))
        pos = spurt_end + int(rng.uniform(0.3, 1.5) * SR)
    out = _bandpass(out)
    active = np.abs(out) > 1e-6
    rms = np.sqrt(np.mean(out[active] ** 2)) if active.any() else 1.0
    out = out / rms * 0.1  # -20 dBFS
    out += 10 ** (-55 / 20) * rng.standard_normal(n)
    return np.clip(out, -0.99, 0.99)


def espeak_speech(seconds: float, seed: int, tmp: Path) -> np.ndarray:
    """espeak-ng Mandarin (`-v cmn`), sentences looped with pauses, resampled to 8 kHz by sox."""
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            sys.exit(f"error: --source espeak needs {tool} (apt-get install espeak-ng sox)")
    rng = np.random.default_rng(seed)
    n = int(seconds * SR)
    parts, total, k = [], 0, 0
    while total < n:
        text = ESPEAK_TEXTS[(seed + k) % len(ESPEAK_TEXTS)]
        raw, wav8 = tmp / "es_raw.wav", tmp / "es_8k.wav"
        subprocess.run(["espeak-ng", "-v", "cmn", "-s", str(int(rng.integers(140, 190))),
                        "-p", str(int(rng.integers(30, 70))), "-w", str(raw), text], check=True)
        subprocess.run(["sox", "-D", str(raw), "-e", "floating-point", "-b", "32", str(wav8),
                        "sinc", "300-3400", "rate", "-v", str(SR)], check=True)
        y, _ = sf.read(str(wav8), dtype="float64")
        gap = np.zeros(int(rng.uniform(0.3, 1.5) * SR))
        parts += [y, gap]
        total += y.size + gap.size
        k += 1
    out = np.concatenate(parts)[:n]
    out += 10 ** (-55 / 20) * rng.standard_normal(n)
    return np.clip(out, -0.99, 0.99)


def write_ulaw(path: Path, x: np.ndarray):
    sf.write(str(path), x, SR, subtype="ULAW", format="WAV")


def make_corpus(out: Path, scratch: Path, n_files: int, seconds: float, source: str, seed: int):
    files = []
    for i in range(n_files):
        p = out / f"call_{i:03d}.wav"
        x = speech_like(seconds, seed + i) if source == "synthetic" else espeak_speech(seconds, seed + i, scratch)
        write_ulaw(p, x)
        files.append(p)
    short = out / "short_0.1s.wav"
    write_ulaw(short, speech_like(0.1, seed + 10_000))
    return files, short


# --------------------------------------------------------------------------------------
# kaldi-native-fbank
# --------------------------------------------------------------------------------------

def fbank_opts(num_bins: int = 23) -> "knf.FbankOptions":
    o = knf.FbankOptions()
    fo, mo = o.frame_opts, o.mel_opts
    fo.samp_freq = SR
    fo.frame_shift_ms, fo.frame_length_ms = 10.0, 25.0
    fo.dither = 0.0
    fo.preemph_coeff = 0.97
    fo.remove_dc_offset = True
    fo.window_type = "povey"
    fo.round_to_power_of_two = True
    fo.blackman_coeff = 0.42
    fo.snip_edges = True
    mo.num_bins = num_bins          # knf's MelBanksOptions default is 25
    mo.low_freq, mo.high_freq = 20.0, 0.0
    mo.vtln_low, mo.vtln_high = 100.0, -500.0
    mo.htk_mode = False
    mo.is_librosa = False
    o.use_energy = False
    o.energy_floor = 0.0
    o.raw_energy = True
    o.htk_compat = False
    o.use_log_fbank = True
    o.use_power = True
    o.use_log_floor = True
    o.eps = float(np.finfo(np.float32).eps)
    return o


def knf_file(path: Path, opts) -> np.ndarray:
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    x = x[:, 0] * 32768.0  # int16 scale, as Kaldi reads WAVs
    comp = knf.OnlineFbank(opts)
    comp.accept_waveform(float(sr), x)
    comp.input_finished()
    n = comp.num_frames_ready
    return np.stack([comp.get_frame(i) for i in range(n)]) if n else np.zeros((0, 23), np.float32)


def bench_knf(files, repeat: int):
    opts = fbank_opts()
    best, feats = None, {}
    for _ in range(repeat):
        t0 = time.perf_counter()
        for p in files:
            feats[p] = knf_file(p, opts)
        wall = time.perf_counter() - t0
        best = wall if best is None else min(best, wall)
    # decode-only share, for information
    t0 = time.perf_counter()
    for p in files:
        sf.read(str(p), dtype="float32")
    decode = time.perf_counter() - t0
    return best, decode, feats


# --------------------------------------------------------------------------------------
# calltriage CLI
# --------------------------------------------------------------------------------------

def run(cmd, **kw):
    return subprocess.run([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def bench_cli(cli: Path, files, short: Path, tmp: Path, knf_feats: dict, tol: float):
    res = {}
    # start-up: features on a 0.1 s file, median of 5
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        r = run([cli, "features", short, "--out", tmp / "short.npy"])
        times.append(time.perf_counter() - t0)
        if r.returncode != 0:
            res["error"] = f"`calltriage features` failed (exit {r.returncode}): {r.stderr.strip()[:300]}"
            return res
        if not (tmp / "short.npy").exists():
            res["error"] = ("`calltriage features FILE --out X.npy` exited 0 but wrote no X.npy "
                            f"(not implemented yet?); stdout: {r.stdout.strip()[:200]!r}")
            return res
    res["startup"] = statistics.median(times)
    t0 = time.perf_counter()
    outs = {}
    for p in files:
        out = tmp / (p.stem + ".cli.npy")
        r = run([cli, "features", p, "--out", out])
        if r.returncode != 0:
            res["error"] = f"`calltriage features {p.name}` failed (exit {r.returncode}): {r.stderr.strip()[:300]}"
            return res
        outs[p] = out
    res["wall"] = time.perf_counter() - t0
    # agreement with knf
    diffs, shape_errors = [], []
    for p, out in outs.items():
        try:
            a = np.load(out)
        except Exception as e:  # noqa: BLE001
            shape_errors.append(f"{out.name}: unreadable ({e})")
            continue
        b = knf_feats[p]
        if a.shape != b.shape:
            shape_errors.append(f"{p.name}: CLI {a.shape} vs knf {b.shape}")
            continue
        diffs.append(float(np.max(np.abs(a.astype(np.float64) - b))))
    res["max_abs_diff"] = max(diffs) if diffs else None
    res["shape_errors"] = shape_errors
    res["agree"] = bool(diffs) and not shape_errors and max(diffs) <= tol
    return res


def bench_internal(cli: Path, files):
    r = run([cli, "bench-frontend", *files])
    if r.returncode != 0:
        return {"error": f"`calltriage bench-frontend` not available (exit {r.returncode}): "
                         f"{(r.stderr or r.stdout).strip()[:200]}"}
    for line in reversed(r.stdout.strip().splitlines()):
        try:
            j = json.loads(line)
            return {"audio": float(j["audio_seconds"]), "wall": float(j["wall_seconds"])}
        except (ValueError, KeyError, TypeError):
            continue
    return {"error": f"no JSON line with audio_seconds/wall_seconds in output: {r.stdout[:200]!r}"}


# --------------------------------------------------------------------------------------

def machine_info() -> str:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        avail = len(os.sched_getaffinity(0))
    except AttributeError:
        avail = os.cpu_count()
    return (f"CPU: {model}; logical cores: {os.cpu_count()} (usable: {avail}); "
            f"{platform.system()} {platform.release()}; Python {platform.python_version()}; "
            f"numpy {np.__version__}; kaldi-native-fbank {_ver('kaldi-native-fbank')}; "
            f"soundfile {sf.__version__} (libsndfile {sf.__libsndfile_version__})")


def _ver(name):
    try:
        from importlib.metadata import version
        return version(name)
    except Exception:  # noqa: BLE001
        return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("-n", "--num-files", type=int, default=20, help="number of calls (default 20)")
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each call (default 60)")
    ap.add_argument("--source", choices=["synthetic", "espeak"], default="synthetic",
                    help="speech-like synthetic signal (default) or espeak-ng Mandarin via sox")
    ap.add_argument("--seed", type=int, default=1234, help="base seed (default 1234)")
    ap.add_argument("--calltriage", type=Path, default=REPO / ".build" / "release" / "calltriage",
                    help="path of the calltriage binary (default .build/release/calltriage)")
    ap.add_argument("--internal", action="store_true",
                    help="also run `calltriage bench-frontend FILES...` (skipped if it fails)")
    ap.add_argument("--no-cli", action="store_true", help="measure knf only")
    ap.add_argument("--repeat", type=int, default=1, help="knf passes, best is reported (default 1)")
    ap.add_argument("--tol", type=float, default=1e-3, help="max |CLI - knf| allowed (default 1e-3)")
    ap.add_argument("--keep", type=Path, default=None,
                    help="write the calls to this folder and keep them (default: temp dir, deleted)")
    args = ap.parse_args()

    tmpctx = tempfile.TemporaryDirectory(prefix="frontend_bench_")
    tmp = Path(tmpctx.name)
    wav_dir = args.keep or tmp
    wav_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    files, short = make_corpus(wav_dir, tmp, args.num_files, args.seconds, args.source, args.seed)
    audio = sum(sf.info(str(p)).duration for p in files)
    print(f"generated {len(files)} x {args.seconds:g} s 8 kHz mu-law WAVs ({args.source}) "
          f"in {time.perf_counter() - t0:.1f} s -> {wav_dir}", file=sys.stderr, flush=True)

    rows = []
    knf_wall, decode_wall, knf_feats = bench_knf(files, args.repeat)
    rows.append(("kaldi-native-fbank (Python, in-process)", audio, knf_wall, audio / knf_wall,
                 f"decode only {decode_wall:.3f} s ({audio / decode_wall:,.0f}x RT)"))

    notes = []
    cli = args.calltriage
    if args.no_cli:
        notes.append("CLI: skipped (--no-cli)")
    elif not (cli.is_file() and os.access(cli, os.X_OK)):
        notes.append(f"CLI: skipped, binary not found: {cli} (build it or pass --calltriage PATH)")
    else:
        r = bench_cli(cli, files, short, tmp, knf_feats, args.tol)
        if "error" in r:
            notes.append(f"CLI: {r['error']}")
        else:
            net = max(r["wall"] - len(files) * r["startup"], 1e-9)
            agree = ("OK" if r["agree"] else "MISMATCH") + (
                f", max abs diff vs knf {r['max_abs_diff']:.2e}" if r["max_abs_diff"] is not None else "")
            rows.append((f"calltriage features (1 process per file)", audio, r["wall"], audio / r["wall"],
                         f"start-up {r['startup'] * 1000:.0f} ms/process; without start-up "
                         f"{audio / net:,.0f}x RT; {agree}"))
            for e in r["shape_errors"][:5]:
                notes.append(f"CLI shape/read error: {e}")
            print(f"CLI vs knf: max abs diff = {r['max_abs_diff']} (tol {args.tol}) -> "
                  f"{'OK' if r['agree'] else 'MISMATCH'}", file=sys.stderr, flush=True)
        if args.internal:
            ri = bench_internal(cli, files)
            if "error" in ri:
                notes.append(f"CLI internal: {ri['error']}")
            else:
                rows.append(("calltriage bench-frontend (internal timer)", ri["audio"], ri["wall"],
                             ri["audio"] / ri["wall"], "single process, all files"))

    print(f"\n### Front-end throughput: decode mu-law + 23-bin fbank, {len(files)} files x "
          f"{args.seconds:g} s @ 8 kHz\n")
    print("| system | audio s | wall s | x real time | notes |")
    print("|---|---:|---:|---:|---|")
    for name, a, w, x, note in rows:
        print(f"| {name} | {a:.1f} | {w:.3f} | {x:,.0f} | {note} |")
    print()
    for n in notes:
        print(f"- {n}")
    print(f"- Machine: {machine_info()}")
    tmpctx.cleanup()
    if any("MISMATCH" in r[4] for r in rows):
        sys.exit(1)


if __name__ == "__main__":
    main()
