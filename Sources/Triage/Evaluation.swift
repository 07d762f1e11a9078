import Foundation

/// Scores drafts against labels with the conventions of `LABELLED_SETS.md`: routing top-1 strict
/// (first suggestion = reference unit) and lenient (any acceptable unit), top-3; STREET/DISTRICT
/// match `STREET:<name>`/`DISTRICT:<name>`, and the name must match when the label gives a place.
public struct TriageScorer: Sendable {
    public struct Counts: Sendable, Equatable {
        public var calls = 0
        public var routed = 0            // calls with at least one acceptable unit
        public var top1Strict = 0
        public var top1Lenient = 0
        public var top3 = 0
        public var typeCorrect = 0, typeLabelled = 0
        public var topicCorrect = 0, topicLabelled = 0
        public var timeCorrect = 0, timeLabelled = 0
        public var outOfScopeCorrect = 0, outOfScopeLabelled = 0
        public var placeCorrect = 0, placeLabelled = 0
        /// Per hand-off type: true positives, labelled, predicted.
        public var handoffTP: [String: Int] = [:], handoffLabelled: [String: Int] = [:], handoffPredicted: [String: Int] = [:]
        public var errors: [String] = []
        public init() {}

        public func rate(_ a: Int, _ b: Int) -> Double? { b > 0 ? Double(a) / Double(b) : nil }
        public var handoffRecall: Double? { rate(handoffTP.values.reduce(0, +), handoffLabelled.values.reduce(0, +)) }
        public var handoffPrecision: Double? { rate(handoffTP.values.reduce(0, +), handoffPredicted.values.reduce(0, +)) }
    }

    public init() {}

    /// Does a suggested unit id satisfy a labelled unit id?
    public static func matches(_ suggestion: String, _ label: String, place: LabelledCall.Place?) -> Bool {
        if suggestion == label { return label != "STREET" && label != "DISTRICT" || (label == "STREET" ? place?.street : place?.district) == nil }
        let parts = suggestion.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, parts[0] == label else { return false }
        switch label {
        case "STREET": return place?.street == nil || place?.street == parts[1]
        case "DISTRICT": return place?.district == nil || place?.district == parts[1]
        default: return false
        }
    }

    public func add(_ draft: TicketDraft, _ labels: LabelledCall.Labels, into c: inout Counts) {
        c.calls += 1
        let units = draft.units.map(\.unit)
        if let ref = labels.units, !ref.isEmpty {
            c.routed += 1
            let place = labels.place
            if let first = units.first, Self.matches(first, ref[0], place: place) { c.top1Strict += 1 }
            if let first = units.first, ref.contains(where: { Self.matches(first, $0, place: place) }) { c.top1Lenient += 1 }
            else { c.errors.append("\(draft.id): route \(units.first ?? "-") not in \(ref.joined(separator: ","))") }
            if units.prefix(3).contains(where: { u in ref.contains { Self.matches(u, $0, place: place) } }) { c.top3 += 1 }
        }
        if let t = labels.type {
            c.typeLabelled += 1
            if draft.requestType.value == t { c.typeCorrect += 1 } else { c.errors.append("\(draft.id): type \(draft.requestType.value) ≠ \(t)") }
        }
        if let t = labels.topic {
            c.topicLabelled += 1
            if draft.topic.value == t { c.topicCorrect += 1 } else { c.errors.append("\(draft.id): topic \(draft.topic.value) ≠ \(t)") }
            c.outOfScopeLabelled += 1
            if draft.outOfScope == (t == Domain.outOfScope) { c.outOfScopeCorrect += 1 }
        }
        if let t = labels.timeLimit {
            c.timeLabelled += 1
            if draft.timeLimit == t { c.timeCorrect += 1 }
        }
        if let p = labels.place, p.district != nil || p.street != nil {
            c.placeLabelled += 1
            if (p.district == nil || draft.place?.district == p.district) && (p.street == nil || draft.place?.street == p.street) { c.placeCorrect += 1 }
        }
        if labels.topic != nil || labels.type != nil {
            if let h = labels.handoff { c.handoffLabelled[h, default: 0] += 1 }
            if let h = draft.handoff { c.handoffPredicted[h, default: 0] += 1 }
            if let h = labels.handoff, draft.handoff == h { c.handoffTP[h, default: 0] += 1 }
            if labels.handoff != draft.handoff {
                c.errors.append("\(draft.id): hand-off \(draft.handoff ?? "none") ≠ \(labels.handoff ?? "none")")
            }
        }
    }
}
