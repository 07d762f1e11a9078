import Foundation

/// Everything a bench run measured: written as `report.json` (snake_case keys) and rendered as
/// `report.html`. Two reports compare with `BenchReport.compare`.
public struct BenchReport: Codable, Sendable {
    public static let format = "calltriage-bench v1"

    public struct Machine: Codable, Sendable {
        public var host: String
        public var cpu: String
        public var cores: Int
        public var memoryGB: Double
        public var os: String
        public static func current() -> Machine {
            let cpu = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
                .split(separator: "\n").first { $0.hasPrefix("model name") }
                .map { String($0.split(separator: ":", maxSplits: 1).last ?? "").trimmingCharacters(in: .whitespaces) } ?? "unknown"
            let p = ProcessInfo.processInfo
            return Machine(host: p.hostName, cpu: cpu, cores: p.activeProcessorCount,
                           memoryGB: (Double(p.physicalMemory) / 1_073_741_824 * 10).rounded() / 10, os: p.operatingSystemVersionString)
        }
    }

    public struct Speed: Codable, Sendable {
        public var wallSeconds: Double
        public var workers: Int
        public var audioSeconds: Double
        /// Audio seconds / wall seconds.
        public var xRealTime: Double?
        /// Seconds per stage summed over calls, and audio seconds per stage second.
        public var stageSeconds: StageTimes
        public var stageXRealTime: StageTimes
        public var peakRSSBytes: Int64
    }

    public var format = BenchReport.format
    public var created: String
    public var manifest: String
    public var calls: Int
    public var audioCalls: Int
    public var textCalls: Int
    public var failures: [String]
    public struct Versions: Codable, Sendable {
        public var triage: String
        public var acoustic: String
        public var keywords: String
        public init(triage: String, acoustic: String, keywords: String) { self.triage = triage; self.acoustic = acoustic; self.keywords = keywords }
    }
    public var modelVersions: Versions
    public var keywords: Int
    public var machine: Machine
    public var kws: KWSMetrics?
    public var text: TriageMetrics?
    public var audio: TriageMetrics?
    public var speed: Speed

    static var encoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }

    public func json() throws -> Data { try Self.encoder.encode(self) }

    // MARK: - Summary

    static func pct(_ x: Double?) -> String { x.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }

    /// The short table printed at the end of a run.
    public func summaryTable() -> String {
        var rows: [(String, String, String)] = []
        func add(_ name: String, _ t: Double?, _ a: Double?) { rows.append((name, Self.pct(t), Self.pct(a))) }
        add("routing top-1 strict", text?.top1Strict, audio?.top1Strict)
        add("routing top-1 lenient", text?.top1Lenient, audio?.top1Lenient)
        add("routing top-3", text?.top3, audio?.top3)
        add("request type", text?.requestType, audio?.requestType)
        add("topic", text?.topic, audio?.topic)
        add("time limit", text?.timeLimit, audio?.timeLimit)
        add("hand-off recall", text?.handoffRecall, audio?.handoffRecall)
        add("hand-off precision", text?.handoffPrecision, audio?.handoffPrecision)
        var s = "\(calls) calls (\(textCalls) with transcripts, \(audioCalls) with audio, \(String(format: "%.2f", speed.audioSeconds / 3600)) h)"
        if !failures.isEmpty { s += ", \(failures.count) failed" }
        s += "\n\n| metric | text path | audio path |\n|---|---:|---:|\n"
        for r in rows { s += "| \(r.0) | \(r.1) | \(r.2) |\n" }
        if let k = kws {
            s += String(format: "\nkeyword spotting: recall %@ at %.2f false alarms/h (%d references, %.2f h); ATWV %@, MTWV %@\n",
                        Self.pct(k.recall), k.falseAlarmsPerHour, k.references, k.audioHours,
                        k.atwv.map { String(format: "%.3f", $0) } ?? "—",
                        k.mtwv.map { String(format: "%.3f at %.2f", $0, k.mtwvThreshold ?? 0) } ?? "—")
        }
        s += String(format: "speed: %.0f× real time overall on %d workers (%.1f s wall); peak RSS %.1f MB\n",
                    speed.xRealTime ?? 0, speed.workers, speed.wallSeconds, Double(speed.peakRSSBytes) / 1_048_576)
        let x = speed.stageXRealTime
        s += String(format: "per stage (× real time per core): decode+analysis %.0f×, spotting %.0f×, triage (audio) %.0f×\n",
                    x.decodeAnalysis, x.spotting, x.triageAudio)
        return s
    }

    // MARK: - Compare

    /// Numeric leaves of a JSON value by dotted path (arrays of objects keyed by their
    /// `keyword`/`handoff`/`threshold` member when they have one, else by index).
    static func flatten(_ v: Any, prefix: String = "", into out: inout [String: Double]) {
        switch v {
        case let d as [String: Any]:
            for (k, x) in d { flatten(x, prefix: prefix.isEmpty ? k : prefix + "." + k, into: &out) }
        case let a as [Any]:
            for (i, x) in a.enumerated() {
                var key = String(i)
                if let o = x as? [String: Any] {
                    if let k = o["keyword"] as? String { key = k }
                    else if let k = o["handoff"] as? String { key = k }
                    else if let t = o["threshold"] as? Double { key = String(format: "%.2f", t) }
                }
                flatten(x, prefix: prefix + "[" + key + "]", into: &out)
            }
        case let n as NSNumber:
            // true/false are flags, not measurements (an NSNumber 0 or 1 also passes `is Bool`).
            if !String(describing: type(of: n)).contains("Boolean") { out[prefix] = n.doubleValue }
        default: break
        }
    }

    public static let headline = [
        "text.top1_strict", "text.top1_lenient", "text.top3", "text.request_type", "text.topic", "text.time_limit",
        "text.handoff_recall", "text.handoff_precision",
        "audio.top1_strict", "audio.top1_lenient", "audio.top3", "audio.request_type", "audio.topic", "audio.time_limit",
        "audio.handoff_recall", "audio.handoff_precision",
        "kws.recall", "kws.false_alarms_per_hour", "kws.atwv", "kws.mtwv", "speed.x_real_time", "speed.peak_rss_bytes",
    ]

    public struct Difference: Equatable, Sendable {
        public var key: String
        public var a: Double?
        public var b: Double?
    }

    /// Headline metrics first (always listed), then every other number that differs, ignoring
    /// timings and machine facts unless `all`.
    public static func compare(_ a: Data, _ b: Data, all: Bool = false) throws -> (headline: [Difference], other: [Difference]) {
        var fa: [String: Double] = [:], fb: [String: Double] = [:]
        flatten(try JSONSerialization.jsonObject(with: a), into: &fa)
        flatten(try JSONSerialization.jsonObject(with: b), into: &fb)
        let head = headline.filter { fa[$0] != nil || fb[$0] != nil }.map { Difference(key: $0, a: fa[$0], b: fb[$0]) }
        let noisy = ["speed.", "machine.", "created"]
        let other = Set(fa.keys).union(fb.keys).subtracting(headline).sorted().compactMap { k -> Difference? in
            if !all && noisy.contains(where: { k.hasPrefix($0) }) { return nil }
            guard fa[k] != fb[k] else { return nil }
            return Difference(key: k, a: fa[k], b: fb[k])
        }
        return (head, other)
    }

    public static func formatComparison(_ c: (headline: [Difference], other: [Difference]), nameA: String, nameB: String, limit: Int = 60) -> String {
        func f(_ x: Double?) -> String { x.map { abs($0) < 10 ? String(format: "%.4f", $0) : String(format: "%.1f", $0) } ?? "—" }
        func d(_ x: Difference) -> String {
            guard let a = x.a, let b = x.b else { return "" }
            let delta = b - a
            return delta == 0 ? "=" : (abs(delta) < 10 ? String(format: "%+.4f", delta) : String(format: "%+.1f", delta))
        }
        var s = "| metric | A | B | B − A |\n|---|---:|---:|---:|\n"
        for x in c.headline { s += "| \(x.key) | \(f(x.a)) | \(f(x.b)) | \(d(x)) |\n" }
        s = "A = \(nameA)\nB = \(nameB)\n\n" + s
        if c.other.isEmpty { s += "\nno other differences\n" }
        else {
            s += "\n\(c.other.count) other number\(c.other.count == 1 ? "" : "s") differ\(c.other.count > limit ? " (first \(limit))" : ""):\n"
            for x in c.other.prefix(limit) { s += "  \(x.key): \(f(x.a)) → \(f(x.b))\n" }
        }
        return s
    }
}

