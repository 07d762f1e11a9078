import Foundation

/// One keyword occurrence found in audio or text.
public struct KeywordHit: Sendable, Equatable, Codable {
    public var keyword: String
    /// Seconds in the recording (audio path); nil for text hits.
    public var start: Double?
    public var end: Double?
    /// Confidence in (0, 1]: exp of the keyword path's mean per-state log posterior (audio; see
    /// `KeywordDecoder.Scoring`), or, with a hit verifier, its probability that the hit is real;
    /// match quality (text).
    public var score: Double
    public var channel: String?
    /// Character offsets in the transcript (text path).
    public var charStart: Int?
    public var charEnd: Int?
    /// Strength of the evidence for triage, in [0.55, 1] for an audio hit at or above its
    /// keyword's threshold (`KeywordHit.confidence(score:threshold:)`); nil: use `score`.
    public var confidence: Double?

    public init(keyword: String, start: Double? = nil, end: Double? = nil, score: Double, channel: String? = nil,
                charStart: Int? = nil, charEnd: Int? = nil, confidence: Double? = nil) {
        self.keyword = keyword; self.start = start; self.end = end; self.score = score; self.channel = channel
        self.charStart = charStart; self.charEnd = charEnd; self.confidence = confidence
    }

    /// The evidence strength triage uses: `confidence` when set, else `score`.
    public var evidenceStrength: Double { confidence ?? score }

    /// Maps an audio score to evidence strength on the scale a transcript match has. Raw scores
    /// are not comparable across keywords (a calibrated threshold may be 0.05 for one keyword and
    /// 0.3 for another) and sit far below a text match's 1.0, so the triage model would hear every
    /// audio keyword as a whisper. Instead: the position of the score between the keyword's
    /// threshold and 1 on a log scale, mapped to [0.55, 1] — the range the triage fitter's audio
    /// view is trained on (`TriageFitter`). Below the threshold: under 0.55, falling to 0.
    public static func confidence(score: Double, threshold: Double) -> Double {
        let t = min(max(threshold, 1e-6), 0.999)
        let s = max(score, 1e-9)
        let x = log(s / t) / -log(t)        // 0 at the threshold, 1 at a score of 1
        return x >= 0 ? 0.55 + 0.45 * min(x, 1) : max(0, 0.55 * (1 + x))
    }
}

/// Keyword-versus-filler Viterbi search over frame log-posteriors, streaming.
///
/// Each pronunciation of a keyword is a left-to-right chain of phone states, each with a minimum
/// and maximum duration. A frame in state s scores log P(phone_s) (`posterior`, the default), or
/// log P(phone_s) − max_u log P(u) (`ratio`: zero when the keyword's phone is the best unit, the
/// filler being the best free phone loop). With a tone-aware model a final whose tone the keyword
/// fixes adds the log posterior of that tone (砍了 kan3 is not 看了 kan4).
/// A path may start at any frame; its score is the mean over its states of each state's mean frame
/// score, so every phone counts equally however short; `exp` of that is the confidence. Ties prefer
/// staying in a state, so a path covers the keyword's whole duration. Paths whose completed states
/// already average below the keyword's threshold are pruned (exactly: later states score ≤ 0).
/// Candidates are local maxima per keyword; overlapping hits of one keyword keep the best; a hit
/// inside a longer keyword's hit (暖气 within 暖气不热) is dropped.
public final class KeywordDecoder {
    public struct Options: Sendable {
        /// Default confidence threshold for keywords without their own.
        public var threshold: Double = 0.5
        /// Minimum frames per phone state (at the model's frame rate).
        public var minFramesInitial = 2
        public var minFramesFinal = 4
        /// Maximum frames per phone state: an initial lasts at most ~160 ms, a final ~360 ms, so a
        /// path cannot hide a stretch of unrelated speech inside one state.
        public var maxFramesInitial = 8
        public var maxFramesFinal = 18
        /// Longest keyword occurrence considered (seconds).
        public var maxDurationSeconds = 3.0
        /// Frame score: `ratio` = log P(phone) − max_u log P(u) (keyword versus a free phone loop;
        /// 1.0 whenever the keyword's phone is the best at every frame), `posterior` = log P(phone)
        /// (does not saturate: a confident match outscores a merely best one).
        public var scoring: Scoring = .posterior
        /// Weight of the tone term on a final whose tone the keyword fixes (tone-aware models):
        /// log P(tone) (posterior) or log P(tone) − max log P(tone class) (ratio).
        public var toneWeight: Float = 1
        /// Beam: a path may not start on a frame, nor leave a phone state, whose (mean) frame score
        /// is below this log value. Not exact like the threshold pruning, but a phone the model
        /// gives under 1 in 1,000 on average does not belong to a hit at any usable threshold; it
        /// keeps most chains dead on most frames (the decoder is most of the spotting time).
        public var stateFloor: Float = logf(1e-3)
        public init() {}
    }

