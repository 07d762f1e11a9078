import ArgumentParser
import AudioIO
import Foundation
import Spotting

extension ModelCommand {
    struct Evaluate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Keyword recall and false alarms per hour on labelled audio, as a curve over the threshold.",
            discussion: """
            DEV is a labelled-set manifest with `keywords` reference times; --negatives adds audio that \
            contains none of the keywords (every hit there is a false alarm). Prints a Markdown table \
            (and JSON with --json) with the global-threshold curve and the operating point of the \
            calibrated per-keyword thresholds.
            """)

        @Argument(help: "Dev manifest (JSONL) with keyword reference times.")
        var dev: String
        @Option(help: "Manifest of negative audio.") var negatives: String?
        @Option(help: "Keyword file (default: the model's).") var keywords: String?
        @Option(help: "Acoustic model.") var model: String?
        @Option(help: "Frame score: ratio (versus the best phone) or posterior.") var scoring: KeywordDecoder.Scoring = KeywordDecoder.Options().scoring
        @Option(help: "Per-keyword threshold table (default: Models/acoustic/thresholds.tsv); repeat to compare several operating points.")
        var thresholds: [String] = []
        @Option(help: "Write the results as JSON here.") var json: String?
        @Option(help: "Use at most this many dev utterances.") var limit: Int?
        @Option(help: "Average posteriors over this many 20 ms frames (1 = off).") var smoothing: Int = 3
        @Option(help: "Hit verifier (default Models/acoustic/verifier.tsv when present; `none`: raw decoder scores).") var verifier: String?

        func run() throws {
            let lex = try SpotSetup.lexicon()
            let tables: [String?] = thresholds.isEmpty ? [nil] : thresholds.map { Optional($0) }
            let calibratedLists = try tables.map { try SpotSetup.keywords(keywords, lexicon: lex, thresholds: $0) }
            var open = calibratedLists[0]
            // Collect every hit down to the lowest calibrated threshold (and 0.2 at most).
            let lowest = calibratedLists.flatMap { $0.compactMap(\.threshold) }.min() ?? 0.2
            let floor = max(0.001, min(0.2, lowest))
            for i in open.indices { open[i].threshold = floor }
            var spotter = Spotter(model: try SpotSetup.model(model), keywords: open)
            spotter.options.threshold = floor
            spotter.smoothing = smoothing
            spotter.options.scoring = scoring
            spotter.verifier = try SpotSetup.verifier(verifier)
            let known = Set(open.map(\.text))
            var outcomes: [KWSScorer.Outcome] = []
            var calibratedOutcomes = [[KWSScorer.Outcome]](repeating: [], count: tables.count)
            var seconds = 0.0
            let thresholdOf = calibratedLists.map { l in Dictionary(uniqueKeysWithValues: l.map { ($0.text, $0.threshold ?? 0.5) }) }
            var list = SpotSetup.labelledAudio(dev)
            if let l = limit { list = Array(list.prefix(l)) }
            let neg = negatives.map(SpotSetup.labelledAudio) ?? []
            let t0 = Date()
            for (i, e) in (list + neg.map { ($0.path, []) }).enumerated() {
                guard let hits = try? spotter.spot(path: e.path) else { CLI.writeStderr("skipped \(e.path)\n"); continue }
                seconds += (try? AudioDecoder(path: e.path).info.duration) ?? 0
                let refs = e.refs.filter { known.contains($0.text) }
                outcomes.append(KWSScorer.score(hits: hits, references: refs))
                for (j, th) in thresholdOf.enumerated() {
                    calibratedOutcomes[j].append(KWSScorer.score(hits: hits.filter { $0.score >= th[$0.keyword] ?? 0.5 }, references: refs))
                }
                if (i + 1) % 100 == 0 { CLI.writeStderr("\(i + 1) files, \(String(format: "%.2f", seconds / 3600)) h\n") }
            }
            let wall = Date().timeIntervalSince(t0)
            let hours = seconds / 3600
            let thresholds = ([0.05, 0.1, 0.15].filter { $0 >= floor } + Array(stride(from: 0.2, through: 0.951, by: 0.05)))
                .map { ($0 * 100).rounded() / 100 }
            let curve = KWSScorer.curve(outcomes, hours: hours, thresholds: thresholds)
            let ops = calibratedOutcomes.map { KWSScorer.curve($0, hours: hours, thresholds: [0.0])[0] }
            let nref = outcomes.flatMap(\.referenceScores).count
            var s = String(format: "%d dev files (%d keyword occurrences) + %d negative files, %.2f h audio, %.0f s wall (%.0f× real time, spotting %d keywords)\n\n",
                           list.count, nref, neg.count, hours, wall, seconds / max(wall, 1e-9), open.count)
            s += "| threshold | recall | false alarms / h | hits | false alarms |\n|---:|---:|---:|---:|---:|\n"
            for p in curve { s += String(format: "| %.2f | %.3f | %.2f | %d | %d |\n", p.threshold, p.recall, p.falseAlarmsPerHour, p.hits, p.falseAlarms) }
            for (j, op) in ops.enumerated() {
                let name = tables[j].map { " (\(($0 as NSString).lastPathComponent))" } ?? ""
                s += String(format: "| calibrated per keyword%@ | %.3f | %.2f | %d | %d |\n", name, op.recall, op.falseAlarmsPerHour, op.hits, op.falseAlarms)
            }
            CLI.writeStdout(s)
            if let j = json {
                let obj: [String: Any] = ["hours": hours, "references": nref, "wall_seconds": wall,
                                          "curve": curve.map { ["threshold": $0.threshold, "recall": $0.recall, "fa_per_hour": $0.falseAlarmsPerHour] },
                                          "calibrated": ops.enumerated().map { j, op in
                                              ["table": tables[j] ?? ModelPaths.thresholds.path, "recall": op.recall, "fa_per_hour": op.falseAlarmsPerHour] as [String: Any] }]
                try JSONSerialization.data(withJSONObject: obj, options: [.prettyPrinted, .sortedKeys]).write(to: URL(fileURLWithPath: j))
            }
        }
    }
}
