import Foundation
import GRDB
import Triage

/// Reviewers' side of the store: the queue, one draft with its history, decisions and metrics.
///
/// The system's suggestion (`draft_json` and the suggested columns) is never changed. A reviewer's
/// corrected draft goes to `reviewed_json` and `final_*`; every change is a row in `decisions`,
/// which triggers make append-only. Each save names the revision it was made on; a save on an
/// older revision (another reviewer saved in between) is refused as a conflict and kept in
/// `decisions` with action `conflict`, so nothing a reviewer did is lost.
extension Store {
    static func registerReviewMigration(_ m: inout DatabaseMigrator) {
        m.registerMigration("v2: review decisions, revisions, final fields") { db in
            try db.execute(sql: """
                ALTER TABLE drafts ADD COLUMN revision INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE drafts ADD COLUMN reviewed_json TEXT;
                ALTER TABLE drafts ADD COLUMN reviewer TEXT;
                ALTER TABLE drafts ADD COLUMN reviewed_at TEXT;
                ALTER TABLE drafts ADD COLUMN final_topic TEXT;
                ALTER TABLE drafts ADD COLUMN final_unit TEXT;
                ALTER TABLE drafts ADD COLUMN priority INTEGER NOT NULL DEFAULT 4;
                UPDATE drafts SET priority = CASE
                    WHEN handoff IS NOT NULL AND handoff != '' THEN 0
                    WHEN ',' || COALESCE(flags, '') || ',' LIKE '%,low_confidence,%' THEN 1
                    WHEN ',' || COALESCE(flags, '') || ',' LIKE '%,ambiguous,%' THEN 2
                    WHEN ',' || COALESCE(flags, '') || ',' LIKE '%,audio:%' THEN 3
                    ELSE 4 END;
                CREATE INDEX drafts_queue ON drafts(status, priority, id);
                CREATE TABLE decisions (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    draft_id INTEGER NOT NULL REFERENCES drafts(id),
                    base_revision INTEGER NOT NULL, revision INTEGER,
                    reviewer TEXT NOT NULL, at TEXT NOT NULL, action TEXT NOT NULL,
                    field TEXT, old_value TEXT, new_value TEXT, note TEXT);
                CREATE INDEX decisions_draft ON decisions(draft_id, id);
                CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
                    BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
                """)
        }
    }

    /// Review order: hand-offs and overruled hand-off cues first, then low confidence, ambiguous
    /// units, poor audio, the rest.
    public static func priority(of d: TicketDraft) -> Int {
        if d.handoff != nil || d.flags.contains("handoff_check") { return 0 }
        if d.flags.contains("low_confidence") { return 1 }
        if d.flags.contains("ambiguous") { return 2 }
        if d.flags.contains(where: { $0.hasPrefix("audio:") }) { return 3 }
        return 4
    }

    // MARK: - Queue

    public struct QueueFilter: Sendable, Equatable {
        public var status: String?
        public var topic: String?
        public var unit: String?
        public var flag: String?
        public var text: String?
        public var limit = 200
        public var offset = 0
        public init(status: String? = nil, topic: String? = nil, unit: String? = nil, flag: String? = nil, text: String? = nil) {
            self.status = status; self.topic = topic; self.unit = unit; self.flag = flag; self.text = text
        }
    }

    public struct QueueRow: Sendable, Equatable {
        public var id: Int64
        public var callId: String
        public var status: String
        public var priority: Int
        public var requestType: String?
        public var topic: String?
        public var topicConfidence: Double?
        public var unit: String?
        public var handoff: String?
        public var flags: [String]
        public var summary: String
        public var revision: Int
        public var reviewer: String?
    }

    private func whereClause(_ f: QueueFilter) -> (String, StatementArguments) {
        var conds: [String] = []
        var args: StatementArguments = []
        if let s = f.status, !s.isEmpty { conds.append("status = ?"); _ = args.append(contentsOf: [s]) }
        if let t = f.topic, !t.isEmpty { conds.append("COALESCE(final_topic, topic) = ?"); _ = args.append(contentsOf: [t]) }
        if let u = f.unit, !u.isEmpty { conds.append("COALESCE(final_unit, unit) = ?"); _ = args.append(contentsOf: [u]) }
        if let fl = f.flag, !fl.isEmpty {
            conds.append("(',' || COALESCE(flags, '') || ',' LIKE ? ESCAPE '\\')")
            _ = args.append(contentsOf: ["%," + Store.likeEscape(fl) + ",%"])
        }
        if let q = f.text?.trimmingCharacters(in: .whitespaces), !q.isEmpty {
            conds.append("(summary LIKE ? ESCAPE '\\' OR call_id LIKE ? ESCAPE '\\' OR COALESCE(reviewed_json, draft_json) LIKE ? ESCAPE '\\')")
            let p = "%" + Store.likeEscape(q) + "%"
            _ = args.append(contentsOf: [p, p, p])
        }
        return (conds.isEmpty ? "" : " WHERE " + conds.joined(separator: " AND "), args)
    }

