import AudioIO
import Foundation

/// Decodes a recording block by block and resamples every channel to the analysis rate.
///
/// Blocks are planar, in [-1, 1). Memory stays constant whatever the file's length:
/// one decode block plus each resampler's history.
public final class AnalysisStream {
    public let decoder: AudioDecoder
    public let analysisRate: Int
    private var resamplers: [Resampler]
    private let blockFrames: Int
    private var finished = false

    public var info: AudioInfo { decoder.info }

    /// - Parameters:
    ///   - analysisRate: 8000 (telephone band, default) or 16000.
    ///   - blockSeconds: decode block length; 2 s keeps memory small and calls cheap.
    public init(path: String, analysisRate: Int = 8000, blockSeconds: Double = 2) throws(AudioError) {
        decoder = try AudioDecoder(path: path)
        self.analysisRate = analysisRate
        let info = decoder.info
        resamplers = (0..<info.channels).map { _ in Resampler(inputRate: info.sampleRate, outputRate: analysisRate) }
        blockFrames = max(256, Int(Double(info.sampleRate) * blockSeconds))
    }

    /// The next block of analysis-rate samples for every channel; `nil` at the end.
    public func next() throws(AudioError) -> [[Float]]? {
        try nextBlock()?.analysis
    }

    /// The next block, both as decoded (file rate) and resampled (analysis rate).
    public func nextBlock() throws(AudioError) -> (raw: [[Float]], analysis: [[Float]])? {
        if finished { return nil }
        if let block = try decoder.read(maxFrames: blockFrames) {
            return (block, (0..<block.count).map { resamplers[$0].process(block[$0]) })
        }
        finished = true
        let tail = resamplers.map { $0.flush() }
        if tail.allSatisfy({ $0.isEmpty }) { return nil }
        return (tail.map { _ in [] }, tail)
    }

    /// Whole recording at the analysis rate (for short files and tests).
    public static func readAll(path: String, analysisRate: Int = 8000) throws(AudioError) -> (info: AudioInfo, channels: [[Float]]) {
        let s = try AnalysisStream(path: path, analysisRate: analysisRate)
        var chans = [[Float]](repeating: [], count: s.info.channels)
        while let b = try s.next() {
            for c in 0..<b.count { chans[c].append(contentsOf: b[c]) }
        }
        return (s.info, chans)
    }
}
