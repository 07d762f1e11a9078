import CSndFile
import Foundation

/// Streams any recording libsndfile reads as planar Float blocks in [-1, 1).
///
/// Memory is bounded by the block size, whatever the file's length. The decoder is
/// not thread-safe; use one per file. C pointers never leave this type.
public final class AudioDecoder {
    public let info: AudioInfo
    private var handle: OpaquePointer?
    private var interleaved: [Float] = []
    private var framesRead: Int64 = 0
    /// Frames the header announced; `nil` when libsndfile cannot know (MP3 without a Xing header).
    private let announcedFrames: Int64?

    /// Highest sample rate and channel count CallTriage accepts.
    public static let sampleRateRange = 4000...192_000
    public static let maxChannels = 8

    public init(path: String) throws(AudioError) {
        let fm = FileManager.default
        var isDir: ObjCBool = false
        guard fm.fileExists(atPath: path, isDirectory: &isDir) else {
            // A dangling symlink also lands here.
            throw AudioError(.unreadable, path: path, detail: "no such file (or a broken link)")
        }
        if isDir.boolValue {
            throw AudioError(.unreadable, path: path, detail: "is a directory, not a file")
        }
        let size: Int64
        do {
            let attrs = try fm.attributesOfItem(atPath: path)
            size = (attrs[.size] as? NSNumber)?.int64Value ?? 0
        } catch {
            throw AudioError(.unreadable, path: path, detail: "cannot stat: \(error.localizedDescription)")
        }
        guard fm.isReadableFile(atPath: path), let probe = FileHandle(forReadingAtPath: path) else {
            throw AudioError(.unreadable, path: path, detail: "permission denied or I/O error opening the file")
        }
        let magic = (try? probe.read(upToCount: 12)) ?? Data()
        try? probe.close()
        if size == 0 {
            throw AudioError(.empty, path: path, detail: "file is 0 bytes")
        }

        var sfinfo = SF_INFO()
        guard let h = sf_open(path, Int32(SFM_READ), &sfinfo) else {
            let code = sf_error(nil)
            let message = String(cString: sf_strerror(nil))
            if let tag = WAVHeader.unsupportedFormatTag(path: path) {
                throw AudioError(.unsupportedEncoding, path: path,
                                 detail: String(format: "WAV format tag 0x%04X (%@) is not a codec libsndfile decodes", tag.code, tag.name))
            }
            throw AudioDecoder.openError(code: code, message: message, path: path, size: size, magic: magic)
        }
        handle = h
        let container = AudioDecoder.containerName(sfinfo.format)
        let encoding = AudioDecoder.encodingName(sfinfo.format)
        let log = AudioDecoder.logInfo(h)

        var frames = Int64(sfinfo.frames)
        // libsndfile reports SF_COUNT_MAX for streams of unknown length.
        if frames < 0 || frames == Int64.max { frames = 0; announcedFrames = nil }
        else { announcedFrames = frames }
        info = AudioInfo(path: path, container: container, encoding: encoding,
                         sampleRate: Int(sfinfo.samplerate), channels: Int(sfinfo.channels),
                         frames: frames, fileBytes: size)

        if let claim = AudioDecoder.shortDataClaim(log) {
            sf_close(h); handle = nil
            throw AudioError(.truncated, path: path,
                             detail: "header announces \(claim.claimed) data bytes but only \(claim.present) are present")
        }
        if !AudioDecoder.sampleRateRange.contains(info.sampleRate) {
            sf_close(h); handle = nil
            throw AudioError(.unsupportedLayout, path: path,
                             detail: "sample rate \(info.sampleRate) Hz is outside 4000–192000 Hz")
        }
        if info.channels < 1 || info.channels > AudioDecoder.maxChannels {
            sf_close(h); handle = nil
            throw AudioError(.unsupportedLayout, path: path,
                             detail: "\(info.channels) channels; CallTriage reads 1–\(AudioDecoder.maxChannels)")
        }
        _ = sf_command(h, Int32(SFC_SET_NORM_FLOAT), nil, Int32(SF_TRUE))
    }

    deinit {
        if let h = handle { sf_close(h) }
    }

    /// Frames decoded so far.
    public var position: Int64 { framesRead }

