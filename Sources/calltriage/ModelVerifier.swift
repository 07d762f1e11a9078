import ArgumentParser
import AudioIO
import Foundation
import Spotting
import Triage

extension SpotSetup {
    /// A spotter with the model, keywords and the hit verifier (`verifier(_:)`).
    static func spotter(model: String?, keywords: [Keyword], verifier: String? = nil) throws -> Spotter {
        var s = Spotter(model: try SpotSetup.model(model), keywords: keywords)
        s.verifier = try SpotSetup.verifier(verifier)
        return s
    }

    /// The hit verifier: `none` → nil; a path → that file (it must load); nil → the model's
    /// `Models/acoustic/verifier.tsv` when it exists.
    static func verifier(_ option: String?) throws -> HitVerifier? {
        if option == "none" { return nil }
        let url = option.map { URL(fileURLWithPath: $0) } ?? ModelPaths.verifier
        if option == nil && !FileManager.default.fileExists(atPath: url.path) { return nil }
        do { return try HitVerifier(contentsOf: url) }
        catch { CLI.writeStderr("error: hit verifier: \(error)\n"); throw ExitCode(2) }
    }

    /// Audio paths of a manifest (the labelled-set format, `audio` relative to the manifest) with
    /// their reference keyword times, or one bare audio path. Broken lines are reported and skipped.
    static func labelledAudio(_ path: String) -> [(path: String, refs: [KWSScorer.Reference])] {
        guard path.hasSuffix(".jsonl") else { return [(path, [])] }
        let base = (path as NSString).deletingLastPathComponent
        do {
            let calls = try LabelledSet.read(URL(fileURLWithPath: path)) { CLI.writeStderr("error: \($0)\n") }
            return calls.compactMap { c in
                guard let a = c.audio else { return nil }
                let refs = (c.keywords ?? []).map { KWSScorer.Reference(text: $0.text, start: $0.start, end: $0.end) }
                return ((base as NSString).appendingPathComponent(a), refs)
            }
        } catch {
            CLI.writeStderr("error: \(error)\n")
            return []
        }
    }
}

