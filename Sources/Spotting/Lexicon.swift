import Foundation

/// Errors reading model and configuration files.
public struct ModelFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let detail: String
    public init(path: String, _ detail: String) { self.path = path; self.detail = detail }
    public var description: String { "\(path): \(detail)" }
}

/// Character → pinyin readings, with word-level entries for polyphones (银行 hang2, 重庆 chong2).
public struct Lexicon: Sendable {
    public static let charsFormat = "calltriage-lexicon chars v1"
    public static let wordsFormat = "calltriage-lexicon words v1"

    /// Readings per character, most common first.
    public private(set) var chars: [Character: [Syllable]] = [:]
    /// Word readings (one syllable per character).
    public private(set) var words: [String: [Syllable]] = [:]
    public private(set) var maxWordLength = 1

    public init() {}

    /// Loads `chars.tsv` and `words.tsv` from a lexicon folder.
    public init(directory: URL) throws {
        // ~1,300 distinct spellings among ~40,000 readings: parse each once.
        var parsed: [Substring: Syllable?] = [:]
        func syllable(_ text: Substring) -> Syllable? {
            if let known = parsed[text] { return known }
            let s = Syllable(String(text))
            parsed[text] = s
            return s
        }
        let cpath = directory.appendingPathComponent("chars.tsv")
        for (row, line) in try Lexicon.rows(cpath, format: Lexicon.charsFormat) {
            guard row.count == 2, row[0].count == 1, let c = row[0].first else {
                throw ModelFileError(path: cpath.path, "line \(line): expected `char<TAB>readings`")
            }
            let ss = row[1].split(separator: ",").compactMap(syllable)
            guard !ss.isEmpty else { throw ModelFileError(path: cpath.path, "line \(line): no valid pinyin in '\(row[1])'") }
            chars[c] = ss
        }
        let wpath = directory.appendingPathComponent("words.tsv")
        if FileManager.default.fileExists(atPath: wpath.path) {
            for (row, line) in try Lexicon.rows(wpath, format: Lexicon.wordsFormat) {
                guard row.count == 2 else { throw ModelFileError(path: wpath.path, "line \(line): expected `word<TAB>pinyin`") }
                let ss = row[1].split(separator: " ").compactMap(syllable)
                guard ss.count == row[0].count else {
                    throw ModelFileError(path: wpath.path, "line \(line): \(row[0].count) characters but \(ss.count) syllables")
                }
                words[row[0]] = ss
                maxWordLength = max(maxWordLength, row[0].count)
            }
        }
    }

    public mutating func add(char: Character, readings: [Syllable]) { chars[char] = readings }
    public mutating func add(word: String, reading: [Syllable]) {
        words[word] = reading
        maxWordLength = max(maxWordLength, word.count)
    }

    /// The lines of a versioned model file after its first line, which must be `# <format>`.
    public static func versionedLines(_ url: URL, format: String) throws -> [String] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw ModelFileError(path: url.path, "cannot read (missing or not UTF-8)")
        }
        // Any line break: "\r\n" is one Character in Swift, so splitting on "\n" alone would
        // leave a CRLF file as one line.
        var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
        guard let first = lines.first, first.hasPrefix("#"),
              first.dropFirst().trimmingCharacters(in: .whitespaces) == format else {
            throw ModelFileError(path: url.path, "first line must be '# \(format)' (format/version mismatch)")
        }
        lines.removeFirst()
        return lines
    }

    /// Reads a versioned TSV: first line `# <format>`, then a header row, then rows.
    public static func rows(_ url: URL, format: String) throws -> [([String], Int)] {
        let lines = try versionedLines(url, format: format)
        var out: [([String], Int)] = []
        var headerSeen = false
        for (i, l) in lines.enumerated() {
            let t = trimmed(Substring(l))
            if t.isEmpty || t.hasPrefix("#") { continue }
            if !headerSeen { headerSeen = true; continue }
            out.append((l.split(separator: "\t", omittingEmptySubsequences: false).map { String(trimmed($0)) }, i + 2))
        }
        return out
    }

    /// `text` without leading and trailing blanks (spaces, tabs, and other horizontal whitespace:
    /// what `trimmingCharacters(in: .whitespaces)` drops, at a fraction of its cost on large files).
    static func trimmed(_ text: Substring) -> Substring {
        func blank(_ c: Character) -> Bool { c.isWhitespace && !c.isNewline }
        guard let first = text.firstIndex(where: { !blank($0) }) else { return text[text.endIndex...] }
        let last = text.lastIndex(where: { !blank($0) })!
        return text[first...last]
    }

    /// Readings of a text: for each character, its alternatives (word entries first, longest match).
    /// With `wordAlternatives: false`, a character inside a matched word gets only the word's reading
    /// (the curated one: 追尾 is zhui wei, never dui yi). Non-Chinese characters are skipped.
    public func readings(of text: String, wordAlternatives: Bool = true) -> [[Syllable]] {
        let cs = Array(text.filter { chars[$0] != nil || $0.isChineseCharacter })
        var out: [[Syllable]] = []
        var i = 0
        while i < cs.count {
            var matched = false
            var len = min(maxWordLength, cs.count - i)
            while len >= 2 {
                if let w = words[String(cs[i..<(i + len)])] {
                    for (k, s) in w.enumerated() {
                        var alts = [s]
                        if wordAlternatives {
                            for a in chars[cs[i + k]] ?? [] where !alts.contains(where: { $0.toneless == a.toneless }) { alts.append(a) }
                        }
                        out.append(alts)
                    }
                    i += len
                    matched = true
                    break
                }
                len -= 1
            }
            if !matched {
                out.append(chars[cs[i]] ?? [])
                i += 1
            }
        }
        return out
    }

    /// The most likely reading (word entries, then each character's first reading).
    public func bestReading(of text: String) -> [Syllable] { readings(of: text).compactMap(\.first) }
}

extension Character {
    public var isChineseCharacter: Bool {
        guard let v = unicodeScalars.first?.value else { return false }
        return (0x4E00...0x9FFF).contains(v) || (0x3400...0x4DBF).contains(v)
    }
}
