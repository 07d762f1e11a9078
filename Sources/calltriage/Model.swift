import ArgumentParser
import Foundation
import Spotting

struct ModelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Train, calibrate, evaluate and describe the models: keyword spotting and triage.",
        subcommands: [Train.self, Calibrate.self, Evaluate.self, FitVerifier.self, Info.self, FitTriage.self, EvaluateTriage.self])

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
        @Flag(inversion: .prefixedNo, help: "Train a tone head beside the phones (new models; --init keeps the model's heads).")
        var tones = true
        @Option(help: "Input context: frame offsets stacked as the network input (10 ms frames), comma-separated; a new model only.")
        var context: String?
        @Flag(help: "Add pitch features (NCCF and relative log F0 per frame) to the input; a new model only.")
        var pitch = false
        @Option(help: "Vocal-tract-length perturbation: read each training example's spectrum at frequencies scaled by a factor from [1-X, 1+X] (0 = off).")
        var warp: Float = 0
        @Option(help: "Frequency masking: set a random band of up to N mel bins of each training example to its mean (0 = off).")
        var freqMask: Int = 0
        @Option(help: "Dropout: share of hidden units dropped per training example (0 = off).")
        var dropout: Float = 0

        func run() throws {
            let log = CLI.logger("train")
            var opts = AcousticTrainer.Options()
            opts.epochs = epochs; opts.seed = seed; opts.learningRate = learningRate; opts.batchSize = batchSize
            opts.frameStride = frameStride
            opts.tones = tones
            opts.hidden = hidden.split(separator: ",").compactMap { Int($0) }
            guard (0..<0.5).contains(warp) else { throw ValidationError("--warp: expected 0 ≤ X < 0.5, got \(warp)") }
            guard (0...20).contains(freqMask) else { throw ValidationError("--freq-mask: expected 0…20 bins, got \(freqMask)") }
            guard (0..<0.9).contains(dropout) else { throw ValidationError("--dropout: expected 0 ≤ X < 0.9, got \(dropout)") }
            opts.augmentation = SpectralAugmentation(warp: warp, maxMaskBins: freqMask)
            opts.dropout = dropout
            var config = AcousticFeatureConfig()
            if let c = context {
                let offs = c.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
                guard !offs.isEmpty, offs.count == c.split(separator: ",").count, offs == offs.sorted(), Set(offs).count == offs.count else {
                    throw ValidationError("--context: expected increasing frame offsets such as -10,-6,-3,0,3,6,10")
                }
                guard initModel == nil else { throw ValidationError("--context: a model continued with --init keeps its own context") }
                config.context = offs
            }
            if pitch {
                guard initModel == nil else { throw ValidationError("--pitch: a model continued with --init keeps its own features") }
                config.pitch = true
            }
            // The starting model, read once: its features, its aligner, its weights and its record.
            let base = try initModel.map { try AcousticModel(contentsOf: URL(fileURLWithPath: $0)) }
            if let b = base { config = b.feature }
            guard freqMask <= config.numBins else {
                throw ValidationError("--freq-mask: the model has \(config.numBins) mel bins, got \(freqMask)")
            }
            var warnings = 0
            let t0 = Date()
            // Entries with a transcript but no timings are aligned with the starting model.
            let lexicon = try? Lexicon(directory: ModelPaths.lexicon)
            let aligner = base.map { ForcedAligner(model: $0, lexicon: lexicon ?? Lexicon()) }
            let data = try TrainingCorpus.load(manifest: URL(fileURLWithPath: corpus), config: config, limit: limit, aligner: aligner) { w in
                warnings += 1
                if warnings <= 10 { log.warning("\(w)") }
            }
            let devData = try dev.map { try TrainingCorpus.load(manifest: URL(fileURLWithPath: $0), config: config) } ?? []
            let frames = data.reduce(0) { $0 + $1.count }
            log.info("loaded \(data.count) utterances (\(String(format: "%.2f", Double(frames) / 360000)) h), dev \(devData.count), \(warnings) skipped, \(String(format: "%.0f", Date().timeIntervalSince(t0))) s")
            guard !data.isEmpty else { CLI.writeStderr("error: no usable training utterances\n"); throw ExitCode(1) }
            var provenance = ["corpus": corpus, "utterances": "\(data.count)", "hours": String(format: "%.2f", Double(frames) / 360000),
                              "epochs": "\(epochs)", "seed": "\(seed)", "hidden": hidden, "tones": "\(tones)", "context": config.context.map(String.init).joined(separator: ","), "pitch": "\(config.pitch == true)", "tool": "calltriage model train \(CallTriage.version)"]
            if opts.augmentation.isActive { provenance["augmentation"] = opts.augmentation.summary }
            if let i = initModel, let b = base {
                // A continued model keeps the record of the one it started from.
                provenance["init"] = i
                for (k, v) in b.header.provenance { provenance["base." + k] = v }
            }
            if dropout > 0 { provenance["dropout"] = String(format: "%.2f", dropout) }
            let trainer: AcousticTrainer
            if let b = base {
                trainer = AcousticTrainer(starting: b, options: opts)
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
            discussion: """
            The list's budget of --target-fa false alarms per hour is shared equally by its keywords, \
            or in the proportions --share gives by keyword category (handoff=0.3: a hand-off cue may \
            make 0.3 times the false alarms of a topic word). \
            Each keyword's threshold is extrapolated from the tail of its scores on the negative audio \
            (a tail shape shared by all keywords, fitted by maximum likelihood; see \
            Sources/Spotting/Calibration.swift), never below --floor and always above every score the \
            keyword reached there when its budget is less than one false alarm in that audio. \
            Use at least an hour of negative speech in the voices and channel you expect.
            """)

        @Argument(help: "Negative recordings (or a manifest .jsonl of them).")
        var negatives: [String]

        @Option(help: "Keyword file (default: the model's).") var keywords: String?
        @Option(help: "Acoustic model.") var model: String?
        @Option(help: "False alarms per hour allowed for the whole list.") var targetFa: Double = 10
        @Option(help: "Lowest threshold allowed (and where the tail fit starts).") var floor: Double = 0.35
        @Option(help: "Frame score: ratio or posterior (as the decoder uses).") var scoring: KeywordDecoder.Scoring = KeywordDecoder.Options().scoring
        @Option(help: "Output table.") var out: String = "Models/acoustic/thresholds.tsv"
        @Option(help: "Hit verifier (default Models/acoustic/verifier.tsv when present; `none`: raw decoder scores). The thresholds are set on the score it gives.")
        var verifier: String?
        @Flag(help: "One threshold per --share group instead of one per keyword (for a verifier's score, which already knows each keyword's record; the default with a verifier).")
        var uniform = false
        @Flag(help: "One threshold per keyword, also with a verifier.")
        var perKeyword = false
        @Option(help: ArgumentHelp("Relative share of the false-alarm budget for keywords whose category starts with PREFIX (default 1 each; repeatable), e.g. handoff=0.3.", valueName: "PREFIX=SHARE"))
        var share: [String] = []

        func shares() throws -> [(prefix: String, share: Double)] {
            try share.map { spec in
                let p = spec.split(separator: "=", maxSplits: 1).map(String.init)
                guard p.count == 2, !p[0].isEmpty, let v = Double(p[1]), v >= 0 else {
                    throw ValidationError("--share: expected CATEGORY-PREFIX=SHARE with SHARE ≥ 0, got '\(spec)'")
                }
                return (p[0], v)
            }
        }

        func run() throws {
            guard targetFa > 0 else { throw ValidationError("--target-fa must be positive") }
            guard !(uniform && perKeyword) else { throw ValidationError("--uniform and --per-keyword exclude each other") }
            let prefixShares = try shares()
            guard floor > 0 && floor < 1 else { throw ValidationError("--floor must be in (0, 1)") }
            let lex = try SpotSetup.lexicon()
            var kws = try SpotSetup.keywords(keywords, lexicon: lex, warnUncalibrated: false)
            for i in kws.indices { kws[i].threshold = floor }   // collect everything above the floor
            var spotter = Spotter(model: try SpotSetup.model(model), keywords: kws)
            spotter.options.threshold = floor
            spotter.options.scoring = scoring
            spotter.verifier = try SpotSetup.verifier(verifier)
            let files = negatives.flatMap(SpotSetup.labelledAudio).map(\.path)
            var scores: [String: [Double]] = [:]
            var seconds = 0.0, failed = 0
            for (i, f) in files.enumerated() {
                do {
                    let hits = try spotter.spot(path: f)
                    seconds += (try? AudioIO.AudioDecoder(path: f).info.duration) ?? 0
                    for h in hits { scores[h.keyword, default: []].append(h.score) }
                } catch {
                    failed += 1
                    CLI.writeStderr("warning: \(f): \(error)\n")
                }
                if (i + 1) % 200 == 0 { CLI.writeStderr("\(i + 1)/\(files.count) files\n") }
            }
            guard seconds > 0 else { CLI.writeStderr("error: no negative audio could be read\n"); throw ExitCode(1) }
            let hours = seconds / 3600
            var keywordShares: [String: Double] = [:]
            for k in kws {
                if let m = prefixShares.last(where: { k.category.hasPrefix($0.prefix) }) { keywordShares[k.text] = m.share }
            }
            let isUniform = uniform || (spotter.verifier != nil && !perKeyword)
            let r = isUniform
                ? ThresholdCalibrator.uniform(keywords: kws.map(\.text), scores: scores, hours: hours,
                                              targetPerHour: targetFa, floor: floor, shares: keywordShares)
                : ThresholdCalibrator.calibrate(keywords: kws.map(\.text), scores: scores, hours: hours,
                                                targetPerHour: targetFa, floor: floor, shares: keywordShares)
            let shareNote = share.map { " --share \($0)" }.joined()
            try ThresholdTable.write(r.thresholds, notes: [
                "made by: calltriage model calibrate --target-fa \(targetFa)\(shareNote) --floor \(floor) --scoring \(scoring.rawValue)\(spotter.verifier == nil ? " --verifier none" : "")\(isUniform ? " (one threshold per share group)" : "") (\(files.count - failed) files, \(String(format: "%.2f", hours)) h of negative audio)",
                "false alarms at the floor: \(r.negativeHits) (\(String(format: "%.1f", Double(r.negativeHits) / hours)) per hour); tail shape gamma \(String(format: "%.3f", r.gamma))",
            ], to: URL(fileURLWithPath: out))
            CLI.writeStderr("calibrated \(kws.count) keywords on \(String(format: "%.2f", hours)) h (\(r.negativeHits) hits above the floor, gamma \(String(format: "%.2f", r.gamma))) for \(targetFa) false alarms/h → \(out)\n")
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
