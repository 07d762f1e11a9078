import Foundation
import Spotting
import TestSupport
import XCTest
@testable import Triage

/// The rules around the classifiers, with a hand-made model (Shared.toyModel) so every
/// expectation is exact.
final class DraftRuleTests: XCTestCase {
    let engine = Shared.toyEngine

    func draft(_ text: String) -> TicketDraft { engine.draft(TriageInput(id: "t", transcript: text)) }

    func testTopicUnitsAndTimeLimit() {
        let d = draft("我家暖气一点都不热，我要投诉")
        XCTAssertEqual(d.topic.value, "heating")
        XCTAssertEqual(d.requestType.value, "complain")
        XCTAssertEqual(d.units.first?.unit, "RLGS")
        XCTAssertEqual(d.units.dropFirst().first?.unit, "CGJ")
        XCTAssertEqual(d.timeLimit, "1d")
        XCTAssertNil(d.handoff)
        XCTAssertFalse(d.outOfScope)
        // Reasons name the topic and the keyword with its position.
        XCTAssertTrue(d.units[0].reasons[0].contains("topic heating"), d.units[0].reasons[0])
        XCTAssertTrue(d.units[0].reasons[0].contains("keyword 暖气 at char 2"), d.units[0].reasons[0])
        // Every evidence id a field names exists.
        let ids = Set(d.evidence.map(\.id))
        for e in d.topic.evidence + d.requestType.evidence + d.units.flatMap(\.evidence) { XCTAssertTrue(ids.contains(e)) }
    }

    func testConsultationIsAnsweredOnTheSpot() {
        let d = draft("请问暖气费怎么办理")
        XCTAssertEqual(d.requestType.value, "consult")
        XCTAssertEqual(d.timeLimit, "answer")
    }

    func testEmergencyHandOffOverridesTypeAndTimeLimit() {
        let d = draft("我要投诉，楼下着火了，好多烟")
        XCTAssertEqual(d.handoff, "FIRE")
        XCTAssertEqual(d.requestType.value, "help")
        XCTAssertEqual(d.timeLimit, "1h")
        XCTAssertEqual(d.flags.first, "handoff")
        XCTAssertTrue(d.summary.hasPrefix("【紧急：建议立即转119】"), d.summary)
        XCTAssertFalse(d.explain["handoff"]!.evidence.isEmpty)
    }

    func testHypotheticalFireIsNoHandOff() {
        let d = draft("楼道里消防通道堵了，怕着火")
        XCTAssertNil(d.handoff)
        XCTAssertEqual(d.topic.value, "fire_hazard")
        // The suppressed cue stays visible as evidence, with the reason.
        XCTAssertTrue(d.evidence.contains { $0.keyword == "着火" && ($0.note ?? "").contains("怕") })
    }

    func testHandOffPriorityAndPolice() {
        XCTAssertEqual(draft("路口出车祸了，有人受伤流血").handoff, "TRAFFIC")
        let p = draft("楼下有人打架，拿刀了")
        XCTAssertEqual(p.handoff, "POLICE")
        // 110 takes the emergency; the ticket follows the matter (打架 → neighbourhood → the street
        // office), public security stays the alternative with the hand-off's weight.
        let weight = engine.options.policeUnitWeight
        XCTAssertEqual(p.units.map(\.unit).prefix(2), ["STREET", "GAJ"])
        XCTAssertEqual(p.units[1].score, weight, accuracy: 1e-9)
        XCTAssertTrue(p.units[1].reasons.first?.contains("POLICE (110)") ?? false)
        let w = draft("今天去工地讨薪，包工头叫人拿棍子打我们工友")
        XCTAssertEqual(w.handoff, "POLICE")
        XCTAssertEqual(w.units.map(\.unit).prefix(2), ["RSJ", "GAJ"])
        XCTAssertEqual(w.units[1].score, weight, accuracy: 1e-9)
        // With the old weight (1) public security came first.
        var old = engine; old.options.policeUnitWeight = 1
        XCTAssertEqual(old.draft(TriageInput(id: "t", transcript: "今天去工地讨薪，包工头叫人拿棍子打我们工友")).units.first?.unit, "GAJ")
    }

    func testOutOfScopeHasNoUnits() {
        let d = draft("我跟邻居打官司，法院已经判了")
        XCTAssertEqual(d.topic.value, "out_of_scope")
        XCTAssertTrue(d.outOfScope)
        XCTAssertEqual(d.units, [])
        XCTAssertEqual(d.timeLimit, "answer")
        XCTAssertTrue(d.flags.contains("out_of_scope"))
    }

    func testLocalJurisdictionNamesTheStreetOffice() {
        let d = draft("我住湖岛街道，小区垃圾好几天没人清")
        XCTAssertEqual(d.topic.value, "sanitation")
        XCTAssertEqual(d.units.map(\.unit).prefix(2), ["CGJ", "STREET:湖岛街道"])
        XCTAssertEqual(d.place?.street, "湖岛街道")
        XCTAssertEqual(d.place?.district, "市北区")
        // Without a place the generic office is kept.
        XCTAssertEqual(draft("小区垃圾好几天没人清").units.map(\.unit).prefix(2), ["CGJ", "STREET"])
    }

    func testLowConfidenceAndAmbiguousFlags() {
        let d = draft("你好，我想说个事")
        XCTAssertTrue(d.flags.contains("low_confidence"))
        // Equal evidence for two topics with different units → ambiguous.
        let a = draft("暖气坏了，还停电了")
        XCTAssertTrue(a.flags.contains("ambiguous"), "\(a.flags) \(a.units.map { ($0.unit, $0.score) })")
    }

