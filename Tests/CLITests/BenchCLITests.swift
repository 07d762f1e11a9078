import Foundation
import TestSupport
import XCTest

/// `calltriage bench` end to end on fixture calls: both paths, report files, compare.
final class BenchCLITests: XCTestCase {
    func testBenchWritesReportsAndComparesThem() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let lines = Fixtures.entries.filter { ["call_stereo_ulaw_8k", "call_stereo_pcm16_8k", "call_stereo_agent_left_8k"].contains($0.id) }
            .map { e -> String in
                var o = e.raw
                o["audio"] = Fixtures.dir.appendingPathComponent(o["audio"] as! String).path
                o.removeValue(forKey: "expect")
                return String(decoding: try! JSONSerialization.data(withJSONObject: o), as: UTF8.self)
            } + [#"{"id": "letter1", "transcript": "楼上邻居半夜装修噪音扰民，天天这样", "labels": {"type": "complain", "topic": "residential_noise", "units": ["GAJ"]}}"#]
        XCTAssertEqual(lines.count, 4)
        let manifest = dir.appendingPathComponent("m.jsonl")
        try lines.joined(separator: "\n").write(to: manifest, atomically: true, encoding: .utf8)
        let out = dir.appendingPathComponent("r1")
        let r = try CLIRunner.run(["bench", manifest.path, "--out", out.path, "--quiet", "--workers", "2"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("4 calls (4 with transcripts, 3 with audio"), r.stdout)
        XCTAssertTrue(r.stdout.contains("| routing top-1 strict |"), r.stdout)
        let data = try Data(contentsOf: out.appendingPathComponent("report.json"))
        let j = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(j["calls"] as? Int, 4)
        let kws = try XCTUnwrap(j["kws"] as? [String: Any])
        XCTAssertEqual(kws["references"] as? Int, 3, "one reference keyword per fixture call")
        XCTAssertEqual((j["text"] as? [String: Any])?["calls"] as? Int, 4)
        XCTAssertEqual((j["audio"] as? [String: Any])?["calls"] as? Int, 3)
        XCTAssertNotNil((j["speed"] as? [String: Any])?["stage_seconds"])
        let html = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("<svg"), "plots are inline SVG")
        // A report compared with itself: headline equal, nothing else differs.
        let c = try CLIRunner.run(["bench", "--compare", out.appendingPathComponent("report.json").path, out.appendingPathComponent("report.json").path])
        XCTAssertEqual(c.status, 0, c.stderr)
        XCTAssertTrue(c.stdout.contains("no other differences"), c.stdout)
        XCTAssertTrue(c.stdout.contains("| text.top1_strict |"), c.stdout)
        // A missing manifest is a clear error.
        let bad = try CLIRunner.run(["bench", dir.appendingPathComponent("none.jsonl").path, "--out", out.path])
        XCTAssertEqual(bad.status, 2)
        XCTAssertTrue(bad.stderr.contains("none.jsonl"), bad.stderr)
    }
}
