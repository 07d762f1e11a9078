import Foundation

/// Writes 16-bit PCM WAV files for tests (interleaved from planar samples in [-1, 1)).
public enum TestWAV {
    public static func write(path: String, rate: Int, channels: Int, samples: [Float]) throws {
        try write(path: path, rate: rate, planar: [[Float]](repeating: samples, count: channels))
    }

    public static func write(path: String, rate: Int, planar: [[Float]]) throws {
        let ch = planar.count, n = planar[0].count
        var d = Data()
        func u32(_ v: Int) { var x = UInt32(v).littleEndian; d.append(Data(bytes: &x, count: 4)) }
        func u16(_ v: Int) { var x = UInt16(v).littleEndian; d.append(Data(bytes: &x, count: 2)) }
        d.append(contentsOf: Array("RIFF".utf8)); u32(36 + n * ch * 2); d.append(contentsOf: Array("WAVE".utf8))
        d.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(ch); u32(rate); u32(rate * ch * 2); u16(ch * 2); u16(16)
        d.append(contentsOf: Array("data".utf8)); u32(n * ch * 2)
        var pcm = [Int16](repeating: 0, count: n * ch)
        for i in 0..<n { for c in 0..<ch { pcm[i * ch + c] = Int16(max(-32768, min(32767, (planar[c][i] * 32768).rounded()))) } }
        pcm.withUnsafeBytes { d.append(contentsOf: $0) }
        try d.write(to: URL(fileURLWithPath: path))
    }
}
