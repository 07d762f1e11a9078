import Foundation
import Spotting
import TestSupport
import XCTest
@testable import Triage

enum Shared {
    static let models = Fixtures.root.appendingPathComponent("Models")
    static let lexicon: Lexicon = try! Lexicon(directory: models.appendingPathComponent("lexicon"))
    static let keywords: [Keyword] = try! KeywordList.load(models.appendingPathComponent("keywords.tsv"), lexicon: lexicon)
    static let domain: Domain = try! Domain.load(directory: models.appendingPathComponent("triage"))
    static let rules: HandoffRules = try! HandoffRules.load(models.appendingPathComponent("triage/handoff_rules.tsv"))

    /// A hand-made model: each topic/type/hand-off is pushed by one keyword, so the rules around
    /// the classifier can be tested with exact expectations, independent of the fitted weights.
    static func toyModel() -> TriageModel {
        var topic = SoftmaxClassifier(labels: domain.topicLabels)
        func w(_ clf: inout SoftmaxClassifier, _ feature: String, _ label: String, _ value: Double) {
            var v = clf.weights[feature] ?? [Double](repeating: 0, count: clf.labels.count)
            v[clf.labels.firstIndex(of: label)!] = value
            clf.weights[feature] = v
        }
        w(&topic, "k:暖气", "heating", 6)
        w(&topic, "k:停电", "power_supply", 6)
        w(&topic, "k:打官司", Domain.outOfScope, 6)
        w(&topic, "k:打架", "neighbourhood", 6)
        w(&topic, "k:垃圾", "sanitation", 6)
        w(&topic, "k:着火了", "fire_hazard", 6)
        w(&topic, "k:消防通道", "fire_hazard", 6)
        // 乱堆乱放 is split between two topics: ambiguous on purpose.
        w(&topic, "k:车祸", "traffic_parking", 6)
        w(&topic, "k:讨薪", "wage_arrears", 6)
        var type = SoftmaxClassifier(labels: Domain.requestTypes)
        w(&type, "c:type:consult", "consult", 6)
        w(&type, "c:type:complain", "complain", 6)
        w(&type, "c:type:report", "report", 6)
        let handoff = SoftmaxClassifier(labels: ["none", "POLICE", "FIRE", "AMBULANCE", "TRAFFIC"], bias: [3, 0, 0, 0, 0])
        return TriageModel(version: "toy-1", heads: ["topic": topic, "type": type, "handoff": handoff])
    }

    static let toyEngine = TriageEngine(domain: domain, model: toyModel(), rules: rules, keywords: keywords, lexicon: lexicon)
}

final class DomainTests: XCTestCase {
    func testShippedConfigurationKeepsTheCanonicalIds() throws {
        let d = Shared.domain
        XCTAssertEqual(d.topics.count, 39)
        XCTAssertEqual(d.topicLabels.last, "out_of_scope")
        XCTAssertEqual(d.topic("heating")?.units, ["RLGS", "CGJ"])
        XCTAssertEqual(d.topic("social_insurance")?.timeLimit, "answer")
        XCTAssertEqual(Set(d.handoffs.map(\.id)), ["POLICE", "FIRE", "AMBULANCE", "TRAFFIC"])
        XCTAssertEqual(d.districts.count, 6)
        XCTAssertEqual(d.districts.reduce(0) { $0 + $1.streets.count }, 19)
        XCTAssertEqual(d.district(ofStreet: "湖岛街道"), "市北区")
        for t in d.topics { for u in t.units { XCTAssertNotNil(d.unit(u), "\(t.id) → \(u)") } }
    }

    func testBrokenTopicTableNamesFileAndLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("triage-domain-\(UUID())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in ["units", "handoffs", "gazetteer"] {
            try FileManager.default.copyItem(at: Shared.models.appendingPathComponent("triage/\(f).tsv"), to: dir.appendingPathComponent("\(f).tsv"))
        }
        try "# calltriage-topics v1\nid\tname\tgroup\tunits\ttime_limit\tcovers\nheating\t供暖\tutilities\tRLGS,NOPE\t1d\tx\n"
            .write(to: dir.appendingPathComponent("topics.tsv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Domain.load(directory: dir)) { e in
            XCTAssertTrue("\(e)".contains("topics.tsv"), "\(e)")
            XCTAssertTrue("\(e)".contains("line 3"), "\(e)")
            XCTAssertTrue("\(e)".contains("NOPE"), "\(e)")
        }
        try "# calltriage-topics v1\nid\tname\tgroup\tunits\ttime_limit\tcovers\nheating\t供暖\tutilities\tRLGS\t2w\tx\n"
            .write(to: dir.appendingPathComponent("topics.tsv"), atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try Domain.load(directory: dir)) { e in XCTAssertTrue("\(e)".contains("'2w'"), "\(e)") }
    }
}

final class PlaceTests: XCTestCase {
    let resolver = PlaceResolver(domain: Shared.domain)

    func resolve(_ s: String) -> ResolvedPlace { resolver.resolve(resolver.mentions(in: s)) }

    func testStreetGivesItsDistrict() {
        let p = resolve("我家住在台东街道，暖气不热")
        XCTAssertEqual(p.street, "台东街道")
        XCTAssertEqual(p.district, "市北区")
        XCTAssertFalse(p.conflict)
    }

    func testLongestNameWins() {
        // 台东街道 must not also count as the alias 台东, nor 市北区 as 市北.
        let m = resolver.mentions(in: "市北区台东街道这边")
        XCTAssertEqual(m.map(\.text), ["市北区", "台东街道"])
        XCTAssertEqual(m.map(\.kind), ["district", "street"])
    }

    func testAddressAsSaidResolvesThroughTheRoad() {
        let p = resolve("就在瑞海北路7号三盛悦华庭，楼道灯坏了")
        XCTAssertEqual(p.address, "瑞海北路7号")
        XCTAssertEqual(p.street, "湖岛街道")
        XCTAssertEqual(p.district, "市北区")
        XCTAssertEqual(p.name, "三盛悦华庭")
    }

    func testCompoundAloneIsKeptButUnresolved() {
        let p = resolve("我住三盛悦华庭，电梯又坏了")
        XCTAssertEqual(p.name, "三盛悦华庭")
        XCTAssertNil(p.street)
        XCTAssertNil(p.district)
    }

    func testAliasesAndDistrictOnly() {
        XCTAssertEqual(resolve("李村这边有个井盖没了").street, "李村街道")
        let d = resolve("我是城阳区的")
        XCTAssertEqual(d.district, "城阳区")
        XCTAssertNil(d.street)
        // Chinese numerals in an address.
        XCTAssertEqual(resolve("辽宁路一百零二号门口").address, "辽宁路一百零二号")
        XCTAssertEqual(resolve("辽宁路一百零二号门口").street, "辽宁路街道")
    }

    func testConflictingPlacesAreFlagged() {
        let p = resolve("我住台东街道，但是问题在李村街道那边")
        XCTAssertEqual(p.street, "台东街道")
        XCTAssertTrue(p.conflict)
    }

    func testGenericWordsAreNotNames() {
        XCTAssertNil(resolve("我们小区垃圾没人清").name)
        XCTAssertTrue(resolve("这几天暖气不热").isEmpty)
    }
}

final class MaskingTests: XCTestCase {
    func testMobileLandlineAndIdNumbers() {
        XCTAssertEqual(Masking.mask("我电话13912345678，谢谢").text, "我电话139****5678，谢谢")
        XCTAssertEqual(Masking.mask("身份证370202199001011234").text, "身份证370202********1234")
        XCTAssertEqual(Masking.mask("身份证号37020219900101123X").text, "身份证号370202********123X")
        XCTAssertEqual(Masking.mask("座机0532-83881234").text, "座机053*****1234")
        XCTAssertEqual(Masking.mask("打139 1234 5678").text, "打139****5678")
        XCTAssertEqual(Masking.mask("打139 1234 5678").count, 1)
    }

