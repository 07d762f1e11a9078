import Foundation
import GRDB
import TestSupport
import XCTest
@testable import Batch
@testable import Store
@testable import Triage

final class StoreTests: XCTestCase {
    func tmpDB() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID().uuidString).sqlite").path }

    func draft(_ id: String) -> TicketDraft {
        let c = TicketDraft.Classified(value: "heating", name: "供暖", confidence: 0.9, alternatives: [], evidence: ["e1"], reasons: [])
        return TicketDraft(id: id, source: nil, requestType: c, topic: c, timeLimit: "1d", handoff: nil, outOfScope: false, place: nil,
                           units: [.init(unit: "RLGS", name: "市热力公司", score: 0.8, reasons: ["r"], evidence: ["e1"])], summary: "s",
                           evidence: [.init(id: "e1", kind: "keyword", keyword: "暖气", category: "topic", start: 1, end: 2, charStart: nil,
                                            charEnd: nil, score: 0.9, channel: "caller", note: nil)],
                           flags: [], explain: [:], modelVersion: "t")
    }

    func testOneCallIsStoredOnceWithItsEvidence() throws {
        let path = tmpDB()
        let s = try Store(path: path)
        let rec = Store.RecordingRow(sha256: "aa", path: "/x.wav", kind: "audio", duration: 3)
        XCTAssertTrue(try s.store(recording: rec, quality: [], draft: draft("x"), runId: nil))
        XCTAssertFalse(try s.store(recording: rec, quality: [], draft: draft("x-renamed"), runId: nil), "same content, second time ignored")
        XCTAssertEqual(try s.counts().drafts, 1)
        let n = try s.pool.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM evidence") }
        XCTAssertEqual(n, 1)
        XCTAssertEqual(try s.drafts().first?.status, "draft")
        // Reopening migrates nothing and keeps the data; the journal is WAL.
        let again = try Store(path: path)
        XCTAssertEqual(try again.counts().drafts, 1)
        let mode = try again.pool.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
        XCTAssertEqual(mode, "wal")
    }

    func testMigrationsAreRecorded() throws {
        let s = try Store(path: tmpDB())
        let applied = try s.pool.read { try Store.migrator.appliedMigrations($0) }
        XCTAssertEqual(applied, ["v1: runs, recordings, drafts, evidence, quality, failures"])
        XCTAssertTrue(try s.pool.read { try Store.migrator.hasCompletedMigrations($0) })
    }

    func testShardsPartitionFingerprints() {
        var seen: [Int: Int] = [:]
        for i in 0..<600 {
            let sha = Fingerprint_hex(i)
            let k = BatchRunner.shard(of: sha, n: 3)
            XCTAssertTrue((1...3).contains(k))
            seen[k, default: 0] += 1
        }
        XCTAssertEqual(seen.values.reduce(0, +), 600)
        for k in 1...3 { XCTAssertGreaterThan(seen[k] ?? 0, 150, "shards are roughly even") }
    }

    func testDiscoveryFindsAudioRecursivelyWithSidecars() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("disc-\(UUID())")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for f in ["a.wav", "sub/b.flac", "sub/c.txt", "notes.md"] { FileManager.default.createFile(atPath: dir.appendingPathComponent(f).path, contents: Data()) }
        try "暖气不热".write(to: dir.appendingPathComponent("a.wav.txt"), atomically: true, encoding: .utf8)
        let (items, missing) = BatchRunner.discover([dir.path, "/no/such/dir"])
        XCTAssertEqual(items.map(\.id), ["a", "b"])
        XCTAssertEqual(items[0].transcript, "暖气不热")
        XCTAssertNil(items[1].transcript)
        XCTAssertEqual(missing, ["/no/such/dir"])
    }
}

/// A deterministic 64-hex-digit string for shard tests.
func Fingerprint_hex(_ i: Int) -> String {
    var x = UInt64(i) &* 0x9E37_79B9_7F4A_7C15 ^ 0xD1B5_4A32_D192_ED03
    var s = ""
    for _ in 0..<4 { x = x &* 6364136223846793005 &+ 1442695040888963407; s += String(format: "%016llx", x) }
    return s
}
