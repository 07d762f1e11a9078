import Foundation

/// A keyword to spot, written as Chinese text, with its pronunciations as phone sequences.
public struct Keyword: Sendable, Equatable {
    public var text: String
    public var topics: [String]
    public var category: String
    public var weight: Double
    /// Per-keyword detection threshold (overrides the global one when set).
    public var threshold: Double?
    /// Alternative pronunciations (all readings of polyphones, most likely first), toneless phones.
    public var pronunciations: [[String]]
    /// Pinyin syllables of the most likely reading (for the text path).
    public var syllables: [Syllable]
    /// Per pronunciation, per phone: the tones a tone-aware model may hear on it, as a bit mask
    /// (bit t for tone t, 1–5); 0 = any (initials, neutral tones, 一/不, unknown).
    public var toneMasks: [[UInt8]]

    public init(text: String, topics: [String] = [], category: String = "", weight: Double = 1,
                threshold: Double? = nil, pronunciations: [[String]] = [], syllables: [Syllable] = [],
                toneMasks: [[UInt8]]? = nil) {
        self.text = text; self.topics = topics; self.category = category; self.weight = weight
        self.threshold = threshold; self.pronunciations = pronunciations; self.syllables = syllables
        self.toneMasks = toneMasks ?? pronunciations.map { [UInt8](repeating: 0, count: $0.count) }
    }
}

/// Keyword lists: the model's `Models/keywords.tsv` or a user's plain list.
public enum KeywordList {
    public static let format = "calltriage-keywords v1"
    /// At most this many pronunciations per keyword (polyphone combinations grow fast).
    public static let maxPronunciations = 8

    /// Loads either format: a versioned TSV (`# calltriage-keywords v1`) or a plain list with
    /// one keyword per line and an optional `#threshold` (`飞线充电 #0.6`, `# comment` lines ignored).
    /// A keyword that cannot be compiled (a character outside the lexicon, Latin letters) is
    /// skipped and reported through `warn`; a file that cannot be read or parsed throws.
    public static func load(_ url: URL, lexicon: Lexicon, warn: (String) -> Void = { _ in }) throws -> [Keyword] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ModelFileError(path: url.path, "cannot read keyword file")
        }
        let first = text.split(separator: "\n").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
        var list: [Keyword] = []
        if first.hasPrefix("#") && first.contains("calltriage-keywords") {
            guard first.dropFirst().trimmingCharacters(in: .whitespaces) == format else {
                throw ModelFileError(path: url.path, "unsupported keyword file version '\(first)'; expected '# \(format)'")
            }
            for (row, line) in try Lexicon.rows(url, format: format) {
                guard row.count >= 1, !row[0].isEmpty else { continue }
                let topics = row.count > 1 && row[1] != "-" ? row[1].split(separator: ",").map(String.init) : []
                let category = row.count > 2 ? row[2] : ""
                let weight = row.count > 3 ? Double(row[3]) ?? 1 : 1
                let threshold = row.count > 4 ? Double(row[4]) : nil
                do {
                    list.append(try compile(row[0], lexicon: lexicon, topics: topics, category: category,
                                            weight: weight, threshold: threshold, where: "\(url.path):\(line)"))
                } catch { warn("\(error); skipped") }
            }
        } else {
            for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = raw.trimmingCharacters(in: .whitespaces)
                if line.isEmpty || line.hasPrefix("#") { continue }
                let parts = line.split(separator: "#", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                var threshold: Double? = nil
                if parts.count == 2 {
                    guard let t = Double(parts[1]) else {
                        throw ModelFileError(path: url.path, "line \(i + 1): threshold '\(parts[1])' is not a number")
                    }
                    threshold = t
                }
                do {
                    list.append(try compile(parts[0], lexicon: lexicon, threshold: threshold, where: "\(url.path):\(i + 1)"))
                } catch { warn("\(error); skipped") }
            }
        }
        var seen = Set<String>()
        return list.filter { seen.insert($0.text).inserted }
    }

    /// Compiles keyword text to phone sequences: every combination of the readings of polyphones
    /// that no word entry fixes, most likely first, capped at `maxPronunciations`.
    public static func compile(_ text: String, lexicon: Lexicon, topics: [String] = [], category: String = "",
                               weight: Double = 1, threshold: Double? = nil, where location: String = "") throws -> Keyword {
        let chars = text.filter { !$0.isWhitespace }
        guard !chars.isEmpty else { throw ModelFileError(path: location, "empty keyword") }
        for c in chars where lexicon.chars[c] == nil {
            throw ModelFileError(path: location, "keyword '\(text)': no pinyin for '\(c)' (only Chinese characters in the lexicon can be spotted)")
        }
        // Word entries fix a polyphone's reading; other characters keep all their readings.
        let alts = lexicon.readings(of: chars, wordAlternatives: false)
        var combos: [[Syllable]] = [[]]
        for a in alts {
            var next: [[Syllable]] = []
            for c in combos { for s in a { next.append(c + [s]) } }
            // Keep the most likely first; cap the total.
            combos = Array(next.prefix(maxPronunciations))
        }
        var prons: [[String]] = []
        var masks: [[UInt8]] = []
        let cs = Array(chars)
        for c in combos {
            let p = c.flatMap(\.phones)
            let m = toneMasks(c, chars: c.count == cs.count ? cs : nil)
            if let i = prons.firstIndex(of: p) {
                // Same phones, other tones (a polyphone read with another tone): either is fine.
                masks[i] = zip(masks[i], m).map { $0 == 0 || $1 == 0 ? 0 : $0 | $1 }
            } else {
                prons.append(p); masks.append(m)
            }
        }
        return Keyword(text: chars, topics: topics, category: category, weight: weight, threshold: threshold,
                       pronunciations: prons, syllables: combos[0], toneMasks: masks)
    }

    /// Tone masks for one reading, phone by phone: initials are unconstrained; a final takes its
    /// syllable's citation tone, except the neutral tone and 一/不 (their tone changes with the
    /// next syllable: any), and a third tone before another third tone (sandhi: 2 or 3).
    static func toneMasks(_ syllables: [Syllable], chars: [Character]?) -> [UInt8] {
        var out: [UInt8] = []
        for (i, s) in syllables.enumerated() {
            if s.initial != nil { out.append(0) }
            var m: UInt8 = 0
            let free = chars.map { $0[i] == "一" || $0[i] == "不" } ?? false
            if (1...4).contains(s.tone) && !free {
                m = 1 << UInt8(s.tone)
                if s.tone == 3, i + 1 < syllables.count, syllables[i + 1].tone == 3 { m |= 1 << 2 }
            }
            out.append(m)
        }
        return out
    }
}