    func testSpokenDigits() {
        XCTAssertEqual(Masking.mask("我手机幺三八一二三四五六七八").text, "我手机138****5678")
    }

    func testAmountsDatesAndShortNumbersAreKept() {
        for s in ["欠了三千五百块", "2023年的事", "住18楼", "编号123456", "一共1200元"] {
            XCTAssertEqual(Masking.mask(s).text, s)
            XCTAssertEqual(Masking.mask(s).count, 0)
        }
    }
}

final class HandoffRuleTests: XCTestCase {
    func firstHit(_ text: String, _ kw: String) -> KeywordHit {
        let m = TextMatcher(keywords: Shared.keywords, lexicon: Shared.lexicon)
        return m.match(text).first { $0.keyword == kw }!
    }

    /// The toy model with a hand-off head that reads complaints as "no emergency now" and
    /// (artificially) 流血 as a road accident, so veto and kind override have exact expectations.
    func handoffEngine() -> TriageEngine {
        var m = Shared.toyModel()
        var h = m.heads["handoff"]!
        h.weights["c:type:complain"] = [6, 0, 0, 0, 0]
        h.weights["k:流血"] = [0, 0, 0, 0, 8]
        m.heads["handoff"] = h
        return TriageEngine(domain: Shared.domain, model: m, rules: Shared.rules, keywords: Shared.keywords, lexicon: Shared.lexicon)
    }

    func testCueWordInACallThatIsNoEmergencyIsFlaggedNotTransferred() throws {
        var engine = handoffEngine()
        // P(none) = e⁹ / (e⁹ + 4) > 0.9: the cue word 急救 is overruled, the draft flagged.
        let text = "我要投诉，急救中心太慢了。"
        let d = engine.draft(TriageInput(id: "t", transcript: text))
        XCTAssertNil(d.handoff)
        XCTAssertEqual(d.flags.filter { $0.hasPrefix("handoff") }, ["handoff_check"])
        XCTAssertEqual(d.explain["handoff"]?.reasons, ["cue words 急救, but the call reads as no emergency now (model P(none)=1.00): check"])
        XCTAssertEqual(d.explain["handoff"]?.evidence.count, 1)
        // Switched off, the cue word transfers the call.
        engine.options.handoffVeto = 1
        XCTAssertEqual(engine.draft(TriageInput(id: "t", transcript: text)).handoff, "AMBULANCE")
        // Without the complaint P(none) = e³ / (e³ + 4) ≈ 0.83 < 0.9: transferred.
        engine.options.handoffVeto = 0.9
        XCTAssertEqual(engine.draft(TriageInput(id: "t", transcript: "快打急救电话，有人倒在路上。")).handoff, "AMBULANCE")
        // Audio: the classifier sees only the keywords heard, with their own veto threshold.
        let audio = [KeywordHit(keyword: "投诉", start: 0.5, end: 1, score: 0.9), KeywordHit(keyword: "急救", start: 2, end: 2.5, score: 0.9)]
        let a = engine.draft(TriageInput(id: "a", hits: audio))
        XCTAssertNil(a.handoff)
        XCTAssertTrue(a.flags.contains("handoff_check"))
        engine.options.handoffVetoAudio = 1
        XCTAssertEqual(engine.draft(TriageInput(id: "a", hits: audio)).handoff, "AMBULANCE")
        engine.options.handoffVeto = 1
        engine.options.handoffVetoAudio = 0.9
        XCTAssertEqual(engine.draft(TriageInput(id: "t", transcript: text)).handoff, "AMBULANCE")   // text uses its own
    }

