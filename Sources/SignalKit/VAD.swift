import Foundation

/// A time span in seconds.
public struct Segment: Sendable, Equatable, Codable {
    public var start: Double
    public var end: Double
    public init(start: Double, end: Double) { self.start = start; self.end = end }
    public var duration: Double { end - start }

    /// `segments` minus the union of `holes`, keeping pieces of at least `minDuration`.
    public static func subtract(_ holes: [Segment], from segments: [Segment], minDuration: Double = 0) -> [Segment] {
        guard !holes.isEmpty else { return segments }
        let sorted = holes.sorted { $0.start < $1.start }
        var out: [Segment] = []
        for s in segments {
            var cursor = s.start
            for h in sorted where h.end > cursor && h.start < s.end {
                if h.start > cursor { out.append(Segment(start: cursor, end: h.start)) }
                cursor = max(cursor, h.end)
            }
            if cursor < s.end { out.append(Segment(start: cursor, end: s.end)) }
        }
        return out.filter { $0.duration >= minDuration }
    }
}

/// VAD settings. Defaults were tuned on synthetic telephone speech with pink and babble
/// noise at 0–20 dB SNR (tools/bench/vad_bench.py).
public struct VADOptions: Sendable, Codable, Equatable {
    /// Lower/upper edge of the analysed band (Hz): the telephone band.
    public var lowHz: Double = 250
    public var highHz: Double = 3500
    public var numBands = 16
    /// Frame log-likelihood ratio needed to start speech / to stay in speech.
    public var onsetThreshold: Float = 0.8
    public var offsetThreshold: Float = 0.3
    /// Minimum-statistics window for the noise estimate (seconds).
    public var noiseWindowSeconds: Double = 1.5
    /// Speech continues this long after the last speech frame (seconds).
    public var hangoverSeconds: Double = 0.08
    /// Segments shorter than this are dropped; gaps shorter than `mergeGap` are bridged.
    public var minSpeechSeconds: Double = 0.12
    public var mergeGapSeconds: Double = 0.3
    /// The frame score averages the log-likelihood ratios of this share of bands, strongest first
    /// (speech in coloured noise stands out in some bands only).
    public var topBandShare: Float = 1.0
    /// Minimum statistics underestimate the mean noise power by about this factor.
    public var noiseBias: Float = 1.6
    /// Frames quieter than this (dBFS) are never speech.
    public var absoluteFloorDBFS: Float = -62

    public init() {}
}

/// Streaming statistical voice-activity detector (Sohn, Kim & Sung 1999 likelihood-ratio test
/// on telephone-band sub-bands, with minimum-statistics noise tracking, decision-directed
/// a-priori SNR, hysteresis and hangover). Works in 10 ms frames, memory constant in length.
public final class VoiceActivityDetector {
    public let sampleRate: Int
    public let options: VADOptions
    public let frameShift: Int
    public let frameLength: Int
    private let fft: RealFFT
    private let window: [Float]
    private let windowPower: Float        // Σ w², for converting spectra to dBFS
    private let bandEdges: [Int]          // FFT bin edges (numBands + 1)
    private var pending: [Float] = []
    private var frameIndex = 0
    private var spectrum: [Float]
    private var bandPower: [Float]
    private var bandLLR: [Float]
    // Noise tracking (minimum statistics with sub-windows).
    private var smoothed: [Float]
    private var subMin: [Float]
    private var windowMins: [[Float]] = []
    private var subCount = 0
    private let subLength: Int
    private let numSubs: Int
    private var noise: [Float]
    private var prevClean: [Float]
    private var initialised = false
    // Decision state.
    private var inSpeech = false
    private var lastSpeechFrame = -1
    private var segmentStartFrame = 0
    private var smoothedLLR: Float = 0
    private var rawSegments: [Segment] = []
    private var committed: [Segment] = []
    /// Per-frame decisions (true = speech) for frame-level scoring; kept only when asked.
    public private(set) var frameDecisions: [Bool] = []
    public var keepFrameDecisions = false
    /// Per-frame energy (dBFS) of the analysed band, for the quality estimator.
    public var onFrame: ((_ frameEnergyDB: Float, _ isSpeech: Bool) -> Void)?