    func testSummaryIsMaskedAndBuiltFromTheCall() {
        let d = draft("喂，你好，我家暖气一点都不热，我电话13912345678，希望赶紧修")
        XCTAssertFalse(d.summary.contains("13912345678"))
        XCTAssertTrue(d.summary.hasPrefix("来电人反映："), d.summary)
        XCTAssertTrue(d.summary.contains("其家暖气一点都不热"), d.summary)
        XCTAssertTrue(d.summary.contains("诉求：希望赶紧修"), d.summary)
        XCTAssertFalse(d.summary.contains("喂"))
    }

    func testAudioHitsOnly() {
        let hits = [KeywordHit(keyword: "暖气", start: 12.4, end: 13.0, score: 0.8, channel: "caller"),
                    KeywordHit(keyword: "湖岛街道", start: 3.0, end: 4.0, score: 0.7, channel: "caller")]
        let d = engine.draft(TriageInput(id: "a", hits: hits, source: .init(path: "a.wav", sha256: "00", duration: 30, channels: 1)))
        XCTAssertEqual(d.topic.value, "heating")
        XCTAssertTrue(d.units[0].reasons[0].contains("keyword 暖气 at 00:12.4"), d.units[0].reasons[0])
        XCTAssertEqual(d.place?.street, "湖岛街道")
        XCTAssertTrue(d.summary.contains("供暖问题"), d.summary)
        XCTAssertEqual(d.evidence.first { $0.keyword == "暖气" }?.start, 12.4)
    }
}

final class DraftSchemaTests: XCTestCase {
    func testJSONHasEveryContractField() throws {
        let d = Shared.toyEngine.draft(TriageInput(id: "c1", transcript: "我家暖气不热"))
        let obj = try JSONSerialization.jsonObject(with: Data(d.json().utf8)) as! [String: Any]
        for k in ["id", "source", "request_type", "topic", "time_limit", "handoff", "out_of_scope", "place", "units",
                  "summary", "evidence", "flags", "model_version"] {
            XCTAssertTrue(obj.keys.contains(k), "missing \(k)")
        }
        XCTAssertTrue(obj["handoff"] is NSNull)
        XCTAssertTrue(obj["source"] is NSNull)
        let rt = obj["request_type"] as! [String: Any]
        XCTAssertNotNil(rt["value"] as? String); XCTAssertNotNil(rt["confidence"] as? Double)
        let topic = obj["topic"] as! [String: Any]
        XCTAssertNotNil(topic["alternatives"] as? [[String: Any]])
        let unit = (obj["units"] as! [[String: Any]])[0]
        XCTAssertNotNil(unit["unit"] as? String); XCTAssertNotNil(unit["score"] as? Double); XCTAssertNotNil(unit["reasons"] as? [String])
        let ev = (obj["evidence"] as! [[String: Any]])[0]
        for k in ["keyword", "start", "end", "score", "channel", "char_start", "char_end"] { XCTAssertTrue(ev.keys.contains(k), k) }
        XCTAssertEqual(obj["model_version"] as? String, "toy-1")
        // Round trip.
        XCTAssertEqual(try TicketDraft.decode(Data(d.json().utf8)).topic.value, d.topic.value)
    }
}

final class ScorerTests: XCTestCase {
    func testUnitMatchingConventions() {
        let p = LabelledCall.Place(district: "市北区", street: "湖岛街道")
        XCTAssertTrue(TriageScorer.matches("RLGS", "RLGS", place: nil))
        XCTAssertTrue(TriageScorer.matches("STREET:湖岛街道", "STREET", place: p))
        XCTAssertFalse(TriageScorer.matches("STREET:台东街道", "STREET", place: p))
        XCTAssertTrue(TriageScorer.matches("STREET:台东街道", "STREET", place: nil))
        XCTAssertFalse(TriageScorer.matches("STREET", "STREET", place: p))
        XCTAssertTrue(TriageScorer.matches("STREET", "STREET", place: nil))
        XCTAssertTrue(TriageScorer.matches("DISTRICT:市北区", "DISTRICT", place: p))
        XCTAssertFalse(TriageScorer.matches("CGJ", "STREET", place: nil))
    }

    func testCountsTopOneTopThreeAndHandoffs() {
        let e = Shared.toyEngine
        var c = TriageScorer.Counts()
        let s = TriageScorer()
        s.add(e.draft(TriageInput(id: "1", transcript: "暖气坏了")), .init(type: "complain", topic: "heating", units: ["CGJ", "RLGS"], handoff: nil), into: &c)
        s.add(e.draft(TriageInput(id: "2", transcript: "楼下着火了")), .init(type: "help", topic: "fire_hazard", units: ["XFZD"], handoff: "FIRE"), into: &c)
        s.add(e.draft(TriageInput(id: "3", transcript: "停电了")), .init(type: "complain", topic: "power_supply", units: ["GDGS"], handoff: "AMBULANCE"), into: &c)
        XCTAssertEqual(c.routed, 3)
        XCTAssertEqual(c.top1Strict, 2)      // call 1: RLGS first, reference is CGJ
        XCTAssertEqual(c.top1Lenient, 3)
        XCTAssertEqual(c.top3, 3)
        XCTAssertEqual(c.handoffRecall, 0.5)
        XCTAssertEqual(c.handoffPrecision, 1)
    }
}
