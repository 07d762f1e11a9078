import Foundation

/// One detected key press.
public struct DTMFTone: Sendable, Equatable, Codable {
    public var digit: Character
    public var start: Double
    public var end: Double

    public init(digit: Character, start: Double, end: Double) {
        self.digit = digit; self.start = start; self.end = end
    }

    enum CodingKeys: String, CodingKey { case digit, start, end }
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let s = try c.decode(String.self, forKey: .digit)
        digit = s.first ?? "?"
        start = try c.decode(Double.self, forKey: .start)
        end = try c.decode(Double.self, forKey: .end)
    }
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(String(digit), forKey: .digit)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
    }
}

/// DTMF acceptance limits (ITU-T Q.24 and common practice).
public struct DTMFOptions: Sendable, Codable, Equatable {
    /// Q.24: must accept ±1.5 %, must reject beyond ±3.5 %; the limit sits between.
    public var maxFrequencyDeviation: Double = 0.025
    /// High group may be at most this much louder than the low group (reverse twist), dB.
    public var maxReverseTwistDB: Double = 4
    /// High group may be at most this much quieter than the low group (normal twist), dB.
    public var maxNormalTwistDB: Double = 8
    /// Minimum tone duration (Q.24: 40 ms must be accepted); estimated durations below this are rejected.
    public var minDurationSeconds: Double = 0.034
    /// Share of the frame's power the two tones must carry (speech spreads its power).
    public var minToneShare: Double = 0.6
    /// Tones quieter than this (dBFS per tone) are ignored.
    public var minLevelDBFS: Double = -45

    public init() {}
}

/// Streaming DTMF detector: Goertzel filters on 25.6 ms frames every 10 ms, a fine frequency
/// search around the strongest row and column tone for the Q.24 deviation test, twist and
/// tone-share checks, then runs of frames with the same digit become key presses whose
/// duration is estimated from the amplitude envelope (so a 25 ms blip is not a 40 ms press).
public final class DTMFDetector {
    public static let rows: [Double] = [697, 770, 852, 941]
    public static let cols: [Double] = [1209, 1336, 1477, 1633]
    public static let keypad: [[Character]] = [["1", "2", "3", "A"], ["4", "5", "6", "B"],
                                                ["7", "8", "9", "C"], ["*", "0", "#", "D"]]

    public let sampleRate: Int
    public let options: DTMFOptions
    private let n: Int
    private let hop: Int
    private let hann: [Float]
    /// Recent samples (kept ~1 s behind the current frame for the duration measurement).
    private var pending: [Float] = []
    private var pendingStart = 0          // absolute index of pending[0]
    private var nextFrameStart = 0        // absolute index of the next frame's first sample
    private var frameIndex = 0
    private var scratch: [Float]
    // Current run.
    private var runDigit: Character? = nil
    private var runAmps: [Double] = []
    private var runCentres: [Double] = []
    private var runFirstFrame = 0
    private var runFreqs: (Double, Double) = (0, 0)
    public private(set) var tones: [DTMFTone] = []

    public init(sampleRate: Int, options: DTMFOptions = DTMFOptions()) {
        self.sampleRate = sampleRate
        self.options = options
        n = Int((0.0256 * Double(sampleRate)).rounded())
        hop = sampleRate / 100
        hann = WindowType.hann.coefficients(n)
        scratch = [Float](repeating: 0, count: n)
    }

    public func accept(_ samples: [Float]) {
        pending.append(contentsOf: samples)
        while nextFrameStart - pendingStart + n <= pending.count {
            let offset = nextFrameStart - pendingStart
            pending.withUnsafeBufferPointer { p in analyse(p.baseAddress! + offset) }
            nextFrameStart += hop
        }
        // Keep one second of history behind the next frame.
        let drop = nextFrameStart - pendingStart - sampleRate
        if drop > sampleRate / 2 {
            pending.removeFirst(drop)
            pendingStart += drop
        }
    }

    public func finish() -> [DTMFTone] {
        closeRun()
        return tones
    }

