import Foundation
import TestSupport
import XCTest

/// `calltriage triage` and `model fit-triage` / `evaluate-triage` end to end, with the shipped
/// Models/ (the contract fields, error handling, and a floor under the shipped weights' quality).
final class TriageCLITests: XCTestCase {
    func tmp(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("ct-\(UUID().uuidString)-\(name)")
    }

    func testTextDraftCarriesTheContractFields() throws {
        let r = try CLIRunner.run(["triage", "--text", "我家住在市北区台东街道，这几天暖气一点都不热，我电话13912345678，麻烦让热力公司来看看"])
        XCTAssertEqual(r.status, 0, r.stderr)
        let d = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        for k in ["id", "source", "request_type", "topic", "time_limit", "handoff", "out_of_scope", "place", "units",
                  "summary", "evidence", "flags", "model_version"] { XCTAssertTrue(d.keys.contains(k), k) }
        XCTAssertEqual((d["topic"] as? [String: Any])?["value"] as? String, "heating")
        XCTAssertEqual(((d["units"] as? [[String: Any]])?.first)?["unit"] as? String, "RLGS")
        XCTAssertEqual((d["place"] as? [String: Any])?["street"] as? String, "台东街道")
        let summary = try XCTUnwrap(d["summary"] as? String)
        XCTAssertFalse(summary.contains("13912345678"))
        XCTAssertTrue(d["handoff"] is NSNull)
    }

    func testManifestGoesOnAfterABadLineAndFailsTheRun() throws {
        let m = tmp("m.jsonl")
        defer { try? FileManager.default.removeItem(at: m) }
        try """
        {"id": "a1", "transcript": "楼下着火了，好多烟，快来人"}
        {"id": "broken", "transcript": 
        {"id": "a3", "transcript": "我想问一下公积金怎么提取？"}
        {"id": "a4", "audio": "missing.wav"}

        """.write(to: m, atomically: true, encoding: .utf8)
        let r = try CLIRunner.run(["triage", "--manifest", m.path])
        XCTAssertEqual(r.status, 1)
        let drafts = r.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        XCTAssertEqual(drafts.map { $0["id"] as? String }, ["a1", "a3"])
        XCTAssertEqual(drafts[0]["handoff"] as? String, "FIRE")
        XCTAssertEqual(drafts[0]["time_limit"] as? String, "1h")
        XCTAssertEqual(drafts[1]["time_limit"] as? String, "answer")
        XCTAssertTrue(r.stderr.contains("\(m.path):2:"), r.stderr)            // which line, and why
        XCTAssertTrue(r.stderr.contains("call a4"), r.stderr)                  // which call, and why
        XCTAssertTrue(r.stderr.contains("no such file"), r.stderr)
    }

    func testTextAndManifestAreExclusive() throws {
        let r = try CLIRunner.run(["triage", "--text", "x", "--manifest", "y"])
        XCTAssertNotEqual(r.status, 0)
        XCTAssertTrue(r.stderr.contains("exactly one"), r.stderr)
    }

