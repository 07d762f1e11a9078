import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import TestSupport
import XCTest
@testable import Review
@testable import Store
@testable import Triage

final class ReviewServerTests: XCTestCase {
    static let domain: Domain = try! Domain.load(directory: Fixtures.root.appendingPathComponent("Models/triage"))
    static let hostile = "<script>alert('x')</script>\"><img src=x onerror=alert(1)>"

    func tmpDB() -> String { FileManager.default.temporaryDirectory.appendingPathComponent("review-\(UUID().uuidString).sqlite").path }

    static func draft(_ id: String, unit: String = "RLGS", handoff: String? = nil, flags: [String] = [], summary: String = "来电人反映：暖气不热。",
                      source: TicketDraft.Source? = nil, hitAt: Double? = nil) -> TicketDraft {
        let c = TicketDraft.Classified(value: "heating", name: "供暖", confidence: 0.9, alternatives: [], evidence: ["e1"], reasons: [])
        let t = TicketDraft.Classified(value: "complain", name: "投诉", confidence: 0.8, alternatives: [], evidence: [], reasons: [])
        return TicketDraft(id: id, source: source, requestType: t, topic: c, timeLimit: "1d", handoff: handoff, outOfScope: false, place: nil,
                           units: [.init(unit: unit, name: "u", score: 0.8, reasons: ["topic heating"], evidence: ["e1"]),
                                   .init(unit: "CGJ", name: "市城管局", score: 0.2, reasons: [], evidence: [])], summary: summary,
                           evidence: [.init(id: "e1", kind: "keyword", keyword: "暖气不热", category: "topic", start: hitAt, end: hitAt.map { $0 + 0.8 },
                                            charStart: hitAt == nil ? 7 : nil, charEnd: hitAt == nil ? 11 : nil, score: 0.9, channel: hitAt == nil ? nil : "caller", note: nil)],
                           flags: flags, explain: [:], modelVersion: "test")
    }

    /// A store with: 1 plain, 2 low confidence with a hostile summary and id, 3 hand-off, 4 an
    /// audio call (μ-law stereo fixture).
    func makeStore() throws -> (Store, String) {
        let path = tmpDB()
        let s = try Store(path: path)
        try s.store(recording: .init(sha256: "a1", path: "manifest:plain", kind: "text"), quality: [], draft: Self.draft("plain"), runId: nil)
        try s.store(recording: .init(sha256: "a2", path: "manifest:hostile", kind: "text"), quality: [],
                    draft: Self.draft(Self.hostile, flags: ["low_confidence"], summary: Self.hostile), runId: nil)
        try s.store(recording: .init(sha256: "a3", path: "manifest:fire", kind: "text"), quality: [],
                    draft: Self.draft("fire", unit: "CGJ", handoff: "FIRE", flags: ["handoff"]), runId: nil)
        let wav = Fixtures.dir.appendingPathComponent("audio/call_stereo_ulaw_8k.wav").path
        try s.store(recording: .init(sha256: "a4", path: wav, kind: "audio", container: "WAV", encoding: "ULAW", sampleRate: 8000, channels: 2, duration: 15.66),
                    quality: [], draft: Self.draft("audio", source: .init(path: wav, sha256: "a4", duration: 15.66, channels: 2), hitAt: 5.12), runId: nil)
        return (s, path)
    }

    func server(_ store: Store, path: String, token: String? = nil) -> ReviewServer {
        var c = ReviewServer.Config()
        c.dbPath = path
        c.token = token
        return ReviewServer(store: store, domain: Self.domain, config: c)
    }

    func app(_ server: ReviewServer) -> some ApplicationProtocol { Application(router: server.router()) }

    static func cookie(_ res: TestResponse, _ name: String) -> String? {
        for v in res.headers[values: .setCookie] where v.hasPrefix(name + "=") {
            return String(v.dropFirst(name.count + 1).prefix { $0 != ";" })
        }
        return nil
    }

