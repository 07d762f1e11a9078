import Foundation
import XCTest
@testable import Bench
@testable import Spotting
@testable import Triage

/// Every bench metric on small cases computed by hand.
final class BenchMetricsTests: XCTestCase {
    func testTermWeightedValue() {
        // A: 2 references, 1 found, 1 false alarm; B: 1 of 1, none; C: no references (not a term).
        let v = KWSMetrics.twv([(2, 1, 1), (1, 1, 0), (0, 0, 3)], seconds: 3600)
        // 1 − ((0.5 + 999.9 / 3598) + 0) / 2
        XCTAssertEqual(v!, 0.6110478043357421, accuracy: 1e-12)
        XCTAssertNil(KWSMetrics.twv([(0, 0, 5)], seconds: 3600), "no term with references")
        XCTAssertEqual(KWSMetrics.twv([(4, 4, 0)], seconds: 100)!, 1, accuracy: 1e-12)
    }

    func testKeywordMetricsAndCurve() {
        let open = [KWSScorer.Outcome(referenceScores: [("暖气", 0.9), ("暖气", 0.3), ("拖欠工资", 0)],
                                      falseAlarmScores: [("噪音", 0.6), ("暖气", 0.25)])]
        let operating = [KWSScorer.Outcome(referenceScores: [("暖气", 0.9), ("暖气", 0), ("拖欠工资", 0)],
                                           falseAlarmScores: [("噪音", 0.6)])]
        let m = KWSMetrics.compute(open: open, operating: operating, seconds: 7200, thresholds: [0.2, 0.5, 0.95])
        XCTAssertEqual(m.references, 3)
        XCTAssertEqual(m.hits, 1)
        XCTAssertEqual(m.recall, 1.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.falseAlarms, 1)
        XCTAssertEqual(m.falseAlarmsPerHour, 0.5, accuracy: 1e-12)
        XCTAssertEqual(m.audioHours, 2, accuracy: 1e-12)
        XCTAssertEqual(m.curve.map(\.hits), [2, 1, 0])
        XCTAssertEqual(m.curve.map(\.falseAlarms), [2, 1, 0])
        XCTAssertEqual(m.curve.map(\.falseAlarmsPerHour), [1, 0.5, 0])
        XCTAssertEqual(m.curve[0].recall, 2.0 / 3, accuracy: 1e-12)
        XCTAssertEqual(m.curve[2].missProbability, 1, accuracy: 1e-12)
        // ATWV: 暖气 P_miss 0.5, 拖欠工资 P_miss 1, no false alarms on either → 1 − 1.5 / 2.
        XCTAssertEqual(m.atwv!, 0.25, accuracy: 1e-12)
        // Curve at 0.2: 暖气 P_miss 0 with 1 FA over 7198 s, 拖欠工资 P_miss 1.
        XCTAssertEqual(m.curve[0].twv!, 1 - (999.9 / 7198 + 1) / 2, accuracy: 1e-12)
        // At 0.5: 暖气 P_miss 0.5, no false alarm; 拖欠工资 P_miss 1 → 0.25. The best is 0.2.
        XCTAssertEqual(m.curve[1].twv!, 0.25, accuracy: 1e-12)
        XCTAssertEqual(m.mtwvThreshold, 0.2)
        XCTAssertEqual(m.mtwv!, 1 - (999.9 / 7198 + 1) / 2, accuracy: 1e-12)
        let lines = Dictionary(uniqueKeysWithValues: m.perKeyword.map { ($0.keyword, $0) })
        XCTAssertEqual(lines["暖气"], .init(keyword: "暖气", references: 2, hits: 1, falseAlarms: 0, recall: 0.5))
        XCTAssertEqual(lines["拖欠工资"], .init(keyword: "拖欠工资", references: 1, hits: 0, falseAlarms: 0, recall: 0))
        XCTAssertEqual(lines["噪音"], .init(keyword: "噪音", references: 0, hits: 0, falseAlarms: 1, recall: nil))
        XCTAssertEqual(m.perKeyword.first?.keyword, "暖气", "most referenced first")
    }

