import Foundation

/// A frames × dims matrix of Float, row-major.
public struct FeatureMatrix: Sendable, Equatable {
    public var rows: Int
    public var cols: Int
    public var data: [Float]

    public init(rows: Int, cols: Int, data: [Float]) {
        precondition(data.count == rows * cols)
        self.rows = rows
        self.cols = cols
        self.data = data
    }

    public init(cols: Int) { self.init(rows: 0, cols: cols, data: []) }

    public subscript(r: Int, c: Int) -> Float {
        get { data[r * cols + c] }
        set { data[r * cols + c] = newValue }
    }

    public func row(_ r: Int) -> ArraySlice<Float> { data[(r * cols)..<((r + 1) * cols)] }

    public mutating func append(_ other: FeatureMatrix) {
        precondition(other.cols == cols || rows == 0)
        if rows == 0 { cols = other.cols }
        data.append(contentsOf: other.data)
        rows += other.rows
    }
}

/// Kaldi-compatible triangular mel filterbank (`MelBanks`), stored sparsely.
public struct MelBanks: Sendable {
    public let numBins: Int
    /// For each mel bin: first FFT bin and its weights.
    public let offsets: [Int]
    public let weights: [[Float]]

    /// Why these options cannot make a filterbank (a bin with no FFT bin in it, bad cut-offs), or nil.
    public static func problem(_ opts: MelOptions, frame: FrameOptions) -> String? {
        let padded = frame.paddedWindowSize
        let nyquist = Float(frame.sampleRate) / 2
        let low = Float(opts.lowFreq)
        let high = opts.highFreq > 0 ? Float(opts.highFreq) : nyquist + Float(opts.highFreq)
        guard opts.numBins >= 1 else { return "need at least one mel bin" }
        guard low >= 0, low < nyquist, high > low, high <= nyquist else {
            return "mel bins need 0 ≤ low-freq < high-freq ≤ Nyquist (\(Int(nyquist)) Hz); got \(low)–\(high) Hz"
        }
        let binWidth = Float(frame.sampleRate) / Float(padded)
        let melLow = mel(low), melHigh = mel(high)
        let delta = (melHigh - melLow) / Float(opts.numBins + 1)
        for bin in 0..<opts.numBins {
            let left = melLow + Float(bin) * delta, right = melLow + Float(bin + 2) * delta
            let any = (0..<(padded / 2)).contains { i in let m = mel(binWidth * Float(i)); return m > left && m < right }
            if !any {
                return "\(opts.numBins) mel bins are too many for a \(padded)-point FFT at \(Int(frame.sampleRate)) Hz (bin \(bin) would be empty)"
            }
        }
        return nil
    }

    /// Kaldi's mel scale, in single precision as Kaldi computes it.
    @inline(__always) public static func mel(_ f: Float) -> Float { 1127 * logf(1 + f / 700) }

    public init(_ opts: MelOptions, frame: FrameOptions) {
        let padded = frame.paddedWindowSize
        let numFFTBins = padded / 2
        let sampleFreq = Float(frame.sampleRate)
        let nyquist = 0.5 * sampleFreq
        let low = Float(opts.lowFreq)
        let high = opts.highFreq > 0 ? Float(opts.highFreq) : nyquist + Float(opts.highFreq)
        precondition(low >= 0 && low < nyquist && high > low && high <= nyquist,
                     "mel bank: need 0 ≤ low-freq < high-freq ≤ Nyquist (got \(low), \(high))")
        let binWidth = sampleFreq / Float(padded)
        let melLow = MelBanks.mel(low), melHigh = MelBanks.mel(high)
        let delta = (melHigh - melLow) / Float(opts.numBins + 1)
        var offs: [Int] = [], ws: [[Float]] = []
        for bin in 0..<opts.numBins {
            let left = melLow + Float(bin) * delta
            let center = melLow + Float(bin + 1) * delta
            let right = melLow + Float(bin + 2) * delta
            var first = -1
            var w: [Float] = []
            for i in 0..<numFFTBins {
                let m = MelBanks.mel(binWidth * Float(i))
                if m > left && m < right {
                    let weight = m <= center ? (m - left) / (center - left) : (right - m) / (right - center)
                    if first < 0 { first = i }
                    // Fill gaps (cannot happen for a triangle, kept for safety).
                    while first + w.count < i { w.append(0) }
                    w.append(weight)
                }
            }
            precondition(first >= 0, "mel bin \(bin) is empty: too many bins (\(opts.numBins)) for FFT size \(padded)")
            offs.append(first)
            ws.append(w)
        }
        numBins = opts.numBins
        offsets = offs
        weights = ws
    }
}

