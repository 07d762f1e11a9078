import ArgumentParser
import AudioIO
import Foundation
import SignalKit

struct Inspect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show format, duration, per-channel quality, speech segments and DTMF digits of recordings.",
        discussion: """
        A file that cannot be decoded prints one error line (path: kind: detail) and the run goes on. \
        Exit status: 0 when every file was analysed, 1 when any file failed.
        With --json, one JSON object per line per file (JSONL); failed files have "ok": false and \
        "error": {"kind", "message"}.
        """)

    @Argument(help: "Audio files (WAV, FLAC, OGG, Opus, MP3, …).")
    var audio: [String]

    @Flag(help: "Print one JSON object per file (JSONL).")
    var json = false

    @Option(help: "Analysis sample rate: 8000 (telephone band) or 16000.")
    var sampleRate: Int = 8000

    @Option(help: "Channel roles, e.g. caller=1,agent=0 (default: caller=0,agent=1; mono is the caller).")
    var roles: String?

    @Flag(help: "Skip the SHA-256 content fingerprint.")
    var noHash = false

    @Option(help: ArgumentHelp("VAD: frame log-likelihood ratio that starts speech.", visibility: .hidden))
    var vadOnset: Float?

    @Option(help: ArgumentHelp("VAD: log-likelihood ratio that keeps speech going.", visibility: .hidden))
    var vadOffset: Float?

    @Option(help: ArgumentHelp("VAD: noise-estimate bias factor.", visibility: .hidden))
    var vadNoiseBias: Float?

    @Option(help: ArgumentHelp("VAD: noise-tracking window in seconds.", visibility: .hidden))
    var vadNoiseWindow: Double?

    @Option(help: ArgumentHelp("VAD: share of strongest bands averaged per frame.", visibility: .hidden))
    var vadTopBands: Float?

    func validate() throws {
        guard sampleRate == 8000 || sampleRate == 16000 else {
            throw ValidationError("--sample-rate must be 8000 or 16000")
        }
        if let r = roles, ChannelRoles(spec: r) == nil {
            throw ValidationError("--roles: expected caller=N[,agent=M|none], got '\(r)'")
        }
    }

    func run() throws {
        var options = AnalysisOptions()
        options.analysisRate = sampleRate
        options.roles = roles.flatMap(ChannelRoles.init(spec:))
        options.fingerprint = !noHash
        if let v = vadOnset { options.vad.onsetThreshold = v }
        if let v = vadOffset { options.vad.offsetThreshold = v }
        if let v = vadNoiseBias { options.vad.noiseBias = v }
        if let v = vadNoiseWindow { options.vad.noiseWindowSeconds = v }
        if let v = vadTopBands { options.vad.topBandShare = v }
        var failed = 0
        for path in audio {
            do {
                let a = try FileAnalyzer.analyze(path: path, options: options)
                CLI.writeStdout(json ? InspectJSON.encode(InspectRecord(a)) + "\n" : InspectText.render(a))
            } catch {
                failed += 1
                if json {
                    CLI.writeStdout(InspectJSON.encode(InspectRecord(path: path, error: error)) + "\n")
                }
                CLI.writeStderr("error: \(error)\n")
            }
        }
        if audio.count > 1 && !json {
            CLI.writeStdout("\(audio.count - failed) analysed, \(failed) failed\n")
        }
        if failed > 0 { throw ExitCode(1) }
    }
}

/// The `inspect --json` record (snake_case keys; times in seconds, 3 decimals).
struct InspectRecord: Encodable {
    struct Err: Encodable { var kind: String; var message: String }
    struct Span: Encodable { var start: Double; var end: Double }
    struct Key: Encodable { var digit: String; var start: Double; var end: Double }
    struct Quality: Encodable {
        var snrDb: Double?; var noiseDbfs: Double?; var speechDbfs: Double?; var rmsDbfs: Double
        var peak: Double; var clippingRatio: Double; var dcOffset: Double; var silenceRatio: Double
        var dropouts: [Span]; var bandwidthHz: Double; var band: String; var flags: [String]

