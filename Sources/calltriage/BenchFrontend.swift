import ArgumentParser
import AudioIO
import Foundation
import SignalKit

struct BenchFrontend: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-frontend",
        abstract: "Time decode + features (and optionally the full per-channel analysis) over files in one process.",
        discussion: "Prints one JSON line: files, audio_seconds, wall_seconds, x_realtime. Used by tools/bench/frontend_bench.py.")

    @Argument(help: "Audio files.")
    var audio: [String]

    @Option(help: "fbank or mfcc.")
    var kind: FeatureKind = .fbank

    @Option(help: "Number of mel bins.")
    var numBins: Int = 23

    @Flag(help: "Run the whole analysis (VAD, quality, DTMF) instead of features only.")
    var analysis = false

    @Option(help: "Repeat the file list this many times.")
    var repeats: Int = 1

    func run() throws {
        var audioSeconds = 0.0
        var frames = 0
        var failed = 0
        let t0 = DispatchTime.now().uptimeNanoseconds
        for _ in 0..<max(1, repeats) {
            for path in audio {
                do {
                    if analysis {
                        var o = AnalysisOptions(); o.fingerprint = false
                        let a = try FileAnalyzer.analyze(path: path, options: o)
                        audioSeconds += a.info.duration
                    } else {
                        let m = try FeatureRunner.compute(path: path, kind: kind, numBins: numBins, sampleRate: 8000)
                        frames += m.rows
                        audioSeconds += Double(m.rows) * 0.01 + 0.015
                    }
                } catch {
                    failed += 1
                    CLI.writeStderr("error: \(error)\n")
                }
            }
        }
        let wall = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
        let line = String(format: "{\"files\": %d, \"failed\": %d, \"frames\": %d, \"audio_seconds\": %.3f, \"wall_seconds\": %.4f, \"x_realtime\": %.1f}\n",
                          audio.count * max(1, repeats), failed, frames, audioSeconds, wall, audioSeconds / max(wall, 1e-9))
        CLI.writeStdout(line)
    }
}