    func testModelChoosesTheServiceWhenSureOfAnotherThanTheCue() throws {
        var engine = handoffEngine()
        // P(TRAFFIC) = e⁸ / (e⁸ + e³ + 3) = 0.99 ≥ 0.6.
        let text = "他腿上一直流血，就在路边。"
        let d = engine.draft(TriageInput(id: "t", transcript: text))
        XCTAssertEqual(d.handoff, "TRAFFIC")
        XCTAssertEqual(d.explain["handoff"]?.reasons, ["emergency: transfer to 122 now", "model prefers TRAFFIC (p=0.99) over the AMBULANCE cue",
                                                        "also AMBULANCE cues: 流血"])
        engine.options.handoffKindOverride = 1
        XCTAssertEqual(engine.draft(TriageInput(id: "t", transcript: text)).handoff, "AMBULANCE")
    }

    func testEmergencyNowIsNotSuppressed() {
        let t = "楼下着火了，好多烟"
        XCTAssertNil(Shared.rules.suppression(of: firstHit(t, "着火了"), in: Array(t)))
    }

    func testHypotheticalPastNegatedAndHazardAreSuppressed() {
        for (t, kw) in [("电线乱拉，怕着火", "着火"), ("上个月这里出过车祸", "车祸"),
                        ("楼道里存在火灾隐患", "火灾"), ("没有着火，就是有点味", "着火"),
                        ("救护车收费太贵了", "救护车")] {
            XCTAssertNotNil(Shared.rules.suppression(of: firstHit(t, kw), in: Array(t)), t)
        }
    }

    func testNegationOnlyRightBeforeTheKeyword() {
        // "没" far before the cue does not hide an emergency.
        let t = "老人没吃饭就晕倒了"
        XCTAssertNil(Shared.rules.suppression(of: firstHit(t, "晕倒了"), in: Array(t)))
    }
}

final class ClassifierTests: XCTestCase {
    func data() -> [(x: FeatureVector, y: Int, weight: Double)] {
        var d: [(x: FeatureVector, y: Int, weight: Double)] = []
        for i in 0..<60 {
            let c = i % 3
            d.append((["f\(c)": 1, "noise\(i % 7)": 0.5], c, 1))
        }
        return d
    }

    func testAudioHitsCountWithTheirEvidenceStrength() throws {
        let lex = try Lexicon(directory: Fixtures.root.appendingPathComponent("Models/lexicon"))
        let kw = try KeywordList.compile("暖气不热", lexicon: lex, topics: ["heating"], weight: 0.9)
        let fx = FeatureExtractor(keywords: [kw])
        let weight = kw.weight
        let x = fx.keywordFeatures([KeywordHit(keyword: "暖气不热", start: 1, end: 2, score: 0.12, confidence: 0.8),
                                    KeywordHit(keyword: "暖气不热", start: 5, end: 6, score: 0.2, confidence: 0.6)])
        XCTAssertEqual(x["k:暖气不热"] ?? 0, 0.8, accuracy: 1e-12)
        XCTAssertEqual(x["t:heating"] ?? 0, 0.8 * weight, accuracy: 1e-12)
    }

    func testLearnsSeparableDataDeterministically() {
        var a = SoftmaxClassifier(labels: ["a", "b", "c"])
        var b = a
        let la = a.fit(data())
        let lb = b.fit(data())
        XCTAssertEqual(a, b)
        XCTAssertEqual(la, lb)
        XCTAssertLessThan(la, 0.1)
        XCTAssertEqual(a.ranked(["f1": 1]).first?.label, "b")
        XCTAssertEqual(a.contributions(["f2": 1, "noise0": 0.5], label: "c").first?.feature, "f2")
        let p = a.probabilities(["f0": 1])
        XCTAssertEqual(p.reduce(0, +), 1, accuracy: 1e-9)
    }

