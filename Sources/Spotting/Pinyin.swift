/// Mandarin phone units for keyword spotting: pinyin initials and (toneless) finals plus silence.
///
/// Finals are written in their full (underlying) form so each unit is one sound class:
/// `yu` → `v`, `wei` → `uei`, `jiu` → `iou`, `zi` → `ii` (apical after z/c/s),
/// `zhi` → `iii` (retroflex after zh/ch/sh/r), `ju` → `v`.
public enum PhoneSet {
    public static let silence = "sil"
    public static let initials = ["b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h",
                                  "j", "q", "x", "zh", "ch", "sh", "r", "z", "c", "s"]
    public static let finals = ["a", "o", "e", "ai", "ei", "ao", "ou", "an", "en", "ang", "eng", "ong", "er",
                                "i", "ii", "iii", "ia", "ie", "iao", "iou", "ian", "in", "iang", "ing", "iong",
                                "u", "ua", "uo", "uai", "uei", "uan", "uen", "uang", "ueng",
                                "v", "ve", "van", "vn", "io"]
    /// All units, silence first; the acoustic model's output order.
    public static let units: [String] = [silence] + initials + finals
    public static let index: [String: Int] = Dictionary(uniqueKeysWithValues: units.enumerated().map { ($1, $0) })
    /// `initials` as a set, for lookups in per-file set-up.
    public static let initialSet = Set(initials)
}

/// A pinyin syllable split into initial and final (tone kept separately).
public struct Syllable: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var initial: String?    // nil for zero-initial syllables (an, er, yi…)
    public var final: String
    public var tone: Int           // 1–5 (5 = neutral), 0 = unknown
    /// The syllable as spelled in pinyin without tone (`yin`, `hang`, `lv`).
    public var spelling: String

    public var phones: [String] { (initial.map { [$0] } ?? []) + [final] }
    public var toneless: String { (initial ?? "") + "·" + final }
    public var description: String { spelling + (tone > 0 ? String(tone) : "") }

    /// Parses TONE3 pinyin (`hang2`, `lv4`, `lü4`, `er2`, `yuan2`); nil when it isn't pinyin.
    public init?(_ text: String) {
        var s = text.lowercased().replacingOccurrences(of: "ü", with: "v").replacingOccurrences(of: "u:", with: "v")
        var tone = 0
        if let last = s.last, let d = last.wholeNumberValue, (0...5).contains(d) {
            tone = d == 0 ? 5 : d
            s.removeLast()
        }
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && $0.isLetter }) else { return nil }
        // Interjections written without vowels.
        switch s {
        case "m", "hm", "n", "ng", "hng": self.init(initial: nil, final: "en", tone: tone); spelling = s; return
        default: break
        }
        var initial: String? = nil
        for i in ["zh", "ch", "sh"] where s.hasPrefix(i) { initial = i; break }
        if initial == nil, let c = s.first, "bpmfdtnlgkhjqxrzcs".contains(c) { initial = String(c) }
        var rest = initial.map { String(s.dropFirst($0.count)) } ?? s
        if initial == nil {
            // y/w spellings of zero-initial syllables.
            if rest.hasPrefix("y") {
                rest.removeFirst()
                if rest.hasPrefix("u") { rest = "v" + rest.dropFirst() }
                else if rest.hasPrefix("v") { /* already ü */ }
                else if !rest.hasPrefix("i") { rest = "i" + rest }
            } else if rest.hasPrefix("w") {
                rest.removeFirst()
                if !rest.hasPrefix("u") { rest = "u" + rest }
            }
        } else if let i = initial, ["j", "q", "x"].contains(i), rest.hasPrefix("u") {
            rest = "v" + rest.dropFirst()
        }
        // Abbreviated finals.
        switch rest {
        case "iu": rest = "iou"
        case "ui": rest = "uei"
        case "un": rest = initial.map { ["j", "q", "x"].contains($0) } == true ? "vn" : "uen"
        case "i":
            if let i = initial {
                if ["z", "c", "s"].contains(i) { rest = "ii" }
                else if ["zh", "ch", "sh", "r"].contains(i) { rest = "iii" }
            }
        case "ue": rest = "ve"
        default: break
        }
        guard PhoneSet.finals.contains(rest) else { return nil }
        self.init(initial: initial, final: rest, tone: tone)
        spelling = s
    }

    public init(initial: String?, final: String, tone: Int) {
        self.initial = initial
        self.final = final
        self.tone = tone
        spelling = (initial ?? "") + final
    }

    /// Equality is on sound (initial, final, tone), not on spelling.
    public static func == (a: Syllable, b: Syllable) -> Bool {
        a.initial == b.initial && a.final == b.final && a.tone == b.tone
    }

    public func hash(into h: inout Hasher) { h.combine(initial); h.combine(final); h.combine(tone) }
}
