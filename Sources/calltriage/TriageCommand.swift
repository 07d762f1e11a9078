import ArgumentParser
import AudioIO
import Batch
import Foundation
import Spotting
import Triage

/// Loads the triage engine with errors that name the wrong file.
enum TriageSetup {
    static func engine(keywords: String? = nil, weights: String? = nil, untrained: Bool = false) throws -> TriageEngine {
        let lex = try SpotSetup.lexicon()
        let kws = try SpotSetup.keywords(keywords, lexicon: lex)
        do { return try TriageEngine.load(keywords: kws, lexicon: lex, weights: weights.map { URL(fileURLWithPath: $0) }, untrained: untrained) }
        catch { CLI.writeStderr("error: triage model: \(error)\n"); throw ExitCode(2) }
    }
}

struct TriageCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "triage",
        abstract: "Draft tickets: request type, topic, time limit, hand-off, place and ranked units, with evidence.",
        discussion: """
        Input: --text (one transcript), --manifest (a labelled-set JSONL: each line {"id", "transcript"} \
        and/or {"audio"}, paths relative to the manifest), or recordings as arguments (a transcript \
        beside a recording, AUDIO.txt or AUDIO.wav.txt, is used too). Audio without a transcript is \
        triaged from spotted keywords. --format text prints one tab-separated line per call (id, type, \
        topic and probability, hand-off, time limit, top units with scores, flags, summary). Output: one draft JSON (indented for --text) or JSONL, schema in \
        docs/ticket-draft.md. Phone and ID numbers are masked in summaries. A line or file that fails \
        gives an error on stderr (file, line, why) and the rest go on; exit status 1 if any failed.
        """)

    @Option(help: "A transcript to triage.")
    var text: String?

    @Option(help: "Labelled-set manifest (JSONL) to triage line by line.")
    var manifest: String?

    @Argument(help: "Recordings to triage.")
    var audio: [String] = []

    @Option(help: "Id for --text (default: text-<sha256 prefix>).")
    var id: String?

    @Option(help: "Keyword file (default Models/keywords.tsv).")
    var keywords: String?

    @Option(help: "Triage weights (default Models/triage/weights.tsv).")
    var weights: String?

    @Option(help: "Channel roles for recordings, e.g. caller=1,agent=0.")
    var roles: String?

    @Flag(help: "One JSON object per line even for --text.")
    var compact = false

    @Option(help: "json (drafts, the contract) or text (one human-readable line per call).")
    var format: Format = .json

    enum Format: String, ExpressibleByArgument { case json, text }

    func emit(_ d: TicketDraft, pretty: Bool = false) {
        switch format {
        case .json: CLI.writeStdout(d.json(pretty: pretty && !compact) + "\n")
        case .text:
            let units = d.units.prefix(3).map { String(format: "%@ %.2f", $0.unit, $0.score) }.joined(separator: ", ")
            let line = String(format: "%@\t%@\t%@ %.2f\t%@\t%@\t%@\t%@\t%@\n", d.id, d.requestType.value, d.topic.value, d.topic.confidence,
                              d.handoff ?? "-", d.timeLimit, units.isEmpty ? "-" : units,
                              d.flags.isEmpty ? "-" : d.flags.joined(separator: ","), d.summary)
            CLI.writeStdout(line)
        }
    }

    @Flag(help: "Ignore transcripts beside recordings and in the manifest (triage from audio alone).")
    var audioOnly = false

    func validate() throws {
        let n = (text != nil ? 1 : 0) + (manifest != nil ? 1 : 0) + (audio.isEmpty ? 0 : 1)
        if n != 1 { throw ValidationError("give exactly one of --text, --manifest or recordings") }
        try CLI.validateRoles(roles)
    }

    func run() throws {
        let engine = try TriageSetup.engine(keywords: keywords, weights: weights)
        if let text {
            let id = self.id ?? "text-" + String(Fingerprint.sha256(data: Data(text.utf8)).prefix(12))
            emit(engine.draft(TriageInput(id: id, transcript: text)), pretty: true)
            return
        }
        var failed = 0
        var spotter: Spotter? = nil
        func audioInput(id: String, path: String, transcript: String?) throws -> TriageInput {
            let info = try AudioDecoder(path: path).info
            let sha = try Fingerprint.sha256(path: path)
            let source = TicketDraft.Source(path: path, sha256: sha, duration: (info.duration * 1000).rounded() / 1000, channels: info.channels)
            if let t = transcript, !audioOnly { return TriageInput(id: id, transcript: t, source: source) }
            if spotter == nil { spotter = try SpotSetup.spotter(model: nil, keywords: engine.keywords) }
            let hits = try spotter!.spot(path: path, roles: roles.flatMap(ChannelRoles.init(spec:)))
            return TriageInput(id: id, hits: hits, source: source)
        }
        if let manifest {
            let url = URL(fileURLWithPath: manifest)
            let base = url.deletingLastPathComponent()
            let calls: [LabelledCall]
            do {
                calls = try LabelledSet.read(url) { err in failed += 1; CLI.writeStderr("error: \(err)\n") }
            } catch { CLI.writeStderr("error: \(error)\n"); throw ExitCode(2) }
            for call in calls {
                do {
                    let input: TriageInput
                    if let a = call.audio {
                        let path = a.hasPrefix("/") ? a : base.appendingPathComponent(a).path
                        input = try audioInput(id: call.id, path: path, transcript: call.transcript)
                    } else {
                        input = TriageInput(id: call.id, transcript: call.transcript)
                    }
                    emit(engine.draft(input))
                } catch {
                    failed += 1
                    CLI.writeStderr("error: \(manifest): call \(call.id): \(error)\n")
                }
            }
        } else {
            for path in audio {
                do {
                    let id = ((path as NSString).lastPathComponent as NSString).deletingPathExtension
                    emit(engine.draft(try audioInput(id: id, path: path, transcript: BatchRunner.sidecar(path))))
                } catch {
                    failed += 1
                    CLI.writeStderr("error: \(error)\n")
                }
            }
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