/// Which features to compute.
public enum FeatureKind: String, Sendable, Codable, CaseIterable {
    case fbank, mfcc
}

/// Streaming Kaldi-compatible feature extraction (`compute-fbank-feats` / `compute-mfcc-feats`).
///
/// Feed samples on the 16-bit integer scale (as Kaldi reads WAV files) in blocks of any size;
/// get back the frames completed so far. With `dither = 0` and the same options, results agree
/// with Kaldi and kaldi-native-fbank (checked against golden files in the tests).
/// Not thread-safe: one extractor per stream.
public final class FeatureExtractor {
    public let kind: FeatureKind
    public let frame: FrameOptions
    public let mel: MelOptions
    public let dim: Int
    private let fbank: FbankOptions?
    private let mfcc: MfccOptions?
    private let banks: MelBanks
    private let window: [Float]
    private let fft: RealFFT
    private var pending: [Float] = []
    private var power: [Float]
    private var melEnergies: [Float]
    private var dct: [Float] = []     // numCeps × numBins
    private var lifter: [Float] = []
    private var ditherState: UInt64 = 0x9E3779B97F4A7C15
    public private(set) var framesEmitted = 0

    public init(fbank opts: FbankOptions) {
        precondition(opts.frame.snipEdges, "only snip_edges=true is supported for streaming extraction")
        kind = .fbank
        frame = opts.frame
        mel = opts.mel
        fbank = opts
        mfcc = nil
        dim = opts.mel.numBins + (opts.useEnergy ? 1 : 0)
        banks = MelBanks(opts.mel, frame: opts.frame)
        window = opts.frame.windowType.coefficients(opts.frame.windowSize)
        fft = RealFFT(size: opts.frame.paddedWindowSize)
        power = [Float](repeating: 0, count: opts.frame.paddedWindowSize / 2 + 1)
        melEnergies = [Float](repeating: 0, count: opts.mel.numBins)
    }

    public init(mfcc opts: MfccOptions) {
        precondition(opts.frame.snipEdges, "only snip_edges=true is supported for streaming extraction")
        precondition(opts.numCeps <= opts.mel.numBins, "num-ceps cannot exceed num-mel-bins")
        kind = .mfcc
        frame = opts.frame
        mel = opts.mel
        fbank = nil
        mfcc = opts
        dim = opts.numCeps
        banks = MelBanks(opts.mel, frame: opts.frame)
        window = opts.frame.windowType.coefficients(opts.frame.windowSize)
        fft = RealFFT(size: opts.frame.paddedWindowSize)
        power = [Float](repeating: 0, count: opts.frame.paddedWindowSize / 2 + 1)
        melEnergies = [Float](repeating: 0, count: opts.mel.numBins)
        let n = opts.mel.numBins
        dct = [Float](repeating: 0, count: opts.numCeps * n)
        for j in 0..<n { dct[j] = Float((1.0 / Double(n)).squareRoot()) }
        let norm = (2.0 / Double(n)).squareRoot()
        for k in 1..<opts.numCeps {
            for j in 0..<n {
                dct[k * n + j] = Float(norm * cos(Double.pi / Double(n) * (Double(j) + 0.5) * Double(k)))
            }
        }
        let q = opts.cepstralLifter
        lifter = (0..<opts.numCeps).map { i in q != 0 ? 1 + 0.5 * q * sinf(Float.pi * Float(i) / q) : 1 }
    }

    /// Convenience: features of a whole signal (16-bit scale).
    public func compute(_ samples: [Float]) -> FeatureMatrix {
        var m = accept(samples)
        m.append(finish())
        return m
    }