    public init(sampleRate: Int, options: VADOptions = VADOptions()) {
        self.sampleRate = sampleRate
        self.options = options
        frameShift = sampleRate / 100
        frameLength = sampleRate * 25 / 1000
        let nfft = FrameOptions.nextPowerOfTwo(frameLength)
        fft = RealFFT(size: nfft)
        window = WindowType.hann.coefficients(frameLength)
        windowPower = window.reduce(0) { $0 + $1 * $1 }
        let binHz = Double(sampleRate) / Double(nfft)
        let hi = min(options.highHz, Double(sampleRate) / 2 - binHz)
        // Bands equally spaced on the mel scale across the analysed band.
        let mlo = 1127 * log(1 + options.lowHz / 700), mhi = 1127 * log(1 + hi / 700)
        var edges: [Int] = []
        for i in 0...options.numBands {
            let m = mlo + (mhi - mlo) * Double(i) / Double(options.numBands)
            let f = 700 * (exp(m / 1127) - 1)
            edges.append(Int((f / binHz).rounded()))
        }
        for i in 1..<edges.count where edges[i] <= edges[i - 1] { edges[i] = edges[i - 1] + 1 }
        bandEdges = edges
        spectrum = [Float](repeating: 0, count: nfft / 2 + 1)
        bandPower = [Float](repeating: 0, count: options.numBands)
        bandLLR = bandPower
        smoothed = bandPower
        noise = bandPower
        prevClean = bandPower
        subMin = [Float](repeating: .greatestFiniteMagnitude, count: options.numBands)
        numSubs = 8
        subLength = max(1, Int(options.noiseWindowSeconds * 100) / numSubs)
    }

    /// Feeds samples (scale [-1, 1)); segments become available through `segments`/`finish()`.
    public func accept(_ samples: [Float]) {
        pending.append(contentsOf: samples)
        var offset = 0
        pending.withUnsafeBufferPointer { p in
            while offset + frameLength <= p.count {
                processFrame(p.baseAddress! + offset)
                offset += frameShift
            }
        }
        if offset > 0 { pending.removeFirst(min(offset, pending.count)) }
    }

    /// Closes the stream and returns all speech segments, minus `excluding` (e.g. DTMF tones),
    /// which are cut out before short gaps are bridged.
    public func finish(excluding holes: [Segment] = []) -> [Segment] {
        if inSpeech { closeSegment(endFrame: min(frameIndex, lastSpeechFrame + hangoverFrames + 1)) }
        return postProcess(Segment.subtract(holes, from: rawSegments))
    }

    private var hangoverFrames: Int { Int(options.hangoverSeconds * 100) }

    private func processFrame(_ x: UnsafePointer<Float>) {
        let buf = fft.inputBuffer
        var mean: Float = 0
        for i in 0..<frameLength { mean += x[i] }
        mean /= Float(frameLength)
        window.withUnsafeBufferPointer { w in
            for i in 0..<frameLength { buf[i] = (x[i] - mean) * w[i] }
        }
        for i in frameLength..<fft.size { buf[i] = 0 }
        spectrum.withUnsafeMutableBufferPointer { fft.powerSpectrum(into: $0.baseAddress!) }
        var total: Float = 0
        for k in 1..<spectrum.count { total += spectrum[k] }
        for b in 0..<options.numBands {
            var s: Float = 0
            for k in bandEdges[b]..<bandEdges[b + 1] { s += spectrum[k] }
            bandPower[b] = s / Float(bandEdges[b + 1] - bandEdges[b]) + 1e-12
        }
        // Frame energy (all bins but DC) in dBFS: a full-scale sine gives ≈ 0 dB.
        let energyDB = 10 * log10f(2 * total / (windowPower * Float(fft.size) / 2) + 1e-12)

        updateNoise()
        for b in 0..<options.numBands {
            let gamma = min(bandPower[b] / noise[b], 1e4)
            let xi = max(0.98 * prevClean[b] / noise[b] + 0.02 * max(gamma - 1, 0), 0.003)
            bandLLR[b] = gamma * xi / (1 + xi) - logf(1 + xi)
            // Clean-speech power estimate for the next frame (Wiener gain).
            prevClean[b] = (xi / (1 + xi)) * (xi / (1 + xi)) * bandPower[b]
        }
        let used = max(1, Int((Float(options.numBands) * options.topBandShare).rounded()))
        if used < options.numBands { bandLLR.sort(by: >) }
        var llr: Float = 0
        for b in 0..<used { llr += bandLLR[b] }
        llr /= Float(used)
        smoothedLLR = 0.6 * smoothedLLR + 0.4 * llr
        let loud = energyDB > options.absoluteFloorDBFS
        let speechFrame: Bool
        if inSpeech {
            speechFrame = loud && smoothedLLR > options.offsetThreshold
        } else {
            speechFrame = loud && smoothedLLR > options.onsetThreshold
        }
        if speechFrame {
            if !inSpeech { inSpeech = true; segmentStartFrame = max(0, frameIndex - 1); segmentFrames = 0; segmentTonal = 0 }
            lastSpeechFrame = frameIndex
            segmentFrames += 1
            if isTonal() { segmentTonal += 1 }
        } else if inSpeech && frameIndex - lastSpeechFrame > hangoverFrames {
            closeSegment(endFrame: lastSpeechFrame + hangoverFrames + 1)
        }
        let decision = inSpeech
        if keepFrameDecisions { frameDecisions.append(decision) }
        onFrame?(energyDB, decision)
        frameIndex += 1
    }

