import Foundation
import Spotting

/// What triage works from: a transcript, keyword hits from audio, or both.
public struct TriageInput: Sendable {
    public var id: String
    public var transcript: String?
    /// Audio keyword hits (seconds). Keywords in the transcript are matched by the engine.
    public var hits: [KeywordHit]
    public var source: TicketDraft.Source?

    public init(id: String, transcript: String? = nil, hits: [KeywordHit] = [], source: TicketDraft.Source? = nil) {
        self.id = id; self.transcript = transcript; self.hits = hits; self.source = source
    }
}

/// Where the triage configuration lives (`Models/triage/`).
public enum TriagePaths {
    public static var directory: URL { ModelPaths.root.appendingPathComponent("triage") }
    public static var weights: URL { directory.appendingPathComponent("weights.tsv") }
    public static var handoffRules: URL { directory.appendingPathComponent("handoff_rules.tsv") }
}

/// From evidence to a ticket draft: request type, topic, time limit, hand-off, out of scope,
/// place, ranked units, summary — each pointing at its evidence.
public struct TriageEngine: Sendable {
    public let domain: Domain
    public let model: TriageModel
    public let rules: HandoffRules
    public let keywords: [Keyword]
    public let extractor: FeatureExtractor
    public let matcher: TextMatcher
    public let places: PlaceResolver
    public var options = Options()

    public struct Options: Sendable {
        /// A hand-off is raised from the model alone (no unsuppressed cue word) above this probability.
        public var handoffModelThreshold = 0.3
        /// On a transcript, cue words do not raise a hand-off when the model gives "none" at
        /// least this probability; the draft is flagged `handoff_check` instead (1 = never veto).
        public var handoffVeto = 0.9
        /// The same veto for audio-only input: there the classifier sees only the keywords heard
        /// (a cue such as 撞倒 spotted in a heating complaint), 1 = never.
        public var handoffVetoAudio = 0.9
        /// On a transcript, the model's emergency kind replaces the cue word's when the model
        /// gives it at least this probability (1 = cue words always decide the kind).
        public var handoffKindOverride = 0.6
        /// `ambiguous` when the second unit scores at least this share of the first.
        public var ambiguousRatio = 0.7
        /// `low_confidence` when the topic's probability is below this.
        public var lowConfidence = 0.45
        /// Topic probabilities are raised to this power (and renormalised) before they pass to
        /// units: above 1 the likeliest topic counts more than a crowd of unlikely ones.
        public var unitSharpening = 1.0
        /// A POLICE hand-off adds this score to the public security bureau (GAJ). The ticket goes
        /// to the unit of the matter itself, as in the labelled dev calls (a gas leak handed to
        /// 119 is still routed to the gas company), and 110 takes the emergency; GAJ stays an
        /// alternative. (It was 1, GAJ first, before session 10: held-out sets 5 and 6 route a
        /// knife fight at a market to 城管, a wage brawl to 人社局.)
        public var policeUnitWeight = 0.3
        public init() {}
    }

    public init(domain: Domain, model: TriageModel, rules: HandoffRules, keywords: [Keyword], lexicon: Lexicon) {
        self.domain = domain; self.model = model; self.rules = rules; self.keywords = keywords
        extractor = FeatureExtractor(keywords: keywords)
        matcher = TextMatcher(keywords: keywords, lexicon: lexicon)
        places = PlaceResolver(domain: domain)
    }

    /// Loads everything from `Models/` (or `$CALLTRIAGE_MODELS`).
    /// With `untrained`, no weights file is read (fitting needs the configuration only).
    public static func load(keywords: [Keyword], lexicon: Lexicon, weights: URL? = nil, untrained: Bool = false) throws -> TriageEngine {
        let domain = try Domain.load(directory: TriagePaths.directory)
        let model = untrained ? TriageModel.untrained(domain: domain) : try TriageModel.load(weights ?? TriagePaths.weights)
        let rules = try HandoffRules.load(TriagePaths.handoffRules)
        return TriageEngine(domain: domain, model: model, rules: rules, keywords: keywords, lexicon: lexicon)
    }

    /// All evidence hits for an input: audio hits plus keywords matched in the transcript.
    public func hits(for input: TriageInput) -> [KeywordHit] {
        var hs = input.hits
        if let t = input.transcript { hs += matcher.match(t, channel: "transcript") }
        return hs
    }

    public func features(for input: TriageInput, hits: [KeywordHit]) -> FeatureVector {
        extractor.features(hits: hits, transcript: input.transcript)
    }

    // MARK: - Drafting

