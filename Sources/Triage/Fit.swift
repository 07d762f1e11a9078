import Foundation
import Spotting

/// Fits the triage heads (topic, request type, hand-off) from labelled transcripts — the path a
/// centre uses with its own reviewers' decisions (`calltriage model fit-triage`).
///
/// Each call is used twice: with its transcript (keyword + n-gram features) and as audio would
/// see it (keyword features only, each keyword dropped with probability `dropout` and its
/// confidence scaled into [0.55, 1], optionally with false hits of short keywords added), so one
/// model serves transcripts and recordings.
/// A call without a topic label (e.g. letters labelled only with the answering unit) teaches the
/// topic head when its reference unit belongs to exactly one topic.
/// A call with a recording can bring the hits the spotter really found in it (`recordedHits`):
/// they become its audio view, so the heads learn which keywords the spotter hears, misses and
/// confuses, instead of (or besides, `Options.simulatedWithRecorded`) the simulated view.
public struct TriageFitter {
    public let engine: TriageEngine
    public var options = Options()
    /// Spotted hits of a call's recording, by call id (at the keywords' thresholds, with
    /// `confidence` set as the pipeline sets it). An empty list means "spotted, nothing heard".
    public var recordedHits: [String: [KeywordHit]] = [:]

    public struct Options: Sendable {
        public var epochs = 12
        public var l2 = 3e-5
        public var learningRate = 0.03
        /// Learning rate falling linearly to zero (false: constant).
        public var decay = true
        public var dropout = 0.25
        /// Mean number of false hits the audio view adds per call: keywords of at most three
        /// characters drawn at random (Poisson), at strength 0.55–0.8.
        public var falseHits = 0.0
        public var seed: UInt64 = 20261123
        /// The whole fit is run this many times (seeds `seed`, `seed+1`, …: other example orders
        /// and audio views) and the weights averaged: one model of the same size whose decisions
        /// depend far less on the draw.
        public var ensemble = 1
        public var minFeatureCount = 2
        /// A call with recorded hits keeps its simulated audio view too (false: the recorded view
        /// replaces it).
        public var simulatedWithRecorded = true
        /// Weight of an emergency's examples in the hand-off head, relative to a non-emergency's
        /// (a missed emergency is the worst error the draft can make).
        public var emergencyWeight = 1.0
        /// In a transcript, the topic head does not see the keyword features of request-type cue
        /// words (`k:` of `type:*` keywords such as 请问, 需要什么材料, 我要投诉, and `c:type:*`):
        /// there they say what the caller wants, not what about, and otherwise pick up the topics
        /// of the training calls that happened to use them. (Their characters stay as `u:`/`b:`
        /// n-grams, which are spread over many calls.) Audio views keep them: with a handful of
        /// keywords heard they do carry topic evidence (measured: routing from audio 2–3 points
        /// worse without). The model records the option (`TriageModel.topicWithoutTypeCues`) and
        /// `TriageEngine` then drops them from a transcript's topic features to match.
        public var topicIgnoresTypeCues = true
        public init() {}
    }

    public struct Report: Sendable {
        public var examples: [String: Int] = [:]
        public var skipped: [String] = []
        public var loss: [String: Double] = [:]
        public var features = 0
    }

    public init(engine: TriageEngine) { self.engine = engine }

    /// `ensemble` fits, each exactly the single fit with seed `seed + r` (its own example order and
    /// audio view), averaged weight by weight into one model of the same size.
    private func fitEnsemble(_ sets: [(calls: [LabelledCall], weight: Double)], version: String, notes: [String],
                             progress: (String) -> Void) -> (TriageModel, Report) {
        let runs = options.ensemble
        var members: [TriageModel] = []
        var report = Report()
        for r in 0..<runs {
            var single = self
            single.options.ensemble = 1
            single.options.seed = options.seed &+ UInt64(r)
            let (m, rep) = single.fit(sets, version: version, notes: notes) { progress("fit \(r + 1)/\(runs): " + $0) }
            members.append(m)
            if r == 0 { report = rep } else { for (k, v) in rep.loss { report.loss[k, default: 0] += v } }
        }
        report.loss = report.loss.mapValues { $0 / Double(runs) }
        var heads: [String: SoftmaxClassifier] = [:]
        for name in members[0].heads.keys {
            heads[name] = SoftmaxClassifier.average(members.compactMap { $0.heads[name] })
        }
        return (TriageModel(version: version, notes: notes, heads: heads, topicWithoutTypeCues: options.topicIgnoresTypeCues), report)
    }

    /// The topic a unit implies, when exactly one topic lists that unit.
    public func topic(forUnit unit: String) -> String? {
        let ts = engine.domain.topics.filter { $0.units.contains(unit) }
        return ts.count == 1 ? ts[0].id : nil
    }