    public enum Scoring: String, Sendable, CaseIterable {
        case ratio, posterior
    }

    public let keywords: [Keyword]
    public var options: Options
    // One chain of phone states per pronunciation of a keyword. Per chain: the keyword, the first
    // state's index in the flat state arrays, the number of states, and the number of states on a
    // live path (a chain with none is skipped unless its first phone may start one).
    private var chainKeyword: [Int] = []
    private var chainOffset: [Int] = []
    private var chainCount: [Int] = []
    // The chains' states flattened: unit, allowed-tone mask (0 = any), min/max frames.
    private var stUnit: [Int32] = []
    private var stTone: [UInt8] = []
    private var stMin: [Int32] = []
    private var stMax: [Int32] = []
    private var chainLive: [Int32] = []
    private var usedToneMasks: [Int] = []   // the allowed-tone masks some state uses (the tone term is needed for those only)
    // Flat per-state arrays over all chains (no per-frame allocation).
    private var score: [Float] = []         // a path's Σ over its states of each state's mean frame score
    private var length: [Int32] = []
    private var startFrame: [Int32] = []
    private var inState: [Int32] = []
    private var segSum: [Float] = []        // score of the current state's segment
    private var segMean: [Float] = []       // segSum / inState, kept so it is divided once
    private var doneMeans: [Float] = []     // Σ mean score of the completed earlier states
    private var completed: [Float]
    private let logFloor: [Float]          // log of each keyword's threshold, for pruning
    private var completedStart: [Int32]
    private var completedChain: [Int32]     // the chain (pronunciation) of the best completed path
    private var chainInKeyword: [Int32] = []  // a chain's index among its keyword's chains
    private let frameSeconds: Double      // seconds per model frame
    private let frameOffset: Double       // time of frame 0's centre
    private var candidates: [[KeywordHit]]
    private var pendingBest: [KeywordHit?]
    private var hasPending: [Bool]           // pendingBest[k] != nil, cheap to test every frame
    private var pendingFrames: [(first: Int32, last: Int32, chain: Int32)]
    /// Second pass (nil: the raw score is the hit's score). Candidates need `candidateFloor`.
    public let verifier: HitVerifier?
    private var keywordChains: [[HitFeatures.Chain]] = []
    // The last `ringRows` rows of log posteriors the decoder saw, for the verifier's features.
    private var ring: [Float] = []
    private var ringRows = 0
    private var frame = 0
    public let channel: String?
    /// Columns per posterior row, and where the tone classes start (nil: no tone head).
    private let columns: Int
    private let toneOffset: Int?

