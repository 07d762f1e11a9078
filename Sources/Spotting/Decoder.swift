import Foundation

/// One keyword occurrence found in audio or text.
public struct KeywordHit: Sendable, Equatable, Codable {
    public var keyword: String
    /// Seconds in the recording (audio path); nil for text hits.
    public var start: Double?
    public var end: Double?
    /// Confidence in (0, 1]: exp of the mean per-frame log posterior ratio (audio), or match quality (text).
    public var score: Double
    public var channel: String?
    /// Character offsets in the transcript (text path).
    public var charStart: Int?
    public var charEnd: Int?

    public init(keyword: String, start: Double? = nil, end: Double? = nil, score: Double, channel: String? = nil,
                charStart: Int? = nil, charEnd: Int? = nil) {
        self.keyword = keyword; self.start = start; self.end = end; self.score = score; self.channel = channel
        self.charStart = charStart; self.charEnd = charEnd
    }
}

/// Keyword-versus-filler Viterbi search over frame log-posteriors, streaming.
///
/// Each pronunciation of a keyword is a left-to-right chain of phone states. A frame in state s
/// scores log P(phone_s) − max_u log P(u): zero when the keyword's phone is the best unit, negative
/// otherwise (the filler is the best free phone loop). A path may start at any frame; its score at
/// the end state, divided by its length in frames, is the mean log ratio; `exp` of that is the
/// confidence. Ties prefer staying in a state, so a path covers the keyword's whole duration.
/// Candidates are local maxima per keyword; overlapping hits of one keyword keep the best; a hit
/// inside a longer keyword's hit (暖气 within 暖气不热) is dropped.
public final class KeywordDecoder {
    public struct Options: Sendable {
        /// Default confidence threshold for keywords without their own.
        public var threshold: Double = 0.5
        /// Minimum frames per phone state (at the model's frame rate).
        public var minFramesInitial = 1
        public var minFramesFinal = 1
        /// Longest keyword occurrence considered (seconds).
        public var maxDurationSeconds = 3.0
        public init() {}
    }

    struct Chain {
        let keywordIndex: Int
        let units: [Int]           // unit index per state
        let minFrames: [Int]
    }

    struct State { var score: Float; var frames: Int32; var start: Int32; var inState: Int32 }

    public let keywords: [Keyword]
    public var options: Options
    private var chains: [Chain] = []
    private var states: [[State]] = []
    private let frameSeconds: Double      // seconds per model frame
    private let frameOffset: Double       // time of frame 0's centre
    private var candidates: [[KeywordHit]]
    private var pendingBest: [KeywordHit?]
    private var frame = 0
    public let channel: String?

    public init(keywords: [Keyword], frameSeconds: Double, frameOffset: Double = 0.0125, channel: String? = nil,
                options: Options = Options()) {
        self.keywords = keywords
        self.options = options
        self.frameSeconds = frameSeconds
        self.frameOffset = frameOffset
        self.channel = channel
        candidates = Array(repeating: [], count: keywords.count)
        pendingBest = Array(repeating: nil, count: keywords.count)
        for (k, kw) in keywords.enumerated() {
            for p in kw.pronunciations {
                let units = p.compactMap { PhoneSet.index[$0] }
                guard units.count == p.count, !units.isEmpty else { continue }
                let mins = p.map { PhoneSet.initials.contains($0) ? options.minFramesInitial : options.minFramesFinal }
                chains.append(Chain(keywordIndex: k, units: units, minFrames: mins))
                states.append(Array(repeating: State(score: -.infinity, frames: 0, start: 0, inState: 0), count: units.count))
            }
        }
    }

