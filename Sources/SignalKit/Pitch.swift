import Foundation

/// Streaming pitch features for tonal speech, frame-synchronous with a Kaldi-style fbank
/// (snip-edges framing): per frame the peak normalised cross-correlation (NCCF, a voicing
/// measure in [0, 1]) and log F0 relative to a running speaker mean.
///
/// Mandarin tones are pitch contours; a telephone band log-mel spectrum carries them only weakly
/// (the fundamental is below 300 Hz and cut away), but the periodicity survives in the harmonics,
/// so the autocorrelation of the band-limited signal still peaks at the pitch period.
///
/// Per frame: the 40 ms window ending where the fbank frame ends (so a pitch frame is ready
/// exactly when its fbank frame is), low-passed and downsampled to 4 kHz, mean removed; NCCF
/// over lags for 60–400 Hz. The period is the shortest lag whose NCCF peak reaches 85 % of the
/// best (a multiple of the period correlates almost as well: octave errors), refined by parabolic
/// interpolation. Log F0 is
/// centred on a running mean over voiced frames (NCCF ≥ 0.5, time constant `meanFrames`) that
/// starts at log 150 Hz, and clamped to ±1 (about ±1.4 octaves).
public final class PitchTracker {
    public static let dims = 2
    public let sampleRate: Int
    public let frameShift: Int      // samples at `sampleRate`
    public let frameLength: Int
    public let meanFrames: Int
    private let window = 160        // 40 ms at 4 kHz
    private let minLag = 10         // 400 Hz at 4 kHz
    private let maxLag = 67         // ~60 Hz
    private var low: [Float] = []   // 4 kHz samples kept (from lowStart)
    private var lowStart = 0        // 4 kHz index of low[0]
    private var history = [Float](repeating: 0, count: 14)   // last input samples, for the FIR
    private var phase = 1           // output on every second input sample
    private var done = 0            // frames computed
    private var logMean = Float(log(150.0))
    private var voiced = 0
    private var w: [Float]
    private var sq: [Float]
    private var r: [Float]

    public init(sampleRate: Int = 8000, frameShiftMs: Double = 10, frameLengthMs: Double = 25, meanFrames: Int = 300) {
        precondition(sampleRate == 8000, "pitch features are defined at 8 kHz")
        self.sampleRate = sampleRate
        frameShift = Int((Double(sampleRate) * frameShiftMs / 1000).rounded())
        frameLength = Int((Double(sampleRate) * frameLengthMs / 1000).rounded())
        self.meanFrames = meanFrames
        w = [Float](repeating: 0, count: window)
        sq = [Float](repeating: 0, count: window + 1)
        r = [Float](repeating: 0, count: maxLag + 2)
    }

    /// Adds input samples (any scale).
    public func accept(_ samples: [Float]) {
        // Causal low-pass FIR (cut-off ~1.7 kHz), then every second sample: 4 kHz.
        let taps = PitchTracker.lowPass.count
        let buf = history + samples            // the last taps−1 samples before these, then these
        var phase = self.phase
        var out: [Float] = []
        out.reserveCapacity(samples.count / 2 + 1)
        PitchTracker.lowPass.withUnsafeBufferPointer { h in
            buf.withUnsafeBufferPointer { x in
                for i in 0..<samples.count {
                    phase ^= 1
                    guard phase == 0 else { continue }
                    let p = taps - 1 + i
                    var y: Float = 0
                    for j in 0..<taps { y += h[j] * x[p - j] }
                    out.append(y)
                }
            }
        }
        self.phase = phase
        low.append(contentsOf: out)
        history = Array(buf.suffix(taps - 1))
    }

    /// Windowed-sinc low-pass, 15 taps, cut-off 0.43 × Nyquist of the 4 kHz output, unit DC gain.
    static let lowPass: [Float] = {
        let n = 15, fc = 0.43 * 0.5
        var h = (0..<n).map { i -> Double in
            let m = Double(i) - Double(n - 1) / 2
            let sinc = m == 0 ? 2 * fc : sin(2 * .pi * fc * m) / (.pi * m)
            return sinc * (0.54 - 0.46 * cos(2 * .pi * Double(i) / Double(n - 1)))
        }
        let sum = h.reduce(0, +)
        h = h.map { $0 / sum }
        return h.map(Float.init)
    }()

