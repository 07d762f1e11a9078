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
        XCTAssertEqual(applied, ["v1: runs, recordings, drafts, evidence, quality, failures", "v2: review decisions, revisions, final fields"])
        XCTAssertTrue(try s.pool.read { try Store.migrator.hasCompletedMigrations($0) })
    }

    /// A store written by the first release (schema v1 only) opens, migrates to the current
    /// schema, keeps every draft, and gets review priorities computed from the old columns.
    func testMigrationFromTheV1Schema() throws {
        let path = tmpDB()
        do {
            let old = try DatabasePool(path: path)
            try Store.migrator.migrate(old, upTo: "v1: runs, recordings, drafts, evidence, quality, failures")
            try old.write { db in
                for (i, (flags, handoff)) in [("", nil), ("low_confidence", nil), ("ambiguous,audio:caller:low_snr", nil), ("handoff", "FIRE"), ("audio:agent:clipping", nil)].enumerated() {
                    try db.execute(sql: "INSERT INTO recordings (sha256, path, kind, created_at) VALUES (?, ?, 'text', '2026-11-01T00:00:00Z')",
                                   arguments: ["s\(i)", "p\(i)"])
                    try db.execute(sql: """
                        INSERT INTO drafts (sha256, call_id, topic, unit, handoff, flags, summary, draft_json, created_at)
                        VALUES (?, ?, 'heating', 'RLGS', ?, ?, 's', ?, '2026-11-01T00:00:00Z')
                        """, arguments: ["s\(i)", "c\(i)", handoff, flags, draft("c\(i)").json()])
                }
            }
            let applied = try old.read { try Store.migrator.appliedMigrations($0) }
            XCTAssertEqual(applied.count, 1)
        }
        let s = try Store(path: path)
        let applied = try s.pool.read { try Store.migrator.appliedMigrations($0) }
        XCTAssertEqual(applied.count, 2)
        XCTAssertEqual(try s.counts().drafts, 5)
        let rows = try s.pool.read { try Row.fetchAll($0, sql: "SELECT call_id, priority, revision, status FROM drafts ORDER BY id") }
        XCTAssertEqual(rows.map { $0["priority"] as Int }, [4, 1, 2, 0, 3])
        XCTAssertEqual(rows.map { $0["revision"] as Int }, [0, 0, 0, 0, 0])
        // Queue order and review work on the migrated store.
        let (queue, total) = try s.queue(Store.QueueFilter())
        XCTAssertEqual(total, 5)
        XCTAssertEqual(queue.map(\.callId), ["c3", "c1", "c2", "c4", "c0"])
        let item = try XCTUnwrap(try s.reviewItem(id: 1))
        guard case .saved(let rev) = try s.decide(draftId: 1, baseRevision: 0, reviewer: "r", action: .approve, corrected: item.current, changes: []) else {
            return XCTFail("approve on a migrated store")
        }
        XCTAssertEqual(rev, 1)
        // New drafts get their priority when stored.
        var d = draft("new")
        d.flags = ["ambiguous"]
        try s.store(recording: .init(sha256: "n", path: "n", kind: "text"), quality: [], draft: d, runId: nil)
        XCTAssertEqual(try s.pool.read { try Int.fetchOne($0, sql: "SELECT priority FROM drafts WHERE call_id = 'new'") }, 2)
        // A hand-off cue the classifier overruled is reviewed with the hand-offs, first.
        var check = draft("check")
        check.flags = ["low_confidence", "handoff_check"]
        XCTAssertEqual(Store.priority(of: check), 0)
        check.flags = ["low_confidence"]
        XCTAssertEqual(Store.priority(of: check), 1)
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
