import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Store
import Triage

/// The QA review web app: queue, draft pages with audio and evidence, decisions, metrics.
///
/// Security: loopback by default; anywhere else an access token is required (header
/// `Authorization: Bearer`, the `ct_token` cookie, or `?token=` once, which sets the cookie).
/// Every form carries a CSRF token bound to the browser's session cookie; pages are strict-CSP
/// with no inline script; audio is served by draft id only, from the path in the store.
public final class ReviewServer: Sendable {
    public struct Config: Sendable {
        public var bind = "127.0.0.1"
        public var port = 8080
        /// Required on every request when set.
        public var token: String?
        public var dbPath = ""
        public init() {}

        public static func isLoopback(_ host: String) -> Bool {
            host == "127.0.0.1" || host == "::1" || host == "localhost" || host.hasPrefix("127.")
        }
    }

    public let store: Store
    public let domain: Domain
    public let config: Config
    let pages: Pages
    /// HMAC key for CSRF tokens (bytes: SymmetricKey is not Sendable).
    let key: Data
    let cache = AudioCache()
    let logger = Logger(label: "calltriage.review")

    public init(store: Store, domain: Domain, config: Config, key: Data? = nil) {
        self.store = store; self.domain = domain; self.config = config
        self.key = key ?? SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        self.pages = Pages(domain: domain)
    }

