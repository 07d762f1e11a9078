import Foundation
import SignalKit

/// The feature configuration a model was trained with; stored in the model file and checked on load.
public struct AcousticFeatureConfig: Codable, Equatable, Sendable {
    public var kind = "fbank"
    public var sampleRate = 8000
    public var numBins = 40
    public var lowFreq = 60.0
    public var highFreq = 3800.0
    public var frameShiftMs = 10.0
    public var frameLengthMs = 25.0
    public var window = "povey"
    /// Causal running mean normalisation over this many frames.
    public var cmnFrames = 300
    /// Frame offsets stacked as the network input (in 10 ms frames).
    public var context = [-20, -15, -10, -6, -3, 0, 3, 6, 10, 15, 20]
    /// Score every n-th frame.
    public var subsample = 2
    /// Pitch features (`PitchTracker`: NCCF and relative log F0) after the fbank bins of each
    /// frame; nil (older models) = none.
    public var pitch: Bool? = nil

    public init() {}

    /// Values per 10 ms frame: fbank bins, then pitch features if any.
    public var frameDim: Int { numBins + (pitch == true ? PitchTracker.dims : 0) }
    public var inputDim: Int { frameDim * context.count }
    public var frameSeconds: Double { frameShiftMs / 1000 }

    func fbankOptions() -> FbankOptions {
        var o = FbankOptions(sampleRate: Double(sampleRate), numBins: numBins)
        o.mel.lowFreq = lowFreq
        o.mel.highFreq = highFreq
        o.frame.frameShiftMs = frameShiftMs
        o.frame.frameLengthMs = frameLengthMs
        o.frame.windowType = WindowType(rawValue: window) ?? .povey
        return o
    }
}

/// Keyword-spotting acoustic model: a frame classifier over `PhoneSet.units`.
///
/// File format (`.ctkws`, little-endian): magic `CTKWS\0\0\0`, UInt32 format version, UInt32 header
/// length, a JSON header (units, feature configuration, layer sizes, provenance), then Float32
/// arrays: feature mean and std (`frameDim` each: fbank bins, then pitch features if any), then per layer weights (in × out, row-major) and biases.
public struct AcousticModel: Sendable {
    public static let magic: [UInt8] = Array("CTKWS".utf8) + [0, 0, 0]
    /// Version 2 adds an optional tone head (`tones` in the header); version 1 files still load.
    public static let formatVersion: UInt32 = 2
    public static let readableVersions: ClosedRange<UInt32> = 1...2
    /// Tone classes of the tone head: no tone (silence, initials), tones 1–4, neutral.
    public static let toneClasses = ["none", "1", "2", "3", "4", "5"]

    public struct Header: Codable, Sendable, Equatable {
        public var format = "calltriage-kws"
        public var version = Int(AcousticModel.formatVersion)
        public var units: [String]
        /// Tone classes after the phone units (nil: phones only, a version-1 model).
        public var tones: [String]?
        public var feature: AcousticFeatureConfig
        public var layers: [Int]
        public var provenance: [String: String]
    }

    public var header: Header
    public var mean: [Float]
    public var std: [Float]
    public var mlp: MLP

    public var feature: AcousticFeatureConfig { header.feature }
    /// Columns of a posterior row: phone units, then tone classes if the model has them.
    public var outputColumns: Int { mlp.sizes.last! }
    /// Column of tone class 0 when the model has a tone head.
    public var toneOffset: Int? { header.tones == nil ? nil : PhoneSet.units.count }

    public init(feature: AcousticFeatureConfig, hidden: [Int], seed: UInt64, tones: Bool = true,
                provenance: [String: String] = [:]) {
        let heads = [PhoneSet.units.count] + (tones ? [AcousticModel.toneClasses.count] : [])
        let sizes = [feature.inputDim] + hidden + [heads.reduce(0, +)]
        header = Header(units: PhoneSet.units, tones: tones ? AcousticModel.toneClasses : nil, feature: feature,
                        layers: sizes, provenance: provenance)
        mean = [Float](repeating: 0, count: feature.frameDim)
        std = [Float](repeating: 1, count: feature.frameDim)
        mlp = MLP(sizes: sizes, seed: seed, heads: heads)
    }

