import Foundation
import Spotting

/// The learned part of triage: one softmax classifier per head (`topic`, `type`, `handoff`),
/// stored as a versioned, line-oriented text file (`Models/triage/weights.tsv`):
///
/// ```
/// # calltriage-triage v1
/// # version: 2026-11-23.1        (free-form notes on lines starting with '#')
/// head	topic	heating,water_supply,…          labels of a head, in order
/// bias	topic	0.1,-0.3,…
/// w	topic	k:暖气不热	0:2.31 5:-0.42          sparse weights: label index:weight
/// option	topic_without_type_cues	1             how the heads were fitted (see below)
/// ```
public struct TriageModel: Sendable, Equatable {
    public static let format = "calltriage-triage v1"
    public var version: String
    public var notes: [String]
    public var heads: [String: SoftmaxClassifier]
    /// The topic head was fitted without request-type cue words in transcripts
    /// (`TriageFitter.Options.topicIgnoresTypeCues`): the engine then leaves them out of a
    /// transcript's topic features too. False for models written before the option existed.
    public var topicWithoutTypeCues: Bool

    public init(version: String, notes: [String] = [], heads: [String: SoftmaxClassifier], topicWithoutTypeCues: Bool = false) {
        self.version = version; self.notes = notes; self.heads = heads; self.topicWithoutTypeCues = topicWithoutTypeCues
    }

    /// A model with the right heads and no weights: the starting point of `fit-triage`.
    public static func untrained(domain: Domain) -> TriageModel {
        TriageModel(version: "untrained", heads: [
            "topic": SoftmaxClassifier(labels: domain.topicLabels),
            "type": SoftmaxClassifier(labels: Domain.requestTypes),
            "handoff": SoftmaxClassifier(labels: ["none"] + domain.handoffs.map(\.id)),
        ])
    }

    public static func load(_ url: URL) throws -> TriageModel {
        let lines = try Lexicon.versionedLines(url, format: format)
        var version = "unversioned"
        var notes: [String] = []
        var heads: [String: SoftmaxClassifier] = [:]
        var topicWithoutTypeCues = false
        for (i, l) in lines.enumerated() where !l.isEmpty {
            let lineNo = i + 2
            if l.hasPrefix("#") {
                let note = l.dropFirst().trimmingCharacters(in: .whitespaces)
                if note.hasPrefix("version:") { version = note.dropFirst(8).trimmingCharacters(in: .whitespaces) }
                else { notes.append(note) }
                continue
            }
            let f = l.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            func bad(_ why: String) -> ModelFileError { ModelFileError(path: url.path, "line \(lineNo): \(why)") }
            switch f.first {
            case "head":
                guard f.count == 3 else { throw bad("expected head<TAB>name<TAB>labels") }
                heads[f[1]] = SoftmaxClassifier(labels: f[2].split(separator: ",").map(String.init))
            case "bias":
                guard f.count == 3, heads[f[1]] != nil else { throw bad("bias before its head line") }
                let b = f[2].split(separator: ",").compactMap { Double($0) }
                guard b.count == heads[f[1]]!.labels.count else { throw bad("bias has \(b.count) values for \(heads[f[1]]!.labels.count) labels") }
                heads[f[1]]!.bias = b
            case "w":
                guard f.count == 4, let n = heads[f[1]]?.labels.count else { throw bad("weight before its head line") }
                var w = [Double](repeating: 0, count: n)
                for pair in f[3].split(separator: " ") {
                    let kv = pair.split(separator: ":")
                    guard kv.count == 2, let k = Int(kv[0]), k >= 0, k < w.count, let v = Double(kv[1]) else {
                        throw bad("malformed weight '\(pair)'")
                    }
                    w[k] = v
                }
                // Mutate in place (a copy of the head per line would make loading quadratic).
                heads[f[1]]!.weights[f[2]] = w
            case "option":
                guard f.count == 3, f[1] == "topic_without_type_cues", f[2] == "0" || f[2] == "1" else {
                    throw bad("expected option<TAB>topic_without_type_cues<TAB>0|1")
                }
                topicWithoutTypeCues = f[2] == "1"
            default:
                throw bad("unknown record '\(f.first ?? "")'")
            }
        }
        for name in ["topic", "type", "handoff"] where heads[name] == nil {
            throw ModelFileError(path: url.path, "no '\(name)' head")
        }
        return TriageModel(version: version, notes: notes, heads: heads, topicWithoutTypeCues: topicWithoutTypeCues)
    }

    /// Writes the model; weights smaller than `prune` in magnitude are dropped (they change no
    /// decision measurably and would only make the file larger).
    public func write(to url: URL, prune: Double = 0.01) throws {
        var s = "# \(Self.format)\n# version: \(version)\n" + notes.map { "# \($0)\n" }.joined()
        if topicWithoutTypeCues { s += "option\ttopic_without_type_cues\t1\n" }
        for name in heads.keys.sorted() {
            let h = heads[name]!
            s += "head\t\(name)\t\(h.labels.joined(separator: ","))\n"
            s += "bias\t\(name)\t\(h.bias.map { String(format: "%.4f", $0) }.joined(separator: ","))\n"
            for f in h.weights.keys.sorted() {
                let pairs = h.weights[f]!.enumerated().filter { abs($0.element) >= prune }
                    .map { "\($0.offset):" + String(format: "%.3f", $0.element) }
                if !pairs.isEmpty { s += "w\t\(name)\t\(f)\t\(pairs.joined(separator: " "))\n" }
            }
        }
        try s.write(to: url, atomically: true, encoding: .utf8)
    }
}
