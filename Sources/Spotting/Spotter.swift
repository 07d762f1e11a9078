import AudioIO
import Foundation
import SignalKit

/// Where the spotting data lives: `Models/` in the repository, or `$CALLTRIAGE_MODELS`.
public enum ModelPaths {
    public static var root: URL {
        if let p = ProcessInfo.processInfo.environment["CALLTRIAGE_MODELS"] { return URL(fileURLWithPath: p) }
        // Next to the executable's repository checkout (…/.build/<config>/calltriage → …/Models), else ./Models.
        let exe = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        for _ in 0..<5 {
            let m = dir.appendingPathComponent("Models")
            if FileManager.default.fileExists(atPath: m.appendingPathComponent("keywords.tsv").path) { return m }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent("Models")
    }
    public static var lexicon: URL { root.appendingPathComponent("lexicon") }
    public static var keywords: URL { root.appendingPathComponent("keywords.tsv") }
    public static var acoustic: URL { root.appendingPathComponent("acoustic/kws.ctkws") }
    public static var thresholds: URL { root.appendingPathComponent("acoustic/thresholds.tsv") }
    public static var verifier: URL { root.appendingPathComponent("acoustic/verifier.tsv") }
}

/// Per-keyword thresholds calibrated on negative audio (`keyword<TAB>threshold`).
public enum ThresholdTable {
    public static let format = "calltriage-thresholds v1"

    public static func load(_ url: URL) throws -> [String: Double] {
        var out: [String: Double] = [:]
        for (row, line) in try Lexicon.rows(url, format: format) {
            guard row.count >= 2, let t = Double(row[1]) else { throw ModelFileError(path: url.path, "line \(line): expected keyword<TAB>threshold") }
            out[row[0]] = t
        }
        return out
    }

    public static func write(_ table: [String: Double], notes: [String], to url: URL) throws {
        var s = "# \(format)\n" + notes.map { "# \($0)\n" }.joined() + "keyword\tthreshold\n"
        for k in table.keys.sorted() { s += "\(k)\t\(String(format: "%.4f", table[k]!))\n" }
        try s.write(to: url, atomically: true, encoding: .utf8)
    }
}

/// Audio keyword spotting for a whole recording, streaming, every channel.
public struct Spotter: Sendable {
    public let model: AcousticModel
    public let keywords: [Keyword]
    public var options = KeywordDecoder.Options()
    /// Posteriors are averaged over this many model frames (centred) before decoding; 1 = off.
    /// 3 (60 ms) cut false alarms by about a fifth at equal recall on the dev set.
    public var smoothing = 3
    /// Second pass over each candidate hit (`HitVerifier`); nil: hits keep the decoder's score.
    public var verifier: HitVerifier? = nil

    public init(model: AcousticModel, keywords: [Keyword]) {
        self.model = model
        self.keywords = keywords
    }

    /// Log posteriors of a whole signal (analysis rate, [-1, 1)); rows × units and the frame count.
    public func logPosteriors(_ samples: [Float]) -> (values: [Float], rows: Int) {
        let s = ModelInputStream(config: model.feature, mean: model.mean, std: model.std)
        var (x, idx) = s.accept(samples)
        let tail = s.finish()
        x += tail.inputs; idx += tail.frameIndices
        return (model.mlp.logPosteriors(x, rows: idx.count), idx.count)
    }

    /// Spots every keyword on every channel of a file. Channel names come from `roles`.
    /// `featureSink` (with a verifier) receives every candidate's features before its threshold.
    public func spot(path: String, roles: ChannelRoles? = nil,
                     featureSink: ((Int, KeywordHit, [Float]) -> Void)? = nil) throws -> [KeywordHit] {
        let stream = try AnalysisStream(path: path, analysisRate: model.feature.sampleRate)
        let session = session(channels: stream.info.channels, roles: roles)
        if let featureSink { for d in session.decoders { d.featureSink = featureSink } }
        while let block = try stream.next() { session.accept(block) }
        return session.finish()
    }

    /// Decodes a recording once for both the analysis (VAD, quality, DTMF) and, when `spot` is
    /// set, keyword spotting on every channel. Also says how long spotting itself took.
    public func analyseAndSpot(path: String, roles: ChannelRoles? = nil, spot: Bool = true) throws(AudioError) -> AnalysedRecording {
        var ao = AnalysisOptions()
        ao.roles = roles
        ao.fingerprint = false
        ao.analysisRate = model.feature.sampleRate
        var session: SpotSession? = nil
        var spotSeconds = 0.0
        func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
        let analysis = try FileAnalyzer.analyze(path: path, options: ao,
            onStart: { info in if spot { session = self.session(channels: info.channels, roles: roles) } },
            onBlock: { block in
                guard let s = session else { return }
                let t = now(); s.accept(block); spotSeconds += now() - t
            })
        let t = now()
        let hits = session?.finish()
        spotSeconds += now() - t
        return AnalysedRecording(analysis: analysis, hits: hits, spottingSeconds: spotSeconds)
    }

