import Foundation

/// A place mentioned in a call: a gazetteer name, an address as said, or a compound/building name.
public struct PlaceMention: Sendable, Equatable, Codable {
    public var text: String
    /// district | street | street_alias | district_alias | road | area | landmark | compound | address
    public var kind: String
    public var district: String?
    public var street: String?
    /// Character offsets in the transcript (text path) or seconds (audio path).
    public var charStart: Int?
    public var charEnd: Int?
    public var start: Double?
    public var end: Double?

    enum CodingKeys: String, CodingKey {
        case text, kind, district, street, start, end
        case charStart = "char_start", charEnd = "char_end"
    }
}

/// Where the matter is: the jurisdiction resolved from the mentions.
public struct ResolvedPlace: Sendable, Equatable {
    public var district: String?
    public var street: String?
    /// The address as said (瑞海北路7号) and a compound/building name (三盛悦华庭), if any.
    public var address: String?
    public var name: String?
    public var mentions: [PlaceMention]
    /// Two mentions point at different districts or streets.
    public var conflict: Bool

    public var isEmpty: Bool { district == nil && street == nil && address == nil && name == nil }
}

/// Resolves places from a transcript or from spotted place keywords, with the gazetteer and
/// `places.tsv`. Longest names win (台东街道 over 台东); a street gives its district.
public struct PlaceResolver: Sendable {
    public let domain: Domain
    let entries: [PlaceEntry]

    public init(domain: Domain) {
        self.domain = domain
        entries = domain.places.sorted { $0.name.count > $1.name.count }
    }

    static let addressPattern = try! NSRegularExpression(
        pattern: "([\\p{Han}]{1,8}?(?:路|街|道|巷|弄|大道))([0-9０-９]+|[一二三四五六七八九十百零两]+)号")
    static let compoundPattern = try! NSRegularExpression(
        pattern: "([\\p{Han}]{2,6}?(?:小区|花园|家园|公寓|新村|大厦|广场|苑|庭|府|里|城|院|村))(?=[0-9一二三四五六七八九十几号楼栋单元的这那里门口，。, ]|$)")
    /// Words a compound pattern may grab that are not names.
    static let notNames: Set<String> = ["我们小区", "这个小区", "那个小区", "我家小区", "咱们小区", "他们小区", "我们村", "我们这个小区",
                                        "对面小区", "旁边小区", "隔壁小区", "附近小区", "整个小区", "老小区", "我们院", "我们这院"]
    static let namePrefixJunk: [String] = ["号", "楼", "栋", "我们", "我家", "住在", "我住", "在", "就是", "那个", "这个", "家住", "咱们", "是"]

    /// Mentions in a transcript, in order of appearance.
    public func mentions(in text: String) -> [PlaceMention] {
        let chars = Array(text)
        var taken = [Bool](repeating: false, count: chars.count)
        var out: [PlaceMention] = []
        // Gazetteer and place-table names, longest first, non-overlapping.
        for e in entries {
            let n = Array(e.name)
            guard n.count <= chars.count else { continue }
            var i = 0
            while i + n.count <= chars.count {
                if !taken[i], chars[i..<(i + n.count)].elementsEqual(n), !taken[i + n.count - 1] {
                    for j in i..<(i + n.count) { taken[j] = true }
                    out.append(PlaceMention(text: e.name, kind: e.kind, district: e.district, street: e.street,
                                            charStart: i, charEnd: i + n.count))
                    i += n.count
                } else { i += 1 }
            }
        }
        // Addresses (…路7号) and compound names, by pattern.
        let ns = text as NSString
        func charOffset(_ utf16: Int) -> Int { String(ns.substring(to: utf16)).count }
        for m in Self.addressPattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            var s = ns.substring(with: m.range)
            var start = charOffset(m.range.location)
            var road = ns.substring(with: m.range(at: 1))
            let entry = entries.first { road.hasSuffix($0.name) && ($0.kind == "road" || $0.kind == "street_alias") }
            // The pattern may start too early (就在瑞海北路7号): start at the known road, or after
            // the last little word that cannot be part of a road name.
            var cut = 0
            if let e = entry { cut = road.count - e.name.count }
            else if let i = road.lastIndex(where: { "在住到是的从往了我家就这那个".contains($0) }) {
                let k = road.distance(from: road.startIndex, to: i) + 1
                if road.count - k >= 2 { cut = k }
            }
            if cut > 0 { s.removeFirst(cut); start += cut; road.removeFirst(cut) }
            out.append(PlaceMention(text: s, kind: "address", district: entry?.district, street: entry?.street,
                                    charStart: start, charEnd: start + s.count))
            for j in start..<min(taken.count, start + s.count) { taken[j] = true }
        }
        for m in Self.compoundPattern.matches(in: text, range: NSRange(location: 0, length: ns.length)) {
            var s = ns.substring(with: m.range(at: 1))
            var start = charOffset(m.range(at: 1).location)
            // Skip what an address or a gazetteer name already covers (瑞海北路7号|三盛悦华庭).
            while !s.isEmpty && start < taken.count && taken[start] { s.removeFirst(); start += 1 }
            var trimmed = true
            while trimmed {
                trimmed = false
                for p in Self.namePrefixJunk where s.hasPrefix(p) && s.count > p.count + 1 { s.removeFirst(p.count); start += p.count; trimmed = true }
            }
            // A name does not contain little words (想建议在我们小区 is no name): keep what follows the last one.
            if let i = s.dropLast().lastIndex(where: { "在住到是的从往了们家就这那个把给对跟和想说我你他她".contains($0) }) {
                let k = s.distance(from: s.startIndex, to: i) + 1
                s.removeFirst(k); start += k
            }
            guard s.count >= 3, !Self.notNames.contains(s), !s.hasPrefix("这"), !s.hasPrefix("那"),
                  !(start < taken.count && taken[start]) else { continue }
            for j in start..<min(taken.count, start + s.count) { taken[j] = true }
            // A known place name inside (李村花园) still resolves.
            let entry = entries.first { s.contains($0.name) && $0.kind != "district" }
            out.append(PlaceMention(text: s, kind: "compound", district: entry?.district, street: entry?.street,
                                    charStart: start, charEnd: start + s.count))
        }
        return out.sorted { ($0.charStart ?? 0) < ($1.charStart ?? 0) }
    }

    /// Mentions from spotted keywords (audio path): keywords that are place names.
    public func mentions(hits: [(keyword: String, start: Double?, end: Double?)]) -> [PlaceMention] {
        hits.compactMap { h in
            guard let e = entries.first(where: { $0.name == h.keyword }) else { return nil }
            return PlaceMention(text: e.name, kind: e.kind, district: e.district, street: e.street, start: h.start, end: h.end)
        }
    }

    /// The jurisdiction: the first street mentioned (most specific), else the first district;
    /// a street's district comes from the gazetteer.
    public func resolve(_ mentions: [PlaceMention]) -> ResolvedPlace {
        let streets = mentions.compactMap(\.street)
        let districts = mentions.compactMap(\.district)
        let street = streets.first
        let district = street.flatMap { domain.district(ofStreet: $0) } ?? districts.first
        let conflict = Set(streets).count > 1 || Set(districts).count > 1
        let address = mentions.first { $0.kind == "address" }?.text
        let name = mentions.first { $0.kind == "compound" || $0.kind == "landmark" }?.text
        return ResolvedPlace(district: district, street: street, address: address, name: name,
                             mentions: mentions, conflict: conflict)
    }
}