    /// A fresh random token (URL-safe, 128 bits).
    public static func generateToken() -> String {
        var g = SystemRandomNumberGenerator()
        return (0..<16).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &g)) }.joined()
    }

    public func csrfToken(session: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(("csrf:" + session).utf8), using: SymmetricKey(data: key))
        return Data(mac).map { String(format: "%02x", $0) }.joined()
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<x.count { diff |= x[i] ^ y[i] }
        return diff == 0
    }

    // MARK: - Application

    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: SecurityMiddleware(server: self))
        router.get("/healthz") { _, _ in Response.text("ok\n") }
        router.get("/static/review.css") { _, _ in Response.asset(Assets.css, type: "text/css; charset=utf-8") }
        router.get("/static/review.js") { _, _ in Response.asset(Assets.js, type: "text/javascript; charset=utf-8") }
        router.get("/") { req, ctx in try self.queuePage(req) }
        router.get("/metrics") { req, _ in Response.html(self.pages.metrics(try self.store.reviewMetrics())) }
        router.get("/drafts/{id}") { req, ctx in try self.draftPage(req, id: try Self.id(ctx)) }
        router.post("/drafts/{id}") { req, ctx in try await self.decide(req, id: try Self.id(ctx)) }
        router.get("/drafts/{id}/audio") { req, ctx in try self.audio(req, id: try Self.id(ctx)) }
        router.get("/drafts/{id}/signal.json") { req, ctx in try self.signal(id: try Self.id(ctx)) }
        router.get("/drafts/{id}/draft.json") { req, ctx in
            guard let item = try self.store.reviewItem(id: try Self.id(ctx)) else { throw PageError.notFound("no such draft") }
            return Response.data(Data(item.current.json(pretty: true).utf8), type: "application/json; charset=utf-8")
        }
        return router
    }

    public func application() -> some ApplicationProtocol {
        Application(router: router(), configuration: .init(address: .hostname(config.bind, port: config.port), serverName: "calltriage-review"),
                    logger: logger)
    }

    static func id(_ ctx: BasicRequestContext) throws -> Int64 {
        guard let s = ctx.parameters.get("id"), let id = Int64(s), id > 0 else { throw PageError.notFound("no such draft") }
        return id
    }

    // MARK: - Pages

    func queuePage(_ req: Request) throws -> Response {
        let q = DraftEditing.parseForm(String(req.uri.query ?? ""))
        var f = Store.QueueFilter(status: q["status"], topic: q["topic"], unit: q["unit"], flag: q["flag"], text: q["q"])
        f.offset = max(0, Int(q["offset"] ?? "") ?? 0)
        let (rows, total) = try store.queue(f)
        return Response.html(pages.queue(rows: rows, total: total, filter: f, counts: try store.statusCounts(), facets: try store.facets()))
    }

    func draftPage(_ req: Request, id: Int64, notice: String? = nil) throws -> Response {
        guard let item = try store.reviewItem(id: id) else { throw PageError.notFound("no such draft") }
        let session = Session.of(req)
        let q = DraftEditing.parseForm(String(req.uri.query ?? ""))
        var notice = notice
        if let done = q["done"], let a = q["action"], let r = q["rev"] {
            notice = "Draft #\(done): \(a) saved (revision \(r))."
        } else if q["saved"] != nil, let r = q["rev"] {
            notice = "Saved (revision \(r))."
        }
        let reviewer = req.cookies["ct_reviewer"].flatMap { $0.value.removingPercentEncoding } ?? ""
        var res = Response.html(pages.draft(item, decisions: try store.decisions(draftId: id), csrf: csrfToken(session: session.id),
                                            reviewer: reviewer, next: try store.nextInQueue(after: id), notice: notice))
        session.set(on: &res)
        return res
    }

    func decide(_ req: Request, id: Int64) async throws -> Response {
        var req = req
        let body = try await req.collectBody(upTo: 256 * 1024)
        let form = DraftEditing.parseForm(String(buffer: body))
        guard let session = req.cookies["ct_session"]?.value, !session.isEmpty,
              let sent = form["csrf"], Self.constantTimeEqual(sent, csrfToken(session: session)) else {
            throw PageError.forbidden("missing or invalid CSRF token: reload the page and try again")
        }
        let reviewer = (form["reviewer"] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reviewer.isEmpty, reviewer.count <= 80 else { throw PageError.badRequest("reviewer: give your name (up to 80 characters)") }
        guard let action = Store.ReviewAction(rawValue: form["action"] ?? "save") else { throw PageError.badRequest("action: unknown") }
        guard let base = Int(form["revision"] ?? "") else { throw PageError.badRequest("revision: missing") }
        guard let item = try store.reviewItem(id: id) else { throw PageError.notFound("no such draft") }
        let corrected: TicketDraft, changes: [Store.FieldChange]
        do { (corrected, changes) = try DraftEditing.apply(form: form, to: item.current, action: action, reviewer: reviewer, domain: domain) }
        catch let e as DraftEditing.Invalid { throw PageError.badRequest(e.description) }
        let note = form["note"].flatMap { $0.isEmpty ? nil : String($0.prefix(500)) }
        let result = try store.decide(draftId: id, baseRevision: base, reviewer: reviewer, action: action,
                                      corrected: corrected, changes: changes, note: note)
        var res: Response
        switch result {
        case .notFound: throw PageError.notFound("no such draft")
        case .conflict(let current, let by):
            res = Response.html(pages.conflict(id: id, base: base, current: current, by: by, changes: changes), status: .conflict)
        case .saved(let rev):
            let location: String
            if action != .save && action != .reopen, let next = try store.nextInQueue(after: id) {
                location = "/drafts/\(next)?done=\(id)&action=\(action.rawValue)&rev=\(rev)"
            } else {
                location = "/drafts/\(id)?saved=1&rev=\(rev)"
            }
            res = Response(status: .seeOther, headers: [.location: location])
        }
        let name = reviewer.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? ""
        res.headers[values: .setCookie].append("ct_reviewer=\(name); Path=/; Max-Age=31536000; HttpOnly; SameSite=Strict")
        return res
    }

    /// The recording behind a draft: from the store's path only (never a client-given one).
    func recording(id: Int64) throws -> String {
        guard let item = try store.reviewItem(id: id) else { throw PageError.notFound("no such draft") }
        guard item.recordingKind == "audio", let path = item.recordingPath else { throw PageError.notFound("this draft has no recording") }
        var candidates = [path]
        if !path.hasPrefix("/") {
            // Stored relative to where `run` was started: try here, then beside the database.
            candidates.append(URL(fileURLWithPath: config.dbPath).deletingLastPathComponent().appendingPathComponent(path).path)
        }
        guard let found = candidates.first(where: { FileManager.default.isReadableFile(atPath: $0) }) else {
            throw PageError.notFound("the recording is no longer at its stored path")
        }
        return found
    }

    func audio(_ req: Request, id: Int64) throws -> Response {
        let path = try recording(id: id)
        let wav: Data
        if let w = cache.get(id) { wav = w }
        else {
            do { wav = try AudioView.pcmWAV(path: path) }
            catch { throw PageError.unprocessable("cannot convert the recording: \(error)") }
            cache.put(id, wav)
        }
        var headers: HTTPFields = [.contentType: "audio/wav", .acceptRanges: "bytes", .cacheControl: "private, max-age=3600"]
        if let range = req.headers[.range], let (lo, hi) = Self.byteRange(range, size: wav.count) {
            headers[.contentRange] = "bytes \(lo)-\(hi)/\(wav.count)"
            return Response(status: .partialContent, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: wav[lo...hi])))
        } else if req.headers[.range] != nil {
            headers[.contentRange] = "bytes */\(wav.count)"
            return Response(status: .rangeNotSatisfiable, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: wav)))
    }

    /// `bytes=a-b`, `bytes=a-`, `bytes=-n` (one range) within `size`.
    static func byteRange(_ header: String, size: Int) -> (Int, Int)? {
        guard header.hasPrefix("bytes="), size > 0 else { return nil }
        let spec = header.dropFirst(6)
        guard !spec.contains(","), let dash = spec.firstIndex(of: "-") else { return nil }
        let a = spec[..<dash].trimmingCharacters(in: .whitespaces), b = spec[spec.index(after: dash)...].trimmingCharacters(in: .whitespaces)
        if a.isEmpty {
            guard let n = Int(b), n > 0 else { return nil }
            return (max(0, size - n), size - 1)
        }
        guard let lo = Int(a), lo >= 0, lo < size else { return nil }
        if b.isEmpty { return (lo, size - 1) }
        guard let hi = Int(b), hi >= lo else { return nil }
        return (lo, min(hi, size - 1))
    }

    func signal(id: Int64) throws -> Response {
        let path = try recording(id: id)
        let view: AudioView.SignalView
        do { view = try AudioView.signal(path: path) }
        catch { throw PageError.unprocessable("cannot analyse the recording: \(error)") }
        let data = try JSONEncoder().encode(view)
        return Response.data(data, type: "application/json")
    }
}

