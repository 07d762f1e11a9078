import AudioIO
import Foundation
import SignalKit
import Spotting
import Triage

/// Runs the pipeline over a labelled set and collects what the metrics need: per call the text
/// draft (when there is a transcript), the audio draft and keyword outcomes (when there is audio),
/// and the time each stage took.
public final class BenchRunner: @unchecked Sendable {
    public struct Options: Sendable {
        public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        /// Hits down to this score are collected so the curve can be drawn below the operating point.
        public var floor = 0.2
        public var thresholds: [Double] = stride(from: 0.2, through: 0.951, by: 0.05).map { ($0 * 100).rounded() / 100 }
        public init() {}
    }

    public struct CallResult: Sendable {
        public var id: String
        public var labels: LabelledCall.Labels?
        public var audioSeconds = 0.0
        public var textDraft: TicketDraft?
        public var audioDraft: TicketDraft?
        public var open: KWSScorer.Outcome?
        public var operating: KWSScorer.Outcome?
        public var times = StageTimes()
        public var error: String?
    }

    public let engine: TriageEngine
    public let spotter: Spotter
    public let thresholds: [String: Double]
    public let options: Options
    public var progress: (Int, Int) -> Void = { _, _ in }

    /// - Parameter spotter: with the keywords whose thresholds are the operating point; the runner
    ///   spots at `options.floor` and applies those thresholds itself.
    public init(engine: TriageEngine, spotter: Spotter, options: Options) {
        self.engine = engine
        self.options = options
        thresholds = Dictionary(spotter.keywords.map { ($0.text, $0.threshold ?? spotter.options.threshold) }, uniquingKeysWith: { a, _ in a })
        // Down to the floor, or to the lowest threshold if that is lower: the operating point must
        // see every hit the pipeline would keep.
        let floor = min(options.floor, thresholds.values.min() ?? options.floor)
        var open = Spotter(model: spotter.model, keywords: spotter.keywords.map { var k = $0; k.threshold = floor; return k })
        open.options = spotter.options
        open.options.threshold = floor
        open.smoothing = spotter.smoothing
        open.verifier = spotter.verifier
        self.spotter = open
    }

    static func now() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

    public func run(_ calls: [LabelledCall], base: URL) -> [CallResult] {
        /// Shared between workers, always under its lock.
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var results: [CallResult?]
            var next = 0, done = 0
            init(_ n: Int) { results = [CallResult?](repeating: nil, count: n) }
        }
        let shared = Shared(calls.count)
        let workers = max(1, min(options.workers, calls.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                shared.lock.lock()
                guard shared.next < calls.count else { shared.lock.unlock(); return }
                let i = shared.next; shared.next += 1
                shared.lock.unlock()
                let r = self.process(calls[i], base: base)
                shared.lock.lock()
                shared.results[i] = r
                shared.done += 1
                self.progress(shared.done, calls.count)
                shared.lock.unlock()
            }
        }
        let results = shared.results
        return results.map { $0! }
    }

    func process(_ call: LabelledCall, base: URL) -> CallResult {
        var r = CallResult(id: call.id, labels: call.labels)
        if let t = call.transcript {
            let t0 = Self.now()
            r.textDraft = engine.draft(TriageInput(id: call.id, transcript: t))
            r.times.triageText = Self.now() - t0
        }
        guard let a = call.audio else { return r }
        let path = a.hasPrefix("/") ? a : base.appendingPathComponent(a).path
        var roles: ChannelRoles? = nil
        if let ch = call.channels, let c = ch.caller { roles = ChannelRoles(caller: c, agent: ch.agent) }
        do {
            let t0 = Self.now()
            let rec = try spotter.analyseAndSpot(path: path, roles: roles)
            let analysis = rec.analysis, hits = rec.hits ?? []
            r.times.spotting = rec.spottingSeconds
            r.times.decodeAnalysis = Self.now() - t0 - rec.spottingSeconds
            r.audioSeconds = analysis.info.duration
            // The operating point: each keyword's own threshold, and the evidence strength triage
            // sees measured from it (the open spotter measured it from the floor).
            let kept = hits.compactMap { h -> KeywordHit? in
                let t = thresholds[h.keyword] ?? 0.5
                guard h.score >= t else { return nil }
                var k = h; k.confidence = KeywordHit.confidence(score: h.score, threshold: t); return k
            }
            // References on the caller channel (or unlabelled) are scored against caller hits.
            let refs = (call.keywords ?? []).filter { thresholds[$0.text] != nil }.map { KWSScorer.Reference(text: $0.text, start: $0.start, end: $0.end) }
            let callerHits = { (h: [KeywordHit]) in h.filter { $0.channel == nil || $0.channel == "caller" } }
            r.open = KWSScorer.score(hits: callerHits(hits), references: refs)
            r.operating = KWSScorer.score(hits: callerHits(kept), references: refs)
            let t1 = Self.now()
            let info = analysis.info
            let source = TicketDraft.Source(path: path, sha256: "", duration: info.duration, channels: info.channels)
            var d = engine.draft(TriageInput(id: call.id, hits: kept, source: source))
            d.flags += analysis.flags.map { "audio:" + $0 }
            r.audioDraft = d
            r.times.triageAudio = Self.now() - t1
        } catch {
            r.error = "\(error)"
        }
        return r
    }
}
