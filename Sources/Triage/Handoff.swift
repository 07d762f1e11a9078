import Foundation
import Spotting

/// Rules that tell an emergency happening now from the same words said about the past, a
/// hypothetical, a hazard or a fee (`Models/triage/handoff_rules.tsv`).
public struct HandoffRules: Sendable, Equatable {
    public static let format = "calltriage-handoff-rules v1"
    public var priority: [String]
    public var before: [String]
    public var negation: [String]
    public var after: [String]

    public init(priority: [String] = ["FIRE", "TRAFFIC", "POLICE", "AMBULANCE"], before: [String] = [],
                negation: [String] = [], after: [String] = []) {
        self.priority = priority; self.before = before; self.negation = negation; self.after = after
    }

    public static func load(_ url: URL) throws -> HandoffRules {
        var r = HandoffRules(priority: [])
        for (row, line) in try Lexicon.rows(url, format: format) {
            guard row.count >= 2, !row[1].isEmpty else { throw ModelFileError(path: url.path, "line \(line): expected kind<TAB>text") }
            switch row[0] {
            case "priority": r.priority.append(row[1])
            case "before": r.before.append(row[1])
            case "negation": r.negation.append(row[1])
            case "after": r.after.append(row[1])
            default: throw ModelFileError(path: url.path, "line \(line): unknown kind '\(row[0])' (priority, before, negation, after)")
            }
        }
        if r.priority.isEmpty { r.priority = HandoffRules().priority }
        return r
    }

    /// Why a text hit is not an emergency now, or nil when it is.
    public func suppression(of hit: KeywordHit, in chars: [Character]) -> String? {
        guard let s = hit.charStart, let e = hit.charEnd, s >= 0, e <= chars.count else { return nil }
        // The clause around the hit.
        var cs = s
        while cs > 0 && !FeatureExtractor.isBreak(chars[cs - 1]) { cs -= 1 }
        var ce = e
        while ce < chars.count && !FeatureExtractor.isBreak(chars[ce]) { ce += 1 }
        let before = String(chars[max(cs, s - 12)..<s])
        let near = String(chars[max(cs, s - 2)..<s])
        let after = String(chars[e..<min(ce, e + 6)])
        if let w = before.isEmpty ? nil : self.before.first(where: { before.contains($0) }) { return "'\(w)' before it" }
        if let w = near.isEmpty ? nil : negation.first(where: { near.hasSuffix($0) || near.contains($0) }) { return "negated by '\(w)'" }
        if let w = after.isEmpty ? nil : self.after.first(where: { after.hasPrefix($0) || after.contains($0) }) { return "'\(w)' after it" }
        return nil
    }
}
