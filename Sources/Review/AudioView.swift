import AudioIO
import Foundation
import SignalKit

/// What the draft page plays and draws: the recording converted to 16-bit PCM WAV (which every
/// browser plays, unlike μ-law/A-law WAV or many telephony codecs), and per channel a waveform
/// envelope and a log spectrogram computed with CallTriage's own decoder and FFT.
public enum AudioView {
    /// Recordings longer than this are not converted for the browser (memory), only drawn.
    public static let maxPlaySeconds = 2.0 * 3600

    /// The whole recording as 16-bit PCM WAV at its own sample rate, channels interleaved.
    public static func pcmWAV(path: String) throws -> Data {
        let dec = try AudioDecoder(path: path)
        let info = dec.info
        guard info.duration <= maxPlaySeconds else {
            throw TooLong(seconds: info.duration)
        }
        let ch = info.channels
        var pcm = Data(capacity: Int(info.frames) * ch * 2)
        while let block = try dec.read(maxFrames: 65536) {
            let n = block.first?.count ?? 0
            var ints = [Int16](repeating: 0, count: n * ch)
            for c in 0..<ch {
                let x = block[c]
                for i in 0..<n {
                    let v = max(-1, min(1, x[i].isFinite ? x[i] : 0)) * 32767
                    ints[i * ch + c] = Int16(v.rounded())
                }
            }
            ints.withUnsafeBytes { pcm.append(contentsOf: $0) }
        }
        return wavHeader(sampleRate: info.sampleRate, channels: ch, dataBytes: pcm.count) + pcm
    }

    public struct TooLong: Error, CustomStringConvertible {
        public var seconds: Double
        public var description: String { "the recording lasts \(Int(seconds)) s, longer than the \(Int(AudioView.maxPlaySeconds)) s the review page converts for playing" }
    }

    static func wavHeader(sampleRate: Int, channels: Int, dataBytes: Int) -> Data {
        var h = Data()
        func u32(_ v: Int) { var x = UInt32(truncatingIfNeeded: v).littleEndian; withUnsafeBytes(of: &x) { h.append(contentsOf: $0) } }
        func u16(_ v: Int) { var x = UInt16(truncatingIfNeeded: v).littleEndian; withUnsafeBytes(of: &x) { h.append(contentsOf: $0) } }
        h.append(contentsOf: Array("RIFF".utf8)); u32(36 + dataBytes); h.append(contentsOf: Array("WAVE".utf8))
        h.append(contentsOf: Array("fmt ".utf8)); u32(16); u16(1); u16(channels); u32(sampleRate)
        u32(sampleRate * channels * 2); u16(channels * 2); u16(16)
        h.append(contentsOf: Array("data".utf8)); u32(dataBytes)
        return h
    }

    public struct ChannelView: Codable, Sendable {
        public var index: Int
        public var role: String
        /// Min and max sample per column, interleaved (2 × columns values in [-1, 1]).
        public var envelope: [Float]
        /// Spectrogram: `columns` × `bins` bytes (low frequency first within a column), 0 = 80 dB
        /// below the loudest cell, 255 = the loudest; base64.
        public var spectrogram: String
    }

    public struct SignalView: Codable, Sendable {
        public var duration: Double
        public var sampleRate: Int
        public var columns: Int
        public var bins: Int
        public var maxFrequency: Double
        public var channels: [ChannelView]
    }

    /// Waveform and spectrogram of every channel at the telephone analysis rate, `columns` wide.
    public static func signal(path: String, roles: ChannelRoles? = nil, columns wanted: Int = 1000) throws(AudioError) -> SignalView {
        let rate = 8000
        let (info, chans) = try AnalysisStream.readAll(path: path, analysisRate: rate)
        let r = roles ?? ChannelRoles.defaults(channels: info.channels)
        let n = chans.first?.count ?? 0
        let columns = max(1, min(wanted, n / 40))
        let fftSize = 256, bins = fftSize / 2 + 1
        let fft = RealFFT(size: fftSize)
        let window = (0..<fftSize).map { 0.5 - 0.5 * cos(2 * Float.pi * Float($0) / Float(fftSize - 1)) }
        var views: [ChannelView] = []
        for (c, x) in chans.enumerated() {
            var env = [Float](repeating: 0, count: 2 * columns)
            var spec = [Float](repeating: 0, count: columns * bins)
            var power = [Float](repeating: 0, count: bins)
            for col in 0..<columns {
                let lo = col * n / columns, hi = max(lo + 1, (col + 1) * n / columns)
                var mn: Float = 0, mx: Float = 0
                for i in lo..<min(hi, n) { mn = min(mn, x[i]); mx = max(mx, x[i]) }
                env[2 * col] = mn; env[2 * col + 1] = mx
                // One windowed frame centred in the column.
                let centre = (lo + hi) / 2, start = centre - fftSize / 2
                let buf = fft.inputBuffer
                for i in 0..<fftSize {
                    let j = start + i
                    buf[i] = (j >= 0 && j < n) ? x[j] * window[i] : 0
                }
                power.withUnsafeMutableBufferPointer { fft.powerSpectrum(into: $0.baseAddress!) }
                for b in 0..<bins { spec[col * bins + b] = 10 * log10(power[b] + 1e-12) }
            }
            let top = spec.max() ?? 0
            let bytes = spec.map { UInt8(max(0, min(255, (($0 - (top - 80)) / 80 * 255).rounded()))) }
            views.append(ChannelView(index: c, role: r.role(ofChannel: c, channels: info.channels),
                                     envelope: env.map { ($0 * 1000).rounded() / 1000 },
                                     spectrogram: Data(bytes).base64EncodedString()))
        }
        return SignalView(duration: Double(n) / Double(rate), sampleRate: rate, columns: columns, bins: bins,
                          maxFrequency: Double(rate) / 2, channels: views)
    }
}
