import Foundation
import Spotting

/// A topic of the taxonomy (`Models/triage/topics.tsv`, canonical ids of the domain tables).
public struct Topic: Sendable, Equatable {
    public var id: String
    public var name: String
    public var group: String
    /// Usual handling units, the first is the default; `STREET`/`DISTRICT` mean the local one.
    public var units: [String]
    public var timeLimit: String
    public var covers: String
}

/// A handling unit of the responsibility list (`units.tsv`).
public struct HandlingUnit: Sendable, Equatable {
    public var id: String
    public var name: String
    public var level: String
    public var handles: String
}

/// An emergency hand-off (`handoffs.tsv`): POLICE 110, FIRE 119, AMBULANCE 120, TRAFFIC 122.
public struct HandoffKind: Sendable, Equatable {
    public var id: String
    public var number: String
    public var when: String
}

/// A named place and its jurisdiction.
public struct PlaceEntry: Sendable, Equatable {
    public var name: String
    /// district | street | street_alias | district_alias | road | area | landmark | compound
    public var kind: String
    public var district: String?
    public var street: String?
}

/// The triage configuration: taxonomy, responsibility list, hand-offs and gazetteer, as loaded
/// from `Models/triage/`. Ids are the canonical ones of the domain tables.
public struct Domain: Sendable {
    public static let requestTypes = ["consult", "help", "complain", "report", "suggest"]
    public static let requestTypeNames = ["consult": "咨询", "help": "求助", "complain": "投诉", "report": "举报", "suggest": "建议"]
    public static let timeLimits = ["1h", "1d", "3d", "5d", "answer"]
    public static let outOfScope = "out_of_scope"

    public var topics: [Topic]
    public var units: [HandlingUnit]
    public var handoffs: [HandoffKind]
    /// Districts → their streets (gazetteer order).
    public var districts: [(name: String, streets: [String])]
    /// Every resolvable name: districts, streets and `places.tsv`.
    public var places: [PlaceEntry]

    public func topic(_ id: String) -> Topic? { topics.first { $0.id == id } }
    public func unit(_ id: String) -> HandlingUnit? { units.first { $0.id == id } }
    public func district(ofStreet street: String) -> String? {
        districts.first { $0.streets.contains(street) }?.name
    }

    /// The topic labels a classifier chooses from: every topic plus `out_of_scope`.
    public var topicLabels: [String] { topics.map(\.id) + [Domain.outOfScope] }

    public init(topics: [Topic], units: [HandlingUnit], handoffs: [HandoffKind],
                districts: [(name: String, streets: [String])], places: [PlaceEntry]) {
        self.topics = topics; self.units = units; self.handoffs = handoffs
        self.districts = districts; self.places = places
    }

    /// Loads `topics.tsv`, `units.tsv`, `handoffs.tsv`, `gazetteer.tsv` and (optional) `places.tsv`,
    /// checking cross references: every topic's units exist, time limits are known.
    public static func load(directory: URL) throws -> Domain {
        func rows(_ name: String) throws -> [([String], Int)] {
            try Lexicon.rows(directory.appendingPathComponent("\(name).tsv"), format: "calltriage-\(name) v1")
        }
        func path(_ name: String) -> String { directory.appendingPathComponent("\(name).tsv").path }
        var units: [HandlingUnit] = []
        for (r, line) in try rows("units") {
            guard r.count >= 3, !r[0].isEmpty else { throw ModelFileError(path: path("units"), "line \(line): expected id, name, level, handles") }
            units.append(HandlingUnit(id: r[0], name: r[1], level: r[2], handles: r.count > 3 ? r[3] : ""))
        }
        let unitIds = Set(units.map(\.id))
        var topics: [Topic] = []
        for (r, line) in try rows("topics") {
            guard r.count >= 5, !r[0].isEmpty else { throw ModelFileError(path: path("topics"), "line \(line): expected id, name, group, units, time_limit, covers") }
            let us = r[3].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            for u in us where !unitIds.contains(u) {
                throw ModelFileError(path: path("topics"), "line \(line): topic \(r[0]) names unit '\(u)', which is not in units.tsv")
            }
            guard timeLimits.contains(r[4]) else {
                throw ModelFileError(path: path("topics"), "line \(line): time limit '\(r[4])' is not one of \(timeLimits.joined(separator: ", "))")
            }
            topics.append(Topic(id: r[0], name: r[1], group: r[2], units: us, timeLimit: r[4], covers: r.count > 5 ? r[5] : ""))
        }
        guard !topics.isEmpty else { throw ModelFileError(path: path("topics"), "no topics") }
        var handoffs: [HandoffKind] = []
        for (r, line) in try rows("handoffs") {
            guard r.count >= 2 else { throw ModelFileError(path: path("handoffs"), "line \(line): expected id, number, when") }
            handoffs.append(HandoffKind(id: r[0], number: r[1], when: r.count > 2 ? r[2] : ""))
        }
        var districts: [(name: String, streets: [String])] = []
        var places: [PlaceEntry] = []
        for (r, line) in try rows("gazetteer") {
            guard r.count >= 2, !r[0].isEmpty, !r[1].isEmpty else { throw ModelFileError(path: path("gazetteer"), "line \(line): expected district, street") }
            if let i = districts.firstIndex(where: { $0.name == r[0] }) { districts[i].streets.append(r[1]) }
            else {
                districts.append((r[0], [r[1]]))
                places.append(PlaceEntry(name: r[0], kind: "district", district: r[0], street: nil))
            }
            places.append(PlaceEntry(name: r[1], kind: "street", district: r[0], street: r[1]))
        }
        let extra = directory.appendingPathComponent("places.tsv")
        if FileManager.default.fileExists(atPath: extra.path) {
            for (r, line) in try rows("places") {
                guard r.count >= 4, !r[0].isEmpty else { throw ModelFileError(path: extra.path, "line \(line): expected name, kind, district, street") }
                let d = r[2] == "-" || r[2].isEmpty ? nil : r[2]
                let s = r[3] == "-" || r[3].isEmpty ? nil : r[3]
                if let d, !districts.contains(where: { $0.name == d }) {
                    throw ModelFileError(path: extra.path, "line \(line): district '\(d)' is not in gazetteer.tsv")
                }
                if let s, !districts.contains(where: { $0.streets.contains(s) }) {
                    throw ModelFileError(path: extra.path, "line \(line): street '\(s)' is not in gazetteer.tsv")
                }
                places.append(PlaceEntry(name: r[0], kind: r[1], district: d, street: s))
            }
        }
        return Domain(topics: topics, units: units, handoffs: handoffs, districts: districts, places: places)
    }
}