    /// Reads up to `maxFrames` frames; returns planar channels, or `nil` at the end.
    /// Throws `truncated` when the stream ends early or the codec loses sync,
    /// `nonFiniteSamples` on NaN/Inf.
    public func read(maxFrames: Int) throws(AudioError) -> [[Float]]? {
        guard let h = handle else { return nil }
        let ch = info.channels
        if interleaved.count < maxFrames * ch { interleaved = [Float](repeating: 0, count: maxFrames * ch) }
        let got = interleaved.withUnsafeMutableBufferPointer { buf in
            Int(sf_readf_float(h, buf.baseAddress, sf_count_t(maxFrames)))
        }
        let err = sf_error(h)
        if err != 0 {
            let msg = String(cString: sf_strerror(h))
            close()
            throw AudioError(.truncated, path: info.path,
                             detail: "decoding stopped after \(framesRead + Int64(max(got, 0))) of \(announcedFrames.map(String.init) ?? "?") frames: \(msg)")
        }
        if got <= 0 {
            if let want = announcedFrames, framesRead < want, !info.container.hasPrefix("MP3") {
                close()
                throw AudioError(.truncated, path: info.path,
                                 detail: "stream ended after \(framesRead) of \(want) announced frames")
            }
            close()
            return nil
        }
        var out = [[Float]](repeating: [Float](repeating: 0, count: got), count: ch)
        try interleaved.withUnsafeBufferPointer { src throws(AudioError) in
            for c in 0..<ch {
                try out[c].withUnsafeMutableBufferPointer { dst throws(AudioError) in
                    var bad = -1
                    for i in 0..<got {
                        let v = src[i * ch + c]
                        if !v.isFinite, bad < 0 { bad = i }
                        dst[i] = v
                    }
                    if bad >= 0 {
                        let at = framesRead + Int64(bad)
                        throw AudioError(.nonFiniteSamples, path: info.path,
                                         detail: String(format: "sample %lld of channel %d is %@ (at %.3f s)",
                                                        at, c, "\(src[bad * ch + c])", Double(at) / Double(info.sampleRate)))
                    }
                }
            }
        }
        framesRead += Int64(got)
        return out
    }

    /// Closes the file early. Further reads return `nil`.
    public func close() {
        if let h = handle { sf_close(h); handle = nil }
    }

    // MARK: - libsndfile plumbing

    static func openError(code: Int32, message: String, path: String, size: Int64, magic: Data) -> AudioError {
        let known = knownMagic(magic)
        switch code {
        case Int32(SF_ERR_UNSUPPORTED_ENCODING):
            return AudioError(.unsupportedEncoding, path: path, detail: message)
        case Int32(SF_ERR_SYSTEM):
            return AudioError(.unreadable, path: path, detail: message)
        case Int32(SF_ERR_UNRECOGNISED_FORMAT):
            if let k = known, size < 64 {
                return AudioError(.truncated, path: path, detail: "\(k) header cut short: file is \(size) bytes")
            }
            if let k = known {
                return AudioError(.unsupportedEncoding, path: path, detail: "\(k) container, but libsndfile cannot read its content: \(message)")
            }
            return AudioError(.unrecognisedFormat, path: path,
                              detail: "not an audio file libsndfile recognises (starts with \(hexPrefix(magic)))")
        default:
            let lower = message.lowercased()
            if lower.contains("unsupported") || lower.contains("not supported") || lower.contains("unimplemented") || lower.contains("format tag")
                || lower.contains("codec") {
                return AudioError(.unsupportedEncoding, path: path, detail: message)
            }
            if let k = known, size < 64 {
                return AudioError(.truncated, path: path, detail: "\(k) header cut short at \(size) bytes: \(message)")
            }
            if known == nil {
                return AudioError(.unrecognisedFormat, path: path,
                                  detail: "not an audio file libsndfile recognises (starts with \(hexPrefix(magic))): \(message)")
            }
            return AudioError(.malformed, path: path, detail: message)
        }
    }

    static func knownMagic(_ d: Data) -> String? {
        let b = [UInt8](d)
        func ascii(_ r: Range<Int>) -> String { r.upperBound <= b.count ? String(decoding: b[r], as: UTF8.self) : "" }
        switch ascii(0..<4) {
        case "RIFF", "RIFX", "RF64": return "WAV"
        case "fLaC": return "FLAC"
        case "OggS": return "OGG"
        case "FORM": return "AIFF"
        case ".snd": return "AU"
        default: break
        }
        if ascii(0..<3) == "ID3" { return "MP3" }
        if b.count >= 2, b[0] == 0xFF, (b[1] & 0xE0) == 0xE0 { return "MP3" }
        return nil
    }

