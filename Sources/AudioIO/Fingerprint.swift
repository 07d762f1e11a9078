import Crypto
import Foundation

/// SHA-256 of a file's bytes, read in 1 MiB chunks: the content identity used for
/// idempotent batches (same bytes = same call, whatever the file is named).
public enum Fingerprint {
    public static func sha256(path: String) throws(AudioError) -> String {
        guard let fh = FileHandle(forReadingAtPath: path) else {
            throw AudioError(.unreadable, path: path, detail: "cannot open for hashing")
        }
        defer { try? fh.close() }
        var hasher = SHA256()
        while true {
            let chunk: Data
            do { chunk = try fh.read(upToCount: 1 << 20) ?? Data() } catch {
                throw AudioError(.unreadable, path: path, detail: "read error while hashing: \(error.localizedDescription)")
            }
            if chunk.isEmpty { break }
            hasher.update(data: chunk)
        }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }

    public static func sha256(data: Data) -> String {
        SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
    }
}