    /// Features of frames [computed so far, n), `dims` values each; frame i must be complete,
    /// i.e. its fbank frame (ending at input sample i·shift + length) has been produced.
    public func frames(upTo n: Int) -> [[Float]] {
        var out: [[Float]] = []
        while done < n {
            out.append(frame(done))
            done += 1
        }
        // Keep what the next frame's window needs.
        let nextEnd = (done * frameShift + frameLength) / 2
        let keepFrom = nextEnd - window
        if keepFrom - lowStart > 4096 {
            let drop = min(keepFrom - lowStart, low.count)
            low.removeFirst(drop); lowStart += drop
        }
        return out
    }

    /// All frames of a whole signal, `count` of them (the fbank's frame count).
    public static func compute(_ samples: [Float], frames count: Int) -> [[Float]] {
        let t = PitchTracker()
        t.accept(samples)
        return t.frames(upTo: count)
    }

    private func frame(_ i: Int) -> [Float] {
        let end = (i * frameShift + frameLength) / 2
        let window = self.window, minLag = self.minLag, maxLag = self.maxLag
        var best = -1, bestR: Float = 0
        // One exclusive access per buffer per frame (element-wise access to a class's arrays
        // would be checked every time).
        low.withUnsafeBufferPointer { low in
        w.withUnsafeMutableBufferPointer { w in
        sq.withUnsafeMutableBufferPointer { sq in
        r.withUnsafeMutableBufferPointer { r in
            var mean: Float = 0
            let first = end - window - lowStart
            for k in 0..<window {
                let j = first + k
                let v = j >= 0 && j < low.count ? low[j] : 0
                w[k] = v; mean += v
            }
            mean /= Float(window)
            sq[0] = 0
            for k in 0..<window { w[k] -= mean; sq[k + 1] = sq[k] + w[k] * w[k] }
            let base = UnsafeRawPointer(w.baseAddress!)
            for lag in (minLag - 1)...(maxLag + 1) {
                let n = window - lag
                // Σ w[k]·w[k+lag], eight lanes at a time.
                var acc = SIMD8<Float>()
                var k = 0
                while k + 8 <= n {
                    acc += base.loadUnaligned(fromByteOffset: k * 4, as: SIMD8<Float>.self)
                        * base.loadUnaligned(fromByteOffset: (k + lag) * 4, as: SIMD8<Float>.self)
                    k += 8
                }
                var num = acc.sum()
                while k < n { num += w[k] * w[k + lag]; k += 1 }
                let e0 = sq[n], e1 = sq[window] - sq[lag]
                let v = num / (e0 * e1 + 1e-12).squareRoot()
                r[lag] = v
                if lag >= minLag && lag <= maxLag && v > bestR { bestR = v; best = lag }
            }
        }
        }
        }
        }
        // Shortest local peak within 85 % of the best: the period, not a multiple of it.
        if best > 0 {
            for lag in minLag..<best where r[lag] >= 0.85 * bestR && r[lag] >= r[lag - 1] && r[lag] >= r[lag + 1] {
                best = lag; break
            }
        }
        var logF0 = logMean
        if best > 0 {
            // Parabolic interpolation of the peak.
            let a = r[best - 1], b = r[best], c = r[best + 1]
            let den = a - 2 * b + c
            let shift = den < 0 ? max(-0.5, min(0.5, 0.5 * (a - c) / den)) : 0
            logF0 = Float(log(4000.0 / Double(Float(best) + shift)))
        }
        let nccf = max(0, min(1, bestR))
        if nccf >= 0.5 && best > 0 {
            voiced += 1
            logMean += (logF0 - logMean) / Float(min(voiced, meanFrames))
        }
        return [nccf, max(-1, min(1, logF0 - logMean))]
    }
}