    func testHitsMatchByCentreWithinHalfASecond() {
        let refs = [KWSScorer.Reference(text: "暖气不热", start: 10, end: 11)]
        func hit(_ k: String, _ s: Double, _ e: Double, _ score: Double) -> KeywordHit {
            KeywordHit(keyword: k, start: s, end: e, score: score, channel: "caller")
        }
        let o = KWSScorer.score(hits: [hit("暖气不热", 11.2, 11.8, 0.7),   // centre 11.5: inside +0.5 → correct
                                       hit("暖气不热", 11.4, 11.8, 0.9),   // centre 11.6: outside → false alarm
                                       hit("暖气", 10.0, 10.4, 0.8)],      // inside a longer reference: ignored
                                references: refs)
        XCTAssertEqual(o.referenceScores.map(\.1), [0.7])
        XCTAssertEqual(o.falseAlarmScores.map(\.0), ["暖气不热"])
        XCTAssertEqual(o.falseAlarmScores.map(\.1), [0.9])
    }

    static func draft(_ id: String, units: [String], type: String = "complain", handoff: String? = nil) -> TicketDraft {
        let c = TicketDraft.Classified(value: "heating", name: nil, confidence: 0.9, alternatives: [], evidence: [], reasons: [])
        let t = TicketDraft.Classified(value: type, name: nil, confidence: 0.9, alternatives: [], evidence: [], reasons: [])
        return TicketDraft(id: id, source: nil, requestType: t, topic: c, timeLimit: "1d", handoff: handoff, outOfScope: false, place: nil,
                           units: units.map { .init(unit: $0, name: $0, score: 0.5, reasons: [], evidence: []) }, summary: "",
                           evidence: [], flags: [], explain: [:], modelVersion: "t")
    }

    func testRoutingHandoffsAndConfusion() {
        let pairs: [(draft: TicketDraft, labels: LabelledCall.Labels)] = [
            (Self.draft("1", units: ["RLGS", "CGJ"]), .init(type: "complain", units: ["RLGS"])),
            (Self.draft("2", units: ["CGJ", "RLGS"], handoff: "FIRE"), .init(type: "help", units: ["RLGS", "CGJ"], handoff: "FIRE")),
            (Self.draft("3", units: ["STREET:湖岛街道", "CGJ"], handoff: "POLICE"),
             .init(type: "complain", units: ["STREET"], place: .init(district: "市北区", street: "湖岛街道"))),
            (Self.draft("4", units: ["ZFJ", "SWJ", "JTJ"]), .init(type: "complain", units: ["GAJ"], handoff: "POLICE")),
        ]
        let m = TriageMetrics.compute(pairs)
        XCTAssertEqual(m.calls, 4)
        XCTAssertEqual(m.routed, 4)
        XCTAssertEqual(m.top1Strict, 0.5)
        XCTAssertEqual(m.top1Lenient, 0.75)
        XCTAssertEqual(m.top3, 0.75)
        XCTAssertEqual(m.requestType, 0.75)
        XCTAssertEqual(m.handoffRecall, 0.5)
        XCTAssertEqual(m.handoffPrecision, 0.5)
        XCTAssertEqual(m.handoffs, [
            .init(handoff: "FIRE", labelled: 1, predicted: 1, correct: 1, recall: 1, precision: 1),
            .init(handoff: "POLICE", labelled: 1, predicted: 1, correct: 0, recall: 0, precision: 0),
        ])
        XCTAssertEqual(m.unitConfusion, [
            .init(reference: "GAJ", suggested: "ZFJ", count: 1),
            .init(reference: "RLGS", suggested: "CGJ", count: 1),
            .init(reference: "RLGS", suggested: "RLGS", count: 1),
            .init(reference: "STREET", suggested: "STREET", count: 1),
        ])
        // A street office for the wrong street is not the STREET label.
        let wrong = TriageMetrics.compute([(Self.draft("5", units: ["STREET:台东街道"]), .init(units: ["STREET"], place: .init(street: "湖岛街道")))])
        XCTAssertEqual(wrong.top1Strict, 0)
        XCTAssertEqual(wrong.unitConfusion, [.init(reference: "STREET", suggested: "STREET:台东街道", count: 1)])
    }

