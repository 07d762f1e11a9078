import Foundation

/// Finds keywords in a transcript, tolerant of the homophone errors a platform's ASR makes:
/// matching is on pinyin, not only on characters.
///
/// Scores: 1.0 same characters; 0.9 same toned pinyin (homophone); 0.8 same toneless pinyin;
/// 0.7 one syllable differs only by a common accent/ASR confusion. Two-character keywords match
/// only as characters or exact homophones: toneless they collide with everyday words (打架/大家) (z/zh, c/ch, s/sh, n/l, f/h,
/// in/ing, en/eng, an/ang). Character offsets refer to the transcript as given.
public struct TextMatcher: Sendable {
    public let keywords: [Keyword]
    public let lexicon: Lexicon
    public var minScore: Double = 0.7

    /// Keywords by first character and by the folded key of their first syllable: only these
    /// can start at a position, so a transcript is scanned once instead of once per keyword.
    private let byChar: [Character: [Int]]
    private let byKey: [String: [Int]]

    public init(keywords: [Keyword], lexicon: Lexicon) {
        self.keywords = keywords
        self.lexicon = lexicon
        var bc: [Character: [Int]] = [:], bk: [String: [Int]] = [:]
        for (k, kw) in keywords.enumerated() {
            if let c = kw.text.first { bc[c, default: []].append(k) }
            if let s = kw.syllables.first { bk[TextMatcher.key(s), default: []].append(k) }
        }
        byChar = bc; byKey = bk
    }

    /// Accent/ASR confusions folded together: flat/retroflex (z/zh, c/ch, s/sh, and the apical
    /// vowels after them), n/l, f/h, and front/back nasals.
    static let foldInitial = ["zh": "z", "ch": "c", "sh": "s", "l": "n", "h": "f"]
    static let foldFinal = ["iii": "ii", "ing": "in", "eng": "en", "ang": "an", "iang": "ian", "uang": "uan"]

    /// The folded key: equal for homophones, toneless matches and accent confusions alike.
    static func key(_ s: Syllable) -> String {
        let i = s.initial.map { foldInitial[$0] ?? $0 } ?? ""
        return i + "·" + (foldFinal[s.final] ?? s.final)
    }

    static func fuzzyEqual(_ a: Syllable, _ b: Syllable) -> Bool { key(a) == key(b) }

    public func match(_ transcript: String, channel: String? = nil) -> [KeywordHit] {
        // Positions of Chinese characters in the original string.
        let all = Array(transcript)
        var pos: [Int] = []
        var chars: [Character] = []
        for (i, c) in all.enumerated() where lexicon.chars[c] != nil {
            pos.append(i); chars.append(c)
        }
        let readings = lexicon.readings(of: String(chars))
        guard readings.count == chars.count else { return [] }
        // Candidate start positions per keyword.
        var starts: [Int: [Int]] = [:]
        for (i, c) in chars.enumerated() {
            var cand = Set(byChar[c] ?? [])
            for r in readings[i] { cand.formUnion(byKey[TextMatcher.key(r)] ?? []) }
            for k in cand { starts[k, default: []].append(i) }
        }
        var hits: [KeywordHit] = []
        for k in starts.keys.sorted() {
            let kw = keywords[k]
            let kchars = Array(kw.text)
            let ks = kw.syllables
            let n = ks.count
            guard n > 0, n == kchars.count, n <= chars.count else { continue }
            var next = 0
            for i in starts[k]! where i >= next && i + n <= chars.count {
                var score = 1.0
                var fuzzyUsed = false
                for j in 0..<n {
                    if chars[i + j] == kchars[j] { continue }
                    let alts = readings[i + j]
                    if alts.contains(where: { $0 == ks[j] }) { score = min(score, 0.9) }
                    else if n >= 3 && alts.contains(where: { $0.toneless == ks[j].toneless }) { score = min(score, 0.8) }
                    else if !fuzzyUsed && n >= 3 && alts.contains(where: { TextMatcher.fuzzyEqual($0, ks[j]) }) {
                        score = min(score, 0.7); fuzzyUsed = true
                    } else { score = 0; break }
                }
                if score >= minScore {
                    hits.append(KeywordHit(keyword: kw.text, score: score, channel: channel,
                                           charStart: pos[i], charEnd: pos[i + n - 1] + 1))
                    next = i + n
                }
            }
        }
        // A keyword inside a longer matched keyword (暖气 in 暖气不热) is dropped.
        let kept = hits.filter { h in
            !hits.contains { o in
                o.keyword.count > h.keyword.count && o.keyword.contains(h.keyword)
                    && o.charStart! <= h.charStart! && o.charEnd! >= h.charEnd! && o.score >= h.score
            }
        }
        return kept.sorted { ($0.charStart!, $0.keyword) < ($1.charStart!, $1.keyword) }
    }
}
