#!/usr/bin/env python3
"""VAD frame-accuracy benchmark on noisy synthetic Mandarin telephone speech.

Builds a deterministic test set in a temporary folder (deleted unless --keep):
  * --sentences Mandarin sentences are spoken by espeak-ng through the shared tool
    /work/shared/tools/espeak/synth.py, which also gives per-syllable start/end times;
  * each of --items test items concatenates 2-3 sentences with 0.5-2.0 s pauses (plus 0.3-1.0 s
    of silence at both ends), resampled to 8 kHz and band-limited to 300-3400 Hz;
  * reference labels per 10 ms frame: speech where the frame centre lies inside a syllable span,
    after merging syllable spans separated by less than --merge-gap (0.2 s);
  * every item is mixed with pink noise and with babble (6 other espeak talkers) at each --snr
    (SNR = active-speech power, i.e. over frames labelled speech, / noise power), written as
    16-bit PCM mono 8 kHz WAV.

Systems compared (frame precision / recall / F1, pooled over all frames of a condition):
  * webrtcvad (webrtcvad-wheels) modes 0-3 with 10/20/30 ms frames: mode 2 at each frame size,
    and the best-F1 (mode, frame) per condition;
  * Silero VAD, the ONNX model shipped in the silero-vad wheel run with onnxruntime (no torch),
    at 8 kHz: 256-sample chunks + 32 samples of context, recurrent state fed back. "raw" =
    per-chunk probability >= --threshold; "segments" = the silero-vad get_speech_timestamps()
    post-processing (neg threshold thr-0.15, min speech 250 ms, min silence 100 ms, pad 30 ms);
  * our CLI: `calltriage inspect FILES... --json` (one JSON object per line per file; speech
    segments at channels[0].speech as [{"start": s, "end": s}, ...]); skipped if missing.

    python3 tools/bench/vad_bench.py                       # default: 40 items, SNR 20 10 5 0
    python3 tools/bench/vad_bench.py --items 10 --snr 10 0 --noise pink
    python3 tools/bench/vad_bench.py --calltriage .build/release/calltriage --json results.json

Needs: numpy soundfile webrtcvad-wheels onnxruntime pypinyin (for the espeak tool),
`pip install --no-deps silero-vad`, and Debian's espeak-ng.
"""
CLI_ARGS: list = []
import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

try:
    import soundfile as sf
except ImportError as e:  # pragma: no cover
    sys.exit(f"error: {e}. Install: pip install -r tools/golden/requirements.txt")

REPO = Path(__file__).resolve().parents[2]
SR = 8000
HOP = 0.010  # label frame, s
ESPEAK_TOOL = Path("/work/shared/tools/espeak/synth.py")

SENTENCES = [
    "你好，我想投诉一下我们小区的暖气问题，已经好几天不热了。",
    "物业说明天派人来修，可是到现在还没有人来。",
    "楼下的商铺半夜施工，噪音特别大，孩子都睡不着觉。",
    "请问这个问题多久能够解决，能不能给我一个准确的答复。",
    "我上个月已经打过电话了，一直没有人处理。",
    "路灯坏了很久，晚上出门很不安全，希望尽快修好。",
    "我家的自来水发黄，有一股很重的铁锈味。",
    "小区门口的垃圾好几天没有清运了，味道很难闻。",
    "公交车站改到了很远的地方，老人出行很不方便。",
    "我想咨询一下社保卡补办需要带什么材料。",
    "隔壁邻居在阳台上养了很多鸽子，影响我们休息。",
    "电梯经常出故障，上周还把人困在里面了。",
    "停车场的收费标准突然涨了，也没有提前通知。",
    "学校门口早上堵车非常严重，希望安排交警疏导。",
    "我在网上买的东西一直没有发货，商家也联系不上。",
    "这条马路上的井盖丢了，很容易出事故。",
    "餐馆的油烟直接排到我们楼里，窗户都不敢开。",
    "我想反映一下燃气费的问题，这个月的账单不对。",
    "附近工地的渣土车晚上开得很快，还掉了很多土。",
    "小区的绿化带被人占了种菜，物业也不管。",
    "我的快递被放在门口丢了，快递员说不是他的责任。",
    "医院挂号太难了，排了一上午的队也没挂上。",
    "希望你们能够重视这个问题，尽快给我们一个说法。",
    "我们这里已经停电三个小时了，什么时候能恢复。",
    "楼道里堆满了杂物，万一着火了根本跑不出去。",
    "广场舞的音乐声音太大了，每天晚上都要跳到很晚。",
    "我要投诉这家健身房，交了钱以后就关门了。",
    "出租车司机故意绕路，还不给开发票。",
    "我家楼上一直漏水，天花板都发霉了。",
    "谢谢你的耐心解答，我明白了，再见。",
    "麻烦你帮我登记一下，我留一个联系电话。",
    "社区的服务态度很差，问什么都说不知道。",
    "河边有人偷偷排放污水，河水都变黑了。",
    "共享单车乱停乱放，把人行道都堵住了。",
    "冬天到了，路面结冰很滑，已经有好几个人摔倒了。",
    "我想问一下孩子上学报名的时间和流程。",
    "这个房子的中介费收得太高了，而且不退押金。",
    "小区的大门坏了，外面的人随便就能进来。",
    "请你们派人过来看一看，我们实在没有办法了。",
    "好的，我会等你们的回复，希望不要再拖了。",
    "超市卖的牛奶过期了，店员还不肯退换。",
    "晚上总有人在楼下喝酒吵闹，一直闹到凌晨。",
]
VOICES = ["", "+m1", "+m3", "+m5", "+m7", "+f1", "+f2", "+f3", "+f4", "+f5", "+klatt4", "+m2"]


