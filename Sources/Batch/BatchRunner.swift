import AudioIO
import Foundation
import SignalKit
import Spotting
import Store
import Triage

/// One call to draft: a recording (with an optional transcript beside it or in the manifest), or
/// a transcript alone (letters, web messages).
public struct BatchItem: Sendable, Equatable {
    public var id: String
    public var audio: String?
    public var transcript: String?
    public init(id: String, audio: String? = nil, transcript: String? = nil) { self.id = id; self.audio = audio; self.transcript = transcript }
}

public struct BatchOptions: Sendable {
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Process only the items whose fingerprint falls in shard `k` of `n` (1-based).
    public var shard: (k: Int, n: Int)? = nil
    public var roles: ChannelRoles? = nil
    public var args = ""
    public init() {}
}

public struct BatchSummary: Sendable {
    public var runId: Int64 = 0
    public var found = 0
    public var outOfShard = 0
    public var processed = 0
    public var skipped = 0
    public var failed = 0
    public var failuresByKind: [String: Int] = [:]
    public var audioSeconds = 0.0
    public var wallSeconds = 0.0
    public var peakRSSBytes: Int64 = 0
}

/// The overnight job: fingerprint, skip what is stored, decode + analyse + spot + triage the
/// rest on `workers` threads, store each call in one transaction, record failures, go on.
public final class BatchRunner: @unchecked Sendable {
    public let store: Store
    public let engine: TriageEngine
    public let spotter: Spotter
    public let options: BatchOptions
    public var progress: (BatchSummary, Int) -> Void = { _, _ in }

    public static let audioExtensions: Set<String> = ["wav", "flac", "ogg", "oga", "opus", "mp3", "au", "aiff", "aif", "caf", "w64"]

    public init(store: Store, engine: TriageEngine, spotter: Spotter, options: BatchOptions) {
        self.store = store; self.engine = engine; self.spotter = spotter; self.options = options
    }

    /// Audio files under the inputs (recursively, sorted), each with its sidecar transcript
    /// (`call.wav.txt` or `call.txt`).
    public static func discover(_ inputs: [String]) -> (items: [BatchItem], missing: [String]) {
        var items: [BatchItem] = []
        var missing: [String] = []
        let fm = FileManager.default
        for input in inputs {
            var isDir: ObjCBool = false
            guard fm.fileExists(atPath: input, isDirectory: &isDir) else { missing.append(input); continue }
            var files: [String] = []
            if isDir.boolValue {
                let e = fm.enumerator(atPath: input)
                while let rel = e?.nextObject() as? String {
                    let p = (input as NSString).appendingPathComponent(rel)
                    if audioExtensions.contains((p as NSString).pathExtension.lowercased()) { files.append(p) }
                }
                files.sort()
            } else { files = [input] }
            for f in files {
                let id = ((f as NSString).lastPathComponent as NSString).deletingPathExtension
                items.append(BatchItem(id: id, audio: f, transcript: sidecar(f)))
            }
        }
        return (items, missing)
    }

    public static func sidecar(_ path: String) -> String? {
        for p in [path + ".txt", (path as NSString).deletingPathExtension + ".txt"] where p != path {
            if let t = try? String(contentsOfFile: p, encoding: .utf8) { return t }
        }
        return nil
    }

    /// Shard of a fingerprint: its first 15 hex digits modulo n, 1-based.
    public static func shard(of sha256: String, n: Int) -> Int {
        Int(UInt64(sha256.prefix(15), radix: 16)! % UInt64(n)) + 1
    }