    public func draft(_ input: TriageInput) -> TicketDraft {
        let hits = hits(for: input)
        let x = features(for: input, hits: hits)
        let chars = input.transcript.map { Array($0) } ?? []
        let kwByText = extractor.keywords

        // Evidence items: every keyword hit, in time / text order.
        var evidence: [TicketDraft.Evidence] = []
        var hitIds: [Int: String] = [:]
        for (i, h) in hits.enumerated() {
            let id = "e\(evidence.count + 1)"
            hitIds[i] = id
            evidence.append(.init(id: id, kind: "keyword", keyword: h.keyword, category: kwByText[h.keyword]?.category,
                                  start: ms(h.start), end: ms(h.end), charStart: h.charStart, charEnd: h.charEnd,
                                  score: h.score, channel: h.channel ?? "caller", note: nil))
        }
        func ids(where pred: (KeywordHit) -> Bool) -> [String] {
            hits.indices.filter { pred(hits[$0]) }.compactMap { hitIds[$0] }
        }
        func at(_ h: KeywordHit) -> String {
            if let s = h.start { return "at \(Self.clock(s))" }
            if let c = h.charStart { return "at char \(c)" }
            return ""
        }
        /// Transcript phrases (n-gram features) that pushed a label up, as evidence items.
        func phraseEvidence(_ head: SoftmaxClassifier, _ label: String, limit: Int, features: FeatureVector? = nil) -> [String] {
            guard !chars.isEmpty else { return [] }
            var out: [String] = []
            for (f, _) in head.contributions(features ?? x, label: label, limit: 12) where f.hasPrefix("b:") {
                let gram = Array(f.dropFirst(2))
                guard !gram.contains("#"), let pos = Self.find(gram, in: chars) else { continue }
                if let existing = evidence.first(where: { $0.kind == "phrase" && $0.charStart == pos && $0.keyword == String(gram) }) {
                    out.append(existing.id)
                } else {
                    let id = "e\(evidence.count + 1)"
                    evidence.append(.init(id: id, kind: "phrase", keyword: String(gram), category: nil, start: nil, end: nil,
                                          charStart: pos, charEnd: pos + gram.count, score: 1, channel: "transcript", note: nil))
                    out.append(id)
                }
                if out.count >= limit { break }
            }
            return out
        }

        var flags: [String] = []
        var explain: [String: TicketDraft.Explanation] = [:]

        // Topic.
        let topicHead = model.heads["topic"]!
        // With nothing to go on (silence, no keyword heard, no transcript) the classifier's prior
        // must not call the matter out of scope: the draft stays open for a person to listen.
        let noEvidence = hits.isEmpty && (input.transcript ?? "").trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        // A transcript's request-type cue words say what the caller wants, not what about: a model
        // fitted without them there (`TriageModel.topicWithoutTypeCues`) does not get them.
        let topicX = input.transcript != nil && model.topicWithoutTypeCues ? extractor.withoutTypeCues(x) : x
        var topicRanked = topicHead.ranked(topicX)
        if noEvidence { topicRanked.removeAll { $0.label == Domain.outOfScope } }
        let topicId = topicRanked[0].label
        let topicEvidence = ids { h in kwByText[h.keyword]?.topics.contains(topicId) == true }
        let topicPhrases = phraseEvidence(topicHead, topicId, limit: 3, features: topicX)
        var topicReasons: [String] = []
        for (f, a) in topicHead.contributions(topicX, label: topicId, limit: 4) {
            topicReasons.append(Self.describe(feature: f) + String(format: " (+%.2f)", a))
        }
        let topicName = topicId == Domain.outOfScope ? "超出受理范围" : domain.topic(topicId)?.name
        let topic = TicketDraft.Classified(
            value: topicId, name: topicName, confidence: topicRanked[0].p,
            alternatives: topicRanked.dropFirst().prefix(3).map { .init(value: $0.label, confidence: $0.p) },
            evidence: topicEvidence + topicPhrases, reasons: topicReasons)

        // Hand-off: cue words not said about the past/hypothetically, else the model.
        var handoff: String? = nil
        var handoffEvidence: [String] = []
        var handoffReasons: [String] = []
        var candidates: [String: [Int]] = [:]
        for (i, h) in hits.enumerated() {
            guard let cat = kwByText[h.keyword]?.category, cat.hasPrefix("handoff:") else { continue }
            // In a transcript only the characters or an exact homophone count (not a near sound).
            if h.charStart != nil && h.score < 0.85 { continue }
            let kind = String(cat.dropFirst(8))
            if h.charStart != nil, let why = rules.suppression(of: h, in: chars) {
                if let id = hitIds[i], let k = evidence.firstIndex(where: { $0.id == id }) {
                    evidence[k].note = "not an emergency now: \(why)"
                }
                continue
            }
            candidates[kind, default: []].append(i)
        }
        // The hand-off classifier's view, worked out once: it may overrule cue words, choose the
        // service, or raise a hand-off on its own.
        let handoffHead = model.heads["handoff"]
        let handoffRanked = handoffHead.map { $0.ranked(x) } ?? []
        let pNone = handoffRanked.first { $0.label == "none" }?.p ?? 0
        let topEmergency = handoffRanked.first { $0.label != "none" }
        // A cue word in a call that otherwise reads as no emergency now (a complaint about
        // yesterday's ambulance, a suggestion about AEDs, a smoke alarm that keeps going off; on
        // audio, a cue heard among heating words) is not transferred, but it is never dropped
        // silently: the draft is flagged for a person.
        var vetoed = false
        if !candidates.isEmpty, handoffHead != nil,
           pNone >= (input.transcript != nil ? options.handoffVeto : options.handoffVetoAudio) {
            var cues: [String] = []
            for k in candidates.keys.sorted() {
                for i in candidates[k]! {
                    if !cues.contains(hits[i].keyword) { cues.append(hits[i].keyword) }
                    handoffEvidence += hitIds[i].map { [$0] } ?? []
                }
            }
            handoffReasons.append(String(format: "cue words %@, but the call reads as no emergency now (model P(none)=%.2f): check", cues.joined(separator: ", "), pNone))
            flags.append("handoff_check")
            vetoed = true
        }
        if vetoed {
            // Neither the cue words nor the classifier transfer the call.
        } else if var kind = rules.priority.first(where: { candidates[$0] != nil }) ?? candidates.keys.sorted().first {
            // Which service: the cue's, unless on a transcript the model is sure of another
            // (流血 after a scooter was knocked down is a road accident: 122 brings both).
            if input.transcript != nil, let top = topEmergency, top.label != kind, top.p >= options.handoffKindOverride {
                handoffReasons.append(String(format: "model prefers %@ (p=%.2f) over the %@ cue", top.label, top.p, kind))
                if candidates[top.label] == nil { candidates[top.label] = [] }
                kind = top.label
            }
            handoff = kind
            for i in candidates[kind]! {
                handoffEvidence.append(hitIds[i]!)
                handoffReasons.append("keyword \(hits[i].keyword) \(at(hits[i]))")
            }
            for other in candidates.keys.sorted() where other != kind {
                handoffReasons.append("also \(other) cues: " + candidates[other]!.map { hits[$0].keyword }.joined(separator: ", "))
            }
        } else if let head = handoffHead {
            // An emergency must not be missed: the model raises one when the emergency classes
            // together outweigh the threshold (P(none) ≤ 1 − threshold), not only when one of
            // them beats "none" — a call split between FIRE and AMBULANCE is still an emergency.
            if let top = topEmergency, 1 - pNone >= options.handoffModelThreshold {
                handoff = top.label
                handoffReasons.append(String(format: "model: %@ p=%.2f (any emergency p=%.2f)", top.label, top.p, 1 - pNone))
                handoffEvidence = phraseEvidence(head, top.label, limit: 3)
                flags.append("handoff_by_model")
            }
        }
        if let h = handoff {
            let number = domain.handoffs.first { $0.id == h }?.number ?? "?"
            handoffReasons.insert("emergency: transfer to \(number) now", at: 0)
            flags.insert("handoff", at: 0)
        }
        explain["handoff"] = .init(evidence: handoffEvidence, reasons: handoffReasons)

        // Request type (an emergency is a call for help).
        let typeHead = model.heads["type"]!
        var typeRanked = typeHead.ranked(x)
        var typeReasons = typeHead.contributions(x, label: typeRanked[0].label, limit: 3)
            .map { Self.describe(feature: $0.feature) + String(format: " (+%.2f)", $0.amount) }
        if handoff != nil && typeRanked[0].label != "help" {
            let p = typeRanked.first { $0.label == "help" }?.p ?? 0
            typeRanked.removeAll { $0.label == "help" }
            typeRanked.insert((label: "help", p: max(p, 0.9)), at: 0)
            typeReasons = ["emergency hand-off: the caller needs help now"]
        }
        let typeId = typeRanked[0].label
        let typeEvidence = ids { h in kwByText[h.keyword]?.category == "type:\(typeId)" } + phraseEvidence(typeHead, typeId, limit: 2)
        let requestType = TicketDraft.Classified(
            value: typeId, name: Domain.requestTypeNames[typeId], confidence: typeRanked[0].p,
            alternatives: typeRanked.dropFirst().prefix(2).map { .init(value: $0.label, confidence: $0.p) },
            evidence: typeEvidence, reasons: typeReasons)

        // Out of scope — never on no evidence at all (silence, a recording with no keyword heard).
        if noEvidence { flags.append("no_evidence") }
        let outOfScope = topicId == Domain.outOfScope && handoff == nil && !noEvidence
        if outOfScope {
            flags.append("out_of_scope")
            explain["out_of_scope"] = .init(evidence: topic.evidence + ids { kwByText[$0.keyword]?.category == "out_of_scope" },
                                            reasons: [String(format: "topic out_of_scope p=%.2f: answered, not dispatched", topic.confidence)])
        } else {
            explain["out_of_scope"] = .init(evidence: [], reasons: [])
        }

        // Place.
        var mentions: [PlaceMention] = []
        if let t = input.transcript { mentions = places.mentions(in: t) }
        mentions += places.mentions(hits: input.hits.map { ($0.keyword, $0.start, $0.end) })
        let resolved = places.resolve(mentions)
        var place: TicketDraft.Place? = nil
        if !resolved.isEmpty {
            var pe: [String] = []
            var reasons: [String] = []
            for m in mentions {
                let id = "e\(evidence.count + 1)"
                evidence.append(.init(id: id, kind: "place", keyword: m.text, category: m.kind, start: ms(m.start), end: ms(m.end),
                                      charStart: m.charStart, charEnd: m.charEnd, score: 1,
                                      channel: m.charStart != nil ? "transcript" : "caller", note: nil))
                pe.append(id)
                if let s = m.street { reasons.append("\(m.kind) \(m.text) → \(s)") }
                else if let d = m.district { reasons.append("\(m.kind) \(m.text) → \(d)") }
                else { reasons.append("\(m.kind) \(m.text): jurisdiction unknown") }
            }
            if resolved.conflict { flags.append("place_conflict"); reasons.append("mentions point at different places; the first street/district is used") }
            place = .init(district: resolved.district, street: resolved.street, address: resolved.address, name: resolved.name,
                          evidence: pe, reasons: reasons)
        }

        // Units.
        var units: [TicketDraft.UnitSuggestion] = []
        if !outOfScope {
            units = rankUnits(topicRanked: topicRanked, handoff: handoff, place: resolved,
                              topicEvidence: topicEvidence.compactMap { id in evidence.first { $0.id == id } },
                              placeEvidence: place?.evidence ?? [])
            // The local office is the first choice but the call did not say where.
            if let first = units.first, first.unit == "STREET" || first.unit == "DISTRICT" { flags.append("place_needed") }
        }
        if units.count >= 2 && units[1].score >= options.ambiguousRatio * units[0].score { flags.append("ambiguous") }
        if topic.confidence < options.lowConfidence || (input.transcript == nil && hits.count < 2) { flags.append("low_confidence") }
        if hits.contains(where: { kwByText[$0.keyword]?.category == "urgency" }) { flags.append("urgent") }

        // Time limit.
        var timeLimit = domain.topic(topicId)?.timeLimit ?? "answer"
        var tlReasons = ["topic \(topicId) default \(timeLimit)"]
        var tlEvidence: [String] = []
        if handoff != nil { timeLimit = "1h"; tlReasons = ["emergency hand-off"]; tlEvidence = handoffEvidence }
        else if outOfScope { timeLimit = "answer"; tlReasons = ["out of scope: answered on the spot"] }
        else if typeId == "consult" { timeLimit = "answer"; tlReasons = ["consultation: answered on the spot"]; tlEvidence = requestType.evidence }
        explain["time_limit"] = .init(evidence: tlEvidence, reasons: tlReasons)

        // Summary, masked.
        var summary = Summarizer.summary(transcript: input.transcript, hits: hits, topicEvidence: topic.evidence,
                                         evidence: evidence, topicName: topicName ?? topicId, type: typeId,
                                         place: resolved, handoff: handoff.flatMap { h in domain.handoffs.first { $0.id == h }?.number })
        let masked = Masking.mask(summary)
        summary = masked.text
        if masked.count > 0 { flags.append("numbers_masked") }

        return TicketDraft(id: input.id, source: input.source, requestType: requestType, topic: topic, timeLimit: timeLimit,
                           handoff: handoff, outOfScope: outOfScope, place: place, units: units, summary: summary,
                           evidence: evidence, flags: flags, explain: explain, modelVersion: model.version)
    }