# --------------------------------------------------------------------------------------
# Signal helpers
# --------------------------------------------------------------------------------------

def band_mask(freqs: np.ndarray, lo=300.0, hi=3400.0, taper=100.0) -> np.ndarray:
    """Raised-cosine band-pass magnitude mask (telephone band)."""
    m = np.ones_like(freqs)
    m[freqs <= lo - taper] = 0
    m[freqs >= hi + taper] = 0
    a = (freqs > lo - taper) & (freqs < lo)
    m[a] = 0.5 - 0.5 * np.cos(np.pi * (freqs[a] - (lo - taper)) / taper)
    b = (freqs > hi) & (freqs < hi + taper)
    m[b] = 0.5 + 0.5 * np.cos(np.pi * (freqs[b] - hi) / taper)
    return m


def to_telephone(x: np.ndarray, sr_in: int) -> np.ndarray:
    """FFT resampling to 8 kHz + 300-3400 Hz band-pass (zero-phase, timings unchanged)."""
    n_out = int(round(x.size * SR / sr_in))
    pad = 2 * sr_in // 10  # 0.2 s of zeros each side against circular wrap-around
    xp = np.concatenate([np.zeros(pad), x, np.zeros(pad)])
    spec = np.fft.rfft(xp)
    n_out_p = int(round(xp.size * SR / sr_in))
    keep = n_out_p // 2 + 1
    spec = spec[:keep] * band_mask(np.fft.rfftfreq(xp.size, 1.0 / sr_in)[:keep])
    y = np.fft.irfft(spec, n=n_out_p) * (n_out_p / xp.size)
    off = int(round(pad * SR / sr_in))
    return y[off:off + n_out]


def pink_noise(n: int, rng) -> np.ndarray:
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / SR)
    shape = np.zeros_like(f)
    shape[1:] = 1.0 / np.sqrt(f[1:])
    y = np.fft.irfft(spec * shape * band_mask(f), n=n)
    return y / np.sqrt(np.mean(y ** 2))


def babble_noise(n: int, rng, pool: list, talkers: int = 6) -> np.ndarray:
    out = np.zeros(n)
    for _ in range(talkers):
        parts, total = [], 0
        while total < n + SR:
            s = pool[int(rng.integers(len(pool)))]["audio"]
            parts.append(s)
            total += s.size
        t = np.concatenate(parts)
        off = int(rng.integers(0, t.size - n))
        out += rng.uniform(0.5, 1.0) * t[off:off + n]
    return out / np.sqrt(np.mean(out ** 2))


def spans_to_frames(spans, n_frames: int, merge_gap: float = 0.0) -> np.ndarray:
    """Boolean per 10 ms frame: frame centre inside a span; spans closer than merge_gap joined."""
    spans = sorted((float(a), float(b)) for a, b in spans if b > a)
    merged = []
    for a, b in spans:
        if merged and a - merged[-1][1] < merge_gap:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    lab = np.zeros(n_frames, bool)
    centres = (np.arange(n_frames) + 0.5) * HOP
    for a, b in merged:
        lab[(centres >= a) & (centres < b)] = True
    return lab


