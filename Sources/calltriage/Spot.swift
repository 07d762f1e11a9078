import ArgumentParser
import AudioIO
import Batch
import Foundation
import Spotting

/// `--scoring posterior|ratio` (spot, model calibrate, model evaluate).
extension KeywordDecoder.Scoring: ExpressibleByArgument {}

/// Loads the lexicon, keywords and acoustic model, with errors that say which file is wrong.
enum SpotSetup {
    static func lexicon() throws -> Lexicon {
        do { return try Lexicon(directory: ModelPaths.lexicon) }
        catch { CLI.writeStderr("error: lexicon: \(error)\n"); throw ExitCode(2) }
    }

    /// The keyword list; without a file, the model's list with the calibrated thresholds of
    /// `thresholds` (default Models/acoustic/thresholds.tsv).
    static func keywords(_ file: String?, lexicon: Lexicon, thresholds: String? = nil, warnUncalibrated: Bool = true) throws -> [Keyword] {
        let url = file.map { URL(fileURLWithPath: $0) } ?? ModelPaths.keywords
        do {
            var list = try KeywordList.load(url, lexicon: lexicon) { CLI.writeStderr("warning: \($0)\n") }
            if list.isEmpty { throw ModelFileError(path: url.path, "no usable keyword") }
            // An explicit table must load (its error is the user's); the default one is optional.
            let table: [String: Double]?
            if let t = thresholds {
                table = try ThresholdTable.load(URL(fileURLWithPath: t))
            } else {
                table = file == nil ? try? ThresholdTable.load(ModelPaths.thresholds) : nil
            }
            if let table {
                for i in list.indices where list[i].threshold == nil { list[i].threshold = table[list[i].text] }
                let bare = list.filter { $0.threshold == nil }.count
                if bare > 0 && warnUncalibrated {
                    CLI.writeStderr("warning: \(bare) keyword(s) have no calibrated threshold and use the default; run `calltriage model calibrate`\n")
                }
            }
            return list
        } catch { CLI.writeStderr("error: keywords: \(error)\n"); throw ExitCode(2) }
    }

    static func model(_ path: String?) throws -> AcousticModel {
        let url = path.map { URL(fileURLWithPath: $0) } ?? ModelPaths.acoustic
        do { return try AcousticModel(contentsOf: url) }
        catch { CLI.writeStderr("error: acoustic model: \(error)\n"); throw ExitCode(2) }
    }
}