    /// `--ensemble N`: the model is the average of N fits with seeds seed…seed+N−1, weight by
    /// weight, and a fit with the learning rate decaying is deterministic too.
    func testEnsembleAveragesTheFitsOfConsecutiveSeeds() {
        let texts: [(String, String, String)] = [
            ("我家暖气不热，屋里冷", "heating", "complain"), ("暖气片冰凉的，没人管", "heating", "complain"),
            ("请问暖气费怎么交", "heating", "consult"), ("整栋楼停电了，冰箱都化了", "power_supply", "complain"),
            ("又停电了，什么时候来电", "power_supply", "consult"), ("垃圾好几天没人收，臭死了", "sanitation", "complain"),
            ("楼下垃圾堆成山", "sanitation", "report"), ("停电一整天了，你们给催催", "power_supply", "complain"),
        ]
        let calls = texts.enumerated().map { i, t in
            LabelledCall(id: "c\(i)", transcript: t.0, labels: .init(type: t.2, topic: t.1, units: ["X"], handoff: nil))
        }
        func fit(seed: UInt64, runs: Int) -> TriageModel {
            var f = TriageFitter(engine: Shared.toyEngine)
            f.options.epochs = 3; f.options.seed = seed; f.options.ensemble = runs; f.options.minFeatureCount = 1
            return f.fit([(calls, 1)], version: "t", notes: []).0
        }
        let a = fit(seed: 7, runs: 1), b = fit(seed: 8, runs: 1), both = fit(seed: 7, runs: 2)
        XCTAssertEqual(both.heads["topic"], fit(seed: 7, runs: 2).heads["topic"], "deterministic for a seed")
        XCTAssertNotEqual(a.heads["topic"], b.heads["topic"], "another seed, another fit")
        for head in ["topic", "type", "handoff"] {
            let (ha, hb, hm) = (a.heads[head]!, b.heads[head]!, both.heads[head]!)
            XCTAssertEqual(Set(hm.weights.keys), Set(ha.weights.keys).union(hb.weights.keys))
            for (f, w) in hm.weights {
                let wa = ha.weights[f] ?? [Double](repeating: 0, count: w.count)
                let wb = hb.weights[f] ?? [Double](repeating: 0, count: w.count)
                for c in w.indices { XCTAssertEqual(w[c], (wa[c] + wb[c]) / 2, accuracy: 1e-12, "\(head) \(f)") }
            }
            for c in hm.bias.indices { XCTAssertEqual(hm.bias[c], (ha.bias[c] + hb.bias[c]) / 2, accuracy: 1e-12) }
        }
        XCTAssertEqual(both.heads["topic"]!.ranked(FeatureExtractor.textFeatures("暖气不热")).first?.label, "heating")
    }

    /// Hits spotted in a call's recording become one more audio view of that call (an empty list
    /// adds none), next to the simulated one or instead of it; what only the spotter heard is
    /// learnt for the call's labels.
    func testRecordedHitsBecomeTheCallsAudioView() {
        let texts: [(String, String)] = [
            ("我家暖气不热，屋里冷", "heating"), ("暖气片冰凉的，没人管", "heating"), ("请问暖气费怎么交", "heating"),
            ("整栋楼停电了，冰箱都化了", "power_supply"), ("又停电了，什么时候来电", "power_supply"), ("停电一整天了", "power_supply"),
        ]
        let calls = texts.enumerated().map { i, t in
            LabelledCall(id: "c\(i)", transcript: t.0, labels: .init(type: "complain", topic: t.1, units: ["X"], handoff: nil))
        }
        func fit(_ recorded: [String: [KeywordHit]], simulated: Bool = true) -> (TriageModel, TriageFitter.Report) {
            var f = TriageFitter(engine: Shared.toyEngine)
            f.options.epochs = 20; f.options.minFeatureCount = 1; f.options.dropout = 0
            f.options.simulatedWithRecorded = simulated
            f.recordedHits = recorded
            return f.fit([(calls, 1)], version: "t", notes: [])
        }
        // The spotter "hears" 垃圾 in every heating call (a false alarm the transcripts never show).
        let heard = KeywordHit(keyword: "垃圾", start: 1, end: 1.5, score: 0.9, confidence: 0.8)
        var recorded: [String: [KeywordHit]] = [:]
        for i in 0..<3 { recorded["c\(i)"] = [heard] }
        recorded["c3"] = []                                  // spotted, nothing heard: no view
        let (plain, plainReport) = fit([:])
        let (withRec, recReport) = fit(recorded)
        let (onlyRec, onlyReport) = fit(recorded, simulated: false)
        XCTAssertEqual(plainReport.examples["topic"], 12, "transcript + simulated view per call")
        XCTAssertEqual(recReport.examples["topic"], 15, "plus one recorded view for each of the three heating calls")
        XCTAssertEqual(onlyReport.examples["topic"], 11, "heating calls: transcript + recorded; c3 (heard nothing): transcript only; c4, c5: + simulated")
        XCTAssertNil(plain.heads["topic"]!.weights["k:垃圾"])
        let x = Shared.toyEngine.extractor.keywordFeatures([heard])
        XCTAssertEqual(withRec.heads["topic"]!.ranked(x).first?.label, "heating")
        XCTAssertEqual(onlyRec.heads["topic"]!.ranked(x).first?.label, "heating")
    }