    /// Consumes `rows` frames of log posteriors (rows × units), consecutive model frames.
    public func accept(_ logPost: [Float], rows: Int) {
        let u = PhoneSet.units.count
        let maxFrames = Int32(options.maxDurationSeconds / frameSeconds)
        logPost.withUnsafeBufferPointer { lp in
            for r in 0..<rows {
                let row = lp.baseAddress! + r * u
                var best = -Float.infinity
                for j in 0..<u { best = max(best, row[j]) }
                let t = Int32(frame)
                var completed = [Float](repeating: -.infinity, count: keywords.count)
                var completedState = [State?](repeating: nil, count: keywords.count)
                for c in 0..<chains.count {
                    let ch = chains[c]
                    var st = states[c]
                    // Update from the last state backwards so each uses the previous frame's values.
                    for s in stride(from: ch.units.count - 1, through: 0, by: -1) {
                        let e = row[ch.units[s]] - best
                        var stay = st[s]
                        stay.score += e; stay.frames += 1; stay.inState += 1
                        var enter: State
                        if s == 0 {
                            enter = State(score: e, frames: 1, start: t, inState: 1)
                        } else {
                            let prev = st[s - 1]
                            if prev.inState >= Int32(ch.minFrames[s - 1]) && prev.score > -.infinity {
                                enter = State(score: prev.score + e, frames: prev.frames + 1, start: prev.start, inState: 1)
                            } else {
                                enter = State(score: -.infinity, frames: 0, start: 0, inState: 0)
                            }
                        }
                        // Compare by mean score; prefer staying on ties (covers the whole keyword).
                        let stayMean = stay.frames > 0 ? stay.score / Float(stay.frames) : -.infinity
                        let enterMean = enter.frames > 0 ? enter.score / Float(enter.frames) : -.infinity
                        var pick = (stay.score > -.infinity && stayMean >= enterMean) ? stay : enter
                        if pick.frames > maxFrames { pick = enter }
                        st[s] = pick
                    }
                    states[c] = st
                    let last = st[ch.units.count - 1]
                    if last.inState >= Int32(ch.minFrames.last!) && last.frames > 0 {
                        let mean = last.score / Float(last.frames)
                        if mean > completed[ch.keywordIndex] {
                            completed[ch.keywordIndex] = mean
                            completedState[ch.keywordIndex] = last
                        }
                    }
                }
                for k in 0..<keywords.count {
                    let conf = completedState[k] != nil ? Double(expf(completed[k])) : 0
                    track(k, conf: conf, state: completedState[k], t: t)
                }
                frame += 1
            }
        }
    }

    /// Keeps the best candidate of each run of frames above threshold (a local maximum).
    private func track(_ k: Int, conf: Double, state: State?, t: Int32) {
        let thr = keywords[k].threshold ?? options.threshold
        if let s = state, conf >= thr {
            let hit = KeywordHit(keyword: keywords[k].text,
                                 start: frameOffset + Double(s.start) * frameSeconds - frameSeconds / 2,
                                 end: frameOffset + Double(t) * frameSeconds + frameSeconds / 2,
                                 score: conf, channel: channel)
            if let p = pendingBest[k] {
                if overlaps(p, hit) { if hit.score >= p.score { pendingBest[k] = hit } }
                else { candidates[k].append(p); pendingBest[k] = hit }
            } else {
                pendingBest[k] = hit
            }
        } else if let p = pendingBest[k], let end = p.end, frameOffset + Double(t) * frameSeconds > end + 0.3 {
            candidates[k].append(p)
            pendingBest[k] = nil
        }
    }

    private func overlaps(_ a: KeywordHit, _ b: KeywordHit) -> Bool {
        (a.start ?? 0) < (b.end ?? 0) && (b.start ?? 0) < (a.end ?? 0)
    }

    /// All hits, resolved, in time order.
    public func finish() -> [KeywordHit] {
        for k in 0..<keywords.count { if let p = pendingBest[k] { candidates[k].append(p); pendingBest[k] = nil } }
        let all = candidates.flatMap { $0 }
        return KeywordDecoder.resolve(all)
    }

    /// Drops a hit that lies inside an overlapping hit of a longer keyword containing its text.
    public static func resolve(_ hits: [KeywordHit]) -> [KeywordHit] {
        var keep: [KeywordHit] = []
        for h in hits {
            let dominated = hits.contains { o in
                o.keyword != h.keyword && o.keyword.count > h.keyword.count && o.keyword.contains(h.keyword)
                    && (o.start ?? 0) < (h.end ?? 0) && (h.start ?? 0) < (o.end ?? 0) && o.score >= h.score * 0.8
            }
            if !dominated { keep.append(h) }
        }
        return keep.sorted { ($0.start ?? 0, $0.keyword) < ($1.start ?? 0, $1.keyword) }
    }
}
