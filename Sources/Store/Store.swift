import Foundation
import GRDB
import Triage

/// The embedded store: SQLite through GRDB, WAL mode, versioned migrations.
///
/// One call = one transaction (recording, quality, draft, evidence), keyed by the content's
/// SHA-256, which is UNIQUE: a crash never leaves half a draft, and two processes that draft the
/// same file at once store it once (the second insert is ignored).
public final class Store: @unchecked Sendable {
    public let pool: DatabasePool
    public let path: String

    /// Opens (creating if needed) and migrates. Several processes may open the same file: writers
    /// wait for each other (busy timeout) instead of failing with "database is locked".
    public init(path: String, busyTimeout: TimeInterval = 120) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        pool = try Store.open(path: path, configuration: config)
    }

    /// Two processes may race to create a fresh file: switching it to WAL can fail with "database
    /// is locked" without waiting for the busy timeout (SQLite does not call the busy handler
    /// there), and both may try to migrate it. The loser retries and finds the work done.
    static func open(path: String, configuration: Configuration) throws -> DatabasePool {
        var attempt = 0
        while true {
            do {
                let pool = try DatabasePool(path: path, configuration: configuration)
                try Store.migrator.migrate(pool)
                return pool
            } catch {
                attempt += 1
                if attempt >= 10 { throw error }
                Thread.sleep(forTimeInterval: 0.1 * Double(attempt))
            }
        }
    }

    public static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1: runs, recordings, drafts, evidence, quality, failures") { db in
            try db.execute(sql: """
                CREATE TABLE runs (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    started_at TEXT NOT NULL, finished_at TEXT, status TEXT NOT NULL DEFAULT 'running',
                    host TEXT, pid INTEGER, args TEXT, shard TEXT, workers INTEGER,
                    processed INTEGER NOT NULL DEFAULT 0, skipped INTEGER NOT NULL DEFAULT 0,
                    failed INTEGER NOT NULL DEFAULT 0, audio_seconds REAL NOT NULL DEFAULT 0,
                    wall_seconds REAL, model_versions TEXT);
                CREATE TABLE recordings (
                    sha256 TEXT PRIMARY KEY NOT NULL, path TEXT NOT NULL, kind TEXT NOT NULL,
                    container TEXT, encoding TEXT, sample_rate INTEGER, channels INTEGER, duration REAL,
                    file_bytes INTEGER, flags TEXT, created_at TEXT NOT NULL, run_id INTEGER REFERENCES runs(id));
                CREATE TABLE drafts (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    sha256 TEXT NOT NULL UNIQUE REFERENCES recordings(sha256),
                    call_id TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'draft',
                    request_type TEXT, topic TEXT, topic_confidence REAL, unit TEXT, handoff TEXT,
                    time_limit TEXT, out_of_scope INTEGER NOT NULL DEFAULT 0, flags TEXT, summary TEXT,
                    draft_json TEXT NOT NULL, model_version TEXT, created_at TEXT NOT NULL,
                    run_id INTEGER REFERENCES runs(id));
                CREATE INDEX drafts_status ON drafts(status);
                CREATE TABLE evidence (
                    draft_id INTEGER NOT NULL REFERENCES drafts(id) ON DELETE CASCADE,
                    eid TEXT NOT NULL, kind TEXT NOT NULL, keyword TEXT NOT NULL, category TEXT,
                    start REAL, "end" REAL, char_start INTEGER, char_end INTEGER, score REAL, channel TEXT,
                    PRIMARY KEY (draft_id, eid));
                CREATE TABLE quality (
                    sha256 TEXT NOT NULL REFERENCES recordings(sha256), channel INTEGER NOT NULL, role TEXT,
                    snr_db REAL, speech_dbfs REAL, noise_dbfs REAL, clipping_ratio REAL, silence_ratio REAL,
                    bandwidth_hz REAL, speech_seconds REAL, digits TEXT, flags TEXT,
                    PRIMARY KEY (sha256, channel));
                CREATE TABLE failures (
                    id INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER REFERENCES runs(id),
                    path TEXT NOT NULL, sha256 TEXT, kind TEXT NOT NULL, message TEXT NOT NULL, at TEXT NOT NULL);
                CREATE INDEX failures_run ON failures(run_id);
                """)
        }
        registerReviewMigration(&m)
        return m
    }

    static func now() -> String { ISO8601DateFormatter().string(from: Date()) }

    // MARK: - Runs

    public func startRun(args: String, shard: String?, workers: Int, modelVersions: String) throws -> Int64 {
        try pool.write { db in
            try db.execute(sql: """
                INSERT INTO runs (started_at, host, pid, args, shard, workers, model_versions) VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [Store.now(), ProcessInfo.processInfo.hostName, Int(ProcessInfo.processInfo.processIdentifier),
                                 args, shard, workers, modelVersions])
            return db.lastInsertedRowID
        }
    }

    public func finishRun(_ id: Int64, processed: Int, skipped: Int, failed: Int, audioSeconds: Double, wallSeconds: Double) throws {
        try pool.write { db in
            try db.execute(sql: """
                UPDATE runs SET finished_at = ?, status = 'finished', processed = ?, skipped = ?, failed = ?,
                audio_seconds = ?, wall_seconds = ? WHERE id = ?
                """, arguments: [Store.now(), processed, skipped, failed, audioSeconds, wallSeconds, id])
        }
    }

    // MARK: - Calls

    /// Content fingerprints already drafted.
    public func draftedFingerprints() throws -> Set<String> {
        try pool.read { db in Set(try String.fetchAll(db, sql: "SELECT sha256 FROM drafts")) }
    }

    public func hasDraft(sha256: String) throws -> Bool {
        try pool.read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM drafts WHERE sha256 = ?)", arguments: [sha256]) ?? false }
    }

    public struct RecordingRow: Sendable {
        public var sha256: String, path: String, kind: String
        public var container: String?, encoding: String?, sampleRate: Int?, channels: Int?, duration: Double?, fileBytes: Int64?
        public var flags: [String]
        public init(sha256: String, path: String, kind: String, container: String? = nil, encoding: String? = nil,
                    sampleRate: Int? = nil, channels: Int? = nil, duration: Double? = nil, fileBytes: Int64? = nil, flags: [String] = []) {
            self.sha256 = sha256; self.path = path; self.kind = kind; self.container = container; self.encoding = encoding
            self.sampleRate = sampleRate; self.channels = channels; self.duration = duration; self.fileBytes = fileBytes; self.flags = flags
        }
    }

    public struct QualityRow: Sendable {
        public var channel: Int, role: String
        public var snrDB: Double?, speechDBFS: Double?, noiseDBFS: Double?, clippingRatio: Double, silenceRatio: Double
        public var bandwidthHz: Double, speechSeconds: Double, digits: String, flags: [String]
        public init(channel: Int, role: String, snrDB: Double?, speechDBFS: Double?, noiseDBFS: Double?, clippingRatio: Double,
                    silenceRatio: Double, bandwidthHz: Double, speechSeconds: Double, digits: String, flags: [String]) {
            self.channel = channel; self.role = role; self.snrDB = snrDB; self.speechDBFS = speechDBFS; self.noiseDBFS = noiseDBFS
            self.clippingRatio = clippingRatio; self.silenceRatio = silenceRatio; self.bandwidthHz = bandwidthHz
            self.speechSeconds = speechSeconds; self.digits = digits; self.flags = flags
        }
    }

    /// Stores one call atomically. Returns false when the content was already drafted (by an
    /// earlier run or a concurrent process): nothing is written then.
    @discardableResult
    public func store(recording r: RecordingRow, quality: [QualityRow], draft d: TicketDraft, runId: Int64?) throws -> Bool {
        let json = d.json()
        return try pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT EXISTS(SELECT 1 FROM drafts WHERE sha256 = ?)", arguments: [r.sha256]) == true {
                return false
            }
            let now = Store.now()
            try db.execute(sql: """
                INSERT OR REPLACE INTO recordings (sha256, path, kind, container, encoding, sample_rate, channels, duration,
                file_bytes, flags, created_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.sha256, r.path, r.kind, r.container, r.encoding, r.sampleRate, r.channels, r.duration,
                                 r.fileBytes, r.flags.joined(separator: ","), now, runId])
            try db.execute(sql: "DELETE FROM quality WHERE sha256 = ?", arguments: [r.sha256])
            for q in quality {
                try db.execute(sql: """
                    INSERT INTO quality (sha256, channel, role, snr_db, speech_dbfs, noise_dbfs, clipping_ratio, silence_ratio,
                    bandwidth_hz, speech_seconds, digits, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [r.sha256, q.channel, q.role, q.snrDB, q.speechDBFS, q.noiseDBFS, q.clippingRatio, q.silenceRatio,
                                     q.bandwidthHz, q.speechSeconds, q.digits, q.flags.joined(separator: ",")])
            }
            try db.execute(sql: """
                INSERT INTO drafts (sha256, call_id, request_type, topic, topic_confidence, unit, handoff, time_limit, out_of_scope,
                flags, summary, draft_json, model_version, created_at, run_id, priority) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.sha256, d.id, d.requestType.value, d.topic.value, d.topic.confidence, d.units.first?.unit,
                                 d.handoff, d.timeLimit, d.outOfScope, d.flags.joined(separator: ","), d.summary, json,
                                 d.modelVersion, now, runId, Store.priority(of: d)])
            let draftId = db.lastInsertedRowID
            for e in d.evidence {
                try db.execute(sql: """
                    INSERT INTO evidence (draft_id, eid, kind, keyword, category, start, "end", char_start, char_end, score, channel)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [draftId, e.id, e.kind, e.keyword, e.category, e.start, e.end, e.charStart, e.charEnd, e.score, e.channel])
            }
            return true
        }
    }

    public func recordFailure(runId: Int64?, path: String, sha256: String?, kind: String, message: String) throws {
        try pool.write { db in
            try db.execute(sql: "INSERT INTO failures (run_id, path, sha256, kind, message, at) VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [runId, path, sha256, kind, message, Store.now()])
        }
    }

    // MARK: - Reading

    public struct Counts: Sendable, Equatable {
        public var drafts: Int, recordings: Int, failures: Int, runs: Int
    }

    public func counts() throws -> Counts {
        try pool.read { db in
            Counts(drafts: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM drafts") ?? 0,
                   recordings: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM recordings") ?? 0,
                   failures: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM failures") ?? 0,
                   runs: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM runs") ?? 0)
        }
    }

    /// Drafts (JSON) as they stand, the reviewer's corrected version when there is one,
    /// optionally by status, in insertion order.
    public func drafts(status: String? = nil) throws -> [(id: Int64, status: String, json: String)] {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT id, status, COALESCE(reviewed_json, draft_json) AS draft_json FROM drafts" + (status != nil ? " WHERE status = ?" : "") + " ORDER BY id",
                                        arguments: status.map { [$0] } ?? [])
            return rows.map { ($0["id"], $0["status"], $0["draft_json"]) }
        }
    }
}
