import Foundation
import Store
import Triage

/// A reviewer's form applied to the current draft: the corrected draft and the list of fields
/// that changed (old → new as shown), or what is wrong with the form.
public enum DraftEditing {
    public struct Invalid: Error, CustomStringConvertible {
        public var description: String
    }

    /// Parses `application/x-www-form-urlencoded` (also a query string): `+` is a space.
    public static func parseForm(_ s: String) -> [String: String] {
        var out: [String: String] = [:]
        for pair in s.split(separator: "&", omittingEmptySubsequences: true) {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func dec(_ x: Substring) -> String { String(x).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            let k = dec(kv[0])
            if out[k] == nil { out[k] = kv.count > 1 ? dec(kv[1]) : "" }
        }
        return out
    }

    static func valid(unit: String, domain: Domain) -> Bool {
        if domain.unit(unit) != nil { return true }
        for prefix in ["STREET:", "DISTRICT:"] where unit.hasPrefix(prefix) {
            return unit.count > prefix.count && unit.count <= prefix.count + 40
        }
        return false
    }

    public static func apply(form f: [String: String], to current: TicketDraft, action: Store.ReviewAction,
                             reviewer: String, domain: Domain) throws -> (TicketDraft, [Store.FieldChange]) {
        var d = current
        var changes: [Store.FieldChange] = []
        func note(_ field: String, _ old: String, _ new: String) { if old != new { changes.append(.init(field: field, old: old, new: new)) } }
        let by = "set by reviewer \(reviewer)"

        if let t = f["request_type"], t != d.requestType.value {
            guard Domain.requestTypes.contains(t) else { throw Invalid(description: "request_type: unknown value \(t)") }
            note("request_type", d.requestType.value, t)
            d.requestType.value = t; d.requestType.name = Domain.requestTypeNames[t]; d.requestType.confidence = 1
            d.requestType.reasons = [by]; d.requestType.evidence = []
        }
        if let t = f["topic"], t != d.topic.value {
            guard domain.topicLabels.contains(t) else { throw Invalid(description: "topic: unknown value \(t)") }
            note("topic", d.topic.value, t)
            d.topic.value = t; d.topic.name = domain.topic(t)?.name; d.topic.confidence = 1
            d.topic.reasons = [by]; d.topic.evidence = []
        }
        if let t = f["time_limit"], t != d.timeLimit {
            guard Domain.timeLimits.contains(t) else { throw Invalid(description: "time_limit: unknown value \(t)") }
            note("time_limit", d.timeLimit, t); d.timeLimit = t
        }
        if let h = f["handoff"] {
            let new = h.isEmpty ? nil : h
            if let n = new, !domain.handoffs.contains(where: { $0.id == n }) { throw Invalid(description: "handoff: unknown value \(n)") }
            if new != d.handoff { note("handoff", d.handoff ?? "", h); d.handoff = new }
        }
        // A checkbox is absent when unticked; only forms that carry the draft's fields say so.
        if f["topic"] != nil {
            let oos = f["out_of_scope"] == "1" || f["out_of_scope"] == "on"
            if oos != d.outOfScope { note("out_of_scope", String(d.outOfScope), String(oos)); d.outOfScope = oos }
        }
        if let u = f["units"] {
            var ids = u.split(whereSeparator: { $0 == "," || $0 == "，" || $0 == ";" || $0 == "\n" })
                .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            if action == .reassign {
                guard let to = f["reassign_to"], !to.isEmpty else { throw Invalid(description: "reassign: choose the unit to reassign to") }
                ids.removeAll { $0 == to }
                ids.insert(to, at: 0)
            }
            var seen = Set<String>()
            ids = ids.filter { seen.insert($0).inserted }
            for id in ids where !valid(unit: id, domain: domain) { throw Invalid(description: "units: unknown unit \(id)") }
            let old = d.units.map(\.unit)
            if ids != old {
                note("units", old.joined(separator: ", "), ids.joined(separator: ", "))
                let byId = Dictionary(d.units.map { ($0.unit, $0) }, uniquingKeysWith: { a, _ in a })
                d.units = ids.enumerated().map { i, id in
                    if var s = byId[id] { if i == 0 && old.first != id { s.reasons.append(by) }; return s }
                    let name = domain.unit(id)?.name ?? String(id.split(separator: ":", maxSplits: 1).last ?? "")
                    return TicketDraft.UnitSuggestion(unit: id, name: name, score: 0, reasons: [by], evidence: [])
                }
            }
        } else if action == .reassign {
            throw Invalid(description: "reassign: the form has no units")
        }
        let place = (district: f["district"], street: f["street"], address: f["address"])
        if place.district != nil || place.street != nil || place.address != nil {
            var p = d.place ?? TicketDraft.Place(district: nil, street: nil, address: nil, name: nil, evidence: [], reasons: [])
            func set(_ key: String, _ value: String?, _ kp: WritableKeyPath<TicketDraft.Place, String?>) {
                guard let v = value?.trimmingCharacters(in: .whitespaces) else { return }
                let new = v.isEmpty ? nil : v
                if key == "address", new == p.name, p.address == nil { return }   // the page shows the name when there is no address
                if new != p[keyPath: kp] { note(key, p[keyPath: kp] ?? "", v); p[keyPath: kp] = new; p.reasons.append("\(key) \(by)") }
            }
            set("district", place.district, \.district)
            set("street", place.street, \.street)
            set("address", place.address, \.address)
            if p.district == nil && p.street == nil && p.address == nil && p.name == nil { d.place = nil } else { d.place = p }
        }
        if let s = f["summary"] {
            let new = s.replacingOccurrences(of: "\r\n", with: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
            guard new.count <= 2000 else { throw Invalid(description: "summary: longer than 2,000 characters") }
            if new != d.summary {
                // Numbers a reviewer types are masked like the system's own summaries.
                let masked = Masking.mask(new).text
                note("summary", d.summary, masked); d.summary = masked
            }
        }
        return (d, changes)
    }
}
