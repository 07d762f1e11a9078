import ArgumentParser
import AudioIO
import Batch
import Foundation
import Spotting
import Store
import Triage

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The overnight batch: draft every call under INPUT into the SQLite store (resumable, idempotent).",
        discussion: """
        Finds audio files recursively (with AUDIO.txt / AUDIO.wav.txt transcripts beside them), and \
        with --manifest the entries of a labelled-set JSONL (audio and/or transcript; transcript-only \
        entries are drafted from the text). Each call is decoded, analysed (quality, speech, DTMF), \
        spotted (or its transcript matched), triaged and stored in one transaction, keyed by the \
        SHA-256 of its content: a file already stored is skipped whatever its name, so the same \
        command after a crash or with new files only does what is missing. --shard K/N takes the \
        calls whose fingerprint falls in shard K of N (N machines, one folder). A file that fails is \
        recorded (failures table) and the batch goes on.
        Exit status: 0 all drafted or skipped, 1 some calls failed, 2 fatal (store or models).
        """)

    @Argument(help: "Folders or audio files.")
    var input: [String] = []

    @Option(help: "SQLite store (created and migrated if needed).")
    var db: String

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(help: "Process only shard K of N, e.g. 2/4.")
    var shard: String?

    @Option(help: "Labelled-set manifest (JSONL) of calls to draft as well.")
    var manifest: String?

    @Option(help: "Channel roles for stereo recordings, e.g. caller=1,agent=0.")
    var roles: String?

    @Flag(help: "No progress output.")
    var quiet = false

    @Option(name: .customLong("summary-json"), help: "Also write the final summary as JSON to this file (for scripts and benchmarks).")
    var summaryJSON: String?

    func parsedShard() -> (Int, Int)? {
        guard let s = shard else { return nil }
        let p = s.split(separator: "/").compactMap { Int($0) }
        guard p.count == 2, p[1] >= 1, p[0] >= 1, p[0] <= p[1] else { return nil }
        return (p[0], p[1])
    }

    func validate() throws {
        if input.isEmpty && manifest == nil { throw ValidationError("give folders/files to process, or --manifest") }
        if shard != nil && parsedShard() == nil { throw ValidationError("--shard: expected K/N with 1 ≤ K ≤ N") }
        if workers < 1 { throw ValidationError("--workers must be ≥ 1") }
        try CLI.validateRoles(roles)
    }

    func run() throws {
        let engine = try TriageSetup.engine()
        let spotter = try SpotSetup.spotter(model: nil, keywords: engine.keywords)
        let store: Store
        do { store = try Store(path: db) }
        catch { CLI.writeStderr("error: store \(db): \(error)\n"); throw ExitCode(2) }
        var (items, missing) = BatchRunner.discover(input)
        for m in missing { CLI.writeStderr("error: \(m): no such file or folder\n") }
        if let manifest {
            let url = URL(fileURLWithPath: manifest)
            let base = url.deletingLastPathComponent()
            do {
                for c in try LabelledSet.read(url, bad: { CLI.writeStderr("error: \($0)\n") }) {
                    let audio = c.audio.map { $0.hasPrefix("/") ? $0 : base.appendingPathComponent($0).path }
                    items.append(BatchItem(id: c.id, audio: audio, transcript: c.transcript))
                }
            } catch { CLI.writeStderr("error: \(error)\n"); throw ExitCode(2) }
        }
        var opts = BatchOptions()
        opts.workers = workers
        opts.shard = parsedShard().map { (k: $0.0, n: $0.1) }
        opts.roles = roles.flatMap(ChannelRoles.init(spec:))
        opts.args = CommandLine.arguments.dropFirst().joined(separator: " ")
        let runner = BatchRunner(store: store, engine: engine, spotter: spotter, options: opts)
        let tty = isatty(STDERR_FILENO) == 1
        var last = Date.distantPast
        let total = items.count
        if !quiet {
            runner.progress = { s, _ in
                let done = s.processed + s.skipped + s.failed + s.outOfShard
                let now = Date()
                guard now.timeIntervalSince(last) >= (tty ? 0.25 : 10) || done == total else { return }
                last = now
                let rt = s.wallSeconds > 0 ? s.audioSeconds / s.wallSeconds : 0
                let rate = s.wallSeconds > 0 ? Double(done) / s.wallSeconds : 0
                let eta = rate > 0 ? Double(total - done) / rate : 0
                let line = String(format: "%d/%d files  drafted %d  skipped %d  failed %d  audio %.2f h  %.0f× real time  ETA %@",
                                  done, total, s.processed, s.skipped, s.failed, s.audioSeconds / 3600, rt, Run.clock(eta))
                if tty {
                    let width = 24, filled = total > 0 ? width * done / total : width
                    CLI.writeStderr("\r[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "] " + line + "  ")
                } else {
                    CLI.writeStderr(ISO8601DateFormatter().string(from: now) + " " + line + "\n")
                }
            }
        }
        let s: BatchSummary
        do { s = try runner.run(items) }
        catch { CLI.writeStderr("\nerror: store \(db): \(error)\n"); throw ExitCode(2) }
        if !quiet && tty { CLI.writeStderr("\n") }
        let counts = try? store.counts()
        var out = "run \(s.runId): \(s.found) calls found"
        if let sh = shard { out += " (\(s.outOfShard) in other shards than \(sh))" }
        out += "\n  drafted   \(s.processed)\n  skipped   \(s.skipped) (already in the store)\n  failed    \(s.failed)"
        if !s.failuresByKind.isEmpty {
            out += " (" + s.failuresByKind.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
        }
        out += String(format: "\n  audio     %.3f h\n  wall      %.1f s\n  speed     %.0f× real time (%.0f× per worker)\n  peak RSS  %.1f MB\n",
                      s.audioSeconds / 3600, s.wallSeconds, s.wallSeconds > 0 ? s.audioSeconds / s.wallSeconds : 0,
                      s.wallSeconds > 0 ? s.audioSeconds / s.wallSeconds / Double(max(1, min(workers, s.found))) : 0,
                      Double(s.peakRSSBytes) / 1_048_576)
        if let c = counts { out += "  store     \(db): \(c.drafts) drafts, \(c.failures) failures recorded, \(c.runs) runs\n" }
        CLI.writeStdout(out)
        if let path = summaryJSON {
            let obj: [String: Any] = [
                "run_id": s.runId, "found": s.found, "drafted": s.processed, "skipped": s.skipped, "failed": s.failed,
                "out_of_shard": s.outOfShard, "failed_by_kind": s.failuresByKind, "audio_seconds": s.audioSeconds,
                "wall_seconds": s.wallSeconds, "workers": workers,
                "x_real_time": s.wallSeconds > 0 ? s.audioSeconds / s.wallSeconds : 0,
                "x_real_time_per_worker": s.wallSeconds > 0 ? s.audioSeconds / s.wallSeconds / Double(max(1, min(workers, s.found))) : 0,
                "peak_rss_bytes": s.peakRSSBytes,
            ]
            let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys])
            try data.write(to: URL(fileURLWithPath: path))
        }
        if s.failed > 0 || !missing.isEmpty { throw ExitCode(1) }
    }

    static func clock(_ s: Double) -> String {
        guard s.isFinite else { return "--:--" }
        let t = Int(s.rounded())
        return String(format: "%d:%02d:%02d", t / 3600, t / 60 % 60, t % 60)
    }
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write the stored drafts for the dispatch system (JSONL drafts or CSV rows).",
        discussion: "JSONL: one draft per line (docs/ticket-draft.md) with its review `status`. CSV: one row per draft, RFC 4180 quoting.")

    @Option(help: "SQLite store.")
    var db: String

    @Option(help: "jsonl or csv.")
    var format: Format = .jsonl

    @Option(help: "Only drafts with this status (draft, approved, …).")
    var status: String?

    enum Format: String, ExpressibleByArgument { case jsonl, csv }

    func run() throws {
        guard FileManager.default.fileExists(atPath: db) else { CLI.writeStderr("error: \(db): no such store\n"); throw ExitCode(2) }
        let store: Store
        do { store = try Store(path: db) } catch { CLI.writeStderr("error: store \(db): \(error)\n"); throw ExitCode(2) }
        let rows = try store.drafts(status: status)
        if format == .csv {
            CLI.writeStdout("id,call_id,status,request_type,topic,topic_confidence,unit,units,handoff,time_limit,out_of_scope,district,street,flags,summary,source_sha256,model_version\n")
        }
        for r in rows {
            guard let d = try? TicketDraft.decode(Data(r.json.utf8)) else { continue }
            switch format {
            case .jsonl:
                var obj = (try? JSONSerialization.jsonObject(with: Data(r.json.utf8))) as? [String: Any] ?? [:]
                obj["status"] = r.status
                obj["store_id"] = r.id
                let data = try JSONSerialization.data(withJSONObject: obj, options: [.sortedKeys, .withoutEscapingSlashes])
                CLI.writeStdout(String(decoding: data, as: UTF8.self) + "\n")
            case .csv:
                let fields: [String] = [String(r.id), d.id, r.status, d.requestType.value, d.topic.value,
                                        String(format: "%.3f", d.topic.confidence), d.units.first?.unit ?? "",
                                        d.units.map(\.unit).joined(separator: ";"), d.handoff ?? "", d.timeLimit,
                                        d.outOfScope ? "1" : "0", d.place?.district ?? "", d.place?.street ?? "",
                                        d.flags.joined(separator: ";"), d.summary, d.source?.sha256 ?? "", d.modelVersion]
                CLI.writeStdout(fields.map(Export.csv).joined(separator: ",") + "\n")
            }
        }
    }

    static func csv(_ s: String) -> String {
        s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + s.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : s
    }
}
