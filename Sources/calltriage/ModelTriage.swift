import ArgumentParser
import Foundation
import Spotting
import Triage

extension ModelCommand {
    struct FitTriage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fit-triage",
            abstract: "Fit the triage weights (topic, request type, hand-off) from labelled transcripts.",
            discussion: """
            LABELLED is one or more labelled-set manifests (JSONL, LABELLED_SETS.md format) with \
            transcripts and labels — the centre's own reviewed tickets, or the synthetic calls of \
            tools/triage/make_calls.py. Weights are regularised multinomial logistic regressions over \
            keyword features and character n-grams (docs/ticket-draft.md). Deterministic for a seed. \
            A line without a topic but with units teaches the topic head when its reference unit \
            belongs to exactly one topic (letters labelled with the answering department). \
            With --dev, the fitted model is scored on a held-out set before it is written.

            Lines with a recording (`audio`) can teach the heads what the spotter really hears: \
            --spot spots them with the shipped model, keyword list, thresholds and verifier (both \
            cores), or --audio-hits reads hits already spotted (`calltriage spot ... > hits.jsonl`; \
            files matched by path). Those hits become the call's audio view, next to the simulated \
            one (--recorded-only: instead of it). Call ids must be unique across the manifests. \
            Refit after changing the acoustic model, verifier, thresholds or keyword list.
            """)

        @Argument(help: "Labelled manifests (JSONL).")
        var labelled: [String]

        @Option(help: "Example weight per manifest, comma-separated, in order (default 1 each).")
        var weights: String?

        @Option(help: "Output weights file.")
        var out: String = "Models/triage/weights.tsv"

        @Option(help: "Held-out labelled manifest to score after fitting.")
        var dev: String?

        @Option(help: "Version string written into the model.")
        var version: String?

        @Option(help: "Drop weights smaller than this in magnitude when writing (smaller file, same decisions).")
        var prune: Double = 0.1

        @Option(help: "Epochs.") var epochs: Int = 12
        @Option(help: "L2 penalty.") var l2: Double = 3e-5
        @Option(help: "Learning rate.") var learningRate: Double = 0.03
        @Option(help: "Run the whole fit this many times (seeds seed, seed+1, …: other example orders and audio views) and average the weights into one model.")
        var ensemble = 1
        @Flag(help: "Keep the learning rate constant (default: it falls linearly to zero over the run).")
        var constantLearningRate = false
        @Option(help: "Random seed.") var seed: UInt64 = 20261123
        @Option(help: "Audio view: probability that a keyword in the transcript is not heard.")
        var audioDropout: Double = TriageFitter.Options().dropout
        @Option(help: "Audio view: mean number of false keyword hits added per call (short keywords, the ones a spotter confuses).")
        var audioFalseHits: Double = TriageFitter.Options().falseHits

        @Flag(help: "Spot the recordings of lines with `audio` and use the hits as their audio view.")
        var spot = false
        @Option(help: "Hits of the recordings from `calltriage spot` (JSONL), used as their audio view.")
        var audioHits: String?
        @Flag(help: "With recorded hits, leave out the simulated audio view of those calls.")
        var recordedOnly = false
        @Option(help: "Hand-off head: weight of an emergency's examples relative to a non-emergency's.")
        var emergencyWeight: Double = TriageFitter.Options().emergencyWeight

        func validate() throws {
            if spot && audioHits != nil { throw ValidationError("--spot and --audio-hits exclude each other") }
        }

        func run() throws {
            let engine = try TriageSetup.engine(untrained: true)
            var sets: [(calls: [LabelledCall], weight: Double)] = []
            var recordings: [(id: String, path: String)] = []
            let ws = weights?.split(separator: ",").compactMap { Double($0) } ?? []
            if weights != nil && ws.count != labelled.count {
                throw ValidationError("--weights needs one number per manifest (\(labelled.count))")
            }
            for (i, path) in labelled.enumerated() {
                do {
                    let calls = try LabelledSet.read(URL(fileURLWithPath: path)) { CLI.writeStderr("warning: \($0); skipped\n") }
                    sets.append((calls, ws.isEmpty ? 1 : ws[i]))
                    let base = URL(fileURLWithPath: path).deletingLastPathComponent()
                    for c in calls { if let a = c.audio { recordings.append((c.id, a.hasPrefix("/") ? a : base.appendingPathComponent(a).path)) } }
                    CLI.writeStderr("\(path): \(calls.count) calls, weight \(ws.isEmpty ? 1 : ws[i])\n")
                } catch { CLI.writeStderr("error: \(error)\n"); throw ExitCode(2) }
            }
            var fitter = TriageFitter(engine: engine)
            fitter.options.epochs = epochs; fitter.options.l2 = l2; fitter.options.learningRate = learningRate; fitter.options.seed = seed
            fitter.options.decay = !constantLearningRate
            fitter.options.ensemble = ensemble
            fitter.options.dropout = audioDropout; fitter.options.falseHits = audioFalseHits
            fitter.options.simulatedWithRecorded = !recordedOnly
            fitter.options.emergencyWeight = emergencyWeight
            if spot || audioHits != nil {
                if recordings.isEmpty { CLI.writeStderr("warning: no line has `audio`; nothing to spot\n") }
                // Recorded hits are found by call id: an id used twice would lend one call's hits to another.
                var seen = Set<String>()
                let dup = sets.flatMap { $0.calls.map(\.id) }.filter { !seen.insert($0).inserted }
                if !dup.isEmpty {
                    CLI.writeStderr("error: call ids used more than once across the manifests (\(dup.prefix(5).joined(separator: ", "))\(dup.count > 5 ? ", …" : "")); recorded hits are matched by id\n")
                    throw ExitCode(2)
                }
                fitter.recordedHits = spot ? try RecordedHits.spot(recordings, keywords: engine.keywords)
                    : try RecordedHits.load(audioHits!, recordings, keywords: engine.keywords)
            }
            let v = version ?? "triage-" + ISO8601DateFormatter.string(from: Date(), timeZone: .gmt, formatOptions: [.withFullDate])
            let notes = ["fitted by: calltriage model fit-triage " + CommandLine.arguments.dropFirst(3).joined(separator: " ")] +
                sets.enumerated().map { "set \($0.offset + 1): \(labelled[$0.offset]) — \($0.element.calls.count) calls, weight \($0.element.weight)" }
            let (model, report) = fitter.fit(sets, version: v, notes: notes) { CLI.writeStderr("\r\($0)      ") }
            CLI.writeStderr("\n")
            for (k, n) in report.examples.sorted(by: { $0.key < $1.key }) {
                CLI.writeStderr(String(format: "head %@: %d examples, final loss %.4f\n", k, n, report.loss[k] ?? .nan))
            }
            CLI.writeStderr("features: \(report.features); skipped lines: \(report.skipped.count)\n")
            for s in report.skipped.prefix(10) { CLI.writeStderr("  skipped \(s)\n") }
            if let dev {
                let e = TriageEngine(domain: engine.domain, model: model, rules: engine.rules, keywords: engine.keywords,
                                     lexicon: engine.matcher.lexicon)
                let c = try EvaluateTriage.score(engine: e, path: dev)
                CLI.writeStdout(EvaluateTriage.report(c, name: dev, verbose: false))
            }
            do { try model.write(to: URL(fileURLWithPath: out), prune: prune) }
            catch { CLI.writeStderr("error: cannot write \(out): \(error)\n"); throw ExitCode(2) }
            CLI.writeStderr("wrote \(out) (version \(v))\n")
        }
    }

    /// The hits of labelled recordings for the triage fit, as the pipeline sees them: the
    /// model's keyword list at its calibrated thresholds, with the verifier, confidence set.
    enum RecordedHits {
        /// Spots every recording on both cores; a file that fails is reported and left out (its
        /// call keeps the simulated view only).
        static func spot(_ recordings: [(id: String, path: String)], keywords: [Keyword]) throws -> [String: [KeywordHit]] {
            let spotter = try SpotSetup.spotter(model: nil, keywords: keywords)
            /// Shared between the workers, always under its lock.
            final class Shared: @unchecked Sendable {
                let lock = NSLock()
                var hits: [String: [KeywordHit]] = [:]
                var done = 0
            }
            let shared = Shared()
            DispatchQueue.concurrentPerform(iterations: 2) { worker in
                for i in stride(from: worker, to: recordings.count, by: 2) {
                    let r = recordings[i]
                    let result = Result { try spotter.spot(path: r.path) }
                    shared.lock.lock()
                    switch result {
                    case .success(let hits): shared.hits[r.id] = hits
                    case .failure(let e): CLI.writeStderr("\nerror: \(r.path): \(e); call \(r.id) keeps the simulated view only\n")
                    }
                    shared.done += 1
                    if shared.done % 50 == 0 || shared.done == recordings.count { CLI.writeStderr("\rspotting \(shared.done)/\(recordings.count)   ") }
                    shared.lock.unlock()
                }
            }
            let out = shared.hits
            CLI.writeStderr("\n")
            return out
        }

        /// Reads `calltriage spot` JSONL; hits are matched to recordings by path (standardised),
        /// kept at the keyword's threshold and given the pipeline's confidence. Text lines
        /// (channel "transcript") are skipped. A recording with no line was spotted and heard nothing.
        static func load(_ file: String, _ recordings: [(id: String, path: String)], keywords: [Keyword]) throws -> [String: [KeywordHit]] {
            var thresholds: [String: Double] = [:]
            for k in keywords { thresholds[k.text] = k.threshold ?? KeywordDecoder.Options().threshold }
            func key(_ p: String) -> String { URL(fileURLWithPath: p).standardizedFileURL.path }
            struct Line: Decodable { var file: String; var channel: String?; var keyword: String; var start: Double?; var end: Double?; var score: Double }
            var bad = 0
            let lines: [(line: Int, value: Line)]
            do {
                lines = try JSONLines.read(URL(fileURLWithPath: file), as: Line.self, what: "hits file") { n, _ in
                    bad += 1
                    if bad <= 5 { CLI.writeStderr("warning: \(file):\(n): not a spot hit line; skipped\n") }
                }
            } catch { CLI.writeStderr("error: \(error)\n"); throw ExitCode(2) }
            var byPath: [String: [KeywordHit]] = [:]
            for (_, h) in lines where h.channel != "transcript" {
                guard let t = thresholds[h.keyword], h.score >= t else { continue }
                byPath[key(h.file), default: []].append(KeywordHit(keyword: h.keyword, start: h.start, end: h.end, score: h.score, channel: h.channel,
                                                                   confidence: KeywordHit.confidence(score: h.score, threshold: t)))
            }
            var out: [String: [KeywordHit]] = [:]
            var matched = 0
            for r in recordings {
                let hits = byPath[key(r.path)]
                if hits != nil { matched += 1 }
                out[r.id] = hits ?? []
            }
            CLI.writeStderr("\(file): hits for \(matched) of \(recordings.count) recordings\n")
            if matched == 0 && !recordings.isEmpty {
                CLI.writeStderr("error: no recording of the manifests appears in \(file) (paths are compared after resolving them)\n")
                throw ExitCode(2)
            }
            return out
        }
    }

    struct EvaluateTriage: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "evaluate-triage",
            abstract: "Score triage on labelled transcripts: routing top-1/top-3, request type, topic, hand-offs.",
            discussion: "Routing follows LABELLED_SETS.md: strict (reference unit first) and lenient (any acceptable unit).")

        @Argument(help: "Labelled manifests (JSONL) with transcripts.")
        var labelled: [String]

        @Option(help: "Triage weights (default Models/triage/weights.tsv).")
        var weights: String?

        @Flag(help: "List every error.")
        var verbose = false

        @Option(help: "Probability above which the hand-off classifier alone raises a hand-off.")
        var handoffThreshold: Double?

        @Option(help: "On transcripts, hand-off cue words are overruled (flag handoff_check) when the model gives no emergency at least this probability (1 = never).")
        var handoffVeto: Double?

        @Option(help: "On transcripts, the model's emergency kind replaces the cue word's above this probability (1 = never).")
        var handoffKindOverride: Double?

        func run() throws {
            var engine = try TriageSetup.engine(weights: weights)
            if let v = handoffKindOverride { engine.options.handoffKindOverride = v }
            if let t = handoffThreshold { engine.options.handoffModelThreshold = t }
            if let v = handoffVeto { engine.options.handoffVeto = v }
            for path in labelled {
                let c = try Self.score(engine: engine, path: path)
                CLI.writeStdout(Self.report(c, name: path, verbose: verbose))
            }
        }

        static func score(engine: TriageEngine, path: String) throws -> TriageScorer.Counts {
            let calls: [LabelledCall]
            do { calls = try LabelledSet.read(URL(fileURLWithPath: path)) { CLI.writeStderr("warning: \($0); skipped\n") } }
            catch { CLI.writeStderr("error: \(error)\n"); throw ExitCode(2) }
            var c = TriageScorer.Counts()
            let scorer = TriageScorer()
            for call in calls {
                guard let labels = call.labels, let t = call.transcript else { continue }
                scorer.add(engine.draft(TriageInput(id: call.id, transcript: t)), labels, into: &c)
            }
            return c
        }

        static func report(_ c: TriageScorer.Counts, name: String, verbose: Bool) -> String {
            func pct(_ a: Int, _ b: Int) -> String { b > 0 ? String(format: "%5.1f%% (%d/%d)", 100 * Double(a) / Double(b), a, b) : "  n/a" }
            var s = "\(name): \(c.calls) calls\n"
            s += "  unit top-1 lenient  \(pct(c.top1Lenient, c.routed))\n"
            s += "  unit top-1 strict   \(pct(c.top1Strict, c.routed))\n"
            s += "  unit top-3          \(pct(c.top3, c.routed))\n"
            s += "  request type        \(pct(c.typeCorrect, c.typeLabelled))\n"
            s += "  topic               \(pct(c.topicCorrect, c.topicLabelled))\n"
            s += "  time limit          \(pct(c.timeCorrect, c.timeLabelled))\n"
            s += "  out of scope        \(pct(c.outOfScopeCorrect, c.outOfScopeLabelled))\n"
            s += "  place               \(pct(c.placeCorrect, c.placeLabelled))\n"
            let tp = c.handoffTP.values.reduce(0, +), lab = c.handoffLabelled.values.reduce(0, +), pred = c.handoffPredicted.values.reduce(0, +)
            s += "  hand-off recall     \(pct(tp, lab))   precision \(pct(tp, pred))\n"
            for h in Set(c.handoffLabelled.keys).union(c.handoffPredicted.keys).sorted() {
                s += "    \(h): recall \(pct(c.handoffTP[h] ?? 0, c.handoffLabelled[h] ?? 0)) precision \(pct(c.handoffTP[h] ?? 0, c.handoffPredicted[h] ?? 0))\n"
            }
            if verbose { for e in c.errors { s += "  ✗ \(e)\n" } }
            return s
        }
    }
}
