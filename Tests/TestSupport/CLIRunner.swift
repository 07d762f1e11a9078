import Foundation

/// Runs the built `calltriage` binary as a real process.
public enum CLIRunner {
    public struct Result { public let status: Int32; public let stdout: String; public let stderr: String }

    public static var binary: URL {
        if let p = ProcessInfo.processInfo.environment["CALLTRIAGE_BIN"] { return URL(fileURLWithPath: p) }
        // Test bundles live next to the products they test (.build/<config>/).
        var dir = Bundle.main.bundleURL
        if dir.pathExtension == "xctest" { dir = dir.deletingLastPathComponent() }
        let candidate = dir.appendingPathComponent("calltriage")
        if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
        for b in Bundle.allBundles where b.bundleURL.pathExtension == "xctest" {
            let c = b.bundleURL.deletingLastPathComponent().appendingPathComponent("calltriage")
            if FileManager.default.fileExists(atPath: c.path) { return c }
        }
        return candidate
    }

    public static func run(_ args: [String], cwd: URL? = nil) throws -> Result {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        if let cwd { p.currentDirectoryURL = cwd }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        // Read both pipes concurrently so a chatty child never blocks.
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errData = err.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }
}