    /// Units from the topic distribution: each topic passes its probability to its usual units
    /// (shares 1 : 0.35 : 0.2 by rank); STREET/DISTRICT become the concrete office when the place
    /// resolves; a POLICE hand-off adds `policeUnitWeight` to the public security bureau (GAJ).
    func rankUnits(topicRanked: [(label: String, p: Double)], handoff: String?, place: ResolvedPlace,
                   topicEvidence: [TicketDraft.Evidence], placeEvidence: [String]) -> [TicketDraft.UnitSuggestion] {
        let shares = [1.0, 0.35, 0.2, 0.15, 0.1]
        var score: [String: Double] = [:]
        var reasons: [String: [String]] = [:]
        var evid: [String: [String]] = [:]
        func local(_ u: String) -> String {
            switch u {
            case "STREET": return place.street.map { "STREET:\($0)" } ?? "STREET"
            case "DISTRICT": return place.district.map { "DISTRICT:\($0)" } ?? "DISTRICT"
            default: return u
            }
        }
        let kwNote = topicEvidence.filter { $0.kind == "keyword" }.prefix(2).map { e in
            "keyword \(e.keyword)" + (e.start.map { " at \(Self.clock($0))" } ?? e.charStart.map { " at char \($0)" } ?? "")
        }
        let powered = topicRanked.map { ($0.label, Foundation.pow($0.p, options.unitSharpening)) }
        let norm = max(1e-12, powered.reduce(0) { $0 + $1.1 })
        for (t, p) in powered.map({ ($0.0, $0.1 / norm) }).prefix(6) where t != Domain.outOfScope && p >= 0.02 {
            guard let topic = domain.topic(t) else { continue }
            let sh = Array(shares.prefix(topic.units.count))
            let total = sh.reduce(0, +)
            for (r, u) in topic.units.enumerated() {
                let id = local(u)
                score[id, default: 0] += p * sh[r] / total
                let name = domain.unit(u)?.name ?? u
                var why = String(format: "topic %@ %@ (p=%.2f) → %@", t, topic.name, p, id.hasPrefix("STREET:") || id.hasPrefix("DISTRICT:") ? id : name)
                why += r == 0 ? " (usual unit)" : " (also responsible, rank \(r + 1))"
                if reasons[id] == nil, t == topicRanked[0].label, !kwNote.isEmpty { why += "; " + kwNote.joined(separator: ", ") }
                reasons[id, default: []].append(why)
                if t == topicRanked[0].label { evid[id, default: []] += topicEvidence.map(\.id) }
                if id.hasPrefix("STREET:") || id.hasPrefix("DISTRICT:") {
                    reasons[id]!.append("place resolves to \(id.split(separator: ":")[1]) (镇街直办)")
                    evid[id, default: []] += placeEvidence
                }
            }
        }
        if handoff == "POLICE" {
            score["GAJ", default: 0] += options.policeUnitWeight
            reasons["GAJ", default: []].insert("emergency hand-off POLICE (110): public security", at: 0)
        }
        let names = Dictionary(uniqueKeysWithValues: domain.units.map { ($0.id, $0.name) })
        return score.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }.prefix(5).map { id, s in
            let base = String(id.split(separator: ":").first ?? "")
            let name = id.contains(":") ? String(id.split(separator: ":")[1]) + (base == "STREET" ? "办事处" : "政府")
                                        : (names[id] ?? id)
            var seen = Set<String>()
            return .init(unit: id, name: name, score: min(1, s), reasons: reasons[id] ?? [],
                         evidence: (evid[id] ?? []).filter { seen.insert($0).inserted })
        }
    }

    // MARK: - Helpers

    static func clock(_ t: Double) -> String {
        let m = Int(t) / 60
        return String(format: "%02d:%04.1f", m, t - Double(m * 60))
    }

    static func find(_ gram: [Character], in chars: [Character]) -> Int? {
        guard gram.count <= chars.count else { return nil }
        for i in 0...(chars.count - gram.count) where chars[i..<(i + gram.count)].elementsEqual(gram) { return i }
        return nil
    }

    static func describe(feature f: String) -> String {
        if f.hasPrefix("k:") { return "keyword \(f.dropFirst(2))" }
        if f.hasPrefix("t:") { return "keywords of topic \(f.dropFirst(2))" }
        if f.hasPrefix("c:") { return "\(f.dropFirst(2)) cue" }
        if f.hasPrefix("b:") || f.hasPrefix("u:") { return "phrase '\(f.dropFirst(2))'" }
        return f
    }
}

/// Seconds rounded to the millisecond, as evidence times are shown and stored.
func ms(_ t: Double?) -> Double? { t.map { ($0 * 1000).rounded() / 1000 } }