    public func run(_ items: [BatchItem]) throws -> BatchSummary {
        let start = Date()
        var summary = BatchSummary()
        summary.found = items.count
        let shardText = options.shard.map { "\($0.k)/\($0.n)" }
        summary.runId = try store.startRun(args: options.args, shard: shardText, workers: options.workers,
                                           modelVersions: "triage \(engine.model.version); acoustic \(spotter.model.header.version)")
        let done = try store.draftedFingerprints()
        /// Shared between workers, always under its lock.
        final class Shared: @unchecked Sendable {
            let lock = NSLock()
            var next = 0
            var summary: BatchSummary
            init(_ s: BatchSummary) { summary = s }
        }
        let shared = Shared(summary)
        let runId = summary.runId
        let workers = max(1, min(options.workers, items.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                shared.lock.lock()
                guard shared.next < items.count else { shared.lock.unlock(); return }
                let item = items[shared.next]; shared.next += 1
                shared.lock.unlock()
                let outcome = self.process(item, done: done, runId: runId)
                shared.lock.lock()
                switch outcome {
                case .processed(let s): shared.summary.processed += 1; shared.summary.audioSeconds += s
                case .skipped: shared.summary.skipped += 1
                case .outOfShard: shared.summary.outOfShard += 1
                case .failed(let kind): shared.summary.failed += 1; shared.summary.failuresByKind[kind, default: 0] += 1
                }
                shared.summary.wallSeconds = Date().timeIntervalSince(start)
                let snapshot = shared.summary
                let position = shared.next
                // Progress is reported under the lock so lines never interleave.
                self.progress(snapshot, position)
                shared.lock.unlock()
            }
        }
        summary = shared.summary
        summary.wallSeconds = Date().timeIntervalSince(start)
        summary.peakRSSBytes = BatchRunner.peakRSS()
        try store.finishRun(summary.runId, processed: summary.processed, skipped: summary.skipped, failed: summary.failed,
                            audioSeconds: summary.audioSeconds, wallSeconds: summary.wallSeconds)
        return summary
    }

    enum Outcome { case processed(Double), skipped, outOfShard, failed(String) }

    func process(_ item: BatchItem, done: Set<String>, runId: Int64) -> Outcome {
        let label = item.audio ?? "manifest:\(item.id)"
        var sha: String? = nil
        do {
            if let a = item.audio { sha = try Fingerprint.sha256(path: a) }
            else { sha = "text:" + Fingerprint.sha256(data: Data((item.transcript ?? "").utf8)) }
            let fp = sha!.hasPrefix("text:") ? String(sha!.dropFirst(5)) : sha!
            if let s = options.shard, BatchRunner.shard(of: fp, n: s.n) != s.k { return .outOfShard }
            if try done.contains(sha!) || store.hasDraft(sha256: sha!) { return .skipped }
            if let audio = item.audio {
                // One decode feeds both the analysis and, when there is no transcript, spotting.
                let analysed = try spotter.analyseAndSpot(path: audio, roles: options.roles, spot: item.transcript == nil)
                let analysis = analysed.analysis
                let info = analysis.info
                let source = TicketDraft.Source(path: audio, sha256: sha!, duration: (info.duration * 1000).rounded() / 1000, channels: info.channels)
                let input: TriageInput
                if let t = item.transcript {
                    input = TriageInput(id: item.id, transcript: t, source: source)
                } else {
                    input = TriageInput(id: item.id, hits: analysed.hits ?? [], source: source)
                }
                var draft = engine.draft(input)
                draft.flags += analysis.flags.map { "audio:" + $0 }
                let quality = analysis.channels.map { c in
                    Store.QualityRow(channel: c.index, role: c.role, snrDB: c.quality.snrDB, speechDBFS: c.quality.speechDBFS,
                                     noiseDBFS: c.quality.noiseDBFS, clippingRatio: c.quality.clippingRatio,
                                     silenceRatio: c.quality.silenceRatio, bandwidthHz: c.quality.bandwidthHz,
                                     speechSeconds: c.speech.reduce(0) { $0 + ($1.end - $1.start) }, digits: c.digits,
                                     flags: c.quality.flags)
                }
                let rec = Store.RecordingRow(sha256: sha!, path: audio, kind: "audio", container: info.container, encoding: info.encoding,
                                             sampleRate: info.sampleRate, channels: info.channels, duration: info.duration,
                                             fileBytes: info.fileBytes, flags: analysis.flags)
                return try store.store(recording: rec, quality: quality, draft: draft, runId: runId) ? .processed(info.duration) : .skipped
            } else {
                let draft = engine.draft(TriageInput(id: item.id, transcript: item.transcript))
                let rec = Store.RecordingRow(sha256: sha!, path: "manifest:\(item.id)", kind: "text")
                return try store.store(recording: rec, quality: [], draft: draft, runId: runId) ? .processed(0) : .skipped
            }
        } catch {
            let kind: String
            let message: String
            if let e = error as? AudioError { kind = e.kind.rawValue; message = e.detail }
            else { kind = "error"; message = "\(error)" }
            try? store.recordFailure(runId: runId, path: label, sha256: sha, kind: kind, message: message)
            return .failed(kind)
        }
    }

    /// Peak resident set size of this process (getrusage; bytes).
    public static func peakRSS() -> Int64 {
        var u = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        return Int64(u.ru_maxrss) * 1024
    }
}