    static func csrf(in html: String) -> String? {
        guard let r = html.range(of: "name=\"csrf\" value=\"") else { return nil }
        return String(html[r.upperBound...].prefix { $0 != "\"" })
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    // MARK: -

    func testQueueIsInReviewOrderEscapedAndHasSecurityHeaders() async throws {
        let (store, path) = try makeStore()
        try await app(server(store, path: path)).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { res in
                XCTAssertEqual(res.status, .ok)
                let html = String(buffer: res.body)
                XCTAssertFalse(html.contains("<script>alert"), "hostile text must be escaped")
                XCTAssertFalse(html.contains("<img src=x"))
                XCTAssertTrue(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
                // Hand-off first, then low confidence, then the rest.
                let fire = html.range(of: ">fire<")!.lowerBound, hostile = html.range(of: "&lt;script&gt;")!.lowerBound
                let plain = html.range(of: ">plain<")!.lowerBound
                XCTAssertLessThan(fire, hostile)
                XCTAssertLessThan(hostile, plain)
                XCTAssertEqual(res.headers[.contentSecurityPolicy], SecurityMiddleware.csp)
                XCTAssertTrue(SecurityMiddleware.csp.contains("script-src 'self'"))
                XCTAssertFalse(SecurityMiddleware.csp.contains("unsafe-inline"))
                XCTAssertEqual(res.headers[.xContentTypeOptions], "nosniff")
                XCTAssertEqual(res.headers[HTTPField.Name("X-Frame-Options")!], "DENY")
                XCTAssertFalse(html.contains("<script>"), "no inline script at all")
            }
            try await client.execute(uri: "/?flag=low_confidence", method: .get) { res in
                let html = String(buffer: res.body)
                XCTAssertTrue(html.contains("<span id=\"match-count\">1</span>"))
                XCTAssertFalse(html.contains(">plain<"))
            }
            try await client.execute(uri: "/?q=%E7%81%AB&status=draft", method: .get) { res in   // 火: matches nothing
                XCTAssertTrue(String(buffer: res.body).contains("<span id=\"match-count\">0</span>"))
            }
            try await client.execute(uri: "/?q=fire", method: .get) { res in
                XCTAssertTrue(String(buffer: res.body).contains("<span id=\"match-count\">1</span>"))
            }
            try await client.execute(uri: "/?unit=CGJ", method: .get) { res in
                XCTAssertTrue(String(buffer: res.body).contains("<span id=\"match-count\">1</span>"))
            }
        }
    }

    func testApproveNeedsCSRFAndIsRecorded() async throws {
        let (store, path) = try makeStore()
        try await app(server(store, path: path)).test(.router) { client in
            let page = try await client.execute(uri: "/drafts/1", method: .get)
            XCTAssertEqual(page.status, .ok)
            let session = try XCTUnwrap(Self.cookie(page, "ct_session"))
            let csrf = try XCTUnwrap(Self.csrf(in: String(buffer: page.body)))
            let fields = ["revision": "0", "reviewer": "王芳", "action": "approve", "topic": "heating", "request_type": "complain",
                          "units": "RLGS, CGJ", "time_limit": "1d", "handoff": "", "summary": "来电人反映：暖气不热。"]
            // No cookie, wrong token, token from another session: refused, nothing stored.
            var f = fields; f["csrf"] = csrf
            try await client.execute(uri: "/drafts/1", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"], body: Self.form(f)) { res in
                XCTAssertEqual(res.status, .forbidden)
            }
            f["csrf"] = String(repeating: "0", count: 64)
            try await client.execute(uri: "/drafts/1", method: .post, headers: [.cookie: "ct_session=\(session)"], body: Self.form(f)) { res in
                XCTAssertEqual(res.status, .forbidden)
            }
            f["csrf"] = csrf
            let other = String(repeating: "ab", count: 16)
            try await client.execute(uri: "/drafts/1", method: .post, headers: [.cookie: "ct_session=\(other)"], body: Self.form(f)) { res in
                XCTAssertEqual(res.status, .forbidden)
            }
            // A cross-site post is refused even with a valid token.
            try await client.execute(uri: "/drafts/1", method: .post,
                                     headers: [.cookie: "ct_session=\(session)", .origin: "http://evil.example"], body: Self.form(f)) { res in
                XCTAssertEqual(res.status, .forbidden)
            }
            XCTAssertEqual(try store.decisions(draftId: 1).count, 0)
            // The right one: approved, redirected to the next draft waiting.
            try await client.execute(uri: "/drafts/1", method: .post, headers: [.cookie: "ct_session=\(session)", .origin: "http://localhost"],
                                     body: Self.form(f)) { res in
                XCTAssertEqual(res.status, .seeOther)
                XCTAssertTrue(res.headers[.location]?.hasPrefix("/drafts/") ?? false)
                XCTAssertEqual(Self.cookie(res, "ct_reviewer"), "%E7%8E%8B%E8%8A%B3")
            }
        }
        let item = try XCTUnwrap(try store.reviewItem(id: 1))
        XCTAssertEqual(item.status, "approved")
        XCTAssertEqual(item.revision, 1)
        XCTAssertEqual(item.reviewer, "王芳")
        let ds = try store.decisions(draftId: 1)
        XCTAssertEqual(ds.map(\.action), ["approve"])
        XCTAssertEqual(ds[0].oldValue, "draft")
        XCTAssertEqual(ds[0].newValue, "approved")
        XCTAssertEqual(try store.drafts(status: "approved").count, 1)
    }

    func testConcurrentEditIsAConflictAndNothingIsLost() async throws {
        let (store, path) = try makeStore()
        try await app(server(store, path: path)).test(.router) { client in
            // Two reviewers open draft 2 at revision 0.
            var sessions: [(String, String)] = []
            for _ in 0..<2 {
                let page = try await client.execute(uri: "/drafts/2", method: .get)
                sessions.append((Self.cookie(page, "ct_session")!, Self.csrf(in: String(buffer: page.body))!))
            }
            let base = ["revision": "0", "request_type": "complain", "topic": "heating", "time_limit": "1d", "handoff": "", "summary": ReviewServerTests.hostile]
            var a = base; a["csrf"] = sessions[0].1; a["reviewer"] = "A"; a["action"] = "save"; a["units"] = "CGJ"
            var b = base; b["csrf"] = sessions[1].1; b["reviewer"] = "B"; b["action"] = "approve"; b["units"] = "RLGS"; b["time_limit"] = "3d"
            try await client.execute(uri: "/drafts/2", method: .post, headers: [.cookie: "ct_session=\(sessions[0].0)"], body: Self.form(a)) { res in
                XCTAssertEqual(res.status, .seeOther)
            }
            try await client.execute(uri: "/drafts/2", method: .post, headers: [.cookie: "ct_session=\(sessions[1].0)"], body: Self.form(b)) { res in
                XCTAssertEqual(res.status, .conflict)
                let html = String(buffer: res.body)
                XCTAssertTrue(html.contains("revision 1"))
                XCTAssertTrue(html.contains("time_limit"), "the page lists what B tried")
            }
        }
        let item = try XCTUnwrap(try store.reviewItem(id: 2))
        XCTAssertEqual(item.revision, 1)
        XCTAssertEqual(item.status, "draft", "B's approval was not applied")
        XCTAssertEqual(item.current.units.map(\.unit), ["CGJ"], "A's edit stands")
        XCTAssertEqual(item.current.timeLimit, "1d")
        let ds = try store.decisions(draftId: 2)
        XCTAssertEqual(ds.map(\.action), ["edit", "save", "conflict"])
        XCTAssertEqual(ds[0].field, "units")
        XCTAssertEqual(ds[0].oldValue, "RLGS, CGJ")
        XCTAssertEqual(ds[0].newValue, "CGJ")
        XCTAssertEqual(ds[2].reviewer, "B")
        let attempted = try TicketDraft.decode(Data(try XCTUnwrap(ds[2].newValue).utf8))
        XCTAssertEqual(attempted.timeLimit, "3d", "B's attempted draft is kept whole")
    }

    func testAudioIsServedByDraftIdOnlyAsPCMWithRanges() async throws {
        let (store, path) = try makeStore()
        try await app(server(store, path: path)).test(.router) { client in
            try await client.execute(uri: "/drafts/4/audio", method: .get) { res in
                XCTAssertEqual(res.status, .ok)
                XCTAssertEqual(res.headers[.contentType], "audio/wav")
                let b = Array(res.body.readableBytesView)
                XCTAssertEqual(Array(b[0..<4]), Array("RIFF".utf8))
                XCTAssertEqual(b[20], 1, "format code 1 = PCM (the file is μ-law)")
                XCTAssertEqual(b[22], 2, "two channels")
                XCTAssertEqual(b[34], 16, "16-bit")
                XCTAssertEqual(b.count, 44 + 125292 * 2 * 2)
            }
            try await client.execute(uri: "/drafts/4/audio", method: .get, headers: [.range: "bytes=40-139"]) { res in
                XCTAssertEqual(res.status, .partialContent)
                XCTAssertEqual(res.body.readableBytes, 100)
                XCTAssertEqual(res.headers[.contentRange], "bytes 40-139/\(44 + 125292 * 4)")
            }
            try await client.execute(uri: "/drafts/4/audio", method: .get, headers: [.range: "bytes=999999999-"]) { res in
                XCTAssertEqual(res.status, .rangeNotSatisfiable)
            }
            try await client.execute(uri: "/drafts/4/signal.json", method: .get) { res in
                XCTAssertEqual(res.status, .ok)
                let v = try JSONDecoder().decode(AudioView.SignalView.self, from: Data(res.body.readableBytesView))
                XCTAssertEqual(v.channels.map(\.role), ["caller", "agent"])
                XCTAssertEqual(v.duration, 15.66, accuracy: 0.01)
                XCTAssertEqual(v.channels[0].envelope.count, 2 * v.columns)
                XCTAssertEqual(Data(base64Encoded: v.channels[0].spectrogram)?.count, v.columns * v.bins)
            }
            // A text-only draft has no audio; ids that are not ids, and traversal attempts, find nothing.
            for uri in ["/drafts/1/audio", "/drafts/abc/audio", "/drafts/-1", "/drafts/0/audio", "/drafts/99/audio",
                        "/drafts/..%2F..%2F..%2Fetc%2Fpasswd/audio", "/drafts/4/../../../../etc/passwd",
                        "/static/../Package.swift", "/static/..%2F..%2FPackage.swift", "/drafts/4/audio?path=/etc/passwd%00"] {
                try await client.execute(uri: uri, method: .get) { res in
                    let body = String(buffer: res.body)
                    XCTAssertFalse(body.contains("root:x:0"), uri)
                    XCTAssertFalse(body.contains("PackageDescription"), uri)
                    if !uri.hasPrefix("/drafts/4/audio?") { XCTAssertEqual(res.status, .notFound, uri) }
                }
            }
        }
    }

    func testTokenIsRequiredWhenConfigured() async throws {
        let (store, path) = try makeStore()
        let token = "0123456789abcdef0123456789abcdef"
        try await app(server(store, path: path, token: token)).test(.router) { client in
            try await client.execute(uri: "/", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/drafts/4/audio", method: .get) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer wrong"]) { XCTAssertEqual($0.status, .unauthorized) }
            try await client.execute(uri: "/", method: .get, headers: [.authorization: "Bearer \(token)"]) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/metrics?token=\(token)", method: .get) { res in
                XCTAssertEqual(res.status, .seeOther)
                XCTAssertEqual(res.headers[.location], "/metrics", "token removed from the address")
                XCTAssertEqual(Self.cookie(res, "ct_token"), token)
            }
            try await client.execute(uri: "/metrics", method: .get, headers: [.cookie: "ct_token=\(token)"]) { XCTAssertEqual($0.status, .ok) }
            try await client.execute(uri: "/metrics", method: .get, headers: [.cookie: "ct_token=\(token.dropLast())x"]) { XCTAssertEqual($0.status, .unauthorized) }
        }
    }

    func testMetricsCountKeptAndReassignedUnits() async throws {
        let (store, path) = try makeStore()
        let d1 = try XCTUnwrap(try store.reviewItem(id: 1)), d4 = try XCTUnwrap(try store.reviewItem(id: 4))
        // Draft 1 approved as suggested; draft 4 reassigned from RLGS to GAJ with its topic changed.
        let (a, ca) = try DraftEditing.apply(form: [:], to: d1.current, action: .approve, reviewer: "r", domain: Self.domain)
        XCTAssertTrue(ca.isEmpty)
        XCTAssertEqual(try store.decide(draftId: 1, baseRevision: 0, reviewer: "r", action: .approve, corrected: a, changes: ca).revisionValue, 1)
        let (b, cb) = try DraftEditing.apply(form: ["units": "RLGS, CGJ", "reassign_to": "GAJ", "topic": "traffic_parking"], to: d4.current,
                                             action: .reassign, reviewer: "r", domain: Self.domain)
        XCTAssertEqual(b.units.map(\.unit), ["GAJ", "RLGS", "CGJ"])
        XCTAssertEqual(Set(cb.map(\.field)), ["units", "topic"])
        XCTAssertEqual(try store.decide(draftId: 4, baseRevision: 0, reviewer: "r", action: .reassign, corrected: b, changes: cb).revisionValue, 1)
        let m = try store.reviewMetrics()
        XCTAssertEqual(m.decided, 2)
        XCTAssertEqual(m.unitKept, 1)
        XCTAssertEqual(m.topicKept, 1)
        XCTAssertEqual(m.pending, 2)
        XCTAssertEqual(m.confusion["RLGS"], ["RLGS": 1, "GAJ": 1])
        XCTAssertEqual(m.byTopic.first { $0.key == "traffic_parking" }?.kept, 0)
        try await app(server(store, path: path)).test(.router) { client in
            try await client.execute(uri: "/metrics", method: .get) { res in
                let html = String(buffer: res.body)
                XCTAssertTrue(html.contains("<td id=\"m-unit-kept\">1 / 2 = 50.0 %</td>"))
            }
            // Exported drafts are the reviewed ones.
        }
        let exported = try store.drafts(status: "approved").map { try TicketDraft.decode(Data($0.json.utf8)) }
        XCTAssertEqual(exported.map { $0.units.first?.unit }, ["RLGS", "GAJ"])
    }

    func testDecisionsAreAppendOnly() throws {
        let (store, _) = try makeStore()
        let d = try XCTUnwrap(try store.reviewItem(id: 3))
        _ = try store.decide(draftId: 3, baseRevision: 0, reviewer: "r", action: .reject, corrected: d.current, changes: [])
        XCTAssertThrowsError(try store.pool.write { try $0.execute(sql: "UPDATE decisions SET reviewer = 'x'") })
        XCTAssertThrowsError(try store.pool.write { try $0.execute(sql: "DELETE FROM decisions") })
        XCTAssertEqual(try store.decisions(draftId: 3).count, 1)
    }

    func testEditingValidatesAndMasks() throws {
        let d = Self.draft("x")
        XCTAssertThrowsError(try DraftEditing.apply(form: ["topic": "no_such_topic"], to: d, action: .save, reviewer: "r", domain: Self.domain))
        XCTAssertThrowsError(try DraftEditing.apply(form: ["units": "RLGS, NOPE"], to: d, action: .save, reviewer: "r", domain: Self.domain))
        XCTAssertThrowsError(try DraftEditing.apply(form: ["units": "RLGS"], to: d, action: .reassign, reviewer: "r", domain: Self.domain),
                             "reassign needs a target")
        XCTAssertThrowsError(try DraftEditing.apply(form: ["handoff": "NAVY"], to: d, action: .save, reviewer: "r", domain: Self.domain))
        let (e, c) = try DraftEditing.apply(form: ["summary": "来电人反映：电话13912345678，暖气不热。", "units": "STREET:湖岛街道，RLGS",
                                                   "district": "市北区", "handoff": ""], to: d, action: .save, reviewer: "r", domain: Self.domain)
        XCTAssertFalse(e.summary.contains("13912345678"), "numbers a reviewer types are masked")
        XCTAssertEqual(e.units.map(\.unit), ["STREET:湖岛街道", "RLGS"])
        XCTAssertEqual(e.place?.district, "市北区")
        XCTAssertEqual(Set(c.map(\.field)), ["summary", "units", "district"])
        XCTAssertEqual(DraftEditing.parseForm("a=1+2&b=%E7%81%AB&c=&a=ignored"), ["a": "1 2", "b": "火", "c": ""])
        XCTAssertNil(ReviewServer.byteRange("bytes=5-2", size: 10))
        XCTAssertEqual(ReviewServer.byteRange("bytes=-4", size: 10).map { [$0.0, $0.1] }, [6, 9])
        XCTAssertEqual(ReviewServer.byteRange("bytes=3-", size: 10).map { [$0.0, $0.1] }, [3, 9])
    }
}

extension Store.DecisionResult {
    var revisionValue: Int? { if case .saved(let r) = self { return r }; return nil }
}