    static func hexPrefix(_ d: Data) -> String {
        let bytes = d.prefix(8).map { String(format: "%02x", $0) }.joined(separator: " ")
        return bytes.isEmpty ? "nothing" : bytes
    }

    static func logInfo(_ h: OpaquePointer) -> String {
        var buf = [CChar](repeating: 0, count: 8192)
        _ = buf.withUnsafeMutableBufferPointer { p in
            sf_command(h, Int32(SFC_GET_LOG_INFO), p.baseAddress, Int32(p.count))
        }
        return String(cString: buf)
    }

    /// libsndfile logs `data : 16000 (should be 8956)` when a WAV's data chunk is longer than the file.
    static func shortDataClaim(_ log: String) -> (claimed: Int64, present: Int64)? {
        for line in log.split(separator: "\n") {
            let t = line.trimmingCharacters(in: .whitespaces)
            guard t.hasPrefix("data"), let open = t.range(of: "(should be ") else { continue }
            let head = t[t.startIndex..<open.lowerBound].split(separator: ":").last?
                .trimmingCharacters(in: .whitespaces) ?? ""
            let tail = t[open.upperBound...].prefix { $0.isNumber }
            if let claimed = Int64(head), let present = Int64(tail), present < claimed {
                return (claimed, present)
            }
        }
        return nil
    }

    static func containerName(_ format: Int32) -> String {
        switch Int(format) & Int(SF_FORMAT_TYPEMASK) {
        case Int(SF_FORMAT_WAV): return "WAV"
        case Int(SF_FORMAT_WAVEX): return "WAVEX"
        case Int(SF_FORMAT_RF64): return "RF64"
        case Int(SF_FORMAT_W64): return "W64"
        case Int(SF_FORMAT_AIFF): return "AIFF"
        case Int(SF_FORMAT_AU): return "AU"
        case Int(SF_FORMAT_RAW): return "RAW"
        case Int(SF_FORMAT_FLAC): return "FLAC"
        case Int(SF_FORMAT_OGG): return "OGG"
        case Int(SF_FORMAT_CAF): return "CAF"
        case Int(SF_FORMAT_MPEG): return "MP3"
        case Int(SF_FORMAT_NIST): return "NIST"
        case Int(SF_FORMAT_VOC): return "VOC"
        case Int(SF_FORMAT_IRCAM): return "IRCAM"
        default: return String(format: "0x%06x", Int(format) & Int(SF_FORMAT_TYPEMASK))
        }
    }

    static func encodingName(_ format: Int32) -> String {
        let names: [Int: String] = [
            0x0001: "PCM_S8", 0x0002: "PCM_16", 0x0003: "PCM_24", 0x0004: "PCM_32", 0x0005: "PCM_U8",
            0x0006: "FLOAT", 0x0007: "DOUBLE", 0x0010: "ULAW", 0x0011: "ALAW", 0x0012: "IMA_ADPCM",
            0x0013: "MS_ADPCM", 0x0020: "GSM610", 0x0021: "VOX_ADPCM", 0x0022: "NMS_ADPCM_16",
            0x0023: "NMS_ADPCM_24", 0x0024: "NMS_ADPCM_32", 0x0030: "G721_32", 0x0031: "G723_24",
            0x0032: "G723_40", 0x0040: "DWVW_12", 0x0041: "DWVW_16", 0x0042: "DWVW_24", 0x0043: "DWVW_N",
            0x0050: "DPCM_8", 0x0051: "DPCM_16", 0x0060: "VORBIS", 0x0064: "OPUS", 0x0070: "ALAC_16",
            0x0071: "ALAC_20", 0x0072: "ALAC_24", 0x0073: "ALAC_32", 0x0080: "MPEG_LAYER_I",
            0x0081: "MPEG_LAYER_II", 0x0082: "MPEG_LAYER_III",
        ]
        let sub = Int(format) & Int(SF_FORMAT_SUBMASK)
        return names[sub] ?? String(format: "0x%04x", sub)
    }

    /// The libsndfile version string, for reports.
    public static var libraryVersion: String { String(cString: sf_version_string()) }
}
