import ArgumentParser
import Batch
import Bench
import Foundation
import Spotting
import Triage

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Score a labelled set end to end and write report.json + report.html (or compare two reports).",
        discussion: """
        MANIFEST is a labelled set (../shared/domain/LABELLED_SETS.md). Entries with a transcript are \
        scored on the text path, entries with audio on the audio path (spotting → triage), both side \
        by side when a call has both. Keyword spotting is scored where entries give `keywords` \
        reference times: recall per keyword and overall, false alarms per hour, the curve over the \
        threshold (DET) and the term-weighted value (ATWV at the calibrated thresholds, MTWV over the \
        curve, β = 999.9). Triage: request type, topic, time limit, out of scope, place, hand-off \
        recall/precision per type, routing top-1 strict and lenient and top-3, unit confusion. Speed \
        per stage (× real time) and peak memory. Writes DIR/report.json (every number, model \
        versions, machine) and DIR/report.html (self-contained, SVG plots), prints a summary table.
        `calltriage bench --compare A.json B.json` prints the differences between two reports.
        """)

    @Argument(help: "Labelled-set manifest (JSONL).")
    var manifest: String?

    @Option(help: "Output folder for report.json and report.html.")
    var out: String = "bench-out/report"

    @Option(help: "Keyword file (default: the model's list with its calibrated thresholds).")
    var keywords: String?

    @Option(help: "Triage weights (default Models/triage/weights.tsv).")
    var weights: String?

    @Option(help: "Acoustic model file (default Models/acoustic/kws.ctkws).")
    var model: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var workers: Int = max(1, ProcessInfo.processInfo.activeProcessorCount)

    @Option(parsing: .upToNextOption, help: "Compare two report.json files: --compare A B.")
    var compare: [String] = []

    @Flag(help: "With --compare: list timing and machine differences too.")
    var all = false

    @Flag(help: "No progress output.")
    var quiet = false

    func validate() throws {
        if !compare.isEmpty {
            if compare.count != 2 { throw ValidationError("--compare takes two report.json files") }
        } else if manifest == nil {
            throw ValidationError("give a MANIFEST to score, or --compare A B")
        }
        if workers < 1 { throw ValidationError("--workers must be ≥ 1") }
    }

    func run() throws {
        if !compare.isEmpty {
            let data: [Data]
            do { data = try compare.map { try Data(contentsOf: URL(fileURLWithPath: $0)) } }
            catch { CLI.writeStderr("error: \(error.localizedDescription)\n"); throw ExitCode(2) }
            do {
                let c = try BenchReport.compare(data[0], data[1], all: all)
                CLI.writeStdout(BenchReport.formatComparison(c, nameA: compare[0], nameB: compare[1]))
            } catch { CLI.writeStderr("error: not a report.json: \(error)\n"); throw ExitCode(2) }
            return
        }
        let manifest = self.manifest!
        let url = URL(fileURLWithPath: manifest)
        var bad = 0
        let calls: [LabelledCall]
        do { calls = try LabelledSet.read(url, bad: { CLI.writeStderr("error: \($0)\n"); bad += 1 }) }
        catch { CLI.writeStderr("error: \(error)\n"); throw ExitCode(2) }
        guard !calls.isEmpty else { CLI.writeStderr("error: \(manifest): no usable entries\n"); throw ExitCode(2) }
        let engine = try TriageSetup.engine(keywords: keywords, weights: weights)
        let spotter = try SpotSetup.spotter(model: model, keywords: engine.keywords)
        var opts = BenchRunner.Options()
        opts.workers = workers
        let runner = BenchRunner(engine: engine, spotter: spotter, options: opts)
        let tty = isatty(STDERR_FILENO) == 1
        var last = Date.distantPast
        if !quiet {
            runner.progress = { done, total in
                guard Date().timeIntervalSince(last) >= (tty ? 0.25 : 10) || done == total else { return }
                last = Date()
                CLI.writeStderr((tty ? "\r" : "") + "bench: \(done)/\(total) calls" + (tty ? "  " : "\n"))
            }
        }
        let t0 = Date()
        let results = runner.run(calls, base: url.deletingLastPathComponent())
        let wall = Date().timeIntervalSince(t0)
        if !quiet && tty { CLI.writeStderr("\n") }
        let versions = BenchReport.Versions(triage: engine.model.version, acoustic: "\(spotter.model.header.format) v\(spotter.model.header.version) (" +
                                                spotter.model.header.provenance.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")",
                                            keywords: keywords ?? "Models/keywords.tsv")
        let report = BenchReport.make(results: results, manifest: manifest, versions: versions, keywords: engine.keywords.count,
                                      thresholds: opts.thresholds, wallSeconds: wall, workers: workers, peakRSSBytes: BatchRunner.peakRSS())
        let dir = URL(fileURLWithPath: out)
        do {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            try report.json().write(to: dir.appendingPathComponent("report.json"))
            try Data(HTMLReport.render(report).utf8).write(to: dir.appendingPathComponent("report.html"))
        } catch { CLI.writeStderr("error: \(out): \(error.localizedDescription)\n"); throw ExitCode(2) }
        CLI.writeStdout(report.summaryTable() + "report: \(dir.appendingPathComponent("report.json").path), \(dir.appendingPathComponent("report.html").path)\n")
        for f in report.failures { CLI.writeStderr("error: \(f)\n") }
        if !report.failures.isEmpty || bad > 0 { throw ExitCode(1) }
    }
}
