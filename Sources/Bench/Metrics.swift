import Foundation
import Spotting
import Triage

/// Keyword-spotting metrics with the labelled-set conventions (`KWSScorer` decides what a
/// correct hit is) and NIST's term-weighted value.
public struct KWSMetrics: Codable, Sendable, Equatable {
    public struct KeywordLine: Codable, Sendable, Equatable {
        public var keyword: String
        public var references: Int
        public var hits: Int
        public var falseAlarms: Int
        public var recall: Double?
    }
    public struct CurvePoint: Codable, Sendable, Equatable {
        public var threshold: Double
        public var recall: Double
        public var missProbability: Double
        public var falseAlarmsPerHour: Double
        public var hits: Int
        public var falseAlarms: Int
        public var twv: Double?
    }
    public var audioHours: Double
    public var references: Int
    /// At the operating point (each keyword's calibrated threshold).
    public var recall: Double
    public var hits: Int
    public var falseAlarms: Int
    public var falseAlarmsPerHour: Double
    /// Actual term-weighted value at the operating point; maximum over the global-threshold curve.
    public var atwv: Double?
    public var mtwv: Double?
    public var mtwvThreshold: Double?
    public var perKeyword: [KeywordLine]
    public var curve: [CurvePoint]

    /// NIST STD 2006: β = C/V × (Pr⁻¹ − 1) with C/V = 0.1, Pr = 1e-4.
    public static let beta = 999.9

    /// TWV = 1 − mean over keywords with references of (P_miss + β · P_FA), where
    /// P_FA = false alarms / (T − references) and T is the audio duration in seconds.
    public static func twv(_ perKeyword: [(references: Int, hits: Int, falseAlarms: Int)], seconds: Double) -> Double? {
        let terms = perKeyword.filter { $0.references > 0 }
        guard !terms.isEmpty, seconds > 0 else { return nil }
        var sum = 0.0
        for t in terms {
            let pMiss = 1 - Double(t.hits) / Double(t.references)
            let pFA = Double(t.falseAlarms) / max(1, seconds - Double(t.references))
            sum += pMiss + beta * pFA
        }
        return 1 - sum / Double(terms.count)
    }

    /// - Parameters:
    ///   - open: outcomes of hits at the low floor threshold (the curve is read off their scores).
    ///   - operating: outcomes of the hits kept by each keyword's own threshold.
    public static func compute(open: [KWSScorer.Outcome], operating: [KWSScorer.Outcome], seconds: Double,
                               thresholds: [Double]) -> KWSMetrics {
        let hours = seconds / 3600
        func perKeyword(_ outcomes: [KWSScorer.Outcome], threshold: Double) -> [String: (references: Int, hits: Int, falseAlarms: Int)] {
            var m: [String: (references: Int, hits: Int, falseAlarms: Int)] = [:]
            for o in outcomes {
                for (k, s) in o.referenceScores {
                    m[k, default: (0, 0, 0)].references += 1
                    if s > 0 && s >= threshold { m[k]!.hits += 1 }
                }
                for (k, s) in o.falseAlarmScores where s >= threshold { m[k, default: (0, 0, 0)].falseAlarms += 1 }
            }
            return m
        }
        let op = perKeyword(operating, threshold: 0)
        let refs = op.values.reduce(0) { $0 + $1.references }
        let hits = op.values.reduce(0) { $0 + $1.hits }
        let fas = op.values.reduce(0) { $0 + $1.falseAlarms }
        var curve: [CurvePoint] = []
        for t in thresholds {
            let m = perKeyword(open, threshold: t)
            let h = m.values.reduce(0) { $0 + $1.hits }, fa = m.values.reduce(0) { $0 + $1.falseAlarms }
            let r = refs > 0 ? Double(h) / Double(refs) : 0
            curve.append(CurvePoint(threshold: t, recall: r, missProbability: 1 - r, falseAlarmsPerHour: hours > 0 ? Double(fa) / hours : 0,
                                    hits: h, falseAlarms: fa, twv: twv(Array(m.values), seconds: seconds)))
        }
        let best = curve.filter { $0.twv != nil }.max { $0.twv! < $1.twv! }
        let lines = op.map { k, v in
            KeywordLine(keyword: k, references: v.references, hits: v.hits, falseAlarms: v.falseAlarms,
                        recall: v.references > 0 ? Double(v.hits) / Double(v.references) : nil)
        }.sorted { ($0.references, $1.keyword) > ($1.references, $0.keyword) }
        return KWSMetrics(audioHours: hours, references: refs, recall: refs > 0 ? Double(hits) / Double(refs) : 0, hits: hits,
                          falseAlarms: fas, falseAlarmsPerHour: hours > 0 ? Double(fas) / hours : 0,
                          atwv: twv(Array(op.values), seconds: seconds), mtwv: best?.twv, mtwvThreshold: best?.threshold,
                          perKeyword: lines, curve: curve)
    }
}