    public func encoded() -> Data {
        var d = Data(AcousticModel.magic)
        var h = header
        h.layers = mlp.sizes
        h.version = Int(header.tones == nil ? 1 : AcousticModel.formatVersion)
        let enc = JSONEncoder()
        enc.outputFormatting = [.sortedKeys]
        let json = (try? enc.encode(h)) ?? Data()
        func u32(_ v: UInt32) { var x = v.littleEndian; d.append(Data(bytes: &x, count: 4)) }
        func floats(_ a: [Float]) { a.withUnsafeBytes { d.append(contentsOf: $0) } }
        u32(header.tones == nil ? 1 : AcousticModel.formatVersion)
        u32(UInt32(json.count))
        d.append(json)
        floats(mean); floats(std)
        for l in 0..<mlp.weights.count { floats(mlp.weights[l]); floats(mlp.biases[l]) }
        return d
    }

    public func write(to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try encoded().write(to: url, options: .atomic)
    }

    /// Loads a model and checks it against what this build computes; throws a clear error on any mismatch.
    public init(contentsOf url: URL, expecting expected: AcousticFeatureConfig? = nil) throws {
        guard let d = try? Data(contentsOf: url) else { throw ModelFileError(path: url.path, "cannot read model file") }
        let b = [UInt8](d)
        guard b.count >= 16, Array(b[0..<8]) == AcousticModel.magic else {
            throw ModelFileError(path: url.path, "not a CallTriage keyword-spotting model (bad magic)")
        }
        func u32(_ o: Int) -> UInt32 { UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24 }
        let version = u32(8)
        guard AcousticModel.readableVersions.contains(version) else {
            throw ModelFileError(path: url.path, "model format version \(version); this build reads versions \(AcousticModel.readableVersions.lowerBound)–\(AcousticModel.readableVersions.upperBound)")
        }
        let hlen = Int(u32(12))
        guard b.count >= 16 + hlen else { throw ModelFileError(path: url.path, "truncated header") }
        let header: Header
        do { header = try JSONDecoder().decode(Header.self, from: Data(b[16..<(16 + hlen)])) }
        catch { throw ModelFileError(path: url.path, "unreadable model header: \(error)") }
        guard header.units == PhoneSet.units else {
            throw ModelFileError(path: url.path, "model has \(header.units.count) output units that differ from this build's phone set (\(PhoneSet.units.count)); retrain it")
        }
        if let e = expected, e != header.feature {
            throw ModelFileError(path: url.path, "model expects features \(AcousticModel.describe(header.feature)) but \(AcousticModel.describe(e)) were requested")
        }
        if let t = header.tones, t != AcousticModel.toneClasses || version < 2 {
            throw ModelFileError(path: url.path, "model tone classes \(t) differ from this build's \(AcousticModel.toneClasses)")
        }
        if header.feature.pitch == true && header.feature.sampleRate != 8000 {
            throw ModelFileError(path: url.path, "pitch features are defined at 8000 Hz; the model says \(header.feature.sampleRate) Hz")
        }
        let heads = [PhoneSet.units.count] + (header.tones.map { [$0.count] } ?? [])
        guard header.layers.first == header.feature.inputDim, header.layers.last == heads.reduce(0, +), header.layers.count >= 2 else {
            throw ModelFileError(path: url.path, "layer sizes \(header.layers) do not fit the feature configuration")
        }
        var off = 16 + hlen
        func take(_ n: Int) throws -> [Float] {
            guard off + n * 4 <= b.count else { throw ModelFileError(path: url.path, "truncated weights") }
            var out = [Float](repeating: 0, count: n)
            b.withUnsafeBufferPointer { p in
                let raw = UnsafeRawPointer(p.baseAddress! + off)
                for i in 0..<n { out[i] = raw.loadUnaligned(fromByteOffset: i * 4, as: Float.self) }
            }
            off += n * 4
            return out
        }
        let nb = header.feature.frameDim
        mean = try take(nb); std = try take(nb)
        var ws: [[Float]] = [], bs: [[Float]] = []
        for l in 0..<(header.layers.count - 1) {
            ws.append(try take(header.layers[l] * header.layers[l + 1]))
            bs.append(try take(header.layers[l + 1]))
        }
        guard off == b.count else { throw ModelFileError(path: url.path, "\(b.count - off) unexpected trailing bytes") }
        for w in ws + bs + [mean, std] where w.contains(where: { !$0.isFinite }) {
            throw ModelFileError(path: url.path, "weights contain NaN or infinity")
        }
        self.header = header
        self.mlp = MLP(sizes: header.layers, weights: ws, biases: bs, heads: heads)
    }