    /// `columns`/`toneOffset` describe the posterior rows (`AcousticModel.outputColumns`/`toneOffset`).
    public init(keywords: [Keyword], frameSeconds: Double, frameOffset: Double = 0.0125, channel: String? = nil,
                options: Options = Options(), columns: Int = PhoneSet.units.count, toneOffset: Int? = nil,
                verifier: HitVerifier? = nil) {
        self.verifier = verifier
        self.columns = columns
        self.toneOffset = toneOffset
        self.keywords = keywords
        self.options = options
        self.frameSeconds = frameSeconds
        self.frameOffset = frameOffset
        self.channel = channel
        candidates = Array(repeating: [], count: keywords.count)
        pendingBest = Array(repeating: nil, count: keywords.count)
        hasPending = Array(repeating: false, count: keywords.count)
        pendingFrames = Array(repeating: (0, 0, 0), count: keywords.count)
        completed = [Float](repeating: -.infinity, count: keywords.count)
        logFloor = keywords.map { Float(log(verifier?.candidateFloor ?? $0.threshold ?? options.threshold)) }
        keywordChains = Array(repeating: [], count: keywords.count)
        completedStart = [Int32](repeating: 0, count: keywords.count)
        completedChain = [Int32](repeating: 0, count: keywords.count)
        var total = 0
        for (k, kw) in keywords.enumerated() {
            for (pi, p) in kw.pronunciations.enumerated() {
                let units = p.compactMap { PhoneSet.index[$0] }
                guard units.count == p.count, !units.isEmpty else { continue }
                let tones = pi < kw.toneMasks.count && kw.toneMasks[pi].count == p.count ? kw.toneMasks[pi]
                    : [UInt8](repeating: 0, count: p.count)
                let mins = p.map { Int32(PhoneSet.initialSet.contains($0) ? options.minFramesInitial : options.minFramesFinal) }
                let maxs = p.map { Int32(PhoneSet.initialSet.contains($0) ? options.maxFramesInitial : options.maxFramesFinal) }
                chainInKeyword.append(Int32(keywordChains[k].count))
                chainKeyword.append(k); chainOffset.append(total); chainCount.append(units.count)
                keywordChains[k].append(HitFeatures.Chain(units: units, tones: toneOffset == nil ? [UInt8](repeating: 0, count: p.count) : tones,
                                                          minFrames: mins.map(Int.init), maxFrames: maxs.map(Int.init)))
                stUnit += units.map(Int32.init)
                stTone += toneOffset == nil ? [UInt8](repeating: 0, count: p.count) : tones
                stMin += mins
                stMax += maxs
                total += units.count
            }
        }
        chainLive = [Int32](repeating: 0, count: chainOffset.count)
        usedToneMasks = Set(stTone).filter { $0 != 0 }.map(Int.init).sorted()
        score = [Float](repeating: -.infinity, count: total)
        length = [Int32](repeating: 0, count: total)
        startFrame = [Int32](repeating: 0, count: total)
        inState = [Int32](repeating: 0, count: total)
        segSum = [Float](repeating: 0, count: total)
        segMean = [Float](repeating: 0, count: total)
        doneMeans = [Float](repeating: 0, count: total)
        if verifier != nil {
            // A hit is verified at most 0.3 s after it ends, or when a later hit of its keyword
            // starts (≤ maxDuration after its end): keep twice the longest span and a margin.
            ringRows = Int((2 * options.maxDurationSeconds + 1) / frameSeconds) + 1
            ring = [Float](repeating: 0, count: ringRows * columns)
        }
    }

