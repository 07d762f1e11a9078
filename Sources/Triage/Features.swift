import Foundation
import Spotting

/// Turns evidence into classifier features. The same keyword features come from audio hits and
/// from keywords matched in a transcript, so one model serves both paths; a transcript adds
/// character n-grams.
///
/// - `k:<keyword>`: the hit's evidence strength (`KeywordHit.evidenceStrength`; the best one when a keyword occurs more than once);
/// - `t:<topic>`: the strongest `confidence × weight` among keywords tagged with that topic;
/// - `c:<category>`: the same per keyword category (`type:consult`, `urgency`, `handoff:FIRE`…);
/// - `u:<char>`, `b:<two chars>` (text only): presence of each character and character pair within
///   a clause, digits folded to `#`, the block scaled to unit length; `u:？` marks a question;
///   `e:<two chars>` the pairs of the last clause and `e:？` a call that ends with a question.
public struct FeatureExtractor: Sendable {
    public let keywords: [String: Keyword]

    /// `k:<keyword>` features of request-type cue words (category `type:*`).
    private let typeCueFeatures: Set<String>

    public init(keywords: [Keyword]) {
        var map: [String: Keyword] = [:]
        for k in keywords { map[k.text] = k }
        self.keywords = map
        typeCueFeatures = Set(keywords.filter { $0.category.hasPrefix("type:") }.map { "k:" + $0.text })
    }

    /// `x` without the request-type cue words' keyword features (`k:` of a `type:*` keyword,
    /// `c:type:*`; their characters stay in the n-grams): what the topic head sees of a transcript
    /// (`TriageFitter.Options.topicIgnoresTypeCues`).
    public func withoutTypeCues(_ x: FeatureVector) -> FeatureVector {
        x.filter { !$0.key.hasPrefix("c:type:") && !typeCueFeatures.contains($0.key) }
    }

    public func keywordFeatures(_ hits: [KeywordHit]) -> FeatureVector {
        var x: FeatureVector = [:]
        for h in hits {
            let strength = h.evidenceStrength
            x["k:" + h.keyword] = max(x["k:" + h.keyword] ?? 0, strength)
            guard let kw = keywords[h.keyword] else { continue }
            let s = strength * kw.weight
            for t in kw.topics { x["t:" + t] = max(x["t:" + t] ?? 0, s) }
            if !kw.category.isEmpty { x["c:" + kw.category] = max(x["c:" + kw.category] ?? 0, s) }
        }
        return x
    }

    public static func textFeatures(_ text: String) -> FeatureVector {
        var grams = Set<String>()
        for clause in clauses(text) {
            let cs = Array(clause.text).map { $0.isNumber ? "#" : $0 }
            for (i, c) in cs.enumerated() {
                grams.insert("u:" + String(c))
                if i + 1 < cs.count { grams.insert("b:" + String(c) + String(cs[i + 1])) }
            }
        }
        if text.contains("？") || text.contains("?") { grams.insert("u:？") }
        // How the call ends says much about what the caller wants (a question → consult; a
        // demand → complain/help): the last clause's pairs again, marked, and a final question mark.
        if let last = clauses(text).last {
            let cs = Array(last.text).map { $0.isNumber ? "#" : $0 }
            for i in 0..<max(0, cs.count - 1) { grams.insert("e:" + String(cs[i]) + String(cs[i + 1])) }
        }
        if let end = text.trimmingCharacters(in: .whitespacesAndNewlines).last, end == "？" || end == "?" || end == "吗" || end == "呢" {
            grams.insert("e:？")
        }
        guard !grams.isEmpty else { return [:] }
        let v = 1 / Double(grams.count).squareRoot()
        var x: FeatureVector = [:]
        for g in grams { x[g] = v }
        return x
    }

    public func features(hits: [KeywordHit], transcript: String?) -> FeatureVector {
        var x = keywordFeatures(hits)
        if let t = transcript { x.merge(Self.textFeatures(t)) { a, _ in a } }
        return x
    }

    /// Clauses of a transcript split at punctuation, with their character offsets; only Chinese
    /// characters and digits are kept inside a clause's `text` (spaces and Latin noise dropped).
    public static func clauses(_ text: String) -> [(text: String, start: Int, end: Int)] {
        let chars = Array(text)
        var out: [(String, Int, Int)] = []
        var cur = "", start = 0
        for (i, c) in chars.enumerated() {
            if Self.isBreak(c) {
                if !cur.isEmpty { out.append((cur, start, i)) }
                cur = ""; start = i + 1
            } else if c.isChineseCharacter || c.isNumber {
                if cur.isEmpty { start = i }
                cur.append(c)
            }
        }
        if !cur.isEmpty { out.append((cur, start, chars.count)) }
        return out
    }

    static let breaks: Set<Character> = ["，", "。", "！", "？", "；", "、", ",", ".", "!", "?", ";", "\n", "…", "：", ":"]
    public static func isBreak(_ c: Character) -> Bool { breaks.contains(c) }
}