    static func likeEscape(_ s: String) -> String {
        s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
    }

    /// Drafts matching the filter in review order, and how many match in all.
    public func queue(_ f: QueueFilter) throws -> (rows: [QueueRow], total: Int) {
        let (w, args) = whereClause(f)
        return try pool.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM drafts" + w, arguments: args) ?? 0
            var a = args
            _ = a.append(contentsOf: [f.limit, f.offset])
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, call_id, status, priority, request_type, topic, topic_confidence, unit, handoff, flags, summary,
                       revision, reviewer, final_topic, final_unit,
                       json_extract(reviewed_json, '$.request_type.value') AS final_type,
                       json_extract(reviewed_json, '$.handoff') AS final_handoff,
                       json_extract(reviewed_json, '$.summary') AS final_summary
                FROM drafts
                """ + w + " ORDER BY (status = 'draft') DESC, priority, id LIMIT ? OFFSET ?", arguments: a)
            return (rows.map { r in
                let reviewed = (r["reviewer"] as String?) != nil
                return QueueRow(id: r["id"], callId: r["call_id"], status: r["status"], priority: r["priority"],
                                requestType: reviewed ? r["final_type"] : r["request_type"],
                                topic: (r["final_topic"] as String?) ?? r["topic"], topicConfidence: r["topic_confidence"],
                                unit: (r["final_unit"] as String?) ?? r["unit"],
                                handoff: reviewed ? r["final_handoff"] : r["handoff"],
                                flags: Store.splitFlags(r["flags"]),
                                summary: (reviewed ? r["final_summary"] : nil) ?? (r["summary"] as String?) ?? "",
                                revision: r["revision"], reviewer: r["reviewer"])
            }, total)
        }
    }

    static func splitFlags(_ s: String?) -> [String] { (s ?? "").split(separator: ",").map(String.init) }

    /// Counts per status, for the queue's header.
    public func statusCounts() throws -> [String: Int] {
        try pool.read { db in
            var out: [String: Int] = [:]
            for r in try Row.fetchAll(db, sql: "SELECT status, COUNT(*) AS n FROM drafts GROUP BY status") { out[r["status"]] = r["n"] }
            return out
        }
    }

    /// Distinct suggested-or-final topics, units and flags present, for the filter menus.
    public func facets() throws -> (topics: [String], units: [String], flags: [String]) {
        try pool.read { db in
            let topics = try String.fetchAll(db, sql: "SELECT DISTINCT COALESCE(final_topic, topic) AS t FROM drafts WHERE t IS NOT NULL ORDER BY t")
            let units = try String.fetchAll(db, sql: "SELECT DISTINCT COALESCE(final_unit, unit) AS u FROM drafts WHERE u IS NOT NULL ORDER BY u")
            var flags = Set<String>()
            for f in try String?.fetchAll(db, sql: "SELECT DISTINCT flags FROM drafts") { flags.formUnion(Store.splitFlags(f)) }
            return (topics, units, flags.sorted())
        }
    }

    // MARK: - One draft

    public struct ReviewItem: Sendable {
        public var id: Int64
        public var status: String
        public var revision: Int
        public var reviewer: String?
        public var reviewedAt: String?
        /// What the system suggested.
        public var suggested: TicketDraft
        /// The current state: the reviewer's corrected draft, or the suggestion.
        public var current: TicketDraft
        public var recordingPath: String?
        public var recordingKind: String?
        public var quality: [QualityInfo]
    }

    public struct QualityInfo: Sendable, Equatable {
        public var channel: Int, role: String, snrDB: Double?, flags: [String]
    }

    public func reviewItem(id: Int64) throws -> ReviewItem? {
        try pool.read { db in
            guard let r = try Row.fetchOne(db, sql: """
                SELECT d.id, d.status, d.revision, d.reviewer, d.reviewed_at, d.draft_json, d.reviewed_json, r.path, r.kind, d.sha256
                FROM drafts d LEFT JOIN recordings r ON r.sha256 = d.sha256 WHERE d.id = ?
                """, arguments: [id]) else { return nil }
            let suggested = try TicketDraft.decode(Data((r["draft_json"] as String).utf8))
            let current = try (r["reviewed_json"] as String?).map { try TicketDraft.decode(Data($0.utf8)) } ?? suggested
            let q = try Row.fetchAll(db, sql: "SELECT channel, role, snr_db, flags FROM quality WHERE sha256 = ? ORDER BY channel",
                                     arguments: [r["sha256"] as String]).map {
                QualityInfo(channel: $0["channel"], role: $0["role"] ?? "", snrDB: $0["snr_db"], flags: Store.splitFlags($0["flags"]))
            }
            return ReviewItem(id: r["id"], status: r["status"], revision: r["revision"], reviewer: r["reviewer"],
                              reviewedAt: r["reviewed_at"], suggested: suggested, current: current,
                              recordingPath: r["path"], recordingKind: r["kind"], quality: q)
        }
    }

    /// Next draft still waiting for review after `id` in queue order (for "save and next").
    public func nextInQueue(after id: Int64) throws -> Int64? {
        try pool.read { db in
            guard let p = try Int.fetchOne(db, sql: "SELECT priority FROM drafts WHERE id = ?", arguments: [id]) else { return nil }
            return try Int64.fetchOne(db, sql: """
                SELECT id FROM drafts WHERE status = 'draft' AND id != ? AND (priority > ? OR (priority = ? AND id > ?))
                ORDER BY priority, id LIMIT 1
                """, arguments: [id, p, p, id])
        }
    }

    // MARK: - Decisions

    public struct Decision: Sendable, Equatable {
        public var id: Int64
        public var draftId: Int64
        public var baseRevision: Int
        public var revision: Int?
        public var reviewer: String
        public var at: String
        public var action: String
        public var field: String?
        public var oldValue: String?
        public var newValue: String?
        public var note: String?
    }

    public func decisions(draftId: Int64) throws -> [Decision] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM decisions WHERE draft_id = ? ORDER BY id", arguments: [draftId]).map(Store.decision)
        }
    }

    static func decision(_ r: Row) -> Decision {
        Decision(id: r["id"], draftId: r["draft_id"], baseRevision: r["base_revision"], revision: r["revision"], reviewer: r["reviewer"],
                 at: r["at"], action: r["action"], field: r["field"], oldValue: r["old_value"], newValue: r["new_value"], note: r["note"])
    }

    public enum ReviewAction: String, Sendable, CaseIterable {
        case save, approve, reject, reassign, reopen
        /// Status after the action (`save` keeps the current one).
        var status: String? {
            switch self {
            case .save: return nil
            case .approve, .reassign: return "approved"
            case .reject: return "rejected"
            case .reopen: return "draft"
            }
        }
    }

    /// One field a reviewer changed: its name in the draft's JSON and the values as shown.
    public struct FieldChange: Sendable, Equatable {
        public var field: String, old: String, new: String
        public init(field: String, old: String, new: String) { self.field = field; self.old = old; self.new = new }
    }

    public enum DecisionResult: Sendable {
        case saved(revision: Int)
        /// Someone saved revision `current` since the reviewer loaded `base`; nothing was applied.
        case conflict(current: Int, by: String?)
        case notFound
    }

    /// Applies a reviewer's corrected draft if the draft is still at `baseRevision`; records every
    /// changed field, and the action, as decisions in the same transaction.
    public func decide(draftId: Int64, baseRevision: Int, reviewer: String, action: ReviewAction,
                       corrected: TicketDraft, changes: [FieldChange], note: String? = nil) throws -> DecisionResult {
        try pool.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT revision, reviewer, status FROM drafts WHERE id = ?", arguments: [draftId]) else {
                return .notFound
            }
            let now = Store.now()
            let current: Int = row["revision"]
            if current != baseRevision {
                // Keep what this reviewer tried, so it can be reapplied by hand; apply nothing.
                let attempted = changes.map { "\($0.field): \($0.old) → \($0.new)" }.joined(separator: "; ")
                try db.execute(sql: """
                    INSERT INTO decisions (draft_id, base_revision, revision, reviewer, at, action, field, old_value, new_value, note)
                    VALUES (?, ?, NULL, ?, ?, 'conflict', NULL, NULL, ?, ?)
                    """, arguments: [draftId, baseRevision, reviewer, now, corrected.json(), "\(action.rawValue) on revision \(baseRevision), store at \(current)" + (attempted.isEmpty ? "" : " — " + attempted)])
                return .conflict(current: current, by: row["reviewer"])
            }
            let next = current + 1
            let oldStatus: String = row["status"]
            for c in changes {
                try db.execute(sql: """
                    INSERT INTO decisions (draft_id, base_revision, revision, reviewer, at, action, field, old_value, new_value, note)
                    VALUES (?, ?, ?, ?, ?, 'edit', ?, ?, ?, NULL)
                    """, arguments: [draftId, baseRevision, next, reviewer, now, c.field, c.old, c.new])
            }
            let newStatus = action.status ?? oldStatus
            try db.execute(sql: """
                INSERT INTO decisions (draft_id, base_revision, revision, reviewer, at, action, field, old_value, new_value, note)
                VALUES (?, ?, ?, ?, ?, ?, 'status', ?, ?, ?)
                """, arguments: [draftId, baseRevision, next, reviewer, now, action.rawValue, oldStatus, newStatus, note])
            try db.execute(sql: """
                UPDATE drafts SET revision = ?, reviewed_json = ?, reviewer = ?, reviewed_at = ?, status = ?,
                       final_topic = ?, final_unit = ? WHERE id = ? AND revision = ?
                """, arguments: [next, corrected.json(), reviewer, now, newStatus, corrected.topic.value,
                                 corrected.units.first?.unit, draftId, current])
            return .saved(revision: next)
        }
    }

    // MARK: - Metrics

    public struct ReviewMetrics: Sendable, Equatable {
        public struct Line: Sendable, Equatable {
            public var key: String, decided: Int, kept: Int
            public var rate: Double { decided > 0 ? Double(kept) / Double(decided) : 0 }
        }
        /// Drafts approved (as suggested, corrected or reassigned).
        public var decided: Int
        /// …whose chosen first unit is the suggested first unit.
        public var unitKept: Int
        public var topicKept: Int
        public var typeKept: Int
        public var rejected: Int
        public var pending: Int
        public var byTopic: [Line]
        public var byUnit: [Line]
        /// (suggested unit, chosen unit) → count, over decided drafts.
        public var confusion: [String: [String: Int]]
        public var unitKeptRate: Double { decided > 0 ? Double(unitKept) / Double(decided) : 0 }
    }

    /// First-dispatch accuracy of the suggestions, measured on reviewers' approvals.
    public func reviewMetrics() throws -> ReviewMetrics {
        try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT unit, topic, request_type, final_unit, final_topic,
                       json_extract(reviewed_json, '$.request_type.value') AS final_type, status
                FROM drafts
                """)
            var m = ReviewMetrics(decided: 0, unitKept: 0, topicKept: 0, typeKept: 0, rejected: 0, pending: 0,
                                  byTopic: [], byUnit: [], confusion: [:])
            var byTopic: [String: (Int, Int)] = [:], byUnit: [String: (Int, Int)] = [:]
            for r in rows {
                let status: String = r["status"]
                if status == "rejected" { m.rejected += 1; continue }
                if status != "approved" { m.pending += 1; continue }
                let suggested: String = r["unit"] ?? "-"
                let chosen: String = (r["final_unit"] as String?) ?? suggested
                let topic: String = (r["final_topic"] as String?) ?? (r["topic"] as String?) ?? "-"
                let kept = suggested == chosen
                m.decided += 1
                if kept { m.unitKept += 1 }
                if topic == ((r["topic"] as String?) ?? "-") { m.topicKept += 1 }
                if ((r["final_type"] as String?) ?? r["request_type"]) == (r["request_type"] as String?) { m.typeKept += 1 }
                byTopic[topic, default: (0, 0)].0 += 1; if kept { byTopic[topic]!.1 += 1 }
                byUnit[suggested, default: (0, 0)].0 += 1; if kept { byUnit[suggested]!.1 += 1 }
                m.confusion[suggested, default: [:]][chosen, default: 0] += 1
            }
            m.byTopic = byTopic.map { ReviewMetrics.Line(key: $0.key, decided: $0.value.0, kept: $0.value.1) }.sorted { ($0.decided, $1.key) > ($1.decided, $0.key) }
            m.byUnit = byUnit.map { ReviewMetrics.Line(key: $0.key, decided: $0.value.0, kept: $0.value.1) }.sorted { ($0.decided, $1.key) > ($1.decided, $0.key) }
            return m
        }
    }
}
