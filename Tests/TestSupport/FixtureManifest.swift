import Foundation

/// Reads AudioFixtures/manifest.jsonl (committed with the repository).
public struct FixtureEntry: @unchecked Sendable {
    public let id: String
    public let path: String
    public let expect: [String: Any]
    public let raw: [String: Any]

    public var file: String { (path as NSString).lastPathComponent }
    public var error: String? { expect["error"] as? String }
    public var flags: [String] { expect["flags"] as? [String] ?? [] }
    public var optionalFlags: [String] { expect["flags_optional"] as? [String] ?? [] }
}

public enum Fixtures {
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    public static let dir = root.appendingPathComponent("AudioFixtures")

    public static let entries: [FixtureEntry] = {
        let url = dir.appendingPathComponent("manifest.jsonl")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let audio = obj["audio"] as? String else { return nil }
            return FixtureEntry(id: obj["id"] as? String ?? audio,
                                path: dir.appendingPathComponent(audio).path,
                                expect: obj["expect"] as? [String: Any] ?? [:], raw: obj)
        }
    }()

    public static func entry(_ file: String) -> FixtureEntry? { entries.first { $0.file == file } }
}
