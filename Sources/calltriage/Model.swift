import ArgumentParser
import Foundation
import Spotting

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Train, calibrate, evaluate and describe the models: keyword spotting and triage.",
        subcommands: [Train.self, Calibrate.self, Evaluate.self, Info.self, FitTriage.self, EvaluateTriage.self])

    struct Train: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Train the acoustic model (deterministic for a seed) from a labelled corpus.",
            discussion: """
            CORPUS is a labelled-set manifest (JSONL) whose entries have `audio` and `alignment` (a JSON \
            file with `syllables: [{pinyin, start, end, phones?}]`, as tools/corpus/make_corpus.py writes). \
            With --init, training continues from an existing model: the route for a centre that adds \
            its own recordings (aligned transcripts) to the synthetic corpus.
            """)

        @Argument(help: "Training manifest (JSONL).")
        var corpus: String

        @Option(help: "Held-out manifest for per-epoch frame accuracy.")
        var dev: String?

        @Option(help: "Output model file.")
        var out: String = "Models/acoustic/kws.ctkws"

        @Option(name: .customLong("init"), help: "Start from this model instead of random weights (and align transcript-only entries with it).")
        var initModel: String?

        @Option(help: "Epochs.") var epochs: Int = 14
        @Option(help: "Random seed.") var seed: UInt64 = 1
        @Option(help: "Hidden layer sizes, comma-separated.") var hidden: String = "256,256,256"
        @Option(help: "Learning rate.") var learningRate: Float = 1e-3
        @Option(help: "Mini-batch size.") var batchSize: Int = 256
        @Option(help: "Use at most this many training utterances.") var limit: Int?
        @Option(help: "Train on every n-th frame.") var frameStride: Int = 2

        func run() throws {
            let log = CLI.logger("train")
            var opts = AcousticTrainer.Options()
            opts.epochs = epochs; opts.seed = seed; opts.learningRate = learningRate; opts.batchSize = batchSize
            opts.frameStride = frameStride
            opts.hidden = hidden.split(separator: ",").compactMap { Int($0) }
            let config = AcousticFeatureConfig()
            var warnings = 0
            let t0 = Date()
            // Entries with a transcript but no timings are aligned with the starting model.
            let lexicon = try? Lexicon(directory: ModelPaths.lexicon)
            let aligner = try initModel.map { ForcedAligner(model: try AcousticModel(contentsOf: URL(fileURLWithPath: $0)), lexicon: lexicon ?? Lexicon()) }
            let data = try TrainingCorpus.load(manifest: URL(fileURLWithPath: corpus), config: config, limit: limit, aligner: aligner) { w in
                warnings += 1
                if warnings <= 10 { log.warning("\(w)") }
            }
            let devData = try dev.map { try TrainingCorpus.load(manifest: URL(fileURLWithPath: $0), config: config) } ?? []
            let frames = data.reduce(0) { $0 + $1.count }
            log.info("loaded \(data.count) utterances (\(String(format: "%.2f", Double(frames) / 360000)) h), dev \(devData.count), \(warnings) skipped, \(String(format: "%.0f", Date().timeIntervalSince(t0))) s")
            guard !data.isEmpty else { CLI.writeStderr("error: no usable training utterances\n"); throw ExitCode(1) }
            let provenance = ["corpus": corpus, "utterances": "\(data.count)", "hours": String(format: "%.2f", Double(frames) / 360000),
                              "epochs": "\(epochs)", "seed": "\(seed)", "hidden": hidden, "tool": "calltriage model train \(CallTriage.version)"]
            let trainer: AcousticTrainer
            if let i = initModel {
                trainer = AcousticTrainer(starting: try AcousticModel(contentsOf: URL(fileURLWithPath: i)), options: opts)
            } else {
                trainer = AcousticTrainer(config: config, options: opts, provenance: provenance)
                trainer.fitNormalisation(data)
            }
            log.info("model: \(trainer.model.mlp.sizes) = \(trainer.model.mlp.parameterCount) parameters")
            trainer.train(data, dev: devData) { log.info("\($0)") }
            var m = trainer.model
            m.header.provenance = provenance
            try m.write(to: URL(fileURLWithPath: out))
            log.info("wrote \(out)")
        }
    }

    struct Calibrate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set per-keyword thresholds on negative audio (speech without the keywords).",
            discussion: "Each keyword's threshold is put just above its highest score on the negative audio, but never below --floor, so the list makes at most about --target-fa false alarms per hour.")

        @Argument(help: "Negative recordings (or a manifest .jsonl of them).")
        var negatives: [String]

        @Option(help: "Keyword file (default: the model's).") var keywords: String?
        @Option(help: "Acoustic model.") var model: String?
        @Option(help: "Lowest threshold allowed.") var floor: Double = 0.35
        @Option(help: "Output table.") var out: String = "Models/acoustic/thresholds.tsv"

        func run() throws {
            let lex = try SpotSetup.lexicon()
            var kws = try SpotSetup.keywords(keywords, lexicon: lex)
            for i in kws.indices { kws[i].threshold = floor }   // collect everything above the floor
            var spotter = Spotter(model: try SpotSetup.model(model), keywords: kws)
            spotter.options.threshold = floor
            var files: [String] = []
            for n in negatives {
                if n.hasSuffix(".jsonl"), let text = try? String(contentsOfFile: n, encoding: .utf8) {
                    let base = (n as NSString).deletingLastPathComponent
                    for line in text.split(separator: "\n") {
                        if let o = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let a = o["audio"] as? String {
                            files.append((base as NSString).appendingPathComponent(a))
                        }
                    }
                } else { files.append(n) }
            }
            var worst: [String: Double] = [:]
            var seconds = 0.0, before = 0
            for f in files {
                guard let hits = try? spotter.spot(path: f) else { continue }
                seconds += (try? AudioIO.AudioDecoder(path: f).info.duration) ?? 0
                before += hits.count
                for h in hits { worst[h.keyword] = max(worst[h.keyword] ?? 0, h.score) }
            }
            var table: [String: Double] = [:]
            for k in kws { table[k.text] = max(floor, min(1, (worst[k.text] ?? 0) + 0.01)) }
            try ThresholdTable.write(table, notes: [
                "made by: calltriage model calibrate (\(files.count) files, \(String(format: "%.2f", seconds / 3600)) h of negative audio)",
                "false alarms at the floor \(floor): \(before) (\(String(format: "%.1f", Double(before) / max(seconds / 3600, 1e-9))) per hour)",
            ], to: URL(fileURLWithPath: out))
            CLI.writeStderr("calibrated \(kws.count) keywords on \(String(format: "%.2f", seconds / 3600)) h: \(before) hits above the floor; \(worst.count) keywords raised → \(out)\n")
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe the acoustic model and keyword list.")
        @Option(help: "Acoustic model.") var model: String?
        func run() throws {
            let m = try SpotSetup.model(model)
            let enc = JSONEncoder(); enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            CLI.writeStdout(String(decoding: try enc.encode(m.header), as: UTF8.self) + "\n")
            CLI.writeStdout("parameters: \(m.mlp.parameterCount)\n")
        }
    }
}

import AudioIO
