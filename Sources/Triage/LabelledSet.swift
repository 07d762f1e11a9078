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

public enum LabelledSet {
    /// Reads a manifest. A line that is not valid JSON or lacks an id is reported through `bad`
    /// (with file and line) and skipped, so one broken line does not stop a batch.
    public static func read(_ url: URL, bad: (LabelledSetError) -> Void = { _ in }) throws -> [LabelledCall] {
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw LabelledSetError(path: url.path, line: 0, detail: "cannot read manifest (missing or not UTF-8)")
        }
        var out: [LabelledCall] = []
        let dec = JSONDecoder()
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") || line.hasPrefix("//") { continue }
            do {
                let call = try dec.decode(LabelledCall.self, from: Data(line.utf8))
                if call.transcript == nil && call.audio == nil {
                    bad(LabelledSetError(path: url.path, line: i + 1, detail: "call '\(call.id)' has neither transcript nor audio"))
                    continue
                }
                out.append(call)
            } catch {
                bad(LabelledSetError(path: url.path, line: i + 1, detail: "not a labelled call: \(Self.describe(error))"))
            }
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