    /// Goertzel power |X(f)|² of `x` (length `count`) at frequency `f`, optionally windowed.
    @inline(__always)
    static func goertzel(_ x: UnsafePointer<Float>, _ count: Int, _ f: Double, _ fs: Double) -> Double {
        let w = 2 * Double.pi * f / fs
        let coeff = Float(2 * cos(w))
        var s1: Float = 0, s2: Float = 0
        for i in 0..<count {
            let s0 = x[i] + coeff * s1 - s2
            s2 = s1; s1 = s0
        }
        let re = Double(s1) - Double(s2) * cos(w)
        let im = Double(s2) * sin(w)
        return re * re + im * im
    }

    private func analyse(_ x: UnsafePointer<Float>) {
        defer { frameIndex += 1 }
        let fs = Double(sampleRate)
        var energy: Double = 0
        for i in 0..<n { energy += Double(x[i] * x[i]) }
        let framePower = energy / Double(n)
        // Each tone at the minimum level has power (10^(dB/20))²/2.
        let minTonePower = pow(10, options.minLevelDBFS / 10) / 2
        guard framePower > minTonePower else { endFrame(nil, 0); return }

        // Screen with a Hann window (wide main lobe covers off-nominal tones).
        scratch.withUnsafeMutableBufferPointer { s in
            for i in 0..<n { s[i] = x[i] * hann[i] }
        }
        let (rowP, colP): ([Double], [Double]) = scratch.withUnsafeBufferPointer { s in
            (DTMFDetector.rows.map { DTMFDetector.goertzel(s.baseAddress!, n, $0, fs) },
             DTMFDetector.cols.map { DTMFDetector.goertzel(s.baseAddress!, n, $0, fs) })
        }
        let r = rowP.indices.max { rowP[$0] < rowP[$1] }!
        let c = colP.indices.max { colP[$0] < colP[$1] }!
        // Relative peak: every other tone in the group ≥ 6 dB below the best.
        let rowClear = rowP.indices.allSatisfy { $0 == r || rowP[$0] * 4 <= rowP[r] }
        let colClear = colP.indices.allSatisfy { $0 == c || colP[$0] * 4 <= colP[c] }
        guard rowClear, colClear else { endFrame(nil, 0); return }
        // Hann amplitude estimate: A = 2|X|/Σw; quick share test before the fine search.
        let hannSum = Double(n) / 2
        let quickShare = (rowP[r] + colP[c]) * 2 / (hannSum * hannSum) / framePower
        guard quickShare > options.minToneShare * 0.3 else { endFrame(nil, 0); return }

        // Fine search (rectangular window): deviation and amplitude of each tone.
        let (fr, ar) = refine(x, DTMFDetector.rows[r])
        let (fc, ac) = refine(x, DTMFDetector.cols[c])
        let devR = abs(fr / DTMFDetector.rows[r] - 1), devC = abs(fc / DTMFDetector.cols[c] - 1)
        guard devR <= options.maxFrequencyDeviation, devC <= options.maxFrequencyDeviation else {
            endFrame(nil, 0); return
        }
        let twist = 20 * log10(ac / ar)
        guard twist <= options.maxReverseTwistDB, twist >= -options.maxNormalTwistDB else {
            endFrame(nil, 0); return
        }
        let share = (ar * ar + ac * ac) / 2 / framePower
        guard share >= options.minToneShare else { endFrame(nil, 0); return }
        // Voiced speech has harmonics; a DTMF tone has none at twice the column frequency
        // (2.4–3.3 kHz, far from every DTMF tone, unlike twice a row frequency).
        if 2 * fc < fs / 2 - 100 {
            let h2 = sqrt(DTMFDetector.goertzel(x, n, 2 * fc, fs)) * 2 / Double(n)
            guard h2 < ac * 0.2 else { endFrame(nil, 0); return }
        }
        guard min(ar, ac) >= sqrt(2 * minTonePower) else { endFrame(nil, 0); return }
        endFrame(DTMFDetector.keypad[r][c], min(ar, ac), freqs: (fr, fc))
    }

