import ArgumentParser
import Foundation
import Hummingbird
import Review
import Spotting
import Store
import Triage

struct ReviewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Serve the QA review web page for a store: queue, drafts with audio and evidence, decisions, metrics.",
        discussion: """
        Open the printed address in a browser. The queue lists drafts in review order (hand-offs, \
        low confidence, ambiguous units, poor audio, the rest) with filters and search; a draft page \
        plays the recording (converted to PCM WAV), draws waveform and spectrogram per channel with \
        the keyword hits marked (click one to hear it), and lets a reviewer correct every field, \
        approve, reject or reassign. Decisions are kept append-only with reviewer and time; a save \
        made on an outdated revision is refused as a conflict (and kept in the history), never \
        applied over another reviewer's. Keyboard: a approve, x reject, s save, n next, p play, ? help.
        Bound to loopback by default. Bound to any other address it requires an access token: \
        --token, or CALLTRIAGE_REVIEW_TOKEN, or one generated and printed at start.
        """)

    @Option(help: "SQLite store written by `calltriage run`.")
    var db: String

    @Option(help: "Address to listen on.")
    var bind: String = "127.0.0.1"

    @Option(help: "Port to listen on.")
    var port: Int = 8080

    @Option(help: "Access token (required when not bound to loopback; generated if not given).")
    var token: String?

    @Flag(help: "Require the token on loopback too.")
    var requireToken = false

    func validate() throws {
        if !(0...65535).contains(port) { throw ValidationError("--port: 0…65535") }
        if let t = token, t.count < 16 { throw ValidationError("--token: at least 16 characters") }
    }

    func run() async throws {
        guard FileManager.default.fileExists(atPath: db) else { CLI.writeStderr("error: \(db): no such store (run `calltriage run … --db \(db)` first)\n"); throw ExitCode(2) }
        let store: Store
        do { store = try Store(path: db) } catch { CLI.writeStderr("error: store \(db): \(error)\n"); throw ExitCode(2) }
        let domain: Domain
        do { domain = try Domain.load(directory: ModelPaths.root.appendingPathComponent("triage")) }
        catch { CLI.writeStderr("error: triage domain: \(error)\n"); throw ExitCode(2) }
        var config = ReviewServer.Config()
        config.bind = bind
        config.port = port
        config.dbPath = db
        let loopback = ReviewServer.Config.isLoopback(bind)
        if !loopback || requireToken || token != nil {
            config.token = token ?? ProcessInfo.processInfo.environment["CALLTRIAGE_REVIEW_TOKEN"] ?? ReviewServer.generateToken()
        }
        let server = ReviewServer(store: store, domain: domain, config: config)
        let host = bind.contains(":") ? "[\(bind)]" : bind
        var url = "http://\(host):\(port)/"
        if let t = config.token { url += "?token=\(t)" }
        let counts = (try? store.statusCounts()) ?? [:]
        CLI.writeStdout("calltriage review: \(db) (\(counts.values.reduce(0, +)) drafts, \(counts["draft"] ?? 0) waiting)\n  open \(url)\n")
        if !loopback { CLI.writeStdout("  bound to \(bind): reachable from the network; the token above is required\n") }
        try await server.application().runService()
    }
}
