import Foundation

/// The ticket draft a reviewer approves (`docs/ticket-draft.md`). Every field carries the ids of
/// the evidence items it rests on. Encoded with snake_case keys; absent values are `null`.
public struct TicketDraft: Codable, Sendable, Equatable {
    public static let schema = "calltriage-draft v1"

    public struct Source: Codable, Sendable, Equatable {
        public var path: String
        public var sha256: String
        public var duration: Double
        public var channels: Int
        public init(path: String, sha256: String, duration: Double, channels: Int) {
            self.path = path; self.sha256 = sha256; self.duration = duration; self.channels = channels
        }
    }

    public struct Alternative: Codable, Sendable, Equatable {
        public var value: String
        public var confidence: Double
    }

    /// A classified field: the value, its probability, runners-up, and why.
    public struct Classified: Codable, Sendable, Equatable {
        public var value: String
        public var name: String?
        public var confidence: Double
        public var alternatives: [Alternative]
        public var evidence: [String]
        public var reasons: [String]
    }

    public struct Place: Codable, Sendable, Equatable {
        public var district: String?
        public var street: String?
        public var address: String?
        public var name: String?
        public var evidence: [String]
        public var reasons: [String]
        public init(district: String?, street: String?, address: String?, name: String?, evidence: [String], reasons: [String]) {
            self.district = district; self.street = street; self.address = address; self.name = name
            self.evidence = evidence; self.reasons = reasons
        }
    }

    public struct UnitSuggestion: Codable, Sendable, Equatable {
        public var unit: String
        public var name: String
        public var score: Double
        public var reasons: [String]
        public var evidence: [String]
        public init(unit: String, name: String, score: Double, reasons: [String], evidence: [String]) {
            self.unit = unit; self.name = name; self.score = score; self.reasons = reasons; self.evidence = evidence
        }
    }

    /// One piece of evidence: a keyword hit (audio seconds or transcript characters), a place
    /// mention, or a transcript phrase the classifier leaned on.
    public struct Evidence: Codable, Sendable, Equatable {
        public var id: String
        public var kind: String
        public var keyword: String
        public var category: String?
        public var start: Double?
        public var end: Double?
        public var charStart: Int?
        public var charEnd: Int?
        public var score: Double
        public var channel: String?
        /// Why it was not counted (a hand-off word said about the past or a hypothetical).
        public var note: String?
    }

    /// Why a scalar field has its value.
    public struct Explanation: Codable, Sendable, Equatable {
        public var evidence: [String]
        public var reasons: [String]
    }

    public var schema: String = TicketDraft.schema
    public var id: String
    public var source: Source?
    public var requestType: Classified
    public var topic: Classified
    public var timeLimit: String
    public var handoff: String?
    public var outOfScope: Bool
    public var place: Place?
    public var units: [UnitSuggestion]
    public var summary: String
    public var evidence: [Evidence]
    public var flags: [String]
    /// Evidence and reasons for `time_limit`, `handoff`, `out_of_scope`.
    public var explain: [String: Explanation]
    public var modelVersion: String

    enum CodingKeys: String, CodingKey {
        case schema, id, source, topic, handoff, place, units, summary, evidence, flags, explain
        case requestType, timeLimit, outOfScope, modelVersion
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(schema, forKey: .schema)
        try c.encode(id, forKey: .id)
        try c.encode(source, forKey: .source)
        try c.encode(requestType, forKey: .requestType)
        try c.encode(topic, forKey: .topic)
        try c.encode(timeLimit, forKey: .timeLimit)
        try c.encode(handoff, forKey: .handoff)
        try c.encode(outOfScope, forKey: .outOfScope)
        try c.encode(place, forKey: .place)
        try c.encode(units, forKey: .units)
        try c.encode(summary, forKey: .summary)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(flags, forKey: .flags)
        try c.encode(explain, forKey: .explain)
        try c.encode(modelVersion, forKey: .modelVersion)
    }

    /// JSON with sorted keys (stable output for diffs and tests); `pretty` indents.
    public func json(pretty: Bool = false) -> String {
        let enc = JSONEncoder()
        enc.keyEncodingStrategy = .convertToSnakeCase
        enc.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        guard let d = try? enc.encode(self) else { return "{}" }
        return String(decoding: d, as: UTF8.self)
    }

    public static func decode(_ data: Data) throws -> TicketDraft {
        let dec = JSONDecoder()
        dec.keyDecodingStrategy = .convertFromSnakeCase
        return try dec.decode(TicketDraft.self, from: data)
    }
}

extension TicketDraft.Evidence {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(kind, forKey: .kind)
        try c.encode(keyword, forKey: .keyword)
        try c.encodeIfPresent(category, forKey: .category)
        try c.encode(start, forKey: .start)
        try c.encode(end, forKey: .end)
        try c.encodeIfPresent(charStart, forKey: .charStart)
        try c.encodeIfPresent(charEnd, forKey: .charEnd)
        try c.encode((score * 1000).rounded() / 1000, forKey: .score)
        try c.encode(channel, forKey: .channel)
        try c.encodeIfPresent(note, forKey: .note)
    }
}

extension TicketDraft.Place {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(district, forKey: .district)
        try c.encode(street, forKey: .street)
        try c.encode(address, forKey: .address)
        try c.encode(name, forKey: .name)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(reasons, forKey: .reasons)
    }
}

extension TicketDraft.Classified {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode((confidence * 1000).rounded() / 1000, forKey: .confidence)
        try c.encode(alternatives, forKey: .alternatives)
        try c.encode(evidence, forKey: .evidence)
        try c.encode(reasons, forKey: .reasons)
    }
}

extension TicketDraft.Alternative {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(value, forKey: .value)
        try c.encode((confidence * 1000).rounded() / 1000, forKey: .confidence)
    }
}

extension TicketDraft.UnitSuggestion {
    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(unit, forKey: .unit)
        try c.encode(name, forKey: .name)
        try c.encode((score * 1000).rounded() / 1000, forKey: .score)
        try c.encode(reasons, forKey: .reasons)
        try c.encode(evidence, forKey: .evidence)
    }
}
