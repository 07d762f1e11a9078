import Foundation
import TestSupport
import XCTest

/// The batch with real processes: idempotence, skip by content, shards, kill -9 and rerun,
/// two runs at once on one store, export.
final class RunCLITests: XCTestCase {
    var dir: URL!

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("calls"), withIntermediateDirectories: true)
    }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// `n` distinct 1.5 s recordings (different tones + noise seeds), plus one truncated file.
    func makeCalls(_ n: Int) throws {
        var seed: UInt64 = 7
        for i in 0..<n {
            var s = [Float](repeating: 0, count: 12000)
            let f = 300 + Float(i) * 7
            for t in s.indices {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                s[t] = 0.2 * sinf(2 * .pi * f * Float(t) / 8000) + 0.01 * (Float(seed >> 40) / Float(1 << 24) - 0.5)
            }
            try TestWAV.write(path: dir.appendingPathComponent("calls/c\(String(format: "%03d", i)).wav").path, rate: 8000, channels: 1, samples: s)
        }
        let bad = try XCTUnwrap(Fixtures.entry("truncated.wav")?.path)
        try FileManager.default.copyItem(atPath: bad, toPath: dir.appendingPathComponent("calls/zz_truncated.wav").path)
    }

    func count(_ db: String, _ sql: String) throws -> Int {
        let r = try CLIRunner.run(["export", "--db", db, "--format", "csv"])
        XCTAssertEqual(r.status, 0, r.stderr)
        _ = sql
        return r.stdout.split(separator: "\n").count - 1
    }

    func run(_ args: [String]) throws -> CLIRunner.Result { try CLIRunner.run(["run", "--quiet"] + args) }

    func testRerunSkipsAndRenamedContentIsSkipped() throws {
        try makeCalls(6)
        let db = dir.appendingPathComponent("s.sqlite").path
        let r1 = try run([dir.appendingPathComponent("calls").path, "--db", db])
        XCTAssertEqual(r1.status, 1, "one file is broken")
        XCTAssertTrue(r1.stdout.contains("drafted   6"), r1.stdout)
        XCTAssertTrue(r1.stdout.contains("failed    1 (truncated 1)"), r1.stdout)
        try FileManager.default.copyItem(atPath: dir.appendingPathComponent("calls/c000.wav").path,
                                         toPath: dir.appendingPathComponent("calls/renamed.wav").path)
        let r2 = try run([dir.appendingPathComponent("calls").path, "--db", db])
        XCTAssertTrue(r2.stdout.contains("drafted   0"), r2.stdout)
        XCTAssertTrue(r2.stdout.contains("skipped   7"), r2.stdout)
        XCTAssertEqual(try count(db, ""), 6)
    }

    func testShardsCoverEverythingOnce() throws {
        try makeCalls(9)
        var total = 0
        var ids: [String] = []
        for k in 1...3 {
            let db = dir.appendingPathComponent("s\(k).sqlite").path
            _ = try run([dir.appendingPathComponent("calls").path, "--db", db, "--shard", "\(k)/3"])
            let r = try CLIRunner.run(["export", "--db", db, "--format", "csv"])
            let rows = r.stdout.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[1] }
            total += rows.count
            ids += rows.map(String.init)
        }
        XCTAssertEqual(total, 9)
        XCTAssertEqual(Set(ids).count, 9, "no call in two shards")
    }

    func testKillNineAtRandomPointsThenRerunDraftsEachCallOnce() throws {
        let n = 200
        try makeCalls(n)
        let db = dir.appendingPathComponent("k.sqlite").path
        var rng = SystemRandomNumberGenerator()
        var stored: [Int] = []
        for _ in 0..<3 {
            let p = Process()
            p.executableURL = CLIRunner.binary
            p.arguments = ["run", "--quiet", dir.appendingPathComponent("calls").path, "--db", db, "--workers", "2"]
            p.standardOutput = FileHandle.nullDevice; p.standardError = FileHandle.nullDevice
            try p.run()
            // Kill at a random point after this run has stored something new (start-up time
            // varies a lot with machine load, so a fixed window from launch can miss the batch).
            let before = FileManager.default.fileExists(atPath: db) ? ((try? count(db, "")) ?? 0) : 0
            let deadline = Date().addingTimeInterval(60)
            while p.isRunning && Date() < deadline {
                if FileManager.default.fileExists(atPath: db), let c = try? count(db, ""), c > before { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            Thread.sleep(forTimeInterval: Double.random(in: 0.0...1.5, using: &rng))
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            stored.append(FileManager.default.fileExists(atPath: db) ? try count(db, "") : 0)
        }
        XCTAssertTrue(stored.contains { $0 > 0 && $0 < n }, "at least one kill landed mid-batch: \(stored)")
        XCTAssertEqual(stored, stored.sorted(), "nothing already stored is lost: \(stored)")
        let r = try run([dir.appendingPathComponent("calls").path, "--db", db])
        XCTAssertEqual(r.status, 1, r.stderr)
        let last = stored.last ?? 0
        XCTAssertTrue(r.stdout.contains("drafted   \(n - last)\n"), "the rerun drafts exactly what was missing: \(r.stdout)")
        XCTAssertTrue(r.stdout.contains("skipped   \(last) "), r.stdout)
        XCTAssertTrue(r.stdout.contains("failed    1 (truncated 1)"), r.stdout)
        let rows = try CLIRunner.run(["export", "--db", db, "--format", "csv"]).stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, n, "every good call drafted")
        XCTAssertEqual(Set(rows.map { $0.split(separator: ",")[1] }).count, n, "none twice")
        // A further rerun changes nothing.
        let again = try run([dir.appendingPathComponent("calls").path, "--db", db])
        XCTAssertTrue(again.stdout.contains("drafted   0\n"), again.stdout)
        XCTAssertEqual(try count(db, ""), n)
    }

    func testTwoRunsAtOnceOnOneStore() throws {
        try makeCalls(30)
        let db = dir.appendingPathComponent("c.sqlite").path
        var procs: [Process] = []
        let errs = [Pipe(), Pipe()]
        for i in 0..<2 {
            let p = Process()
            p.executableURL = CLIRunner.binary
            p.arguments = ["run", "--quiet", dir.appendingPathComponent("calls").path, "--db", db, "--workers", "1"]
            p.standardOutput = FileHandle.nullDevice; p.standardError = errs[i]
            try p.run()
            procs.append(p)
        }
        for (i, p) in procs.enumerated() {
            let err = String(decoding: errs[i].fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            XCTAssertEqual(p.terminationStatus, 1, "only the broken file fails: \(err)")
            XCTAssertFalse(err.contains("locked"), err)
        }
        let rows = try CLIRunner.run(["export", "--db", db, "--format", "csv"]).stdout.split(separator: "\n").dropFirst()
        XCTAssertEqual(rows.count, 30)
        XCTAssertEqual(Set(rows.map { $0.split(separator: ",")[1] }).count, 30)
    }

    func testManifestTranscriptsAndJSONLExport() throws {
        let m = dir.appendingPathComponent("m.jsonl")
        try """
        {"id": "w1", "transcript": "小区垃圾好几天没人清运，臭得很"}
        {"id": "w2", "transcript": "我想问一下公积金怎么提取？"}

        """.write(to: m, atomically: true, encoding: .utf8)
        let db = dir.appendingPathComponent("m.sqlite").path
        let r = try run(["--manifest", m.path, "--db", db])
        XCTAssertEqual(r.status, 0, r.stderr + r.stdout)
        let e = try CLIRunner.run(["export", "--db", db])
        // Workers finish in any order: sort by call id.
        let drafts = e.stdout.split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
            .sorted { ($0["id"] as? String ?? "") < ($1["id"] as? String ?? "") }
        XCTAssertEqual(drafts.map { $0["id"] as? String }, ["w1", "w2"])
        XCTAssertEqual(drafts[0]["status"] as? String, "draft")
        XCTAssertEqual((drafts[1]["topic"] as? [String: Any])?["value"] as? String, "housing_fund")
        XCTAssertEqual(try CLIRunner.run(["export", "--db", db, "--status", "approved"]).stdout, "")
    }
}
