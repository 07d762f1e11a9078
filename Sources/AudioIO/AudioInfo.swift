/// What a recording is, as read from its header.
public struct AudioInfo: Sendable, Equatable, Codable {
    /// Path as given.
    public var path: String
    /// Container name as libsndfile/soundfile call it: `WAV`, `FLAC`, `OGG`, `MP3`, `AIFF`, ….
    public var container: String
    /// Sample encoding (libsndfile subtype): `PCM_16`, `ULAW`, `ALAW`, `FLOAT`, `VORBIS`, `OPUS`, `MPEG_LAYER_III`, ….
    public var encoding: String
    public var sampleRate: Int
    public var channels: Int
    /// Sample frames per channel (for truncated files: the frames actually present).
    public var frames: Int64
    /// Size of the file in bytes.
    public var fileBytes: Int64

    public var duration: Double { sampleRate > 0 ? Double(frames) / Double(sampleRate) : 0 }

    public init(path: String, container: String, encoding: String, sampleRate: Int,
                channels: Int, frames: Int64, fileBytes: Int64) {
        self.path = path
        self.container = container
        self.encoding = encoding
        self.sampleRate = sampleRate
        self.channels = channels
        self.frames = frames
        self.fileBytes = fileBytes
    }
}

/// Which channel carries whom. Mono is the caller; stereo defaults to caller = 0, agent = 1.
public struct ChannelRoles: Sendable, Equatable, Codable {
    public var caller: Int
    public var agent: Int?

    public init(caller: Int = 0, agent: Int? = 1) {
        self.caller = caller
        self.agent = agent
    }

    /// The default for a file with `channels` channels.
    public static func defaults(channels: Int) -> ChannelRoles {
        channels >= 2 ? ChannelRoles(caller: 0, agent: 1) : ChannelRoles(caller: 0, agent: nil)
    }

    /// Parses `caller=1,agent=0` (either order; `agent=none` for no agent).
    public init?(spec: String) {
        var caller: Int? = nil
        var agent: Int?? = nil
        for part in spec.split(separator: ",") {
            let kv = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            guard kv.count == 2 else { return nil }
            switch kv[0] {
            case "caller": guard let v = Int(kv[1]), v >= 0 else { return nil }; caller = v
            case "agent":
                if kv[1] == "none" || kv[1] == "-" { agent = .some(nil) }
                else { guard let v = Int(kv[1]), v >= 0 else { return nil }; agent = .some(v) }
            default: return nil
            }
        }
        guard let c = caller else { return nil }
        self.caller = c
        self.agent = agent ?? nil
        if self.agent == c { return nil }
    }

    /// The role of channel `index` in a file with `channels` channels: `caller`, `agent` or `ch<index>`.
    public func role(ofChannel index: Int, channels: Int) -> String {
        if index == caller || (channels == 1 && index == 0) { return "caller" }
        if let a = agent, a == index { return "agent" }
        return "ch\(index)"
    }

    /// Checks the roles point at channels that exist.
    public func validate(channels: Int) -> String? {
        if channels == 1 { return nil }
        if caller >= channels { return "caller channel \(caller) does not exist (file has \(channels))" }
        if let a = agent, a >= channels { return "agent channel \(a) does not exist (file has \(channels))" }
        return nil
    }
}

import Foundation