        enum CodingKeys: String, CodingKey {
            case snrDb, noiseDbfs, speechDbfs, rmsDbfs, peak, clippingRatio, dcOffset, silenceRatio
            case dropouts, bandwidthHz, band, flags
        }
        // Unknown values are written as null, not left out, so every record has every key.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(snrDb, forKey: .snrDb); try c.encode(noiseDbfs, forKey: .noiseDbfs)
            try c.encode(speechDbfs, forKey: .speechDbfs); try c.encode(rmsDbfs, forKey: .rmsDbfs)
            try c.encode(peak, forKey: .peak); try c.encode(clippingRatio, forKey: .clippingRatio)
            try c.encode(dcOffset, forKey: .dcOffset); try c.encode(silenceRatio, forKey: .silenceRatio)
            try c.encode(dropouts, forKey: .dropouts); try c.encode(bandwidthHz, forKey: .bandwidthHz)
            try c.encode(band, forKey: .band); try c.encode(flags, forKey: .flags)
        }
    }
    struct Channel: Encodable {
        var index: Int; var role: String; var speech: [Span]; var dtmf: [Key]; var digits: String
        var quality: Quality
    }
    var file: String
    var ok: Bool
    var error: Err?
    var sha256: String?
    var container: String?
    var encoding: String?
    var sampleRate: Int?
    var numChannels: Int?
    var frames: Int64?
    var duration: Double?
    var fileBytes: Int64?
    var analysisRate: Int?
    var digits: String?
    var flags: [String]?
    var channels: [Channel]?

    static func r(_ x: Double) -> Double { (x * 1000).rounded() / 1000 }

    init(path: String, error: any Error) {
        file = path
        ok = false
        if let e = error as? AudioError {
            self.error = Err(kind: e.kind.rawValue, message: e.detail)
        } else {
            self.error = Err(kind: "error", message: "\(error)")
        }
    }

    init(_ a: FileAnalysis) {
        file = a.info.path
        ok = true
        sha256 = a.sha256
        container = a.info.container
        encoding = a.info.encoding
        sampleRate = a.info.sampleRate
        numChannels = a.info.channels
        frames = a.info.frames
        duration = InspectRecord.r(a.info.duration)
        fileBytes = a.info.fileBytes
        analysisRate = a.analysisRate
        digits = a.channel(role: "caller")?.digits ?? ""
        flags = a.flags
        channels = a.channels.map { c in
            let q = c.quality
            return Channel(index: c.index, role: c.role,
                           speech: c.speech.map { Span(start: InspectRecord.r($0.start), end: InspectRecord.r($0.end)) },
                           dtmf: c.dtmf.map { Key(digit: String($0.digit), start: InspectRecord.r($0.start), end: InspectRecord.r($0.end)) },
                           digits: c.digits,
                           quality: Quality(snrDb: q.snrDB, noiseDbfs: q.noiseDBFS, speechDbfs: q.speechDBFS,
                                            rmsDbfs: q.rmsDBFS, peak: (q.peak * 10000).rounded() / 10000,
                                            clippingRatio: (q.clippingRatio * 1e6).rounded() / 1e6,
                                            dcOffset: (q.dcOffset * 1e5).rounded() / 1e5,
                                            silenceRatio: (q.silenceRatio * 1000).rounded() / 1000,
                                            dropouts: q.dropouts.map { Span(start: InspectRecord.r($0.start), end: InspectRecord.r($0.end)) },
                                            bandwidthHz: q.bandwidthHz.rounded(), band: q.band, flags: q.flags))
        }
    }
}

enum InspectJSON {
    static func encode(_ r: InspectRecord) -> String {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? enc.encode(r)) ?? Data("{}".utf8), as: UTF8.self)
    }
}

enum InspectText {
    static func fmt(_ x: Double) -> String { String(format: "%.2f", x) }

    static func render(_ a: FileAnalysis) -> String {
        let i = a.info
        var s = "\(i.path)\n"
        s += "  format    \(i.container) \(i.encoding), \(i.sampleRate) Hz, \(i.channels) ch, \(fmt(i.duration)) s, \(i.fileBytes) bytes\n"
        if let h = a.sha256 { s += "  sha256    \(h)\n" }
        for c in a.channels {
            let q = c.quality
            let snr = q.snrDB.map { String(format: "%.1f dB", $0) } ?? "n/a"
            s += "  ch\(c.index) \(c.role)\n"
            s += "    level   rms \(String(format: "%.1f", q.rmsDBFS)) dBFS, peak \(String(format: "%.3f", q.peak)), SNR \(snr), \(q.band) (\(Int(q.bandwidthHz)) Hz)\n"
            s += "    issues  clipping \(String(format: "%.3f%%", q.clippingRatio * 100)), DC \(String(format: "%.4f", q.dcOffset)), silence \(String(format: "%.0f%%", q.silenceRatio * 100)), dropouts \(q.dropouts.count)\n"
            s += "    flags   \(q.flags.isEmpty ? "-" : q.flags.joined(separator: ", "))\n"
            let speech = c.speech.map { "\(fmt($0.start))–\(fmt($0.end))" }
            s += "    speech  \(speech.isEmpty ? "none" : speech.joined(separator: " "))\n"
            if !c.dtmf.isEmpty {
                s += "    dtmf    \(c.digits)  (" + c.dtmf.map { "\($0.digit)@\(fmt($0.start))" }.joined(separator: " ") + ")\n"
            }
        }
        return s
    }
}