    /// Adds samples; returns the frames now complete.
    public func accept(_ samples: [Float]) -> FeatureMatrix {
        pending.append(contentsOf: samples)
        let size = frame.windowSize, shift = frame.windowShift
        let n = pending.count >= size ? 1 + (pending.count - size) / shift : 0
        var out = [Float](repeating: 0, count: n * dim)
        pending.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for f in 0..<n {
                    computeFrame(src.baseAddress! + f * shift, into: dst.baseAddress! + f * dim)
                }
            }
        }
        if n > 0 { pending.removeFirst(n * shift) }
        framesEmitted += n
        return FeatureMatrix(rows: n, cols: dim, data: out)
    }

    /// Ends the stream (with snip_edges, leftover samples make no frame).
    public func finish() -> FeatureMatrix {
        pending.removeAll()
        return FeatureMatrix(rows: 0, cols: dim, data: [])
    }

    private static let floatEpsilon = Float.ulpOfOne           // FLT_EPSILON

    @inline(__always)
    private func computeFrame(_ x: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>) {
        let size = frame.windowSize
        let padded = frame.paddedWindowSize
        let buf = fft.inputBuffer
        for i in 0..<size { buf[i] = x[i] }
        if frame.dither != 0 { applyDither(buf, size) }
        if frame.removeDCOffset {
            let mean = VectorOps.sum(buf, size) / Float(size)
            for i in 0..<size { buf[i] -= mean }
        }
        var rawLogEnergy: Float = 0
        let wantsEnergy = (fbank?.useEnergy ?? false) || (mfcc?.useEnergy ?? false)
        let raw = fbank?.rawEnergy ?? mfcc?.rawEnergy ?? true
        if wantsEnergy && raw {
            rawLogEnergy = logf(max(VectorOps.sumSquares(buf, size), FeatureExtractor.floatEpsilon))
        }
        let c = frame.preemphCoeff
        if c != 0 {
            var i = size - 1
            while i > 0 { buf[i] -= c * buf[i - 1]; i -= 1 }
            buf[0] -= c * buf[0]
        }
        window.withUnsafeBufferPointer { w in
            for i in 0..<size { buf[i] *= w[i] }
        }
        for i in size..<padded { buf[i] = 0 }
        if wantsEnergy && !raw {
            rawLogEnergy = logf(max(VectorOps.sumSquares(buf, size), FeatureExtractor.floatEpsilon))
        }
        power.withUnsafeMutableBufferPointer { p in
            fft.powerSpectrum(into: p.baseAddress!)
            if let o = fbank, !o.usePower {
                for k in 0..<p.count { p[k] = p[k].squareRoot() }
            }
            melEnergies.withUnsafeMutableBufferPointer { m in
                for b in 0..<banks.numBins {
                    banks.weights[b].withUnsafeBufferPointer { w in
                        m[b] = VectorOps.dot(w.baseAddress!, p.baseAddress! + banks.offsets[b], w.count)
                    }
                }
            }
        }
        if let o = fbank {
            let off = o.useEnergy ? 1 : 0
            for b in 0..<banks.numBins {
                let e = melEnergies[b]
                out[off + b] = o.useLogFbank ? logf(max(e, FeatureExtractor.floatEpsilon)) : e
            }
            if o.useEnergy {
                if o.energyFloor > 0 { rawLogEnergy = max(rawLogEnergy, logf(o.energyFloor)) }
                out[0] = rawLogEnergy
            }
        } else if let o = mfcc {
            let n = banks.numBins
            for b in 0..<n { melEnergies[b] = logf(max(melEnergies[b], FeatureExtractor.floatEpsilon)) }
            dct.withUnsafeBufferPointer { d in
                melEnergies.withUnsafeBufferPointer { m in
                    for k in 0..<o.numCeps {
                        out[k] = VectorOps.dot(d.baseAddress! + k * n, m.baseAddress!, n) * lifter[k]
                    }
                }
            }
            if o.useEnergy {
                if o.energyFloor > 0 { rawLogEnergy = max(rawLogEnergy, logf(o.energyFloor)) }
                out[0] = rawLogEnergy
            }
        }
    }

    /// Gaussian dither (Box–Muller on a fixed-seed xorshift), as Kaldi's `Dither`.
    private func applyDither(_ buf: UnsafeMutablePointer<Float>, _ n: Int) {
        func next() -> Double {
            ditherState ^= ditherState << 13; ditherState ^= ditherState >> 7; ditherState ^= ditherState << 17
            return (Double(ditherState >> 11) + 0.5) / Double(1 << 53)
        }
        for i in 0..<n {
            let g = (-2 * log(next())).squareRoot() * cos(2 * Double.pi * next())
            buf[i] += frame.dither * Float(g)
        }
    }
}