    func testCompareListsHeadlineAndOtherDifferences() throws {
        let a = Data(#"{"ok": true, "text": {"top1_strict": 0.8, "top3": 1}, "kws": {"recall": 0.5, "per_keyword": [{"keyword": "暖气", "hits": 3}]}, "speed": {"x_real_time": 300}, "calls": 10}"#.utf8)
        let b = Data(#"{"ok": false, "text": {"top1_strict": 0.85, "top3": 1}, "kws": {"recall": 0.5, "per_keyword": [{"keyword": "暖气", "hits": 4}]}, "speed": {"x_real_time": 310, "workers": 2}, "calls": 10}"#.utf8)
        let c = try BenchReport.compare(a, b)
        XCTAssertEqual(c.headline.map(\.key), ["text.top1_strict", "text.top3", "kws.recall", "speed.x_real_time"])
        XCTAssertEqual(c.headline[0].a, 0.8)
        XCTAssertEqual(c.headline[0].b, 0.85)
        XCTAssertEqual(c.other, [.init(key: "kws.per_keyword[暖气].hits", a: 3, b: 4)], "timings are left out unless asked")
        let all = try BenchReport.compare(a, b, all: true)
        XCTAssertEqual(all.other.map(\.key), ["kws.per_keyword[暖气].hits", "speed.workers"])
        let text = BenchReport.formatComparison(c, nameA: "a.json", nameB: "b.json")
        XCTAssertTrue(text.contains("| text.top1_strict | 0.8000 | 0.8500 | +0.0500 |"), text)
        XCTAssertTrue(text.contains("| text.top3 | 1.0000 | 1.0000 | = |"), text)
        XCTAssertTrue(text.contains("kws.per_keyword[暖气].hits: 3.0000 → 4.0000"), text)
    }

    func testReportJSONSummaryAndHTML() throws {
        let open = [KWSScorer.Outcome(referenceScores: [("<b>暖气</b>", 0.9)], falseAlarmScores: [("噪音", 0.6)])]
        var results = [BenchRunner.CallResult(id: "c1", labels: .init(type: "complain", units: ["RLGS"]))]
        results[0].audioSeconds = 1800
        results[0].textDraft = Self.draft("c1", units: ["RLGS"])
        results[0].audioDraft = Self.draft("c1", units: ["CGJ"])
        results[0].open = open[0]
        results[0].operating = open[0]
        results[0].times.spotting = 2
        results[0].times.decodeAnalysis = 1
        let r = BenchReport.make(results: results, manifest: "m.jsonl", versions: .init(triage: "t1", acoustic: "a1", keywords: "k"),
                                 keywords: 1, thresholds: [0.5], wallSeconds: 3, workers: 1, peakRSSBytes: 50 << 20)
        XCTAssertEqual(r.text?.top1Strict, 1)
        XCTAssertEqual(r.audio?.top1Strict, 0)
        XCTAssertEqual(r.kws?.falseAlarmsPerHour, 2)
        XCTAssertEqual(r.speed.stageXRealTime.spotting, 900)
        XCTAssertEqual(r.speed.stageXRealTime.decodeAnalysis, 1800)
        XCTAssertEqual(r.speed.xRealTime, 600)
        let json = try JSONSerialization.jsonObject(with: r.json()) as! [String: Any]
        XCTAssertEqual((json["text"] as? [String: Any])?["top1_strict"] as? Double, 1)
        XCTAssertEqual((json["speed"] as? [String: Any])?["peak_rss_bytes"] as? Int, 50 << 20)
        XCTAssertEqual(((json["audio"] as? [String: Any])?["unit_confusion"] as? [[String: Any]])?.first?["suggested"] as? String, "CGJ")
        XCTAssertEqual(json["format"] as? String, BenchReport.format)
        let table = r.summaryTable()
        XCTAssertTrue(table.contains("| routing top-1 strict | 100.0 % | 0.0 % |"), table)
        XCTAssertTrue(table.contains("recall 100.0 % at 2.00 false alarms/h"), table)
        let html = HTMLReport.render(r)
        XCTAssertTrue(html.contains("aria-label=\"DET curve\""))
        XCTAssertTrue(html.contains("aria-label=\"unit confusion\""))
        XCTAssertTrue(html.contains("aria-label=\"time per stage\""))
        XCTAssertTrue(html.contains("&lt;b&gt;暖气&lt;/b&gt;"))
        XCTAssertFalse(html.contains("<b>暖气</b>"), "keywords are escaped")
        XCTAssertFalse(html.contains("<script"), "self-contained, no script")
    }
}
