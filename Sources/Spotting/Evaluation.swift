import Foundation

/// Keyword-spotting scoring with the labelled-set conventions: a hit is correct when its keyword
/// matches a reference occurrence and its centre lies within ±0.5 s of the reference's span;
/// everything else is a false alarm, except hits of a keyword inside a reference occurrence of a
/// longer keyword that contains it (暖气 inside 暖气不热), which are ignored.
public struct KWSScorer {
    public struct Reference: Sendable { public var text: String; public var start: Double; public var end: Double
        public init(text: String, start: Double, end: Double) { self.text = text; self.start = start; self.end = end } }

    public struct Point: Sendable, Codable { public var threshold: Double; public var recall: Double; public var falseAlarmsPerHour: Double; public var hits: Int; public var falseAlarms: Int }

    /// Per-utterance outcome: for each reference, the best score of a matching hit (0 if none);
    /// the scores of false alarms.
    public struct Outcome: Sendable { public var referenceScores: [(String, Double)]; public var falseAlarmScores: [(String, Double)] }

    public static func score(hits: [KeywordHit], references: [Reference]) -> Outcome {
        var refScores = references.map { ($0.text, 0.0) }
        var fas: [(String, Double)] = []
        for h in hits {
            guard let s = h.start, let e = h.end else { continue }
            let centre = (s + e) / 2
            var matched = false
            for (i, r) in references.enumerated() where r.text == h.keyword {
                if centre >= r.start - 0.5 && centre <= r.end + 0.5 {
                    refScores[i].1 = max(refScores[i].1, h.score)
                    matched = true
                }
            }
            if matched { continue }
            let inside = references.contains { r in
                r.text != h.keyword && r.text.contains(h.keyword) && centre >= r.start - 0.5 && centre <= r.end + 0.5
            }
            if !inside { fas.append((h.keyword, h.score)) }
        }
        return Outcome(referenceScores: refScores, falseAlarmScores: fas)
    }

    /// Recall and false alarms per hour at each threshold.
    public static func curve(_ outcomes: [Outcome], hours: Double, thresholds: [Double]) -> [Point] {
        let refs = outcomes.flatMap(\.referenceScores).map(\.1)
        let fas = outcomes.flatMap(\.falseAlarmScores).map(\.1)
        return thresholds.map { t in
            let hits = refs.filter { $0 >= t && $0 > 0 }.count
            let fa = fas.filter { $0 >= t }.count
            return Point(threshold: t, recall: refs.isEmpty ? 0 : Double(hits) / Double(refs.count),
                         falseAlarmsPerHour: hours > 0 ? Double(fa) / hours : 0, hits: hits, falseAlarms: fa)
        }
    }
}