/// Triage metrics on one path (text or audio), from `TriageScorer` plus the unit confusion.
public struct TriageMetrics: Codable, Sendable, Equatable {
    public struct HandoffLine: Codable, Sendable, Equatable {
        public var handoff: String
        public var labelled: Int
        public var predicted: Int
        public var correct: Int
        public var recall: Double?
        public var precision: Double?
    }
    public var calls: Int
    public var routed: Int
    public var top1Strict: Double?
    public var top1Lenient: Double?
    public var top3: Double?
    public var requestType: Double?
    public var topic: Double?
    public var timeLimit: Double?
    public var outOfScope: Double?
    public var place: Double?
    public var handoffRecall: Double?
    public var handoffPrecision: Double?
    public var handoffs: [HandoffLine]
    public struct ConfusionCell: Codable, Sendable, Equatable {
        public var reference: String
        public var suggested: String
        public var count: Int
    }
    /// Reference unit (labels.units[0]) × first suggested unit (the reference id when it is
    /// an acceptable match, e.g. STREET:湖岛街道 for STREET), non-zero cells.
    public var unitConfusion: [ConfusionCell]
    public var errors: [String]

    public static func compute(_ pairs: [(draft: TicketDraft, labels: LabelledCall.Labels)]) -> TriageMetrics {
        let scorer = TriageScorer()
        var c = TriageScorer.Counts()
        var confusion: [String: [String: Int]] = [:]
        for (d, l) in pairs {
            scorer.add(d, l, into: &c)
            if let ref = l.units?.first {
                var got = d.units.first?.unit ?? "-"
                // STREET:湖岛街道 is the STREET label when the place agrees.
                if let g = d.units.first?.unit, TriageScorer.matches(g, ref, place: l.place) { got = ref }
                confusion[ref, default: [:]][got, default: 0] += 1
            }
        }
        let kinds = Set(c.handoffLabelled.keys).union(c.handoffPredicted.keys).sorted()
        let lines = kinds.map { k in
            HandoffLine(handoff: k, labelled: c.handoffLabelled[k] ?? 0, predicted: c.handoffPredicted[k] ?? 0, correct: c.handoffTP[k] ?? 0,
                        recall: c.rate(c.handoffTP[k] ?? 0, c.handoffLabelled[k] ?? 0), precision: c.rate(c.handoffTP[k] ?? 0, c.handoffPredicted[k] ?? 0))
        }
        return TriageMetrics(calls: c.calls, routed: c.routed, top1Strict: c.rate(c.top1Strict, c.routed), top1Lenient: c.rate(c.top1Lenient, c.routed),
                             top3: c.rate(c.top3, c.routed), requestType: c.rate(c.typeCorrect, c.typeLabelled),
                             topic: c.rate(c.topicCorrect, c.topicLabelled), timeLimit: c.rate(c.timeCorrect, c.timeLabelled),
                             outOfScope: c.rate(c.outOfScopeCorrect, c.outOfScopeLabelled), place: c.rate(c.placeCorrect, c.placeLabelled),
                             handoffRecall: c.handoffRecall, handoffPrecision: c.handoffPrecision, handoffs: lines,
                             unitConfusion: confusion.flatMap { r, row in row.map { ConfusionCell(reference: r, suggested: $0.key, count: $0.value) } }
                                .sorted { ($0.reference, $0.suggested) < ($1.reference, $1.suggested) },
                             errors: c.errors)
    }
}

/// Time spent per pipeline stage, summed over calls (thread time on each worker).
public struct StageTimes: Codable, Sendable, Equatable {
    public var decodeAnalysis = 0.0
    public var spotting = 0.0
    public var triageAudio = 0.0
    public var triageText = 0.0
    public init() {}
    public static func + (a: StageTimes, b: StageTimes) -> StageTimes {
        var s = a
        s.decodeAnalysis += b.decodeAnalysis; s.spotting += b.spotting; s.triageAudio += b.triageAudio; s.triageText += b.triageText
        return s
    }
}