/// Cepstral mean (and variance) normalisation over a whole matrix, as Kaldi's `apply-cmvn`.
public enum CMVN {
    public static func apply(_ m: FeatureMatrix, normVars: Bool = false) -> FeatureMatrix {
        guard m.rows > 0 else { return m }
        var out = m
        for c in 0..<m.cols {
            var sum = 0.0, sq = 0.0
            for r in 0..<m.rows { let v = Double(m[r, c]); sum += v; sq += v * v }
            let mean = sum / Double(m.rows)
            let variance = max(sq / Double(m.rows) - mean * mean, 1e-20)
            let scale = normVars ? 1 / variance.squareRoot() : 1
            for r in 0..<m.rows { out[r, c] = Float((Double(m[r, c]) - mean) * scale) }
        }
        return out
    }

    /// Sliding-window mean normalisation (Kaldi `apply-cmvn-sliding --center=true`), usable online.
    public static func sliding(_ m: FeatureMatrix, window: Int = 300) -> FeatureMatrix {
        guard m.rows > 0 else { return m }
        var out = m
        var prefix = [Double](repeating: 0, count: (m.rows + 1) * m.cols)
        for r in 0..<m.rows {
            for c in 0..<m.cols { prefix[(r + 1) * m.cols + c] = prefix[r * m.cols + c] + Double(m[r, c]) }
        }
        for r in 0..<m.rows {
            var lo = r - window / 2, hi = lo + window
            if lo < 0 { hi -= lo; lo = 0 }
            if hi > m.rows { lo = max(0, lo - (hi - m.rows)); hi = m.rows }
            let n = Double(hi - lo)
            for c in 0..<m.cols {
                let mean = (prefix[hi * m.cols + c] - prefix[lo * m.cols + c]) / n
                out[r, c] = Float(Double(m[r, c]) - mean)
            }
        }
        return out
    }
}

/// Delta features, as Kaldi's `add-deltas` (window 2, order 2 by default).
public enum Deltas {
    public static func add(_ m: FeatureMatrix, order: Int = 2, window: Int = 2) -> FeatureMatrix {
        guard m.rows > 0 else { return FeatureMatrix(rows: 0, cols: m.cols * (order + 1), data: []) }
        // Kaldi's scales: each order convolves the previous scales with [-w..w]/normaliser.
        var scales: [[Double]] = [[1]]
        for i in 1...max(order, 1) where i <= order {
            let prev = scales[i - 1]
            let prevOff = (prev.count - 1) / 2
            let curOff = prevOff + window
            var cur = [Double](repeating: 0, count: prev.count + 2 * window)
            var norm = 0.0
            for j in -window...window {
                norm += Double(j * j)
                for k in -prevOff...prevOff {
                    cur[j + k + curOff] += Double(j) * prev[k + prevOff]
                }
            }
            scales.append(cur.map { $0 / norm })
        }
        let outCols = m.cols * (order + 1)
        var out = [Float](repeating: 0, count: m.rows * outCols)
        for r in 0..<m.rows {
            for i in 0...order {
                let s = scales[i]
                let off = (s.count - 1) / 2
                for c in 0..<m.cols {
                    var acc = 0.0
                    for j in -off...off {
                        let rr = min(max(r + j, 0), m.rows - 1)
                        acc += s[j + off] * Double(m[rr, c])
                    }
                    out[r * outCols + i * m.cols + c] = Float(acc)
                }
            }
        }
        return FeatureMatrix(rows: m.rows, cols: outCols, data: out)
    }
}