# --------------------------------------------------------------------------------------
# Test set
# --------------------------------------------------------------------------------------

def synthesize(scratch: Path, n_sent: int, seed: int, tool: Path):
    rng = np.random.default_rng([seed, 0])
    lines = []
    for i in range(n_sent):
        lines.append({
            "id": f"s{i:03d}",
            "text": SENTENCES[i % len(SENTENCES)],
            "voice": "cmn-latn-pinyin" + VOICES[int(rng.integers(len(VOICES)))],
            "wpm": int(rng.integers(140, 200)),
            "pitch": int(rng.integers(30, 70)),
        })
    src = scratch / "lines.jsonl"
    src.write_text("".join(json.dumps(l, ensure_ascii=False) + "\n" for l in lines))
    out = scratch / "tts"
    r = subprocess.run([sys.executable, str(tool), "--out", str(out), str(src)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    pool = []
    for l in lines:
        wav, js = out / f"{l['id']}.wav", out / f"{l['id']}.json"
        if not (wav.exists() and js.exists()):
            continue
        meta = json.loads(js.read_text())
        x, sr = sf.read(str(wav), dtype="float64")
        y = to_telephone(x, sr)
        spans = [(s["start"], s["end"]) for s in meta["syllables"] if s["start"] is not None]
        pool.append({"id": l["id"], "audio": y, "spans": spans})
    if not pool:
        sys.exit(f"error: the espeak tool produced nothing:\n{r.stdout[-800:]}\n{r.stderr[-800:]}")
    if r.returncode != 0:
        print(f"warning: some sentences failed:\n{r.stderr[-800:]}", file=sys.stderr)
    return pool


def build_items(pool, n_items: int, seed: int, merge_gap: float):
    items = []
    for i in range(n_items):
        rng = np.random.default_rng([seed, 1, i])
        k = int(rng.integers(2, 4))
        chosen = rng.choice(len(pool), size=min(k, len(pool)), replace=False)
        parts, spans = [np.zeros(int(rng.uniform(0.3, 1.0) * SR))], []
        t = parts[0].size / SR
        for j, idx in enumerate(chosen):
            s = pool[int(idx)]
            g = 10 ** (rng.uniform(-3, 3) / 20)
            parts.append(s["audio"] * g)
            spans += [(a + t, b + t) for a, b in s["spans"]]
            t += s["audio"].size / SR
            gap = rng.uniform(0.5, 2.0) if j < len(chosen) - 1 else rng.uniform(0.3, 1.0)
            parts.append(np.zeros(int(gap * SR)))
            t += parts[-1].size / SR
        clean = np.concatenate(parts)
        n_frames = clean.size // int(HOP * SR)
        labels = spans_to_frames(spans, n_frames, merge_gap)
        items.append({"id": f"item{i:03d}", "clean": clean, "labels": labels,
                      "sentences": [pool[int(c)]["id"] for c in chosen]})
    return items


def mix(item, noise: np.ndarray, snr_db) -> np.ndarray:
    clean = item["clean"]
    hop = int(HOP * SR)
    lab = np.repeat(item["labels"], hop)
    lab = np.concatenate([lab, np.zeros(clean.size - lab.size, bool)])
    p_speech = np.mean(clean[lab] ** 2)
    if snr_db is None:
        y = clean.copy()
    else:
        y = clean + noise * np.sqrt(p_speech / 10 ** (snr_db / 10) / np.mean(noise ** 2))
    # speech at about -20 dBFS active level; avoid clipping
    y *= 0.1 / np.sqrt(p_speech)
    peak = np.max(np.abs(y))
    if peak > 0.95:
        y *= 0.95 / peak
    return np.clip(np.rint(y * 32768), -32768, 32767).astype(np.int16)


# --------------------------------------------------------------------------------------
# Systems
# --------------------------------------------------------------------------------------

def webrtc_frames(vad_mod, pcm: np.ndarray, mode: int, frame_ms: int, n_frames: int) -> np.ndarray:
    v = vad_mod.Vad(mode)
    n = SR * frame_ms // 1000
    k = pcm.size // n
    dec = np.array([v.is_speech(pcm[i * n:(i + 1) * n].tobytes(), SR) for i in range(k)], bool)
    # 10 ms label frame j -> webrtc frame containing its centre
    idx = ((np.arange(n_frames) + 0.5) * HOP * 1000 // frame_ms).astype(int)
    out = np.zeros(n_frames, bool)
    ok = idx < k
    out[ok] = dec[idx[ok]]
    return out


def find_silero_model():
    spec = importlib.util.find_spec("silero_vad")
    if spec is None or not spec.submodule_search_locations:
        return None
    for loc in spec.submodule_search_locations:
        p = Path(loc) / "data" / "silero_vad.onnx"
        if p.exists():
            return p
    return None


class SileroOnnx:
    """Silero VAD (v5/v6 ONNX) with onnxruntime; state inputs discovered from the model."""

    def __init__(self, path: Path):
        import onnxruntime as ort
        so = ort.SessionOptions()
        so.intra_op_num_threads = 1
        so.inter_op_num_threads = 1
        so.log_severity_level = 3
        self.sess = ort.InferenceSession(str(path), sess_options=so, providers=["CPUExecutionProvider"])
        self.inputs = {i.name: i for i in self.sess.get_inputs()}
        self.outputs = [o.name for o in self.sess.get_outputs()]
        if "input" not in self.inputs:
            raise RuntimeError(f"unexpected Silero inputs: {list(self.inputs)}")
        # recurrent inputs: 'state' (v5/v6) or 'h'/'c' (v4); their outputs are <name>N / <name>n
        self.state_names = [n for n in self.inputs if n not in ("input", "sr")]
        self.state_out = {}
        for n in self.state_names:
            cand = [o for o in self.outputs if o in (n + "N", n + "n")]
            if not cand:
                raise RuntimeError(f"no output for state input {n}: {self.outputs}")
            self.state_out[n] = cand[0]
        self.chunk = 256 if SR == 8000 else 512
        self.context = 32 if SR == 8000 else 64

    def describe(self) -> str:
        return ", ".join(f"{i.name}{list(i.shape)}:{i.type}" for i in self.inputs.values())

    def probs(self, x: np.ndarray) -> np.ndarray:
        """x: float32 in [-1, 1]; one probability per 256-sample chunk (last chunk zero-padded)."""
        state = {}
        for n in self.state_names:
            shape = [d if isinstance(d, int) else 1 for d in self.inputs[n].shape]
            state[n] = np.zeros(shape, np.float32)
        pad = (-x.size) % self.chunk
        x = np.concatenate([x.astype(np.float32), np.zeros(pad, np.float32)])
        ctx = np.zeros(self.context, np.float32)
        sr = np.array(SR, dtype=np.int64)
        out = np.empty(x.size // self.chunk, np.float32)
        for i in range(out.size):
            chunk = x[i * self.chunk:(i + 1) * self.chunk]
            feed = {"input": np.concatenate([ctx, chunk])[None, :], **state}
            if "sr" in self.inputs:
                feed["sr"] = sr
            res = dict(zip(self.outputs, self.sess.run(None, feed)))
            out[i] = float(np.asarray(res["output"]).reshape(-1)[0])
            for n in self.state_names:
                state[n] = res[self.state_out[n]]
            ctx = chunk[-self.context:]
        return out


def silero_segments(probs, n_samples: int, threshold=0.5, min_speech_ms=250, min_silence_ms=100,
                    pad_ms=30, window=256):
    """get_speech_timestamps_from_probs() of silero-vad 6.2 (max_speech_duration_s = inf)."""
    neg = max(threshold - 0.15, 0.01)
    min_speech, min_sil, pad = SR * min_speech_ms / 1000, SR * min_silence_ms / 1000, SR * pad_ms / 1000
    triggered, temp_end, cur, speeches = False, 0, {}, []
    for i, p in enumerate(probs):
        s = window * i
        if p >= threshold and temp_end:
            temp_end = 0
        if p >= threshold and not triggered:
            triggered, cur = True, {"start": s}
            continue
        if p < neg and triggered:
            if not temp_end:
                temp_end = s
            if s - temp_end < min_sil:
                continue
            cur["end"] = temp_end
            if cur["end"] - cur["start"] > min_speech:
                speeches.append(cur)
            cur, temp_end, triggered = {}, 0, False
    if cur and n_samples - cur["start"] > min_speech:
        cur["end"] = n_samples
        speeches.append(cur)
    for i, sp in enumerate(speeches):
        if i == 0:
            sp["start"] = int(max(0, sp["start"] - pad))
        if i != len(speeches) - 1:
            gap = speeches[i + 1]["start"] - sp["end"]
            if gap < 2 * pad:
                sp["end"] += int(gap // 2)
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - gap // 2))
            else:
                sp["end"] = int(min(n_samples, sp["end"] + pad))
                speeches[i + 1]["start"] = int(max(0, speeches[i + 1]["start"] - pad))
        else:
            sp["end"] = int(min(n_samples, sp["end"] + pad))
    return [(sp["start"] / SR, sp["end"] / SR) for sp in speeches]


def run_cli(cli: Path, wavs):
    """Returns {wav path: [(start, end), ...]} or an error string."""
    def parse(stdout, expected):
        objs = []
        for line in stdout.splitlines():
            line = line.strip()
            if line.startswith("{"):
                objs.append(json.loads(line))
        if len(objs) != len(expected):
            raise ValueError(f"{len(objs)} JSON lines for {len(expected)} files")
        res = {}
        for w, o in zip(expected, objs):
            key = next((o[k] for k in ("file", "path", "input") if k in o), None)
            if key is not None and Path(key).name != Path(w).name:  # prefer explicit names
                match = [x for x in expected if Path(x).name == Path(key).name]
                w = match[0] if match else w
            ch = o["channels"][0]
            res[w] = [(float(s["start"]), float(s["end"])) for s in ch.get("speech", [])]
        return res

    r = subprocess.run([str(cli), "inspect", *map(str, wavs), "--json", *CLI_ARGS],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode == 0:
        try:
            return parse(r.stdout, list(wavs))
        except (ValueError, KeyError, IndexError, TypeError):
            pass
    res = {}  # one file at a time
    for w in wavs:
        r = subprocess.run([str(cli), "inspect", str(w), "--json", *CLI_ARGS],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            return f"`calltriage inspect {Path(w).name} --json` failed (exit {r.returncode}): {r.stderr.strip()[:300]}"
        try:
            res.update(parse(r.stdout, [w]))
        except (ValueError, KeyError, IndexError, TypeError) as e:
            return f"cannot parse `calltriage inspect --json` output ({e}): {r.stdout[:200]!r}"
    return res


# --------------------------------------------------------------------------------------

def prf(tp, fp, fn):
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return p, r, f


class Counter:
    def __init__(self):
        self.c = {}

    def add(self, name, ref, hyp):
        tp, fp, fn = self.c.get(name, (0, 0, 0))
        self.c[name] = (tp + int(np.sum(ref & hyp)), fp + int(np.sum(~ref & hyp)), fn + int(np.sum(ref & ~hyp)))

    def scores(self):
        return {k: prf(*v) for k, v in self.c.items()}

    def specificity(self, name, n_nonspeech):
        tp, fp, fn = self.c[name]
        return 1.0 - fp / n_nonspeech if n_nonspeech else 0.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--sentences", type=int, default=40, help="sentences to synthesise (default 40)")
    ap.add_argument("--items", type=int, default=40, help="test items of 2-3 sentences (default 40)")
    ap.add_argument("--snr", nargs="+", default=["20", "10", "5", "0"],
                    help="SNRs in dB; 'clean' for no noise (default: 20 10 5 0)")
    ap.add_argument("--noise", nargs="+", choices=["pink", "babble"], default=["pink", "babble"],
                    help="noise types (default: pink babble)")
    ap.add_argument("--seed", type=int, default=20240601, help="base seed")
    ap.add_argument("--merge-gap", type=float, default=0.2,
                    help="join syllable spans closer than this, s (default 0.2)")
    ap.add_argument("--threshold", type=float, default=0.5, help="Silero threshold (default 0.5)")
    ap.add_argument("--espeak-tool", type=Path, default=ESPEAK_TOOL, help=f"default {ESPEAK_TOOL}")
    ap.add_argument("--silero-model", type=Path, default=None,
                    help="Silero ONNX file (default: silero_vad/data/silero_vad.onnx of the wheel)")
    ap.add_argument("--calltriage", type=Path, default=REPO / ".build" / "release" / "calltriage",
                    help="calltriage binary (default .build/release/calltriage); skipped if missing")
    ap.add_argument("--keep", type=Path, default=None, help="keep the WAVs/labels in this folder")
    ap.add_argument("--json", type=Path, default=None, help="also write all scores as JSON here")
    ap.add_argument("--cli-args", default="", help="extra arguments for `calltriage inspect`, e.g. \"--vad-onset 0.6\"")
    args = ap.parse_args()
    global CLI_ARGS
    CLI_ARGS = args.cli_args.split()
    snrs = [None if s.lower() in ("clean", "inf") else float(s) for s in args.snr]

    notes = []
    try:
        import webrtcvad
    except ImportError:
        webrtcvad = None
        notes.append("webrtcvad: skipped (pip install webrtcvad-wheels)")
    silero = None
    model = args.silero_model or find_silero_model()
    if model is None:
        notes.append("Silero: skipped (pip install --no-deps silero-vad; pip install onnxruntime)")
    else:
        try:
            silero = SileroOnnx(model)
            notes.append(f"Silero model: {model.name}; inputs {silero.describe()}; outputs {silero.outputs}")
        except Exception as e:  # noqa: BLE001
            notes.append(f"Silero: skipped ({e})")
    cli = args.calltriage
    use_cli = cli.is_file() and os.access(cli, os.X_OK)
    if not use_cli:
        notes.append(f"calltriage: skipped, binary not found: {cli} (build it or pass --calltriage PATH)")
    if not args.espeak_tool.exists():
        sys.exit(f"error: espeak tool not found: {args.espeak_tool} (see /work/shared/tools/README.md)")
    if not shutil.which("espeak-ng"):
        sys.exit("error: espeak-ng missing: apt-get install espeak-ng")

    tmpctx = tempfile.TemporaryDirectory(prefix="vad_bench_")
    work = args.keep or Path(tmpctx.name)
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pool = synthesize(Path(tmpctx.name), args.sentences, args.seed, args.espeak_tool)
    items = build_items(pool, args.items, args.seed, args.merge_gap)
    audio_s = sum(it["clean"].size for it in items) / SR
    speech_frac = np.mean(np.concatenate([it["labels"] for it in items]))
    print(f"test set: {len(pool)} sentences, {len(items)} items, {audio_s:.0f} s audio per condition, "
          f"{100 * speech_frac:.1f}% speech frames ({time.perf_counter() - t0:.1f} s)",
          file=sys.stderr, flush=True)
    if args.keep:
        for it in items:
            np.save(work / f"{it['id']}.labels.npy", it["labels"])

    results = {}  # (noise, snr label) -> {system: (p, r, f)}
    conditions = [("none", None)] if None in snrs else []
    conditions += [(nz, s) for nz in args.noise for s in snrs if s is not None]
    for noise_kind, snr in conditions:
        label = "clean" if snr is None else f"{snr:g}"
        t1 = time.perf_counter()
        cond_dir = work / f"{noise_kind}_{label}dB"
        cond_dir.mkdir(parents=True, exist_ok=True)
        cnt = Counter()
        wavs, refs = [], {}
        for i, it in enumerate(items):
            rng = np.random.default_rng([args.seed, 2, ["none", "pink", "babble"].index(noise_kind), i])
            n = it["clean"].size
            noise = pink_noise(n, rng) if noise_kind == "pink" else (
                babble_noise(n, rng, pool) if noise_kind == "babble" else np.zeros(n))
            pcm = mix(it, noise, snr)
            wav = cond_dir / f"{it['id']}.wav"
            sf.write(str(wav), pcm, SR, subtype="PCM_16", format="WAV")
            wavs.append(wav)
            ref = it["labels"]
            refs[wav] = ref
            nf = ref.size
            cnt.add("all speech", ref, np.ones(nf, bool))
            if webrtcvad is not None:
                for mode in range(4):
                    for ms in (10, 20, 30):
                        cnt.add(f"webrtcvad m{mode} {ms}ms", ref, webrtc_frames(webrtcvad, pcm, mode, ms, nf))
            if silero is not None:
                pr = silero.probs(pcm.astype(np.float32) / 32768.0)
                idx = ((np.arange(nf) + 0.5) * HOP * SR // silero.chunk).astype(int)
                cnt.add("silero raw", ref, pr[np.minimum(idx, pr.size - 1)] >= args.threshold)
                segs = silero_segments(pr, pcm.size, args.threshold, window=silero.chunk)
                cnt.add("silero segments", ref, spans_to_frames(segs, nf))
        if use_cli:
            out = run_cli(cli, wavs)
            if isinstance(out, str):
                notes.append(f"calltriage ({noise_kind} {label} dB): {out}")
                use_cli = False
            else:
                for w in wavs:
                    cnt.add("calltriage", refs[w], spans_to_frames(out.get(w, []), refs[w].size))
        n_ns = int(sum(np.sum(~r) for r in refs.values()))
        results[(noise_kind, label)] = {k: (*v, cnt.specificity(k, n_ns)) for k, v in cnt.scores().items()}
        print(f"  {cond_dir.name} done ({time.perf_counter() - t1:.1f} s)", file=sys.stderr, flush=True)

    # ---------------- report ----------------
    conds = list(results)
    web_all = sorted({k for r in results.values() for k in r if k.startswith("webrtcvad")})
    rows = [("baseline: every frame speech", {c: (*results[c]["all speech"], "") for c in conds})]
    # each cell: (precision, recall, F1, specificity, note)
    for ms in (10, 20, 30):
        name = f"webrtcvad m2 {ms}ms"
        if name in web_all:
            rows.append((f"webrtcvad mode 2, {ms} ms", {c: (*results[c][name], "") for c in conds}))
    if web_all:
        best = {}
        for c in conds:
            k = max(web_all, key=lambda k: results[c][k][2])
            best[c] = (*results[c][k], k.replace("webrtcvad ", ""))
        rows.append(("webrtcvad best-F1 mode/frame per condition", best))
        overall = max(web_all, key=lambda k: np.mean([results[c][k][2] for c in conds]))
        rows.append((f"webrtcvad best overall ({overall.replace('webrtcvad ', '')})",
                     {c: (*results[c][overall], "") for c in conds}))
    for name, label in (("silero raw", f"Silero ONNX raw (p >= {args.threshold:g}, 32 ms)"),
                        ("silero segments", "Silero ONNX get_speech_timestamps")):
        if any(name in results[c] for c in conds):
            rows.append((label, {c: (*results[c][name], "") for c in conds}))
    if any("calltriage" in results[c] for c in conds):
        rows.append(("calltriage inspect (channel 0)",
                     {c: (*results[c]["calltriage"], "") for c in conds if "calltriage" in results[c]}))

    def cname(c):
        return "clean" if c[1] == "clean" else f"{c[0]} {c[1]} dB"

    print(f"\n### VAD frame F1 (10 ms frames), {len(items)} items, {audio_s:.0f} s per condition, "
          f"{100 * speech_frac:.1f}% speech\n")
    print("| system | " + " | ".join(cname(c) for c in conds) + " |")
    print("|---|" + "---:|" * len(conds))
    for name, vals in rows:
        cells = []
        for c in conds:
            if c in vals:
                p, r, f, spec, note = vals[c]
                cells.append(f"{f:.3f}" + (f" ({note})" if note else ""))
            else:
                cells.append("–")
        print(f"| {name} | " + " | ".join(cells) + " |")

    print("\n### Precision / recall / F1\n")
    print("| condition | system | precision | recall | F1 | non-speech recall |")
    print("|---|---|---:|---:|---:|---:|")
    for c in conds:
        for name, vals in rows:
            if c in vals:
                p, r, f, spec, note = vals[c]
                print(f"| {cname(c)} | {name}{' ' + note if note else ''} | {p:.3f} | {r:.3f} | {f:.3f} "
                      f"| {spec:.3f} |")
    print()
    for n in notes:
        print(f"- {n}")
    print("- non-speech recall = fraction of non-speech frames labelled non-speech (specificity); "
          "with ~80% speech frames, F1 of the every-frame-speech baseline is high: compare against it.")
    print(f"- Reference: syllable spans from espeak-ng timings, gaps < {args.merge_gap:g} s merged; "
          f"frame = speech if its centre is inside a span. SNR over active speech.")

    if args.json:
        args.json.write_text(json.dumps({
            "items": len(items), "audio_seconds_per_condition": audio_s, "speech_fraction": speech_frac,
            "results": {cname(c): {k: dict(zip(("precision", "recall", "f1", "nonspeech_recall"), v))
                                   for k, v in r.items()}
                        for c, r in results.items()},
        }, indent=2) + "\n")
    tmpctx.cleanup()


if __name__ == "__main__":
    main()