/// Errors shown as a page with their status.
struct PageError: Error {
    var status: HTTPResponse.Status
    var message: String
    static func notFound(_ m: String) -> PageError { PageError(status: .notFound, message: m) }
    static func forbidden(_ m: String) -> PageError { PageError(status: .forbidden, message: m) }
    static func badRequest(_ m: String) -> PageError { PageError(status: .badRequest, message: m) }
    static func unprocessable(_ m: String) -> PageError { PageError(status: .unprocessableContent, message: m) }
}

/// The browser's session id (cookie `ct_session`), created on first visit.
struct Session {
    var id: String
    var isNew: Bool
    static func of(_ req: Request) -> Session {
        if let v = req.cookies["ct_session"]?.value, v.count == 32, v.allSatisfy({ $0.isHexDigit }) { return Session(id: v, isNew: false) }
        return Session(id: ReviewServer.generateToken(), isNew: true)
    }
    func set(on res: inout Response) {
        if isNew { res.headers[values: .setCookie].append("ct_session=\(id); Path=/; HttpOnly; SameSite=Strict") }
    }
}

/// Small cache of converted recordings (a reviewer seeks in the same file many times).
final class AudioCache: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [(Int64, Data)] = []
    private let capacity = 4
    func get(_ id: Int64) -> Data? { lock.lock(); defer { lock.unlock() }; return items.first { $0.0 == id }?.1 }
    func put(_ id: Int64, _ d: Data) {
        lock.lock(); defer { lock.unlock() }
        items.removeAll { $0.0 == id }
        items.insert((id, d), at: 0)
        if items.count > capacity { items.removeLast() }
    }
}

/// Headers on every response, the access token, the Origin check, and errors as pages.
struct SecurityMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let server: ReviewServer

    static let csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; " +
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var res: Response
        do { res = try await authorise(request, context: context, next: next) }
        catch let e as PageError { res = Response.html(Pages.error(Int(e.status.code), e.status.reasonPhrase, e.message), status: e.status) }
        catch let e as HTTPError { res = Response.html(Pages.error(Int(e.status.code), e.status.reasonPhrase, e.body ?? e.status.reasonPhrase), status: e.status) }
        catch {
            server.logger.error("\(request.method) \(request.uri.path): \(error)")
            res = Response.html(Pages.error(500, "Internal error", "\(error)"), status: .internalServerError)
        }
        res.headers[.contentSecurityPolicy] = Self.csp
        res.headers[.xContentTypeOptions] = "nosniff"
        res.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        // same-origin, not no-referrer: with no-referrer browsers send `Origin: null` on form posts.
        res.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        res.headers[HTTPField.Name("Cross-Origin-Opener-Policy")!] = "same-origin"
        res.headers[HTTPField.Name("Cross-Origin-Resource-Policy")!] = "same-origin"
        if res.headers[.cacheControl] == nil { res.headers[.cacheControl] = "no-store" }
        return res
    }

    func authorise(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let token = server.config.token {
            var ok = false
            if let auth = request.headers[.authorization], auth.hasPrefix("Bearer ") {
                ok = ReviewServer.constantTimeEqual(String(auth.dropFirst(7)), token)
            }
            if !ok, let c = request.cookies["ct_token"]?.value { ok = ReviewServer.constantTimeEqual(c, token) }
            if !ok {
                let q = DraftEditing.parseForm(String(request.uri.query ?? ""))
                if let t = q["token"], ReviewServer.constantTimeEqual(t, token), request.method == .get {
                    // Trade the token in the address for a cookie, and drop it from the address bar.
                    var res = Response(status: .seeOther, headers: [.location: request.uri.path])
                    res.headers[values: .setCookie].append("ct_token=\(token); Path=/; HttpOnly; SameSite=Strict")
                    return res
                }
                return Response.html(Pages.error(401, "Access token required",
                    "This review server is reachable from the network, so it needs the access token printed when it started: open the address it printed (…/?token=…)."),
                    status: .unauthorized)
            }
        }
        if request.method == .post {
            // A cross-site form post carries a foreign Origin; refuse it before anything else.
            // (`null` says nothing either way; the CSRF token decides then.)
            if let origin = request.headers[.origin], origin != "null", let host = request.head.authority {
                let o = origin.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? ""
                if o.lowercased() != host.lowercased() { throw PageError.forbidden("cross-origin request refused (Origin \(origin), this server \(host))") }
            }
        }
        return try await next(request, context)
    }
}

extension Response {
    static func html(_ s: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
    static func text(_ s: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
    static func data(_ d: Data, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type], body: .init(byteBuffer: ByteBuffer(bytes: d)))
    }
    static func asset(_ s: String, type: String) -> Response {
        Response(status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"], body: .init(byteBuffer: ByteBuffer(string: s)))
    }
}
