import Foundation

/// Per-channel audio quality, as shown to reviewers.
public struct ChannelQuality: Sendable, Equatable, Codable {
    /// Estimated speech-to-noise ratio in dB (nil when no speech was found).
    public var snrDB: Double?
    /// Noise floor (dBFS, telephone band) and active-speech level (dBFS).
    public var noiseDBFS: Double?
    public var speechDBFS: Double?
    /// Whole-channel RMS level in dBFS (−inf written as −150).
    public var rmsDBFS: Double
    public var peak: Double
    /// Share of samples in flat-topped runs at the channel's peak level.
    public var clippingRatio: Double
    public var dcOffset: Double
    /// Share of 10 ms frames below −60 dBFS.
    public var silenceRatio: Double
    /// Runs of exact digital zeros (≥ 100 ms) inside the recording.
    public var dropouts: [Segment]
    public var dropoutSeconds: Double
    /// Highest frequency with energy within 40 dB of the strongest band.
    public var bandwidthHz: Double
    /// `narrowband` (telephone, ≤ 4 kHz) or `wideband`.
    public var band: String
    public var flags: [String]
}

/// Thresholds for turning measurements into reviewer flags.
public struct QualityOptions: Sendable, Codable, Equatable {
    public var lowSNRDB: Double = 8
    public var clippingRatio: Double = 0.001
    public var dcOffset: Double = 0.02
    public var dropoutSeconds: Double = 0.1
    public var silentDBFS: Double = -50
    public var narrowbandMaxHz: Double = 4200
    public init() {}
}

/// Streaming quality accumulator for one channel. Level, clipping, DC, dropouts and bandwidth
/// are measured on the decoded samples at the file's own rate; SNR and silence come from the
/// VAD's 10 ms frames at the analysis rate. Memory is constant in the recording's length.
public final class QualityMeter {
    public let rawRate: Int
    public let options: QualityOptions
    private var count: Int64 = 0
    private var sum: Double = 0
    private var sumSq: Double = 0
    private var peak: Float = 0
    // Flat runs: level (quantised) → samples in runs of ≥ 3 equal values.
    private var flatRuns: [Int: Int] = [:]
    private var lastValue: Float = .nan
    private var runLength = 0
    // Digital zeros.
    private var zeroRunStart: Int64 = -1
    private var dropouts: [Segment] = []
    private var dropoutCount = 0
    private var dropoutSeconds = 0.0
    // Frame energies (dB) from the VAD: histogram for the noise floor, sums for speech.
    private var histogram = [Int](repeating: 0, count: 640)   // −150 … +10 dB in 0.25 dB
    private var frames = 0
    private var silentFrames = 0
    private var speechPower = 0.0
    private var speechFrames = 0
    private var speechSegmentsSeen = false
    // Long-term spectrum for bandwidth.
    private let ltasFFT: RealFFT
    private let ltasWindow: [Float]
    private var ltas: [Double]
    private var ltasPending: [Float] = []
    private var ltasSpectrum: [Float]
    private var ltasFrames = 0

    public init(rawRate: Int, options: QualityOptions = QualityOptions()) {
        self.rawRate = rawRate
        self.options = options
        let nfft = FrameOptions.nextPowerOfTwo(Int(0.032 * Double(rawRate)))
        ltasFFT = RealFFT(size: nfft)
        ltasWindow = WindowType.hann.coefficients(nfft)
        ltas = [Double](repeating: 0, count: nfft / 2 + 1)
        ltasSpectrum = [Float](repeating: 0, count: nfft / 2 + 1)
    }

    /// Decoded samples of this channel at the file's rate.
    public func acceptRaw(_ x: [Float]) {
        x.withUnsafeBufferPointer { p in
            var s: Double = 0, sq: Double = 0
            var pk = peak
            for i in 0..<p.count {
                let v = p[i]
                s += Double(v); sq += Double(v * v)
                let a = abs(v)
                if a > pk { pk = a }
                if v == lastValue && v != 0 {
                    runLength += 1
                    if runLength == 3 { flatRuns[level(v), default: 0] += 3 }
                    else if runLength > 3 { flatRuns[level(v), default: 0] += 1 }
                } else {
                    lastValue = v; runLength = 1
                }
                let idx = count + Int64(i)
                if v == 0 {
                    if zeroRunStart < 0 { zeroRunStart = idx }
                } else if zeroRunStart >= 0 {
                    closeZeroRun(end: idx)
                }
            }
            sum += s; sumSq += sq; peak = pk
        }
        count += Int64(x.count)
        // Long-term spectrum: every other frame is plenty.
        ltasPending.append(contentsOf: x)
        let size = ltasFFT.size
        var off = 0
        while off + size <= ltasPending.count {
            if ltasFrames % 2 == 0 {
                let buf = ltasFFT.inputBuffer
                for i in 0..<size { buf[i] = ltasPending[off + i] * ltasWindow[i] }
                ltasSpectrum.withUnsafeMutableBufferPointer { ltasFFT.powerSpectrum(into: $0.baseAddress!) }
                for k in 0..<ltas.count { ltas[k] += Double(ltasSpectrum[k]) }
            }
            ltasFrames += 1
            off += size
        }
        if off > 0 { ltasPending.removeFirst(off) }
    }

    private func level(_ v: Float) -> Int { Int((abs(v) * 10000).rounded()) }