    public func fit(_ sets: [(calls: [LabelledCall], weight: Double)], version: String, notes: [String],
                    progress: (String) -> Void = { _ in }) -> (TriageModel, Report) {
        if options.ensemble > 1 { return fitEnsemble(sets, version: version, notes: notes, progress: progress) }
        var report = Report()
        let domain = engine.domain
        let topicLabels = domain.topicLabels
        let typeLabels = Domain.requestTypes
        let handoffLabels = ["none"] + domain.handoffs.map(\.id)
        var rng = SplitMix64(seed: options.seed)
        var topicData: [(x: FeatureVector, y: Int, weight: Double)] = []
        var typeData = topicData, handoffData = topicData
        var counts: [String: Int] = [:]
        let confusable = engine.extractor.keywords.keys.filter { $0.count <= 3 }.sorted()
        var done = 0
        let total = sets.reduce(0) { $0 + $1.calls.count }
        for (calls, weight) in sets {
            for call in calls {
                done += 1
                if done % 500 == 0 { progress("features \(done)/\(total)") }
                guard let text = call.transcript, let labels = call.labels else { report.skipped.append("\(call.id): no transcript or labels"); continue }
                let hits = engine.matcher.match(text, channel: "transcript")
                var full = engine.extractor.keywordFeatures(hits)
                full.merge(FeatureExtractor.textFeatures(text)) { a, _ in a }
                var kept: [KeywordHit] = []
                for var h in hits where rng.unit() >= options.dropout {
                    h.score *= 0.55 + 0.45 * rng.unit(); kept.append(h)
                }
                if options.falseHits > 0 {
                    // Poisson count by inversion.
                    var n = 0, p = exp(-options.falseHits), cum = p
                    let u = rng.unit()
                    while u > cum && n < 20 { n += 1; p *= options.falseHits / Double(n); cum += p }
                    for _ in 0..<n where !confusable.isEmpty {
                        let k = confusable[Int(rng.unit() * Double(confusable.count)) % confusable.count]
                        kept.append(KeywordHit(keyword: k, score: 0.55 + 0.25 * rng.unit()))
                    }
                }
                let audio = engine.extractor.keywordFeatures(kept)
                var views = audio.isEmpty ? [full] : [full, audio]
                if let recorded = recordedHits[call.id] {
                    if !options.simulatedWithRecorded { views = [full] }
                    // Nothing heard teaches nothing but the prior: such a view is left out.
                    let r = engine.extractor.keywordFeatures(recorded)
                    if !r.isEmpty { views.append(r) }
                }
                for x in views { for f in x.keys { counts[f, default: 0] += 1 } }
                let topic = labels.topic ?? labels.units?.first.flatMap { self.topic(forUnit: $0) }
                if let t = topic {
                    if let y = topicLabels.firstIndex(of: t) {
                        for (v, x) in views.enumerated() {
                            // views[0] is the transcript view.
                            let tx = v == 0 && options.topicIgnoresTypeCues ? engine.extractor.withoutTypeCues(x) : x
                            topicData.append((tx, y, weight))
                        }
                    } else { report.skipped.append("\(call.id): unknown topic '\(t)'") }
                }
                if let t = labels.type, labels.topic != nil {
                    if let y = typeLabels.firstIndex(of: t) { for x in views { typeData.append((x, y, weight)) } }
                    else { report.skipped.append("\(call.id): unknown request type '\(t)'") }
                }
                if labels.topic != nil {
                    let h = labels.handoff ?? "none"
                    let w = h == "none" ? weight : weight * options.emergencyWeight
                    if let y = handoffLabels.firstIndex(of: h) { for x in views { handoffData.append((x, y, w)) } }
                    else { report.skipped.append("\(call.id): unknown hand-off '\(h)'") }
                }
            }
        }
        // Rare features only memorise their few examples.
        let keep = Set(counts.filter { $0.value >= options.minFeatureCount }.keys)
        report.features = keep.count
        func prune(_ d: [(x: FeatureVector, y: Int, weight: Double)]) -> [(x: FeatureVector, y: Int, weight: Double)] {
            d.map { ex in (ex.x.filter { keep.contains($0.key) }, ex.y, ex.weight) }
        }
        var heads: [String: SoftmaxClassifier] = [:]
        for (name, labels, data) in [("topic", topicLabels, topicData), ("type", typeLabels, typeData), ("handoff", handoffLabels, handoffData)] {
            var clf = SoftmaxClassifier(labels: labels)
            var o = SoftmaxClassifier.TrainingOptions()
            o.epochs = options.epochs; o.l2 = options.l2; o.learningRate = options.learningRate; o.seed = options.seed; o.decay = options.decay
            // The call's ending (`e:` features) is evidence of what the caller wants, not of the
            // topic: only the request-type head sees it (measured: topic and routing worse with it).
            let d = prune(data).map { ex -> (x: FeatureVector, y: Int, weight: Double) in
                name == "type" ? ex : (ex.x.filter { !$0.key.hasPrefix("e:") }, ex.y, ex.weight)
            }
            report.examples[name] = d.count
            if !d.isEmpty {
                report.loss[name] = clf.fit(d, options: o) { e, l in progress(String(format: "%@ epoch %d loss %.4f", name, e, l)) }
            }
            heads[name] = clf
        }
        return (TriageModel(version: version, notes: notes, heads: heads, topicWithoutTypeCues: options.topicIgnoresTypeCues), report)
    }
}