struct Spot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Spot keywords (given as Chinese text) in recordings; one hit per line.",
        discussion: """
        Without --keywords the model's list (Models/keywords.tsv, with thresholds calibrated on negative \
        audio) is used. Those thresholds are set for triage, which outvotes stray hits: on held-out \
        synthetic speech they find about 66 % of the keywords with some 110 false alarms per hour for \
        the whole list. A keyword's score is the hit verifier's probability that the hit is real \
        (Models/acoustic/verifier.tsv; --verifier none: the decoder's raw score, for which the \
        shipped thresholds are not set). For fewer false alarms raise --threshold (a floor for every keyword; 0.9: \
        about 39 % at 8 per hour) or \
        calibrate a table with a lower target and pass it (`calltriage model calibrate NEG --target-fa 10 \
        --out t10.tsv`, then `--thresholds t10.tsv`). A keyword file is one keyword per line, Chinese text, with an optional \
        threshold: `飞线充电 #0.6`. A transcript next to a recording (AUDIO.txt or AUDIO.wav.txt) is \
        matched as text too (pinyin matching, tolerant of homophones; --no-text turns it off): those \
        lines have "channel": "transcript", null start/end and character offsets char_start/char_end.
        JSONL: {"file","channel","keyword","start","end","score"} (seconds). CTM: \
        `file channel start duration keyword score`.
        """)

    @Argument(help: "Audio files.")
    var audio: [String]

    @Option(help: "Keyword file (default: the model's keyword list).")
    var keywords: String?

    @Option(help: "Confidence threshold in (0, 1] for keywords without their own.")
    var threshold: Double?

    @Option(help: "Calibrated threshold table to use (default Models/acoustic/thresholds.tsv for the model's list).")
    var thresholds: String?

    @Option(help: "Hit verifier (default Models/acoustic/verifier.tsv when present; `none`: the decoder's raw scores, for which the shipped thresholds are NOT set).")
    var verifier: String?

    @Option(help: "jsonl or ctm.")
    var format: OutputFormat = .jsonl

    @Option(help: "Acoustic model file (default Models/acoustic/kws.ctkws).")
    var model: String?

    @Option(help: "Channel roles, e.g. caller=1,agent=0.")
    var roles: String?

    @Flag(help: "Ignore sidecar transcripts (AUDIO.txt); by default they are matched as text too.")
    var noText = false

    @Option(help: "Average posteriors over this many 20 ms frames (1 = off).")
    var smoothing: Int = 3

    @Option(help: "Frame score: posterior, or ratio (versus the best phone). Calibrated thresholds assume the model's default, posterior.")
    var scoring: KeywordDecoder.Scoring = KeywordDecoder.Options().scoring

    enum OutputFormat: String, ExpressibleByArgument { case jsonl, ctm }

    func validate() throws {
        if let t = threshold, !(t > 0 && t <= 1) { throw ValidationError("--threshold must be in (0, 1]") }
        try CLI.validateRoles(roles)
    }

    func run() throws {
        let lex = try SpotSetup.lexicon()
        var kws = try SpotSetup.keywords(keywords, lexicon: lex, thresholds: thresholds)
        if let t = threshold { for i in kws.indices { kws[i].threshold = kws[i].threshold.map { max($0, t) } ?? t } }
        var spotter = try SpotSetup.spotter(model: model, keywords: kws, verifier: verifier)
        if let t = threshold { spotter.options.threshold = t }
        spotter.smoothing = smoothing
        spotter.options.scoring = scoring
        let matcher = TextMatcher(keywords: kws, lexicon: lex)
        var failed = 0
        for path in audio {
            do {
                let hits = try spotter.spot(path: path, roles: roles.flatMap(ChannelRoles.init(spec:)))
                for h in hits { CLI.writeStdout(Spot.line(path, h, format)) }
                if !noText, format == .jsonl, let text = BatchRunner.sidecar(path) {
                    for h in matcher.match(text, channel: "transcript") { CLI.writeStdout(Spot.textLine(path, h)) }
                }
            } catch {
                failed += 1
                CLI.writeStderr("error: \(error)\n")
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }

    static func line(_ file: String, _ h: KeywordHit, _ format: OutputFormat) -> String {
        let s = h.start ?? 0, e = h.end ?? 0
        switch format {
        case .jsonl:
            return "{\"file\": \(json(file)), \"channel\": \(json(h.channel ?? "caller")), \"keyword\": \(json(h.keyword)), "
                + String(format: "\"start\": %.2f, \"end\": %.2f, \"score\": %.3f}\n", s, e, h.score)
        case .ctm:
            let ch = h.channel == "agent" ? "B" : "A"
            return String(format: "%@ %@ %.2f %.2f %@ %.3f\n", ctmName(file), ch, s, e - s, h.keyword, h.score)
        }
    }

    /// A text hit: same keys as an audio hit (start/end null), plus character offsets.
    static func textLine(_ file: String, _ h: KeywordHit) -> String {
        "{\"file\": \(json(file)), \"channel\": \"transcript\", \"keyword\": \(json(h.keyword)), "
            + "\"start\": null, \"end\": null, \"char_start\": \(h.charStart ?? 0), \"char_end\": \(h.charEnd ?? 0), "
            + String(format: "\"score\": %.3f}\n", h.score)
    }

    static func ctmName(_ file: String) -> String {
        ((file as NSString).lastPathComponent as NSString).deletingPathExtension.replacingOccurrences(of: " ", with: "_")
    }

    static func json(_ s: String) -> String {
        let d = try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])
        let arr = d.map { String(decoding: $0, as: UTF8.self) } ?? "[\"\"]"
        return String(arr.dropFirst().dropLast())
    }
}