    /// Frequency and amplitude of the tone near `nominal` (±4 %, 0.5 % steps, parabolic peak).
    private func refine(_ x: UnsafePointer<Float>, _ nominal: Double) -> (Double, Double) {
        let fs = Double(sampleRate)
        let steps = Array(-8...8)
        let mags = steps.map { DTMFDetector.goertzel(x, n, nominal * (1 + 0.005 * Double($0)), fs).squareRoot() }
        let k = mags.indices.max { mags[$0] < mags[$1] }!
        var offset = 0.0
        if k > 0 && k < mags.count - 1 {
            let a = mags[k - 1], b = mags[k], c = mags[k + 1]
            let den = a - 2 * b + c
            if den < 0 { offset = 0.5 * (a - c) / den }
        }
        let f = nominal * (1 + 0.005 * (Double(steps[k]) + offset))
        let amp = DTMFDetector.goertzel(x, n, f, fs).squareRoot() * 2 / Double(n)
        return (f, amp)
    }

    private func endFrame(_ digit: Character?, _ amplitude: Double, freqs: (Double, Double) = (0, 0)) {
        if digit != runDigit { closeRun() }
        if let d = digit {
            if runDigit == nil { runDigit = d; runFirstFrame = frameIndex; runFreqs = freqs }
            runAmps.append(amplitude)
            runCentres.append((Double(frameIndex * hop) + Double(n) / 2) / Double(sampleRate))
        }
    }

    private func closeRun() {
        defer { runDigit = nil; runAmps.removeAll(); runCentres.removeAll() }
        guard let d = runDigit, runAmps.count >= 2, let peak = runAmps.max(), peak > 0 else { return }
        let fs = Double(sampleRate)
        var start: Double, end: Double
        if let (s, e) = envelopeSpan() {
            start = s; end = e
        } else {
            // Longer than the history: the frames bound it well enough.
            let weight = runAmps.reduce(0, +)
            let centre = zip(runAmps, runCentres).reduce(0) { $0 + $1.0 * $1.1 } / weight
            let duration = Double(hop) / fs * runAmps.reduce(0) { $0 + $1 / peak }
            start = max(0, centre - duration / 2); end = centre + duration / 2
        }
        guard end - start >= options.minDurationSeconds else { return }
        tones.append(DTMFTone(digit: d, start: start, end: end))
    }

    /// Start and end of the current run's tone from an 8 ms Goertzel envelope at 1 ms steps:
    /// the tone lies between the half-amplitude points (shifted by half the window).
    private func envelopeSpan() -> (Double, Double)? {
        let fs = Double(sampleRate)
        let w = Int(0.008 * fs), step = max(1, sampleRate / 1000)
        let from = runFirstFrame * hop - n, to = (frameIndex) * hop + n
        guard from - pendingStart >= 0 || runFirstFrame * hop - pendingStart >= 0 else { return nil }
        let lo = max(from, pendingStart), hi = min(to, pendingStart + pending.count)
        guard hi - lo > w else { return nil }
        var amps: [Double] = []
        var starts: [Int] = []
        pending.withUnsafeBufferPointer { p in
            var t = lo
            while t + w <= hi {
                let x = p.baseAddress! + (t - pendingStart)
                let a = DTMFDetector.goertzel(x, w, runFreqs.0, fs).squareRoot() + DTMFDetector.goertzel(x, w, runFreqs.1, fs).squareRoot()
                amps.append(a); starts.append(t)
                t += step
            }
        }
        guard let mx = amps.max(), mx > 0,
              let first = amps.firstIndex(where: { $0 >= mx / 2 }),
              let last = amps.lastIndex(where: { $0 >= mx / 2 }) else { return nil }
        let half = Double(w) / 2
        return ((Double(starts[first]) + half) / fs, (Double(starts[last]) + half) / fs)
    }

    /// Whole-signal convenience.
    public static func detect(_ x: [Float], sampleRate: Int, options: DTMFOptions = DTMFOptions()) -> [DTMFTone] {
        let d = DTMFDetector(sampleRate: sampleRate, options: options)
        d.accept(x)
        return d.finish()
    }
}