    /// Consumes `rows` frames of log posteriors (rows × units), consecutive model frames.
    public func accept(_ logPost: [Float], rows: Int) {
        let u = columns
        let nPhones = PhoneSet.units.count
        let maxFrames = Int32(options.maxDurationSeconds / frameSeconds)
        var toneTerm = [Float](repeating: 0, count: 64)   // per allowed-tone mask, this frame
        let toneWeight = options.toneWeight
        let stateFloor = options.stateFloor
        let nk = keywords.count
        let posteriorScoring = options.scoring == .posterior
        for r in 0..<rows {
            let t = Int32(frame)
            if ringRows > 0 {
                let dst = (frame % ringRows) * u
                for j in 0..<u { ring[dst + j] = logPost[r * u + j] }
            }
            if let to = self.toneOffset {
                let base = r * u + to
                var tb = -Float.infinity
                for j in 0..<AcousticModel.toneClasses.count { tb = max(tb, logPost[base + j]) }
                if posteriorScoring { tb = 0 }
                for m in usedToneMasks {
                    var v = -Float.infinity
                    for tone in 1...5 where m & (1 << tone) != 0 { v = max(v, logPost[base + tone]) }
                    toneTerm[m] = v > -.infinity ? toneWeight * (v - tb) : 0
                }
            }
            logPost.withUnsafeBufferPointer { lpAll in
            score.withUnsafeMutableBufferPointer { score in
            length.withUnsafeMutableBufferPointer { length in
            startFrame.withUnsafeMutableBufferPointer { startFrame in
            inState.withUnsafeMutableBufferPointer { inState in
            segSum.withUnsafeMutableBufferPointer { segSum in
            segMean.withUnsafeMutableBufferPointer { segMean in
            doneMeans.withUnsafeMutableBufferPointer { doneMeans in
            completed.withUnsafeMutableBufferPointer { completed in
            completedStart.withUnsafeMutableBufferPointer { completedStart in
            chainLive.withUnsafeMutableBufferPointer { chainLive in
            stUnit.withUnsafeBufferPointer { units in
            stTone.withUnsafeBufferPointer { tones in
            stMin.withUnsafeBufferPointer { minFrames in
            stMax.withUnsafeBufferPointer { maxStay in
            logFloor.withUnsafeBufferPointer { logFloor in
            chainOffset.withUnsafeBufferPointer { chainOffset in
            chainCount.withUnsafeBufferPointer { chainCount in
            chainKeyword.withUnsafeBufferPointer { chainKeyword in
            chainInKeyword.withUnsafeBufferPointer { chainInKeyword in
            toneTerm.withUnsafeBufferPointer { toneTerm in
            completedChain.withUnsafeMutableBufferPointer { completedChain in
                let row = lpAll.baseAddress! + r * u
                var best = -Float.infinity
                for j in 0..<nPhones { best = max(best, row[j]) }
                if posteriorScoring { best = 0 }
                for k in 0..<nk { completed[k] = -.infinity }
                for c in 0..<chainOffset.count {
                    let o = chainOffset[c]
                    // No live path and the first phone too unlikely to start one: nothing to do.
                    if chainLive[c] == 0 && row[Int(units[o])] - best + toneTerm[Int(tones[o])] < stateFloor { continue }
                    let n = chainCount[c]
                    let kIndex = chainKeyword[c]
                    // Last state first, so each update reads the previous frame's values.
                    // A path's score is the mean over its states of each state's mean frame
                    // score, so every phone of the keyword counts equally, however short.
                    // The pruning rule "completed states' sum / n < log floor", without dividing;
                    // the small margin keeps a path whose mean rounds onto the floor.
                    let floorSum = logFloor[kIndex] * Float(n) - 1e-4
                    var live: Int32 = 0
                    var s = n - 1
                    while s >= 0 {
                        let i = o + s
                        // Dead and nothing to enter from: stays dead.
                        if s > 0 && length[i] == 0 && length[i - 1] == 0 { s -= 1; continue }
                        let e = row[Int(units[i])] - best + toneTerm[Int(tones[i])]
                        let alive = length[i] > 0 && length[i] + 1 <= maxFrames && inState[i] < maxStay[i]
                        // Partial scores are kept as sums over the states so far (the mean is their
                        // sum / (s + 1), the same divisor for staying and entering).
                        let stayMean = alive ? (segSum[i] + e) / Float(inState[i] + 1) : 0
                        let stayPartial = alive ? doneMeans[i] + stayMean : -.infinity
                        var enterPartial = -Float.infinity
                        var enterDone: Float = 0
                        if s == 0 {
                            if e >= stateFloor { enterPartial = e }
                        } else if inState[i - 1] >= minFrames[i - 1] && length[i - 1] > 0 {
                            let prevMean = segMean[i - 1]
                            enterDone = doneMeans[i - 1] + prevMean
                            if prevMean >= stateFloor { enterPartial = enterDone + e }
                        }
                        // Exact pruning: later states score ≤ 0, so a path whose completed
                        // states already average below the keyword's threshold can never pass.
                        if s > 0 && enterDone < floorSum { enterPartial = -.infinity }
                        if alive && stayPartial >= enterPartial && doneMeans[i] >= floorSum {
                            segSum[i] += e; segMean[i] = stayMean; inState[i] += 1; length[i] += 1
                            score[i] = stayPartial
                            live += 1
                        } else if enterPartial > -.infinity {
                            let from = s == 0 ? t : startFrame[i - 1]
                            let len: Int32 = s == 0 ? 1 : length[i - 1] + 1
                            segSum[i] = e; segMean[i] = e; inState[i] = 1; doneMeans[i] = enterDone
                            length[i] = len; startFrame[i] = from; score[i] = enterPartial
                            live += 1
                        } else {
                            length[i] = 0; inState[i] = 0; score[i] = -.infinity
                        }
                        s -= 1
                    }
                    chainLive[c] = live
                    let last = o + n - 1
                    if inState[last] >= minFrames[last] && length[last] > 0 {
                        let mean = score[last] / Float(n)
                        if mean > completed[kIndex] {
                            completed[kIndex] = mean
                            completedStart[kIndex] = startFrame[last]
                            completedChain[kIndex] = chainInKeyword[c]
                        }
                    }
                }
            }}}}}}}}}}}}}}}}}}}}}}
            for k in 0..<nk where completed[k] > -.infinity || hasPending[k] {
                let conf = completed[k] > -.infinity ? Double(expf(completed[k])) : 0
                track(k, conf: conf, start: completedStart[k], chain: completedChain[k], t: t)
            }
            frame += 1
        }
    }