extension ModelCommand {
    struct FitVerifier: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit the hit verifier: the second pass that rescores each keyword candidate.",
            discussion: """
            Every candidate the decoder finds at or above --candidate-floor (its raw score) in the \
            labelled audio is aligned to the keyword's phones and described by the features of \
            Sources/Spotting/Verifier.swift (weakest phone, margin to the best unit, tone, silence, \
            length…); a hit matching a reference occurrence (same keyword, centre within 0.5 s of the \
            reference) is real, any other a false alarm. A logistic regression over those features \
            gives the probability a hit is real, which becomes the hit's score: recalibrate the \
            thresholds afterwards (`calltriage model calibrate`), since they are set on that score. \
            Use audio in the voices and channel you expect, not the audio the acoustic model was \
            trained on (its posteriors are over-confident there).
            """)

        @Argument(help: "Labelled manifests (JSONL with `audio` and `keywords` reference times); keyword-free manifests add false alarms only.")
        var manifests: [String]
        @Option(help: "Keyword file (default: the model's).") var keywords: String?
        @Option(help: "Acoustic model.") var model: String?
        @Option(help: "Raw decoder score a candidate needs to be verified.") var candidateFloor: Double = 0.05
        @Option(help: "L2 penalty on the standardised weights.") var l2: Double = 1e-3
        @Option(help: "Output file.") var out: String = "Models/acoustic/verifier.tsv"
        @Option(help: "Also write every candidate (features and label) as JSONL here.") var dump: String?

        func run() throws {
            guard candidateFloor > 0 && candidateFloor < 1 else { throw ValidationError("--candidate-floor must be in (0, 1)") }
            let lex = try SpotSetup.lexicon()
            var kws = try SpotSetup.keywords(keywords, lexicon: lex, warnUncalibrated: false)
            for i in kws.indices { kws[i].threshold = 0 }    // keep every candidate; the sink sees them all
            var spotter = Spotter(model: try SpotSetup.model(model), keywords: kws)
            // A verifier that accepts everything: only its candidate floor and the features matter here.
            spotter.verifier = HitVerifier(mean: [], std: [], weights: [], bias: 0, candidateFloor: candidateFloor)
            let files = manifests.flatMap(SpotSetup.labelledAudio)
            guard !files.isEmpty else { throw ValidationError("no audio in \(manifests.joined(separator: ", "))") }
            var x: [[Float]] = [], y: [Bool] = [], kwOf: [String] = [], fold: [Int] = []
            var dumpLines: [String] = []
            var seconds = 0.0
            let t0 = Date()
            for (i, f) in files.enumerated() {
                var found: [(KeywordHit, [Float])] = []
                do {
                    _ = try spotter.spot(path: f.path) { k, hit, feats in found.append((hit, feats)) }
                    seconds += (try? AudioDecoder(path: f.path).info.duration) ?? 0
                } catch { CLI.writeStderr("warning: \(f.path): \(error)\n"); continue }
                for (hit, feats) in found {
                    guard let label = FitVerifier.label(hit, f.refs) else { continue }
                    x.append(feats); y.append(label); kwOf.append(hit.keyword); fold.append(i % 2)
                    if dump != nil {
                        dumpLines.append("{\"file\": \(Spot.json(f.path)), \"keyword\": \(Spot.json(hit.keyword)), \"start\": \(hit.start ?? 0), \"end\": \(hit.end ?? 0), \"label\": \(label), \"features\": [\(feats.map { String($0) }.joined(separator: ", "))]}\n")
                    }
                }
                if (i + 1) % 200 == 0 { CLI.writeStderr("\(i + 1)/\(files.count) files, \(x.count) candidates\n") }
            }
            if let d = dump { try dumpLines.joined().write(toFile: d, atomically: true, encoding: .utf8) }
            let positives = y.filter { $0 }.count
            guard positives > 0 && positives < y.count else {
                CLI.writeStderr("error: need both real hits and false alarms among the candidates (\(positives) real of \(y.count))\n")
                throw ExitCode(1)
            }
            let hours = seconds / 3600
            // Keyword priors: for the rows the regression learns from, counted on the other half of
            // the files (so a row's own label is not in its prior); for use, counted on all.
            func priors(_ use: (Int) -> Bool, hours: Double) -> [String: HitVerifier.Prior] {
                var fa: [String: Int] = [:], real: [String: Int] = [:]
                for i in x.indices where use(i) { if y[i] { real[kwOf[i], default: 0] += 1 } else { fa[kwOf[i], default: 0] += 1 } }
                var out: [String: HitVerifier.Prior] = [:]
                for k in kws { out[k.text] = .of(falseAlarms: fa[k.text] ?? 0, real: real[k.text] ?? 0, hours: hours) }
                return out
            }
            let byFold = [priors({ fold[$0] == 1 }, hours: hours / 2), priors({ fold[$0] == 0 }, hours: hours / 2)]
            let rows = x.indices.map { i -> [Float] in
                let p = byFold[fold[i]][kwOf[i]]!
                return x[i] + [p.falseAlarmRate, p.realShare]
            }
            var all = priors({ _ in true }, hours: hours)
            for n in 2...5 {
                let same = kws.filter { min(5, max(2, $0.text.count)) == n }.compactMap { all[$0.text] }
                guard !same.isEmpty else { continue }
                all["*\(n)"] = HitVerifier.Prior(falseAlarmRate: same.map(\.falseAlarmRate).reduce(0, +) / Float(same.count),
                                                 realShare: same.map(\.realShare).reduce(0, +) / Float(same.count))
            }
            var v = HitVerifier.fit(rows, y, l2: l2, candidateFloor: candidateFloor, notes: [
                "made by: calltriage model fit-verifier \(manifests.joined(separator: " ")) --candidate-floor \(candidateFloor) --l2 \(l2)",
                "\(files.count) files, \(String(format: "%.2f", hours)) h; \(y.count) candidates, \(positives) real, \(y.count - positives) false alarms",
            ])
            v.priors = all
            try v.write(to: URL(fileURLWithPath: out))
            CLI.writeStderr(String(format: "%d candidates (%d real) in %.2f h, %.0f s → %@\n", y.count, positives, hours, Date().timeIntervalSince(t0), out))
        }

        /// true: matches a reference occurrence; false: a false alarm; nil: a keyword heard inside a
        /// longer reference keyword that contains it (neither, as in `KWSScorer`).
        static func label(_ h: KeywordHit, _ refs: [KWSScorer.Reference]) -> Bool? {
            let o = KWSScorer.score(hits: [h], references: refs)
            if o.referenceScores.contains(where: { $0.1 > 0 }) { return true }
            return o.falseAlarmScores.isEmpty ? nil : false
        }
    }
}