    static func describe(_ f: AcousticFeatureConfig) -> String {
        "\(f.kind) \(f.numBins) bins\(f.pitch == true ? " + pitch" : "") @ \(f.sampleRate) Hz, \(Int(f.lowFreq))–\(Int(f.highFreq)) Hz, context \(f.context), subsample \(f.subsample)"
    }
}

/// Streaming front end of the acoustic model: fbank → causal running-mean normalisation (+ pitch
/// features if the model has them) → global mean/std → context stacking → subsampling. Feed
/// analysis-rate samples in [-1, 1).
public final class ModelInputStream {
    public let config: AcousticFeatureConfig
    private let extractor: FeatureExtractor
    private let pitch: PitchTracker?
    private var fbankFrames = 0
    private let mean: [Float], std: [Float]
    private var running: [Double]
    private var seen = 0
    private var frames: [[Float]] = []     // normalised frames kept for context
    private var firstKept = 0             // frame index of frames[0]
    private var nextCentre = 0            // next frame index to emit (multiple of subsample)
    private let maxLeft: Int, maxRight: Int

    public init(config: AcousticFeatureConfig, mean: [Float], std: [Float]) {
        self.config = config
        extractor = FeatureExtractor(fbank: config.fbankOptions())
        pitch = config.pitch == true ? PitchTracker(sampleRate: config.sampleRate, frameShiftMs: config.frameShiftMs,
                                                    frameLengthMs: config.frameLengthMs, meanFrames: config.cmnFrames) : nil
        self.mean = mean; self.std = std
        running = [Double](repeating: 0, count: config.numBins)
        maxLeft = -(config.context.min() ?? 0)
        maxRight = config.context.max() ?? 0
    }

    /// Raw normalised fbank (before global normalisation) of `samples`, for computing training statistics.
    public static func rawFrames(_ samples: [Float], config: AcousticFeatureConfig) -> [[Float]] {
        let s = ModelInputStream(config: config, mean: [Float](repeating: 0, count: config.frameDim),
                                 std: [Float](repeating: 1, count: config.frameDim))
        let m = s.extractor.compute(samples.map { $0 * 32768 })
        let p = config.pitch == true ? PitchTracker.compute(samples, frames: m.rows) : []
        return s.normalise(m, pitch: p)
    }

    private func normalise(_ m: FeatureMatrix, pitch p: [[Float]]) -> [[Float]] {
        var out: [[Float]] = []
        out.reserveCapacity(m.rows)
        let n = config.numBins, dim = config.frameDim
        for r in 0..<m.rows {
            seen += 1
            let rate = 1.0 / Double(min(seen, config.cmnFrames))
            var f = [Float](repeating: 0, count: dim)
            for c in 0..<n {
                let v = Double(m[r, c])
                running[c] += (v - running[c]) * rate
                f[c] = (Float(v - running[c]) - mean[c]) / std[c]
            }
            if r < p.count { for (j, v) in p[r].enumerated() { f[n + j] = (v - mean[n + j]) / std[n + j] } }
            out.append(f)
        }
        return out
    }

    /// Adds samples; returns stacked inputs (rows × inputDim) and the frame index of each row.
    public func accept(_ samples: [Float], final: Bool = false) -> (inputs: [Float], frameIndices: [Int]) {
        let m = extractor.accept(samples.map { $0 * 32768 })
        fbankFrames += m.rows
        var p: [[Float]] = []
        if let pitch { pitch.accept(samples); p = pitch.frames(upTo: fbankFrames) }
        frames.append(contentsOf: normalise(m, pitch: p))
        return emit(final: final)
    }

    public func finish() -> (inputs: [Float], frameIndices: [Int]) { emit(final: true) }

    private func emit(final: Bool) -> (inputs: [Float], frameIndices: [Int]) {
        let available = firstKept + frames.count   // frames [firstKept, available)
        var inputs: [Float] = []
        var idx: [Int] = []
        while nextCentre < available && (final || nextCentre + maxRight < available) {
            for o in config.context {
                let t = min(max(nextCentre + o, 0), available - 1)
                let local = max(t - firstKept, 0)
                inputs.append(contentsOf: frames[local])
            }
            idx.append(nextCentre)
            nextCentre += config.subsample
        }
        // Keep what the next context window needs.
        let keepFrom = nextCentre - maxLeft
        let drop = min(max(0, keepFrom - firstKept), frames.count)
        if drop > 0 { frames.removeFirst(drop); firstKept += drop }
        return (inputs, idx)
    }
}
