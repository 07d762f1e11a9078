import Foundation

/// Just enough RIFF parsing to name the codec of a WAV file libsndfile refused,
/// so the error says "format tag 0x0055 (MPEG Layer 3)" instead of "malformed".
enum WAVHeader {
    /// Format tags libsndfile 1.2 decodes inside WAV.
    static let supported: Set<UInt16> = [0x0001, 0x0002, 0x0003, 0x0006, 0x0007, 0x0011, 0x0031, 0x0040, 0x0055, 0xFFFE]

    static let names: [UInt16: String] = [
        0x0001: "PCM", 0x0002: "MS ADPCM", 0x0003: "IEEE float", 0x0006: "A-law", 0x0007: "μ-law",
        0x0011: "IMA ADPCM", 0x0022: "TrueSpeech", 0x0031: "GSM 6.10", 0x0040: "G.721 ADPCM",
        0x0050: "MPEG", 0x0055: "MPEG Layer 3", 0x0064: "G.726 ADPCM", 0x0065: "G.722 ADPCM",
        0x0092: "Dolby AC3 SPDIF", 0x00FF: "AAC", 0x0161: "WMA", 0x1610: "HE-AAC", 0x2000: "AC3",
        0x7A21: "AMR-NB (GSM-AMR CBR)", 0x7A22: "AMR-NB (GSM-AMR VBR)", 0xA109: "Speex", 0xFFFE: "extensible",
    ]

    /// The `fmt ` chunk's format tag when the file is RIFF/WAVE with a tag libsndfile cannot decode.
    static func unsupportedFormatTag(path: String) -> (code: UInt16, name: String)? {
        guard let fh = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? fh.close() }
        guard let head = try? fh.read(upToCount: 4096), head.count >= 22 else { return nil }
        let b = [UInt8](head)
        guard String(decoding: b[0..<4], as: UTF8.self) == "RIFF",
              String(decoding: b[8..<12], as: UTF8.self) == "WAVE" else { return nil }
        var off = 12
        while off + 8 <= b.count {
            let id = String(decoding: b[off..<(off + 4)], as: UTF8.self)
            let size = Int(b[off + 4]) | Int(b[off + 5]) << 8 | Int(b[off + 6]) << 16 | Int(b[off + 7]) << 24
            if id == "fmt " {
                guard off + 10 <= b.count else { return nil }
                let tag = UInt16(b[off + 8]) | UInt16(b[off + 9]) << 8
                if supported.contains(tag) { return nil }
                return (tag, names[tag] ?? "unknown codec")
            }
            off += 8 + size + (size & 1)
        }
        return nil
    }
}