    private func closeZeroRun(end: Int64) {
        let len = Double(end - zeroRunStart) / Double(rawRate)
        // Zeros from the very start are leading silence, not a dropout.
        if zeroRunStart > 0 && len >= options.dropoutSeconds {
            dropoutCount += 1
            dropoutSeconds += len
            if dropouts.count < 100 {
                dropouts.append(Segment(start: Double(zeroRunStart) / Double(rawRate), end: Double(end) / Double(rawRate)))
            }
        }
        zeroRunStart = -1
    }

    /// One VAD frame: telephone-band energy (dBFS) and decision.
    public func acceptFrame(energyDB: Float, isSpeech: Bool) {
        frames += 1
        let e = Double(energyDB)
        if e < -60 { silentFrames += 1 }
        // Digital-zero frames (dropouts, padding) say nothing about the noise floor.
        if e > -140 {
            let bin = min(max(Int((e + 150) * 4), 0), histogram.count - 1)
            histogram[bin] += 1
            histogramCount += 1
        }
        if isSpeech { speechPower += pow(10, e / 10); speechFrames += 1 }
        else if e > -140 {
            pauseHistogram[min(max(Int((e + 150) * 4), 0), pauseHistogram.count - 1)] += 1
            pauseFrames += 1
        }
    }

    private var pauseHistogram = [Int](repeating: 0, count: 640)
    private var pauseFrames = 0

    private var histogramCount = 0

    public func noteSpeech(_ segments: [Segment]) { speechSegmentsSeen = !segments.isEmpty }

    static func percentile(_ histogram: [Int], count: Int, _ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let target = Int(Double(count) * q)
        var acc = 0
        for (i, c) in histogram.enumerated() {
            acc += c
            if acc > target { return Double(i) / 4 - 150 + 0.125 }
        }
        return nil
    }

    public func finish() -> ChannelQuality {
        // Trailing zeros are end silence, not a dropout.
        let n = max(Double(count), 1)
        let rms = (sumSq / n).squareRoot()
        let rmsDB = rms > 0 ? 20 * log10(rms) : -150
        let dc = sum / n
        let clipLevel = level(peak) - 50   // within 0.5 % of full-scale-quantised peak
        let clipped = peak > 0.05 ? flatRuns.filter { $0.key >= clipLevel }.reduce(0) { $0 + $1.value } : 0
        let clipRatio = Double(clipped) / n
        var snr: Double? = nil, noiseDB: Double? = nil, speechDB: Double? = nil
        // Noise: median energy of the pauses when there are enough of them (≥ 0.2 s; the median
        // ignores speech tails in the VAD's hangover), else the 10th percentile of all frames
        // (+1.5 dB: a low percentile sits below the mean).
        if pauseFrames >= 20, let med = QualityMeter.percentile(pauseHistogram, count: pauseFrames, 0.5) {
            noiseDB = med + 0.5
        } else if let nf = QualityMeter.percentile(histogram, count: histogramCount, 0.1) {
            noiseDB = nf + 1.5
        }
        if speechFrames > 0, let nf = noiseDB {
            let ps = speechPower / Double(speechFrames)
            let pn = pow(10, nf / 10)
            speechDB = 10 * log10(ps)
            snr = 10 * log10(max(ps - pn, ps * 1e-4) / pn)
            snr = min(snr!, 99)
        }
        // Bandwidth from the long-term spectrum in 125 Hz bands.
        let binHz = Double(rawRate) / Double(ltasFFT.size)
        let bandBins = max(1, Int((125 / binHz).rounded()))
        var bands: [Double] = []
        var k = 1
        while k < ltas.count { bands.append(ltas[k..<min(k + bandBins, ltas.count)].reduce(0, +)); k += bandBins }
        // Reference: the median band in the telephone band (300–3400 Hz); the effective bandwidth
        // is the top of the highest band within 30 dB of it (broadband noise far below doesn't count).
        var bandwidth = 0.0
        let bandHz = Double(bandBins) * binHz
        let tel = bands.enumerated().filter { Double($0.offset) * bandHz >= 300 && Double($0.offset + 1) * bandHz <= 3400 }
            .map(\.element).sorted()
        if !tel.isEmpty, tel[tel.count / 2] > 0 {
            let floor = tel[tel.count / 2] * 1e-3
            if let last = bands.lastIndex(where: { $0 >= floor }) {
                bandwidth = min(Double(last + 1) * bandHz, Double(rawRate) / 2)
            }
        }
        let band = bandwidth <= options.narrowbandMaxHz ? "narrowband" : "wideband"
        var flags: [String] = []
        let silentRatio = frames > 0 ? Double(silentFrames) / Double(frames) : 1
        if rmsDB < options.silentDBFS && !speechSegmentsSeen { flags.append("silent") }
        else if !speechSegmentsSeen { flags.append("no_speech") }
        if clipRatio >= options.clippingRatio { flags.append("clipping") }
        if let s = snr, speechSegmentsSeen, s < options.lowSNRDB { flags.append("low_snr") }
        if dropoutCount > 0 { flags.append("dropouts") }
        if abs(dc) >= options.dcOffset { flags.append("dc_offset") }
        return ChannelQuality(snrDB: snr.map { ($0 * 10).rounded() / 10 },
                              noiseDBFS: noiseDB.map { ($0 * 10).rounded() / 10 },
                              speechDBFS: speechDB.map { ($0 * 10).rounded() / 10 },
                              rmsDBFS: (rmsDB * 10).rounded() / 10, peak: Double(peak),
                              clippingRatio: clipRatio, dcOffset: dc, silenceRatio: silentRatio,
                              dropouts: dropouts, dropoutSeconds: dropoutSeconds,
                              bandwidthHz: bandwidth, band: band, flags: flags)
    }
}