    /// A streaming spotting pass over one recording, fed block by block (analysis rate, planar),
    /// so a caller that already decodes the file (the batch's analysis) need not decode it again.
    public func session(channels: Int, roles: ChannelRoles? = nil) -> SpotSession {
        SpotSession(spotter: self, channels: channels, roles: roles)
    }
}

/// A recording analysed and (optionally) spotted in one decode.
public struct AnalysedRecording: Sendable {
    public var analysis: FileAnalysis
    /// nil when spotting was not asked for.
    public var hits: [KeywordHit]?
    public var spottingSeconds: Double
}

/// One recording's spotting state: features, posteriors, smoothing and decoding per channel.
public final class SpotSession {
    let spotter: Spotter
    let inputs: [ModelInputStream]
    let decoders: [KeywordDecoder]
    let smoothers: [PosteriorSmoother]

    init(spotter: Spotter, channels: Int, roles: ChannelRoles?) {
        self.spotter = spotter
        let model = spotter.model
        let r = roles ?? ChannelRoles.defaults(channels: channels)
        let frameSeconds = model.feature.frameSeconds * Double(model.feature.subsample)
        let offset = model.feature.frameLengthMs / 2000
        inputs = (0..<channels).map { _ in ModelInputStream(config: model.feature, mean: model.mean, std: model.std) }
        decoders = (0..<channels).map { c in
            KeywordDecoder(keywords: spotter.keywords, frameSeconds: frameSeconds, frameOffset: offset,
                           channel: r.role(ofChannel: c, channels: channels), options: spotter.options,
                           columns: model.outputColumns, toneOffset: model.toneOffset, verifier: spotter.verifier)
        }
        smoothers = (0..<channels).map { _ in PosteriorSmoother(width: spotter.smoothing, columns: model.outputColumns) }
    }

    /// The sample rate blocks must be at.
    public var sampleRate: Int { spotter.model.feature.sampleRate }

    private func run(_ c: Int, _ x: [Float], _ n: Int, final: Bool = false) {
        let lp = n > 0 ? spotter.model.mlp.logPosteriors(x, rows: n) : []
        let (sm, rows) = smoothers[c].accept(lp, rows: n, final: final)
        if rows > 0 { decoders[c].accept(sm, rows: rows) }
    }

    /// One block of samples per channel at `sampleRate`.
    public func accept(_ block: [[Float]]) {
        for c in 0..<min(block.count, inputs.count) {
            let (x, idx) = inputs[c].accept(block[c])
            run(c, x, idx.count)
        }
    }

    /// Flushes every channel and returns all hits in time order.
    public func finish() -> [KeywordHit] {
        var hits: [KeywordHit] = []
        for c in 0..<inputs.count {
            let (x, idx) = inputs[c].finish()
            run(c, x, idx.count, final: true)
            hits += decoders[c].finish()
        }
        return hits.sorted { ($0.start ?? 0) < ($1.start ?? 0) }
    }
}

/// Streaming moving average of posteriors (in the probability domain) over `width` frames.
final class PosteriorSmoother {
    let width: Int
    let columns: Int
    private var buffer: [Float] = []     // probabilities, rows × units
    private var rows = 0
    private var emitted = 0              // rows already output
    private var dropped = 0              // rows removed from the front of buffer

    init(width: Int, columns: Int = PhoneSet.units.count) { self.width = max(1, width); self.columns = columns }

    func accept(_ logPost: [Float], rows n: Int, final: Bool) -> ([Float], Int) {
        let u = columns
        if width == 1 { return (logPost, n) }
        buffer.append(contentsOf: logPost.map { expf($0) })
        rows += n
        let half = width / 2
        var out: [Float] = []
        var count = 0
        while emitted < rows && (final || emitted + half < rows) {
            let lo = max(0, emitted - half), hi = min(rows - 1, emitted + half)
            for j in 0..<u {
                var s: Float = 0
                for r in lo...hi { s += buffer[(r - dropped) * u + j] }
                out.append(logf(max(s / Float(hi - lo + 1), 1e-30)))
            }
            emitted += 1
            count += 1
        }
        let keepFrom = max(0, emitted - half)
        if keepFrom - dropped > 64 {
            buffer.removeFirst((keepFrom - dropped) * u)
            dropped = keepFrom
        }
        return (out, count)
    }
}