extension BenchReport {
    /// Scores the runner's results into a report.
    public static func make(results: [BenchRunner.CallResult], manifest: String, versions: Versions, keywords: Int,
                            thresholds: [Double], wallSeconds: Double, workers: Int, peakRSSBytes: Int64) -> BenchReport {
        let failures = results.compactMap { r in r.error.map { "\(r.id): \($0)" } }
        let textPairs = results.compactMap { r in r.textDraft.flatMap { d in r.labels.map { (draft: d, labels: $0) } } }
        let audioPairs = results.compactMap { r in r.audioDraft.flatMap { d in r.labels.map { (draft: d, labels: $0) } } }
        let audioSeconds = results.reduce(0) { $0 + $1.audioSeconds }
        let open = results.compactMap(\.open), operating = results.compactMap(\.operating)
        let hasRefs = open.contains { !$0.referenceScores.isEmpty }
        let kws = open.isEmpty || !hasRefs ? nil : KWSMetrics.compute(open: open, operating: operating, seconds: audioSeconds, thresholds: thresholds)
        let times = results.reduce(StageTimes()) { $0 + $1.times }
        var x = StageTimes()
        func rt(_ s: Double) -> Double { s > 0 ? (audioSeconds / s).rounded() : 0 }
        x.decodeAnalysis = rt(times.decodeAnalysis); x.spotting = rt(times.spotting); x.triageAudio = rt(times.triageAudio)
        x.triageText = 0   // text has no audio duration; see stage_seconds
        let iso = ISO8601DateFormatter()
        return BenchReport(created: iso.string(from: Date()), manifest: manifest, calls: results.count,
                           audioCalls: results.filter { $0.audioDraft != nil }.count, textCalls: results.filter { $0.textDraft != nil }.count,
                           failures: failures, modelVersions: versions, keywords: keywords, machine: .current(),
                           kws: kws, text: textPairs.isEmpty ? nil : TriageMetrics.compute(textPairs),
                           audio: audioPairs.isEmpty ? nil : TriageMetrics.compute(audioPairs),
                           speed: Speed(wallSeconds: wallSeconds, workers: workers, audioSeconds: audioSeconds,
                                        xRealTime: wallSeconds > 0 && audioSeconds > 0 ? audioSeconds / wallSeconds : nil,
                                        stageSeconds: times, stageXRealTime: x, peakRSSBytes: peakRSSBytes))
    }
}