    func testLabelledSetReadsCRLFFilesAndReportsBrokenLinesByNumber() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("set-\(UUID()).jsonl")
        defer { try? FileManager.default.removeItem(at: url) }
        let text = ["# comment", #"{"id": "a", "transcript": "暖气不热"}"#, "not json",
                    #"{"id": "b"}"#, "", #"{"id": "c", "audio": "c.wav"}"#].joined(separator: "\r\n") + "\r\n"
        try text.write(to: url, atomically: true, encoding: .utf8)
        var problems: [String] = []
        let calls = try LabelledSet.read(url) { problems.append("\($0.line): \($0.detail)") }
        XCTAssertEqual(calls.map(\.id), ["a", "c"])
        XCTAssertEqual(calls.first?.transcript, "暖气不热")
        XCTAssertEqual(problems.count, 2, "\(problems)")
        XCTAssertTrue(problems[0].hasPrefix("3: not a labelled call"), "\(problems)")
        XCTAssertEqual(problems[1], "4: call 'b' has neither transcript nor audio")
    }

    func testTopicHeadDoesNotLearnTopicsFromRequestTypeCues() throws {
        // Every heating call happens to be asked as a question (请问: a type:consult cue word).
        let texts: [(String, String, String)] = [
            ("请问我家暖气不热怎么办", "heating", "consult"), ("请问暖气片冰凉的找谁", "heating", "consult"),
            ("请问暖气费怎么交", "heating", "consult"),
            ("整栋楼停电了，冰箱都化了", "power_supply", "complain"), ("又停电了，什么时候来电", "power_supply", "complain"),
            ("停电一整天了", "power_supply", "complain"),
        ]
        let calls = texts.enumerated().map { i, t in
            LabelledCall(id: "c\(i)", transcript: t.0, labels: .init(type: t.2, topic: t.1, units: ["X"], handoff: nil))
        }
        func fit(ignore: Bool, audioView: Bool) -> TriageModel {
            var f = TriageFitter(engine: Shared.toyEngine)
            f.options.epochs = 20; f.options.minFeatureCount = 1
            f.options.dropout = audioView ? 0 : 1          // dropout 1: no keyword heard, no audio view
            f.options.topicIgnoresTypeCues = ignore
            return f.fit([(calls, 1)], version: "t", notes: []).0
        }
        XCTAssertEqual(Shared.toyEngine.extractor.keywords["请问"]?.category, "type:consult")
        // Transcript views only: with the rule the topic head never sees the cue word's keyword
        // feature (its characters stay in the n-grams: b:请问 is still there).
        let plain = fit(ignore: false, audioView: false), ignoring = fit(ignore: true, audioView: false)
        XCTAssertNotNil(plain.heads["topic"]!.weights["k:请问"], "without the rule the cue word is learnt as heating")
        XCTAssertNil(ignoring.heads["topic"]!.weights["k:请问"])
        XCTAssertNil(ignoring.heads["topic"]!.weights["c:type:consult"])
        XCTAssertNotNil(ignoring.heads["topic"]!.weights["b:请问"])
        XCTAssertTrue(ignoring.topicWithoutTypeCues)
        XCTAssertFalse(plain.topicWithoutTypeCues)
        XCTAssertNotNil(ignoring.heads["type"]!.weights["k:请问"], "the request-type head still learns it")
        XCTAssertNotNil(ignoring.heads["topic"]!.weights["k:暖气"])
        // Audio views keep it (with a handful of keywords heard it is topic evidence too), and the
        // engine leaves it out of a transcript's topic features only.
        let both = fit(ignore: true, audioView: true)
        XCTAssertNotNil(both.heads["topic"]!.weights["k:请问"])
        let e = TriageEngine(domain: Shared.domain, model: both, rules: Shared.rules, keywords: Shared.keywords, lexicon: Shared.lexicon)
        let text = e.draft(TriageInput(id: "t", transcript: "请问一下"))
        XCTAssertFalse(text.topic.reasons.contains { $0.hasPrefix("keyword 请问") }, "\(text.topic.reasons)")
        let audio = e.draft(TriageInput(id: "a", hits: [KeywordHit(keyword: "请问", start: 0.5, end: 0.9, score: 0.9, confidence: 0.9)]))
        XCTAssertTrue(audio.topic.reasons.contains { $0.hasPrefix("keyword 请问") }, "\(audio.topic.reasons)")
        // The model file records the option; a model without it keeps every feature.
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("triage-\(UUID()).tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try both.write(to: url, prune: 0)
        XCTAssertTrue(try TriageModel.load(url).topicWithoutTypeCues)
        var legacy = both
        legacy.topicWithoutTypeCues = false
        let old = TriageEngine(domain: Shared.domain, model: legacy, rules: Shared.rules, keywords: Shared.keywords, lexicon: Shared.lexicon)
        let oldText = old.draft(TriageInput(id: "t", transcript: "请问一下"))
        XCTAssertTrue(oldText.topic.reasons.contains { $0.hasPrefix("keyword 请问") }, "\(oldText.topic.reasons)")
        try "# calltriage-triage v1\noption\ttopic_without_type_cues\tyes\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TriageModel.load(url)) { XCTAssertTrue("\($0)".contains("line 2: expected option"), "\($0)") }
    }

    func testModelFileRoundTripAndErrors() throws {
        var clf = SoftmaxClassifier(labels: ["a", "b", "c"])
        clf.fit(data())
        let model = TriageModel(version: "t-1", notes: ["test"], heads: ["topic": clf, "type": clf, "handoff": clf])
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("triage-\(UUID()).tsv")
        defer { try? FileManager.default.removeItem(at: url) }
        try model.write(to: url, prune: 0)
        let back = try TriageModel.load(url)
        XCTAssertEqual(back.version, "t-1")
        XCTAssertEqual(back.heads["topic"]!.labels, ["a", "b", "c"])
        for (f, w) in clf.weights { for c in 0..<3 { XCTAssertEqual(back.heads["type"]!.weights[f]![c], w[c], accuracy: 6e-4) } }
        try "# calltriage-triage v2\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TriageModel.load(url)) { XCTAssertTrue("\($0)".contains("format/version")) }
        try "# calltriage-triage v1\nhead\ttopic\ta,b\nw\ttopic\tk:x\t0:1 7:2\n".write(to: url, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try TriageModel.load(url)) { XCTAssertTrue("\($0)".contains("line 3"), "\($0)") }
    }
}
