import AudioIO
import Foundation

/// Settings for analysing one recording.
public struct AnalysisOptions: Sendable {
    /// 8000 (telephone band, default) or 16000.
    public var analysisRate = 8000
    /// Channel roles; `nil` = defaults (mono caller; stereo caller 0, agent 1).
    public var roles: ChannelRoles? = nil
    public var vad = VADOptions()
    public var dtmf = DTMFOptions()
    public var quality = QualityOptions()
    public var fingerprint = true
    public init() {}
}

/// The analysis of one channel.
public struct ChannelAnalysis: Sendable, Codable, Equatable {
    public var index: Int
    public var role: String
    public var quality: ChannelQuality
    public var speech: [Segment]
    public var dtmf: [DTMFTone]
    public var digits: String { String(dtmf.map(\.digit)) }
}

/// The analysis of one recording: what `calltriage inspect` prints.
public struct FileAnalysis: Sendable, Codable, Equatable {
    public var info: AudioInfo
    public var sha256: String?
    public var analysisRate: Int
    public var channels: [ChannelAnalysis]
    /// Samples per channel at the analysis rate.
    public var analysisFrames: Int64

    public func channel(role: String) -> ChannelAnalysis? { channels.first { $0.role == role } }
    /// Flags of all channels, prefixed with the role (`caller:clipping`).
    public var flags: [String] { channels.flatMap { c in c.quality.flags.map { "\(c.role):\($0)" } } }
}

/// Streams a recording once through decode → resample → VAD, quality and DTMF per channel.
public enum FileAnalyzer {
    /// - Parameter onStart: called once with the decoded file's description, before any block.
    /// - Parameter onBlock: sees every analysis-rate block too, so another stage (keyword
    ///   spotting) shares this one decode instead of reading the file again.
    public static func analyze(path: String, options: AnalysisOptions = AnalysisOptions(),
                               onStart: ((AudioInfo) -> Void)? = nil,
                               onBlock: (([[Float]]) -> Void)? = nil) throws(AudioError) -> FileAnalysis {
        let stream = try AnalysisStream(path: path, analysisRate: options.analysisRate)
        let info = stream.info
        let roles = options.roles ?? ChannelRoles.defaults(channels: info.channels)
        if let problem = roles.validate(channels: info.channels) {
            throw AudioError(.unsupportedLayout, path: path, detail: problem)
        }
        let rate = options.analysisRate
        let vads = (0..<info.channels).map { _ in VoiceActivityDetector(sampleRate: rate, options: options.vad) }
        let dtmfs = (0..<info.channels).map { _ in DTMFDetector(sampleRate: rate, options: options.dtmf) }
        let meters = (0..<info.channels).map { _ in QualityMeter(rawRate: info.sampleRate, options: options.quality) }
        for c in 0..<info.channels {
            let m = meters[c]
            vads[c].onFrame = { e, s in m.acceptFrame(energyDB: e, isSpeech: s) }
        }
        var frames: Int64 = 0
        onStart?(info)
        while let block = try stream.nextBlock() {
            onBlock?(block.analysis)
            for c in 0..<info.channels {
                if !block.raw[c].isEmpty { meters[c].acceptRaw(block.raw[c]) }
                vads[c].accept(block.analysis[c])
                dtmfs[c].accept(block.analysis[c])
            }
            frames += Int64(block.analysis.first?.count ?? 0)
        }
        var channels: [ChannelAnalysis] = []
        for c in 0..<info.channels {
            // Key presses are tones, not speech: cut them out of the speech segments.
            let tones = dtmfs[c].finish()
            let speechOnly = vads[c].finish(excluding: tones.map { Segment(start: $0.start - 0.04, end: $0.end + 0.04) })
            meters[c].noteSpeech(speechOnly)
            channels.append(ChannelAnalysis(index: c, role: roles.role(ofChannel: c, channels: info.channels),
                                            quality: meters[c].finish(), speech: speechOnly, dtmf: tones))
        }
        let hash = options.fingerprint ? try Fingerprint.sha256(path: path) : nil
        return FileAnalysis(info: info, sha256: hash, analysisRate: rate, channels: channels, analysisFrames: frames)
    }
}
