import Foundation

/// Forced alignment of a transcript to audio with an existing acoustic model: the route by which a
/// hotline centre turns its own recordings + transcripts into training data (no hand timing).
///
/// The transcript's best reading becomes a left-to-right chain of phone states with optional
/// silence before, between and after syllables; Viterbi over the model's log posteriors gives each
/// 10 ms frame its unit.
public struct ForcedAligner {
    public let model: AcousticModel
    public let lexicon: Lexicon

    public init(model: AcousticModel, lexicon: Lexicon) {
        self.model = model
        self.lexicon = lexicon
    }

    /// Frame labels (one per 10 ms feature frame) for `samples`, or nil when the transcript has no
    /// readable Chinese or the audio is too short for its phones.
    public func align(samples: [Float], transcript: String, frames n: Int) -> [Int32]? {
        let syllables = lexicon.bestReading(of: transcript)
        guard !syllables.isEmpty else { return nil }
        let sil = PhoneSet.index[PhoneSet.silence]!
        // States: sil? (phones of syllable 1) sil? (phones of syllable 2) … sil?
        var units: [Int] = [sil]
        var optional: [Bool] = [true]
        for s in syllables {
            for p in s.phones { units.append(PhoneSet.index[p]!); optional.append(false) }
            units.append(sil); optional.append(true)
        }
        let spotter = Spotter(model: model, keywords: [])
        let (lp, rows) = spotter.logPosteriors(samples)
        let u = model.outputColumns
        let S = units.count
        guard rows >= syllables.count else { return nil }
        // Viterbi: score[s] at each model frame; back-pointers as Int8 jumps (0 stay, 1 or 2 advance).
        var score = [Float](repeating: -.infinity, count: S)
        var back = [[UInt8]](repeating: [UInt8](repeating: 0, count: S), count: rows)
        score[0] = lp[units[0]]
        if S > 1 { score[1] = lp[units[1]] }
        for t in 1..<rows {
            var next = [Float](repeating: -.infinity, count: S)
            for s in 0..<S {
                var best = score[s], jump: UInt8 = 0
                if s >= 1 && score[s - 1] > best { best = score[s - 1]; jump = 1 }
                // Skip an optional silence.
                if s >= 2 && optional[s - 1] && score[s - 2] > best { best = score[s - 2]; jump = 2 }
                if best > -.infinity { next[s] = best + lp[t * u + units[s]]; back[t][s] = jump }
            }
            score = next
        }
        var s = score[S - 1] >= (S >= 2 ? score[S - 2] : -.infinity) ? S - 1 : S - 2
        guard s >= 0, score[s] > -.infinity else { return nil }
        var path = [Int](repeating: 0, count: rows)
        for t in stride(from: rows - 1, through: 0, by: -1) {
            path[t] = units[s]
            if t > 0 { s -= Int(back[t][s]) }
        }
        // Model frames are every `subsample` feature frames: spread labels back to 10 ms frames.
        let sub = model.feature.subsample
        return (0..<n).map { Int32(path[min($0 / sub, rows - 1)]) }
    }
}
