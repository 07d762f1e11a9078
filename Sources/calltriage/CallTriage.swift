import ArgumentParser
import AudioIO
import Foundation
import Logging

@main
struct CallTriage: AsyncParsableCommand {
    static let version = "0.1.0"
    static let configuration = CommandConfiguration(
        commandName: "calltriage",
        abstract: "Draft 12345-hotline tickets from call recordings: decode, analyse, spot keywords, triage.",
        discussion: """
        Stages so far: decode any recording libsndfile reads (WAV PCM/μ-law/A-law/float, FLAC, \
        OGG Vorbis/Opus, MP3), resample to the telephone band, Kaldi-compatible log-mel/MFCC \
        features, voice activity, quality flags and DTMF key presses.
        """,
        version: version,
        subcommands: [Run.self, Export.self, ReviewCommand.self, BenchCommand.self, Inspect.self, Features.self, Spot.self, TriageCommand.self, ModelCommand.self, BenchFrontend.self]
    )
}

enum CLI {
    /// `--roles caller=N[,agent=M|none]`, checked the same way by every command that takes it.
    static func validateRoles(_ spec: String?) throws {
        if let r = spec, ChannelRoles(spec: r) == nil { throw ValidationError("--roles: expected caller=N[,agent=M|none]") }
    }

    static let bootstrapLogging: Void = {
        LoggingSystem.bootstrap { label in
            var h = StreamLogHandler.standardError(label: label)
            h.logLevel = ProcessInfo.processInfo.environment["CALLTRIAGE_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return h
        }
    }()

    static func logger(_ label: String) -> Logger {
        _ = bootstrapLogging
        return Logger(label: "calltriage.\(label)")
    }

    static func writeStdout(_ s: String) {
        FileHandle.standardOutput.write(Data(s.utf8))
    }

    static func writeStderr(_ s: String) {
        FileHandle.standardError.write(Data(s.utf8))
    }
}