    /// Fitting on a small labelled set writes a weights file that triage then uses.
    func testFitThenTriageWithTheNewWeights() throws {
        let data = tmp("train.jsonl"), out = tmp("w.tsv")
        defer { try? FileManager.default.removeItem(at: data); try? FileManager.default.removeItem(at: out) }
        var lines: [String] = []
        for i in 0..<12 {
            lines.append(#"{"id": "h\#(i)", "transcript": "家里暖气不热\#(i)度", "labels": {"type": "complain", "topic": "heating", "units": ["RLGS"], "handoff": null}}"#)
            lines.append(#"{"id": "p\#(i)", "transcript": "突然停电了\#(i)个小时", "labels": {"type": "complain", "topic": "power_supply", "units": ["GDGS"], "handoff": null}}"#)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: data, atomically: true, encoding: .utf8)
        let f = try CLIRunner.run(["model", "fit-triage", data.path, "--out", out.path, "--version", "test-9", "--epochs", "30"])
        XCTAssertEqual(f.status, 0, f.stderr)
        let t = try CLIRunner.run(["triage", "--weights", out.path, "--compact", "--text", "又停电了"])
        let d = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(t.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(d["model_version"] as? String, "test-9")
        XCTAssertEqual((d["topic"] as? [String: Any])?["value"] as? String, "power_supply")
    }

    /// `--audio-hits`: hits from `calltriage spot` are matched to the manifest's recordings by
    /// resolved path; a file that matches none of them is refused, so are call ids used twice (hits
    /// are found by id), and `--spot` excludes it.
    func testFitTriageReadsSpottedHitsByPath() throws {
        let dir = tmp("fit-hits")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = dir.appendingPathComponent("calls.jsonl"), out = dir.appendingPathComponent("w.tsv")
        var lines: [String] = []
        for i in 0..<6 {
            lines.append(#"{"id": "h\#(i)", "audio": "audio/h\#(i).wav", "transcript": "暖气不热\#(i)天了", "labels": {"type": "complain", "topic": "heating", "units": ["RLGS"], "handoff": null}}"#)
            lines.append(#"{"id": "p\#(i)", "audio": "audio/p\#(i).wav", "transcript": "突然停电了\#(i)个小时", "labels": {"type": "complain", "topic": "power_supply", "units": ["GDGS"], "handoff": null}}"#)
        }
        try (lines.joined(separator: "\n") + "\n").write(to: data, atomically: true, encoding: .utf8)
        let hits = dir.appendingPathComponent("hits.jsonl")
        // Relative paths are resolved from the working directory, as `spot` printed them.
        try """
        {"file": "\(dir.path)/audio/h0.wav", "channel": "caller", "keyword": "暖气", "start": 1.0, "end": 1.5, "score": 0.95}
        {"file": "\(dir.path)/./audio/p0.wav", "channel": "caller", "keyword": "停电", "start": 2.0, "end": 2.4, "score": 0.91}
        {"file": "\(dir.path)/audio/p0.wav", "channel": "transcript", "keyword": "停电", "start": null, "end": null, "score": 1.0}
        not json

        """.write(to: hits, atomically: true, encoding: .utf8)
        let f = try CLIRunner.run(["model", "fit-triage", data.path, "--audio-hits", hits.path, "--out", out.path, "--epochs", "2"])
        XCTAssertEqual(f.status, 0, f.stderr)
        XCTAssertTrue(f.stderr.contains("hits for 2 of 12 recordings"), f.stderr)
        XCTAssertTrue(f.stderr.contains("hits.jsonl:4: not a spot hit line"), f.stderr)

        let other = dir.appendingPathComponent("other.jsonl")
        try #"{"file": "/elsewhere/x.wav", "channel": "caller", "keyword": "暖气", "start": 1.0, "end": 1.5, "score": 0.95}"#
            .write(to: other, atomically: true, encoding: .utf8)
        let g = try CLIRunner.run(["model", "fit-triage", data.path, "--audio-hits", other.path, "--out", out.path, "--epochs", "1"])
        XCTAssertEqual(g.status, 2)
        XCTAssertTrue(g.stderr.contains("no recording of the manifests appears in"), g.stderr)

        let twice = try CLIRunner.run(["model", "fit-triage", data.path, data.path, "--audio-hits", hits.path, "--out", out.path, "--epochs", "1"])
        XCTAssertEqual(twice.status, 2)
        XCTAssertTrue(twice.stderr.contains("call ids used more than once across the manifests (h0, p0"), twice.stderr)

        let both = try CLIRunner.run(["model", "fit-triage", data.path, "--spot", "--audio-hits", hits.path, "--out", out.path])
        XCTAssertNotEqual(both.status, 0)
        XCTAssertTrue(both.stderr.contains("exclude each other"), both.stderr)
    }

    /// The shipped weights on the committed held-out calls (written apart from all training data):
    /// a floor well under the measured figures (BENCHMARKS.md), so a broken refit cannot land.
    func testShippedWeightsOnHeldOutCalls() throws {
        let heldout = Fixtures.root.appendingPathComponent("tools/triage/data/heldout_calls.jsonl").path
        let r = try CLIRunner.run(["model", "evaluate-triage", heldout])
        XCTAssertEqual(r.status, 0, r.stderr)
        func pct(_ label: String) throws -> Double {
            let line = try XCTUnwrap(r.stdout.split(separator: "\n").first { $0.contains(label) }, label)
            let num = line.split(separator: "%")[0].split(separator: " ").last!
            return try XCTUnwrap(Double(num))
        }
        XCTAssertGreaterThanOrEqual(try pct("unit top-1 lenient"), 85)
        XCTAssertGreaterThanOrEqual(try pct("unit top-3"), 94)
        XCTAssertGreaterThanOrEqual(try pct("request type"), 78)
        XCTAssertGreaterThanOrEqual(try pct("hand-off recall"), 92)
    }
}