    private var segmentFrames = 0
    private var segmentTonal = 0

    /// True when ≥ 85 % of the frame's energy lies within ±2 bins of its two strongest peaks and
    /// those peaks have not moved since the last frame: a steady tone (DTMF, dial tone, ring-back,
    /// beeps). Synthetic vowels can be that pure for a frame or two, so a whole segment is only
    /// dropped when much of it is tonal.
    private func isTonal() -> Bool {
        var total: Float = 0
        for k in 1..<spectrum.count { total += spectrum[k] }
        guard total > 0 else { return false }
        let n = spectrum.count
        var first = 1
        for k in 1..<n where spectrum[k] > spectrum[first] { first = k }
        var second = first == 1 ? 2 : 1
        for k in 1..<n where abs(k - first) > 2 && spectrum[k] > spectrum[second] { second = k }
        // A Hann-windowed tone spreads over ±2 bins.
        var captured: Float = 0
        for k in max(1, first - 2)...min(n - 1, first + 2) { captured += spectrum[k] }
        for k in max(1, second - 2)...min(n - 1, second + 2) where abs(k - first) > 2 { captured += spectrum[k] }
        // Steady: the same two peaks as in the previous frame (a talker's harmonics move).
        let peaks = (min(first, second), max(first, second))
        defer { previousPeaks = peaks }
        return captured >= 0.85 * total && peaks == previousPeaks
    }

    private var previousPeaks = (0, 0)

    private func closeSegment(endFrame: Int) {
        inSpeech = false
        if segmentTonal * 5 >= segmentFrames * 2 { return }   // ≥ 40 % tonal: a tone, not a talker
        let start = Double(segmentStartFrame * frameShift) / Double(sampleRate)
        // The hangover bridges pauses; the segment itself ends with its last speech frame.
        let last = min(endFrame, lastSpeechFrame + 1)
        let end = (Double(last * frameShift) + Double(frameLength) / 2) / Double(sampleRate)
        rawSegments.append(Segment(start: start, end: end))
        if rawSegments.count > 64 {
            // Bound memory on very long files: post-process and commit older segments.
            let keep = rawSegments.suffix(4)
            committed.append(contentsOf: postProcess(Array(rawSegments.dropLast(4)), final: false))
            rawSegments = Array(keep)
        }
    }

    private func updateNoise() {
        let alpha: Float = 0.85
        if !initialised {
            smoothed = bandPower
            noise = bandPower
            prevClean = [Float](repeating: 0, count: options.numBands)
            initialised = true
        }
        for b in 0..<options.numBands {
            smoothed[b] = alpha * smoothed[b] + (1 - alpha) * bandPower[b]
            subMin[b] = min(subMin[b], smoothed[b])
        }
        subCount += 1
        var current = subMin
        for w in windowMins { for b in 0..<current.count { current[b] = min(current[b], w[b]) } }
        // Minimum of a smoothed periodogram underestimates the mean noise power.
        for b in 0..<options.numBands { noise[b] = max(current[b] * options.noiseBias, 1e-12) }
        if subCount >= subLength {
            windowMins.append(subMin)
            if windowMins.count > numSubs { windowMins.removeFirst() }
            subMin = [Float](repeating: .greatestFiniteMagnitude, count: options.numBands)
            subCount = 0
        }
    }

    /// Merges short gaps and drops short blips.
    private func postProcess(_ segs: [Segment], final: Bool = true) -> [Segment] {
        var merged: [Segment] = final ? committed : []
        for s in segs {
            if let last = merged.last, s.start - last.end < options.mergeGapSeconds {
                merged[merged.count - 1].end = max(last.end, s.end)
            } else {
                merged.append(s)
            }
        }
        return merged.filter { $0.duration >= options.minSpeechSeconds }
    }

    /// Whole-signal convenience.
    public static func detect(_ x: [Float], sampleRate: Int, options: VADOptions = VADOptions()) -> [Segment] {
        let v = VoiceActivityDetector(sampleRate: sampleRate, options: options)
        v.accept(x)
        return v.finish()
    }
}