    /// Keeps the best candidate of each run of frames above threshold (a local maximum).
    private func track(_ k: Int, conf: Double, start: Int32, chain: Int32, t: Int32) {
        let thr = keywords[k].threshold ?? options.threshold
        if conf >= (verifier?.candidateFloor ?? thr) {
            let hit = KeywordHit(keyword: keywords[k].text,
                                 start: frameOffset + Double(start) * frameSeconds - frameSeconds / 2,
                                 end: frameOffset + Double(t) * frameSeconds + frameSeconds / 2,
                                 score: conf, channel: channel,
                                 confidence: KeywordHit.confidence(score: conf, threshold: thr))
            if let p = pendingBest[k] {
                if overlaps(p, hit) { if hit.score >= p.score { pendingBest[k] = hit; pendingFrames[k] = (start, t, chain) } }
                else { emit(k); pendingBest[k] = hit; hasPending[k] = true; pendingFrames[k] = (start, t, chain) }
            } else {
                pendingBest[k] = hit; hasPending[k] = true; pendingFrames[k] = (start, t, chain)
            }
        } else if let p = pendingBest[k], let end = p.end, frameOffset + Double(t) * frameSeconds > end + 0.3 {
            emit(k)
        }
    }

    /// Moves keyword k's pending candidate to the hits: as it is, or, with a verifier, scored by
    /// the verifier's probability and kept only at or above the keyword's threshold.
    private func emit(_ k: Int) {
        guard var hit = pendingBest[k] else { return }
        pendingBest[k] = nil
        hasPending[k] = false
        guard let v = verifier else { candidates[k].append(hit); return }
        let (first, last) = (Int(pendingFrames[k].first), Int(pendingFrames[k].last))
        let n = last - first + 1
        guard n > 0, first > frame - ringRows, last <= frame else { return }   // still in the ring
        var span = [Float](repeating: 0, count: n * columns)
        for i in 0..<n {
            let src = ((first + i) % ringRows) * columns
            for j in 0..<columns { span[i * columns + j] = ring[src + j] }
        }
        // The pronunciation the decoder's path took (the others could fit the span better only
        // by a path the decoder scored lower).
        let chains = keywordChains[k]
        let c = Int(pendingFrames[k].chain)
        guard let f = HitFeatures.compute(chains: c < chains.count ? [chains[c]] : chains, characters: keywords[k].text.count, span: span, rows: n,
                                          columns: columns, toneOffset: toneOffset, frameSeconds: frameSeconds,
                                          rawScore: hit.score) else { return }
        let p = v.probability(f, keyword: keywords[k].text)
        let thr = keywords[k].threshold ?? options.threshold
        if let sink = featureSink { sink(k, hit, f) }
        guard p >= thr else { return }
        hit.score = p
        hit.confidence = KeywordHit.confidence(score: p, threshold: thr)
        candidates[k].append(hit)
    }

    /// Receives every verified candidate's features (keyword index, hit with its raw score,
    /// features) before the threshold: for fitting a verifier.
    public var featureSink: ((Int, KeywordHit, [Float]) -> Void)? = nil

    private func overlaps(_ a: KeywordHit, _ b: KeywordHit) -> Bool {
        (a.start ?? 0) < (b.end ?? 0) && (b.start ?? 0) < (a.end ?? 0)
    }

    /// All hits, resolved, in time order.
    public func finish() -> [KeywordHit] {
        for k in 0..<keywords.count { emit(k) }
        let all = candidates.flatMap { $0 }
        return KeywordDecoder.resolve(all)
    }

    /// Drops a hit that lies inside an overlapping hit of a longer keyword containing its text
    /// (and scoring at least 80 % as well). Sweeps in time order: O(n · overlap).
    public static func resolve(_ hits: [KeywordHit]) -> [KeywordHit] {
        let sorted = hits.sorted { ($0.start ?? 0, $0.keyword) < ($1.start ?? 0, $1.keyword) }
        var keep: [KeywordHit] = []
        var active: [Int] = []     // indices into sorted, hits still overlapping the sweep point
        var dominated = [Bool](repeating: false, count: sorted.count)
        for (i, h) in sorted.enumerated() {
            let hs = h.start ?? 0
            active.removeAll { (sorted[$0].end ?? 0) <= hs }
            for j in active {
                let o = sorted[j]
                func contains(_ a: KeywordHit, _ b: KeywordHit) -> Bool {
                    a.keyword.count > b.keyword.count && a.keyword.contains(b.keyword) && a.score >= b.score * 0.8
                }
                if contains(o, h) { dominated[i] = true }
                if contains(h, o) { dominated[j] = true }
            }
            active.append(i)
        }
        for (i, h) in sorted.enumerated() where !dominated[i] { keep.append(h) }
        return keep
    }
}
