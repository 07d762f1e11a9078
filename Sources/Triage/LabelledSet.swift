import Foundation
import Spotting

/// One line of a labelled set (format: `LABELLED_SETS.md` of the domain; paths relative to the
/// manifest's folder). Also the input line of `triage --manifest` (labels optional there).
public struct LabelledCall: Codable, Sendable, Equatable {
    public struct Place: Codable, Sendable, Equatable {
        public var district: String?
        public var street: String?
        public init(district: String? = nil, street: String? = nil) { self.district = district; self.street = street }
    }
    public struct Labels: Codable, Sendable, Equatable {
        public var type: String?
        public var topic: String?
        public var units: [String]?
        public var timeLimit: String?
        public var handoff: String?
        public var place: Place?
        enum CodingKeys: String, CodingKey { case type, topic, units, timeLimit = "time_limit", handoff, place }
        public init(type: String? = nil, topic: String? = nil, units: [String]? = nil, timeLimit: String? = nil,
                    handoff: String? = nil, place: Place? = nil) {
            self.type = type; self.topic = topic; self.units = units; self.timeLimit = timeLimit; self.handoff = handoff; self.place = place
        }
    }
    public struct KeywordRef: Codable, Sendable, Equatable {
        public var text: String
        public var start: Double
        public var end: Double
        public var channel: String?
    }
    public struct Channels: Codable, Sendable, Equatable {
        public var caller: Int?
        public var agent: Int?
    }

    public var id: String
    public var audio: String?
    public var channels: Channels?
    public var transcript: String?
    public var labels: Labels?
    public var keywords: [KeywordRef]?

    public init(id: String, audio: String? = nil, transcript: String? = nil, labels: Labels? = nil) {
        self.id = id; self.audio = audio; self.transcript = transcript; self.labels = labels
    }
}

public struct LabelledSetError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let line: Int
    public let detail: String
    public var description: String { "\(path):\(line): \(detail)" }
}

/// JSON Lines: one JSON object a line; blank lines and `#` or `//` comment lines are skipped. A
/// line that does not decode is reported through `bad` (its 1-based number and the error) and
/// skipped, so one broken line does not stop a batch.
public enum JSONLines {
    public static func read<T: Decodable>(_ url: URL, as type: T.Type, what: String = "file",
                                          bad: (_ line: Int, _ error: Error) -> Void) throws -> [(line: Int, value: T)] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw LabelledSetError(path: url.path, line: 0, detail: "cannot read \(what) (missing or not UTF-8)")
        }
        var out: [(line: Int, value: T)] = []
        let dec = JSONDecoder()
        // Any line break: "\r\n" is one Character in Swift, so splitting on "\n" alone would read
        // a CRLF file as one line.
        for (i, raw) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") { continue }
            do { out.append((i + 1, try dec.decode(T.self, from: Data(line.utf8)))) }
            catch { bad(i + 1, error) }
        }
        return out
    }
}

public enum LabelledSet {
    /// Reads a manifest. A line that is not valid JSON or lacks an id is reported through `bad`
    /// (with file and line) and skipped, so one broken line does not stop a batch.
    public static func read(_ url: URL, bad: (LabelledSetError) -> Void = { _ in }) throws -> [LabelledCall] {
        let lines = try JSONLines.read(url, as: LabelledCall.self, what: "manifest") { n, error in
            bad(LabelledSetError(path: url.path, line: n, detail: "not a labelled call: \(Self.describe(error))"))
        }
        var out: [LabelledCall] = []
        for (n, call) in lines {
            if call.transcript == nil && call.audio == nil {
                bad(LabelledSetError(path: url.path, line: n, detail: "call '\(call.id)' has neither transcript nor audio"))
                continue
            }
            out.append(call)
        }
        return out
    }

    static func describe(_ error: Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let k, _): return "missing field '\(k.stringValue)'"
        case DecodingError.typeMismatch(_, let c): return "wrong type at '\(c.codingPath.map(\.stringValue).joined(separator: "."))'"
        case DecodingError.dataCorrupted: return "invalid JSON"
        default: return "\(error)"
        }
    }
}
